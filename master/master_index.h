/*
 * master_index.h: a string-keyed hash index for the master's registries
 * (tasks, agents, offers by id), so that the per-message lookups on the
 * hot paths (a status update, a launch, a ping reply) do not walk lists of
 * thousands. The lists stay the owners and keep the iteration order that
 * replies depend on; an index only points into them. Loop thread only.
 */
#ifndef CLUSTERD_MASTER_MASTER_INDEX_H
#define CLUSTERD_MASTER_MASTER_INDEX_H

#include <stddef.h>

struct master_index;

/* An empty index; free with master_index_free() (NULL is a no-op). */
struct master_index *master_index_new(void);
void master_index_free(struct master_index *x);

/*
 * Map key to val. key is borrowed and must stay valid and unchanged until
 * it is deleted (normally it is the id string of val itself). Returns 0,
 * or -EEXIST (and changes nothing) when key is already present.
 */
int master_index_put(struct master_index *x, const char *key, void *val);
/* The value of key, borrowed, or NULL. */
void *master_index_get(const struct master_index *x, const char *key);
/* Remove key; returns its value, or NULL when it was absent. */
void *master_index_del(struct master_index *x, const char *key);
size_t master_index_count(const struct master_index *x);

#endif
