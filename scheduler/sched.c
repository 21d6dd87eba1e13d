/*
 * sched.c: the scheduler role object. It owns the repo (apps), the tracker
 * (tasks) and a one-second tick, implements the framework callbacks the
 * master calls (registration, offers, status updates, lost agents), and
 * applies the changes the REST API asks for.
 *
 * Design decisions:
 * - Persist first: an API change, a launch and a kill are written to the
 *   store in one batch before anything else happens (before the reply,
 *   before link->ops->launch/kill); memory follows the commit. A status
 *   update is acknowledged (0) only once its record write committed.
 * - Converge, do not plan: after every event, converge() recounts an
 *   app's tasks and asks sched_launch_plan() what to kill; launches happen
 *   when offers arrive. A task runs the current configuration when its
 *   version is not older than the app's lastConfigChangeAt, so scaling
 *   keeps tasks and a config change replaces them, one old task killed per
 *   new task running (sched_launch.h).
 * - Re-entrancy: the master may call status() from inside launch() or
 *   kill(), which can free tasks. Loops that call the master therefore work
 *   on copied task ids and look each one up again.
 * Loop thread only.
 */
#include "scheduler/sched.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "sched"
#include "lib/httpc.h"
#include "lib/httpd.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/store.h"
#include "lib/xalloc.h"
#include "scheduler/api/sched_api_apps.h"
#include "scheduler/api/sched_api_deployments.h"
#include "scheduler/api/sched_api_groups.h"
#include "scheduler/api/sched_api_misc.h"
#include "scheduler/api/sched_api_queue.h"
#include "scheduler/api/sched_api_tasks.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/core/sched_deploy.h"
#include "scheduler/core/sched_driver.h"
#include "scheduler/core/sched_events.h"
#include "scheduler/core/sched_offer.h"
#include "scheduler/core/sched_health.h"
#include "scheduler/app/sched_group.h"
#include "scheduler/core/sched_probe.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/place/sched_launch.h"
#include "scheduler/core/sched_repo.h"
#include "scheduler/core/sched_tracker.h"

#define SCHED_TICK_MS 1000
/* Marathon's task_launch_timeout default. */
#define SCHED_STAGING_TIMEOUT_MS 300000
#define SCHED_KILL_RETRY_MS 30000
#define SCHED_BACKOFF_RESET_MS 10000
/* How long offers are declined for while no app wants anything: Marathon's
 * --decline_offer_duration default. Demand revives (sched_converge). */
#define SCHED_IDLE_DECLINE_S 120.0

void
sched_ids_push(struct sched_ids *l, const char *id)
{
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 16 : l->cap * 2;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = xstrdup(id);
}

