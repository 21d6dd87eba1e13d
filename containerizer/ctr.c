/*
 * ctr.c: the containerizer registry. Owns the ordered list of
 * containerizers and the map task id -> containerizer that launched or
 * recovered it, so kill goes to the right one.
 *
 * Design: ctr_add() splices the registry into each containerizer's event
 * sink (struct ctr_base in ctr_int.h): the registry sees every event first,
 * forgets the owner on a terminal one, then passes the event on unchanged
 * to the sink given to the constructor. The map is a plain list: an agent
 * runs tens to hundreds of tasks, and lookups happen once per kill or
 * exec (health checks), which goes to the same owner.
 *
 * Before a launch, the registry gives the sandbox to the task's user
 * (ctr_user.c) and, when the task has fetch items, runs the fetcher
 * (ctr_fetch.c) first: the owner entry then holds the fetch and a copy
 * of the task, and the containerizer's launch follows the fetch. What
 * the registry itself reports (a failed fetch, a kill during one) goes to
 * the containerizer's sink as that containerizer's events would, from
 * the loop (the owner's timer or the fetch's callback), never from inside
 * a ctr_* call.
 *
 * Usage queries (ctr_usage()) are the registry's own objects, on its list
 * until answered: a driver that reads the figures at once has them
 * delivered from a zero-delay timer, one that asks a daemon answers
 * through the query's callback, so the caller sees one behaviour. Loop
 * thread only.
 */
#include "containerizer/ctr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#define LOG_MOD "ctr"
#include "containerizer/ctr_fetch.h"
#include "containerizer/ctr_int.h"
#include "containerizer/ctr_user.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/xalloc.h"

#define CTR_ENTRY_MAGIC 0xc7e0e471u

struct ctr_entry {
	unsigned magic;
	const struct ctr_ops *ops;   /* borrowed: static table */
	void *impl;		     /* owned: freed with ops->free */
	ctr_event_fn *ev;	     /* the constructor's sink */
	void *ev_arg;		     /* borrowed: the constructor's sink arg */
	struct ctr *c;		     /* borrowed: the registry */
	TAILQ_ENTRY(ctr_entry) link; /* on c->entries, in the order added */
};

#define CTR_OWNER_MAGIC 0xc7e0e472u

struct ctr_owner {
	unsigned magic;
	char *task_id;		    /* owned */
	struct ctr_entry *e;	    /* borrowed: entry in the same registry */
	struct ctr *c;		    /* borrowed: the registry */
	struct ctr_fetch *fetch;    /* borrowed: the fetch in flight */
	struct wire_task *task;	    /* owned or NULL: kept while fetching */
	char *sandbox;		    /* owned or NULL: kept while fetching */
	struct loop_timer *timer;   /* owned or NULL: a kill while fetching */
	LIST_ENTRY(ctr_owner) link; /* on c->owners */
};

#define CTR_USAGE_MAGIC 0xc7e0e473u

struct ctr_usage_q {
	unsigned magic;
	struct ctr *c; /* borrowed: the registry */
	ctr_usage_fn *done;
	void *arg; /* borrowed: the caller's, for done */
	struct ctr_usage u;
	int rc;
	struct ctr_usage_req *inner;  /* borrowed: the driver's, in flight */
	struct loop_timer *timer;     /* owned: delivers a result known now */
	LIST_ENTRY(ctr_usage_q) link; /* on c->usages */
};

struct ctr {
	struct loop *l;			 /* borrowed: the agent's */
	struct httpc *hc;		 /* borrowed: the agent's */
	char *cache_dir;		 /* owned */
	char *allowed_host_paths;	 /* owned or NULL */
	TAILQ_HEAD(, ctr_entry) entries; /* owned */
	LIST_HEAD(, ctr_owner) owners;	 /* owned */
	LIST_HEAD(, ctr_usage_q) usages; /* owned: queries in flight */
};

struct ctr *
ctr_new(struct loop *l, struct httpc *hc, const struct ctr_conf *conf)
{
	struct ctr *c = xcalloc(1, sizeof *c);

	c->l = l;
	c->hc = hc;
	c->cache_dir = xasprintf(
	    "%s/fetch_cache",
	    conf != NULL && conf->work_dir != NULL ? conf->work_dir : ".");
	c->allowed_host_paths = conf != NULL && conf->allowed_host_paths != NULL
				    ? xstrdup(conf->allowed_host_paths)
				    : NULL;
	TAILQ_INIT(&c->entries);
	LIST_INIT(&c->owners);
	LIST_INIT(&c->usages);
	return c;
}

