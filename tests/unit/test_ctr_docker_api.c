/*
 * test_ctr_docker_api.c: the pure Docker Engine API layer: create bodies,
 * reply parsers, the pull-stream error scanner and the log demultiplexer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "containerizer/ctr_docker_api.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

static void
task_init(struct wire_task *t, const char *container_json)
{
	memset(t, 0, sizeof *t);
	t->task_id = xstrdup("web.1234-abcd");
	t->app_id = xstrdup("/web");
	t->env = json_pack("{s:s}", "FOO", "bar");
	t->labels =
	    json_pack("{s:s,s:s}", "team", "a", "clusterd.agent_id", "forged");
	t->uris = json_array();
	t->container =
	    container_json ? json_loads(container_json, 0, NULL) : NULL;
	t->res.cpus = 0.5;
	t->res.mem = 64;
}

static void
task_release(struct wire_task *t)
{
	free(t->task_id);
	free(t->app_id);
	free(t->cmd);
	json_decref(t->args);
	json_decref(t->env);
	json_decref(t->labels);
	json_decref(t->uris);
	json_decref(t->container);
	res_free(&t->res);
}

static json_t *
path(json_t *j, const char *a, const char *b)
{
	j = json_object_get(j, a);
	return b ? json_object_get(j, b) : j;
}

static void
test_create_basic(void **state)
{
	struct wire_task t;
	struct ctr_dk_create c;
	struct cd_err err;
	json_t *b, *env, *binds;

	(void)state;
	task_init(&t, "{\"type\":\"DOCKER\",\"docker\":"
		      "{\"image\":\"docker:///busybox:local\"}}");
	t.cmd = xstrdup("echo hi");
	assert_int_equal(
	    ctr_docker_api_create(&t, "/sb", "agent-7", NULL, &c, &err), 0);
	b = c.body;
	assert_string_equal(c.image, "busybox:local");
	assert_string_equal(c.from_image, "busybox");
	assert_string_equal(c.tag, "local");
	assert_string_equal(c.name, "clusterd-web.1234-abcd");
	assert_false(c.force_pull);
	assert_string_equal(json_string_value(path(b, "Image", NULL)),
			    "busybox:local");
	/* a shell command runs as Mesos runs it: --entrypoint /bin/sh */
	assert_int_equal(json_array_size(path(b, "Entrypoint", NULL)), 1);
	assert_string_equal(
	    json_string_value(json_array_get(path(b, "Entrypoint", NULL), 0)),
	    "/bin/sh");
	assert_int_equal(json_array_size(path(b, "Cmd", NULL)), 2);
	assert_string_equal(
	    json_string_value(json_array_get(path(b, "Cmd", NULL), 0)), "-c");
	assert_string_equal(
	    json_string_value(json_array_get(path(b, "Cmd", NULL), 1)),
	    "echo hi");
	env = path(b, "Env", NULL);
	assert_int_equal(json_array_size(env), 2);
	assert_string_equal(json_string_value(json_array_get(env, 0)),
			    "FOO=bar");
	assert_string_equal(json_string_value(json_array_get(env, 1)),
			    "MESOS_SANDBOX=/mnt/mesos/sandbox");
	assert_string_equal(
	    json_string_value(path(b, "Labels", "clusterd.task_id")),
	    "web.1234-abcd");
	assert_string_equal(
	    json_string_value(path(b, "Labels", "clusterd.app_id")), "/web");
	/* the app cannot forge our agent label */
	assert_string_equal(
	    json_string_value(path(b, "Labels", "clusterd.agent_id")),
	    "agent-7");
	assert_string_equal(json_string_value(path(b, "Labels", "team")), "a");
	/* 1024 * 0.5 = 512 shares; 64 MiB */
	assert_int_equal(json_integer_value(path(b, "HostConfig", "CpuShares")),
			 512);
	assert_int_equal(json_integer_value(path(b, "HostConfig", "Memory")),
			 64LL * 1024 * 1024);
	/* no swap beyond the limit, and no CFS quota unless asked */
	assert_int_equal(
	    json_integer_value(path(b, "HostConfig", "MemorySwap")),
	    64LL * 1024 * 1024);
	assert_null(path(b, "HostConfig", "CpuQuota"));
	assert_null(path(b, "User", NULL));
	assert_false(c.own_ip);
	assert_string_equal(
	    json_string_value(path(b, "HostConfig", "NetworkMode")), "host");
	assert_true(json_is_false(path(b, "HostConfig", "Privileged")));
	binds = path(b, "HostConfig", "Binds");
	assert_int_equal(json_array_size(binds), 1);
	assert_string_equal(json_string_value(json_array_get(binds, 0)),
			    "/sb:/mnt/mesos/sandbox:rw");
	assert_int_equal(json_array_size(c.warnings), 0);
	ctr_dk_create_release(&c);
	task_release(&t);
}

