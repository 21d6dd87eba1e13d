/*
 * master_link.c: the master's side of its link with the agents: the
 * /internal/ endpoints agents call (register, status), the pings the
 * master sends them, and what the answers, or their absence, mean for an
 * agent's state (master_agents.c makes the transitions). Owns the ping
 * timer. Loop thread only.
 *
 * Design, for failovers that cost nothing (issue 9):
 *  - the first pings go out when the master starts, to every agent
 *    restored from the registry, asking it to re-register
 *    (wire_ping.reregister): a restarted master has its agents back
 *    within a round trip, not after the agents' own ping timeout;
 *  - a RECOVERED agent not back within agent_reregister_timeout becomes
 *    UNREACHABLE; an UNREACHABLE one keeps being asked every interval,
 *    so it is re-admitted as soon as the link is back;
 *  - a live agent that misses one ping is SILENT (no offers), and
 *    UNREACHABLE after max_agent_ping_timeouts misses in a row; the
 *    ping's timeout is within the interval, so each interval's ping has
 *    its own verdict;
 *  - an agent that ignores the request to re-register (an older build
 *    answers 200) is not pinged while it is not registered, so that its
 *    own ping timeout makes it register, as before.
 * Every ping and registration reply carries the master's epoch (this
 * run's id): an agent tells a restarted master from the one it
 * registered with by it, and registers again at once.
 *
 * Who may say what (issue 10): the agent secret, when set, is checked in
 * a header before any of this runs (httpd_set_guard(), cmd/main.c). A
 * registration reply hands the agent a token of that registration; a
 * status update must carry it (an older agent, which asks for none, must
 * send from its registered address instead), and may only be about a
 * task that runs on that agent. Refusals are logged once per interval.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/httpc.h"
#include "lib/httpd.h"
#include "lib/id.h"
#include "lib/ipaddr.h"
#include "lib/json.h"
#include "lib/loop.h"
#include "lib/ratelog.h"
#include "lib/task_state.h"
#include "lib/wire.h"
#include "lib/xalloc.h"
#include "master/master_int.h"
#include "master/master_tasks.h"
#include "master/master_outbox.h"

#define LOG_MOD "master"
#include "lib/log.h"

/* The done arg of a ping that asked the agent to re-register (others:
 * NULL). */
#define MASTER_PING_REREG ((void *)(uintptr_t)1)

/* At most one line per interval about refused agent messages. */
#define MASTER_REFUSE_LOG_MS 10000

/*
 * Refuse an agent message with code: logged (at most once per interval,
 * whoever sends them: a flood costs no disk) and answered.
 */
static void CD_PRINTF(4, 5)
    master_link_refuse(struct master *m, struct httpd_req *req, int code,
		       const char *fmt, ...)
{
	char why[CD_ERR_LEN];
	unsigned long n = 0;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (ratelog_allow(&m->refuse_log, loop_now_ms(m->loop), &n))
		log_warn("refused %s from %s: %s (%lu similar messages "
			 "suppressed)",
			 httpd_req_path(req), httpd_req_peer(req), why, n);
	httpd_reply_error(req, code, why, NULL);
}

