/*
 * master.c: the master role object: its lifecycle (the submodules set up
 * in order and torn down in reverse) and the in-process framework
 * interface (launch, decline, kill, reconcile, revive). The top of the
 * master's files (master_int.h has the map): registration, status updates
 * and pings live in master_link.c; the agent table and its states in
 * master_agents.c; the task registry, status forwarding, kills and
 * orphans in master_tasks.c; allocation cycles and offers in
 * master_offers.c; the frameworks in master_frameworks.c; messages to
 * agents in master_outbox.c; the read-only endpoints in master_api.c.
 *
 * Owns the ids of tasks taken back from the outbox by a kill until they
 * are reported killed (m->killed). Task records are persisted on launch
 * (one commit per launch) and forgotten on a terminal state. Loop thread
 * only.
 */
#include "master/master.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/httpc.h"
#include "lib/httpd.h"
#include "lib/id.h"
#include "lib/loop.h"
#include "lib/metrics.h"
#include "lib/store.h"
#include "lib/task_state.h"
#include "lib/xalloc.h"
#include "master/master_alloc.h"
#include "master/master_dns_feed.h"
#include "master/master_int.h"
#include "master/master_tasks.h"
#include "master/master_outbox.h"

#define LOG_MOD "master"
#include "lib/log.h"

/* Framework interface, master side. */

/*
 * A RunTask that failed. Only an answer, or a failure before the request
 * left, says that the agent does not have the task (TASK_DROPPED, and the
 * scheduler places it again). A timeout after sending says nothing: the
 * agent may be running it, and dropping it then made the scheduler launch
 * a copy and kill the original when its status came ("unknown task"). The
 * task stays staging until the agent reports it, or until the scheduler's
 * launch timeout kills it (an agent without it answers 404 and the task
 * is reported lost). Either way the agent gets no more offers until it
 * answers again (issue 11: a relaunch storm into an agent that drops
 * every launch), and a ping asks it at once.
 */
static void
master_run_done(struct master *m, const char *agent_id,
		const struct httpc_resp *r, void *arg)
{
	char *task_id = arg;
	struct master_agent *a = master_agent_find(m, agent_id);
	struct master_task *t;

	if (r == NULL)
		goto out;
	if (r->status >= 200 && r->status < 300) {
		if (a != NULL)
			master_agents_answered(m, a);
		goto out;
	}
	if (a != NULL && a->state == MASTER_AGENT_ACTIVE) {
		master_agents_silence(m, a, "a launch did not reach it");
		master_link_ping(m, a);
	}
	t = master_task_find(m, task_id);
	if (t == NULL || t->status.state != TASK_STAGING)
		goto out;
	if (r->status == 0 && r->sent) {
		log_warn("task %s: agent %s did not answer RunTask (%s); "
			 "staging until the agent reports it",
			 task_id, agent_id, r->err ? r->err->msg : "");
		goto out;
	}
	log_warn("task %s dropped: agent %s answered %d%s%s", task_id, agent_id,
		 r->status, r->err ? ": " : "", r->err ? r->err->msg : "");
	master_task_report(m, t, TASK_DROPPED, NULL,
			   "the agent did not accept the task");
out:
	free(task_id);
}

