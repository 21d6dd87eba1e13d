/*
 * sim_alloc.c: the in-process scale simulation of SPEC section 9
 * ("allocator and scheduler at scale"). Not part of clusterd: a bench
 * program linked against the project's objects, like the unit tests.
 *
 * 1. One allocation cycle of master_alloc at A agents x F frameworks
 *    (default 10,000 x 1,000, the shape for which Mesos 1.7 published
 *    1.4 s): the first cycle (every agent free, every agent offered), and
 *    a cycle after every framework declined what it got with a filter.
 * 2. Placement of T tasks from P apps on A simulated agents (default
 *    100,000 / 1,000 / 10,000) with ["hostname", "UNIQUE"] on every app
 *    and attribute constraints (GROUP_BY rack, LIKE zone, MAX_PER rack) on
 *    three apps in four, driven the way scheduler/sched_driver.c does it:
 *    the allocator offers each agent whole to the one framework, and for
 *    each offer every app that still lacks instances is fitted with
 *    sched_launch_fit() under sched_constraint_check(); what is left of
 *    the offer is released, and cycles repeat until every task is placed.
 * 3. Memory per agent and per framework in the allocator, and per task in
 *    the constraint indexes, from mallinfo2() deltas.
 *
 * Prints one JSON object on stdout. Single-threaded, like clusterd.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "lib/resources.h"
#include "lib/xalloc.h"
#include "master/master_alloc.h"
#include "scheduler/place/sched_constraint.h"
#include "scheduler/place/sched_launch.h"

struct opts {
	int agents, frameworks, tasks, apps, reps;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static size_t
heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* {"median", "min", "max", "runs": [...]} of n samples. */
static json_t *
stats(const double *v, int n)
{
	double *s = xcalloc((size_t)n, sizeof *s);
	json_t *runs = json_array(), *o;
	int i;

	for (i = 0; i < n; i++) {
		s[i] = v[i];
		json_array_append_new(runs, json_real(v[i]));
	}
	qsort(s, (size_t)n, sizeof *s, cmp_double);
	o = json_pack("{s:f,s:f,s:f,s:i,s:o}", "median",
		      n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2, "min",
		      s[0], "max", s[n - 1], "n", n, "runs", runs);
	free(s);
	return o;
}

static void
agent_res(struct resources *r)
{
	res_zero(r);
	r->cpus = 16;
	r->mem = 65536;
	r->disk = 500000;
	res_set_ranges(r, &(struct res_range){31000, 32000}, 1);
}

static char *
agent_name(int i)
{
	return xasprintf("sim-agent-%05d", i);
}

/* ---- 1. allocation cycle ---- */

struct cycle {
	struct master_alloc *a;
	size_t offers;
	int decline; /* release with a 5 s filter inside the callback */
	uint64_t now;
};

static void
cycle_offer(const char *fw_id, const char *agent_id, const struct resources *r,
	    void *arg)
{
	struct cycle *c = arg;

	c->offers++;
	if (c->decline) {
		master_alloc_release(c->a, agent_id, fw_id, r);
		master_alloc_filter(c->a, fw_id, agent_id, c->now + 5000);
	}
}

static struct master_alloc *
alloc_build(const struct opts *o, char **agents, char **fws)
{
	struct master_alloc *a = master_alloc_new();
	struct resources r;
	int i;

	agent_res(&r);
	for (i = 0; i < o->agents; i++)
		AZ(master_alloc_agent_add(a, agents[i], &r));
	for (i = 0; i < o->frameworks; i++)
		AZ(master_alloc_framework_add(a, fws[i], "*", 1.0));
	res_free(&r);
	return a;
}

