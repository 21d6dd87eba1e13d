/*
 * store.c: the LMDB store. Owns the LMDB environment of a work_dir and its
 * named databases. Loop thread only (STYLE B8/B11: short synchronous write
 * transactions and their fsync are the one accepted blocking call).
 *
 * Ordering (nothing acknowledged is lost): a commit is visible to reads
 * at once, but with group commit (store_sync.c, --store_sync=group) a
 * batch is a transaction nested in the pass's, on disk only when the
 * pass's transaction commits at the end of the loop pass. Anything that
 * tells another process about a write (an httpd answer through
 * httpd_set_durable, an event, an agent's status update) first asks
 * store_durable()'s pending() and, when it is not 0, waits for that
 * sequence number. Reads then go through the pass's transaction (or the
 * open batch's), to see what the loop wrote; otherwise a read-only
 * transaction of their own (MDB_NOTLS lets one coexist with a batch).
 *
 * On disk: one environment in "<dir>/clusterd.lmdb" opened with
 * MDB_NOSUBDIR, so the directory holds exactly clusterd.lmdb and
 * clusterd.lmdb-lock. Map size 1 GiB (sparse). Several processes (a master
 * and an agent sharing a work_dir) may open it at once: LMDB's lock file
 * arbitrates (never MDB_NOLOCK). Within one process LMDB forbids opening
 * the same file twice, so store_open() shares one environment per file
 * through a reference-counted list (the module's only global).
 * MDB_NOTLS lets a read transaction coexist with an open batch.
 *
 * Key layout registry: every key family of every database, its owner, and
 * the schema version (keys are ASCII strings stored without a NUL; values
 * are JSON unless said otherwise). This is the one list: a module that
 * writes a new family adds it here. A change to an existing family's key or
 * value format bumps STORE_SCHEMA_VERSION and adds a step to
 * store_migrations[] in store_schema.c (with a test in
 * tests/unit/test_store.c) that turns the previous version into the new
 * one in the transaction that opens it.
 *   meta (lib/store):
 *     "schema_version"          STORE_SCHEMA_VERSION (ASCII decimal),
 *                               written when absent; an older one is
 *                               migrated, a newer one refused
 *   master (master/):
 *     "master_id"               this master's id (ASCII; master.c)
 *     "next_agent_seq"          next agent sequence number (ASCII decimal;
 *                               master_agents.c)
 *     "agent/<agent_id>"        agent registration: info, resources,
 *                               attributes, state (master_agents.c)
 *     "framework/<fw_id>"       framework registration (master.c)
 *     "task/<task_id>"          a task the master launched and has not
 *                               seen end: framework, agent, state
 *                               (master_tasks.c; deleted once terminal)
 *   sched (scheduler/core/):
 *     "framework_id"            the scheduler's framework id (ASCII;
 *                               sched_repo.c)
 *     "app/<app_id>"            current Marathon AppDefinition (sched_repo)
 *     "appver/<app_id>/<ver>"   an AppDefinition version, ver ISO-8601; the
 *                               newest SCHED_REPO_MAX_VERSIONS are kept
 *     "appcfg/<app_id>"         the app's config version (ASCII ISO-8601,
 *                               sched_repo.c); optional: a store without
 *                               it has it recomputed from the versions
 *     "group/<group_id>"        an explicit group {"id", "dependencies",
 *                               "version"} (sched_repo.c)
 *     "groupver/<gid>/<ver>"    a group as it was after a /v2/groups change,
 *                               "" as the root's gid (sched_repo.c)
 *     "deploy/<deployment_id>"  a running deployment: plan, current step,
 *                               the apps before it (sched_deploy.c)
 *     "task/<task_id>"          a task as the scheduler tracks it
 *                               (sched_tracker.c)
 *     "subscription/<url>"      an event callback, {"callbackUrl"}; url is
 *                               percent-encoded (sched_events.c)
 *   agent (agent/):
 *     "agent_id"                the id the master gave this agent (ASCII)
 *     "task/<task_id>"          a task and its containerizer checkpoint
 *     "update/<task_id>"        a status update not yet acknowledged
 *
 * Schema versions:
 *   1  the first layout.
 *   2  the registry above. The families deploy/, group/, groupver/ (sched)
 *      and task/ (master) were added while version 1 stood; each is
 *      optional, so a version 1 store is a valid version 2 store and the
 *      migration only records the new number.
 *
 * Reads copy values into the caller's buf before the read transaction
 * ends (B11); store_iter() hands out borrowed pointers for one callback.
 *
 * STORE_IN_MEMORY makes a mkdtemp directory under $TMPDIR (or /tmp), opens
 * it with MDB_NOSYNC, and removes the files and the directory on close.
 *
 * Replication (--registry=zk): a store handle may carry a sink
 * (store_set_sink), which gets every committed batch of the databases it
 * asked for, with a per-handle sequence number. lib/zkstore mirrors the
 * master and sched databases in ZooKeeper that way, one znode per key:
 *   <zk path>/state/<db>/<bucket>/<escaped key>
 * (layout, value encoding and its format number in lib/zkstore.c); the
 * LMDB layout above is unchanged, and the store is then a cache that
 * zkstore reloads from ZooKeeper on election. Without a sink a batch
 * records nothing beyond what LMDB does.
 */
