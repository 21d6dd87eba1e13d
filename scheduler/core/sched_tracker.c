/*
 * sched_tracker.c: owns the scheduler's tasks in memory and encodes their
 * store records. Design: every task sits in one flat array (for scans:
 * timeouts, /v2/tasks) and in one per-app group array (for counting an
 * app's tasks on every offer without scanning them all); two lib/idmap
 * indexes map task id -> task and app id -> group. Removal swaps with the
 * last element, so positions are kept in the task (idx, gidx) and every
 * operation is O(1) on average. The index keys are borrowed from the
 * values they index (task->id, group->app_id).
 *
 * Each group also keeps its tasks counted by state and by version (current
 * or older than the app's config version), so that the scheduler can plan
 * an app without walking its tasks on every offer and status update. The
 * tracker does not know the apps: the config version comes with each
 * sched_tracker_app_counts() call, and the group recomputes its split (one
 * pass, one strcmp per task) only when that version differs from the
 * previous call's. Every state change of a tracked task goes through
 * sched_tracker_set_state() so the counts stay exact. Loop thread only.
 */
#include "scheduler/core/sched_tracker.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/idmap.h"
#include "lib/json.h"
#include "lib/loop.h"
#include "lib/store.h"
#include "lib/xalloc.h"
#include "scheduler/core/sched_int.h"

struct tr_group {
	char *app_id;		   /* owned */
	struct sched_task **tasks; /* owned array of borrowed tasks */
	size_t n;
	size_t cap;
	char *cfg; /* owned or NULL (same as ""): the config version that
		      the tasks' cur flags were computed against */
	struct sched_tracker_counts k; /* tasks by [cur][state] */
};

struct sched_tracker {
	struct sched_task **all; /* owned array of owned tasks */
	size_t n;
	size_t cap;
	struct idmap *by_id;  /* owned: task id -> struct sched_task */
	struct idmap *by_app; /* owned: app id -> struct tr_group (owned) */
	uint64_t gen;	      /* changes of the tasks (sched_tracker_gen) */
};

static void
tr_group_free(struct tr_group *g)
{
	free(g->tasks);
	free(g->app_id);
	free(g->cfg);
	free(g);
}

/* Whether version v is current against the config version cfg. */
static bool
tr_cur(const char *v, const char *cfg)
{
	return cfg == NULL || strcmp(v, cfg) >= 0;
}

static void
tr_count(struct tr_group *g, const struct sched_task *t, int d)
{
	int i;

	CD_ASSERT((unsigned)t->state < TASK_STATE_COUNT);
	g->k.n[t->cur][t->state] += d;
	CD_ASSERT(g->k.n[t->cur][t->state] >= 0);
	for (i = 0; i < SCHED_TASK_NFLAGS; i++) {
		if ((t->flags & SCHED_TASK_F(i)) == 0)
			continue;
		g->k.f[t->cur][i] += d;
		CD_ASSERT(g->k.f[t->cur][i] >= 0);
	}
}

struct sched_tracker *
sched_tracker_new(void)
{
	struct sched_tracker *tr = xcalloc(1, sizeof *tr);

	tr->by_id = idmap_new();
	tr->by_app = idmap_new();
	return tr;
}

void
sched_tracker_free(struct sched_tracker *tr)
{
	void *g;
	size_t i;

	if (tr == NULL)
		return;
	i = 0;
	while (idmap_next(tr->by_app, &i, NULL, &g))
		tr_group_free(g);
	for (i = 0; i < tr->n; i++)
		sched_tracker_task_free(tr->all[i]);
	free(tr->all);
	idmap_free(tr->by_id);
	idmap_free(tr->by_app);
	free(tr);
}

