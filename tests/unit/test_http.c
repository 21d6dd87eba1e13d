/*
 * test_http.c: lib/httpd and lib/httpc against each other on loopback,
 * within one loop: routing, parameters, JSON bodies, error shapes, limits,
 * late answers, client timeouts, cancel, streaming, basic auth, the agent
 * secret guard with httpc's peer header, the caps on streams and
 * connections, the request deadline, bodies on HEAD and GET, pipelining,
 * the server's own errors as Marathon JSON, and a request over a unix
 * socket to a plain evhttp listener. Raw requests are written to a
 * non-blocking socket and read after the loop ran for a while.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <fcntl.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "lib/blob.h"
#include "lib/httpc.h"
#include "lib/httpd.h"
#include "lib/loop.h"
#include "tests/unit/unit_util.h"

struct result {
	int done;
	int status;
	int err_code;
	char body[4096];
	size_t len;
	bool inside_request; /* done ran from inside httpc_request() */
	bool sent;	     /* resp->sent */
};

struct fixture {
	struct loop *l;
	struct httpd *d;
	struct httpc *c;
	struct loop_timer *later_timer;
	int waiting;   /* results still expected before the loop stops */
	char base[64]; /* "http://127.0.0.1:port" */
	struct httpd_req *later; /* a request the server answers later */
	struct httpd_req *never; /* a request the server never answers */
	int never_closed;
	int stream_step;
	bool in_request;
	/* re-entrancy test */
	struct httpc_req *victim;
	struct result chained;
	/* stream hang-up test */
	struct httpc_req *stream_req;
	int stream_closed;
	int chunks_seen;
	/* requests started from inside curl */
	struct result from_data;
	/* caps, bodies on HEAD and GET */
	int puts;
	int held_closed;
	int hold_rc[4];
	int nhold;
	/* client gone, shared bodies */
	int gone;
	int gone_closed;
	struct blob *shared;
};

static struct fixture *g_fx;

/* Run the loop until f->waiting drops to 0, at most 5 s. */
static void
run(struct fixture *f)
{
	assert_int_equal(ut_run_waiting(f->l, &f->waiting, 5000), 0);
}

static void
done_cb(const struct httpc_resp *resp, void *arg)
{
	struct result *res = arg;
	struct fixture *f = g_fx;

	res->done++;
	res->inside_request = f->in_request;
	res->status = resp->status;
	res->err_code = resp->err != NULL ? resp->err->code : 0;
	res->sent = resp->sent;
	res->len = resp->len;
	snprintf(res->body, sizeof res->body, "%s", resp->body);
	if (--f->waiting == 0)
		loop_stop(f->l);
}

static struct httpc_req *
request(struct fixture *f, const char *method, const char *path,
	const char *body, struct result *res)
{
	struct httpc_opts o = {0};
	struct httpc_req *r;
	char url[256];

	snprintf(url, sizeof url, "%s%s", f->base, path);
	o.method = method;
	o.url = url;
	o.body = body;
	o.body_len = body != NULL ? strlen(body) : 0;
	memset(res, 0, sizeof *res);
	f->waiting++;
	f->in_request = true;
	r = httpc_request(f->c, &o, done_cb, res);
	f->in_request = false;
	return r;
}

/* ---- server handlers ---- */

static void
h_echo(struct httpd_req *r, void *arg)
{
	size_t len;
	const char *body = httpd_req_body(r, &len);
	const char *a = httpd_req_query(r, "a");

	if (httpd_req_method(r) == HTTPD_PUT)
		((struct fixture *)arg)->puts++;
	httpd_reply_json(
	    r, 200,
	    json_pack("{s:s, s:s?, s:s?, s:b, s:b, s:i}", "path",
		      httpd_req_path(r), "rest", httpd_req_param(r, "rest"),
		      "a", a, "flag", httpd_req_query_bool(r, "flag"), "nope",
		      httpd_req_query_bool(r, "nope"), "len", (int)len));
	(void)body;
}

static void
h_apps_post(struct httpd_req *r, void *arg)
{
	size_t len;
	const char *body = httpd_req_body(r, &len);
	json_error_t je;
	json_t *j = body != NULL ? json_loadb(body, len, 0, &je) : NULL;
	const char *ct = httpd_req_header(r, "Content-Type");

	(void)arg;
	if (j == NULL) {
		httpd_reply_error(r, 422, "Invalid JSON",
				  json_pack("[{s:s}]", "path", "/"));
		return;
	}
	json_object_set_new(j, "ct", json_string(ct != NULL ? ct : ""));
	httpd_reply_header(r, "Location", "/v2/apps/x");
	httpd_reply_json(r, 201, j);
}

static void
later_cb(void *arg)
{
	struct fixture *f = arg;

	httpd_reply(f->later, 200, "text/plain", "later", 5);
	f->later = NULL;
}

static void
h_later(struct httpd_req *r, void *arg)
{
	struct fixture *f = arg;

	f->later = r;
	loop_timer_add(f->later_timer, 50);
}

static void
never_closed_cb(struct httpd_req *r, void *arg)
{
	struct fixture *f = arg;

	assert_ptr_equal(r, f->never);
	f->never_closed++;
	/* Answering a closed request is a harmless no-op. */
	httpd_reply(r, 200, "text/plain", "x", 1);
	f->never = NULL;
}

static void
h_never(struct httpd_req *r, void *arg)
{
	struct fixture *f = arg;

	f->never = r;
	httpd_req_on_close(r, never_closed_cb, f);
}

