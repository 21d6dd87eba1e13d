/*
 * sched_api_apps.c: the /v2/apps routes. Design: handlers only translate
 * HTTP to a struct sched_change and back; sched_apply() persists the
 * change (one store commit) before a handler answers, so a 2xx always
 * means committed. Ids from the URL go through sched_app_normalize_id, so
 * "ubuntu" finds "/ubuntu". Every AppInfo keeps the 0.5 fields (ports,
 * uris, executor from sched_app_to_json; tasksStaged, tasksRunning) and
 * adds only keys python3-marathon's MarathonApp accepts. Loop thread only.
 */
#include "scheduler/api/sched_api_apps.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bodycache.h"
#include "lib/buf.h"
#include "lib/jw.h"
#include "lib/xalloc.h"
#include "scheduler/api/sched_api.h"
#include "scheduler/api/sched_api_info.h"
#include "scheduler/api/sched_api_label.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/core/sched_apply.h"
#include "scheduler/core/sched_events.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_repo.h"
#include "scheduler/core/sched_tracker.h"

/* Reply code with the JSON written into b (released). */
static void
apps_reply_buf(struct httpd_req *r, int code, struct buf *b)
{
	httpd_reply(r, code, "application/json", b->data, b->len);
	buf_release(b);
}

/* The normalised app id of the URL, or NULL after answering 404. */
static char *
apps_id(struct httpd_req *r)
{
	const char *raw = httpd_req_param(r, "id");
	char *id = raw != NULL ? sched_app_normalize_id(raw, NULL) : NULL;

	if (id == NULL)
		sched_api_reply_no_app(r, raw != NULL ? raw : "");
	return id;
}

/* The app of the URL, or NULL after answering 404. *idp gets the id. */
static struct sched_rapp *
apps_find(struct sched *s, struct httpd_req *r, char **idp)
{
	struct sched_rapp *ra;
	char *id = apps_id(r);

	*idp = id;
	if (id == NULL)
		return NULL;
	ra = sched_repo_find(s->repo, id);
	if (ra == NULL)
		sched_api_reply_no_app(r, id);
	return ra;
}

/* embed= values ("apps.tasks" or "app.tasks"; repeated, or
 * comma-separated), or dflt when there is none. */
static int
apps_embed(const struct httpd_req *r, int dflt)
{
	const char *e;
	size_t pos = 0;
	int f = 0;
	bool any = false;

	while ((e = httpd_req_query_next(r, "embed", &pos)) != NULL) {
		char *copy = xstrdup(e), *w = copy, *next;

		any = true;
		for (; w != NULL; w = next) {
			if ((next = strchr(w, ',')) != NULL)
				*next++ = '\0';
			while (*w == ' ')
				w++;
			if (strncmp(w, "apps.", 5) == 0)
				f |= sched_api_info_embed_word(w + 5);
			else if (strncmp(w, "app.", 4) == 0)
				f |= sched_api_info_embed_word(w + 4);
		}
		free(copy);
	}
	return any ? f : dflt;
}

/* What GET /v2/apps asks for: the cache's params (lib/bodycache). */
struct apps_query {
	int embed;
	char *cmd;   /* owned or NULL: cmd= */
	char *id;    /* owned or NULL: id= */
	char *label; /* owned or NULL: label= */
};

static void
apps_query_free(void *p)
{
	struct apps_query *q = p;

	free(q->cmd);
	free(q->id);
	free(q->label);
	free(q);
}

static char *
apps_query_dup(const struct httpd_req *r, const char *key)
{
	const char *v = httpd_req_query(r, key);

	return v != NULL ? xstrdup(v) : NULL;
}

