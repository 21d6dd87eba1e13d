/*
 * ctr_sim.h: the "sim" containerizer, for benchmarks only (bench/). It
 * launches nothing: a task reports TASK_STARTING and then TASK_RUNNING on
 * the following loop iterations, and TASK_KILLED when killed. Recover
 * always re-adopts (the task "still runs"). It handles every task, so an
 * agent started with --containerizers=sim runs any app without Docker.
 * It is never a default and never chosen unless named. Loop thread only.
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_SIM_H
#define CLUSTERD_CONTAINERIZER_CTR_SIM_H

#include "containerizer/ctr.h"

/* The impl to ctr_add() with *ops; events go to ev(arg). */
void *ctr_sim_new(struct loop *l, ctr_event_fn *ev, void *arg,
		  const struct ctr_ops **ops);

/* How many tasks the impl currently holds (for tests). */
size_t ctr_sim_count(const void *impl);

#endif