static void
test_create_minimums_args_default(void **state)
{
	struct wire_task t;
	struct ctr_dk_create c;

	(void)state;
	task_init(&t, "{\"docker\":{\"image\":\"reg:5000/a/b\","
		      "\"forcePullImage\":true,\"network\":\"NONE\"}}");
	t.res.cpus = 0.001;
	t.res.mem = 1;
	assert_int_equal(ctr_docker_api_create(&t, "/sb", "k", NULL, &c, NULL),
			 0);
	assert_string_equal(c.from_image, "reg:5000/a/b");
	assert_string_equal(c.tag, "latest");
	assert_true(c.force_pull);
	assert_null(json_object_get(c.body, "Cmd"));
	assert_null(json_object_get(c.body, "Entrypoint"));
	assert_int_equal(
	    json_integer_value(path(c.body, "HostConfig", "CpuShares")), 2);
	assert_int_equal(
	    json_integer_value(path(c.body, "HostConfig", "Memory")),
	    32LL * 1024 * 1024);
	assert_string_equal(
	    json_string_value(path(c.body, "HostConfig", "NetworkMode")),
	    "none");
	ctr_dk_create_release(&c);

	t.args = json_pack("[s,s]", "sleep", "5");
	assert_int_equal(ctr_docker_api_create(&t, "/sb", "k", NULL, &c, NULL),
			 0);
	assert_string_equal(
	    json_string_value(json_array_get(path(c.body, "Cmd", NULL), 0)),
	    "sleep");
	assert_int_equal(json_array_size(path(c.body, "Cmd", NULL)), 2);
	/* args follow the image's own entrypoint */
	assert_null(json_object_get(c.body, "Entrypoint"));
	ctr_dk_create_release(&c);
	task_release(&t);
}

static void
test_create_digest(void **state)
{
	struct wire_task t;
	struct ctr_dk_create c;

	(void)state;
	task_init(&t, "{\"docker\":{\"image\":\"ubuntu:14.04@sha256:abc\"}}");
	assert_int_equal(ctr_docker_api_create(&t, "/sb", "k", NULL, &c, NULL),
			 0);
	assert_string_equal(c.from_image, "ubuntu");
	assert_string_equal(c.tag, "sha256:abc");
	ctr_dk_create_release(&c);
	task_release(&t);
}

