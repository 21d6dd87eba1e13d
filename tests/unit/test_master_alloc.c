/*
 * test_master_alloc.c: the weighted DRF allocator: offers, minimums,
 * activity, suppression, decline filters, weights, accounting on
 * allocate/release/removal, and one cycle at 10,000 agents x 1,000
 * frameworks (correctness only; the benchmark lives in bench/).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master/master_alloc.h"

struct offer {
	char fw[64];
	char agent[64];
	struct resources r;
};

struct offers {
	struct offer *v;
	size_t n, cap;
};

static void
collect(const char *fw_id, const char *agent_id, const struct resources *r,
	void *arg)
{
	struct offers *o = arg;

	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 16;
		o->v = realloc(o->v, o->cap * sizeof *o->v);
		assert_non_null(o->v);
	}
	snprintf(o->v[o->n].fw, sizeof o->v[o->n].fw, "%s", fw_id);
	snprintf(o->v[o->n].agent, sizeof o->v[o->n].agent, "%s", agent_id);
	res_copy(&o->v[o->n].r, r);
	o->n++;
}

static void
offers_clear(struct offers *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		res_free(&o->v[i].r);
	o->n = 0;
}

static void
offers_free(struct offers *o)
{
	offers_clear(o);
	free(o->v);
}

static struct resources
res(double cpus, double mem, uint32_t pb, uint32_t pe)
{
	struct resources r;

	res_zero(&r);
	r.cpus = cpus;
	r.mem = mem;
	if (pe != 0) {
		res_set_ranges(&r, &(struct res_range){pb, pe}, 1);
	}
	return r;
}

static size_t
run(struct master_alloc *a, uint64_t now, struct offers *o)
{
	offers_clear(o);
	return master_alloc_run(a, now, collect, o);
}

static void
test_basic_offer_and_release(void **state)
{
	struct master_alloc *a = master_alloc_new();
	struct offers o = {0};
	struct resources t = res(4, 1024, 31000, 31009), part, total, used;

	(void)state;
	assert_int_equal(master_alloc_agent_add(a, "s1", &t), 0);
	assert_int_equal(master_alloc_agent_add(a, "s1", &t), -EEXIST);
	assert_int_equal(run(a, 0, &o), 0); /* no frameworks */
	assert_int_equal(master_alloc_framework_add(a, "f1", "*", 1), 0);
	assert_int_equal(master_alloc_framework_add(a, "f1", "*", 1), -EEXIST);
	assert_int_equal(master_alloc_framework_add(a, "f2", "*", 0), -EINVAL);

	assert_int_equal(run(a, 0, &o), 1);
	assert_string_equal(o.v[0].fw, "f1");
	assert_string_equal(o.v[0].agent, "s1");
	assert_true(o.v[0].r.cpus == 4 && o.v[0].r.mem == 1024);
	assert_int_equal(res_port_count(&o.v[0].r), 10);
	assert_int_equal(run(a, 1, &o), 0); /* all allocated */

	/* Give back part: below the minimum is not offered. */
	part = res(0.005, 16, 31005, 31005);
	master_alloc_release(a, "s1", "f1", &part);
	res_free(&part);
	assert_int_equal(run(a, 2, &o), 0);
	part = res(1, 100, 0, 0);
	master_alloc_release(a, "s1", "f1", &part);
	assert_int_equal(run(a, 3, &o), 1);
	assert_true(o.v[0].r.cpus == 1.005 && o.v[0].r.mem == 116);
	assert_int_equal(res_port_count(&o.v[0].r), 1);

	assert_int_equal(master_alloc_agent_usage(a, "s1", &total, &used), 0);
	assert_true(total.cpus == 4 && used.cpus == 4);
	res_free(&total);
	res_free(&used);
	/* Releasing more than held releases only what is held. */
	part = res(100, 100000, 1, 65535);
	master_alloc_release(a, "s1", "f1", &part);
	res_free(&part);
	assert_int_equal(master_alloc_agent_usage(a, "s1", &total, &used), 0);
	assert_true(res_is_empty(&used));
	res_free(&total);
	res_free(&used);
	assert_int_equal(run(a, 4, &o), 1);
	assert_true(o.v[0].r.cpus == 4);
	assert_int_equal(o.v[0].r.nranges, 1);
	assert_int_equal(master_alloc_agent_usage(a, "nope", &total, &used),
			 -ENOENT);
	offers_free(&o);
	res_free(&t);
	master_alloc_free(a);
	master_alloc_free(NULL);
}

