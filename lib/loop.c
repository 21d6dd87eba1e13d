/*
 * loop.c: owns the one event_base, its signal events and the deferred-free
 * list. Loop thread only. Deferred frees run from a zero-timeout event so
 * they happen on the next iteration, after the current callback returns.
 */
#include "loop.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#include <event2/event.h>

#include "xalloc.h"

#define LOOP_TIMER_MAGIC 0x10a17131u
#define LOOP_SIG_MAGIC 0x10a15161u
#define LOOP_DEFER_MAGIC 0x10a1def1u

struct loop_sig {
	unsigned magic;
	struct event *ev; /* owned */
	loop_cb_fn *cb;
	void *arg; /* borrowed: from the registrant, valid until loop_free */
	struct loop_sig *next; /* owned: list of registrations */
};

struct loop_defer_item {
	unsigned magic;
	struct loop *l;		      /* borrowed: the owner */
	struct loop_defer_item *prev; /* borrowed: pending list */
	struct loop_defer_item *next; /* borrowed: pending list */
	loop_cb_fn *cb;
	loop_free_fn *fn;
	void *p; /* borrowed until run */
};

static void loop_defer_unlink(struct loop_defer_item *d);

struct loop {
	struct event_base *base;	  /* owned */
	struct loop_sig *sigs;		  /* owned */
	struct loop_defer_item *deferred; /* owned: not yet run */
};

struct loop_timer {
	unsigned magic;
	struct event *ev; /* owned */
	loop_cb_fn *cb;
	void *arg; /* borrowed: from the creator */
};

struct loop *
loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof *l);
	struct event_config *cfg = event_config_new();

	AN(cfg);
	/* Monotonic time and no locking: we are single-threaded by design. */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
	l->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (l->base == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

void
loop_free(struct loop *l)
{
	struct loop_sig *s, *n;
	struct loop_defer_item *d;

	if (l == NULL)
		return;
	/*
	 * Frees deferred after the loop stopped still happen; deferred calls
	 * do not (their objects are being torn down by their owners).
	 */
	while ((d = l->deferred) != NULL) {
		loop_defer_unlink(d);
		if (d->fn != NULL)
			d->fn(d->p);
		CD_FREE_OBJ(d);
	}
	for (s = l->sigs; s != NULL; s = n) {
		n = s->next;
		event_free(s->ev);
		CD_FREE_OBJ(s);
	}
	event_base_free(l->base);
	free(l);
}

struct event_base *
loop_base(struct loop *l)
{
	return l->base;
}

int
loop_run(struct loop *l)
{
	return event_base_dispatch(l->base) == -1 ? -1 : 0;
}

void
loop_stop(struct loop *l)
{
	event_base_loopbreak(l->base);
}

uint64_t
loop_now_ms(struct loop *l)
{
	struct timeval tv;

	if (l == NULL || event_base_gettimeofday_cached(l->base, &tv) != 0) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	return (uint64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

long long
loop_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
loop_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop_timer *t = arg;

	(void)fd;
	(void)what;
	CD_CHECK_OBJ(t, LOOP_TIMER_MAGIC);
	t->cb(t->arg);
}

struct loop_timer *
loop_timer_new(struct loop *l, loop_cb_fn *cb, void *arg)
{
	struct loop_timer *t;

	CD_ALLOC_OBJ(t, LOOP_TIMER_MAGIC);
	t->cb = cb;
	t->arg = arg;
	t->ev = evtimer_new(l->base, loop_timer_cb, t);
	AN(t->ev);
	return t;
}

void
loop_timer_add(struct loop_timer *t, uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000),
			     (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(t->ev, &tv);
}

void
loop_timer_del(struct loop_timer *t)
{
	if (t != NULL)
		evtimer_del(t->ev);
}

int
loop_timer_pending(const struct loop_timer *t)
{
	return evtimer_pending(t->ev, NULL);
}

void
loop_timer_free(struct loop_timer *t)
{
	if (t == NULL)
		return;
	event_free(t->ev);
	CD_FREE_OBJ(t);
}

static void
loop_defer_unlink(struct loop_defer_item *d)
{
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		d->l->deferred = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	d->prev = d->next = NULL;
}

static void
loop_defer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop_defer_item *d = arg;

	(void)fd;
	(void)what;
	CD_CHECK_OBJ(d, LOOP_DEFER_MAGIC);
	loop_defer_unlink(d);
	if (d->fn != NULL)
		d->fn(d->p);
	else
		d->cb(d->p);
	CD_FREE_OBJ(d);
}

static void
loop_defer_item(struct loop *l, loop_cb_fn *cb, loop_free_fn *fn, void *p)
{
	struct loop_defer_item *d;
	struct timeval zero = {0, 0};

	CD_ALLOC_OBJ(d, LOOP_DEFER_MAGIC);
	d->l = l;
	d->cb = cb;
	d->fn = fn;
	d->p = p;
	d->next = l->deferred;
	if (d->next != NULL)
		d->next->prev = d;
	l->deferred = d;
	if (event_base_once(l->base, -1, EV_TIMEOUT, loop_defer_cb, d, &zero) !=
	    0)
		cd_assert_fail("event_base_once", __FILE__, __LINE__);
}

void
loop_defer(struct loop *l, loop_cb_fn *cb, void *arg)
{
	loop_defer_item(l, cb, NULL, arg);
}

void
loop_defer_free(struct loop *l, loop_free_fn *fn, void *p)
{
	if (p == NULL)
		return;
	loop_defer_item(l, NULL, fn, p);
}

static void
loop_sig_cb(evutil_socket_t fd, short what, void *arg)
{
	struct loop_sig *s = arg;

	(void)fd;
	(void)what;
	CD_CHECK_OBJ(s, LOOP_SIG_MAGIC);
	s->cb(s->arg);
}

void
loop_on_signal(struct loop *l, int signo, loop_cb_fn *cb, void *arg)
{
	struct loop_sig *s;

	CD_ALLOC_OBJ(s, LOOP_SIG_MAGIC);
	s->cb = cb;
	s->arg = arg;
	s->ev = evsignal_new(l->base, signo, loop_sig_cb, s);
	AN(s->ev);
	evsignal_add(s->ev, NULL);
	s->next = l->sigs;
	l->sigs = s;
}
