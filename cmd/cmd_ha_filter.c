/*
 * cmd_ha_filter.c: a master's two ports while it does not lead (STANDBY,
 * or LOADING the state after its election), and the X-Marathon-Leader
 * header on the API port. The filters run before the route tables
 * (httpd_set_filter); the roles' tables are gone while not leading
 * (main.c frees the roles), so whatever the filters let through reaches
 * only what stays: the web UI, Mesos-DNS's /v1/ API. Loop thread only.
 *
 * API port (Marathon's standby behaviour):
 *   /ping                     pong, here
 *   GET /v2/leader            the leader, here ({"leader": "ip:port"}), or
 *                             404 with a message when there is none
 *   /v2/..., /metrics...      relayed to the leader (event streams as they
 *                             flow); 503 with Marathon's body when there
 *                             is no leader, when the leader is this master
 *                             still loading, or for a request that a relay
 *                             brought here already
 * Master port (Mesos' non-leading master):
 *   /master/health, /health   200
 *   /metrics/snapshot         master/elected 0
 *   /master/redirect          307 to the leader's master port ("//ip:port",
 *                             as Mesos), 503 with none
 *   /master/..., /state...    307 to the same path on the leader, or 503
 *   /internal/...              503: agents register with the leader they
 *                             detect, and try again meanwhile
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd/cmd_ha_int.h"
#include "lib/httpd.h"
#include "lib/loop.h"
#include "lib/relay.h"
#include "lib/xalloc.h"

static const char *const ha_no_leader =
    "There is no leader: the masters are electing one, or cannot reach "
    "ZooKeeper; retry in a few seconds";

static bool
ha_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 &&
	       (path[n] == '\0' || path[n] == '/' || prefix[n - 1] == '/');
}

/* "ip:port" of a URL "scheme://ip:port" (borrowed from it). */
static const char *
ha_hostport(const char *url)
{
	const char *p = strstr(url, "://");

	return p != NULL ? p + 3 : url;
}

static bool
ha_api_filter(struct httpd_req *r, void *arg)
{
	struct cmd_ha *h = arg;
	const char *path = httpd_req_path(r);
	bool api;

	CD_CHECK_OBJ(h, CMD_HA_MAGIC);
	if (h->leader_api != NULL)
		httpd_reply_header(r, "X-Marathon-Leader", h->leader_api);
	if (h->state == HA_LEADING)
		return false;
	if (strcmp(path, "/ping") == 0) {
		httpd_reply(r, 200, "text/plain; charset=utf-8", "pong", 4);
		return true;
	}
	if (strcmp(path, "/v2/leader") == 0 &&
	    httpd_req_method(r) == HTTPD_GET) {
		if (h->leader_api == NULL)
			httpd_reply_error(r, 404, ha_no_leader, NULL);
		else
			httpd_reply_json(r, 200,
					 json_pack("{s:s}", "leader",
						   ha_hostport(h->leader_api)));
		return true;
	}
	api = ha_prefix(path, "/v2/") || ha_prefix(path, "/metrics");
	if (!api)
		return false;
	if (h->leader_api == NULL || h->leader_self || relay_looped(r)) {
		httpd_reply_error(r, 503, ha_no_leader, NULL);
		return true;
	}
	relay_forward(h->relay, r, h->leader_api, "the leader");
	return true;
}

static void
ha_redirect(struct cmd_ha *h, struct httpd_req *r, bool same_path)
{
	char *loc;

	if (h->leader_master == NULL || h->leader_self) {
		httpd_reply_error(r, 503, ha_no_leader, NULL);
		return;
	}
	if (same_path)
		loc = xasprintf("%s%s", h->leader_master, httpd_req_target(r));
	else
		loc = xasprintf("//%s", ha_hostport(h->leader_master));
	httpd_reply_redirect(r, 307, loc);
	free(loc);
}

static bool
ha_master_filter(struct httpd_req *r, void *arg)
{
	struct cmd_ha *h = arg;
	const char *path = httpd_req_path(r);

	CD_CHECK_OBJ(h, CMD_HA_MAGIC);
	if (h->state == HA_LEADING)
		return false;
	if (strcmp(path, "/master/health") == 0 ||
	    strcmp(path, "/health") == 0) {
		httpd_reply(r, 200, "text/plain", "", 0);
	} else if (strcmp(path, "/metrics/snapshot") == 0) {
		httpd_reply_json(
		    r, 200,
		    json_pack("{s:f, s:f}", "master/elected", 0.0,
			      "master/uptime_secs",
			      (loop_wall_ms() - h->start_ms) / 1000.0));
	} else if (ha_prefix(path, "/internal/")) {
		httpd_reply_error(r, 503,
				  "this master is not the leader: register "
				  "with the leader",
				  NULL);
	} else if (strcmp(path, "/master/redirect") == 0) {
		ha_redirect(h, r, false);
	} else if (ha_prefix(path, "/master/") || strcmp(path, "/state") == 0 ||
		   strcmp(path, "/state.json") == 0) {
		ha_redirect(h, r, true);
	} else {
		return false;
	}
	return true;
}

void
cmd_ha_filters_install(struct cmd_ha *h)
{
	if (h->api != NULL)
		httpd_set_filter(h->api, ha_api_filter, h);
	if (h->master != NULL)
		httpd_set_filter(h->master, ha_master_filter, h);
}

void
cmd_ha_filters_remove(struct cmd_ha *h)
{
	if (h->api != NULL)
		httpd_set_filter(h->api, NULL, NULL);
	if (h->master != NULL)
		httpd_set_filter(h->master, NULL, NULL);
}
