/*
 * agent_master.c: finding and keeping the master, and every request to
 * it. Registers (or re-registers with the tasks it runs), retrying with a
 * random backoff in [0, 1s * 2^n] capped at one minute (SPEC section 3).
 * Registers again:
 *  - at once when the master asks (agent_master_register_now(): a ping
 *    from another run of the master, see wire_ping), so that a restarted
 *    master has its agents back within a round trip;
 *  - with the backoff when a request finds no master at all (refused),
 *    rather than only after the ping timeout;
 *  - when no ping came for the master's total ping timeout (given in the
 *    registration reply; the agent's own flags before that).
 * A master that refuses our identity (409: the hostname, attributes or
 * resources changed under our id) is logged as an error with the remedy,
 * and retried with the backoff. Owns the registration request and timers.
 * Calls nothing else of the agent's: a registration is reported through
 * a->on_registered (agent.c). Loop thread only.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "lib/httpc.h"
#include "lib/id.h"
#include "lib/json.h"
#include "lib/loop.h"
#include "lib/store.h"
#include "lib/xalloc.h"

#define LOG_MOD "agent"
#include "lib/log.h"

#define AGENT_REG_MAX_MS 60000
/* A registration in flight for longer is sent again when asked to. */
#define AGENT_REG_FRESH_MS 2000
/* How often the master's silence is checked. */
#define AGENT_WATCH_MS 1000

struct httpc_req *
agent_master_post(struct agent *a, const char *path, json_t *body,
		  httpc_done_fn *done, void *arg)
{
	struct httpc_opts o = {0};
	char *url = xasprintf("%s%s", a->master_url, path);
	char *data = json_dump_str(body);
	struct httpc_req *r;

	o.method = "POST";
	o.url = url;
	o.body = data;
	o.body_len = strlen(data);
	o.timeout_ms = 15000;
	r = httpc_request(a->hc, &o, done, arg);
	free(url);
	free(data);
	json_decref(body);
	return r;
}

static void agent_register_send(struct agent *a);

static void
agent_reg_timer_cb(void *arg)
{
	agent_register_send(arg);
}

static void
agent_register_retry(struct agent *a)
{
	long long cap = 1000LL << (a->reg_attempts < 6 ? a->reg_attempts : 6);
	uint32_t r;

	if (cap > AGENT_REG_MAX_MS)
		cap = AGENT_REG_MAX_MS;
	r = (uint32_t)random();
	a->reg_attempts++;
	loop_timer_add(a->reg_timer, (uint64_t)(r % (uint64_t)(cap + 1)));
}

static void
agent_registered(struct agent *a, const char *body, size_t len)
{
	struct wire_registered ok = {0};
	struct cd_err err = {0};
	json_t *j = json_parse_bounded(body, len, &err);
	bool first = a->id == NULL;

	if (j == NULL || wire_registered_decode(j, &ok, &err) != 0) {
		json_decref(j);
		log_warn("bad registration reply: %s", err.msg);
		agent_register_retry(a);
		return;
	}
	json_decref(j);
	if (a->id == NULL || strcmp(a->id, ok.agent_id) != 0) {
		free(a->id);
		a->id = xstrdup(ok.agent_id);
		if (store_put(a->store, STORE_DB_AGENT, "agent_id", a->id,
			      strlen(a->id)) != 0)
			log_error("cannot checkpoint the agent id");
	}
	free(a->master_id);
	a->master_id = xstrdup(ok.master_id);
	free(a->master_epoch);
	a->master_epoch = ok.epoch != NULL ? xstrdup(ok.epoch) : NULL;
	a->master_total_ms = ok.ping_timeout_total_ms;
	wire_registered_release(&ok);
	a->registered = true;
	a->reg_attempts = 0;
	a->last_ping_ms = loop_wall_ms();
	log_info("registered with master %s as agent %s", a->master_id, a->id);
	a->on_registered(a, first);
}

/* The master's 409 to a registration: our identity changed. */
static void
agent_register_refused(struct agent *a, const struct httpc_resp *r)
{
	json_t *j = json_parse_bounded(r->body, r->len, NULL);
	const char *msg = json_string_value(json_object_get(j, "message"));

	if (a->reg_attempts == 0 || a->reg_attempts % 10 == 0)
		log_error("the master refused this agent: %s (this agent's "
			  "--work_dir is %s)",
			  msg != NULL ? msg : "409", a->s_work_dir);
	json_decref(j);
}

