/*
 * sched_api_misc.c: GET /ping, GET /v2/info, GET and DELETE /v2/leader,
 * GET /metrics and /metrics/prometheus. Design: /v2/info answers in the
 * shape of Marathon 1.x (example_v2api_info.json) with only the keys
 * python3-marathon's models accept, since that client passes every key to
 * a constructor and fails on unknown ones; "version" is a Marathon version
 * clients can compare, "name" says what really answers. Metrics are
 * computed when asked (a walk over apps and tasks, /proc/self/statm and
 * /proc/self/stat for the process) and rendered with the process's
 * metrics (lib/metrics: request latency by route family, allocation
 * runs, offers, store commits, agents and tasks by state, which the
 * master and cmd/ record); /metrics has Marathon 1.7's JSON shape
 * (version, counters, gauges, histograms, meters, timers) and
 * /metrics/prometheus the text exposition format 0.0.4, with Marathon's
 * names where Marathon had the metric (docs/METRICS.md).
 * Loop thread only.
 */
#include "scheduler/api/sched_api_misc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define LOG_MOD "sched"
#include "lib/buf.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/app/sched_group.h"
#include "scheduler/core/sched_events.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_offer.h"
#include "scheduler/core/sched_repo.h"
#include "scheduler/core/sched_tracker.h"

#ifndef CLUSTERD_VERSION
#define CLUSTERD_VERSION "dev"
#endif
#define SCHED_MARATHON_VERSION "1.10.0"

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
	json_t *cfg, *zk, *j;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	leader = xasprintf("%s:%d", s->advertise_ip, s->http_port);
	master = xasprintf("%s:%d", s->advertise_ip, s->master_port);
	/* TLS is on for every port of a node or for none. */
	webui = xasprintf("%s://%s:%d", httpd_req_scheme(r), s->advertise_ip,
			  s->http_port);
	mesos_ui = xasprintf("%s://%s:%d/", httpd_req_scheme(r),
			     s->advertise_ip, s->master_port);
	/* Only keys python3-marathon's MarathonConfig accepts. */
	cfg = json_pack(
	    "{s:b, s:I, s:s, s:i, s:[], s:s, s:b, s:s, s:i, s:i,"
	    " s:i, s:i, s:i, s:s, s:s, s:i, s:i, s:s, s:s, s:i}",
	    "checkpoint", 1, "decline_offer_duration",
	    (json_int_t)(s->refuse_seconds * 1000.0), "executor", "//cmd",
	    "failover_timeout", 604800, "features", "framework_name",
	    s->framework_name, "ha", 0, "hostname", s->hostname, "launch_token",
	    100, "launch_token_refresh_interval", 30000,
	    "leader_proxy_connection_timeout_ms", 5000,
	    "leader_proxy_read_timeout_ms", 10000, "local_port_max",
	    SCHED_REPO_PORT_MAX, "master", master, "mesos_leader_ui_url",
	    mesos_ui, "mesos_heartbeat_failure_threshold", 5,
	    "mesos_heartbeat_interval", 15000, "mesos_role", "*", "mesos_user",
	    "root", "local_port_min", SCHED_REPO_PORT_MIN);
	json_object_update_missing_new(
	    cfg,
	    json_pack(
		"{s:i, s:i, s:i, s:i, s:i, s:b, s:i, s:i, s:I, s:i,"
		" s:i, s:i, s:s}",
		"offer_matching_timeout", 3000, "on_elected_prepare_timeout",
		180000, "reconciliation_initial_delay", 15000,
		"reconciliation_interval", 600000, "scale_apps_initial_delay",
		15000, "store_cache", 1, "scale_apps_interval", 300000,
		"task_launch_confirm_timeout", 300000, "task_launch_timeout",
		(json_int_t)s->launch_timeout_ms,
		"task_lost_expunge_initial_delay", 300000,
		"task_lost_expunge_interval", 30000, "task_reservation_timeout",
		20000, "webui_url", webui));
	/* Without ZooKeeper: Marathon's timeouts, no ensemble. */
	zk = json_pack(
	    "{s:s, s:b, s:i, s:i, s:i, s:i, s:I, s:I}", "zk",
	    s->zk_url != NULL ? s->zk_url : "", "zk_compression", 1,
	    "zk_compression_threshold", 65536, "zk_connection_timeout", 10000,
	    "zk_max_node_size", 1024000, "zk_max_versions",
	    SCHED_REPO_MAX_VERSIONS, "zk_session_timeout",
	    (json_int_t)(s->zk_session_timeout_ms > 0 ? s->zk_session_timeout_ms
						      : 10000),
	    "zk_timeout",
	    (json_int_t)(s->zk_session_timeout_ms > 0 ? s->zk_session_timeout_ms
						      : 10000));
	json_object_set_new(cfg, "ha", json_boolean(s->zk_url != NULL));
	j = json_pack("{s:s, s:s, s:s, s:b, s:s, s:o, s:o, s:o, s:{s:i, s:i},"
		      " s:n}",
		      "name", "clusterd", "version", SCHED_MARATHON_VERSION,
		      "buildref", "clusterd-" CLUSTERD_VERSION, "elected", 1,
		      "leader", leader, "frameworkId",
		      s->fw_id != NULL ? json_string(s->fw_id) : json_null(),
		      "marathon_config", cfg, "zookeeper_config", zk,
		      "http_config", "http_port", s->http_port, "https_port",
		      strcmp(httpd_req_scheme(r), "https") == 0 ? s->http_port
								: 0,
		      "event_subscriber");
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

