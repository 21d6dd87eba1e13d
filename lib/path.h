/*
 * path.h: file-system path helpers shared by the roles: walking a path's
 * segments (pure), and mkdir -p (blocking, but only small metadata calls,
 * used at start-up and when a sandbox is created).
 */
#ifndef CLUSTERD_LIB_PATH_H
#define CLUSTERD_LIB_PATH_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

/*
 * Create path and its missing parents with mode, like mkdir -p. Returns 0
 * (also when it exists) or -errno of the first failing mkdir.
 */
int path_mkdirs(const char *path, mode_t mode);

/*
 * The next segment of the '/'-separated path at *p: skips the slashes
 * before it, points *seg at it (not NUL-terminated) with *len characters,
 * and moves *p past it. False at the end of the string. "." and ".." are
 * segments like any other: what they mean is the caller's.
 */
bool path_next_seg(const char **p, const char **seg, size_t *len);

#endif
