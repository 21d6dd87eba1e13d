/*
 * sched_probe.h: Marathon health checks of running tasks. HTTP, HTTPS and
 * TCP checks run here, asynchronously on the loop (httpc, non-blocking
 * connect), every intervalSeconds, each with its timeoutSeconds; failures
 * within gracePeriodSeconds of RUNNING, before the first success, do not
 * count. MESOS_HTTP, MESOS_HTTPS and MESOS_TCP run here too, like their
 * plain forms: the task's host ports reach the same sockets. COMMAND
 * checks run on the agent (agent/agent_health.h), which reports changes
 * through status updates (sched_probe_from_status()) and kills the task
 * itself after maxConsecutiveFailures, as Mesos does. After
 * maxConsecutiveFailures of a check run here, the change callback reports
 * the task with kill set, so the scheduler kills and replaces it.
 * delaySeconds is ignored. Loop thread only, except the pure result
 * bookkeeping at the end (any thread).
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_PROBE_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct loop;
struct httpc;
struct sched_probe;

/*
 * Called when a task's aggregate health changes: healthy true/false, or
 * kill true once a check reached maxConsecutiveFailures (the scheduler
 * then kills and replaces the task). why is a short human reason.
 */
typedef void sched_probe_fn(void *arg, const char *task_id, bool healthy,
			    bool kill, const char *why);

/*
 * Called for every counted failure of a check (failed_health_check_event):
 * check is the check's definition (borrowed), cause a short reason.
 */
typedef void sched_probe_fail_fn(void *arg, const char *task_id,
				 const char *app_id, const json_t *check,
				 const char *cause);

struct sched_probe *sched_probe_new(struct loop *l, struct httpc *hc,
				    sched_probe_fn *on_change, void *arg);
/* Optional: also tell every counted failure (same arg as on_change). */
void sched_probe_on_failure(struct sched_probe *h, sched_probe_fail_fn *fn);
void sched_probe_free(struct sched_probe *h);

/*
 * Start checking a task that became RUNNING. health_checks is the app's
 * normalised healthChecks array (borrowed; copied). host and ports are
 * where the task listens. started_ms is the wall clock of RUNNING (the
 * grace period counts from it). A task with no checks counts as healthy.
 */
void sched_probe_track(struct sched_probe *h, const char *task_id,
		       const char *app_id, const char *host,
		       const uint32_t *ports, size_t nports,
		       const json_t *health_checks, long long started_ms);
/* Stop checking (terminal, killed, app deleted). Unknown ids are fine. */
void sched_probe_untrack(struct sched_probe *h, const char *task_id);
/* A status update carried Mesos' "healthy" field (agent-side checks). */
void sched_probe_from_status(struct sched_probe *h, const char *task_id,
			     bool healthy);
/* The same, with the agent's reason (the update's message) or NULL. */
void sched_probe_from_agent(struct sched_probe *h, const char *task_id,
			    bool healthy, const char *why);

/*
 * A count of the changes of what the results show (a task tracked or
 * untracked, a result counted), made before the callbacks run: part of
 * the scheduler's state generation (sched_gen.h).
 */
uint64_t sched_probe_gen(const struct sched_probe *h);
/* 1 healthy, 0 unhealthy, -1 unknown yet (in grace, or no result). */
int sched_probe_state(const struct sched_probe *h, const char *task_id);
/* Whether the task has health checks at all. */
bool sched_probe_has_checks(const struct sched_probe *h, const char *task_id);
/* Marathon's healthCheckResults array for the task JSON; new reference
 * ([] when the task has no checks). */
json_t *sched_probe_results_json(const struct sched_probe *h,
				 const char *task_id);

/*
 * Pure bookkeeping of one check of one task, as Marathon's Health and
 * HealthCheckActor keep it. Times are wall-clock milliseconds, 0 = never.
 */
struct sched_probe_result {
	long long first_success_ms;
	long long last_success_ms;
	long long last_failure_ms;
	int consecutive_failures;
	char cause[160]; /* lastFailureCause, "" when none */
};

enum sched_probe_verdict {
	SCHED_PROBE_IGNORED, /* a failure in the grace period, before the
				 first success: not counted */
	SCHED_PROBE_PASSED,
	SCHED_PROBE_FAILED,
	SCHED_PROBE_KILL, /* failed, and max_failures (> 0) reached */
};

/*
 * Count one result (ok, or a failure for cause) at now_ms of a task
 * RUNNING since started_ms, with the check's grace and
 * maxConsecutiveFailures (0: never kill).
 */
enum sched_probe_verdict
sched_probe_record(struct sched_probe_result *r, bool ok, const char *cause,
		   long long now_ms, long long started_ms, long long grace_ms,
		   int max_failures);
/* Whether any result was counted. */
bool sched_probe_result_known(const struct sched_probe_result *r);
/* Marathon's Health.alive: a success newer than the last failure. */
bool sched_probe_result_alive(const struct sched_probe_result *r);
/* Marathon's Health JSON ({"alive", "consecutiveFailures", "firstSuccess",
 * "lastSuccess", "lastFailure", "lastFailureCause", "taskId",
 * "instanceId"}, times absent when never). New reference. */
json_t *sched_probe_result_json(const struct sched_probe_result *r,
				const char *task_id);

#endif
