/*
 * test_wire.c: lib/wire round trips for every message, defaults, deep
 * copies, and decode failures with their JSON paths. Run under
 * SANITIZE=address to check that failed decodes leak nothing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/wire.h"
#include "lib/xalloc.h"

static json_t *
jload(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (j == NULL)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return j;
}

#define TASK_JSON                                                              \
	"{\"task_id\":\"web.1\",\"framework_id\":\"fw-1\","                    \
	"\"agent_id\":\"m-S0\",\"app_id\":\"/web\",\"version\":\"v1\","        \
	"\"name\":\"web\",\"resources\":{\"cpus\":0.5,\"mem\":64,"             \
	"\"ports\":\"[31000-31001]\"},\"cmd\":\"sleep 1\","                    \
	"\"env\":{\"A\":\"b\"},\"labels\":{\"l\":\"v\"},"                      \
	"\"uris\":[\"http://x/y\"],\"args\":[\"-v\"],"                         \
	"\"container\":{\"type\":\"DOCKER\",\"docker\":{\"image\":\"b\"}},"    \
	"\"kill_grace_ms\":2500}"

#define STATUS_JSON                                                            \
	"{\"uuid\":\"u-1\",\"task_id\":\"web.1\",\"framework_id\":\"fw-1\","   \
	"\"agent_id\":\"m-S0\",\"state\":\"TASK_RUNNING\","                    \
	"\"message\":\"ok\",\"reason\":\"REASON_X\","                          \
	"\"source\":\"SOURCE_EXECUTOR\",\"timestamp_ms\":1700000000000,"       \
	"\"container_id\":\"c1\",\"task\":" TASK_JSON "}"

#define AGENT_JSON                                                             \
	"{\"id\":\"m-S0\",\"hostname\":\"node1\",\"ip\":\"10.0.0.1\","         \
	"\"port\":5051,\"resources\":{\"cpus\":4,\"mem\":1024,"                \
	"\"disk\":100,\"ports\":\"[31000-32000]\"},"                           \
	"\"attributes\":{\"rack\":\"r1\"}}"

static void
test_task_round_trip(void **state)
{
	struct cd_err err = {0};
	struct wire_task t, u, c;
	json_t *j = jload(TASK_JSON), *k;

	(void)state;
	assert_int_equal(wire_task_decode(j, &t, &err), 0);
	assert_string_equal(t.task_id, "web.1");
	assert_string_equal(t.app_id, "/web");
	assert_string_equal(t.cmd, "sleep 1");
	assert_true(t.res.cpus == 0.5 && t.res.mem == 64);
	assert_int_equal(t.res.nranges, 1);
	assert_int_equal(t.kill_grace_ms, 2500);
	assert_string_equal(json_string_value(json_object_get(t.env, "A")),
			    "b");
	k = wire_task_encode(&t);
	/* Equal except that resources are always reals. */
	json_object_del(j, "resources");
	json_object_set(j, "resources", json_object_get(k, "resources"));
	assert_true(json_equal(j, k));
	assert_int_equal(wire_task_decode(k, &u, &err), 0);
	assert_string_equal(u.version, "v1");
	assert_true(json_equal(u.container, t.container));
	assert_true(json_equal(u.args, t.args));

	wire_task_copy(&c, &t);
	assert_ptr_not_equal(c.task_id, t.task_id);
	assert_ptr_not_equal(c.env, t.env);
	assert_true(json_equal(c.env, t.env));
	json_object_set_new(c.env, "NEW", json_string("1"));
	assert_null(json_object_get(t.env, "NEW"));
	wire_task_release(&c);

	/* Shared: own strings and ranges, the same JSON, released apart. */
	wire_task_share(&c, &t);
	assert_ptr_not_equal(c.task_id, t.task_id);
	assert_string_equal(c.task_id, t.task_id);
	assert_ptr_equal(c.env, t.env);
	assert_ptr_equal(c.container, t.container);
	assert_ptr_not_equal(c.res.ports, t.res.ports);
	assert_int_equal(c.res.nranges, 1);
	wire_task_release(&c);
	assert_string_equal(json_string_value(json_object_get(t.env, "A")),
			    "b");
	wire_task_release(&u);
	wire_task_release(&t);
	json_decref(k);
	json_decref(j);
}