static void
ctr_owner_free(struct ctr_owner *o)
{
	ctr_fetch_cancel(o->fetch);
	loop_timer_free(o->timer);
	if (o->task != NULL)
		wire_task_release(o->task);
	free(o->task);
	free(o->sandbox);
	free(o->task_id);
	CD_FREE_OBJ(o);
}

static void
ctr_usage_free(struct ctr_usage_q *q)
{
	LIST_REMOVE(q, link);
	loop_timer_free(q->timer);
	CD_FREE_OBJ(q);
}

void
ctr_free(struct ctr *c)
{
	struct ctr_entry *e;
	struct ctr_owner *o;
	struct ctr_usage_q *q;

	if (c == NULL)
		return;
	while ((e = TAILQ_FIRST(&c->entries)) != NULL) {
		TAILQ_REMOVE(&c->entries, e, link);
		e->ops->free(e->impl);
		CD_FREE_OBJ(e);
	}
	while ((o = LIST_FIRST(&c->owners)) != NULL) {
		LIST_REMOVE(o, link);
		ctr_owner_free(o);
	}
	/* The drivers, freed above, dropped their queries silently. */
	while ((q = LIST_FIRST(&c->usages)) != NULL)
		ctr_usage_free(q);
	free(c->cache_dir);
	free(c->allowed_host_paths);
	free(c);
}

static struct ctr_owner *
ctr_owner_find(struct ctr *c, const char *task_id)
{
	struct ctr_owner *o;

	LIST_FOREACH(o, &c->owners, link)
		if (strcmp(o->task_id, task_id) == 0)
			return o;
	return NULL;
}

static struct ctr_owner *
ctr_owner_set(struct ctr *c, const char *task_id, struct ctr_entry *e)
{
	struct ctr_owner *o = ctr_owner_find(c, task_id);

	if (o != NULL) {
		o->e = e;
		return o;
	}
	CD_ALLOC_OBJ(o, CTR_OWNER_MAGIC);
	o->task_id = xstrdup(task_id);
	o->e = e;
	o->c = c;
	LIST_INSERT_HEAD(&c->owners, o, link);
	return o;
}

static void
ctr_owner_forget(struct ctr *c, const char *task_id, struct ctr_entry *e)
{
	struct ctr_owner *o = ctr_owner_find(c, task_id);

	if (o == NULL || o->e != e || o->task != NULL)
		return;
	LIST_REMOVE(o, link);
	ctr_owner_free(o);
}

/* The registry's own word on a task it has not handed over yet: forget
 * the owner, then tell the containerizer's sink. */
static void
ctr_owner_end(struct ctr_owner *o, enum task_state st, const char *msg,
	      const char *reason)
{
	struct ctr_entry *e = o->e;
	struct ctr_event ev;
	char *id = o->task_id;

	o->task_id = NULL;
	LIST_REMOVE(o, link);
	ctr_owner_free(o);
	memset(&ev, 0, sizeof ev);
	ev.task_id = id;
	ev.state = st;
	ev.message = msg;
	ev.reason = reason;
	e->ev(&ev, e->ev_arg);
	free(id);
}

/* Every containerizer event passes here first. */
static void
ctr_on_event(const struct ctr_event *ev, void *arg)
{
	struct ctr_entry *e = arg;

	CD_CHECK_OBJ(e, CTR_ENTRY_MAGIC);
	if (task_state_terminal(ev->state))
		ctr_owner_forget(e->c, ev->task_id, e);
	e->ev(ev, e->ev_arg);
}

void
ctr_add(struct ctr *c, const struct ctr_ops *ops, void *impl)
{
	struct ctr_base *b = impl;
	struct ctr_entry *e;

	AN(b);
	CD_ALLOC_OBJ(e, CTR_ENTRY_MAGIC);
	e->ops = ops;
	e->impl = impl;
	e->c = c;
	e->ev = b->ev;
	e->ev_arg = b->ev_arg;
	b->ev = ctr_on_event;
	b->ev_arg = e;
	TAILQ_INSERT_TAIL(&c->entries, e, link);
}

