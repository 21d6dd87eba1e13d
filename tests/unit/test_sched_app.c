/*
 * test_sched_app.c: the Marathon AppDefinition module against real bodies
 * of both eras (tests/unit/data, copied from Marathon), the stored-form
 * round trip, defaults, ids, error paths, the task built for an instance
 * and the restart decision. Pure module: no loop, no network.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/wire.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/app/sched_app_policy.h"

#define TUTORIAL                                                               \
	"{\"container\": {\"image\": \"docker:///libmesos/ubuntu\", "          \
	"\"options\": []}, \"id\": \"ubuntu\", \"instances\": \"1\", "         \
	"\"cpus\": \".5\", \"mem\": \"512\", \"uris\": [], "                   \
	"\"cmd\": \"while sleep 10; do date -u +%T; done\"}"

/* tests/unit/data/<name>, relative to where make runs the test. */
static char *
data_path(const char *name)
{
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash != NULL ? (int)(slash - __FILE__) : 0;

	return xasprintf("%.*s%sdata/%s", dir, __FILE__, dir ? "/" : "", name);
}

static json_t *
load(const char *name)
{
	char *path = data_path(name);
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);

	if (j == NULL)
		fail_msg("%s: %s", path, jerr.text);
	free(path);
	return j;
}

static json_t *
js(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (j == NULL)
		fail_msg("bad test JSON: %s", jerr.text);
	return j;
}

static struct sched_app *
parse_ok(const json_t *body, const char *path_id)
{
	struct sched_app *a = NULL;
	struct cd_err err = {0};
	int rc = sched_app_parse(body, path_id, &a, &err);

	if (rc != 0)
		fail_msg("parse failed: %d %s: %s", rc, err.path, err.msg);
	return a;
}

static struct sched_app *
parse_str(const char *text)
{
	json_t *j = js(text);
	struct sched_app *a = parse_ok(j, NULL);

	json_decref(j);
	return a;
}

/* Parse must fail with -EINVAL at path; returns the message. */
static void
parse_bad(const char *text, const char *path, const char *msg_part)
{
	json_t *j = js(text);
	struct sched_app *a = NULL;
	struct cd_err err = {0};
	int rc = sched_app_parse(j, NULL, &a, &err);

	if (rc != -EINVAL)
		fail_msg("%s: expected -EINVAL, got %d", text, rc);
	assert_null(a);
	if (strcmp(err.path, path) != 0)
		fail_msg("%s: path %s, wanted %s (%s)", text, err.path, path,
			 err.msg);
	if (msg_part != NULL && strstr(err.msg, msg_part) == NULL)
		fail_msg("%s: message '%s' lacks '%s'", text, err.msg,
			 msg_part);
	json_decref(j);
}

/* to_json -> parse -> to_json is the identity. */
static void
assert_round_trip(const struct sched_app *a)
{
	json_t *j1 = sched_app_to_json(a), *j2;
	struct sched_app *b = parse_ok(j1, NULL);
	char *s1, *s2;

	j2 = sched_app_to_json(b);
	s1 = json_dumps(j1, JSON_SORT_KEYS);
	s2 = json_dumps(j2, JSON_SORT_KEYS);
	if (!json_equal(j1, j2) || strcmp(s1, s2) != 0)
		fail_msg("round trip differs:\n%s\n%s", s1, s2);
	assert_false(sched_app_needs_restart(a, b));
	free(s1);
	free(s2);
	json_decref(j1);
	json_decref(j2);
	sched_app_free(b);
}

