/*
 * test_sched_tracker.c: scheduler/sched_tracker without a store: tasks
 * indexed by id and by app, and the per-app counts by state and version
 * kept up to date through add, remove and state changes, checked against
 * a plain recount after every step of a random sequence, including the
 * config version changing under the cached split.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/task_state.h"
#include "lib/wire.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_tracker.h"

static struct sched_task *
mk_task(const char *id, const char *app, const char *version)
{
	struct wire_task wt;
	struct sched_task *t;

	memset(&wt, 0, sizeof wt);
	wt.task_id = (char *)(uintptr_t)id;
	wt.app_id = (char *)(uintptr_t)app;
	wt.version = (char *)(uintptr_t)version;
	wt.agent_id = (char *)(uintptr_t) "agent-1";
	wt.framework_id = (char *)(uintptr_t) "fw";
	wt.name = (char *)(uintptr_t) "name";
	t = sched_tracker_task_new(&wt, "host", NULL, 0, 1, 1);
	return t;
}

/* The counts as a walk over the app's tasks computes them. */
static void
recount(const struct sched_tracker *tr, const char *app, const char *cfg,
	struct sched_tracker_counts *out)
{
	struct sched_task *const *tv;
	size_t i, n;

	memset(out, 0, sizeof *out);
	tv = sched_tracker_app_tasks(tr, app, &n);
	for (i = 0; i < n; i++) {
		int cur = cfg == NULL || strcmp(tv[i]->version, cfg) >= 0;

		out->n[cur][tv[i]->state]++;
	}
}

static void
check(struct sched_tracker *tr, const char *app, const char *cfg)
{
	struct sched_tracker_counts want, got;
	struct sched_task *const *tv;
	size_t i, n;

	recount(tr, app, cfg, &want);
	sched_tracker_app_counts(tr, app, cfg, &got);
	assert_memory_equal(&want, &got, sizeof want);
	/* The cur flags follow the version asked for. */
	tv = sched_tracker_app_tasks(tr, app, &n);
	for (i = 0; i < n; i++)
		assert_int_equal(tv[i]->cur,
				 cfg == NULL ||
				     strcmp(tv[i]->version, cfg) >= 0);
}

static void
test_counts_basic(void **state)
{
	struct sched_tracker *tr = sched_tracker_new();
	struct sched_tracker_counts k;
	struct sched_task *a = mk_task("a1", "/a", "2020-01-01");
	struct sched_task *b = mk_task("a2", "/a", "2021-01-01");

	(void)state;
	sched_tracker_add(tr, a);
	sched_tracker_add(tr, b);
	sched_tracker_add(tr, mk_task("b1", "/b", "2021-01-01"));

	sched_tracker_app_counts(tr, "/a", NULL, &k);
	assert_int_equal(k.n[1][TASK_STAGING], 2);
	assert_int_equal(k.n[0][TASK_STAGING], 0);
	/* "" is the same as NULL: everything is current. */
	sched_tracker_app_counts(tr, "/a", "", &k);
	assert_int_equal(k.n[1][TASK_STAGING], 2);

	sched_tracker_app_counts(tr, "/a", "2021-01-01", &k);
	assert_int_equal(k.n[1][TASK_STAGING], 1);
	assert_int_equal(k.n[0][TASK_STAGING], 1);
	assert_false(a->cur);
	assert_true(b->cur);

	sched_tracker_set_state(tr, a, TASK_RUNNING);
	sched_tracker_set_state(tr, b, TASK_KILLING);
	assert_int_equal(a->state, TASK_RUNNING);
	sched_tracker_app_counts(tr, "/a", "2021-01-01", &k);
	assert_int_equal(k.n[0][TASK_RUNNING], 1);
	assert_int_equal(k.n[1][TASK_KILLING], 1);
	assert_int_equal(k.n[1][TASK_STAGING], 0);

	/* A newer config version makes both old. */
	sched_tracker_app_counts(tr, "/a", "2022-01-01", &k);
	assert_int_equal(k.n[0][TASK_RUNNING], 1);
	assert_int_equal(k.n[0][TASK_KILLING], 1);
	assert_int_equal(k.n[1][TASK_KILLING], 0);

	sched_tracker_remove(tr, a);
	sched_tracker_remove(tr, b);
	sched_tracker_app_counts(tr, "/a", "2022-01-01", &k);
	assert_int_equal(k.n[0][TASK_RUNNING] + k.n[0][TASK_KILLING], 0);
	/* An unknown app has nothing. */
	sched_tracker_app_counts(tr, "/nope", "x", &k);
	assert_int_equal(k.n[1][TASK_STAGING], 0);
	sched_tracker_app_counts(tr, "/b", NULL, &k);
	assert_int_equal(k.n[1][TASK_STAGING], 1);
	sched_tracker_free(tr);
}

static void
test_counts_random(void **state)
{
	static const char *apps[] = {"/x", "/y", "/z"};
	static const char *vers[] = {"2020-01-01T00:00:00.001Z",
				     "2020-01-01T00:00:00.002Z",
				     "2020-01-01T00:00:00.003Z"};
	const char *cfg[3] = {NULL, NULL, NULL};
	struct sched_tracker *tr = sched_tracker_new();
	unsigned seed = 12345;
	int step, next_id = 0;

	(void)state;
	for (step = 0; step < 20000; step++) {
		int op = rand_r(&seed) % 10;
		int a = rand_r(&seed) % 3;
		size_t n = sched_tracker_count(tr);

		if (op < 3 || n == 0) {
			char id[32];

			snprintf(id, sizeof id, "t%d", next_id++);
			sched_tracker_add(
			    tr, mk_task(id, apps[a], vers[rand_r(&seed) % 3]));
		} else if (op < 5) {
			sched_tracker_remove(
			    tr,
			    sched_tracker_at(tr, (size_t)rand_r(&seed) % n));
		} else if (op < 8) {
			sched_tracker_set_state(
			    tr, sched_tracker_at(tr, (size_t)rand_r(&seed) % n),
			    (enum task_state)(rand_r(&seed) %
					      TASK_STATE_COUNT));
		} else if (op < 9) {
			/* The app's config version changes (PUT). */
			int v = rand_r(&seed) % 4;

			cfg[a] = v == 3 ? NULL : vers[v];
		}
		check(tr, apps[a], cfg[a]);
	}
	sched_tracker_free(tr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counts_basic),
	    cmocka_unit_test(test_counts_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
