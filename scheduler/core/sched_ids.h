/*
 * sched_ids.h: a list of copied strings, mostly task ids: a loop that
 * calls the master works on copied ids, so that the tasks may vanish
 * meanwhile (the master may call status() from inside launch() or kill())
 * and each is looked up again. Also the repo's lists of versions and
 * stored values. Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_IDS_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_IDS_H

#include <stdbool.h>
#include <stddef.h>

/* Zero it to start ({NULL, 0, 0}); release with sched_ids_release(). */
struct sched_ids {
	char **v; /* owned array of owned strings */
	size_t n;
	size_t cap;
};

/* Append a copy of id. */
void sched_ids_push(struct sched_ids *l, const char *id);
/* Append a copy of id unless it is already listed (a linear search). */
void sched_ids_push_new(struct sched_ids *l, const char *id);
/* Whether id is listed (a linear search). */
bool sched_ids_has(const struct sched_ids *l, const char *id);
/* Free every id and the array; l is empty again. */
void sched_ids_release(struct sched_ids *l);

#endif
