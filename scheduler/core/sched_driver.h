/*
 * sched_driver.h: the scheduler's implementation of struct
 * framework_sched_ops (lib/framework.h); sched_framework_ops() hands it to
 * cmd/. Every callback takes the struct sched as its first argument.
 * Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_DRIVER_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_DRIVER_H

#include "lib/framework.h"

extern const struct framework_sched_ops sched_driver_ops;

#endif
