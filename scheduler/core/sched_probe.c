/*
 * sched_probe.c: Marathon health checks (see sched_probe.h). Owns one
 * struct sh_task per tracked task, indexed by task id (lib/idmap), and per
 * task one struct sh_check per health check with its timer and its check
 * in flight (an httpc request or a connecting bufferevent), plus an evdns
 * base for TCP checks, made on first use.
 *
 * Design:
 * - One check in flight per task and check: the next one starts
 *   intervalSeconds after the previous started, or as soon as it ended if
 *   it took longer. Every check ends by itself: httpc's timeout, or the
 *   check's own timer for TCP (which also covers the name lookup).
 * - HTTP(S): GET http(s)://host:port<path>; 200-399 pass; 100-199 are
 *   discarded with ignoreHttp1xx, failures otherwise, as in Marathon.
 *   TCP: a connect that succeeds passes. COMMAND checks are the agent's:
 *   their results arrive through sched_probe_from_agent().
 * - Callbacks may untrack (or kill) the task they report on: untracking
 *   unlinks the task and cancels its work at once but frees it from a
 *   zero-delay timer (a graveyard list, so sched_probe_free() frees what
 *   is still there), and the code that calls back stops touching a task
 *   once it is marked dead.
 * - HTTPS checks go through httpc, which verifies certificates; Marathon
 *   does not (httpc has no switch for it yet).
 * Loop thread only; the bookkeeping functions at the end are pure.
 */
#include "scheduler/core/sched_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#define LOG_MOD "sched_probe"
#include "lib/health_timing.h"
#include "lib/httpc.h"
#include "lib/idmap.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/xalloc.h"

#define SH_MAGIC 0x5e1a1701u
#define SH_CHECK_MAGIC 0x5e1a1702u

enum sh_proto {
	SH_HTTP,
	SH_HTTPS,
	SH_TCP,
	SH_AGENT, /* COMMAND: run by the agent */
};

struct sh_task;

struct sh_check {
	unsigned magic;
	struct sh_task *t; /* borrowed: owner */
	json_t *def;	   /* ref: the check as the app defines it */
	enum sh_proto proto;
	char *path; /* owned: HTTP path */
	uint32_t port;
	bool ignore1xx;
	struct health_timing tm;
	struct sched_probe_result res;
	struct loop_timer *timer; /* owned: the next check */
	struct loop_timer *tmo;	  /* owned: a TCP check's timeout */
	struct httpc_req *req;	  /* borrowed: HTTP check in flight */
	struct bufferevent *bev;  /* owned: TCP check in flight */
	uint64_t begun_ms;	  /* loop_now_ms of the last start */
};

struct sh_task {
	struct sched_probe *h; /* borrowed: owner */
	char *task_id;	       /* owned */
	char *app_id;	       /* owned */
	char *host;	       /* owned */
	long long started_ms;
	struct sh_check *checks; /* owned array */
	size_t n;
	int state; /* aggregate last told: -1, 0, 1 */
	bool killed;
	bool dead;	      /* untracked; freed on the next loop iteration */
	struct sh_task *next; /* owned: the rest of the graveyard, once dead */
};

struct sched_probe {
	unsigned magic;
	struct loop *l;		   /* borrowed */
	struct httpc *hc;	   /* borrowed: the scheduler's client */
	struct evdns_base *dns;	   /* owned or NULL until a TCP check */
	struct idmap *tasks;	   /* owned: task id -> owned struct sh_task */
	struct sh_task *graveyard; /* owned: untracked, to free */
	struct loop_timer *reaper; /* owned: frees the graveyard */
	sched_probe_fn *on_change; /* the scheduler's callback */
	sched_probe_fail_fn *on_fail; /* the same, or NULL */
	void *arg;		      /* borrowed: for both callbacks */
	uint64_t gen; /* changes of what the API shows (sched_probe_gen) */
};

static void sh_start(struct sh_check *k);

/* ---- checks ---- */

/* Stop whatever the check has in flight or pending. */
static void
sh_check_halt(struct sh_check *k)
{
	if (k->req != NULL)
		httpc_cancel(k->req);
	k->req = NULL;
	if (k->bev != NULL)
		bufferevent_free(k->bev);
	k->bev = NULL;
	loop_timer_del(k->timer);
	loop_timer_del(k->tmo);
}

