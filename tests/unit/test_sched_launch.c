/*
 * test_sched_launch.c: the pure launch arithmetic of scheduler/sched_launch:
 * fitting instances into an offer (scalars, lowest free ports, exact
 * ports, all-or-nothing), the backoff delay, and the converge plan
 * (scale up and down, rolling replacement within maximumOverCapacity,
 * minimumHealthCapacity, progress when no room is allowed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "lib/resources.h"
#include "scheduler/place/sched_launch.h"

static struct resources
offer(double cpus, double mem, double disk, uint32_t pb, uint32_t pe)
{
	struct resources r;

	memset(&r, 0, sizeof r);
	r.cpus = cpus;
	r.mem = mem;
	r.disk = disk;
	if (pb != 0) {
		res_set_ranges(&r, &(struct res_range){pb, pe}, 1);
	}
	return r;
}

static struct resources
need(double cpus, double mem, double disk)
{
	return offer(cpus, mem, disk, 0, 0);
}

static void
test_fit_scalars(void **state)
{
	struct resources av = offer(1.0, 256, 100, 0, 0);
	struct resources per = need(0.3, 64, 0);
	int n = 0;

	(void)state;
	while (sched_launch_fit(&av, &per, NULL, 0, NULL) == 0)
		n++;
	assert_int_equal(n, 3); /* cpus bound: 0.9 used */
	assert_true(av.cpus > 0.09 && av.cpus < 0.11);
	assert_true(av.mem > 63.9 && av.mem < 64.1);

	/* 0.1 * 10 must fit exactly despite floating point. */
	av = offer(1.0, 1000, 0, 0, 0);
	per = need(0.1, 10, 0);
	for (n = 0; sched_launch_fit(&av, &per, NULL, 0, NULL) == 0; n++)
		;
	assert_int_equal(n, 10);

	av = offer(4, 100, 10, 0, 0);
	per = need(1, 1, 20);
	assert_int_equal(sched_launch_fit(&av, &per, NULL, 0, NULL), -ENOSPC);
	assert_true(av.disk == 10);
}

static void
test_fit_ports_lowest(void **state)
{
	struct resources av = offer(8, 8192, 0, 31000, 31004);
	struct resources per = need(0.1, 16, 0);
	uint32_t p[2];

	(void)state;
	assert_int_equal(sched_launch_fit(&av, &per, NULL, 2, p), 0);
	assert_int_equal(p[0], 31000);
	assert_int_equal(p[1], 31001);
	assert_int_equal(sched_launch_fit(&av, &per, NULL, 2, p), 0);
	assert_int_equal(p[0], 31002);
	assert_int_equal(p[1], 31003);
	/* One port left: the next two-port instance does not fit, and the
	 * failed attempt leaves the offer untouched. */
	assert_int_equal(sched_launch_fit(&av, &per, NULL, 2, p), -ENOSPC);
	assert_int_equal(av.nranges, 1);
	assert_int_equal(av.ports[0].begin, 31004);
	assert_int_equal(av.ports[0].end, 31004);
	assert_int_equal(sched_launch_fit(&av, &per, NULL, 1, p), 0);
	assert_int_equal(p[0], 31004);
	assert_int_equal(av.nranges, 0);
	res_free(&av);
}

static void
test_fit_ports_exact(void **state)
{
	struct resources av = offer(8, 8192, 0, 31000, 31010);
	struct resources per = need(0.1, 16, 0);
	uint32_t req[3] = {0, 31005, 0}, p[3];

	(void)state;
	assert_int_equal(sched_launch_fit(&av, &per, req, 3, p), 0);
	assert_int_equal(p[0], 31000);
	assert_int_equal(p[1], 31005);
	assert_int_equal(p[2], 31001);
	/* 31005 was split out of the range. */
	assert_int_equal(av.nranges, 2);
	assert_int_equal(av.ports[0].begin, 31002);
	assert_int_equal(av.ports[0].end, 31004);
	assert_int_equal(av.ports[1].begin, 31006);
	assert_int_equal(av.ports[1].end, 31010);
	/* The same exact port cannot be had twice. */
	assert_int_equal(sched_launch_fit(&av, &per, req, 3, p), -ENOSPC);
	/* A port outside the offer never fits. */
	req[1] = 80;
	assert_int_equal(sched_launch_fit(&av, &per, req, 3, p), -ENOSPC);
	assert_int_equal(av.nranges, 2);
	/* Taking the ends of ranges shrinks them. */
	req[0] = 31002;
	req[1] = 31010;
	req[2] = 31004;
	assert_int_equal(sched_launch_fit(&av, &per, req, 3, p), 0);
	assert_int_equal(av.nranges, 2);
	assert_int_equal(av.ports[0].begin, 31003);
	assert_int_equal(av.ports[0].end, 31003);
	assert_int_equal(av.ports[1].end, 31009);
	res_free(&av);
}

