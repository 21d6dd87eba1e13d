/*
 * sched_launch.h: the pure part of launching (STYLE B28): fitting one
 * instance into what is left of an offer, the launch backoff delay, and the
 * plan that says how many tasks of an app to launch and kill so that it
 * converges on its instances without losing capacity (a simple rolling
 * upgrade). No I/O, no loop, no globals; sched.c is the caller.
 */
#ifndef CLUSTERD_SCHEDULER_PLACE_SCHED_LAUNCH_H
#define CLUSTERD_SCHEDULER_PLACE_SCHED_LAUNCH_H

#include <stddef.h>
#include <stdint.h>

#include "lib/resources.h"

/*
 * Fit one instance that needs per->cpus, per->mem, per->disk (per's port
 * ranges are ignored) and nports host ports into avail. req_ports[i] != 0
 * asks for exactly that port; 0 takes the lowest port still free in
 * avail's ranges. req_ports may be NULL (all "any"). On success the
 * resources and ports are taken out of avail, out_ports[0..nports-1] gets
 * the ports in order and 0 is returned; -ENOSPC (avail unchanged) when the
 * instance does not fit.
 */
int sched_launch_fit(struct resources *avail, const struct resources *per,
		     const uint32_t *req_ports, size_t nports,
		     uint32_t *out_ports);

/*
 * The delay before the next launch after n consecutive failures:
 * seconds * factor^(n-1), capped at max_seconds; 0 when n <= 0.
 */
uint64_t sched_launch_backoff_ms(double seconds, double factor,
				 double max_seconds, int n);

/* What an app has now. "cur" tasks run the current configuration, "old"
 * ones an earlier one; "active" means neither terminal nor being killed. */
struct sched_launch_counts {
	int instances;
	double min_health; /* upgradeStrategy.minimumHealthCapacity, 0..1 */
	double max_over;   /* upgradeStrategy.maximumOverCapacity, 0..1 */
	int cur_active;
	int cur_running; /* of cur_active, those confirmed running */
	int old_active;
	int old_running; /* of old_active, those confirmed running */
	int killing;	 /* tasks being killed whose kill is not confirmed
			    yet: they still take a place under max_over */
	int replacing;	 /* of killing, those killed to be replaced (failed
			    health checks): still instances, so their
			    replacements wait for their end */
};

/* What to do about it. */
struct sched_launch_plan {
	int launch;	/* new tasks of the current configuration to start */
	int kill_cur;	/* current tasks to kill (scale down, youngest first) */
	int kill_old;	/* old tasks to kill (replaced, or over capacity) */
	int converged;	/* 1 when nothing is left to do */
	int launch_now; /* of launch, those that fit under the over-capacity
			   bound before the kills above have been made */
};

/*
 * Decide launches and kills: scale down kills current tasks; an old task
 * is killed for each current task that is running, beyond instances;
 * never more than instances * (1 + max_over) tasks active or dying
 * (killing), a task being replaced still counts as an instance, and
 * while old tasks stand in the way of a launch, old ones are killed down
 * to instances * min_health running (at least one, so that an upgrade
 * always progresses, unless kills are already under way).
 */
void sched_launch_plan(const struct sched_launch_counts *c,
		       struct sched_launch_plan *out);

#endif
