/*
 * test_http1.c: lib/http1, the pure HTTP/1.x request parser: finding the
 * end of a head, the request line, headers, the framing they imply, the
 * smuggling-shaped inputs it refuses, and the chunked decoder fed in
 * pieces of every size. No loop, no network.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/http1.h"

/* Parse a whole head; returns the code, r filled (caller releases). */
static int
parse(const char *head, struct http1_req *r)
{
	struct cd_err err = {0};
	size_t pos = 0, len = 0;
	int rc;

	rc = http1_head_scan(head, strlen(head), &pos, &len);
	if (rc != 1) {
		memset(r, 0, sizeof *r);
		return rc == 0 ? -EAGAIN : rc;
	}
	assert_int_equal(len, strlen(head));
	rc = http1_parse(head, len, r, &err);
	if (rc != 0)
		assert_true(err.msg[0] != '\0');
	return rc;
}

static int
parse_rc(const char *head)
{
	struct http1_req r;
	int rc = parse(head, &r);

	http1_req_release(&r);
	return rc;
}

static void
test_simple(void **state)
{
	struct http1_req r;

	(void)state;
	assert_int_equal(parse("GET /v2/apps?embed=apps.tasks HTTP/1.1\r\n"
			       "Host: x:8080\r\nAccept:  application/json  "
			       "\r\nX-Empty:\r\n\r\n",
			       &r),
			 0);
	assert_string_equal(r.method, "GET");
	assert_string_equal(r.target, "/v2/apps?embed=apps.tasks");
	assert_int_equal(r.minor, 1);
	assert_int_equal(r.nh, 3);
	assert_string_equal(http1_req_header(&r, "accept"), "application/json");
	assert_string_equal(http1_req_header(&r, "HOST"), "x:8080");
	assert_string_equal(http1_req_header(&r, "x-empty"), "");
	assert_null(http1_req_header(&r, "Content-Length"));
	assert_true(r.keep_alive);
	assert_false(r.chunked);
	assert_false(r.has_length);
	http1_req_release(&r);
}

static void
test_keep_alive(void **state)
{
	struct http1_req r;

	(void)state;
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &r), 0);
	assert_int_equal(r.minor, 0);
	assert_false(r.keep_alive);
	http1_req_release(&r);
	assert_int_equal(
	    parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &r), 0);
	assert_true(r.keep_alive);
	http1_req_release(&r);
	assert_int_equal(
	    parse("GET / HTTP/1.1\r\nConnection: te, close\r\n\r\n", &r), 0);
	assert_false(r.keep_alive);
	http1_req_release(&r);
	/* A later minor version is served as 1.1. */
	assert_int_equal(parse("GET / HTTP/1.7\r\n\r\n", &r), 0);
	assert_int_equal(r.minor, 1);
	http1_req_release(&r);
}

static void
test_framing(void **state)
{
	struct http1_req r;

	(void)state;
	assert_int_equal(parse("POST /v2/apps HTTP/1.1\r\nContent-Length: 12"
			       "\r\nExpect: 100-continue\r\n\r\n",
			       &r),
			 0);
	assert_true(r.has_length);
	assert_true(r.length == 12);
	assert_true(r.expect_continue);
	http1_req_release(&r);
	assert_int_equal(parse("POST / HTTP/1.1\r\nTransfer-Encoding: "
			       "Chunked\r\n\r\n",
			       &r),
			 0);
	assert_true(r.chunked);
	http1_req_release(&r);
	/* The same length twice is one length. */
	assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
			       "Content-Length: 3\r\n\r\n",
			       &r),
			 0);
	assert_true(r.length == 3);
	http1_req_release(&r);
	/* absolute-form keeps the path. */
	assert_int_equal(
	    parse("GET http://example.com:80/ping?x=1 HTTP/1.1\r\n\r\n", &r),
	    0);
	assert_string_equal(r.target, "/ping?x=1");
	http1_req_release(&r);
}

