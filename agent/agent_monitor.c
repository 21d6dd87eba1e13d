/*
 * agent_monitor.c: Mesos' /monitor/statistics (aliases
 * /monitor/statistics.json and both under /slave(1)) on the agent port: one
 * entry per running task, {executor_id, executor_name, framework_id, source,
 * statistics}, where statistics is Mesos' ResourceStatistics (timestamp,
 * cpus_limit, cpus_user_time_secs, cpus_system_time_secs, mem_rss_bytes,
 * mem_limit_bytes, ...). Owns one struct agent_mon per request being
 * gathered, on a->monitors.
 *
 * Design: every task's usage is asked of the containerizers at once
 * (ctr_usage(): a plain process's cgroup files are read at once, a
 * container's stats come from the Docker daemon through httpc, each with
 * its own timeout), and the request is answered once the last has come
 * back, in the order of the agent's tasks. A task whose usage cannot be
 * had (it just ended, the daemon timed out) is left out, as Mesos leaves
 * out a container whose usage fails. The executor of a task is the
 * command executor named after it, as in /state. Loop thread only.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <jansson.h>

#include "agent/agent_int.h"
#include "containerizer/ctr.h"
#include "lib/httpd.h"
#include "lib/loop.h"
#include "lib/xalloc.h"

#define LOG_MOD "agent"
#include "lib/log.h"

#define AGENT_MON_MAGIC 0xa9e7a5c3u
#define MIB (1024.0 * 1024.0)

struct agent_mon;

/* One task's part of a request. */
struct agent_mon_item {
	struct agent_mon *mon; /* borrowed: owner */
	struct ctr_usage_q *q; /* borrowed: in flight, NULL once answered */
	char *task_id;	       /* owned */
	char *framework_id;    /* owned */
	double cpus, mem_mb;   /* the task's resources: limits */
	json_t *stats;	       /* ref or NULL: once answered */
};

/* A /monitor/statistics request being gathered. */
struct agent_mon {
	unsigned magic;
	struct agent *a;	      /* borrowed: owner */
	struct httpd_req *req;	      /* borrowed: until answered or closed */
	struct agent_mon_item *items; /* owned array */
	size_t n, pending;
	LIST_ENTRY(agent_mon) link; /* on a->monitors */
};

static void
agent_mon_free(struct agent_mon *m)
{
	size_t i;

	LIST_REMOVE(m, link);
	for (i = 0; i < m->n; i++) {
		ctr_usage_cancel(m->items[i].q);
		free(m->items[i].task_id);
		free(m->items[i].framework_id);
		json_decref(m->items[i].stats);
	}
	free(m->items);
	CD_FREE_OBJ(m);
}

static void
agent_mon_num(json_t *o, const char *key, double v)
{
	if (v >= 0)
		json_object_set_new(o, key, json_real(v));
}

static void
agent_mon_int(json_t *o, const char *key, long long v)
{
	if (v >= 0)
		json_object_set_new(o, key, json_integer((json_int_t)v));
}

/* Mesos' ResourceStatistics of one task. */
static json_t *
agent_mon_stats(const struct agent_mon_item *it, const struct ctr_usage *u)
{
	json_t *s = json_object();

	json_object_set_new(s, "timestamp", json_real(loop_wall_ms() / 1000.0));
	json_object_set_new(s, "cpus_limit", json_real(it->cpus));
	agent_mon_num(s, "cpus_user_time_secs", u->cpus_user_time_secs);
	agent_mon_num(s, "cpus_system_time_secs", u->cpus_system_time_secs);
	agent_mon_int(s, "cpus_nr_periods", u->cpus_nr_periods);
	agent_mon_int(s, "cpus_nr_throttled", u->cpus_nr_throttled);
	agent_mon_num(s, "cpus_throttled_time_secs",
		      u->cpus_throttled_time_secs);
	agent_mon_int(s, "mem_total_bytes", u->mem_total_bytes);
	agent_mon_int(s, "mem_rss_bytes", u->mem_rss_bytes);
	agent_mon_int(s, "mem_cache_bytes", u->mem_cache_bytes);
	agent_mon_int(s, "mem_anon_bytes", u->mem_anon_bytes);
	agent_mon_int(s, "mem_file_bytes", u->mem_file_bytes);
	agent_mon_int(s, "mem_mapped_file_bytes", u->mem_mapped_file_bytes);
	agent_mon_int(s, "mem_swap_bytes", u->mem_swap_bytes);
	agent_mon_int(s, "mem_limit_bytes",
		      u->mem_limit_bytes >= 0 ? u->mem_limit_bytes
					      : (long long)(it->mem_mb * MIB));
	agent_mon_int(s, "processes", u->processes);
	agent_mon_int(s, "threads", u->threads);
	return s;
}

