/*
 * master_api.c: the master's read-only HTTP endpoints in Mesos' shapes, so
 * existing tools and dashboards can read them: /master/state (aliases
 * /state and /master/state.json), /master/slaves, /master/frameworks,
 * /master/tasks, /master/health, /master/redirect and /metrics/snapshot.
 * Loop thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/httpd.h"
#include "lib/json.h"
#include "lib/loop.h"
#include "lib/resources.h"
#include "lib/task_state.h"
#include "lib/xalloc.h"
#include "master/master_alloc.h"
#include "master/master_int.h"

static char *
master_pid(const struct master *m)
{
	return xasprintf("master@%s:%d", m->conf.advertise_ip, m->conf.port);
}

static json_t *
master_agent_json(struct master *m, struct master_agent *a)
{
	struct resources total, used;
	char *pid = xasprintf("slave(1)@%s:%d", a->info.ip, a->info.port);
	json_t *j;

	res_zero(&total);
	res_zero(&used);
	master_alloc_agent_usage(m->alloc, a->info.id, &total, &used);
	j = json_pack("{s:s, s:s, s:s, s:i, s:f, s:o, s:o, s:o, s:o, s:b, "
		      "s:s}",
		      "id", a->info.id, "pid", pid, "hostname",
		      a->info.hostname, "port", a->info.port, "registered_time",
		      a->registered_ms / 1000.0, "resources",
		      res_to_json(&a->info.total), "used_resources",
		      res_to_json(&used), "unreserved_resources",
		      res_to_json(&a->info.total), "attributes",
		      a->info.attributes ? json_incref(a->info.attributes)
					 : json_object(),
		      "active", a->active, "version", m->conf.version);
	free(pid);
	return j;
}

static json_t *
master_task_json(const struct master_task *t)
{
	json_t *statuses = json_array();

	json_array_append_new(
	    statuses,
	    json_pack("{s:s, s:f}", "state", task_state_name(t->status.state),
		      "timestamp", t->status.timestamp_ms / 1000.0));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id",
			 t->task.task_id, "name",
			 t->task.name ? t->task.name : "", "framework_id",
			 t->framework_id, "executor_id", "", "slave_id",
			 t->task.agent_id ? t->task.agent_id : "", "state",
			 task_state_name(t->status.state), "resources",
			 res_to_json(&t->task.res), "statuses", statuses);
}

static json_t *
master_frameworks_json(struct master *m)
{
	struct master_framework *f;
	json_t *arr = json_array();

	TAILQ_FOREACH(f, &m->frameworks, link)
	{
		struct master_task *t;
		struct master_offer *o;
		json_t *tasks = json_array(), *offers = json_array();
		struct resources used, offered;

		res_zero(&used);
		res_zero(&offered);
		TAILQ_FOREACH(t, &m->tasks, link)
		{
			if (strcmp(t->framework_id, f->id) != 0)
				continue;
			json_array_append_new(tasks, master_task_json(t));
			if (!task_state_terminal(t->status.state))
				res_add(&used, &t->task.res);
		}
		TAILQ_FOREACH(o, &m->offers, link)
		{
			if (strcmp(o->framework_id, f->id) != 0)
				continue;
			res_add(&offered, &o->res);
			json_array_append_new(
			    offers,
			    json_pack("{s:s, s:s, s:s, s:o}", "id", o->id,
				      "framework_id", o->framework_id,
				      "slave_id", o->agent_id, "resources",
				      res_to_json(&o->res)));
		}
		json_array_append_new(
		    arr,
		    json_pack("{s:s, s:s, s:s, s:b, s:f, s:s, s:o, s:o, s:o, "
			      "s:o, s:[]}",
			      "id", f->id, "name", f->name, "hostname",
			      m->conf.hostname, "active", 1, "registered_time",
			      f->registered_ms / 1000.0, "role", "*", "tasks",
			      tasks, "offers", offers, "used_resources",
			      res_to_json(&used), "offered_resources",
			      res_to_json(&offered), "completed_tasks"));
	}
	return arr;
}

static json_t *
master_slaves_json(struct master *m)
{
	struct master_agent *a;
	json_t *arr = json_array();

	TAILQ_FOREACH(a, &m->agents, link)
	json_array_append_new(arr, master_agent_json(m, a));
	return arr;
}

static void
master_h_state(struct httpd_req *req, void *arg)
{
	struct master *m = arg;
	struct master_agent *a;
	char *pid = master_pid(m);
	int active = 0, inactive = 0;
	json_t *j, *leader_info;

	TAILQ_FOREACH(a, &m->agents, link)
	{
		if (a->active)
			active++;
		else
			inactive++;
	}
	leader_info = json_pack(
	    "{s:s, s:s, s:i, s:s, s:s, s:{s:s, s:s, s:i}}", "id", m->id, "ip",
	    m->conf.advertise_ip, "port", m->conf.port, "pid", pid, "hostname",
	    m->conf.hostname, "address", "hostname", m->conf.hostname, "ip",
	    m->conf.advertise_ip, "port", m->conf.port);
	j = json_pack(
	    "{s:s, s:s, s:s, s:s, s:f, s:f, s:i, s:i, s:s, s:o, "
	    "s:o, s:o, s:[], s:[], s:[], s:{}}",
	    "version", m->conf.version, "id", m->id, "pid", pid, "hostname",
	    m->conf.hostname, "start_time", m->start_ms / 1000.0,
	    "elected_time", m->start_ms / 1000.0, "activated_slaves", active,
	    "deactivated_slaves", inactive, "leader", pid, "leader_info",
	    leader_info, "slaves", master_slaves_json(m), "frameworks",
	    master_frameworks_json(m), "completed_frameworks", "orphan_tasks",
	    "unregistered_frameworks", "flags");
	free(pid);
	httpd_reply_json(req, 200, j);
}

static void
master_h_slaves(struct httpd_req *req, void *arg)
{
	httpd_reply_json(req, 200,
			 json_pack("{s:o, s:[]}", "slaves",
				   master_slaves_json(arg),
				   "recovered_slaves"));
}

static void
master_h_frameworks(struct httpd_req *req, void *arg)
{
	httpd_reply_json(req, 200,
			 json_pack("{s:o, s:[], s:[]}", "frameworks",
				   master_frameworks_json(arg),
				   "completed_frameworks",
				   "unregistered_frameworks"));
}

static void
master_h_tasks(struct httpd_req *req, void *arg)
{
	struct master *m = arg;
	struct master_task *t;
	json_t *arr = json_array();

	TAILQ_FOREACH(t, &m->tasks, link)
	json_array_append_new(arr, master_task_json(t));
	httpd_reply_json(req, 200, json_pack("{s:o}", "tasks", arr));
}

static void
master_h_health(struct httpd_req *req, void *arg)
{
	(void)arg;
	httpd_reply(req, 200, "text/plain", "", 0);
}

static void
master_h_redirect(struct httpd_req *req, void *arg)
{
	struct master *m = arg;
	char *loc = xasprintf("//%s:%d", m->conf.advertise_ip, m->conf.port);

	/* This master always leads: there is no election without --zk. */
	httpd_reply_header(req, "Location", loc);
	httpd_reply(req, 307, "text/plain", "", 0);
	free(loc);
}

