/*
 * metrics.c: histograms, the registry and its two renderings (see
 * metrics.h). Owns the registry's instruments, its route families (a
 * sorted array: a few dozen at most, bounded by the route tables since
 * they are named by pattern, never by the path asked) and the list of
 * collectors.
 *
 * Design: a histogram keeps non-cumulative bucket counts, the sum and the
 * sum of squares (for Dropwizard's mean and standard deviation) and a
 * meter. The meter ticks lazily: whenever it is touched, the 5-second
 * ticks that passed are applied at once (the first with the events
 * counted since the last tick, the rest with none, which is a power of
 * the decay factor), so no timer runs. Quantiles for Marathon's summaries
 * come from the buckets, as Prometheus' histogram_quantile() computes
 * them, instead of a reservoir.
 */
#include "metrics.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "xalloc.h"

#define METRICS_TICK_MS 5000
#define METRICS_NMETHODS 4
#define METRICS_NCLASSES 5

const double metrics_bounds[METRICS_NBOUNDS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1,    0.25,  0.5,	   1,	  2.5,	5,     10};

struct metrics_rate {
	uint64_t count;
	uint64_t uncounted; /* since the last tick */
	uint64_t start_ms;
	uint64_t tick_ms; /* of the last tick */
	double m1, m5, m15;
	bool init; /* the first tick has happened */
};

struct metrics_hist {
	uint64_t count;
	double sum, sumsq, min, max;
	uint64_t b[METRICS_NBOUNDS + 1]; /* not cumulative; last: +Inf */
	struct metrics_rate r;
};

struct metrics_fam {
	char *name;		/* owned: "/v2/apps" */
	struct metrics_hist *h; /* owned */
};

struct metrics_col {
	metrics_collect_fn *fn;
	void *arg; /* borrowed: the collector's */
};

struct metrics {
	uint64_t counters[METRICS_NCOUNTERS];
	struct metrics_hist *timers[METRICS_NTIMERS];	    /* owned */
	struct metrics_hist *http;			    /* owned */
	struct metrics_hist *http_method[METRICS_NMETHODS]; /* owned */
	struct metrics_hist *http_class[METRICS_NCLASSES];  /* owned */
	struct metrics_fam *fams; /* owned array, sorted by name */
	size_t nfams, capfams;
	struct metrics_col *cols; /* owned array */
	size_t ncols, capcols;
};

/* What a rendering writes to: Prometheus text or the JSON objects. */
struct metrics_out {
	struct buf *b;	 /* borrowed or NULL: Prometheus text */
	json_t *gauges;	 /* borrowed or NULL: JSON "gauges" */
	char family[96]; /* the family whose HELP and TYPE were written last */
};

/* Dropwizard name, help. Marathon's own names (docs/METRICS.md). */
static const char *const metrics_counter_names[METRICS_NCOUNTERS][2] = {
    {"marathon.mesos.offers.incoming.counter",
     "Offers the master made to the framework"},
    {"marathon.mesos.offers.used.counter",
     "Offers the framework accepted with a launch"},
    {"marathon.mesos.offers.declined.counter", "Offers the framework declined"},
    {"marathon.tasks.launched.counter", "Tasks launched"},
};

/* Prometheus family, Dropwizard name, help. clusterd's own. */
static const char *const metrics_timer_names[METRICS_NTIMERS][3] = {
    {"clusterd_allocation_duration_seconds",
     "clusterd.allocation.duration.timer.seconds",
     "Time of one run of the master's allocator"},
    {"clusterd_store_commit_duration_seconds",
     "clusterd.store.commit.duration.timer.seconds",
     "Time of one store commit (an LMDB write transaction, with its fsync "
     "unless --store_sync=group)"},
};

static const char *const metrics_methods[METRICS_NMETHODS] = {"get", "post",
							      "put", "delete"};

#define HTTP_FAMILY "clusterd_http_request_duration_seconds"
#define HTTP_TIMER "marathon.http.requests.duration.timer.seconds"

/* ---- histograms ---- */

/* The averages' windows, in minutes. */
static const double metrics_minutes[3] = {1, 5, 15};

struct metrics_hist *
metrics_hist_new(uint64_t now_ms)
{
	struct metrics_hist *h = xcalloc(1, sizeof *h);

	h->r.start_ms = h->r.tick_ms = now_ms;
	return h;
}

