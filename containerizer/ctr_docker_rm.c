/*
 * ctr_docker_rm.c: removing docker containers (see ctr_docker_int.h): the
 * container of a task that ended, one whose stop failed, and orphans
 * after a restart. Owns one struct ctr_docker_rm per request in flight,
 * on the driver's list, so that a removal outlives its task and the
 * driver never touches a freed task.
 *
 * A removal the daemon could not be reached for (stopped, restarting) is
 * tried again with backoff, DK_RM_TRIES times (about five minutes): a
 * container left behind would outlive its task.
 *
 * Orphans are the containers labelled clusterd.agent_id=<agent_key>
 * whose task is neither among those the agent recovered nor tracked by
 * the driver (asked through the callback it passes, when the listing
 * comes back); a container without that label is never touched. Calls
 * only ctr_docker_http.c. Loop thread only.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define LOG_MOD "ctr_docker"
#include "containerizer/ctr_docker_api.h"
#include "containerizer/ctr_docker_int.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/xalloc.h"

#define DK_RM_MAGIC 0xd0c4e703u
#define DK_REMOVE_TIMEOUT_MS 120000L
#define DK_RM_TRIES 60
#define DK_RM_BACKOFF_MIN_MS 500

/* A removal or an orphan listing: a request that belongs to no task. */
struct ctr_docker_rm {
	unsigned magic;
	struct ctr_docker *d;	  /* borrowed: owner */
	struct httpc_req *req;	  /* borrowed: in flight */
	char *what;		  /* owned: for the log */
	char *path;		  /* owned: the DELETE's, for a retry */
	struct loop_timer *timer; /* owned or NULL: the retry's */
	int tries, backoff_ms;
	json_t *known; /* ref or NULL: task ids to spare (listing) */
	ctr_docker_tracked_fn *tracked; /* listing: tasks to spare too */
	LIST_ENTRY(ctr_docker_rm) link; /* on d->rms */
};

static struct ctr_docker_rm *
dk_rm_new(struct ctr_docker *d, const char *what)
{
	struct ctr_docker_rm *o;

	CD_ALLOC_OBJ(o, DK_RM_MAGIC);
	o->d = d;
	o->what = xstrdup(what);
	LIST_INSERT_HEAD(&d->rms, o, link);
	return o;
}

static void
dk_rm_free(struct ctr_docker_rm *o)
{
	LIST_REMOVE(o, link);
	ctr_docker_http_cancel(&o->req);
	loop_timer_free(o->timer);
	json_decref(o->known);
	free(o->what);
	free(o->path);
	CD_FREE_OBJ(o);
}

static void dk_remove_done(const struct httpc_resp *r, void *arg);

static void
dk_remove_send(void *arg)
{
	struct ctr_docker_rm *o = arg;

	CD_CHECK_OBJ(o, DK_RM_MAGIC);
	o->tries++;
	o->req = ctr_docker_http(o->d, "DELETE", o->path, NULL,
				 DK_REMOVE_TIMEOUT_MS, NULL, dk_remove_done, o);
}

static void
dk_remove_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_rm *o = arg;
	char *why;

	CD_CHECK_OBJ(o, DK_RM_MAGIC);
	o->req = NULL;
	if (r->status == 0 && o->tries < DK_RM_TRIES) {
		/* The daemon is away: its container is still there. */
		o->backoff_ms = o->backoff_ms == 0 ? DK_RM_BACKOFF_MIN_MS
				: o->backoff_ms * 2 > CTR_DOCKER_BACKOFF_MAX_MS
				    ? CTR_DOCKER_BACKOFF_MAX_MS
				    : o->backoff_ms * 2;
		if (o->timer == NULL)
			o->timer = loop_timer_new(o->d->l, dk_remove_send, o);
		loop_timer_add(o->timer, (uint64_t)o->backoff_ms);
		return;
	}
	if (r->status != 204 && r->status != 404) {
		why = ctr_docker_http_why(r);
		log_warn("removing the container of %s: %s", o->what, why);
		free(why);
	}
	dk_rm_free(o);
}

void
ctr_docker_rm_container(struct ctr_docker *d, const char *cid, const char *what)
{
	struct ctr_docker_rm *o = dk_rm_new(d, what);

	o->path = xasprintf("/containers/%s?force=1", cid);
	dk_remove_send(o);
}

static bool
dk_known(const json_t *known, const char *task_id)
{
	size_t i;
	json_t *v;

	json_array_foreach(known, i, v)
		if (strcmp(json_string_value(v), task_id) == 0)
			return true;
	return false;
}

static void
dk_list_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_rm *o = arg;
	struct ctr_docker *d = o->d;
	struct ctr_dk_listed *rows = NULL;
	struct cd_err err;
	size_t n = 0, i, reaped = 0;
	char *why;

	CD_CHECK_OBJ(o, DK_RM_MAGIC);
	o->req = NULL;
	if (r->status != 200) {
		why = ctr_docker_http_why(r);
		log_warn("cannot list containers to reap orphans: %s", why);
		free(why);
	} else if (ctr_docker_api_list(r->body, r->len, &rows, &n, &err) != 0) {
		log_warn("cannot list containers to reap orphans: %s", err.msg);
	}
	for (i = 0; i < n; i++) {
		const char *tid = rows[i].task_id;

		/* The filter asked for our label; check it again anyway. */
		if (rows[i].agent_id == NULL ||
		    strcmp(rows[i].agent_id, d->agent_key) != 0)
			continue;
		if (tid != NULL &&
		    (dk_known(o->known, tid) || o->tracked(d, tid)))
			continue;
		log_warn("orphan container %.12s (task %s): removing",
			 rows[i].id, tid != NULL ? tid : "?");
		ctr_docker_rm_container(d, rows[i].id,
					tid != NULL ? tid : rows[i].id);
		reaped++;
	}
	if (r->status == 200)
		log_info("reaped %zu orphan container(s)", reaped);
	ctr_dk_list_free(rows, n);
	dk_rm_free(o);
}

int
ctr_docker_rm_orphans(struct ctr_docker *d, const char *const *known, size_t n,
		      ctr_docker_tracked_fn *tracked)
{
	struct ctr_docker_rm *o;
	json_t *filter;
	char *fs, *enc, *path;
	size_t i;

	o = dk_rm_new(d, "orphan listing");
	o->known = json_array();
	o->tracked = tracked;
	for (i = 0; i < n; i++)
		json_array_append_new(o->known, json_string(known[i]));
	filter = json_pack("{s:[s+]}", "label", CTR_DK_LABEL_AGENT "=",
			   d->agent_key);
	fs = json_dump_str(filter);
	enc = ctr_docker_api_urlencode(fs);
	path = xasprintf("/containers/json?all=1&filters=%s", enc);
	o->req =
	    ctr_docker_http(d, "GET", path, NULL, 0, NULL, dk_list_done, o);
	free(path);
	free(enc);
	free(fs);
	json_decref(filter);
	return 0;
}

void
ctr_docker_rm_free_all(struct ctr_docker *d)
{
	while (!LIST_EMPTY(&d->rms))
		dk_rm_free(LIST_FIRST(&d->rms));
}
