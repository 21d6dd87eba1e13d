/*
 * test_json.c: lib/json's bounded parser, its typed getters (including
 * Marathon 0.5's numbers sent as strings), the seconds-as-milliseconds
 * reader and the ISO-8601 time format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"

static json_t *
parse(const char *s)
{
	struct cd_err err;

	cd_err_clear(&err);
	return json_parse_bounded(s, strlen(s), &err);
}

static void
test_parse_bounds(void **state)
{
	char deep[2 * (JSON_MAX_DEPTH + 2) + 1];
	struct cd_err err;
	json_t *j;
	size_t i, n = JSON_MAX_DEPTH + 2;

	(void)state;
	j = parse("{\"a\": [1, 2]}");
	assert_non_null(j);
	json_decref(j);
	for (i = 0; i < n; i++) {
		deep[i] = '[';
		deep[n + i] = ']';
	}
	deep[2 * n] = '\0';
	cd_err_clear(&err);
	assert_null(json_parse_bounded(deep, strlen(deep), &err));
	cd_err_clear(&err);
	assert_null(json_parse_bounded("{\"a\": ", 6, &err));
	cd_err_clear(&err);
	assert_null(json_parse_bounded("\"\xff\"", 3, &err));
}

static void
test_opt_getters(void **state)
{
	json_t *j =
	    parse("{\"n\": 1.5, \"s\": \"2\", \"i\": \"7\", \"b\": \"true\","
		  " \"bad\": [1], \"z\": null}");
	struct cd_err err;
	double d = -1;
	long long ll = -1;
	bool b = false, present = true;
	const char *str = NULL;

	(void)state;
	assert_non_null(j);
	cd_err_clear(&err);
	assert_int_equal(json_opt_num(j, "n", "", &d, &present, &err), 0);
	assert_true(present);
	assert_true(d == 1.5);
	assert_int_equal(json_opt_num(j, "s", "", &d, NULL, &err), 0);
	assert_true(d == 2.0);
	assert_int_equal(json_opt_int(j, "i", "", &ll, NULL, &err), 0);
	assert_int_equal(ll, 7);
	assert_int_equal(json_opt_bool(j, "b", "", &b, NULL, &err), 0);
	assert_true(b);
	ll = 42;
	assert_int_equal(json_opt_int(j, "missing", "", &ll, &present, &err),
			 0);
	assert_false(present);
	assert_int_equal(ll, 42);
	assert_int_equal(json_opt_int(j, "z", "", &ll, &present, &err), 0);
	assert_false(present);
	assert_int_equal(json_opt_str(j, "s", "", &str, NULL, &err), 0);
	assert_string_equal(str, "2");
	assert_int_equal(json_opt_int(j, "bad", "/app", &ll, NULL, &err),
			 -EINVAL);
	assert_non_null(strstr(err.path, "bad"));
	json_decref(j);
}

static void
test_secs_ms(void **state)
{
	json_t *j =
	    parse("{\"intervalSeconds\": 3, \"timeoutSeconds\": \"x\"}");

	(void)state;
	assert_non_null(j);
	assert_int_equal(json_secs_ms(j, "intervalSeconds", 60), 3000);
	assert_int_equal(json_secs_ms(j, "timeoutSeconds", 20), 20000);
	assert_int_equal(json_secs_ms(j, "gracePeriodSeconds", 300), 300000);
	json_decref(j);
}

static void
test_time_iso(void **state)
{
	char out[32];

	(void)state;
	json_time_iso(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00.000Z");
	json_time_iso(1764115200123LL, out);
	assert_string_equal(out, "2025-11-26T00:00:00.123Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_bounds),
	    cmocka_unit_test(test_opt_getters),
	    cmocka_unit_test(test_secs_ms),
	    cmocka_unit_test(test_time_iso),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
