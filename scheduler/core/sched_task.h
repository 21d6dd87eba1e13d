/*
 * sched_task.h: what the scheduler says about one of its tasks (struct
 * sched_task, sched_int.h): its state as the API shows it, whether it runs
 * its app's current configuration, whether it counts as healthy, and the
 * event JSON of its state changes and failures. Queries only: nothing here
 * changes a task. Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_TASK_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_TASK_H

#include <stdbool.h>

#include <jansson.h>

#include "lib/task_state.h"
#include "lib/wire.h"

struct sched;
struct sched_rapp;
struct sched_task;

/* The API state of t: its Mesos state name, as Marathon 1.4+ shows it. */
const char *sched_task_state_name(const struct sched_task *t);
/*
 * Whether st says that the task's agent is unreachable (the task may come
 * back): TASK_UNREACHABLE, or TASK_LOST with an agent-lost reason.
 */
bool sched_task_status_unreachable(const struct wire_status *st);
/* Whether t runs the current configuration of r. */
bool sched_task_current(const struct sched_rapp *r, const struct sched_task *t);
/* Whether t counts as healthy: its app ra has no health checks, nothing
 * checks them, or they pass (sched_probe_state() == 1). */
bool sched_task_healthy(const struct sched *s, const struct sched_rapp *ra,
			const struct sched_task *t);
/*
 * The status_update_event of t reaching state (Marathon's fields), built
 * while t is valid; emit it once the new state is visible through the API.
 * New reference.
 */
json_t *sched_task_status_event(const struct sched_task *t,
				enum task_state state, const char *message);
/* The TaskFailure JSON (lastTaskFailure) of t ending in state, now. New
 * reference. */
json_t *sched_task_failure_json(const struct sched_task *t,
				enum task_state state, const char *message);

/*
 * Take the task's addresses from a status' container_status (Mesos'
 * network_infos, checked by lib/wire) as Marathon's ipAddresses. Nothing
 * changes when it has none. Persisted with the next state change.
 */
void sched_task_note_addresses(struct sched_task *t, const json_t *cs);

#endif