static void
test_task_defaults(void **state)
{
	struct cd_err err = {0};
	struct wire_task t;
	json_t *j = jload("{\"task_id\":\"a.1\",\"framework_id\":\"f\","
			  "\"agent_id\":\"s\",\"resources\":{\"cpus\":1}}");

	(void)state;
	assert_int_equal(wire_task_decode(j, &t, &err), 0);
	assert_true(json_is_object(t.env) && json_object_size(t.env) == 0);
	assert_true(json_is_object(t.labels));
	assert_true(json_is_array(t.uris) && json_array_size(t.uris) == 0);
	assert_null(t.args);
	assert_null(t.container);
	assert_null(t.cmd);
	assert_string_equal(t.app_id, "");
	assert_int_equal(t.kill_grace_ms, 0);
	wire_task_release(&t);
	json_decref(j);
}

/* What the agent needs and reports for the container policy, the fetcher
 * and task addresses: a task's user and fetch items, a status'
 * container_status; each checked on decode. */
static void
test_user_fetch_container_status(void **state)
{
	struct cd_err err = {0};
	struct wire_task t;
	struct wire_status st;
	json_t *j, *k;
	static const char *const bad_tasks[] = {
	    "\"user\":\"no body\"",	      "\"user\":\"\"",
	    "\"fetch\":[{\"extract\":true}]", "\"fetch\":[{\"uri\":\"\"}]",
	    "\"fetch\":[\"http://h/a\"]",     "\"fetch\":{}",
	};
	static const char *const bad_cs[] = {
	    "{\"network_infos\":{}}",
	    "{\"network_infos\":[1]}",
	    "{\"network_infos\":[{\"ip_addresses\":{}}]}",
	    "{\"network_infos\":[{\"ip_addresses\":[{}]}]}",
	    "{\"network_infos\":[{\"ip_addresses\":[{\"ip_address\":\"a "
	    "b\"}]}]}",
	    "{\"network_infos\":[{\"ip_addresses\":[{\"ip_address\":\"1.2.3."
	    "4\","
	    "\"protocol\":4}]}]}",
	};
	char buf[512];
	size_t i;

	(void)state;
	j = jload("{\"task_id\":\"a.1\",\"framework_id\":\"f\","
		  "\"agent_id\":\"s\",\"resources\":{\"cpus\":1},"
		  "\"user\":\"nobody\",\"fetch\":[{\"uri\":\"http://h/a.tgz\","
		  "\"cache\":true}]}");
	assert_int_equal(wire_task_decode(j, &t, &err), 0);
	assert_string_equal(t.user, "nobody");
	assert_int_equal(json_array_size(t.fetch), 1);
	k = wire_task_encode(&t);
	assert_string_equal(json_string_value(json_object_get(k, "user")),
			    "nobody");
	assert_true(json_equal(json_object_get(k, "fetch"), t.fetch));
	json_decref(k);
	wire_task_release(&t);
	json_decref(j);
	for (i = 0; i < sizeof bad_tasks / sizeof *bad_tasks; i++) {
		snprintf(buf, sizeof buf,
			 "{\"task_id\":\"a.1\",\"framework_id\":\"f\","
			 "\"agent_id\":\"s\",\"resources\":{\"cpus\":1},%s}",
			 bad_tasks[i]);
		j = jload(buf);
		assert_int_equal(wire_task_decode(j, &t, &err), -EINVAL);
		json_decref(j);
	}

	j = jload("{\"uuid\":\"u\",\"task_id\":\"a.1\",\"framework_id\":\"f\","
		  "\"agent_id\":\"s\",\"state\":\"TASK_RUNNING\","
		  "\"container_status\":{\"container_id\":{\"value\":\"c\"},"
		  "\"network_infos\":[{\"ip_addresses\":[{\"protocol\":"
		  "\"IPv4\",\"ip_address\":\"172.17.0.2\"}]}]}}");
	assert_int_equal(wire_status_decode(j, &st, &err), 0);
	assert_non_null(st.container_status);
	k = wire_status_encode(&st);
	assert_true(json_equal(json_object_get(k, "container_status"),
			       st.container_status));
	json_decref(k);
	wire_status_release(&st);
	json_decref(j);
	for (i = 0; i < sizeof bad_cs / sizeof *bad_cs; i++) {
		snprintf(buf, sizeof buf,
			 "{\"uuid\":\"u\",\"task_id\":\"a.1\","
			 "\"framework_id\":\"f\",\"agent_id\":\"s\","
			 "\"state\":\"TASK_RUNNING\",\"container_status\":%s}",
			 bad_cs[i]);
		j = jload(buf);
		assert_int_equal(wire_status_decode(j, &st, &err), -EINVAL);
		json_decref(j);
	}
}

