/*
 * test_fault.c: lib/fault, the engine behind CD_FAULT(): the grammar of
 * CLUSTERD_FAULTS (N, N+, pP, :ERRNO, seed=), what it refuses, and which
 * calls fail. A release build compiles lib/fault.c to nothing, so this
 * test compiles the engine into itself unless the build is a fault build
 * (make FAULT=1), whose objects already hold it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#ifndef CD_FAULT
#define CD_FAULT 1
#include "lib/fault.c"
#else
#include "lib/fault.h"
#endif
#include "lib/log.h"

/* Call point ncalls times; which[] gets the calls that failed. */
static int
fails(const char *point, int ncalls, int *which)
{
	int i, n = 0;

	for (i = 1; i <= ncalls; i++)
		if (fault_fire(point) != 0)
			which[n++] = i;
	return n;
}

static void
test_nth_call_only(void **state)
{
	int which[8];

	(void)state;
	assert_int_equal(fault_init("store.commit=3", NULL), 0);
	assert_int_equal(fails("store.commit", 6, which), 1);
	assert_int_equal(which[0], 3);
	assert_int_equal(fault_calls("store.commit"), 6);
	assert_int_equal(fault_fired("store.commit"), 1);
	/* Other points are counted, never failed. */
	assert_int_equal(fails("httpc.request", 5, which), 0);
	assert_int_equal(fault_calls("httpc.request"), 5);
}

static void
test_from_nth_on(void **state)
{
	int which[8];

	(void)state;
	assert_int_equal(fault_init("httpd.accept=2+", NULL), 0);
	assert_int_equal(fails("httpd.accept", 5, which), 4);
	assert_int_equal(which[0], 2);
	assert_int_equal(which[3], 5);
}

static void
test_errno_of_point_and_override(void **state)
{
	(void)state;
	assert_int_equal(fault_init("store.commit=1,httpc.request=1,"
				    "sandbox.mkdir=1:EIO",
				    NULL),
			 0);
	assert_int_equal(fault_fire("store.commit"), -EIO);
	assert_int_equal(fault_fire("httpc.request"), -ECONNREFUSED);
	assert_int_equal(fault_fire("sandbox.mkdir"), -EIO);
	assert_int_equal(fault_init("store.commit=1:ENOSPC", NULL), 0);
	assert_int_equal(fault_fire("store.commit"), -ENOSPC);
	/* For a system call: errno carries the error. */
	assert_int_equal(fault_init("sandbox.log=1", NULL), 0);
	errno = 0;
	assert_int_equal(fault_fire_sys("sandbox.log"), 1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(fault_fire_sys("sandbox.log"), 0);
}

static void
test_probability_repeats_with_seed(void **state)
{
	int a[200], b[200], na, nb, i;

	(void)state;
	assert_int_equal(fault_init("seed=7,zk.op=p0.25", NULL), 0);
	na = fails("zk.op", 200, a);
	assert_int_equal(fault_init("zk.op=p0.25,seed=7", NULL), 0);
	nb = fails("zk.op", 200, b);
	assert_int_equal(na, nb);
	for (i = 0; i < na; i++)
		assert_int_equal(a[i], b[i]);
	/* Roughly a quarter (200 draws: far from none and from all). */
	assert_true(na > 20 && na < 90);
	assert_int_equal(fault_init("docker.reply=p1", NULL), 0);
	assert_int_equal(fails("docker.reply", 10, a), 10);
}

static void
test_refused_specs(void **state)
{
	static const char *const bad[] = {
	    "store.commit",   /* no = */
	    "nosuch.point=1", /* unknown point */
	    "store.commit=0", /* calls count from 1 */
	    "store.commit=x",
	    "store.commit=",
	    "store.commit=3:EWHAT", /* unknown errno */
	    "store.commit=p0",	    /* probability out of range */
	    "store.commit=p1.5",
	    "store.commit=p",
	    "store.commit=1,,", /* empty item */
	    "seed=x",
	    "store.commit=99999999999999999999999",
	    "store.commit=3+,httpc.request=2:",
	};
	struct cd_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cd_err_clear(&err);
		assert_int_equal(fault_init(bad[i], &err), -EINVAL);
		assert_non_null(strstr(err.msg, "CLUSTERD_FAULTS"));
	}
	/* A refused spec arms nothing, not even its good items. */
	assert_int_equal(fault_init("store.commit=1,bad=1", NULL), -EINVAL);
	assert_int_equal(fault_fire("store.commit"), 0);
	/* Nothing at all is fine. */
	assert_int_equal(fault_init(NULL, NULL), 0);
	assert_int_equal(fault_init("", NULL), 0);
	assert_int_equal(fault_fire("store.commit"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nth_call_only),
	    cmocka_unit_test(test_from_nth_on),
	    cmocka_unit_test(test_errno_of_point_and_override),
	    cmocka_unit_test(test_probability_repeats_with_seed),
	    cmocka_unit_test(test_refused_specs),
	};

	log_set_level(LOG_LVL_ERROR); /* no line per injected failure */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