#include "store.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "fault.h"
#include "store_int.h"
#include "xalloc.h"

#define STORE_FILE "clusterd.lmdb"
#define STORE_MAP_SIZE ((size_t)1 << 30)
/* Free space below which a failed write is put down to a full disk. */
#define STORE_LOW_SPACE (1024ULL * 1024)

static const char *const store_db_names[STORE_DB_COUNT] = {
    "meta",
    "master",
    "sched",
    "agent",
};

/* A change recorded for the sink while the batch is open. */
struct store_rec {
	enum store_db db;
	char *key; /* owned */
	char *val; /* owned; NULL for a delete */
	size_t len;
	bool existed;
};

struct store_batch {
	struct store_env *e; /* borrowed: from the store, valid until commit */
	struct store *s;     /* borrowed: the handle it was begun on */
	MDB_txn *txn;	     /* owned; NULL when begin failed */
	int rc;		     /* first error; commit then aborts */
	bool dirty;	     /* a put, delete or clear succeeded */
	uint64_t pages;	     /* group commit: bound on the new pages */
	struct store_rec *recs; /* owned: for the sink, in order */
	size_t nrecs, recs_cap;
};

/* Environments open in this process, to honour LMDB's one-open rule. */
static struct store_env *store_envs;

static int
store_mkdir_p(const char *dir)
{
	char *p = xstrdup(dir), *s;
	char c;
	int rc = 0;

	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST) {
			rc = -errno;
			goto out;
		}
		*s = c;
		if (c == '\0')
			break;
	}
out:
	free(p);
	return rc;
}

static void
store_env_free(struct store_env *e)
{
	char *lock;

	store_sync_close(e);
	if (e->env != NULL)
		mdb_env_close(e->env);
	if (e->tmpdir != NULL) {
		if (e->file != NULL) {
			lock = xasprintf("%s-lock", e->file);
			(void)unlink(e->file);
			(void)unlink(lock);
			free(lock);
		}
		(void)rmdir(e->tmpdir);
	}
	free(e->file);
	free(e->tmpdir);
	free(e);
}

/*
 * One schema migration: turn a store of version from into version from + 1
 * inside txn. Returns 0 or an LMDB code.
 */
/* Open the DBIs and check, migrate or write schema_version. */
static int
store_env_init(struct store_env *e, struct cd_err *err)
{
	MDB_txn *txn = NULL;
	int i, mrc, rc = 0;

	if ((mrc = mdb_txn_begin(e->env, NULL, 0, &txn)) != 0) {
		rc = cd_err_set(err, store_rc(mrc), "store: %s: %s", e->file,
				mdb_strerror(mrc));
		goto out;
	}
	for (i = 0; i < STORE_DB_COUNT; i++) {
		mrc = mdb_dbi_open(txn, store_db_names[i], MDB_CREATE,
				   &e->dbi[i]);
		if (mrc != 0) {
			rc = cd_err_set(err, store_rc(mrc),
					"store: %s: database %s: %s", e->file,
					store_db_names[i], mdb_strerror(mrc));
			goto out;
		}
	}
	if ((rc = store_schema(e, txn, err)) != 0)
		goto out;
	mrc = mdb_txn_commit(txn);
	txn = NULL;
	if (mrc != 0)
		rc = cd_err_set(err, store_rc(mrc), "store: %s: commit: %s",
				e->file, mdb_strerror(mrc));
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	return rc;
}

