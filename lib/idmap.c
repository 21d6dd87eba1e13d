/*
 * idmap.c: the id-keyed hash index (idmap.h). Open addressing with linear
 * probing over (hash, key, value) slots, FNV-1a hashes, a power-of-two capacity
 * kept at most 3/4 full. Deletion shifts the following entries of the run back
 * instead of leaving tombstones: tasks and offers come and go by the thousand,
 * and tombstones would fill the table and lengthen every probe until the next
 * resize. Keys are borrowed from the values (see idmap.h).
 * Loop thread only.
 */
#include "lib/idmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/id.h"
#include "lib/xalloc.h"

#define IDMAP_MIN_CAP 64

struct idmap_slot {
	const char *key; /* borrowed: from the value; NULL when empty */
	uint64_t hash;
	void *val; /* borrowed: the owner's list holds it */
};

struct idmap {
	struct idmap_slot *slot; /* owned: cap entries */
	size_t cap;		 /* a power of two, or 0 */
	size_t n;
};

struct idmap *
idmap_new(void)
{
	return xcalloc(1, sizeof(struct idmap));
}

void
idmap_free(struct idmap *x)
{
	if (x == NULL)
		return;
	free(x->slot);
	free(x);
}

/* The slot holding key, or SIZE_MAX. */
static size_t
idmap_find(const struct idmap *x, const char *key, uint64_t h)
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
idmap_insert(struct idmap *x, const char *key, uint64_t h, void *val)
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
idmap_grow(struct idmap *x)
{
	struct idmap_slot *old = x->slot;
	size_t oldcap = x->cap, i;

	x->cap = oldcap ? oldcap * 2 : IDMAP_MIN_CAP;
	x->slot = xcalloc(x->cap, sizeof *x->slot);
	x->n = 0;
	for (i = 0; i < oldcap; i++)
		if (old[i].key != NULL)
			idmap_insert(x, old[i].key, old[i].hash, old[i].val);
	free(old);
}

int
idmap_put(struct idmap *x, const char *key, void *val)
{
	uint64_t h = id_hash(key);

	if (idmap_find(x, key, h) != SIZE_MAX)
		return -EEXIST;
	if (4 * (x->n + 1) > 3 * x->cap)
		idmap_grow(x);
	idmap_insert(x, key, h, val);
	return 0;
}

void *
idmap_get(const struct idmap *x, const char *key)
{
	size_t i;

	if (key == NULL)
		return NULL;
	i = idmap_find(x, key, id_hash(key));
	return i == SIZE_MAX ? NULL : x->slot[i].val;
}

/* Empty slot i by backward shift (no tombstones). */
static void
idmap_remove_slot(struct idmap *x, size_t i)
{
	size_t mask = x->cap - 1, j, home;

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
}

void *
idmap_del(struct idmap *x, const char *key)
{
	size_t i;
	void *val;

	if (key == NULL)
		return NULL;
	i = idmap_find(x, key, id_hash(key));
	if (i == SIZE_MAX)
		return NULL;
	val = x->slot[i].val;
	idmap_remove_slot(x, i);
	return val;
}

size_t
idmap_count(const struct idmap *x)
{
	return x->n;
}

bool
idmap_next(const struct idmap *x, size_t *pos, const char **key, void **val)
{
	size_t i;

	for (i = *pos; i < x->cap; i++) {
		if (x->slot[i].key == NULL)
			continue;
		if (key != NULL)
			*key = x->slot[i].key;
		if (val != NULL)
			*val = x->slot[i].val;
		*pos = i + 1;
		return true;
	}
	*pos = x->cap;
	return false;
}

void
idmap_clear(struct idmap *x)
{
	if (x->cap > 0)
		memset(x->slot, 0, x->cap * sizeof *x->slot);
	x->n = 0;
}
