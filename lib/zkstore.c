/*
 * zkstore.c: owns the replication of a store into ZooKeeper: the queue of
 * committed batches not yet durable there, the one multi-op in flight, the
 * commit marker's version, the durability watermark and its waiters, and
 * the load of the state on election (zkstore_load.c). Loop thread only.
 *
 * Layout under the --zk path <root> (format in zkstore_codec.h; the whole
 * layout is created by one multi-op, so it exists whole or not at all):
 *   <root>/state                      {"format":1,"buckets":256}
 *   <root>/state/seq                  the commit marker (see below)
 *   <root>/state/<db>/<bb>/<name>     one znode per record of db "master"
 *                                     or "sched", in bucket bb (two hex
 *                                     digits of FNV-1a(key) % 256); name is
 *                                     the escaped key, data the encoded value
 *
 * One multi-op per flush: check(our election znode) + set(<root>/state/seq,
 * version v) + one create/set/delete per record. The check fences a deposed
 * leader (its ephemeral znode is gone with its session, and never comes
 * back). The marker's version, known since the load and bumped by each of
 * our commits, is what makes an unknown outcome (a connection lost, a
 * timeout) decidable: after a sync, version v+1 means it was applied, v
 * means it was not (send it again), anything else means another writer.
 * The store's sink says for each change whether the key existed, so the
 * cache, which runs ahead of ZooKeeper by exactly the queued batches, tells
 * create from set without asking.
 *
 * Batching: one multi-op in flight at a time; batches committed meanwhile
 * queue and go out together, in order, with the changes of one key merged
 * into one operation, up to ZKSTORE_MULTI_MAX bytes (ZooKeeper drops a
 * request above jute.maxbuffer, 1 MiB by default, and would drop it again
 * when resent). A single batch larger than that is split over several
 * multi-ops and is then not atomic in ZooKeeper: a leader dying between
 * them leaves part of it (a cache batch that big is a bulk delete of ended
 * tasks or a large import, never an API write).
 *
 * Failure is fail-stop: anything that leaves the cache ahead of ZooKeeper
 * with no way to catch up (fenced, another writer, a lost session, an
 * operation refused) reports ZKSTORE_FAILED once; nothing more is written
 * until the next activation reloads the cache from ZooKeeper.
 */
#include "zkstore.h"

#include <sys/queue.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "idmap.h"
#include "loop.h"
#include "store.h"
#include "xalloc.h"
#include "zk.h"
#include "zk_multi.h"
#include "zkstore_codec.h"
#include "zkstore_load.h"

#define LOG_MOD "zkstore"
#include "log.h"

#define ZKSTORE_MAGIC 0x2c5e5703u
/* Below jute.maxbuffer (1 MiB) with room for the request's framing. */
#define ZKSTORE_MULTI_MAX (900 * 1024)
/* Wire bytes of one record operation beyond its path and data. */
#define ZKSTORE_OP_COST 64

static const char *const zs_dbnames[] = {"master", "sched"};
static const enum store_db zs_dbs[] = {STORE_DB_MASTER, STORE_DB_SCHED};

enum zs_state {
	ZS_IDLE,    /* not the writer */
	ZS_LOADING, /* activated, reading the state */
	ZS_ACTIVE,  /* the writer */
	ZS_FAILED,  /* replication failed: waiting for deactivation */
};

struct zs_rec {
	char *path; /* owned */
	char *data; /* owned: encoded value; NULL for a delete */
	size_t len;
	bool existed; /* before this change */
};

struct zs_batch {
	TAILQ_ENTRY(zs_batch) link;
	uint64_t seq;
	struct zs_rec *recs; /* owned */
	size_t n;
	size_t done;	/* records committed in ZooKeeper */
	size_t sending; /* records after done in the multi-op in flight */
};

struct zs_waiter {
	TAILQ_ENTRY(zs_waiter) link;
	uint64_t seq;
	int rc;
	zkstore_durable_fn *fn;
	void *arg; /* borrowed: the waiter's */
};
TAILQ_HEAD(zs_waiters, zs_waiter);

