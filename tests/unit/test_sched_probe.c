/*
 * test_sched_probe.c: the health-check bookkeeping (grace, consecutive
 * failures, alive, the Health JSON), the wire fields that carry health
 * between scheduler and agent, and real checks on loopback: an HTTP check
 * against lib/httpd (200 passes, 503 fails and kills), a TCP check against
 * a listening socket and a closed port, all on one loop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/httpc.h"
#include "lib/httpd.h"
#include "lib/loop.h"
#include "lib/wire.h"
#include "scheduler/core/sched_probe.h"

/* ---- pure bookkeeping ---- */

static void
test_grace_ignores_early_failures(void **state)
{
	struct sched_probe_result r;

	(void)state;
	memset(&r, 0, sizeof r);
	/* RUNNING at 1000, grace 5 s: failures before 6000 do not count. */
	assert_int_equal(
	    sched_probe_record(&r, false, "refused", 2000, 1000, 5000, 3),
	    SCHED_PROBE_IGNORED);
	assert_false(sched_probe_result_known(&r));
	assert_int_equal(r.consecutive_failures, 0);
	/* After the grace period they do. */
	assert_int_equal(
	    sched_probe_record(&r, false, "refused", 6000, 1000, 5000, 3),
	    SCHED_PROBE_FAILED);
	assert_true(sched_probe_result_known(&r));
	assert_false(sched_probe_result_alive(&r));
	assert_int_equal(r.consecutive_failures, 1);
	assert_string_equal(r.cause, "refused");
}

static void
test_first_success_ends_grace(void **state)
{
	struct sched_probe_result r;

	(void)state;
	memset(&r, 0, sizeof r);
	assert_int_equal(
	    sched_probe_record(&r, true, NULL, 2000, 1000, 60000, 3),
	    SCHED_PROBE_PASSED);
	assert_true(sched_probe_result_alive(&r));
	assert_true(r.first_success_ms == 2000);
	/* Within the grace period, but after a success: counted. */
	assert_int_equal(sched_probe_record(&r, false, "HTTP status 503", 3000,
					    1000, 60000, 3),
			 SCHED_PROBE_FAILED);
	assert_false(sched_probe_result_alive(&r));
	assert_true(r.last_failure_ms == 3000);
	assert_true(r.first_success_ms == 2000);
}

static void
test_consecutive_failures_kill(void **state)
{
	struct sched_probe_result r;

	(void)state;
	memset(&r, 0, sizeof r);
	assert_int_equal(sched_probe_record(&r, false, "a", 10, 0, 0, 3),
			 SCHED_PROBE_FAILED);
	assert_int_equal(sched_probe_record(&r, false, "b", 20, 0, 0, 3),
			 SCHED_PROBE_FAILED);
	/* A success resets the count. */
	assert_int_equal(sched_probe_record(&r, true, NULL, 30, 0, 0, 3),
			 SCHED_PROBE_PASSED);
	assert_int_equal(r.consecutive_failures, 0);
	assert_true(sched_probe_result_alive(&r));
	assert_int_equal(sched_probe_record(&r, false, "c", 40, 0, 0, 3),
			 SCHED_PROBE_FAILED);
	assert_int_equal(sched_probe_record(&r, false, "d", 50, 0, 0, 3),
			 SCHED_PROBE_FAILED);
	assert_int_equal(sched_probe_record(&r, false, "e", 60, 0, 0, 3),
			 SCHED_PROBE_KILL);
	assert_int_equal(r.consecutive_failures, 3);
	assert_string_equal(r.cause, "e");
	assert_true(r.last_success_ms == 30);
	/* maxConsecutiveFailures 0 never kills. */
	memset(&r, 0, sizeof r);
	for (int i = 1; i <= 10; i++)
		assert_int_equal(sched_probe_record(&r, false, "x", i, 0, 0, 0),
				 SCHED_PROBE_FAILED);
	assert_int_equal(r.consecutive_failures, 10);
}

