/*
 * sched_deploy_exec.c: the deployment executor: the running deployments
 * of a struct sched (s->deploys, owned here, with their progress timer
 * s->deploy_timer), loaded from the store at start, locks on their apps,
 * step progress and its events, cancellation.
 *
 * Design decisions:
 * - Converge stays the engine. A deployment does not drive launches and
 *   kills itself: sched_converge() keeps doing that for every app, and a
 *   deployment only (a) holds back the apps whose action lies in a later
 *   step (struct sched_rapp.held: no launch, no kill), and (b) watches
 *   the apps of its current step until they have converged, then moves
 *   to the next step. So a restart, a crash or a forced override never
 *   leaves an app half-driven: without deployments every app converges.
 * - Progress is checked from a zero-delay timer (armed here and by
 *   converge, sched_converge.c) and at the start of every API change
 *   (sched_deploy_exec_poll()), never inside a callback that may be
 *   nested in the master's launch/kill calls.
 * Loop thread only.
 */
#include "scheduler/core/sched_deploy_exec.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "sched"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/store.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/core/sched_converge.h"
#include "scheduler/core/sched_deploy.h"
#include "scheduler/core/sched_events.h"
#include "scheduler/core/sched_gen.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_repo.h"
#include "scheduler/core/sched_task.h"
#include "scheduler/core/sched_tracker.h"

static void deploy_timer_cb(void *arg);
static void deploy_kick(struct sched *s);

struct deploy_load {
	struct sched *s; /* borrowed: the one loading */
	size_t nbad;
};

static void
deploy_push(struct sched *s, struct sched_deploy *d)
{
	XGROW(s->deploys, s->ndeploys + 1, s->capdeploys);
	s->deploys[s->ndeploys++] = d;
	sched_gen_bump(s); /* AppInfo's "deployments" */
}

static int
deploy_load_one(const char *key, const void *val, size_t len, void *arg)
{
	struct deploy_load *ld = arg;
	struct sched_deploy *d;
	json_t *j = json_parse_bounded(val, len, NULL);

	(void)key;
	if (j == NULL || sched_deploy_from_record(j, &d) != 0) {
		ld->nbad++;
	} else {
		d->announced = true; /* before the restart */
		deploy_push(ld->s, d);
	}
	json_decref(j);
	return 0;
}

int
sched_deploy_exec_start(struct sched *s, struct cd_err *err)
{
	struct deploy_load ld = {s, 0};
	int rc;

	rc = store_iter(s->st, STORE_DB_SCHED, SCHED_DEPLOY_PREFIX,
			deploy_load_one, &ld);
	if (rc < 0)
		return cd_err_set(err, rc,
				  "reading deployments from the store failed");
	if (ld.nbad > 0)
		log_warn("skipped %zu unreadable deployment(s)", ld.nbad);
	if (s->ndeploys > 0)
		log_info("resuming %zu deployment(s)", s->ndeploys);
	s->deploy_timer = loop_timer_new(s->loop, deploy_timer_cb, s);
	sched_deploy_exec_update_held(s);
	deploy_kick(s);
	return 0;
}

void
sched_deploy_exec_stop(struct sched *s)
{
	size_t i;

	if (s->deploy_timer != NULL)
		loop_timer_free(s->deploy_timer);
	s->deploy_timer = NULL;
	for (i = 0; i < s->ndeploys; i++)
		sched_deploy_free(s->deploys[i]);
	free(s->deploys);
	s->deploys = NULL;
	s->ndeploys = s->capdeploys = 0;
}

json_t *
sched_deploy_exec_locks(const struct sched *s, const char *const *ids, size_t n)
{
	json_t *a = NULL;
	size_t i, k;

	for (i = 0; i < s->ndeploys; i++) {
		for (k = 0; k < n; k++)
			if (sched_deploy_affects(s->deploys[i], ids[k]))
				break;
		if (k == n)
			continue;
		if (a == NULL)
			a = json_array();
		json_array_append_new(
		    a, json_pack("{s:s}", "id", s->deploys[i]->id));
	}
	return a;
}

