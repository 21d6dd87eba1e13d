/*
 * test_sched_constraint.c: scheduler/sched_constraint, Marathon's placement
 * constraints: each operator on hostname and on attributes, agents that
 * lack an attribute, full-match regexes, GROUP_BY with and without a group
 * count, several constraints at once, and compile errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "scheduler/place/sched_constraint.h"

struct fx {
	struct sched_constraints *c;
	struct sched_constraint_index *x;
	json_t *attrs[4]; /* agents h0..h3: rack r1 r1 r2 (h3: none) */
};

static const char *const hosts[] = {"h0", "h1", "h2", "h3"};

static void
fx_init(struct fx *f, const char *constraints)
{
	json_error_t je;
	json_t *j = json_loads(constraints, 0, &je);
	struct cd_err err;

	assert_non_null(j);
	memset(f, 0, sizeof *f);
	cd_err_clear(&err);
	assert_int_equal(sched_constraint_compile(j, &f->c, &err), 0);
	json_decref(j);
	f->x = sched_constraint_index_new(f->c);
	f->attrs[0] = json_pack("{s:s, s:s}", "rack", "r1", "zone", "a");
	f->attrs[1] = json_pack("{s:s, s:s}", "rack", "r1", "zone", "b");
	f->attrs[2] = json_pack("{s:s}", "rack", "r2");
	f->attrs[3] = json_object();
}

static void
fx_release(struct fx *f)
{
	size_t i;

	sched_constraint_index_free(f->x);
	sched_constraint_free(f->c);
	for (i = 0; i < 4; i++)
		json_decref(f->attrs[i]);
}

/* Whether one more task may go on agent a. */
static int
ok(struct fx *f, int a)
{
	return sched_constraint_check(f->c, f->x, hosts[a], f->attrs[a], NULL,
				      0) == 0;
}

static void
place(struct fx *f, int a)
{
	sched_constraint_index_add(f->x, hosts[a], f->attrs[a]);
}

/* Place greedily over agents 0..n-1 in order, up to want tasks: how many
 * go on each agent. */
static void
spread(struct fx *f, int n, int want, int *per)
{
	int placed = 0, a, progress = 1;

	memset(per, 0, sizeof(int) * 4);
	while (placed < want && progress) {
		progress = 0;
		for (a = 0; a < n && placed < want; a++) {
			if (ok(f, a)) {
				place(f, a);
				per[a]++;
				placed++;
				progress = 1;
			}
		}
	}
}

static void
test_none(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, "[]");
	assert_int_equal(sched_constraint_count(f.c), 0);
	place(&f, 0);
	assert_true(ok(&f, 0));
	assert_int_equal(sched_constraint_index_tasks(f.x), 1);
	fx_release(&f);
}

static void
test_unique_hostname(void **state)
{
	struct fx f;
	char why[256];
	int per[4];

	(void)state;
	fx_init(&f, "[[\"hostname\", \"UNIQUE\"]]");
	spread(&f, 4, 10, per);
	assert_int_equal(per[0] + per[1] + per[2] + per[3], 4);
	assert_int_equal(per[0], 1);
	assert_int_equal(per[3], 1);
	assert_int_equal(
	    sched_constraint_check(f.c, f.x, "h1", f.attrs[1], why, sizeof why),
	    -EPERM);
	assert_non_null(strstr(why, "UNIQUE"));
	assert_non_null(strstr(why, "hostname=h1"));
	fx_release(&f);
}

static void
test_unique_attribute(void **state)
{
	struct fx f;
	char why[256];

	(void)state;
	fx_init(&f, "[[\"rack\", \"UNIQUE\"]]");
	assert_true(ok(&f, 0));
	place(&f, 0);
	assert_false(ok(&f, 1)); /* also r1 */
	assert_true(ok(&f, 2));
	/* An agent without the attribute never satisfies UNIQUE. */
	assert_int_equal(
	    sched_constraint_check(f.c, f.x, "h3", f.attrs[3], why, sizeof why),
	    -EPERM);
	assert_non_null(strstr(why, "no attribute rack"));
	fx_release(&f);
}

static void
test_cluster(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, "[[\"rack\", \"CLUSTER\", \"r1\"]]");
	assert_true(ok(&f, 0));
	assert_true(ok(&f, 1));
	assert_false(ok(&f, 2));
	assert_false(ok(&f, 3));
	fx_release(&f);

	/* Without a value: the first placement decides. */
	fx_init(&f, "[[\"rack\", \"CLUSTER\"]]");
	assert_true(ok(&f, 2));
	place(&f, 2);
	assert_false(ok(&f, 0));
	assert_true(ok(&f, 2));
	fx_release(&f);

	fx_init(&f, "[[\"hostname\", \"CLUSTER\", \"h1\"]]");
	assert_false(ok(&f, 0));
	assert_true(ok(&f, 1));
	fx_release(&f);

	fx_init(&f, "[[\"hostname\", \"CLUSTER\"]]");
	place(&f, 3);
	assert_false(ok(&f, 0));
	assert_true(ok(&f, 3));
	fx_release(&f);
}