static void
h_cd_err(struct httpd_req *r, void *arg)
{
	struct cd_err err = {0};

	(void)arg;
	cd_err_setp(&err, -EINVAL, "/container/docker/image", "must be set");
	httpd_reply_cd_err(r, 422, "Object is not valid", &err);
}

static void
stream_cb(void *arg)
{
	struct fixture *f = arg;
	char line[32];

	if (f->later == NULL)
		return;
	if (f->stream_step == 3) {
		httpd_stream_end(f->later);
		f->later = NULL;
		return;
	}
	snprintf(line, sizeof line, "data: %d\n\n", f->stream_step++);
	httpd_stream_send(f->later, line, strlen(line));
	assert_true(httpd_stream_pending(f->later) < 1024);
	loop_timer_add(f->later_timer, 10);
}

static void
h_stream(struct httpd_req *r, void *arg)
{
	struct fixture *f = arg;

	f->later = r;
	f->stream_step = 0;
	httpd_stream_start(r, "text/event-stream");
	loop_timer_add(f->later_timer, 10);
}

static void
tick_cb(void *arg)
{
	struct fixture *f = arg;

	if (f->later == NULL)
		return;
	httpd_stream_send(f->later, "tick\n", 5);
	loop_timer_add(f->later_timer, 10);
}

static void
stream2_closed_cb(struct httpd_req *r, void *arg)
{
	struct fixture *f = arg;

	assert_ptr_equal(r, f->later);
	f->stream_closed++;
	/* Later calls are no-ops. */
	httpd_stream_send(r, "x", 1);
	assert_int_equal(httpd_stream_pending(r), 0);
	httpd_stream_end(r);
	f->later = NULL;
}

static void
h_stream2(struct httpd_req *r, void *arg)
{
	struct fixture *f = arg;

	f->later = r;
	httpd_req_on_close(r, stream2_closed_cb, f);
	httpd_stream_start(r, "text/plain");
	loop_timer_add(f->later_timer, 10);
}

static void
held_closed_cb(struct httpd_req *r, void *arg)
{
	struct fixture *f = arg;

	(void)r;
	f->held_closed++;
}

/* A stream held open until its peer goes; the return code recorded. */
static void
h_hold(struct httpd_req *r, void *arg)
{
	struct fixture *f = arg;

	httpd_req_on_close(r, held_closed_cb, f);
	f->hold_rc[f->nhold++ % 4] = httpd_stream_start(r, "text/plain");
	httpd_stream_send(r, "held\n", 5); /* a no-op when refused */
}

static void
gone_closed_cb(struct httpd_req *r, void *arg)
{
	struct fixture *f = arg;

	(void)r;
	f->gone_closed++;
}

/* Answers unless its client has gone; counts what it saw. */
static void
h_gone(struct httpd_req *r, void *arg)
{
	struct fixture *f = arg;

	httpd_req_on_close(r, gone_closed_cb, f);
	if (httpd_req_gone(r)) {
		f->gone++;
		return;
	}
	httpd_req_on_close(r, NULL, NULL);
	httpd_reply(r, 200, "text/plain", "here", 4);
}

/* The same blob for every request. */
static void
h_shared(struct httpd_req *r, void *arg)
{
	struct fixture *f = arg;

	httpd_reply_header(r, "X-Gzip",
			   httpd_req_accepts_gzip(r) ? "yes" : "no");
	httpd_reply_blob(r, 200, "text/plain", f->shared);
}

static const struct httpd_route routes[] = {
    {HTTPD_GET, "/gone", h_gone},
    {HTTPD_GET, "/shared", h_shared},
    {HTTPD_GET, "/hold", h_hold},
    {HTTPD_GET, "/echo/*rest", h_echo},
    {HTTPD_POST, "/v2/apps", h_apps_post},
    {HTTPD_GET | HTTPD_PUT, "/v2/apps", h_echo},
    {HTTPD_GET, "/later", h_later},
    {HTTPD_GET, "/never", h_never},
    {HTTPD_GET, "/stream", h_stream},
    {HTTPD_GET, "/stream2", h_stream2},
    {HTTPD_GET, "/cderr", h_cd_err},
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct cd_err err = {0};

	signal(SIGPIPE, SIG_IGN);
	f->l = loop_new();
	if (httpd_new(f->l, "127.0.0.1", 0, &f->d, &err) != 0) {
		fprintf(stderr, "httpd_new: %s\n", err.msg);
		return -1;
	}
	httpd_add_routes(f->d, routes, CD_NELEM(routes), f);
	f->c = httpc_new(f->l);
	f->later_timer = loop_timer_new(f->l, later_cb, f);
	snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d",
		 httpd_port(f->d));
	g_fx = f;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	httpc_free(f->c);
	httpd_free(f->d);
	loop_timer_free(f->later_timer);
	/* Let deferred frees run. */
	ut_spin(f->l, 1);
	loop_free(f->l);
	free(f);
	g_fx = NULL;
	return 0;
}

static json_t *
parse(const struct result *res)
{
	json_error_t je;
	json_t *j = json_loads(res->body, 0, &je);

	assert_non_null(j);
	return j;
}

static void
test_port_zero(void **state)
{
	struct fixture *f = *state;
	struct httpd *d2 = NULL;
	struct cd_err err = {0};

	assert_true(httpd_port(f->d) > 0);
	/* The same port again is refused with a reason. */
	assert_int_equal(
	    httpd_new(f->l, "127.0.0.1", httpd_port(f->d), &d2, &err),
	    -EADDRINUSE);
	assert_null(d2);
	assert_true(err.msg[0] != '\0');
	/* All addresses. */
	assert_int_equal(httpd_new(f->l, "0.0.0.0", 0, &d2, &err), 0);
	assert_true(httpd_port(d2) > 0);
	httpd_free(d2);
}

