/*
 * master_api.c: the master's read-only HTTP endpoints in Mesos' shapes, so
 * existing tools and dashboards can read them: /master/state (aliases
 * /state and /master/state.json), /master/slaves, /master/frameworks,
 * /master/tasks, /master/health, /master/redirect and /metrics/snapshot;
 * and, for standby masters, GET /internal/dns (master_dns_export()).
 *
 * Beyond Mesos' fields, /master/state has "duplicate_hostnames": one
 * {"hostname", "slave_ids"} per hostname that two or more live agents
 * share (constraints on hostname take them for one host; each is also a
 * warning in the log). Agents are listed as Mesos does: "slaves" are the
 * agents registered with this run ("active" false while silent),
 * "recovered_slaves" the ones restored from the registry that have not
 * re-registered yet, and unreachable ones only count
 * ("unreachable_slaves"). "orphan_tasks" are the tasks, on registered
 * agents, of frameworks not attached to the master (killed after
 * --orphan_task_grace), and "unregistered_frameworks" their framework ids.
 * "flags" is Mesos' {"flag_name": "value"} of every flag as this process
 * runs with it, built once by cmd/ from the parsed configuration, with
 * secrets redacted (master_conf.flags).
 *
 * master_api_metrics() gives the process's metrics (lib/metrics) the
 * agents and tasks by state at scrape time.
 *
 * Design: the large replies (state, slaves, frameworks, tasks: megabytes
 * at a thousand agents and ten thousand tasks) are streamed into one
 * buffer with lib/jw rather than built as a jansson tree and dumped, which
 * cost a node allocation per value and a free of the whole tree per
 * request. The bytes are the same as the tree's dump would be (keys in the
 * same order).
 *
 * Those four bodies are served from lib/bodycache (m->bodies), keyed by
 * the master's state generation m->gen: built once per generation from
 * the loop, shared by reference by every client, gzipped once when one
 * asks, identical requests joining one build, no build when every waiting
 * client has gone. The key is the endpoint (the aliases of /master/state
 * share one); the query is not part of it because no endpoint reads one.
 * master_changed() bumps the generation in the same call as every change
 * a body shows, before anything can tell of the change, so a reply is
 * never older than the state when the request was read:
 *   master_agents.c     an agent added, its identity updated, its state
 *                       set (registered, silent, answering, unreachable)
 *   master_tasks.c      a task added or forgotten, a status recorded
 *   master_offers.c     an offer made or dropped (used, declined,
 *                       rescinded)
 *   master_frameworks.c a framework attached
 * An agent's "used_resources" (the allocator's account) only changes
 * beside one of these. Nothing in the bodies depends on the clock: Mesos'
 * /master/state has no uptime either (start_time, elected_time and the
 * registration times are instants, fixed when they happen), and "flags"
 * and the master's identity never change in a run; the clock-driven
 * figures (master/uptime_secs) are /metrics/snapshot's, never cached.
 * Loop thread only.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/bodycache.h"
#include "lib/buf.h"
#include "lib/httpd.h"
#include "lib/idmap.h"
#include "lib/jw.h"
#include "lib/loop.h"
#include "lib/metrics.h"
#include "lib/resources.h"
#include "lib/task_state.h"
#include "lib/xalloc.h"
#include "master/master_alloc.h"
#include "master/master_dns_feed.h"
#include "master/master_int.h"
#include "master/master_tasks.h"

static char *
master_pid(const struct master *m)
{
	return xasprintf("master@%s:%d", m->conf.advertise_ip, m->conf.port);
}

/* res_to_json()'s shape: {"cpus", "mem", "disk", "ports": "[b-e, ...]"}. */
static void
master_w_res(struct jw *w, const struct resources *r)
{
	char ports[RES_MAX_RANGES * 24 + 3];
	size_t n = 0;
	int i, k;

	jw_obj_open(w);
	jw_kreal(w, "cpus", r->cpus);
	jw_kreal(w, "mem", r->mem);
	jw_kreal(w, "disk", r->disk);
	ports[n++] = '[';
	for (i = 0; i < r->nranges; i++) {
		k = snprintf(ports + n, sizeof ports - n, "%s%u-%u",
			     i ? ", " : "", r->ports[i].begin, r->ports[i].end);
		CD_ASSERT(k > 0 && (size_t)k < sizeof ports - n);
		n += (size_t)k;
	}
	ports[n++] = ']';
	ports[n] = '\0';
	jw_kstr(w, "ports", ports);
	jw_obj_close(w);
}

