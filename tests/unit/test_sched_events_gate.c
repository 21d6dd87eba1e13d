/*
 * test_sched_events_gate.c: the scheduler's events wait for durability
 * (sched_events_set_durable): on a real loop, a real /v2/events stream read
 * by a real client, and a fake durable interface. An event emitted while
 * writes are pending reaches the stream only once they are durable, every
 * later event waits behind it (order kept), and events whose writes never
 * become durable are never sent.
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
#include "lib/store.h"
#include "scheduler/core/sched_events.h"
#include "tests/unit/unit_util.h"

struct fx {
	struct loop *l;
	struct httpd *api;
	struct httpc *c;
	struct store *st;
	struct sched_events *e;
	char seen[8192];
	size_t nseen;
	uint64_t pending;
	durable_done_fn *fn;
	void *warg;
	uint64_t wseq;
};

static void
data_cb(const char *p, size_t n, void *arg)
{
	struct fx *f = arg;

	if (f->nseen + n < sizeof f->seen) {
		memcpy(f->seen + f->nseen, p, n);
		f->nseen += n;
		f->seen[f->nseen] = '\0';
	}
}

static void
done_cb(const struct httpc_resp *r, void *arg)
{
	(void)r;
	(void)arg;
}

static uint64_t
fd_pending(void *ctx)
{
	return ((struct fx *)ctx)->pending;
}

static int
fd_wait(void *ctx, uint64_t seq, durable_done_fn *fn, void *arg)
{
	struct fx *f = ctx;

	f->fn = fn;
	f->warg = arg;
	f->wseq = seq;
	return 0;
}

static void
fd_forget(void *ctx, void *arg)
{
	struct fx *f = ctx;

	if (f->warg == arg)
		f->fn = NULL;
}

static void
emit(struct fx *f, const char *name)
{
	sched_events_emit(f->e, json_pack("{s:s, s:s}", "eventType",
					  "test_event", "name", name));
}

/* Offsets of the events' names in what the stream carried, in order. */
static const char *
order(struct fx *f, char *out, size_t n)
{
	const char *p = f->seen;
	size_t o = 0;

	out[0] = '\0';
	while ((p = strstr(p, "\"name\":\"")) != NULL && o + 2 < n) {
		p += 8;
		out[o++] = *p;
		out[o] = '\0';
	}
	return out;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct cd_err err = {0};
	struct durable d = {fd_pending, fd_wait, fd_forget, NULL};
	struct httpc_opts o = {0};
	char url[128];

	f->l = loop_new();
	assert_int_equal(httpd_new(f->l, "127.0.0.1", 0, &f->api, &err), 0);
	assert_int_equal(store_open(NULL, STORE_IN_MEMORY, &f->st, &err), 0);
	f->c = httpc_new(f->l);
	f->e = sched_events_new(f->l, f->c, f->st, f->api);
	d.ctx = f;
	sched_events_set_durable(f->e, &d);
	snprintf(url, sizeof url,
		 "http://127.0.0.1:%d/v2/events?event_type=test_event",
		 httpd_port(f->api));
	o.url = url;
	o.extra_header = "Accept: text/event-stream";
	o.on_data = data_cb;
	o.timeout_ms = -1;
	httpc_request(f->c, &o, done_cb, f);
	ut_spin(f->l, 100);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sched_events_free(f->e);
	httpc_free(f->c);
	httpd_free(f->api);
	store_close(f->st);
	loop_free(f->l);
	free(f);
	return 0;
}

static void
test_events_wait_for_durability(void **state)
{
	struct fx *f = *state;
	char got[16];

	/* Nothing pending: out at once. */
	emit(f, "a");
	ut_spin(f->l, 50);
	assert_string_equal(order(f, got, sizeof got), "a");
	/* Pending: held, and the next one waits behind it. */
	f->pending = 5;
	emit(f, "b");
	f->pending = 0;
	emit(f, "c");
	ut_spin(f->l, 50);
	assert_string_equal(order(f, got, sizeof got), "a");
	assert_non_null(f->fn);
	assert_int_equal(f->wseq, 5);
	f->fn(5, 0, f->warg);
	ut_spin(f->l, 50);
	assert_string_equal(order(f, got, sizeof got), "abc");
	/* Never durable: never sent; later ones go again. */
	f->pending = 9;
	emit(f, "d");
	ut_spin(f->l, 20);
	f->fn(9, -EIO, f->warg);
	f->pending = 0;
	emit(f, "e");
	ut_spin(f->l, 50);
	assert_string_equal(order(f, got, sizeof got), "abce");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_events_wait_for_durability,
					    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
