/*
 * health_timing.h: the timing of one Marathon health check, read the same
 * way by the scheduler's probes (scheduler/core/sched_probe) and the
 * agent's COMMAND checks (agent/agent_health): how often, how long each
 * try may take, the grace period after the task starts, and the failures
 * in a row that kill it. Pure (STYLE B28): no I/O, any thread.
 */
#ifndef CLUSTERD_LIB_HEALTH_TIMING_H
#define CLUSTERD_LIB_HEALTH_TIMING_H

#include <stdint.h>

#include <jansson.h>

struct health_timing {
	long interval_ms; /* intervalSeconds (60), at least 1 s */
	long timeout_ms;  /* timeoutSeconds (20), at least 1 s */
	long grace_ms;	  /* gracePeriodSeconds (300) */
	int max_failures; /* maxConsecutiveFailures (3); 0: never kill */
};

/*
 * Fill out from hc, a healthCheck object as the app definition holds it
 * (validated by scheduler/app); absent or non-integer members take
 * Marathon's defaults, in parentheses above.
 */
void health_timing_parse(const json_t *hc, struct health_timing *out);

/* The delay before the next try, when the last one began took_ms ago:
 * an interval after it began, or at once when it took longer. */
uint64_t health_timing_next_ms(const struct health_timing *t, uint64_t took_ms);

#endif
