/*
 * ctr_fetch.h: the Mesos fetcher: a task's fetch items (ctr_fetch_items.h)
 * put into its sandbox before it starts, for both containerizers. The
 * registry (ctr.c) runs one fetch per task that has items, and launches
 * the task once it has succeeded.
 *
 * Each item in turn:
 *  - http(s): GET with libcurl on the loop (lib/httpc, redirects followed
 *    to http(s) only), streamed into the file; a reply other than 2xx, a
 *    transport error, 60 s without data or an hour in all fail it;
 *  - file:// or an absolute path: copied from the host, only from below
 *    --allowed_host_paths (the agent runs as root: anything else would
 *    hand the task any file of the host), checked on the real path;
 *  - with cache, an http(s) item is kept in <cache_dir>/<key> (key: the
 *    URI's FNV-1a 64 hash; <key>.uri holds the URI, which must match) and
 *    copied from there once present; no eviction;
 *  - then executable: mode 0755; or an archive with extract: extracted
 *    into the sandbox (ctr_fetch_archive.h), the archive kept, as Mesos
 *    does; every file belongs to the task's user.
 * Copies and extraction run in steps of about 1 MiB per loop pass, so the
 * loop is never held for a large file; the writes are local file writes
 * on the loop, as the container logs are.
 *
 * The outcome comes through done(arg, rc, msg) once, from the loop; msg
 * names the URI and the error ("Failed to fetch 'http://x/y.tgz': HTTP
 * 404"). Loop thread only.
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_FETCH_H
#define CLUSTERD_CONTAINERIZER_CTR_FETCH_H

#include <stdbool.h>

#include "containerizer/ctr_user.h"
#include "lib/err.h"
#include "lib/wire.h"

struct loop;
struct httpc;
struct ctr_fetch;

/* Strings borrowed for the call. */
struct ctr_fetch_conf {
	const char *cache_dir;		/* created on first use */
	const char *allowed_host_paths; /* comma-separated, or NULL */
};

/* rc 0 and msg NULL on success; else -errno and msg (borrowed). */
typedef void ctr_fetch_done_fn(void *arg, int rc, const char *msg);

/* Whether t has anything to fetch. */
bool ctr_fetch_needed(const struct wire_task *t);

/*
 * Start fetching t's items into sandbox as user u (copied). Returns the
 * fetch (borrowed: valid until done runs or ctr_fetch_cancel()); a list
 * refused up front (a bad URI) still returns one, whose done reports it.
 */
struct ctr_fetch *ctr_fetch_start(struct loop *l, struct httpc *hc,
				  const struct ctr_fetch_conf *conf,
				  const struct wire_task *t,
				  const char *sandbox, const struct ctr_user *u,
				  ctr_fetch_done_fn *done, void *arg);
/* Stop a fetch in flight and free it; done never runs. NULL: no-op. */
void ctr_fetch_cancel(struct ctr_fetch *f);

#endif
