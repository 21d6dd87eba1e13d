/*
 * sched_ids.c: a list of copied ids (see sched_ids.h). Owns the array and
 * every string in it; grows with XGROW. Loop thread only.
 */
#include "scheduler/core/sched_ids.h"

#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

void
sched_ids_push(struct sched_ids *l, const char *id)
{
	XGROW(l->v, l->n + 1, l->cap);
	l->v[l->n++] = xstrdup(id);
}

bool
sched_ids_has(const struct sched_ids *l, const char *id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], id) == 0)
			return true;
	return false;
}

void
sched_ids_push_new(struct sched_ids *l, const char *id)
{
	if (!sched_ids_has(l, id))
		sched_ids_push(l, id);
}

void
sched_ids_release(struct sched_ids *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}