void
sched_ids_release(struct sched_ids *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

void
sched_next_version(struct sched *s, char out[SCHED_ISO_LEN])
{
	long long ms = loop_wall_ms();

	if (ms <= s->last_version_ms)
		ms = s->last_version_ms + 1;
	s->last_version_ms = ms;
	json_time_iso(ms, out);
}

bool
sched_task_current(const struct sched_rapp *r, const struct sched_task *t)
{
	return r->config_version == NULL ||
	       strcmp(t->version, r->config_version) >= 0;
}

const char *
sched_task_state_name(const struct sched_task *t)
{
	switch (t->state) {
	case TASK_UNREACHABLE:
	case TASK_GONE:
	case TASK_UNKNOWN:
	case TASK_DROPPED:
		return "TASK_LOST"; /* what 0.x/1.x clients know */
	default:
		return task_state_name(t->state);
	}
}

/* Active: neither terminal nor being killed. */
static bool
sched_state_active(enum task_state st)
{
	return st != TASK_KILLING && !task_state_terminal(st);
}

void
sched_counts(const struct sched *s, const struct sched_rapp *r, int *staged,
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

void
sched_revive(struct sched *s)
{
	if (s->registered && s->fw_id != NULL) {
		s->link.ops->revive(s->link.master, s->fw_id);
		s->idle_filtered = false;
	}
}

/* Ask the master to kill each task (looked up again by id). */
void
sched_send_kills(struct sched *s, const struct sched_ids *ids)
{
	size_t i;

	if (!s->registered || s->fw_id == NULL)
		return; /* re-sent after registration */
	for (i = 0; i < ids->n; i++) {
		struct sched_task *t = sched_tracker_find(s->tr, ids->v[i]);
		int rc;

		if (t == NULL)
			continue;
		rc = s->link.ops->kill(s->link.master, s->fw_id, ids->v[i], 0);
		t = sched_tracker_find(s->tr, ids->v[i]);
		if (rc == -ENOENT && t != NULL) {
			/* The master never heard of it: nothing is running. */
			sched_task_end(s, t, TASK_KILLED,
				       "unknown to the master");
		} else if (rc != 0) {
			log_warn("kill task=%s failed rc=%d", ids->v[i], rc);
		}
	}
}

/* Persist TASK_KILLING for the tasks (one commit), then mark them. */
int
sched_mark_killing(struct sched *s, const struct sched_ids *ids)
{
	struct store_batch *b;
	uint64_t now = loop_now_ms(s->loop);
	size_t i;
	int rc = 0;

	if (ids->n == 0)
		return 0;
	b = store_batch_begin(s->st);
	for (i = 0; rc == 0 && i < ids->n; i++) {
		struct sched_task *t = sched_tracker_find(s->tr, ids->v[i]);

		if (t != NULL)
			rc = sched_tracker_stage(b, t, TASK_KILLING);
	}
	if (rc != 0) {
		store_batch_abort(b);
		return rc;
	}
	rc = store_batch_commit(b);
	if (rc != 0)
		return rc;
	for (i = 0; i < ids->n; i++) {
		struct sched_task *t = sched_tracker_find(s->tr, ids->v[i]);

		if (t != NULL && t->state != TASK_KILLING) {
			sched_tracker_set_state(s->tr, t, TASK_KILLING);
			t->since_ms = now;
		}
	}
	return 0;
}

/* Victim order: not yet running first, then the youngest. */
static int
sched_victim_cmp(const void *a, const void *b)
{
	const struct sched_task *x = *(struct sched_task *const *)a;
	const struct sched_task *y = *(struct sched_task *const *)b;
	int xr = x->state == TASK_RUNNING, yr = y->state == TASK_RUNNING;

	if (xr != yr)
		return xr - yr;
	if (x->staged_ms != y->staged_ms)
		return x->staged_ms > y->staged_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

void
sched_count_app(const struct sched *s, const struct sched_rapp *ra,
		struct sched_launch_counts *c)
{
	struct sched_tracker_counts k;
	int active[2] = {0, 0}, running[2], cur, st;

	memset(c, 0, sizeof *c);
	c->instances = sched_app_instances(ra->app);
	sched_app_upgrade(ra->app, &c->min_health, &c->max_over);
	/* O(1): the tracker keeps the counts (sched_tracker.h). */
	sched_tracker_app_counts(s->tr, sched_app_id(ra->app),
				 ra->config_version, &k);
	for (cur = 0; cur < 2; cur++) {
		for (st = 0; st < TASK_STATE_COUNT; st++)
			if (sched_state_active((enum task_state)st))
				active[cur] += k.n[cur][st];
		running[cur] = k.n[cur][TASK_RUNNING];
	}
	/* Running and healthy: what capacity means while replacing. Health
	 * is sched_probe's, so with checks the running tasks are looked at
	 * (their cur flags were just computed against ra's version). */
	if ((running[0] > 0 || running[1] > 0) && s->health != NULL &&
	    json_array_size(sched_app_health_checks(ra->app)) > 0) {
		struct sched_task *const *tv;
		size_t i, n;

		tv = sched_tracker_app_tasks(s->tr, sched_app_id(ra->app), &n);
		for (i = 0; i < n; i++)
			if (tv[i]->state == TASK_RUNNING &&
			    !sched_task_healthy(s, ra, tv[i]))
				running[tv[i]->cur]--;
	}
	c->cur_active = active[1];
	c->cur_running = running[1];
	c->old_active = active[0];
	c->old_running = running[0];
}

/* Pick k victims among the active tasks with current == cur into ids. */
static void
sched_pick(const struct sched *s, const struct sched_rapp *ra, bool cur, int k,
	   struct sched_ids *ids)
{
	struct sched_task *const *tv;
	struct sched_task **v;
	size_t i, n, m = 0;

	if (k <= 0)
		return;
	tv = sched_tracker_app_tasks(s->tr, sched_app_id(ra->app), &n);
	v = xcalloc(n + 1, sizeof *v);
	for (i = 0; i < n; i++)
		if (tv[i]->state != TASK_KILLING &&
		    !task_state_terminal(tv[i]->state) &&
		    sched_task_current(ra, tv[i]) == cur)
			v[m++] = tv[i];
	qsort(v, m, sizeof *v, sched_victim_cmp);
	for (i = 0; i < m && i < (size_t)k; i++)
		sched_ids_push(ids, v[i]->id);
	free(v);
}

/*
 * Recount ra's tasks, kill what the plan says, clear the deployment when
 * converged. Returns the number of tasks still to launch.
 */
int
sched_converge(struct sched *s, struct sched_rapp *ra)
{
	struct sched_launch_counts c;
	struct sched_launch_plan p;
	struct sched_ids ids = {NULL, 0, 0};
	char *app_id = xstrdup(sched_app_id(ra->app));
	int rc;

	if (ra->held) {
		/* A later step of its deployment: leave it as it is. */
		free(app_id);
		return 0;
	}
	sched_count_app(s, ra, &c);
	sched_launch_plan(&c, &p);
	if (s->ndeploys > 0)
		sched_deploy_kick(s);
	/*
	 * Every path where demand can appear converges the app (API changes,
	 * task ends, deployment steps, and the tick for backoffs that
	 * expire), so this is where offers declined for the long idle
	 * filter come back: at most one revive per idle decline round.
	 */
	if (p.launch > 0 && s->idle_filtered &&
	    loop_now_ms(s->loop) >= ra->launch_after_ms) {
		log_debug("app=%s wants %d task(s): reviving offers", app_id,
			  p.launch);
		sched_revive(s);
	}
	sched_pick(s, ra, true, p.kill_cur, &ids);
	sched_pick(s, ra, false, p.kill_old, &ids);
	if (ids.n > 0) {
		log_info("app=%s killing %zu task(s) (scale %d, replace %d)",
			 app_id, ids.n, p.kill_cur, p.kill_old);
		rc = sched_mark_killing(s, &ids);
		if (rc != 0)
			log_error("app=%s persisting kills failed rc=%d",
				  app_id, rc);
		else
			sched_send_kills(s, &ids); /* may free ra's tasks */
	}
	sched_ids_release(&ids);
	free(app_id);
	return p.launch;
}

static void
sched_converge_cb(void *arg)
{
	struct sched *s = arg;
	bool demand = false;
	size_t i;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	for (i = 0; i < sched_repo_count(s->repo); i++) {
		struct sched_rapp *ra = sched_repo_at(s->repo, i);

		if (sched_converge(s, ra) > 0 &&
		    loop_now_ms(s->loop) >= ra->launch_after_ms)
			demand = true;
	}
	if (demand)
		sched_revive(s);
}

/*
 * Converge again when a launch backoff ends, rather than at the next tick:
 * while offers are declined for the long idle filter, the revive for the
 * replacement comes from that converge (up to a second sooner).
 */
static void
sched_backoff_wake(struct sched *s, uint64_t due_ms)
{
	uint64_t now = loop_now_ms(s->loop);

	if (s->backoff_timer == NULL)
		return;
	if (loop_timer_pending(s->backoff_timer) && s->backoff_due_ms <= due_ms)
		return;
	s->backoff_due_ms = due_ms;
	loop_timer_add(s->backoff_timer, due_ms > now ? due_ms - now : 0);
}

void
sched_converge_soon(struct sched *s)
{
	if (s->converge_timer != NULL && !loop_timer_pending(s->converge_timer))
		loop_timer_add(s->converge_timer, 0);
}

/* The TaskFailure JSON of t ending in state. */
static json_t *
sched_failure_json(const struct sched_task *t, enum task_state state,
		   const char *message)
{
	char iso[SCHED_ISO_LEN];

	json_time_iso(loop_wall_ms(), iso);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "appId",
			 t->app_id, "host", t->host, "message",
			 message != NULL ? message : "", "state",
			 task_state_name(state), "taskId", t->id, "timestamp",
			 iso, "version", t->version, "slaveId", t->agent_id);
}

json_t *
sched_status_event(const struct sched_task *t, enum task_state state,
		   const char *message)
{
	json_t *ports = json_array();
	const char *name = task_state_name(state);
	size_t i;

	for (i = 0; i < t->nports; i++)
		json_array_append_new(ports, json_integer(t->ports[i]));
	if (state == TASK_UNREACHABLE || state == TASK_GONE ||
	    state == TASK_UNKNOWN || state == TASK_DROPPED)
		name = "TASK_LOST"; /* as sched_task_state_name() */
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[], s:o, s:s, s:s}",
			 "slaveId", t->agent_id, "taskId", t->id, "taskStatus",
			 name, "message", message != NULL ? message : "",
			 "appId", t->app_id, "host", t->host, "ipAddresses",
			 "ports", ports, "version", t->version, "eventType",
			 "status_update_event");
}