struct zkstore {
	unsigned magic;
	struct loop *l;	  /* borrowed */
	struct zk *zk;	  /* borrowed */
	struct store *s;  /* borrowed: the cache */
	char *root;	  /* owned */
	char *seq_path;	  /* owned */
	char *fence_path; /* owned: our election znode, while activated */
	int fence_version;
	enum zs_state state;
	int32_t marker_version; /* of <root>/state/seq, our last commit */
	uint64_t durable;	/* highest durable sequence */
	uint64_t floor; /* at or below it, not durable by now: never will be */
	TAILQ_HEAD(, zs_batch) batches; /* owned: not yet durable, in order */
	bool sending;			/* a multi-op is in flight */
	bool verifying; /* its outcome is unknown: ask the marker */
	bool asking;	/* ... and the question is in flight */
	size_t send_ops, send_bytes;
	struct zkstore_load *load; /* owned: while loading */
	uint64_t load_start;
	struct zs_waiters waiters; /* owned: by sequence */
	struct zs_waiters ready;   /* owned: resolved, to be called */
	struct loop_timer *flush;  /* owned: calls the ready ones */
	struct loop_timer *notify; /* owned: reports a failure */
	int failed_rc;
	struct zkstore_stats st;
	zkstore_event_fn *fn;
	void *arg; /* borrowed: the owner's */
};

static void zs_kick(struct zkstore *zs);

/* ---- waiters ---- */

static void
zs_flush_cb(void *arg)
{
	struct zkstore *zs = arg;
	struct zs_waiter *w;

	CD_CHECK_OBJ(zs, ZKSTORE_MAGIC);
	while ((w = TAILQ_FIRST(&zs->ready)) != NULL) {
		TAILQ_REMOVE(&zs->ready, w, link);
		w->fn(w->seq, w->rc, w->arg);
		free(w);
	}
}

static void
zs_ready(struct zkstore *zs, struct zs_waiter *w, int rc)
{
	w->rc = rc;
	TAILQ_INSERT_TAIL(&zs->ready, w, link);
	if (!loop_timer_pending(zs->flush))
		loop_timer_add(zs->flush, 0);
}

/* Resolve the waiters the watermark passed; all of them with rc < 0. */
static void
zs_resolve(struct zkstore *zs, int rc)
{
	struct zs_waiter *w;

	while ((w = TAILQ_FIRST(&zs->waiters)) != NULL &&
	       (rc != 0 || w->seq <= zs->durable)) {
		TAILQ_REMOVE(&zs->waiters, w, link);
		zs_ready(zs, w, rc);
	}
}

/* ---- the queue ---- */

static void
zs_batch_free(struct zs_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->recs[i].path);
		free(b->recs[i].data);
	}
	free(b->recs);
	free(b);
}

/* Stop writing: nothing queued or in flight will become durable. */
static void
zs_stop(struct zkstore *zs, enum zs_state state, int rc)
{
	struct zs_batch *b;

	zs->state = state;
	zk_forget(zs->zk, zs);
	zkstore_load_free(zs->load);
	zs->load = NULL;
	while ((b = TAILQ_FIRST(&zs->batches)) != NULL) {
		TAILQ_REMOVE(&zs->batches, b, link);
		zs_batch_free(b);
	}
	zs->sending = zs->verifying = zs->asking = false;
	zs->floor = store_seq(zs->s);
	zs_resolve(zs, rc);
}

static void
zs_fail(struct zkstore *zs, int rc, const char *why)
{
	if (zs->state != ZS_ACTIVE && zs->state != ZS_LOADING)
		return;
	log_error("replication to ZooKeeper failed: %s; this leader must "
		  "step down",
		  why);
	zs_stop(zs, ZS_FAILED, -EIO);
	/* From the loop: this may run inside the owner's store commit. */
	zs->failed_rc = rc;
	loop_timer_add(zs->notify, 0);
}

static void
zs_notify_cb(void *arg)
{
	struct zkstore *zs = arg;

	CD_CHECK_OBJ(zs, ZKSTORE_MAGIC);
	if (zs->state == ZS_FAILED)
		zs->fn(zs, ZKSTORE_FAILED, zs->failed_rc, zs->arg);
}