static void
test_status_round_trip(void **state)
{
	struct cd_err err = {0};
	struct wire_status s, u, c;
	json_t *j = jload(STATUS_JSON), *k;

	(void)state;
	assert_int_equal(wire_status_decode(j, &s, &err), 0);
	assert_int_equal(s.state, TASK_RUNNING);
	assert_true(s.timestamp_ms == 1700000000000LL);
	assert_non_null(s.task);
	k = wire_status_encode(&s);
	assert_string_equal(json_string_value(json_object_get(k, "state")),
			    "TASK_RUNNING");
	assert_true(json_equal(j, k));
	assert_int_equal(wire_status_decode(k, &u, &err), 0);
	wire_status_copy(&c, &u);
	assert_string_equal(c.reason, "REASON_X");
	assert_true(json_equal(c.task, s.task));
	wire_status_release(&c);
	wire_status_release(&u);
	wire_status_release(&s);
	json_decref(k);
	json_decref(j);
}

static void
test_register_round_trip(void **state)
{
	struct cd_err err = {0};
	struct wire_register r, u;
	json_t *j =
	    jload("{\"protocol\":1,\"secret\":\"s3\",\"agent\":" AGENT_JSON
		  ",\"reregister\":true,\"tasks\":[" STATUS_JSON "]}");
	json_t *k;

	(void)state;
	assert_int_equal(wire_register_decode(j, &r, &err), 0);
	assert_int_equal(r.reregister, 1);
	assert_int_equal(r.ntasks, 1);
	assert_string_equal(r.agent.hostname, "node1");
	assert_int_equal(r.agent.port, 5051);
	assert_true(r.agent.total.cpus == 4);
	assert_string_equal(r.tasks[0].task_id, "web.1");
	k = wire_register_encode(&r);
	assert_true(json_equal(json_object_get(j, "tasks"),
			       json_object_get(k, "tasks")));
	assert_int_equal(wire_register_decode(k, &u, &err), 0);
	assert_string_equal(u.secret, "s3");
	assert_int_equal(u.status_token, 0); /* absent: an older agent */
	json_decref(j);
	j = wire_register_encode(&u); /* encode(decode(x)) is a fixpoint */
	assert_true(json_equal(j, k));
	wire_register_release(&u);
	wire_register_release(&r);
	json_decref(k);
	json_decref(j);

	/* First registration: no id, no tasks. */
	j = jload("{\"protocol\":1,\"agent\":{\"hostname\":\"h\",\"ip\":"
		  "\"1.2.3.4\",\"port\":1,\"resources\":{}}}");
	assert_int_equal(wire_register_decode(j, &r, &err), 0);
	assert_null(r.agent.id);
	assert_int_equal(r.ntasks, 0);
	assert_true(json_is_object(r.agent.attributes));
	/* An agent that sends its registration's token with its updates. */
	r.status_token = 1;
	k = wire_register_encode(&r);
	assert_true(json_is_true(json_object_get(k, "status_token")));
	assert_int_equal(wire_register_decode(k, &u, &err), 0);
	assert_int_equal(u.status_token, 1);
	wire_register_release(&u);
	json_decref(k);
	wire_register_release(&r);
	json_decref(j);
}