static void
master_h_register(struct httpd_req *req, void *arg)
{
	struct master *m = arg;
	struct wire_register reg = {0};
	struct wire_registered ok = {0};
	struct master_agent *a = NULL;
	struct cd_err err = {0};
	const char *body;
	char *msg;
	size_t len = 0;
	json_t *j;
	int rc;

	body = httpd_req_body(req, &len);
	j = json_parse_bounded(body, len, &err);
	if (j == NULL || wire_register_decode(j, &reg, &err) != 0) {
		json_decref(j);
		httpd_reply_cd_err(req, 400, "invalid registration", &err);
		return;
	}
	json_decref(j);
	/* The agent secret, when set, was checked before the body was read
	 * (httpd_set_guard() in cmd/main.c). */
	rc = master_agents_register(m, &reg, &a, &err);
	if (rc == -EPERM) {
		msg = xasprintf(
		    "agent %s cannot re-register: %s. An agent id stands for "
		    "one hostname, attributes and resources (more resources "
		    "or new attributes are fine, as with Mesos' additive "
		    "policy). Start the agent with a fresh --work_dir to get "
		    "a new id (its old tasks are then orphans, killed by the "
		    "master), or with its previous --hostname, --attributes "
		    "and --resources",
		    reg.agent.id, err.msg);
		httpd_reply_cd_err(req, 409, msg, &err);
		free(msg);
		goto out;
	}
	if (rc != 0) {
		httpd_reply_error(req, 503, "cannot record the agent", NULL);
		goto out;
	}
	ok.agent_id = a->info.id;
	ok.master_id = m->id;
	ok.epoch = m->epoch;
	ok.token = a->token;
	ok.ping_interval_ms = m->conf.ping_timeout_ms;
	ok.ping_timeout_total_ms =
	    m->conf.ping_timeout_ms * m->conf.max_ping_timeouts;
	httpd_reply_json(req, 200, wire_registered_encode(&ok));
out:
	wire_register_release(&reg);
}

/*
 * Whether a status update comes from the agent it names: it carries the
 * token of that agent's registration, or, from an older agent that got
 * none, it comes from the agent's registered address.
 */
static bool
master_status_sender_ok(const struct master_agent *a,
			const struct wire_status_msg *msg,
			struct httpd_req *req)
{
	const char *peer = httpd_req_peer(req);

	if (a->token != NULL)
		return id_secret_equal(a->token, msg->token);
	/* An agent on the master's host may send from any of its addresses. */
	return ipaddr_same_host(peer, a->info.ip) ||
	       (ipaddr_local(a->info.ip) && ipaddr_local(peer));
}

/*
 * A status update. The agent secret, when set, was checked before the
 * body was read. Then: the agent it names must be registered with this
 * master (409 otherwise: the agent registers again and resends), the
 * update must come from that agent's registration (409 likewise), and
 * the task must be one that agent runs in the registry (403): no agent
 * reports on another's tasks, such as a TASK_FAILED that would make the
 * scheduler start a copy of a task that still runs.
 */
static void
master_h_status(struct httpd_req *req, void *arg)
{
	struct master *m = arg;
	struct wire_status_msg msg = {0};
	struct cd_err err = {0};
	struct master_agent *a;
	struct master_task *t;
	const char *body;
	size_t len = 0;
	json_t *j;

	body = httpd_req_body(req, &len);
	j = json_parse_bounded(body, len, &err);
	if (j == NULL || wire_status_msg_decode(j, &msg, &err) != 0) {
		json_decref(j);
		httpd_reply_cd_err(req, 400, "invalid status update", &err);
		return;
	}
	json_decref(j);
	a = master_agent_find(m, msg.status.agent_id);
	if (a == NULL || !master_agent_live(a)) {
		/* Tell the agent to register first; it will retry. */
		httpd_reply_error(req, 409, "agent is not registered", NULL);
		goto out;
	}
	if (!master_status_sender_ok(a, &msg, req)) {
		master_link_refuse(
		    m, req, 409,
		    "a status update naming agent %s without "
		    "its registration%s",
		    a->info.id,
		    a->token != NULL ? "'s token" : " (not from its address)");
		goto out;
	}
	t = master_task_find(m, msg.status.task_id);
	if (t != NULL && strcmp(t->task.agent_id, a->info.id) != 0) {
		master_link_refuse(m, req, 403,
				   "agent %s sent a status update of task %s, "
				   "which runs on agent %s",
				   a->info.id, msg.status.task_id,
				   t->task.agent_id);
		goto out;
	}
	/* It reaches us; whether we reach it, a ping tells. */
	if (a->state == MASTER_AGENT_SILENT)
		master_link_ping(m, a);
	log_debug("status %s of task %s from agent %s",
		  task_state_name(msg.status.state), msg.status.task_id,
		  a->info.id);
	if (master_task_forward(m, &msg.status) != 0) {
		httpd_reply_error(req, 503, "status not recorded yet", NULL);
		goto out;
	}
	httpd_reply_json(req, 200, json_object());
out:
	wire_status_msg_release(&msg);
}