/* The multi-op in flight was committed: advance the watermark. */
static void
zs_applied(struct zkstore *zs)
{
	struct zs_batch *b;

	zs->marker_version++;
	zs->st.multis++;
	zs->st.ops += zs->send_ops;
	if (zs->send_ops > zs->st.max_ops)
		zs->st.max_ops = zs->send_ops;
	if (zs->send_bytes > zs->st.max_bytes)
		zs->st.max_bytes = zs->send_bytes;
	while ((b = TAILQ_FIRST(&zs->batches)) != NULL && b->sending > 0) {
		b->done += b->sending;
		b->sending = 0;
		if (b->done < b->n)
			break;
		zs->durable = b->seq;
		TAILQ_REMOVE(&zs->batches, b, link);
		zs_batch_free(b);
	}
	zs_resolve(zs, 0);
	zs_kick(zs);
}

static void zs_ask(struct zkstore *zs);

static void
zs_answered(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct zkstore *zs = arg;
	struct zs_batch *b;

	(void)zk;
	zs->asking = false;
	if (r->rc == -ECONNRESET || r->rc == -ETIMEDOUT) {
		zs_ask(zs); /* now, or when connected again */
		return;
	}
	if (r->rc != 0) {
		zs_fail(zs, r->rc, "cannot read the commit marker");
		return;
	}
	zs->sending = zs->verifying = false;
	if (r->stat->version == zs->marker_version + 1) {
		log_info("the multi-op whose answer was lost was applied");
		zs_applied(zs);
	} else if (r->stat->version == zs->marker_version) {
		log_info("the multi-op whose answer was lost was not applied; "
			 "sending it again");
		TAILQ_FOREACH(b, &zs->batches, link) {
			b->sending = 0;
		}
		zs->st.resent++;
		zs_kick(zs);
	} else {
		zs_fail(zs, -ESTALE, "the commit marker moved: another writer");
	}
}

static void
zs_synced(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct zkstore *zs = arg;
	int rc;

	if (r->rc != 0) {
		zs_answered(zk, r, arg);
		return;
	}
	rc = zk_get(zk, zs->seq_path, NULL, NULL, zs_answered, zs);
	if (rc != 0) {
		zs->asking = false;
		zs_fail(zs, rc, "cannot read the commit marker");
	}
}

/* Was the multi-op in flight applied? Sync, then read the marker. */
static void
zs_ask(struct zkstore *zs)
{
	if (zs->asking || !zk_connected(zs->zk))
		return; /* the next CONNECTED asks */
	if (zk_sync(zs->zk, zs->seq_path, zs_synced, zs) == 0)
		zs->asking = true;
}

static void
zs_sent(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct zkstore *zs = arg;
	char why[256];
	size_t i;
	int n;

	(void)zk;
	if (r->rc == 0) {
		zs->sending = false;
		zs_applied(zs);
		return;
	}
	if (r->rc == -ECONNRESET || r->rc == -ETIMEDOUT) {
		zs->verifying = true;
		zs_ask(zs);
		return;
	}
	for (i = 0; i < r->nops && r->op_rc[i] == 0; i++)
		;
	if (i == 0 && r->nops > 0)
		n = snprintf(why, sizeof why,
			     "fenced: our election znode %s is gone (%s)",
			     zs->fence_path, strerror(-r->op_rc[0]));
	else if (i == 1)
		n = snprintf(why, sizeof why,
			     "the commit marker is not at version %d: another "
			     "writer (%s)",
			     (int)zs->marker_version, strerror(-r->op_rc[1]));
	else
		n = snprintf(why, sizeof why, "multi-op refused (%s)%s",
			     strerror(-r->rc),
			     i < r->nops ? " at a record operation" : "");
	if (n < 0 || (size_t)n >= sizeof why)
		why[sizeof why - 1] = '\0';
	zs_fail(zs, r->rc, why);
}

struct zs_slot {
	const struct zs_rec *first;
	const struct zs_rec *last;
};