static void
test_get_params(void **state)
{
	struct fixture *f = *state;
	struct result res;
	json_t *j;

	request(f, NULL, "/echo/p/my%20db/?a=x+y%21&flag", NULL, &res);
	run(f);
	assert_int_equal(res.status, 200);
	j = parse(&res);
	assert_string_equal(json_string_value(json_object_get(j, "path")),
			    "/echo/p/my db/");
	assert_string_equal(json_string_value(json_object_get(j, "rest")),
			    "p/my db");
	assert_string_equal(json_string_value(json_object_get(j, "a")), "x y!");
	assert_true(json_is_true(json_object_get(j, "flag")));
	assert_true(json_is_false(json_object_get(j, "nope")));
	json_decref(j);
}

static void
test_post_json(void **state)
{
	struct fixture *f = *state;
	struct result res;
	json_t *j;

	request(f, "POST", "/v2/apps", "{\"id\":\"/db\",\"instances\":2}",
		&res);
	run(f);
	assert_int_equal(res.status, 201);
	j = parse(&res);
	assert_string_equal(json_string_value(json_object_get(j, "id")), "/db");
	assert_string_equal(json_string_value(json_object_get(j, "ct")),
			    "application/json");
	json_decref(j);

	request(f, "POST", "/v2/apps", "{nope", &res);
	run(f);
	assert_int_equal(res.status, 422);
	j = parse(&res);
	assert_string_equal(json_string_value(json_object_get(j, "message")),
			    "Invalid JSON");
	assert_int_equal(json_array_size(json_object_get(j, "details")), 1);
	json_decref(j);

	/* PUT with a body reaches the second route for the same path. */
	request(f, "PUT", "/v2/apps", "{}", &res);
	run(f);
	assert_int_equal(res.status, 200);
	j = parse(&res);
	assert_int_equal(json_integer_value(json_object_get(j, "len")), 2);
	json_decref(j);
}

static void
test_errors(void **state)
{
	struct fixture *f = *state;
	struct result res;
	json_t *j, *d;

	request(f, NULL, "/nowhere", NULL, &res);
	run(f);
	assert_int_equal(res.status, 404);
	j = parse(&res);
	assert_string_equal(json_string_value(json_object_get(j, "message")),
			    "Not Found");
	assert_true(json_is_array(json_object_get(j, "details")));
	json_decref(j);

	request(f, "DELETE", "/v2/apps", NULL, &res);
	run(f);
	assert_int_equal(res.status, 405);
	j = parse(&res);
	assert_non_null(json_object_get(j, "message"));
	assert_true(json_is_array(json_object_get(j, "details")));
	json_decref(j);

	request(f, "PATCH", "/echo/x", "{}", &res);
	run(f);
	assert_int_equal(res.status, 405);

	request(f, NULL, "/echo/%00", NULL, &res);
	run(f);
	assert_int_equal(res.status, 400);
	request(f, NULL, "/echo/x?a=%zz", NULL, &res);
	run(f);
	assert_int_equal(res.status, 400);

	request(f, NULL, "/cderr", NULL, &res);
	run(f);
	assert_int_equal(res.status, 422);
	j = parse(&res);
	d = json_array_get(json_object_get(j, "details"), 0);
	assert_string_equal(json_string_value(json_object_get(d, "path")),
			    "/container/docker/image");
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(d, "errors"), 0)),
	    "must be set");
	json_decref(j);

	/* HEAD is answered like GET, without a body. */
	request(f, "HEAD", "/echo/x", NULL, &res);
	run(f);
	assert_int_equal(res.status, 200);
	assert_int_equal(res.len, 0);
}

static void
test_body_limit(void **state)
{
	struct fixture *f = *state;
	struct result res;
	char *big = malloc(4097);

	httpd_set_limits(f->d, 1024, HTTPD_DEFAULT_MAX_HEADERS);
	memset(big, 'x', 4096);
	big[4096] = '\0';
	request(f, "POST", "/v2/apps", big, &res);
	run(f);
	assert_int_equal(res.status, 413);
	/* Under the limit still works. */
	big[1000] = '\0';
	request(f, "POST", "/v2/apps", big, &res);
	run(f);
	assert_int_equal(res.status, 422);
	free(big);
}

static void
test_reply_later(void **state)
{
	struct fixture *f = *state;
	struct result res;

	request(f, NULL, "/later", NULL, &res);
	run(f);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.body, "later");
	assert_null(f->later);
}

static void
test_client_timeout(void **state)
{
	struct fixture *f = *state;
	struct httpc_opts o = {0};
	struct result res = {0};
	char url[128];

	snprintf(url, sizeof url, "%s/never", f->base);
	o.url = url;
	o.timeout_ms = 200;
	f->waiting = 1;
	httpc_request(f->c, &o, done_cb, &res);
	run(f);
	assert_int_equal(res.done, 1);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.err_code, -ETIMEDOUT);
	assert_true(res.sent); /* the server got it and may act on it */
	/* The server notices the client hung up. */
	if (f->never_closed == 0)
		ut_spin(f->l, 500);
	assert_int_equal(f->never_closed, 1);
	assert_null(f->never);
}

static void
cancel_cb(void *arg)
{
	struct httpc_req *r = arg;

	httpc_cancel(r);
	loop_stop(g_fx->l);
}

