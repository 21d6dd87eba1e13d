/*
 * sched_api_apps.c: the /v2/apps routes. Design: handlers only translate
 * HTTP to a struct sched_change and back; sched_apply() persists the
 * change (one store commit) before a handler answers, so a 2xx always
 * means committed. Ids from the URL go through sched_app_normalize_id, so
 * "ubuntu" finds "/ubuntu". Every AppInfo keeps the 0.5 fields (ports,
 * uris, executor from sched_app_to_json; tasksStaged, tasksRunning) and
 * adds only keys python3-marathon's MarathonApp accepts. Loop thread only.
 */
#include "scheduler/sched_api_apps.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "scheduler/sched_api_misc.h"
#include "scheduler/sched_app.h"
#include "scheduler/sched_events.h"
#include "scheduler/sched_hcheck.h"
#include "scheduler/sched_int.h"
#include "scheduler/sched_repo.h"
#include "scheduler/sched_tracker.h"

json_t *
sched_api_apps_info(const struct sched *s, const struct sched_rapp *ra,
		    int embed)
{
	json_t *j = sched_app_to_json(ra->app), *deps = json_array();
	const char *ver = sched_app_version(ra->app);
	int staged, running, healthy, unhealthy;

	sched_counts(s, ra, &staged, &running);
	if (json_object_get(j, "version") == NULL)
		json_object_set_new(j, "version", json_string(ver));
	json_object_set_new(
	    j, "versionInfo",
	    json_pack("{s:s, s:s}", "lastScalingAt", ver, "lastConfigChangeAt",
		      ra->config_version != NULL ? ra->config_version : ver));
	json_object_set_new(j, "tasksStaged", json_integer(staged));
	json_object_set_new(j, "tasksRunning", json_integer(running));
	sched_hcheck_counts(s, ra, &healthy, &unhealthy);
	json_object_set_new(j, "tasksHealthy", json_integer(healthy));
	json_object_set_new(j, "tasksUnhealthy", json_integer(unhealthy));
	if (ra->deployment_id != NULL)
		json_array_append_new(
		    deps, json_pack("{s:s}", "id", ra->deployment_id));
	json_object_set_new(j, "deployments", deps);
	if (embed & SCHED_EMBED_TASKS) {
		struct sched_task *const *tv;
		json_t *a = json_array();
		size_t i, n;

		tv = sched_tracker_app_tasks(s->tr, sched_app_id(ra->app), &n);
		for (i = 0; i < n; i++)
			json_array_append_new(a, sched_task_json(s, tv[i]));
		json_object_set_new(j, "tasks", a);
	}
	if ((embed & SCHED_EMBED_FAILURE) && ra->last_failure != NULL)
		json_object_set(j, "lastTaskFailure", ra->last_failure);
	return j;
}

/* The normalised app id of the URL, or NULL after answering 404. */
static char *
apps_id(struct httpd_req *r)
{
	const char *raw = httpd_req_param(r, "id");
	char *id = raw != NULL ? sched_app_normalize_id(raw, NULL) : NULL;

	if (id == NULL)
		sched_api_misc_reply_no_app(r, raw != NULL ? raw : "");
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
		sched_api_misc_reply_no_app(r, id);
	return ra;
}

/* embed= values, "apps." or "app." prefixed, comma-separated or not. */
static int
apps_embed(const struct httpd_req *r, int dflt)
{
	const char *e = httpd_req_query(r, "embed");
	int f = dflt;

	if (e == NULL)
		return dflt;
	if (strstr(e, ".tasks") != NULL)
		f |= SCHED_EMBED_TASKS;
	if (strstr(e, ".lastTaskFailure") != NULL)
		f |= SCHED_EMBED_FAILURE;
	if (strstr(e, ".failures") != NULL)
		f |= SCHED_EMBED_TASKS | SCHED_EMBED_FAILURE;
	return f;
}

/* One label selector term ("k", "k==v", "k!=v") against labels. */
static bool
apps_label_term(const json_t *labels, const char *term, size_t len)
{
	char *t = xstrndup(term, len), *k = t, *op, *v = NULL, *end;
	const char *have;
	bool eq = true, ok;

	while (*k == ' ')
		k++;
	end = k + strlen(k);
	while (end > k && end[-1] == ' ')
		*--end = '\0';
	if ((op = strstr(k, "==")) != NULL || (op = strstr(k, "!=")) != NULL) {
		eq = op[0] == '=';
		v = op + 2;
		while (op > k && op[-1] == ' ')
			op--;
		*op = '\0';
		while (*v == ' ')
			v++;
	}
	have = json_string_value(json_object_get(labels, k));
	if (v == NULL)
		ok = have != NULL;
	else
		ok = have != NULL && (strcmp(have, v) == 0) == eq;
	free(t);
	return ok;
}

