/*
 * sched_constraint.h: Marathon placement constraints (UNIQUE, CLUSTER,
 * GROUP_BY, LIKE, UNLIKE, MAX_PER, IS) on "hostname" and on agent
 * attributes. Pure (STYLE B28): no I/O, no loop, no globals.
 *
 * An app's constraints are compiled once per app definition (LIKE and
 * UNLIKE regexes included); the placement of the app's tasks is summed up
 * in an index (per constraint: tasks per field value); a check then says
 * whether one more instance may go on an agent with the given hostname
 * and attributes. Semantics follow Marathon 1.x (Constraints.scala): an
 * agent that lacks the attribute satisfies only UNLIKE; LIKE and UNLIKE
 * match the whole value (POSIX extended regex); GROUP_BY's value is the
 * number of groups to spread over, MAX_PER's the most tasks per value.
 */
#ifndef CLUSTERD_SCHEDULER_PLACE_SCHED_CONSTRAINT_H
#define CLUSTERD_SCHEDULER_PLACE_SCHED_CONSTRAINT_H

#include <stddef.h>

#include <jansson.h>

#include "lib/err.h"

struct sched_constraints;
struct sched_constraint_index;

/*
 * Compile an app's "constraints" (an array of [field, OPERATOR(, value)],
 * or NULL for none). Returns 0 and *out (free with sched_constraint_free()),
 * or -EINVAL with err set for a constraint sched_app would have refused.
 */
int sched_constraint_compile(const json_t *constraints,
			     struct sched_constraints **out,
			     struct cd_err *err);
void sched_constraint_free(struct sched_constraints *c);
/* Number of constraints (0: every agent is acceptable). */
size_t sched_constraint_count(const struct sched_constraints *c);

/* An empty placement index for c (borrowed: c must outlive it). */
struct sched_constraint_index *
sched_constraint_index_new(const struct sched_constraints *c);
void sched_constraint_index_free(struct sched_constraint_index *x);
/* Count one task of the app placed on hostname with attributes (an object
 * of string values; NULL: none). */
void sched_constraint_index_add(struct sched_constraint_index *x,
				const char *hostname, const json_t *attributes);
/* Number of tasks counted. */
size_t sched_constraint_index_tasks(const struct sched_constraint_index *x);

/*
 * Whether one more instance may be placed on an agent with hostname and
 * attributes, given the tasks in x (built for c). 0 when every constraint
 * accepts it; -EPERM when one refuses, with reason (when not NULL) set to
 * a line naming it, e.g. "constraint [\"hostname\", \"UNIQUE\"] not met
 * by hostname h1".
 */
int sched_constraint_check(const struct sched_constraints *c,
			   const struct sched_constraint_index *x,
			   const char *hostname, const json_t *attributes,
			   char *reason, size_t reason_len);

#endif
