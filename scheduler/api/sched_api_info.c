/*
 * sched_api_info.c: AppInfo and Task, written with lib/jw (see the
 * header). Design: a listing of a thousand apps, or of a hundred apps
 * with ten thousand tasks, used to build a jansson tree (a deep copy of
 * every definition, a node per value), dump it and free it; now each
 * value is written once into the reply's buffer, and an app's definition,
 * which changes only with a new version, is serialised once and kept.
 *
 * The definition cache lives in struct sched_rapp (def_text): an
 * installed definition is never changed in place, and sched_repo drops the
 * text whenever it replaces or frees the definition.
 *
 * Byte-for-byte the output is what the former trees dumped: definition
 * keys first, in their canonical order, then the AppInfo keys in the
 * order sched_api_info_app_json() sets them. Loop thread only.
 */
#include "scheduler/api/sched_api_info.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/json.h"
#include "lib/jw.h"
#include "lib/loop.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/core/sched_deploy_exec.h"
#include "scheduler/core/sched_health.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_repo.h"
#include "scheduler/core/sched_task.h"
#include "scheduler/core/sched_tracker.h"

int
sched_api_info_embed_word(const char *w)
{
	if (strcmp(w, "tasks") == 0)
		return SCHED_EMBED_TASKS;
	if (strcmp(w, "lastTaskFailure") == 0)
		return SCHED_EMBED_FAILURE;
	if (strcmp(w, "failures") == 0)
		return SCHED_EMBED_TASKS | SCHED_EMBED_FAILURE;
	if (strcmp(w, "counts") == 0 || strcmp(w, "count") == 0)
		return SCHED_EMBED_COUNTS;
	if (strcmp(w, "deployments") == 0)
		return SCHED_EMBED_DEPLOYMENTS;
	if (strcmp(w, "taskStats") == 0)
		return SCHED_EMBED_TASK_STATS;
	if (strcmp(w, "readiness") == 0)
		return SCHED_EMBED_READINESS;
	return 0;
}

/* ra's definition serialised: made once per definition and kept in ra
 * until sched_repo replaces or frees the definition. */
static const char *
info_def_text(struct sched_rapp *ra, size_t *len)
{
	struct buf b = BUF_INIT;
	json_t *j;

	if (ra->def_text == NULL) {
		j = sched_app_to_json(ra->app);
		if (json_dump_buf(j, &b) != 0)
			cd_assert_fail("json_dump_buf", __FILE__, __LINE__);
		json_decref(j);
		ra->def_text = buf_detach(&b, &ra->def_len);
	}
	*len = ra->def_len;
	return ra->def_text;
}

static int
info_dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

enum info_stats_kind {
	INFO_STATS_AFTER_SCALING,
	INFO_STATS_LATEST,
	INFO_STATS_OUTDATED,
	INFO_STATS_TOTAL,
	INFO_STATS_N
};

static const char *const info_stats_names[INFO_STATS_N] = {
    "startedAfterLastScaling", "withLatestConfig", "withOutdatedConfig",
    "totalSummary"};

/* taskStats: counts and lifetimes of the tasks by version class, each
 * class present only when it has tasks (task.raml TaskStatsByVersion). */
