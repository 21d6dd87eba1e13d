/*
 * test_route.c: lib/route, the pure path-pattern matcher and query parser.
 * No loop, no network.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/route.h"

/* Match pattern against path; returns the params (caller releases). */
static bool
match(const char *pattern, const char *path, struct route_params *ps)
{
	struct route_path p;
	bool ok;

	assert_int_equal(route_path_parse(path, &p), 0);
	ok = route_match(pattern, &p, ps);
	route_path_release(&p);
	return ok;
}

static void
test_literals(void **state)
{
	struct route_params ps;

	(void)state;
	assert_true(match("/v2/apps", "/v2/apps", &ps));
	assert_int_equal(ps.n, 0);
	assert_true(match("/v2/apps", "/v2/apps/", NULL));
	assert_true(match("/v2/apps", "//v2//apps//", NULL));
	assert_true(match("/", "/", NULL));
	assert_false(match("/", "/x", NULL));
	assert_false(match("/v2/apps", "/v2/app", NULL));
	assert_false(match("/v2/apps", "/v2/apps/x", NULL));
	assert_false(match("/v2/apps", "/v2", NULL));
	assert_false(match("/v2/apps", "/V2/apps", NULL));
	/* A literal compares with the decoded segment. */
	assert_true(match("/v2/apps", "/v2/%61pps", NULL));
}

static void
test_params(void **state)
{
	struct route_params ps;

	(void)state;
	assert_true(match("/v2/tasks/:id", "/v2/tasks/t1", &ps));
	assert_int_equal(ps.n, 1);
	assert_string_equal(route_params_get(&ps, "id"), "t1");
	assert_null(route_params_get(&ps, "other"));
	route_params_release(&ps);
	assert_false(match("/v2/tasks/:id", "/v2/tasks", &ps));
	assert_int_equal(ps.n, 0);
	assert_false(match("/v2/tasks/:id", "/v2/tasks/a/b", NULL));

	assert_true(match("/a/:x/b/:y", "/a/1/b/2/", &ps));
	assert_string_equal(route_params_get(&ps, "x"), "1");
	assert_string_equal(route_params_get(&ps, "y"), "2");
	route_params_release(&ps);
}

static void
test_star_backtracking(void **state)
{
	struct route_params ps;

	(void)state;
	assert_true(match("/v2/apps/*id", "/v2/apps/a/b", &ps));
	assert_string_equal(route_params_get(&ps, "id"), "a/b");
	route_params_release(&ps);
	assert_true(match("/v2/apps/*id", "/v2/apps/a", &ps));
	assert_string_equal(route_params_get(&ps, "id"), "a");
	route_params_release(&ps);
	/* One or more segments. */
	assert_false(match("/v2/apps/*id", "/v2/apps", NULL));
	assert_false(match("/v2/apps/*id", "/v2/apps/", NULL));

	assert_true(
	    match("/v2/apps/*id/tasks/:taskId", "/v2/apps/a/b/tasks/t1", &ps));
	assert_string_equal(route_params_get(&ps, "id"), "a/b");
	assert_string_equal(route_params_get(&ps, "taskId"), "t1");
	route_params_release(&ps);

	assert_true(match("/v2/apps/*id/tasks", "/v2/apps/p/db/tasks", &ps));
	assert_string_equal(route_params_get(&ps, "id"), "p/db");
	route_params_release(&ps);
	assert_false(match("/v2/apps/*id/tasks", "/v2/apps/tasks", NULL));
	assert_false(match("/v2/apps/*id/restart", "/v2/apps/a/b", NULL));

	/* Longest capture first: the app may itself be called "tasks". */
	assert_true(match("/v2/apps/*id/tasks", "/v2/apps/x/tasks/tasks", &ps));
	assert_string_equal(route_params_get(&ps, "id"), "x/tasks");
	route_params_release(&ps);

	/* Two stars. */
	assert_true(match("/*a/x/*b", "/1/2/x/3/x/4", &ps));
	assert_string_equal(route_params_get(&ps, "a"), "1/2/x/3");
	assert_string_equal(route_params_get(&ps, "b"), "4");
	route_params_release(&ps);
}

static void
test_star_pathological(void **state)
{
	struct route_path p;
	char path[2 * ROUTE_MAX_SEGS + 1];
	size_t i;

	(void)state;
	/* Many stars against a long path of identical segments: the memo
	 * keeps this fast; without it this would take forever. */
	for (i = 0; i < ROUTE_MAX_SEGS; i++) {
		path[2 * i] = '/';
		path[2 * i + 1] = 'a';
	}
	path[2 * ROUTE_MAX_SEGS] = '\0';
	assert_int_equal(route_path_parse(path, &p), 0);
	assert_false(route_match("/*a/*b/*c/*d/*e/*f/*g/*h/b", &p, NULL));
	assert_true(route_match("/*a/*b/*c/*d/*e/*f/*g/*h", &p, NULL));
	route_path_release(&p);
}