int
store_open(const char *dir, int flags, struct store **out, struct cd_err *err)
{
	struct store_env *e = NULL;
	struct store *s;
	char real[PATH_MAX];
	const char *tmp;
	unsigned envflags = MDB_NOSUBDIR | MDB_NOTLS;
	int mrc, rc = 0;

	*out = NULL;
	e = xcalloc(1, sizeof *e);
	if (flags & STORE_IN_MEMORY) {
		tmp = getenv("TMPDIR");
		if (tmp == NULL || tmp[0] == '\0')
			tmp = "/tmp";
		e->tmpdir = xasprintf("%s/clusterd-mem-XXXXXX", tmp);
		if (mkdtemp(e->tmpdir) == NULL) {
			rc = cd_err_set(err, -errno, "store: mkdtemp %s: %s",
					e->tmpdir, strerror(errno));
			free(e->tmpdir);
			e->tmpdir = NULL;
			goto fail;
		}
		dir = e->tmpdir;
		envflags |= MDB_NOSYNC;
	} else {
		if (dir == NULL || dir[0] == '\0') {
			rc = cd_err_set(err, -EINVAL, "store: no directory");
			goto fail;
		}
		if ((rc = store_mkdir_p(dir)) != 0) {
			cd_err_set(err, rc, "store: mkdir %s: %s", dir,
				   strerror(-rc));
			goto fail;
		}
	}
	if (realpath(dir, real) == NULL) {
		rc = cd_err_set(err, -errno, "store: %s: %s", dir,
				strerror(errno));
		goto fail;
	}
	e->file = xasprintf("%s/%s", real, STORE_FILE);

	if (e->tmpdir == NULL) {
		struct store_env *o;

		for (o = store_envs; o != NULL; o = o->next) {
			if (strcmp(o->file, e->file) == 0) {
				store_env_free(e);
				e = o;
				e->refs++;
				goto done;
			}
		}
	}

	if ((mrc = mdb_env_create(&e->env)) != 0 ||
	    (mrc = mdb_env_set_maxdbs(e->env, STORE_DB_COUNT)) != 0 ||
	    (mrc = mdb_env_set_mapsize(e->env, STORE_MAP_SIZE)) != 0 ||
	    (mrc = mdb_env_open(e->env, e->file, envflags, 0600)) != 0) {
		rc = cd_err_set(err, store_rc(mrc), "store: open %s: %s",
				e->file, mdb_strerror(mrc));
		goto fail;
	}
	/* Free reader slots left behind by crashed processes. */
	(void)mdb_reader_check(e->env, NULL);
	if ((rc = store_env_init(e, err)) != 0)
		goto fail;
	e->refs = 1;
	e->next = store_envs;
	store_envs = e;
done:
	s = xcalloc(1, sizeof *s);
	s->e = e;
	*out = s;
	return 0;
fail:
	if (e != NULL)
		store_env_free(e);
	return rc;
}