static void
test_cancel(void **state)
{
	struct fixture *f = *state;
	struct result res;
	struct httpc_req *r;
	struct loop_timer *t;

	/* Cancelled before it ever ran. */
	r = request(f, NULL, "/echo/a", NULL, &res);
	httpc_cancel(r);
	f->waiting = 0;
	ut_spin(f->l, 100);
	assert_int_equal(res.done, 0);

	/* Cancelled while the server holds it. */
	r = request(f, NULL, "/never", NULL, &res);
	f->waiting = 0;
	t = loop_timer_new(f->l, cancel_cb, r);
	loop_timer_add(t, 100);
	loop_run(f->l);
	loop_timer_free(t);
	assert_non_null(f->never);
	if (f->never_closed == 0)
		ut_spin(f->l, 500);
	assert_int_equal(res.done, 0);
	assert_int_equal(f->never_closed, 1);
}

static void
chain_done_cb(const struct httpc_resp *resp, void *arg)
{
	struct fixture *f = arg;

	/* From a done callback: cancel another, start a new one. */
	httpc_cancel(f->victim);
	f->victim = NULL;
	assert_int_equal(resp->status, 200);
	request(f, NULL, "/echo/chained", NULL, &f->chained);
	if (--f->waiting == 0)
		loop_stop(f->l);
}

static void
test_reentrancy(void **state)
{
	struct fixture *f = *state;
	struct httpc_opts o = {0};
	struct result victim;
	char url[128];

	f->victim = request(f, NULL, "/never", NULL, &victim);
	f->waiting--; /* never expected to complete */
	snprintf(url, sizeof url, "%s/later", f->base);
	o.url = url;
	f->waiting++;
	httpc_request(f->c, &o, chain_done_cb, f);
	run(f);
	assert_int_equal(victim.done, 0);
	assert_int_equal(f->chained.done, 1);
	assert_int_equal(f->chained.status, 200);
}

static void
test_start_error_deferred(void **state)
{
	struct fixture *f = *state;
	struct httpc_opts o = {0};
	struct result res = {0}, res2;

	f->waiting = 1;
	f->in_request = true;
	httpc_request(f->c, &o, done_cb, &res); /* no URL */
	f->in_request = false;
	assert_int_equal(res.done, 0);
	run(f);
	assert_int_equal(res.done, 1);
	assert_false(res.inside_request);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.err_code, -EINVAL);

	/* Connection refused: a transport error with curl's text. Use the
	 * port of a server that we close first. */
	{
		struct httpd *d2;
		char base[64];

		assert_int_equal(httpd_new(f->l, "127.0.0.1", 0, &d2, NULL), 0);
		snprintf(base, sizeof base, "http://127.0.0.1:%d/",
			 httpd_port(d2));
		httpd_free(d2);
		o.url = base;
		f->waiting = 1;
		memset(&res2, 0, sizeof res2);
		httpc_request(f->c, &o, done_cb, &res2);
		run(f);
		assert_int_equal(res2.status, 0);
		assert_int_equal(res2.err_code, -ECONNREFUSED);
		assert_false(res2.sent);
	}
}

static void
data_cb(const char *p, size_t n, void *arg)
{
	struct result *res = arg;

	if (res->len + n < sizeof res->body) {
		memcpy(res->body + res->len, p, n);
		res->len += n;
		res->body[res->len] = '\0';
	}
}

static void
stream_done_cb(const struct httpc_resp *resp, void *arg)
{
	struct result *res = arg;

	res->done++;
	res->status = resp->status;
	assert_int_equal(resp->len, 0);
	if (--g_fx->waiting == 0)
		loop_stop(g_fx->l);
}

static void
test_stream(void **state)
{
	struct fixture *f = *state;
	struct httpc_opts o = {0};
	struct result res = {0};
	char url[128];

	loop_timer_free(f->later_timer);
	f->later_timer = loop_timer_new(f->l, stream_cb, f);
	snprintf(url, sizeof url, "%s/stream", f->base);
	o.url = url;
	o.on_data = data_cb;
	f->waiting = 1;
	httpc_request(f->c, &o, stream_done_cb, &res);
	run(f);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.body, "data: 0\n\ndata: 1\n\ndata: 2\n\n");
}

static void
cancel_on_data_cb(const char *p, size_t n, void *arg)
{
	struct fixture *f = arg;

	(void)p;
	(void)n;
	/* Cancel from inside curl's write callback. */
	if (++f->chunks_seen == 2)
		httpc_cancel(f->stream_req);
}

static void
never_done_cb(const struct httpc_resp *resp, void *arg)
{
	(void)resp;
	(void)arg;
	fail_msg("done ran for a cancelled request");
}

static void
test_stream_client_gone(void **state)
{
	struct fixture *f = *state;
	struct httpc_opts o = {0};
	char url[128];

	loop_timer_free(f->later_timer);
	f->later_timer = loop_timer_new(f->l, tick_cb, f);
	snprintf(url, sizeof url, "%s/stream2", f->base);
	o.url = url;
	o.on_data = cancel_on_data_cb;
	o.timeout_ms = -1;
	f->stream_req = httpc_request(f->c, &o, never_done_cb, f);
	f->waiting = 0;
	ut_spin(f->l, 300);
	assert_true(f->chunks_seen >= 2);
	assert_int_equal(f->stream_closed, 1);
	assert_null(f->later);
}

static void
start_on_data_cb(const char *p, size_t n, void *arg)
{
	struct fixture *f = g_fx; /* arg is the done callback's result */
	struct httpc_opts o = {0};
	struct httpc_req *r;
	char url[128];

	(void)p;
	(void)n;
	(void)arg;
	if (++f->chunks_seen != 1)
		return;
	/* Inside curl's write callback: both wait for the sweep; one is
	 * cancelled before it, and must vanish without a callback. */
	request(f, NULL, "/echo/from-data", NULL, &f->from_data);
	snprintf(url, sizeof url, "%s/echo/cancelled", f->base);
	o.url = url;
	r = httpc_request(f->c, &o, never_done_cb, f);
	httpc_cancel(r);
}

