/*
 * sched_gen.c: the scheduler's state generation (see sched_gen.h): the
 * sum of the counters of the parts that hold what the list replies show.
 */
#include "scheduler/core/sched_gen.h"

#include "scheduler/core/sched_events.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_probe.h"
#include "scheduler/core/sched_repo.h"
#include "scheduler/core/sched_tracker.h"

uint64_t
sched_gen(const struct sched *s)
{
	uint64_t g = s->gen;

	if (s->tr != NULL)
		g += sched_tracker_gen(s->tr);
	if (s->repo != NULL)
		g += sched_repo_gen(s->repo);
	if (s->health != NULL)
		g += sched_probe_gen(s->health);
	return g + sched_events_count(s->events);
}

void
sched_gen_bump(struct sched *s)
{
	s->gen++;
}
