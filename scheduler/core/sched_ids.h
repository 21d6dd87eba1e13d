/*
 * sched_ids.h: a list of task ids (or other ids, such as app versions),
 * each copied, so that a loop that calls the master can let the tasks
 * vanish meanwhile (the master may call status() from inside launch() or
 * kill()) and look each one up again. Loop thread only.
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