/* Add the records of the queued batches that fit to m, merged by key. */
static size_t
zs_collect(struct zkstore *zs, struct zs_slot **slots, size_t *nslots,
	   uint64_t *last_seq)
{
	struct idmap *index = idmap_new();
	struct zs_batch *b;
	struct zs_slot *sl;
	size_t bytes = 0, cap = 0, cost, i, k;
	void *v;

	TAILQ_FOREACH(b, &zs->batches, link) {
		for (i = b->done; i < b->n; i++) {
			cost = ZKSTORE_OP_COST + strlen(b->recs[i].path) +
			       b->recs[i].len;
			if (bytes + cost > ZKSTORE_MULTI_MAX && *nslots > 0)
				break;
			bytes += cost;
			if ((v = idmap_get(index, b->recs[i].path)) != NULL) {
				k = (size_t)(uintptr_t)v - 1;
				(*slots)[k].last = &b->recs[i];
				zs->st.coalesced++;
				continue;
			}
			XGROW(*slots, *nslots + 1, cap);
			sl = &(*slots)[*nslots];
			sl->first = sl->last = &b->recs[i];
			(*nslots)++;
			AZ(idmap_put(index, b->recs[i].path,
				     (void *)(uintptr_t)*nslots));
		}
		b->sending = i - b->done;
		if (b->sending > 0)
			*last_seq = b->seq;
		if (i < b->n) {
			if (b->sending > 0 || b->done > 0)
				zs->st.splits++;
			break;
		}
	}
	idmap_free(index);
	return bytes;
}

static void
zs_kick(struct zkstore *zs)
{
	struct zs_slot *slots = NULL;
	const struct zs_rec *f, *l;
	struct zk_multi *m;
	uint64_t last_seq = 0;
	size_t nslots = 0, i;
	char marker[32];
	int rc, n;

	if (zs->state != ZS_ACTIVE || zs->sending || zs->verifying ||
	    TAILQ_EMPTY(&zs->batches) || !zk_connected(zs->zk))
		return;
	zs_collect(zs, &slots, &nslots, &last_seq);
	m = zk_multi_new();
	zk_multi_check(m, zs->fence_path, zs->fence_version);
	n = snprintf(marker, sizeof marker, "%llu",
		     (unsigned long long)last_seq);
	zk_multi_set(m, zs->seq_path, marker, (size_t)n, zs->marker_version);
	zs->send_ops = 0;
	for (i = 0; i < nslots; i++) {
		f = slots[i].first;
		l = slots[i].last;
		if (f->existed && l->data != NULL)
			zk_multi_set(m, f->path, l->data, l->len, -1);
		else if (f->existed)
			zk_multi_delete(m, f->path, -1);
		else if (l->data != NULL)
			zk_multi_create(m, f->path, l->data, l->len, 0);
		else
			continue; /* created and deleted: nothing to do */
		zs->send_ops++;
	}
	free(slots);
	zs->send_bytes = zk_multi_bytes(m);
	rc = zk_multi_submit(zs->zk, m, zs_sent, zs);
	if (rc != 0) {
		zs_fail(zs, rc, "cannot send a multi-op");
		return;
	}
	zs->sending = true;
}

/* ---- the sink ---- */

static const char *
zs_dbname(enum store_db db)
{
	return db == STORE_DB_MASTER ? zs_dbnames[0] : zs_dbnames[1];
}

static int
zs_check(enum store_db db, const char *key, const void *val, size_t len,
	 void *arg)
{
	struct buf b = BUF_INIT;
	int rc;

	(void)arg;
	if (zkstore_codec_fits(len))
		return 0;
	rc = zkstore_codec_encode(val, len, &b, NULL);
	buf_release(&b);
	if (rc != 0)
		log_warn("refusing %s record %s: %zu bytes do not fit a znode "
			 "(%d KiB at most, compressed)",
			 zs_dbname(db), key, len, ZKSTORE_ZNODE_MAX / 1024);
	return rc;
}

