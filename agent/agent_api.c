/*
 * agent_api.c: the agent's HTTP endpoints: the master's RunTask, KillTask,
 * ping and reconcile under /internal/, and /state, /slave(1)/state,
 * /health for operators. RunTask and KillTask are taken only from this
 * agent's master (agent_from_master()): the agent secret alone cannot
 * tell, when there is none (loopback), or when another holder of it
 * speaks. Loop thread only.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "containerizer/ctr.h"
#include "lib/httpd.h"
#include "lib/id.h"
#include "lib/ipaddr.h"
#include "lib/json.h"
#include "lib/loop.h"
#include "lib/ratelog.h"
#include "lib/xalloc.h"

#define LOG_MOD "agent"
#include "lib/log.h"

/* At most one line per interval about refused master messages. */
#define AGENT_REFUSE_LOG_MS 10000

/*
 * The body's secret of a ping. Redundant: the agent secret, when set,
 * was checked in the Clusterd-Agent-Secret header before the body was
 * read (httpd_set_guard() in cmd/main.c); compared in constant time all
 * the same. RunTask and KillTask no longer look at the body's secret.
 */
static bool
agent_secret_ok(const struct agent *a, const char *given, struct httpd_req *req)
{
	if (a->s_secret == NULL || id_secret_equal(a->s_secret, given))
		return true;
	log_warn("refused a master message from %s: bad secret",
		 httpd_req_peer(req));
	httpd_reply_error(req, 401, "invalid agent secret", NULL);
	return false;
}

/*
 * Whether a RunTask or KillTask comes from this agent's master (what the
 * agent secret cannot tell when there is none, as on loopback): from the
 * address the registration reached the master at, when known (403
 * otherwise), and naming the master registered with (409 otherwise, as
 * for an agent not registered: the master then pings, and the agent
 * registers with whoever it is). A launch also needs the agent to be
 * registered, or re-registering (a registration in flight: the master's
 * reply may come after its first RunTask), its updates then waiting for
 * the registration; a kill does not. Answers and logs (at most once per
 * interval) when not.
 */
/*
 * Whether peer is where the master is: its address, or, for a master on
 * this very host, any address of this host (an all-in-one on 0.0.0.0
 * registers its agent at 127.0.0.1, and its master reaches the agent at
 * the advertised address, from that address).
 */
static bool
agent_peer_is_master(const struct agent *a, const char *peer)
{
	if (ipaddr_same_host(peer, a->master_ip))
		return true;
	return ipaddr_local(a->master_ip) && ipaddr_local(peer);
}

static bool
agent_from_master(struct agent *a, struct httpd_req *req, const char *master_id,
		  const char *what, bool launch)
{
	unsigned long n = 0;

	if (a->master_ip != NULL &&
	    !agent_peer_is_master(a, httpd_req_peer(req))) {
		if (ratelog_allow(&a->refuse_log, loop_now_ms(a->loop), &n))
			log_warn("refused a %s from %s: this agent's master is "
				 "at %s (%lu similar messages suppressed)",
				 what, httpd_req_peer(req), a->master_ip, n);
		httpd_reply_error(req, 403, "not from this agent's master",
				  NULL);
		return false;
	}
	if (a->master_id == NULL || strcmp(master_id, a->master_id) != 0 ||
	    (launch && !a->registered && a->reg_req == NULL)) {
		if (ratelog_allow(&a->refuse_log, loop_now_ms(a->loop), &n))
			log_warn("refused a %s from %s: from master %s, this "
				 "agent is registered with %s (%lu similar "
				 "messages suppressed)",
				 what, httpd_req_peer(req), master_id,
				 a->registered && a->master_id != NULL
				     ? a->master_id
				     : "none",
				 n);
		httpd_reply_error(
		    req, 409, "agent is not registered with this master", NULL);
		return false;
	}
	return true;
}

static json_t *
agent_req_json(struct httpd_req *req, struct cd_err *err)
{
	size_t len = 0;
	const char *body = httpd_req_body(req, &len);

	return json_parse_bounded(body, len, err);
}