static const char *
sget(const json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

static void
test_tutorial_05(void **state)
{
	struct sched_app *a = parse_str(TUTORIAL);
	json_t *j = sched_app_to_json(a);
	const json_t *ct = json_object_get(j, "container");
	struct wire_task t;
	uint32_t hp[] = {31005};

	(void)state;
	assert_string_equal(sched_app_id(a), "/ubuntu");
	assert_int_equal(sched_app_instances(a), 1);
	assert_true(sched_app_resources(a)->cpus == 0.5);
	assert_true(sched_app_resources(a)->mem == 512);
	assert_string_equal(sget(ct, "type"), "DOCKER");
	assert_string_equal(sget(json_object_get(ct, "docker"), "image"),
			    "libmesos/ubuntu");
	assert_string_equal(sget(json_object_get(ct, "docker"), "network"),
			    "HOST");
	/* No ports given in HOST mode: Marathon's one default port. */
	assert_int_equal(sched_app_host_port_count(a), 1);
	assert_int_equal(sched_app_service_port_count(a), 1);
	assert_int_equal(json_array_size(json_object_get(j, "ports")), 1);
	assert_round_trip(a);

	sched_app_build_task(a, "ubuntu.1", "fw", "ag", "node1", hp, 1, &t);
	assert_non_null(t.container);
	assert_string_equal(
	    sget(json_object_get(t.container, "docker"), "image"),
	    "libmesos/ubuntu");
	assert_string_equal(sget(t.env, "MARATHON_APP_DOCKER_IMAGE"),
			    "libmesos/ubuntu");
	assert_string_equal(t.cmd, "while sleep 10; do date -u +%T; done");
	assert_string_equal(sget(t.env, "PORT0"), "31005");
	assert_string_equal(sget(t.env, "PORT_DEFAULT"), "31005");
	assert_int_equal(json_array_size(t.uris), 0);
	wire_task_release(&t);
	json_decref(j);
	sched_app_free(a);
}

static void
test_post_05(void **state)
{
	json_t *body = load("example_v0.5_post_v2_apps_request.json"), *j;
	struct sched_app *a = parse_ok(body, NULL);
	const uint32_t *svc;

	(void)state;
	assert_string_equal(sched_app_id(a), "/myapp");
	assert_int_equal(sched_app_instances(a), 3);
	assert_true(sched_app_resources(a)->cpus == 0.1);
	assert_true(sched_app_resources(a)->mem == 5);
	assert_int_equal(sched_app_service_port_count(a), 2);
	svc = sched_app_service_ports(a);
	assert_int_equal(svc[0], 0);
	assert_int_equal(svc[1], 0);
	j = sched_app_to_json(a);
	assert_int_equal(json_array_size(json_object_get(j, "uris")), 1);
	assert_int_equal(json_array_size(json_object_get(j, "constraints")), 1);
	assert_string_equal(sget(json_object_get(j, "env"), "LD_LIBRARY_PATH"),
			    "/usr/local/lib/myLib");
	assert_string_equal(sget(j, "executor"), "");
	assert_round_trip(a);
	json_decref(j);
	sched_app_free(a);
	json_decref(body);

	/* The 0.5 PUT body, with the id taken from the URL. */
	body = load("example_v0.5_put_v2_apps_appid_request.json");
	a = parse_ok(body, "myApp");
	assert_string_equal(sched_app_id(a), "/myapp");
	assert_int_equal(sched_app_service_ports(a)[0], 9000);
	assert_int_equal(sched_app_host_ports_requested(a)[0], 0);
	sched_app_free(a);
	json_decref(body);
}

static void
test_full_format_05(void **state)
{
	json_t *body = load("example_v0.5_app_full-format.json"), *j, *p;
	struct sched_app *a = NULL;
	struct cd_err err = {0};

	(void)state;
	/* Its constraint operator is the placeholder "OPERATOR". */
	assert_int_equal(sched_app_parse(body, NULL, &a, &err), -EINVAL);
	assert_string_equal(err.path, "/constraints/0/1");
	json_object_set_new(body, "constraints",
			    js("[[\"rack\", \"CLUSTER\", "
			       "\"a\"]]"));
	a = parse_ok(body, NULL);
	j = sched_app_to_json(a);
	p = json_array_get(
	    json_object_get(
		json_object_get(json_object_get(j, "container"), "docker"),
		"parameters"),
	    0);
	assert_string_equal(sget(p, "key"), "env");
	assert_string_equal(sget(p, "value"), "X=7");
	p = json_array_get(json_object_get(j, "healthChecks"), 0);
	assert_int_equal(
	    json_integer_value(json_object_get(p, "gracePeriodSeconds")), 3);
	assert_string_equal(sget(p, "path"), "/health");
	p = json_array_get(json_object_get(j, "healthChecks"), 1);
	assert_string_equal(sget(p, "protocol"), "TCP");
	assert_int_equal(json_integer_value(json_object_get(p, "portIndex")),
			 1);
	assert_string_equal(sched_app_version(a), "2014-03-01T23:29:30.158Z");
	assert_null(json_object_get(j, "tasksRunning"));
	assert_round_trip(a);
	json_decref(j);
	sched_app_free(a);
	json_decref(body);
}

static void
test_v2api_app(void **state)
{
	json_t *body = load("example_v2api_app.json"), *j, *pm;
	struct sched_app *a = NULL;
	struct cd_err err = {0};
	struct wire_task t;
	uint32_t hp[] = {31777};

	(void)state;
	/* Marathon's own example sets both cmd and args. */
	assert_int_equal(sched_app_parse(body, NULL, &a, &err), -EINVAL);
	assert_string_equal(err.path, "/");
	json_object_del(body, "args");
	/* ... and a secret env var, which clusterd refuses. */
	assert_int_equal(sched_app_parse(body, NULL, &a, &err), -EINVAL);
	assert_string_equal(err.path, "/env/PASSWORD");
	json_object_del(json_object_get(body, "env"), "PASSWORD");
	a = parse_ok(body, NULL);
	j = sched_app_to_json(a);
	assert_string_equal(sched_app_id(a), "/foo");
	assert_int_equal(sched_app_instances(a), 2);
	assert_string_equal(
	    sget(json_array_get(json_object_get(j, "networks"), 0), "mode"),
	    "container/bridge");
	pm = json_array_get(
	    json_object_get(json_object_get(j, "container"), "portMappings"),
	    0);
	assert_int_equal(json_integer_value(json_object_get(pm, "servicePort")),
			 10019);
	assert_int_equal(sched_app_service_ports(a)[0], 10019);
	assert_int_equal(sched_app_host_port_count(a), 1);
	assert_int_equal(sched_app_host_ports_requested(a)[0], 0);
	assert_int_equal(json_array_size(json_object_get(j, "portDefinitions")),
			 0);
	assert_int_equal(sched_app_kill_grace_ms(a), 30000);
	assert_int_equal(json_array_size(json_object_get(j, "fetch")), 2);
	assert_non_null(
	    json_object_get(json_object_get(j, "secrets"), "secret1"));
	assert_int_equal(json_array_size(json_object_get(j, "readinessChecks")),
			 1);
	assert_round_trip(a);

	sched_app_set_version(a, "2024-01-02T03:04:05.678Z");
	sched_app_build_task(a, "foo.abc", "fw", "ag", "h1", hp, 1, &t);
	pm = json_array_get(
	    json_object_get(json_object_get(t.container, "docker"),
			    "portMappings"),
	    0);
	assert_int_equal(json_integer_value(json_object_get(pm, "hostPort")),
			 31777);
	assert_int_equal(
	    json_integer_value(json_object_get(pm, "containerPort")), 80);
	assert_string_equal(
	    sget(json_object_get(t.container, "docker"), "network"), "BRIDGE");
	assert_string_equal(sget(t.env, "PORT0"), "31777");
	assert_string_equal(sget(t.env, "PORT_80"), "31777");
	assert_string_equal(sget(t.env, "PORT_HTTP"), "31777");
	assert_string_equal(sget(t.env, "XPS1"), "Test");
	assert_string_equal(sget(t.env, "MARATHON_APP_VERSION"),
			    "2024-01-02T03:04:05.678Z");
	assert_string_equal(sget(t.env, "MARATHON_APP_LABEL_OWNER"), "zeus");
	assert_string_equal(sget(t.env, "MARATHON_APP_LABELS"), "OWNER NOTE");
	assert_string_equal(sget(t.labels, "note"), "Away from olympus");
	/* fetch items go as they are, for the agent's fetcher */
	assert_int_equal(json_array_size(t.uris), 0);
	assert_int_equal(json_array_size(t.fetch), 2);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(t.fetch, 0), "uri")),
			    "https://foo.com/setup.py");
	assert_int_equal(t.kill_grace_ms, 30000);
	assert_true(res_port_count(&t.res) == 1);
	wire_task_release(&t);
	json_decref(j);
	sched_app_free(a);
	json_decref(body);
}