static void
test_decoding(void **state)
{
	struct route_params ps;
	struct route_path p;
	char *s;

	(void)state;
	assert_true(match("/v2/apps/*id", "/v2/apps/my%20app/x%2Fy", &ps));
	assert_string_equal(route_params_get(&ps, "id"), "my app/x/y");
	route_params_release(&ps);
	/* '+' is literal in a path. */
	assert_true(match("/x/:v", "/x/a+b", &ps));
	assert_string_equal(route_params_get(&ps, "v"), "a+b");
	route_params_release(&ps);

	assert_int_equal(route_path_parse("/a/%00", &p), -EINVAL);
	route_path_release(&p);
	assert_int_equal(route_path_parse("/a/%zz", &p), -EINVAL);
	route_path_release(&p);
	assert_int_equal(route_path_parse("/a/%4", &p), -EINVAL);
	route_path_release(&p);
	assert_int_equal(route_path_parse("/a/%", &p), -EINVAL);
	route_path_release(&p);
	assert_int_equal(route_path_parse("a/b", &p), -EINVAL);
	route_path_release(&p);
	assert_int_equal(route_path_parse("", &p), -EINVAL);
	route_path_release(&p);

	assert_int_equal(route_decode("a%41+%7e", 8, true, &s), 0);
	assert_string_equal(s, "aA ~");
	free(s);
	assert_int_equal(route_decode("a+b", 3, false, &s), 0);
	assert_string_equal(s, "a+b");
	free(s);
	assert_int_equal(route_decode("%0", 2, false, &s), -EINVAL);
	assert_null(s);
	/* A NUL inside the length is refused too. */
	assert_int_equal(route_decode("a\0b", 3, false, &s), -EINVAL);
}

/* route_encode() then route_decode() gives back every byte string. */
static void
test_encode(void **state)
{
	static const char *const in[] = {"plain-._~", "a b/c?d=e&f", "%2F",
					 "\xc3\xa9t\xc3\xa9", "+"};
	struct buf b = BUF_INIT;
	char *out;
	size_t i;

	(void)state;
	route_encode(&b, "a b/\xc3\xa9");
	assert_string_equal(buf_str(&b), "a%20b%2F%C3%A9");
	for (i = 0; i < sizeof in / sizeof in[0]; i++) {
		buf_reset(&b);
		route_encode(&b, in[i]);
		assert_null(strpbrk(buf_str(&b), " /?&=+"));
		assert_int_equal(route_decode(b.data, b.len, true, &out), 0);
		assert_string_equal(out, in[i]);
		free(out);
	}
	buf_release(&b);
}

static void
test_too_many_segments(void **state)
{
	struct route_path p;
	char path[2 * (ROUTE_MAX_SEGS + 1) + 1];
	size_t i;

	(void)state;
	for (i = 0; i < ROUTE_MAX_SEGS + 1; i++) {
		path[2 * i] = '/';
		path[2 * i + 1] = 'a';
	}
	path[sizeof path - 1] = '\0';
	assert_int_equal(route_path_parse(path, &p), -E2BIG);
	route_path_release(&p);
}

static void
test_bad_patterns(void **state)
{
	(void)state;
	assert_false(match("/v2/:", "/v2/x", NULL));
	assert_false(match("/v2/*", "/v2/x", NULL));
	assert_false(match("v2", "/v2", NULL));
	assert_false(
	    match("/:a/:b/:c/:d/:e/:f/:g/:h/:i", "/1/2/3/4/5/6/7/8/9", NULL));
	assert_true(
	    match("/:a/:b/:c/:d/:e/:f/:g/:h", "/1/2/3/4/5/6/7/8", NULL));
}

static void
test_query(void **state)
{
	struct route_query q;
	size_t pos = 0;

	(void)state;
	assert_int_equal(
	    route_query_parse("embed=apps.tasks&force=true&x=a+b%2Bc&flag&&="
			      "ignored&embed=apps.counts",
			      &q),
	    0);
	assert_int_equal(q.n, 5);
	assert_string_equal(route_query_get(&q, "embed"), "apps.tasks");
	assert_string_equal(route_query_get(&q, "force"), "true");
	assert_string_equal(route_query_get(&q, "x"), "a b+c");
	assert_string_equal(route_query_get(&q, "flag"), "");
	assert_null(route_query_get(&q, "missing"));
	assert_string_equal(route_query_next(&q, "embed", &pos), "apps.tasks");
	assert_string_equal(route_query_next(&q, "embed", &pos), "apps.counts");
	assert_null(route_query_next(&q, "embed", &pos));
	route_query_release(&q);

	assert_int_equal(route_query_parse(NULL, &q), 0);
	assert_int_equal(q.n, 0);
	route_query_release(&q);
	assert_int_equal(route_query_parse("", &q), 0);
	assert_int_equal(q.n, 0);
	route_query_release(&q);
	assert_int_equal(route_query_parse("a%20b=%41", &q), 0);
	assert_string_equal(route_query_get(&q, "a b"), "A");
	route_query_release(&q);
	assert_int_equal(route_query_parse("a=1=2", &q), 0);
	assert_string_equal(route_query_get(&q, "a"), "1=2");
	route_query_release(&q);
}

static void
test_query_bad(void **state)
{
	struct route_query q;
	char *big;
	size_t i;

	(void)state;
	assert_int_equal(route_query_parse("a=%zz", &q), -EINVAL);
	route_query_release(&q);
	assert_int_equal(route_query_parse("a=1&b=%00", &q), -EINVAL);
	route_query_release(&q);
	assert_int_equal(route_query_parse("%=1", &q), -EINVAL);
	route_query_release(&q);

	big = malloc(4 * (ROUTE_MAX_QUERY + 1) + 1);
	for (i = 0; i < ROUTE_MAX_QUERY + 1; i++)
		memcpy(big + 4 * i, "a=1&", 4);
	big[4 * (ROUTE_MAX_QUERY + 1)] = '\0';
	assert_int_equal(route_query_parse(big, &q), -E2BIG);
	route_query_release(&q);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_literals),
	    cmocka_unit_test(test_params),
	    cmocka_unit_test(test_encode),
	    cmocka_unit_test(test_star_backtracking),
	    cmocka_unit_test(test_star_pathological),
	    cmocka_unit_test(test_decoding),
	    cmocka_unit_test(test_too_many_segments),
	    cmocka_unit_test(test_bad_patterns),
	    cmocka_unit_test(test_query),
	    cmocka_unit_test(test_query_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
