/*
 * agent_tasks.c: the tasks of this node. Owns the agent's tasks (a->tasks)
 * and their checkpoint: launching through the containerizers, their
 * events, COMMAND health checks while RUNNING, and the per-task queue of
 * status updates that are checkpointed before they are sent and retried
 * (10 s, doubling to 10 min) until the master acknowledges them (SPEC
 * section 3); recovery from the checkpoint after a restart.
 *
 * Checkpoint layout (STORE_DB_AGENT): "task/<task_id>" = {"task", "state",
 * "sandbox", "container_id", "checkpoint", "started_ms", "pending":
 * [status...]}. A task record is deleted once its terminal update is
 * acknowledged. Sends through agent_master.c (below it); agent.c and
 * agent_api.c call it. Loop thread only.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent_health.h"
#include "agent/agent_int.h"
#include "containerizer/ctr.h"
#include "lib/durable.h"
#include "lib/fault.h"
#include "lib/httpc.h"
#include "lib/id.h"
#include "lib/json.h"
#include "lib/loop.h"
#include "lib/path.h"
#include "lib/store.h"
#include "lib/xalloc.h"

#define LOG_MOD "agent"
#include "lib/log.h"

#define AGENT_RETRY_MIN_MS 10000
#define AGENT_RETRY_MAX_MS 600000

struct agent_task *
agent_task_find(struct agent *a, const char *task_id)
{
	struct agent_task *t;

	TAILQ_FOREACH(t, &a->tasks, link)
		if (strcmp(t->task.task_id, task_id) == 0)
			return t;
	return NULL;
}

static json_t *
agent_task_json(const struct agent_task *t)
{
	json_t *j = json_object(), *pending = json_array();
	size_t i;

	for (i = 0; i < t->npending; i++)
		json_array_append_new(pending,
				      wire_status_encode(&t->pending[i]));
	json_object_set_new(j, "task", wire_task_encode(&t->task));
	json_object_set_new(j, "state", json_string(task_state_name(t->state)));
	json_object_set_new(j, "sandbox", json_string(t->sandbox));
	if (t->container_id != NULL)
		json_object_set_new(j, "container_id",
				    json_string(t->container_id));
	if (t->checkpoint != NULL)
		json_object_set(j, "checkpoint", t->checkpoint);
	if (t->ips != NULL)
		json_object_set(j, "ip_addresses", t->ips);
	json_object_set_new(j, "started_ms", json_integer(t->started_ms));
	json_object_set_new(j, "pending", pending);
	return j;
}

static int
agent_task_save(struct agent_task *t)
{
	json_t *j = agent_task_json(t);
	char *key = xasprintf("task/%s", t->task.task_id);
	char *val = json_dump_str(j);
	int rc = store_put(t->a->store, STORE_DB_AGENT, key, val, strlen(val));

	if (rc != 0)
		log_error("cannot checkpoint task %s", t->task.task_id);
	free(val);
	free(key);
	json_decref(j);
	return rc;
}

static void
agent_task_free(struct agent_task *t)
{
	size_t i;

	for (i = 0; i < t->npending; i++)
		wire_status_release(&t->pending[i]);
	free(t->pending);
	agent_health_stop(t->health);
	if (t->in_flight != NULL)
		httpc_cancel(t->in_flight);
	if (t->syncing) {
		const struct durable *d = store_durable(t->a->store);

		d->forget(d->ctx, t);
	}
	loop_timer_free(t->retry);
	wire_task_release(&t->task);
	free(t->sandbox);
	free(t->container_id);
	json_decref(t->checkpoint);
	json_decref(t->ips);
	json_decref(t->cstatus);
	CD_FREE_OBJ(t);
}

/* Mesos' ContainerStatus of a task that has run. New reference or NULL. */
static json_t *
agent_task_container_status(const struct agent_task *t)
{
	json_t *ips = json_array(), *cs;
	const json_t *own = t->ips, *v;
	size_t i;

	if (t->started_ms == 0) {
		json_decref(ips);
		return NULL;
	}
	json_array_foreach(own, i, v)
		json_array_append_new(
		    ips, json_pack("{s:s, s:O}", "protocol",
				   strchr(json_string_value(v), ':') != NULL
				       ? "IPv6"
				       : "IPv4",
				   "ip_address", v));
	if (json_array_size(ips) == 0)
		json_array_append_new(ips, json_pack("{s:s, s:s}", "protocol",
						     "IPv4", "ip_address",
						     t->a->s_ip));
	cs = json_pack("{s:[{s:o}]}", "network_infos", "ip_addresses", ips);
	if (t->container_id != NULL)
		json_object_set_new(
		    cs, "container_id",
		    json_pack("{s:s}", "value", t->container_id));
	return cs;
}