static void
test_fixture_100(void **state)
{
	json_t *doc = load("fixture_apps_100_real.json"), *app, *j;
	struct sched_app *a;
	size_t i;

	(void)state;
	assert_int_equal(json_array_size(json_object_get(doc, "apps")), 100);
	json_array_foreach(json_object_get(doc, "apps"), i, app) {
		a = parse_ok(app, NULL);
		j = sched_app_to_json(a);
		/* Fixed service ports from the fixture survive. */
		assert_int_equal(
		    sched_app_service_ports(a)[0],
		    json_integer_value(json_object_get(
			json_array_get(json_object_get(app, "portDefinitions"),
				       0),
			"port")));
		assert_string_equal(sched_app_id(a), sget(app, "id"));
		assert_null(json_object_get(j, "versionInfo"));
		assert_round_trip(a);
		json_decref(j);
		sched_app_free(a);
	}
	json_decref(doc);
}

/* Marathon's system-test apps all parse, except the CNI one. */
static void
test_systemtests(void **state)
{
	char *pattern = data_path("systemtest_apps_*.json");
	glob_t g;
	size_t i, n = 0;

	(void)state;
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 20);
	for (i = 0; i < g.gl_pathc; i++) {
		json_error_t jerr;
		json_t *body = json_load_file(g.gl_pathv[i], 0, &jerr);
		struct sched_app *a = NULL;
		struct cd_err err = {0};
		int rc;

		assert_non_null(body);
		rc = sched_app_parse(body, NULL, &a, &err);
		if (strstr(g.gl_pathv[i], "pinger-container-app") != NULL) {
			/* ipAddress without a container: CNI, unsupported. */
			assert_int_equal(rc, -EINVAL);
			assert_string_equal(err.path, "/networks");
		} else {
			if (rc != 0)
				fail_msg("%s: %s %s", g.gl_pathv[i], err.path,
					 err.msg);
			assert_round_trip(a);
			n++;
		}
		sched_app_free(a);
		json_decref(body);
	}
	assert_true(n >= 19);
	globfree(&g);
	free(pattern);
}

static void
test_systemtest_ports(void **state)
{
	json_t *body = load("systemtest_apps_pinger-localhost-app.json");
	struct sched_app *a = parse_ok(body, NULL);

	(void)state;
	/* requirePorts: the definition's port is the host port. */
	assert_int_equal(sched_app_host_port_count(a), 1);
	assert_int_equal(sched_app_host_ports_requested(a)[0], 7777);
	sched_app_free(a);
	json_decref(body);

	body = load("systemtest_apps_pinger-bridge-app.json");
	a = parse_ok(body, NULL);
	assert_int_equal(sched_app_host_ports_requested(a)[0], 7777);
	sched_app_free(a);
	json_decref(body);

	body = load("systemtest_apps_ipv6-healthcheck.json");
	a = parse_ok(body, NULL);
	assert_int_equal(sched_app_host_port_count(a), 1);
	sched_app_free(a);
	json_decref(body);

	body = load("systemtest_apps_healthcheck-and-volume.json");
	a = parse_ok(body, NULL);
	/* USER network without mappings needs no host ports. */
	assert_int_equal(sched_app_host_port_count(a), 0);
	assert_int_equal(sched_app_service_port_count(a), 0);
	sched_app_free(a);
	json_decref(body);

	body = load("example_v2api_apps_create.json");
	a = parse_ok(json_array_get(body, 0), NULL);
	assert_round_trip(a);
	sched_app_free(a);
	json_decref(body);
}

static void
test_defaults(void **state)
{
	struct sched_app *a =
	    parse_str("{\"id\": \"x\", \"cmd\": \"sleep 1\"}");
	json_t *j = sched_app_to_json(a), *pd, *us;
	double s, f, m, mh, mo;

	(void)state;
	assert_string_equal(sget(j, "id"), "/x");
	assert_int_equal(json_integer_value(json_object_get(j, "instances")),
			 1);
	assert_true(json_real_value(json_object_get(j, "cpus")) == 1);
	assert_true(json_real_value(json_object_get(j, "mem")) == 128);
	assert_true(json_real_value(json_object_get(j, "disk")) == 0);
	assert_int_equal(json_integer_value(json_object_get(j, "gpus")), 0);
	sched_app_backoff(a, &s, &f, &m);
	assert_true(s == 1 && f == 1.15 && m == 300);
	sched_app_upgrade(a, &mh, &mo);
	assert_true(mh == 1 && mo == 1);
	assert_int_equal(sched_app_kill_grace_ms(a), 0);
	assert_null(json_object_get(j, "taskKillGracePeriodSeconds"));
	assert_null(json_object_get(j, "container"));
	assert_null(json_object_get(j, "version"));
	assert_null(json_object_get(j, "user"));
	assert_null(json_object_get(j, "acceptedResourceRoles"));
	assert_null(json_object_get(j, "args"));
	assert_false(json_is_true(json_object_get(j, "requirePorts")));
	assert_true(json_is_object(json_object_get(j, "labels")));
	assert_true(json_is_object(json_object_get(j, "env")));
	assert_true(json_is_array(json_object_get(j, "constraints")));
	assert_true(json_is_array(json_object_get(j, "uris")));
	assert_true(json_is_array(json_object_get(j, "fetch")));
	assert_true(json_is_array(json_object_get(j, "healthChecks")));
	assert_true(json_is_array(json_object_get(j, "readinessChecks")));
	assert_true(json_is_array(json_object_get(j, "dependencies")));
	assert_string_equal(sget(j, "executor"), "");
	assert_string_equal(sget(j, "killSelection"), "YOUNGEST_FIRST");
	us = json_object_get(j, "unreachableStrategy");
	assert_int_equal(
	    json_integer_value(json_object_get(us, "inactiveAfterSeconds")), 0);
	pd = json_array_get(json_object_get(j, "portDefinitions"), 0);
	assert_int_equal(json_integer_value(json_object_get(pd, "port")), 0);
	assert_string_equal(sget(pd, "name"), "default");
	assert_string_equal(sget(pd, "protocol"), "tcp");
	assert_string_equal(
	    sget(json_array_get(json_object_get(j, "networks"), 0), "mode"),
	    "host");
	assert_string_equal(sched_app_cmd(a), "sleep 1");
	assert_round_trip(a);
	json_decref(j);
	sched_app_free(a);

	/* Health check defaults. */
	a = parse_str("{\"id\": \"h\", \"cmd\": \"x\", \"healthChecks\": "
		      "[{}, {\"protocol\": \"COMMAND\", \"command\": "
		      "{\"value\": \"true\"}}]}");
	j = sched_app_to_json(a);
	pd = json_array_get(json_object_get(j, "healthChecks"), 0);
	assert_string_equal(sget(pd, "protocol"), "HTTP");
	assert_string_equal(sget(pd, "path"), "/");
	assert_int_equal(
	    json_integer_value(json_object_get(pd, "gracePeriodSeconds")), 300);
	assert_int_equal(
	    json_integer_value(json_object_get(pd, "intervalSeconds")), 60);
	assert_int_equal(
	    json_integer_value(json_object_get(pd, "timeoutSeconds")), 20);
	assert_int_equal(
	    json_integer_value(json_object_get(pd, "maxConsecutiveFailures")),
	    3);
	assert_int_equal(json_integer_value(json_object_get(pd, "portIndex")),
			 0);
	pd = json_array_get(json_object_get(j, "healthChecks"), 1);
	assert_null(json_object_get(pd, "portIndex"));
	assert_string_equal(sget(json_object_get(pd, "command"), "value"),
			    "true");
	assert_true(json_equal(json_object_get(j, "healthChecks"),
			       sched_app_health_checks(a)));
	assert_round_trip(a);
	json_decref(j);
	sched_app_free(a);
}