struct sched_deploy *
sched_deploy_exec_find(const struct sched *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->ndeploys; i++)
		if (strcmp(s->deploys[i]->id, id) == 0)
			return s->deploys[i];
	return NULL;
}

json_t *
sched_deploy_exec_app_json(const struct sched *s, const char *app_id)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < s->ndeploys; i++)
		if (sched_deploy_affects(s->deploys[i], app_id))
			json_array_append_new(
			    a, json_pack("{s:s}", "id", s->deploys[i]->id));
	return a;
}

json_t *
sched_deploy_exec_list_json(const struct sched *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < s->ndeploys; i++)
		json_array_append_new(a, sched_deploy_info_json(s->deploys[i]));
	return a;
}

/* One-write helpers for progress (their own commit). */
static int
deploy_persist(struct sched *s, const struct sched_deploy *d, bool del)
{
	struct store_batch *b = store_batch_begin(s->st);
	int rc = del ? sched_deploy_stage_del(b, d->id)
		     : sched_deploy_stage_put(b, d);

	if (rc != 0) {
		store_batch_abort(b);
		return rc;
	}
	return store_batch_commit(b);
}

static void
deploy_emit(struct sched *s, const char *type, const struct sched_deploy *d,
	    bool with_id, const struct sched_deploy_step *step)
{
	json_t *ev = json_pack("{s:s, s:o}", "eventType", type, "plan",
			       sched_deploy_plan_json(d));

	if (with_id)
		json_object_set_new(ev, "id", json_string(d->id));
	if (step != NULL)
		json_object_set_new(ev, "currentStep",
				    sched_deploy_step_json(step));
	sched_events_emit(s->events, ev);
}

/* deployment_info, once, before anything else about d. */
static void
deploy_announce(struct sched *s, struct sched_deploy *d)
{
	if (d->announced)
		return;
	d->announced = true;
	deploy_emit(s, "deployment_info", d, false,
		    d->cur < d->nsteps ? &d->steps[d->cur] : NULL);
}

void
sched_deploy_exec_update_held(struct sched *s)
{
	size_t i, k;

	for (i = 0; i < sched_repo_count(s->repo); i++)
		sched_repo_at(s->repo, i)->held = false;
	for (i = 0; i < s->ndeploys; i++) {
		const struct sched_deploy *d = s->deploys[i];

		for (k = 0; k < d->naffected; k++) {
			struct sched_rapp *ra =
			    sched_repo_find(s->repo, d->affected[k]);
			size_t st;

			if (ra == NULL)
				continue;
			st = sched_deploy_app_step(d, d->affected[k]);
			if (st < d->nsteps && st > d->cur)
				ra->held = true;
		}
	}
}

void
sched_deploy_exec_add(struct sched *s, struct sched_deploy *d)
{
	deploy_push(s, d);
	sched_deploy_exec_update_held(s);
	log_info("deployment=%s started: %zu step(s), %zu app(s)", d->id,
		 d->nsteps, d->naffected);
	deploy_kick(s);
}

/* Take deployment i out of the running set; the caller frees it. */
static struct sched_deploy *
deploy_take(struct sched *s, size_t i)
{
	struct sched_deploy *d = s->deploys[i];

	memmove(&s->deploys[i], &s->deploys[i + 1],
		(s->ndeploys - i - 1) * sizeof *s->deploys);
	s->ndeploys--;
	sched_gen_bump(s);
	return d;
}

void
sched_deploy_exec_cancel(struct sched *s, const char *id)
{
	struct sched_deploy *d = NULL;
	size_t i;

	for (i = 0; i < s->ndeploys; i++)
		if (strcmp(s->deploys[i]->id, id) == 0)
			break;
	if (i == s->ndeploys)
		return;
	d = deploy_take(s, i);
	log_info("deployment=%s canceled at step %zu/%zu", d->id, d->cur + 1,
		 d->nsteps);
	deploy_announce(s, d);
	sched_deploy_exec_update_held(s);
	deploy_emit(s, "deployment_failed", d, true,
		    d->cur < d->nsteps ? &d->steps[d->cur] : NULL);
	sched_deploy_free(d);
	sched_converge_all(s);
}

