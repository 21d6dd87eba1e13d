/*
 * sched_converge.h: the scheduler's engine between API changes and
 * offers. Converging an app recounts its tasks and kills what its launch
 * plan says (sched_launch_plan: scale down, replace old tasks one by one);
 * launches happen when offers arrive (sched_driver.c). Also: the kills
 * themselves (persisted as TASK_KILLING, then sent to the master), the end
 * of a task (record deleted, failure and launch backoff counted, the app
 * converged again), reviving offers when demand appears, and the
 * one-second tick (staging timeouts, kill retries, backoff expiry).
 * Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_CONVERGE_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_CONVERGE_H

#include "lib/task_state.h"

struct sched;
struct sched_ids;
struct sched_rapp;
struct sched_task;
struct sched_launch_counts;

/* Create the converge, backoff and tick timers and start the tick. */
void sched_converge_start(struct sched *s);
/* Free them (NULL timers are fine). */
void sched_converge_stop(struct sched *s);

/*
 * Recount ra's tasks, persist and send the kills its plan asks for (none
 * while ra is held by a deployment), and wake the deployments to check
 * their progress. Returns the number of tasks still to launch.
 */
int sched_converge(struct sched *s, struct sched_rapp *ra);
/* Converge every app; revive offers when one wants tasks and is not in
 * its launch backoff. */
void sched_converge_all(struct sched *s);
/* Converge every app from the loop, soon (not from inside this call). */
void sched_converge_soon(struct sched *s);
/* Count ra's tasks for sched_launch_plan(). */
void sched_converge_count(const struct sched *s, const struct sched_rapp *ra,
			  struct sched_launch_counts *c);

/*
 * Ask the master for offers again (after demand appeared): clears every
 * decline filter, the long idle ones included (see sched_driver.c).
 */
void sched_converge_revive(struct sched *s);
/* Persist TASK_KILLING for the tasks (one commit), then mark them. */
int sched_converge_mark_killing(struct sched *s, const struct sched_ids *ids);
/* Ask the master to kill each task; a task the master does not know ends
 * at once (TASK_KILLED). No-op before registration. */
void sched_converge_kill(struct sched *s, const struct sched_ids *ids);

/*
 * t ended (terminal, or lost): delete its record, count a failure for
 * backoff unless we killed it, forget it, converge its app. Returns 0, or
 * the store's code with t left untouched.
 */
int sched_converge_task_end(struct sched *s, struct sched_task *t,
			    enum task_state state, const char *message);

#endif