/*
 * DELETE /v2/leader. Marathon exits so that another instance is elected.
 * With ZooKeeper this master steps down and contends again (cmd/cmd_ha.c
 * stops the scheduler from the loop, after this answer). Without it there
 * is no other instance, so this one stays leader and keeps serving; the
 * answer is Marathon's either way.
 */
static void
misc_abdicate(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	int rc;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	if (s->abdicate == NULL) {
		log_info("leadership abdication asked by %s: no other master "
			 "to take over, staying leader",
			 httpd_req_peer(r));
		httpd_reply_json(
		    r, 200,
		    json_pack("{s:s}", "message", "Leadership abdicated"));
		return;
	}
	rc = s->abdicate(s->hook_arg);
	if (rc == -EPERM) {
		httpd_reply_error(r, 404, "There is no leader", NULL);
		return;
	}
	if (rc != 0) {
		httpd_reply_error(
		    r, 503, "an abdication is in progress; retry later", NULL);
		return;
	}
	log_info("leadership abdicated, as %s asked", httpd_req_peer(r));
	httpd_reply_json(r, 200,
			 json_pack("{s:s}", "message", "Leadership abdicated"));
}

/* metrics */

enum misc_metric {
	MM_APPS,
	MM_GROUPS,
	MM_DEPLOYMENTS,
	MM_TASKS_RUNNING,
	MM_TASKS_STAGED,
	MM_TASKS_KILLING,
	MM_INST_RUNNING,
	MM_INST_STAGED,
	MM_QUEUE,
	MM_STREAMS,
	MM_UPTIME,
	MM_RSS,
	MM_VSIZE,
	MM_N
};

/*
 * Dropwizard name (Marathon 1.7+'s, whose Prometheus name is its
 * rendering), Prometheus name where it differs, help. Marathon counts
 * instances, each one task here: the instance and task gauges agree.
 */
static const char *const misc_metric_names[MM_N][3] = {
    {"marathon.apps.active.gauge", NULL, "Number of apps"},
    {"marathon.groups.active.gauge", NULL,
     "Number of groups (the root not counted)"},
    {"marathon.deployments.active.gauge", NULL, "Deployments in progress"},
    {"marathon.tasks.running.gauge", NULL, "Tasks in TASK_RUNNING"},
    {"marathon.tasks.staged.gauge", NULL, "Tasks launched and not yet running"},
    {"marathon.tasks.killing.gauge", NULL, "Tasks being killed"},
    {"marathon.instances.running.gauge", NULL, "Instances running"},
    {"marathon.instances.staged.gauge", NULL,
     "Instances launched and not yet running"},
    {"marathon.instances.launch-queue.gauge", NULL,
     "Instances waiting to launch"},
    {"marathon.http.event-streams.active.gauge", NULL,
     "Attached /v2/events streams"},
    {"marathon.uptime.gauge.seconds", NULL,
     "Seconds since this process started"},
    {"process.memory.resident.gauge.bytes", "process_resident_memory_bytes",
     "Resident set size of this process"},
    {"process.memory.virtual.gauge.bytes", "process_virtual_memory_bytes",
     "Virtual memory size of this process"},
};

/* Seconds since the process started: /proc/uptime minus field 22 of
 * /proc/self/stat; -1 when unknown. */