static void
agent_register_done(const struct httpc_resp *r, void *arg)
{
	struct agent *a = arg;

	a->reg_req = NULL;
	if (r->status == 200) {
		agent_registered(a, r->body, r->len);
		return;
	}
	if (r->status == 401)
		log_error("the master refused our agent secret");
	else if (r->status == 409)
		agent_register_refused(a, r);
	else if (a->reg_attempts == 0 || a->reg_attempts % 10 == 0)
		log_warn("registration with %s failed (%d%s%s); retrying",
			 a->master_url, r->status, r->err ? ": " : "",
			 r->err ? r->err->msg : "");
	agent_register_retry(a);
}

static void
agent_register_send(struct agent *a)
{
	struct wire_register reg = {0};
	struct agent_task *t;
	size_t n = 0, i = 0;
	json_t *j;

	if (a->reg_req != NULL)
		return;
	reg.secret = a->s_secret;
	reg.agent.id = a->id;
	reg.agent.hostname = a->s_hostname;
	reg.agent.ip = a->s_ip;
	reg.agent.port = a->conf.port;
	reg.agent.total = a->total;
	reg.agent.attributes = a->attributes;
	reg.reregister = a->id != NULL;
	TAILQ_FOREACH(t, &a->tasks, link)
		n++;
	reg.tasks = xcalloc(n + 1, sizeof *reg.tasks);
	TAILQ_FOREACH(t, &a->tasks, link) {
		struct wire_status *s = &reg.tasks[i++];
		char uuid[ID_UUID_LEN];

		/* Borrowed fields: only encoded, never released. */
		id_uuid(uuid);
		s->uuid = xstrdup(uuid);
		s->task_id = t->task.task_id;
		s->framework_id = t->task.framework_id;
		s->agent_id = a->id;
		s->state = t->state;
		s->source = (char *)"SOURCE_AGENT";
		s->reason = (char *)"REASON_RECONCILIATION";
		s->timestamp_ms = loop_wall_ms();
		s->container_id = t->container_id;
		s->task = wire_task_encode(&t->task);
	}
	reg.ntasks = n;
	j = wire_register_encode(&reg);
	for (i = 0; i < n; i++) {
		free(reg.tasks[i].uuid);
		json_decref(reg.tasks[i].task);
	}
	free(reg.tasks);
	a->reg_sent_ms = loop_wall_ms();
	a->reg_req = agent_master_post(a, "/internal/register", j,
				       agent_register_done, a);
}

void
agent_master_register(struct agent *a, bool now)
{
	if (a->reg_timer == NULL)
		a->reg_timer = loop_timer_new(a->loop, agent_reg_timer_cb, a);
	if (a->reg_req != NULL || loop_timer_pending(a->reg_timer))
		return;
	if (now)
		loop_timer_add(a->reg_timer, 0);
	else
		agent_register_retry(a);
}

void
agent_master_register_now(struct agent *a, const char *why)
{
	if (a->reg_timer == NULL)
		a->reg_timer = loop_timer_new(a->loop, agent_reg_timer_cb, a);
	if (a->reg_req != NULL) {
		if (loop_wall_ms() - a->reg_sent_ms < AGENT_REG_FRESH_MS)
			return; /* its answer is due */
		httpc_cancel(a->reg_req);
		a->reg_req = NULL;
	}
	log_info("registering with the master at once: %s", why);
	loop_timer_del(a->reg_timer);
	agent_register_send(a);
}

void
agent_master_gone(struct agent *a, const char *why)
{
	if (!a->registered)
		return;
	log_warn("no master at %s (%s): registering again", a->master_url, why);
	a->registered = false;
	agent_master_register(a, false);
}

static void
agent_watch_cb(void *arg)
{
	struct agent *a = arg;
	long long silent = loop_wall_ms() - a->last_ping_ms;
	long long limit =
	    a->master_total_ms > 0
		? a->master_total_ms
		: a->conf.ping_timeout_ms * a->conf.max_ping_timeouts;

	if (a->registered && silent > limit) {
		log_warn("no ping from the master for %llds; registering again",
			 silent / 1000);
		a->registered = false;
		agent_master_register(a, true);
	}
	loop_timer_add(a->watch_timer, AGENT_WATCH_MS);
}

void
agent_master_watch_start(struct agent *a)
{
	a->watch_timer = loop_timer_new(a->loop, agent_watch_cb, a);
	loop_timer_add(a->watch_timer, AGENT_WATCH_MS);
}
