/*
 * zkstore_load.c: owns one load of lib/zkstore's replicated state: the
 * queue of bucket listings and record reads, the records read so far, and
 * the contexts of the ZooKeeper operations in flight. Loop thread only.
 *
 * Steps: read <root>/state (the format; when missing, create the whole
 * layout in one multi-op fenced by the leader's election znode, so a layout
 * that exists is complete) -> sync, so that a server lagging behind the
 * ensemble's leader cannot hand us state older than the last commit ->
 * read the commit marker's version -> list every bucket and read every
 * record, at most ZKSTORE_LOAD_WINDOW operations in flight, all on the
 * loop. The records go back to zkstore.c, which replaces the cache with
 * them in one LMDB commit.
 *
 * Each operation in flight has its own context (a bucket or a record), so
 * that its answer says what it was for; freeing the load forgets them.
 */
#include "zkstore_load.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "xalloc.h"
#include "zk.h"
#include "zk_multi.h"
#include "zkstore_codec.h"

#define LOG_MOD "zkstore"
#include "log.h"

#define ZKSTORE_LOAD_MAGIC 0x2c5e10adu
#define ZKSTORE_LOAD_WINDOW 256

/* One operation's context: a bucket to list or a record to read. */
struct zl_op {
	struct zkstore_load *ld; /* borrowed: the owner */
	int db;
	unsigned bucket;
	char *key;  /* owned: a record's key, or NULL for a listing */
	char *path; /* owned */
	bool inflight;
};

struct zkstore_load {
	unsigned magic;
	struct zk *zk; /* borrowed */
	char *root;    /* owned */
	char *state_path;
	char *seq_path;
	const char *const *dbs; /* borrowed: zkstore.c's static names */
	size_t ndbs;
	char *fence_path; /* owned */
	int fence_version;
	zkstore_load_fn *fn;
	void *arg;		  /* borrowed: the owner's */
	struct loop_timer *start; /* owned: starts it from the loop */
	int32_t marker_version;
	bool ended;
	struct zl_op **ops; /* owned: every listing and read */
	size_t nops, ops_cap;
	size_t next;		       /* the next op to start */
	size_t inflight;	       /* ops started, not answered */
	struct zkstore_load_rec *recs; /* owned */
	size_t nrecs, recs_cap;
};

static void zl_pump(struct zkstore_load *ld);

static void
zl_end(struct zkstore_load *ld, int rc, const char *why)
{
	size_t i;

	if (ld->ended)
		return;
	ld->ended = true;
	for (i = 0; i < ld->nops; i++) {
		if (ld->ops[i]->inflight)
			zk_forget(ld->zk, ld->ops[i]);
	}
	zk_forget(ld->zk, ld);
	ld->fn(ld, rc, why, ld->recs, ld->nrecs, ld->marker_version, ld->arg);
}

static void
zl_fail(struct zkstore_load *ld, int rc, const char *what, const char *path)
{
	char why[256];
	int n;

	n = snprintf(why, sizeof why, "%s %s: %s", what, path, strerror(-rc));
	if (n < 0 || (size_t)n >= sizeof why)
		why[sizeof why - 1] = '\0';
	zl_end(ld, rc, why);
}

static struct zl_op *
zl_add(struct zkstore_load *ld, int db, unsigned bucket, char *key_take,
       char *path_take)
{
	struct zl_op *op = xcalloc(1, sizeof *op);

	op->ld = ld;
	op->db = db;
	op->bucket = bucket;
	op->key = key_take;
	op->path = path_take;
	XGROW(ld->ops, ld->nops + 1, ld->ops_cap);
	ld->ops[ld->nops++] = op;
	return op;
}