static void
test_group_by(void **state)
{
	struct fx f;
	int per[4];

	(void)state;
	/* Over the racks r1, r2: evenly, 3 + 3. */
	fx_init(&f, "[[\"rack\", \"GROUP_BY\"]]");
	spread(&f, 3, 6, per);
	assert_int_equal(per[0] + per[1], 3);
	assert_int_equal(per[2], 3);
	fx_release(&f);

	/* With 3 groups asked for, a second task in a group waits until
	 * three groups exist. */
	fx_init(&f, "[[\"hostname\", \"GROUP_BY\", \"3\"]]");
	place(&f, 0);
	assert_false(ok(&f, 0));
	assert_true(ok(&f, 1));
	place(&f, 1);
	assert_false(ok(&f, 1));
	place(&f, 2);
	assert_true(ok(&f, 0));
	place(&f, 0);
	assert_false(ok(&f, 0)); /* h0 has 2, the others 1 */
	assert_true(ok(&f, 1));
	fx_release(&f);

	/* Agents lacking the attribute make a group of their own. */
	fx_init(&f, "[[\"rack\", \"GROUP_BY\"]]");
	place(&f, 0);
	place(&f, 3);
	place(&f, 3);
	assert_false(ok(&f, 3));
	assert_true(ok(&f, 0)); /* r1 has 1, "missing" 2 */
	fx_release(&f);
}

static void
test_like_unlike(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, "[[\"hostname\", \"LIKE\", \"h[12]\"]]");
	assert_false(ok(&f, 0));
	assert_true(ok(&f, 1));
	assert_true(ok(&f, 2));
	fx_release(&f);

	/* A full match: "h" alone does not match "h1". */
	fx_init(&f, "[[\"hostname\", \"LIKE\", \"h\"]]");
	assert_false(ok(&f, 1));
	fx_release(&f);

	fx_init(&f, "[[\"rack\", \"LIKE\", \"r1|r3\"]]");
	assert_true(ok(&f, 0));
	assert_false(ok(&f, 2));
	assert_false(ok(&f, 3)); /* no attribute */
	fx_release(&f);

	fx_init(&f, "[[\"rack\", \"UNLIKE\", \"r1\"]]");
	assert_false(ok(&f, 0));
	assert_true(ok(&f, 2));
	assert_true(ok(&f, 3)); /* no attribute: UNLIKE holds */
	fx_release(&f);

	fx_init(&f, "[[\"hostname\", \"UNLIKE\", \"h.*\"]]");
	assert_false(ok(&f, 2));
	fx_release(&f);
}

static void
test_max_per(void **state)
{
	struct fx f;
	int per[4];

	(void)state;
	fx_init(&f, "[[\"rack\", \"MAX_PER\", \"2\"]]");
	spread(&f, 4, 10, per);
	assert_int_equal(per[0] + per[1], 2);
	assert_int_equal(per[2], 2);
	assert_int_equal(per[3], 0);
	fx_release(&f);

	fx_init(&f, "[[\"hostname\", \"MAX_PER\", \"1\"]]");
	spread(&f, 4, 10, per);
	assert_int_equal(per[0] + per[1] + per[2] + per[3], 4);
	fx_release(&f);
}

static void
test_is(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, "[[\"zone\", \"IS\", \"b\"]]");
	assert_false(ok(&f, 0));
	assert_true(ok(&f, 1));
	assert_false(ok(&f, 2));
	fx_release(&f);

	fx_init(&f, "[[\"hostname\", \"IS\", \"h2\"]]");
	assert_false(ok(&f, 1));
	assert_true(ok(&f, 2));
	fx_release(&f);
}

static void
test_several(void **state)
{
	struct fx f;
	int per[4];

	(void)state;
	fx_init(&f, "[[\"hostname\", \"UNIQUE\"], "
		    "[\"rack\", \"CLUSTER\", \"r1\"]]");
	spread(&f, 4, 10, per);
	assert_int_equal(per[0], 1);
	assert_int_equal(per[1], 1);
	assert_int_equal(per[2] + per[3], 0);
	fx_release(&f);
}

static void
test_compile_errors(void **state)
{
	static const char *const bad[] = {
	    "[[\"hostname\"]]",
	    "[[\"hostname\", \"NEAR\"]]",
	    "[[\"rack\", \"MAX_PER\", \"x\"]]",
	    "[[\"rack\", \"MAX_PER\", \"0\"]]",
	    "[[\"rack\", \"GROUP_BY\", \"-1\"]]",
	    "[[\"rack\", \"LIKE\", \"(\"]]",
	    "[[1, \"UNIQUE\"]]",
	    "{}",
	};
	struct sched_constraints *c;
	struct cd_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *j = json_loads(bad[i], 0, NULL);

		assert_non_null(j);
		cd_err_clear(&err);
		assert_int_equal(sched_constraint_compile(j, &c, &err),
				 -EINVAL);
		assert_null(c);
		assert_true(err.msg[0] != '\0');
		json_decref(j);
	}
	assert_int_equal(sched_constraint_compile(NULL, &c, NULL), 0);
	assert_int_equal(sched_constraint_count(c), 0);
	sched_constraint_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_none),
	    cmocka_unit_test(test_unique_hostname),
	    cmocka_unit_test(test_unique_attribute),
	    cmocka_unit_test(test_cluster),
	    cmocka_unit_test(test_group_by),
	    cmocka_unit_test(test_like_unlike),
	    cmocka_unit_test(test_max_per),
	    cmocka_unit_test(test_is),
	    cmocka_unit_test(test_several),
	    cmocka_unit_test(test_compile_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