static void
test_ids(void **state)
{
	static const char *const good[][2] = {
	    {"ubuntu", "/ubuntu"}, {"/a/b/", "/a/b"},
	    {"a//b", "/a/b"},	   {"/prod/web-1.v2", "/prod/web-1.v2"},
	    {"0", "/0"},	   {"myApp", "/myapp"}};
	static const char *const bad[] = {"",
					  "/",
					  "Ub_untu",
					  "-a",
					  "a-",
					  "a..b",
					  ".",
					  "..",
					  "a/../b",
					  "a_b",
					  "a b",
					  "/a/.b",
					  "\xc3\xa9t\xc3\xa9"};
	struct cd_err err = {0};
	char *id, *longid;
	size_t i;

	(void)state;
	for (i = 0; i < CD_NELEM(good); i++) {
		id = sched_app_normalize_id(good[i][0], &err);
		assert_non_null(id);
		assert_string_equal(id, good[i][1]);
		free(id);
	}
	for (i = 0; i < CD_NELEM(bad); i++) {
		cd_err_clear(&err);
		id = sched_app_normalize_id(bad[i], &err);
		if (id != NULL)
			fail_msg("'%s' accepted as %s", bad[i], id);
		assert_int_equal(err.code, -EINVAL);
		assert_string_equal(err.path, "/id");
	}
	assert_null(sched_app_normalize_id(NULL, NULL));
	longid = xasprintf("%0200d", 1);
	assert_null(sched_app_normalize_id(longid, NULL));
	free(longid);
	parse_bad("{\"id\": \"b@d\", \"cmd\": \"x\"}", "/id", "regular");
	parse_bad("{\"cmd\": \"x\"}", "/id", "error.path.missing");
	parse_bad("{\"id\": 5, \"cmd\": \"x\"}", "/id", "jsstring");
}

static void
test_path_id(void **state)
{
	json_t *j = js("{\"id\": \"/other\", \"cmd\": \"x\"}");
	struct sched_app *a = NULL;
	struct cd_err err = {0};

	(void)state;
	assert_int_equal(sched_app_parse(j, "/mine", &a, &err), -EINVAL);
	assert_string_equal(err.path, "/id");
	json_object_set_new(j, "id", json_string("mine"));
	a = parse_ok(j, "/mine/");
	assert_string_equal(sched_app_id(a), "/mine");
	sched_app_free(a);
	json_object_del(j, "id");
	a = parse_ok(j, "mine");
	assert_string_equal(sched_app_id(a), "/mine");
	sched_app_free(a);
	json_decref(j);

	j = json_string("nope");
	assert_int_equal(sched_app_parse(j, NULL, &a, &err), -EBADMSG);
	assert_null(a);
	json_decref(j);
	assert_int_equal(sched_app_parse(NULL, NULL, &a, NULL), -EBADMSG);
}