static void
test_create_refusals(void **state)
{
	static const char *bad[] = {
	    "{\"docker\":{}}",
	    "{\"docker\":{\"image\":\"a b\"}}",
	    "{\"docker\":{\"image\":\"x?y\"}}",
	    "{\"docker\":{\"image\":\"x:\"}}",
	    "{\"docker\":{\"image\":\"x\",\"network\":\"USER\"}}",
	    "{\"docker\":{\"image\":\"x\",\"parameters\":[{\"key\":1}]}}",
	    "{\"docker\":{\"image\":\"x\",\"parameters\":"
	    "[{\"key\":\"memory-swap\",\"value\":\"lots\"}]}}",
	    "{\"docker\":{\"image\":\"x\"},\"volumes\":"
	    "[{\"containerPath\":\"/a\",\"hostPath\":\"/b\",\"mode\":\"X\"}]}",
	    "{\"docker\":{\"image\":\"x\",\"network\":\"BRIDGE\","
	    "\"portMappings\":[{\"containerPort\":80,\"hostPort\":0}]}}",
	    "{\"docker\":{\"image\":\"x\",\"network\":\"USER\"},"
	    "\"networks\":[{\"mode\":\"container\",\"name\":\"host\"}]}",
	    "{\"docker\":{\"image\":\"x\",\"network\":\"USER\"},"
	    "\"networks\":[{\"mode\":\"container\",\"name\":\"a b\"}]}",
	    "{\"docker\":{\"image\":\"x\"},\"volumes\":"
	    "[{\"containerPath\":\"/a\",\"external\":{\"name\":\"../x\"}}]}",
	    NULL,
	};
	/* the policy: each refused with the flag that would allow it */
	static const char *const refused[][2] = {
	    {"{\"docker\":{\"image\":\"x\",\"privileged\":true}}",
	     "privileged containers are not allowed"},
	    {"{\"docker\":{\"image\":\"x\",\"parameters\":"
	     "[{\"key\":\"cap-add\",\"value\":\"SYS_ADMIN\"}]}}",
	     "--docker_allowed_parameters"},
	    {"{\"docker\":{\"image\":\"x\",\"parameters\":"
	     "[{\"key\":\"--security-opt\",\"value\":\"seccomp=unconfined\"}]}"
	     "}",
	     "--docker_allowed_parameters"},
	    {"{\"docker\":{\"image\":\"x\",\"parameters\":"
	     "[{\"key\":\"v\",\"value\":\"/:/h\"}]}}",
	     "--docker_allowed_parameters"},
	    {"{\"docker\":{\"image\":\"x\",\"parameters\":"
	     "[{\"key\":\"pid\",\"value\":\"host\"}]}}",
	     "--docker_allowed_parameters"},
	    {"{\"docker\":{\"image\":\"x\",\"parameters\":"
	     "[{\"key\":\"volume\",\"value\":\"/etc:/h\"}]}}",
	     "--allowed_host_paths"},
	    {"{\"docker\":{\"image\":\"x\"},\"volumes\":"
	     "[{\"containerPath\":\"/h\",\"hostPath\":\"/\"}]}",
	     "--allowed_host_paths"},
	    {"{\"docker\":{\"image\":\"x\"},\"volumes\":"
	     "[{\"containerPath\":\"/h\",\"hostPath\":\"/database\"}]}",
	     "--allowed_host_paths"},
	    {"{\"docker\":{\"image\":\"x\"},\"volumes\":"
	     "[{\"containerPath\":\"/h\",\"hostPath\":\"/data/../etc\"}]}",
	     "--allowed_host_paths"},
	    {"{\"docker\":{\"image\":\"x\"},\"volumes\":"
	     "[{\"containerPath\":\"/h\",\"hostPath\":\"a/../../..\"}]}",
	     "would leave the sandbox"},
	};
	struct ctr_dk_policy pol = {"/data", "volume,memory-swap", false, NULL};
	struct wire_task t;
	struct ctr_dk_create c;
	struct cd_err err;
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		task_init(&t, bad[i]);
		assert_int_equal(
		    ctr_docker_api_create(&t, "/sb", "k", &pol, &c, &err),
		    -EINVAL);
		assert_null(c.body);
		task_release(&t);
	}
	for (i = 0; i < CD_NELEM(refused); i++) {
		task_init(&t, refused[i][0]);
		pol.allowed_parameters =
		    strstr(refused[i][0], "volume") != NULL ? "volume" : NULL;
		assert_int_equal(
		    ctr_docker_api_create(&t, "/sb", "k", &pol, &c, &err),
		    -EPERM);
		assert_non_null(strstr(err.msg, refused[i][1]));
		assert_null(c.body);
		task_release(&t);
	}
	/* what the operator allowed goes through */
	task_init(&t, "{\"docker\":{\"image\":\"x\",\"parameters\":"
		      "[{\"key\":\"cap-add\",\"value\":\"NET_ADMIN\"},"
		      "{\"key\":\"volume\",\"value\":\"/data/x:/x:ro\"},"
		      "{\"key\":\"volume\",\"value\":\"named:/n\"}]},"
		      "\"volumes\":[{\"containerPath\":\"/d\","
		      "\"hostPath\":\"/data\"}]}");
	pol.allowed_parameters = "cap-add, volume";
	assert_int_equal(ctr_docker_api_create(&t, "/sb", "k", &pol, &c, &err),
			 0);
	assert_string_equal(json_string_value(json_array_get(
				path(c.body, "HostConfig", "CapAdd"), 0)),
			    "NET_ADMIN");
	assert_int_equal(json_array_size(path(c.body, "HostConfig", "Binds")),
			 4);
	/* the driver checks every host bind source on disk */
	assert_int_equal(json_array_size(c.bind_paths), 2);
	assert_string_equal(json_string_value(json_array_get(c.bind_paths, 0)),
			    "/data");
	assert_string_equal(json_string_value(json_array_get(c.bind_paths, 1)),
			    "/data/x");
	assert_true(json_is_false(path(c.body, "HostConfig", "Privileged")));
	ctr_dk_create_release(&c);
	task_release(&t);
}