static void
master_w_agent(struct jw *w, struct master *m, struct master_agent *a)
{
	struct resources total, used;
	char *pid = xasprintf("slave(1)@%s:%d", a->info.ip, a->info.port);

	res_zero(&total);
	res_zero(&used);
	master_alloc_agent_usage(m->alloc, a->info.id, &total, &used);
	jw_obj_open(w);
	jw_kstr(w, "id", a->info.id);
	jw_kstr(w, "pid", pid);
	jw_kstr(w, "hostname", a->info.hostname);
	jw_kint(w, "port", a->info.port);
	jw_kreal(w, "registered_time", a->registered_ms / 1000.0);
	jw_key(w, "resources");
	master_w_res(w, &a->info.total);
	jw_key(w, "used_resources");
	master_w_res(w, &used);
	jw_key(w, "unreserved_resources");
	master_w_res(w, &a->info.total);
	jw_key(w, "attributes");
	if (a->info.attributes != NULL) {
		jw_json(w, a->info.attributes);
	} else {
		jw_obj_open(w);
		jw_obj_close(w);
	}
	jw_kbool(w, "active", a->state == MASTER_AGENT_ACTIVE);
	jw_kstr(w, "version", m->conf.version);
	jw_obj_close(w);
	free(pid);
	res_free(&total);
	res_free(&used);
}

/*
 * A task. Its container_status is copied as serialised at its status
 * update (t->cstatus_json, master_tasks.c): a jansson dump per task per
 * build was 40 % of the cost of a /master/state of ten thousand tasks.
 */
static void
master_w_task(struct jw *w, const struct master_task *t)
{
	const char *state = task_state_name(t->status.state);

	jw_obj_open(w);
	jw_kstr(w, "id", t->task.task_id);
	jw_kstr(w, "name", t->task.name ? t->task.name : "");
	jw_kstr(w, "framework_id", t->framework_id);
	jw_kstr(w, "executor_id", "");
	jw_kstr(w, "slave_id", t->task.agent_id ? t->task.agent_id : "");
	jw_kstr(w, "state", state);
	jw_key(w, "resources");
	master_w_res(w, &t->task.res);
	jw_key(w, "statuses");
	jw_arr_open(w);
	jw_obj_open(w);
	jw_kstr(w, "state", state);
	jw_kreal(w, "timestamp", t->status.timestamp_ms / 1000.0);
	if (t->status.container_status != NULL) {
		/* As the agent reported it (checked by lib/wire). */
		jw_key(w, "container_status");
		if (t->cstatus_json != NULL)
			jw_raw(w, t->cstatus_json, strlen(t->cstatus_json));
		else
			jw_json(w, t->status.container_status);
	}
	jw_obj_close(w);
	jw_arr_close(w);
	jw_obj_close(w);
}

/* "key": [] */
static void
master_w_empty_arr(struct jw *w, const char *key)
{
	jw_key(w, key);
	jw_arr_open(w);
	jw_arr_close(w);
}

/* "frameworks" and "completed_frameworks" (none are kept). */
static void
master_w_frameworks(struct jw *w, struct master *m)
{
	struct master_framework *f;

	jw_key(w, "frameworks");
	jw_arr_open(w);
	TAILQ_FOREACH(f, &m->frameworks, link) {
		struct master_task *t;
		struct master_offer *o;
		struct resources used, offered;

		res_zero(&used);
		res_zero(&offered);
		jw_obj_open(w);
		jw_kstr(w, "id", f->id);
		jw_kstr(w, "name", f->name);
		jw_kstr(w, "hostname", m->conf.hostname);
		jw_kbool(w, "active", true);
		jw_kreal(w, "registered_time", f->registered_ms / 1000.0);
		jw_kstr(w, "role", "*");
		jw_key(w, "tasks");
		jw_arr_open(w);
		TAILQ_FOREACH(t, &m->tasks, link) {
			if (strcmp(t->framework_id, f->id) != 0)
				continue;
			master_w_task(w, t);
			if (!task_state_terminal(t->status.state))
				res_add(&used, &t->task.res);
		}
		jw_arr_close(w);
		jw_key(w, "offers");
		jw_arr_open(w);
		TAILQ_FOREACH(o, &m->offers, link) {
			if (strcmp(o->framework_id, f->id) != 0)
				continue;
			res_add(&offered, &o->res);
			jw_obj_open(w);
			jw_kstr(w, "id", o->id);
			jw_kstr(w, "framework_id", o->framework_id);
			jw_kstr(w, "slave_id", o->agent_id);
			jw_key(w, "resources");
			master_w_res(w, &o->res);
			jw_obj_close(w);
		}
		jw_arr_close(w);
		jw_key(w, "used_resources");
		master_w_res(w, &used);
		jw_key(w, "offered_resources");
		master_w_res(w, &offered);
		master_w_empty_arr(w, "completed_tasks");
		jw_obj_close(w);
		res_free(&used);
		res_free(&offered);
	}
	jw_arr_close(w);
	master_w_empty_arr(w, "completed_frameworks");
}

