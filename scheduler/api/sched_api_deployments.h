/*
 * sched_api_deployments.h: the /v2/deployments resource (list; DELETE
 * rolls back, or with force=true only stops) and the deployment answers
 * every mutating route shares: {"deploymentId", "version"} with the
 * Marathon-Deployment-Id header, and 409 for a locked app. Loop thread
 * only.
 */
#ifndef CLUSTERD_SCHEDULER_API_SCHED_API_DEPLOYMENTS_H
#define CLUSTERD_SCHEDULER_API_SCHED_API_DEPLOYMENTS_H

#include <stddef.h>

#include <jansson.h>

#include "lib/err.h"
#include "lib/httpd.h"

/* Route table (STYLE B7); the arg is the struct sched. */
extern const struct httpd_route sched_api_deployments_routes[];
extern const size_t sched_api_deployments_nroutes;

/* Answer code with {"deploymentId", "version"} and the header. */
void sched_api_deployments_reply(struct httpd_req *r, int code,
				 const char *deployment_id,
				 const char *version);
/*
 * Answer a failed sched_apply(): -EBUSY 409 {"message": "App is locked
 * by one or more deployments. ...", "deployments": locked} (locked is
 * stolen, may be NULL), -EINVAL and -ENOSPC 422 with err's path, else 500.
 */
void sched_api_deployments_reply_error(struct httpd_req *r, int rc,
				       const struct cd_err *err,
				       json_t *locked);

/* Put prefix ("/apps(0)") before err's path ("/" counts as empty),
 * truncating at the path's size. */
void sched_api_deployments_err_prefix(struct cd_err *err, const char *prefix);

#endif