/*
 * t reached a terminal state (or is lost): delete its record, account a
 * failure when it was not ours to end, forget it, replace it. On a store
 * failure the task stays as it was and -EIO is returned.
 */
int
sched_task_end_rc(struct sched *s, struct sched_task *t, enum task_state state,
		  const char *message)
{
	struct sched_rapp *ra = sched_repo_find(s->repo, t->app_id);
	bool expected = t->state == TASK_KILLING;
	uint64_t now = loop_now_ms(s->loop);
	json_t *ev;
	int rc, demand;

	rc = sched_tracker_unpersist(s->st, t->id);
	if (rc != 0) {
		log_error("task=%s deleting the record failed rc=%d", t->id,
			  rc);
		return rc;
	}
	sched_health_untrack(s, t->id);
	log_info("task=%s app=%s %s%s%s", t->id, t->app_id,
		 task_state_name(state), message != NULL ? ": " : "",
		 message != NULL ? message : "");
	if (ra != NULL && !expected) {
		json_decref(ra->last_failure);
		ra->last_failure = sched_failure_json(t, state, message);
		if (state == TASK_FAILED || state == TASK_FINISHED ||
		    state == TASK_KILLED || state == TASK_ERROR) {
			double sec, fac, max;

			sched_app_backoff(ra->app, &sec, &fac, &max);
			ra->nfailures++;
			ra->launch_after_ms =
			    now + sched_launch_backoff_ms(sec, fac, max,
							  ra->nfailures);
			ra->backoff_pending = true;
			sched_backoff_wake(s, ra->launch_after_ms);
		}
	}
	ev = sched_status_event(t, state, message);
	sched_tracker_remove(s->tr, t);
	sched_events_emit(s->events, ev); /* the task is gone from the API */
	if (ra != NULL) {
		/* ra stays valid: only sched_apply() removes apps. */
		demand = sched_converge(s, ra);
		if (demand > 0 && now >= ra->launch_after_ms)
			sched_revive(s);
	}
	return 0;
}

