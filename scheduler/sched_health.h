/*
 * sched_health.h: Marathon health checks of running tasks. HTTP, HTTPS and
 * TCP checks run here, asynchronously on the loop (httpc, non-blocking
 * connect), every intervalSeconds after gracePeriodSeconds, each with its
 * timeoutSeconds; COMMAND (and MESOS_*) checks run on the agent and their
 * results arrive through status updates (sched_health_from_status()).
 * After maxConsecutiveFailures the change callback reports the task as
 * unhealthy so the scheduler kills and replaces it. Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_SCHED_HEALTH_H
#define CLUSTERD_SCHEDULER_SCHED_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct loop;
struct httpc;
struct sched_health;

/*
 * Called when a task's aggregate health changes: healthy true/false, or
 * kill true once a check reached maxConsecutiveFailures (the scheduler
 * then kills and replaces the task). why is a short human reason.
 */
typedef void sched_health_fn(void *arg, const char *task_id, bool healthy,
    bool kill, const char *why);

struct sched_health *sched_health_new(struct loop *l, struct httpc *hc,
    sched_health_fn *on_change, void *arg);
void sched_health_free(struct sched_health *h);

/*
 * Start checking a task that became RUNNING. health_checks is the app's
 * normalised healthChecks array (borrowed; copied). host and ports are
 * where the task listens. started_ms is the wall clock of RUNNING (the
 * grace period counts from it). A task with no checks counts as healthy.
 */
void sched_health_track(struct sched_health *h, const char *task_id,
    const char *app_id, const char *host, const uint32_t *ports,
    size_t nports, const json_t *health_checks, long long started_ms);
/* Stop checking (terminal, killed, app deleted). Unknown ids are fine. */
void sched_health_untrack(struct sched_health *h, const char *task_id);
/* A status update carried Mesos' "healthy" field (agent-side checks). */
void sched_health_from_status(struct sched_health *h, const char *task_id,
    bool healthy);

/* 1 healthy, 0 unhealthy, -1 unknown yet (in grace, or no result). */
int sched_health_state(const struct sched_health *h, const char *task_id);
/* Whether the task has health checks at all. */
bool sched_health_has_checks(const struct sched_health *h,
    const char *task_id);
/* Marathon's healthCheckResults array for the task JSON; new reference
 * ([] when the task has no checks). */
json_t *sched_health_results_json(const struct sched_health *h,
    const char *task_id);

#endif
