/*
 * master_tasks.c: the master's registry of tasks. Owns the tasks (list
 * and index), the records persisted under "task/<id>" (so that after a
 * restart the master knows which tasks an agent should report when it
 * re-registers) and their deletion once a task ended, and the status
 * updates recorded here and forwarded to the task's framework, whether an
 * agent sent them or the master decided them; KillTasks to agents; and
 * orphans, the tasks of frameworks not attached to the master (an agent
 * that worked for another master, or a framework that is gone), which
 * /master/state lists as "orphan_tasks" and the master kills once they
 * have been orphans for orphan_grace_ms (--orphan_task_grace): a
 * framework that attaches within the grace adopts them. Calls down into
 * master_offers.c (allocate again when a task ended),
 * master_frameworks.c and master_outbox.c. Loop thread only.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/httpc.h"
#include "lib/id.h"
#include "lib/idmap.h"
#include "lib/json.h"
#include "lib/loop.h"
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

struct master_task *
master_task_find(struct master *m, const char *task_id)
{
	return idmap_get(m->task_index, task_id);
}

static void
master_task_link_agent(struct master *m, struct master_task *t)
{
	const char *id = t->task.agent_id != NULL ? t->task.agent_id : "";
	struct master_agent_tasks *b = idmap_get(m->tasks_by_agent, id);

	if (b == NULL) {
		b = xcalloc(1, sizeof *b);
		b->agent_id = xstrdup(id);
		TAILQ_INIT(&b->tasks);
		AZ(idmap_put(m->tasks_by_agent, b->agent_id, b));
	}
	TAILQ_INSERT_TAIL(&b->tasks, t, agent_link);
	t->on = b;
}

static void
master_task_unlink_agent(struct master *m, struct master_task *t)
{
	struct master_agent_tasks *b = t->on;

	TAILQ_REMOVE(&b->tasks, t, agent_link);
	t->on = NULL;
	if (!TAILQ_EMPTY(&b->tasks))
		return;
	AN(idmap_del(m->tasks_by_agent, b->agent_id));
	free(b->agent_id);
	free(b);
}

int
master_task_add(struct master *m, struct master_task *t)
{
	int rc = idmap_put(m->task_index, t->task.task_id, t);

	if (rc == 0) {
		TAILQ_INSERT_TAIL(&m->tasks, t, link);
		master_task_link_agent(m, t);
		master_changed(m);
	}
	return rc;
}

void
master_task_free(struct master_task *t)
{
	wire_task_release(&t->task);
	wire_status_release(&t->status);
	free(t->framework_id);
	free(t->cstatus_json);
	free(t);
}

int
master_task_record(struct store_batch *b, const struct master_task *t)
{
	json_t *j = json_object();
	char *key = xasprintf("task/%s", t->task.task_id), *val;
	int rc;

	json_object_set_new(j, "framework_id", json_string(t->framework_id));
	json_object_set_new(j, "task", wire_task_encode(&t->task));
	json_object_set_new(j, "state",
			    json_string(task_state_name(t->status.state)));
	val = json_dump_str(j);
	rc = store_batch_put(b, STORE_DB_MASTER, key, val, strlen(val));
	free(val);
	free(key);
	json_decref(j);
	return rc;
}

int
master_task_persist(struct master *m, const struct master_task *t)
{
	struct store_batch *b = store_batch_begin(m->store);
	int rc = master_task_record(b, t);

	if (rc != 0) {
		store_batch_abort(b);
		return rc;
	}
	return store_batch_commit(b);
}

/*
 * Delete the records of the tasks forgotten since the last pass, in one
 * commit. A task known again by now (re-adopted at a re-registration)
 * keeps its new record.
 */
void
master_tasks_flush(struct master *m)
{
	struct store_batch *b;
	size_t i, n = m->nforgotten;
	int rc = 0;

	if (n == 0)
		return;
	b = store_batch_begin(m->store);
	for (i = 0; i < n; i++) {
		char *key = xasprintf("task/%s", m->forgotten[i]);

		if (rc == 0 && master_task_find(m, m->forgotten[i]) == NULL)
			rc = store_batch_del(b, STORE_DB_MASTER, key);
		free(key);
		free(m->forgotten[i]);
	}
	m->nforgotten = 0;
	if (rc == 0)
		rc = store_batch_commit(b);
	else
		store_batch_abort(b);
	if (rc != 0)
		log_error("cannot forget %zu task record(s) in the store: %d",
			  n, rc);
}

static void
master_tasks_flush_tick(void *arg)
{
	master_tasks_flush(arg);
}

/*
 * The record's deletion waits for the end of the loop pass, batched with
 * the others of the pass: a terminal status update no longer costs the
 * master an fsync of its own (the framework's commit is what acknowledges
 * it). Losing a deletion in a crash only leaves a record of a finished
 * task, which its agent's re-registration reports lost to a framework
 * that has forgotten it.
 */