static void
sh_task_free(struct sh_task *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		struct sh_check *k = &t->checks[i];

		sh_check_halt(k);
		loop_timer_free(k->timer);
		loop_timer_free(k->tmo);
		json_decref(k->def);
		free(k->path);
		k->magic = 0;
	}
	free(t->checks);
	free(t->task_id);
	free(t->app_id);
	free(t->host);
	free(t);
}

/* The task's health over its checks: 1 all alive, 0 any counted and not
 * alive, -1 otherwise. */
static int
sh_aggregate(const struct sh_task *t)
{
	int agg = 1;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct sched_probe_result *r = &t->checks[i].res;

		if (!sched_probe_result_known(r))
			agg = -1;
		else if (!sched_probe_result_alive(r))
			return 0;
	}
	return agg;
}

/*
 * Count a result of k and tell the scheduler what changed. The callbacks
 * may untrack the task: nothing of it is touched once it is dead.
 */
static void
sh_result(struct sh_check *k, bool ok, const char *cause, bool may_kill)
{
	struct sh_task *t = k->t;
	struct sched_probe *h = t->h;
	enum sched_probe_verdict v;
	int agg;

	if (t->killed)
		return;
	v = sched_probe_record(&k->res, ok, cause, loop_wall_ms(),
			       t->started_ms, k->tm.grace_ms,
			       may_kill ? k->tm.max_failures : 0);
	if (v == SCHED_PROBE_IGNORED) {
		log_debug("task=%s check failed in its grace period: %s",
			  t->task_id, cause);
		return;
	}
	h->gen++; /* the result shows: before the callbacks tell of it */
	if (v != SCHED_PROBE_PASSED) {
		log_info("task=%s %s health check failed (%d in a row): %s",
			 t->task_id,
			 json_string_value(json_object_get(k->def, "protocol")),
			 k->res.consecutive_failures, cause);
		if (h->on_fail != NULL)
			h->on_fail(h->arg, t->task_id, t->app_id, k->def,
				   cause);
		if (t->dead)
			return;
	}
	agg = sh_aggregate(t);
	if (v == SCHED_PROBE_KILL) {
		t->killed = true;
		t->state = 0;
		h->on_change(h->arg, t->task_id, false, true, k->res.cause);
		return;
	}
	if (agg >= 0 && agg != t->state) {
		t->state = agg;
		h->on_change(h->arg, t->task_id, agg == 1, false,
			     agg == 1 ? "health checks pass" : k->res.cause);
	}
}

/* Plan the next check: an interval after this one began. */
static void
sh_next(struct sh_check *k)
{
	uint64_t took = loop_now_ms(k->t->h->l) - k->begun_ms;

	loop_timer_del(k->tmo);
	loop_timer_add(k->timer, health_timing_next_ms(&k->tm, took));
}

/* The check ended: plan the next one, then count this one. */
static void
sh_done(struct sh_check *k, bool ok, const char *cause)
{
	sh_next(k);
	sh_result(k, ok, cause, true);
}

static void
sh_http_done(const struct httpc_resp *r, void *arg)
{
	struct sh_check *k = arg;
	char cause[160];

	CD_CHECK_OBJ(k, SH_CHECK_MAGIC);
	k->req = NULL;
	if (r->status >= 200 && r->status < 400) {
		sh_done(k, true, NULL);
		return;
	}
	if (r->status >= 100 && r->status < 200 && k->ignore1xx) {
		sh_next(k); /* discarded: the health stays as it was */
		return;
	}
	if (r->status == 0)
		snprintf(cause, sizeof cause, "%.150s",
			 r->err != NULL ? r->err->msg : "transport error");
	else
		snprintf(cause, sizeof cause, "HTTP status %d", r->status);
	sh_done(k, false, cause);
}

static void
sh_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct sh_check *k = arg;
	char cause[160];
	int e;

	CD_CHECK_OBJ(k, SH_CHECK_MAGIC);
	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		bufferevent_free(k->bev);
		k->bev = NULL;
		sh_done(k, true, NULL);
		return;
	}
	e = bufferevent_socket_get_dns_error(k->bev);
	if (e != 0)
		snprintf(cause, sizeof cause, "cannot resolve %s: %s",
			 k->t->host, evutil_gai_strerror(e));
	else
		snprintf(cause, sizeof cause, "connect to %s:%u: %s",
			 k->t->host, k->port,
			 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	bufferevent_free(k->bev);
	k->bev = NULL;
	sh_done(k, false, cause);
}

