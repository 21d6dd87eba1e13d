/*
 * master_outbox.c: messages from the master to agents over HTTP.
 *
 * Design: one FIFO per agent with at most MASTER_OUTBOX_IN_FLIGHT
 * messages in flight:
 *  - a burst of launches (10,000 tasks on 1,000 agents) waits here, where
 *    waiting costs a list entry, instead of as 10,000 connections at once;
 *  - a message's timeout runs from when it is sent, not from when it was
 *    queued, so a burst makes the master slower, not wrong: under the old
 *    one-request-per-message scheme, RunTasks queued behind the burst timed
 *    out while the agents were still working through it, and were then
 *    reported dropped although the agents ran them;
 *  - messages about one task keep their order, as on Mesos' one connection
 *    per agent: a KillTask does not leave while the RunTask of its task is
 *    in flight (it would overtake it, the agent would answer 404 and the
 *    task would be reported lost, then run). The queue's head waits for
 *    that; such a kill is rare and the wait is one round trip.
 * Several in flight, not one: a round trip to a busy agent can take
 * seconds, and an agent's tenth task should not wait for nine of them
 * (with one, a burst on a loaded machine took 2.5 times as long and hit
 * the scheduler's launch timeout).
 * Pings go around the queue: they ask whether the agent answers at all,
 * and must not be declared missed because launches are queued ahead.
 *
 * Every message is owned here from post to done, on its agent's queue
 * (a->outq) or in-flight list (a->outfly), so that teardown can cancel
 * them all. Agents are never freed before the master, and master_free()
 * ends every message first, so a message holds its agent. This file calls
 * nothing else of the master's: what a message's end means is its done
 * callback's business. Loop thread only.
 */
#include "master/master_outbox.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/httpc.h"
#include "lib/json.h"
#include "lib/xalloc.h"
#include "master/master_int.h"

#define LOG_MOD "master"
#include "lib/log.h"

#define MASTER_MSG_MAGIC 0x3a5e9057u

struct master_msg {
	unsigned magic;
	struct master *m;	/* borrowed: owner, outlives its messages */
	struct master_agent *a; /* borrowed: the addressee, outlives it too */
	char *path;		/* owned: "/internal/..." */
	char *body;		/* owned: the JSON text */
	char *task_id;		/* owned: the task it is about, or NULL */
	unsigned flags;		/* enum master_outbox_flags */
	struct httpc_req *req;	/* borrowed: while in flight */
	master_outbox_done_fn *done;
	void *arg; /* borrowed: the caller's, passed to done */
	TAILQ_ENTRY(master_msg) link; /* a->outq or a->outfly */
};

static void master_outbox_pump(struct master *m, struct master_agent *a);

static void
master_msg_free(struct master_msg *g)
{
	free(g->path);
	free(g->body);
	free(g->task_id);
	CD_FREE_OBJ(g);
}

static void
master_msg_done(const struct httpc_resp *r, void *arg)
{
	struct master_msg *g = arg;
	struct master *m;
	struct master_agent *a;

	CD_CHECK_OBJ(g, MASTER_MSG_MAGIC);
	m = g->m;
	a = g->a;
	g->req = NULL;
	TAILQ_REMOVE(&a->outfly, g, link);
	if (!(g->flags & MASTER_OUTBOX_URGENT))
		a->out_busy--;
	if (r->status == 0 || r->status >= 300)
		log_debug("agent %s answered %d to %s%s%s", a->info.id,
			  r->status, g->path, r->err ? ": " : "",
			  r->err ? r->err->msg : "");
	if (g->done != NULL)
		g->done(m, g->a->info.id, r, g->arg);
	/* The callback may have queued more, or flushed this agent. */
	master_outbox_pump(m, a);
	master_msg_free(g);
}

static void
master_msg_send(struct master *m, struct master_agent *a, struct master_msg *g)
{
	struct httpc_opts o = {0};
	char *url = xasprintf("%s%s", a->base_url, g->path);

	o.method = "POST";
	o.url = url;
	o.body = g->body;
	o.body_len = strlen(g->body);
	o.timeout_ms = m->conf.ping_timeout_ms;
	if (g->flags & MASTER_OUTBOX_URGENT)
		o.timeout_ms = m->conf.ping_timeout_ms > 1
				   ? m->conf.ping_timeout_ms * 3 / 4
				   : 1;
	TAILQ_INSERT_TAIL(&a->outfly, g, link);
	if (!(g->flags & MASTER_OUTBOX_URGENT))
		a->out_busy++;
	g->req = httpc_request(m->hc, &o, master_msg_done, g);
	free(url);
}