static void
test_eligibility(void **state)
{
	struct master_alloc *a = master_alloc_new();
	struct offers o = {0};
	struct resources t = res(1, 64, 0, 0);

	(void)state;
	master_alloc_agent_add(a, "s1", &t);
	master_alloc_framework_add(a, "f1", "*", 1);
	master_alloc_agent_set_active(a, "s1", false);
	assert_int_equal(run(a, 0, &o), 0);
	master_alloc_agent_set_active(a, "s1", true);
	master_alloc_framework_suppress(a, "f1", true);
	assert_int_equal(run(a, 0, &o), 0);
	master_alloc_framework_suppress(a, "f1", false);
	master_alloc_framework_set_active(a, "f1", false);
	assert_int_equal(run(a, 0, &o), 0);
	master_alloc_framework_set_active(a, "f1", true);
	assert_int_equal(run(a, 0, &o), 1);
	/* Unknown ids are ignored. */
	master_alloc_agent_set_active(a, "x", false);
	master_alloc_framework_suppress(a, "x", true);
	master_alloc_release(a, "x", "f1", &t);
	master_alloc_filter(a, "x", "s1", 10);
	offers_free(&o);
	master_alloc_free(a);
}

static void
test_filters(void **state)
{
	struct master_alloc *a = master_alloc_new();
	struct offers o = {0};
	struct resources t = res(2, 256, 0, 0);

	(void)state;
	master_alloc_agent_add(a, "s1", &t);
	master_alloc_framework_add(a, "f1", "*", 1);
	master_alloc_framework_add(a, "f2", "*", 1);
	assert_int_equal(run(a, 0, &o), 1);
	assert_string_equal(o.v[0].fw, "f1"); /* tie: the older one */
	/* f1 declines for 5 s: the agent goes to f2 meanwhile. */
	master_alloc_release(a, "s1", "f1", &o.v[0].r);
	master_alloc_filter(a, "f1", "s1", 5000);
	assert_int_equal(run(a, 100, &o), 1);
	assert_string_equal(o.v[0].fw, "f2");
	master_alloc_release(a, "s1", "f2", &o.v[0].r);
	master_alloc_filter(a, "f2", "s1", 10000);
	assert_int_equal(run(a, 200, &o), 0);  /* both filtered */
	assert_int_equal(run(a, 5000, &o), 1); /* f1's filter expired */
	assert_string_equal(o.v[0].fw, "f1");
	master_alloc_release(a, "s1", "f1", &o.v[0].r);
	master_alloc_filter(a, "f1", "s1", 20000);
	assert_int_equal(run(a, 6000, &o), 0);
	master_alloc_clear_filters(a, "f2"); /* revive */
	assert_int_equal(run(a, 6000, &o), 1);
	assert_string_equal(o.v[0].fw, "f2");
	offers_free(&o);
	master_alloc_free(a);
}

static void
test_many_filters(void **state)
{
	struct master_alloc *a = master_alloc_new();
	struct offers o = {0};
	struct resources t = res(1, 64, 0, 0);
	char id[32];
	int i;

	(void)state;
	master_alloc_framework_add(a, "f1", "*", 1);
	master_alloc_framework_add(a, "f2", "*", 1);
	for (i = 0; i < 500; i++) {
		snprintf(id, sizeof id, "s%d", i);
		master_alloc_agent_add(a, id, &t);
		/* Short filters expire and are dropped as the table grows. */
		master_alloc_filter(a, "f1", id, i < 250 ? 10 : 100000);
	}
	assert_int_equal(run(a, 50, &o), 500);
	for (i = 0; i < 500; i++) {
		int sn = atoi(o.v[i].agent + 1);

		if (sn >= 250)
			assert_string_equal(o.v[i].fw, "f2");
	}
	offers_free(&o);
	master_alloc_free(a);
}

