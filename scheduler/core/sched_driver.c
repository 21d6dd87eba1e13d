/*
 * sched_driver.c: the framework side of lib/framework.h: what the master
 * calls on the scheduler. registered() stores the framework id, asks the
 * master to reconcile and re-sends pending kills; offers() fits the apps
 * that lack instances into each offer (sched_launch_fit), persists the
 * task records in one commit, then launches, or declines what is unused;
 * status() records every state change before acknowledging it (returns 0
 * only after the commit); an unreachable agent's tasks (TASK_UNREACHABLE,
 * or TASK_LOST for an agent lost, and agent_lost()) go by their app's
 * unreachableStrategy (sched_converge_unreachable()), and come back when
 * they are reported running again.
 * Design: offers are answered inside offers(), so none is ever held, and
 * tasks are added to the tracker before launch() because the master may
 * report on them from inside that call. Loop thread only.
 */
#include "scheduler/core/sched_driver.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "sched"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/store.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/core/sched_converge.h"
#include "scheduler/core/sched_events.h"
#include "scheduler/core/sched_health.h"
#include "scheduler/core/sched_ids.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_offer.h"
#include "scheduler/core/sched_repo.h"
#include "scheduler/core/sched_task.h"
#include "scheduler/core/sched_tracker.h"
#include "scheduler/place/sched_launch.h"

static void
sched_driver_registered(void *arg, const char *framework_id,
			const char *master_id)
{
	struct sched *s = arg;
	struct sched_ids kill = {NULL, 0, 0}, mark = {NULL, 0, 0};
	size_t i;
	int rc;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	if (s->fw_id == NULL || strcmp(s->fw_id, framework_id) != 0) {
		rc = sched_repo_framework_id_save(s->repo, framework_id);
		if (rc != 0)
			log_error("storing the framework id failed rc=%d", rc);
		free(s->fw_id);
		s->fw_id = xstrdup(framework_id);
	}
	s->registered = true;
	log_info("registered framework=%s master=%s apps=%zu tasks=%zu",
		 framework_id, master_id != NULL ? master_id : "?",
		 sched_repo_count(s->repo), sched_tracker_count(s->tr));
	s->link.ops->reconcile(s->link.master, s->fw_id);

	/* Kills that were pending, and tasks whose app is gone. */
	for (i = 0; i < sched_tracker_count(s->tr); i++) {
		struct sched_task *t = sched_tracker_at(s->tr, i);

		if (t->state == TASK_KILLING) {
			sched_ids_push(&kill, t->id);
		} else if (sched_repo_find(s->repo, t->app_id) == NULL) {
			sched_ids_push(&mark, t->id);
			sched_ids_push(&kill, t->id);
		}
	}
	if (sched_converge_mark_killing(s, &mark,
					SCHED_TASK_F(SCHED_TASK_HOLD)) == 0)
		sched_converge_kill(s, &kill);
	sched_ids_release(&kill);
	sched_ids_release(&mark);
	for (i = 0; i < sched_repo_count(s->repo); i++)
		(void)sched_converge(s, sched_repo_at(s->repo, i));
	sched_converge_revive(s);
}

/* A task under construction for one offer. */
struct sched_driver_pending {
	struct wire_task wt;
	struct sched_task *t; /* owned until added to the tracker */
};

