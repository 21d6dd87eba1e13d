/*
 * sched_api_misc.c: GET /ping, GET /v2/info, GET /v2/leader, and the
 * request helpers shared by the scheduler's REST files. Design: /v2/info
 * answers in the shape of Marathon 1.x (example_v2api_info.json) with only
 * the keys python3-marathon's models accept, since that client passes
 * every key to a constructor and fails on unknown ones; "version" is a
 * Marathon version clients can compare, "name" says what really answers.
 * Loop thread only.
 */
#include "scheduler/sched_api_misc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/json.h"
#include "lib/xalloc.h"
#include "scheduler/sched_int.h"
#include "scheduler/sched_repo.h"

#ifndef CLUSTERD_VERSION
#define CLUSTERD_VERSION "dev"
#endif
#define SCHED_MARATHON_VERSION "1.10.0"

json_t *
sched_api_misc_body(struct httpd_req *r)
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
sched_api_misc_flag(const struct httpd_req *r, const char *key, bool dflt)
{
	const char *v = httpd_req_query(r, key);

	if (v == NULL)
		return dflt;
	return v[0] == '\0' || strcasecmp(v, "true") == 0 ||
	       strcmp(v, "1") == 0;
}

void
sched_api_misc_reply_deployment(struct httpd_req *r, int code,
				const struct sched_change *c)
{
	httpd_reply_header(r, "Marathon-Deployment-Id", c->deployment_id);
	httpd_reply_json(r, code,
			 json_pack("{s:s, s:s}", "deploymentId",
				   c->deployment_id, "version", c->version));
}

void
sched_api_misc_reply_invalid(struct httpd_req *r, int rc,
			     const struct cd_err *err)
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
sched_api_misc_reply_apply_error(struct httpd_req *r, int rc,
				 const struct cd_err *err)
{
	if (rc == -ENOSPC)
		sched_api_misc_reply_invalid(r, -EINVAL, err);
	else
		httpd_reply_error(
		    r, 500, err->msg[0] != '\0' ? err->msg : "Internal error",
		    NULL);
}

void
sched_api_misc_reply_no_app(struct httpd_req *r, const char *id)
{
	char *msg = xasprintf("App '%s' does not exist", id);

	httpd_reply_error(r, 404, msg, NULL);
	free(msg);
}

static void
misc_ping(struct httpd_req *r, void *arg)
{
	(void)arg;
	httpd_reply(r, 200, "text/plain; charset=utf-8", "pong", 4);
}

static void
misc_info(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	char *leader, *master, *webui, *mesos_ui;
	json_t *cfg, *j;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	leader = xasprintf("%s:%d", s->advertise_ip, s->http_port);
	master = xasprintf("%s:%d", s->advertise_ip, s->master_port);
	webui = xasprintf("http://%s:%d", s->advertise_ip, s->http_port);
	mesos_ui = xasprintf("http://%s:%d/", s->advertise_ip, s->master_port);
	cfg = json_pack(
	    "{s:b, s:s, s:i, s:s, s:b, s:s, s:i, s:i, s:s, s:s,"
	    " s:s, s:s, s:s, s:[], s:I, s:i, s:i, s:i}",
	    "checkpoint", 1, "executor", "//cmd", "failover_timeout", 604800,
	    "framework_name", s->framework_name, "ha", 0, "hostname",
	    s->hostname, "local_port_min", SCHED_REPO_PORT_MIN,
	    "local_port_max", SCHED_REPO_PORT_MAX, "master", master,
	    "mesos_leader_ui_url", mesos_ui, "mesos_role", "*", "mesos_user",
	    "root", "webui_url", webui, "features", "decline_offer_duration",
	    (json_int_t)(s->refuse_seconds * 1000.0), "task_launch_timeout",
	    300000, "reconciliation_initial_delay", 15000,
	    "reconciliation_interval", 600000);
	j = json_pack("{s:s, s:s, s:s, s:b, s:s, s:o?, s:o, s:{}, s:{s:i}}",
		      "name", "clusterd", "version", SCHED_MARATHON_VERSION,
		      "buildref", "clusterd-" CLUSTERD_VERSION, "elected", 1,
		      "leader", leader, "frameworkId",
		      s->fw_id != NULL ? json_string(s->fw_id) : json_null(),
		      "marathon_config", cfg, "zookeeper_config", "http_config",
		      "http_port", s->http_port);
	free(leader);
	free(master);
	free(webui);
	free(mesos_ui);
	httpd_reply_json(r, 200, j);
}

static void
misc_leader(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	char *leader;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	leader = xasprintf("%s:%d", s->advertise_ip, s->http_port);
	httpd_reply_json(r, 200, json_pack("{s:s}", "leader", leader));
	free(leader);
}

const struct httpd_route sched_api_misc_routes[] = {
    {HTTPD_GET | HTTPD_HEAD, "/ping", misc_ping},
    {HTTPD_GET, "/v2/info", misc_info},
    {HTTPD_GET, "/v2/leader", misc_leader},
};
const size_t sched_api_misc_nroutes =
    sizeof sched_api_misc_routes / sizeof sched_api_misc_routes[0];
