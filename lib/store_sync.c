/*
 * store_sync.c: group commit for the LMDB store. Owns an environment's
 * sync timer, its commit and sync counters, and the waiters of its durable
 * interface (lib/durable.h). Part of lib/store (store_int.h); loop thread
 * only.
 *
 * Without group commit (the default) every LMDB commit makes its own
 * fdatasync before it returns, and nothing here waits. With it
 * (store_group_commit), the environment runs with MDB_NOSYNC: a commit
 * writes its pages and returns, and counts as committed; the first commit
 * of a loop pass arms a zero timer, which fires after the callbacks of the
 * next pass, and then one mdb_env_sync() puts every commit made so far on
 * disk and releases each waiter whose sequence number it covers. Whoever
 * tells another process about a write (an httpd answer, an event, an
 * agent's status update) asks pending() first and waits when it is not 0.
 * A process killed between the commit and the sync loses nothing (the
 * pages are in the page cache); an operating system crash loses what was
 * not synced, and nothing of it was acknowledged. The price (lmdb.h on
 * MDB_NOSYNC): LMDB's order "data pages, then the meta page" is not
 * enforced between syncs, so on a filesystem that reorders writes an OS
 * crash inside that window (one loop pass) can leave a meta page naming
 * pages that never reached the disk. Keeping the order would take one
 * LMDB transaction per pass (batches as nested transactions), which moves
 * write errors from the commit to the end of the pass: not done yet.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#define LOG_MOD "store"
#include "durable.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "store.h"
#include "store_int.h"
#include "xalloc.h"

static uint64_t
store_sync_pending(void *ctx)
{
	struct store_env *e = ctx;

	return e->committed > e->synced ? e->committed : 0;
}

static void
store_sync_arm(struct store_env *e)
{
	if (!loop_timer_pending(e->flush))
		loop_timer_add(e->flush, 0);
}

static int
store_sync_wait(void *ctx, uint64_t seq, durable_done_fn *fn, void *arg)
{
	struct store_env *e = ctx;
	struct store_waiter *w, *at;

	if (e->flush == NULL)
		return -ENOTSUP;
	w = xcalloc(1, sizeof *w);
	w->seq = seq;
	w->fn = fn;
	w->arg = arg;
	/* Usually the last: sequence numbers only grow. */
	TAILQ_FOREACH_REVERSE(at, &e->waiters, store_waiters, link)
		if (at->seq <= seq)
			break;
	if (at != NULL)
		TAILQ_INSERT_AFTER(&e->waiters, at, w, link);
	else
		TAILQ_INSERT_HEAD(&e->waiters, w, link);
	/* Also when seq is synced already: fn is called from the loop. */
	store_sync_arm(e);
	return 0;
}

static void
store_sync_forget(void *ctx, void *arg)
{
	struct store_env *e = ctx;
	struct store_waiter *w, *next;

	if (e->flush == NULL)
		return;
	for (w = TAILQ_FIRST(&e->waiters); w != NULL; w = next) {
		next = TAILQ_NEXT(w, link);
		if (w->arg != arg)
			continue;
		TAILQ_REMOVE(&e->waiters, w, link);
		free(w);
	}
}

/*
 * The timer: sync what was committed, then call the waiters it covers
 * (with the error when the sync failed: nothing says those pages are on
 * disk; a later sync covers them again, and later waiters wait for it).
 */
static void
store_sync_flush_cb(void *arg)
{
	struct store_env *e = arg;
	struct store_waiter *w;
	uint64_t upto = e->committed;
	int mrc, rc = 0;

	if (upto > e->synced) {
		mrc = mdb_env_sync(e->env, 1);
		e->nsyncs++;
		if (mrc == 0) {
			e->synced = upto;
		} else {
			rc = mrc > 0 ? -mrc : -EIO;
			log_error("store: %s: sync failed: %s", e->file,
				  mdb_strerror(mrc));
		}
	}
	/* A callback may wait or forget again: take the head each time. */
	while ((w = TAILQ_FIRST(&e->waiters)) != NULL && w->seq <= upto) {
		TAILQ_REMOVE(&e->waiters, w, link);
		w->fn(w->seq, rc, w->arg);
		free(w);
	}
}

void
store_sync_committed(struct store_env *e)
{
	e->committed++;
	if (e->flush != NULL) {
		store_sync_arm(e);
		return;
	}
	/* Synchronous: LMDB synced before the commit returned. */
	e->synced = e->committed;
	if (e->tmpdir == NULL)
		e->nsyncs++;
}

void
store_sync_close(struct store_env *e)
{
	struct store_waiter *w;
	int mrc;

	if (e->flush == NULL)
		return;
	if (e->committed > e->synced) {
		if ((mrc = mdb_env_sync(e->env, 1)) != 0)
			log_error("store: %s: sync on close failed: %s",
				  e->file, mdb_strerror(mrc));
		e->nsyncs++;
	}
	/* Their owners are gone or going: nobody to tell. */
	while ((w = TAILQ_FIRST(&e->waiters)) != NULL) {
		TAILQ_REMOVE(&e->waiters, w, link);
		free(w);
	}
	loop_timer_free(e->flush);
	e->flush = NULL;
}

int
store_group_commit(struct store *s, struct loop *l, struct cd_err *err)
{
	struct store_env *e = s->e;
	int mrc;

	/* In memory: nothing is synced, nothing waits. */
	if (e->tmpdir != NULL || e->flush != NULL)
		return 0;
	CD_ASSERT(!e->in_batch);
	if ((mrc = mdb_env_set_flags(e->env, MDB_NOSYNC, 1)) != 0)
		return cd_err_set(err, mrc > 0 ? -mrc : -EIO,
				  "store: %s: group commit: %s", e->file,
				  mdb_strerror(mrc));
	TAILQ_INIT(&e->waiters);
	e->flush = loop_timer_new(l, store_sync_flush_cb, e);
	return 0;
}

const struct durable *
store_durable(struct store *s)
{
	s->dur.pending = store_sync_pending;
	s->dur.wait = store_sync_wait;
	s->dur.forget = store_sync_forget;
	s->dur.ctx = s->e;
	return &s->dur;
}

void
store_sync_stats(const struct store *s, struct store_sync_stats *out)
{
	out->commits = s->e->committed;
	out->syncs = s->e->nsyncs;
	out->pending = s->e->committed - s->e->synced;
}

void
store_metrics(void *arg, struct metrics_out *o)
{
	struct store_sync_stats st;

	store_sync_stats(arg, &st);
	metrics_gauge(o, "clusterd.store.commits.gauge",
		      "clusterd_store_commits",
		      "LMDB commits that wrote something", (double)st.commits);
	metrics_gauge(o, "clusterd.store.syncs.gauge", "clusterd_store_syncs",
		      "fdatasyncs of the LMDB file (one per commit without "
		      "group commit)",
		      (double)st.syncs);
	metrics_gauge(
	    o, "clusterd.store.unsynced.gauge", "clusterd_store_unsynced",
	    "LMDB commits not yet synced (group commit)", (double)st.pending);
}
