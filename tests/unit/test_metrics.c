/*
 * test_metrics.c: lib/metrics: histogram buckets, quantiles and
 * Dropwizard's figures, the meter's moving averages (the clock passed
 * in), route families, and both renderings of a registry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/metrics.h"

static void
test_hist_buckets_and_stats(void **state)
{
	struct metrics_hist *h = metrics_hist_new(0);
	double min, mean, max, sd;

	(void)state;
	assert_int_equal(metrics_hist_count(h), 0);
	assert_true(metrics_hist_quantile(h, 0.5) == 0);
	metrics_hist_observe(h, 0.0002, 0); /* <= 0.0005 */
	metrics_hist_observe(h, 0.003, 0);  /* <= 0.005 */
	metrics_hist_observe(h, 0.003, 0);
	metrics_hist_observe(h, 42, 0); /* +Inf */
	metrics_hist_observe(h, -1, 0); /* counts as 0 */
	assert_int_equal(metrics_hist_count(h), 5);
	assert_int_equal(metrics_hist_bucket(h, 0), 2);
	assert_int_equal(metrics_hist_bucket(h, 2), 2);
	assert_int_equal(metrics_hist_bucket(h, 3), 4);
	assert_int_equal(metrics_hist_bucket(h, METRICS_NBOUNDS - 1), 4);
	assert_int_equal(metrics_hist_bucket(h, METRICS_NBOUNDS), 5);
	assert_true(fabs(metrics_hist_sum(h) - 42.0062) < 1e-9);
	metrics_hist_stats(h, &min, &mean, &max, &sd);
	assert_true(min == 0);
	assert_true(max == 42);
	assert_true(fabs(mean - 42.0062 / 5) < 1e-9);
	assert_true(sd > 18 && sd < 19);
	/* The median lies in the (0.0025, 0.005] bucket. */
	assert_true(metrics_hist_quantile(h, 0.5) > 0.0025);
	assert_true(metrics_hist_quantile(h, 0.5) <= 0.005);
	/* The top is in +Inf: the largest seen. */
	assert_true(metrics_hist_quantile(h, 1) == 42);
	/* Never below the smallest seen. */
	assert_true(metrics_hist_quantile(h, 0) >= 0);
	metrics_hist_free(h);
}

static void
test_hist_quantile_clamped(void **state)
{
	struct metrics_hist *h = metrics_hist_new(0);
	int i;

	(void)state;
	for (i = 0; i < 100; i++)
		metrics_hist_observe(h, 0.3, 0); /* bucket (0.25, 0.5] */
	/* Interpolation would say up to 0.5; nothing above 0.3 was seen. */
	assert_true(metrics_hist_quantile(h, 0.99) == 0.3);
	assert_true(metrics_hist_quantile(h, 0.01) == 0.3);
	metrics_hist_free(h);
}

static void
test_rates(void **state)
{
	struct metrics_hist *h = metrics_hist_new(1000);
	double mean, m1, m5, m15;
	int i;

	(void)state;
	/* 10 events in the first 5 s: 2 per second at the first tick. */
	for (i = 0; i < 10; i++)
		metrics_hist_observe(h, 0.001, 1000 + (uint64_t)i * 100);
	metrics_hist_rates(h, 6000, &mean, &m1, &m5, &m15);
	assert_true(fabs(m1 - 2.0) < 1e-9);
	assert_true(fabs(m5 - 2.0) < 1e-9);
	assert_true(fabs(m15 - 2.0) < 1e-9);
	assert_true(fabs(mean - 2.0) < 1e-9);
	/* A quiet minute: the 1-minute average decays by e, the others less. */
	metrics_hist_rates(h, 66000, &mean, &m1, &m5, &m15);
	assert_true(fabs(m1 - 2.0 * exp(-1.0)) < 1e-6);
	assert_true(m5 > m1 && m15 > m5 && m15 < 2.0);
	assert_true(fabs(mean - 10.0 / 65.0) < 1e-9);
	metrics_hist_free(h);
}

static void
test_http_family(void **state)
{
	char b[64];

	(void)state;
	assert_string_equal(metrics_http_family("/v2/apps/*id", b, sizeof b),
			    "/v2/apps");
	assert_string_equal(
	    metrics_http_family("/v2/apps/*id/tasks", b, sizeof b), "/v2/apps");
	assert_string_equal(metrics_http_family("/v2/apps", b, sizeof b),
			    "/v2/apps");
	assert_string_equal(metrics_http_family("/master/state", b, sizeof b),
			    "/master/state");
	assert_string_equal(
	    metrics_http_family("/internal/register", b, sizeof b),
	    "/internal/*");
	assert_string_equal(metrics_http_family("/internal/*rest", b, sizeof b),
			    "/internal/*");
	assert_string_equal(metrics_http_family("/ping", b, sizeof b), "/ping");
	assert_string_equal(metrics_http_family("/ui/*path", b, sizeof b),
			    "/ui");
	assert_string_equal(metrics_http_family("/", b, sizeof b), "/");
	assert_string_equal(metrics_http_family(NULL, b, sizeof b), "other");
	assert_string_equal(
	    metrics_http_family("/monitor/statistics.json", b, sizeof b),
	    "/monitor/statistics.json");
	/* Cut to the buffer. */
	assert_string_equal(metrics_http_family("/abcdef/x", b, 4), "/ab");
}