static void
zs_commit(uint64_t seq, const struct store_change *c, size_t n, void *arg)
{
	struct zkstore *zs = arg;
	struct buf enc = BUF_INIT;
	struct zs_batch *b;
	bool z;
	size_t i;

	CD_CHECK_OBJ(zs, ZKSTORE_MAGIC);
	zs->st.batches++;
	if (zs->state != ZS_ACTIVE) {
		log_warn("batch %llu reached the cache while this master is "
			 "not the writer: not replicated",
			 (unsigned long long)seq);
		zs->floor = seq;
		return;
	}
	b = xcalloc(1, sizeof *b);
	b->seq = seq;
	b->recs = xcalloc(n, sizeof *b->recs);
	b->n = n;
	TAILQ_INSERT_TAIL(&zs->batches, b, link);
	for (i = 0; i < n; i++) {
		b->recs[i].path = zkstore_codec_record_path(
		    zs->root, zs_dbname(c[i].db), c[i].key);
		b->recs[i].existed = c[i].existed;
		if (c[i].val == NULL)
			continue;
		if (zkstore_codec_encode(c[i].val, c[i].len, &enc, &z) != 0) {
			buf_release(&enc);
			zs_fail(zs, -EMSGSIZE, "a value too large for a znode");
			return;
		}
		if (z)
			zs->st.compressed++;
		b->recs[i].data = buf_detach(&enc, &b->recs[i].len);
		if (b->recs[i].data == NULL)
			b->recs[i].data = xstrdup("");
	}
	zs_kick(zs);
}

/* ---- activation ---- */

static void
zs_loaded(struct zkstore_load *ld, int rc, const char *why,
	  const struct zkstore_load_rec *recs, size_t n, int32_t marker_version,
	  void *arg)
{
	struct zkstore *zs = arg;
	struct store_batch *b;
	struct store_sink sink = {
	    .dbs = 1u << STORE_DB_MASTER | 1u << STORE_DB_SCHED,
	    .check = zs_check,
	    .commit = zs_commit,
	    .arg = zs,
	};
	size_t i, d;

	CD_CHECK_OBJ(zs, ZKSTORE_MAGIC);
	CD_ASSERT(ld == zs->load);
	if (rc != 0) {
		zs_fail(zs, rc, why); /* frees the load */
		return;
	}
	/* Replace the cache; the sink must not see the reload. */
	store_set_sink(zs->s, NULL);
	b = store_batch_begin(zs->s);
	for (d = 0; d < CD_NELEM(zs_dbs); d++)
		store_batch_clear(b, zs_dbs[d]);
	for (i = 0; i < n; i++)
		store_batch_put(b, zs_dbs[recs[i].db], recs[i].key,
				recs[i].val.data != NULL ? recs[i].val.data
							 : "",
				recs[i].val.len);
	rc = store_batch_commit(b);
	store_set_sink(zs->s, &sink);
	zkstore_load_free(ld); /* and recs with it */
	zs->load = NULL;
	if (rc != 0) {
		zs_fail(zs, rc, "cannot write the loaded state to the cache");
		return;
	}
	zs->marker_version = marker_version;
	zs->durable = zs->floor = store_seq(zs->s);
	zs->state = ZS_ACTIVE;
	zs->st.loaded = n;
	zs->st.load_ms = loop_now_ms(zs->l) - zs->load_start;
	log_info("loaded %zu records from ZooKeeper in %llu ms", n,
		 (unsigned long long)zs->st.load_ms);
	zs->fn(zs, ZKSTORE_READY, 0, zs->arg);
}

int
zkstore_activate(struct zkstore *zs, const char *fence_path, int fence_version)
{
	CD_CHECK_OBJ(zs, ZKSTORE_MAGIC);
	if (zs->state == ZS_LOADING || zs->state == ZS_ACTIVE)
		return -EBUSY;
	zs_stop(zs, ZS_LOADING, -ENOTCONN);
	loop_timer_del(zs->notify);
	free(zs->fence_path);
	zs->fence_path = xstrdup(fence_path);
	zs->fence_version = fence_version;
	zs->load_start = loop_now_ms(zs->l);
	zs->load = zkstore_load_new(zs->l, zs->zk, zs->root, zs_dbnames,
				    CD_NELEM(zs_dbnames), fence_path,
				    fence_version, zs_loaded, zs);
	return 0;
}

void
zkstore_deactivate(struct zkstore *zs)
{
	CD_CHECK_OBJ(zs, ZKSTORE_MAGIC);
	if (zs->state != ZS_IDLE)
		log_info("no longer the writer of the state in ZooKeeper");
	zs_stop(zs, ZS_IDLE, -ENOTCONN);
}

