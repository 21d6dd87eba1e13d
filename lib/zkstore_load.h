/*
 * zkstore_load.h: private to lib/zkstore (only zkstore.c includes it).
 * Reads the whole replicated state from ZooKeeper on election, creating the
 * layout first when there is none. Loop thread only.
 */
#ifndef CLUSTERD_LIB_ZKSTORE_LOAD_H
#define CLUSTERD_LIB_ZKSTORE_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct loop;
struct zk;
struct zkstore_load;

/* One record read. */
struct zkstore_load_rec {
	int db;	   /* index into the dbs given to zkstore_load_new() */
	char *key; /* owned */
	struct buf val;
};

/*
 * The load ended: rc 0 with the records (borrowed for the call) and the
 * commit marker's version, or rc < 0 with why (borrowed).
 */
typedef void zkstore_load_fn(struct zkstore_load *ld, int rc, const char *why,
			     const struct zkstore_load_rec *recs, size_t n,
			     int32_t marker_version, void *arg);

/*
 * Start reading the records of the databases named dbs[0..ndbs) under
 * <root>/state. The layout is created when missing, with a multi-op fenced
 * by fence_path/fence_version. fn(arg) runs once, from the loop, unless the
 * load is freed first; fn may free the load.
 */
struct zkstore_load *zkstore_load_new(struct loop *l, struct zk *zk,
				      const char *root, const char *const *dbs,
				      size_t ndbs, const char *fence_path,
				      int fence_version, zkstore_load_fn *fn,
				      void *arg);
void zkstore_load_free(struct zkstore_load *ld);

#endif