static void
zl_got(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct zl_op *op = arg;
	struct zkstore_load *ld = op->ld;
	struct zkstore_load_rec *rec;

	(void)zk;
	op->inflight = false;
	ld->inflight--;
	if (r->rc == -ENOENT) {
		/* Deleted since the listing: not ours to load. */
	} else if (r->rc != 0) {
		zl_fail(ld, r->rc, "reading", op->path);
		return;
	} else {
		XGROW(ld->recs, ld->nrecs + 1, ld->recs_cap);
		rec = &ld->recs[ld->nrecs];
		memset(rec, 0, sizeof *rec);
		if (zkstore_codec_decode(r->data, r->len, &rec->val) != 0) {
			buf_release(&rec->val);
			zl_fail(ld, -EBADMSG, "decoding", op->path);
			return;
		}
		rec->db = op->db;
		rec->key = op->key;
		op->key = NULL;
		ld->nrecs++;
	}
	zl_pump(ld);
}

static void
zl_listed(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct zl_op *op = arg;
	struct zkstore_load *ld = op->ld;
	char *key;
	size_t i;

	(void)zk;
	op->inflight = false;
	ld->inflight--;
	if (r->rc != 0) {
		zl_fail(ld, r->rc, "listing", op->path);
		return;
	}
	for (i = 0; i < r->nchildren; i++) {
		if (zkstore_codec_unescape(r->children[i], &key) != 0 ||
		    zkstore_codec_bucket(key) != op->bucket) {
			log_warn("ignoring %s/%s: not a record name of this "
				 "bucket",
				 op->path, r->children[i]);
			free(key);
			continue;
		}
		zl_add(ld, op->db, op->bucket, key,
		       xasprintf("%s/%s", op->path, r->children[i]));
	}
	zl_pump(ld);
}

static void
zl_pump(struct zkstore_load *ld)
{
	struct zl_op *op;
	int rc;

	while (ld->inflight < ZKSTORE_LOAD_WINDOW && ld->next < ld->nops) {
		op = ld->ops[ld->next++];
		if (op->key != NULL)
			rc = zk_get(ld->zk, op->path, NULL, NULL, zl_got, op);
		else
			rc = zk_get_children(ld->zk, op->path, NULL, NULL,
					     zl_listed, op);
		if (rc != 0) {
			zl_fail(ld, rc, "reading", op->path);
			return;
		}
		op->inflight = true;
		ld->inflight++;
	}
	if (ld->inflight == 0 && ld->next == ld->nops)
		zl_end(ld, 0, NULL);
}

static void
zl_marker(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct zkstore_load *ld = arg;
	size_t d;
	unsigned b;

	(void)zk;
	if (r->rc != 0) {
		zl_fail(ld, r->rc, "reading", ld->seq_path);
		return;
	}
	ld->marker_version = r->stat->version;
	for (d = 0; d < ld->ndbs; d++) {
		for (b = 0; b < ZKSTORE_BUCKETS; b++)
			zl_add(
			    ld, (int)d, b, NULL,
			    zkstore_codec_bucket_path(ld->root, ld->dbs[d], b));
	}
	zl_pump(ld);
}

static void
zl_synced(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct zkstore_load *ld = arg;
	int rc;

	if (r->rc != 0) {
		zl_fail(ld, r->rc, "syncing", ld->root);
		return;
	}
	rc = zk_get(zk, ld->seq_path, NULL, NULL, zl_marker, ld);
	if (rc != 0)
		zl_fail(ld, rc, "reading", ld->seq_path);
}

static void zl_start(struct zkstore_load *ld);

static void
zl_created(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct zkstore_load *ld = arg;

	(void)zk;
	if (r->rc == 0 || r->rc == -EEXIST) {
		/* EEXIST: another leader made it first; read it. */
		if (r->rc == 0)
			log_info("created the state layout under %s",
				 ld->state_path);
		zl_start(ld);
		return;
	}
	zl_fail(ld, r->rc, "creating", ld->state_path);
}

