/*
 * sched_converge.c: the scheduler's engine (see sched_converge.h). Owns
 * the converge, backoff and tick timers of struct sched; the tasks and
 * apps it works on are the tracker's and the repo's.
 *
 * Design decisions:
 * - Converge, do not plan: after every event, converge recounts an app's
 *   tasks and asks sched_launch_plan() what to kill; launches happen when
 *   offers arrive. A task runs the current configuration when its version
 *   is not older than the app's lastConfigChangeAt, so scaling keeps tasks
 *   and a config change replaces them, one old task killed per new task
 *   running (sched_launch.h).
 * - Persist first: a kill is written (TASK_KILLING) before the master is
 *   asked, and a task's record is deleted before the task is forgotten.
 * - Re-entrancy: the master may call status() from inside kill(), which
 *   can free tasks. Loops that call the master therefore work on copied
 *   task ids (struct sched_ids) and look each one up again.
 * - Deployments hear of a converge through their timer, not a call (see
 *   converge_wake_deploys), so this file stays below sched_deploy_exec.c.
 * - Every failure counts the same way (sched_converge_backoff): a task
 *   that ends without our asking (failed, finished, dropped, lost, gone),
 *   becomes unreachable, or is killed for failing its health checks.
 * - Capacity is counted with the tasks still dying: a task being killed
 *   takes its place under maximumOverCapacity until its end is confirmed
 *   (or its kill times out, sched_tick.c), and one killed to be replaced
 *   still counts as an instance until then, so old and new never overlap
 *   beyond what the app allows.
 * - Unreachable tasks follow their app's unreachableStrategy (Marathon
 *   1.4+): they count as instances until inactiveAfterSeconds (the tick
 *   marks them SCHED_TASK_INACTIVE, and they are replaced), and are
 *   forgotten after expungeAfterSeconds; "disabled" keeps them until
 *   their agent says more. A task that comes back counts again, and the
 *   surplus is killed by killSelection, unreachable ones first.
 * Loop thread only.
 */
#include "scheduler/core/sched_converge.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define LOG_MOD "sched"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/store.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/core/sched_events.h"
#include "scheduler/core/sched_gen.h"
#include "scheduler/core/sched_ids.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_probe.h"
#include "scheduler/core/sched_repo.h"
#include "scheduler/core/sched_task.h"
#include "scheduler/core/sched_tracker.h"
#include "scheduler/place/sched_launch.h"

/* Active: neither terminal nor being killed. */
static bool
converge_active(enum task_state st)
{
	return st != TASK_KILLING && !task_state_terminal(st);
}

void
sched_converge_revive(struct sched *s)
{
	if (s->registered && s->fw_id != NULL) {
		s->link.ops->revive(s->link.master, s->fw_id);
		s->idle_filtered = false;
	}
}

void
sched_converge_kill(struct sched *s, const struct sched_ids *ids)
{
	size_t i;

	if (!s->registered || s->fw_id == NULL)
		return; /* re-sent after registration */
	for (i = 0; i < ids->n; i++) {
		struct sched_task *t = sched_tracker_find(s->tr, ids->v[i]);
		char *agent;
		int rc;

		if (t == NULL)
			continue;
		/* A copy: the master may end t from inside kill(). */
		agent = xstrdup(t->agent_id);
		rc = s->link.ops->kill(s->link.master, s->fw_id, ids->v[i],
				       agent[0] != '\0' ? agent : NULL, 0);
		free(agent);
		t = sched_tracker_find(s->tr, ids->v[i]);
		if (rc == -ENOENT && t != NULL) {
			/* The master never heard of it: nothing is running. */
			(void)sched_converge_task_end(s, t, TASK_KILLED,
						      "unknown to the master");
		} else if (rc != 0) {
			log_warn("kill task=%s failed rc=%d", ids->v[i], rc);
		}
	}
}

void
sched_converge_set_killing(struct sched *s, struct sched_task *t,
			   unsigned flags)
{
	uint64_t now = loop_now_ms(s->loop);

	if (t->state != TASK_KILLING) {
		sched_tracker_set_state(s->tr, t, TASK_KILLING);
		t->since_ms = now;
		t->kill_ms = now;
		t->unreachable_ms = 0;
	}
	if (t->flags != flags)
		sched_tracker_set_flags(s->tr, t, flags);
}