void
sched_task_end(struct sched *s, struct sched_task *t, enum task_state state,
	       const char *message)
{
	(void)sched_task_end_rc(s, t, state, message);
}

const struct framework_sched_ops *
sched_framework_ops(void)
{
	return &sched_driver_ops;
}

/* Backoff expiry and reset for one app; true when it wants offers. */
static bool
sched_tick_app(struct sched *s, struct sched_rapp *ra, uint64_t now)
{
	long long wall = loop_wall_ms();
	bool want = false;

	if (ra->nfailures > 0) {
		struct sched_task *const *tv;
		size_t i, n;

		tv = sched_tracker_app_tasks(s->tr, sched_app_id(ra->app), &n);
		for (i = 0; i < n; i++)
			if (tv[i]->state == TASK_RUNNING &&
			    sched_task_current(ra, tv[i]) &&
			    tv[i]->started_ms > 0 &&
			    wall - tv[i]->started_ms >= SCHED_BACKOFF_RESET_MS)
				break;
		if (i < n)
			ra->nfailures = 0;
	}
	if (ra->backoff_pending && now >= ra->launch_after_ms) {
		ra->backoff_pending = false;
		want = true;
	}
	return sched_converge(s, ra) > 0 && want;
}

static void
sched_tick(void *arg)
{
	struct sched *s = arg;
	struct sched_ids lost = {NULL, 0, 0}, rekill = {NULL, 0, 0};
	uint64_t now;
	bool revive = false;
	size_t i;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	now = loop_now_ms(s->loop);
	for (i = 0; i < sched_tracker_count(s->tr); i++) {
		struct sched_task *t = sched_tracker_at(s->tr, i);

		if (t->state == TASK_STAGING &&
		    now - t->since_ms > SCHED_STAGING_TIMEOUT_MS) {
			sched_ids_push(&lost, t->id);
		} else if (t->state == TASK_KILLING &&
			   now - t->since_ms > SCHED_KILL_RETRY_MS) {
			t->since_ms = now;
			sched_ids_push(&rekill, t->id);
		}
	}
	if (s->registered) {
		for (i = 0; i < lost.n; i++) {
			struct sched_task *t;

			(void)s->link.ops->kill(s->link.master, s->fw_id,
						lost.v[i], 0);
			t = sched_tracker_find(s->tr, lost.v[i]);
			if (t != NULL && t->state == TASK_STAGING)
				sched_task_end(
				    s, t, TASK_LOST,
				    "no status for 300 s after launch");
		}
		sched_send_kills(s, &rekill);
		for (i = 0; i < sched_repo_count(s->repo); i++)
			revive |=
			    sched_tick_app(s, sched_repo_at(s->repo, i), now);
		if (revive)
			sched_revive(s);
	}
	sched_ids_release(&lost);
	sched_ids_release(&rekill);
	loop_timer_add(s->tick, SCHED_TICK_MS);
}

/* API changes */

/* One node per app for the planner, with owned dependency lists. */
struct sched_nodes {
	struct sched_deploy_node *v;
	json_t **deps; /* owned refs, parallel to v */
	size_t n;
};

static int
sched_node_cmp(const void *a, const void *b)
{
	const struct sched_deploy_node *x = a, *y = b;

	return strcmp(x->id, y->id);
}