/* The listing of q into b (a bodycache_build_fn). */
static int
apps_list_build(void *arg, void *params, struct buf *b)
{
	struct sched *s = arg;
	const struct apps_query *q = params;
	const char *cmd = q->cmd, *idf = q->id, *label = q->label;
	int embed = q->embed;
	struct jw w;
	size_t i;

	jw_init(&w, b);
	jw_obj_open(&w);
	jw_key(&w, "apps");
	jw_arr_open(&w);
	for (i = 0; i < sched_repo_count(s->repo); i++) {
		struct sched_rapp *ra = sched_repo_at(s->repo, i);
		const char *c = sched_app_cmd(ra->app);

		if (cmd != NULL && (c == NULL || strstr(c, cmd) == NULL))
			continue;
		if (idf != NULL && strstr(sched_app_id(ra->app), idf) == NULL)
			continue;
		if (label != NULL &&
		    !sched_api_label_match(sched_app_labels(ra->app), label))
			continue;
		sched_api_info_app(&w, s, ra, embed);
	}
	jw_arr_close(&w);
	jw_obj_close(&w);
	return 200;
}

/*
 * GET /v2/apps: from the list cache, keyed by the normalised query (the
 * embed flags, not their spelling). taskStats holds lifetimes that grow
 * with the clock, not with the state: those listings are built each time.
 */
static void
apps_list(struct httpd_req *r, struct sched *s)
{
	struct apps_query *q = xcalloc(1, sizeof *q);
	struct buf key = BUF_INIT;

	/* counts and deployments are always there: not part of the key. */
	q->embed =
	    apps_embed(r, 0) & ~(SCHED_EMBED_COUNTS | SCHED_EMBED_DEPLOYMENTS);
	q->cmd = apps_query_dup(r, "cmd");
	q->id = apps_query_dup(r, "id");
	q->label = apps_query_dup(r, "label");
	if (q->embed & SCHED_EMBED_TASK_STATS) {
		struct buf b = BUF_INIT;

		(void)apps_list_build(s, q, &b);
		apps_query_free(q);
		apps_reply_buf(r, 200, &b);
		return;
	}
	buf_printf(&key, "GET /v2/apps embed=%d", q->embed);
	sched_api_key_add(&key, "cmd", q->cmd);
	sched_api_key_add(&key, "id", q->id);
	sched_api_key_add(&key, "label", q->label);
	bodycache_serve(s->lists, r, buf_str(&key), apps_list_build, q,
			apps_query_free);
	buf_release(&key);
}

static void
apps_reply_created(struct httpd_req *r, struct sched *s,
		   const struct sched_change *c, const char *id, bool full)
{
	char *loc = xasprintf("%s://%s/v2/apps%s", httpd_req_scheme(r),
			      httpd_req_host(r), id);
	struct sched_rapp *ra = sched_repo_find(s->repo, id);
	struct buf b = BUF_INIT;
	struct jw w;

	httpd_reply_header(r, "Location", loc);
	free(loc);
	if (!full || ra == NULL) {
		sched_api_reply_deployment(r, 201, c->deployment_id,
					   c->version);
		return;
	}
	httpd_reply_header(r, "Marathon-Deployment-Id", c->deployment_id);
	jw_init(&w, &b);
	sched_api_info_app(&w, s, ra, SCHED_EMBED_TASKS | SCHED_EMBED_FAILURE);
	apps_reply_buf(r, 201, &b);
}

/* api_post_event for the app the request created or changed (before the
 * reply, while r's strings are valid). */
static void
apps_post_event(struct httpd_req *r, struct sched *s, const char *id)
{
	const struct sched_rapp *ra = sched_repo_find(s->repo, id);

	if (ra != NULL)
		sched_events_api_post(s->events, r, sched_app_to_json(ra->app));
}

static void
apps_create(struct httpd_req *r, struct sched *s)
{
	struct sched_change c;
	struct cd_err err;
	json_t *body;
	char *id = NULL;
	int rc;

	memset(&c, 0, sizeof c);
	cd_err_clear(&err);
	if ((body = sched_api_body(r)) == NULL)
		return;
	rc = sched_app_parse(body, NULL, &c.app, &err);
	json_decref(body);
	if (rc != 0) {
		sched_api_reply_invalid(r, rc, &err);
		return;
	}
	id = xstrdup(sched_app_id(c.app));
	if (sched_repo_find(s->repo, id) != NULL) {
		char *msg =
		    xasprintf("An app with id [%s] already exists.", id);

		httpd_reply_error(r, 409, msg, NULL);
		free(msg);
		sched_app_free(c.app);
		goto out;
	}
	rc = sched_apply(s, &c, &err);
	if (rc != 0) {
		sched_api_reply_error(r, rc, &err, c.locked);
	} else {
		apps_post_event(r, s, id);
		apps_reply_created(r, s, &c, id, true);
	}
out:
	free(id);
}

