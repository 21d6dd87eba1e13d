/*
 * store.h: the LMDB store (STYLE B11). One environment per work_dir, with a
 * named database per owner so that master, scheduler and agent, whether in
 * one process or several, never collide. Values are opaque bytes (JSON by
 * convention). Every put/del commits (one fsync) before it returns, so a
 * caller that answers 2xx after store_put() has made the write durable.
 * store_batch_* groups several writes into one commit. Loop thread only.
 */
#ifndef CLUSTERD_LIB_STORE_H
#define CLUSTERD_LIB_STORE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

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

#endif