void
metrics_hist_free(struct metrics_hist *h)
{
	free(h);
}

static void
metrics_rate_tick(struct metrics_rate *r, uint64_t now_ms)
{
	double inst, *ew[3] = {&r->m1, &r->m5, &r->m15};
	uint64_t ticks;
	int i;

	if (now_ms < r->tick_ms + METRICS_TICK_MS)
		return;
	ticks = (now_ms - r->tick_ms) / METRICS_TICK_MS;
	r->tick_ms += ticks * METRICS_TICK_MS;
	inst = (double)r->uncounted / (METRICS_TICK_MS / 1000.0);
	r->uncounted = 0;
	for (i = 0; i < 3; i++) {
		double alpha = 1.0 - exp(-(METRICS_TICK_MS / 1000.0) /
					 (60.0 * metrics_minutes[i]));

		if (r->init)
			*ew[i] += alpha * (inst - *ew[i]);
		else
			*ew[i] = inst;
		/* The ticks without events: a decay each. */
		*ew[i] *= pow(1.0 - alpha, (double)(ticks - 1));
	}
	r->init = true;
}

void
metrics_hist_observe(struct metrics_hist *h, double v, uint64_t now_ms)
{
	size_t i;

	if (!(v > 0))
		v = 0; /* negative, or NaN */
	for (i = 0; i < METRICS_NBOUNDS && v > metrics_bounds[i]; i++)
		;
	h->b[i]++;
	if (h->count == 0 || v < h->min)
		h->min = v;
	if (h->count == 0 || v > h->max)
		h->max = v;
	h->count++;
	h->sum += v;
	h->sumsq += v * v;
	metrics_rate_tick(&h->r, now_ms);
	h->r.count++;
	h->r.uncounted++;
}

uint64_t
metrics_hist_count(const struct metrics_hist *h)
{
	return h->count;
}

double
metrics_hist_sum(const struct metrics_hist *h)
{
	return h->sum;
}

uint64_t
metrics_hist_bucket(const struct metrics_hist *h, size_t i)
{
	uint64_t n = 0;
	size_t k;

	for (k = 0; k <= i && k <= METRICS_NBOUNDS; k++)
		n += h->b[k];
	return n;
}

double
metrics_hist_quantile(const struct metrics_hist *h, double q)
{
	double rank, lo, hi, v;
	uint64_t below = 0;
	size_t i;

	if (h->count == 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	rank = q * (double)h->count;
	for (i = 0; i < METRICS_NBOUNDS; i++) {
		if ((double)(below + h->b[i]) >= rank && h->b[i] > 0)
			break;
		below += h->b[i];
	}
	if (i == METRICS_NBOUNDS)
		return h->max; /* in the +Inf bucket: the largest seen */
	lo = i == 0 ? 0 : metrics_bounds[i - 1];
	hi = metrics_bounds[i];
	v = lo + (hi - lo) * (rank - (double)below) / (double)h->b[i];
	return v < h->min ? h->min : v > h->max ? h->max : v;
}

void
metrics_hist_stats(const struct metrics_hist *h, double *min, double *mean,
		   double *max, double *stddev)
{
	double n = (double)h->count, m, var;

	*min = *mean = *max = *stddev = 0;
	if (h->count == 0)
		return;
	m = h->sum / n;
	var = h->count > 1 ? (h->sumsq - n * m * m) / (n - 1) : 0;
	*min = h->min;
	*max = h->max;
	*mean = m;
	*stddev = var > 0 ? sqrt(var) : 0;
}

void
metrics_hist_rates(struct metrics_hist *h, uint64_t now_ms, double *mean,
		   double *m1, double *m5, double *m15)
{
	double secs;

	metrics_rate_tick(&h->r, now_ms);
	secs = now_ms > h->r.start_ms ? (now_ms - h->r.start_ms) / 1000.0 : 0;
	*mean = secs > 0 ? (double)h->r.count / secs : 0;
	*m1 = h->r.m1;
	*m5 = h->r.m5;
	*m15 = h->r.m15;
}

/* ---- the registry ---- */

static uint64_t
metrics_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct metrics *
metrics_new(void)
{
	struct metrics *m = xcalloc(1, sizeof *m);
	uint64_t now = metrics_now_ms();
	size_t i;

	for (i = 0; i < METRICS_NTIMERS; i++)
		m->timers[i] = metrics_hist_new(now);
	for (i = 0; i < METRICS_NMETHODS; i++)
		m->http_method[i] = metrics_hist_new(now);
	for (i = 0; i < METRICS_NCLASSES; i++)
		m->http_class[i] = metrics_hist_new(now);
	m->http = metrics_hist_new(now);
	return m;
}

void
metrics_free(struct metrics *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < METRICS_NTIMERS; i++)
		metrics_hist_free(m->timers[i]);
	for (i = 0; i < METRICS_NMETHODS; i++)
		metrics_hist_free(m->http_method[i]);
	for (i = 0; i < METRICS_NCLASSES; i++)
		metrics_hist_free(m->http_class[i]);
	metrics_hist_free(m->http);
	for (i = 0; i < m->nfams; i++) {
		free(m->fams[i].name);
		metrics_hist_free(m->fams[i].h);
	}
	free(m->fams);
	free(m->cols);
	free(m);
}