/* Fit as many instances of ra as it still needs into avail. */
static void
sched_driver_fill(struct sched *s, struct sched_rapp *ra,
		  const struct fw_offer *o, struct resources *avail,
		  size_t limit, struct sched_driver_pending **pv, size_t *n,
		  size_t *cap)
{
	struct sched_launch_counts c;
	struct sched_launch_plan p;
	const struct sched_app *app = ra->app;
	size_t np = sched_app_host_port_count(app);
	uint32_t *ports = xcalloc(np + 1, sizeof *ports);
	int k;

	sched_converge_count(s, ra, &c);
	sched_launch_plan(&c, &p);
	/* The plan may count on kills converge has not made yet (a task
	 * became healthy since): launch only what fits now, and converge. */
	if (p.launch_now < p.launch)
		sched_converge_soon(s);
	p.launch = p.launch_now;
	if ((size_t)p.launch > limit)
		p.launch = (int)limit;
	for (k = 0; k < p.launch; k++) {
		struct sched_driver_pending *e;
		char *tid;

		/* Role, constraints, then resources; counts the offer. */
		if (sched_offer_place(s, ra, o, avail, ports, np) != 0)
			break;
		XGROW(*pv, *n + 1, *cap);
		e = &(*pv)[(*n)++];
		tid = id_task_new(sched_app_id(app));
		sched_app_build_task(app, tid, s->fw_id, o->agent_id,
				     o->hostname, ports, np, &e->wt);
		/* The tracker keys on these: make sure they are the app's. */
		free(e->wt.app_id);
		e->wt.app_id = xstrdup(sched_app_id(app));
		free(e->wt.version);
		e->wt.version = xstrdup(sched_app_version(app));
		e->t = sched_tracker_task_new(&e->wt, o->hostname, ports, np,
					      loop_wall_ms(),
					      loop_now_ms(s->loop));
		free(tid);
	}
	if (p.launch > 0)
		sched_offer_done(s, ra, o, k);
	free(ports);
}

/* Launch what fits into one offer, at most per_offer instances, or
 * decline it. want[i] says whether app i had anything to launch when this
 * round of offers began. */
static void
sched_driver_use_offer(struct sched *s, const struct fw_offer *o,
		       const unsigned char *want, size_t per_offer)
{
	struct sched_driver_pending *pv = NULL;
	struct wire_task *wts = NULL;
	struct sched_ids ids = {NULL, 0, 0};
	struct resources avail;
	struct store_batch *b = NULL;
	uint64_t now = loop_now_ms(s->loop);
	struct cd_err err;
	size_t i, n = 0, cap = 0;
	int rc = 0;

	res_copy(&avail, &o->res);
	for (i = 0; i < sched_repo_count(s->repo); i++) {
		struct sched_rapp *ra = sched_repo_at(s->repo, i);

		if (!want[i] || ra->launch_after_ms > now || ra->held)
			continue;
		if (n >= per_offer)
			break;
		sched_driver_fill(s, ra, o, &avail, per_offer - n, &pv, &n,
				  &cap);
	}
	if (n == 0) {
		s->link.ops->decline(s->link.master, s->fw_id, o->id,
				     s->refuse_seconds);
		goto out;
	}
	b = store_batch_begin(s->st);
	for (i = 0; rc == 0 && i < n; i++)
		rc = sched_tracker_stage(b, pv[i].t, TASK_STAGING);
	if (rc == 0)
		rc = store_batch_commit(b);
	else
		store_batch_abort(b);
	if (rc != 0) {
		log_error("persisting %zu task(s) failed rc=%d: declining", n,
			  rc);
		s->link.ops->decline(s->link.master, s->fw_id, o->id, 0);
		goto out;
	}
	wts = xcalloc(n, sizeof *wts);
	for (i = 0; i < n; i++) {
		sched_ids_push(&ids, pv[i].t->id);
		sched_tracker_add(s->tr, pv[i].t);
		/* Committed and listed: visible as staging (before launch(),
		 * which may already report it running). */
		sched_events_emit(s->events, sched_task_status_event(
						 pv[i].t, TASK_STAGING, NULL));
		pv[i].t = NULL;
		wts[i] = pv[i].wt; /* shallow: pv keeps ownership */
		log_info("launching task=%s app=%s on %s", ids.v[i],
			 pv[i].wt.app_id, o->hostname);
	}
	cd_err_clear(&err);
	rc = s->link.ops->launch(s->link.master, s->fw_id, o->id, wts, n, &err);
	if (rc != 0) {
		log_warn("launch on offer=%s failed rc=%d: %s", o->id, rc,
			 err.msg);
		for (i = 0; i < ids.n; i++) {
			struct sched_task *t =
			    sched_tracker_find(s->tr, ids.v[i]);

			if (t != NULL &&
			    sched_tracker_unpersist(s->st, t->id) == 0) {
				json_t *ev = sched_task_status_event(
				    t, TASK_ERROR, err.msg);

				sched_tracker_remove(s->tr, t);
				sched_events_emit(s->events, ev);
			}
		}
	}
out:
	for (i = 0; i < n; i++) {
		wire_task_release(&pv[i].wt);
		sched_tracker_task_free(pv[i].t);
	}
	free(pv);
	free(wts);
	sched_ids_release(&ids);
	res_free(&avail);
}

