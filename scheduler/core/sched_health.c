/*
 * sched_health.c: the scheduler's side of health checks (see
 * sched_health.h). Owns nothing but the sched_probe object it puts in
 * s->health; every other state is the scheduler's.
 *
 * Design: a task's checks are those it was launched with (the wire
 * task's "health_checks"), so a task keeps the checks of its own app
 * version; tasks launched before tasks carried them fall back to the
 * app's current checks. The kill of an unhealthy task goes through
 * sched_converge_mark_killing() and sched_converge_kill() like any API kill,
 * after counting a failure for the app's backoff
 * (sched_converge_backoff(); a task killed as expected would not count
 * one), so a crash-looping unhealthy app slows down as Marathon's does,
 * and marked SCHED_TASK_REPLACE, so that its replacement starts only once
 * its end is confirmed or its kill times out (no overlap of the unhealthy
 * copy and the new one). Events go out after the state they report is visible
 * (the health bookkeeping is updated before the callbacks run).
 * Loop thread only.
 */
#include "scheduler/core/sched_health.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "sched"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/core/sched_converge.h"
#include "scheduler/core/sched_events.h"
#include "scheduler/core/sched_gen.h"
#include "scheduler/core/sched_ids.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_probe.h"
#include "scheduler/core/sched_repo.h"
#include "scheduler/core/sched_tracker.h"

/* The checks t runs (borrowed), or NULL. ra is t's app when the caller
 * has it (saves a lookup per task in big listings), or NULL. */
static const json_t *
hc_checks_of(const struct sched *s, const struct sched_rapp *ra,
	     const struct sched_task *t)
{
	const json_t *own = json_object_get(t->task, "health_checks");

	if (json_is_array(own))
		return own;
	if (ra == NULL)
		ra = sched_repo_find(s->repo, t->app_id);
	return ra != NULL ? sched_app_health_checks(ra->app) : NULL;
}

static const json_t *
hc_checks(const struct sched *s, const struct sched_task *t)
{
	return hc_checks_of(s, NULL, t);
}

static void
hc_emit(struct sched *s, const struct sched_task *t, const char *type,
	json_t *ev)
{
	json_object_set_new(ev, "eventType", json_string(type));
	json_object_set_new(ev, "appId", json_string(t->app_id));
	json_object_set_new(ev, "taskId", json_string(t->id));
	json_object_set_new(ev, "instanceId", json_string(t->id));
	sched_events_emit(s->events, ev);
}

/* unhealthy_task_kill_event (Marathon's event-bus.md name). */
static void
hc_emit_kill(struct sched *s, const struct sched_task *t, const char *why)
{
	hc_emit(s, t, "unhealthy_task_kill_event",
		json_pack("{s:s, s:s, s:s, s:s}", "version", t->version,
			  "reason", why != NULL ? why : "unhealthy", "host",
			  t->host, "slaveId", t->agent_id));
}

/* sched_probe: a task's health changed, or it must die. */
static void
hc_on_change(void *arg, const char *task_id, bool healthy, bool kill,
	     const char *why)
{
	struct sched *s = arg;
	struct sched_ids ids = {NULL, 0, 0};
	struct sched_task *t;
	struct sched_rapp *ra;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	t = sched_tracker_find(s->tr, task_id);
	if (t == NULL)
		return;
	log_info("task=%s app=%s is %s%s%s", t->id, t->app_id,
		 healthy ? "healthy" : "unhealthy", why != NULL ? ": " : "",
		 why != NULL ? why : "");
	hc_emit(
	    s, t, "health_status_changed_event",
	    json_pack("{s:s, s:b}", "version", t->version, "alive", healthy));
	if (!kill || t->state != TASK_RUNNING)
		return;
	log_warn("task=%s app=%s failed its health checks: killing it (%s)",
		 t->id, t->app_id, why != NULL ? why : "");
	sched_probe_untrack(s->health, t->id);
	if ((ra = sched_repo_find(s->repo, t->app_id)) != NULL)
		sched_converge_backoff(s, ra, t, TASK_KILLED,
				       why != NULL ? why : "unhealthy");
	sched_ids_push(&ids, t->id);
	/* Replaced once its end is confirmed (or its kill times out), never
	 * beside it: REPLACE keeps it an instance until then. */
	if (sched_converge_mark_killing(s, &ids,
					SCHED_TASK_F(SCHED_TASK_HOLD) |
					    SCHED_TASK_F(SCHED_TASK_REPLACE)) !=
	    0) {
		log_error("task=%s persisting the kill failed", task_id);
	} else {
		hc_emit_kill(s, t, why);
		sched_converge_kill(s, &ids); /* may end t at once */
	}
	sched_ids_release(&ids);
}

/* sched_probe: a check failed (counted). */
static void
hc_on_fail(void *arg, const char *task_id, const char *app_id,
	   const json_t *check, const char *cause)
{
	struct sched *s = arg;
	struct sched_task *t;

	(void)app_id;
	(void)cause;
	CD_CHECK_OBJ(s, SCHED_MAGIC);
	if ((t = sched_tracker_find(s->tr, task_id)) == NULL)
		return;
	hc_emit(s, t, "failed_health_check_event",
		json_pack("{s:O}", "healthCheck", check));
}