static json_t *
bench_cycle(const struct opts *o)
{
	char **agents = xcalloc((size_t)o->agents, sizeof *agents);
	char **fws = xcalloc((size_t)o->frameworks, sizeof *fws);
	double *first = xcalloc((size_t)o->reps, sizeof(double));
	double *declined = xcalloc((size_t)o->reps, sizeof(double));
	double *refilter = xcalloc((size_t)o->reps, sizeof(double));
	double *setup = xcalloc((size_t)o->reps, sizeof(double));
	size_t m0, m1, m2, offers1 = 0, offers2 = 0, offers3 = 0;
	double per_agent = 0, per_fw = 0, t;
	json_t *out;
	int i, k;

	for (i = 0; i < o->agents; i++)
		agents[i] = agent_name(i);
	for (i = 0; i < o->frameworks; i++)
		fws[i] = xasprintf("fw-%04d", i);
	for (k = 0; k < o->reps; k++) {
		struct cycle c = {0};

		m0 = heap_used();
		t = now_ms();
		c.a = master_alloc_new();
		{
			struct resources r;

			agent_res(&r);
			for (i = 0; i < o->agents; i++)
				AZ(master_alloc_agent_add(c.a, agents[i], &r));
			m1 = heap_used();
			for (i = 0; i < o->frameworks; i++)
				AZ(master_alloc_framework_add(c.a, fws[i], "*",
							      1.0));
			m2 = heap_used();
			res_free(&r);
		}
		setup[k] = now_ms() - t;
		per_agent = (double)(m1 - m0) / o->agents;
		per_fw = (double)(m2 - m1) / o->frameworks;
		/* The first cycle: every agent is free and offered. */
		c.now = 1000;
		t = now_ms();
		offers1 = master_alloc_run(c.a, c.now, cycle_offer, &c);
		first[k] = now_ms() - t;
		master_alloc_free(c.a);
		/*
		 * Again on a fresh allocator, but every framework declines
		 * what it gets with a 5 s filter (Mesos' DeclineOffers
		 * shape): the next cycle offers each agent again, each to a
		 * framework that has not declined it, past the filters.
		 */
		c.a = alloc_build(o, agents, fws);
		c.offers = 0;
		c.decline = 1;
		c.now = 1000;
		t = now_ms();
		offers2 = master_alloc_run(c.a, c.now, cycle_offer, &c);
		declined[k] = now_ms() - t;
		c.now = 2000;
		c.offers = 0;
		t = now_ms();
		offers3 = master_alloc_run(c.a, c.now, cycle_offer, &c);
		refilter[k] = now_ms() - t;
		master_alloc_free(c.a);
	}
	out = json_pack(
	    "{s:i,s:i,s:I,s:o,s:I,s:o,s:I,s:o,s:o,s:f,s:f}", "agents",
	    o->agents, "frameworks", o->frameworks, "first_cycle_offers",
	    (json_int_t)offers1, "first_cycle_ms", stats(first, o->reps),
	    "declining_cycle_offers", (json_int_t)offers2, "declining_cycle_ms",
	    stats(declined, o->reps), "after_declines_cycle_offers",
	    (json_int_t)offers3, "after_declines_cycle_ms",
	    stats(refilter, o->reps), "setup_ms", stats(setup, o->reps),
	    "bytes_per_agent", per_agent, "bytes_per_framework", per_fw);
	for (i = 0; i < o->agents; i++)
		free(agents[i]);
	for (i = 0; i < o->frameworks; i++)
		free(fws[i]);
	free(agents);
	free(fws);
	free(first);
	free(declined);
	free(refilter);
	free(setup);
	return out;
}

/* ---- 2. placement ---- */

struct papp {
	int want; /* instances still to place */
	struct resources per;
	struct sched_constraints *c;	  /* owned */
	struct sched_constraint_index *x; /* owned */
};

struct place {
	struct master_alloc *a;
	struct papp *apps;
	int napps;
	int *pending; /* indexes of apps with want > 0 */
	int npending;
	char **names;	/* borrowed: agent ids = hostnames */
	json_t **attrs; /* borrowed: per agent */
	int (*agent_of)(const char *id);
	size_t placed, refused, checks;
};

static int place_agents; /* agent index from "sim-agent-%05d" */

