/*
 * health_timing.c: the timing of a Marathon health check (see
 * health_timing.h), shared by the scheduler and the agent so that a check
 * runs to the same clock whichever of them runs it. Pure, any thread.
 */
#include "health_timing.h"

#include "json.h"

/* Shorter tries or intervals would flood a task with checks. */
#define HEALTH_TIMING_MIN_MS 1000L

void
health_timing_parse(const json_t *hc, struct health_timing *out)
{
	const json_t *mf = json_object_get(hc, "maxConsecutiveFailures");

	out->interval_ms = json_secs_ms(hc, "intervalSeconds", 60);
	out->timeout_ms = json_secs_ms(hc, "timeoutSeconds", 20);
	out->grace_ms = json_secs_ms(hc, "gracePeriodSeconds", 300);
	if (out->interval_ms < HEALTH_TIMING_MIN_MS)
		out->interval_ms = HEALTH_TIMING_MIN_MS;
	if (out->timeout_ms < HEALTH_TIMING_MIN_MS)
		out->timeout_ms = HEALTH_TIMING_MIN_MS;
	out->max_failures =
	    json_is_integer(mf) ? (int)json_integer_value(mf) : 3;
}

uint64_t
health_timing_next_ms(const struct health_timing *t, uint64_t took_ms)
{
	return took_ms >= (uint64_t)t->interval_ms
		   ? 0
		   : (uint64_t)t->interval_ms - took_ms;
}