static void
test_start_from_on_data(void **state)
{
	struct fixture *f = *state;
	struct httpc_opts o = {0};
	struct result res = {0};
	char url[128];
	json_t *j;

	loop_timer_free(f->later_timer);
	f->later_timer = loop_timer_new(f->l, stream_cb, f);
	snprintf(url, sizeof url, "%s/stream", f->base);
	o.url = url;
	o.on_data = start_on_data_cb;
	o.timeout_ms = -1;
	f->waiting = 1;
	httpc_request(f->c, &o, stream_done_cb, &res);
	run(f); /* until the stream and the request from it are done */
	assert_int_equal(res.status, 200);
	assert_int_equal(f->from_data.done, 1);
	assert_int_equal(f->from_data.status, 200);
	j = parse(&f->from_data);
	assert_string_equal(json_string_value(json_object_get(j, "path")),
			    "/echo/from-data");
	json_decref(j);
	ut_spin(f->l, 50); /* the cancelled one never answers */
}

/* Many requests in flight at once, each answered exactly once. */
static void
test_many_in_flight(void **state)
{
	struct fixture *f = *state;
	enum { N = 300 };
	struct result *res = calloc(N, sizeof *res);
	char path[64];
	int i;

	assert_non_null(res);
	for (i = 0; i < N; i++) {
		snprintf(path, sizeof path, "/echo/%d", i);
		request(f, NULL, path, NULL, &res[i]);
	}
	run(f);
	for (i = 0; i < N; i++) {
		assert_int_equal(res[i].done, 1);
		assert_int_equal(res[i].status, 200);
	}
	free(res);
}

/* A peer of test_many_peers: replies with the client's address. */
static void
h_peer(struct httpd_req *req, void *arg)
{
	(void)arg;
	httpd_reply(req, 200, "text/plain", httpd_req_peer(req),
		    strlen(httpd_req_peer(req)));
}

/*
 * Requests to more peers than httpc has curl multi handles all complete,
 * and each peer's requests, one after the other, share one kept-alive
 * connection: the server sees the same client address every time.
 */
static void
test_many_peers(void **state)
{
	static const struct httpd_route peer_routes[] = {
	    {HTTPD_GET, "/peer", h_peer},
	};
	enum { NPEERS = 80, ROUNDS = 3 };
	struct fixture *f = *state;
	struct httpd *peers[NPEERS];
	struct result *res = calloc(NPEERS * ROUNDS, sizeof *res);
	struct cd_err err = {0};
	struct httpc_opts o = {0};
	char url[64];
	int i, k;

	assert_non_null(res);
	for (i = 0; i < NPEERS; i++) {
		assert_int_equal(
		    httpd_new(f->l, "127.0.0.1", 0, &peers[i], &err), 0);
		httpd_add_routes(peers[i], peer_routes, CD_NELEM(peer_routes),
				 f);
	}
	for (k = 0; k < ROUNDS; k++) {
		for (i = 0; i < NPEERS; i++) {
			snprintf(url, sizeof url, "http://127.0.0.1:%d/peer",
				 httpd_port(peers[i]));
			o.url = url;
			f->waiting++;
			httpc_request(f->c, &o, done_cb, &res[k * NPEERS + i]);
		}
		run(f);
	}
	for (i = 0; i < NPEERS; i++) {
		for (k = 0; k < ROUNDS; k++) {
			assert_int_equal(res[k * NPEERS + i].done, 1);
			assert_int_equal(res[k * NPEERS + i].status, 200);
			assert_string_equal(res[k * NPEERS + i].body,
					    res[i].body);
		}
		if (i > 0) /* different peers, different connections */
			assert_string_not_equal(res[i].body, res[i - 1].body);
	}
	for (i = 0; i < NPEERS; i++)
		httpd_free(peers[i]);
	free(res);
}

static void
test_basic_auth(void **state)
{
	struct fixture *f = *state;
	struct httpc_opts o = {0};
	struct result res;
	char url[128];

	httpd_set_credentials(f->d, "admin:s3cret", NULL);
	request(f, NULL, "/echo/x", NULL, &res);
	run(f);
	assert_int_equal(res.status, 401);
	assert_non_null(strstr(res.body, "\"message\""));

	snprintf(url, sizeof url, "%s/echo/x", f->base);
	o.url = url;
	/* "admin:s3cret" in base64 */
	o.extra_header = "Authorization: Basic YWRtaW46czNjcmV0";
	memset(&res, 0, sizeof res);
	f->waiting = 1;
	httpc_request(f->c, &o, done_cb, &res);
	run(f);
	assert_int_equal(res.status, 200);

	o.extra_header = "Authorization: Basic YWRtaW46czNjcmVU";
	f->waiting = 1;
	httpc_request(f->c, &o, done_cb, &res);
	run(f);
	assert_int_equal(res.status, 401);
	httpd_set_credentials(f->d, NULL, NULL);
}

/* A non-blocking connection to the server, data sent. */
static int
raw_send(struct fixture *f, const char *data, size_t n)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)httpd_port(f->d));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	if (n > 0)
		assert_int_equal(send(fd, data, n, 0), (ssize_t)n);
	return fd;
}