static bool
apps_label_match(const json_t *labels, const char *sel)
{
	const char *p = sel;

	while (*p != '\0') {
		const char *c = strchr(p, ',');
		size_t len = c != NULL ? (size_t)(c - p) : strlen(p);

		if (!apps_label_term(labels, p, len))
			return false;
		p += len;
		if (*p == ',')
			p++;
	}
	return true;
}

static void
apps_list(struct httpd_req *r, struct sched *s)
{
	const char *cmd = httpd_req_query(r, "cmd");
	const char *idf = httpd_req_query(r, "id");
	const char *label = httpd_req_query(r, "label");
	int embed = apps_embed(r, 0);
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < sched_repo_count(s->repo); i++) {
		const struct sched_rapp *ra = sched_repo_at(s->repo, i);
		const char *c = sched_app_cmd(ra->app);

		if (cmd != NULL && (c == NULL || strstr(c, cmd) == NULL))
			continue;
		if (idf != NULL && strstr(sched_app_id(ra->app), idf) == NULL)
			continue;
		if (label != NULL &&
		    !apps_label_match(sched_app_labels(ra->app), label))
			continue;
		json_array_append_new(a, sched_api_apps_info(s, ra, embed));
	}
	httpd_reply_json(r, 200, json_pack("{s:o}", "apps", a));
}

