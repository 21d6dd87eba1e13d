/*
 * test_sched_events.c: the pure parts of scheduler/sched_events: SSE
 * framing, the Accept check, event_type filters, subscription store keys
 * and peer addresses. No loop, no network (the bus itself is exercised by
 * tests/it/test_t5_events.py against the real binary).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "scheduler/core/sched_events.h"
#include "scheduler/core/sched_events_sub.h"

static void
test_frame(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	sched_events_frame("status_update_event", "{\"a\":1}", &b);
	assert_string_equal(buf_str(&b), "event: status_update_event\n"
					 "data: {\"a\":1}\n\n");
	buf_reset(&b);
	/* Every line of data gets its own field; frames append. */
	sched_events_frame("x", "one\ntwo", &b);
	sched_events_frame("y", "", &b);
	assert_string_equal(buf_str(&b), "event: x\ndata: one\ndata: two\n\n"
					 "event: y\ndata: \n\n");
	buf_release(&b);
}

static void
test_heartbeat(void **state)
{
	(void)state;
	/* Marathon (Jetty's EventSource): a bare CRLF every 10 s, which SSE
	 * parsers read as an empty line and ignore. */
	assert_int_equal(SCHED_EVENTS_HEARTBEAT_MS, 10000);
	assert_string_equal(SCHED_EVENTS_HEARTBEAT, "\r\n");
}

static void
test_accepts_sse(void **state)
{
	(void)state;
	assert_true(sched_events_accepts_sse("text/event-stream"));
	assert_true(sched_events_accepts_sse("Text/Event-Stream"));
	assert_true(sched_events_accepts_sse(
	    "application/json, text/event-stream;q=0.9"));
	assert_true(sched_events_accepts_sse(" text/event-stream ; q=1 ,x/y"));
	assert_false(sched_events_accepts_sse(NULL));
	assert_false(sched_events_accepts_sse(""));
	assert_false(sched_events_accepts_sse("*/*"));
	assert_false(sched_events_accepts_sse("application/json"));
	assert_false(sched_events_accepts_sse("text/event-streams"));
	assert_false(sched_events_accepts_sse("text/event"));
	assert_false(sched_events_accepts_sse(",,;"));
}

static void
test_filter(void **state)
{
	struct sched_events_filter f = {NULL, 0, 0};

	(void)state;
	/* No filter: everything. */
	assert_true(sched_events_filter_match(&f, "api_post_event"));
	sched_events_filter_add(&f, "status_update_event");
	sched_events_filter_add(&f, " api_post_event , ,deployment_info");
	sched_events_filter_add(&f, "");
	assert_int_equal(f.n, 3);
	assert_true(sched_events_filter_match(&f, "status_update_event"));
	assert_true(sched_events_filter_match(&f, "api_post_event"));
	assert_true(sched_events_filter_match(&f, "deployment_info"));
	assert_false(sched_events_filter_match(&f, "event_stream_attached"));
	assert_false(sched_events_filter_match(&f, "status_update"));
	assert_false(sched_events_filter_match(&f, ""));
	sched_events_filter_release(&f);
	assert_int_equal(f.n, 0);
	assert_true(sched_events_filter_match(&f, "anything"));
}

static void
test_sub_key(void **state)
{
	char *k;

	(void)state;
	k = sched_events_sub_key("http://localhost:9292/callback?a=b c");
	assert_string_equal(k, "subscription/http%3A%2F%2Flocalhost%3A9292%2F"
			       "callback%3Fa%3Db%20c");
	free(k);
	k = sched_events_sub_key("A-z_0.9~\xc3\xa9");
	assert_string_equal(k, "subscription/A-z_0.9~%C3%A9");
	free(k);
}

static void
test_peer_ip(void **state)
{
	char out[64];

	(void)state;
	sched_events_peer_ip("127.0.0.1:5555", out, sizeof out);
	assert_string_equal(out, "127.0.0.1");
	sched_events_peer_ip("::1:80", out, sizeof out);
	assert_string_equal(out, "::1");
	sched_events_peer_ip("noport", out, sizeof out);
	assert_string_equal(out, "noport");
	sched_events_peer_ip("1234567890:1", out, 5);
	assert_string_equal(out, "1234");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_frame),
	    cmocka_unit_test(test_heartbeat),
	    cmocka_unit_test(test_accepts_sse),
	    cmocka_unit_test(test_filter),
	    cmocka_unit_test(test_sub_key),
	    cmocka_unit_test(test_peer_ip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