static void
test_result_json(void **state)
{
	struct sched_probe_result r;
	json_t *j;

	(void)state;
	memset(&r, 0, sizeof r);
	(void)sched_probe_record(&r, true, NULL, 1764109268000LL, 0, 0, 3);
	j = sched_probe_result_json(&r, "web.1");
	assert_true(json_is_true(json_object_get(j, "alive")));
	assert_int_equal(
	    json_integer_value(json_object_get(j, "consecutiveFailures")), 0);
	assert_string_equal(
	    json_string_value(json_object_get(j, "firstSuccess")),
	    "2025-11-25T22:21:08.000Z");
	assert_string_equal(
	    json_string_value(json_object_get(j, "lastSuccess")),
	    "2025-11-25T22:21:08.000Z");
	/* Never failed: no lastFailure, no cause (absent, not null). */
	assert_null(json_object_get(j, "lastFailure"));
	assert_null(json_object_get(j, "lastFailureCause"));
	assert_string_equal(json_string_value(json_object_get(j, "taskId")),
			    "web.1");
	assert_string_equal(json_string_value(json_object_get(j, "instanceId")),
			    "web.1");
	json_decref(j);

	(void)sched_probe_record(&r, false, "HTTP status 500", 1764109269000LL,
				 0, 0, 3);
	j = sched_probe_result_json(&r, "web.1");
	assert_true(json_is_false(json_object_get(j, "alive")));
	assert_int_equal(
	    json_integer_value(json_object_get(j, "consecutiveFailures")), 1);
	assert_string_equal(
	    json_string_value(json_object_get(j, "lastFailureCause")),
	    "HTTP status 500");
	assert_non_null(json_object_get(j, "lastFailure"));
	json_decref(j);
}

/* The wire carries the checks to the agent and "healthy" back. */
static void
test_wire_fields(void **state)
{
	struct wire_task t, u;
	struct wire_status s, v;
	struct cd_err err;
	json_t *j;

	(void)state;
	memset(&t, 0, sizeof t);
	t.task_id = strdup("web.1");
	t.framework_id = strdup("fw");
	t.agent_id = strdup("ag");
	t.env = json_object();
	t.labels = json_object();
	t.uris = json_array();
	t.health_checks = json_pack("[{s:s, s:{s:s}}]", "protocol", "COMMAND",
				    "command", "value", "true");
	j = wire_task_encode(&t);
	assert_int_equal(wire_task_decode(j, &u, &err), 0);
	assert_true(json_equal(u.health_checks, t.health_checks));
	wire_task_release(&u);
	json_object_set_new(j, "health_checks", json_object());
	assert_int_not_equal(wire_task_decode(j, &u, &err), 0);
	assert_string_equal(err.path, "/health_checks");
	json_decref(j);
	wire_task_release(&t);

	memset(&s, 0, sizeof s);
	s.uuid = strdup("u1");
	s.task_id = strdup("web.1");
	s.framework_id = strdup("fw");
	s.agent_id = strdup("ag");
	s.state = TASK_RUNNING;
	/* Zeroed: unknown, and not on the wire. */
	j = wire_status_encode(&s);
	assert_null(json_object_get(j, "healthy"));
	assert_int_equal(wire_status_decode(j, &v, &err), 0);
	assert_int_equal(v.healthy, WIRE_HEALTH_UNKNOWN);
	wire_status_release(&v);
	json_decref(j);
	s.healthy = WIRE_HEALTH_FAILED;
	j = wire_status_encode(&s);
	assert_true(json_is_false(json_object_get(j, "healthy")));
	assert_int_equal(wire_status_decode(j, &v, &err), 0);
	assert_int_equal(v.healthy, WIRE_HEALTH_FAILED);
	wire_status_release(&v);
	json_object_set_new(j, "healthy", json_true());
	assert_int_equal(wire_status_decode(j, &v, &err), 0);
	assert_int_equal(v.healthy, WIRE_HEALTH_OK);
	wire_status_release(&v);
	json_object_set_new(j, "healthy", json_string("yes"));
	assert_int_not_equal(wire_status_decode(j, &v, &err), 0);
	json_decref(j);
	wire_status_release(&s);
}

/* ---- real checks on loopback ---- */

struct change {
	char task_id[64];
	bool healthy, kill;
};

struct fx {
	struct loop *l;
	struct httpc *hc;
	struct httpd *d;
	struct sched_probe *h;
	struct loop_timer *watchdog;
	bool timed_out;
	struct change changes[16];
	int nchanges;
	int nfails;
	int stop_after;	    /* stop the loop after this many changes */
	json_t *fail_check; /* ref: the last failed check's definition */
};

static void
fx_stop(void *arg)
{
	struct fx *f = arg;

	f->timed_out = true;
	loop_stop(f->l);
}

