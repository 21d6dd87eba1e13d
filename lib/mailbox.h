/*
 * mailbox.h: the only channel between a foreign thread and the loop (STYLE
 * B8/B9). A thread that a library forces on us (libzookeeper_mt's) copies
 * what it has into a self-contained message and posts it; the loop calls the
 * message's handler on the loop thread, in posting order.
 *
 * mailbox_post() is the one thread-safe function of clusterd. Everything
 * else here is loop thread only.
 */
#ifndef CLUSTERD_LIB_MAILBOX_H
#define CLUSTERD_LIB_MAILBOX_H

#include <stdbool.h>
#include <stddef.h>

struct loop;
struct mailbox;
struct mailbox_msg;

/*
 * Called on the loop thread with a message that was posted. The handler owns
 * msg and frees it. dropped is true when the mailbox is being freed and the
 * message is only being disposed of: free it, act on nothing.
 */
typedef void mailbox_fn(struct mailbox_msg *msg, bool dropped);

/*
 * The header every message embeds as its first member (the handler gets the
 * message back by casting). The mailbox sets both fields in mailbox_post().
 */
struct mailbox_msg {
	struct mailbox_msg *next; /* borrowed: FIFO linkage while queued */
	mailbox_fn *fn;
};

/*
 * A mailbox whose messages are delivered on l. Free with mailbox_free()
 * (NULL is a no-op). Creating one needs an eventfd: failure is fatal, as
 * running out of memory is.
 */
struct mailbox *mailbox_new(struct loop *l);
/*
 * Dispose of every queued message (fn(msg, true)) and free the mailbox. No
 * thread may post to it any more: stop (join) the posting threads first.
 */
void mailbox_free(struct mailbox *mb);

/*
 * Any thread: queue msg (ownership passes to the mailbox) for fn on the loop
 * thread, and wake the loop. Never blocks for longer than a short mutex hold
 * and one write(2) to the eventfd.
 */
void mailbox_post(struct mailbox *mb, struct mailbox_msg *msg, mailbox_fn *fn);

/*
 * Loop thread: deliver every message queued now, one at a time in FIFO order
 * (a handler may itself call mailbox_drain(); order is kept). Returns how
 * many were delivered. The loop does this by itself when the eventfd is
 * readable; an owner calls it to flush a mailbox synchronously, for example
 * after joining the threads that post to it.
 */
size_t mailbox_drain(struct mailbox *mb);

#endif
