/*
 * test_ctr_sim.c: the simulation containerizer (bench only) on a real
 * loop, through the registry: STARTING then RUNNING after a launch, never
 * from inside the call; KILLED after a kill; recover re-adopts silently.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "containerizer/ctr.h"
#include "containerizer/ctr_sim.h"
#include "lib/loop.h"

struct seen {
	struct loop *l;
	enum task_state st[8];
	int n;
	int stop_at;
	int checkpoint;
};

static void
on_event(const struct ctr_event *ev, void *arg)
{
	struct seen *s = arg;

	assert_string_equal(ev->task_id, "t1");
	assert_non_null(ev->container_id);
	if (ev->state == TASK_RUNNING && ev->checkpoint != NULL)
		s->checkpoint = 1;
	if (s->n < 8)
		s->st[s->n++] = ev->state;
	if (s->n == s->stop_at)
		loop_stop(s->l);
}

static void
run_until(struct seen *s, int n)
{
	s->stop_at = n;
	assert_int_equal(loop_run(s->l), 0);
	assert_int_equal(s->n, n);
}

static void
test_launch_kill(void **state)
{
	struct seen s = {0};
	struct wire_task t = {0};
	const struct ctr_ops *ops;
	struct cd_err err = {0};
	struct ctr *c;
	char sandbox[] = "/tmp/test_ctr_sim.XXXXXX";
	void *impl;

	(void)state;
	/* The registry gives the sandbox to the task (mode 0750). */
	assert_non_null(mkdtemp(sandbox));
	s.l = loop_new();
	c = ctr_new(s.l, NULL, NULL);
	impl = ctr_sim_new(s.l, on_event, &s, &ops);
	assert_string_equal(ops->name, "sim");
	ctr_add(c, ops, impl);
	t.task_id = (char *)(uintptr_t) "t1";
	assert_int_equal(ctr_launch(c, &t, sandbox, &err), 0);
	assert_int_equal(s.n, 0); /* never from inside the call */
	assert_int_equal(ctr_launch(c, &t, sandbox, &err), -EEXIST);
	run_until(&s, 2);
	assert_int_equal(s.st[0], TASK_STARTING);
	assert_int_equal(s.st[1], TASK_RUNNING);
	assert_true(s.checkpoint);
	assert_int_equal(ctr_sim_count(impl), 1);
	assert_int_equal(ctr_kill(c, "t1", 0), 0);
	assert_int_equal(s.n, 2);
	run_until(&s, 3);
	assert_int_equal(s.st[2], TASK_KILLED);
	assert_int_equal(ctr_sim_count(impl), 0);
	assert_int_equal(ctr_kill(c, "t1", 0), -ENOENT);
	ctr_free(c);
	loop_free(s.l);
	assert_int_equal(rmdir(sandbox), 0);
}

static void
test_recover(void **state)
{
	struct seen s = {0};
	struct wire_task t = {0};
	const struct ctr_ops *ops;
	struct ctr *c;
	void *impl;

	(void)state;
	s.l = loop_new();
	c = ctr_new(s.l, NULL, NULL);
	impl = ctr_sim_new(s.l, on_event, &s, &ops);
	ctr_add(c, ops, impl);
	t.task_id = (char *)(uintptr_t) "t1";
	assert_int_equal(ctr_recover(c, &t, "/nonexistent", NULL), 0);
	assert_int_equal(ctr_sim_count(impl), 1);
	assert_int_equal(ctr_kill(c, "t1", 0), 0);
	run_until(&s, 1); /* re-adopted silently: only the kill reports */
	assert_int_equal(s.st[0], TASK_KILLED);
	ctr_free(c);
	loop_free(s.l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_launch_kill),
	    cmocka_unit_test(test_recover),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