/* app_deps plus the dependencies of every group above id. New ref. */
static json_t *
sched_node_deps(const char *id, const json_t *app_deps, const json_t *groups)
{
	json_t *deps = json_array();
	char *g = sched_group_parent(id);

	if (json_is_array(app_deps))
		json_array_extend(deps, (json_t *)(uintptr_t)app_deps);
	for (;;) {
		const json_t *gd =
		    json_object_get(json_object_get(groups, g), "dependencies");
		char *up;

		if (json_is_array(gd))
			json_array_extend(deps, (json_t *)(uintptr_t)gd);
		if (strcmp(g, SCHED_GROUP_ROOT) == 0)
			break;
		up = sched_group_parent(g);
		free(g);
		g = up;
	}
	free(g);
	return deps;
}

static void
sched_nodes_push(struct sched_nodes *l, const char *id,
		 enum sched_deploy_change chg, json_t *deps)
{
	l->v[l->n].id = id;
	l->v[l->n].change = chg;
	l->v[l->n].deps = deps;
	l->deps[l->n] = deps;
	l->n++;
}

/* Plan the steps of cv over the whole target state. */
static int
sched_plan_changes(struct sched *s, const struct sched_change *cv, size_t n,
		   const bool *restart, const json_t *groups,
		   struct sched_deploy_step **steps, size_t *nsteps,
		   struct cd_err *err)
{
	size_t cap = sched_repo_count(s->repo) + n + 1, i;
	struct sched_nodes l = {xcalloc(cap, sizeof *l.v),
				xcalloc(cap, sizeof *l.deps), 0};
	json_t *touched = json_object();
	int rc;

	for (i = 0; i < n; i++) {
		const char *id = cv[i].app != NULL ? sched_app_id(cv[i].app)
						   : cv[i].delete_id;

		if (id != NULL && json_object_get(touched, id) == NULL) {
			json_object_set_new(touched, id, json_true());
			if (cv[i].app != NULL) {
				json_t *def = sched_app_to_json(cv[i].app);

				sched_nodes_push(
				    &l, id,
				    cv[i].created ? SCHED_CHANGE_NEW
				    : restart[i]  ? SCHED_CHANGE_RESTART
						  : SCHED_CHANGE_SCALE,
				    sched_node_deps(
					id,
					json_object_get(def, "dependencies"),
					groups));
				json_decref(def);
			} else {
				sched_nodes_push(&l, id, SCHED_CHANGE_DELETE,
						 NULL);
			}
		}
	}
	for (i = 0; i < sched_repo_count(s->repo); i++) {
		const struct sched_rapp *ra = sched_repo_at(s->repo, i);
		const char *id = sched_app_id(ra->app);

		if (json_object_get(touched, id) == NULL)
			sched_nodes_push(&l, id, SCHED_CHANGE_NONE,
					 sched_node_deps(id, ra->deps, groups));
	}
	qsort(l.v, l.n, sizeof *l.v, sched_node_cmp);
	rc = sched_deploy_plan(l.v, l.n, steps, nsteps, err);
	for (i = 0; i < l.n; i++)
		json_decref(l.deps[i]);
	free(l.v);
	free(l.deps);
	json_decref(touched);
	return rc;
}

/* Push the active tasks of app id into ids, skipping those already in. */
static void
sched_push_app_tasks(struct sched *s, const char *id, struct sched_ids *ids)
{
	struct sched_task *const *tv;
	size_t i, j, n;

	tv = sched_tracker_app_tasks(s->tr, id, &n);
	for (i = 0; i < n; i++) {
		if (tv[i]->state == TASK_KILLING)
			continue;
		for (j = 0; j < ids->n && strcmp(ids->v[j], tv[i]->id) != 0;
		     j++)
			;
		if (j == ids->n)
			sched_ids_push(ids, tv[i]->id);
	}
}

/* The group records after o's puts and deletions. New ref. */
static json_t *
sched_groups_after(const struct sched *s, const struct sched_apply_opts *o,
		   const char *version, json_t **puts)
{
	json_t *g =
	    s->groups != NULL ? json_deep_copy(s->groups) : json_object();
	json_t *v;
	size_t i;

	*puts = json_array();
	json_array_foreach(o->groups_del, i, v)
		if (json_is_string(v))
			json_object_del(g, json_string_value(v));
	json_array_foreach(o->groups_put, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		json_t *rec;

		if (id == NULL)
			continue;
		rec = json_deep_copy(v);
		json_object_set_new(rec, "version", json_string(version));
		if (!json_is_array(json_object_get(rec, "dependencies")))
			json_object_set_new(rec, "dependencies", json_array());
		json_object_set(g, id, rec);
		json_array_append_new(*puts, rec);
	}
	return g;
}

