/*
 * sched_api_tasks.c: GET /v2/tasks (status= filters) and POST
 * /v2/tasks/delete. Design: as in Marathon, only a malformed task id is an
 * error (400); ids of tasks that no longer run are skipped. With
 * scale=true each app touched gets one change (its instances lowered by
 * its killed tasks), all in one deployment committed before the kills are
 * sent. Loop thread only.
 */
#include "scheduler/api/sched_api_tasks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/bodycache.h"
#include "lib/buf.h"
#include "lib/jw.h"
#include "lib/xalloc.h"
#include "scheduler/api/sched_api.h"
#include "scheduler/api/sched_api_info.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/core/sched_apply.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_repo.h"
#include "scheduler/core/sched_task.h"
#include "scheduler/core/sched_tracker.h"

/* Whether t's state matches one status= word ("running", "staging",
 * "killing", ...: the Mesos state without TASK_, any case). */
static bool
tasks_status_match(const struct sched_task *t, const char *want)
{
	const char *name = sched_task_state_name(t);

	if (strncmp(name, "TASK_", 5) == 0)
		name += 5;
	if (strcasecmp(want, "staging") == 0 && t->state == TASK_STARTING)
		return true; /* Marathon 0.x counted starting as staging */
	return strcasecmp(want, name) == 0;
}

static int
tasks_word_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The status= / status[]= filters (repeated or comma-separated) as one
 * string: the words lowercased, sorted, once each, joined by commas; ""
 * when there is none (every task passes). Owned by the caller.
 */
static char *
tasks_filter(const struct httpd_req *r)
{
	static const char *const keys[] = {"status", "status[]"};
	struct buf out = BUF_INIT;
	char **words = NULL;
	size_t k, i, n = 0, cap = 0;

	for (k = 0; k < 2; k++) {
		const char *v;
		size_t pos = 0;

		while ((v = httpd_req_query_next(r, keys[k], &pos)) != NULL) {
			char *copy = xstrdup(v), *w = copy, *next;

			for (; w != NULL; w = next) {
				char *p;

				if ((next = strchr(w, ',')) != NULL)
					*next++ = '\0';
				if (*w == '\0')
					continue;
				for (p = w; *p != '\0'; p++)
					if (*p >= 'A' && *p <= 'Z')
						*p = (char)(*p - 'A' + 'a');
				XGROW(words, n + 1, cap);
				words[n++] = xstrdup(w);
			}
			free(copy);
		}
	}
	if (n > 1)
		qsort(words, n, sizeof *words, tasks_word_cmp);
	buf_puts(&out, "");
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(words[i], words[i - 1]) == 0)
			continue;
		if (out.len > 0)
			buf_puts(&out, ",");
		buf_puts(&out, words[i]);
	}
	for (i = 0; i < n; i++)
		free(words[i]);
	free(words);
	return buf_detach(&out, NULL);
}

/* Whether t passes filter (tasks_filter(); "" lets every task pass). */
static bool
tasks_wanted(const char *filter, const struct sched_task *t)
{
	const char *w = filter, *end;
	char word[64];

	if (*w == '\0')
		return true;
	for (; *w != '\0'; w = *end == ',' ? end + 1 : end) {
		size_t n;

		end = strchr(w, ',');
		if (end == NULL)
			end = w + strlen(w);
		n = (size_t)(end - w);
		if (n >= sizeof word)
			continue; /* no state is named that long */
		memcpy(word, w, n);
		word[n] = '\0';
		if (tasks_status_match(t, word))
			return true;
	}
	return false;
}

/* The listing of the tasks filter lets through into b (a
 * bodycache_build_fn). */
static int
tasks_list_build(void *arg, void *params, struct buf *b)
{
	struct sched *s = arg;
	const char *filter = params;
	struct jw w;
	size_t i;

	jw_init(&w, b);
	jw_obj_open(&w);
	jw_key(&w, "tasks");
	jw_arr_open(&w);
	for (i = 0; i < sched_tracker_count(s->tr); i++) {
		const struct sched_task *t = sched_tracker_at(s->tr, i);

		if (tasks_wanted(filter, t))
			sched_api_info_task(&w, s, t);
	}
	jw_arr_close(&w);
	jw_obj_close(&w);
	return 200;
}

/* GET /v2/tasks: from the list cache, keyed by the normalised filter. */
static void
tasks_list(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	char *filter, *key;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	filter = tasks_filter(r);
	key = xasprintf("GET /v2/tasks status=%s", filter);
	bodycache_serve(s->lists, r, key, tasks_list_build, filter, free);
	free(key);
}