/* The agents in state, or all live ones (ACTIVE or SILENT) for live. */
static void
master_w_slaves(struct jw *w, struct master *m, bool live,
		enum master_agent_state state)
{
	struct master_agent *a;

	jw_arr_open(w);
	TAILQ_FOREACH(a, &m->agents, link)
		if (live ? master_agent_live(a) : a->state == state)
			master_w_agent(w, m, a);
	jw_arr_close(w);
}

/* "slaves" (the live agents) and "recovered_slaves". */
static void
master_w_slave_lists(struct jw *w, struct master *m)
{
	jw_key(w, "slaves");
	master_w_slaves(w, m, true, MASTER_AGENT_ACTIVE);
	jw_key(w, "recovered_slaves");
	master_w_slaves(w, m, false, MASTER_AGENT_RECOVERED);
}

/* Orphans: non-terminal tasks, on live agents, of unattached frameworks. */
static bool
master_orphan(struct master *m, const struct master_task *t)
{
	struct master_agent *a;

	if (task_state_terminal(t->status.state) || master_task_attached(m, t))
		return false;
	a = master_agent_find(m, t->task.agent_id);
	return a != NULL && master_agent_live(a);
}

static void
master_w_orphans(struct jw *w, struct master *m)
{
	struct idmap *seen = idmap_new();
	struct master_task *t;

	jw_key(w, "orphan_tasks");
	jw_arr_open(w);
	TAILQ_FOREACH(t, &m->tasks, link)
		if (master_orphan(m, t))
			master_w_task(w, t);
	jw_arr_close(w);
	jw_key(w, "unregistered_frameworks");
	jw_arr_open(w);
	TAILQ_FOREACH(t, &m->tasks, link)
		if (master_orphan(m, t) &&
		    idmap_put(seen, t->framework_id, t) == 0)
			jw_str(w, t->framework_id);
	jw_arr_close(w);
	idmap_free(seen);
}

/* "duplicate_hostnames": see the top comment. */
static void
master_w_duplicates(struct jw *w, struct master *m)
{
	struct idmap *count = idmap_new();
	struct master_agent *a, *o;
	uintptr_t n;

	TAILQ_FOREACH(a, &m->agents, link) {
		if (!master_agent_live(a))
			continue;
		n = (uintptr_t)idmap_del(count, a->info.hostname);
		AZ(idmap_put(count, a->info.hostname, (void *)(n + 1)));
	}
	jw_key(w, "duplicate_hostnames");
	jw_arr_open(w);
	TAILQ_FOREACH(a, &m->agents, link) {
		if (!master_agent_live(a) ||
		    (uintptr_t)idmap_get(count, a->info.hostname) < 2)
			continue;
		/* Listed once, at its first agent. */
		(void)idmap_del(count, a->info.hostname);
		AZ(idmap_put(count, a->info.hostname, (void *)1));
		jw_obj_open(w);
		jw_kstr(w, "hostname", a->info.hostname);
		jw_key(w, "slave_ids");
		jw_arr_open(w);
		TAILQ_FOREACH(o, &m->agents, link)
			if (master_agent_live(o) &&
			    strcmp(o->info.hostname, a->info.hostname) == 0)
				jw_str(w, o->info.id);
		jw_arr_close(w);
		jw_obj_close(w);
	}
	jw_arr_close(w);
	idmap_free(count);
}

/*
 * The agents by the states that /master/state and /metrics/snapshot both
 * report (an agent restored but not re-registered counts in none).
 */