static void
test_create_user_limits_networks(void **state)
{
	gid_t groups[] = {65534, 27, 100};
	struct ctr_user u = {true, (char *)"nobody", 65534, 65534, groups, 3};
	struct ctr_dk_policy pol = {NULL, NULL, true, &u};
	struct wire_task t;
	struct ctr_dk_create c;
	struct cd_err err;
	json_t *ga, *m;

	(void)state;
	task_init(&t, "{\"docker\":{\"image\":\"x\",\"network\":\"USER\","
		      "\"portMappings\":[{\"containerPort\":8080},"
		      "{\"containerPort\":53,\"hostPort\":31001}]},"
		      "\"networks\":[{\"mode\":\"container\","
		      "\"name\":\"usernet-1\"}],"
		      "\"volumes\":[{\"containerPath\":\"/v\",\"mode\":\"RO\","
		      "\"external\":{\"name\":\"vol1\",\"provider\":\"dvdi\","
		      "\"options\":{\"dvdi/driver\":\"local\"}}}]}");
	t.res.cpus = 1.5;
	assert_int_equal(ctr_docker_api_create(&t, "/sb", "k", &pol, &c, &err),
			 0);
	/* the user the sandbox belongs to, by its ids, with its groups */
	assert_string_equal(json_string_value(path(c.body, "User", NULL)),
			    "65534:65534");
	ga = path(c.body, "HostConfig", "GroupAdd");
	assert_int_equal(json_array_size(ga), 2);
	assert_string_equal(json_string_value(json_array_get(ga, 0)), "27");
	/* CFS: 1.5 periods of 100 ms */
	assert_int_equal(
	    json_integer_value(path(c.body, "HostConfig", "CpuQuota")), 150000);
	assert_int_equal(
	    json_integer_value(path(c.body, "HostConfig", "CpuPeriod")),
	    100000);
	/* attached to the user network at create */
	assert_true(c.own_ip);
	assert_string_equal(
	    json_string_value(path(c.body, "HostConfig", "NetworkMode")),
	    "usernet-1");
	assert_non_null(json_object_get(
	    path(c.body, "NetworkingConfig", "EndpointsConfig"), "usernet-1"));
	/* a mapping without hostPort is exposed only */
	assert_non_null(path(c.body, "ExposedPorts", "8080/tcp"));
	assert_null(json_object_get(path(c.body, "HostConfig", "PortBindings"),
				    "8080/tcp"));
	assert_non_null(json_object_get(
	    path(c.body, "HostConfig", "PortBindings"), "53/tcp"));
	/* a named Docker volume */
	m = json_array_get(path(c.body, "HostConfig", "Mounts"), 0);
	assert_string_equal(json_string_value(json_object_get(m, "Source")),
			    "vol1");
	assert_string_equal(json_string_value(json_object_get(m, "Type")),
			    "volume");
	assert_true(json_is_true(json_object_get(m, "ReadOnly")));
	ctr_dk_create_release(&c);
	task_release(&t);
}