int
sched_apply_many(struct sched *s, struct sched_change *cv, size_t n,
		 struct sched_apply_opts *o, struct cd_err *err)
{
	struct sched_ids ids = {NULL, 0, 0};
	struct store_batch *b = NULL;
	struct sched_deploy *d = NULL;
	struct sched_deploy_step *steps = NULL;
	struct sched_app **apps = xcalloc(n + 1, sizeof *apps);
	const char **affected = xcalloc(n + 1, sizeof *affected);
	char **cfgs = xcalloc(n + 1, sizeof *cfgs);
	bool *restart = xcalloc(n + 1, sizeof *restart);
	json_t *locks = NULL, *groups = NULL, *gputs = NULL;
	json_t *original = NULL, *target = NULL, *v;
	size_t i, j, naff = 0, nsteps = 0;
	bool deploy, demand = false;
	int rc = 0;

	/* Deployments that just finished release their locks first. */
	sched_deploy_poll(s);
	o->deployment_id[0] = '\0';
	o->locked = NULL;
	o->steps = NULL;
	sched_next_version(s, o->version);
	deploy = json_array_size(o->groups_put) > 0 ||
		 json_array_size(o->groups_del) > 0;
	original = json_object();
	target = json_object();
	for (i = 0; i < n; i++) {
		struct sched_change *c = &cv[i];
		struct sched_rapp *old;

		c->created = 0;
		c->locked = NULL;
		c->deployment_id[0] = '\0';
		apps[i] = c->app;
		if (c->app != NULL) {
			const char *id = sched_app_id(c->app);

			old = sched_repo_find(s->repo, id);
			c->created = old == NULL;
			sched_app_set_version(c->app, o->version);
			restart[i] = old == NULL || c->restart || c->rollback ||
				     sched_app_needs_restart(old->app, c->app);
			cfgs[i] = xstrdup(restart[i] ? o->version
						     : old->config_version);
			affected[naff++] = id;
			json_object_set_new(original, id,
					    old != NULL
						? sched_app_to_json(old->app)
						: json_null());
			deploy = true;
		} else if (c->delete_id != NULL) {
			old = sched_repo_find(s->repo, c->delete_id);
			affected[naff++] = c->delete_id;
			json_object_set_new(original, c->delete_id,
					    old != NULL
						? sched_app_to_json(old->app)
						: json_null());
			json_object_set_new(target, c->delete_id, json_null());
			sched_push_app_tasks(s, c->delete_id, &ids);
			deploy = true;
		}
		for (j = 0; j < c->nkill; j++) {
			struct sched_task *t =
			    sched_tracker_find(s->tr, c->kill_ids[j]);
			size_t k;

			if (t == NULL || t->state == TASK_KILLING)
				continue;
			for (k = 0; k < ids.n && strcmp(ids.v[k], t->id) != 0;
			     k++)
				;
			if (k == ids.n)
				sched_ids_push(&ids, t->id);
		}
	}
	for (i = 0; i < n; i++) {
		if (cv[i].app == NULL)
			continue;
		rc = sched_repo_assign_ports_with(s->repo, cv[i].app, apps, n,
						  err);
		if (rc != 0)
			goto out;
		json_object_set_new(target, sched_app_id(cv[i].app),
				    sched_app_to_json(cv[i].app));
	}
	if (naff > 0 &&
	    (locks = sched_deploy_locks(s, affected, naff)) != NULL &&
	    !o->force) {
		o->locked = locks;
		locks = NULL;
		rc = cd_err_set(err, -EBUSY,
				"App is locked by one or more deployments.");
		goto out;
	}
	groups = sched_groups_after(s, o, o->version, &gputs);
	if (deploy) {
		rc = sched_plan_changes(s, cv, n, restart, groups, &steps,
					&nsteps, err);
		if (rc != 0) {
			rc = -EINVAL;
			goto out;
		}
		if (o->dry_run) {
			o->steps = json_array();
			for (i = 0; i < nsteps; i++)
				json_array_append_new(
				    o->steps,
				    sched_deploy_step_json(&steps[i]));
			goto out;
		}
		id_uuid(o->deployment_id);
		d = sched_deploy_new(o->deployment_id, o->version, steps,
				     nsteps, affected, naff, original, target);
		steps = NULL;
		nsteps = 0;
	}
	if (o->dry_run) {
		o->steps = json_array();
		goto out;
	}