static void
test_fit_no_ports(void **state)
{
	struct resources av = offer(8, 8192, 0, 0, 0);
	struct resources per = need(0.1, 16, 0);
	uint32_t p[1];

	(void)state;
	assert_int_equal(sched_launch_fit(&av, &per, NULL, 1, p), -ENOSPC);
	assert_true(av.cpus == 8);
}

static void
test_backoff(void **state)
{
	(void)state;
	assert_int_equal(sched_launch_backoff_ms(1, 1.15, 300, 0), 0);
	assert_int_equal(sched_launch_backoff_ms(1, 1.15, 300, 1), 1000);
	assert_int_equal(sched_launch_backoff_ms(1, 1.15, 300, 2), 1150);
	assert_int_equal(sched_launch_backoff_ms(2, 1.5, 300, 3), 4500);
	assert_int_equal(sched_launch_backoff_ms(2, 2, 300, 4), 16000);
	assert_int_equal(sched_launch_backoff_ms(1, 1.15, 300, 1000000),
			 300000);
	assert_int_equal(sched_launch_backoff_ms(10, 2, 5, 1), 5000);
	assert_int_equal(sched_launch_backoff_ms(0, 2, 300, 3), 0);
}

/* The plan with killing tasks still dying, replacing of them killed to
 * be replaced. */
static struct sched_launch_plan
plan_k(int inst, double health, double over, int cur_active, int cur_running,
       int old_active, int old_running, int killing, int replacing)
{
	struct sched_launch_counts c;
	struct sched_launch_plan p;

	memset(&c, 0, sizeof c);
	c.instances = inst;
	c.min_health = health;
	c.max_over = over;
	c.cur_active = cur_active;
	c.cur_running = cur_running;
	c.old_active = old_active;
	c.old_running = old_running;
	c.killing = killing;
	c.replacing = replacing;
	memset(&p, 0x55, sizeof p);
	sched_launch_plan(&c, &p);
	return p;
}

static struct sched_launch_plan
plan(int inst, double health, double over, int cur_active, int cur_running,
     int old_active, int old_running)
{
	return plan_k(inst, health, over, cur_active, cur_running, old_active,
		      old_running, 0, 0);
}

static void
test_plan_scale(void **state)
{
	struct sched_launch_plan p;

	(void)state;
	p = plan(3, 1, 1, 0, 0, 0, 0); /* new app */
	assert_int_equal(p.launch, 3);
	assert_int_equal(p.kill_cur, 0);
	assert_int_equal(p.kill_old, 0);
	assert_int_equal(p.converged, 0);

	p = plan(3, 1, 1, 1, 1, 0, 0); /* one running, two to go */
	assert_int_equal(p.launch, 2);

	p = plan(3, 1, 1, 3, 3, 0, 0);
	assert_int_equal(p.launch, 0);
	assert_int_equal(p.converged, 1);

	p = plan(3, 1, 1, 3, 2, 0, 0); /* one still staging */
	assert_int_equal(p.launch, 0);
	assert_int_equal(p.converged, 0);

	p = plan(1, 1, 1, 3, 3, 0, 0); /* scale down */
	assert_int_equal(p.launch, 0);
	assert_int_equal(p.kill_cur, 2);
	assert_int_equal(p.kill_old, 0);

	p = plan(0, 1, 1, 2, 1, 1, 1); /* suspend: everything goes */
	assert_int_equal(p.launch, 0);
	assert_int_equal(p.kill_cur, 2);
	assert_int_equal(p.kill_old, 1);

	p = plan(0, 1, 1, 0, 0, 0, 0);
	assert_int_equal(p.converged, 1);
}

