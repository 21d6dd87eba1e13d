/*
 * path.h: file-system path helpers shared by the roles. Blocking, but
 * only small metadata calls (mkdir), used at start-up and when a sandbox
 * is created.
 */
#ifndef CLUSTERD_LIB_PATH_H
#define CLUSTERD_LIB_PATH_H

#include <sys/types.h>

/*
 * Create path and its missing parents with mode, like mkdir -p. Returns 0
 * (also when it exists) or -errno of the first failing mkdir.
 */
int path_mkdirs(const char *path, mode_t mode);

#endif