void
master_task_forget(struct master *m, struct master_task *t)
{
	XGROW(m->forgotten, m->nforgotten + 1, m->capforgotten);
	m->forgotten[m->nforgotten++] = xstrdup(t->task.task_id);
	if (!loop_timer_pending(m->forget_timer))
		loop_timer_add(m->forget_timer, 0);
	AN(idmap_del(m->task_index, t->task.task_id));
	TAILQ_REMOVE(&m->tasks, t, link);
	master_task_unlink_agent(m, t);
	master_changed(m);
	master_dns_task_gone(m, t->task.task_id);
	master_task_free(t);
}

void
master_tasks_init(struct master *m)
{
	TAILQ_INIT(&m->tasks);
	m->task_index = idmap_new();
	m->tasks_by_agent = idmap_new();
	m->forget_timer = loop_timer_new(m->loop, master_tasks_flush_tick, m);
}

void
master_tasks_release(struct master *m)
{
	struct master_task *t;

	loop_timer_free(m->orphan_timer);
	m->orphan_timer = NULL;
	master_tasks_flush(m);
	free(m->forgotten);
	m->forgotten = NULL;
	loop_timer_free(m->forget_timer);
	m->forget_timer = NULL;
	while ((t = TAILQ_FIRST(&m->tasks)) != NULL) {
		TAILQ_REMOVE(&m->tasks, t, link);
		master_task_unlink_agent(m, t);
		master_task_free(t);
	}
	master_changed(m);
	idmap_free(m->task_index);
	m->task_index = NULL;
	idmap_free(m->tasks_by_agent);
	m->tasks_by_agent = NULL;
}

static int
master_load_task(const char *key, const void *val, size_t len, void *arg)
{
	struct master *m = arg;
	struct master_task *t;
	const char *fw = NULL, *state = NULL;
	json_t *j = json_parse_bounded(val, len, NULL);
	enum task_state s = TASK_STAGING;

	(void)key;
	if (j == NULL)
		return 0;
	t = xcalloc(1, sizeof *t);
	if (wire_task_decode(json_object_get(j, "task"), &t->task, NULL) != 0) {
		free(t);
		json_decref(j);
		return 0;
	}
	json_opt_str(j, "framework_id", "", &fw, NULL, NULL);
	json_opt_str(j, "state", "", &state, NULL, NULL);
	if (state != NULL)
		task_state_parse(state, &s);
	t->framework_id = xstrdup(fw ? fw : "");
	t->status.uuid = xstrdup("");
	t->status.task_id = xstrdup(t->task.task_id);
	t->status.framework_id = xstrdup(t->framework_id);
	t->status.agent_id = xstrdup(t->task.agent_id ? t->task.agent_id : "");
	t->status.state = s;
	if (master_task_add(m, t) != 0)
		master_task_free(t);
	json_decref(j);
	return 0;
}

int
master_tasks_load(struct master *m)
{
	return store_iter(m->store, STORE_DB_MASTER, "task/", master_load_task,
			  m);
}

void
master_task_set_status(struct master_task *t, const struct wire_status *st)
{
	struct wire_status s = *st;

	/* Without its copy of the task: t->task has it already. */
	s.task = NULL;
	wire_status_release(&t->status);
	wire_status_copy(&t->status, &s);
}

int
master_task_forward(struct master *m, const struct wire_status *st)
{
	struct master_task *t = master_task_find(m, st->task_id);
	struct master_framework *f;
	const char *fw = st->framework_id;

	if (t != NULL) {
		if (!task_state_allowed(t->status.state, st->state)) {
			/*
			 * Older news, e.g. a STARTING the agent sent again
			 * after its first try timed out, processed after the
			 * RUNNING that followed it: acknowledge it (the agent
			 * stops resending) but keep the newer state.
			 */
			log_info("task %s: ignoring %s after %s", st->task_id,
				 task_state_name(st->state),
				 task_state_name(t->status.state));
			return 0;
		}
		master_task_set_status(t, st);
		free(t->cstatus_json);
		t->cstatus_json = st->container_status != NULL
				      ? json_dump_str(st->container_status)
				      : NULL;
		master_changed(m);
		master_dns_task_changed(m, t);
		fw = t->framework_id;
		if (task_state_terminal(st->state)) {
			switch (st->state) {
			case TASK_FINISHED:
				m->tasks_finished++;
				break;
			case TASK_FAILED:
				m->tasks_failed++;
				break;
			case TASK_KILLED:
				m->tasks_killed++;
				break;
			default:
				m->tasks_lost++;
				break;
			}
			master_alloc_release(m->alloc, t->task.agent_id,
					     t->framework_id, &t->task.res);
		}
	}
	f = fw != NULL ? master_framework_find(m, fw) : NULL;
	if (f == NULL) {
		/* No framework to tell: nothing to keep it for. */
		if (t != NULL && task_state_terminal(st->state))
			master_task_forget(m, t);
		return 0;
	}
	if (f->ops->status(f->sched, st) != 0)
		return -EAGAIN;
	if (t != NULL && task_state_terminal(st->state)) {
		master_task_forget(m, t);
		master_offers_allocate_soon(m);
	}
	return 0;
}

