/*
 * sched_tracker.h: the scheduler's tasks (struct sched_task, see
 * sched_int.h): indexed by task id and grouped by app id, with their store
 * records "task/<task_id>" in STORE_DB_SCHED. The tracker owns every task
 * until it is removed. Loop thread only.
 *
 * A record is {"task": wire_task JSON, "state", "appId", "version",
 * "host", "agentId", "ports": [...], "stagedAt", "stagedMs", "startedAt",
 * "startedMs", "unreachableMs", "ipAddresses" (once known)}
 * ("unreachableMs" 0 or absent unless the state is TASK_UNREACHABLE).
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_TRACKER_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/err.h"
#include "lib/task_state.h"
#include "lib/wire.h"
#include "scheduler/core/sched_int.h"

struct store;
struct store_batch;
struct sched_task;
struct sched_tracker;

struct sched_tracker *sched_tracker_new(void);
/* Frees the tracker and every task it holds. NULL is a no-op. */
void sched_tracker_free(struct sched_tracker *tr);

/* Take ownership of t and index it; its id must not be tracked yet. */
void sched_tracker_add(struct sched_tracker *tr, struct sched_task *t);
/* The task with that id, or NULL. Borrowed. */
struct sched_task *sched_tracker_find(const struct sched_tracker *tr,
				      const char *id);
/* Unindex and free t. */
void sched_tracker_remove(struct sched_tracker *tr, struct sched_task *t);
/* Every task, in no particular order: i < sched_tracker_count(). The order
 * changes on add and remove. */
size_t sched_tracker_count(const struct sched_tracker *tr);
struct sched_task *sched_tracker_at(const struct sched_tracker *tr, size_t i);
/* The tasks of one app: a borrowed array, valid until the next add or
 * remove; NULL with *n = 0 when there are none. */
struct sched_task *const *
sched_tracker_app_tasks(const struct sched_tracker *tr, const char *app_id,
			size_t *n);

/*
 * Change the state of t, which must be tracked. Every state change of a
 * tracked task goes through here, so that the counts below stay exact.
 */
void sched_tracker_set_state(struct sched_tracker *tr, struct sched_task *t,
			     enum task_state state);

/*
 * Change the flags of t (SCHED_TASK_F() bits), which must be tracked: the
 * per-app flag counts below stay exact.
 */
void sched_tracker_set_flags(struct sched_tracker *tr, struct sched_task *t,
			     unsigned flags);
/*
 * A count of the changes above (add, remove, state, flags): part of the
 * scheduler's state generation (sched_gen.h). The other fields of a task
 * the API shows are set before it is added, or together with a change of
 * its state, never alone.
 */
uint64_t sched_tracker_gen(const struct sched_tracker *tr);

/* One app's tasks by state: n[1][s] those in state s whose version is at
 * least the app's config version ("current"), n[0][s] the older ones;
 * f[cur][i] those with flag i (enum sched_task_flag) set. */
struct sched_tracker_counts {
	int n[2][TASK_STATE_COUNT];
	int f[2][SCHED_TASK_NFLAGS];
};

/*
 * The counts of app_id's tasks against the config version cfg (NULL or
 * "": every task is current), all zero when it has none. O(1) while cfg
 * stays what it was at the previous call for that app; a new cfg costs
 * one pass over the app's tasks. Also leaves each task's cur flag (struct
 * sched_task) computed against cfg, until the next call with another cfg.
 */
void sched_tracker_app_counts(struct sched_tracker *tr, const char *app_id,
			      const char *cfg,
			      struct sched_tracker_counts *out);

/*
 * A new task in TASK_STAGING for the launched wire task wt (copied), on
 * host, with its host ports in order. The caller adds it or frees it.
 */
struct sched_task *sched_tracker_task_new(const struct wire_task *wt,
					  const char *host,
					  const uint32_t *ports, size_t nports,
					  long long staged_ms, uint64_t now_ms);
void sched_tracker_task_free(struct sched_task *t);

/* t's record as it would be with the given state. New reference. */
json_t *sched_tracker_record(const struct sched_task *t, enum task_state state);
/* Put t's record (with state) into b. 0 or a negative code. */
int sched_tracker_stage(struct store_batch *b, const struct sched_task *t,
			enum task_state state);
/* Write t's record (with state) or delete one, each in its own commit. */
int sched_tracker_persist(struct store *st, const struct sched_task *t,
			  enum task_state state);
int sched_tracker_unpersist(struct store *st, const char *id);

/*
 * Load every task record from st into tr (tasks get since_ms = now_ms;
 * TASK_KILLING ones kill_ms = now_ms and SCHED_TASK_HOLD, as the kill is
 * not confirmed). Unreadable records are skipped and counted in *nbad.
 * 0 or -EIO.
 */
int sched_tracker_load(struct sched_tracker *tr, struct store *st,
		       uint64_t now_ms, size_t *nbad, struct cd_err *err);

#endif