void
store_close(struct store *s)
{
	struct store_env *e, **pp;

	if (s == NULL)
		return;
	e = s->e;
	free(s);
	CD_ASSERT(!e->in_batch);
	if (--e->refs > 0)
		return;
	for (pp = &store_envs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	store_env_free(e);
}

static int
store_key(struct store_env *e, const char *key, MDB_val *k)
{
	size_t n;

	if (key == NULL)
		return -EINVAL;
	n = strlen(key);
	if (n == 0 || n > (size_t)mdb_env_get_maxkeysize(e->env))
		return -EINVAL;
	k->mv_data = (void *)(uintptr_t)key;
	k->mv_size = n;
	return 0;
}

int
store_err(const struct store *s, int rc, struct cd_err *err)
{
	const char *file = s->e->file, *slash = strrchr(file, '/');
	int dlen = slash != NULL ? (int)(slash - file) : (int)strlen(file);
	struct statvfs fs;

	if (dlen == 0)
		dlen = 1; /* "/" */
	/* LMDB calls a short write EIO: the disk filled up while it wrote. */
	if (rc == -EIO && statvfs(file, &fs) == 0 &&
	    (unsigned long long)fs.f_bavail * fs.f_frsize < STORE_LOW_SPACE)
		rc = -ENOSPC;
	switch (rc) {
	case -ENOSPC:
	case -EDQUOT:
		return cd_err_set(err, rc, "no space left on device in %.*s",
				  dlen, file);
	case -EROFS:
		return cd_err_set(err, rc, "the store in %.*s is read-only",
				  dlen, file);
	default:
		return cd_err_set(err, rc,
				  "writing to the store in %.*s failed: %s",
				  dlen, file, strerror(rc < 0 ? -rc : rc));
	}
}

int
store_get(struct store *s, enum store_db db, const char *key, struct buf *out)
{
	MDB_txn *txn = NULL;
	MDB_val k, v;
	bool own;
	int mrc, rc;

	CD_ASSERT(db >= 0 && db < STORE_DB_COUNT);
	buf_reset(out);
	if ((rc = store_key(s->e, key, &k)) != 0)
		return rc;
	if ((rc = store_sync_read_txn(s->e, &txn, &own)) != 0)
		return rc;
	mrc = mdb_get(txn, s->e->dbi[db], &k, &v);
	if (mrc == 0)
		buf_append(out, v.mv_data, v.mv_size);
	if (own)
		mdb_txn_abort(txn);
	return store_rc(mrc);
}

static bool
store_sees(const struct store_batch *b, enum store_db db)
{
	return b->s->has_sink && (b->s->sink.dbs & (1u << db)) != 0;
}

static void
store_record(struct store_batch *b, enum store_db db, const char *key,
	     const void *val, size_t len, bool existed)
{
	struct store_rec *r;

	XGROW(b->recs, b->nrecs + 1, b->recs_cap);
	r = &b->recs[b->nrecs++];
	r->db = db;
	r->key = xstrdup(key);
	r->val = NULL;
	if (val != NULL) {
		r->val = xmalloc(len + 1);
		memcpy(r->val, val, len);
	}
	r->len = len;
	r->existed = existed;
}

/* A put the sink sees: ask it, note whether the key existed, record. */
static int
store_sink_put(struct store_batch *b, enum store_db db, const char *key,
	       MDB_val *k, const void *val, size_t len)
{
	const struct store_sink *sink = &b->s->sink;
	MDB_val v, old;
	bool existed;
	int rc;

	if (sink->check != NULL &&
	    (rc = sink->check(db, key, val, len, sink->arg)) != 0)
		return rc;
	existed = mdb_get(b->txn, b->e->dbi[db], k, &old) == 0;
	v.mv_data = (void *)(uintptr_t)val;
	v.mv_size = len;
	if ((rc = store_rc(mdb_put(b->txn, b->e->dbi[db], k, &v, 0))) == 0) {
		store_record(b, db, key, val != NULL ? val : "", len, existed);
		b->pages += store_sync_put_pages(b->e, b->txn, b->e->dbi[db],
						 k->mv_size + len);
	}
	return rc;
}

static void
store_sink_commit(struct store_batch *b)
{
	struct store *s = b->s;
	struct store_change *c = xcalloc(b->nrecs, sizeof *c);
	size_t i;

	for (i = 0; i < b->nrecs; i++) {
		c[i].db = b->recs[i].db;
		c[i].key = b->recs[i].key;
		c[i].val = b->recs[i].val;
		c[i].len = b->recs[i].len;
		c[i].existed = b->recs[i].existed;
	}
	s->seq++;
	s->sink.commit(s->seq, c, b->nrecs, s->sink.arg);
	free(c);
}

static void
store_batch_free(struct store_batch *b)
{
	size_t i;

	for (i = 0; i < b->nrecs; i++) {
		free(b->recs[i].key);
		free(b->recs[i].val);
	}
	free(b->recs);
	free(b);
}

struct store_batch *
store_batch_begin(struct store *s)
{
	struct store_batch *b = xcalloc(1, sizeof *b);
	MDB_txn *parent;
	int mrc;

	b->e = s->e;
	b->s = s;
	if (s->e->in_batch) {
		/* LMDB has one writer per environment: nesting would hang. */
		b->rc = -EBUSY;
		return b;
	}
	if ((b->rc = store_sync_parent(s->e, &parent)) != 0)
		return b;
	if ((mrc = mdb_txn_begin(s->e->env, parent, 0, &b->txn)) != 0) {
		b->txn = NULL;
		b->rc = store_rc(mrc);
		return b;
	}
	s->e->in_batch = true;
	s->e->batch = b->txn;
	return b;
}

int
store_batch_put(struct store_batch *b, enum store_db db, const char *key,
		const void *val, size_t len)
{
	MDB_val k, v;
	int rc;

	CD_ASSERT(db >= 0 && db < STORE_DB_COUNT);
	if (b->rc != 0)
		return b->rc;
	if ((rc = store_key(b->e, key, &k)) != 0)
		return b->rc = rc;
	b->dirty = true;
	if (store_sees(b, db))
		return b->rc = store_sink_put(b, db, key, &k, val, len);
	v.mv_data = (void *)(uintptr_t)val;
	v.mv_size = len;
	if ((rc = store_rc(mdb_put(b->txn, b->e->dbi[db], &k, &v, 0))) == 0)
		b->pages += store_sync_put_pages(b->e, b->txn, b->e->dbi[db],
						 k.mv_size + len);
	return b->rc = rc;
}

int
store_batch_del(struct store_batch *b, enum store_db db, const char *key)
{
	MDB_val k;
	int mrc, rc;

	CD_ASSERT(db >= 0 && db < STORE_DB_COUNT);
	if (b->rc != 0)
		return b->rc;
	if ((rc = store_key(b->e, key, &k)) != 0)
		return b->rc = rc;
	mrc = mdb_del(b->txn, b->e->dbi[db], &k, NULL);
	b->dirty |= mrc == 0;
	if (mrc == 0)
		b->pages +=
		    store_sync_put_pages(b->e, b->txn, b->e->dbi[db], 0);
	if (mrc == 0 && store_sees(b, db))
		store_record(b, db, key, NULL, 0, true);
	if (mrc == MDB_NOTFOUND)
		mrc = 0;
	return b->rc = store_rc(mrc);
}

int
store_batch_clear(struct store_batch *b, enum store_db db)
{
	CD_ASSERT(db >= 0 && db < STORE_DB_COUNT);
	if (b->rc != 0)
		return b->rc;
	b->dirty = true;
	b->pages += store_sync_clear_pages(b->e, b->txn, b->e->dbi[db]);
	return b->rc = store_rc(mdb_drop(b->txn, b->e->dbi[db], 0));
}

int
store_batch_commit(struct store_batch *b)
{
	int rc = b->rc;

	if (b->txn != NULL) {
		if (rc == 0)
			rc = CD_FAULT("store.commit");
		/* With group commit: room on disk for the pass with it. */
		if (rc == 0 && b->dirty)
			rc = store_sync_reserve(b->e, b->pages);
		if (rc == 0) {
			struct timespec t0, t1;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			rc = store_rc(mdb_txn_commit(b->txn));
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (b->s->timing != NULL)
				b->s->timing(b->s->timing_arg,
					     (double)(t1.tv_sec - t0.tv_sec) +
						 (t1.tv_nsec - t0.tv_nsec) /
						     1e9);
			if (rc == 0 && b->dirty)
				store_sync_committed(b->e);
		} else
			mdb_txn_abort(b->txn);
		b->e->in_batch = false;
		b->e->batch = NULL;
	}
	if (rc == 0 && b->nrecs > 0 && b->s->has_sink)
		store_sink_commit(b);
	store_batch_free(b);
	return rc;
}

void
store_batch_abort(struct store_batch *b)
{
	if (b == NULL)
		return;
	if (b->txn != NULL) {
		mdb_txn_abort(b->txn);
		b->e->in_batch = false;
		b->e->batch = NULL;
	}
	store_batch_free(b);
}

void
store_set_sink(struct store *s, const struct store_sink *sink)
{
	s->has_sink = sink != NULL;
	if (sink != NULL)
		s->sink = *sink;
	else
		memset(&s->sink, 0, sizeof s->sink);
}

void
store_set_timing(struct store *s, store_timing_fn *fn, void *arg)
{
	s->timing = fn;
	s->timing_arg = fn != NULL ? arg : NULL;
}

uint64_t
store_seq(const struct store *s)
{
	return s->seq;
}

int
store_put(struct store *s, enum store_db db, const char *key, const void *val,
	  size_t len)
{
	struct store_batch *b = store_batch_begin(s);

	store_batch_put(b, db, key, val, len);
	return store_batch_commit(b);
}

int
store_del(struct store *s, enum store_db db, const char *key)
{
	struct store_batch *b = store_batch_begin(s);

	store_batch_del(b, db, key);
	return store_batch_commit(b);
}

int
store_iter(struct store *s, enum store_db db, const char *prefix,
	   store_iter_fn *fn, void *arg)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	struct buf key = BUF_INIT;
	size_t plen = prefix != NULL ? strlen(prefix) : 0;
	bool own;
	int mrc, rc = 0;

	CD_ASSERT(db >= 0 && db < STORE_DB_COUNT);
	if ((rc = store_sync_read_txn(s->e, &txn, &own)) != 0)
		return rc;
	if ((mrc = mdb_cursor_open(txn, s->e->dbi[db], &cur)) != 0) {
		rc = store_rc(mrc);
		goto out;
	}
	if (plen > 0) {
		k.mv_data = (void *)(uintptr_t)prefix;
		k.mv_size = plen;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	} else {
		mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	}
	while (mrc == 0) {
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		buf_reset(&key);
		buf_append(&key, k.mv_data, k.mv_size);
		if ((rc = fn(buf_str(&key), v.mv_data, v.mv_size, arg)) != 0)
			goto out;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store_rc(mrc);
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (own)
		mdb_txn_abort(txn);
	buf_release(&key);
	return rc;
}