static struct ctr_entry *
ctr_pick(struct ctr *c, const struct wire_task *t)
{
	struct ctr_entry *e;

	TAILQ_FOREACH(e, &c->entries, link)
		if (e->ops->handles(t))
			return e;
	return NULL;
}

/* The fetch ended: launch, or end the task as Mesos does. */
static void
ctr_fetch_done(void *arg, int rc, const char *msg)
{
	struct ctr_owner *o = arg;
	struct ctr_entry *e = o->e;
	struct wire_task *t = o->task;
	struct cd_err err;

	CD_CHECK_OBJ(o, CTR_OWNER_MAGIC);
	o->fetch = NULL;
	if (rc != 0) {
		ctr_owner_end(o, TASK_FAILED, msg,
			      "REASON_CONTAINER_LAUNCH_FAILED");
		return;
	}
	/* Handed over: from now on the containerizer's events forget it. */
	o->task = NULL;
	cd_err_clear(&err);
	rc = e->ops->launch(e->impl, t, o->sandbox, &err);
	wire_task_release(t);
	free(t);
	free(o->sandbox);
	o->sandbox = NULL;
	if (rc != 0)
		ctr_owner_end(o, TASK_FAILED, err.msg,
			      "REASON_CONTAINER_LAUNCH_FAILED");
}

int
ctr_launch(struct ctr *c, const struct wire_task *t, const char *sandbox,
	   struct cd_err *err)
{
	struct ctr_fetch_conf fc;
	struct ctr_user u;
	struct ctr_entry *e;
	struct ctr_owner *o;
	int rc;

	if (ctr_owner_find(c, t->task_id) != NULL)
		return cd_err_set(err, -EEXIST, "task %s is already running",
				  t->task_id);
	if ((e = ctr_pick(c, t)) == NULL)
		return cd_err_set(err, -ENOTSUP,
				  "no enabled containerizer can run task %s",
				  t->task_id);
	if ((rc = ctr_user_lookup(t->user, &u, err)) != 0)
		return rc;
	if ((rc = ctr_user_sandbox(&u, sandbox, err)) != 0)
		goto out;
	if (!ctr_fetch_needed(t)) {
		if ((rc = e->ops->launch(e->impl, t, sandbox, err)) == 0)
			ctr_owner_set(c, t->task_id, e);
		goto out;
	}
	o = ctr_owner_set(c, t->task_id, e);
	o->task = xcalloc(1, sizeof *o->task);
	wire_task_copy(o->task, t);
	o->sandbox = xstrdup(sandbox);
	fc.cache_dir = c->cache_dir;
	fc.allowed_host_paths = c->allowed_host_paths;
	o->fetch = ctr_fetch_start(c->l, c->hc, &fc, t, sandbox, &u,
				   ctr_fetch_done, o);
out:
	ctr_user_release(&u);
	return rc;
}

static void
ctr_owner_killed_cb(void *arg)
{
	struct ctr_owner *o = arg;

	CD_CHECK_OBJ(o, CTR_OWNER_MAGIC);
	ctr_owner_end(o, TASK_KILLED, "killed while fetching",
		      "REASON_TASK_KILLED_DURING_LAUNCH");
}

int
ctr_kill(struct ctr *c, const char *task_id, int grace_ms)
{
	struct ctr_owner *o = ctr_owner_find(c, task_id);

	if (o == NULL)
		return -ENOENT;
	if (o->task != NULL) {
		/* Nothing runs yet: drop the fetch, end it from the loop. */
		ctr_fetch_cancel(o->fetch);
		o->fetch = NULL;
		if (o->timer == NULL) {
			o->timer = loop_timer_new(c->l, ctr_owner_killed_cb, o);
			loop_timer_add(o->timer, 0);
		}
		return 0;
	}
	return o->e->ops->kill(o->e->impl, task_id, grace_ms);
}

int
ctr_recover(struct ctr *c, const struct wire_task *t, const char *sandbox,
	    const json_t *checkpoint)
{
	struct ctr_entry *e;
	int rc;

	if ((e = ctr_pick(c, t)) == NULL)
		return -ENOTSUP;
	if ((rc = e->ops->recover(e->impl, t, sandbox, checkpoint)) != 0)
		return rc;
	ctr_owner_set(c, t->task_id, e);
	return 0;
}