/* Whether a message about task_id is in flight to a. */
static bool
master_outbox_task_busy(const struct master_agent *a, const char *task_id)
{
	const struct master_msg *g;

	TAILQ_FOREACH(g, &a->outfly, link)
		if (g->task_id != NULL && strcmp(g->task_id, task_id) == 0)
			return true;
	return false;
}

static void
master_outbox_pump(struct master *m, struct master_agent *a)
{
	struct master_msg *g;

	while (a->out_busy < MASTER_OUTBOX_IN_FLIGHT &&
	       (g = TAILQ_FIRST(&a->outq)) != NULL) {
		if (g->task_id != NULL &&
		    master_outbox_task_busy(a, g->task_id))
			break; /* its task's previous message first */
		TAILQ_REMOVE(&a->outq, g, link);
		master_msg_send(m, a, g);
	}
}

void
master_outbox_post(struct master *m, struct master_agent *a, const char *path,
		   json_t *body, const char *task_id, unsigned flags,
		   master_outbox_done_fn *done, void *arg)
{
	struct master_msg *g;

	CD_ALLOC_OBJ(g, MASTER_MSG_MAGIC);
	g->m = m;
	g->a = a;
	g->path = xstrdup(path);
	g->body = json_dump_str(body);
	g->task_id = task_id != NULL ? xstrdup(task_id) : NULL;
	g->flags = flags;
	g->done = done;
	g->arg = arg;
	json_decref(body);
	if (flags & MASTER_OUTBOX_URGENT) {
		master_msg_send(m, a, g);
		return;
	}
	TAILQ_INSERT_TAIL(&a->outq, g, link);
	master_outbox_pump(m, a);
}

static struct master_msg *
master_outbox_find_queued(const struct master_agent *a, const char *path,
			  const char *task_id)
{
	struct master_msg *g;

	TAILQ_FOREACH(g, &a->outq, link)
		if (g->task_id != NULL && strcmp(g->task_id, task_id) == 0 &&
		    strcmp(g->path, path) == 0)
			return g;
	return NULL;
}

bool
master_outbox_queued(const struct master_agent *a, const char *path,
		     const char *task_id)
{
	return master_outbox_find_queued(a, path, task_id) != NULL;
}

bool
master_outbox_pending(const struct master_agent *a, const char *path,
		      const char *task_id)
{
	const struct master_msg *g;

	if (master_outbox_find_queued(a, path, task_id) != NULL)
		return true;
	TAILQ_FOREACH(g, &a->outfly, link)
		if (g->task_id != NULL && strcmp(g->task_id, task_id) == 0 &&
		    strcmp(g->path, path) == 0)
			return true;
	return false;
}

int
master_outbox_cancel(struct master *m, struct master_agent *a, const char *path,
		     const char *task_id)
{
	struct master_msg *g = master_outbox_find_queued(a, path, task_id);

	if (g == NULL)
		return -ENOENT;
	TAILQ_REMOVE(&a->outq, g, link);
	if (g->done != NULL)
		g->done(m, g->a->info.id, NULL, g->arg);
	master_msg_free(g);
	/* It may have been the head that waited for its task. */
	master_outbox_pump(m, a);
	return 0;
}

void
master_outbox_flush(struct master *m, struct master_agent *a, const char *why)
{
	struct master_msg *g;
	struct httpc_resp r;
	struct cd_err err = {0};

	memset(&r, 0, sizeof r);
	r.body = "";
	r.err = &err;
	cd_err_set(&err, -ECONNABORTED, "not sent: %s", why);
	while ((g = TAILQ_FIRST(&a->outq)) != NULL) {
		TAILQ_REMOVE(&a->outq, g, link);
		if (g->done != NULL)
			g->done(m, g->a->info.id, &r, g->arg);
		master_msg_free(g);
	}
}

void
master_outbox_release(struct master *m)
{
	struct master_agent *a;
	struct master_msg *g;

	TAILQ_FOREACH(a, &m->agents, link) {
		while ((g = TAILQ_FIRST(&a->outfly)) != NULL) {
			TAILQ_REMOVE(&a->outfly, g, link);
			httpc_cancel(g->req);
			if (g->done != NULL)
				g->done(m, g->a->info.id, NULL, g->arg);
			master_msg_free(g);
		}
		while ((g = TAILQ_FIRST(&a->outq)) != NULL) {
			TAILQ_REMOVE(&a->outq, g, link);
			if (g->done != NULL)
				g->done(m, g->a->info.id, NULL, g->arg);
			master_msg_free(g);
		}
		a->out_busy = 0;
	}
}
