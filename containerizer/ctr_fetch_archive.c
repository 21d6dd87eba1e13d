/*
 * ctr_fetch_archive.c: an archive extracted into a sandbox in bounded
 * steps (see ctr_fetch_archive.h). Owns one libarchive reader and one
 * disk writer per extraction. Every entry's name, link target, type and
 * mode are checked and rewritten before libarchive writes it; libarchive's
 * own guards (no "..", nothing through a symbolic link) stay on beneath
 * ours. Calls nothing else of the containerizer's but ctr_user's types.
 * Loop thread only (one extraction is used by one thread).
 */
#include "containerizer/ctr_fetch_archive.h"

#include <sys/stat.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "lib/policy.h"
#include "lib/xalloc.h"

#define FA_MAGIC 0xfe7c4a01u
#define FA_HEADER_COST 4096 /* an entry's header counts as this much data */

struct ctr_fetch_archive {
	unsigned magic;
	struct archive *in;  /* owned: the reader */
	struct archive *out; /* owned: the disk writer */
	char *dest;	     /* owned: real path of the directory */
	char *file;	     /* owned: the archive, for messages */
	bool set_owner;
	uid_t uid;
	gid_t gid;
	bool in_entry; /* an entry's data is being copied */
};

bool
ctr_fetch_archive_name_ok(const char *name)
{
	return name != NULL && policy_relpath_inside(name);
}

bool
ctr_fetch_archive_link_ok(const char *entry, const char *target)
{
	const char *slash;
	char *joined;
	bool ok;

	if (target == NULL || target[0] == '\0' || target[0] == '/' ||
	    !ctr_fetch_archive_name_ok(entry))
		return false;
	slash = strrchr(entry, '/');
	if (slash == NULL)
		return policy_relpath_inside(target);
	joined = xasprintf("%.*s/%s", (int)(slash - entry), entry, target);
	ok = policy_relpath_inside(joined);
	free(joined);
	return ok;
}

void
ctr_fetch_archive_free(struct ctr_fetch_archive *x)
{
	if (x == NULL)
		return;
	CD_CHECK_OBJ(x, FA_MAGIC);
	if (x->in != NULL)
		archive_read_free(x->in);
	if (x->out != NULL)
		archive_write_free(x->out);
	free(x->dest);
	free(x->file);
	CD_FREE_OBJ(x);
}

/* A filter must be libarchive's own code, never an external program
 * (which it falls back to, with ARCHIVE_WARN, when built without it). */
static int
fa_filters(struct archive *a, struct cd_err *err)
{
	if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    archive_read_support_filter_bzip2(a) != ARCHIVE_OK ||
	    archive_read_support_filter_xz(a) != ARCHIVE_OK)
		return cd_err_set(err, -ENOTSUP,
				  "libarchive lacks built-in gzip, bzip2 or "
				  "xz support");
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_support_format_zip(a) != ARCHIVE_OK)
		return cd_err_set(err, -ENOTSUP,
				  "libarchive lacks tar or zip support");
	return 0;
}

int
ctr_fetch_archive_open(const char *archive, const char *dest,
		       const struct ctr_user *u, struct ctr_fetch_archive **out,
		       struct cd_err *err)
{
	struct ctr_fetch_archive *x;
	char real[PATH_MAX];
	int rc, flags;

	*out = NULL;
	if (realpath(dest, real) == NULL)
		return cd_err_set(err, -errno, "%s: %s", dest, strerror(errno));
	CD_ALLOC_OBJ(x, FA_MAGIC);
	x->dest = xstrdup(real);
	x->file = xstrdup(archive);
	x->set_owner = u->set;
	x->uid = u->uid;
	x->gid = u->gid;
	x->in = archive_read_new();
	x->out = archive_write_disk_new();
	AN(x->in);
	AN(x->out);
	if ((rc = fa_filters(x->in, err)) != 0)
		goto fail;
	flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
		ARCHIVE_EXTRACT_SECURE_NODOTDOT;
	if (x->set_owner)
		flags |= ARCHIVE_EXTRACT_OWNER;
	archive_write_disk_set_options(x->out, flags);
	if (archive_read_open_filename(x->in, archive, 65536) != ARCHIVE_OK) {
		rc = cd_err_set(err, -EINVAL, "cannot read the archive: %s",
				archive_error_string(x->in));
		goto fail;
	}
	*out = x;
	return 0;
fail:
	ctr_fetch_archive_free(x);
	return rc;
}

