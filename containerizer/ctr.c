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
 * Loop thread only.
 */
#include "containerizer/ctr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#define LOG_MOD "ctr"
#include "containerizer/ctr_int.h"
#include "lib/log.h"
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

struct ctr_owner {
	char *task_id;		    /* owned */
	struct ctr_entry *e;	    /* borrowed: entry in the same registry */
	LIST_ENTRY(ctr_owner) link; /* on c->owners */
};

struct ctr {
	TAILQ_HEAD(, ctr_entry) entries; /* owned */
	LIST_HEAD(, ctr_owner) owners;	 /* owned */
};

struct ctr *
ctr_new(void)
{
	struct ctr *c = xcalloc(1, sizeof *c);

	TAILQ_INIT(&c->entries);
	LIST_INIT(&c->owners);
	return c;
}

void
ctr_free(struct ctr *c)
{
	struct ctr_entry *e;
	struct ctr_owner *o;

	if (c == NULL)
		return;
	while ((e = TAILQ_FIRST(&c->entries)) != NULL) {
		TAILQ_REMOVE(&c->entries, e, link);
		e->ops->free(e->impl);
		CD_FREE_OBJ(e);
	}
	while ((o = LIST_FIRST(&c->owners)) != NULL) {
		LIST_REMOVE(o, link);
		free(o->task_id);
		free(o);
	}
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

static void
ctr_owner_set(struct ctr *c, const char *task_id, struct ctr_entry *e)
{
	struct ctr_owner *o = ctr_owner_find(c, task_id);

	if (o != NULL) {
		o->e = e;
		return;
	}
	o = xcalloc(1, sizeof *o);
	o->task_id = xstrdup(task_id);
	o->e = e;
	LIST_INSERT_HEAD(&c->owners, o, link);
}

static void
ctr_owner_forget(struct ctr *c, const char *task_id, struct ctr_entry *e)
{
	struct ctr_owner *o = ctr_owner_find(c, task_id);

	if (o == NULL || o->e != e)
		return;
	LIST_REMOVE(o, link);
	free(o->task_id);
	free(o);
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

int
ctr_launch(struct ctr *c, const struct wire_task *t, const char *sandbox,
	   struct cd_err *err)
{
	struct ctr_entry *e;
	int rc;

	if (ctr_owner_find(c, t->task_id) != NULL)
		return cd_err_set(err, -EEXIST, "task %s is already running",
				  t->task_id);
	if ((e = ctr_pick(c, t)) == NULL)
		return cd_err_set(err, -ENOTSUP,
				  "no enabled containerizer can run task %s",
				  t->task_id);
	if ((rc = e->ops->launch(e->impl, t, sandbox, err)) != 0)
		return rc;
	ctr_owner_set(c, t->task_id, e);
	return 0;
}

int
ctr_kill(struct ctr *c, const char *task_id, int grace_ms)
{
	struct ctr_owner *o = ctr_owner_find(c, task_id);

	if (o == NULL)
		return -ENOENT;
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