static int
master_fw_launch(void *mp, const char *fw_id, const char *offer_id,
		 const struct wire_task *tasks, size_t n, struct cd_err *err)
{
	struct master *m = mp;
	struct master_offer *o = master_offers_find(m, offer_id);
	struct master_agent *a;
	struct master_task **tv = NULL;
	struct store_batch *b = NULL;
	struct resources need, left;
	size_t i;
	int rc = 0;

	if (o == NULL || strcmp(o->framework_id, fw_id) != 0)
		return cd_err_set(err, -ENOENT, "unknown offer %s", offer_id);
	a = master_agent_find(m, o->agent_id);
	res_zero(&need);
	for (i = 0; i < n; i++)
		res_add(&need, &tasks[i].res);
	res_copy(&left, &o->res);
	if (a == NULL || a->state != MASTER_AGENT_ACTIVE) {
		rc = cd_err_set(err, -ENOENT, "agent %s is gone", o->agent_id);
		goto release;
	}
	if (res_sub(&left, &need) != 0) {
		rc = cd_err_set(err, -ERANGE, "tasks do not fit offer %s",
				offer_id); /* left unchanged */
		goto release;
	}
	/*
	 * Every record of the launch in one commit (one fsync per offer,
	 * not per task: STYLE B11), before any RunTask leaves.
	 */
	tv = xcalloc(n + 1, sizeof *tv);
	b = store_batch_begin(m->store);
	for (i = 0; rc == 0 && i < n; i++) {
		if (master_task_find(m, tasks[i].task_id) != NULL) {
			rc = cd_err_set(err, -EEXIST, "task %s already exists",
					tasks[i].task_id);
			break;
		}
		tv[i] = master_task_new(&tasks[i], fw_id, a);
		rc = master_task_record(b, tv[i]);
		if (rc != 0)
			cd_err_set(err, rc, "cannot persist task %s",
				   tasks[i].task_id);
	}
	if (rc == 0) {
		rc = store_batch_commit(b);
		if (rc != 0)
			cd_err_set(err, rc, "cannot persist the tasks");
	} else {
		store_batch_abort(b);
	}
	if (rc != 0) {
		for (i = 0; i < n; i++)
			if (tv[i] != NULL)
				master_task_free(tv[i]);
		res_free(&left);
		res_copy(&left, &o->res);
		goto release;
	}
	for (i = 0; i < n; i++) {
		struct master_task *t = tv[i];
		struct wire_run_task rt = {0};

		if (master_task_add(m, t) != 0) {
			/* A duplicate id within this one launch. */
			log_error("task %s launched twice; ignoring the copy",
				  t->task.task_id);
			master_alloc_release(m->alloc, o->agent_id, fw_id,
					     &t->task.res);
			master_task_free(t);
			continue;
		}
		rt.master_id = m->id;
		rt.task = t->task;
		master_outbox_post(m, a, "/internal/run_task",
				   wire_run_task_encode(&rt), t->task.task_id,
				   0, master_run_done,
				   xstrdup(t->task.task_id));
		log_info("launching task %s on agent %s", t->task.task_id,
			 a->info.id);
		metrics_count(m->conf.metrics, METRICS_TASKS_LAUNCHED, 1);
	}
	metrics_count(m->conf.metrics, METRICS_OFFERS_USED, 1);
release:
	free(tv);
	if (!res_is_empty(&left))
		master_alloc_release(m->alloc, o->agent_id, fw_id, &left);
	res_free(&left);
	res_free(&need);
	master_offers_drop(m, o);
	return rc;
}

static void
master_fw_decline(void *mp, const char *fw_id, const char *offer_id,
		  double refuse_seconds)
{
	master_offers_decline(mp, fw_id, offer_id, refuse_seconds);
}

/* Report the tasks taken back from the outbox (loop timer, not nested
 * inside the scheduler's kill call). */
static void
master_killed_tick(void *arg)
{
	struct master *m = arg;
	char **ids = m->killed;
	size_t i, n = m->nkilled;

	m->killed = NULL;
	m->nkilled = m->capkilled = 0;
	for (i = 0; i < n; i++) {
		struct master_task *t = master_task_find(m, ids[i]);

		if (t != NULL && !task_state_terminal(t->status.state))
			master_task_report(
			    m, t, TASK_KILLED,
			    "REASON_TASK_KILLED_DURING_LAUNCH",
			    "killed before it was sent to the agent");
		free(ids[i]);
	}
	free(ids);
}

/*
 * A task whose RunTask has not left yet is taken back here and reported
 * killed, as Mesos does for a pending task: the agent never starts what
 * is already wanted dead. That matters when the scheduler gives up on
 * launches queued behind a burst: each of them used to cost the agent a
 * launch, a kill and four status updates. A kill already queued for a
 * task is not queued again (the scheduler repeats its kill with every
 * status of a task it no longer wants). A task the master does not know
 * (forgotten, or never recorded) is killed through the agent the
 * framework names (issue 11: such kills used to reach no agent). A kill
 * goes out whatever the agent's state: an unreachable one may be back.
 */