static void
sched_driver_offers(void *arg, const struct fw_offer *offers, size_t n)
{
	struct sched *s = arg;
	uint64_t now = loop_now_ms(s->loop);
	unsigned char *want;
	size_t i, k, napps, nwant = 0, ninst = 0, per_offer;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	sched_offer_round(s, offers, n);
	/*
	 * Count each app's tasks once per round, not once per offer: with
	 * many agents and nothing to launch, recounting every app for every
	 * offer was most of the master's CPU (BENCHMARKS.md). Apps that have
	 * nothing to launch now cannot gain demand inside this callback.
	 */
	napps = sched_repo_count(s->repo);
	want = xcalloc(napps + 1, 1);
	for (k = 0; k < napps; k++) {
		struct sched_rapp *ra = sched_repo_at(s->repo, k);
		struct sched_launch_counts c;
		struct sched_launch_plan p;

		if (ra->launch_after_ms > now || ra->held)
			continue;
		sched_converge_count(s, ra, &c);
		sched_launch_plan(&c, &p);
		want[k] = p.launch > 0;
		nwant += want[k];
		if (p.launch > 0)
			ninst += (size_t)p.launch;
	}
	/*
	 * Spread the round's instances over its offers: each offer takes at
	 * most its share, rounded up. Filling offer after offer instead put
	 * one instance of every waiting app on the first agents of the round
	 * (1,000 apps with UNIQUE hostname: a thousand tasks on each of the
	 * first hundred agents, none on the other 9,900), where Mesos' random
	 * offer order and Marathon's max_instances_per_offer spread them. One
	 * agent still takes everything in one round; what an offer could not
	 * take (constraints, resources) goes to the next round, which the
	 * launches themselves bring on (SPEC: offers follow every change).
	 */
	per_offer = n > 0 ? (ninst + n - 1) / n : 0;
	if (per_offer == 0)
		per_offer = 1;
	/*
	 * Nothing wanted: decline for the long idle filter, so that a quiet
	 * cluster does not get every agent offered every refuse_seconds;
	 * sched_converge() revives as soon as an app wants a task again.
	 * Offers that do not fit an app that wants tasks keep the short
	 * filter (sched_driver_use_offer).
	 */
	if (s->fw_id != NULL && s->registered && nwant == 0 && n > 0) {
		for (i = 0; i < n; i++)
			s->link.ops->decline(s->link.master, s->fw_id,
					     offers[i].id, s->idle_seconds);
		if (!s->idle_filtered)
			log_debug("nothing to launch: declining offers for "
				  "%.0f s",
				  s->idle_seconds);
		s->idle_filtered = true;
		free(want);
		return;
	}
	for (i = 0; i < n; i++) {
		if (s->fw_id == NULL || nwant == 0) {
			s->link.ops->decline(s->link.master,
					     s->fw_id ? s->fw_id : "",
					     offers[i].id, s->refuse_seconds);
			continue;
		}
		sched_driver_use_offer(s, &offers[i], want, per_offer);
	}
	free(want);
}

static void
sched_driver_rescind(void *arg, const char *offer_id)
{
	struct sched *s = arg;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	/* Offers are answered inside offers(): none is ever outstanding. */
	log_debug("offer=%s rescinded", offer_id);
}

