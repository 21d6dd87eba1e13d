/*
 * ctr_fetch_items.h: what the Mesos fetcher is asked to fetch for a task,
 * as a list of checked items: the task's fetch objects ({uri, extract,
 * executable, cache, destPath or outputFile}) then 0.5's plain uris
 * (extract true, the rest false), each URI once (the first wins). For
 * each: its kind (http(s), a local file from file:// or an absolute
 * path), the name it gets in the sandbox (destPath/outputFile, else the
 * URI's last path segment; relative and kept inside the sandbox), whether
 * it is an archive to extract (by its name, as Mesos does: .tar, .tgz,
 * .tar.gz, .tbz2, .tar.bz2, .txz, .tar.xz, .zip) and its cache key.
 * Pure (STYLE B28): no I/O, no globals; any thread.
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_FETCH_ITEMS_H
#define CLUSTERD_CONTAINERIZER_CTR_FETCH_ITEMS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"
#include "lib/wire.h"

enum ctr_fetch_kind {
	CTR_FETCH_HTTP, /* http:// or https://, downloaded with libcurl */
	CTR_FETCH_FILE, /* file:///path or /path, copied from the host */
};

struct ctr_fetch_item {
	char *uri;  /* owned: as given */
	char *path; /* owned: CTR_FETCH_FILE: the host path (unescaped) */
	char *name; /* owned: relative path in the sandbox */
	enum ctr_fetch_kind kind;
	bool extract; /* extract it (an archive, not executable) */
	bool executable;
	bool cache;
};

/* An owned array of n items. */
struct ctr_fetch_items {
	struct ctr_fetch_item *v; /* owned */
	size_t n, cap;
};

/*
 * The items of task t into out (zeroed first). 0, or -EINVAL with err
 * naming the URI ("Failed to fetch 'x': ...") for a URI of another scheme
 * or a name that would leave the sandbox. Release out either way.
 */
int ctr_fetch_items_of(const struct wire_task *t, struct ctr_fetch_items *out,
		       struct cd_err *err);
void ctr_fetch_items_release(struct ctr_fetch_items *it);

/* Whether a file name is an archive Mesos would extract. */
bool ctr_fetch_items_is_archive(const char *name);

/* The cache key of a URI: 16 hex digits (FNV-1a 64), NUL-terminated. */
void ctr_fetch_items_cache_key(const char *uri, char out[17]);

#endif