static int
agent_index(const char *id)
{
	int i = atoi(id + strlen("sim-agent-"));

	CD_ASSERT(i >= 0 && i < place_agents);
	return i;
}

static void
place_offer(const char *fw_id, const char *agent_id, const struct resources *r,
	    void *arg)
{
	struct place *p = arg;
	struct resources avail, used;
	uint32_t port;
	int ai = p->agent_of(agent_id), k, j;

	res_copy(&avail, r);
	for (k = 0; k < p->npending; k++) {
		struct papp *ap = &p->apps[p->pending[k]];

		/* As sched_driver_fill(): fit while the app wants more. */
		while (ap->want > 0) {
			p->checks++;
			if (sched_constraint_check(ap->c, ap->x, p->names[ai],
						   p->attrs[ai], NULL,
						   0) != 0) {
				p->refused++;
				break;
			}
			if (sched_launch_fit(&avail, &ap->per, NULL, 0,
					     &port) != 0)
				break;
			sched_constraint_index_add(ap->x, p->names[ai],
						   p->attrs[ai]);
			ap->want--;
			p->placed++;
		}
	}
	/* Drop the apps that are done (order kept, as the repo's). */
	for (k = j = 0; k < p->npending; k++)
		if (p->apps[p->pending[k]].want > 0)
			p->pending[j++] = p->pending[k];
	p->npending = j;
	/* Give back what is left; the rest stays allocated (the tasks). */
	res_copy(&used, r);
	AZ(res_sub(&used, &avail));
	master_alloc_release(p->a, agent_id, fw_id, &avail);
	res_free(&used);
	res_free(&avail);
}

static json_t *
app_constraints(int i, int racks, int zones)
{
	json_t *c = json_pack("[[s,s]]", "hostname", "UNIQUE");
	char v[32];

	switch (i % 4) {
	case 1:
		snprintf(v, sizeof v, "%d", racks / 10);
		json_array_append_new(
		    c, json_pack("[s,s,s]", "rack", "GROUP_BY", v));
		break;
	case 2:
		snprintf(v, sizeof v, "zone-[0-%d]", zones / 2 - 1);
		json_array_append_new(c,
				      json_pack("[s,s,s]", "zone", "LIKE", v));
		break;
	case 3:
		json_array_append_new(
		    c, json_pack("[s,s,s]", "rack", "MAX_PER", "2"));
		break;
	}
	return c;
}

