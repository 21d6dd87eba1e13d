/*
 * ctr_int.h: private to containerizer/ (STYLE B3 "foo_int.h"): the header
 * every containerizer's impl struct starts with. It holds the event sink,
 * so that ctr_add() can route a containerizer's events through the
 * registry (which forgets a task's owner on its terminal event) without
 * changing the constructors' signatures in ctr.h. Loop thread only.
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_INT_H
#define CLUSTERD_CONTAINERIZER_CTR_INT_H

#include <string.h>

#include "containerizer/ctr.h"

/*
 * The first member of every impl (so a void *impl converts to it).
 * magic is the impl's own magic number (STYLE B18).
 */
struct ctr_base {
	unsigned magic;
	ctr_event_fn *ev;
	void *ev_arg; /* borrowed: the event sink's argument */
};

/*
 * The first member of every driver's exec object, so that
 * ctr_exec_cancel() reaches the driver that started it.
 */
struct ctr_exec {
	void (*cancel)(struct ctr_exec *x);
};

/*
 * The first member of every driver's usage query, so that the registry
 * can cancel it (done then never runs).
 */
struct ctr_usage_req {
	void (*cancel)(struct ctr_usage_req *q);
};

/* Set up an impl's header: its magic and its event sink. */
static inline void
ctr_base_init(struct ctr_base *b, unsigned magic, ctr_event_fn *ev, void *arg)
{
	b->magic = magic;
	b->ev = ev;
	b->ev_arg = arg;
}

static inline void
ctr_base_emit(const struct ctr_base *b, const struct ctr_event *e)
{
	b->ev(e, b->ev_arg);
}

/*
 * Send a task's state through b: an event with no container addresses
 * (container_id, msg, reason and checkpoint may be NULL; all borrowed for
 * the call).
 */
static inline void
ctr_base_emit_state(const struct ctr_base *b, const char *task_id,
		    enum task_state st, const char *msg, const char *reason,
		    const char *container_id, const json_t *checkpoint)
{
	struct ctr_event ev;

	memset(&ev, 0, sizeof ev);
	ev.task_id = task_id;
	ev.state = st;
	ev.message = msg;
	ev.reason = reason;
	ev.container_id = container_id;
	ev.checkpoint = checkpoint;
	ctr_base_emit(b, &ev);
}

#endif
