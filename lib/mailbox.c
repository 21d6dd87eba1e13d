/*
 * mailbox.c: owns a FIFO of messages posted by foreign threads, the mutex
 * that guards it, and the eventfd that wakes the loop (STYLE B9, after
 * memcached's notify_worker()). The only file of clusterd that includes
 * <pthread.h> (check-deps enforces it).
 *
 * Threading: mailbox_post() runs on any thread; it touches nothing but the
 * FIFO (under the mutex) and the eventfd. Everything else runs on the loop
 * thread: a persistent EV_READ event on the eventfd drains the FIFO and calls
 * each message's handler there.
 *
 * Wake-ups: a poster writes to the eventfd only when it makes the FIFO
 * non-empty. The loop side reads (clears) the eventfd before it takes
 * messages, so a message queued after the read finds the FIFO empty again and
 * writes, and a message queued before the read is taken by this pass: no
 * wake-up is lost. One pass delivers at most MAILBOX_BATCH messages, then
 * re-activates its own event, so a flood from a thread cannot starve the rest
 * of the loop.
 *
 * Messages are popped one at a time under the mutex, never as a whole list,
 * so that a handler that drains the mailbox itself (mailbox_drain(), used by
 * lib/zk after joining its threads) keeps the FIFO order.
 */
#include "mailbox.h"

#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "loop.h"
#include "xalloc.h"

#define LOG_MOD "mailbox"
#include "log.h"

#define MAILBOX_MAGIC 0x3a11b0c5u
/* Messages delivered per wake-up before yielding to the rest of the loop. */
#define MAILBOX_BATCH 256

struct mailbox {
	unsigned magic;
	struct event *ev; /* owned: persistent EV_READ on efd */
	int efd;	  /* owned: eventfd, non-blocking */
	pthread_mutex_t mu;
	struct mailbox_msg *head; /* owned, guarded by mu: oldest message */
	struct mailbox_msg *tail; /* borrowed, guarded by mu: newest */
};

/* Pop the oldest message, or NULL. Any thread. */
static struct mailbox_msg *
mailbox_pop(struct mailbox *mb)
{
	struct mailbox_msg *m;

	AZ(pthread_mutex_lock(&mb->mu));
	m = mb->head;
	if (m != NULL) {
		mb->head = m->next;
		if (mb->head == NULL)
			mb->tail = NULL;
		m->next = NULL;
	}
	AZ(pthread_mutex_unlock(&mb->mu));
	return m;
}

static bool
mailbox_empty(struct mailbox *mb)
{
	bool empty;

	AZ(pthread_mutex_lock(&mb->mu));
	empty = mb->head == NULL;
	AZ(pthread_mutex_unlock(&mb->mu));
	return empty;
}

static void
mailbox_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mailbox *mb = arg;
	struct mailbox_msg *m;
	uint64_t v;
	size_t n;

	(void)fd;
	(void)what;
	CD_CHECK_OBJ(mb, MAILBOX_MAGIC);
	/* Clear the counter first (see the top comment). */
	if (read(mb->efd, &v, sizeof v) == -1 && errno != EAGAIN)
		log_warn("eventfd read: %s", strerror(errno));
	for (n = 0; n < MAILBOX_BATCH; n++) {
		if ((m = mailbox_pop(mb)) == NULL)
			return;
		m->fn(m, false);
	}
	/* More left: posters will not write (the FIFO is not empty). */
	if (!mailbox_empty(mb))
		event_active(mb->ev, EV_READ, 0);
}

struct mailbox *
mailbox_new(struct loop *l)
{
	struct mailbox *mb;

	CD_ALLOC_OBJ(mb, MAILBOX_MAGIC);
	mb->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mb->efd == -1)
		fatal("mailbox: eventfd");
	AZ(pthread_mutex_init(&mb->mu, NULL));
	mb->ev = event_new(loop_base(l), mb->efd, EV_READ | EV_PERSIST,
			   mailbox_event_cb, mb);
	AN(mb->ev);
	AZ(event_add(mb->ev, NULL));
	return mb;
}

void
mailbox_free(struct mailbox *mb)
{
	struct mailbox_msg *m;

	if (mb == NULL)
		return;
	CD_CHECK_OBJ(mb, MAILBOX_MAGIC);
	event_free(mb->ev);
	while ((m = mailbox_pop(mb)) != NULL)
		m->fn(m, true);
	AZ(pthread_mutex_destroy(&mb->mu));
	(void)close(mb->efd);
	CD_FREE_OBJ(mb);
}

void
mailbox_post(struct mailbox *mb, struct mailbox_msg *msg, mailbox_fn *fn)
{
	uint64_t one = 1;
	bool wake;

	msg->next = NULL;
	msg->fn = fn;
	AZ(pthread_mutex_lock(&mb->mu));
	wake = mb->head == NULL;
	if (mb->tail != NULL)
		mb->tail->next = msg;
	else
		mb->head = msg;
	mb->tail = msg;
	/*
	 * An eventfd write of 1 fails only with EAGAIN (the counter is
	 * saturated, so it is readable anyway). Writing inside the critical
	 * section is not needed for correctness (see the top comment); it
	 * keeps "FIFO non-empty => a wake-up is pending or being handled"
	 * true at every point the mutex is free.
	 */
	if (wake) {
		ssize_t w = write(mb->efd, &one, sizeof one);

		(void)w;
	}
	AZ(pthread_mutex_unlock(&mb->mu));
}

size_t
mailbox_drain(struct mailbox *mb)
{
	struct mailbox_msg *m;
	size_t n = 0;

	CD_CHECK_OBJ(mb, MAILBOX_MAGIC);
	while ((m = mailbox_pop(mb)) != NULL) {
		m->fn(m, false);
		n++;
	}
	return n;
}