static void
apps_reply_created(struct httpd_req *r, struct sched *s,
		   const struct sched_change *c, const char *id, bool full)
{
	char *loc = xasprintf("http://%s/v2/apps%s", httpd_req_host(r), id);
	const struct sched_rapp *ra = sched_repo_find(s->repo, id);

	httpd_reply_header(r, "Location", loc);
	free(loc);
	if (!full || ra == NULL) {
		sched_api_misc_reply_deployment(r, 201, c);
		return;
	}
	httpd_reply_header(r, "Marathon-Deployment-Id", c->deployment_id);
	httpd_reply_json(r, 201,
			 sched_api_apps_info(
			     s, ra, SCHED_EMBED_TASKS | SCHED_EMBED_FAILURE));
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
	if ((body = sched_api_misc_body(r)) == NULL)
		return;
	rc = sched_app_parse(body, NULL, &c.app, &err);
	json_decref(body);
	if (rc != 0) {
		sched_api_misc_reply_invalid(r, rc, &err);
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
		sched_api_misc_reply_apply_error(r, rc, &err);
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
	char *id;

	if ((ra = apps_find(s, r, &id)) != NULL)
		httpd_reply_json(
		    r, 200,
		    json_pack("{s:o}", "app",
			      sched_api_apps_info(s, ra,
						  SCHED_EMBED_TASKS |
						      SCHED_EMBED_FAILURE)));
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
		sched_api_misc_reply_no_app(r, id);
		goto out;
	}
	if ((body = sched_api_misc_body(r)) == NULL)
		goto out;
	if (!json_is_object(body)) {
		cd_err_setp(&err, -EBADMSG, "/", "error.expected.jsobject");
		sched_api_misc_reply_invalid(r, -EBADMSG, &err);
		goto out;
	}
	if ((rb = apps_rollback_version(body)) != NULL) {
		if (ra == NULL) {
			sched_api_misc_reply_no_app(r, id);
			goto out;
		}
		rc = sched_repo_version_get(s->repo, id, rb, &c.app, &err);
		if (rc == -ENOENT) {
			httpd_reply_error(r, 404, err.msg, NULL);
			goto out;
		} else if (rc != 0) {
			sched_api_misc_reply_apply_error(r, rc, &err);
			goto out;
		}
		c.rollback = true;
	} else if (ra != NULL &&
		   (patch || sched_api_misc_flag(r, "partialUpdate", true))) {
		json_object_del(body, "id"); /* the URL names the app */
		rc = sched_app_patch(ra->app, body, &c.app, &err);
		if (rc != 0) {
			sched_api_misc_reply_invalid(r, rc, &err);
			goto out;
		}
	} else {
		rc = sched_app_parse(body, id, &c.app, &err);
		if (rc != 0) {
			sched_api_misc_reply_invalid(r, rc, &err);
			goto out;
		}
	}
	rc = sched_apply(s, &c, &err);
	if (rc == 0)
		apps_post_event(r, s, id);
	if (rc != 0)
		sched_api_misc_reply_apply_error(r, rc, &err);
	else if (c.created)
		apps_reply_created(r, s, &c, id, false);
	else
		sched_api_misc_reply_deployment(r, 200, &c);
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

static void
apps_delete(struct httpd_req *r, struct sched *s)
{
	struct sched_change c;
	struct sched_rapp *ra;
	struct cd_err err;
	char *id, **ids = NULL;
	size_t n = 0;
	int active, rc;

	memset(&c, 0, sizeof c);
	cd_err_clear(&err);
	if ((ra = apps_find(s, r, &id)) == NULL)
		goto out;
	ids = apps_task_ids(s, ra, NULL, &n, &active);
	c.delete_id = id;
	c.kill_ids = ids;
	c.nkill = n;
	rc = sched_apply(s, &c, &err);
	if (rc != 0)
		sched_api_misc_reply_apply_error(r, rc, &err);
	else
		sched_api_misc_reply_deployment(r, 200, &c);
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
	struct cd_err err;
	char *id;
	int rc;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	memset(&c, 0, sizeof c);
	cd_err_clear(&err);
	if ((ra = apps_find(s, r, &id)) != NULL) {
		c.app = sched_app_dup(ra->app);
		c.restart = true;
		rc = sched_apply(s, &c, &err);
		if (rc != 0)
			sched_api_misc_reply_apply_error(r, rc, &err);
		else
			sched_api_misc_reply_deployment(r, 200, &c);
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

static void
apps_root(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	if (httpd_req_method(r) == HTTPD_POST)
		apps_create(r, s);
	else
		apps_list(r, s);
}

/* Kill ids of ra, scaling down by the active ones when scale. */
static int
apps_kill(struct sched *s, const struct sched_rapp *ra, char **ids, size_t n,
	  int nactive, bool scale, struct sched_change *c, struct cd_err *err)
{
	memset(c, 0, sizeof *c);
	c->kill_ids = ids;
	c->nkill = n;
	if (scale && nactive > 0) {
		int inst = sched_app_instances(ra->app) - nactive;

		c->app = sched_app_dup(ra->app);
		sched_app_set_instances(c->app, inst < 0 ? 0 : inst);
	}
	return sched_apply(s, c, err);
}

static void
apps_tasks(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	struct sched_change c;
	struct sched_rapp *ra;
	struct cd_err err;
	bool scale = sched_api_misc_flag(r, "scale", false);
	char *id, **ids = NULL;
	json_t *a = json_array();
	size_t i, n = 0;
	int active, rc;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	cd_err_clear(&err);
	if ((ra = apps_find(s, r, &id)) == NULL)
		goto out;
	ids = apps_task_ids(s, ra,
			    httpd_req_method(r) == HTTPD_DELETE
				? httpd_req_query(r, "host")
				: NULL,
			    &n, &active);
	for (i = 0; i < n; i++)
		json_array_append_new(
		    a, sched_task_json(s, sched_tracker_find(s->tr, ids[i])));
	if (httpd_req_method(r) == HTTPD_GET) {
		httpd_reply_json(r, 200, json_pack("{s:O}", "tasks", a));
		goto out;
	}
	rc = apps_kill(s, ra, ids, n, active, scale, &c, &err);
	if (rc != 0)
		sched_api_misc_reply_apply_error(r, rc, &err);
	else if (scale)
		sched_api_misc_reply_deployment(r, 200, &c);
	else
		httpd_reply_json(r, 200, json_pack("{s:O}", "tasks", a));
out:
	json_decref(a);
	apps_free_ids(ids, n);
	free(id);
}

static void
apps_task_kill(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	struct sched_change c;
	struct sched_rapp *ra;
	struct sched_task *t;
	struct cd_err err;
	const char *tid = httpd_req_param(r, "taskId");
	bool scale = sched_api_misc_flag(r, "scale", false);
	char *id, *one[1];
	json_t *tj;
	int rc;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	cd_err_clear(&err);
	if ((ra = apps_find(s, r, &id)) == NULL)
		goto out;
	t = tid != NULL ? sched_tracker_find(s->tr, tid) : NULL;
	if (t == NULL || strcmp(t->app_id, id) != 0) {
		char *msg = xasprintf("Task '%s' does not exist",
				      tid != NULL ? tid : "");

		httpd_reply_error(r, 404, msg, NULL);
		free(msg);
		goto out;
	}
	tj = sched_task_json(s, t);
	one[0] = xstrdup(t->id);
	rc =
	    apps_kill(s, ra, one, 1, t->state != TASK_KILLING, scale, &c, &err);
	free(one[0]);
	if (rc != 0) {
		json_decref(tj);
		sched_api_misc_reply_apply_error(r, rc, &err);
	} else if (scale) {
		json_decref(tj);
		sched_api_misc_reply_deployment(r, 200, &c);
	} else {
		httpd_reply_json(r, 200, json_pack("{s:o}", "task", tj));
	}
out:
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
    {HTTPD_GET | HTTPD_POST, "/v2/apps", apps_root},
};
const size_t sched_api_apps_nroutes =
    sizeof sched_api_apps_routes / sizeof sched_api_apps_routes[0];
