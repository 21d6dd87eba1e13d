/*
 * test_sched_deploy.c: the pure half of scheduler/sched_deploy: steps in
 * Marathon's order (stop removed apps, start new ones, then scale and
 * restart by dependency layer, as example_v2api_deployment_steps.json
 * shows for a new app), dependencies on apps and on groups, cycles
 * refused, and the JSON a deployment is listed, announced and stored as.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "lib/err.h"
#include "scheduler/core/sched_deploy.h"

/* "Action:/app Action:/app | ..." for compact assertions. */
static void
steps_str(const struct sched_deploy_step *st, size_t n, char *out, size_t cap)
{
	size_t i, j, len = 0;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			len += (size_t)snprintf(out + len, cap - len, " | ");
		for (j = 0; j < st[i].n; j++)
			len += (size_t)snprintf(
			    out + len, cap - len, "%s%s:%s", j > 0 ? " " : "",
			    sched_deploy_kind_name(st[i].v[j].kind),
			    st[i].v[j].app);
	}
}

static void
plan_ok(const struct sched_deploy_node *nodes, size_t n, const char *want)
{
	struct sched_deploy_step *st = NULL;
	struct cd_err err;
	size_t ns = 0;
	char got[1024];

	cd_err_clear(&err);
	assert_int_equal(sched_deploy_plan(nodes, n, &st, &ns, &err), 0);
	steps_str(st, ns, got, sizeof got);
	assert_string_equal(got, want);
	sched_deploy_steps_free(st, ns);
}

static void
test_new_app_starts_then_scales(void **state)
{
	struct sched_deploy_node n[] = {
	    {"/tools/oauth-server", SCHED_CHANGE_NEW, NULL},
	};

	(void)state;
	/* example_v2api_deployment_steps.json */
	plan_ok(n, 1,
		"StartApplication:/tools/oauth-server | "
		"ScaleApplication:/tools/oauth-server");
}

static void
test_kinds(void **state)
{
	struct sched_deploy_node n[] = {
	    {"/a", SCHED_CHANGE_SCALE, NULL},
	    {"/b", SCHED_CHANGE_RESTART, NULL},
	    {"/c", SCHED_CHANGE_DELETE, NULL},
	    {"/d", SCHED_CHANGE_NONE, NULL},
	};

	(void)state;
	plan_ok(n, 4,
		"StopApplication:/c | "
		"ScaleApplication:/a RestartApplication:/b");
	/* Nothing changes: no steps at all. */
	plan_ok(&n[3], 1, "");
}

static void
test_dependencies_order_steps(void **state)
{
	json_t *on_db = json_pack("[s]", "/db");
	json_t *on_api = json_pack("[s]", "/api");
	struct sched_deploy_node n[] = {
	    {"/api", SCHED_CHANGE_NEW, on_db},
	    {"/db", SCHED_CHANGE_NEW, NULL},
	    {"/web", SCHED_CHANGE_NEW, on_api},
	};

	(void)state;
	plan_ok(n, 3,
		"StartApplication:/api StartApplication:/db "
		"StartApplication:/web | ScaleApplication:/db | "
		"ScaleApplication:/api | ScaleApplication:/web");
	json_decref(on_db);
	json_decref(on_api);
}

static void
test_dependency_through_unchanged_app(void **state)
{
	/* /c changes, /b does not, /a depends on /b which depends on /c:
	 * /a still comes after /c. */
	json_t *on_b = json_pack("[s]", "/b"), *on_c = json_pack("[s]", "/c");
	struct sched_deploy_node n[] = {
	    {"/a", SCHED_CHANGE_RESTART, on_b},
	    {"/b", SCHED_CHANGE_NONE, on_c},
	    {"/c", SCHED_CHANGE_RESTART, NULL},
	};

	(void)state;
	plan_ok(n, 3, "RestartApplication:/c | RestartApplication:/a");
	json_decref(on_b);
	json_decref(on_c);
}

static void
test_group_dependency_and_unknown(void **state)
{
	json_t *deps = json_pack("[s, s]", "/backend", "/nowhere/x");
	struct sched_deploy_node n[] = {
	    {"/backend/cache", SCHED_CHANGE_NEW, NULL},
	    {"/backend/db", SCHED_CHANGE_NEW, NULL},
	    {"/frontend/web", SCHED_CHANGE_NEW, deps},
	};

	(void)state;
	plan_ok(
	    n, 3,
	    "StartApplication:/backend/cache StartApplication:/backend/db "
	    "StartApplication:/frontend/web | "
	    "ScaleApplication:/backend/cache ScaleApplication:/backend/db | "
	    "ScaleApplication:/frontend/web");
	json_decref(deps);
}

static void
test_removed_apps_do_not_order(void **state)
{
	json_t *deps = json_pack("[s]", "/gone");
	struct sched_deploy_node n[] = {
	    {"/gone", SCHED_CHANGE_DELETE, NULL},
	    {"/stay", SCHED_CHANGE_SCALE, deps},
	};

	(void)state;
	plan_ok(n, 2, "StopApplication:/gone | ScaleApplication:/stay");
	json_decref(deps);
}