/* What the server wrote by now (NUL-terminated); *eof when it closed. */
static size_t
raw_read(int fd, char *out, size_t cap, bool *eof)
{
	size_t len = 0;
	ssize_t k;

	*eof = false;
	while (len + 1 < cap) {
		k = recv(fd, out + len, cap - 1 - len, MSG_DONTWAIT);
		if (k == 0)
			*eof = true;
		if (k <= 0)
			break;
		len += (size_t)k;
	}
	out[len] = '\0';
	return len;
}

/* Send data on a new connection, let the loop run, return the answer. */
static size_t
raw(struct fixture *f, const char *data, char *out, size_t cap, bool *eof)
{
	int fd = raw_send(f, data, strlen(data));
	size_t n;

	ut_spin(f->l, 200);
	n = raw_read(fd, out, cap, eof);
	close(fd);
	return n;
}

static void
assert_marathon_error(const char *reply, const char *status)
{
	const char *body = strstr(reply, "\r\n\r\n");
	json_error_t je;
	json_t *j;

	if (strncmp(reply, status, strlen(status)) != 0)
		fail_msg("expected %s, got: %.200s", status, reply);
	assert_non_null(strstr(reply, "Content-Type: application/json\r\n"));
	assert_non_null(body);
	j = json_loads(body + 4, 0, &je);
	assert_non_null(j);
	assert_true(json_is_string(json_object_get(j, "message")));
	assert_true(json_is_array(json_object_get(j, "details")));
	json_decref(j);
}

static void
test_guard_and_peer_secret(void **state)
{
	struct fixture *f = *state;
	struct httpc_peer peer = {0};
	const char *const exempt[] = {"/v2/apps", NULL};
	struct result res;

	httpd_set_guard(f->d, "/echo/*rest", "X-Test-Secret", "k3y");
	httpd_set_credentials(f->d, "admin:pw", exempt);
	request(f, NULL, "/echo/x", NULL, &res);
	run(f);
	assert_int_equal(res.status, 401);
	assert_non_null(strstr(res.body, "invalid agent secret"));
	/* The client adds the secret on paths under its prefix only. */
	peer.secret_prefix = "/echo/";
	peer.secret_header = "X-Test-Secret";
	peer.secret = "k3y";
	httpc_set_peer(f->c, &peer);
	request(f, NULL, "/echo/x", NULL, &res);
	run(f);
	assert_int_equal(res.status, 200); /* guarded: no credentials asked */
	request(f, NULL, "/later", NULL, &res);
	run(f);
	assert_int_equal(res.status, 401); /* credentials, not the secret */
	request(f, NULL, "/v2/apps", NULL, &res);
	run(f);
	assert_int_equal(res.status, 200); /* exempt */
	peer.secret = "k3y!";
	httpc_set_peer(f->c, &peer);
	request(f, NULL, "/echo/x", NULL, &res);
	run(f);
	assert_int_equal(res.status, 401);
	httpd_set_guard(f->d, NULL, NULL, NULL);
	httpd_set_credentials(f->d, NULL, NULL);
}

static void
test_stream_cap(void **state)
{
	struct fixture *f = *state;
	struct result first, second, third;
	struct httpc_opts o = {0};
	struct httpc_req *held;
	char url[128];

	httpd_set_caps(f->d, 0, 1);
	snprintf(url, sizeof url, "%s/hold", f->base);
	o.url = url;
	o.on_data = data_cb;
	o.timeout_ms = -1;
	memset(&first, 0, sizeof first);
	f->waiting = 0;
	held = httpc_request(f->c, &o, done_cb, &first);
	ut_spin(f->l, 100);
	assert_int_equal(f->nhold, 1);
	assert_int_equal(f->hold_rc[0], 0);
	/* Over the cap: 503 with Marathon's body; the owner hears of it
	 * through its close callback, from the loop. */
	request(f, NULL, "/hold", NULL, &second);
	run(f);
	assert_int_equal(second.status, 503);
	assert_non_null(strstr(second.body, "\"message\""));
	assert_int_equal(f->hold_rc[1], -EBUSY);
	ut_spin(f->l, 20);
	assert_int_equal(f->held_closed, 1);
	/* The first stream goes: its slot is free again. */
	httpc_cancel(held);
	ut_spin(f->l, 100);
	assert_int_equal(f->held_closed, 2);
	request(f, NULL, "/hold", NULL, &third);
	f->waiting = 0;
	ut_spin(f->l, 100);
	assert_int_equal(f->hold_rc[2], 0);
	httpd_set_caps(f->d, 0, HTTPD_DEFAULT_MAX_STREAMS);
}

static void
test_conn_cap(void **state)
{
	struct fixture *f = *state;
	char out[2048];
	bool eof;
	int idle;

	httpd_set_caps(f->d, 1, 0);
	idle = raw_send(f, NULL, 0);
	ut_spin(f->l, 50);
	raw(f, "GET /echo/x HTTP/1.1\r\nHost: x\r\n\r\n", out, sizeof out,
	    &eof);
	assert_marathon_error(out, "HTTP/1.1 503 ");
	assert_true(eof);
	close(idle);
	ut_spin(f->l, 50);
	raw(f, "GET /echo/x HTTP/1.1\r\nHost: x\r\n\r\n", out, sizeof out,
	    &eof);
	assert_true(strncmp(out, "HTTP/1.1 200 ", 13) == 0);
	httpd_set_caps(f->d, HTTPD_DEFAULT_MAX_CONNS, 0);
}

