/*
 * test_sched_group.c: the pure group tree of scheduler/sched_group: path
 * helpers, GroupUpdate bodies flattened (the upstream system-test
 * sleep-group, relative ids, scaleBy, version, errors with
 * "/groups(0)/apps(1)/id" paths), and GroupInfo trees built from app ids
 * and explicit records (implied groups, empty groups, versions, embed).
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
#include "scheduler/app/sched_group.h"

static void
test_paths(void **state)
{
	char *p, *g = NULL;

	(void)state;
	p = sched_group_parent("/a/b/c");
	assert_string_equal(p, "/a/b");
	free(p);
	p = sched_group_parent("/a");
	assert_string_equal(p, "/");
	free(p);
	p = sched_group_parent("/");
	assert_string_equal(p, "/");
	free(p);

	assert_true(sched_group_contains("/", "/x"));
	assert_true(sched_group_contains("/a", "/a"));
	assert_true(sched_group_contains("/a", "/a/b"));
	assert_false(sched_group_contains("/a", "/ab"));
	assert_false(sched_group_contains("/a/b", "/a"));

	assert_int_equal(sched_group_resolve("/", "/x", "/id", &g, NULL), 0);
	assert_string_equal(g, "/");
	free(g);
	assert_int_equal(sched_group_resolve("sub", "/prod", "/id", &g, NULL),
			 0);
	assert_string_equal(g, "/prod/sub");
	free(g);
	assert_int_equal(
	    sched_group_resolve("../other", "/prod/a", "/id", &g, NULL), 0);
	assert_string_equal(g, "/prod/other");
	free(g);
	assert_int_equal(sched_group_resolve("Bad Id", "/", "/id", &g, NULL),
			 -EINVAL);
	assert_null(g);
}

/* systemtest_groups_sleep-group.json, copied from upstream Marathon. */
static const char *SLEEP_GROUP =
    "{\"apps\": [], \"dependencies\": [], \"groups\": [{\"apps\": ["
    "{\"cmd\": \"sleep 1000\", \"cpus\": 0.01, \"dependencies\": [],"
    " \"disk\": 0, \"id\": \"/sleep-group/sleep/goodnight-1\","
    " \"instances\": 1, \"mem\": 32},"
    "{\"cmd\": \"sleep 1000\", \"cpus\": 0.01, \"dependencies\": [],"
    " \"disk\": 0, \"id\": \"/sleep-group/sleep/goodnight-2\","
    " \"instances\": 1, \"mem\": 32}],"
    " \"dependencies\": [], \"groups\": [], \"id\": \"/sleep-group/sleep\"}],"
    " \"id\": \"/sleep-group\"}";

static void
test_update_sleep_group(void **state)
{
	struct sched_group_update u;
	struct cd_err err;
	json_t *body = json_loads(SLEEP_GROUP, 0, NULL);

	(void)state;
	cd_err_clear(&err);
	assert_non_null(body);
	assert_int_equal(sched_group_update_parse(body, NULL, "/", &u, &err),
			 0);
	assert_string_equal(u.id, "/sleep-group");
	assert_null(u.version);
	assert_false(u.scale);
	assert_int_equal(json_array_size(u.apps), 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(u.apps, 1), "id")),
	    "/sleep-group/sleep/goodnight-2");
	assert_string_equal(json_string_value(json_array_get(u.app_paths, 1)),
			    "/groups(0)/apps(1)");
	assert_int_equal(json_array_size(u.groups), 2);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(u.groups, 1), "id")),
			    "/sleep-group/sleep");
	/* Both levels gave "apps" and "groups". */
	assert_int_equal(json_array_size(u.app_scopes), 2);
	assert_int_equal(json_array_size(u.group_scopes), 2);
	sched_group_update_release(&u);
	json_decref(body);
}

static void
test_update_relative_and_deps(void **state)
{
	struct sched_group_update u;
	struct cd_err err;
	json_t *body = json_pack(
	    "{s:s, s:[s], s:[{s:s, s:s}], s:[{s:s, s:[{s:s}]}]}", "id", "prod",
	    "dependencies", "infra", "apps", "id", "web", "cmd", "sleep 1",
	    "groups", "id", "db", "apps", "id", "mysql");

	(void)state;
	cd_err_clear(&err);
	assert_int_equal(sched_group_update_parse(body, "/prod", "/", &u, &err),
			 0);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(u.apps, 0), "id")),
	    "/prod/web");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(u.apps, 1), "id")),
	    "/prod/db/mysql");
	/* Group dependencies resolve against the group's parent. */
	assert_string_equal(
	    json_string_value(json_array_get(
		json_object_get(json_array_get(u.groups, 0), "dependencies"),
		0)),
	    "/infra");
	/* "/prod/db" gave no dependencies: the record says nothing. */
	assert_null(
	    json_object_get(json_array_get(u.groups, 1), "dependencies"));
	/* "/prod/db" gave apps but no groups. */
	assert_int_equal(json_array_size(u.group_scopes), 1);
	assert_int_equal(json_array_size(u.app_scopes), 2);
	sched_group_update_release(&u);
	json_decref(body);
}