static int
master_fw_kill(void *mp, const char *fw_id, const char *task_id,
	       const char *agent_id, int grace_ms)
{
	struct master *m = mp;
	struct master_task *t = master_task_find(m, task_id);
	struct master_agent *a = NULL;

	(void)fw_id;
	if (t != NULL)
		a = master_agent_find(m, t->task.agent_id);
	if (a == NULL && agent_id != NULL)
		a = master_agent_find(m, agent_id);
	if (a == NULL)
		return -ENOENT;
	if (t == NULL)
		log_info("kill of task %s, unknown to the master: through "
			 "agent %s",
			 task_id, a->info.id);
	master_dns_task_killed(m, task_id);
	if (master_outbox_cancel(m, a, "/internal/run_task", task_id) == 0) {
		XGROW(m->killed, m->nkilled + 1, m->capkilled);
		m->killed[m->nkilled++] = xstrdup(task_id);
		if (!loop_timer_pending(m->kill_timer))
			loop_timer_add(m->kill_timer, 0);
		return 0;
	}
	if (master_outbox_queued(a, "/internal/kill_task", task_id))
		return 0;
	master_task_kill(m, a, task_id, grace_ms);
	return 0;
}

static void
master_fw_reconcile(void *mp, const char *fw_id)
{
	struct master *m = mp;
	struct master_framework *f = master_framework_find(m, fw_id);
	struct master_task *t, *n;

	if (f == NULL)
		return;
	for (t = TAILQ_FIRST(&m->tasks); t != NULL; t = n) {
		n = TAILQ_NEXT(t, link);
		if (strcmp(t->framework_id, fw_id) == 0)
			f->ops->status(f->sched, &t->status);
	}
}

static void
master_fw_revive(void *mp, const char *fw_id)
{
	struct master *m = mp;

	master_alloc_clear_filters(m->alloc, fw_id);
	master_offers_allocate_soon(m);
}

static const char *
master_fw_agent_ip(void *mp, const char *agent_id)
{
	struct master_agent *a = master_agent_find(mp, agent_id);

	return a != NULL ? a->info.ip : NULL;
}

static const struct framework_master_ops master_fw_ops = {
    .launch = master_fw_launch,
    .decline = master_fw_decline,
    .kill = master_fw_kill,
    .reconcile = master_fw_reconcile,
    .revive = master_fw_revive,
    .agent_ip = master_fw_agent_ip,
};

const struct framework_master_ops *
master_framework_ops(void)
{
	return &master_fw_ops;
}

/*
 * Tell the frameworks added since the last pass that they are registered,
 * from the loop (not inside master_framework_add()), on a timer of the
 * master's own, so that a master freed first calls nothing.
 */
static void
master_announce_tick(void *arg)
{
	struct master *m = arg;
	struct master_framework *f;

	TAILQ_FOREACH(f, &m->frameworks, link) {
		if (f->announced)
			continue;
		f->announced = true;
		f->ops->registered(f->sched, f->id, m->id);
	}
}

int
master_framework_add(struct master *m, const char *name, const char *fw_id,
		     const struct framework_sched_ops *ops, void *sched)
{
	struct master_framework *f =
	    master_frameworks_add(m, name, fw_id, ops, sched);

	/* The framework may own tasks on agents we know: account for them. */
	loop_timer_add(m->announce_timer, 0);
	log_info("framework %s (%s) registered", f->id, name);
	master_offers_allocate_soon(m);
	return 0;
}

static int
master_load_id(struct master *m)
{
	struct buf b = BUF_INIT;
	char uuid[ID_UUID_LEN];
	int rc = 0;

	if (store_get(m->store, STORE_DB_MASTER, "master_id", &b) == 0) {
		m->id = buf_detach(&b, NULL);
	} else {
		id_uuid(uuid);
		m->id = xstrdup(uuid);
		rc = store_put(m->store, STORE_DB_MASTER, "master_id", uuid,
			       strlen(uuid));
	}
	buf_reset(&b);
	if (store_get(m->store, STORE_DB_MASTER, "next_agent_seq", &b) == 0)
		m->next_agent_seq = (unsigned)strtoul(buf_str(&b), NULL, 10);
	buf_release(&b);
	return rc;
}