static void
test_weights(void **state)
{
	struct master_alloc *a = master_alloc_new();
	struct offers o = {0};
	struct resources t = res(1, 100, 0, 0), u;
	char id[32];
	size_t i, na = 0, nb = 0;
	double sa, sb;

	(void)state;
	for (i = 0; i < 8; i++) {
		snprintf(id, sizeof id, "s%zu", i);
		master_alloc_agent_add(a, id, &t);
	}
	master_alloc_framework_add(a, "a", "web", 1);
	master_alloc_framework_add(a, "b", "batch", 3);
	assert_int_equal(run(a, 0, &o), 8);
	for (i = 0; i < o.n; i++)
		strcmp(o.v[i].fw, "a") == 0 ? na++ : nb++;
	assert_int_equal(na, 2);
	assert_int_equal(nb, 6);
	assert_int_equal(master_alloc_framework_usage(a, "a", &u, &sa), 0);
	assert_true(u.cpus == 2);
	assert_int_equal(master_alloc_framework_usage(a, "b", &u, &sb), 0);
	assert_true(sa == 0.25 && sb == 0.25);
	offers_free(&o);
	master_alloc_free(a);
}

static void
test_drf_dominant_share(void **state)
{
	struct master_alloc *a = master_alloc_new();
	struct offers o = {0};
	struct resources big = res(10, 1000, 0, 0), r;

	(void)state;
	master_alloc_agent_add(a, "s1", &big);
	master_alloc_agent_add(a, "s2", &big);
	master_alloc_framework_add(a, "cpu", "*", 1);
	master_alloc_framework_add(a, "mem", "*", 1);
	/* cpu holds 30% of cpus, mem holds 40% of memory. */
	r = res(6, 10, 0, 0);
	assert_int_equal(master_alloc_allocate(a, "s1", "cpu", &r), 0);
	r = res(1, 800, 0, 0);
	assert_int_equal(master_alloc_allocate(a, "s2", "mem", &r), 0);
	r = res(5, 0, 0, 0);
	assert_int_equal(master_alloc_allocate(a, "s1", "mem", &r), -ERANGE);
	assert_int_equal(master_alloc_allocate(a, "zz", "mem", &r), -ENOENT);
	assert_int_equal(run(a, 0, &o), 2);
	/* The lower dominant share (cpu, 0.3 < 0.4) is served first. */
	assert_string_equal(o.v[0].fw, "cpu");
	offers_free(&o);
	master_alloc_free(a);
}

static void
test_recovered_framework(void **state)
{
	struct master_alloc *a = master_alloc_new();
	struct offers o = {0};
	struct resources t = res(4, 1000, 0, 0), r = res(3, 100, 0, 0), u;
	double share;

	(void)state;
	master_alloc_agent_add(a, "s1", &t);
	master_alloc_agent_add(a, "s2", &t);
	master_alloc_framework_add(a, "other", "*", 1);
	/* A task re-registered before its framework came back. */
	assert_int_equal(master_alloc_allocate(a, "s1", "late", &r), 0);
	assert_int_equal(master_alloc_framework_count(a), 2);
	assert_int_equal(run(a, 0, &o), 2);
	assert_string_equal(o.v[0].fw, "other");
	assert_string_equal(o.v[1].fw, "other");
	/* The framework arrives and adopts what it held. */
	assert_int_equal(master_alloc_framework_add(a, "late", "*", 1), 0);
	assert_int_equal(master_alloc_framework_add(a, "late", "*", 1),
			 -EEXIST);
	assert_int_equal(master_alloc_framework_usage(a, "late", &u, &share),
			 0);
	assert_true(u.cpus == 3 && share == 3.0 / 8);
	offers_free(&o);
	master_alloc_free(a);
}