static void
apps_get(struct httpd_req *r, struct sched *s)
{
	struct sched_rapp *ra;
	struct buf b = BUF_INIT;
	struct jw w;
	char *id;

	if ((ra = apps_find(s, r, &id)) != NULL) {
		jw_init(&w, &b);
		jw_obj_open(&w);
		jw_key(&w, "app");
		sched_api_info_app(&w, s, ra,
				   apps_embed(r, SCHED_EMBED_TASKS |
						     SCHED_EMBED_FAILURE |
						     SCHED_EMBED_READINESS));
		jw_obj_close(&w);
		apps_reply_buf(r, 200, &b);
	}
	free(id);
}

/* Whether body is {"version": "..."} and nothing else: a rollback. */
static const char *
apps_rollback_version(const json_t *body)
{
	if (json_object_size(body) != 1)
		return NULL;
	return json_string_value(json_object_get(body, "version"));
}

/* PUT (partial unless partialUpdate=false, creating when missing) and
 * PATCH (always partial, 404 when missing). */
static void
apps_update(struct httpd_req *r, struct sched *s, bool patch)
{
	struct sched_change c;
	struct sched_rapp *ra;
	struct cd_err err;
	const char *rb;
	json_t *body = NULL;
	char *id;
	int rc;

	memset(&c, 0, sizeof c);
	cd_err_clear(&err);
	if ((id = apps_id(r)) == NULL)
		return;
	ra = sched_repo_find(s->repo, id);
	if (ra == NULL && patch) {
		sched_api_reply_no_app(r, id);
		goto out;
	}
	if ((body = sched_api_body(r)) == NULL)
		goto out;
	if (!json_is_object(body)) {
		cd_err_setp(&err, -EBADMSG, "/", "error.expected.jsobject");
		sched_api_reply_invalid(r, -EBADMSG, &err);
		goto out;
	}
	if ((rb = apps_rollback_version(body)) != NULL) {
		if (ra == NULL) {
			sched_api_reply_no_app(r, id);
			goto out;
		}
		rc = sched_repo_version_get(s->repo, id, rb, &c.app, &err);
		if (rc == -ENOENT) {
			httpd_reply_error(r, 404, err.msg, NULL);
			goto out;
		} else if (rc != 0) {
			sched_api_reply_error(r, rc, &err, c.locked);
			goto out;
		}
		c.rollback = true;
	} else if (ra != NULL &&
		   (patch || sched_api_flag(r, "partialUpdate", true))) {
		json_object_del(body, "id"); /* the URL names the app */
		rc = sched_app_patch(ra->app, body, &c.app, &err);
		if (rc != 0) {
			sched_api_reply_invalid(r, rc, &err);
			goto out;
		}
	} else {
		rc = sched_app_parse(body, id, &c.app, &err);
		if (rc != 0) {
			sched_api_reply_invalid(r, rc, &err);
			goto out;
		}
	}
	c.force = sched_api_flag(r, "force", false);
	rc = sched_apply(s, &c, &err);
	if (rc == 0)
		apps_post_event(r, s, id);
	if (rc != 0)
		sched_api_reply_error(r, rc, &err, c.locked);
	else if (c.created)
		apps_reply_created(r, s, &c, id, false);
	else
		sched_api_reply_deployment(r, 200, c.deployment_id, c.version);
out:
	json_decref(body);
	free(id);
}

/* The ids of ra's tasks (on host when not NULL), copied; *nactive counts
 * those not already being killed. */
