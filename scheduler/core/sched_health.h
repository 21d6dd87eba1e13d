/*
 * sched_health.h: the scheduler's side of health checks. Starts
 * sched_probe on the scheduler's loop and client, tracks a task from
 * RUNNING until it ends, feeds the agent's "healthy" reports to it, and
 * turns its verdicts into Marathon's events (health_status_changed_event,
 * failed_health_check_event, unhealthy_task_kill_event) and kills: an
 * unhealthy task is killed through the normal kill path (TASK_KILLING,
 * persisted) and replaced, with the app's launch backoff counted as for a
 * failure. Also renders healthCheckResults and the app's health counts.
 * Every function is a no-op while s->health is NULL. Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_HEALTH_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_HEALTH_H

#include <stdbool.h>

#include <jansson.h>

#include "lib/wire.h"

struct sched;
struct sched_rapp;
struct sched_task;

/* Create s->health (s->hc must exist) and track the RUNNING tasks. */
void sched_health_start(struct sched *s);
/* Free s->health. */
void sched_health_stop(struct sched *s);
/*
 * A status update for t arrived (before it is applied): hand the agent's
 * "healthy" to sched_probe, or, on a terminal update marked unhealthy
 * (the agent killed it for failing its checks), emit the kill event.
 */
void sched_health_status(struct sched *s, const struct sched_task *t,
			 const struct wire_status *st);
/* t is RUNNING (committed): start its checks. Idempotent. */
void sched_health_track(struct sched *s, const struct sched_task *t);
/* t ended or was forgotten: stop its checks. */
void sched_health_untrack(struct sched *s, const char *task_id);
/* Add "healthCheckResults" to the task JSON j when t has checks. */
void sched_health_task_json(const struct sched *s, const struct sched_task *t,
			    json_t *j);
/* The same, with t's app ra already at hand (NULL: look it up). */
void sched_health_app_task_json(const struct sched *s,
				const struct sched_rapp *ra,
				const struct sched_task *t, json_t *j);
/* Whether t runs health checks (its own, or its app ra's; ra may be NULL). */
bool sched_health_has_checks(const struct sched *s, const struct sched_rapp *ra,
			     const struct sched_task *t);
/* tasksHealthy and tasksUnhealthy of r (RUNNING tasks only). */
void sched_health_counts(const struct sched *s, const struct sched_rapp *r,
			 int *healthy, int *unhealthy);

#endif