static void
test_errors(void **state)
{
	(void)state;
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"instances\": \"abc\"}",
		  "/instances", "error.expected.jsnumber");
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"instances\": -1}",
		  "/instances", "must be greater than or equal to 0");
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"instances\": 1.5}",
		  "/instances", "error.expected.jsnumber");
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"cpus\": -1}", "/cpus",
		  "greater than or equal");
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"mem\": \"-5\"}", "/mem",
		  NULL);
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"args\": [\"y\"]}", "/",
		  "'cmd' or 'args'");
	parse_bad("{\"id\": \"a\"}", "/", "and/or a 'container'");
	parse_bad("{\"id\": \"a\", \"cmd\": \"\"}", "/cmd", NULL);
	parse_bad("{\"id\": \"a\", \"args\": [\"y\", 1]}", "/args/1",
		  "jsstring");
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"env\": {\"A\": 1}}",
		  "/env/A", "error.expected.jsstring");
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"env\": []}", "/env",
		  "jsobject");
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"labels\": {\"A\": true}}",
		  "/labels/A", "error.expected.jsstring");
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"constraints\": "
		  "[[\"hostname\", \"SOMETIMES\"]]}",
		  "/constraints/0/1", "UNIQUE");
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"constraints\": "
		  "[[\"hostname\"]]}",
		  "/constraints/0", NULL);
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"constraints\": "
		  "[[\"hostname\", \"LIKE\", \"(\"]]}",
		  "/constraints/0/2", "regular expression");
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"constraints\": "
		  "[[\"rack\", \"MAX_PER\", \"x\"]]}",
		  "/constraints/0/2", NULL);
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"upgradeStrategy\": "
		  "{\"minimumHealthCapacity\": 2}}",
		  "/upgradeStrategy/minimumHealthCapacity",
		  "less than or equal");
	parse_bad("{\"id\": \"a\", \"container\": {\"type\": \"DOCKER\", "
		  "\"docker\": {}}}",
		  "/container/docker/image", "error.path.missing");
	parse_bad("{\"id\": \"a\", \"container\": {\"type\": \"DOCKER\"}, "
		  "\"cmd\": \"x\"}",
		  "/container/docker", NULL);
	parse_bad("{\"id\": \"a\", \"container\": {\"type\": \"LXC\"}, "
		  "\"cmd\": \"x\"}",
		  "/container/type", "validenumvalue");
	parse_bad("{\"id\": \"a\", \"container\": {\"docker\": {\"image\": "
		  "\"x\", \"network\": \"WIFI\"}}}",
		  "/container/docker/network", NULL);
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"healthChecks\": "
		  "[{\"protocol\": \"SMTP\"}]}",
		  "/healthChecks/0/protocol", NULL);
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"portDefinitions\": [], "
		  "\"healthChecks\": [{\"protocol\": \"TCP\"}]}",
		  "/healthChecks/0/portIndex", "port indices");
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"portDefinitions\": "
		  "[{\"port\": 70000}]}",
		  "/portDefinitions/0/port", "less than or equal to 65535");
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"ports\": [80, \"x\"]}",
		  "/ports/1", NULL);
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"portDefinitions\": "
		  "[{\"name\": \"a\"}, {\"name\": \"a\"}]}",
		  "/portDefinitions", "unique");
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"portDefinitions\": "
		  "[{\"name\": \"Bad_Name\"}]}",
		  "/portDefinitions/0/name", NULL);
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"backoffFactor\": 0.5}",
		  "/backoffFactor", NULL);
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"killSelection\": "
		  "\"RANDOM\"}",
		  "/killSelection", NULL);
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"executor\": \"a//b\"}",
		  "/executor", NULL);
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"uris\": [\"\"]}",
		  "/uris/0", NULL);
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"fetch\": [{}]}",
		  "/fetch/0/uri", NULL);
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"dependencies\": "
		  "[\"../../x\"]}",
		  "/dependencies/0", NULL);
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"requirePorts\": "
		  "\"maybe\"}",
		  "/requirePorts", "jsboolean");
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"unreachableStrategy\": "
		  "{\"inactiveAfterSeconds\": 10, \"expungeAfterSeconds\": 5}}",
		  "/unreachableStrategy/expungeAfterSeconds", NULL);
	parse_bad("{\"id\": \"a\", \"container\": {\"image\": "
		  "\"http://x/y.tar\"}}",
		  "/container/image", "docker:///");
	parse_bad("{\"id\": \"a\", \"container\": {\"image\": "
		  "\"docker:///x\", \"options\": [\"-e\"]}}",
		  "/container/options/0", NULL);
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"networks\": "
		  "[{\"mode\": \"container/bridge\"}]}",
		  "/networks", NULL);
	parse_bad("{\"id\": \"a\", \"cmd\": \"x\", \"readinessChecks\": "
		  "[{\"portName\": \"nope\"}]}",
		  "/readinessChecks/0/portName", NULL);
	parse_bad("{\"id\": \"a\", \"container\": {\"docker\": {\"image\": "
		  "\"x\"}, \"portMappings\": [{\"containerPort\": 80}]}}",
		  "/container/portMappings", "BRIDGE");
}

static void
test_strings_05(void **state)
{
	struct sched_app *a = parse_str(
	    "{\"id\": \"s\", \"cmd\": \"x\", \"requirePorts\": \"true\", "
	    "\"ports\": [\"8080\"], \"backoffSeconds\": \"2\", "
	    "\"dependencies\": [\"b\", \"./c\", \"/d/\", \"b\"]}");
	json_t *j = sched_app_to_json(a);

	(void)state;
	assert_true(json_is_true(json_object_get(j, "requirePorts")));
	assert_int_equal(sched_app_host_ports_requested(a)[0], 8080);
	assert_int_equal(
	    json_integer_value(json_object_get(j, "backoffSeconds")), 2);
	assert_int_equal(json_array_size(json_object_get(j, "dependencies")),
			 3);
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(j, "dependencies"), 0)),
			    "/b");
	json_decref(j);
	sched_app_free(a);

	a = parse_str("{\"id\": \"/g/app\", \"cmd\": \"x\", "
		      "\"dependencies\": [\"b\", \"../c\"]}");
	j = sched_app_to_json(a);
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(j, "dependencies"), 0)),
			    "/g/b");
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(j, "dependencies"), 1)),
			    "/c");
	json_decref(j);
	sched_app_free(a);
}

/*
 * A 0.5 body keeps the keys 0.5's GET /v2/apps listed for every app
 * (example_v0.5_get_v2_apps_response.json): cmd ("" without one),
 * container (null without one) and taskRateLimit; a 1.x body gets none.
 */
#define NO_CMD_05                                                              \
	"{\"container\": {\"image\": \"docker:///libmesos/ubuntu\", "          \
	"\"options\": []}, \"id\": \"ubuntu\", \"instances\": \"1\", "         \
	"\"cpus\": \".5\", \"mem\": \"512\", \"uris\": [], "                   \
	"\"taskRateLimit\": \"2.5\"}"

static void
test_keys_05(void **state)
{
	json_t *body = load("example_v0.5_post_v2_apps_request.json"), *j, *p;
	struct sched_app *a = parse_ok(body, NULL), *b = NULL;
	struct cd_err err = {0};
	struct wire_task t;
	uint32_t hp[] = {31005};

	(void)state;
	j = sched_app_to_json(a);
	assert_string_equal(sget(j, "cmd"), "env && sleep 60");
	assert_true(json_is_null(json_object_get(j, "container")));
	assert_true(json_real_value(json_object_get(j, "taskRateLimit")) ==
		    1.0);
	assert_null(sched_app_container(a));
	assert_round_trip(a);
	json_decref(j);
	sched_app_free(a);
	json_decref(body);

	/* The tutorial's app without a cmd: "cmd": "", and no command runs. */
	a = parse_str(NO_CMD_05);
	j = sched_app_to_json(a);
	assert_string_equal(sget(j, "cmd"), "");
	assert_string_equal(sget(json_object_get(j, "container"), "type"),
			    "DOCKER");
	assert_true(json_real_value(json_object_get(j, "taskRateLimit")) ==
		    2.5);
	assert_null(sched_app_cmd(a));
	assert_round_trip(a);
	sched_app_build_task(a, "ubuntu.1", "fw", "ag", "node1", hp, 1, &t);
	assert_null(t.cmd);
	wire_task_release(&t);
	json_decref(j);

	/* An update keeps the era; args replace the empty cmd. */
	p = js("{\"instances\": 2}");
	assert_int_equal(sched_app_patch(a, p, &b, &err), 0);
	j = sched_app_to_json(b);
	assert_string_equal(sget(j, "cmd"), "");
	assert_non_null(json_object_get(j, "taskRateLimit"));
	json_decref(j);
	sched_app_free(b);
	json_decref(p);
	p = js("{\"args\": [\"date\"]}");
	assert_int_equal(sched_app_patch(a, p, &b, &err), 0);
	j = sched_app_to_json(b);
	assert_null(json_object_get(j, "cmd"));
	json_decref(j);
	sched_app_free(b);
	json_decref(p);
	sched_app_free(a);

	/* 1.x bodies: none of them, and 1.x's cmd may not be empty. */
	a = parse_str("{\"id\": \"/x\", \"cmd\": \"sleep 1\", \"cpus\": 0.1}");
	j = sched_app_to_json(a);
	assert_null(json_object_get(j, "taskRateLimit"));
	assert_null(json_object_get(j, "container"));
	json_decref(j);
	sched_app_free(a);
	parse_bad("{\"id\": \"/x\", \"cmd\": \"\"}", "/cmd", "empty");
}

