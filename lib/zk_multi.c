/*
 * zk_multi.c: owns a multi-operation request while it is built and while
 * it is in flight: the zoo_op_t array of libzookeeper and copies of every
 * path and value its entries point to (the library reads them when the
 * request is sent, and a create's ACL is the library's static one).
 * Loop thread only.
 *
 * The size bound follows ZooKeeper's jute encoding: per operation a
 * MultiHeader (type, done, err: 9 bytes), the path (4-byte length + bytes),
 * data (4 + bytes), a version or flags (4), and for a create the ACL of
 * world:anyone (27); ZK_MULTI_OP_OVERHEAD rounds that up. The request header
 * and the closing MultiHeader are ZK_MULTI_BASE.
 */
#include "zk_multi.h"

#include <stdlib.h>
#include <string.h>

#include <zookeeper/zookeeper.h>

#include "xalloc.h"
#include "zk.h"

#define ZK_MULTI_OP_OVERHEAD 64
#define ZK_MULTI_BASE 64

struct zk_multi {
	zoo_op_t *ops; /* owned: entries point into strs */
	size_t n, cap;
	char **strs; /* owned: copies of paths and data */
	size_t nstrs, strcap;
	size_t bytes;
};

struct zk_multi *
zk_multi_new(void)
{
	struct zk_multi *m = xcalloc(1, sizeof *m);

	m->bytes = ZK_MULTI_BASE;
	return m;
}

void
zk_multi_free(struct zk_multi *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nstrs; i++)
		free(m->strs[i]);
	free(m->strs);
	free(m->ops);
	free(m);
}

/* A copy of len bytes (NUL-terminated), owned by m. */
static const char *
zk_multi_keep(struct zk_multi *m, const void *p, size_t len)
{
	char *s = xmalloc(len + 1);

	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	XGROW(m->strs, m->nstrs + 1, m->strcap);
	m->strs[m->nstrs++] = s;
	m->bytes += len;
	return s;
}

static zoo_op_t *
zk_multi_slot(struct zk_multi *m)
{
	XGROW(m->ops, m->n + 1, m->cap);
	m->bytes += ZK_MULTI_OP_OVERHEAD;
	return &m->ops[m->n++];
}

void
zk_multi_check(struct zk_multi *m, const char *path, int version)
{
	zoo_op_t *op = zk_multi_slot(m);

	zoo_check_op_init(op, zk_multi_keep(m, path, strlen(path)), version);
}

void
zk_multi_create(struct zk_multi *m, const char *path, const void *data,
		size_t len, int flags)
{
	zoo_op_t *op = zk_multi_slot(m);
	int mode = ((flags & ZK_EPHEMERAL) ? ZOO_EPHEMERAL : 0) |
		   ((flags & ZK_SEQUENTIAL) ? ZOO_SEQUENCE : 0);
	const char *p = zk_multi_keep(m, path, strlen(path));

	zoo_create_op_init(op, p, zk_multi_keep(m, data, len), (int)len,
			   &ZOO_OPEN_ACL_UNSAFE, mode, NULL, 0);
}

void
zk_multi_set(struct zk_multi *m, const char *path, const void *data, size_t len,
	     int version)
{
	zoo_op_t *op = zk_multi_slot(m);
	const char *p = zk_multi_keep(m, path, strlen(path));

	zoo_set_op_init(op, p, zk_multi_keep(m, data, len), (int)len, version,
			NULL);
}

void
zk_multi_delete(struct zk_multi *m, const char *path, int version)
{
	zoo_op_t *op = zk_multi_slot(m);

	zoo_delete_op_init(op, zk_multi_keep(m, path, strlen(path)), version);
}

size_t
zk_multi_count(const struct zk_multi *m)
{
	return m->n;
}

size_t
zk_multi_bytes(const struct zk_multi *m)
{
	return m->bytes;
}

const struct zoo_op *
zk_multi_ops(const struct zk_multi *m)
{
	return m->ops;
}
