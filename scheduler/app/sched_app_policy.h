/*
 * sched_app_policy.h: the container policy rules an app can be refused by
 * at the API (422), before any task exists: no privileged containers, no
 * docker parameter outside lib/policy's safe set and the operator's list,
 * and no relative volume hostPath that climbs out of the sandbox. Host
 * paths against --allowed_host_paths are the agent's to check (TASK_FAILED),
 * as only it knows its own list. Pure (STYLE B28); any thread.
 */
#ifndef CLUSTERD_SCHEDULER_APP_SCHED_APP_POLICY_H
#define CLUSTERD_SCHEDULER_APP_SCHED_APP_POLICY_H

#include "lib/err.h"

struct sched_app;

/*
 * Check a against the policy; allowed_params is --docker_allowed_parameters
 * (comma-separated, or NULL). 0, or -EINVAL with err naming the field (the
 * API answers 422) and, in the message, the flag that would allow it.
 */
int sched_app_policy_check(const struct sched_app *a,
			   const char *allowed_params, struct cd_err *err);

#endif
