/*
 * ctr_docker_stats.c: a docker task's resource usage (ctr_ops.usage; see
 * ctr_docker_int.h) from the Engine API's stats of its container. Owns
 * one struct ctr_docker_stats per query in flight, on the driver's list.
 *
 * One GET /containers/{id}/stats?stream=false&one-shot=true per query,
 * with its own timeout: one-shot (API 1.41) answers at once instead of
 * waiting a second for a second sample, since only cumulative figures are
 * used (no CPU percentage). The driver (ctr_docker.c) finds the task's
 * container; this file knows only the container. Loop thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "ctr_docker"
#include "containerizer/ctr_docker_api.h"
#include "containerizer/ctr_docker_int.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define DK_STATS_MAGIC 0xd0c4e705u

struct ctr_docker_stats {
	struct ctr_usage_req base; /* first: the cancel hook */
	unsigned magic;
	struct ctr_docker *d;  /* borrowed: owner */
	struct httpc_req *req; /* borrowed: in flight */
	ctr_usage_fn *done;
	void *arg; /* borrowed: the caller's, for done */
	LIST_ENTRY(ctr_docker_stats) link; /* on d->stats */
};

static void
dk_stats_free(struct ctr_docker_stats *x)
{
	LIST_REMOVE(x, link);
	ctr_docker_http_cancel(&x->req);
	CD_FREE_OBJ(x);
}

static void
dk_stats_cancel(struct ctr_usage_req *base)
{
	struct ctr_docker_stats *x = (struct ctr_docker_stats *)base;

	CD_CHECK_OBJ(x, DK_STATS_MAGIC);
	dk_stats_free(x);
}

static void
dk_stats_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_stats *x = arg;
	ctr_usage_fn *done = x->done;
	void *done_arg = x->arg;
	struct ctr_usage u;
	struct cd_err err;
	int rc;

	CD_CHECK_OBJ(x, DK_STATS_MAGIC);
	x->req = NULL;
	ctr_usage_init(&u);
	if (r->status == 200) {
		rc = ctr_docker_api_stats(r->body, r->len, &u, &err);
		if (rc != 0)
			log_warn("container stats: %s", err.msg);
	} else if (r->status == 404 || r->status == 409) {
		rc = -ENOENT;
	} else {
		char *why = ctr_docker_http_why(r);

		log_debug("container stats: %s", why);
		free(why);
		rc = r->status == 0 && r->err != NULL && r->err->code != 0
			 ? r->err->code
			 : -EIO;
	}
	dk_stats_free(x);
	done(done_arg, rc, rc == 0 ? &u : NULL);
}

struct ctr_usage_req *
ctr_docker_stats_start(struct ctr_docker *d, const char *cid,
		       ctr_usage_fn *done, void *arg)
{
	struct ctr_docker_stats *x;
	char *path;

	CD_ALLOC_OBJ(x, DK_STATS_MAGIC);
	x->base.cancel = dk_stats_cancel;
	x->d = d;
	x->done = done;
	x->arg = arg;
	LIST_INSERT_HEAD(&d->stats, x, link);
	path =
	    xasprintf("/containers/%s/stats?stream=false&one-shot=true", cid);
	x->req = ctr_docker_http(d, "GET", path, NULL, CTR_DOCKER_STATS_MS,
				 NULL, dk_stats_done, x);
	free(path);
	return &x->base;
}

void
ctr_docker_stats_free_all(struct ctr_docker *d)
{
	while (!LIST_EMPTY(&d->stats))
		dk_stats_free(LIST_FIRST(&d->stats));
}
