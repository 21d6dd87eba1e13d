/*
 * sched_tick.c: the one-second tick (see sched_tick.h). Owns s->tick; the
 * tasks and apps it looks at are the tracker's and the repo's, and every
 * change it makes goes through sched_converge.c.
 *
 * Design decisions:
 * - One pass over the tasks per second collects what is due into copied
 *   id lists, and the actions run afterwards, looking each task up again:
 *   an action may end other tasks (the master may answer a kill from
 *   inside the call).
 * - Unreachable tasks are timed on the wall clock (their record keeps
 *   when they became unreachable), so a restart does not reset their
 *   inactiveAfterSeconds or expungeAfterSeconds.
 * - A kill holds the task's place for SCHED_KILL_TIMEOUT_MS plus its
 *   app's kill grace period; past that the replacement may start even if
 *   the kill is never confirmed (its agent is gone silent), and the kill
 *   keeps being retried.
 * Loop thread only.
 */
#include "scheduler/core/sched_tick.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#define LOG_MOD "sched"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/core/sched_converge.h"
#include "scheduler/core/sched_ids.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_repo.h"
#include "scheduler/core/sched_task.h"
#include "scheduler/core/sched_tracker.h"

#define SCHED_TICK_MS 1000
#define SCHED_KILL_RETRY_MS 10000 /* Marathon's kill_retry_timeout */
#define SCHED_KILL_TIMEOUT_MS 30000
#define SCHED_BACKOFF_RESET_MS 10000

/* What one pass found due. */
struct tick_due {
	struct sched_ids lost;	   /* staging for too long */
	struct sched_ids rekill;   /* kill to send again */
	struct sched_ids unhold;   /* kill timed out: place released */
	struct sched_ids inactive; /* unreachable past inactiveAfter */
	struct sched_ids expunge;  /* unreachable past expungeAfter */
};

/* Backoff expiry and reset for one app; true when it wants offers. */
static bool
tick_app(struct sched *s, struct sched_rapp *ra, uint64_t now)
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

/* t is being killed: retry the kill, release its place when due. */
static void
tick_killing(struct sched *s, struct sched_task *t, uint64_t now,
	     struct tick_due *d)
{
	const struct sched_rapp *ra;
	uint64_t timeout = SCHED_KILL_TIMEOUT_MS;

	if (now - t->since_ms > SCHED_KILL_RETRY_MS) {
		t->since_ms = now;
		sched_ids_push(&d->rekill, t->id);
	}
	if ((t->flags & SCHED_TASK_F(SCHED_TASK_HOLD)) == 0)
		return;
	if ((ra = sched_repo_find(s->repo, t->app_id)) != NULL)
		timeout += (uint64_t)sched_app_kill_grace_ms(ra->app);
	if (now - t->kill_ms >= timeout)
		sched_ids_push(&d->unhold, t->id);
}

/* t is unreachable: inactive or expunged when its app says so. */
static void
tick_unreachable(struct sched *s, const struct sched_task *t, long long wall,
		 struct tick_due *d)
{
	const struct sched_rapp *ra = sched_repo_find(s->repo, t->app_id);
	long long inactive_s, expunge_s, age = wall - t->unreachable_ms;

	if (ra == NULL ||
	    !sched_app_unreachable(ra->app, &inactive_s, &expunge_s))
		return; /* gone apps' tasks are killed; "disabled" waits */
	if (age >= expunge_s * 1000)
		sched_ids_push(&d->expunge, t->id);
	else if (age >= inactive_s * 1000 &&
		 (t->flags & SCHED_TASK_F(SCHED_TASK_INACTIVE)) == 0)
		sched_ids_push(&d->inactive, t->id);
}

static void
tick_collect(struct sched *s, uint64_t now, struct tick_due *d)
{
	long long wall = loop_wall_ms();
	size_t i;

	for (i = 0; i < sched_tracker_count(s->tr); i++) {
		struct sched_task *t = sched_tracker_at(s->tr, i);

		switch (t->state) {
		case TASK_STAGING:
			if (now - t->since_ms > (uint64_t)s->launch_timeout_ms)
				sched_ids_push(&d->lost, t->id);
			break;
		case TASK_KILLING:
			tick_killing(s, t, now, d);
			break;
		case TASK_UNREACHABLE:
			tick_unreachable(s, t, wall, d);
			break;
		default:
			break;
		}
	}
}

static void
tick_release(struct tick_due *d)
{
	sched_ids_release(&d->lost);
	sched_ids_release(&d->rekill);
	sched_ids_release(&d->unhold);
	sched_ids_release(&d->inactive);
	sched_ids_release(&d->expunge);
}

static void
tick_cb(void *arg)
{
	struct sched *s = arg;
	struct tick_due d = {{NULL, 0, 0},
			     {NULL, 0, 0},
			     {NULL, 0, 0},
			     {NULL, 0, 0},
			     {NULL, 0, 0}};
	struct sched_task *t;
	uint64_t now;
	bool revive = false;
	char why[64];
	size_t i;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	now = loop_now_ms(s->loop);
	tick_collect(s, now, &d);
	for (i = 0; i < d.unhold.n; i++) {
		if ((t = sched_tracker_find(s->tr, d.unhold.v[i])) == NULL ||
		    t->state != TASK_KILLING)
			continue;
		log_warn("task=%s app=%s kill not confirmed: no longer "
			 "waiting for it to launch a replacement",
			 t->id, t->app_id);
		sched_tracker_set_flags(s->tr, t, 0);
	}
	for (i = 0; i < d.inactive.n; i++)
		if ((t = sched_tracker_find(s->tr, d.inactive.v[i])) != NULL)
			sched_converge_inactive(s, t);
	for (i = 0; i < d.expunge.n; i++) {
		t = sched_tracker_find(s->tr, d.expunge.v[i]);
		if (t != NULL && t->state == TASK_UNREACHABLE) {
			log_warn("task=%s app=%s unreachable past "
				 "expungeAfterSeconds: expunged",
				 t->id, t->app_id);
			(void)sched_converge_expunge(s, t);
		}
	}
	(void)snprintf(why, sizeof why, "no status for %lld s after launch",
		       s->launch_timeout_ms / 1000);
	if (s->registered) {
		for (i = 0; i < d.lost.n; i++) {
			char *agent;

			t = sched_tracker_find(s->tr, d.lost.v[i]);
			if (t == NULL || t->state != TASK_STAGING)
				continue;
			/* A copy: the master may end t from inside kill(). */
			agent = xstrdup(t->agent_id);
			(void)s->link.ops->kill(s->link.master, s->fw_id,
						d.lost.v[i], agent, 0);
			free(agent);
			t = sched_tracker_find(s->tr, d.lost.v[i]);
			if (t != NULL && t->state == TASK_STAGING)
				(void)sched_converge_task_end(s, t, TASK_LOST,
							      why);
		}
		sched_converge_kill(s, &d.rekill);
		for (i = 0; i < sched_repo_count(s->repo); i++)
			revive |= tick_app(s, sched_repo_at(s->repo, i), now);
		if (revive)
			sched_converge_revive(s);
	}
	tick_release(&d);
	loop_timer_add(s->tick, SCHED_TICK_MS);
}

void
sched_tick_start(struct sched *s)
{
	s->tick = loop_timer_new(s->loop, tick_cb, s);
	loop_timer_add(s->tick, SCHED_TICK_MS);
}

void
sched_tick_stop(struct sched *s)
{
	if (s->tick != NULL)
		loop_timer_free(s->tick);
	s->tick = NULL;
}