static void
test_build_task(void **state)
{
	struct sched_app *a = parse_str(
	    "{\"id\": \"/prod/web\", \"cmd\": \"serve\", \"cpus\": 0.25, "
	    "\"mem\": 64, \"disk\": 10, \"env\": {\"FOO\": \"bar\", "
	    "\"HOST\": \"mine\"}, \"labels\": {\"owner\": \"ops\", "
	    "\"HAPROXY_0.vhost\": \"w.example\"}, \"uris\": [\"http://a/b\"], "
	    "\"fetch\": [{\"uri\": \"http://c/d\"}], "
	    "\"portDefinitions\": [{\"port\": 0, \"name\": \"http-api\"}, "
	    "{\"port\": 10001}], \"taskKillGracePeriodSeconds\": 7}");
	uint32_t hp[] = {31000, 31001};
	struct wire_task t;

	(void)state;
	sched_app_set_version(a, "2024-05-06T07:08:09.010Z");
	sched_app_build_task(a, "prod_web.1234", "fw-1", "agent-S0", "node7",
			     hp, 2, &t);
	assert_string_equal(t.task_id, "prod_web.1234");
	assert_string_equal(t.framework_id, "fw-1");
	assert_string_equal(t.agent_id, "agent-S0");
	assert_string_equal(t.app_id, "/prod/web");
	assert_string_equal(t.version, "2024-05-06T07:08:09.010Z");
	assert_string_equal(t.name, "prod.web");
	assert_string_equal(t.cmd, "serve");
	assert_null(t.args);
	assert_null(t.container);
	assert_true(t.res.cpus == 0.25 && t.res.mem == 64 && t.res.disk == 10);
	assert_int_equal(t.res.nranges, 1);
	assert_int_equal(t.res.ports[0].begin, 31000);
	assert_int_equal(t.res.ports[0].end, 31001);
	assert_string_equal(sget(t.env, "PORT0"), "31000");
	assert_string_equal(sget(t.env, "PORT1"), "31001");
	assert_string_equal(sget(t.env, "PORT"), "31000");
	assert_string_equal(sget(t.env, "PORTS"), "31000,31001");
	assert_string_equal(sget(t.env, "PORT_HTTP_API"), "31000");
	assert_string_equal(sget(t.env, "PORT_10001"), "31001");
	assert_string_equal(sget(t.env, "HOST"), "mine"); /* app env wins */
	assert_string_equal(sget(t.env, "FOO"), "bar");
	assert_string_equal(sget(t.env, "MARATHON_APP_ID"), "/prod/web");
	assert_string_equal(sget(t.env, "MARATHON_APP_VERSION"),
			    "2024-05-06T07:08:09.010Z");
	assert_string_equal(sget(t.env, "MESOS_TASK_ID"), "prod_web.1234");
	assert_string_equal(sget(t.env, "MARATHON_APP_RESOURCE_CPUS"), "0.25");
	assert_string_equal(sget(t.env, "MARATHON_APP_RESOURCE_MEM"), "64.0");
	assert_string_equal(sget(t.env, "MARATHON_APP_LABEL_HAPROXY_0_VHOST"),
			    "w.example");
	assert_string_equal(sget(t.env, "MARATHON_APP_LABELS"),
			    "OWNER HAPROXY_0_VHOST");
	assert_null(json_object_get(t.env, "MARATHON_APP_DOCKER_IMAGE"));
	/* 0.5's uris and 1.x's fetch items, each as given */
	assert_int_equal(json_array_size(t.uris), 1);
	assert_string_equal(json_string_value(json_array_get(t.uris, 0)),
			    "http://a/b");
	assert_int_equal(json_array_size(t.fetch), 1);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(t.fetch, 0), "uri")),
			    "http://c/d");
	assert_true(json_is_true(
	    json_object_get(json_array_get(t.fetch, 0), "extract")));
	assert_null(t.user);
	assert_string_equal(sget(t.labels, "owner"), "ops");
	assert_int_equal(t.kill_grace_ms, 7000);
	wire_task_release(&t);

	/* Fewer host ports than needed: no crash, PORTn of 0. */
	sched_app_build_task(a, "t", "f", "a", "h", NULL, 0, &t);
	assert_string_equal(sget(t.env, "PORT0"), "0");
	assert_int_equal(t.res.nranges, 0);
	wire_task_release(&t);
	sched_app_free(a);

	a = parse_str(
	    "{\"id\": \"d\", \"args\": [\"-v\"], \"container\": "
	    "{\"type\": \"DOCKER\", \"docker\": {\"image\": "
	    "\"nginx\", \"network\": \"BRIDGE\", \"privileged\": "
	    "true, \"parameters\": [{\"key\": \"label\", \"value\": "
	    "\"x=y\"}]}, \"portMappings\": [{\"containerPort\": 0, "
	    "\"hostPort\": 0, \"name\": \"web\"}, {\"containerPort\": "
	    "53, \"protocol\": \"udp\"}], \"volumes\": "
	    "[{\"containerPath\": \"/d\", \"hostPath\": \"/tmp\", "
	    "\"mode\": \"RO\"}]}}");
	hp[0] = 32000;
	hp[1] = 32001;
	sched_app_build_task(a, "d.1", "f", "a", "h", hp, 2, &t);
	assert_null(t.cmd);
	assert_string_equal(json_string_value(json_array_get(t.args, 0)), "-v");
	{
		const json_t *d = json_object_get(t.container, "docker");
		const json_t *m0 =
		    json_array_get(json_object_get(d, "portMappings"), 0);
		const json_t *m1 =
		    json_array_get(json_object_get(d, "portMappings"), 1);

		assert_string_equal(sget(t.container, "type"), "DOCKER");
		assert_true(json_is_true(json_object_get(d, "privileged")));
		assert_false(
		    json_is_true(json_object_get(d, "forcePullImage")));
		assert_int_equal(
		    json_array_size(json_object_get(d, "parameters")), 1);
		assert_int_equal(
		    json_integer_value(json_object_get(m0, "containerPort")),
		    32000);
		assert_int_equal(
		    json_integer_value(json_object_get(m0, "hostPort")), 32000);
		assert_int_equal(
		    json_integer_value(json_object_get(m1, "containerPort")),
		    53);
		assert_int_equal(
		    json_integer_value(json_object_get(m1, "hostPort")), 32001);
		assert_string_equal(sget(m1, "protocol"), "udp");
		assert_string_equal(
		    sget(json_array_get(json_object_get(t.container, "volumes"),
					0),
			 "mode"),
		    "RO");
	}
	assert_string_equal(sget(t.env, "PORT_WEB"), "32000");
	assert_string_equal(sget(t.env, "PORT_53"), "32001");
	assert_string_equal(sget(t.env, "MARATHON_APP_DOCKER_IMAGE"), "nginx");
	wire_task_release(&t);
	sched_app_free(a);

	/* MESOS without an image runs as a plain command. */
	a = parse_str("{\"id\": \"m\", \"cmd\": \"x\", \"container\": "
		      "{\"type\": \"MESOS\"}}");
	sched_app_build_task(a, "m.1", "f", "a", "h", hp, 1, &t);
	assert_null(t.container);
	wire_task_release(&t);
	sched_app_free(a);
}