static void
test_small_messages(void **state)
{
	struct cd_err err = {0};
	struct wire_registered rd = {"m-S1", "m",     5000,
				     25000,  "run-1", "tok-1"},
			       rd2;
	struct wire_kill_task kt = {"m", NULL, "web.1", 3000}, kt2;
	struct wire_ping pg = {"m",	"m-S1", "sec",
			       "run-1", 1,	"master@10.0.0.1:5050"},
			 pg2;
	struct wire_reconcile rc = {"m", NULL, NULL}, rc2;
	struct wire_status_msg sm = {0}, sm2;
	struct wire_run_task rt = {0}, rt2;
	json_t *j;

	(void)state;
	j = wire_registered_encode(&rd);
	assert_int_equal(wire_registered_decode(j, &rd2, &err), 0);
	assert_string_equal(rd2.agent_id, "m-S1");
	assert_true(rd2.ping_interval_ms == 5000);
	assert_true(rd2.ping_timeout_total_ms == 25000);
	assert_string_equal(rd2.epoch, "run-1");
	assert_string_equal(rd2.token, "tok-1");
	wire_registered_release(&rd2);
	json_decref(j);
	/* From an older master: no epoch, no total, no token. */
	j = jload("{\"protocol\":1,\"agent_id\":\"m-S1\",\"master_id\":\"m\","
		  "\"ping_interval_ms\":5000}");
	assert_int_equal(wire_registered_decode(j, &rd2, &err), 0);
	assert_null(rd2.epoch);
	assert_null(rd2.token);
	assert_true(rd2.ping_timeout_total_ms == 0);
	wire_registered_release(&rd2);
	json_decref(j);

	j = wire_kill_task_encode(&kt);
	assert_int_equal(wire_kill_task_decode(j, &kt2, &err), 0);
	assert_string_equal(kt2.task_id, "web.1");
	assert_null(kt2.secret);
	assert_int_equal(kt2.grace_ms, 3000);
	wire_kill_task_release(&kt2);
	json_decref(j);

	j = wire_ping_encode(&pg);
	assert_true(json_is_true(json_object_get(j, "reregister")));
	assert_int_equal(wire_ping_decode(j, &pg2, &err), 0);
	assert_string_equal(pg2.secret, "sec");
	assert_string_equal(pg2.epoch, "run-1");
	assert_int_equal(pg2.reregister, 1);
	assert_string_equal(pg2.pid, "master@10.0.0.1:5050");
	wire_ping_release(&pg2);
	json_decref(j);
	/* From an older master: no epoch, not asked to re-register; a bad
	 * flag is refused. */
	j = jload("{\"protocol\":1,\"master_id\":\"m\",\"agent_id\":\"a\"}");
	assert_int_equal(wire_ping_decode(j, &pg2, &err), 0);
	assert_null(pg2.epoch);
	assert_null(pg2.pid); /* an older master's ping names no sender */
	assert_int_equal(pg2.reregister, 0);
	wire_ping_release(&pg2);
	json_decref(j);
	j = jload("{\"protocol\":1,\"master_id\":\"m\",\"agent_id\":\"a\","
		  "\"reregister\":\"yes\"}");
	assert_int_equal(wire_ping_decode(j, &pg2, &err), -EINVAL);
	json_decref(j);

	j = wire_reconcile_encode(&rc);
	assert_int_equal(wire_reconcile_decode(j, &rc2, &err), 0);
	assert_true(json_is_array(rc2.task_ids));
	assert_int_equal(json_array_size(rc2.task_ids), 0);
	json_decref(j);
	json_array_append_new(rc2.task_ids, json_string("web.1"));
	j = wire_reconcile_encode(&rc2);
	wire_reconcile_release(&rc2);
	assert_int_equal(wire_reconcile_decode(j, &rc2, &err), 0);
	assert_int_equal(json_array_size(rc2.task_ids), 1);
	wire_reconcile_release(&rc2);
	json_decref(j);

	j = jload(STATUS_JSON);
	assert_int_equal(wire_status_decode(j, &sm.status, &err), 0);
	json_decref(j);
	j = wire_status_msg_encode(&sm);
	assert_int_equal(wire_status_msg_decode(j, &sm2, &err), 0);
	assert_string_equal(sm2.status.uuid, "u-1");
	assert_null(sm2.token); /* an older agent sends none */
	wire_status_msg_release(&sm2);
	json_decref(j);
	sm.token = xstrdup("tok-1");
	j = wire_status_msg_encode(&sm);
	assert_int_equal(wire_status_msg_decode(j, &sm2, &err), 0);
	assert_string_equal(sm2.token, "tok-1");
	wire_status_msg_release(&sm2);
	wire_status_msg_release(&sm);
	json_decref(j);

	j = jload(TASK_JSON);
	assert_int_equal(wire_task_decode(j, &rt.task, &err), 0);
	json_decref(j);
	rt.master_id = "m";
	j = wire_run_task_encode(&rt);
	rt.master_id = NULL;
	assert_int_equal(wire_run_task_decode(j, &rt2, &err), 0);
	assert_string_equal(rt2.master_id, "m");
	assert_string_equal(rt2.task.name, "web");
	wire_run_task_release(&rt2);
	wire_run_task_release(&rt);
	json_decref(j);
}

enum kind { K_RUN, K_REG, K_STATUS_MSG, K_KILL, K_PING, K_RECON, K_REGD };

