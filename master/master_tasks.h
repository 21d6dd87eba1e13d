/*
 * master_tasks.h: the master's task registry (master_tasks.c), for the
 * files of the master module: find, add, record and forget tasks, forward
 * and report their states, kill them, and watch for orphans. The records
 * themselves (struct master_task) are declared in master_int.h, beside the
 * other tables of struct master.
 */
#ifndef CLUSTERD_MASTER_MASTER_TASKS_H
#define CLUSTERD_MASTER_MASTER_TASKS_H

#include <stdbool.h>

#include "lib/task_state.h"

struct master;
struct master_agent;
struct master_task;
struct store_batch;
struct wire_status;
struct wire_task;

struct master_task *master_task_find(struct master *m, const char *task_id);
/* Put t (task.task_id set) on the task list and index; -EEXIST if known. */
int master_task_add(struct master *m, struct master_task *t);
/* A new record of wt (strings copied, its JSON shared: the caller must
 * not change it in place), staging on agent a; not on the list yet. */
struct master_task *master_task_new(const struct wire_task *wt,
				    const char *fw_id,
				    const struct master_agent *a);
/* t's latest status := a copy of st without st->task (t->task has it). */
void master_task_set_status(struct master_task *t,
			    const struct wire_status *st);
/* Free a record that is on no list. */
void master_task_free(struct master_task *t);
/* Add t's record ("task/<id>" in the master db) to b. */
int master_task_record(struct store_batch *b, const struct master_task *t);
/* Persist t's record in a commit of its own. */
int master_task_persist(struct master *m, const struct master_task *t);
/* Take t off the list and free it; its record is deleted at the end of
 * the loop pass, in one commit with the others (master_tasks_flush). */
void master_task_forget(struct master *m, struct master_task *t);
/* Delete the records of forgotten tasks now. */
void master_tasks_flush(struct master *m);
/* Set up and tear down (flushing, then freeing every task) the registry. */
void master_tasks_init(struct master *m);
void master_tasks_release(struct master *m);
/* Read the task records of the store back into the registry. */
int master_tasks_load(struct master *m);
/* Record a status and pass it to its framework. 0 when acknowledged. */
int master_task_forward(struct master *m, const struct wire_status *st);
/* Report a state of t that the master decides (SOURCE_MASTER). */
int master_task_report(struct master *m, struct master_task *t,
		       enum task_state state, const char *reason,
		       const char *message);
/*
 * Send a KillTask for task_id to agent a (whether or not the master knows
 * the task). An agent answering 404 for a task the master placed there
 * gets it reported lost.
 */
void master_task_kill(struct master *m, struct master_agent *a,
		      const char *task_id, int grace_ms);
/* Start watching for orphans (tasks of frameworks not attached). */
void master_tasks_orphans_start(struct master *m);
/* Whether t's framework is attached to the master. */
bool master_task_attached(struct master *m, const struct master_task *t);

#endif
