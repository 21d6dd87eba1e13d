/*
 * master_agents.c: the agent side of the master. Owns the agents (list,
 * index and "agent/<id>" records): registration and re-registration
 * (recorded in the store before the reply), status updates (acknowledged
 * by the 200 reply once the framework has recorded them), pings and the
 * declaration of lost agents. Calls down into master_tasks.c,
 * master_offers.c and master_outbox.c. Loop thread only.
 *
 * Agent ids are "<master-id>-S<n>"; an agent re-registering with an id the
 * master does not know (the master's registry was lost, or it is another
 * master after failover) is accepted with that id, as Mesos does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/httpc.h"
#include "lib/httpd.h"
#include "lib/idmap.h"
#include "lib/json.h"
#include "lib/loop.h"
#include "lib/store.h"
#include "lib/task_state.h"
#include "lib/wire.h"
#include "lib/xalloc.h"
#include "master/master_alloc.h"
#include "master/master_dns_feed.h"
#include "master/master_int.h"
#include "master/master_outbox.h"

#define LOG_MOD "master"
#include "lib/log.h"

static bool
master_secret_ok(const struct master *m, const char *given)
{
	if (m->conf.agent_secret == NULL)
		return true;
	return given != NULL && strcmp(given, m->conf.agent_secret) == 0;
}

/* Check a message's secret; on failure log it and answer 401. */
static bool
master_secret_check(const struct master *m, struct httpd_req *req,
		    const char *secret, const char *what)
{
	if (master_secret_ok(m, secret))
		return true;
	log_warn("refused %s from %s: bad agent secret", what,
		 httpd_req_peer(req));
	httpd_reply_error(req, 401, "invalid agent secret", NULL);
	return false;
}

static int
master_agent_persist(struct master *m, const struct master_agent *a)
{
	json_t *j = wire_agent_info_encode(&a->info);
	char *key = xasprintf("agent/%s", a->info.id), *val;
	char seq[32];
	struct store_batch *b;
	int rc, n;

	val = json_dump_str(j);
	n = snprintf(seq, sizeof seq, "%u", m->next_agent_seq);
	CD_ASSERT(n > 0 && (size_t)n < sizeof seq);
	b = store_batch_begin(m->store);
	rc = store_batch_put(b, STORE_DB_MASTER, key, val, strlen(val));
	if (rc == 0)
		rc = store_batch_put(b, STORE_DB_MASTER, "next_agent_seq", seq,
				     strlen(seq));
	if (rc == 0)
		rc = store_batch_commit(b);
	else
		store_batch_abort(b);
	free(val);
	free(key);
	json_decref(j);
	return rc;
}

static struct master_agent *
master_agent_add(struct master *m, struct wire_agent_info *info_take)
{
	struct master_agent *a;

	CD_ALLOC_OBJ(a, MASTER_AGENT_MAGIC);
	a->m = m;
	a->info = *info_take;
	memset(info_take, 0, sizeof *info_take);
	a->base_url = xasprintf("http://%s:%d", a->info.ip, a->info.port);
	TAILQ_INIT(&a->outq);
	TAILQ_INIT(&a->outfly);
	/* Callers looked the id up first: it is not there. */
	AZ(idmap_put(m->agent_index, a->info.id, a));
	TAILQ_INSERT_TAIL(&m->agents, a, link);
	return a;
}

static void
master_agent_update(struct master_agent *a, struct wire_agent_info *info_take)
{
	char *id = a->info.id;

	a->info.id = NULL;
	wire_agent_info_release(&a->info);
	a->info = *info_take;
	memset(info_take, 0, sizeof *info_take);
	free(a->info.id);
	a->info.id = id;
	free(a->base_url);
	a->base_url = xasprintf("http://%s:%d", a->info.ip, a->info.port);
}

/*
 * The tasks an agent reports at re-registration become the truth: their
 * statuses are forwarded, the ones the master did not know are adopted,
 * and the ones the master placed there that the agent no longer has are
 * lost. Called while the agent is out of the allocator, so that what
 * ended releases nothing from the account master_agent_account_tasks()
 * then rebuilds.
 */