static void
fx_change(void *arg, const char *task_id, bool healthy, bool kill,
	  const char *why)
{
	struct fx *f = arg;
	struct change *c = &f->changes[f->nchanges++];

	assert_true(f->nchanges < 16);
	assert_non_null(why);
	snprintf(c->task_id, sizeof c->task_id, "%s", task_id);
	c->healthy = healthy;
	c->kill = kill;
	if (kill) /* as the scheduler does: stop checking at once */
		sched_probe_untrack(f->h, task_id);
	if (f->nchanges >= f->stop_after)
		loop_stop(f->l);
}

static void
fx_fail(void *arg, const char *task_id, const char *app_id, const json_t *check,
	const char *cause)
{
	struct fx *f = arg;

	(void)task_id;
	assert_string_equal(app_id, "/web");
	assert_non_null(cause);
	f->nfails++;
	json_decref(f->fail_check);
	f->fail_check = json_deep_copy(check);
}

static void
route_ok(struct httpd_req *r, void *arg)
{
	(void)arg;
	httpd_reply(r, 200, "text/plain", "ok", 2);
}

static void
route_bad(struct httpd_req *r, void *arg)
{
	(void)arg;
	httpd_reply(r, 503, "text/plain", "down", 4);
}

static const struct httpd_route routes[] = {
    {HTTPD_GET, "/ok", route_ok},
    {HTTPD_GET, "/bad", route_bad},
};

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct cd_err err;

	f->l = loop_new();
	f->hc = httpc_new(f->l);
	if (httpd_new(f->l, "127.0.0.1", 0, &f->d, &err) != 0)
		return -1;
	httpd_add_routes(f->d, routes, 2, f);
	f->h = sched_probe_new(f->l, f->hc, fx_change, f);
	sched_probe_on_failure(f->h, fx_fail);
	f->watchdog = loop_timer_new(f->l, fx_stop, f);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	sched_probe_free(f->h);
	loop_timer_free(f->watchdog);
	httpd_free(f->d);
	httpc_free(f->hc);
	json_decref(f->fail_check);
	loop_free(f->l);
	free(f);
	return 0;
}

/* Run until stop_after changes arrived, at most ms. */
static void
fx_run(struct fx *f, int changes, uint64_t ms)
{
	f->stop_after = changes;
	f->timed_out = false;
	loop_timer_add(f->watchdog, ms);
	loop_run(f->l);
	loop_timer_del(f->watchdog);
	assert_false(f->timed_out);
}

static json_t *
http_check(const char *path, int max_failures)
{
	return json_pack(
	    "[{s:s, s:s, s:i, s:i, s:i, s:i, s:i}]", "protocol", "HTTP", "path",
	    path, "portIndex", 0, "gracePeriodSeconds", 0, "intervalSeconds", 1,
	    "timeoutSeconds", 1, "maxConsecutiveFailures", max_failures);
}

static void
test_http_check_passes(void **state)
{
	struct fx *f = *state;
	uint32_t port = (uint32_t)httpd_port(f->d);
	json_t *hc = http_check("/ok", 3), *res;

	sched_probe_track(f->h, "web.1", "/web", "127.0.0.1", &port, 1, hc,
			  loop_wall_ms());
	assert_true(sched_probe_has_checks(f->h, "web.1"));
	assert_int_equal(sched_probe_state(f->h, "web.1"), -1);
	fx_run(f, 1, 5000);
	assert_string_equal(f->changes[0].task_id, "web.1");
	assert_true(f->changes[0].healthy);
	assert_false(f->changes[0].kill);
	assert_int_equal(sched_probe_state(f->h, "web.1"), 1);
	res = sched_probe_results_json(f->h, "web.1");
	assert_int_equal(json_array_size(res), 1);
	assert_true(
	    json_is_true(json_object_get(json_array_get(res, 0), "alive")));
	json_decref(res);
	sched_probe_untrack(f->h, "web.1");
	assert_int_equal(sched_probe_state(f->h, "web.1"), -1);
	res = sched_probe_results_json(f->h, "web.1");
	assert_int_equal(json_array_size(res), 0);
	json_decref(res);
	json_decref(hc);
}

static void
test_http_check_fails_and_kills(void **state)
{
	struct fx *f = *state;
	uint32_t port = (uint32_t)httpd_port(f->d);
	json_t *hc = http_check("bad", 2); /* a path without its slash */

	sched_probe_track(f->h, "web.2", "/web", "127.0.0.1", &port, 1, hc,
			  loop_wall_ms());
	/* unhealthy after the first failure, kill after the second */
	fx_run(f, 2, 5000);
	assert_false(f->changes[0].healthy);
	assert_false(f->changes[0].kill);
	assert_true(f->changes[1].kill);
	assert_int_equal(f->nfails, 2);
	assert_string_equal(
	    json_string_value(json_object_get(f->fail_check, "protocol")),
	    "HTTP");
	/* untracked from the callback: gone, and no more callbacks */
	assert_int_equal(sched_probe_state(f->h, "web.2"), -1);
	json_decref(hc);
}

