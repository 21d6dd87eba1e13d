/*
 * store_sync.c: group commit for the LMDB store. Owns an environment's
 * pass transaction and the timer that commits it, its commit and sync
 * counters, and the waiters of its durable interface (lib/durable.h). Part
 * of lib/store (store_int.h); loop thread only.
 *
 * Without group commit (--store_sync=commit, the default) every batch is
 * an LMDB write transaction of its own whose commit syncs before it
 * returns, and nothing here waits. With it (store_group_commit;
 * --store_sync=group), the first batch of a
 * loop pass begins one write transaction, the pass's, and every batch of
 * the pass is a transaction nested in it: its commit merges into the
 * pass's and counts as committed, and reads go through the pass's, so the
 * loop sees its own writes at once. The first commit of a pass arms a zero
 * timer, which fires after the callbacks of the next pass, and commits the
 * pass's transaction: one LMDB commit (its data pages synced, then its meta
 * page) puts every batch of the pass on disk, in LMDB's own order, and
 * releases each waiter whose sequence number it covers. Whoever tells
 * another process about a write (an httpd answer, an event, an agent's
 * status update) asks pending() first and waits when it is not 0. A
 * process killed, or an OS crash, before that commit loses the pass's
 * writes, none of which was acknowledged; the file stays consistent.
 *
 * A full disk must fail a batch, which its caller answers with a 507
 * (test_t8_store_full.py), not the pass's commit, after the process has
 * changed its memory. So before a batch commits into the pass, the file is
 * allocated ahead (fallocate, FALLOC_FL_KEEP_SIZE: blocks past its end,
 * its size unchanged) far enough for everything the pass may add: a bound
 * counted per write from the tree's depth and the value's overflow pages,
 * plus the list of freed pages the commit writes. When that allocation
 * fails the batch fails with it, and the pass is untouched. The bound is
 * loose (pages a pass dirties twice are counted twice), so a pass is also
 * committed early once it reaches STORE_PASS_MAX_PAGES, and the file never
 * holds more than that allocated past its end.
 *
 * A pass commit that fails all the same (an I/O error, a filesystem that
 * cannot allocate ahead) leaves the process's memory ahead of its disk,
 * with no way to tell which of its objects the lost writes were: its
 * waiters hear the error, and the process exits at once, to be restarted
 * from what is on disk, as a database does when its log write fails.
 */
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

#define LOG_MOD "store"
#include "durable.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "store.h"
#include "store_int.h"
#include "xalloc.h"

/* Batches in one pass's transaction before it is committed early. */
#define STORE_PASS_MAX_BATCHES 1024
/* Bound on a pass's new pages before it is committed early (16 MiB). */
#define STORE_PASS_MAX_PAGES 4096
/* The file is allocated ahead in steps of this many pages (256 KiB). */
#define STORE_RESERVE_STEP 64
/* What a commit may add besides the pages written: the free DB's path. */
#define STORE_COMMIT_PAGES 16

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
 * A pass's commit failed: memory is ahead of the disk. End at once, as a
 * crash would (_exit: no exit handlers, nothing flushed from a state that
 * is not to be trusted), to start again from what is on disk.
 */
static CD_NORETURN void
store_sync_die(struct store_env *e)
{
	log_error("store: %s: the writes of this loop pass are lost; exiting, "
		  "to start again from what is on disk",
		  e->file);
	_exit(EXIT_FAILURE);
}

/* Commit the pass's transaction: 0 or a negative errno (logged). */
static int
store_sync_commit_pass(struct store_env *e)
{
	int mrc;

	mrc = mdb_txn_commit(e->pass);
	e->pass = NULL;
	e->pass_batches = 0;
	e->pass_pages = 0;
	e->nsyncs++;
	if (mrc == 0) {
		e->synced = e->committed;
		return 0;
	}
	log_error("store: %s: commit of the pass failed: %s", e->file,
		  mdb_strerror(mrc));
	return store_rc(mrc);
}

static void
store_sync_flush_cb(void *arg)
{
	struct store_env *e = arg;
	struct store_waiter *w;
	uint64_t upto = e->committed;
	int rc = 0;

	if (e->pass != NULL) {
		/* A batch held open across callbacks: not yet. */
		if (e->in_batch) {
			loop_timer_add(e->flush, 1);
			return;
		}
		rc = store_sync_commit_pass(e);
	}
	/* A callback may wait or forget again: take the head each time. */
	while ((w = TAILQ_FIRST(&e->waiters)) != NULL && w->seq <= upto) {
		TAILQ_REMOVE(&e->waiters, w, link);
		w->fn(w->seq, rc, w->arg);
		free(w);
	}
	if (rc != 0)
		store_sync_die(e);
}

int
store_sync_parent(struct store_env *e, MDB_txn **parent)
{
	int mrc;

	*parent = NULL;
	if (e->flush == NULL)
		return 0;
	/*
	 * A burst: commit what the pass has so far, so that its dirty pages
	 * stay far below LMDB's limit for one transaction (MDB_TXN_FULL);
	 * its waiters are called when the timer fires.
	 */
	if (e->pass != NULL &&
	    (e->pass_batches >= STORE_PASS_MAX_BATCHES ||
	     e->pass_pages >= STORE_PASS_MAX_PAGES) &&
	    store_sync_commit_pass(e) != 0)
		store_sync_die(e);
	if (e->pass == NULL) {
		if ((mrc = mdb_txn_begin(e->env, NULL, 0, &e->pass)) != 0) {
			e->pass = NULL;
			return store_rc(mrc);
		}
		store_sync_arm(e);
	}
	e->pass_batches++;
	*parent = e->pass;
	return 0;
}