/* A body on HEAD or GET is dropped, never run as the next request. */
static void
test_body_on_head_and_get(void **state)
{
	struct fixture *f = *state;
	const char *inner = "PUT /v2/apps HTTP/1.1\r\nHost: x\r\n\r\n";
	const char *methods[] = {"HEAD", "GET"};
	char req[512], out[4096];
	size_t i;
	bool eof;

	for (i = 0; i < CD_NELEM(methods); i++) {
		snprintf(req, sizeof req,
			 "%s /v2/apps HTTP/1.1\r\nHost: x\r\n"
			 "Content-Length: %zu\r\n\r\n%s"
			 "GET /echo/after HTTP/1.1\r\nHost: x\r\n\r\n",
			 methods[i], strlen(inner), inner);
		raw(f, req, out, sizeof out, &eof);
		assert_int_equal(f->puts, 0);
		assert_true(strncmp(out, "HTTP/1.1 200 ", 13) == 0);
		/* Two answers: the request, then the one after it. */
		assert_non_null(strstr(out + 13, "HTTP/1.1 200 "));
		assert_non_null(strstr(out, "\"path\":\"/echo/after\""));
		if (i == 0) /* HEAD: headers only */
			assert_true(strncmp(strstr(out, "\r\n\r\n") + 4,
					    "HTTP/1.1 200 ", 13) == 0);
	}
	/* The same PUT as a request of its own does run. */
	raw(f, inner, out, sizeof out, &eof);
	assert_int_equal(f->puts, 1);
}

static void
test_server_errors_json(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *req, *status;
	} cases[] = {
	    {"BREW /x HTTP/1.1\r\n\r\n", "HTTP/1.1 501 "},
	    {"nonsense\r\n\r\n", "HTTP/1.1 400 "},
	    {"GET / HTTP/1.1\nHost: x\n\n", "HTTP/1.1 400 "},
	    {"GET / HTTP/3.0\r\n\r\n", "HTTP/1.1 505 "},
	    {"POST /v2/apps HTTP/1.1\r\nContent-Length: 9999999\r\n\r\n",
	     "HTTP/1.1 413 "},
	    {"POST /v2/apps HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	     "200000\r\n",
	     "HTTP/1.1 413 "},
	    {"TRACE / HTTP/1.1\r\n\r\n", "HTTP/1.1 405 "},
	};
	char out[2048], big[20000];
	size_t i;
	bool eof;

	for (i = 0; i < CD_NELEM(cases); i++) {
		raw(f, cases[i].req, out, sizeof out, &eof);
		assert_marathon_error(out, cases[i].status);
	}
	snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX: %0*d\r\n\r\n",
		 (int)sizeof big - 40, 0);
	raw(f, big, out, sizeof out, &eof);
	assert_marathon_error(out, "HTTP/1.1 431 ");
	assert_true(eof);
}

static void
test_request_deadline(void **state)
{
	struct fixture *f = *state;
	char out[2048];
	bool eof;
	int fd;

	httpd_set_timeouts(f->d, 300, 800);
	/* Part of a head, then nothing: 408 once the deadline passes. */
	fd = raw_send(f, "GET /echo/x HTTP/1.1\r\nHo", 24);
	ut_spin(f->l, 150);
	assert_int_equal(send(fd, "s", 1, 0), 1); /* bytes do not extend it */
	ut_spin(f->l, 500);
	raw_read(fd, out, sizeof out, &eof);
	assert_marathon_error(out, "HTTP/1.1 408 ");
	close(fd);
	/* An idle keep-alive connection is closed after the idle timeout. */
	fd = raw_send(f, "GET /echo/x HTTP/1.1\r\nHost: x\r\n\r\n", 33);
	ut_spin(f->l, 100);
	raw_read(fd, out, sizeof out, &eof);
	assert_true(strncmp(out, "HTTP/1.1 200 ", 13) == 0);
	assert_false(eof);
	ut_spin(f->l, 1500);
	raw_read(fd, out, sizeof out, &eof);
	assert_true(eof);
	close(fd);
	httpd_set_timeouts(f->d, HTTPD_DEFAULT_REQUEST_MS,
			   HTTPD_DEFAULT_IDLE_MS);
}

