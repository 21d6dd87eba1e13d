/*
 * sched_api_tasks.c: GET /v2/tasks and POST /v2/tasks/delete. Design: as
 * in Marathon, only a malformed task id is an error (400); ids of tasks
 * that no longer run are skipped. With scale=true each app touched gets
 * one change (its instances lowered by its killed tasks), committed before
 * its kills are sent; the reply is the last deployment. Loop thread only.
 */
#include "scheduler/sched_api_tasks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "scheduler/sched_api_misc.h"
#include "scheduler/sched_app.h"
#include "scheduler/sched_int.h"
#include "scheduler/sched_repo.h"
#include "scheduler/sched_tracker.h"

static void
tasks_list(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	const char *status = httpd_req_query(r, "status");
	json_t *a = json_array();
	size_t i;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	if (status == NULL)
		status = httpd_req_query(r, "status[]");
	for (i = 0; i < sched_tracker_count(s->tr); i++) {
		const struct sched_task *t = sched_tracker_at(s->tr, i);

		if (status != NULL && strcmp(status, "running") == 0 &&
		    t->state != TASK_RUNNING)
			continue;
		if (status != NULL && strcmp(status, "staging") == 0 &&
		    t->state != TASK_STAGING && t->state != TASK_STARTING)
			continue;
		json_array_append_new(a, sched_task_json(s, t));
	}
	httpd_reply_json(r, 200, json_pack("{s:o}", "tasks", a));
}

/* Kill the ids of one app (all borrowed), lowering instances when scale. */
static int
tasks_kill_app(struct sched *s, const char *app_id, char **ids, size_t n,
	       bool scale, struct sched_change *c, struct cd_err *err)
{
	struct sched_rapp *ra = sched_repo_find(s->repo, app_id);
	size_t i;
	int active = 0;

	memset(c, 0, sizeof *c);
	c->kill_ids = ids;
	c->nkill = n;
	for (i = 0; i < n; i++) {
		const struct sched_task *t = sched_tracker_find(s->tr, ids[i]);

		if (t != NULL && t->state != TASK_KILLING)
			active++;
	}
	if (scale && ra != NULL && active > 0) {
		int inst = sched_app_instances(ra->app) - active;

		c->app = sched_app_dup(ra->app);
		sched_app_set_instances(c->app, inst < 0 ? 0 : inst);
	}
	return sched_apply(s, c, err);
}

static void
tasks_delete(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	bool scale = sched_api_misc_flag(r, "scale", false);
	json_t *body, *ids, *v, *out = json_array();
	char **known = NULL;
	size_t i, j, n = 0;
	struct sched_change c;
	struct cd_err err;
	int rc = 0;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	memset(&c, 0, sizeof c);
	cd_err_clear(&err);
	if ((body = sched_api_misc_body(r)) == NULL)
		goto out;
	ids = json_object_get(body, "ids");
	if (!json_is_array(ids)) {
		cd_err_setp(&err, -EINVAL, "/ids", "error.expected.jsarray");
		sched_api_misc_reply_invalid(r, -EBADMSG, &err);
		goto out;
	}
	known = xcalloc(json_array_size(ids) + 1, sizeof *known);
	json_array_foreach(ids, i, v)
	{
		const char *id = json_string_value(v);
		char *app = id != NULL ? id_task_app(id) : NULL;
		const struct sched_task *t;

		if (app == NULL) {
			char *msg = xasprintf("Invalid task id '%s'.",
					      id != NULL ? id : "");

			httpd_reply_error(r, 400, msg, NULL);
			free(msg);
			goto out;
		}
		free(app);
		if ((t = sched_tracker_find(s->tr, id)) == NULL)
			continue;
		for (j = 0; j < n && strcmp(known[j], id) != 0; j++)
			;
		if (j < n)
			continue; /* listed twice: kill (and scale) once */
		known[n++] = xstrdup(t->id);
		json_array_append_new(out, sched_task_json(s, t));
	}
	/* One change per app, so each app's scale-down is its own version. */
	for (i = 0; rc == 0 && i < n; i++) {
		const struct sched_task *t;
		char **mine;
		char *app_id;
		size_t m = 0;

		if (known[i] == NULL)
			continue;
		/* Re-find: an earlier app's kills may have ended tasks. */
		if ((t = sched_tracker_find(s->tr, known[i])) == NULL) {
			free(known[i]);
			known[i] = NULL;
			continue;
		}
		app_id = xstrdup(t->app_id);
		mine = xcalloc(n + 1, sizeof *mine);
		for (j = i; j < n; j++) {
			if (known[j] == NULL ||
			    (t = sched_tracker_find(s->tr, known[j])) == NULL)
				continue;
			if (strcmp(t->app_id, app_id) == 0) {
				mine[m++] = known[j]; /* moved */
				known[j] = NULL;
			}
		}
		rc = tasks_kill_app(s, app_id, mine, m, scale, &c, &err);
		for (j = 0; j < m; j++)
			free(mine[j]);
		free(mine);
		free(app_id);
	}
	if (rc != 0)
		sched_api_misc_reply_apply_error(r, rc, &err);
	else if (scale && c.deployment_id[0] != '\0')
		sched_api_misc_reply_deployment(r, 200, &c);
	else if (scale)
		httpd_reply_json(
		    r, 200,
		    json_pack("{s:s, s:s}", "deploymentId", "", "version", ""));
	else {
		httpd_reply_json(r, 200, json_pack("{s:O}", "tasks", out));
	}
out:
	for (i = 0; i < n; i++)
		free(known[i]);
	free(known);
	json_decref(out);
	json_decref(body);
}

const struct httpd_route sched_api_tasks_routes[] = {
    {HTTPD_POST, "/v2/tasks/delete", tasks_delete},
    {HTTPD_GET, "/v2/tasks", tasks_list},
};
const size_t sched_api_tasks_nroutes =
    sizeof sched_api_tasks_routes / sizeof sched_api_tasks_routes[0];