int
sched_converge_mark_killing(struct sched *s, const struct sched_ids *ids,
			    unsigned flags)
{
	struct store_batch *b;
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

		if (t != NULL && t->state != TASK_KILLING)
			sched_converge_set_killing(s, t, flags);
	}
	return 0;
}

/* Which task dies first (Marathon's ScalingProposition): unreachable,
 * then staging, starting, running; lower first. */
static int
converge_weight(const struct sched_task *t)
{
	switch (t->state) {
	case TASK_UNREACHABLE:
		return 1;
	case TASK_STAGING:
		return 2;
	case TASK_STARTING:
		return 3;
	case TASK_RUNNING:
		return 4;
	default:
		return 5;
	}
}

/* Victim order within a weight: by killSelection, youngest (or oldest)
 * first by when each started (staged, when it never ran). */
static int
converge_victim_cmp(const struct sched_task *x, const struct sched_task *y,
		    bool oldest)
{
	long long tx = x->started_ms > 0 ? x->started_ms : x->staged_ms;
	long long ty = y->started_ms > 0 ? y->started_ms : y->staged_ms;
	int wx = converge_weight(x), wy = converge_weight(y);

	if (wx != wy)
		return wx - wy;
	if (tx != ty)
		return (tx > ty) == oldest ? 1 : -1;
	return strcmp(x->id, y->id);
}

static int
converge_youngest_cmp(const void *a, const void *b)
{
	return converge_victim_cmp(*(struct sched_task *const *)a,
				   *(struct sched_task *const *)b, false);
}

static int
converge_oldest_cmp(const void *a, const void *b)
{
	return converge_victim_cmp(*(struct sched_task *const *)a,
				   *(struct sched_task *const *)b, true);
}

void
sched_converge_count(const struct sched *s, const struct sched_rapp *ra,
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
			if (converge_active((enum task_state)st))
				active[cur] += k.n[cur][st];
		/* Unreachable past inactiveAfterSeconds: replaced. */
		active[cur] -= k.f[cur][SCHED_TASK_INACTIVE];
		running[cur] = k.n[cur][TASK_RUNNING];
		c->killing += k.f[cur][SCHED_TASK_HOLD];
		c->replacing += k.f[cur][SCHED_TASK_REPLACE];
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
converge_pick(const struct sched *s, const struct sched_rapp *ra, bool cur,
	      int k, struct sched_ids *ids)
{
	struct sched_task *const *tv;
	struct sched_task **v;
	size_t i, n, m = 0;

	if (k <= 0)
		return;
	tv = sched_tracker_app_tasks(s->tr, sched_app_id(ra->app), &n);
	v = xcalloc(n + 1, sizeof *v);
	for (i = 0; i < n; i++)
		if (converge_active(tv[i]->state) &&
		    (tv[i]->flags & SCHED_TASK_F(SCHED_TASK_INACTIVE)) == 0 &&
		    sched_task_current(ra, tv[i]) == cur)
			v[m++] = tv[i];
	qsort(v, m, sizeof *v,
	      sched_app_kill_oldest(ra->app) ? converge_oldest_cmp
					     : converge_youngest_cmp);
	for (i = 0; i < m && i < (size_t)k; i++)
		sched_ids_push(ids, v[i]->id);
	free(v);
}

/*
 * Let the deployments check their progress from the loop: their timer
 * (sched_deploy_exec.c's) is armed here rather than called, so that
 * converge never calls up into the executor that calls it.
 */
static void
converge_wake_deploys(struct sched *s)
{
	if (s->deploy_timer != NULL && s->ndeploys > 0 &&
	    !loop_timer_pending(s->deploy_timer))
		loop_timer_add(s->deploy_timer, 0);
}

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
	sched_converge_count(s, ra, &c);
	sched_launch_plan(&c, &p);
	converge_wake_deploys(s);
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
		sched_converge_revive(s);
	}
	converge_pick(s, ra, true, p.kill_cur, &ids);
	converge_pick(s, ra, false, p.kill_old, &ids);
	if (ids.n > 0) {
		log_info("app=%s killing %zu task(s) (scale %d, replace %d)",
			 app_id, ids.n, p.kill_cur, p.kill_old);
		rc = sched_converge_mark_killing(s, &ids,
						 SCHED_TASK_F(SCHED_TASK_HOLD));
		if (rc != 0)
			log_error("app=%s persisting kills failed rc=%d",
				  app_id, rc);
		else
			sched_converge_kill(s, &ids); /* may free ra's tasks */
	}
	sched_ids_release(&ids);
	free(app_id);
	return p.launch;
}

