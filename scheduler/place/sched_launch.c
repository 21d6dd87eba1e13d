/*
 * sched_launch.c: the pure launch arithmetic: offer fitting, backoff and
 * the converge plan. Design: the matcher works on a private copy of the
 * offer's remaining resources and writes it back only when the whole
 * instance fits, so a failed fit never leaves half-taken ports behind.
 * The plan is plain integer arithmetic over counts, so every policy (scale
 * down, rolling replacement, over-capacity bound) is unit-testable.
 * Pure (STYLE B28): no I/O, no loop, no globals. Any thread.
 */
#include "scheduler/place/sched_launch.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define SCHED_LAUNCH_EPS 1e-9

/* Take port p out of the ranges v[0..*n-1]; -ENOENT when not there. */
static int
launch_take_port(struct res_range *v, int *n, uint32_t p)
{
	int i;

	for (i = 0; i < *n; i++) {
		struct res_range *g = &v[i];

		if (p < g->begin || p > g->end)
			continue;
		if (g->begin == g->end) {
			memmove(&v[i], &v[i + 1],
				(size_t)(*n - i - 1) * sizeof v[0]);
			(*n)--;
		} else if (p == g->begin) {
			g->begin++;
		} else if (p == g->end) {
			g->end--;
		} else {
			/* Split in two: needs one more slot. */
			if (*n >= RES_MAX_RANGES)
				return -ENOSPC;
			memmove(&v[i + 2], &v[i + 1],
				(size_t)(*n - i - 1) * sizeof v[0]);
			v[i + 1].begin = p + 1;
			v[i + 1].end = g->end;
			g->end = p - 1;
			(*n)++;
		}
		return 0;
	}
	return -ENOENT;
}

int
sched_launch_fit(struct resources *avail, const struct resources *per,
		 const uint32_t *req_ports, size_t nports, uint32_t *out_ports)
{
	struct res_range v[RES_MAX_RANGES];
	int nv = avail->nranges;
	size_t i;

	if (avail->cpus + SCHED_LAUNCH_EPS < per->cpus ||
	    avail->mem + SCHED_LAUNCH_EPS < per->mem ||
	    avail->disk + SCHED_LAUNCH_EPS < per->disk)
		return -ENOSPC;
	if (nports > 0 && nv > 0)
		memcpy(v, avail->ports, (size_t)nv * sizeof v[0]);
	/* Exact ports first, so "any" never steals one that was asked for. */
	for (i = 0; i < nports; i++) {
		uint32_t p = req_ports != NULL ? req_ports[i] : 0;

		out_ports[i] = p;
		if (p != 0 && launch_take_port(v, &nv, p) != 0)
			return -ENOSPC;
	}
	for (i = 0; i < nports; i++) {
		uint32_t p;

		if (out_ports[i] != 0)
			continue;
		if (nv == 0)
			return -ENOSPC;
		p = v[0].begin;
		if (launch_take_port(v, &nv, p) != 0)
			return -ENOSPC;
		out_ports[i] = p;
	}
	avail->cpus = fmax(0.0, avail->cpus - per->cpus);
	avail->mem = fmax(0.0, avail->mem - per->mem);
	avail->disk = fmax(0.0, avail->disk - per->disk);
	if (nports > 0)
		res_set_ranges(avail, v, nv);
	return 0;
}

uint64_t
sched_launch_backoff_ms(double seconds, double factor, double max_seconds,
			int n)
{
	double d;

	if (n <= 0 || seconds <= 0)
		return 0;
	if (factor < 1.0)
		factor = 1.0;
	if (max_seconds <= 0 || max_seconds > 86400.0)
		max_seconds = 86400.0; /* keep the result finite */
	d = seconds;
	/* Multiply step by step so a large n stops at the cap, not at inf. */
	while (--n > 0 && d < max_seconds)
		d *= factor;
	if (d > max_seconds)
		d = max_seconds;
	return (uint64_t)(d * 1000.0 + 0.5);
}

static int
imin(int a, int b)
{
	return a < b ? a : b;
}

static int
imax(int a, int b)
{
	return a > b ? a : b;
}

void
sched_launch_plan(const struct sched_launch_counts *c,
		  struct sched_launch_plan *out)
{
	int inst = imax(0, c->instances);
	int cur_keep = imin(c->cur_active, inst);
	int cur_run = imin(c->cur_running, cur_keep);
	int killing = imax(0, c->killing);
	int need = imax(0, inst - cur_keep - imax(0, c->replacing));
	int max_total, min_keep, old_left, kill_a, launch;
	double over = c->max_over < 0 ? 0 : c->max_over;
	double health = c->min_health < 0 ? 0 : c->min_health;

	max_total = imax(
	    inst, (int)floor((double)inst * (1.0 + over) + SCHED_LAUNCH_EPS));
	min_keep = (int)ceil((double)inst * health - SCHED_LAUNCH_EPS);

	/* Each running current task replaces one old task. */
	kill_a = imax(0, imin(c->old_active, cur_run + c->old_active - inst));
	old_left = c->old_active - kill_a;
	launch =
	    imin(need, imax(0, max_total - (cur_keep + old_left + killing)));

	if (launch < need && old_left > 0) {
		/* Old tasks block launches: make room, non-running first,
		 * keeping min_keep running tasks when possible. */
		int old_run_left = imin(c->old_running, old_left);
		int nonrun = old_left - old_run_left;
		int can = imax(0, cur_run + old_run_left - min_keep);
		int kill_b = imin(need - launch, nonrun + can);

		kill_b = imin(kill_b, old_left);
		if (kill_b == 0 && launch == 0 && cur_keep == cur_run &&
		    killing == 0)
			kill_b = 1; /* nothing in flight: force progress */
		old_left -= kill_b;
		launch = imin(
		    need, imax(0, max_total - (cur_keep + old_left + killing)));
	}

	out->launch = launch;
	out->launch_now = imin(
	    launch,
	    imax(0, max_total - (c->cur_active + c->old_active + killing)));
	out->kill_cur = c->cur_active - cur_keep;
	out->kill_old = c->old_active - old_left;
	out->converged = c->cur_active == inst && c->cur_running == inst &&
			 c->old_active == 0;
}