int
master_new(struct loop *l, struct store *st, struct httpc *hc,
	   struct httpd *httpd, const struct master_conf *conf,
	   struct master **out, struct cd_err *err)
{
	struct master *m = xcalloc(1, sizeof *m);
	char epoch[ID_UUID_LEN];

	m->loop = l;
	m->store = st;
	m->hc = hc;
	m->httpd = httpd;
	m->conf = *conf;
	m->conf.hostname = m->s_hostname = xstrdup(conf->hostname);
	m->conf.advertise_ip = m->s_ip = xstrdup(conf->advertise_ip);
	m->secret = conf->agent_secret ? xstrdup(conf->agent_secret) : NULL;
	m->conf.agent_secret = m->secret;
	m->conf.version = m->s_version =
	    xstrdup(conf->version ? conf->version : "");
	m->flags =
	    conf->flags != NULL ? json_deep_copy(conf->flags) : json_object();
	m->conf.flags = m->flags;
	if (m->conf.allocation_interval_ms <= 0)
		m->conf.allocation_interval_ms = 1000;
	if (m->conf.ping_timeout_ms <= 0)
		m->conf.ping_timeout_ms = 15000;
	if (m->conf.max_ping_timeouts <= 0)
		m->conf.max_ping_timeouts = 5;
	if (m->conf.reregister_timeout_ms <= 0)
		m->conf.reregister_timeout_ms = MASTER_REREGISTER_TIMEOUT_MS;
	if (m->conf.orphan_grace_ms <= 0)
		m->conf.orphan_grace_ms = MASTER_ORPHAN_GRACE_MS;
	id_uuid(epoch);
	m->epoch = xstrdup(epoch);
	m->pid = xasprintf("master@%s:%d", m->conf.advertise_ip, m->conf.port);
	m->announce_timer = loop_timer_new(l, master_announce_tick, m);
	m->start_ms = loop_wall_ms();
	TAILQ_INIT(&m->frameworks);
	m->alloc = master_alloc_new();
	master_offers_init(m);
	master_tasks_init(m);
	master_agents_init(m);
	if (master_load_id(m) != 0) {
		master_free(m);
		return cd_err_set(err, -EIO, "cannot write the master id");
	}
	if (master_agents_load(m) != 0 || master_tasks_load(m) != 0) {
		master_free(m);
		return cd_err_set(err, -EIO, "cannot load the registry");
	}
	master_link_routes(m);
	master_api_init(m);
	m->kill_timer = loop_timer_new(l, master_killed_tick, m);
	master_offers_start(m);
	master_tasks_orphans_start(m);
	master_link_start(m);
	metrics_add_collector(m->conf.metrics, master_api_metrics, m);
	log_info("master %s started (epoch %s)", m->id, m->epoch);
	*out = m;
	return 0;
}

void
master_free(struct master *m)
{
	size_t i;

	if (m == NULL)
		return;
	metrics_remove_collector(m->conf.metrics, master_api_metrics, m);
	/* A master freed while the process goes on (it lost leadership). */
	httpd_remove_routes(m->httpd, m);
	master_api_release(m);
	loop_timer_free(m->ping_timer);
	loop_timer_free(m->kill_timer);
	loop_timer_free(m->announce_timer);
	for (i = 0; i < m->nkilled; i++)
		free(m->killed[i]);
	free(m->killed);
	master_outbox_release(m);
	master_offers_release(m);
	master_tasks_release(m);
	master_agents_release(m);
	master_frameworks_release(m);
	master_alloc_free(m->alloc);
	free(m->s_hostname);
	free(m->s_ip);
	free(m->secret);
	free(m->s_version);
	json_decref(m->flags);
	free(m->id);
	free(m->epoch);
	free(m->pid);
	free(m);
}

const char *
master_id(const struct master *m)
{
	return m->id;
}