static double
misc_uptime(void)
{
	char buf[1024], *p;
	double up, start;
	long tck = sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;
	int field;

	f = fopen("/proc/uptime", "r");
	if (f == NULL)
		return -1;
	n = fscanf(f, "%lf", &up) == 1;
	fclose(f);
	f = fopen("/proc/self/stat", "r");
	if (n == 0 || f == NULL || tck <= 0) {
		if (f != NULL)
			fclose(f);
		return -1;
	}
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces: count fields after its ')'. */
	p = strrchr(buf, ')');
	for (field = 2; p != NULL && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return -1;
	start = strtod(p + 1, NULL) / (double)tck;
	return up > start ? up - start : 0;
}

/* Groups: every ancestor of an app and every explicit group record. */
static double
misc_groups(const struct sched *s)
{
	json_t *set = json_object();
	const char *k;
	json_t *v;
	size_t i;
	double n;

	for (i = 0; i < sched_repo_count(s->repo); i++) {
		char *g = sched_group_parent(
		    sched_app_id(sched_repo_at(s->repo, i)->app));

		while (g != NULL && strcmp(g, "/") != 0) {
			char *up = sched_group_parent(g);

			json_object_set_new(set, g, json_true());
			free(g);
			g = up;
		}
		free(g);
	}
	json_object_foreach(s->groups, k, v)
		if (strcmp(k, "/") != 0)
			json_object_set_new(set, k, json_true());
	n = (double)json_object_size(set);
	json_decref(set);
	return n;
}

static void
misc_metrics_collect(const struct sched *s, double *v)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long long vsz = 0, rss = 0;
	size_t i;
	FILE *f;

	memset(v, 0, MM_N * sizeof *v);
	v[MM_APPS] = (double)sched_repo_count(s->repo);
	v[MM_GROUPS] = misc_groups(s);
	v[MM_DEPLOYMENTS] = (double)s->ndeploys;
	for (i = 0; i < sched_tracker_count(s->tr); i++) {
		const struct sched_task *t = sched_tracker_at(s->tr, i);

		if (t->state == TASK_RUNNING)
			v[MM_TASKS_RUNNING]++;
		else if (t->state == TASK_STAGING || t->state == TASK_STARTING)
			v[MM_TASKS_STAGED]++;
		else if (t->state == TASK_KILLING)
			v[MM_TASKS_KILLING]++;
	}
	v[MM_INST_RUNNING] = v[MM_TASKS_RUNNING];
	v[MM_INST_STAGED] = v[MM_TASKS_STAGED];
	for (i = 0; i < sched_repo_count(s->repo); i++)
		v[MM_QUEUE] += sched_offer_count(s, sched_repo_at(s->repo, i));
	v[MM_STREAMS] = (double)sched_events_nstreams(s->events);
	v[MM_UPTIME] = misc_uptime();
	f = fopen("/proc/self/statm", "r");
	if (f != NULL) {
		if (fscanf(f, "%llu %llu", &vsz, &rss) != 2)
			vsz = rss = 0;
		fclose(f);
	}
	v[MM_RSS] = (double)rss * (double)(page > 0 ? page : 4096);
	v[MM_VSIZE] = (double)vsz * (double)(page > 0 ? page : 4096);
}

/* The scheduler's gauges, rendered with the process's metrics. */
static void
misc_collect(void *arg, struct metrics_out *o)
{
	const struct sched *s = arg;
	double v[MM_N];
	size_t i;

	misc_metrics_collect(s, v);
	for (i = 0; i < MM_N; i++)
		metrics_gauge(o, misc_metric_names[i][0],
			      misc_metric_names[i][1], misc_metric_names[i][2],
			      v[i]);
}

static void
misc_metrics(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	httpd_reply_json(r, 200, metrics_json(s->metrics, misc_collect, s));
}

static void
misc_prometheus(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	struct buf b = BUF_INIT;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	metrics_prometheus(s->metrics, misc_collect, s, &b);
	httpd_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8", b.data,
		    b.len);
	buf_release(&b);
}

const struct httpd_route sched_api_misc_routes[] = {
    {HTTPD_GET | HTTPD_HEAD, "/ping", misc_ping},
    {HTTPD_GET, "/v2/info", misc_info},
    {HTTPD_GET, "/v2/leader", misc_leader},
    {HTTPD_DELETE, "/v2/leader", misc_abdicate},
    {HTTPD_GET, "/metrics", misc_metrics},
    {HTTPD_GET, "/metrics/prometheus", misc_prometheus},
};
const size_t sched_api_misc_nroutes =
    sizeof sched_api_misc_routes / sizeof sched_api_misc_routes[0];