static void
sh_tmo_cb(void *arg)
{
	struct sh_check *k = arg;
	char cause[64];

	CD_CHECK_OBJ(k, SH_CHECK_MAGIC);
	if (k->bev == NULL)
		return;
	bufferevent_free(k->bev);
	k->bev = NULL;
	snprintf(cause, sizeof cause, "timed out after %ld ms",
		 k->tm.timeout_ms);
	sh_done(k, false, cause);
}

static struct evdns_base *
sh_dns(struct sched_probe *h)
{
	if (h->dns == NULL) {
		h->dns = evdns_base_new(loop_base(h->l),
					EVDNS_BASE_INITIALIZE_NAMESERVERS |
					    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (h->dns == NULL) {
			/* No usable resolv.conf: /etc/hosts at least. */
			h->dns = evdns_base_new(
			    loop_base(h->l), EVDNS_BASE_DISABLE_WHEN_INACTIVE);
			if (h->dns != NULL)
				(void)evdns_base_load_hosts(h->dns, NULL);
		}
	}
	return h->dns;
}

static void
sh_start_tcp(struct sh_check *k)
{
	struct sched_probe *h = k->t->h;

	/* Deferred callbacks: never called back from inside the connect. */
	k->bev = bufferevent_socket_new(loop_base(h->l), -1,
					BEV_OPT_CLOSE_ON_FREE |
					    BEV_OPT_DEFER_CALLBACKS);
	if (k->bev == NULL) {
		sh_done(k, false, "cannot create a socket");
		return;
	}
	bufferevent_setcb(k->bev, NULL, NULL, sh_tcp_event, k);
	loop_timer_add(k->tmo, (uint64_t)k->tm.timeout_ms);
	if (bufferevent_socket_connect_hostname(
		k->bev, sh_dns(h), AF_UNSPEC, k->t->host, (int)k->port) != 0) {
		bufferevent_free(k->bev);
		k->bev = NULL;
		sh_done(k, false, "cannot start the connection");
	}
}

static void
sh_start_http(struct sh_check *k)
{
	struct httpc_opts o;
	char *url;

	url = xasprintf("%s://%s:%u%s%s",
			k->proto == SH_HTTPS ? "https" : "http", k->t->host,
			k->port, k->path[0] == '/' ? "" : "/", k->path);
	memset(&o, 0, sizeof o);
	o.url = url;
	o.timeout_ms = k->tm.timeout_ms;
	o.connect_timeout_ms = k->tm.timeout_ms;
	/* Marathon does not verify the certificates of the tasks it checks. */
	o.insecure = k->proto == SH_HTTPS;
	k->req = httpc_request(k->t->h->hc, &o, sh_http_done, k);
	free(url);
}

static void
sh_start(struct sh_check *k)
{
	k->begun_ms = loop_now_ms(k->t->h->l);
	if (k->port == 0) {
		sh_done(k, false, "no port to check");
		return;
	}
	if (k->proto == SH_TCP)
		sh_start_tcp(k);
	else
		sh_start_http(k);
}

static void
sh_timer_cb(void *arg)
{
	struct sh_check *k = arg;

	CD_CHECK_OBJ(k, SH_CHECK_MAGIC);
	if (k->t->dead || k->t->killed || k->req != NULL || k->bev != NULL)
		return;
	sh_start(k);
}

static void
sh_check_init(struct sh_check *k, struct sh_task *t, const json_t *hc,
	      const uint32_t *ports, size_t nports)
{
	const char *proto = json_string_value(json_object_get(hc, "protocol"));
	const char *path = json_string_value(json_object_get(hc, "path"));
	const json_t *port = json_object_get(hc, "port");
	const json_t *idx = json_object_get(hc, "portIndex");

	if (proto == NULL)
		proto = "HTTP";
	k->magic = SH_CHECK_MAGIC;
	k->t = t;
	k->def = json_deep_copy(hc);
	if (strcmp(proto, "COMMAND") == 0)
		k->proto = SH_AGENT;
	else if (strstr(proto, "TCP") != NULL)
		k->proto = SH_TCP;
	else if (strstr(proto, "HTTPS") != NULL)
		k->proto = SH_HTTPS;
	else
		k->proto = SH_HTTP;
	k->path = xstrdup(path != NULL ? path : "/");
	k->ignore1xx = json_is_true(json_object_get(hc, "ignoreHttp1xx"));
	if (json_is_integer(port) && json_integer_value(port) > 0)
		k->port = (uint32_t)json_integer_value(port);
	else if (json_is_integer(idx) && json_integer_value(idx) >= 0 &&
		 (size_t)json_integer_value(idx) < nports)
		k->port = ports[json_integer_value(idx)];
	else if (!json_is_integer(idx) && nports > 0)
		k->port = ports[0];
	health_timing_parse(hc, &k->tm);
	k->timer = loop_timer_new(t->h->l, sh_timer_cb, k);
	k->tmo = loop_timer_new(t->h->l, sh_tmo_cb, k);
	if (k->proto != SH_AGENT)
		loop_timer_add(k->timer, 0);
}

static void
sh_reap(void *arg)
{
	struct sched_probe *h = arg;
	struct sh_task *t;

	CD_CHECK_OBJ(h, SH_MAGIC);
	while ((t = h->graveyard) != NULL) {
		h->graveyard = t->next;
		sh_task_free(t);
	}
}

/* ---- the interface ---- */

struct sched_probe *
sched_probe_new(struct loop *l, struct httpc *hc, sched_probe_fn *on_change,
		void *arg)
{
	struct sched_probe *h;

	CD_ALLOC_OBJ(h, SH_MAGIC);
	h->l = l;
	h->hc = hc;
	h->on_change = on_change;
	h->arg = arg;
	h->tasks = idmap_new();
	h->reaper = loop_timer_new(l, sh_reap, h);
	return h;
}

void
sched_probe_on_failure(struct sched_probe *h, sched_probe_fail_fn *fn)
{
	CD_CHECK_OBJ(h, SH_MAGIC);
	h->on_fail = fn;
}

void
sched_probe_free(struct sched_probe *h)
{
	void *t;
	size_t i = 0;

	if (h == NULL)
		return;
	CD_CHECK_OBJ(h, SH_MAGIC);
	while (idmap_next(h->tasks, &i, NULL, &t))
		sh_task_free(t);
	idmap_free(h->tasks);
	sh_reap(h);
	loop_timer_free(h->reaper);
	if (h->dns != NULL)
		evdns_base_free(h->dns, 0);
	CD_FREE_OBJ(h);
}

void
sched_probe_track(struct sched_probe *h, const char *task_id,
		  const char *app_id, const char *host, const uint32_t *ports,
		  size_t nports, const json_t *health_checks,
		  long long started_ms)
{
	struct sh_task *t;
	const json_t *hc;
	size_t i;

	CD_CHECK_OBJ(h, SH_MAGIC);
	if (idmap_get(h->tasks, task_id) != NULL)
		return; /* already tracked: a replayed RUNNING */
	t = xcalloc(1, sizeof *t);
	t->h = h;
	t->task_id = xstrdup(task_id);
	t->app_id = xstrdup(app_id != NULL ? app_id : "");
	t->host = xstrdup(host != NULL ? host : "localhost");
	t->started_ms = started_ms > 0 ? started_ms : loop_wall_ms();
	t->state = -1;
	t->n = json_array_size(health_checks);
	t->checks = xcalloc(t->n + 1, sizeof *t->checks);
	json_array_foreach(health_checks, i, hc)
		sh_check_init(&t->checks[i], t, hc, ports, nports);
	if (t->n == 0)
		t->state = 1;
	AZ(idmap_put(h->tasks, t->task_id, t));
	h->gen++;
}

void
sched_probe_untrack(struct sched_probe *h, const char *task_id)
{
	struct sh_task *t;
	size_t i;

	CD_CHECK_OBJ(h, SH_MAGIC);
	if ((t = idmap_del(h->tasks, task_id)) == NULL)
		return;
	h->gen++;
	t->dead = true;
	for (i = 0; i < t->n; i++)
		sh_check_halt(&t->checks[i]);
	/* It may be on the stack of a callback that untracked it. */
	t->next = h->graveyard;
	h->graveyard = t;
	loop_timer_add(h->reaper, 0);
}

void
sched_probe_from_agent(struct sched_probe *h, const char *task_id, bool healthy,
		       const char *why)
{
	struct sh_task *t;
	size_t i;

	CD_CHECK_OBJ(h, SH_MAGIC);
	if ((t = idmap_get(h->tasks, task_id)) == NULL)
		return;
	for (i = 0; i < t->n && !t->dead; i++)
		if (t->checks[i].proto == SH_AGENT)
			/* The agent counts and kills by itself. */
			sh_result(&t->checks[i], healthy,
				  why != NULL ? why : "command failed", false);
}

void
sched_probe_from_status(struct sched_probe *h, const char *task_id,
			bool healthy)
{
	sched_probe_from_agent(h, task_id, healthy, NULL);
}

uint64_t
sched_probe_gen(const struct sched_probe *h)
{
	CD_CHECK_OBJ(h, SH_MAGIC);
	return h->gen;
}

int
sched_probe_state(const struct sched_probe *h, const char *task_id)
{
	const struct sh_task *t;

	CD_CHECK_OBJ(h, SH_MAGIC);
	if ((t = idmap_get(h->tasks, task_id)) == NULL)
		return -1;
	return sh_aggregate(t);
}

bool
sched_probe_has_checks(const struct sched_probe *h, const char *task_id)
{
	const struct sh_task *t;

	CD_CHECK_OBJ(h, SH_MAGIC);
	t = idmap_get(h->tasks, task_id);
	return t != NULL && t->n > 0;
}

json_t *
sched_probe_results_json(const struct sched_probe *h, const char *task_id)
{
	const struct sh_task *t;
	json_t *a = json_array();
	size_t i;

	CD_CHECK_OBJ(h, SH_MAGIC);
	if ((t = idmap_get(h->tasks, task_id)) == NULL)
		return a;
	for (i = 0; i < t->n; i++)
		if (sched_probe_result_known(&t->checks[i].res))
			json_array_append_new(
			    a, sched_probe_result_json(&t->checks[i].res,
						       t->task_id));
	return a;
}

/* ---- pure bookkeeping ---- */

enum sched_probe_verdict
sched_probe_record(struct sched_probe_result *r, bool ok, const char *cause,
		   long long now_ms, long long started_ms, long long grace_ms,
		   int max_failures)
{
	if (ok) {
		if (r->first_success_ms == 0)
			r->first_success_ms = now_ms;
		r->last_success_ms = now_ms;
		r->consecutive_failures = 0;
		return SCHED_PROBE_PASSED;
	}
	if (r->first_success_ms == 0 && now_ms - started_ms < grace_ms)
		return SCHED_PROBE_IGNORED;
	r->consecutive_failures++;
	r->last_failure_ms = now_ms;
	snprintf(r->cause, sizeof r->cause, "%s",
		 cause != NULL ? cause : "failed");
	if (max_failures > 0 && r->consecutive_failures >= max_failures)
		return SCHED_PROBE_KILL;
	return SCHED_PROBE_FAILED;
}

bool
sched_probe_result_known(const struct sched_probe_result *r)
{
	return r->last_success_ms != 0 || r->last_failure_ms != 0;
}

bool
sched_probe_result_alive(const struct sched_probe_result *r)
{
	/* The last counted result passed. */
	return r->last_success_ms != 0 && r->consecutive_failures == 0;
}

static void
sh_json_time(json_t *j, const char *key, long long ms)
{
	char iso[32];

	if (ms == 0)
		return;
	json_time_iso(ms, iso);
	json_object_set_new(j, key, json_string(iso));
}

json_t *
sched_probe_result_json(const struct sched_probe_result *r, const char *task_id)
{
	json_t *j = json_object();

	json_object_set_new(j, "alive",
			    json_boolean(sched_probe_result_alive(r)));
	json_object_set_new(j, "consecutiveFailures",
			    json_integer(r->consecutive_failures));
	sh_json_time(j, "firstSuccess", r->first_success_ms);
	sh_json_time(j, "lastSuccess", r->last_success_ms);
	sh_json_time(j, "lastFailure", r->last_failure_ms);
	if (r->cause[0] != '\0')
		json_object_set_new(j, "lastFailureCause",
				    json_string(r->cause));
	json_object_set_new(j, "taskId", json_string(task_id));
	json_object_set_new(j, "instanceId", json_string(task_id));
	return j;
}
