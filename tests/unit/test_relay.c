/*
 * test_relay.c: lib/relay and the parts of lib/httpd a standby master
 * stands on (the filter, route tables taken back, the durability barrier),
 * with real servers and a real client on loopback in one loop. An
 * "upstream" httpd plays the leader; a "front" httpd relays to it from its
 * filter, as a standby does.
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

#include <jansson.h>

#include "lib/durable.h"
#include "lib/httpc.h"
#include "lib/httpd.h"
#include "lib/loop.h"
#include "lib/relay.h"
#include "tests/unit/unit_util.h"

struct result {
	int done;
	int status;
	char body[4096];
	size_t len;
	char headers[4096];
	char streamed[256];
	size_t nstreamed;
};

struct fx {
	struct loop *l;
	struct httpd *up, *front;
	struct httpc *c;
	struct relay *rl;
	struct loop_timer *tick;
	int waiting;
	char up_base[64], front_base[64];
	struct httpd_req *stream; /* upstream's event stream */
	int stream_step;
	bool relay_on; /* the front's filter relays */
	int filtered;
	/* the barrier */
	uint64_t pending;
	durable_done_fn *wait_fn;
	void *wait_arg;
	uint64_t wait_seq;
	int forgot;
};

static struct fx *g;

/* Run the loop until f->waiting drops to 0, at most 5 s. */
static void
run(struct fx *f)
{
	assert_int_equal(ut_run_waiting(f->l, &f->waiting, 5000), 0);
}

static void
done_cb(const struct httpc_resp *resp, void *arg)
{
	struct result *res = arg;

	res->done++;
	res->status = resp->status;
	res->len = resp->len;
	snprintf(res->body, sizeof res->body, "%s", resp->body);
	if (resp->headers != NULL)
		snprintf(res->headers, sizeof res->headers, "%.*s",
			 (int)resp->headers_len, resp->headers);
	if (--g->waiting == 0)
		loop_stop(g->l);
}

static void
data_cb(const char *p, size_t n, void *arg)
{
	struct result *res = arg;

	if (res->nstreamed + n < sizeof res->streamed) {
		memcpy(res->streamed + res->nstreamed, p, n);
		res->nstreamed += n;
	}
}

static struct httpc_req *
request(struct fx *f, const char *base, const char *method, const char *path,
	const char *body, const char *accept, struct result *res)
{
	struct httpc_opts o = {0};
	char url[256], hdr[128];

	snprintf(url, sizeof url, "%s%s", base, path);
	o.method = method;
	o.url = url;
	o.body = body;
	o.body_len = body != NULL ? strlen(body) : 0;
	o.keep_headers = true;
	if (accept != NULL) {
		snprintf(hdr, sizeof hdr, "Accept: %s", accept);
		o.extra_header = hdr;
		o.on_data = data_cb;
		o.timeout_ms = -1;
	}
	memset(res, 0, sizeof *res);
	f->waiting++;
	return httpc_request(f->c, &o, done_cb, res);
}

/* ---- the upstream (the leader) ---- */

static void
up_apps(struct httpd_req *r, void *arg)
{
	size_t len = 0;
	const char *body = httpd_req_body(r, &len);
	const char *via = httpd_req_header(r, "Via");

	(void)arg;
	httpd_reply_header(r, "Location", "/v2/apps/x");
	httpd_reply_header(r, "Marathon-Deployment-Id", "d1");
	httpd_reply_json(
	    r, 201,
	    json_pack("{s:s, s:s, s:s, s:i, s:s, s:s?}", "method",
		      httpd_req_method(r) == HTTPD_POST ? "POST" : "other",
		      "target", httpd_req_target(r), "ct",
		      httpd_req_header(r, "Content-Type")
			  ? httpd_req_header(r, "Content-Type")
			  : "",
		      "len", (int)len, "body", body != NULL ? body : "", "via",
		      via));
}

static void
up_tick_cb(void *arg)
{
	struct fx *f = arg;
	char line[32];

	if (f->stream == NULL)
		return;
	if (f->stream_step == 3) {
		httpd_req_on_close(f->stream, NULL, NULL);
		httpd_stream_end(f->stream);
		f->stream = NULL;
		return;
	}
	snprintf(line, sizeof line, "data: %d\n\n", f->stream_step++);
	httpd_stream_send(f->stream, line, strlen(line));
	loop_timer_add(f->tick, 30);
}

static void
up_stream_closed(struct httpd_req *r, void *arg)
{
	struct fx *f = arg;

	(void)r;
	f->stream = NULL;
}

static void
up_events(struct httpd_req *r, void *arg)
{
	struct fx *f = arg;

	f->stream = r;
	f->stream_step = 0;
	httpd_req_on_close(r, up_stream_closed, f);
	httpd_stream_start(r, "text/event-stream");
	loop_timer_add(f->tick, 30);
}