static char **
apps_task_ids(struct sched *s, const struct sched_rapp *ra, const char *host,
	      size_t *n, int *nactive)
{
	struct sched_task *const *tv;
	size_t i, m;
	char **ids;

	tv = sched_tracker_app_tasks(s->tr, sched_app_id(ra->app), &m);
	ids = xcalloc(m + 1, sizeof *ids);
	*n = 0;
	*nactive = 0;
	for (i = 0; i < m; i++) {
		if (host != NULL && strcmp(tv[i]->host, host) != 0)
			continue;
		ids[(*n)++] = xstrdup(tv[i]->id);
		if (tv[i]->state != TASK_KILLING)
			(*nactive)++;
	}
	return ids;
}

static void
apps_free_ids(char **ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* Apply c (force= from the query) and answer: the error, or 200 with the
 * deployment. */
static void
apps_apply(struct httpd_req *r, struct sched *s, struct sched_change *c)
{
	struct cd_err err;
	int rc;

	cd_err_clear(&err);
	c->force = sched_api_flag(r, "force", false);
	rc = sched_apply(s, c, &err);
	if (rc != 0)
		sched_api_reply_error(r, rc, &err, c->locked);
	else
		sched_api_reply_deployment(r, 200, c->deployment_id,
					   c->version);
}

static void
apps_delete(struct httpd_req *r, struct sched *s)
{
	struct sched_change c;
	struct sched_rapp *ra;
	char *id, **ids = NULL;
	size_t n = 0;
	int active;

	memset(&c, 0, sizeof c);
	if ((ra = apps_find(s, r, &id)) == NULL)
		goto out;
	ids = apps_task_ids(s, ra, NULL, &n, &active);
	c.delete_id = id;
	c.kill_ids = ids;
	c.nkill = n;
	apps_apply(r, s, &c);
out:
	apps_free_ids(ids, n);
	free(id);
}

static void
apps_restart(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	struct sched_change c;
	struct sched_rapp *ra;
	char *id;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	memset(&c, 0, sizeof c);
	if ((ra = apps_find(s, r, &id)) != NULL) {
		c.app = sched_app_dup(ra->app);
		c.restart = true;
		apps_apply(r, s, &c);
	}
	free(id);
}

static void
apps_app(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	switch (httpd_req_method(r)) {
	case HTTPD_GET:
		apps_get(r, s);
		break;
	case HTTPD_PUT:
		apps_update(r, s, false);
		break;
	case HTTPD_PATCH:
		apps_update(r, s, true);
		break;
	case HTTPD_DELETE:
		apps_delete(r, s);
		break;
	default:
		httpd_reply_error(r, 405, "Method not allowed", NULL);
		break;
	}
}

/* PUT /v2/apps (create or partially update each) and PATCH /v2/apps
 * (update each, all must exist): one deployment for every app. */
static void
apps_bulk(struct httpd_req *r, struct sched *s, bool patch)
{
	struct sched_apply_opts o;
	struct sched_change *cv = NULL;
	struct cd_err err;
	const json_t *v;
	json_t *body;
	size_t i, n = 0;
	int rc = 0;

	memset(&o, 0, sizeof o);
	cd_err_clear(&err);
	if ((body = sched_api_body(r)) == NULL)
		return;
	if (!json_is_array(body)) {
		cd_err_setp(&err, -EBADMSG, "/", "error.expected.jsarray");
		sched_api_reply_invalid(r, -EBADMSG, &err);
		goto out;
	}
	cv = xcalloc(json_array_size(body) + 1, sizeof *cv);
	json_array_foreach(body, i, v) {
		const char *raw = json_string_value(json_object_get(v, "id"));
		struct sched_rapp *ra = NULL;
		char *id =
		    raw != NULL ? sched_app_normalize_id(raw, &err) : NULL;
		char path[32];

		if (json_is_object(v) && id != NULL)
			ra = sched_repo_find(s->repo, id);
		if (patch && json_is_object(v) && id != NULL && ra == NULL) {
			sched_api_reply_no_app(r, id);
			free(id);
			goto out;
		}
		free(id);
		if (!json_is_object(v)) {
			rc = cd_err_setp(&err, -EINVAL, "/",
					 "error.expected.jsobject");
		} else if (ra != NULL &&
			   (patch ||
			    sched_api_flag(r, "partialUpdate", true))) {
			json_t *p = json_copy((json_t *)(uintptr_t)v);

			json_object_del(p, "id");
			rc = sched_app_patch(ra->app, p, &cv[n].app, &err);
			json_decref(p);
		} else {
			rc = sched_app_parse(v, NULL, &cv[n].app, &err);
		}
		if (rc != 0) {
			snprintf(path, sizeof path, "/(%zu)", i);
			sched_api_err_prefix(&err, path);
			sched_api_reply_invalid(
			    r, rc == -EBADMSG ? -EINVAL : rc, &err);
			goto out;
		}
		n++;
	}
	o.force = sched_api_flag(r, "force", false);
	rc = sched_apply_many(s, cv, n, &o, &err);
	if (rc != 0) {
		sched_api_reply_error(r, rc, &err, o.locked);
		goto out;
	}
	json_array_foreach(body, i, v) {
		const char *raw = json_string_value(json_object_get(v, "id"));
		char *id =
		    raw != NULL ? sched_app_normalize_id(raw, NULL) : NULL;

		if (id != NULL)
			apps_post_event(r, s, id);
		free(id);
	}
	sched_api_reply_deployment(r, 200, o.deployment_id, o.version);
out:
	for (i = 0; i < n; i++)
		sched_app_free(cv[i].app);
	free(cv);
	json_decref(body);
}

static void
apps_root(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	switch (httpd_req_method(r)) {
	case HTTPD_POST:
		apps_create(r, s);
		break;
	case HTTPD_PUT:
		apps_bulk(r, s, false);
		break;
	case HTTPD_PATCH:
		apps_bulk(r, s, true);
		break;
	default:
		apps_list(r, s);
		break;
	}
}

/* scale=true with wipe=true: 400, as Marathon answers. */
static bool
apps_scale_and_wipe(struct httpd_req *r)
{
	if (!sched_api_flag(r, "scale", false) ||
	    !sched_api_flag(r, "wipe", false))
		return false;
	httpd_reply_error(
	    r, 400, "You cannot use scale and wipe at the same time.", NULL);
	return true;
}

/*
 * Kill ids of ra, scaling down by the active ones when scale= (wipe=true,
 * no persistent volumes here, kills the same way), and answer: the
 * deployment when scaling, else the tasks b holds (written before the
 * kill changed their states; released).
 */
static void
apps_kill(struct httpd_req *r, struct sched *s, const struct sched_rapp *ra,
	  char **ids, size_t n, int nactive, struct buf *b)
{
	struct sched_change c;
	struct cd_err err;
	bool scale = sched_api_flag(r, "scale", false);
	int rc;

	memset(&c, 0, sizeof c);
	cd_err_clear(&err);
	c.kill_ids = ids;
	c.nkill = n;
	c.force = sched_api_flag(r, "force", false);
	if (scale && nactive > 0) {
		int inst = sched_app_instances(ra->app) - nactive;

		c.app = sched_app_dup(ra->app);
		sched_app_set_instances(c.app, inst < 0 ? 0 : inst);
	}
	rc = sched_apply(s, &c, &err);
	if (rc != 0)
		sched_api_reply_error(r, rc, &err, c.locked);
	else if (scale)
		sched_api_reply_deployment(r, 200, c.deployment_id, c.version);
	else
		apps_reply_buf(r, 200, b);
}

static void
apps_tasks(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	struct sched_rapp *ra;
	char *id, **ids = NULL;
	struct buf b = BUF_INIT;
	struct jw w;
	size_t i, n = 0;
	int active;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	if ((ra = apps_find(s, r, &id)) == NULL)
		goto out;
	if (httpd_req_method(r) == HTTPD_DELETE && apps_scale_and_wipe(r))
		goto out;
	ids = apps_task_ids(s, ra,
			    httpd_req_method(r) == HTTPD_DELETE
				? httpd_req_query(r, "host")
				: NULL,
			    &n, &active);
	/* Written before the kills change the tasks' states. */
	jw_init(&w, &b);
	jw_obj_open(&w);
	jw_key(&w, "tasks");
	jw_arr_open(&w);
	for (i = 0; i < n; i++)
		sched_api_info_task(&w, s, sched_tracker_find(s->tr, ids[i]));
	jw_arr_close(&w);
	jw_obj_close(&w);
	if (httpd_req_method(r) == HTTPD_GET) {
		apps_reply_buf(r, 200, &b);
		goto out;
	}
	apps_kill(r, s, ra, ids, n, active, &b);
out:
	buf_release(&b);
	apps_free_ids(ids, n);
	free(id);
}

static void
apps_task_kill(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	struct sched_rapp *ra;
	struct sched_task *t;
	const char *tid = httpd_req_param(r, "taskId");
	char *id, *one[1];
	struct buf b = BUF_INIT;
	struct jw w;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	if ((ra = apps_find(s, r, &id)) == NULL)
		goto out;
	if (apps_scale_and_wipe(r))
		goto out;
	t = tid != NULL ? sched_tracker_find(s->tr, tid) : NULL;
	if (t == NULL || strcmp(t->app_id, id) != 0) {
		char *msg = xasprintf("Task '%s' does not exist",
				      tid != NULL ? tid : "");

		httpd_reply_error(r, 404, msg, NULL);
		free(msg);
		goto out;
	}
	jw_init(&w, &b); /* before the kill changes its state */
	jw_obj_open(&w);
	jw_key(&w, "task");
	sched_api_info_task(&w, s, t);
	jw_obj_close(&w);
	one[0] = xstrdup(t->id);
	apps_kill(r, s, ra, one, 1, t->state != TASK_KILLING, &b);
	free(one[0]);
out:
	buf_release(&b);
	free(id);
}

static void
apps_versions(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	struct sched_rapp *ra;
	json_t *v;
	char *id;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	if ((ra = apps_find(s, r, &id)) != NULL) {
		if (sched_repo_versions(s->repo, id, &v) != 0)
			httpd_reply_error(r, 500, "reading the store failed",
					  NULL);
		else
			httpd_reply_json(r, 200,
					 json_pack("{s:o}", "versions", v));
	}
	free(id);
}

static void
apps_version(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	struct sched_rapp *ra;
	struct sched_app *app = NULL;
	struct cd_err err;
	char *id;
	int rc;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	cd_err_clear(&err);
	if ((ra = apps_find(s, r, &id)) != NULL) {
		rc = sched_repo_version_get(
		    s->repo, id, httpd_req_param(r, "version"), &app, &err);
		if (rc == -ENOENT)
			httpd_reply_error(r, 404, err.msg, NULL);
		else if (rc != 0)
			httpd_reply_error(r, 500, "reading the store failed",
					  NULL);
		else
			httpd_reply_json(r, 200, sched_app_to_json(app));
		sched_app_free(app);
	}
	free(id);
}

/* The more specific patterns first: "*id" would swallow their tails. */
const struct httpd_route sched_api_apps_routes[] = {
    {HTTPD_GET, "/v2/apps/*id/versions/:version", apps_version},
    {HTTPD_GET, "/v2/apps/*id/versions", apps_versions},
    {HTTPD_DELETE, "/v2/apps/*id/tasks/:taskId", apps_task_kill},
    {HTTPD_GET | HTTPD_DELETE, "/v2/apps/*id/tasks", apps_tasks},
    {HTTPD_POST, "/v2/apps/*id/restart", apps_restart},
    {HTTPD_GET | HTTPD_PUT | HTTPD_PATCH | HTTPD_DELETE, "/v2/apps/*id",
     apps_app},
    {HTTPD_GET | HTTPD_POST | HTTPD_PUT | HTTPD_PATCH, "/v2/apps", apps_root},
};
const size_t sched_api_apps_nroutes =
    sizeof sched_api_apps_routes / sizeof sched_api_apps_routes[0];