static void
master_h_metrics(struct httpd_req *req, void *arg)
{
	struct master *m = arg;
	struct master_agent *a;
	struct master_task *t;
	struct resources total, used;
	int active = 0, inactive = 0, running = 0, staging = 0;
	json_t *j;

	res_zero(&total);
	res_zero(&used);
	TAILQ_FOREACH(a, &m->agents, link)
	{
		struct resources at, au;

		res_zero(&at);
		res_zero(&au);
		if (a->active)
			active++;
		else
			inactive++;
		master_alloc_agent_usage(m->alloc, a->info.id, &at, &au);
		res_add(&total, &at);
		res_add(&used, &au);
	}
	TAILQ_FOREACH(t, &m->tasks, link)
	{
		if (t->status.state == TASK_RUNNING)
			running++;
		else if (t->status.state == TASK_STAGING ||
			 t->status.state == TASK_STARTING)
			staging++;
	}
	j = json_pack(
	    "{s:f, s:f, s:i, s:i, s:i, s:i, s:i, s:f, s:f, s:f, s:f, "
	    "s:f, s:f, s:I, s:I, s:I, s:I}",
	    "master/elected", 1.0, "master/uptime_secs",
	    (loop_wall_ms() - m->start_ms) / 1000.0, "master/slaves_active",
	    active, "master/slaves_inactive", inactive,
	    "master/slaves_connected", active, "master/tasks_running", running,
	    "master/tasks_staging", staging, "master/cpus_total", total.cpus,
	    "master/cpus_used", used.cpus, "master/mem_total", total.mem,
	    "master/mem_used", used.mem, "master/disk_total", total.disk,
	    "master/disk_used", used.disk, "master/tasks_finished",
	    (json_int_t)m->tasks_finished, "master/tasks_failed",
	    (json_int_t)m->tasks_failed, "master/tasks_killed",
	    (json_int_t)m->tasks_killed, "master/tasks_lost",
	    (json_int_t)m->tasks_lost);
	httpd_reply_json(req, 200, j);
}

static const struct httpd_route master_routes[] = {
    {HTTPD_GET, "/master/state", master_h_state},
    {HTTPD_GET, "/master/state.json", master_h_state},
    {HTTPD_GET, "/state", master_h_state},
    {HTTPD_GET, "/state.json", master_h_state},
    {HTTPD_GET, "/master/slaves", master_h_slaves},
    {HTTPD_GET, "/master/frameworks", master_h_frameworks},
    {HTTPD_GET, "/master/tasks", master_h_tasks},
    {HTTPD_GET, "/master/health", master_h_health},
    {HTTPD_GET, "/health", master_h_health},
    {HTTPD_GET, "/master/redirect", master_h_redirect},
    {HTTPD_GET, "/metrics/snapshot", master_h_metrics},
};

void
master_api_routes(struct master *m)
{
	httpd_add_routes(m->httpd, master_routes, CD_NELEM(master_routes), m);
}