/* A task whose terminal update was acknowledged is forgotten. */
static void
agent_task_retire(struct agent_task *t)
{
	struct agent *a = t->a;
	char *key = xasprintf("task/%s", t->task.task_id);

	if (store_del(a->store, STORE_DB_AGENT, key) != 0)
		log_error("cannot delete checkpoint of %s", t->task.task_id);
	free(key);
	TAILQ_REMOVE(&a->tasks, t, link);
	agent_task_free(t);
}

static void agent_task_send(struct agent_task *t);

static void
agent_retry_cb(void *arg)
{
	struct agent_task *t = arg;

	CD_CHECK_OBJ(t, AGENT_TASK_MAGIC);
	agent_task_send(t);
}

static void
agent_status_done(const struct httpc_resp *r, void *arg)
{
	struct agent_task *t = arg;
	struct agent *a;

	CD_CHECK_OBJ(t, AGENT_TASK_MAGIC);
	a = t->a;
	t->in_flight = NULL;
	if (r->status == 200) {
		wire_status_release(&t->pending[0]);
		memmove(&t->pending[0], &t->pending[1],
			(t->npending - 1) * sizeof *t->pending);
		t->npending--;
		t->retry_ms = 0;
		if (t->npending == 0 && task_state_terminal(t->state)) {
			agent_task_retire(t);
			return;
		}
		agent_task_save(t);
		agent_task_send(t);
		return;
	}
	if (r->status == 409) {
		/* The master does not know us: register, then resend. */
		a->registered = false;
		agent_master_register_now(a, "the master does not know us");
		return;
	}
	if (r->status == 0 && !r->sent)
		agent_master_gone(a, r->err != NULL ? r->err->msg : "refused");
	t->retry_ms = t->retry_ms ? t->retry_ms * 2 : AGENT_RETRY_MIN_MS;
	if (t->retry_ms > AGENT_RETRY_MAX_MS)
		t->retry_ms = AGENT_RETRY_MAX_MS;
	log_warn("status update for %s not acknowledged (%d); retry in %llds",
		 t->task.task_id, r->status, t->retry_ms / 1000);
	loop_timer_add(t->retry, (uint64_t)t->retry_ms);
}

/* The checkpoint of the update to send is on disk (or cannot be). */
static void
agent_task_synced(uint64_t seq, int rc, void *arg)
{
	struct agent_task *t = arg;

	(void)seq;
	CD_CHECK_OBJ(t, AGENT_TASK_MAGIC);
	t->syncing = false;
	if (rc == 0) {
		agent_task_send(t);
		return;
	}
	t->retry_ms = AGENT_RETRY_MIN_MS;
	log_warn("status update for %s not sent: its checkpoint is not on "
		 "disk; retry in %llds",
		 t->task.task_id, t->retry_ms / 1000);
	loop_timer_add(t->retry, (uint64_t)t->retry_ms);
}