static void
test_tcp_check(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	uint32_t ports[2];
	json_t *hc;
	int fd = socket(AF_INET, SOCK_STREAM, 0), closed;

	/* A listener that never accepts: the backlog completes connects. */
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	ports[0] = ntohs(sa.sin_port);
	/* A port nobody listens on: bound, then closed. */
	closed = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_port = 0;
	assert_int_equal(bind(closed, (struct sockaddr *)&sa, sizeof sa), 0);
	len = sizeof sa;
	assert_int_equal(getsockname(closed, (struct sockaddr *)&sa, &len), 0);
	ports[1] = ntohs(sa.sin_port);
	close(closed);

	hc = json_pack("[{s:s, s:i, s:i, s:i, s:i}]", "protocol", "TCP",
		       "portIndex", 0, "gracePeriodSeconds", 0,
		       "intervalSeconds", 1, "maxConsecutiveFailures", 3);
	sched_probe_track(f->h, "web.3", "/web", "localhost", ports, 2, hc,
			  loop_wall_ms());
	json_decref(hc);
	hc = json_pack("[{s:s, s:i, s:i, s:i, s:i}]", "protocol", "MESOS_TCP",
		       "portIndex", 1, "gracePeriodSeconds", 0,
		       "intervalSeconds", 1, "maxConsecutiveFailures", 0);
	sched_probe_track(f->h, "web.4", "/web", "127.0.0.1", ports, 2, hc,
			  loop_wall_ms());
	json_decref(hc);
	fx_run(f, 2, 5000);
	assert_int_equal(sched_probe_state(f->h, "web.3"), 1);
	assert_int_equal(sched_probe_state(f->h, "web.4"), 0);
	assert_true(f->nfails >= 1);
	close(fd);
}

/* COMMAND checks: results come from the agent, nothing runs here. */
static void
test_agent_results(void **state)
{
	struct fx *f = *state;
	json_t *hc =
	    json_pack("[{s:s, s:{s:s}, s:i, s:i}]", "protocol", "COMMAND",
		      "command", "value", "test -f /tmp/ok",
		      "gracePeriodSeconds", 0, "maxConsecutiveFailures", 1);
	json_t *res;

	sched_probe_track(f->h, "web.5", "/web", "h", NULL, 0, hc,
			  loop_wall_ms());
	assert_int_equal(sched_probe_state(f->h, "web.5"), -1);
	f->stop_after = 100;
	sched_probe_from_status(f->h, "web.5", true);
	assert_int_equal(f->nchanges, 1);
	assert_true(f->changes[0].healthy);
	assert_int_equal(sched_probe_state(f->h, "web.5"), 1);
	sched_probe_from_agent(f->h, "web.5", false, "exited with status 1");
	/* the agent kills by itself: a change, but no kill */
	assert_int_equal(f->nchanges, 2);
	assert_false(f->changes[1].healthy);
	assert_false(f->changes[1].kill);
	assert_int_equal(sched_probe_state(f->h, "web.5"), 0);
	res = sched_probe_results_json(f->h, "web.5");
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(res, 0), "lastFailureCause")),
			    "exited with status 1");
	json_decref(res);
	/* unknown task ids are fine */
	sched_probe_from_status(f->h, "nope", true);
	sched_probe_untrack(f->h, "nope");
	/* no checks: healthy */
	sched_probe_track(f->h, "web.6", "/web", "h", NULL, 0, NULL, 0);
	assert_int_equal(sched_probe_state(f->h, "web.6"), 1);
	assert_false(sched_probe_has_checks(f->h, "web.6"));
	json_decref(hc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grace_ignores_early_failures),
	    cmocka_unit_test(test_first_success_ends_grace),
	    cmocka_unit_test(test_consecutive_failures_kill),
	    cmocka_unit_test(test_result_json),
	    cmocka_unit_test(test_wire_fields),
	    cmocka_unit_test_setup_teardown(test_http_check_passes, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_http_check_fails_and_kills,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_tcp_check, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_agent_results, fx_setup,
					    fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
