/*
 * store.h: the LMDB store (STYLE B11). One environment per work_dir, with a
 * named database per owner so that master, scheduler and agent, whether in
 * one process or several, never collide. Values are opaque bytes (JSON by
 * convention). Every put/del commits before it returns; store_batch_*
 * groups several writes into one commit. Without group commit a commit
 * is also synced (one fdatasync) before it returns. With it
 * (store_group_commit, --store_sync=group) commits return
 * at once and one sync per loop pass covers them all: then "durable" is
 * what store_durable() says, and whoever tells another process about a
 * write waits on it first. A full disk fails a commit (-ENOSPC) either
 * way, the pass's file space being allocated ahead. A sink
 * (below) may replicate committed batches elsewhere; durability then also
 * means the sink's (lib/zkstore: committed in ZooKeeper). Loop thread only.
 */
#ifndef CLUSTERD_LIB_STORE_H
#define CLUSTERD_LIB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct durable;
struct loop;
struct metrics_out;
struct store;
struct store_batch;

enum store_db {
	STORE_DB_META = 0, /* schema_version and store-wide keys */
	STORE_DB_MASTER,   /* master registry: agents, frameworks */
	STORE_DB_SCHED,	   /* scheduler: apps, versions, tasks, framework id */
	STORE_DB_AGENT,	   /* agent checkpoint: tasks, pending status updates */
	STORE_DB_COUNT
};

enum store_flags {
	STORE_IN_MEMORY = 1
			  << 0, /* a throw-away environment, removed on close */
};

/*
 * Open (creating if needed) the store in dir (created if missing). Checks
 * schema_version. Returns 0 and *out (close with store_close()), or a
 * negative code with err set.
 */
int store_open(const char *dir, int flags, struct store **out,
	       struct cd_err *err);
void store_close(struct store *s);

/*
 * Explain a failed write or commit: fill err (may be NULL) with what rc
 * means, naming the store's directory ("no space left on device in
 * /var/lib/clusterd"), and return the code that says it: -ENOSPC covers
 * a full disk and a full map alike, and LMDB's -EIO for a short write when
 * the filesystem has less than 1 MiB left; otherwise rc.
 */
int store_err(const struct store *s, int rc, struct cd_err *err);

/* Copy the value of key into out (reset first). 0, -ENOENT, or -EIO. */
int store_get(struct store *s, enum store_db db, const char *key,
	      struct buf *out);
/* Write and commit. 0 or a negative code. */
int store_put(struct store *s, enum store_db db, const char *key,
	      const void *val, size_t len);
/* Delete and commit. 0 (also when absent) or a negative code. */
int store_del(struct store *s, enum store_db db, const char *key);

/*
 * Call fn for each key starting with prefix, in key order. key and val are
 * borrowed for the call only. fn returns 0 to continue, non-zero to stop
 * (that value is returned). The callback must not write to the store.
 */
typedef int store_iter_fn(const char *key, const void *val, size_t len,
			  void *arg);
int store_iter(struct store *s, enum store_db db, const char *prefix,
	       store_iter_fn *fn, void *arg);

/* Several writes in one transaction; commit or abort frees the batch. */
struct store_batch *store_batch_begin(struct store *s);
int store_batch_put(struct store_batch *b, enum store_db db, const char *key,
		    const void *val, size_t len);
int store_batch_del(struct store_batch *b, enum store_db db, const char *key);
int store_batch_commit(struct store_batch *b);
void store_batch_abort(struct store_batch *b);
/*
 * Delete every key of db in the batch. Never handed to a sink: for
 * replacing a cache wholesale (lib/zkstore's load, with its sink removed).
 */
int store_batch_clear(struct store_batch *b, enum store_db db);

/*
 * Sink: a replica of some databases (lib/zkstore). Every committed batch
 * that changed one of them is handed to commit(), after the LMDB commit
 * and before store_batch_commit()/store_put()/store_del() return, with a
 * sequence number 1, 2, ... of this store handle (store_seq()). Changes
 * come in the order they were made; a delete of an absent key is left
 * out. check(), when set, may refuse a put before it is written (its
 * negative code fails the batch, as any put error does).
 */
struct store_change {
	enum store_db db;
	const char *key; /* borrowed for the call */
	const void *val; /* borrowed for the call; NULL for a delete */
	size_t len;
	bool existed; /* the key was present just before this change */
};
typedef int store_check_fn(enum store_db db, const char *key, const void *val,
			   size_t len, void *arg);
typedef void store_commit_fn(uint64_t seq, const struct store_change *c,
			     size_t n, void *arg);
struct store_sink {
	unsigned dbs;	       /* 1 << enum store_db of each database it sees */
	store_check_fn *check; /* optional */
	store_commit_fn *commit;
	void *arg; /* borrowed: the sink's */
};
/* Attach a sink (copied) to this handle, or remove it (NULL). */
void store_set_sink(struct store *s, const struct store_sink *sink);
/*
 * Timing: fn(arg, seconds) after each LMDB commit made through this
 * handle (the write transaction and its fsync), for metrics (lib/metrics'
 * metrics_store_commit); fn NULL removes it. arg is borrowed.
 */
typedef void store_timing_fn(void *arg, double secs);
void store_set_timing(struct store *s, store_timing_fn *fn, void *arg);
/* The sequence number of the last batch handed to the sink; 0 before. */
uint64_t store_seq(const struct store *s);

/*
 * Group commit (store_sync.c): from now on the batches on the environment
 * of s (every handle on it) are nested in one write transaction per pass
 * of l, committed (and synced) at the end of the pass when something was
 * written; a failed pass commit ends the process (store_sync.c). Until a write
 * is synced, store_durable()'s pending() names it, and answers about it must
 * wait (lib/durable.h). A no-op for STORE_IN_MEMORY (nothing is ever synced
 * there: pending() is always 0) and when already on. 0 or a negative code with
 * err set.
 */
int store_group_commit(struct store *s, struct loop *l, struct cd_err *err);
/*
 * The durable interface of the environment (valid while s is open):
 * pending() is the last commit when it is not synced yet, else 0.
 */
const struct durable *store_durable(struct store *s);
/* Counters of the environment, for metrics and tests. */
struct store_sync_stats {
	uint64_t commits; /* commits that wrote something */
	uint64_t syncs;	  /* fdatasyncs of the data file (LMDB's or ours) */
	uint64_t pending; /* commits not synced yet */
};
void store_sync_stats(const struct store *s, struct store_sync_stats *out);
/* A metrics collector (lib/metrics) of those counters; arg: the store. */
void store_metrics(void *arg, struct metrics_out *o);

#endif