/* The whole layout, in one fenced multi-op: it exists whole or not at all. */
static void
zl_create_layout(struct zkstore_load *ld)
{
	struct zk_multi *m = zk_multi_new();
	size_t d;
	unsigned b;
	char *p;
	int rc;

	zk_multi_check(m, ld->fence_path, ld->fence_version);
	zk_multi_create(m, ld->state_path, ZKSTORE_FORMAT,
			strlen(ZKSTORE_FORMAT), 0);
	zk_multi_create(m, ld->seq_path, "0", 1, 0);
	for (d = 0; d < ld->ndbs; d++) {
		p = xasprintf("%s/%s", ld->state_path, ld->dbs[d]);
		zk_multi_create(m, p, "", 0, 0);
		free(p);
		for (b = 0; b < ZKSTORE_BUCKETS; b++) {
			p = zkstore_codec_bucket_path(ld->root, ld->dbs[d], b);
			zk_multi_create(m, p, "", 0, 0);
			free(p);
		}
	}
	rc = zk_multi_submit(ld->zk, m, zl_created, ld);
	if (rc != 0)
		zl_fail(ld, rc, "creating", ld->state_path);
}

static void
zl_format(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct zkstore_load *ld = arg;
	int rc;

	if (r->rc == -ENOENT) {
		zl_create_layout(ld);
		return;
	}
	if (r->rc != 0) {
		zl_fail(ld, r->rc, "reading", ld->state_path);
		return;
	}
	if (r->len != strlen(ZKSTORE_FORMAT) ||
	    memcmp(r->data, ZKSTORE_FORMAT, r->len) != 0) {
		zl_end(ld, -EPROTO,
		       "the state in ZooKeeper has a format this clusterd "
		       "does not read");
		return;
	}
	rc = zk_sync(zk, ld->root, zl_synced, ld);
	if (rc != 0)
		zl_fail(ld, rc, "syncing", ld->root);
}

static void
zl_start(struct zkstore_load *ld)
{
	int rc = zk_get(ld->zk, ld->state_path, NULL, NULL, zl_format, ld);

	if (rc != 0)
		zl_fail(ld, rc, "reading", ld->state_path);
}

static void
zl_start_cb(void *arg)
{
	struct zkstore_load *ld = arg;

	CD_CHECK_OBJ(ld, ZKSTORE_LOAD_MAGIC);
	zl_start(ld);
}

struct zkstore_load *
zkstore_load_new(struct loop *l, struct zk *zk, const char *root,
		 const char *const *dbs, size_t ndbs, const char *fence_path,
		 int fence_version, zkstore_load_fn *fn, void *arg)
{
	struct zkstore_load *ld;

	CD_ALLOC_OBJ(ld, ZKSTORE_LOAD_MAGIC);
	ld->zk = zk;
	ld->root = xstrdup(root);
	ld->state_path = zkstore_codec_state_path(root);
	ld->seq_path = zkstore_codec_seq_path(root);
	ld->dbs = dbs;
	ld->ndbs = ndbs;
	ld->fence_path = xstrdup(fence_path);
	ld->fence_version = fence_version;
	ld->fn = fn;
	ld->arg = arg;
	ld->start = loop_timer_new(l, zl_start_cb, ld);
	loop_timer_add(ld->start, 0);
	return ld;
}

void
zkstore_load_free(struct zkstore_load *ld)
{
	size_t i;

	if (ld == NULL)
		return;
	CD_CHECK_OBJ(ld, ZKSTORE_LOAD_MAGIC);
	for (i = 0; i < ld->nops; i++) {
		if (ld->ops[i]->inflight)
			zk_forget(ld->zk, ld->ops[i]);
		free(ld->ops[i]->key);
		free(ld->ops[i]->path);
		free(ld->ops[i]);
	}
	zk_forget(ld->zk, ld);
	loop_timer_free(ld->start);
	free(ld->ops);
	for (i = 0; i < ld->nrecs; i++) {
		free(ld->recs[i].key);
		buf_release(&ld->recs[i].val);
	}
	free(ld->recs);
	free(ld->root);
	free(ld->state_path);
	free(ld->seq_path);
	free(ld->fence_path);
	CD_FREE_OBJ(ld);
}