void
metrics_count(struct metrics *m, enum metrics_counter c, uint64_t n)
{
	if (m != NULL && c < METRICS_NCOUNTERS)
		m->counters[c] += n;
}

void
metrics_time(struct metrics *m, enum metrics_timer t, double secs)
{
	if (m != NULL && t < METRICS_NTIMERS)
		metrics_hist_observe(m->timers[t], secs, metrics_now_ms());
}

void
metrics_store_commit(void *m, double secs)
{
	metrics_time(m, METRICS_STORE_COMMIT, secs);
}

const char *
metrics_http_family(const char *pattern, char *out, size_t n)
{
	const char *end, *seg, *next;
	size_t len;
	int segs;

	if (pattern == NULL || pattern[0] != '/')
		return "other";
	if (strncmp(pattern, "/internal/", 10) == 0 ||
	    strcmp(pattern, "/internal") == 0)
		return "/internal/*";
	/* Up to two literal segments: /v2/apps/{*id}/tasks -> /v2/apps. */
	for (end = pattern, segs = 0; segs < 2 && *end == '/'; segs++) {
		seg = end + 1;
		if (*seg == ':' || *seg == '*' || *seg == '\0')
			break;
		next = strchr(seg, '/');
		end = next != NULL ? next : seg + strlen(seg);
	}
	len = (size_t)(end - pattern);
	if (len == 0)
		return "/";
	if (len >= n)
		len = n - 1;
	memcpy(out, pattern, len);
	out[len] = '\0';
	return out;
}

static struct metrics_hist *
metrics_family_get(struct metrics *m, const char *name, uint64_t now)
{
	size_t lo = 0, hi = m->nfams, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(m->fams[mid].name, name);
		if (c == 0)
			return m->fams[mid].h;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	XGROW(m->fams, m->nfams + 1, m->capfams);
	memmove(&m->fams[lo + 1], &m->fams[lo],
		(m->nfams - lo) * sizeof *m->fams);
	m->fams[lo].name = xstrdup(name);
	m->fams[lo].h = metrics_hist_new(now);
	m->nfams++;
	return m->fams[lo].h;
}

void
metrics_http(void *arg, const char *method, const char *pattern, int status,
	     double secs)
{
	struct metrics *m = arg;
	uint64_t now = metrics_now_ms();
	char buf[96];
	size_t i;

	if (m == NULL)
		return;
	metrics_hist_observe(
	    metrics_family_get(m, metrics_http_family(pattern, buf, sizeof buf),
			       now),
	    secs, now);
	metrics_hist_observe(m->http, secs, now);
	for (i = 0; method != NULL && i < METRICS_NMETHODS; i++)
		if (strcasecmp(method, metrics_methods[i]) == 0 ||
		    (i == 0 && strcmp(method, "HEAD") == 0))
			metrics_hist_observe(m->http_method[i], secs, now);
	if (status >= 100 && status < 600)
		metrics_hist_observe(m->http_class[status / 100 - 1], 0, now);
}

void
metrics_add_collector(struct metrics *m, metrics_collect_fn *fn, void *arg)
{
	if (m == NULL)
		return;
	XGROW(m->cols, m->ncols + 1, m->capcols);
	m->cols[m->ncols].fn = fn;
	m->cols[m->ncols++].arg = arg;
}