static json_t *
info_task_stats(const struct sched *s, const struct sched_rapp *ra)
{
	struct sched_task *const *tv;
	bool checks = json_array_size(sched_app_health_checks(ra->app)) > 0;
	long long now = loop_wall_ms();
	json_t *out = json_object();
	size_t i, n, k;

	tv = sched_tracker_app_tasks(s->tr, sched_app_id(ra->app), &n);
	for (k = 0; k < INFO_STATS_N; k++) {
		int staged = 0, running = 0, healthy = 0, unhealthy = 0;
		double *life = xcalloc(n + 1, sizeof *life), sum = 0;
		size_t nlife = 0, m = 0;
		json_t *st;

		for (i = 0; i < n; i++) {
			const struct sched_task *t = tv[i];
			bool cur = sched_task_current(ra, t);

			if ((k == INFO_STATS_AFTER_SCALING &&
			     strcmp(t->version, sched_app_version(ra->app)) <
				 0) ||
			    (k == INFO_STATS_LATEST && !cur) ||
			    (k == INFO_STATS_OUTDATED && cur))
				continue;
			m++;
			if (t->state == TASK_STAGING ||
			    t->state == TASK_STARTING)
				staged++;
			if (t->state != TASK_RUNNING)
				continue;
			running++;
			if (checks && sched_task_healthy(s, ra, t))
				healthy++;
			else if (checks)
				unhealthy++;
			if (t->started_ms > 0 && now >= t->started_ms) {
				life[nlife] =
				    (double)(now - t->started_ms) / 1000.0;
				sum += life[nlife++];
			}
		}
		if (m > 0) {
			st = json_pack("{s:{s:i, s:i, s:i, s:i}}", "counts",
				       "staged", staged, "running", running,
				       "healthy", healthy, "unhealthy",
				       unhealthy);
			if (nlife > 0) {
				qsort(life, nlife, sizeof *life, info_dbl_cmp);
				json_object_set_new(
				    st, "lifeTime",
				    json_pack(
					"{s:f, s:f}", "averageSeconds",
					sum / (double)nlife, "medianSeconds",
					nlife % 2 == 1 ? life[nlife / 2]
						       : (life[nlife / 2 - 1] +
							  life[nlife / 2]) /
							     2.0));
			}
			json_object_set_new(out, info_stats_names[k],
					    json_pack("{s:o}", "stats", st));
		}
		free(life);
	}
	return out;
}

/* "key": value, written only when value is not NULL (as jansson's
 * json_object_set_new(j, key, json_string(NULL)) sets nothing). */
static void
info_kstr_opt(struct jw *w, const char *key, const char *value)
{
	if (value != NULL)
		jw_kstr(w, key, value);
}

/* The Task of t; ra is its app, or NULL when it has none any more. */
static void
info_task(struct jw *w, const struct sched *s, const struct sched_rapp *ra,
	  const struct sched_task *t)
{
	json_t *hc;
	size_t i;

	jw_obj_open(w);
	info_kstr_opt(w, "id", t->id);
	info_kstr_opt(w, "appId", t->app_id);
	info_kstr_opt(w, "host", t->host);
	jw_key(w, "ipAddresses");
	if (t->ips != NULL) {
		jw_json(w, t->ips);
	} else {
		jw_arr_open(w);
		jw_arr_close(w);
	}
	jw_key(w, "ports");
	jw_arr_open(w);
	for (i = 0; i < t->nports; i++)
		jw_int(w, t->ports[i]);
	jw_arr_close(w);
	jw_key(w, "servicePorts");
	jw_arr_open(w);
	if (ra != NULL) {
		const uint32_t *sp = sched_app_service_ports(ra->app);

		for (i = 0; i < sched_app_service_port_count(ra->app); i++)
			jw_int(w, sp[i]);
	}
	jw_arr_close(w);
	info_kstr_opt(w, "slaveId", t->agent_id);
	jw_key(w, "stagedAt");
	jw_time_iso(w, t->staged_ms);
	if (t->started_ms > 0) { /* task.raml: startedAt? until it starts */
		jw_key(w, "startedAt");
		jw_time_iso(w, t->started_ms);
	}
	jw_kstr(w, "state", sched_task_state_name(t));
	info_kstr_opt(w, "version", t->version);
	jw_key(w, "localVolumes");
	jw_arr_open(w);
	jw_arr_close(w);
	jw_kstr(w, "role", "*");
	/* sched_health decides whether t has checks and what they say. */
	hc = sched_health_has_checks(s, ra, t) ? json_object() : NULL;
	if (hc != NULL)
		sched_health_app_task_json(s, ra, t, hc);
	if (json_object_size(hc) > 0) {
		const char *k;
		json_t *v;

		json_object_foreach(hc, k, v) {
			jw_key(w, k);
			jw_json(w, v);
		}
	}
	json_decref(hc);
	jw_obj_close(w);
}

void
sched_api_info_task(struct jw *w, const struct sched *s,
		    const struct sched_task *t)
{
	info_task(w, s, sched_repo_find(s->repo, t->app_id), t);
}