void
sched_converge_all(struct sched *s)
{
	bool demand = false;
	size_t i;

	for (i = 0; i < sched_repo_count(s->repo); i++) {
		struct sched_rapp *ra = sched_repo_at(s->repo, i);

		if (sched_converge(s, ra) > 0 &&
		    loop_now_ms(s->loop) >= ra->launch_after_ms)
			demand = true;
	}
	if (demand)
		sched_converge_revive(s);
}

static void
converge_cb(void *arg)
{
	struct sched *s = arg;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	sched_converge_all(s);
}

/*
 * Converge again when a launch backoff ends, rather than at the next tick:
 * while offers are declined for the long idle filter, the revive for the
 * replacement comes from that converge (up to a second sooner).
 */
static void
converge_backoff_wake(struct sched *s, uint64_t due_ms)
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

void
sched_converge_backoff(struct sched *s, struct sched_rapp *ra,
		       const struct sched_task *t, enum task_state state,
		       const char *why)
{
	double sec, fac, max;

	json_decref(ra->last_failure);
	ra->last_failure = sched_task_failure_json(t, state, why);
	sched_gen_bump(s); /* lastTaskFailure */
	sched_app_backoff(ra->app, &sec, &fac, &max);
	ra->nfailures++;
	ra->launch_after_ms =
	    loop_now_ms(s->loop) +
	    sched_launch_backoff_ms(sec, fac, max, ra->nfailures);
	ra->backoff_pending = true;
	converge_backoff_wake(s, ra->launch_after_ms);
}

/*
 * Forget t: delete its record, stop its checks, count a failure when
 * asked, emit its status_update_event in state (when event), converge its
 * app. On a store failure t is left untouched and the code returned.
 */
static int
converge_end(struct sched *s, struct sched_task *t, enum task_state state,
	     const char *message, bool failure, bool event)
{
	struct sched_rapp *ra = sched_repo_find(s->repo, t->app_id);
	json_t *ev = NULL;
	int rc, demand;

	rc = sched_tracker_unpersist(s->st, t->id);
	if (rc != 0) {
		log_error("task=%s deleting the record failed rc=%d", t->id,
			  rc);
		return rc;
	}
	if (s->health != NULL)
		sched_probe_untrack(s->health, t->id);
	log_info("task=%s app=%s %s%s%s", t->id, t->app_id,
		 task_state_name(state), message != NULL ? ": " : "",
		 message != NULL ? message : "");
	if (ra != NULL && failure)
		sched_converge_backoff(s, ra, t, state, message);
	if (event)
		ev = sched_task_status_event(t, state, message);
	sched_tracker_remove(s->tr, t);
	if (ev != NULL)
		sched_events_emit(s->events, ev); /* gone from the API */
	if (ra != NULL) {
		/* ra stays valid: only sched_apply() removes apps. */
		demand = sched_converge(s, ra);
		if (demand > 0 && loop_now_ms(s->loop) >= ra->launch_after_ms)
			sched_converge_revive(s);
	}
	return 0;
}

int
sched_converge_task_end(struct sched *s, struct sched_task *t,
			enum task_state state, const char *message)
{
	/* Not ours to end (we had not asked for its kill): a failure. */
	return converge_end(s, t, state, message, t->state != TASK_KILLING,
			    true);
}

int
sched_converge_expunge(struct sched *s, struct sched_task *t)
{
	/* Its failure was counted when it became unreachable, and its
	 * TASK_UNREACHABLE event went out then. */
	return converge_end(s, t, TASK_UNREACHABLE, "expunged", false, false);
}

