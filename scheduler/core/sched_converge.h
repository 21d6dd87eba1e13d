/*
 * sched_converge.h: the scheduler's engine between API changes and
 * offers. Converging an app recounts its tasks and kills what its launch
 * plan says (sched_launch_plan: scale down, replace old tasks one by one);
 * launches happen when offers arrive (sched_driver.c). Also: the kills
 * themselves (persisted as TASK_KILLING, then sent to the master), the end
 * of a task (record deleted, failure and launch backoff counted, the app
 * converged again), unreachable tasks (kept, replaced or expunged by
 * their app's unreachableStrategy), the one launch backoff of every
 * failure, and reviving offers when demand appears. The one-second tick
 * that drives the timeouts is sched_tick.c. Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_CONVERGE_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_CONVERGE_H

#include "lib/task_state.h"

struct sched;
struct sched_ids;
struct sched_rapp;
struct sched_task;
struct sched_launch_counts;

/* Create the converge and backoff timers. */
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
/*
 * Persist TASK_KILLING for the tasks (one commit), then mark them, with
 * flags (SCHED_TASK_F(SCHED_TASK_HOLD), and SCHED_TASK_REPLACE for a task
 * killed to be replaced): sched_converge_set_killing().
 */
int sched_converge_mark_killing(struct sched *s, const struct sched_ids *ids,
				unsigned flags);
/* In memory only (its record says TASK_KILLING already): t is being
 * killed from now, with flags as its only flags. */
void sched_converge_set_killing(struct sched *s, struct sched_task *t,
				unsigned flags);
/* Ask the master to kill each task, naming the agent the task was on (the
 * master may have forgotten the task); a task that no agent can be asked
 * about ends at once (TASK_KILLED). No-op before registration. */
void sched_converge_kill(struct sched *s, const struct sched_ids *ids);

/*
 * A failure of t (of app ra), which ended in or reached state: record it
 * as ra's lastTaskFailure and count it for ra's launch backoff
 * (backoffSeconds * backoffFactor^(n-1), capped at maxLaunchDelaySeconds);
 * converge runs again when the backoff ends.
 */
void sched_converge_backoff(struct sched *s, struct sched_rapp *ra,
			    const struct sched_task *t, enum task_state state,
			    const char *why);

/*
 * t ended (terminal): delete its record, count a failure unless we had
 * asked for its kill, forget it, emit its status_update_event, converge
 * its app. Returns 0, or the store's code with t left untouched.
 */
int sched_converge_task_end(struct sched *s, struct sched_task *t,
			    enum task_state state, const char *message);
/*
 * t's agent is unreachable (sched_task_status_unreachable()): a failure
 * for lastTaskFailure and the backoff; then by its app's
 * unreachableStrategy t is expunged at once (expungeAfterSeconds 0, or an
 * app that is gone), or kept as TASK_UNREACHABLE (persisted, with the
 * time), inactive at once when inactiveAfterSeconds is 0. A t that was
 * being killed is forgotten. Returns 0, or the store's code with t left
 * untouched.
 */
int sched_converge_unreachable(struct sched *s, struct sched_task *t,
			       const char *message);
/* Unreachable t passed inactiveAfterSeconds: it counts no more, and its
 * app converges (a replacement is launched). */
void sched_converge_inactive(struct sched *s, struct sched_task *t);
/* Unreachable t passed expungeAfterSeconds: forget it (record deleted, no
 * event; it is killed as unknown if it ever comes back). 0 or the store's
 * code. */
int sched_converge_expunge(struct sched *s, struct sched_task *t);

#endif
