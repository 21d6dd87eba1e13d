/*
 * metrics.h: the process's metrics, the instruments every module records
 * into and the two renderings that read them: Prometheus' text format
 * 0.0.4 (/metrics/prometheus) and Dropwizard's JSON (Marathon's /metrics).
 *
 * Instruments:
 *  - histograms of durations (struct metrics_hist): fixed buckets for
 *    Prometheus, plus what Dropwizard's timers show (count, min, max,
 *    mean, standard deviation, quantiles estimated from the buckets, and
 *    the exponentially weighted 1, 5 and 15 minute rates of a meter);
 *  - the registry (struct metrics): the counters and timers named in
 *    enum metrics_counter and enum metrics_timer, the HTTP requests by
 *    route family (metrics_http(), httpd's observer hook), and gauges that
 *    collectors compute when a scrape asks (agents by state, apps, ...).
 *
 * Names: where Marathon 1.7+ had a metric, it keeps Marathon's Dropwizard
 * name ("marathon.mesos.offers.declined.counter") and Marathon's
 * Prometheus rendering of it (every character outside [a-zA-Z0-9_] made
 * '_'; a timer as a summary with quantiles and _count, plus _min, _mean,
 * _max, _stddev and rate gauges), so that existing dashboards keep
 * working. Those names break Prometheus' naming conventions (the type in
 * the name, counters without _total) and `promtool check metrics` says
 * so; clusterd's own metrics are named "clusterd_*" by the conventions
 * and lint clean. docs/METRICS.md lists both.
 *
 * No I/O. The registry reads the monotonic clock for rates; the
 * histogram functions take the time as an argument (unit tests). Loop
 * thread only.
 */
#ifndef CLUSTERD_LIB_METRICS_H
#define CLUSTERD_LIB_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"

struct metrics;
struct metrics_hist;
struct metrics_out;

/* ---- histograms ---- */

/* Bucket upper bounds in seconds (the last bucket is +Inf). */
#define METRICS_NBOUNDS 14
extern const double metrics_bounds[METRICS_NBOUNDS];

/* A new histogram whose rates start at now_ms. Free with metrics_hist_free. */
struct metrics_hist *metrics_hist_new(uint64_t now_ms);
void metrics_hist_free(struct metrics_hist *h);
/* One observation of v seconds (negative counts as 0) at now_ms. */
void metrics_hist_observe(struct metrics_hist *h, double v, uint64_t now_ms);
uint64_t metrics_hist_count(const struct metrics_hist *h);
double metrics_hist_sum(const struct metrics_hist *h);
/* Observations <= metrics_bounds[i] (i == METRICS_NBOUNDS: all). */
uint64_t metrics_hist_bucket(const struct metrics_hist *h, size_t i);
/*
 * The q-quantile (0 <= q <= 1) estimated from the buckets by linear
 * interpolation inside the bucket that holds it, clamped to the observed
 * minimum and maximum; 0 when empty.
 */
double metrics_hist_quantile(const struct metrics_hist *h, double q);
/* Dropwizard's figures of the observations so far; 0 when empty. */
void metrics_hist_stats(const struct metrics_hist *h, double *min, double *mean,
			double *max, double *stddev);
/*
 * Events per second: the mean since creation and the exponentially
 * weighted moving averages over 1, 5 and 15 minutes (Dropwizard's meter:
 * a tick every 5 seconds), brought up to now_ms.
 */
void metrics_hist_rates(struct metrics_hist *h, uint64_t now_ms, double *mean,
			double *m1, double *m5, double *m15);

/* ---- the registry ---- */

enum metrics_counter {
	METRICS_OFFERS_INCOMING, /* offers the master made to frameworks */
	METRICS_OFFERS_USED,	 /* offers accepted with a launch */
	METRICS_OFFERS_DECLINED, /* offers declined */
	METRICS_TASKS_LAUNCHED,	 /* tasks in accepted launches */
	METRICS_NCOUNTERS
};

enum metrics_timer {
	METRICS_ALLOCATION,   /* one run of the allocator */
	METRICS_STORE_COMMIT, /* one LMDB write transaction's commit */
	METRICS_NTIMERS
};

/* Free with metrics_free(). */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
/* m may be NULL in both (a module run without a registry: tests). */
void metrics_count(struct metrics *m, enum metrics_counter c, uint64_t n);
void metrics_time(struct metrics *m, enum metrics_timer t, double secs);
/*
 * An HTTP request answered (the signature of httpd_observe_fn; arg is the
 * registry): method ("GET"), the route pattern that served it (NULL when
 * none matched: 404, 401, ...), the status, and the seconds from the
 * request read whole to its answer (a stream's: to its start). Counted
 * by route family: one for the agent protocol's paths under /internal/
 * (labelled "/internal/" and an asterisk), else the pattern's literal
 * segments up to two ("/v2/apps", "/master/state"), "other" for no
 * route.
 */
void metrics_http(void *m, const char *method, const char *pattern, int status,
		  double secs);
/* A store commit took secs (the signature of store_timing_fn). */
void metrics_store_commit(void *m, double secs);
/* The route family of a pattern (a static string, or p's prefix in out). */
const char *metrics_http_family(const char *pattern, char *out, size_t n);

/*
 * Gauges computed at scrape time. A collector calls metrics_gauge() or
 * metrics_gauge_l() for each value; consecutive calls with one family name
 * form one Prometheus family.
 */
typedef void metrics_collect_fn(void *arg, struct metrics_out *o);
/* Register (fn, arg) until removed; the registry borrows arg. */
void metrics_add_collector(struct metrics *m, metrics_collect_fn *fn,
			   void *arg);
void metrics_remove_collector(struct metrics *m, metrics_collect_fn *fn,
			      void *arg);
/*
 * A gauge by its Dropwizard name ("marathon.apps.active.gauge"), shown in
 * Prometheus as prom, or (prom NULL) under Marathon's rendering of name.
 */
void metrics_gauge(struct metrics_out *o, const char *name, const char *prom,
		   const char *help, double v);
/*
 * A labelled gauge of a clusterd family ("clusterd_agents", label "state",
 * value "active"). In the JSON, "clusterd.agents.active.gauge".
 */
void metrics_gauge_l(struct metrics_out *o, const char *family,
		     const char *help, const char *label, const char *value,
		     double v);

/*
 * Render everything: the registry's instruments and collectors (m may be
 * NULL), then extra(extra_arg) when not NULL.
 */
void metrics_prometheus(struct metrics *m, metrics_collect_fn *extra,
			void *extra_arg, struct buf *out);
/* Dropwizard's JSON {version, counters, gauges, histograms, meters,
 * timers}; a new reference. */
json_t *metrics_json(struct metrics *m, metrics_collect_fn *extra,
		     void *extra_arg);

#endif