static const struct httpd_route up_routes[] = {
    {HTTPD_GET | HTTPD_POST | HTTPD_PUT, "/v2/apps/*id", up_apps},
    {HTTPD_GET, "/v2/events", up_events},
};

/* ---- the front (a standby) ---- */

static bool
front_filter(struct httpd_req *r, void *arg)
{
	struct fx *f = arg;

	f->filtered++;
	httpd_reply_header(r, "X-Marathon-Leader", "http://leader");
	if (!f->relay_on || strncmp(httpd_req_path(r), "/v2/", 4) != 0)
		return false;
	if (relay_looped(r)) {
		httpd_reply_error(r, 503, "loop", NULL);
		return true;
	}
	relay_forward(f->rl, r, f->up_base, "the leader");
	return true;
}

static void
front_local(struct httpd_req *r, void *arg)
{
	(void)arg;
	httpd_reply(r, 200, "text/plain", "local", 5);
}

static const struct httpd_route front_routes[] = {
    {HTTPD_GET | HTTPD_POST, "/local", front_local},
};

/* A fake durable: pending is f->pending; one wait at a time. */
static uint64_t
fd_pending(void *ctx)
{
	return ((struct fx *)ctx)->pending;
}

static int
fd_wait(void *ctx, uint64_t seq, durable_done_fn *fn, void *arg)
{
	struct fx *f = ctx;

	f->wait_fn = fn;
	f->wait_arg = arg;
	f->wait_seq = seq;
	return 0;
}

static void
fd_forget(void *ctx, void *arg)
{
	struct fx *f = ctx;

	if (f->wait_arg == arg) {
		f->wait_fn = NULL;
		f->wait_arg = NULL;
		f->forgot++;
	}
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct cd_err err = {0};

	g = f;
	f->l = loop_new();
	assert_int_equal(httpd_new(f->l, "127.0.0.1", 0, &f->up, &err), 0);
	assert_int_equal(httpd_new(f->l, "127.0.0.1", 0, &f->front, &err), 0);
	httpd_add_routes(f->up, up_routes, CD_NELEM(up_routes), f);
	httpd_add_routes(f->front, front_routes, CD_NELEM(front_routes), f);
	httpd_set_filter(f->front, front_filter, f);
	f->c = httpc_new(f->l);
	f->rl = relay_new(f->c);
	f->tick = loop_timer_new(f->l, up_tick_cb, f);
	snprintf(f->up_base, sizeof f->up_base, "http://127.0.0.1:%d",
		 httpd_port(f->up));
	snprintf(f->front_base, sizeof f->front_base, "http://127.0.0.1:%d",
		 httpd_port(f->front));
	f->relay_on = true;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	relay_free(f->rl);
	httpc_free(f->c);
	httpd_free(f->front);
	httpd_free(f->up);
	loop_timer_free(f->tick);
	loop_free(f->l);
	free(f);
	return 0;
}

static void
test_relay_write(void **state)
{
	struct fx *f = *state;
	struct result res;
	json_t *j;

	request(f, f->front_base, "POST", "/v2/apps/a?force=true", "{\"x\":1}",
		NULL, &res);
	run(f);
	assert_int_equal(res.status, 201);
	j = json_loads(res.body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "method")),
			    "POST");
	assert_string_equal(json_string_value(json_object_get(j, "target")),
			    "/v2/apps/a?force=true");
	assert_string_equal(json_string_value(json_object_get(j, "body")),
			    "{\"x\":1}");
	assert_string_equal(json_string_value(json_object_get(j, "ct")),
			    "application/json");
	assert_non_null(
	    strstr(json_string_value(json_object_get(j, "via")), "clusterd"));
	json_decref(j);
	/* The leader's own headers come back, ours once. */
	assert_non_null(strstr(res.headers, "Location: /v2/apps/x"));
	assert_non_null(strstr(res.headers, "Marathon-Deployment-Id: d1"));
	assert_non_null(
	    strstr(res.headers, "X-Marathon-Leader: http://leader"));
	assert_null(
	    strstr(strstr(res.headers, "X-Marathon-Leader") + 1, "X-Marathon"));
	assert_int_equal(relay_count(f->rl), 0);
	/* Outside /v2/: routed locally. */
	request(f, f->front_base, "GET", "/local", NULL, NULL, &res);
	run(f);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.body, "local");
}

static void
test_relay_stream(void **state)
{
	struct fx *f = *state;
	struct result res;

	request(f, f->front_base, "GET", "/v2/events", NULL,
		"text/event-stream", &res);
	run(f);
	assert_int_equal(res.status, 200);
	assert_non_null(strstr(res.headers, "text/event-stream"));
	assert_int_equal(res.nstreamed, strlen("data: 0\n\ndata: 1\n\n"
					       "data: 2\n\n"));
	assert_memory_equal(res.streamed, "data: 0\n\ndata: 1\n\ndata: 2\n\n",
			    res.nstreamed);
	assert_int_equal(relay_count(f->rl), 0);
}