static void
test_create_bridge_volumes_params(void **state)
{
	struct ctr_dk_policy pol = {"/srv", "memory-swap,frobnicate", false,
				    NULL};
	struct wire_task t;
	struct ctr_dk_create c;
	json_t *pb, *binds;

	(void)state;
	task_init(&t, "{\"type\":\"DOCKER\",\"docker\":{\"image\":\"nginx\","
		      "\"network\":\"BRIDGE\",\"portMappings\":["
		      "{\"containerPort\":80,\"hostPort\":0},"
		      "{\"containerPort\":53,\"hostPort\":31005,"
		      "\"protocol\":\"udp,tcp\"},"
		      "{\"containerPort\":0,\"hostPort\":0}],"
		      "\"parameters\":[{\"key\":\"user\",\"value\":\"nobody\"},"
		      "{\"key\":\"label\",\"value\":\"x=y\"},"
		      "{\"key\":\"env\",\"value\":\"A=B\"},"
		      "{\"key\":\"memory-swap\",\"value\":\"1g\"},"
		      "{\"key\":\"add-host\",\"value\":\"h:1.2.3.4\"},"
		      "{\"key\":\"frobnicate\",\"value\":\"1\"}]},"
		      "\"volumes\":[{\"containerPath\":\"/data\","
		      "\"hostPath\":\"/srv\",\"mode\":\"RO\"},"
		      "{\"containerPath\":\"/rel\",\"hostPath\":\"rel\"}]}");
	/* ports 31000 and 31005 are free for the task; 31005 is taken */
	res_set_ranges(
	    &t.res, (const struct res_range[]){{31000, 31000}, {31005, 31006}},
	    2);
	assert_int_equal(ctr_docker_api_create(&t, "/sb", "k", &pol, &c, NULL),
			 0);
	assert_true(c.own_ip);
	pb = path(c.body, "HostConfig", "PortBindings");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(pb, "80/tcp"), 0), "HostPort")),
	    "31000");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(pb, "53/udp"), 0), "HostPort")),
	    "31005");
	assert_non_null(json_object_get(pb, "53/tcp"));
	assert_non_null(json_object_get(pb, "31006/tcp"));
	assert_non_null(path(c.body, "ExposedPorts", "80/tcp"));
	assert_string_equal(
	    json_string_value(path(c.body, "HostConfig", "NetworkMode")),
	    "bridge");
	assert_string_equal(json_string_value(path(c.body, "User", NULL)),
			    "nobody");
	assert_string_equal(json_string_value(path(c.body, "Labels", "x")),
			    "y");
	assert_int_equal(
	    json_integer_value(path(c.body, "HostConfig", "MemorySwap")),
	    1024LL * 1024 * 1024);
	assert_string_equal(json_string_value(json_array_get(
				path(c.body, "HostConfig", "ExtraHosts"), 0)),
			    "h:1.2.3.4");
	assert_string_equal(
	    json_string_value(json_array_get(path(c.body, "Env", NULL), 1)),
	    "A=B");
	binds = path(c.body, "HostConfig", "Binds");
	assert_int_equal(json_array_size(binds), 3);
	assert_string_equal(json_string_value(json_array_get(binds, 1)),
			    "/srv:/data:ro");
	assert_string_equal(json_string_value(json_array_get(binds, 2)),
			    "/sb/rel:/rel:rw");
	assert_int_equal(json_array_size(c.warnings), 1);
	assert_non_null(strstr(json_string_value(json_array_get(c.warnings, 0)),
			       "frobnicate"));
	ctr_dk_create_release(&c);
	task_release(&t);
}