static void
collect(void *arg, struct metrics_out *o)
{
	int *calls = arg;

	(*calls)++;
	metrics_gauge(o, "marathon.apps.active.gauge", NULL, "Apps", 3);
	metrics_gauge(o, "process.memory.resident.gauge.bytes",
		      "process_resident_memory_bytes", "RSS", 4096);
	metrics_gauge_l(o, "clusterd_agents", "Agents by state", "state",
			"active", 2);
	metrics_gauge_l(o, "clusterd_agents", "Agents by state", "state",
			"unreachable", 1);
}

static void
test_registry_prometheus(void **state)
{
	struct metrics *m = metrics_new();
	struct buf b = BUF_INIT;
	const char *t;
	int calls = 0;

	(void)state;
	metrics_count(m, METRICS_OFFERS_DECLINED, 3);
	metrics_count(NULL, METRICS_OFFERS_DECLINED, 3); /* no registry: ok */
	metrics_time(m, METRICS_STORE_COMMIT, 0.002);
	metrics_http(m, "GET", "/v2/apps/*id", 200, 0.004);
	metrics_http(m, "POST", "/v2/apps", 201, 0.02);
	metrics_http(m, "GET", NULL, 404, 0.0001);
	metrics_add_collector(m, collect, &calls);
	metrics_prometheus(m, NULL, NULL, &b);
	t = buf_str(&b);
	assert_int_equal(calls, 1);
	assert_non_null(strstr(t, "# TYPE marathon_apps_active_gauge gauge\n"
				  "marathon_apps_active_gauge 3\n"));
	assert_non_null(strstr(t, "\nprocess_resident_memory_bytes 4096\n"));
	/* One HELP and TYPE for the two samples of a labelled family. */
	assert_non_null(strstr(t,
			       "# TYPE clusterd_agents gauge\n"
			       "clusterd_agents{state=\"active\"} 2\n"
			       "clusterd_agents{state=\"unreachable\"} 1\n"));
	assert_non_null(
	    strstr(t, "# TYPE marathon_mesos_offers_declined_counter counter\n"
		      "marathon_mesos_offers_declined_counter 3\n"));
	assert_non_null(strstr(t, "clusterd_store_commit_duration_seconds_"
				  "bucket{le=\"0.0025\"} 1\n"));
	assert_non_null(strstr(t, "clusterd_store_commit_duration_seconds_"
				  "count 1\n"));
	assert_non_null(strstr(
	    t, "clusterd_http_request_duration_seconds_bucket{family=\"/v2/"
	       "apps\",le=\"0.005\"} 1\n"));
	assert_non_null(strstr(
	    t, "clusterd_http_request_duration_seconds_count{family=\"/v2/"
	       "apps\"} 2\n"));
	assert_non_null(strstr(
	    t, "clusterd_http_request_duration_seconds_count{family=\"other\"} "
	       "1\n"));
	assert_non_null(
	    strstr(t, "# TYPE marathon_http_requests_duration_timer_seconds "
		      "summary\n"));
	assert_non_null(strstr(
	    t, "marathon_http_requests_duration_timer_seconds_count 3\n"));
	assert_non_null(strstr(
	    t, "marathon_http_requests_get_duration_timer_seconds_count 2\n"));
	assert_non_null(
	    strstr(t, "marathon_http_responses_4xx_rate_meter_count 1\n"));
	/* HELP and TYPE appear once per family name. */
	assert_null(strstr(strstr(t, "# TYPE clusterd_http_request_duration_"
				     "seconds histogram") +
			       1,
			   "# TYPE clusterd_http_request_duration_seconds "));
	metrics_remove_collector(m, collect, &calls);
	buf_reset(&b);
	metrics_prometheus(m, NULL, NULL, &b);
	assert_int_equal(calls, 1);
	buf_release(&b);
	metrics_free(m);
}

static void
test_registry_json(void **state)
{
	struct metrics *m = metrics_new();
	json_t *j, *t;
	int calls = 0;

	(void)state;
	metrics_count(m, METRICS_OFFERS_INCOMING, 5);
	metrics_http(m, "GET", "/internal/register", 200, 0.001);
	metrics_add_collector(m, collect, &calls);
	j = metrics_json(m, NULL, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "version")),
			    "4.0.0");
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_object_get(json_object_get(j, "counters"),
				"marathon.mesos.offers.incoming.counter"),
		"count")),
	    5);
	assert_true(json_real_value(json_object_get(
			json_object_get(json_object_get(j, "gauges"),
					"marathon.apps.active.gauge"),
			"value")) == 3);
	assert_non_null(json_object_get(json_object_get(j, "gauges"),
					"clusterd.agents.active.gauge"));
	t = json_object_get(json_object_get(j, "timers"),
			    "clusterd.http.internal.duration.timer.seconds");
	assert_non_null(t);
	assert_int_equal(json_integer_value(json_object_get(t, "count")), 1);
	assert_non_null(json_object_get(t, "p99"));
	assert_non_null(
	    json_object_get(json_object_get(j, "meters"),
			    "marathon.http.responses.2xx.rate.meter"));
	json_decref(j);
	/* No registry: the extra collector alone. */
	j = metrics_json(NULL, collect, &calls);
	assert_int_equal(json_object_size(json_object_get(j, "gauges")), 4);
	assert_int_equal(json_object_size(json_object_get(j, "counters")), 0);
	json_decref(j);
	metrics_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hist_buckets_and_stats),
	    cmocka_unit_test(test_hist_quantile_clamped),
	    cmocka_unit_test(test_rates),
	    cmocka_unit_test(test_http_family),
	    cmocka_unit_test(test_registry_prometheus),
	    cmocka_unit_test(test_registry_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