static void
master_agent_adopt_tasks(struct master *m, struct master_agent *a,
			 const struct wire_register *reg)
{
	struct master_task *t, *n;
	size_t i;

	for (i = 0; i < reg->ntasks; i++) {
		const struct wire_status *st = &reg->tasks[i];

		t = master_task_find(m, st->task_id);
		if (t == NULL && st->task != NULL &&
		    !task_state_terminal(st->state)) {
			t = xcalloc(1, sizeof *t);
			if (wire_task_decode(st->task, &t->task, NULL) != 0) {
				free(t);
				continue;
			}
			t->framework_id =
			    xstrdup(st->framework_id ? st->framework_id : "");
			wire_status_copy(&t->status, st);
			AZ(master_task_add(m, t));
			if (master_task_persist(m, t) != 0)
				log_error("cannot persist task %s",
					  st->task_id);
		}
		master_task_forward(m, st);
	}
	/* Tasks we placed there that the agent no longer knows are lost. */
	for (t = TAILQ_FIRST(&m->tasks); t != NULL; t = n) {
		bool known = false;

		n = TAILQ_NEXT(t, link);
		if (strcmp(t->task.agent_id, a->info.id) != 0)
			continue;
		for (i = 0; i < reg->ntasks && !known; i++)
			known =
			    strcmp(reg->tasks[i].task_id, t->task.task_id) == 0;
		if (!known)
			master_task_report(
			    m, t, TASK_LOST, "REASON_RECONCILIATION",
			    "the agent re-registered without this task");
	}
}

/* The agent's account in the allocator: what its running tasks hold. */
static void
master_agent_account_tasks(struct master *m, struct master_agent *a,
			   const struct wire_register *reg)
{
	struct master_task *t;
	size_t i;

	for (i = 0; i < reg->ntasks; i++) {
		const struct wire_status *st = &reg->tasks[i];

		t = master_task_find(m, st->task_id);
		if (t != NULL && !task_state_terminal(st->state))
			master_alloc_allocate(m->alloc, a->info.id,
					      t->framework_id, &t->task.res);
	}
}

int
master_agents_register(struct master *m, struct wire_register *reg,
		       struct master_agent **out)
{
	struct master_agent *a = NULL;

	if (reg->agent.id != NULL && reg->agent.id[0] != '\0')
		a = master_agent_find(m, reg->agent.id);
	if (a != NULL) {
		master_alloc_agent_remove(m->alloc, a->info.id);
		master_offers_rescind_agent(m, a->info.id);
		master_agent_update(a, &reg->agent);
	} else {
		/* A new id; skip any an agent brought along after the
		 * registry was lost. */
		while (reg->agent.id == NULL || reg->agent.id[0] == '\0' ||
		       master_agent_find(m, reg->agent.id) != NULL) {
			free(reg->agent.id);
			reg->agent.id =
			    xasprintf("%s-S%u", m->id, m->next_agent_seq++);
		}
		a = master_agent_add(m, &reg->agent);
	}
	if (master_agent_persist(m, a) != 0)
		return -EIO;
	a->active = true;
	a->lost = false;
	a->missed_pings = 0;
	a->registered_ms = loop_wall_ms();
	log_info("agent %s (%s at %s) %sregistered with %zu tasks", a->info.id,
		 a->info.hostname, a->base_url, reg->reregister ? "re" : "",
		 reg->ntasks);
	master_agent_adopt_tasks(m, a, reg);
	master_alloc_agent_add(m->alloc, a->info.id, &a->info.total);
	master_alloc_agent_set_active(m->alloc, a->info.id, true);
	master_agent_account_tasks(m, a, reg);
	master_dns_agent_changed(m, a);
	master_offers_allocate_soon(m);
	*out = a;
	return 0;
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
	size_t len = 0;
	json_t *j;

	body = httpd_req_body(req, &len);
	j = json_parse_bounded(body, len, &err);
	if (j == NULL || wire_register_decode(j, &reg, &err) != 0) {
		json_decref(j);
		httpd_reply_cd_err(req, 400, "invalid registration", &err);
		return;
	}
	json_decref(j);
	if (!master_secret_check(m, req, reg.secret, "a registration")) {
		wire_register_release(&reg);
		return;
	}
	if (master_agents_register(m, &reg, &a) != 0) {
		wire_register_release(&reg);
		httpd_reply_error(req, 503, "cannot record the agent", NULL);
		return;
	}
	wire_register_release(&reg);
	ok.agent_id = a->info.id;
	ok.master_id = m->id;
	ok.ping_interval_ms = m->conf.ping_timeout_ms;
	httpd_reply_json(req, 200, wire_registered_encode(&ok));
}

static void
master_h_status(struct httpd_req *req, void *arg)
{
	struct master *m = arg;
	struct wire_status_msg msg = {0};
	struct cd_err err = {0};
	struct master_agent *a;
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
	if (!master_secret_check(m, req, msg.secret, "a status update")) {
		wire_status_msg_release(&msg);
		return;
	}
	a = master_agent_find(m, msg.status.agent_id);
	if (a == NULL || !a->active) {
		/* Tell the agent to register first; it will retry. */
		wire_status_msg_release(&msg);
		httpd_reply_error(req, 409, "agent is not registered", NULL);
		return;
	}
	log_debug("status %s of task %s from agent %s",
		  task_state_name(msg.status.state), msg.status.task_id,
		  a->info.id);
	if (master_task_forward(m, &msg.status) != 0) {
		wire_status_msg_release(&msg);
		httpd_reply_error(req, 503, "status not recorded yet", NULL);
		return;
	}
	wire_status_msg_release(&msg);
	httpd_reply_json(req, 200, json_object());
}