	b = store_batch_begin(s->st);
	for (i = 0; rc == 0 && i < n; i++) {
		if (cv[i].app != NULL)
			rc = sched_repo_stage_put(s->repo, b, cv[i].app,
						  cfgs[i]);
		else if (cv[i].delete_id != NULL)
			rc = sched_repo_stage_del(s->repo, b, cv[i].delete_id);
	}
	for (i = 0; rc == 0 && i < ids.n; i++)
		rc = sched_tracker_stage(b, sched_tracker_find(s->tr, ids.v[i]),
					 TASK_KILLING);
	json_array_foreach(o->groups_del, i, v)
		if (rc == 0 && json_is_string(v))
			rc =
			    sched_repo_stage_group_del(b, json_string_value(v));
	json_array_foreach(gputs, i, v)
		if (rc == 0)
			rc = sched_repo_stage_group_put(b, v);
	if (rc == 0 && d != NULL)
		rc = sched_deploy_stage_put(b, d);
	json_array_foreach(locks, i, v)
		if (rc == 0)
			rc = sched_deploy_stage_del(
			    b, json_string_value(json_object_get(v, "id")));
	if (rc != 0)
		store_batch_abort(b);
	else
		rc = store_batch_commit(b);
	if (rc != 0) {
		cd_err_set(err, -EIO, "writing to the store failed (%d)", rc);
		rc = -EIO;
		goto out;
	}

	/* Committed: memory follows. */
	for (i = 0; i < n; i++) {
		struct sched_change *c = &cv[i];
		struct sched_rapp *ra;

		snprintf(c->version, sizeof c->version, "%s", o->version);
		snprintf(c->deployment_id, sizeof c->deployment_id, "%s",
			 o->deployment_id);
		if (c->app != NULL) {
			log_info("app=%s version=%s %s", sched_app_id(c->app),
				 o->version,
				 c->created   ? "created"
				 : restart[i] ? "changed"
					      : "scaled");
			ra = sched_repo_install(s->repo, c->app, cfgs[i]);
			c->app = NULL;
			/* Any new version resets the launch delay, as
			 * Marathon does. */
			ra->nfailures = 0;
			ra->launch_after_ms = 0;
			ra->backoff_pending = false;
		} else if (c->delete_id != NULL) {
			log_info("app=%s deleted", c->delete_id);
			sched_repo_remove(s->repo, c->delete_id);
		}
	}
	json_decref(s->groups);
	s->groups = groups;
	groups = NULL;
	for (i = 0; i < ids.n; i++) {
		struct sched_task *t = sched_tracker_find(s->tr, ids.v[i]);

		sched_tracker_set_state(s->tr, t, TASK_KILLING);
		t->since_ms = loop_now_ms(s->loop);
	}
	/* The new deployment first, so that the apps it holds back stay
	 * held while the canceled ones let theirs converge. */
	if (d != NULL) {
		sched_deploy_add(s, d);
		d = NULL;
	} else {
		sched_deploy_update_held(s);
	}
	json_array_foreach(locks, i, v)
		sched_deploy_cancel(
		    s, json_string_value(json_object_get(v, "id")));
	for (i = 0; i < n; i++)
		if (cv[i].app == NULL && cv[i].delete_id != NULL)
			sched_events_emit(
			    s->events,
			    json_pack("{s:s, s:s}", "appId", cv[i].delete_id,
				      "eventType", "app_terminated_event"));
	sched_send_kills(s, &ids);
	/* The changed apps; all of them after kills, whose apps need
	 * replacements (POST /v2/tasks/delete). */
	for (i = 0; i < sched_repo_count(s->repo); i++) {
		struct sched_rapp *r = sched_repo_at(s->repo, i);

		if (ids.n == 0 &&
		    json_object_get(target, sched_app_id(r->app)) == NULL)
			continue;
		if (sched_converge(s, r) > 0 &&
		    loop_now_ms(s->loop) >= r->launch_after_ms)
			demand = true;
	}
	if (demand)
		sched_revive(s);
out:
	for (i = 0; i < n; i++) {
		sched_app_free(cv[i].app);
		cv[i].app = NULL;
		free(cfgs[i]);
	}
	sched_deploy_free(d);
	sched_deploy_steps_free(steps, nsteps);
	json_decref(locks);
	json_decref(groups);
	json_decref(gputs);
	json_decref(original);
	json_decref(target);
	sched_ids_release(&ids);
	free(apps);
	free(affected);
	free(cfgs);
	free(restart);
	return rc;
}

int
sched_apply(struct sched *s, struct sched_change *c, struct cd_err *err)
{
	struct sched_apply_opts o;
	int rc;

	memset(&o, 0, sizeof o);
	o.force = c->force;
	rc = sched_apply_many(s, c, 1, &o, err);
	c->locked = o.locked;
	json_decref(o.steps);
	return rc;
}