static void
agent_task_send(struct agent_task *t)
{
	struct agent *a = t->a;
	struct wire_status_msg msg = {0};
	const struct durable *d = store_durable(a->store);
	uint64_t seq;

	if (t->npending == 0 || t->in_flight != NULL || t->syncing ||
	    !a->registered || loop_timer_pending(t->retry))
		return;
	/*
	 * Once the master has it, the master acknowledges it and we forget
	 * it: the checkpoint that says we sent it must be on disk first.
	 */
	if ((seq = d->pending(d->ctx)) != 0) {
		t->syncing = d->wait(d->ctx, seq, agent_task_synced, t) == 0;
		if (t->syncing)
			return;
	}
	msg.token = a->status_token;
	msg.status = t->pending[0];
	/* The status carries the task, so a master that lost it can rebuild. */
	t->in_flight = agent_master_post(a, "/internal/status",
					 wire_status_msg_encode(&msg),
					 agent_status_done, t);
}

void
agent_tasks_send_pending(struct agent *a)
{
	struct agent_task *t;

	TAILQ_FOREACH(t, &a->tasks, link) {
		loop_timer_del(t->retry);
		t->retry_ms = 0;
		agent_health_resend(t->health); /* a new master knows none */
		agent_task_send(t);
	}
}

/* Queue an update; healthy is a WIRE_HEALTH_* value. */
static void
agent_task_queue(struct agent_task *t, enum task_state st, const char *message,
		 const char *reason, int healthy)
{
	struct wire_status *s;
	char uuid[ID_UUID_LEN];

	if (task_state_terminal(t->state))
		return;
	t->state = st;
	XGROW(t->pending, t->npending + 1, t->cpending);
	s = &t->pending[t->npending++];
	memset(s, 0, sizeof *s);
	id_uuid(uuid);
	s->uuid = xstrdup(uuid);
	s->task_id = xstrdup(t->task.task_id);
	s->framework_id =
	    xstrdup(t->task.framework_id ? t->task.framework_id : "");
	s->agent_id = xstrdup(t->a->id ? t->a->id : "");
	s->state = st;
	s->message = message ? xstrdup(message) : NULL;
	s->reason = reason ? xstrdup(reason) : NULL;
	s->source = xstrdup("SOURCE_EXECUTOR");
	s->timestamp_ms = loop_wall_ms();
	s->container_id = t->container_id ? xstrdup(t->container_id) : NULL;
	s->task = wire_task_encode(&t->task);
	s->healthy = healthy;
	s->container_status =
	    t->cstatus != NULL ? json_incref(t->cstatus) : NULL;
	log_info("task %s is %s%s%s%s", t->task.task_id, task_state_name(st),
		 healthy == WIRE_HEALTH_OK	 ? " (healthy)"
		 : healthy == WIRE_HEALTH_FAILED ? " (unhealthy)"
						 : "",
		 message ? ": " : "", message ? message : "");
	agent_task_save(t);
	agent_task_send(t);
}

void
agent_task_update(struct agent_task *t, enum task_state st, const char *message,
		  const char *reason)
{
	agent_task_queue(t, st, message, reason, WIRE_HEALTH_UNKNOWN);
}

/* agent_health: the task's COMMAND checks changed their verdict. */
static void
agent_health_report(void *arg, bool healthy, const char *why)
{
	struct agent_task *t = arg;

	CD_CHECK_OBJ(t, AGENT_TASK_MAGIC);
	agent_task_queue(t, t->state, why,
			 "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED",
			 healthy ? WIRE_HEALTH_OK : WIRE_HEALTH_FAILED);
}

/* agent_health: too many failures in a row; Mesos kills such a task. */
static void
agent_health_kill(void *arg, const char *why)
{
	struct agent_task *t = arg;

	CD_CHECK_OBJ(t, AGENT_TASK_MAGIC);
	log_warn("task %s is unhealthy, killing it: %s", t->task.task_id, why);
	t->health_killed = true;
	if (ctr_kill(t->a->ctr, t->task.task_id, 0) != 0)
		log_warn("task %s: kill failed", t->task.task_id);
}