static const struct httpd_route master_agent_routes[] = {
    {HTTPD_POST, "/internal/register", master_h_register},
    {HTTPD_POST, "/internal/status", master_h_status},
};

void
master_agents_routes(struct master *m)
{
	httpd_add_routes(m->httpd, master_agent_routes,
			 CD_NELEM(master_agent_routes), m);
}

void
master_agents_mark_lost(struct master *m, struct master_agent *a,
			const char *why)
{
	struct master_task *t, *n;

	if (a->lost)
		return;
	log_warn("agent %s (%s) is lost: %s", a->info.id, a->info.hostname,
		 why);
	a->active = false;
	a->lost = true;
	master_dns_agent_changed(m, a);
	master_alloc_agent_set_active(m->alloc, a->info.id, false);
	master_offers_rescind_agent(m, a->info.id);
	for (t = TAILQ_FIRST(&m->tasks); t != NULL; t = n) {
		n = TAILQ_NEXT(t, link);
		if (strcmp(t->task.agent_id, a->info.id) != 0 ||
		    t->status.state == TASK_UNREACHABLE)
			continue;
		master_task_report(m, t, TASK_UNREACHABLE,
				   "REASON_SLAVE_REMOVED",
				   "the agent is unreachable");
	}
	/* Its tasks are unreachable now: what is queued for it is moot. */
	master_outbox_flush(m, a, "the agent is lost");
	master_alloc_agent_remove(m->alloc, a->info.id);
}

static void
master_ping_done(struct master *m, const char *agent_id,
		 const struct httpc_resp *r, void *arg)
{
	struct master_agent *a = master_agent_find(m, agent_id);
	int status;

	(void)arg;
	if (a == NULL || r == NULL)
		return;
	status = r->status;
	a->ping_in_flight = false;
	if (status == 200) {
		a->missed_pings = 0;
		return;
	}
	if (status == 409 || status == 404) {
		/* The agent does not know us as its master: it re-registers. */
		return;
	}
	if (++a->missed_pings >= m->conf.max_ping_timeouts)
		master_agents_mark_lost(m, a, "missed pings");
}

void
master_agents_ping_all(struct master *m)
{
	struct master_agent *a;
	long long now = loop_wall_ms();

	TAILQ_FOREACH(a, &m->agents, link) {
		struct wire_ping p = {0};

		if (a->lost)
			continue;
		if (!a->active) {
			/* Known from the registry but not back yet. */
			if (now - m->start_ms >
			    m->conf.ping_timeout_ms * m->conf.max_ping_timeouts)
				master_agents_mark_lost(
				    m, a, "did not re-register after failover");
			continue;
		}
		if (a->ping_in_flight) {
			if (++a->missed_pings >= m->conf.max_ping_timeouts)
				master_agents_mark_lost(m, a, "ping timeouts");
			continue;
		}
		a->ping_in_flight = true;
		p.master_id = m->id;
		p.agent_id = a->info.id;
		p.secret = m->secret;
		master_outbox_post(m, a, "/internal/ping", wire_ping_encode(&p),
				   NULL, MASTER_OUTBOX_URGENT, master_ping_done,
				   NULL);
	}
}

static int
master_load_agent(const char *key, const void *val, size_t len, void *arg)
{
	struct master *m = arg;
	struct wire_agent_info info = {0};
	json_t *j = json_parse_bounded(val, len, NULL);

	(void)key;
	if (j != NULL && wire_agent_info_decode(j, &info, NULL) == 0) {
		if (info.id != NULL && master_agent_find(m, info.id) == NULL)
			master_agent_add(m, &info);
		else
			wire_agent_info_release(&info);
	}
	json_decref(j);
	return 0;
}

int
master_agents_load(struct master *m)
{
	return store_iter(m->store, STORE_DB_MASTER, "agent/",
			  master_load_agent, m);
}

void
master_agents_init(struct master *m)
{
	TAILQ_INIT(&m->agents);
	m->agent_index = idmap_new();
}

void
master_agents_release(struct master *m)
{
	struct master_agent *a;

	while ((a = TAILQ_FIRST(&m->agents)) != NULL) {
		TAILQ_REMOVE(&m->agents, a, link);
		AN(idmap_del(m->agent_index, a->info.id));
		wire_agent_info_release(&a->info);
		free(a->base_url);
		CD_FREE_OBJ(a);
	}
	idmap_free(m->agent_index);
	m->agent_index = NULL;
}