void
metrics_remove_collector(struct metrics *m, metrics_collect_fn *fn, void *arg)
{
	size_t i;

	for (i = 0; m != NULL && i < m->ncols; i++) {
		if (m->cols[i].fn != fn || m->cols[i].arg != arg)
			continue;
		memmove(&m->cols[i], &m->cols[i + 1],
			(m->ncols - i - 1) * sizeof *m->cols);
		m->ncols--;
		return;
	}
}

/* ---- rendering ---- */

/* Marathon's Prometheus name of a Dropwizard name. */
static void
metrics_prom_name(const char *name, char *out, size_t n)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < n; i++) {
		char ch = name[i];

		out[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
				 (ch >= '0' && ch <= '9') || ch == '_'
			     ? ch
			     : '_';
	}
	out[i] = '\0';
}

static void
metrics_num(struct buf *b, double v)
{
	if (isnan(v))
		v = 0;
	if (isinf(v))
		buf_puts(b, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		buf_printf(b, "%.0f", v);
	else
		buf_printf(b, "%.9g", v);
}

/* HELP and TYPE once per family. */
static void
metrics_head(struct metrics_out *o, const char *name, const char *help,
	     const char *type)
{
	if (strcmp(o->family, name) == 0)
		return;
	snprintf(o->family, sizeof o->family, "%s", name);
	buf_printf(o->b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
		   type);
}

/* One sample line: name{label="value"} v */
static void
metrics_sample(struct buf *b, const char *name, const char *suffix,
	       const char *label, const char *value, double v)
{
	buf_printf(b, "%s%s", name, suffix);
	if (label != NULL)
		buf_printf(b, "{%s=\"%s\"}", label, value);
	buf_puts(b, " ");
	metrics_num(b, v);
	buf_puts(b, "\n");
}

void
metrics_gauge(struct metrics_out *o, const char *name, const char *prom,
	      const char *help, double v)
{
	char pn[128];

	if (o->gauges != NULL) {
		json_object_set_new(
		    o->gauges, name,
		    json_pack("{s:f}", "value", isnan(v) ? 0 : v));
		return;
	}
	metrics_prom_name(prom != NULL ? prom : name, pn, sizeof pn);
	metrics_head(o, pn, help, "gauge");
	metrics_sample(o->b, pn, "", NULL, NULL, v);
}

void
metrics_gauge_l(struct metrics_out *o, const char *family, const char *help,
		const char *label, const char *value, double v)
{
	char *jn, *p;

	if (o->gauges != NULL) {
		jn = xasprintf("%s.%s.gauge", family, value);
		for (p = jn; *p != '\0'; p++)
			*p = *p == '_' ? '.' : (char)tolower((unsigned char)*p);
		json_object_set_new(o->gauges, jn,
				    json_pack("{s:f}", "value", v));
		free(jn);
		return;
	}
	metrics_head(o, family, help, "gauge");
	metrics_sample(o->b, family, "", label, value, v);
}

/* A clusterd histogram series (Prometheus' histogram type). */
static void
metrics_prom_hist(struct metrics_out *o, const char *family, const char *help,
		  const char *label, const char *value,
		  const struct metrics_hist *h)
{
	char le[32], lab[160];
	size_t i;

	metrics_head(o, family, help, "histogram");
	for (i = 0; i <= METRICS_NBOUNDS; i++) {
		if (i < METRICS_NBOUNDS)
			snprintf(le, sizeof le, "%g", metrics_bounds[i]);
		else
			snprintf(le, sizeof le, "+Inf");
		if (label != NULL)
			snprintf(lab, sizeof lab, "%s=\"%s\",le=\"%s\"", label,
				 value, le);
		else
			snprintf(lab, sizeof lab, "le=\"%s\"", le);
		buf_printf(o->b, "%s_bucket{%s} %llu\n", family, lab,
			   (unsigned long long)metrics_hist_bucket(h, i));
	}
	metrics_sample(o->b, family, "_sum", label, value, h->sum);
	metrics_sample(o->b, family, "_count", label, value, (double)h->count);
}

static void
metrics_prom_rates(struct metrics_out *o, const char *pn, const char *help,
		   struct metrics_hist *h, uint64_t now)
{
	static const char *const sfx[4] = {"_mean_rate", "_m1_rate", "_m5_rate",
					   "_m15_rate"};
	double r[4];
	char name[160];
	size_t i;

	metrics_hist_rates(h, now, &r[0], &r[1], &r[2], &r[3]);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "%s%s", pn, sfx[i]);
		metrics_head(o, name, help, "gauge");
		metrics_sample(o->b, name, "", NULL, NULL, r[i]);
	}
}

