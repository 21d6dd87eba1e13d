/*
 * master_agents.c: the master's agent table. Owns the agents (list, index
 * and "agent/<id>" records in the master db), their registration and
 * re-registration (recorded in the store before the reply), and their
 * liveness states (enum master_agent_state in master_int.h): what each
 * transition does to offers, the allocator and the agent's tasks. What
 * drives the transitions (pings, registrations and status updates over
 * HTTP) is master_link.c, above this file. Calls down into
 * master_tasks.c, master_offers.c and master_outbox.c. Loop thread only.
 *
 * Agent ids are "<master-id>-S<n>"; an agent re-registering with an id the
 * master does not know (the master's registry was lost, or it is another
 * master after failover) is accepted with that id, as Mesos does.
 *
 * Identity: an agent's id stands for one hostname, a set of attributes and
 * resources. As with Mesos' "additive" reconfiguration policy, a known
 * agent may come back with more resources or new attributes, but not with
 * another hostname, a changed or removed attribute, or fewer resources
 * (disk excepted: it is detected from free space): tasks placed by
 * constraints on the old identity would silently break them. Such a
 * re-registration is refused; the agent must be started with a fresh --work_dir
 * (a new id), or with its previous settings.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/httpd.h"
#include "lib/id.h"
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
#include "master/master_tasks.h"
#include "master/master_outbox.h"

#define LOG_MOD "master"
#include "lib/log.h"

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

/*
 * "https://ip:port" when the master's port serves TLS (so do the agents':
 * TLS is on for every port of a cluster or for none), else http://: the
 * base of the messages to the agent, and what the logs show.
 */
static char *
master_agent_url(const struct master *m, const struct wire_agent_info *info)
{
	return xasprintf("%s://%s:%d", httpd_scheme(m->httpd), info->ip,
			 info->port);
}

static struct master_agent *
master_agent_add(struct master *m, struct wire_agent_info *info_take)
{
	struct master_agent *a;

	CD_ALLOC_OBJ(a, MASTER_AGENT_MAGIC);
	a->m = m;
	a->state = MASTER_AGENT_RECOVERED;
	a->info = *info_take;
	memset(info_take, 0, sizeof *info_take);
	a->base_url = master_agent_url(m, &a->info);
	TAILQ_INIT(&a->outq);
	TAILQ_INIT(&a->outfly);
	/* Callers looked the id up first: it is not there. */
	AZ(idmap_put(m->agent_index, a->info.id, a));
	TAILQ_INSERT_TAIL(&m->agents, a, link);
	master_changed(m);
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
	a->base_url = master_agent_url(a->m, &a->info);
	master_changed(a->m);
}

/* The value of attribute key in attrs (an object of strings), or NULL. */
static const char *
master_attr(const json_t *attrs, const char *key)
{
	return attrs != NULL ? json_string_value(json_object_get(attrs, key))
			     : NULL;
}

/*
 * Whether an agent known as was may re-register as now (see the top
 * comment). 0, or -EPERM with err saying what changed.
 */
static int
master_agent_compatible(const struct wire_agent_info *was,
			const struct wire_agent_info *now, struct cd_err *err)
{
	struct buf b1 = BUF_INIT, b2 = BUF_INIT;
	struct resources need;
	const char *key;
	json_t *v;
	int rc = 0;

	if (strcmp(was->hostname, now->hostname) != 0)
		return cd_err_set(err, -EPERM,
				  "its hostname changed from '%s' to '%s'",
				  was->hostname, now->hostname);
	if (was->attributes != NULL) {
		json_object_foreach((json_t *)(uintptr_t)was->attributes, key,
				    v) {
			const char *old = json_string_value(v);
			const char *cur = master_attr(now->attributes, key);

			if (cur == NULL)
				return cd_err_set(
				    err, -EPERM,
				    "its attribute '%s' (was '%s') is gone",
				    key, old ? old : "");
			if (old != NULL && strcmp(old, cur) != 0)
				return cd_err_set(err, -EPERM,
						  "its attribute '%s' changed "
						  "from '%s' to '%s'",
						  key, old, cur);
		}
	}
	/* Disk aside: detected from free space (SPEC section 1), it shrinks
	 * as tasks write, also across an upgrade from an agent that did not
	 * keep its first value (agent_probe.h). */
	res_copy(&need, &was->total);
	need.disk = now->total.disk;
	if (!res_contains(&now->total, &need)) {
		res_format(&was->total, &b1);
		res_format(&now->total, &b2);
		rc = cd_err_set(err, -EPERM,
				"its resources shrank from %s to %s",
				buf_str(&b1), buf_str(&b2));
	}
	buf_release(&b1);
	buf_release(&b2);
	res_free(&need);
	return rc;
}