static void
decode_fails(enum kind k, const char *text, const char *path)
{
	struct cd_err err = {0};
	union {
		struct wire_run_task rt;
		struct wire_register rg;
		struct wire_status_msg sm;
		struct wire_kill_task kt;
		struct wire_ping pg;
		struct wire_reconcile rc;
		struct wire_registered rd;
	} u;
	json_t *j = jload(text);
	int rc = 0;

	memset(&u, 0xa5, sizeof u); /* decoders must not trust the input */
	switch (k) {
	case K_RUN:
		rc = wire_run_task_decode(j, &u.rt, &err);
		break;
	case K_REG:
		rc = wire_register_decode(j, &u.rg, &err);
		break;
	case K_STATUS_MSG:
		rc = wire_status_msg_decode(j, &u.sm, &err);
		break;
	case K_KILL:
		rc = wire_kill_task_decode(j, &u.kt, &err);
		break;
	case K_PING:
		rc = wire_ping_decode(j, &u.pg, &err);
		break;
	case K_RECON:
		rc = wire_reconcile_decode(j, &u.rc, &err);
		break;
	case K_REGD:
		rc = wire_registered_decode(j, &u.rd, &err);
		break;
	}
	json_decref(j);
	if (rc != -EINVAL)
		fail_msg("decode of %s returned %d", text, rc);
	if (strcmp(err.path, path) != 0)
		fail_msg("path '%s' (%s), expected '%s'", err.path, err.msg,
			 path);
	assert_true(err.msg[0] != '\0');
}

#define RUN(task) "{\"protocol\":1,\"master_id\":\"m\",\"task\":" task "}"