/* Inputs two parsers could frame differently are refused. */
static void
test_smuggling_refused(void **state)
{
	(void)state;
	assert_int_equal(parse_rc("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
				  "Content-Length: 4\r\n\r\n"),
			 -EINVAL);
	assert_int_equal(parse_rc("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
				  "Transfer-Encoding: chunked\r\n\r\n"),
			 -EINVAL);
	assert_int_equal(
	    parse_rc("POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n"), -EINVAL);
	assert_int_equal(
	    parse_rc("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n"),
	    -EINVAL);
	assert_int_equal(
	    parse_rc("POST / HTTP/1.1\r\nContent-Length : 3\r\n\r\n"), -EINVAL);
	assert_int_equal(parse_rc("POST / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n"),
			 -EINVAL);
	assert_int_equal(parse_rc("POST / HTTP/1.0\r\nTransfer-Encoding: "
				  "chunked\r\n\r\n"),
			 -EINVAL);
	assert_int_equal(parse_rc("POST / HTTP/1.1\r\nTransfer-Encoding: "
				  "chunked, chunked\r\n\r\n"),
			 -EINVAL);
	assert_int_equal(
	    parse_rc("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
	    -ENOTSUP);
	assert_int_equal(
	    parse_rc("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), -EINVAL);
	assert_int_equal(parse_rc("GET / HTTP/1.1\r\nX: a\x01"
				  "b\r\n\r\n"),
			 -EINVAL);
	/* Bare LF and lone CR end nothing. */
	assert_int_equal(parse_rc("GET / HTTP/1.1\nHost: a\n\n"), -EINVAL);
	assert_int_equal(parse_rc("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"),
			 -EINVAL);
}

static void
test_request_line_refused(void **state)
{
	(void)state;
	assert_int_equal(parse_rc("GARBAGE\r\n\r\n"), -EINVAL);
	assert_int_equal(parse_rc("GET  / HTTP/1.1\r\n\r\n"), -EINVAL);
	assert_int_equal(parse_rc("GET / HTTP/1.1 \r\n\r\n"), -EINVAL);
	assert_int_equal(parse_rc("GET /a#b HTTP/1.1\r\n\r\n"), -EINVAL);
	assert_int_equal(parse_rc("GET relative HTTP/1.1\r\n\r\n"), -EINVAL);
	assert_int_equal(parse_rc("GET / HTTP/11\r\n\r\n"), -EINVAL);
	assert_int_equal(parse_rc("GET / HTTP/2.0\r\n\r\n"), -EPROTONOSUPPORT);
	assert_int_equal(parse_rc("G(T / HTTP/1.1\r\n\r\n"), -EINVAL);
	assert_int_equal(http1_status(-EPROTONOSUPPORT), 505);
	assert_int_equal(http1_status(-ENOTSUP), 501);
	assert_int_equal(http1_status(-E2BIG), 431);
	assert_int_equal(http1_status(-EFBIG), 413);
	assert_int_equal(http1_status(-EINVAL), 400);
}

static void
test_limits(void **state)
{
	struct buf b = BUF_INIT;
	int i;

	(void)state;
	assert_int_equal(parse_rc("POST / HTTP/1.1\r\nContent-Length: "
				  "99999999999999999999999\r\n\r\n"),
			 -EFBIG);
	buf_puts(&b, "GET / HTTP/1.1\r\n");
	for (i = 0; i <= HTTP1_MAX_HEADERS; i++)
		buf_printf(&b, "X-%d: v\r\n", i);
	buf_puts(&b, "\r\n");
	assert_int_equal(parse_rc(buf_str(&b)), -E2BIG);
	buf_release(&b);
}

/* The end of a head found across arbitrary splits, resuming the scan. */
static void
test_scan_resume(void **state)
{
	const char *head = "POST /x HTTP/1.1\r\nA: b\r\n\r\nBODY";
	size_t n = strlen(head), cut, pos, len;

	(void)state;
	for (cut = 0; cut <= n; cut++) {
		pos = 0;
		len = 0;
		if (http1_head_scan(head, cut, &pos, &len) == 1) {
			assert_int_equal(len, n - 4);
			continue;
		}
		assert_int_equal(http1_head_scan(head, n, &pos, &len), 1);
		assert_int_equal(len, n - 4);
	}
	assert_int_equal(http1_skip_empty("\r\n\r\nGET", 7), 4);
	assert_int_equal(http1_skip_empty("\r", 1), 0);
}

/* Feed in pieces of size step; returns the final code. */
static int
feed(const char *in, size_t step, unsigned long long max, struct buf *out,
     size_t *consumed)
{
	struct http1_chunked c;
	size_t n = strlen(in), off = 0, used;
	int rc = 0;

	memset(&c, 0, sizeof c);
	while (off < n) {
		size_t k = n - off < step ? n - off : step;

		rc = http1_chunked_feed(&c, in + off, k, max, out, &used);
		off += used;
		if (rc != 0)
			break;
		assert_int_equal(used, k);
	}
	*consumed = off;
	return rc;
}

static void
test_chunked(void **state)
{
	const char *body = "5;ext=1\r\nhello\r\n1a\r\n"
			   "abcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer: x\r\n"
			   "\r\nGET / HTTP/1.1\r\n";
	size_t step, used, end = strlen(body) - strlen("GET / HTTP/1.1\r\n");

	(void)state;
	for (step = 1; step <= strlen(body); step++) {
		struct buf out = BUF_INIT;

		assert_int_equal(feed(body, step, 1024, &out, &used), 1);
		assert_int_equal(used, end);
		assert_string_equal(buf_str(&out),
				    "helloabcdefghijklmnopqrstuvwxyz");
		buf_release(&out);
	}
	/* Discarding still finds the end. */
	assert_int_equal(feed(body, 7, 1024, NULL, &used), 1);
	assert_int_equal(used, end);
}

static void
test_chunked_refused(void **state)
{
	struct buf out = BUF_INIT;
	size_t used;
	char big[400];

	(void)state;
	assert_int_equal(feed("5\r\nhelloXX", 3, 1024, &out, &used), -EINVAL);
	assert_int_equal(feed("\r\n", 1, 1024, &out, &used), -EINVAL);
	assert_int_equal(feed("g\r\n", 1, 1024, &out, &used), -EINVAL);
	assert_int_equal(feed("5\n", 1, 1024, &out, &used), -EINVAL);
	assert_int_equal(feed("400\r\n", 2, 1023, &out, &used), -EFBIG);
	assert_int_equal(
	    feed("ffffffffffffffffffff\r\n", 4, 1 << 20, &out, &used), -EFBIG);
	memset(big, '0', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(feed(big, 50, 1024, &out, &used), -EINVAL);
	/* The sum of chunks counts, not each one. */
	assert_int_equal(feed("200\r\n", 5, 1000, &out, &used), 0);
	buf_release(&out);
	{
		struct buf b = BUF_INIT;
		int i;

		for (i = 0; i < 2; i++) {
			buf_puts(&b, "1f4\r\n");
			buf_append(&b, big, 300);
			buf_append(&b, big, 200);
			buf_puts(&b, "\r\n");
		}
		buf_puts(&b, "0\r\n\r\n");
		assert_int_equal(feed(buf_str(&b), 64, 999, NULL, &used),
				 -EFBIG);
		assert_int_equal(feed(buf_str(&b), 64, 1000, NULL, &used), 1);
		buf_release(&b);
	}
}

static void
test_coding_accepted(void **state)
{
	static const struct {
		const char *v;
		bool ok;
	} cases[] = {
	    {"gzip", true},
	    {"GZIP", true},
	    {"x-gzip", true},
	    {"gzip, deflate, br", true},
	    {"br;q=1.0, gzip;q=0.8, *;q=0.1", true},
	    {"deflate, br", false},
	    {"", false},
	    {"*", true},
	    {"*;q=0", false},
	    {"gzip;q=0", false},
	    {"gzip;q=0.0", false},
	    {"gzip;q=0.000", false},
	    {"gzip; q=0.001", true},
	    {"gzip;q=0, *", false}, /* named wins over "*" */
	    {"identity, *;q=0.5", true},
	    {"gzipped", false},
	    {" , ,gzip ,", true},
	    {"gzip;level=1", true},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (http1_coding_accepted(cases[i].v, "gzip", "x-gzip") !=
		    cases[i].ok)
			fail_msg("\"%s\": expected %d", cases[i].v,
				 cases[i].ok);
}

static void
test_reason(void **state)
{
	(void)state;
	assert_string_equal(http1_reason(404), "Not Found");
	assert_string_equal(http1_reason(299), "OK");
	assert_string_equal(http1_reason(599), "Error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_coding_accepted),
	    cmocka_unit_test(test_reason),
	    cmocka_unit_test(test_simple),
	    cmocka_unit_test(test_keep_alive),
	    cmocka_unit_test(test_framing),
	    cmocka_unit_test(test_smuggling_refused),
	    cmocka_unit_test(test_request_line_refused),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_scan_resume),
	    cmocka_unit_test(test_chunked),
	    cmocka_unit_test(test_chunked_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
