/*
 * test_mailbox.c: lib/mailbox with real threads posting to a real loop:
 * every message arrives once, on the loop thread, in each poster's order;
 * a handler may drain the mailbox itself without breaking the order; a
 * flood does not starve the rest of the loop; freeing a mailbox disposes of
 * what is still queued. Also run under `make SANITIZE=thread unit` (STYLE
 * B26): this is where threads meet.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lib/loop.h"
#include "lib/mailbox.h"

#define NTHREADS 4
#define PER_THREAD 20000

struct msg {
	struct mailbox_msg hdr; /* first: the handler casts back */
	int thread;
	int seq;
	bool drain; /* the handler drains the mailbox itself */
};

struct fixture {
	struct loop *l;
	struct mailbox *mb;
	pthread_t loop_thread;
	int next[NTHREADS]; /* next expected seq per poster */
	int received;
	int dropped;
	int expect;
	bool bad_thread;
	bool bad_order;
	int deferred_at; /* received count when a deferred call ran */
};

static struct fixture *fx; /* the handlers' view of the running test */

static void
on_msg(struct mailbox_msg *m, bool dropped)
{
	struct msg *msg = (struct msg *)m;

	if (dropped) {
		fx->dropped++;
		free(msg);
		return;
	}
	if (!pthread_equal(pthread_self(), fx->loop_thread))
		fx->bad_thread = true;
	if (msg->seq != fx->next[msg->thread])
		fx->bad_order = true;
	fx->next[msg->thread] = msg->seq + 1;
	fx->received++;
	if (msg->drain)
		mailbox_drain(fx->mb);
	free(msg);
	if (fx->received == fx->expect)
		loop_stop(fx->l);
}

static void
post(struct mailbox *mb, int thread, int seq, bool drain)
{
	struct msg *m = calloc(1, sizeof *m);

	m->thread = thread;
	m->seq = seq;
	m->drain = drain;
	mailbox_post(mb, &m->hdr, on_msg);
}

struct poster {
	struct mailbox *mb;
	int thread;
};

static void *
poster_main(void *arg)
{
	struct poster *p = arg;
	int i;

	for (i = 0; i < PER_THREAD; i++)
		post(p->mb, p->thread, i, false);
	return NULL;
}

static int
setup(void **state)
{
	fx = calloc(1, sizeof *fx);
	fx->l = loop_new();
	fx->mb = mailbox_new(fx->l);
	fx->loop_thread = pthread_self();
	fx->deferred_at = -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	mailbox_free(f->mb);
	loop_free(f->l);
	free(f);
	fx = NULL;
	return 0;
}

static void
watchdog(void *arg)
{
	struct fixture *f = arg;

	loop_stop(f->l);
}

/* Threads post while the loop runs; every message arrives, in order. */
static void
test_threads(void **state)
{
	struct fixture *f = *state;
	struct poster p[NTHREADS];
	pthread_t th[NTHREADS];
	struct loop_timer *wd = loop_timer_new(f->l, watchdog, f);
	int i;

	f->expect = NTHREADS * PER_THREAD;
	loop_timer_add(wd, 60000);
	for (i = 0; i < NTHREADS; i++) {
		p[i].mb = f->mb;
		p[i].thread = i;
		assert_int_equal(
		    pthread_create(&th[i], NULL, poster_main, &p[i]), 0);
	}
	assert_int_equal(loop_run(f->l), 0);
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	loop_timer_free(wd);
	assert_int_equal(f->received, NTHREADS * PER_THREAD);
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(f->next[i], PER_THREAD);
	assert_false(f->bad_thread);
	assert_false(f->bad_order);
	/* Nothing is left to deliver. */
	assert_int_equal(mailbox_drain(f->mb), 0);
}

/* A handler that drains the mailbox itself keeps FIFO order. */
static void
test_nested_drain(void **state)
{
	struct fixture *f = *state;
	int i;

	f->expect = 100;
	for (i = 0; i < 100; i++)
		post(f->mb, 0, i, i % 10 == 3);
	assert_int_equal(loop_run(f->l), 0);
	assert_int_equal(f->received, 100);
	assert_false(f->bad_order);
}

static void
note_deferred(void *arg)
{
	struct fixture *f = arg;

	f->deferred_at = f->received;
}

/* A flood is delivered in slices: other events run in between. */
static void
test_no_starvation(void **state)
{
	struct fixture *f = *state;
	int i;

	f->expect = 5000;
	for (i = 0; i < 5000; i++)
		post(f->mb, 0, i, false);
	loop_defer(f->l, note_deferred, f);
	assert_int_equal(loop_run(f->l), 0);
	assert_int_equal(f->received, 5000);
	assert_true(f->deferred_at >= 0 && f->deferred_at < 5000);
}

/* mailbox_free() disposes of queued messages through their handlers. */
static void
test_free_drops(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 10; i++)
		post(f->mb, 0, i, false);
	mailbox_free(f->mb);
	f->mb = NULL;
	assert_int_equal(f->dropped, 10);
	assert_int_equal(f->received, 0);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_threads),
	    T(test_nested_drain),
	    T(test_no_starvation),
	    T(test_free_drops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