/*
 * A task on a USER network has an address of its own (from the agent's
 * container_status): its checks reach it there, at its container ports,
 * as Marathon's do for IP-per-task apps. Returns the address (borrowed
 * from t) and *ports (owned, *n of them), or NULL.
 */
static const char *
hc_own_address(const struct sched_task *t, uint32_t **ports, size_t *n)
{
	const json_t *dk =
	    json_object_get(json_object_get(t->task, "container"), "docker");
	const json_t *pms = json_object_get(dk, "portMappings");
	const char *net = json_string_value(json_object_get(dk, "network"));
	const char *ip = json_string_value(
	    json_object_get(json_array_get(t->ips, 0), "ipAddress"));
	size_t i;

	*ports = NULL;
	*n = 0;
	if (ip == NULL || net == NULL || strcmp(net, "USER") != 0)
		return NULL;
	*n = json_array_size(pms);
	*ports = xcalloc(*n + 1, sizeof **ports);
	for (i = 0; i < *n; i++)
		(*ports)[i] = (uint32_t)json_integer_value(
		    json_object_get(json_array_get(pms, i), "containerPort"));
	return ip;
}

void
sched_health_track(struct sched *s, const struct sched_task *t)
{
	const char *ip = NULL;
	uint32_t *own_ports;
	size_t nown;

	if (s->health == NULL || t->state != TASK_RUNNING)
		return;
	if ((ip = hc_own_address(t, &own_ports, &nown)) != NULL) {
		sched_probe_track(s->health, t->id, t->app_id, ip, own_ports,
				  nown, hc_checks(s, t), t->started_ms);
		free(own_ports);
		return;
	}
	/* Reach the task at its agent's advertised address, not by name. */
	if (s->link.ops->agent_ip != NULL && t->agent_id != NULL)
		ip = s->link.ops->agent_ip(s->link.master, t->agent_id);
	sched_probe_track(s->health, t->id, t->app_id,
			  ip != NULL ? ip : t->host, t->ports, t->nports,
			  hc_checks(s, t), t->started_ms);
}

void
sched_health_untrack(struct sched *s, const char *task_id)
{
	if (s->health != NULL)
		sched_probe_untrack(s->health, task_id);
}

void
sched_health_start(struct sched *s)
{
	size_t i;

	if (s->health != NULL || s->hc == NULL)
		return;
	s->health = sched_probe_new(s->loop, s->hc, hc_on_change, s);
	sched_gen_bump(s); /* healthCheckResults appear */
	sched_probe_on_failure(s->health, hc_on_fail);
	for (i = 0; i < sched_tracker_count(s->tr); i++)
		sched_health_track(s, sched_tracker_at(s->tr, i));
}

void
sched_health_stop(struct sched *s)
{
	/* Its count goes, its changes stay counted (sched_gen.h). */
	if (s->health != NULL)
		s->gen += sched_probe_gen(s->health) + 1;
	sched_probe_free(s->health);
	s->health = NULL;
}

void
sched_health_status(struct sched *s, const struct sched_task *t,
		    const struct wire_status *st)
{
	if (s->health == NULL || st->healthy == WIRE_HEALTH_UNKNOWN)
		return;
	if (task_state_terminal(st->state)) {
		/* The agent's last word on a task it killed as unhealthy. */
		if (st->healthy == WIRE_HEALTH_FAILED &&
		    t->state != TASK_KILLING)
			hc_emit_kill(s, t, st->message);
		return;
	}
	if (st->state == TASK_RUNNING)
		sched_probe_from_agent(s->health, t->id,
				       st->healthy == WIRE_HEALTH_OK,
				       st->message);
}

void
sched_health_task_json(const struct sched *s, const struct sched_task *t,
		       json_t *j)
{
	sched_health_app_task_json(s, NULL, t, j);
}

bool
sched_health_has_checks(const struct sched *s, const struct sched_rapp *ra,
			const struct sched_task *t)
{
	return s->health != NULL && json_array_size(hc_checks_of(s, ra, t)) > 0;
}

void
sched_health_app_task_json(const struct sched *s, const struct sched_rapp *ra,
			   const struct sched_task *t, json_t *j)
{
	if (!sched_health_has_checks(s, ra, t))
		return;
	json_object_set_new(j, "healthCheckResults",
			    sched_probe_results_json(s->health, t->id));
}

void
sched_health_counts(const struct sched *s, const struct sched_rapp *r,
		    int *healthy, int *unhealthy)
{
	struct sched_task *const *tv;
	size_t i, n;

	*healthy = *unhealthy = 0;
	if (s->health == NULL)
		return;
	tv = sched_tracker_app_tasks(s->tr, sched_app_id(r->app), &n);
	for (i = 0; i < n; i++) {
		if (tv[i]->state != TASK_RUNNING ||
		    json_array_size(hc_checks_of(s, r, tv[i])) == 0)
			continue;
		switch (sched_probe_state(s->health, tv[i]->id)) {
		case 1:
			(*healthy)++;
			break;
		case 0:
			(*unhealthy)++;
			break;
		default:
			break;
		}
	}
}