/* Whether ra runs exactly its instances, all current, running, healthy
 * (unreachable tasks that were replaced do not count). */
static bool
deploy_app_converged(const struct sched *s, const struct sched_rapp *ra)
{
	struct sched_task *const *tv;
	size_t i, n;
	int k = 0;

	tv = sched_tracker_app_tasks(s->tr, sched_app_id(ra->app), &n);
	for (i = 0; i < n; i++) {
		if ((tv[i]->flags & SCHED_TASK_F(SCHED_TASK_INACTIVE)) != 0)
			continue;
		if (tv[i]->state != TASK_RUNNING ||
		    !sched_task_current(ra, tv[i]) ||
		    !sched_task_healthy(s, ra, tv[i]))
			return false;
		k++;
	}
	return k == sched_app_instances(ra->app);
}

static bool
deploy_step_done(const struct sched *s, const struct sched_deploy_step *st)
{
	size_t i, n;

	for (i = 0; i < st->n; i++) {
		const struct sched_rapp *ra =
		    sched_repo_find(s->repo, st->v[i].app);

		switch (st->v[i].kind) {
		case SCHED_DEPLOY_START:
			break;
		case SCHED_DEPLOY_STOP:
			/* Done once no task is left (or the id was reused by
			 * a later, forced change). */
			(void)sched_tracker_app_tasks(s->tr, st->v[i].app, &n);
			if (ra == NULL && n > 0)
				return false;
			break;
		case SCHED_DEPLOY_SCALE:
		case SCHED_DEPLOY_RESTART:
			if (ra != NULL && !deploy_app_converged(s, ra))
				return false;
			break;
		}
	}
	return true;
}

void
sched_deploy_exec_poll(struct sched *s)
{
	bool changed = false;
	size_t i = 0;
	int rc;

	while (i < s->ndeploys) {
		struct sched_deploy *d = s->deploys[i];
		bool advanced = false;

		deploy_announce(s, d);
		while (d->cur < d->nsteps &&
		       deploy_step_done(s, &d->steps[d->cur])) {
			d->cur++; /* visible first, then announced */
			sched_gen_bump(s);
			advanced = true;
			deploy_emit(s, "deployment_step_success", d, false,
				    &d->steps[d->cur - 1]);
		}
		if (d->cur >= d->nsteps) {
			rc = deploy_persist(s, d, true);
			if (rc != 0) {
				log_error("deployment=%s removing the record "
					  "failed rc=%d",
					  d->id, rc);
				i++;
				continue;
			}
			d = deploy_take(s, i);
			log_info("deployment=%s finished", d->id);
			changed = true;
			sched_deploy_exec_update_held(s);
			deploy_emit(s, "deployment_success", d, true, NULL);
			sched_deploy_free(d);
			continue;
		}
		if (advanced) {
			changed = true;
			log_info("deployment=%s at step %zu/%zu", d->id,
				 d->cur + 1, d->nsteps);
			rc = deploy_persist(s, d, false);
			if (rc != 0)
				log_error("deployment=%s persisting progress "
					  "failed rc=%d",
					  d->id, rc);
			sched_deploy_exec_update_held(s);
		}
		i++;
	}
	if (changed)
		sched_converge_all(s);
}

static void
deploy_timer_cb(void *arg)
{
	struct sched *s = arg;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	sched_deploy_exec_poll(s);
}

/* Run sched_deploy_exec_poll() soon, from the loop. */
static void
deploy_kick(struct sched *s)
{
	if (s->deploy_timer != NULL && s->ndeploys > 0 &&
	    !loop_timer_pending(s->deploy_timer))
		loop_timer_add(s->deploy_timer, 0);
}