static void
test_removal_accounting(void **state)
{
	struct master_alloc *a = master_alloc_new();
	struct offers o = {0};
	struct resources t = res(2, 512, 0, 0), total, used, u;
	double share;

	(void)state;
	master_alloc_agent_add(a, "s1", &t);
	master_alloc_agent_add(a, "s2", &t);
	master_alloc_framework_add(a, "f1", "*", 1);
	master_alloc_framework_add(a, "f2", "*", 1);
	assert_int_equal(run(a, 0, &o), 2);
	master_alloc_cluster_usage(a, &total, &used);
	assert_true(total.cpus == 4 && used.cpus == 4 && total.mem == 1024);
	master_alloc_agent_remove(a, o.v[0].agent);
	master_alloc_cluster_usage(a, &total, &used);
	assert_true(total.cpus == 2 && used.cpus == 2);
	assert_int_equal(master_alloc_framework_usage(a, o.v[0].fw, &u, &share),
			 0);
	assert_true(u.cpus == 0 && share == 0);
	assert_int_equal(master_alloc_agent_count(a), 1);

	/* Removing a framework frees what it holds. */
	master_alloc_framework_remove(a, o.v[1].fw);
	assert_int_equal(master_alloc_framework_count(a), 1);
	assert_int_equal(
	    master_alloc_agent_usage(a, o.v[1].agent, &total, &used), 0);
	assert_true(res_is_empty(&used));
	assert_int_equal(run(a, 0, &o), 1);
	master_alloc_agent_remove(a, "nope");
	master_alloc_framework_remove(a, "nope");
	offers_free(&o);
	master_alloc_free(a);
}

static void
test_scale(void **state)
{
	enum { NA = 10000, NF = 1000 };
	struct master_alloc *a = master_alloc_new();
	struct offers o = {0};
	struct resources t = res(8, 32768, 31000, 32000), total, used, u;
	double cpus = 0, share, smin = 1, smax = 0;
	char id[32];
	size_t i;

	(void)state;
	for (i = 0; i < NA; i++) {
		snprintf(id, sizeof id, "agent-%zu", i);
		assert_int_equal(master_alloc_agent_add(a, id, &t), 0);
	}
	for (i = 0; i < NF; i++) {
		snprintf(id, sizeof id, "fw-%zu", i);
		assert_int_equal(master_alloc_framework_add(a, id, "*", 1), 0);
	}
	assert_int_equal(run(a, 0, &o), NA);
	for (i = 0; i < o.n; i++) {
		cpus += o.v[i].r.cpus;
		assert_int_equal(res_port_count(&o.v[i].r), 1001);
	}
	master_alloc_cluster_usage(a, &total, &used);
	assert_true(cpus == total.cpus && used.cpus == total.cpus);
	/* Equal weights and equal agents: exactly NA / NF each. */
	for (i = 0; i < NF; i++) {
		snprintf(id, sizeof id, "fw-%zu", i);
		assert_int_equal(
		    master_alloc_framework_usage(a, id, &u, &share), 0);
		assert_true(u.cpus == 8.0 * NA / NF);
		smin = share < smin ? share : smin;
		smax = share > smax ? share : smax;
	}
	assert_true(smin == smax);
	assert_int_equal(run(a, 1, &o), 0);

	/* Remove half the agents and frameworks; lookups stay right. */
	for (i = 0; i < NA; i += 2) {
		snprintf(id, sizeof id, "agent-%zu", i);
		master_alloc_agent_remove(a, id);
	}
	for (i = 0; i < NF; i += 3) {
		snprintf(id, sizeof id, "fw-%zu", i);
		master_alloc_framework_remove(a, id);
	}
	assert_int_equal(master_alloc_framework_count(a), NF - (NF + 2) / 3);
	assert_int_equal(master_alloc_agent_count(a), NA / 2);
	for (i = 0; i < NA; i++) {
		snprintf(id, sizeof id, "agent-%zu", i);
		assert_int_equal(master_alloc_agent_usage(a, id, &total, &used),
				 i % 2 ? 0 : -ENOENT);
		if (i % 2) {
			res_free(&total);
			res_free(&used);
		}
	}
	master_alloc_cluster_usage(a, &total, &used);
	assert_true(total.cpus == 8.0 * NA / 2);
	/* Agents held by removed frameworks come back on the next cycle. */
	assert_true(run(a, 2, &o) > 0);
	master_alloc_cluster_usage(a, &total, &used);
	assert_true(used.cpus == total.cpus);
	offers_free(&o);
	res_free(&t);
	master_alloc_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic_offer_and_release),
	    cmocka_unit_test(test_eligibility),
	    cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_many_filters),
	    cmocka_unit_test(test_weights),
	    cmocka_unit_test(test_drf_dominant_share),
	    cmocka_unit_test(test_recovered_framework),
	    cmocka_unit_test(test_removal_accounting),
	    cmocka_unit_test(test_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
