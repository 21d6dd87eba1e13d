/*
 * zkstore.h: a lib/store replicated in ZooKeeper (--registry=zk, SPEC 7).
 *
 * The master's store becomes a cache (a private LMDB, STORE_IN_MEMORY) that
 * every read goes to, synchronously, as in LMDB mode. A zkstore attaches a
 * sink to it (store.h) for the master and sched databases, so every
 * committed batch is also written to ZooKeeper as one fenced multi-op:
 * a check of the leader's own election znode (a deposed leader whose
 * session is gone can never write), a versioned set of a commit marker, and
 * one create, set or delete per record. Batches that queue up while a
 * multi-op is in flight go out together in the next one (within ZooKeeper's
 * 1 MiB request limit), in order. Each batch's sequence number
 * (store_seq()) becomes durable when ZooKeeper has committed it; owners
 * wait for that before answering (zkstore_wait).
 *
 * Lifecycle: zkstore_new() while a standby; zkstore_activate() on election
 * loads every record from ZooKeeper into the cache (replacing what it held)
 * and reports ZKSTORE_READY; zkstore_deactivate() on deposition. If
 * replication fails (fenced, lost session, an answer that cannot be
 * explained) it reports ZKSTORE_FAILED once: the cache may then hold writes
 * ZooKeeper does not, so the owner must step down; the next activation
 * reloads. Loop thread only.
 */
#ifndef CLUSTERD_LIB_ZKSTORE_H
#define CLUSTERD_LIB_ZKSTORE_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct store;
struct zk;
struct zkstore;

enum zkstore_event {
	ZKSTORE_READY,	/* loaded: the cache is ZooKeeper's state; writes go */
	ZKSTORE_FAILED, /* replication failed (rc says why): step down */
};

typedef void zkstore_event_fn(struct zkstore *zs, enum zkstore_event ev, int rc,
			      void *arg);
/* rc: 0 when seq is durable, else why it never will be. */
typedef void zkstore_durable_fn(uint64_t seq, int rc, void *arg);

struct zkstore_stats {
	uint64_t batches;    /* committed batches handed over */
	uint64_t multis;     /* multi-ops committed by ZooKeeper */
	uint64_t ops;	     /* record operations in them */
	uint64_t coalesced;  /* changes merged into a later one of the key */
	uint64_t splits;     /* batches too big for one multi-op */
	uint64_t resent;     /* multi-ops sent again after an unknown outcome */
	uint64_t compressed; /* values stored compressed */
	size_t max_ops;	     /* most record operations in one multi-op */
	size_t max_bytes;    /* largest multi-op request, bytes */
	uint64_t loaded;     /* records read by the last load */
	uint64_t load_ms;    /* how long it took */
};

/*
 * Replicate s under <root>/state (root: the --zk path). Attaches the sink
 * at once; until activated, a batch that reaches it is not replicated (and
 * waiting for it fails). fn(arg) hears the events.
 */
struct zkstore *zkstore_new(struct loop *l, struct zk *zk, struct store *s,
			    const char *root, zkstore_event_fn *fn, void *arg);
/* Detach the sink and free; no callback runs afterwards. */
void zkstore_free(struct zkstore *zs);

/*
 * Become the writer (on election): fence every write with a check of the
 * election znode fence_path at fence_version (leader_elect_fence()), load
 * the state into the cache, then report ZKSTORE_READY (or FAILED). Creates
 * the layout on first use. Returns 0, or -EBUSY when already active.
 */
int zkstore_activate(struct zkstore *zs, const char *fence_path,
		     int fence_version);
/* Stop writing (on deposition): what is not durable never will be. */
void zkstore_deactivate(struct zkstore *zs);

/*
 * Call fn(seq, rc, arg) on the loop once seq (a store_seq() of the cache,
 * taken right after its commit) is durable in ZooKeeper (rc 0) or never
 * will be (rc < 0: -ENOTCONN when not active, -EIO when replication
 * failed). Returns 0, or -EINVAL when seq was never committed.
 */
int zkstore_wait(struct zkstore *zs, uint64_t seq, zkstore_durable_fn *fn,
		 void *arg);
/* The highest durable sequence number. */
uint64_t zkstore_durable(const struct zkstore *zs);
/* No callback for arg any more (waiters with arg are dropped). */
void zkstore_forget(struct zkstore *zs, void *arg);
void zkstore_stats(const struct zkstore *zs, struct zkstore_stats *out);

#endif
