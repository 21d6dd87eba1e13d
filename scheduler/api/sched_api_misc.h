/*
 * sched_api_misc.h: the scheduler's small REST resources, GET /ping,
 * GET /v2/info, GET and DELETE /v2/leader, GET /metrics (Marathon's JSON)
 * and GET /metrics/prometheus, and the request helpers the other
 * sched_api_* files share (body parsing with Marathon's 400 shape, query
 * booleans as python clients send them, deployment replies).
 * Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_API_SCHED_API_MISC_H
#define CLUSTERD_SCHEDULER_API_SCHED_API_MISC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/err.h"
#include "lib/httpd.h"

struct sched_change;

/* Route table (STYLE B7); the arg is the struct sched. */
extern const struct httpd_route sched_api_misc_routes[];
extern const size_t sched_api_misc_nroutes;

/*
 * The request body as JSON (new reference), or NULL after answering 400
 * {"message": "Invalid JSON", "details": [{"path": "/", "errors": [...]}]}.
 */
json_t *sched_api_misc_body(struct httpd_req *r);
/* A query flag: "true"/"True"/"1"/"" are true; absent gives dflt. */
bool sched_api_misc_flag(const struct httpd_req *r, const char *key, bool dflt);
/* Answer code with {"deploymentId", "version"} and the
 * Marathon-Deployment-Id header. */
void sched_api_misc_reply_deployment(struct httpd_req *r, int code,
				     const struct sched_change *c);
/* Answer an app parse/validation failure: -EBADMSG 400 "Invalid JSON",
 * otherwise 422 "Object is not valid", both with err's path. */
void sched_api_misc_reply_invalid(struct httpd_req *r, int rc,
				  const struct cd_err *err);
/* Answer a failed sched_apply(): 422 for -ENOSPC, else 500. */
void sched_api_misc_reply_apply_error(struct httpd_req *r, int rc,
				      const struct cd_err *err);
/* Answer 404 {"message": "App '<id>' does not exist"}. */
void sched_api_misc_reply_no_app(struct httpd_req *r, const char *id);

#endif