/* Run the task's COMMAND health checks while it is RUNNING. */
static void
agent_health_begin(struct agent_task *t)
{
	if (t->health != NULL || t->state != TASK_RUNNING)
		return;
	t->health = agent_health_start(
	    t->a->loop, t->a->ctr, t->task.task_id, t->task.health_checks,
	    t->started_ms, agent_health_report, agent_health_kill, t);
}

void
agent_tasks_ctr_event(const struct ctr_event *ev, void *arg)
{
	struct agent *a = arg;
	struct agent_task *t = agent_task_find(a, ev->task_id);

	if (t == NULL) {
		log_warn("event %s for unknown task %s",
			 task_state_name(ev->state), ev->task_id);
		return;
	}
	if (ev->container_id != NULL) {
		free(t->container_id);
		t->container_id = xstrdup(ev->container_id);
	}
	if (ev->checkpoint != NULL) {
		json_decref(t->checkpoint);
		t->checkpoint = json_deep_copy(ev->checkpoint);
	}
	if (ev->state == TASK_RUNNING && t->started_ms == 0)
		t->started_ms = loop_wall_ms();
	if (ev->ip_addresses != NULL && json_is_array(ev->ip_addresses)) {
		json_decref(t->ips);
		t->ips = json_deep_copy(ev->ip_addresses);
	}
	json_decref(t->cstatus);
	t->cstatus = agent_task_container_status(t);
	if (ev->state == t->state && !task_state_terminal(ev->state)) {
		agent_task_save(t);
		return;
	}
	if (task_state_terminal(ev->state)) {
		agent_health_stop(t->health);
		t->health = NULL;
	}
	if (task_state_terminal(ev->state) && t->health_killed) {
		/* As Mesos: the last word of a task killed as unhealthy. */
		agent_task_queue(t, ev->state, "killed: failed health checks",
				 "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED",
				 WIRE_HEALTH_FAILED);
		return;
	}
	agent_task_update(t, ev->state, ev->message, ev->reason);
	agent_health_begin(t);
}

int
agent_task_launch(struct agent *a, const struct wire_task *wt,
		  struct cd_err *err)
{
	struct agent_task *t;
	char run[ID_UUID_LEN];
	char *exec_dir, *latest;
	int rc;

	if (agent_task_find(a, wt->task_id) != NULL)
		return cd_err_set(err, -EEXIST, "task %s already exists",
				  wt->task_id);
	id_uuid(run);
	exec_dir = xasprintf(
	    "%s/slaves/%s/frameworks/%s/executors/%s/runs", a->s_work_dir,
	    a->id, wt->framework_id ? wt->framework_id : "none", wt->task_id);
	CD_ALLOC_OBJ(t, AGENT_TASK_MAGIC);
	t->a = a;
	wire_task_copy(&t->task, wt);
	t->state = TASK_STAGING;
	t->sandbox = xasprintf("%s/%s", exec_dir, run);
	t->retry = loop_timer_new(a->loop, agent_retry_cb, t);
	TAILQ_INSERT_TAIL(&a->tasks, t, link);
	if ((rc = CD_FAULT("sandbox.mkdir")) == 0)
		rc = path_mkdirs(t->sandbox, 0755);
	latest = xasprintf("%s/latest", exec_dir);
	unlink(latest);
	if (rc == 0 && symlink(run, latest) == -1)
		log_warn("cannot link %s: %s", latest, strerror(errno));
	free(latest);
	free(exec_dir);
	if (rc != 0) {
		agent_task_update(t, TASK_FAILED, "cannot create the sandbox",
				  "REASON_CONTAINER_LAUNCH_FAILED");
		return 0;
	}
	if (agent_task_save(t) != 0) {
		TAILQ_REMOVE(&a->tasks, t, link);
		agent_task_free(t);
		return cd_err_set(err, -EIO, "cannot checkpoint the task");
	}
	if (ctr_launch(a->ctr, &t->task, t->sandbox, err) != 0)
		agent_task_update(t, TASK_FAILED, err->msg,
				  "REASON_CONTAINER_LAUNCH_FAILED");
	return 0;
}