static void
agent_h_run(struct httpd_req *req, void *arg)
{
	struct agent *a = arg;
	struct wire_run_task rt = {0};
	struct cd_err err = {0};
	json_t *j = agent_req_json(req, &err);

	if (j == NULL || wire_run_task_decode(j, &rt, &err) != 0) {
		json_decref(j);
		httpd_reply_cd_err(req, 400, "invalid RunTask", &err);
		return;
	}
	json_decref(j);
	if (!agent_from_master(a, req, rt.master_id, "RunTask", true))
		goto out;
	if (a->ctr == NULL) {
		httpd_reply_error(req, 409, "agent is not registered", NULL);
		goto out;
	}
	if (agent_task_launch(a, &rt.task, &err) != 0) {
		httpd_reply_cd_err(req, 409, "cannot launch", &err);
		goto out;
	}
	httpd_reply_json(req, 202, json_object());
out:
	wire_run_task_release(&rt);
}

static void
agent_h_kill(struct httpd_req *req, void *arg)
{
	struct agent *a = arg;
	struct wire_kill_task k = {0};
	struct cd_err err = {0};
	struct agent_task *t;
	json_t *j = agent_req_json(req, &err);

	if (j == NULL || wire_kill_task_decode(j, &k, &err) != 0) {
		json_decref(j);
		httpd_reply_cd_err(req, 400, "invalid KillTask", &err);
		return;
	}
	json_decref(j);
	if (!agent_from_master(a, req, k.master_id, "KillTask", false))
		goto out;
	t = agent_task_find(a, k.task_id);
	if (t == NULL) {
		httpd_reply_error(req, 404, "unknown task", NULL);
		goto out;
	}
	if (!task_state_terminal(t->state)) {
		if (t->state != TASK_KILLING)
			agent_task_update(t, TASK_KILLING, "kill requested",
					  NULL);
		if (ctr_kill(a->ctr, k.task_id,
			     k.grace_ms ? k.grace_ms : t->task.kill_grace_ms) !=
		    0)
			agent_task_update(t, TASK_KILLED,
					  "killed before it started", NULL);
	}
	httpd_reply_json(req, 202, json_object());
out:
	wire_kill_task_release(&k);
}

/*
 * A ping: 200 when we are registered with the run of the master that
 * sends it; otherwise 409, and we register at once (see wire_ping).
 */
static void
agent_h_ping(struct httpd_req *req, void *arg)
{
	struct agent *a = arg;
	struct wire_ping p = {0};
	struct cd_err err = {0};
	const char *why = NULL;
	json_t *j = agent_req_json(req, &err);

	if (j == NULL || wire_ping_decode(j, &p, &err) != 0) {
		json_decref(j);
		httpd_reply_cd_err(req, 400, "invalid ping", &err);
		return;
	}
	json_decref(j);
	if (!agent_secret_ok(a, p.secret, req))
		goto out;
	if (!agent_master_pinger_ok(a, p.pid)) {
		/* Not the leader we follow: ignore it, whatever it asks. */
		httpd_reply_error(req, 409, "not the leading master", NULL);
		goto out;
	}
	if (a->id == NULL || strcmp(p.agent_id, a->id) != 0) {
		/* A record of an agent that was here before us. */
		httpd_reply_error(req, 409, "not that agent", NULL);
		goto out;
	}
	if (!a->registered && a->reg_req != NULL && !p.reregister) {
		/*
		 * The master counts us registered (it would ask otherwise):
		 * our registration's answer is on its way (with ZooKeeper it
		 * waits for the commit). Answer, or the master would take us
		 * for silent until its next ping.
		 */
		a->last_ping_ms = loop_wall_ms();
		httpd_reply_json(req, 200, json_object());
		goto out;
	}
	if (!a->registered)
		why = "a ping while not registered";
	else if (p.reregister)
		why = "the master asks for it";
	else if (a->master_id == NULL || strcmp(p.master_id, a->master_id) != 0)
		why = "a ping from another master";
	else if (p.epoch != NULL && (a->master_epoch == NULL ||
				     strcmp(p.epoch, a->master_epoch) != 0))
		why = "the master restarted";
	if (why != NULL) {
		a->registered = false;
		httpd_reply_error(req, 409, "not registered with this master",
				  NULL);
		agent_master_register_now(a, why);
		goto out;
	}
	a->last_ping_ms = loop_wall_ms();
	httpd_reply_json(req, 200, json_object());
out:
	wire_ping_release(&p);
}