static void
test_pipelining_and_http10(void **state)
{
	struct fixture *f = *state;
	char out[4096];
	const char *second;
	bool eof;

	raw(f,
	    "GET /echo/one HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /echo/two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    out, sizeof out, &eof);
	second = strstr(out, "/echo/two");
	assert_non_null(strstr(out, "/echo/one"));
	assert_non_null(second);
	assert_true(strstr(out, "/echo/one") < second);
	assert_non_null(strstr(out, "Connection: close\r\n"));
	assert_true(eof);
	raw(f, "GET /echo/ten HTTP/1.0\r\n\r\n", out, sizeof out, &eof);
	assert_true(strncmp(out, "HTTP/1.1 200 ", 13) == 0);
	assert_non_null(strstr(out, "Connection: close\r\n"));
	assert_true(eof);
	raw(f, "GET /echo/ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", out,
	    sizeof out, &eof);
	assert_non_null(strstr(out, "Connection: keep-alive\r\n"));
	assert_false(eof);
}

static void
test_server_free_with_pending(void **state)
{
	struct fixture *f = *state;
	struct result res;

	request(f, NULL, "/never", NULL, &res);
	f->waiting = 0;
	ut_spin(f->l, 100);
	assert_non_null(f->never);
	httpd_free(f->d);
	f->d = NULL;
	assert_int_equal(f->never_closed, 1);
	/* The client sees the connection drop. */
	f->waiting = 1;
	run(f);
	assert_int_equal(res.status, 0);
}

static void
test_client_free_with_pending(void **state)
{
	struct fixture *f = *state;
	struct result res1, res2;

	request(f, NULL, "/never", NULL, &res1);
	request(f, NULL, "/later", NULL, &res2);
	f->waiting = 0;
	ut_spin(f->l, 20);
	httpc_free(f->c);
	f->c = httpc_new(f->l);
	ut_spin(f->l, 200);
	assert_int_equal(res1.done, 0);
	assert_int_equal(res2.done, 0);
	assert_int_equal(f->never_closed, 1);
}

/* ---- unix socket ---- */

static void
unix_gencb(struct evhttp_request *req, void *arg)
{
	struct evbuffer *b = evbuffer_new();

	(void)arg;
	evbuffer_add_printf(b, "{\"uri\":\"%s\"}", evhttp_request_get_uri(req));
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Content-Type", "application/json");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void
test_unix_socket(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_un sun = {0};
	struct evhttp *http;
	struct httpc_opts o = {0};
	struct result res = {0};
	char dir[] = "/tmp/test_http-XXXXXX";
	char path[sizeof sun.sun_path];
	int fd, n;

	assert_non_null(mkdtemp(dir));
	n = snprintf(path, sizeof path, "%s/docker.sock", dir);
	assert_true(n > 0 && (size_t)n < sizeof path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, sizeof path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	assert_int_equal(listen(fd, 16), 0);
	http = evhttp_new(loop_base(f->l));
	evhttp_set_gencb(http, unix_gencb, NULL);
	assert_non_null(evhttp_accept_socket_with_handle(http, fd));

	o.url = "http://localhost/v1.41/containers/json?all=1";
	o.unix_socket = path;
	f->waiting = 1;
	httpc_request(f->c, &o, done_cb, &res);
	run(f);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.body,
			    "{\"uri\":\"/v1.41/containers/json?all=1\"}");

	evhttp_free(http);
	unlink(path);
	rmdir(dir);
}

/* A client that sent its request and hung up is seen gone before its EOF
 * event, by peeking at the socket; one still there is not. */
static void
test_req_gone(void **state)
{
	struct fixture *f = *state;
	const char *req = "GET /gone HTTP/1.1\r\nHost: x\r\n\r\n";
	char out[512];
	bool eof;
	int fd;

	fd = raw_send(f, req, strlen(req));
	close(fd);
	ut_spin(f->l, 100);
	assert_int_equal(f->gone, 1);
	assert_int_equal(f->gone_closed, 1);
	raw(f, "GET /gone HTTP/1.1\r\nHost: x\r\n\r\n", out, sizeof out, &eof);
	assert_int_equal(f->gone, 1);
	assert_int_equal(f->gone_closed, 1);
	assert_non_null(strstr(out, "\r\n\r\nhere"));
}

/* One blob answers many requests, queued by reference: the bytes arrive
 * whole, HEAD gets the length alone, and the references are given back
 * once the sockets took the bytes. */
static void
test_reply_blob(void **state)
{
	struct fixture *f = *state;
	static char out[3][300000];
	static const char *const reqs[3] = {
	    "GET /shared HTTP/1.1\r\nHost: x\r\n\r\n",
	    ("GET /shared HTTP/1.1\r\nHost: x\r\n"
	     "Accept-Encoding: deflate, gzip\r\n\r\n"),
	    "HEAD /shared HTTP/1.1\r\nHost: x\r\n\r\n",
	};
	char big[200000];
	const char *body;
	bool eof;
	int fd[3];
	size_t i, n;

	for (i = 0; i < sizeof big; i++)
		big[i] = (char)('a' + i % 26);
	f->shared = blob_new_copy(big, sizeof big);
	for (i = 0; i < 3; i++)
		fd[i] = raw_send(f, reqs[i], strlen(reqs[i]));
	for (i = 0; i < 3; i++) {
		size_t len = 0;
		int tries;

		/* Read while the loop writes: more than a socket buffer. */
		for (tries = 0; tries < 50; tries++) {
			ut_spin(f->l, 10);
			len += raw_read(fd[i], out[i] + len,
					sizeof out[i] - len, &eof);
		}
		close(fd[i]);
		body = strstr(out[i], "\r\n\r\n");
		assert_non_null(body);
		body += 4;
		n = len - (size_t)(body - out[i]);
		assert_non_null(strstr(out[i], "Content-Length: 200000\r\n"));
		if (i == 2) {
			assert_int_equal(n, 0);
			continue;
		}
		assert_int_equal(n, sizeof big);
		assert_memory_equal(body, big, sizeof big);
	}
	assert_non_null(strstr(out[0], "X-Gzip: no"));
	assert_non_null(strstr(out[1], "X-Gzip: yes"));
	assert_int_equal(blob_refs(f->shared), 1);
	blob_unref(f->shared);
	f->shared = NULL;
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_port_zero),
	    T(test_get_params),
	    T(test_post_json),
	    T(test_errors),
	    T(test_body_limit),
	    T(test_reply_later),
	    T(test_client_timeout),
	    T(test_cancel),
	    T(test_reentrancy),
	    T(test_start_error_deferred),
	    T(test_stream),
	    T(test_stream_client_gone),
	    T(test_start_from_on_data),
	    T(test_many_in_flight),
	    T(test_many_peers),
	    T(test_basic_auth),
	    T(test_guard_and_peer_secret),
	    T(test_stream_cap),
	    T(test_conn_cap),
	    T(test_body_on_head_and_get),
	    T(test_server_errors_json),
	    T(test_request_deadline),
	    T(test_pipelining_and_http10),
	    T(test_server_free_with_pending),
	    T(test_client_free_with_pending),
	    T(test_unix_socket),
	    T(test_req_gone),
	    T(test_reply_blob),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
