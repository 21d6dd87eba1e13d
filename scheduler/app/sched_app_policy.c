/*
 * sched_app_policy.c: the container policy applied to an app at the API
 * (see sched_app_policy.h), over the canonical definition; the rules
 * themselves are lib/policy's, shared with the agent. Owns nothing. Pure:
 * no I/O, no globals; any thread.
 */
#include "scheduler/app/sched_app_policy.h"

#include <errno.h>
#include <stdio.h>

#include <jansson.h>

#include "lib/policy.h"
#include "scheduler/app/sched_app.h"

int
sched_app_policy_check(const struct sched_app *a, const char *allowed_params,
		       struct cd_err *err)
{
	const json_t *ct = sched_app_container(a), *dk, *p;
	const char *key, *hp;
	char path[64];
	size_t i;

	if (ct == NULL)
		return 0;
	dk = json_object_get(ct, "docker");
	if (json_is_true(json_object_get(dk, "privileged")))
		return cd_err_setp(err, -EINVAL, "/container/docker/privileged",
				   "privileged containers are not allowed");
	json_array_foreach(json_object_get(dk, "parameters"), i, p) {
		key = json_string_value(json_object_get(p, "key"));
		if (policy_docker_param_allowed(key, allowed_params))
			continue;
		snprintf(path, sizeof path, "/container/docker/parameters/%zu",
			 i);
		return cd_err_setp(err, -EINVAL, path,
				   "docker parameter '%.64s' is not allowed; "
				   "agents allow it with " POLICY_FLAG_PARAMS,
				   key != NULL ? key : "");
	}
	json_array_foreach(json_object_get(ct, "volumes"), i, p) {
		hp = json_string_value(json_object_get(p, "hostPath"));
		if (hp == NULL || hp[0] == '/' || policy_relpath_inside(hp))
			continue;
		snprintf(path, sizeof path, "/container/volumes/%zu/hostPath",
			 i);
		return cd_err_setp(err, -EINVAL, path,
				   "a relative hostPath must stay inside the "
				   "sandbox");
	}
	return 0;
}
