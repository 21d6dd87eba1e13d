/*
 * ctr_sim.c: the simulation containerizer (see ctr_sim.h), for bench/
 * only. Owns one struct sim_task per launched or recovered task, kept in
 * a list (tasks are found only on kill) with one loop timer that walks
 * the task through its states, so that no event ever leaves from inside
 * a ctr_* call.
 *
 * Design: the whole point is to cost nothing, so that benchmarks measure
 * the master, scheduler and agent and not Docker: no fork, no files, no
 * sockets. The checkpoint is {"sim": true}. Loop thread only.
 */
#include "containerizer/ctr_sim.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#define LOG_MOD "ctr_sim"
#include "containerizer/ctr_int.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/xalloc.h"

#define SIM_MAGIC 0x5139a001u
#define SIM_TASK_MAGIC 0x5139a002u

enum sim_step {
	SIM_STARTING, /* next: report TASK_STARTING */
	SIM_RUNNING,  /* next: report TASK_RUNNING */
	SIM_UP,	      /* nothing to report until killed */
	SIM_KILLED,   /* next: report TASK_KILLED and forget the task */
};

struct sim_task;

struct sim {
	struct ctr_base base; /* first: magic and event sink */
	struct loop *l;	      /* borrowed: the agent's loop */
	unsigned long seq;    /* container ids */
	size_t n;
	LIST_HEAD(, sim_task) tasks; /* owned */
};

struct sim_task {
	unsigned magic;
	struct sim *s; /* borrowed: owner */
	char *task_id; /* owned */
	char cid[32];  /* "sim:<n>" */
	enum sim_step step;
	struct loop_timer *timer;  /* owned */
	LIST_ENTRY(sim_task) link; /* on s->tasks */
};

static int
sim_handles(const struct wire_task *t)
{
	(void)t;
	return 1;
}

static struct sim_task *
sim_find(struct sim *s, const char *task_id)
{
	struct sim_task *t;

	LIST_FOREACH(t, &s->tasks, link)
		if (strcmp(t->task_id, task_id) == 0)
			return t;
	return NULL;
}

static void
sim_task_free(struct sim_task *t)
{
	loop_timer_free(t->timer);
	free(t->task_id);
	CD_FREE_OBJ(t);
}

static void
sim_unlink(struct sim_task *t)
{
	LIST_REMOVE(t, link);
	t->s->n--;
}

static void
sim_emit(struct sim_task *t, enum task_state st, const char *msg,
	 const json_t *checkpoint)
{
	ctr_base_emit_state(&t->s->base, t->task_id, st, msg, NULL, t->cid,
			    checkpoint);
}

static void
sim_timer_cb(void *arg)
{
	struct sim_task *t = arg;
	json_t *cp;

	CD_CHECK_OBJ(t, SIM_TASK_MAGIC);
	switch (t->step) {
	case SIM_STARTING:
		t->step = SIM_RUNNING;
		loop_timer_add(t->timer, 0);
		sim_emit(t, TASK_STARTING, NULL, NULL);
		break;
	case SIM_RUNNING:
		t->step = SIM_UP;
		cp = json_pack("{s:b}", "sim", 1);
		sim_emit(t, TASK_RUNNING, NULL, cp);
		json_decref(cp);
		break;
	case SIM_UP:
		break;
	case SIM_KILLED:
		sim_unlink(t);
		sim_emit(t, TASK_KILLED, "killed on request (simulated)", NULL);
		sim_task_free(t);
		break;
	}
}

static struct sim_task *
sim_task_new(struct sim *s, const char *task_id, enum sim_step step)
{
	struct sim_task *t;

	CD_ALLOC_OBJ(t, SIM_TASK_MAGIC);
	t->s = s;
	t->task_id = xstrdup(task_id);
	snprintf(t->cid, sizeof t->cid, "sim:%lu", ++s->seq);
	t->step = step;
	t->timer = loop_timer_new(s->l, sim_timer_cb, t);
	LIST_INSERT_HEAD(&s->tasks, t, link);
	s->n++;
	return t;
}

static int
sim_launch(void *impl, const struct wire_task *wt, const char *sandbox,
	   struct cd_err *err)
{
	struct sim *s = impl;
	struct sim_task *t;

	(void)sandbox;
	CD_ASSERT(s->base.magic == SIM_MAGIC);
	if (sim_find(s, wt->task_id) != NULL)
		return cd_err_set(err, -EEXIST, "task %s is already running",
				  wt->task_id);
	t = sim_task_new(s, wt->task_id, SIM_STARTING);
	loop_timer_add(t->timer, 0);
	log_debug("task %s: simulated launch", t->task_id);
	return 0;
}

static int
sim_kill(void *impl, const char *task_id, int grace_ms)
{
	struct sim *s = impl;
	struct sim_task *t;

	(void)grace_ms;
	CD_ASSERT(s->base.magic == SIM_MAGIC);
	if ((t = sim_find(s, task_id)) == NULL)
		return -ENOENT;
	t->step = SIM_KILLED;
	loop_timer_add(t->timer, 0);
	return 0;
}

static int
sim_recover(void *impl, const struct wire_task *wt, const char *sandbox,
	    const json_t *checkpoint)
{
	struct sim *s = impl;

	(void)sandbox;
	(void)checkpoint;
	CD_ASSERT(s->base.magic == SIM_MAGIC);
	if (sim_find(s, wt->task_id) != NULL)
		return -EEXIST;
	(void)sim_task_new(s, wt->task_id, SIM_UP);
	return 0;
}

static int
sim_reap_orphans(void *impl, const char *const *known, size_t n)
{
	(void)impl;
	(void)known;
	(void)n;
	return 0; /* nothing runs outside the agent's own list */
}

static void
sim_free(void *impl)
{
	struct sim *s = impl;
	struct sim_task *t;

	if (s == NULL)
		return;
	CD_ASSERT(s->base.magic == SIM_MAGIC);
	while ((t = LIST_FIRST(&s->tasks)) != NULL) {
		LIST_REMOVE(t, link);
		sim_task_free(t);
	}
	s->base.magic = 0;
	free(s);
}

static const struct ctr_ops sim_ops = {
    .name = "sim",
    .handles = sim_handles,
    .launch = sim_launch,
    .kill = sim_kill,
    .recover = sim_recover,
    .reap_orphans = sim_reap_orphans,
    .free = sim_free,
};

size_t
ctr_sim_count(const void *impl)
{
	const struct sim *s = impl;

	CD_ASSERT(s->base.magic == SIM_MAGIC);
	return s->n;
}

void *
ctr_sim_new(struct loop *l, ctr_event_fn *ev, void *arg,
	    const struct ctr_ops **ops)
{
	struct sim *s = xcalloc(1, sizeof *s);

	ctr_base_init(&s->base, SIM_MAGIC, ev, arg);
	s->l = l;
	LIST_INIT(&s->tasks);
	log_warn("the simulation containerizer is enabled: tasks run nowhere "
		 "(for benchmarks only)");
	*ops = &sim_ops;
	return s;
}
