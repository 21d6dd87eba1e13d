/*
 * agent_api.c: the agent's HTTP endpoints: the master's RunTask, KillTask,
 * ping and reconcile under /internal/, and /state, /slave(1)/state,
 * /health for operators. Loop thread only.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "containerizer/ctr.h"
#include "lib/httpd.h"
#include "lib/json.h"
#include "lib/loop.h"
#include "lib/xalloc.h"

#define LOG_MOD "agent"
#include "lib/log.h"

static bool
agent_secret_ok(const struct agent *a, const char *given, struct httpd_req *req)
{
	if (a->s_secret == NULL ||
	    (given != NULL && strcmp(given, a->s_secret) == 0))
		return true;
	log_warn("refused a master message from %s: bad secret",
		 httpd_req_peer(req));
	httpd_reply_error(req, 401, "invalid agent secret", NULL);
	return false;
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
	if (!agent_secret_ok(a, rt.secret, req))
		goto out;
	/*
	 * While re-registering with the same master (its reply may come
	 * after the first RunTask it sends), a launch is taken: its status
	 * updates wait for the registration.
	 */
	if (a->ctr == NULL ||
	    (!a->registered && (a->reg_req == NULL || a->master_id == NULL ||
				strcmp(rt.master_id, a->master_id) != 0))) {
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
	if (!agent_secret_ok(a, k.secret, req))
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
	if (a->id == NULL || strcmp(p.agent_id, a->id) != 0) {
		/* A record of an agent that was here before us. */
		httpd_reply_error(req, 409, "not that agent", NULL);
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
	httpd_add_routes(a->httpd, agent_routes, CD_NELEM(agent_routes), a);
}