static void
test_service_ports(void **state)
{
	struct sched_app *a = parse_str(
	    "{\"id\": \"p\", \"cmd\": \"x\", \"portDefinitions\": "
	    "[{\"port\": 0}, {\"port\": 0}], \"requirePorts\": true}");
	struct sched_app *b;
	json_t *j;

	(void)state;
	assert_int_equal(sched_app_service_port_count(a), 2);
	assert_int_equal(sched_app_host_ports_requested(a)[1], 0);
	b = sched_app_dup(a);
	sched_app_set_service_port(a, 1, 10042);
	sched_app_set_service_port(a, 5, 10043); /* out of range: ignored */
	assert_int_equal(sched_app_service_ports(a)[1], 10042);
	/* With requirePorts the assigned port is the host port too. */
	assert_int_equal(sched_app_host_ports_requested(a)[1], 10042);
	j = sched_app_to_json(a);
	assert_int_equal(
	    json_integer_value(json_array_get(json_object_get(j, "ports"), 1)),
	    10042);
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_array_get(json_object_get(j, "portDefinitions"), 1),
		"port")),
	    10042);
	json_decref(j);
	assert_round_trip(a);
	/* requirePorts: the host port changed, so tasks must move. */
	assert_true(sched_app_needs_restart(b, a));
	sched_app_free(a);
	sched_app_free(b);
}

static void
test_needs_restart(void **state)
{
	const char *base = "{\"id\": \"r\", \"cmd\": \"x\", \"instances\": 2}";
	struct sched_app *a = parse_str(base), *b;
	json_t *p;
	struct cd_err err = {0};

	(void)state;
	b = sched_app_dup(a);
	assert_false(sched_app_needs_restart(a, b));
	sched_app_set_instances(b, 5);
	sched_app_set_version(b, "2020-01-01T00:00:00.000Z");
	sched_app_set_service_port(b, 0, 10007);
	assert_int_equal(sched_app_instances(b), 5);
	assert_string_equal(sched_app_version(b), "2020-01-01T00:00:00.000Z");
	assert_false(sched_app_needs_restart(a, b));
	sched_app_free(b);

	p = js("{\"cmd\": \"y\"}");
	assert_int_equal(sched_app_patch(a, p, &b, &err), 0);
	assert_true(sched_app_needs_restart(a, b));
	assert_int_equal(sched_app_instances(b), 2);
	sched_app_free(b);
	json_decref(p);

	p = js("{\"env\": {\"A\": \"1\"}}");
	assert_int_equal(sched_app_patch(a, p, &b, &err), 0);
	assert_true(sched_app_needs_restart(a, b));
	sched_app_free(b);
	json_decref(p);
	sched_app_free(a);
}

static void
test_patch(void **state)
{
	struct sched_app *a =
	    parse_str("{\"id\": \"/foo\", \"cmd\": \"x\", \"ports\": [0, 0], "
		      "\"labels\": {\"a\": \"b\"}}");
	struct sched_app *b = NULL;
	struct cd_err err = {0};
	json_t *p;

	(void)state;
	p = js("{\"id\": \"/foo\", \"instances\": 4}");
	assert_int_equal(sched_app_patch(a, p, &b, &err), 0);
	assert_int_equal(sched_app_instances(b), 4);
	assert_false(sched_app_needs_restart(a, b));
	assert_string_equal(sget(sched_app_labels(b), "a"), "b");
	sched_app_free(b);
	json_decref(p);

	/* args replaces cmd; 0.5 ports replace portDefinitions. */
	p = js("{\"args\": [\"run\"], \"ports\": [8080]}");
	assert_int_equal(sched_app_patch(a, p, &b, &err), 0);
	assert_null(sched_app_cmd(b));
	assert_int_equal(sched_app_service_port_count(b), 1);
	assert_int_equal(sched_app_service_ports(b)[0], 8080);
	sched_app_free(b);
	json_decref(p);

	/* docker.network in a patch beats the stored networks. */
	p = js("{\"container\": {\"docker\": {\"image\": \"busybox\", "
	       "\"network\": \"BRIDGE\"}}}");
	assert_int_equal(sched_app_patch(a, p, &b, &err), 0);
	assert_int_equal(sched_app_service_port_count(b), 1); /* default map */
	sched_app_free(b);
	json_decref(p);

	p = js("{\"id\": \"/bar\"}");
	assert_int_equal(sched_app_patch(a, p, &b, &err), -EINVAL);
	assert_string_equal(err.path, "/id");
	json_decref(p);
	p = js("{\"instances\": -3}");
	assert_int_equal(sched_app_patch(a, p, &b, &err), -EINVAL);
	assert_string_equal(err.path, "/instances");
	json_decref(p);
	p = json_array();
	assert_int_equal(sched_app_patch(a, p, &b, &err), -EBADMSG);
	json_decref(p);
	sched_app_free(a);
}