/* Marathon's rendering of a Dropwizard timer: a summary, then gauges. */
static void
metrics_prom_timer(struct metrics_out *o, const char *dw, const char *help,
		   struct metrics_hist *h, uint64_t now)
{
	static const double qs[] = {0.5, 0.75, 0.95, 0.98, 0.99, 0.999};
	static const char *const sfx[4] = {"_min", "_mean", "_max", "_stddev"};
	char pn[128], name[160], q[16];
	double st[4];
	size_t i;

	metrics_prom_name(dw, pn, sizeof pn);
	metrics_head(o, pn, help, "summary");
	for (i = 0; i < CD_NELEM(qs); i++) {
		snprintf(q, sizeof q, "%g", qs[i]);
		metrics_sample(o->b, pn, "", "quantile", q,
			       metrics_hist_quantile(h, qs[i]));
	}
	metrics_sample(o->b, pn, "_count", NULL, NULL, (double)h->count);
	metrics_hist_stats(h, &st[0], &st[1], &st[2], &st[3]);
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "%s%s", pn, sfx[i]);
		metrics_head(o, name, help, "gauge");
		metrics_sample(o->b, name, "", NULL, NULL, st[i]);
	}
	metrics_prom_rates(o, pn, help, h, now);
}

/* Marathon's rendering of a Dropwizard meter: _count, then rates. */
static void
metrics_prom_meter(struct metrics_out *o, const char *dw, const char *help,
		   struct metrics_hist *h, uint64_t now)
{
	char pn[128], name[160];

	metrics_prom_name(dw, pn, sizeof pn);
	snprintf(name, sizeof name, "%s_count", pn);
	metrics_head(o, name, help, "gauge");
	metrics_sample(o->b, name, "", NULL, NULL, (double)h->count);
	metrics_prom_rates(o, pn, help, h, now);
}

static void
metrics_collect(struct metrics *m, metrics_collect_fn *extra, void *extra_arg,
		struct metrics_out *o)
{
	size_t i;

	for (i = 0; m != NULL && i < m->ncols; i++)
		m->cols[i].fn(m->cols[i].arg, o);
	if (extra != NULL)
		extra(extra_arg, o);
}

static void
metrics_method_name(char *out, size_t n, size_t i)
{
	snprintf(out, n, "marathon.http.requests.%s.duration.timer.seconds",
		 metrics_methods[i]);
}

static void
metrics_class_name(char *out, size_t n, size_t i)
{
	snprintf(out, n, "marathon.http.responses.%zuxx.rate.meter", i + 1);
}

void
metrics_prometheus(struct metrics *m, metrics_collect_fn *extra,
		   void *extra_arg, struct buf *out)
{
	struct metrics_out o;
	uint64_t now = metrics_now_ms();
	char name[128];
	size_t i;

	memset(&o, 0, sizeof o);
	o.b = out;
	metrics_collect(m, extra, extra_arg, &o);
	if (m == NULL)
		return;
	for (i = 0; i < METRICS_NCOUNTERS; i++) {
		metrics_prom_name(metrics_counter_names[i][0], name,
				  sizeof name);
		metrics_head(&o, name, metrics_counter_names[i][1], "counter");
		metrics_sample(out, name, "", NULL, NULL,
			       (double)m->counters[i]);
	}
	for (i = 0; i < METRICS_NTIMERS; i++)
		metrics_prom_hist(&o, metrics_timer_names[i][0],
				  metrics_timer_names[i][2], NULL, NULL,
				  m->timers[i]);
	for (i = 0; i < m->nfams; i++)
		metrics_prom_hist(&o, HTTP_FAMILY,
				  "Time to answer an HTTP request, by route "
				  "family",
				  "family", m->fams[i].name, m->fams[i].h);
	metrics_prom_timer(&o, HTTP_TIMER, "Time to answer an HTTP request",
			   m->http, now);
	for (i = 0; i < METRICS_NMETHODS; i++) {
		metrics_method_name(name, sizeof name, i);
		metrics_prom_timer(&o, name,
				   "Time to answer an HTTP request of this "
				   "method",
				   m->http_method[i], now);
	}
	for (i = 0; i < METRICS_NCLASSES; i++) {
		metrics_class_name(name, sizeof name, i);
		metrics_prom_meter(&o, name, "HTTP responses of this class",
				   m->http_class[i], now);
	}
}

