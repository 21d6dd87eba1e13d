/*
 * ctr_fetch_archive.h: an archive extracted into a sandbox with libarchive
 * (tar, and zip; gzip, bzip2 and xz compression, with libarchive's own
 * code: never an external program), in steps of bounded size so that the
 * loop stays responsive between them (the ctr_fetch.c job calls one step
 * per loop pass).
 *
 * Nothing escapes the sandbox: every entry name must be relative and stay
 * inside (no absolute path, no ".." climbing out), a symbolic link must
 * point inside (relative, from its own directory), a hard link must name
 * an entry inside, nothing is written through a symbolic link, and only
 * regular files, directories and links are extracted (a device, FIFO or
 * socket fails the extraction). Permissions are the entry's rwx bits only
 * (never setuid, setgid or sticky), and everything belongs to the task's
 * user.
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_FETCH_ARCHIVE_H
#define CLUSTERD_CONTAINERIZER_CTR_FETCH_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "containerizer/ctr_user.h"
#include "lib/err.h"

struct ctr_fetch_archive;

/*
 * Open archive (a file) for extraction into dest (a directory). u
 * (borrowed for the call) owns what is written; !u->set: the agent. 0 and
 * *out, or -errno with err.
 */
int ctr_fetch_archive_open(const char *archive, const char *dest,
			   const struct ctr_user *u,
			   struct ctr_fetch_archive **out, struct cd_err *err);
/*
 * Extract about budget bytes more. 1 when there is more to do, 0 when the
 * archive is done, or -errno with err (a bad archive, an entry refused).
 */
int ctr_fetch_archive_step(struct ctr_fetch_archive *x, size_t budget,
			   struct cd_err *err);
void ctr_fetch_archive_free(struct ctr_fetch_archive *x);

/* Pure: whether an entry name stays inside the directory. */
bool ctr_fetch_archive_name_ok(const char *name);
/* Pure: whether a symbolic link at entry pointing at target stays inside. */
bool ctr_fetch_archive_link_ok(const char *entry, const char *target);

#endif
