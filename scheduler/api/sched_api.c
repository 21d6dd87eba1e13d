/*
 * sched_api.c: the request helpers shared by the scheduler's REST files
 * (see sched_api.h). Owns nothing: each helper reads one request or
 * answers it once. Design: every answer keeps Marathon's error body
 * {"message", "details": [{"path", "errors"}]}, so clients see the same
 * 400/404/409/422 shapes from every route. Loop thread only.
 */
#include "scheduler/api/sched_api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/json.h"
#include "lib/xalloc.h"

json_t *
sched_api_body(struct httpd_req *r)
{
	struct cd_err err;
	const char *body;
	size_t len;
	json_t *j;

	cd_err_clear(&err);
	body = httpd_req_body(r, &len);
	if (body == NULL || len == 0) {
		cd_err_set(&err, -EBADMSG, "error.expected.jsobject");
		j = NULL;
	} else {
		j = json_parse_bounded(body, len, &err);
	}
	if (j == NULL) {
		snprintf(err.path, sizeof err.path, "/");
		httpd_reply_cd_err(r, 400, "Invalid JSON", &err);
	}
	return j;
}

bool
sched_api_flag(const struct httpd_req *r, const char *key, bool dflt)
{
	const char *v = httpd_req_query(r, key);

	if (v == NULL)
		return dflt;
	return v[0] == '\0' || strcasecmp(v, "true") == 0 ||
	       strcmp(v, "1") == 0;
}

void
sched_api_reply_invalid(struct httpd_req *r, int rc, const struct cd_err *err)
{
	struct cd_err e = *err;

	if (e.path[0] == '\0')
		snprintf(e.path, sizeof e.path, "/");
	if (rc == -EBADMSG)
		httpd_reply_cd_err(r, 400, "Invalid JSON", &e);
	else
		httpd_reply_cd_err(r, 422, "Object is not valid", &e);
}

void
sched_api_reply_no_app(struct httpd_req *r, const char *id)
{
	char *msg = xasprintf("App '%s' does not exist", id);

	httpd_reply_error(r, 404, msg, NULL);
	free(msg);
}

void
sched_api_reply_deployment(struct httpd_req *r, int code,
			   const char *deployment_id, const char *version)
{
	httpd_reply_header(r, "Marathon-Deployment-Id", deployment_id);
	httpd_reply_json(r, code,
			 json_pack("{s:s, s:s}", "deploymentId", deployment_id,
				   "version", version));
}

void
sched_api_reply_error(struct httpd_req *r, int rc, const struct cd_err *err,
		      json_t *locked)
{
	struct cd_err e = *err;

	if (rc == -EBUSY) {
		const char *first = json_string_value(
		    json_object_get(json_array_get(locked, 0), "id"));
		char *msg = xasprintf(
		    "App is locked by one or more deployments. Override with "
		    "the option '?force=true'. View details at "
		    "'/v2/deployments/%s'.",
		    first != NULL ? first : "");

		httpd_reply_json(
		    r, 409,
		    json_pack("{s:s, s:o, s:[]}", "message", msg, "deployments",
			      locked != NULL ? locked : json_array(),
			      "details"));
		free(msg);
		return;
	}
	json_decref(locked);
	if (rc == -EIO) {
		sched_api_reply_store(r, &e);
		return;
	}
	if (e.path[0] == '\0')
		snprintf(e.path, sizeof e.path, "/");
	if (rc == -EINVAL || rc == -ENOSPC || rc == -ELOOP)
		httpd_reply_cd_err(r, 422, "Object is not valid", &e);
	else if (rc == -EBADMSG)
		httpd_reply_cd_err(r, 400, "Invalid JSON", &e);
	else
		httpd_reply_error(
		    r, 500, e.msg[0] != '\0' ? e.msg : "Internal error", NULL);
}

void
sched_api_reply_store(struct httpd_req *r, const struct cd_err *err)
{
	int code = err->code == -ENOSPC || err->code == -EDQUOT ? 507 : 503;

	httpd_reply_error(r, code,
			  err->msg[0] != '\0' ? err->msg
					      : "writing to the store failed",
			  NULL);
}

void
sched_api_err_prefix(struct cd_err *err, const char *prefix)
{
	size_t pl = strlen(prefix), el = strlen(err->path);

	if (el == 1 && err->path[0] == '/')
		el = 0;
	if (pl >= sizeof err->path)
		pl = sizeof err->path - 1;
	if (pl + el >= sizeof err->path)
		el = sizeof err->path - 1 - pl;
	memmove(err->path + pl, err->path, el);
	memcpy(err->path, prefix, pl);
	err->path[pl + el] = '\0';
}

void
sched_api_key_add(struct buf *key, const char *name, const char *value)
{
	if (value == NULL)
		buf_printf(key, " %s=-", name);
	else
		buf_printf(key, " %s=%zu:%s", name, strlen(value), value);
}