static json_t *
bench_place(const struct opts *o)
{
	int racks = 100, zones = 8, per_app = o->tasks / o->apps;
	double *ms = xcalloc((size_t)o->reps, sizeof(double));
	char **names = xcalloc((size_t)o->agents, sizeof *names);
	json_t **attrs = xcalloc((size_t)o->agents, sizeof *attrs);
	size_t placed = 0, refused = 0, checks = 0, idx_bytes = 0;
	int cycles = 0, i, k;
	json_t *out;

	place_agents = o->agents;
	for (i = 0; i < o->agents; i++) {
		char rack[16], zone[16];

		names[i] = agent_name(i);
		snprintf(rack, sizeof rack, "r%03d", i % racks);
		snprintf(zone, sizeof zone, "zone-%d", (i / racks) % zones);
		attrs[i] = json_pack("{s:s,s:s}", "rack", rack, "zone", zone);
	}
	for (k = 0; k < o->reps; k++) {
		struct place p = {0};
		struct resources r;
		struct cd_err err;
		size_t m0, m1;
		double t;

		agent_res(&r);
		p.a = master_alloc_new();
		for (i = 0; i < o->agents; i++)
			AZ(master_alloc_agent_add(p.a, names[i], &r));
		res_free(&r);
		AZ(master_alloc_framework_add(p.a, "marathon", "*", 1.0));
		p.napps = o->apps;
		p.apps = xcalloc((size_t)o->apps, sizeof *p.apps);
		p.pending = xcalloc((size_t)o->apps, sizeof *p.pending);
		p.names = names;
		p.attrs = attrs;
		p.agent_of = agent_index;
		for (i = 0; i < o->apps; i++) {
			json_t *c = app_constraints(i, racks, zones);

			p.apps[i].want = per_app;
			res_zero(&p.apps[i].per);
			p.apps[i].per.cpus = 1;
			p.apps[i].per.mem = 2048;
			p.apps[i].per.disk = 0;
			if (sched_constraint_compile(c, &p.apps[i].c, &err) !=
			    0) {
				fprintf(stderr, "constraint: %s\n", err.msg);
				exit(1);
			}
			json_decref(c);
			p.pending[p.npending++] = i;
		}
		m0 = heap_used();
		for (i = 0; i < o->apps; i++)
			p.apps[i].x = sched_constraint_index_new(p.apps[i].c);
		t = now_ms();
		for (cycles = 0; p.npending > 0 && cycles < 1000; cycles++) {
			size_t before = p.placed;

			master_alloc_run(p.a, 1000 + (uint64_t)cycles,
					 place_offer, &p);
			if (p.placed == before)
				break; /* nothing more fits */
		}
		ms[k] = now_ms() - t;
		m1 = heap_used();
		placed = p.placed;
		refused = p.refused;
		checks = p.checks;
		idx_bytes = m1 - m0;
		for (i = 0; i < o->apps; i++) {
			sched_constraint_index_free(p.apps[i].x);
			sched_constraint_free(p.apps[i].c);
		}
		free(p.apps);
		free(p.pending);
		master_alloc_free(p.a);
	}
	out = json_pack(
	    "{s:i,s:i,s:i,s:I,s:I,s:I,s:i,s:o,s:f,s:s}", "agents", o->agents,
	    "apps", o->apps, "tasks_wanted", per_app * o->apps, "tasks_placed",
	    (json_int_t)placed, "constraint_refusals", (json_int_t)refused,
	    "fit_attempts", (json_int_t)checks, "cycles", cycles, "ms",
	    stats(ms, o->reps), "index_bytes_per_task",
	    placed ? (double)idx_bytes / (double)placed : 0.0, "constraints",
	    "every app [hostname,UNIQUE]; app%4==1 [rack,GROUP_BY,10],"
	    " ==2 [zone,LIKE,zone-[0-3]], ==3 [rack,MAX_PER,2]; "
	    "100 racks, 8 zones; 16 cpus and 64 GiB per agent, 1 cpu and 2 GiB "
	    "per task");
	for (i = 0; i < o->agents; i++) {
		free(names[i]);
		json_decref(attrs[i]);
	}
	free(names);
	free(attrs);
	free(ms);
	return out;
}

static int
arg_int(const char *a, const char *name, int *out)
{
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0 || a[n] != '=')
		return 0;
	*out = atoi(a + n + 1);
	return 1;
}

int
main(int argc, char **argv)
{
	struct opts o = {10000, 1000, 100000, 1000, 5};
	json_t *out;
	int i;

	for (i = 1; i < argc; i++) {
		if (!arg_int(argv[i], "--agents", &o.agents) &&
		    !arg_int(argv[i], "--frameworks", &o.frameworks) &&
		    !arg_int(argv[i], "--tasks", &o.tasks) &&
		    !arg_int(argv[i], "--apps", &o.apps) &&
		    !arg_int(argv[i], "--reps", &o.reps)) {
			fprintf(stderr,
				"usage: sim_alloc [--agents=N] [--frameworks=N]"
				" [--tasks=N] [--apps=N] [--reps=N]\n");
			return 2;
		}
	}
	if (o.agents < 1 || o.frameworks < 1 || o.apps < 1 || o.reps < 1 ||
	    o.agents > 99999) {
		fprintf(stderr, "sim_alloc: bad sizes\n");
		return 2;
	}
	out = json_pack("{s:o,s:o}", "alloc_cycle", bench_cycle(&o),
			"placement", bench_place(&o));
	json_dumpf(out, stdout, JSON_INDENT(1));
	fputc('\n', stdout);
	json_decref(out);
	return 0;
}
