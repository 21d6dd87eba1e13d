/*
 * test_ratelog.c: lib/ratelog, at most one log line per interval with the
 * count of the ones swallowed. Pure: the clock is passed in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/ratelog.h"

static void
test_one_line_per_interval(void **state)
{
	struct ratelog r = RATELOG_INIT(1000);
	unsigned long n = 99;
	int i, allowed = 0;

	(void)state;
	/* The first call always logs, whatever the clock says. */
	assert_true(ratelog_allow(&r, 0, &n));
	assert_int_equal(n, 0);
	/* A flood within the interval: nothing. */
	for (i = 1; i < 1000; i++)
		allowed += ratelog_allow(&r, (uint64_t)i, NULL);
	assert_int_equal(allowed, 0);
	/* At the end of the interval: one line, with the count. */
	assert_true(ratelog_allow(&r, 1000, &n));
	assert_int_equal(n, 999);
	assert_false(ratelog_allow(&r, 1500, NULL));
	assert_true(ratelog_allow(&r, 5000, &n));
	assert_int_equal(n, 1);
}

static void
test_first_at_large_clock(void **state)
{
	struct ratelog r = RATELOG_INIT(10000);

	(void)state;
	assert_true(ratelog_allow(&r, 123456789, NULL));
	assert_false(ratelog_allow(&r, 123456790, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_line_per_interval),
	    cmocka_unit_test(test_first_at_large_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