/*
 * Two live agents with one hostname: UNIQUE and hostname constraints
 * would take them for one host. Allowed, but said (and listed in
 * /master/state "duplicate_hostnames", master_api.c).
 */
static void
master_agents_warn_duplicates(struct master *m, const struct master_agent *a)
{
	struct master_agent *o;

	TAILQ_FOREACH(o, &m->agents, link) {
		if (o == a || !master_agent_live(o) ||
		    strcmp(o->info.hostname, a->info.hostname) != 0)
			continue;
		log_warn("agents %s (%s) and %s (%s) both have hostname '%s': "
			 "constraints on hostname will take them for one "
			 "host; give each agent its own --hostname",
			 a->info.id, a->base_url, o->info.id, o->base_url,
			 a->info.hostname);
	}
}

/*
 * Adopt a task the agent reports that the master does not know: its
 * framework decides about it (Marathon kills what it does not know), or,
 * when that framework is not attached, it is an orphan, killed after the
 * grace period (master_tasks.c).
 */
static void
master_agent_adopt_unknown(struct master *m, const struct wire_status *st)
{
	struct master_task *t = xcalloc(1, sizeof *t);

	if (wire_task_decode(st->task, &t->task, NULL) != 0) {
		free(t);
		return;
	}
	t->framework_id = xstrdup(st->framework_id ? st->framework_id : "");
	free(t->task.agent_id);
	t->task.agent_id = xstrdup(st->agent_id);
	master_task_set_status(t, st);
	AZ(master_task_add(m, t));
	if (master_task_persist(m, t) != 0)
		log_error("cannot persist task %s", st->task_id);
	if (!master_task_attached(m, t))
		log_warn("agent %s runs task %s of framework '%s', which is "
			 "not attached to this master: an orphan",
			 st->agent_id, st->task_id, t->framework_id);
	else
		log_info("agent %s runs task %s, unknown to the master: "
			 "adopted for its framework %s to reconcile",
			 st->agent_id, st->task_id, t->framework_id);
}