struct master_agent_tally {
	int active;	 /* MASTER_AGENT_ACTIVE */
	int inactive;	 /* MASTER_AGENT_SILENT */
	int unreachable; /* MASTER_AGENT_UNREACHABLE */
};

static void
master_tally_agent(struct master_agent_tally *n, const struct master_agent *a)
{
	if (a->state == MASTER_AGENT_ACTIVE)
		n->active++;
	else if (a->state == MASTER_AGENT_SILENT)
		n->inactive++;
	else if (a->state == MASTER_AGENT_UNREACHABLE)
		n->unreachable++;
}

/* /master/state's members. */
static void
master_w_state(struct jw *w, struct master *m)
{
	struct master_agent *a;
	char *pid = master_pid(m);
	struct master_agent_tally n = {0};

	TAILQ_FOREACH(a, &m->agents, link)
		master_tally_agent(&n, a);
	jw_kstr(w, "version", m->conf.version);
	jw_kstr(w, "id", m->id);
	jw_kstr(w, "pid", pid);
	jw_kstr(w, "hostname", m->conf.hostname);
	jw_kreal(w, "start_time", m->start_ms / 1000.0);
	jw_kreal(w, "elected_time", m->start_ms / 1000.0);
	jw_kint(w, "activated_slaves", n.active);
	jw_kint(w, "deactivated_slaves", n.inactive);
	jw_kint(w, "unreachable_slaves", n.unreachable);
	jw_kstr(w, "leader", pid);
	jw_key(w, "leader_info");
	jw_obj_open(w);
	jw_kstr(w, "id", m->id);
	jw_kstr(w, "ip", m->conf.advertise_ip);
	jw_kint(w, "port", m->conf.port);
	jw_kstr(w, "pid", pid);
	jw_kstr(w, "hostname", m->conf.hostname);
	jw_key(w, "address");
	jw_obj_open(w);
	jw_kstr(w, "hostname", m->conf.hostname);
	jw_kstr(w, "ip", m->conf.advertise_ip);
	jw_kint(w, "port", m->conf.port);
	jw_obj_close(w);
	jw_obj_close(w);
	master_w_slave_lists(w, m);
	master_w_frameworks(w, m);
	master_w_orphans(w, m);
	master_w_duplicates(w, m);
	jw_key(w, "flags");
	jw_json(w, m->flags);
	free(pid);
}

/* /master/frameworks' members. */
static void
master_w_framework_list(struct jw *w, struct master *m)
{
	master_w_frameworks(w, m);
	master_w_empty_arr(w, "unregistered_frameworks");
}

/* /master/tasks' members. */
static void
master_w_tasks(struct jw *w, struct master *m)
{
	struct master_task *t;

	jw_key(w, "tasks");
	jw_arr_open(w);
	TAILQ_FOREACH(t, &m->tasks, link)
		master_w_task(w, t);
	jw_arr_close(w);
}

/* A cached body: its key (see the top comment) and what writes the
 * members of its one object. */
struct master_body {
	const char *key;
	void (*write)(struct jw *w, struct master *m);
};

static const struct master_body master_body_state = {"state", master_w_state};
static const struct master_body master_body_slaves = {"slaves",
						      master_w_slave_lists};
static const struct master_body master_body_frameworks = {
    "frameworks", master_w_framework_list};
static const struct master_body master_body_tasks = {"tasks", master_w_tasks};

/* The object of params (a struct master_body) into b: a bodycache_build_fn. */
static int
master_build(void *arg, void *params, struct buf *b)
{
	const struct master_body *body = params;
	struct jw w;

	jw_init(&w, b);
	jw_obj_open(&w);
	body->write(&w, arg);
	jw_obj_close(&w);
	return 200;
}

static void
master_serve(struct httpd_req *req, struct master *m,
	     const struct master_body *body)
{
	/* params is only read: the cast drops const for bodycache's void *. */
	bodycache_serve(m->bodies, req, body->key, master_build,
			(void *)(uintptr_t)body, NULL);
}

static void
master_h_state(struct httpd_req *req, void *arg)
{
	master_serve(req, arg, &master_body_state);
}

static void
master_h_slaves(struct httpd_req *req, void *arg)
{
	master_serve(req, arg, &master_body_slaves);
}

static void
master_h_frameworks(struct httpd_req *req, void *arg)
{
	master_serve(req, arg, &master_body_frameworks);
}