bool
sched_task_healthy(const struct sched *s, const struct sched_rapp *ra,
		   const struct sched_task *t)
{
	if (json_array_size(sched_app_health_checks(ra->app)) == 0)
		return true;
	if (s->health == NULL)
		return true; /* nothing checks them */
	return sched_probe_state(s->health, t->id) == 1;
}

/* lifecycle */

int
sched_new(struct loop *l, struct store *st, struct httpd *api,
	  const struct sched_conf *conf, const struct framework_link *link,
	  struct sched **out, struct cd_err *err)
{
	struct sched *s;
	size_t nbad = 0;
	int rc;

	CD_ALLOC_OBJ(s, SCHED_MAGIC);
	s->loop = l;
	s->st = st;
	s->api = api;
	s->link = *link;
	s->hostname = xstrdup(conf->hostname != NULL ? conf->hostname : "");
	s->advertise_ip = xstrdup(
	    conf->advertise_ip != NULL ? conf->advertise_ip : "127.0.0.1");
	s->framework_name = xstrdup(
	    conf->framework_name != NULL ? conf->framework_name : "marathon");
	s->http_port = conf->http_port;
	s->master_port = conf->master_port;
	s->refuse_seconds =
	    conf->refuse_seconds > 0 ? conf->refuse_seconds : 5.0;
	s->idle_seconds = s->refuse_seconds > SCHED_IDLE_DECLINE_S
			      ? s->refuse_seconds
			      : SCHED_IDLE_DECLINE_S;
	s->tr = sched_tracker_new();
	s->offer = sched_offer_new();
	rc = sched_repo_new(st, &s->repo, &nbad, err);
	if (rc != 0)
		goto fail;
	if (nbad > 0)
		log_warn("skipped %zu unreadable app(s) in the store", nbad);
	rc = sched_tracker_load(s->tr, st, loop_now_ms(l), &nbad, err);
	if (rc != 0)
		goto fail;
	if (nbad > 0)
		log_warn("skipped %zu unreadable task record(s)", nbad);
	rc = sched_repo_framework_id_load(s->repo, &s->fw_id);
	if (rc != 0 && rc != -ENOENT) {
		cd_err_set(err, rc, "reading the framework id failed");
		goto fail;
	}
	log_info("loaded apps=%zu tasks=%zu framework=%s",
		 sched_repo_count(s->repo), sched_tracker_count(s->tr),
		 s->fw_id != NULL ? s->fw_id : "(none)");
	rc = sched_repo_groups_load(s->repo, &s->groups);
	if (rc != 0) {
		cd_err_set(err, rc, "reading groups from the store failed");
		goto fail;
	}
	rc = sched_deploy_start(s, err);
	if (rc != 0)
		goto fail;
	if (api != NULL) {
		httpd_add_routes(api, sched_api_misc_routes,
				 sched_api_misc_nroutes, s);
		httpd_add_routes(api, sched_api_apps_routes,
				 sched_api_apps_nroutes, s);
		httpd_add_routes(api, sched_api_tasks_routes,
				 sched_api_tasks_nroutes, s);
		httpd_add_routes(api, sched_api_deployments_routes,
				 sched_api_deployments_nroutes, s);
		httpd_add_routes(api, sched_api_groups_routes,
				 sched_api_groups_nroutes, s);
		httpd_add_routes(api, sched_api_queue_routes,
				 sched_api_queue_nroutes, s);
	}
	s->hc = httpc_new(l);
	s->events = sched_events_new(l, s->hc, st, api);
	sched_health_start(s);
	s->converge_timer = loop_timer_new(l, sched_converge_cb, s);
	s->backoff_timer = loop_timer_new(l, sched_converge_cb, s);
	s->tick = loop_timer_new(l, sched_tick, s);
	loop_timer_add(s->tick, SCHED_TICK_MS);
	*out = s;
	return 0;
fail:
	sched_free(s);
	return rc;
}

void
sched_free(struct sched *s)
{
	if (s == NULL)
		return;
	CD_CHECK_OBJ(s, SCHED_MAGIC);
	if (s->tick != NULL)
		loop_timer_free(s->tick);
	if (s->converge_timer != NULL)
		loop_timer_free(s->converge_timer);
	if (s->backoff_timer != NULL)
		loop_timer_free(s->backoff_timer);
	sched_deploy_stop(s);
	json_decref(s->groups);
	sched_health_stop(s);
	sched_events_free(s->events);
	httpc_free(s->hc);
	sched_repo_free(s->repo);
	sched_tracker_free(s->tr);
	sched_offer_free(s->offer);
	free(s->hostname);
	free(s->advertise_ip);
	free(s->framework_name);
	free(s->fw_id);
	CD_FREE_OBJ(s);
}

const char *
sched_framework_id(const struct sched *s)
{
	return s->fw_id;
}