static int
sched_driver_status(void *arg, const struct wire_status *st)
{
	struct sched *s = arg;
	struct sched_task *t;
	struct sched_rapp *ra;
	const char *why = st->message != NULL ? st->message : st->reason;
	long long started, unreachable;
	bool back;
	int rc;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	t = sched_tracker_find(s->tr, st->task_id);
	if (t == NULL) {
		if (!task_state_terminal(st->state) && s->fw_id != NULL) {
			log_info("task=%s is unknown (%s): killing it",
				 st->task_id, task_state_name(st->state));
			/* Through the agent that reports it: the master may
			 * not know the task (it forgot it). */
			(void)s->link.ops->kill(s->link.master, s->fw_id,
						st->task_id, st->agent_id, 0);
		}
		return 0;
	}
	sched_task_note_addresses(t, st->container_status);
	sched_health_status(s, t, st); /* the agent's health checks */
	if (sched_task_status_unreachable(st))
		return sched_converge_unreachable(s, t, why);
	if (task_state_terminal(st->state))
		return sched_converge_task_end(s, t, st->state, why);
	if (st->state == t->state ||
	    (t->state == TASK_KILLING && st->state != TASK_KILLING))
		return 0; /* a replay, or news older than our kill */
	if (st->state != TASK_KILLING &&
	    !task_state_allowed(t->state, st->state)) {
		log_debug("task=%s ignoring %s -> %s", t->id,
			  task_state_name(t->state),
			  task_state_name(st->state));
		return 0;
	}
	/* Its agent came back: the task counts again (surplus is killed
	 * by killSelection when its app converges). */
	back = t->state == TASK_UNREACHABLE;
	started = t->started_ms;
	unreachable = t->unreachable_ms;
	if (st->state == TASK_RUNNING && t->started_ms == 0)
		t->started_ms =
		    st->timestamp_ms > 0 ? st->timestamp_ms : loop_wall_ms();
	t->unreachable_ms = 0;
	rc = sched_tracker_persist(s->st, t, st->state);
	if (rc != 0) {
		log_error("task=%s persisting %s failed rc=%d", t->id,
			  task_state_name(st->state), rc);
		t->started_ms = started;
		t->unreachable_ms = unreachable;
		return rc;
	}
	sched_tracker_set_state(s->tr, t, st->state);
	if (back)
		sched_tracker_set_flags(
		    s->tr, t, t->flags & ~SCHED_TASK_F(SCHED_TASK_INACTIVE));
	t->since_ms = loop_now_ms(s->loop);
	log_info("task=%s app=%s %s%s", t->id, t->app_id,
		 task_state_name(t->state), back ? " (its agent is back)" : "");
	/* Committed and in the tracker: visible through the API. */
	sched_events_emit(s->events, sched_task_status_event(t, t->state, why));
	if (t->state == TASK_RUNNING)
		sched_health_track(s, t);
	if (t->state == TASK_RUNNING || back) {
		ra = sched_repo_find(s->repo, t->app_id);
		if (ra != NULL)
			(void)sched_converge(s, ra);
	}
	return 0;
}

static void
sched_driver_agent_lost(void *arg, const char *agent_id)
{
	struct sched *s = arg;
	struct sched_ids ids = {NULL, 0, 0};
	size_t i;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	for (i = 0; i < sched_tracker_count(s->tr); i++) {
		struct sched_task *t = sched_tracker_at(s->tr, i);

		if (strcmp(t->agent_id, agent_id) == 0)
			sched_ids_push(&ids, t->id);
	}
	log_info("agent=%s lost with %zu task(s)", agent_id, ids.n);
	for (i = 0; i < ids.n; i++) {
		struct sched_task *t = sched_tracker_find(s->tr, ids.v[i]);

		if (t != NULL)
			(void)sched_converge_unreachable(
			    s, t, "the agent is unreachable");
	}
	sched_ids_release(&ids);
}

const struct framework_sched_ops sched_driver_ops = {
    .registered = sched_driver_registered,
    .offers = sched_driver_offers,
    .rescind = sched_driver_rescind,
    .status = sched_driver_status,
    .agent_lost = sched_driver_agent_lost,
};