static json_t *
agent_state_task(const struct agent_task *t)
{
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id", t->task.task_id,
	    "name", t->task.name ? t->task.name : "", "framework_id",
	    t->task.framework_id ? t->task.framework_id : "", "executor_id", "",
	    "slave_id", t->a->id ? t->a->id : "", "state",
	    task_state_name(t->state), "resources", res_to_json(&t->task.res));
}

/*
 * Mesos' executor of a task: a command executor, whose id is the task id,
 * with the task's sandbox as its "directory" (what tools append "/stdout"
 * to and read through /files/read).
 */
static json_t *
agent_state_executor(const struct agent_task *t)
{
	json_t *tasks = json_array(), *completed = json_array();

	json_array_append_new(task_state_terminal(t->state) ? completed : tasks,
			      agent_state_task(t));
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:[], s:o}", "id",
	    t->task.task_id, "name", t->task.task_id, "source", t->task.task_id,
	    "container", t->container_id ? t->container_id : "", "directory",
	    t->sandbox, "resources", res_to_json(&t->task.res), "tasks", tasks,
	    "queued_tasks", "completed_tasks", completed);
}

/* The framework entry of fw_id in list, added when missing. */
static json_t *
agent_state_framework(json_t *list, const char *fw_id)
{
	size_t i;
	json_t *f;

	json_array_foreach(list, i, f)
		if (strcmp(json_string_value(json_object_get(f, "id")),
			   fw_id) == 0)
			return f;
	f = json_pack("{s:s, s:s, s:[], s:[], s:[], s:[]}", "id", fw_id, "name",
		      "", "executors", "completed_executors", "tasks",
		      "completed_tasks");
	json_array_append_new(list, f);
	return f;
}

/*
 * /state in Mesos' shape: frameworks[].executors[] for running tasks,
 * completed_executors[] for ended ones, each with its sandbox directory.
 * Each framework also lists its tasks and completed_tasks directly, as
 * earlier clusterd releases did.
 */
static void
agent_h_state(struct httpd_req *req, void *arg)
{
	struct agent *a = arg;
	struct agent_task *t;
	json_t *fws = json_array(), *j;
	struct resources used;
	char *pid = xasprintf("slave(1)@%s:%d", a->s_ip, a->conf.port);

	res_zero(&used);
	TAILQ_FOREACH(t, &a->tasks, link) {
		bool ended = task_state_terminal(t->state);
		json_t *f = agent_state_framework(
		    fws, t->task.framework_id ? t->task.framework_id : "");

		json_array_append_new(
		    json_object_get(f, ended ? "completed_executors"
					     : "executors"),
		    agent_state_executor(t));
		json_array_append_new(
		    json_object_get(f, ended ? "completed_tasks" : "tasks"),
		    agent_state_task(t));
		if (!ended)
			res_add(&used, &t->task.res);
	}
	j = json_pack("{s:s, s:s, s:s, s:s, s:f, s:o, s:o, s:O, s:s, s:b, "
		      "s:o, s:[]}",
		      "id", a->id ? a->id : "", "pid", pid, "hostname",
		      a->s_hostname, "version", a->s_version, "start_time",
		      a->start_ms / 1000.0, "resources", res_to_json(&a->total),
		      "used_resources", res_to_json(&used), "attributes",
		      a->attributes, "master_hostname", a->s_master,
		      "registered", a->registered, "frameworks", fws,
		      "completed_frameworks");
	free(pid);
	res_free(&used);
	httpd_reply_json(req, 200, j);
}

static void
agent_h_health(struct httpd_req *req, void *arg)
{
	(void)arg;
	httpd_reply(req, 200, "text/plain", "", 0);
}

static const struct httpd_route agent_routes[] = {
    {HTTPD_POST, "/internal/run_task", agent_h_run},
    {HTTPD_POST, "/internal/kill_task", agent_h_kill},
    {HTTPD_POST, "/internal/ping", agent_h_ping},
    {HTTPD_GET, "/state", agent_h_state},
    {HTTPD_GET, "/slave(1)/state", agent_h_state},
    {HTTPD_GET, "/health", agent_h_health},
};

void
agent_api_routes(struct agent *a)
{
	a->refuse_log = (struct ratelog)RATELOG_INIT(AGENT_REFUSE_LOG_MS);
	httpd_add_routes(a->httpd, agent_routes, CD_NELEM(agent_routes), a);
}