int
sched_converge_unreachable(struct sched *s, struct sched_task *t,
			   const char *message)
{
	struct sched_rapp *ra = sched_repo_find(s->repo, t->app_id);
	long long inactive_s = 0, expunge_s = 0, was = t->unreachable_ms;
	bool enabled = true;
	int rc, demand;

	if (t->state == TASK_UNREACHABLE)
		return 0; /* a replay (a reconciliation, a restart) */
	if (t->state == TASK_KILLING) {
		/* We wanted it gone: forget it, as Marathon expunges an
		 * unreachable instance it kills; if it comes back, it is
		 * unknown and killed then. */
		return converge_end(s, t, TASK_UNREACHABLE, message, false,
				    true);
	}
	if (ra != NULL)
		enabled =
		    sched_app_unreachable(ra->app, &inactive_s, &expunge_s);
	if (ra == NULL || (enabled && expunge_s == 0))
		return converge_end(s, t, TASK_UNREACHABLE, message, true,
				    true);
	t->unreachable_ms = loop_wall_ms();
	rc = sched_tracker_persist(s->st, t, TASK_UNREACHABLE);
	if (rc != 0) {
		log_error("task=%s persisting TASK_UNREACHABLE failed rc=%d",
			  t->id, rc);
		t->unreachable_ms = was;
		return rc;
	}
	if (s->health != NULL)
		sched_probe_untrack(s->health, t->id);
	sched_tracker_set_state(s->tr, t, TASK_UNREACHABLE);
	t->since_ms = loop_now_ms(s->loop);
	if (enabled && inactive_s == 0)
		sched_tracker_set_flags(
		    s->tr, t, t->flags | SCHED_TASK_F(SCHED_TASK_INACTIVE));
	if (enabled)
		log_warn("task=%s app=%s TASK_UNREACHABLE%s%s: replaced after "
			 "%llds, expunged after %llds",
			 t->id, t->app_id, message != NULL ? ": " : "",
			 message != NULL ? message : "", inactive_s, expunge_s);
	else
		log_warn("task=%s app=%s TASK_UNREACHABLE%s%s: waiting for "
			 "its agent (unreachableStrategy disabled)",
			 t->id, t->app_id, message != NULL ? ": " : "",
			 message != NULL ? message : "");
	sched_converge_backoff(s, ra, t, TASK_UNREACHABLE, message);
	/* Committed and in the tracker: visible through the API. */
	sched_events_emit(
	    s->events, sched_task_status_event(t, TASK_UNREACHABLE, message));
	demand = sched_converge(s, ra);
	if (demand > 0 && loop_now_ms(s->loop) >= ra->launch_after_ms)
		sched_converge_revive(s);
	return 0;
}

void
sched_converge_inactive(struct sched *s, struct sched_task *t)
{
	struct sched_rapp *ra = sched_repo_find(s->repo, t->app_id);

	if (t->state != TASK_UNREACHABLE ||
	    (t->flags & SCHED_TASK_F(SCHED_TASK_INACTIVE)) != 0)
		return;
	log_warn("task=%s app=%s unreachable for too long: replacing it", t->id,
		 t->app_id);
	sched_tracker_set_flags(s->tr, t,
				t->flags | SCHED_TASK_F(SCHED_TASK_INACTIVE));
	if (ra != NULL && sched_converge(s, ra) > 0 &&
	    loop_now_ms(s->loop) >= ra->launch_after_ms)
		sched_converge_revive(s);
}

void
sched_converge_start(struct sched *s)
{
	s->converge_timer = loop_timer_new(s->loop, converge_cb, s);
	s->backoff_timer = loop_timer_new(s->loop, converge_cb, s);
}

void
sched_converge_stop(struct sched *s)
{
	if (s->converge_timer != NULL)
		loop_timer_free(s->converge_timer);
	s->converge_timer = NULL;
	if (s->backoff_timer != NULL)
		loop_timer_free(s->backoff_timer);
	s->backoff_timer = NULL;
}
