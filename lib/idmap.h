/*
 * idmap.h: the one string-keyed hash table of clusterd (tasks, agents, offers,
 * apps by id). It is an index, not an owner: keys and values are borrowed
 * from the objects it points at, which their owner (a list, an array) keeps
 * and frees. Loop thread only, like everything it indexes.
 */
#ifndef CLUSTERD_LIB_IDMAP_H
#define CLUSTERD_LIB_IDMAP_H

#include <stdbool.h>
#include <stddef.h>

struct idmap;

/* An empty index; free with idmap_free() (NULL is a no-op). */
struct idmap *idmap_new(void);
void idmap_free(struct idmap *x);

/*
 * Map key to val. key is borrowed and must stay valid and unchanged until
 * it is deleted (normally it is the id string of val itself). Returns 0,
 * or -EEXIST (and changes nothing) when key is already present.
 */
int idmap_put(struct idmap *x, const char *key, void *val);
/* The value of key, borrowed, or NULL. */
void *idmap_get(const struct idmap *x, const char *key);
/* Remove key; returns its value, or NULL when it was absent. */
void *idmap_del(struct idmap *x, const char *key);
size_t idmap_count(const struct idmap *x);
/*
 * Iterate: start with *pos = 0; each call returns true and sets *key and
 * *val (either may be NULL) to the next entry, or returns false at the end.
 * The order is arbitrary. The map must not change during an iteration
 * (collect what to delete, then delete it).
 */
bool idmap_next(const struct idmap *x, size_t *pos, const char **key,
		void **val);
/* Remove every entry (the values are not touched). */
void idmap_clear(struct idmap *x);

#endif
