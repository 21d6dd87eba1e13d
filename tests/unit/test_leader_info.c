/*
 * test_leader_info.c: lib/leader_info, pure: the MasterInfo we write is
 * what Mesos writes (numeric ip in network byte order, pid, address) plus
 * our http_port; what we read from a Mesos master's znode (no "clusterd",
 * only the number or only the pid) still names the leader; bad znodes are
 * refused; election znode names order by number.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/leader_info.h"

static void
test_encode(void **state)
{
	struct leader_info in = {.id = "m1",
				 .ip = "127.0.0.1",
				 .hostname = "node-a",
				 .version = "0.1.0",
				 .port = 5050,
				 .http_port = 8080};
	struct buf b = BUF_INIT;
	json_error_t jerr;
	json_t *o;

	(void)state;
	assert_int_equal(leader_info_encode(&in, &b, NULL), 0);
	o = json_loads(buf_str(&b), 0, &jerr);
	assert_non_null(o);
	/* Mesos: in_addr.s_addr as an integer; 127.0.0.1 is 16777343. */
	assert_int_equal(json_integer_value(json_object_get(o, "ip")),
			 16777343);
	assert_string_equal(json_string_value(json_object_get(o, "pid")),
			    "master@127.0.0.1:5050");
	assert_string_equal(json_string_value(json_object_get(o, "id")), "m1");
	assert_int_equal(json_integer_value(json_object_get(o, "port")), 5050);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(o, "address"), "ip")),
			    "127.0.0.1");
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(o, "clusterd"), "http_port")),
			 8080);
	json_decref(o);
	buf_release(&b);

	in.ip = "node-a";
	assert_int_equal(leader_info_encode(&in, &b, NULL), -EINVAL);
	in.ip = "10.0.0.1";
	in.port = 0;
	assert_int_equal(leader_info_encode(&in, &b, NULL), -EINVAL);
	buf_release(&b);
}

static void
test_round_trip(void **state)
{
	struct leader_info in = {.id = "m2",
				 .ip = "10.1.2.3",
				 .hostname = "h",
				 .version = "v",
				 .port = 15050,
				 .http_port = 18080};
	struct leader_info out = {0}, copy = {0};
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(leader_info_encode(&in, &b, NULL), 0);
	assert_int_equal(leader_info_parse(b.data, b.len, &out, NULL), 0);
	assert_true(leader_info_equal(&in, &out));
	leader_info_copy(&copy, &out);
	assert_true(leader_info_equal(&copy, &out));
	copy.http_port = 1;
	assert_false(leader_info_equal(&copy, &out));
	leader_info_release(&out);
	leader_info_release(&copy);
	buf_release(&b);
}

static void
parse_ok(const char *json, const char *ip, int port, int http_port,
	 const char *hostname)
{
	struct leader_info out = {0};
	struct cd_err err = {0};

	if (leader_info_parse(json, strlen(json), &out, &err) != 0)
		fail_msg("%s: %s", json, err.msg);
	assert_string_equal(out.ip, ip);
	assert_int_equal(out.port, port);
	assert_int_equal(out.http_port, http_port);
	assert_string_equal(out.hostname, hostname);
	leader_info_release(&out);
}

static void
test_parse_mesos(void **state)
{
	(void)state;
	/* A Mesos 1.x master's znode. */
	parse_ok("{\"address\":{\"hostname\":\"m\",\"ip\":\"10.0.0.5\","
		 "\"port\":5050},\"hostname\":\"m\",\"id\":\"x\","
		 "\"ip\":83886090,\"pid\":\"master@10.0.0.5:5050\","
		 "\"port\":5050,\"version\":\"1.4.0\"}",
		 "10.0.0.5", 5050, 0, "m");
	/* Only the number (older Mesos): 83886090 is 10.0.0.5. */
	parse_ok("{\"id\":\"x\",\"ip\":83886090,\"port\":5051}", "10.0.0.5",
		 5051, 0, "10.0.0.5");
	/* Only the pid. */
	parse_ok("{\"pid\":\"master@192.168.1.9:5052\"}", "192.168.1.9", 5052,
		 0, "192.168.1.9");
	/* A bad http_port is ignored, not fatal. */
	parse_ok("{\"ip\":16777343,\"port\":1,\"clusterd\":{\"http_port\":-3}}",
		 "127.0.0.1", 1, 0, "127.0.0.1");
}

static void
parse_bad(const char *json)
{
	struct leader_info out = {0};
	struct cd_err err = {0};

	assert_int_equal(leader_info_parse(json, strlen(json), &out, &err),
			 -EBADMSG);
	assert_true(err.msg[0] != '\0');
	assert_null(out.ip);
}

static void
test_parse_bad(void **state)
{
	(void)state;
	parse_bad("");
	parse_bad("[]");
	parse_bad("{\"id\":\"x\"}");
	parse_bad("{\"ip\":16777343}");
	parse_bad("{\"ip\":-1,\"port\":5050}");
	parse_bad("{\"pid\":\"master@host:5050\"}");
	parse_bad("{\"pid\":\"master@1.2.3.4:0\"}");
	parse_bad("{\"address\":{\"ip\":\"::1\",\"port\":5050}}");
}

static void
test_seq(void **state)
{
	const char *names[] = {"json.info_0000000007", "info_0000000001",
			       "json.info_0000000012", "json.info_0000000003",
			       "json.info_x",	       "other"};
	size_t n = sizeof names / sizeof names[0];

	(void)state;
	assert_int_equal(leader_info_seq("json.info_0000000012"), 12);
	assert_int_equal(leader_info_seq("json.info_"), -1);
	assert_int_equal(leader_info_seq("json.info_-000000001"), -1);
	assert_int_equal(leader_info_seq("log_0000000001"), -1);
	assert_int_equal(leader_info_lowest(names, n), 3);
	assert_int_equal(leader_info_lowest(names + 4, 2), -1);
	assert_int_equal(
	    leader_info_predecessor(names, n, "json.info_0000000012"), 0);
	assert_int_equal(
	    leader_info_predecessor(names, n, "json.info_0000000007"), 3);
	assert_int_equal(
	    leader_info_predecessor(names, n, "json.info_0000000003"), -1);
	assert_int_equal(
	    leader_info_predecessor(names, n, "json.info_0000000004"), -2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_parse_mesos),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_seq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