/*
 * POST /v2/tasks/delete {"ids": [...]}: kill the tasks (ids of tasks that
 * no longer run are skipped; a malformed id is 400). scale=true lowers
 * each app's instances by its killed tasks, all apps in one deployment;
 * wipe=true (no persistent volumes here) kills the same way.
 */
static void
tasks_delete(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	bool scale = sched_api_flag(r, "scale", false);
	json_t *body = NULL, *ids, *v;
	json_t *apps = json_object(); /* app id -> [task ids] */
	struct buf out = BUF_INIT;    /* {"tasks": [...]} as they were */
	struct jw w;
	struct sched_change *cv = NULL;
	struct sched_apply_opts o;
	struct cd_err err;
	const char *app_id;
	size_t i, nc = 0;
	int rc = 0;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	memset(&o, 0, sizeof o);
	cd_err_clear(&err);
	if (scale && sched_api_flag(r, "wipe", false)) {
		httpd_reply_error(
		    r, 400, "You cannot use scale and wipe at the same time.",
		    NULL);
		goto out;
	}
	if ((body = sched_api_body(r)) == NULL)
		goto out;
	jw_init(&w, &out);
	jw_obj_open(&w);
	jw_key(&w, "tasks");
	jw_arr_open(&w);
	ids = json_object_get(body, "ids");
	if (!json_is_array(ids)) {
		cd_err_setp(&err, -EINVAL, "/ids", "error.expected.jsarray");
		sched_api_reply_invalid(r, -EBADMSG, &err);
		goto out;
	}
	json_array_foreach(ids, i, v) {
		const char *id = json_string_value(v);
		char *app = id != NULL ? id_task_app(id) : NULL;
		const struct sched_task *t;
		json_t *list;

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
		list = json_object_get(apps, t->app_id);
		if (list == NULL) {
			list = json_array();
			json_object_set_new(apps, t->app_id, list);
		} else {
			size_t k;
			json_t *x;
			bool dup = false;

			json_array_foreach(list, k, x)
				dup = dup ||
				      strcmp(json_string_value(x), t->id) == 0;
			if (dup)
				continue; /* listed twice: kill (and scale)
					     once */
		}
		json_array_append_new(list, json_string(t->id));
		sched_api_info_task(&w, s, t);
	}
	jw_arr_close(&w);
	jw_obj_close(&w);
	/* One change per app, all in one deployment. */
	cv = xcalloc(json_object_size(apps) + 1, sizeof *cv);
	json_object_foreach(apps, app_id, v) {
		struct sched_rapp *ra = sched_repo_find(s->repo, app_id);
		struct sched_change *c = &cv[nc++];
		int active = 0;
		size_t k;
		json_t *x;

		c->kill_ids = xcalloc(json_array_size(v) + 1, sizeof(char *));
		json_array_foreach(v, k, x) {
			const struct sched_task *t =
			    sched_tracker_find(s->tr, json_string_value(x));

			c->kill_ids[c->nkill++] = xstrdup(json_string_value(x));
			if (t != NULL && t->state != TASK_KILLING)
				active++;
		}
		if (scale && ra != NULL && active > 0) {
			int inst = sched_app_instances(ra->app) - active;

			c->app = sched_app_dup(ra->app);
			sched_app_set_instances(c->app, inst < 0 ? 0 : inst);
		}
	}
	o.force = sched_api_flag(r, "force", false);
	rc = sched_apply_many(s, cv, nc, &o, &err);
	if (rc != 0)
		sched_api_reply_error(r, rc, &err, o.locked);
	else if (scale)
		sched_api_reply_deployment(
		    r, 200, o.deployment_id[0] != '\0' ? o.deployment_id : "",
		    o.version);
	else
		httpd_reply(r, 200, "application/json", out.data, out.len);
out:
	for (i = 0; i < nc; i++) {
		size_t k;

		for (k = 0; k < cv[i].nkill; k++)
			free(cv[i].kill_ids[k]);
		free(cv[i].kill_ids);
		sched_app_free(cv[i].app);
	}
	free(cv);
	json_decref(apps);
	buf_release(&out);
	json_decref(body);
}

const struct httpd_route sched_api_tasks_routes[] = {
    {HTTPD_POST, "/v2/tasks/delete", tasks_delete},
    {HTTPD_GET, "/v2/tasks", tasks_list},
};
const size_t sched_api_tasks_nroutes =
    sizeof sched_api_tasks_routes / sizeof sched_api_tasks_routes[0];