static void
test_plan_rolling(void **state)
{
	struct sched_launch_plan p;

	(void)state;
	/* Default strategy {1, 1}: launch all new ones next to the old. */
	p = plan(2, 1, 1, 0, 0, 2, 2);
	assert_int_equal(p.launch, 2);
	assert_int_equal(p.kill_old, 0);
	/* One new task runs: one old task goes. */
	p = plan(2, 1, 1, 2, 1, 2, 2);
	assert_int_equal(p.launch, 0);
	assert_int_equal(p.kill_old, 1);
	p = plan(2, 1, 1, 2, 2, 1, 1);
	assert_int_equal(p.kill_old, 1);
	p = plan(2, 1, 1, 2, 2, 0, 0);
	assert_int_equal(p.converged, 1);

	/* maximumOverCapacity 0.5 on 4 instances: at most 6 at once. */
	p = plan(4, 1, 0.5, 0, 0, 4, 4);
	assert_int_equal(p.launch, 2);
	assert_int_equal(p.kill_old, 0);
	/* Two new running: two old killed, two more new may start. */
	p = plan(4, 1, 0.5, 2, 2, 4, 4);
	assert_int_equal(p.kill_old, 2);
	assert_int_equal(p.launch, 2);
}

static void
test_plan_no_room(void **state)
{
	struct sched_launch_plan p;

	(void)state;
	/* {0.5, 0}: kill down to half first, then launch into the room. */
	p = plan(2, 0.5, 0, 0, 0, 2, 2);
	assert_int_equal(p.kill_old, 1);
	assert_int_equal(p.launch, 1);
	/* Non-running old tasks go first and freely. */
	p = plan(2, 1, 0, 0, 0, 2, 0);
	assert_int_equal(p.kill_old, 2);
	assert_int_equal(p.launch, 2);
	/* {1, 0} would deadlock: one old task is killed to progress. */
	p = plan(1, 1, 0, 0, 0, 1, 1);
	assert_int_equal(p.kill_old, 1);
	assert_int_equal(p.launch, 1);
	/* ...but not while a new task is already on its way. */
	p = plan(2, 1, 0, 1, 0, 1, 1);
	assert_int_equal(p.kill_old, 0);
	assert_int_equal(p.launch, 0);
	/* Once it runs and nothing is in flight, the next old one goes. */
	p = plan(2, 1, 0, 1, 1, 1, 1);
	assert_int_equal(p.kill_old, 1);
	assert_int_equal(p.launch, 1);
	p = plan(1, 1, 0, 1, 1, 1, 1);
	assert_int_equal(p.kill_old, 1);
}

static void
test_plan_killing(void **state)
{
	struct sched_launch_plan p;

	(void)state;
	/* {0.5, 0}: the old task killed to make room still holds it until
	 * its end is confirmed: nothing launches beside it. */
	p = plan_k(2, 0.5, 0, 0, 0, 1, 1, 1, 0);
	assert_int_equal(p.launch, 0);
	assert_int_equal(p.launch_now, 0);
	assert_int_equal(p.kill_old, 0);
	p = plan_k(2, 0.5, 0, 0, 0, 1, 1, 0, 0); /* confirmed */
	assert_int_equal(p.launch, 1);
	/* {1, 0}: no forced kill while a kill is under way. */
	p = plan_k(1, 1, 0, 0, 0, 1, 1, 1, 0);
	assert_int_equal(p.kill_old, 0);
	assert_int_equal(p.launch, 0);
	/* Default {1, 1}: a scale-down kill leaves room for a launch. */
	p = plan_k(2, 1, 1, 1, 1, 0, 0, 1, 0);
	assert_int_equal(p.launch, 1);
	assert_int_equal(p.launch_now, 1);
	/* A task killed to be replaced (failed health checks) is still an
	 * instance: its replacement waits for its end, whatever the room. */
	p = plan_k(1, 1, 1, 0, 0, 0, 0, 1, 1);
	assert_int_equal(p.launch, 0);
	assert_int_equal(p.converged, 0);
	p = plan_k(3, 1, 1, 2, 2, 0, 0, 1, 1);
	assert_int_equal(p.launch, 0);
	assert_int_equal(p.kill_cur, 0);
	p = plan_k(3, 1, 1, 2, 2, 0, 0, 0, 0); /* its end confirmed */
	assert_int_equal(p.launch, 1);
	/* Over capacity counts the dying: {1, 0.5} on 2 is 3 at most. */
	p = plan_k(2, 1, 0.5, 1, 1, 0, 0, 2, 0);
	assert_int_equal(p.launch, 0);
	p = plan_k(2, 1, 0.5, 1, 1, 0, 0, 1, 0);
	assert_int_equal(p.launch, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fit_scalars),
	    cmocka_unit_test(test_fit_ports_lowest),
	    cmocka_unit_test(test_fit_ports_exact),
	    cmocka_unit_test(test_fit_no_ports),
	    cmocka_unit_test(test_backoff),
	    cmocka_unit_test(test_plan_scale),
	    cmocka_unit_test(test_plan_rolling),
	    cmocka_unit_test(test_plan_no_room),
	    cmocka_unit_test(test_plan_killing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