/* tasksStaged and tasksRunning of r. */
static void
info_counts(const struct sched *s, const struct sched_rapp *r, int *staged,
	    int *running)
{
	struct sched_tracker_counts k;
	int cur;

	*staged = *running = 0;
	sched_tracker_app_counts(s->tr, sched_app_id(r->app), r->config_version,
				 &k);
	for (cur = 0; cur < 2; cur++) {
		*running += k.n[cur][TASK_RUNNING];
		*staged += k.n[cur][TASK_STAGING] + k.n[cur][TASK_STARTING];
	}
}

/* The members an AppInfo adds after the definition's, in order. */
static void
info_app_members(struct jw *w, const struct sched *s,
		 const struct sched_rapp *ra, int embed)
{
	const char *ver = sched_app_version(ra->app);
	int staged, running, healthy, unhealthy;
	json_t *j;

	if (ver != NULL) {
		jw_key(w, "versionInfo");
		jw_obj_open(w);
		jw_kstr(w, "lastScalingAt", ver);
		jw_kstr(w, "lastConfigChangeAt",
			ra->config_version != NULL ? ra->config_version : ver);
		jw_obj_close(w);
	}
	info_counts(s, ra, &staged, &running);
	jw_kint(w, "tasksStaged", staged);
	jw_kint(w, "tasksRunning", running);
	sched_health_counts(s, ra, &healthy, &unhealthy);
	jw_kint(w, "tasksHealthy", healthy);
	jw_kint(w, "tasksUnhealthy", unhealthy);
	jw_key(w, "deployments");
	j = sched_deploy_exec_app_json(s, sched_app_id(ra->app));
	jw_json(w, j);
	json_decref(j);
	if (embed & SCHED_EMBED_TASKS) {
		struct sched_task *const *tv;
		size_t i, n;

		tv = sched_tracker_app_tasks(s->tr, sched_app_id(ra->app), &n);
		jw_key(w, "tasks");
		jw_arr_open(w);
		for (i = 0; i < n; i++)
			info_task(w, s, ra, tv[i]);
		jw_arr_close(w);
	}
	if ((embed & SCHED_EMBED_FAILURE) && ra->last_failure != NULL) {
		jw_key(w, "lastTaskFailure");
		jw_json(w, ra->last_failure);
	}
	if (embed & SCHED_EMBED_TASK_STATS) {
		j = info_task_stats(s, ra);
		jw_key(w, "taskStats");
		jw_json(w, j);
		json_decref(j);
	}
	if (embed & SCHED_EMBED_READINESS) {
		jw_key(w, "readinessCheckResults");
		jw_arr_open(w);
		jw_arr_close(w);
	}
}

void
sched_api_info_app(struct jw *w, const struct sched *s, struct sched_rapp *ra,
		   int embed)
{
	if (sched_app_version(ra->app) != NULL) {
		size_t len;
		const char *text = info_def_text(ra, &len);

		jw_obj_extend(w, text, len);
	} else { /* not installed yet: no version, nothing to cache */
		struct buf b = BUF_INIT;
		json_t *j = sched_app_to_json(ra->app);

		if (json_dump_buf(j, &b) != 0)
			cd_assert_fail("json_dump_buf", __FILE__, __LINE__);
		json_decref(j);
		jw_obj_extend(w, b.data, b.len);
		buf_release(&b);
	}
	info_app_members(w, s, ra, embed);
	jw_obj_close(w);
}

json_t *
sched_api_info_app_json(const struct sched *s, const struct sched_rapp *ra,
			int embed)
{
	/* A copy of the definition, as before the writer, and the added
	 * members parsed back from it: parsing the whole AppInfo would cost
	 * more than the copy (GET /v2/groups builds a tree of every app). */
	json_t *j = sched_app_to_json(ra->app), *more;
	struct buf b = BUF_INIT;
	json_error_t e;
	struct jw w;

	jw_init(&w, &b);
	jw_obj_open(&w);
	info_app_members(&w, s, ra, embed);
	jw_obj_close(&w);
	more = json_loadb(b.data, b.len, 0, &e);
	if (more == NULL)
		cd_assert_fail(e.text, __FILE__, __LINE__);
	json_object_update(j, more);
	json_decref(more);
	buf_release(&b);
	return j;
}