static int
agent_load_task(const char *key, const void *val, size_t len, void *arg)
{
	struct agent *a = arg;
	struct agent_task *t;
	json_t *j = json_parse_bounded(val, len, NULL), *p;
	const char *state = NULL, *sandbox = NULL, *cid = NULL;
	long long started = 0;
	size_t i;

	(void)key;
	if (j == NULL)
		return 0;
	CD_ALLOC_OBJ(t, AGENT_TASK_MAGIC);
	t->a = a;
	if (wire_task_decode(json_object_get(j, "task"), &t->task, NULL) != 0) {
		log_error("skipping a corrupt checkpoint %s", key);
		CD_FREE_OBJ(t);
		json_decref(j);
		return 0;
	}
	json_opt_str(j, "state", "", &state, NULL, NULL);
	json_opt_str(j, "sandbox", "", &sandbox, NULL, NULL);
	json_opt_str(j, "container_id", "", &cid, NULL, NULL);
	json_opt_int(j, "started_ms", "", &started, NULL, NULL);
	if (state == NULL || task_state_parse(state, &t->state) != 0)
		t->state = TASK_STAGING;
	t->sandbox = xstrdup(sandbox ? sandbox : "/nonexistent");
	t->container_id = cid ? xstrdup(cid) : NULL;
	t->started_ms = started;
	if ((p = json_object_get(j, "checkpoint")) != NULL && !json_is_null(p))
		t->checkpoint = json_incref(p);
	if (json_is_array(p = json_object_get(j, "ip_addresses")))
		t->ips = json_incref(p);
	t->cstatus = agent_task_container_status(t);
	p = json_object_get(j, "pending");
	for (i = 0; json_is_array(p) && i < json_array_size(p); i++) {
		struct wire_status s = {0};

		if (wire_status_decode(json_array_get(p, i), &s, NULL) != 0)
			continue;
		XGROW(t->pending, t->npending + 1, t->cpending);
		t->pending[t->npending++] = s;
	}
	t->retry = loop_timer_new(a->loop, agent_retry_cb, t);
	TAILQ_INSERT_TAIL(&a->tasks, t, link);
	json_decref(j);
	return 0;
}

/* Re-adopt what the previous run of this agent started. */
void
agent_tasks_recover(struct agent *a)
{
	struct agent_task *t, *n;
	const char **known;
	size_t nk = 0, cnt = 0;

	if (store_iter(a->store, STORE_DB_AGENT, "task/", agent_load_task, a) !=
	    0)
		log_error("cannot read the task checkpoint");
	TAILQ_FOREACH(t, &a->tasks, link)
		cnt++;
	known = xcalloc(cnt + 1, sizeof *known);
	for (t = TAILQ_FIRST(&a->tasks); t != NULL; t = n) {
		n = TAILQ_NEXT(t, link);
		if (task_state_terminal(t->state)) {
			if (t->npending == 0)
				agent_task_retire(t);
			continue;
		}
		if (t->checkpoint == NULL) {
			/* It never ran; whatever it left is reaped below. */
			agent_task_update(
			    t, TASK_FAILED,
			    "the agent restarted while the task was starting",
			    "REASON_AGENT_RESTARTED");
			continue;
		}
		if (ctr_recover(a->ctr, &t->task, t->sandbox, t->checkpoint) !=
		    0) {
			agent_task_update(t, TASK_FAILED,
					  "cannot recover the container",
					  "REASON_CONTAINER_LAUNCH_FAILED");
			continue;
		}
		known[nk++] = t->task.task_id;
		log_info("re-adopting task %s", t->task.task_id);
		agent_health_begin(t);
	}
	ctr_reap_orphans(a->ctr, known, nk);
	free(known);
}

void
agent_tasks_release(struct agent *a)
{
	struct agent_task *t;

	while ((t = TAILQ_FIRST(&a->tasks)) != NULL) {
		TAILQ_REMOVE(&a->tasks, t, link);
		agent_task_free(t);
	}
}