/* The depth of db's tree in txn, and of the main tree that names it. */
static uint64_t
store_sync_depth(MDB_txn *txn, MDB_dbi dbi)
{
	MDB_stat st;
	uint64_t d = 0;

	if (mdb_stat(txn, dbi, &st) == 0)
		d += st.ms_depth;
	if (mdb_stat(txn, 0 /* the main tree */, &st) == 0)
		d += st.ms_depth;
	return d + 1; /* a new root */
}

uint64_t
store_sync_put_pages(struct store_env *e, MDB_txn *txn, MDB_dbi dbi, size_t len)
{
	uint64_t pages;

	if (e->flush == NULL)
		return 0;
	/* Each page of the path copied, and split in two at worst. */
	pages = 2 * store_sync_depth(txn, dbi);
	/* A big value lives in overflow pages of its own. */
	if (len > e->psize / 4)
		pages += (len + 2 * sizeof(uint64_t) + e->psize - 1) / e->psize;
	return pages;
}

uint64_t
store_sync_clear_pages(struct store_env *e, MDB_txn *txn, MDB_dbi dbi)
{
	MDB_stat st;
	uint64_t freed = 0;

	if (e->flush == NULL)
		return 0;
	if (mdb_stat(txn, dbi, &st) == 0)
		freed = st.ms_branch_pages + st.ms_leaf_pages +
			st.ms_overflow_pages;
	/* The freed pages' numbers go to the free DB at commit. */
	return 2 * store_sync_depth(txn, dbi) +
	       (freed * sizeof(uint64_t) + e->psize - 1) / e->psize;
}

/*
 * Make sure the file has blocks up to need (bytes from its start), past
 * its end if need be, a step further when there is room for it. 0 or a
 * negative errno.
 */
static int
store_sync_allocate(struct store_env *e, uint64_t end, uint64_t need)
{
	uint64_t from = e->reserved > end ? e->reserved : end;
	uint64_t want = need + (uint64_t)STORE_RESERVE_STEP * e->psize;
	int fd, mrc;

	if (need <= e->reserved)
		return 0;
	if ((mrc = mdb_env_get_fd(e->env, &fd)) != 0)
		return store_rc(mrc);
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)from,
		      (off_t)(want - from)) != 0) {
		want = need; /* short of the step, exactly what is needed */
		if (fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)from,
			      (off_t)(want - from)) != 0)
			return -errno;
	}
	e->reserved = want;
	return 0;
}

int
store_sync_reserve(struct store_env *e, uint64_t pages)
{
	MDB_envinfo info;
	uint64_t total, end, need;
	int mrc, rc;

	if (e->flush == NULL || pages == 0)
		return 0;
	if (!e->no_reserve) {
		if ((mrc = mdb_env_info(e->env, &info)) != 0)
			return store_rc(mrc);
		total = e->pass_pages + pages;
		/* Every page written frees one, whose number the commit
		 * records. */
		total += STORE_COMMIT_PAGES +
			 (total * sizeof(uint64_t) + e->psize - 1) / e->psize;
		end = ((uint64_t)info.me_last_pgno + 1) * e->psize;
		need = end + total * e->psize;
		/* LMDB's map is full first: its commit could not save. */
		if (need > info.me_mapsize)
			return -ENOSPC;
		rc = store_sync_allocate(e, end, need);
		if (rc == -EOPNOTSUPP || rc == -ENOSYS) {
			log_warn("store: %s: this filesystem cannot allocate "
				 "ahead; a full disk will end the process "
				 "instead of failing a write",
				 e->file);
			e->no_reserve = true;
		} else if (rc != 0)
			return rc;
	}
	e->pass_pages += pages;
	return 0;
}

int
store_sync_read_txn(struct store_env *e, MDB_txn **txn, bool *own)
{
	int mrc;

	*own = false;
	/* Not without group commit: a batch is seen once committed. */
	if (e->pass != NULL && e->in_batch && e->batch != NULL) {
		*txn = e->batch;
		return 0;
	}
	if (e->pass != NULL) {
		*txn = e->pass;
		return 0;
	}
	if ((mrc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, txn)) != 0)
		return store_rc(mrc);
	*own = true;
	return 0;
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

	if (e->flush == NULL)
		return;
	if (e->pass != NULL)
		(void)store_sync_commit_pass(e); /* logged */
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
	MDB_stat st;
	int mrc;

	/* In memory: nothing is synced, nothing waits. */
	if (e->tmpdir != NULL || e->flush != NULL)
		return 0;
	CD_ASSERT(!e->in_batch);
	if ((mrc = mdb_env_stat(e->env, &st)) != 0)
		return cd_err_set(err, store_rc(mrc), "store: %s: %s", e->file,
				  mdb_strerror(mrc));
	e->psize = st.ms_psize;
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