/* Every answer is in: reply, in the order of the agent's tasks. */
static void
agent_mon_reply(struct agent_mon *m)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < m->n; i++) {
		struct agent_mon_item *it = &m->items[i];

		if (it->stats == NULL)
			continue;
		json_array_append_new(
		    arr, json_pack("{s:s, s:s, s:s, s:s, s:O}", "executor_id",
				   it->task_id, "executor_name", it->task_id,
				   "framework_id", it->framework_id, "source",
				   it->task_id, "statistics", it->stats));
	}
	httpd_req_on_close(m->req, NULL, NULL);
	httpd_reply_json(m->req, 200, arr);
	agent_mon_free(m);
}

static void
agent_mon_done(void *arg, int rc, const struct ctr_usage *u)
{
	struct agent_mon_item *it = arg;
	struct agent_mon *m = it->mon;

	CD_CHECK_OBJ(m, AGENT_MON_MAGIC);
	it->q = NULL;
	if (rc == 0)
		it->stats = agent_mon_stats(it, u);
	else
		log_debug("no usage of task %s: %s", it->task_id,
			  strerror(-rc));
	if (--m->pending == 0)
		agent_mon_reply(m);
}

/* The client went away: drop what is in flight. */
static void
agent_mon_closed(struct httpd_req *req, void *arg)
{
	struct agent_mon *m = arg;

	(void)req;
	CD_CHECK_OBJ(m, AGENT_MON_MAGIC);
	agent_mon_free(m);
}

/* A task whose containerizer has it: launched and not ended. */
static bool
agent_mon_wanted(const struct agent_task *t)
{
	return !task_state_terminal(t->state) && t->container_id != NULL;
}

static void
agent_h_statistics(struct httpd_req *req, void *arg)
{
	struct agent *a = arg;
	struct agent_task *t;
	struct agent_mon *m;
	size_t n = 0, i = 0;

	TAILQ_FOREACH(t, &a->tasks, link)
		n += agent_mon_wanted(t);
	if (a->ctr == NULL || n == 0) {
		httpd_reply_json(req, 200, json_array());
		return;
	}
	CD_ALLOC_OBJ(m, AGENT_MON_MAGIC);
	m->a = a;
	m->req = req;
	m->items = xcalloc(n, sizeof *m->items);
	LIST_INSERT_HEAD(&a->monitors, m, link);
	httpd_req_on_close(req, agent_mon_closed, m);
	TAILQ_FOREACH(t, &a->tasks, link) {
		struct agent_mon_item *it;

		if (!agent_mon_wanted(t))
			continue;
		it = &m->items[i++];
		it->mon = m;
		it->task_id = xstrdup(t->task.task_id);
		it->framework_id = xstrdup(
		    t->task.framework_id != NULL ? t->task.framework_id : "");
		it->cpus = t->task.res.cpus;
		it->mem_mb = t->task.res.mem;
	}
	m->n = i;
	/* All asked before any answers: ctr_usage() answers from the loop. */
	m->pending = m->n;
	for (i = 0; i < m->n; i++)
		m->items[i].q = ctr_usage(a->ctr, m->items[i].task_id,
					  agent_mon_done, &m->items[i]);
}

static const struct httpd_route agent_monitor_routes_table[] = {
    {HTTPD_GET, "/monitor/statistics", agent_h_statistics},
    {HTTPD_GET, "/monitor/statistics.json", agent_h_statistics},
    {HTTPD_GET, "/slave(1)/monitor/statistics", agent_h_statistics},
    {HTTPD_GET, "/slave(1)/monitor/statistics.json", agent_h_statistics},
};

void
agent_monitor_routes(struct agent *a)
{
	httpd_add_routes(a->httpd, agent_monitor_routes_table,
			 CD_NELEM(agent_monitor_routes_table), a);
}

void
agent_monitor_release(struct agent *a)
{
	struct agent_mon *m;

	while ((m = LIST_FIRST(&a->monitors)) != NULL) {
		httpd_req_on_close(m->req, NULL, NULL);
		httpd_reply_error(m->req, 503, "the agent is shutting down",
				  NULL);
		agent_mon_free(m);
	}
}