static void
test_decode_errors(void **state)
{
	(void)state;
	decode_fails(K_PING, "[1]", "");
	decode_fails(K_PING, "{\"master_id\":\"m\",\"agent_id\":\"a\"}",
		     "/protocol");
	decode_fails(K_PING,
		     "{\"protocol\":2,\"master_id\":\"m\","
		     "\"agent_id\":\"a\"}",
		     "/protocol");
	decode_fails(K_PING, "{\"protocol\":1,\"master_id\":\"m\"}",
		     "/agent_id");
	decode_fails(K_PING,
		     "{\"protocol\":1,\"master_id\":\"m\","
		     "\"agent_id\":\"../etc\"}",
		     "/agent_id");
	decode_fails(K_PING,
		     "{\"protocol\":1,\"master_id\":7,"
		     "\"agent_id\":\"a\"}",
		     "/master_id");
	decode_fails(K_PING,
		     "{\"protocol\":1,\"master_id\":\"m\","
		     "\"agent_id\":\"a\",\"secret\":[]}",
		     "/secret");
	decode_fails(K_RUN, "{\"protocol\":1,\"master_id\":\"m\"}", "/task");
	decode_fails(K_RUN, RUN("[]"), "/task");
	decode_fails(K_RUN,
		     RUN("{\"task_id\":\"a.1\",\"framework_id\":\"f\","
			 "\"agent_id\":\"s\",\"resources\":{\"cpus\":-1}}"),
		     "/task/resources/cpus");
	decode_fails(K_RUN,
		     RUN("{\"task_id\":\"a.1\",\"framework_id\":\"f\","
			 "\"agent_id\":\"s\"}"),
		     "/task/resources");
	decode_fails(K_RUN,
		     RUN("{\"task_id\":\"a.1\",\"framework_id\":\"f\","
			 "\"agent_id\":\"s\",\"resources\":{},"
			 "\"env\":{\"A\":1}}"),
		     "/task/env");
	decode_fails(K_RUN,
		     RUN("{\"task_id\":\"a.1\",\"framework_id\":\"f\","
			 "\"agent_id\":\"s\",\"resources\":{},"
			 "\"uris\":[\"a\",2]}"),
		     "/task/uris");
	decode_fails(K_RUN,
		     RUN("{\"task_id\":\"a.1\",\"framework_id\":\"f\","
			 "\"agent_id\":\"s\",\"resources\":{},"
			 "\"cmd\":\"x\",\"container\":\"DOCKER\"}"),
		     "/task/container");
	decode_fails(K_RUN,
		     RUN("{\"task_id\":\"a.1\",\"framework_id\":\"f\","
			 "\"agent_id\":\"s\",\"resources\":{},"
			 "\"kill_grace_ms\":-5}"),
		     "/task/kill_grace_ms");
	decode_fails(K_REG,
		     "{\"protocol\":1,\"reregister\":true,\"agent\":"
		     "{\"hostname\":\"h\",\"ip\":\"i\",\"port\":1,"
		     "\"resources\":{}}}",
		     "/agent/id");
	decode_fails(K_REG,
		     "{\"protocol\":1,\"agent\":{\"hostname\":\"h h\","
		     "\"ip\":\"i\",\"port\":1,\"resources\":{}}}",
		     "/agent/hostname");
	decode_fails(K_REG,
		     "{\"protocol\":1,\"agent\":{\"hostname\":\"h\","
		     "\"ip\":\"i\",\"port\":70000,\"resources\":{}}}",
		     "/agent/port");
	decode_fails(
	    K_REG,
	    "{\"protocol\":1,\"reregister\":true,\"agent\":" AGENT_JSON
	    ",\"tasks\":[" STATUS_JSON ",{\"uuid\":\"u\","
	    "\"task_id\":\"t\",\"framework_id\":\"f\",\"agent_id\":\"m-S0\","
	    "\"state\":\"TASK_BOGUS\"}]}",
	    "/tasks/1/state");
	decode_fails(K_REG,
		     "{\"protocol\":1,\"reregister\":true,\"agent\":" AGENT_JSON
		     ",\"tasks\":[{\"uuid\":\"u\",\"task_id\":\"t\","
		     "\"framework_id\":\"f\",\"agent_id\":\"other\","
		     "\"state\":\"TASK_RUNNING\"}]}",
		     "/tasks/0/agent_id");
	decode_fails(K_REG,
		     "{\"protocol\":1,\"agent\":" AGENT_JSON
		     ",\"tasks\":[" STATUS_JSON "]}",
		     "/tasks");
	decode_fails(
	    K_STATUS_MSG,
	    "{\"protocol\":1,\"status\":{\"uuid\":"
	    "\"u\",\"task_id\":\"t\",\"framework_id\":\"f\",\"agent_id\":"
	    "\"a\",\"state\":\"TASK_FAILED\",\"task\":{\"task_id\":\"t\"}}}",
	    "/status/task/framework_id");
	decode_fails(
	    K_STATUS_MSG,
	    "{\"protocol\":1,\"status\":{\"uuid\":"
	    "\"u\",\"task_id\":\"t\",\"framework_id\":\"f\",\"agent_id\":"
	    "\"a\",\"state\":\"TASK_FAILED\",\"source\":\"SOURCE_ME\"}}",
	    "/status/source");
	decode_fails(
	    K_STATUS_MSG,
	    "{\"protocol\":1,\"status\":{\"uuid\":"
	    "\"u\",\"task_id\":\"t\",\"framework_id\":\"f\",\"agent_id\":"
	    "\"a\",\"state\":\"TASK_FAILED\",\"reason\":\"oops\"}}",
	    "/status/reason");
	decode_fails(
	    K_STATUS_MSG,
	    "{\"protocol\":1,\"token\":\"a b\",\"status\":{\"uuid\":"
	    "\"u\",\"task_id\":\"t\",\"framework_id\":\"f\",\"agent_id\":"
	    "\"a\",\"state\":\"TASK_FAILED\"}}",
	    "/token");
	decode_fails(K_REG,
		     "{\"protocol\":1,\"status_token\":1,\"agent\":" AGENT_JSON
		     "}",
		     "/status_token");
	decode_fails(K_KILL,
		     "{\"protocol\":1,\"master_id\":\"m\","
		     "\"task_id\":\"t\",\"grace_ms\":1.5}",
		     "/grace_ms");
	decode_fails(K_RECON,
		     "{\"protocol\":1,\"master_id\":\"m\","
		     "\"task_ids\":[\"a b\"]}",
		     "/task_ids");
	decode_fails(K_REGD,
		     "{\"protocol\":1,\"master_id\":\"m\","
		     "\"agent_id\":\"a\"}",
		     "/ping_interval_ms");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_task_round_trip),
	    cmocka_unit_test(test_task_defaults),
	    cmocka_unit_test(test_status_round_trip),
	    cmocka_unit_test(test_user_fetch_container_status),
	    cmocka_unit_test(test_register_round_trip),
	    cmocka_unit_test(test_small_messages),
	    cmocka_unit_test(test_decode_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