/*
 * The tasks an agent reports at re-registration become the truth: their
 * statuses are forwarded, the ones the master did not know are adopted,
 * and the ones the master placed there that the agent no longer has are
 * lost (unless their RunTask has not reached it yet). Called while the
 * agent is out of the allocator, so that what ended releases nothing from
 * the account master_agent_account_tasks() then rebuilds.
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
		if (t != NULL && strcmp(t->task.agent_id, a->info.id) != 0) {
			/* Not its task: it has no say about it. */
			log_warn("agent %s (%s) reports task %s, which runs on "
				 "agent %s: ignored",
				 a->info.id, a->base_url, st->task_id,
				 t->task.agent_id);
			continue;
		}
		if (t == NULL && st->task != NULL &&
		    !task_state_terminal(st->state))
			master_agent_adopt_unknown(m, st);
		master_task_forward(m, st);
	}
	for (t = master_tasks_on_agent(m, a->info.id); t != NULL; t = n) {
		bool known = false;

		n = TAILQ_NEXT(t, agent_link);
		if (master_outbox_pending(a, "/internal/run_task",
					  t->task.task_id))
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

/*
 * The agent's account in the allocator: what its running tasks hold,
 * including the ones whose RunTask is still on its way.
 */
static void
master_agent_account_tasks(struct master *m, struct master_agent *a)
{
	struct master_task *t;

	for (t = master_tasks_on_agent(m, a->info.id); t != NULL;
	     t = TAILQ_NEXT(t, agent_link))
		if (!task_state_terminal(t->status.state))
			master_alloc_allocate(m->alloc, a->info.id,
					      t->framework_id, &t->task.res);
}

static const char *
master_agent_state_name(enum master_agent_state s)
{
	switch (s) {
	case MASTER_AGENT_RECOVERED:
		return "recovered";
	case MASTER_AGENT_ACTIVE:
		return "active";
	case MASTER_AGENT_SILENT:
		return "silent";
	case MASTER_AGENT_UNREACHABLE:
		return "unreachable";
	}
	return "?";
}

/*
 * A new token for a's registration (the old one is void): its status
 * updates must carry it. An older agent, which does not ask for one, is
 * held to its registered address instead.
 */
static void
master_agent_new_token(struct master_agent *a, bool wanted)
{
	char token[ID_UUID_LEN];

	free(a->token);
	a->token = NULL;
	if (wanted) {
		id_uuid(token);
		a->token = xstrdup(token);
		return;
	}
	log_warn("agent %s (%s) asks for no status token (an older build?): "
		 "its status updates are taken only from %s",
		 a->info.id, a->base_url, a->info.ip);
}

int
master_agents_register(struct master *m, struct wire_register *reg,
		       struct master_agent **out, struct cd_err *err)
{
	struct master_agent *a = NULL;
	enum master_agent_state was = MASTER_AGENT_RECOVERED;
	bool known = false;
	int rc;

	if (reg->agent.id != NULL && reg->agent.id[0] != '\0')
		a = master_agent_find(m, reg->agent.id);
	if (a != NULL) {
		rc = master_agent_compatible(&a->info, &reg->agent, err);
		if (rc != 0) {
			log_warn("refused the re-registration of agent %s from "
				 "%s:%d: %s",
				 a->info.id, reg->agent.ip, reg->agent.port,
				 err != NULL ? err->msg : "");
			return rc;
		}
		known = true;
		was = a->state;
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
		return cd_err_set(err, -EIO, "cannot record the agent");
	master_agent_new_token(a, reg->status_token);
	a->state = MASTER_AGENT_ACTIVE;
	a->missed_pings = 0;
	a->legacy = false;
	a->unreachable_ms = 0;
	a->registered_ms = loop_wall_ms();
	master_changed(m);
	log_info("agent %s (%s at %s) %sregistered with %zu tasks%s%s",
		 a->info.id, a->info.hostname, a->base_url,
		 reg->reregister ? "re" : "", reg->ntasks,
		 known ? "; it was " : "",
		 known ? master_agent_state_name(was) : "");
	master_agents_warn_duplicates(m, a);
	master_agent_adopt_tasks(m, a, reg);
	master_alloc_agent_add(m->alloc, a->info.id, &a->info.total);
	master_alloc_agent_set_active(m->alloc, a->info.id, true);
	master_agent_account_tasks(m, a);
	master_dns_agent_changed(m, a);
	master_offers_allocate_soon(m);
	*out = a;
	return 0;
}

void
master_agents_answered(struct master *m, struct master_agent *a)
{
	if (master_agent_live(a))
		a->missed_pings = 0;
	if (a->state != MASTER_AGENT_SILENT)
		return;
	log_info("agent %s (%s) answers again: offering it", a->info.id,
		 a->info.hostname);
	a->state = MASTER_AGENT_ACTIVE;
	master_changed(m);
	master_alloc_agent_set_active(m->alloc, a->info.id, true);
	master_offers_allocate_soon(m);
}

void
master_agents_silence(struct master *m, struct master_agent *a, const char *why)
{
	if (a->state != MASTER_AGENT_ACTIVE)
		return;
	log_warn("agent %s (%s) is silent: %s; no offers until it answers",
		 a->info.id, a->info.hostname, why);
	a->state = MASTER_AGENT_SILENT;
	master_changed(m);
	master_alloc_agent_set_active(m->alloc, a->info.id, false);
	master_offers_rescind_agent(m, a->info.id);
}

void
master_agents_mark_unreachable(struct master *m, struct master_agent *a,
			       const char *why)
{
	struct master_framework *f;
	struct master_task *t, *n;

	if (a->state == MASTER_AGENT_UNREACHABLE)
		return;
	log_warn("agent %s (%s) is unreachable: %s", a->info.id,
		 a->info.hostname, why);
	a->state = MASTER_AGENT_UNREACHABLE;
	master_changed(m);
	master_dns_agent_changed(m, a);
	a->unreachable_ms = loop_wall_ms();
	a->missed_pings = 0;
	master_alloc_agent_set_active(m->alloc, a->info.id, false);
	master_offers_rescind_agent(m, a->info.id);
	/* As Mesos 1.x: TASK_UNREACHABLE, REASON_SLAVE_REMOVED. */
	for (t = master_tasks_on_agent(m, a->info.id); t != NULL; t = n) {
		n = TAILQ_NEXT(t, agent_link);
		if (t->status.state == TASK_UNREACHABLE)
			continue;
		master_task_report(m, t, TASK_UNREACHABLE,
				   "REASON_SLAVE_REMOVED",
				   "the agent is unreachable");
	}
	/* Its tasks are unreachable now: what is queued for it is moot. */
	master_outbox_flush(m, a, "the agent is unreachable");
	master_alloc_agent_remove(m->alloc, a->info.id);
	/* As Mesos' slaveLost, after the updates (lib/framework.h). */
	TAILQ_FOREACH(f, &m->frameworks, link)
		if (f->ops->agent_lost != NULL)
			f->ops->agent_lost(f->sched, a->info.id);
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
		free(a->token);
		CD_FREE_OBJ(a);
	}
	master_changed(m);
	idmap_free(m->agent_index);
	m->agent_index = NULL;
}
