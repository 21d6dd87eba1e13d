/*
 * zk_multi.h: the request of a ZooKeeper multi-operation, built before
 * zk_multi_submit() (zk.h) sends it: check, create, set and delete
 * operations applied all or nothing, in order. Loop thread only.
 */
#ifndef CLUSTERD_LIB_ZK_MULTI_H
#define CLUSTERD_LIB_ZK_MULTI_H

#include <stddef.h>

struct zk_multi;
struct zoo_op;

/* An empty request; free with zk_multi_free() (NULL is a no-op). */
struct zk_multi *zk_multi_new(void);
void zk_multi_free(struct zk_multi *m);

/*
 * The adders copy path and data. version -1 matches any version (a check
 * with -1 only requires the znode to exist). flags: enum zk_create_flags.
 */
void zk_multi_check(struct zk_multi *m, const char *path, int version);
void zk_multi_create(struct zk_multi *m, const char *path, const void *data,
		     size_t len, int flags);
void zk_multi_set(struct zk_multi *m, const char *path, const void *data,
		  size_t len, int version);
void zk_multi_delete(struct zk_multi *m, const char *path, int version);

size_t zk_multi_count(const struct zk_multi *m);
/*
 * An upper bound of the bytes the request takes on the wire. Keep it below
 * the server's jute.maxbuffer (1 MiB by default): a larger request makes the
 * server drop the connection, and resending it would do so again.
 */
size_t zk_multi_bytes(const struct zk_multi *m);
/* For lib/zk: the operations, borrowed until the builder is freed. */
const struct zoo_op *zk_multi_ops(const struct zk_multi *m);

#endif