static void
zs_session(struct zk *zk, enum zk_session_event ev, bool new_session, void *arg)
{
	struct zkstore *zs = arg;

	(void)zk;
	(void)new_session;
	CD_CHECK_OBJ(zs, ZKSTORE_MAGIC);
	if (ev == ZK_SESSION_CONNECTED) {
		if (zs->verifying)
			zs_ask(zs);
		else
			zs_kick(zs);
	} else if (ev == ZK_SESSION_LOST) {
		zs_fail(zs, -ENOTCONN, "the ZooKeeper session was lost");
	}
}

struct zkstore *
zkstore_new(struct loop *l, struct zk *zk, struct store *s, const char *root,
	    zkstore_event_fn *fn, void *arg)
{
	struct zkstore *zs;
	struct store_sink sink = {
	    .dbs = 1u << STORE_DB_MASTER | 1u << STORE_DB_SCHED,
	    .check = zs_check,
	    .commit = zs_commit,
	};

	CD_ALLOC_OBJ(zs, ZKSTORE_MAGIC);
	zs->l = l;
	zs->zk = zk;
	zs->s = s;
	zs->root = xstrdup(root);
	zs->seq_path = zkstore_codec_seq_path(root);
	zs->fn = fn;
	zs->arg = arg;
	zs->durable = zs->floor = store_seq(s);
	TAILQ_INIT(&zs->batches);
	TAILQ_INIT(&zs->waiters);
	TAILQ_INIT(&zs->ready);
	zs->flush = loop_timer_new(l, zs_flush_cb, zs);
	zs->notify = loop_timer_new(l, zs_notify_cb, zs);
	sink.arg = zs;
	store_set_sink(s, &sink);
	zk_listen(zk, zs_session, zs);
	return zs;
}

static void
zs_free_waiters(struct zs_waiters *list, void *arg, bool all)
{
	struct zs_waiter *w, *next;

	for (w = TAILQ_FIRST(list); w != NULL; w = next) {
		next = TAILQ_NEXT(w, link);
		if (all || w->arg == arg) {
			TAILQ_REMOVE(list, w, link);
			free(w);
		}
	}
}

void
zkstore_free(struct zkstore *zs)
{
	if (zs == NULL)
		return;
	CD_CHECK_OBJ(zs, ZKSTORE_MAGIC);
	store_set_sink(zs->s, NULL);
	zk_unlisten(zs->zk, zs);
	zs_stop(zs, ZS_IDLE, -ENOTCONN);
	zs_free_waiters(&zs->waiters, NULL, true);
	zs_free_waiters(&zs->ready, NULL, true);
	loop_timer_free(zs->flush);
	loop_timer_free(zs->notify);
	free(zs->root);
	free(zs->seq_path);
	free(zs->fence_path);
	CD_FREE_OBJ(zs);
}

int
zkstore_wait(struct zkstore *zs, uint64_t seq, zkstore_durable_fn *fn,
	     void *arg)
{
	struct zs_waiter *w, *at;

	CD_CHECK_OBJ(zs, ZKSTORE_MAGIC);
	if (seq > store_seq(zs->s))
		return -EINVAL;
	w = xcalloc(1, sizeof *w);
	w->seq = seq;
	w->fn = fn;
	w->arg = arg;
	if (seq <= zs->durable) {
		zs_ready(zs, w, 0);
	} else if (seq <= zs->floor) {
		zs_ready(zs, w, -EIO);
	} else if (zs->state != ZS_ACTIVE) {
		zs_ready(zs, w, -ENOTCONN);
	} else {
		/* By sequence: callers mostly come in order. */
		at = TAILQ_LAST(&zs->waiters, zs_waiters);
		while (at != NULL && at->seq > seq)
			at = TAILQ_PREV(at, zs_waiters, link);
		if (at == NULL)
			TAILQ_INSERT_HEAD(&zs->waiters, w, link);
		else
			TAILQ_INSERT_AFTER(&zs->waiters, at, w, link);
	}
	return 0;
}

uint64_t
zkstore_durable(const struct zkstore *zs)
{
	return zs->durable;
}

void
zkstore_forget(struct zkstore *zs, void *arg)
{
	zs_free_waiters(&zs->waiters, arg, false);
	zs_free_waiters(&zs->ready, arg, false);
}

void
zkstore_stats(const struct zkstore *zs, struct zkstore_stats *out)
{
	*out = zs->st;
}
