/*
 * test_health_timing.c: lib/health_timing, the timing of a Marathon
 * health check that the scheduler's probes and the agent's COMMAND checks
 * both read: Marathon's defaults, the one-second floor, the values an app
 * gives, and when the next try runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/health_timing.h"

static void
test_defaults(void **state)
{
	json_t *hc = json_pack("{s:s}", "protocol", "HTTP");
	struct health_timing t;

	(void)state;
	health_timing_parse(hc, &t);
	assert_int_equal(t.interval_ms, 60000);
	assert_int_equal(t.timeout_ms, 20000);
	assert_int_equal(t.grace_ms, 300000);
	assert_int_equal(t.max_failures, 3);
	json_decref(hc);
}

static void
test_given_values(void **state)
{
	json_t *hc = json_pack("{s:i, s:i, s:i, s:i}", "intervalSeconds", 5,
			       "timeoutSeconds", 2, "gracePeriodSeconds", 0,
			       "maxConsecutiveFailures", 0);
	struct health_timing t;

	(void)state;
	health_timing_parse(hc, &t);
	assert_int_equal(t.interval_ms, 5000);
	assert_int_equal(t.timeout_ms, 2000);
	assert_int_equal(t.grace_ms, 0);
	assert_int_equal(t.max_failures, 0); /* never kill */
	json_decref(hc);
}

static void
test_floor_of_a_second(void **state)
{
	json_t *hc =
	    json_pack("{s:i, s:i}", "intervalSeconds", 0, "timeoutSeconds", 0);
	struct health_timing t;

	(void)state;
	health_timing_parse(hc, &t);
	assert_int_equal(t.interval_ms, 1000);
	assert_int_equal(t.timeout_ms, 1000);
	json_decref(hc);
}

static void
test_next_try(void **state)
{
	struct health_timing t = {.interval_ms = 10000};

	(void)state;
	assert_int_equal(health_timing_next_ms(&t, 0), 10000);
	assert_int_equal(health_timing_next_ms(&t, 2500), 7500);
	assert_int_equal(health_timing_next_ms(&t, 10000), 0);
	assert_int_equal(health_timing_next_ms(&t, 60000), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_given_values),
	    cmocka_unit_test(test_floor_of_a_second),
	    cmocka_unit_test(test_next_try),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