static void
test_name_urlencode(void **state)
{
	char *s;

	(void)state;
	s = ctr_docker_api_name("a/b c.d_e-1");
	assert_string_equal(s, "clusterd-a_b_c.d_e-1");
	free(s);
	s = ctr_docker_api_urlencode("{\"label\":[\"a=b\"]}");
	assert_string_equal(s, "%7B%22label%22%3A%5B%22a%3Db%22%5D%7D");
	free(s);
	s = ctr_docker_api_urlencode("");
	assert_string_equal(s, "");
	free(s);
}

static void
test_inspect(void **state)
{
	static const char running[] =
	    "{\"Id\":\"abc\",\"State\":{\"Status\":\"running\",\"Running\":"
	    "true,"
	    "\"ExitCode\":0,\"Error\":\"\"},\"Config\":{\"Labels\":"
	    "{\"clusterd.task_id\":\"t1\",\"clusterd.agent_id\":\"ag\"}}}";
	static const char exited[] =
	    "{\"Id\":\"abc\",\"State\":{\"Status\":\"exited\",\"Running\":"
	    "false,"
	    "\"ExitCode\":3,\"Error\":\"boom\"},\"Config\":{\"Labels\":null}}";
	static const char created[] = "{\"Id\":\"abc\",\"State\":{\"Status\":"
				      "\"created\",\"Running\":false,"
				      "\"ExitCode\":0}}";
	struct ctr_dk_inspect i;
	struct cd_err err;

	(void)state;
	assert_int_equal(
	    ctr_docker_api_inspect(running, sizeof running - 1, &i, &err), 0);
	assert_string_equal(i.id, "abc");
	assert_true(i.running);
	assert_false(i.exited);
	assert_string_equal(i.task_id, "t1");
	assert_string_equal(i.agent_id, "ag");
	assert_null(i.error);
	ctr_dk_inspect_release(&i);
	assert_int_equal(
	    ctr_docker_api_inspect(exited, sizeof exited - 1, &i, &err), 0);
	assert_false(i.running);
	assert_true(i.exited);
	assert_int_equal(i.exit_code, 3);
	assert_string_equal(i.error, "boom");
	assert_null(i.task_id);
	ctr_dk_inspect_release(&i);
	assert_int_equal(
	    ctr_docker_api_inspect(created, sizeof created - 1, &i, &err), 0);
	assert_false(i.running);
	assert_false(i.exited);
	ctr_dk_inspect_release(&i);
	assert_int_equal(ctr_docker_api_inspect("[]", 2, &i, &err), -EBADMSG);
	assert_int_equal(ctr_docker_api_inspect("{", 1, &i, &err), -EBADMSG);
}

static void
test_list_wait_errmsg(void **state)
{
	static const char list[] =
	    "[{\"Id\":\"a\",\"Labels\":{\"clusterd.task_id\":\"t1\","
	    "\"clusterd.agent_id\":\"ag\"}},{\"Names\":[]},{\"Id\":\"b\"}]";
	static const char idrep[] = "{\"Id\":\"f00\",\"Warnings\":[]}";
	struct ctr_dk_listed *rows;
	size_t n;
	int st = -1;
	char *m;

	(void)state;
	assert_int_equal(
	    ctr_docker_api_list(list, sizeof list - 1, &rows, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].id, "a");
	assert_string_equal(rows[0].task_id, "t1");
	assert_string_equal(rows[1].id, "b");
	assert_null(rows[1].agent_id);
	ctr_dk_list_free(rows, n);
	assert_int_equal(ctr_docker_api_list("{}", 2, &rows, &n, NULL),
			 -EBADMSG);

	assert_int_equal(ctr_docker_api_wait("{\"StatusCode\":137,\"Error\":"
					     "null}",
					     31, &st, NULL),
			 0);
	assert_int_equal(st, 137);
	assert_int_equal(ctr_docker_api_wait("{\"StatusCode\":0,\"Error\":"
					     "{\"Message\":\"x\"}}",
					     35, &st, NULL),
			 -EBADMSG);
	assert_int_equal(ctr_docker_api_wait("{}", 2, &st, NULL), -EBADMSG);

	m = ctr_docker_api_id(idrep, strlen(idrep));
	assert_string_equal(m, "f00");
	free(m);
	assert_null(ctr_docker_api_id("{\"Id\":\"\"}", 9));
	assert_null(ctr_docker_api_id("x", 1));
	m = ctr_docker_api_errmsg("{\"message\":\"No such image\"}", 27);
	assert_string_equal(m, "No such image");
	free(m);
	m = ctr_docker_api_errmsg("plain text\n", 11);
	assert_string_equal(m, "plain text");
	free(m);
}