void
sched_tracker_add(struct sched_tracker *tr, struct sched_task *t)
{
	struct tr_group *g;

	AZ(idmap_put(tr->by_id, t->id, t));
	XGROW(tr->all, tr->n + 1, tr->cap);
	t->idx = tr->n;
	tr->all[tr->n++] = t;

	g = idmap_get(tr->by_app, t->app_id);
	if (g == NULL) {
		g = xcalloc(1, sizeof *g);
		g->app_id = xstrdup(t->app_id);
		AZ(idmap_put(tr->by_app, g->app_id, g));
	}
	XGROW(g->tasks, g->n + 1, g->cap);
	t->gidx = g->n;
	g->tasks[g->n++] = t;
	t->cur = tr_cur(t->version, g->cfg);
	tr_count(g, t, 1);
	tr->gen++;
}

struct sched_task *
sched_tracker_find(const struct sched_tracker *tr, const char *id)
{
	return idmap_get(tr->by_id, id);
}

void
sched_tracker_remove(struct sched_tracker *tr, struct sched_task *t)
{
	struct tr_group *g = idmap_get(tr->by_app, t->app_id);

	CD_ASSERT(t->idx < tr->n && tr->all[t->idx] == t);
	tr->gen++;
	tr->all[t->idx] = tr->all[--tr->n];
	tr->all[t->idx]->idx = t->idx;
	(void)idmap_del(tr->by_id, t->id);

	AN(g);
	CD_ASSERT(t->gidx < g->n && g->tasks[t->gidx] == t);
	tr_count(g, t, -1);
	g->tasks[t->gidx] = g->tasks[--g->n];
	g->tasks[t->gidx]->gidx = t->gidx;
	if (g->n == 0) {
		(void)idmap_del(tr->by_app, g->app_id);
		tr_group_free(g);
	}
	sched_tracker_task_free(t);
}

void
sched_tracker_set_state(struct sched_tracker *tr, struct sched_task *t,
			enum task_state state)
{
	struct tr_group *g = idmap_get(tr->by_app, t->app_id);

	AN(g);
	CD_ASSERT(t->gidx < g->n && g->tasks[t->gidx] == t);
	tr_count(g, t, -1);
	t->state = state;
	tr_count(g, t, 1);
	tr->gen++;
}

void
sched_tracker_set_flags(struct sched_tracker *tr, struct sched_task *t,
			unsigned flags)
{
	struct tr_group *g = idmap_get(tr->by_app, t->app_id);

	AN(g);
	CD_ASSERT(t->gidx < g->n && g->tasks[t->gidx] == t);
	tr_count(g, t, -1);
	t->flags = flags;
	tr_count(g, t, 1);
	tr->gen++;
}

uint64_t
sched_tracker_gen(const struct sched_tracker *tr)
{
	return tr->gen;
}

void
sched_tracker_app_counts(struct sched_tracker *tr, const char *app_id,
			 const char *cfg, struct sched_tracker_counts *out)
{
	struct tr_group *g = idmap_get(tr->by_app, app_id);
	size_t i;

	if (cfg != NULL && cfg[0] == '\0')
		cfg = NULL; /* every version is at least "" */
	if (g == NULL) {
		memset(out, 0, sizeof *out);
		return;
	}
	if ((g->cfg == NULL) != (cfg == NULL) ||
	    (cfg != NULL && strcmp(g->cfg, cfg) != 0)) {
		/* The app's config version changed: split its tasks again. */
		free(g->cfg);
		g->cfg = cfg != NULL ? xstrdup(cfg) : NULL;
		memset(&g->k, 0, sizeof g->k);
		for (i = 0; i < g->n; i++) {
			g->tasks[i]->cur = tr_cur(g->tasks[i]->version, g->cfg);
			tr_count(g, g->tasks[i], 1);
		}
	}
	*out = g->k;
}

size_t
sched_tracker_count(const struct sched_tracker *tr)
{
	return tr->n;
}

struct sched_task *
sched_tracker_at(const struct sched_tracker *tr, size_t i)
{
	CD_ASSERT(i < tr->n);
	return tr->all[i];
}

struct sched_task *const *
sched_tracker_app_tasks(const struct sched_tracker *tr, const char *app_id,
			size_t *n)
{
	const struct tr_group *g = idmap_get(tr->by_app, app_id);

	*n = g != NULL ? g->n : 0;
	return g != NULL ? g->tasks : NULL;
}