static void
test_relay_cut_and_unreachable(void **state)
{
	struct fx *f = *state;
	struct result res;

	/* A stream the relay gives up (the leader changed) ends. */
	request(f, f->front_base, "GET", "/v2/events", NULL,
		"text/event-stream", &res);
	ut_spin(f->l, 50);
	assert_int_equal(relay_count(f->rl), 1);
	loop_timer_del(f->tick);
	relay_cut(f->rl);
	run(f);
	assert_int_equal(res.status, 200);
	assert_int_equal(relay_count(f->rl), 0);
	/* No leader where it was: 503 with Marathon's body. */
	snprintf(f->up_base, sizeof f->up_base, "http://127.0.0.1:1");
	request(f, f->front_base, "GET", "/v2/apps/a", NULL, NULL, &res);
	run(f);
	assert_int_equal(res.status, 503);
	assert_non_null(strstr(res.body, "\"message\""));
	assert_non_null(strstr(res.body, "the leader cannot be reached"));
}

static void
test_relay_loop_refused(void **state)
{
	struct fx *f = *state;
	struct result res;

	/* The front relays to itself: the second hop sees its Via. */
	snprintf(f->up_base, sizeof f->up_base, "%s", f->front_base);
	request(f, f->front_base, "GET", "/v2/apps/a", NULL, NULL, &res);
	run(f);
	assert_int_equal(res.status, 503);
	assert_non_null(strstr(res.body, "loop"));
}

static void
test_routes_removed(void **state)
{
	struct fx *f = *state;
	struct result res;

	f->relay_on = false;
	httpd_remove_routes(f->front, f);
	request(f, f->front_base, "GET", "/local", NULL, NULL, &res);
	run(f);
	assert_int_equal(res.status, 404);
	httpd_add_routes(f->front, front_routes, CD_NELEM(front_routes), f);
	request(f, f->front_base, "GET", "/local", NULL, NULL, &res);
	run(f);
	assert_int_equal(res.status, 200);
}

static void
test_barrier(void **state)
{
	struct fx *f = *state;
	struct durable d = {fd_pending, fd_wait, fd_forget, NULL};
	struct result res;

	d.ctx = f;
	f->relay_on = false;
	httpd_set_durable(f->front, &d);
	/* Nothing pending: straight out, nothing asked. */
	request(f, f->front_base, "GET", "/local", NULL, NULL, &res);
	run(f);
	assert_int_equal(res.status, 200);
	assert_null(f->wait_fn);
	/* Pending: held until durable. */
	f->pending = 7;
	request(f, f->front_base, "POST", "/local", "{}", NULL, &res);
	ut_spin(f->l, 100);
	assert_int_equal(res.done, 0);
	assert_int_equal(httpd_held(f->front), 1);
	assert_int_equal(f->wait_seq, 7);
	f->wait_fn(7, 0, f->wait_arg);
	run(f);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.body, "local");
	assert_int_equal(httpd_held(f->front), 0);
	/* Never durable: a 503 with Marathon's body instead. */
	request(f, f->front_base, "POST", "/local", "{}", NULL, &res);
	ut_spin(f->l, 50);
	f->wait_fn(7, -EIO, f->wait_arg);
	run(f);
	assert_int_equal(res.status, 503);
	assert_non_null(strstr(res.body, "\"details\""));
	/* The barrier removed: what it held is answered 503. */
	request(f, f->front_base, "POST", "/local", "{}", NULL, &res);
	ut_spin(f->l, 50);
	assert_int_equal(httpd_held(f->front), 1);
	httpd_set_durable(f->front, NULL);
	run(f);
	assert_int_equal(res.status, 503);
	assert_int_equal(f->forgot, 1);
}

static void
test_barrier_peer_gone(void **state)
{
	struct fx *f = *state;
	struct durable d = {fd_pending, fd_wait, fd_forget, NULL};
	struct result res;
	struct httpc_req *r;

	d.ctx = f;
	f->relay_on = false;
	httpd_set_durable(f->front, &d);
	f->pending = 3;
	r = request(f, f->front_base, "POST", "/local", "{}", NULL, &res);
	ut_spin(f->l, 100);
	assert_int_equal(httpd_held(f->front), 1);
	httpc_cancel(r);
	f->waiting--;
	ut_spin(f->l, 100);
	/* The wait was forgotten with the connection. */
	assert_int_equal(httpd_held(f->front), 0);
	assert_int_equal(f->forgot, 1);
	assert_null(f->wait_fn);
	httpd_set_durable(f->front, NULL);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_relay_write),
	    T(test_relay_stream),
	    T(test_relay_cut_and_unreachable),
	    T(test_relay_loop_refused),
	    T(test_routes_removed),
	    T(test_barrier),
	    T(test_barrier_peer_gone),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
