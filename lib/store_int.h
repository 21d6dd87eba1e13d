/*
 * store_int.h: what store.c (the LMDB environment, batches, reads),
 * store_schema.c (the schema version and migrations) and store_sync.c
 * (group commit: the pass's transaction and the durable interface) share.
 * Only those files include it (STYLE B3). Loop thread only.
 */
#ifndef CLUSTERD_LIB_STORE_INT_H
#define CLUSTERD_LIB_STORE_INT_H

#include <sys/queue.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <lmdb.h>

#include "durable.h"
#include "store.h"

struct loop;
struct loop_timer;

/* A caller of the durable interface waiting until seq is on disk. */
struct store_waiter {
	uint64_t seq;
	durable_done_fn *fn;
	void *arg; /* borrowed: the waiter's */
	TAILQ_ENTRY(store_waiter) link;
};
TAILQ_HEAD(store_waiters, store_waiter);

/* One open LMDB environment, shared by every store_open() of its file. */
struct store_env {
	char *file;   /* owned: "<dir>/clusterd.lmdb" (real path) */
	char *tmpdir; /* owned: STORE_IN_MEMORY directory, or NULL */
	MDB_env *env; /* owned */
	MDB_dbi dbi[STORE_DB_COUNT];
	int refs;
	bool in_batch;		/* a write transaction is open */
	MDB_txn *batch;		/* borrowed: the open batch's, when in_batch */
	struct store_env *next; /* borrowed: store_envs list linkage */
	/*
	 * Group commit (store_sync.c); flush NULL: every commit syncs. With
	 * it, batches are nested transactions of pass, the one write
	 * transaction of the loop pass, which the flush timer commits.
	 */
	struct loop_timer *flush;     /* owned: the commit of this pass */
	MDB_txn *pass;		      /* owned: this pass's, or NULL */
	unsigned pass_batches;	      /* batches begun in it */
	uint64_t pass_pages;	      /* bound on the new pages it adds */
	uint64_t reserved;	      /* bytes of the file allocated ahead */
	size_t psize;		      /* LMDB's page size */
	bool no_reserve;	      /* the filesystem cannot allocate ahead */
	uint64_t committed;	      /* commits that wrote something */
	uint64_t synced;	      /* of those, on disk */
	uint64_t nsyncs;	      /* syncs done by store_sync.c */
	struct store_waiters waiters; /* owned: in seq order */
};

struct store {
	struct store_env *e; /* ref: one of e->refs */
	struct store_sink sink;
	bool has_sink;
	uint64_t seq; /* of the last batch handed to the sink */
	store_timing_fn *timing;
	void *timing_arg;   /* borrowed: store_set_timing()'s */
	struct durable dur; /* ctx: e */
};

/*
 * The parent of a new batch's transaction: with group commit the pass's
 * (begun when there is none), else NULL. 0 or a negative errno.
 */
int store_sync_parent(struct store_env *e, MDB_txn **parent);
/*
 * The transaction a read uses: with group commit, the open batch's or the
 * pass's, whose writes are not on disk yet (*own false: the read sees the
 * loop's own writes, a batch's before it commits); else a new read-only
 * one (*own true: the caller aborts it). 0 or a negative errno.
 */
int store_sync_read_txn(struct store_env *e, MDB_txn **txn, bool *own);
/* LMDB's code as a negative errno (MDB_NOTFOUND is -ENOENT, ...). */
static inline int
store_rc(int mrc)
{
	switch (mrc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_MAP_FULL:
		return -ENOSPC;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_BAD_VALSIZE:
		return -EINVAL;
	default:
		return mrc > 0 ? -mrc : -EIO;
	}
}
/*
 * store_schema.c: check schema_version in txn: write it when absent,
 * migrate an older store one step at a time, refuse a newer or unreadable
 * one. 0 or a negative code with err set.
 */
int store_schema(struct store_env *e, MDB_txn *txn, struct cd_err *err);
/*
 * With group commit, a bound on the new pages a write adds to the pass:
 * a put of klen + vlen bytes, or a delete (vlen 0), in db; and a clear of
 * db (before it runs). 0 without group commit.
 */
uint64_t store_sync_put_pages(struct store_env *e, MDB_txn *txn, MDB_dbi dbi,
			      size_t len);
uint64_t store_sync_clear_pages(struct store_env *e, MDB_txn *txn, MDB_dbi dbi);
/*
 * With group commit, before a batch that adds up to pages new pages
 * commits into the pass: allocate the file ahead far enough for the
 * pass's commit to write them all, so that a full disk fails this batch
 * (-ENOSPC), not the pass. 0, or a negative errno and nothing changed.
 */
int store_sync_reserve(struct store_env *e, uint64_t pages);
/* A batch that wrote something was committed (LMDB said yes). */
void store_sync_committed(struct store_env *e);
/* The environment closes: sync what is pending, drop the waiters. */
void store_sync_close(struct store_env *e);

#endif