struct sched_task *
sched_tracker_task_new(const struct wire_task *wt, const char *host,
		       const uint32_t *ports, size_t nports,
		       long long staged_ms, uint64_t now_ms)
{
	struct sched_task *t = xcalloc(1, sizeof *t);

	t->id = xstrdup(wt->task_id);
	t->app_id = xstrdup(wt->app_id);
	t->version = xstrdup(wt->version != NULL ? wt->version : "");
	t->agent_id = xstrdup(wt->agent_id != NULL ? wt->agent_id : "");
	t->host = xstrdup(host != NULL ? host : "");
	t->state = TASK_STAGING;
	t->staged_ms = staged_ms;
	t->since_ms = now_ms;
	if (nports > 0) {
		t->ports = xcalloc(nports, sizeof *t->ports);
		memcpy(t->ports, ports, nports * sizeof *t->ports);
	}
	t->nports = nports;
	t->task = wire_task_encode(wt);
	return t;
}

void
sched_tracker_task_free(struct sched_task *t)
{
	if (t == NULL)
		return;
	free(t->id);
	free(t->app_id);
	free(t->version);
	free(t->agent_id);
	free(t->host);
	free(t->ports);
	json_decref(t->task);
	json_decref(t->ips);
	free(t);
}

static json_t *
tr_iso_or_null(long long ms)
{
	char iso[SCHED_ISO_LEN];

	if (ms <= 0)
		return json_null();
	json_time_iso(ms, iso);
	return json_string(iso);
}

json_t *
sched_tracker_record(const struct sched_task *t, enum task_state state)
{
	json_t *j = json_object(), *ports = json_array();
	size_t i;

	for (i = 0; i < t->nports; i++)
		json_array_append_new(ports, json_integer(t->ports[i]));
	json_object_set(j, "task", t->task != NULL ? t->task : json_null());
	json_object_set_new(j, "state", json_string(task_state_name(state)));
	json_object_set_new(j, "appId", json_string(t->app_id));
	json_object_set_new(j, "version", json_string(t->version));
	json_object_set_new(j, "host", json_string(t->host));
	json_object_set_new(j, "agentId", json_string(t->agent_id));
	json_object_set_new(j, "ports", ports);
	json_object_set_new(j, "stagedAt", tr_iso_or_null(t->staged_ms));
	json_object_set_new(j, "stagedMs", json_integer(t->staged_ms));
	json_object_set_new(j, "startedAt", tr_iso_or_null(t->started_ms));
	json_object_set_new(j, "startedMs", json_integer(t->started_ms));
	if (state == TASK_UNREACHABLE)
		json_object_set_new(j, "unreachableMs",
				    json_integer(t->unreachable_ms));
	if (t->ips != NULL)
		json_object_set(j, "ipAddresses", t->ips);
	return j;
}

static int
tr_put_record(struct store *st, struct store_batch *b,
	      const struct sched_task *t, enum task_state state)
{
	json_t *j = sched_tracker_record(t, state);
	char *key = xasprintf("task/%s", t->id);
	struct buf v = BUF_INIT;
	int rc;

	rc = json_dump_buf(j, &v);
	if (rc == 0)
		rc =
		    b != NULL
			? store_batch_put(b, STORE_DB_SCHED, key, v.data, v.len)
			: store_put(st, STORE_DB_SCHED, key, v.data, v.len);
	buf_release(&v);
	free(key);
	json_decref(j);
	return rc;
}

int
sched_tracker_stage(struct store_batch *b, const struct sched_task *t,
		    enum task_state state)
{
	return tr_put_record(NULL, b, t, state);
}

int
sched_tracker_persist(struct store *st, const struct sched_task *t,
		      enum task_state state)
{
	return tr_put_record(st, NULL, t, state);
}

int
sched_tracker_unpersist(struct store *st, const char *id)
{
	char *key = xasprintf("task/%s", id);
	int rc = store_del(st, STORE_DB_SCHED, key);

	free(key);
	return rc;
}