static void
test_update_special_and_errors(void **state)
{
	struct sched_group_update u;
	struct cd_err err;
	json_t *b;

	(void)state;
	cd_err_clear(&err);
	b = json_pack("{s:f}", "scaleBy", 1.5);
	assert_int_equal(sched_group_update_parse(b, "/g", "/", &u, &err), 0);
	assert_true(u.scale);
	assert_true(u.scale_by > 1.49 && u.scale_by < 1.51);
	sched_group_update_release(&u);
	json_decref(b);

	/* version wins over scaleBy (groups.raml). */
	b = json_pack("{s:s, s:i}", "version", "2015-09-17T10:38:20.875Z",
		      "scaleBy", 2);
	assert_int_equal(sched_group_update_parse(b, "/g", "/", &u, &err), 0);
	assert_string_equal(u.version, "2015-09-17T10:38:20.875Z");
	assert_false(u.scale);
	sched_group_update_release(&u);
	json_decref(b);

	b = json_pack("[]");
	assert_int_equal(sched_group_update_parse(b, "/g", "/", &u, &err),
			 -EBADMSG);
	sched_group_update_release(&u);
	json_decref(b);

	/* groups.raml's 422 example. */
	b = json_pack("{s:s, s:[{s:s, s:s}]}", "id", "/group", "apps", "id",
		      "/app", "cmd", "x");
	assert_int_equal(sched_group_update_parse(b, NULL, "/", &u, &err),
			 -EINVAL);
	assert_string_equal(err.path, "/apps(0)/id");
	assert_string_equal(
	    err.msg,
	    "identifier /app is not child of /group. Hint: use relative "
	    "paths.");
	sched_group_update_release(&u);
	json_decref(b);

	b = json_pack("{s:s, s:[{s:[{s:s}]}]}", "id", "/g", "groups", "apps",
		      "cmd", "x");
	assert_int_equal(sched_group_update_parse(b, NULL, "/", &u, &err),
			 -EINVAL);
	assert_string_equal(err.path, "/groups(0)/id");
	sched_group_update_release(&u);
	json_decref(b);

	b = json_pack("{s:s, s:[{s:s, s:[{s:i}]}]}", "id", "/g", "groups", "id",
		      "sub", "apps", "id", 5);
	assert_int_equal(sched_group_update_parse(b, NULL, "/", &u, &err),
			 -EINVAL);
	assert_string_equal(err.path, "/groups(0)/apps(0)/id");
	sched_group_update_release(&u);
	json_decref(b);
}

struct apps_fixture {
	const char *ids[4];
	const char *vers[4];
};

static json_t *
app_json(void *arg, size_t i)
{
	struct apps_fixture *f = arg;

	return json_pack("{s:s}", "id", f->ids[i]);
}

static void
test_tree(void **state)
{
	struct apps_fixture f = {
	    {"/tools/docker/registry", "/tools/oauth-server", "/web", NULL},
	    {"2015-08-19T21:26:47.616Z", "2015-09-28T19:47:37.681Z",
	     "2015-01-01T00:00:00.000Z", NULL}};
	json_t *groups = json_pack("{s:{s:s, s:[s], s:s}}", "/tools/log", "id",
				   "/tools/log", "dependencies", "/web",
				   "version", "2015-09-17T10:38:20.875Z");
	struct sched_group_src src = {groups, f.ids, f.vers, 3, app_json, &f};
	json_t *t = NULL, *tools, *sub, *ids;

	(void)state;
	assert_true(sched_group_exists(&src, "/"));
	assert_true(sched_group_exists(&src, "/tools/docker"));
	assert_true(sched_group_exists(&src, "/tools/log"));
	assert_false(sched_group_exists(&src, "/web")); /* an app */
	assert_int_equal(sched_group_tree(&src, "/nope", true, true, &t),
			 -ENOENT);
	assert_null(t);

	assert_int_equal(sched_group_tree(&src, "/", true, true, &t), 0);
	assert_string_equal(json_string_value(json_object_get(t, "id")), "/");
	assert_int_equal(json_array_size(json_object_get(t, "apps")), 1);
	tools = json_array_get(json_object_get(t, "groups"), 0);
	assert_string_equal(json_string_value(json_object_get(tools, "id")),
			    "/tools");
	assert_int_equal(json_array_size(json_object_get(tools, "apps")), 1);
	/* Newest of the apps and records below. */
	assert_string_equal(
	    json_string_value(json_object_get(tools, "version")),
	    "2015-09-28T19:47:37.681Z");
	sub = json_object_get(tools, "groups");
	assert_int_equal(json_array_size(sub), 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(sub, 0), "id")),
	    "/tools/docker");
	/* The empty group, with its record's dependencies and version. */
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(sub, 1), "id")),
	    "/tools/log");
	assert_int_equal(
	    json_array_size(json_object_get(json_array_get(sub, 1), "apps")),
	    0);
	assert_int_equal(json_array_size(json_object_get(json_array_get(sub, 1),
							 "dependencies")),
			 1);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(sub, 1), "version")),
			    "2015-09-17T10:38:20.875Z");
	json_decref(t);

	/* embed=group.apps only: no "groups" key. */
	assert_int_equal(sched_group_tree(&src, "/tools", true, false, &t), 0);
	assert_null(json_object_get(t, "groups"));
	assert_int_equal(json_array_size(json_object_get(t, "apps")), 1);
	json_decref(t);

	ids = sched_group_ids_below(&src, "/tools");
	assert_int_equal(json_array_size(ids), 3);
	assert_string_equal(json_string_value(json_array_get(ids, 0)),
			    "/tools");
	json_decref(ids);
	json_decref(groups);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_update_sleep_group),
	    cmocka_unit_test(test_update_relative_and_deps),
	    cmocka_unit_test(test_update_special_and_errors),
	    cmocka_unit_test(test_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