int
master_task_report(struct master *m, struct master_task *t,
		   enum task_state state, const char *reason,
		   const char *message)
{
	struct wire_status st = {0};
	char uuid[ID_UUID_LEN];

	id_uuid(uuid);
	st.uuid = uuid;
	st.task_id = t->task.task_id;
	st.framework_id = t->framework_id;
	st.agent_id = t->task.agent_id;
	st.state = state;
	/* Borrowed for the call: only encoded or copied by the receivers. */
	st.reason = (char *)(uintptr_t)reason;
	st.message = (char *)(uintptr_t)message;
	st.source = (char *)"SOURCE_MASTER";
	st.timestamp_ms = loop_wall_ms();
	return master_task_forward(m, &st);
}

struct master_task *
master_task_new(const struct wire_task *wt, const char *fw_id,
		const struct master_agent *a)
{
	struct master_task *t = xcalloc(1, sizeof *t);
	char uuid[ID_UUID_LEN];

	/* The scheduler keeps wt's JSON too (its tracker): share it. */
	wire_task_share(&t->task, wt);
	free(t->task.agent_id);
	t->task.agent_id = xstrdup(a->info.id);
	t->framework_id = xstrdup(fw_id);
	id_uuid(uuid);
	t->status.uuid = xstrdup(uuid);
	t->status.task_id = xstrdup(t->task.task_id);
	t->status.framework_id = xstrdup(fw_id);
	t->status.agent_id = xstrdup(a->info.id);
	t->status.state = TASK_STAGING;
	t->status.timestamp_ms = loop_wall_ms();
	return t;
}

/* An agent that does not know a task cannot report its end: we do. */
static void
master_kill_done(struct master *m, const char *agent_id,
		 const struct httpc_resp *r, void *arg)
{
	char *task_id = arg;
	struct master_task *t;

	if (r == NULL || r->status != 404)
		goto out;
	t = master_task_find(m, task_id);
	if (t != NULL && strcmp(t->task.agent_id, agent_id) == 0) {
		log_warn("kill of %s: agent %s does not know it; reporting it "
			 "lost",
			 task_id, agent_id);
		master_task_report(m, t, TASK_LOST, "REASON_RECONCILIATION",
				   "the agent does not know this task");
	}
out:
	free(task_id);
}

void
master_task_kill(struct master *m, struct master_agent *a, const char *task_id,
		 int grace_ms)
{
	struct wire_kill_task k = {0};

	k.master_id = m->id;
	k.task_id = xstrdup(task_id);
	k.grace_ms = grace_ms;
	master_outbox_post(m, a, "/internal/kill_task",
			   wire_kill_task_encode(&k), task_id, 0,
			   master_kill_done, k.task_id);
}

bool
master_task_attached(struct master *m, const struct master_task *t)
{
	return master_framework_find(m, t->framework_id) != NULL;
}

/* How often orphans are looked for: a quarter of the grace, at most 1 s. */
static uint64_t
master_orphan_tick_ms(const struct master *m)
{
	long long ms = m->conf.orphan_grace_ms / 4;

	if (ms > 1000)
		ms = 1000;
	return ms < 10 ? 10 : (uint64_t)ms;
}

/*
 * One look at every task: a task whose framework is attached is not an
 * orphan (any more); one whose framework is not becomes an orphan, and
 * is killed once it has been one for the grace, if its agent is live (the
 * kill is sent again after another grace, should it get lost).
 */
static void
master_orphans_tick(void *arg)
{
	struct master *m = arg;
	struct master_task *t;
	long long now = loop_wall_ms();

	TAILQ_FOREACH(t, &m->tasks, link) {
		struct master_agent *a;

		if (task_state_terminal(t->status.state))
			continue;
		if (master_task_attached(m, t)) {
			t->orphan_ms = t->orphan_kill_ms = 0;
			continue;
		}
		if (t->orphan_ms == 0) {
			t->orphan_ms = now;
			continue;
		}
		a = master_agent_find(m, t->task.agent_id);
		if (now - t->orphan_ms < m->conf.orphan_grace_ms ||
		    (t->orphan_kill_ms != 0 &&
		     now - t->orphan_kill_ms < m->conf.orphan_grace_ms) ||
		    a == NULL || !master_agent_live(a))
			continue;
		log_warn("killing orphan task %s on agent %s: its framework "
			 "'%s' is not attached to this master",
			 t->task.task_id, a->info.id, t->framework_id);
		t->orphan_kill_ms = now;
		master_task_kill(m, a, t->task.task_id, 0);
	}
	loop_timer_add(m->orphan_timer, master_orphan_tick_ms(m));
}

void
master_tasks_orphans_start(struct master *m)
{
	m->orphan_timer = loop_timer_new(m->loop, master_orphans_tick, m);
	loop_timer_add(m->orphan_timer, master_orphan_tick_ms(m));
}
