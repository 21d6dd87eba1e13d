/*
 * test_task_state.c: names, parsing and the transition table of
 * lib/task_state, and the ids of lib/id (both tiny, pure modules).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/id.h"
#include "lib/task_state.h"

static void
test_names_round_trip(void **state)
{
	enum task_state s, p;

	(void)state;
	for (s = TASK_STAGING; s < TASK_STATE_COUNT; s++) {
		const char *n = task_state_name(s);

		assert_non_null(n);
		assert_int_equal(strncmp(n, "TASK_", 5), 0);
		assert_int_equal(task_state_parse(n, &p), 0);
		assert_int_equal(p, s);
	}
	assert_string_equal(task_state_name(TASK_RUNNING), "TASK_RUNNING");
	assert_string_equal(task_state_name((enum task_state)99),
			    "TASK_UNKNOWN");
	assert_int_equal(task_state_parse("TASK_running", &p), -EINVAL);
	assert_int_equal(task_state_parse("", &p), -EINVAL);
	assert_int_equal(task_state_parse(NULL, &p), -EINVAL);
}

static void
test_terminal(void **state)
{
	static const enum task_state term[] = {
	    TASK_FINISHED, TASK_FAILED,	 TASK_KILLED, TASK_ERROR,
	    TASK_LOST,	   TASK_DROPPED, TASK_GONE,   TASK_UNKNOWN};
	enum task_state s;
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < sizeof term / sizeof term[0]; i++)
		assert_true(task_state_terminal(term[i]));
	for (s = TASK_STAGING; s < TASK_STATE_COUNT; s++)
		n += task_state_terminal(s);
	assert_int_equal(n, sizeof term / sizeof term[0]);
	assert_false(task_state_terminal(TASK_UNREACHABLE));
	assert_false(task_state_terminal(TASK_KILLING));
}

static void
test_transitions(void **state)
{
	enum task_state s, t;

	(void)state;
	/* Every state may repeat itself; terminals go nowhere else. */
	for (s = TASK_STAGING; s < TASK_STATE_COUNT; s++) {
		assert_true(task_state_allowed(s, s));
		for (t = TASK_STAGING; t < TASK_STATE_COUNT; t++)
			if (task_state_terminal(s) && t != s)
				assert_false(task_state_allowed(s, t));
	}
	/* Live states may end in any terminal or become unreachable. */
	for (t = TASK_STAGING; t < TASK_STATE_COUNT; t++) {
		if (!task_state_terminal(t))
			continue;
		assert_true(task_state_allowed(TASK_STAGING, t));
		assert_true(task_state_allowed(TASK_STARTING, t));
		assert_true(task_state_allowed(TASK_RUNNING, t));
		assert_true(task_state_allowed(TASK_KILLING, t));
		assert_true(task_state_allowed(TASK_UNREACHABLE, t));
	}
	assert_true(task_state_allowed(TASK_STAGING, TASK_STARTING));
	assert_true(task_state_allowed(TASK_STAGING, TASK_RUNNING));
	assert_true(task_state_allowed(TASK_STARTING, TASK_RUNNING));
	assert_true(task_state_allowed(TASK_RUNNING, TASK_KILLING));
	assert_true(task_state_allowed(TASK_RUNNING, TASK_UNREACHABLE));
	assert_true(task_state_allowed(TASK_UNREACHABLE, TASK_RUNNING));
	/* No going backwards. */
	assert_false(task_state_allowed(TASK_RUNNING, TASK_STAGING));
	assert_false(task_state_allowed(TASK_RUNNING, TASK_STARTING));
	assert_false(task_state_allowed(TASK_KILLING, TASK_RUNNING));
	assert_false(task_state_allowed(TASK_UNREACHABLE, TASK_STAGING));
	assert_false(task_state_allowed(TASK_FINISHED, TASK_RUNNING));
	assert_false(task_state_allowed(TASK_LOST, TASK_RUNNING));
	assert_false(task_state_allowed((enum task_state)77, TASK_RUNNING));
}

static void
test_uuid(void **state)
{
	char a[ID_UUID_LEN], b[ID_UUID_LEN];
	size_t i;

	(void)state;
	id_uuid(a);
	id_uuid(b);
	assert_int_equal(strlen(a), 36);
	assert_string_not_equal(a, b);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(a[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", a[i]));
	}
	assert_int_equal(a[14], '4');
	assert_non_null(strchr("89ab", a[19]));
	assert_true(id_valid(a));
}

static void
test_task_ids(void **state)
{
	char *t, *app;

	(void)state;
	t = id_task_new("/prod/web");
	assert_int_equal(strncmp(t, "prod_web.", 9), 0);
	assert_int_equal(strlen(t), 9 + 36);
	assert_true(id_valid(t));
	app = id_task_app(t);
	assert_string_equal(app, "/prod/web");
	free(app);
	free(t);

	/* Dots inside app ids survive: split at the last '.'. */
	t = id_task_new("/a.b/c");
	app = id_task_app(t);
	assert_string_equal(app, "/a.b/c");
	free(app);
	free(t);

	t = id_task_new("ubuntu");
	app = id_task_app(t);
	assert_string_equal(app, "/ubuntu");
	free(app);
	free(t);

	assert_null(id_task_app("nodot"));
	assert_null(id_task_app(".x"));
}

static void
test_id_valid(void **state)
{
	char big[202];

	(void)state;
	assert_true(id_valid("a"));
	assert_true(id_valid("abc-DEF_0.9"));
	assert_false(id_valid(""));
	assert_false(id_valid(NULL));
	assert_false(id_valid("a/b"));
	assert_false(id_valid("a b"));
	assert_false(id_valid("../x\n"));
	memset(big, 'x', sizeof big);
	big[200] = '\0';
	assert_true(id_valid(big));
	big[200] = 'x';
	big[201] = '\0';
	assert_false(id_valid(big));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_round_trip),
	    cmocka_unit_test(test_terminal),
	    cmocka_unit_test(test_transitions),
	    cmocka_unit_test(test_uuid),
	    cmocka_unit_test(test_task_ids),
	    cmocka_unit_test(test_id_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