/* Decode one record; -EINVAL when any required part is missing. */
static int
tr_from_record(const json_t *j, uint64_t now_ms, struct sched_task **out,
	       struct cd_err *err)
{
	struct wire_task wt;
	const char *state = NULL, *host = "", *version = NULL;
	long long staged = 0, started = 0, unreachable = 0;
	const json_t *ports = json_object_get(j, "ports"), *v;
	uint32_t *pv = NULL;
	size_t i, np = 0;
	struct sched_task *t;
	enum task_state st;
	int rc;

	memset(&wt, 0, sizeof wt);
	if (!json_is_object(j))
		return cd_err_set(err, -EINVAL, "record is not an object");
	rc = wire_task_decode(json_object_get(j, "task"), &wt, err);
	if (rc != 0)
		return rc;
	if (json_opt_str(j, "state", "", &state, NULL, err) != 0 ||
	    json_opt_str(j, "host", "", &host, NULL, err) != 0 ||
	    json_opt_str(j, "version", "", &version, NULL, err) != 0 ||
	    json_opt_int(j, "stagedMs", "", &staged, NULL, err) != 0 ||
	    json_opt_int(j, "startedMs", "", &started, NULL, err) != 0 ||
	    json_opt_int(j, "unreachableMs", "", &unreachable, NULL, err) !=
		0) {
		rc = -EINVAL;
		goto out;
	}
	if (state == NULL || task_state_parse(state, &st) != 0) {
		rc = cd_err_set(err, -EINVAL, "bad state");
		goto out;
	}
	if (json_is_array(ports) && json_array_size(ports) > 0) {
		np = json_array_size(ports);
		pv = xcalloc(np, sizeof *pv);
		json_array_foreach(ports, i, v)
			pv[i] = (uint32_t)json_integer_value(v);
	}
	t = sched_tracker_task_new(&wt, host, pv, np, staged, now_ms);
	if (version != NULL) {
		free(t->version);
		t->version = xstrdup(version);
	}
	t->state = st;
	t->started_ms = started;
	if (st == TASK_UNREACHABLE)
		t->unreachable_ms =
		    unreachable > 0 ? unreachable : loop_wall_ms();
	if (st == TASK_KILLING) {
		/* Its kill was never confirmed: it holds its place until it
		 * is, or until the kill times out (sched_tick.c). */
		t->kill_ms = now_ms;
		t->flags = SCHED_TASK_F(SCHED_TASK_HOLD);
	}
	if (json_is_array(json_object_get(j, "ipAddresses")))
		t->ips = json_deep_copy(json_object_get(j, "ipAddresses"));
	*out = t;
	rc = 0;
out:
	free(pv);
	wire_task_release(&wt);
	return rc;
}

struct tr_load {
	struct sched_tracker *tr; /* borrowed: the one loading */
	uint64_t now_ms;
	size_t nbad;
};

static int
tr_load_one(const char *key, const void *val, size_t len, void *arg)
{
	struct tr_load *ld = arg;
	struct sched_task *t = NULL;
	json_t *j;

	(void)key;
	j = json_parse_bounded(val, len, NULL);
	if (j == NULL || tr_from_record(j, ld->now_ms, &t, NULL) != 0 ||
	    task_state_terminal(t->state) ||
	    sched_tracker_find(ld->tr, t->id) != NULL) {
		sched_tracker_task_free(t);
		ld->nbad++;
	} else {
		sched_tracker_add(ld->tr, t);
	}
	json_decref(j);
	return 0;
}

int
sched_tracker_load(struct sched_tracker *tr, struct store *st, uint64_t now_ms,
		   size_t *nbad, struct cd_err *err)
{
	struct tr_load ld = {tr, now_ms, 0};
	int rc;

	rc = store_iter(st, STORE_DB_SCHED, "task/", tr_load_one, &ld);
	if (nbad != NULL)
		*nbad = ld.nbad;
	if (rc < 0)
		return cd_err_set(err, rc, "reading task records failed");
	return 0;
}
