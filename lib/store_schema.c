/*
 * store_schema.c: the store's schema version and its migrations. Owns
 * STORE_SCHEMA_VERSION and store_migrations[]; the key layout they version
 * is the registry at the top of store.c. Part of lib/store (store_int.h);
 * loop thread only.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "store_int.h"
#include "xalloc.h"

#define STORE_SCHEMA_VERSION 2

struct store_migration {
	int from;
	int (*fn)(struct store_env *e, MDB_txn *txn);
};

/* 1 -> 2: the families added under version 1 are optional (see above). */
static int
store_migrate_1_2(struct store_env *e, MDB_txn *txn)
{
	(void)e;
	(void)txn;
	return 0;
}

static const struct store_migration store_migrations[] = {
    {1, store_migrate_1_2},
};

static int
store_put_version(struct store_env *e, MDB_txn *txn, int version)
{
	char num[16];
	MDB_val k, v;

	k.mv_data = (void *)(uintptr_t) "schema_version";
	k.mv_size = strlen("schema_version");
	v.mv_size = (size_t)snprintf(num, sizeof num, "%d", version);
	v.mv_data = num;
	return mdb_put(txn, e->dbi[STORE_DB_META], &k, &v, 0);
}

/* The version in v ("1", "2", ...), or -1 when it is not a number. */
static int
store_parse_version(const MDB_val *v)
{
	char num[16];
	char *end;
	long n;

	if (v->mv_size == 0 || v->mv_size >= sizeof num)
		return -1;
	memcpy(num, v->mv_data, v->mv_size);
	num[v->mv_size] = '\0';
	n = strtol(num, &end, 10);
	if (*end != '\0' || n < 1 || n > 1000000)
		return -1;
	return (int)n;
}

int
store_schema(struct store_env *e, MDB_txn *txn, struct cd_err *err)
{
	MDB_val k, v;
	size_t i;
	int mrc, version;

	k.mv_data = (void *)(uintptr_t) "schema_version";
	k.mv_size = strlen("schema_version");
	mrc = mdb_get(txn, e->dbi[STORE_DB_META], &k, &v);
	if (mrc == MDB_NOTFOUND) {
		/* A new store. */
		if ((mrc = store_put_version(e, txn, STORE_SCHEMA_VERSION)) ==
		    0)
			return 0;
	}
	if (mrc != 0)
		return cd_err_set(err, store_rc(mrc), "store: %s: schema: %s",
				  e->file, mdb_strerror(mrc));
	version = store_parse_version(&v);
	if (version == STORE_SCHEMA_VERSION)
		return 0;
	if (version < 1 || version > STORE_SCHEMA_VERSION)
		return cd_err_set(
		    err, -EPROTO,
		    "store: %s has schema_version \"%.*s\" but this clusterd "
		    "reads versions 1 to %d; refusing to open it",
		    e->file, (int)(v.mv_size > 32 ? 32 : v.mv_size),
		    (const char *)v.mv_data, STORE_SCHEMA_VERSION);
	for (i = 0; i < sizeof store_migrations / sizeof store_migrations[0];
	     i++) {
		if (store_migrations[i].from != version)
			continue;
		if ((mrc = store_migrations[i].fn(e, txn)) != 0)
			return cd_err_set(err, store_rc(mrc),
					  "store: %s: migrating schema %d: %s",
					  e->file, version, mdb_strerror(mrc));
		version++;
	}
	CD_ASSERT(version == STORE_SCHEMA_VERSION);
	if ((mrc = store_put_version(e, txn, version)) != 0)
		return cd_err_set(err, store_rc(mrc), "store: %s: schema: %s",
				  e->file, mdb_strerror(mrc));
	return 0;
}
