/*
 * sched_api.h: the request helpers every scheduler REST file shares: the
 * JSON body with Marathon's 400 shape, query flags as python clients send
 * them, and the answers of mutating routes ({"deploymentId", "version"}
 * with the Marathon-Deployment-Id header, 409 for locked apps, 422 for
 * invalid ones, 404 for unknown apps). Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_API_SCHED_API_H
#define CLUSTERD_SCHEDULER_API_SCHED_API_H

#include <stdbool.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/httpd.h"

/*
 * The request body as JSON (new reference), or NULL after answering 400
 * {"message": "Invalid JSON", "details": [{"path": "/", "errors": [...]}]}.
 */
json_t *sched_api_body(struct httpd_req *r);
/* A query flag: "true"/"True"/"1"/"" are true; absent gives dflt. */
bool sched_api_flag(const struct httpd_req *r, const char *key, bool dflt);

/* Answer code with {"deploymentId", "version"} and the header. */
void sched_api_reply_deployment(struct httpd_req *r, int code,
				const char *deployment_id, const char *version);
/*
 * Answer a failed sched_apply(): -EBUSY 409 {"message": "App is locked
 * by one or more deployments. ...", "deployments": locked} (locked is
 * stolen, may be NULL), -EINVAL, -ENOSPC and -ELOOP 422 with err's path,
 * -EBADMSG 400, -EIO (the store refused) as sched_api_reply_store(), else
 * 500.
 */
void sched_api_reply_error(struct httpd_req *r, int rc,
			   const struct cd_err *err, json_t *locked);
/*
 * Answer a write the store refused, err from store_err() (err->code the
 * store's code): 507 Insufficient Storage when it ran out of space, else
 * 503, with Marathon's body and err's message ("no space left on device
 * in <work_dir>").
 */
void sched_api_reply_store(struct httpd_req *r, const struct cd_err *err);
/* Answer an app parse/validation failure: -EBADMSG 400 "Invalid JSON",
 * otherwise 422 "Object is not valid", both with err's path. */
void sched_api_reply_invalid(struct httpd_req *r, int rc,
			     const struct cd_err *err);
/* Answer 404 {"message": "App '<id>' does not exist"}. */
void sched_api_reply_no_app(struct httpd_req *r, const char *id);

/* Put prefix ("/apps(0)") before err's path ("/" counts as empty),
 * truncating at the path's size. */
void sched_api_err_prefix(struct cd_err *err, const char *prefix);
/*
 * Append " name=<length>:<value>" to the cache key being built in key, or
 * " name=-" when value is NULL: a key that two different queries cannot
 * share (lib/bodycache).
 */
void sched_api_key_add(struct buf *key, const char *name, const char *value);

#endif
