/*
 * sched_gen.h: the scheduler's state generation, a number that changes
 * whenever anything GET /v2/apps, /v2/tasks or /v2/groups (and their
 * embed variants) show changes, and before anything can tell of the
 * change: the reply bodies cached in lib/bodycache are keyed by it.
 *
 * It is the sum of counters kept where the state changes, each bumped in
 * the same call that makes the change, before an event goes out:
 *   sched_tracker_gen()   tasks added, removed, a state or flags changed
 *   sched_repo_gen()      app definitions installed or removed
 *   sched_probe_gen()     health results, tasks tracked or untracked
 *   sched_events_count()  every event (a net under all of the above: no
 *                         cached body outlives an event)
 *   struct sched.gen      the rest, through sched_gen_bump(): deployments
 *                         started, advanced or ended; group records;
 *                         an app's lastTaskFailure; health checking
 *                         started or stopped
 * Each counter only grows and lives as long as struct sched, so the sum
 * never repeats a value it had with another state. Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_GEN_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_GEN_H

#include <stdint.h>

struct sched;

/* The current generation. */
uint64_t sched_gen(const struct sched *s);
/* A change no counter above sees: call it in the same call as the change. */
void sched_gen_bump(struct sched *s);

#endif