static json_t *
metrics_json_timer(struct metrics_hist *h, uint64_t now)
{
	double st[4], r[4];

	metrics_hist_stats(h, &st[0], &st[1], &st[2], &st[3]);
	metrics_hist_rates(h, now, &r[0], &r[1], &r[2], &r[3]);
	return json_pack(
	    "{s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f,"
	    " s:f, s:f, s:s, s:s}",
	    "count", (json_int_t)h->count, "max", st[2], "mean", st[1], "min",
	    st[0], "p50", metrics_hist_quantile(h, 0.5), "p75",
	    metrics_hist_quantile(h, 0.75), "p95",
	    metrics_hist_quantile(h, 0.95), "p98",
	    metrics_hist_quantile(h, 0.98), "p99",
	    metrics_hist_quantile(h, 0.99), "p999",
	    metrics_hist_quantile(h, 0.999), "stddev", st[3], "m15_rate", r[3],
	    "m1_rate", r[1], "m5_rate", r[2], "mean_rate", r[0],
	    "duration_units", "seconds", "rate_units", "calls/second");
}

static json_t *
metrics_json_meter(struct metrics_hist *h, uint64_t now)
{
	double r[4];

	metrics_hist_rates(h, now, &r[0], &r[1], &r[2], &r[3]);
	return json_pack("{s:I, s:f, s:f, s:f, s:f, s:s}", "count",
			 (json_int_t)h->count, "m15_rate", r[3], "m1_rate",
			 r[1], "m5_rate", r[2], "mean_rate", r[0], "units",
			 "events/second");
}

json_t *
metrics_json(struct metrics *m, metrics_collect_fn *extra, void *extra_arg)
{
	json_t *counters = json_object(), *gauges = json_object(),
	       *meters = json_object(), *timers = json_object();
	struct metrics_out o;
	uint64_t now = metrics_now_ms();
	char name[160], *p;
	size_t i;

	memset(&o, 0, sizeof o);
	o.gauges = gauges;
	metrics_collect(m, extra, extra_arg, &o);
	for (i = 0; m != NULL && i < METRICS_NCOUNTERS; i++)
		json_object_set_new(
		    counters, metrics_counter_names[i][0],
		    json_pack("{s:I}", "count", (json_int_t)m->counters[i]));
	for (i = 0; m != NULL && i < METRICS_NTIMERS; i++)
		json_object_set_new(timers, metrics_timer_names[i][1],
				    metrics_json_timer(m->timers[i], now));
	for (i = 0; m != NULL && i < m->nfams; i++) {
		/* "/v2/apps" -> clusterd.http.v2.apps.duration.timer.seconds */
		snprintf(name, sizeof name,
			 "clusterd.http.%s.duration.timer.seconds",
			 m->fams[i].name[0] == '/' ? m->fams[i].name + 1
						   : m->fams[i].name);
		for (p = name; *p != '\0'; p++)
			if (*p == '/')
				*p = '.';
		if ((p = strstr(name, ".*")) != NULL)
			memmove(p, p + 2, strlen(p + 2) + 1);
		json_object_set_new(timers, name,
				    metrics_json_timer(m->fams[i].h, now));
	}
	if (m != NULL) {
		json_object_set_new(timers, HTTP_TIMER,
				    metrics_json_timer(m->http, now));
		for (i = 0; i < METRICS_NMETHODS; i++) {
			metrics_method_name(name, sizeof name, i);
			json_object_set_new(
			    timers, name,
			    metrics_json_timer(m->http_method[i], now));
		}
		for (i = 0; i < METRICS_NCLASSES; i++) {
			metrics_class_name(name, sizeof name, i);
			json_object_set_new(
			    meters, name,
			    metrics_json_meter(m->http_class[i], now));
		}
	}
	return json_pack("{s:s, s:o, s:o, s:{}, s:o, s:o}", "version", "4.0.0",
			 "counters", counters, "gauges", gauges, "histograms",
			 "meters", meters, "timers", timers);
}