/* Every subset of a rich body either parses and round-trips or fails
 * cleanly: a cheap stand-in for the fuzzer in the unit run. */
static void
test_field_subsets(void **state)
{
	json_t *full = load("example_v2api_app.json"), *body;
	const char *k;
	json_t *v;
	void *tmp;
	struct sched_app *a;
	struct cd_err err;

	(void)state;
	json_object_foreach_safe(full, tmp, k, v) {
		body = json_deep_copy(full);
		json_object_del(body, k);
		a = NULL;
		memset(&err, 0, sizeof err);
		if (sched_app_parse(body, NULL, &a, &err) == 0) {
			assert_round_trip(a);
			sched_app_free(a);
		} else
			assert_true(err.code == -EINVAL && err.path[0] == '/');
		json_decref(body);
	}
	json_decref(full);
}

/* The container policy at the API: refused (422) before anything runs,
 * naming the field and the flag that would allow it. */
static void
test_policy(void **state)
{
	static const char *const refused[][3] = {
	    {"\"docker\": {\"image\": \"x\", \"privileged\": true}",
	     "/container/docker/privileged", "privileged"},
	    {"\"docker\": {\"image\": \"x\", \"parameters\": [{\"key\": "
	     "\"env\", \"value\": \"A=1\"}, {\"key\": \"cap-add\", "
	     "\"value\": \"ALL\"}]}",
	     "/container/docker/parameters/1", "--docker_allowed_parameters"},
	    {"\"docker\": {\"image\": \"x\", \"parameters\": [{\"key\": "
	     "\"--security-opt\", \"value\": \"seccomp=unconfined\"}]}",
	     "/container/docker/parameters/0", "--docker_allowed_parameters"},
	    {"\"docker\": {\"image\": \"x\"}, \"volumes\": [{\"containerPath\":"
	     " \"/a\", \"hostPath\": \"x/../..\", \"mode\": \"RW\"}]",
	     "/container/volumes/0/hostPath", "inside the sandbox"},
	};
	struct cd_err err;
	struct sched_app *a;
	char buf[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof refused / sizeof *refused; i++) {
		snprintf(buf, sizeof buf,
			 "{\"id\": \"p\", \"cmd\": \"x\", \"container\": "
			 "{\"type\": \"DOCKER\", %s}}",
			 refused[i][0]);
		a = parse_str(buf); /* valid, and stored apps load */
		cd_err_clear(&err);
		assert_int_equal(sched_app_policy_check(a, NULL, &err),
				 -EINVAL);
		assert_string_equal(err.path, refused[i][1]);
		if (strstr(err.msg, refused[i][2]) == NULL)
			fail_msg("'%s' lacks '%s'", err.msg, refused[i][2]);
		sched_app_free(a);
	}
	/* What the operator allows, and the safe set, pass. */
	a = parse_str("{\"id\": \"p\", \"cmd\": \"x\", \"container\": "
		      "{\"type\": \"DOCKER\", \"docker\": {\"image\": \"x\", "
		      "\"parameters\": [{\"key\": \"cap-add\", \"value\": "
		      "\"NET_ADMIN\"}, {\"key\": \"label\", \"value\": "
		      "\"a=b\"}]}, \"volumes\": [{\"containerPath\": \"/a\", "
		      "\"hostPath\": \"/anywhere\", \"mode\": \"RO\"}]}}");
	assert_int_equal(sched_app_policy_check(a, "cap-add", &err), 0);
	assert_int_equal(sched_app_policy_check(a, NULL, &err), -EINVAL);
	sched_app_free(a);
	a = parse_str("{\"id\": \"p\", \"cmd\": \"x\"}");
	assert_int_equal(sched_app_policy_check(a, NULL, &err), 0);
	sched_app_free(a);
}

/* user, the fetch items (outputFile is Mesos' name for destPath) and a
 * USER network's name go to the task. */
static void
test_task_user_fetch_network(void **state)
{
	struct sched_app *a;
	struct wire_task t;
	json_t *j;

	(void)state;
	a = parse_str("{\"id\": \"u\", \"cmd\": \"x\", \"user\": \"nobody\","
		      " \"fetch\": [{\"uri\": \"http://h/a.tgz\", "
		      "\"outputFile\": \"b.tgz\", \"cache\": true}],"
		      " \"networks\": [{\"mode\": \"container\", \"name\": "
		      "\"net1\"}], \"container\": {\"type\": \"DOCKER\", "
		      "\"docker\": {\"image\": \"x\"}, \"portMappings\": "
		      "[{\"containerPort\": 80}]}}");
	j = sched_app_to_json(a);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(j, "fetch"), 0), "destPath")),
	    "b.tgz");
	assert_null(json_object_get(
	    json_array_get(json_object_get(j, "fetch"), 0), "outputFile"));
	json_decref(j);
	sched_app_build_task(a, "u.1", "f", "s", "h", NULL, 0, &t);
	assert_string_equal(t.user, "nobody");
	assert_true(
	    json_is_true(json_object_get(json_array_get(t.fetch, 0), "cache")));
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(t.container, "networks"), 0),
		"name")),
	    "net1");
	assert_string_equal(
	    sget(json_object_get(t.container, "docker"), "network"), "USER");
	/* no hostPort asked: none in the task's mapping */
	assert_null(json_object_get(
	    json_array_get(
		json_object_get(json_object_get(t.container, "docker"),
				"portMappings"),
		0),
	    "hostPort"));
	wire_task_release(&t);
	sched_app_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tutorial_05),
	    cmocka_unit_test(test_post_05),
	    cmocka_unit_test(test_full_format_05),
	    cmocka_unit_test(test_v2api_app),
	    cmocka_unit_test(test_fixture_100),
	    cmocka_unit_test(test_systemtests),
	    cmocka_unit_test(test_systemtest_ports),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_ids),
	    cmocka_unit_test(test_path_id),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_strings_05),
	    cmocka_unit_test(test_keys_05),
	    cmocka_unit_test(test_build_task),
	    cmocka_unit_test(test_service_ports),
	    cmocka_unit_test(test_needs_restart),
	    cmocka_unit_test(test_patch),
	    cmocka_unit_test(test_field_subsets),
	    cmocka_unit_test(test_policy),
	    cmocka_unit_test(test_task_user_fetch_network),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