static const struct httpd_route master_link_route_table[] = {
    {HTTPD_POST, "/internal/register", master_h_register},
    {HTTPD_POST, "/internal/status", master_h_status},
};

void
master_link_routes(struct master *m)
{
	m->refuse_log = (struct ratelog)RATELOG_INIT(MASTER_REFUSE_LOG_MS);
	httpd_add_routes(m->httpd, master_link_route_table,
			 CD_NELEM(master_link_route_table), m);
}

static void
master_ping_done(struct master *m, const char *agent_id,
		 const struct httpc_resp *r, void *arg)
{
	struct master_agent *a = master_agent_find(m, agent_id);
	char why[CD_ERR_LEN + 16];

	if (a == NULL || r == NULL)
		return; /* discarded unsent: the master is going */
	a->ping_in_flight = false;
	if (arg == MASTER_PING_REREG) {
		/* It was asked to register again: 409 says it does. */
		if (r->status == 200 && !master_agent_live(a) && !a->legacy) {
			log_warn("agent %s answers pings without registering "
				 "again (an older build?): pinging it no more "
				 "until it registers",
				 a->info.id);
			a->legacy = true;
		}
		return;
	}
	if (!master_agent_live(a))
		return;
	if (r->status == 200) {
		a->missed_pings = 0;
		master_agents_answered(m, a);
		return;
	}
	if (r->status == 0)
		snprintf(why, sizeof why, "ping: %s",
			 r->err != NULL ? r->err->msg : "no answer");
	else
		snprintf(why, sizeof why, "ping answered %d", r->status);
	if (++a->missed_pings >= m->conf.max_ping_timeouts) {
		snprintf(why, sizeof why, "%d pings missed in a row",
			 a->missed_pings);
		master_agents_mark_unreachable(m, a, why);
	} else {
		master_agents_silence(m, a, why);
	}
}

/* Ping a; a ping to an agent not registered asks it to register. */
static void
master_ping_send(struct master *m, struct master_agent *a)
{
	struct wire_ping p = {0};
	bool rereg = !master_agent_live(a);

	if (a->ping_in_flight)
		return; /* its answer is due */
	a->ping_in_flight = true;
	p.master_id = m->id;
	p.agent_id = a->info.id;
	p.secret = m->secret;
	p.epoch = m->epoch;
	p.reregister = rereg;
	p.pid = m->pid;
	master_outbox_post(m, a, "/internal/ping", wire_ping_encode(&p), NULL,
			   MASTER_OUTBOX_URGENT, master_ping_done,
			   rereg ? MASTER_PING_REREG : NULL);
}

void
master_link_ping(struct master *m, struct master_agent *a)
{
	if (master_agent_live(a))
		master_ping_send(m, a);
}

static void
master_ping_tick(void *arg)
{
	struct master *m = arg;
	struct master_agent *a;
	long long now = loop_wall_ms();
	char why[160];

	TAILQ_FOREACH(a, &m->agents, link) {
		switch (a->state) {
		case MASTER_AGENT_RECOVERED:
			if (now - m->start_ms >=
			    m->conf.reregister_timeout_ms) {
				snprintf(why, sizeof why,
					 "not re-registered within %llds of "
					 "the master's start",
					 m->conf.reregister_timeout_ms / 1000);
				master_agents_mark_unreachable(m, a, why);
			} else if (!a->legacy) {
				master_ping_send(m, a);
			}
			break;
		case MASTER_AGENT_UNREACHABLE:
			if (!a->legacy)
				master_ping_send(m, a);
			break;
		case MASTER_AGENT_ACTIVE:
		case MASTER_AGENT_SILENT:
			master_ping_send(m, a);
			break;
		}
	}
	loop_timer_add(m->ping_timer, (uint64_t)m->conf.ping_timeout_ms);
}

void
master_link_start(struct master *m)
{
	m->ping_timer = loop_timer_new(m->loop, master_ping_tick, m);
	loop_timer_add(m->ping_timer, 0);
}