static void
test_pull_stream(void **state)
{
	static const char ok[] =
	    "{\"status\":\"Pulling from library/busybox\"}\r\n"
	    "{\"status\":\"Downloading\",\"progressDetail\":{}}\r\n";
	static const char bad[] =
	    "{\"status\":\"Pulling\"}\r\n"
	    "{\"errorDetail\":{\"message\":\"manifest unknown\"},"
	    "\"error\":\"manifest unknown\"}\r\n";
	struct ctr_dk_pull p;
	size_t i;

	(void)state;
	ctr_dk_pull_init(&p);
	ctr_dk_pull_feed(&p, ok, sizeof ok - 1);
	ctr_dk_pull_finish(&p);
	assert_null(p.error);
	ctr_dk_pull_release(&p);

	/* byte by byte, and the last line without a newline */
	ctr_dk_pull_init(&p);
	for (i = 0; i < sizeof bad - 3; i++)
		ctr_dk_pull_feed(&p, bad + i, 1);
	assert_null(p.error);
	ctr_dk_pull_finish(&p);
	assert_string_equal(p.error, "manifest unknown");
	ctr_dk_pull_release(&p);
}

struct sink {
	struct buf out, err;
};

static void
sink_fn(enum ctr_dk_stream s, const char *p, size_t n, void *arg)
{
	struct sink *k = arg;

	buf_append(s == CTR_DK_STDOUT ? &k->out : &k->err, p, n);
}

static void
test_demux(void **state)
{
	static const unsigned char frames[] = {
	    1, 0, 0, 0, 0, 0, 0, 6,   'h', 'e', 'l', 'l', 'o', '\n', 2,
	    0, 0, 0, 0, 0, 0, 4, 'o', 'o', 'p', 's', 1,	  0,   0,    0,
	    0, 0, 0, 0, 0, 0, 0, 0,   0,   0,	0,   1,	  '!',
	};
	struct ctr_dk_demux d;
	struct sink k;
	size_t chunk, i;

	(void)state;
	for (chunk = 1; chunk <= sizeof frames; chunk++) {
		memset(&k, 0, sizeof k);
		ctr_dk_demux_init(&d);
		for (i = 0; i < sizeof frames; i += chunk) {
			size_t n = sizeof frames - i < chunk ? sizeof frames - i
							     : chunk;

			assert_int_equal(
			    ctr_dk_demux_feed(&d, (const char *)frames + i, n,
					      sink_fn, &k),
			    0);
		}
		assert_string_equal(buf_str(&k.out), "hello\n!");
		assert_string_equal(buf_str(&k.err), "oops");
		buf_release(&k.out);
		buf_release(&k.err);
	}
	memset(&k, 0, sizeof k);
	ctr_dk_demux_init(&d);
	assert_int_equal(ctr_dk_demux_feed(&d, "garbage!", 8, sink_fn, &k),
			 -EBADMSG);
	assert_int_equal(
	    ctr_dk_demux_feed(&d, "\1\0\0\0\0\0\0\1x", 9, sink_fn, &k),
	    -EBADMSG);
	assert_int_equal(k.out.len, 0);
}

