/*
 * agent_health.h: the health checks the agent runs itself, as a Mesos
 * executor does: a task's COMMAND checks, run in the task's context through
 * the containerizer's exec, on the check's schedule (intervalSeconds,
 * timeoutSeconds, gracePeriodSeconds). The result goes to the scheduler as
 * a status update with "healthy" set, only when the task's health changes
 * (and the first result). After maxConsecutiveFailures (when > 0) the task
 * is killed, as Mesos does for its own checks. HTTP, HTTPS, TCP and the
 * MESOS_* protocols are the scheduler's (scheduler/sched_probe.h).
 * Loop thread only.
 */
#ifndef CLUSTERD_AGENT_AGENT_HEALTH_H
#define CLUSTERD_AGENT_AGENT_HEALTH_H

#include <stdbool.h>

#include <jansson.h>

struct loop;
struct ctr;
struct agent_health;

/* The task's health changed (or is known for the first time). */
typedef void agent_health_report_fn(void *arg, bool healthy, const char *why);
/* A check failed maxConsecutiveFailures times in a row: kill the task. */
typedef void agent_health_kill_fn(void *arg, const char *why);

/* Whether health_checks (a normalised healthChecks array) holds any check
 * the agent runs. */
bool agent_health_wanted(const json_t *health_checks);

/*
 * Start checking task_id (RUNNING since started_ms, wall clock). Returns
 * NULL when there is nothing for the agent to run. Callbacks run from the
 * loop, never from inside this call; report and kill may not free h (the
 * caller stops it later, from its own events). After kill, h stays idle.
 */
struct agent_health *agent_health_start(struct loop *l, struct ctr *c,
					const char *task_id,
					const json_t *health_checks,
					long long started_ms,
					agent_health_report_fn *report,
					agent_health_kill_fn *kill, void *arg);
/* Stop: cancels the check in flight. NULL is fine. */
void agent_health_stop(struct agent_health *h);
/*
 * Report the next result even when it is no change: after a
 * (re-)registration the master and scheduler may have forgotten it (they
 * restarted). NULL is fine.
 */
void agent_health_resend(struct agent_health *h);

#endif