static void
test_cycle_refused(void **state)
{
	json_t *on_a = json_pack("[s]", "/a"), *on_b = json_pack("[s]", "/b");
	json_t *self = json_pack("[s]", "/g");
	struct sched_deploy_node n[] = {
	    {"/a", SCHED_CHANGE_NEW, on_b},
	    {"/b", SCHED_CHANGE_NONE, on_a},
	};
	/* A group depending on itself makes its apps depend on each other. */
	struct sched_deploy_node g[] = {
	    {"/g/x", SCHED_CHANGE_NEW, self},
	    {"/g/y", SCHED_CHANGE_NEW, self},
	};
	struct sched_deploy_step *st = NULL;
	struct cd_err err;
	size_t ns = 7;

	(void)state;
	cd_err_clear(&err);
	assert_int_equal(sched_deploy_plan(n, 2, &st, &ns, &err), -ELOOP);
	assert_null(st);
	assert_int_equal(ns, 0);
	assert_non_null(strstr(err.msg, "cyclic"));
	assert_int_equal(sched_deploy_plan(g, 2, &st, &ns, &err), -ELOOP);
	/* Depending on oneself alone is no cycle. */
	assert_int_equal(sched_deploy_plan(g, 1, &st, &ns, &err), 0);
	sched_deploy_steps_free(st, ns);
	json_decref(on_a);
	json_decref(on_b);
	json_decref(self);
}

static struct sched_deploy *
sample(void)
{
	struct sched_deploy_node n[] = {
	    {"/a", SCHED_CHANGE_NEW, NULL},
	    {"/b", SCHED_CHANGE_RESTART, NULL},
	};
	const char *aff[] = {"/b", "/a", "/b"};
	struct sched_deploy_step *st = NULL;
	json_t *orig = json_pack("{s:n, s:{s:s, s:i}}", "/a", "/b", "id", "/b",
				 "instances", 2);
	struct sched_deploy *d;
	size_t ns = 0;

	assert_int_equal(sched_deploy_plan(n, 2, &st, &ns, NULL), 0);
	d = sched_deploy_new("97c136bf-5a28-4821-9d94-480d9fbb01c8",
			     "2015-09-30T09:09:17.614Z", st, ns, aff, 3, orig,
			     NULL);
	json_decref(orig);
	return d;
}

static void
test_info_json(void **state)
{
	struct sched_deploy *d = sample();
	json_t *j;

	(void)state;
	assert_int_equal(d->naffected, 2); /* sorted, unique */
	assert_string_equal(d->affected[0], "/a");
	assert_true(sched_deploy_affects(d, "/b"));
	assert_false(sched_deploy_affects(d, "/c"));
	assert_int_equal(sched_deploy_app_step(d, "/a"), 1);
	assert_int_equal(sched_deploy_app_step(d, "/b"), 1);
	assert_int_equal(sched_deploy_app_step(d, "/c"), d->nsteps);

	j = sched_deploy_info_json(d);
	assert_string_equal(json_string_value(json_object_get(j, "id")), d->id);
	assert_int_equal(json_integer_value(json_object_get(j, "currentStep")),
			 1);
	assert_int_equal(json_integer_value(json_object_get(j, "totalSteps")),
			 2);
	assert_int_equal(json_array_size(json_object_get(j, "affectedPods")),
			 0);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(j, "currentActions"), 0),
		"action")),
	    "StartApplication");
	assert_true(json_is_array(json_object_get(
	    json_array_get(json_object_get(j, "currentActions"), 0),
	    "readinessCheckResults")));
	json_decref(j);

	d->cur = 1;
	j = sched_deploy_info_json(d);
	assert_int_equal(json_integer_value(json_object_get(j, "currentStep")),
			 2);
	assert_int_equal(json_array_size(json_object_get(j, "currentActions")),
			 2);
	json_decref(j);

	/* The event plan: original and target as root groups. */
	j = sched_deploy_plan_json(d);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(j, "original"), "id")),
			    "/");
	assert_int_equal(json_array_size(json_object_get(
			     json_object_get(j, "original"), "apps")),
			 1); /* /a did not exist */
	json_decref(j);
	sched_deploy_free(d);
}

static void
test_record_round_trip(void **state)
{
	struct sched_deploy *d = sample(), *back = NULL, *bad = NULL;
	json_t *rec, *rec2;

	(void)state;
	d->cur = 1;
	rec = sched_deploy_record(d);
	assert_int_equal(sched_deploy_from_record(rec, &back), 0);
	rec2 = sched_deploy_record(back);
	assert_true(json_equal(rec, rec2));
	assert_int_equal(back->cur, 1);
	assert_int_equal(back->nsteps, 2);
	assert_int_equal(back->steps[1].v[1].kind, SCHED_DEPLOY_RESTART);
	json_decref(rec2);

	/* Broken records are refused, not half-loaded. */
	json_object_set_new(rec, "steps",
			    json_pack("[{s:[{s:s, s:s}]}]", "actions", "action",
				      "Teleport", "app", "/a"));
	assert_int_equal(sched_deploy_from_record(rec, &bad), -EINVAL);
	assert_null(bad);
	json_object_del(rec, "id");
	assert_int_equal(sched_deploy_from_record(rec, &bad), -EINVAL);
	json_decref(rec);
	sched_deploy_free(back);
	sched_deploy_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_app_starts_then_scales),
	    cmocka_unit_test(test_kinds),
	    cmocka_unit_test(test_dependencies_order_steps),
	    cmocka_unit_test(test_dependency_through_unchanged_app),
	    cmocka_unit_test(test_group_dependency_and_unknown),
	    cmocka_unit_test(test_removed_apps_do_not_order),
	    cmocka_unit_test(test_cycle_refused),
	    cmocka_unit_test(test_info_json),
	    cmocka_unit_test(test_record_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