void
ctr_reap_orphans(struct ctr *c, const char *const *known, size_t n)
{
	struct ctr_entry *e;
	int rc;

	TAILQ_FOREACH(e, &c->entries, link)
		if ((rc = e->ops->reap_orphans(e->impl, known, n)) < 0)
			log_warn("%s: cannot reap orphans: %s", e->ops->name,
				 strerror(-rc));
}

struct ctr_exec *
ctr_exec(struct ctr *c, const char *task_id, const char *cmd, long timeout_ms,
	 ctr_exec_fn *done, void *arg, struct cd_err *err)
{
	struct ctr_owner *o = ctr_owner_find(c, task_id);
	struct ctr_entry *e;

	if (o == NULL) {
		cd_err_set(err, -ENOENT, "task %s is not running", task_id);
		return NULL;
	}
	e = o->e;
	if (o->task != NULL) {
		cd_err_set(err, -ENOENT, "task %s is not running yet", task_id);
		return NULL;
	}
	if (e->ops->exec == NULL) {
		cd_err_set(err, -ENOTSUP, "the %s containerizer cannot exec",
			   e->ops->name);
		return NULL;
	}
	return e->ops->exec(e->impl, task_id, cmd, timeout_ms, done, arg, err);
}

void
ctr_exec_cancel(struct ctr_exec *x)
{
	if (x != NULL)
		x->cancel(x);
}

void
ctr_usage_init(struct ctr_usage *u)
{
	u->cpus_user_time_secs = u->cpus_system_time_secs = -1;
	u->cpus_throttled_time_secs = -1;
	u->cpus_nr_periods = u->cpus_nr_throttled = -1;
	u->mem_total_bytes = u->mem_rss_bytes = u->mem_cache_bytes = -1;
	u->mem_anon_bytes = u->mem_file_bytes = u->mem_mapped_file_bytes = -1;
	u->mem_swap_bytes = u->mem_limit_bytes = -1;
	u->processes = u->threads = -1;
}

/* Answer the caller and forget the query. */
static void
ctr_usage_finish(struct ctr_usage_q *q, int rc, const struct ctr_usage *u)
{
	ctr_usage_fn *done = q->done;
	void *arg = q->arg;
	struct ctr_usage copy;

	if (u != NULL)
		copy = *u;
	ctr_usage_free(q);
	done(arg, rc, rc == 0 && u != NULL ? &copy : NULL);
}

static void
ctr_usage_timer_cb(void *arg)
{
	struct ctr_usage_q *q = arg;

	CD_CHECK_OBJ(q, CTR_USAGE_MAGIC);
	ctr_usage_finish(q, q->rc, &q->u);
}

/* A driver's answer to a query it took (ops->usage returned 1). */
static void
ctr_usage_driver_done(void *arg, int rc, const struct ctr_usage *u)
{
	struct ctr_usage_q *q = arg;

	CD_CHECK_OBJ(q, CTR_USAGE_MAGIC);
	q->inner = NULL;
	ctr_usage_finish(q, rc, u);
}

struct ctr_usage_q *
ctr_usage(struct ctr *c, const char *task_id, ctr_usage_fn *done, void *arg)
{
	struct ctr_owner *o = ctr_owner_find(c, task_id);
	struct ctr_usage_q *q;
	int rc = -ENOENT;

	CD_ALLOC_OBJ(q, CTR_USAGE_MAGIC);
	q->c = c;
	q->done = done;
	q->arg = arg;
	ctr_usage_init(&q->u);
	LIST_INSERT_HEAD(&c->usages, q, link);
	if (o != NULL && o->task == NULL)
		rc =
		    o->e->ops->usage == NULL
			? -ENOTSUP
			: o->e->ops->usage(o->e->impl, task_id, &q->u,
					   ctr_usage_driver_done, q, &q->inner);
	if (rc == 1)
		return q; /* the driver answers */
	q->rc = rc;
	q->inner = NULL;
	q->timer = loop_timer_new(c->l, ctr_usage_timer_cb, q);
	loop_timer_add(q->timer, 0);
	return q;
}

void
ctr_usage_cancel(struct ctr_usage_q *q)
{
	if (q == NULL)
		return;
	CD_CHECK_OBJ(q, CTR_USAGE_MAGIC);
	if (q->inner != NULL)
		q->inner->cancel(q->inner);
	ctr_usage_free(q);
}