/* Check and rewrite one entry so that it lands inside dest. */
static int
fa_entry(struct ctr_fetch_archive *x, struct archive_entry *e,
	 struct cd_err *err)
{
	const char *name = archive_entry_pathname(e);
	const char *hard = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	char *full;

	if (!ctr_fetch_archive_name_ok(name))
		return cd_err_set(err, -EPERM,
				  "archive entry '%.200s' would leave the "
				  "sandbox",
				  name != NULL ? name : "");
	if (hard != NULL) {
		if (!ctr_fetch_archive_name_ok(hard))
			return cd_err_set(err, -EPERM,
					  "hard link '%.200s' would leave the "
					  "sandbox",
					  name);
		full = xasprintf("%s/%s", x->dest, hard);
		archive_entry_copy_hardlink(e, full);
		free(full);
	} else if (type == AE_IFLNK) {
		if (!ctr_fetch_archive_link_ok(name, archive_entry_symlink(e)))
			return cd_err_set(err, -EPERM,
					  "symbolic link '%.200s' points out "
					  "of the sandbox",
					  name);
	} else if (type != AE_IFREG && type != AE_IFDIR) {
		return cd_err_set(err, -EPERM,
				  "archive entry '%.200s' is not a file, a "
				  "directory or a link",
				  name);
	}
	full = xasprintf("%s/%s", x->dest, name);
	archive_entry_copy_pathname(e, full);
	free(full);
	archive_entry_set_perm(e, archive_entry_perm(e) & 0777);
	if (x->set_owner) {
		archive_entry_set_uid(e, x->uid);
		archive_entry_set_gid(e, x->gid);
	}
	return 0;
}

static int
fa_fail(struct ctr_fetch_archive *x, struct archive *a, struct cd_err *err)
{
	const char *why = archive_error_string(a);

	(void)x;
	return cd_err_set(err, -EIO, "%s",
			  why != NULL ? why : "extraction failed");
}

int
ctr_fetch_archive_step(struct ctr_fetch_archive *x, size_t budget,
		       struct cd_err *err)
{
	struct archive_entry *e;
	const void *block;
	size_t size, spent = 0;
	la_int64_t off;
	int r, rc;

	CD_CHECK_OBJ(x, FA_MAGIC);
	while (spent < budget) {
		if (!x->in_entry) {
			r = archive_read_next_header(x->in, &e);
			if (r == ARCHIVE_EOF) {
				if (archive_write_close(x->out) != ARCHIVE_OK)
					return fa_fail(x, x->out, err);
				return 0;
			}
			if (r < ARCHIVE_WARN)
				return fa_fail(x, x->in, err);
			if ((rc = fa_entry(x, e, err)) != 0)
				return rc;
			if (archive_write_header(x->out, e) < ARCHIVE_WARN)
				return fa_fail(x, x->out, err);
			spent += FA_HEADER_COST;
			x->in_entry = true;
			continue;
		}
		r = archive_read_data_block(x->in, &block, &size, &off);
		if (r == ARCHIVE_EOF) {
			if (archive_write_finish_entry(x->out) < ARCHIVE_WARN)
				return fa_fail(x, x->out, err);
			x->in_entry = false;
			continue;
		}
		if (r < ARCHIVE_WARN)
			return fa_fail(x, x->in, err);
		if (archive_write_data_block(x->out, block, size, off) <
		    ARCHIVE_WARN)
			return fa_fail(x, x->out, err);
		spent += size;
	}
	return 1;
}