static void
master_h_tasks(struct httpd_req *req, void *arg)
{
	master_serve(req, arg, &master_body_tasks);
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
	httpd_reply_redirect(req, 307, loc);
	free(loc);
}

static void
master_h_metrics(struct httpd_req *req, void *arg)
{
	struct master *m = arg;
	struct master_agent *a;
	struct master_task *t;
	struct resources total, used;
	struct master_agent_tally n = {0};
	int running = 0, staging = 0;
	json_t *j;

	res_zero(&total);
	res_zero(&used);
	TAILQ_FOREACH(a, &m->agents, link) {
		struct resources at, au;

		res_zero(&at);
		res_zero(&au);
		master_tally_agent(&n, a);
		master_alloc_agent_usage(m->alloc, a->info.id, &at, &au);
		res_add(&total, &at);
		res_add(&used, &au);
		res_free(&at);
		res_free(&au);
	}
	TAILQ_FOREACH(t, &m->tasks, link) {
		if (t->status.state == TASK_RUNNING)
			running++;
		else if (t->status.state == TASK_STAGING ||
			 t->status.state == TASK_STARTING)
			staging++;
	}
	j = json_pack(
	    "{s:f, s:f, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:f, s:f, s:f, "
	    "s:f, s:f, s:I, s:I, s:I, s:I}",
	    "master/elected", 1.0, "master/uptime_secs",
	    (loop_wall_ms() - m->start_ms) / 1000.0, "master/slaves_active",
	    n.active, "master/slaves_inactive", n.inactive,
	    "master/slaves_unreachable", n.unreachable,
	    "master/slaves_connected", n.active + n.inactive,
	    "master/tasks_running", running, "master/tasks_staging", staging,
	    "master/cpus_total", total.cpus, "master/cpus_used", used.cpus,
	    "master/mem_total", total.mem, "master/mem_used", used.mem,
	    "master/disk_total", total.disk, "master/disk_used", used.disk,
	    "master/tasks_finished", (json_int_t)m->tasks_finished,
	    "master/tasks_failed", (json_int_t)m->tasks_failed,
	    "master/tasks_killed", (json_int_t)m->tasks_killed,
	    "master/tasks_lost", (json_int_t)m->tasks_lost);
	res_free(&total);
	res_free(&used);
	httpd_reply_json(req, 200, j);
}

/* A standby's DNS server replays the leader's records (the agent secret
 * guards /internal/). */
static void
master_h_dns(struct httpd_req *req, void *arg)
{
	httpd_reply_json(req, 200, master_dns_export(arg));
}

void
master_api_metrics(void *arg, struct metrics_out *o)
{
	static const char *const names[] = {"recovered", "active", "inactive",
					    "unreachable"};
	struct master *m = arg;
	struct master_agent *a;
	struct master_task *t;
	double agents[CD_NELEM(names)] = {0}, tasks[TASK_STATE_COUNT] = {0};
	size_t i;

	TAILQ_FOREACH(a, &m->agents, link)
		if ((size_t)a->state < CD_NELEM(names))
			agents[a->state]++;
	TAILQ_FOREACH(t, &m->tasks, link)
		if ((size_t)t->status.state < TASK_STATE_COUNT)
			tasks[t->status.state]++;
	for (i = 0; i < CD_NELEM(names); i++)
		metrics_gauge_l(o, "clusterd_agents",
				"Agents known to the master, by state "
				"(active: offered; inactive: silent, not "
				"offered; recovered: not re-registered yet)",
				"state", names[i], agents[i]);
	for (i = 0; i < TASK_STATE_COUNT; i++)
		metrics_gauge_l(o, "clusterd_tasks",
				"Tasks the master knows, by state", "state",
				task_state_name((enum task_state)i), tasks[i]);
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
    {HTTPD_GET, "/internal/dns", master_h_dns},
};

/* lib/bodycache's view of the state generation. */
static uint64_t
master_api_gen(void *arg)
{
	const struct master *m = arg;

	return m->gen;
}

void
master_api_init(struct master *m)
{
	m->bodies =
	    bodycache_new(m->loop, "application/json", master_api_gen, m);
	httpd_add_routes(m->httpd, master_routes, CD_NELEM(master_routes), m);
}

void
master_api_release(struct master *m)
{
	bodycache_free(m->bodies);
	m->bodies = NULL;
}
