/*
 * master_index.c: open addressing with linear probing over (hash, key,
 * value) slots, FNV-1a hashes, a power-of-two capacity kept at most 3/4
 * full. Deletion shifts the following entries of the run back instead of
 * leaving tombstones: tasks and offers come and go by the thousand, and
 * tombstones would fill the table and lengthen every probe until the next
 * resize. Keys are borrowed from the values (see master_index.h).
 * Loop thread only.
 */
#include "master/master_index.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/id.h"
#include "lib/xalloc.h"

#define MASTER_INDEX_MIN_CAP 64

struct master_index_slot {
	const char *key; /* borrowed: from the value; NULL when empty */
	uint64_t hash;
	void *val; /* borrowed: the owner's list holds it */
};

struct master_index {
	struct master_index_slot *slot; /* owned: cap entries */
	size_t cap;			/* a power of two, or 0 */
	size_t n;
};

struct master_index *
master_index_new(void)
{
	return xcalloc(1, sizeof(struct master_index));
}

void
master_index_free(struct master_index *x)
{
	if (x == NULL)
		return;
	free(x->slot);
	free(x);
}

/* The slot holding key, or SIZE_MAX. */
static size_t
master_index_find(const struct master_index *x, const char *key, uint64_t h)
{
	size_t mask, i;

	if (x->cap == 0)
		return SIZE_MAX;
	mask = x->cap - 1;
	for (i = h & mask; x->slot[i].key != NULL; i = (i + 1) & mask)
		if (x->slot[i].hash == h && strcmp(x->slot[i].key, key) == 0)
			return i;
	return SIZE_MAX;
}

static void
master_index_insert(struct master_index *x, const char *key, uint64_t h,
		    void *val)
{
	size_t mask = x->cap - 1, i;

	for (i = h & mask; x->slot[i].key != NULL; i = (i + 1) & mask)
		;
	x->slot[i].key = key;
	x->slot[i].hash = h;
	x->slot[i].val = val;
	x->n++;
}

static void
master_index_grow(struct master_index *x)
{
	struct master_index_slot *old = x->slot;
	size_t oldcap = x->cap, i;

	x->cap = oldcap ? oldcap * 2 : MASTER_INDEX_MIN_CAP;
	x->slot = xcalloc(x->cap, sizeof *x->slot);
	x->n = 0;
	for (i = 0; i < oldcap; i++)
		if (old[i].key != NULL)
			master_index_insert(x, old[i].key, old[i].hash,
					    old[i].val);
	free(old);
}

int
master_index_put(struct master_index *x, const char *key, void *val)
{
	uint64_t h = id_hash(key);

	if (master_index_find(x, key, h) != SIZE_MAX)
		return -EEXIST;
	if (4 * (x->n + 1) > 3 * x->cap)
		master_index_grow(x);
	master_index_insert(x, key, h, val);
	return 0;
}

void *
master_index_get(const struct master_index *x, const char *key)
{
	size_t i;

	if (key == NULL)
		return NULL;
	i = master_index_find(x, key, id_hash(key));
	return i == SIZE_MAX ? NULL : x->slot[i].val;
}

void *
master_index_del(struct master_index *x, const char *key)
{
	size_t mask, i, j, home;
	void *val;

	if (key == NULL)
		return NULL;
	i = master_index_find(x, key, id_hash(key));
	if (i == SIZE_MAX)
		return NULL;
	val = x->slot[i].val;
	mask = x->cap - 1;
	/*
	 * Backward shift: walk the rest of the run; an entry whose home slot
	 * is not cyclically within (i, j] would become unreachable behind the
	 * hole at i, so it moves into the hole, which moves to j.
	 */
	for (j = (i + 1) & mask; x->slot[j].key != NULL; j = (j + 1) & mask) {
		home = x->slot[j].hash & mask;
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		x->slot[i] = x->slot[j];
		i = j;
	}
	memset(&x->slot[i], 0, sizeof x->slot[i]);
	x->n--;
	return val;
}

size_t
master_index_count(const struct master_index *x)
{
	return x->n;
}