/* Stats replies of Docker 20.10 on cgroup v1 and of a cgroup v2 host. */
static void
test_stats(void **state)
{
	static const char v1[] =
	    "{\"read\":\"2026-12-07T14:56:34Z\",\"pids_stats\":{\"current\":3},"
	    "\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":658694714,"
	    "\"usage_in_kernelmode\":30000000,\"usage_in_usermode\":610000000},"
	    "\"throttling_data\":{\"periods\":7,\"throttled_periods\":2,"
	    "\"throttled_time\":1500000000}},"
	    "\"memory_stats\":{\"usage\":536576,\"limit\":67108864,\"stats\":{"
	    "\"total_rss\":57344,\"rss\":1,\"total_cache\":4096,"
	    "\"total_mapped_file\":0,\"total_active_anon\":4096,"
	    "\"total_inactive_anon\":53248,\"total_active_file\":0,"
	    "\"total_inactive_file\":4096}}}";
	static const char v2[] =
	    "{\"cpu_stats\":{\"cpu_usage\":{\"usage_in_usermode\":2000000000,"
	    "\"usage_in_kernelmode\":0}},\"memory_stats\":{\"usage\":100,"
	    "\"limit\":200,\"stats\":{\"anon\":60,\"file\":40,"
	    "\"file_mapped\":8}}}";
	struct ctr_usage u;
	struct cd_err err;

	(void)state;
	ctr_usage_init(&u);
	assert_int_equal(ctr_docker_api_stats(v1, strlen(v1), &u, &err), 0);
	assert_true(u.cpus_user_time_secs == 0.61);
	assert_true(u.cpus_system_time_secs == 0.03);
	assert_int_equal(u.cpus_nr_periods, 7);
	assert_int_equal(u.cpus_nr_throttled, 2);
	assert_true(u.cpus_throttled_time_secs == 1.5);
	assert_int_equal(u.mem_total_bytes, 536576);
	assert_int_equal(u.mem_limit_bytes, 67108864);
	assert_int_equal(u.mem_rss_bytes, 57344);
	assert_int_equal(u.mem_cache_bytes, 4096);
	assert_int_equal(u.mem_anon_bytes, 57344);
	assert_int_equal(u.mem_file_bytes, 4096);
	assert_int_equal(u.mem_mapped_file_bytes, 0);
	assert_int_equal(u.mem_swap_bytes, -1); /* no swap accounting */
	assert_int_equal(u.threads, 3);
	assert_int_equal(u.processes, -1);

	ctr_usage_init(&u);
	assert_int_equal(ctr_docker_api_stats(v2, strlen(v2), &u, &err), 0);
	assert_true(u.cpus_user_time_secs == 2.0);
	assert_int_equal(u.mem_rss_bytes, 60);
	assert_int_equal(u.mem_anon_bytes, 60);
	assert_int_equal(u.mem_file_bytes, 40);
	assert_int_equal(u.mem_cache_bytes, 40);
	assert_int_equal(u.mem_mapped_file_bytes, 8);
	assert_int_equal(u.cpus_nr_periods, -1);

	/* A stopped container's stats: zeros and empty objects, no crash. */
	ctr_usage_init(&u);
	assert_int_equal(
	    ctr_docker_api_stats("{\"memory_stats\":{}}", 19, &u, &err), 0);
	assert_int_equal(u.mem_total_bytes, -1);
	assert_int_equal(ctr_docker_api_stats("[1]", 3, &u, &err), -EBADMSG);
	assert_int_equal(ctr_docker_api_stats("{", 1, &u, &err), -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_basic),
	    cmocka_unit_test(test_create_minimums_args_default),
	    cmocka_unit_test(test_create_digest),
	    cmocka_unit_test(test_create_refusals),
	    cmocka_unit_test(test_create_bridge_volumes_params),
	    cmocka_unit_test(test_create_user_limits_networks),
	    cmocka_unit_test(test_name_urlencode),
	    cmocka_unit_test(test_inspect),
	    cmocka_unit_test(test_list_wait_errmsg),
	    cmocka_unit_test(test_pull_stream),
	    cmocka_unit_test(test_demux),
	    cmocka_unit_test(test_stats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
