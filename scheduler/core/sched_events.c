/*
 * sched_events.c: Marathon's event bus. Owns the /v2/events server-sent
 * event streams with each stream's heartbeat timer, and the callback
 * subscribers' object (sched_events_sub.c, which keeps their queues and
 * POSTs); serves /v2/events and /v2/eventSubscriptions.
 *
 * Design decisions:
 * - An event is serialised once: the same SSE frame goes to every stream
 *   whose event_type filter admits it, and the same JSON body to every
 *   callback subscriber.
 * - Nothing buffers without bound. After every write, a stream with more
 *   than SCHED_EVENTS_MAX_PENDING bytes not yet written to its socket is
 *   ended and forgotten (one warning); callback queues are bounded too.
 * - Like Marathon, event_stream_attached and event_stream_detached go
 *   through the bus; a new stream is linked before its attached event is
 *   published, so that event is its first frame (unless filtered out).
 * - Subscriptions are committed to the store before the reply.
 * - Streams that die while an emission walks the list (closed by the
 *   peer, or dropped as slow) are only marked, and swept after the walk.
 * - With a durable interface (--registry=zk), an event emitted while the
 *   store's writes are not all durable waits, serialised, until they are
 *   (or is dropped if they never will be), and every later event waits
 *   behind it: SPEC 5's promise (an event only once the API shows what it
 *   reports) then also means "once a failover cannot take it back".
 * Loop thread only.
 */
#include "scheduler/core/sched_events.h"

#include <sys/queue.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG_MOD "events"
#include "lib/buf.h"
#include "lib/durable.h"
#include "lib/httpd.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/xalloc.h"
#include "scheduler/core/sched_events_sub.h"

#define EVENTS_MAGIC 0x45764275u
#define EVENTS_STREAM_MAGIC 0x45765374u
#define EVENTS_MAX_URL 2048
#define EVENTS_ADDR_LEN 80

/* One /v2/events client. */
struct ev_stream {
	unsigned magic;
	struct sched_events *e; /* borrowed: the owner */
	struct httpd_req *req;	/* borrowed: NULL once closed or ended */
	char remote[EVENTS_ADDR_LEN];
	struct sched_events_filter filter;
	struct loop_timer *heartbeat; /* owned */
	bool dead;		/* closed or dropped: swept after the walk */
	struct ev_stream *next; /* owned: the rest of the list */
};

/* An event waiting until the state it reports is durable. */
struct ev_held {
	char *type;	 /* owned */
	struct buf body; /* owned: the event's JSON */
	uint64_t seq;	 /* the store's sequence when it was emitted */
	TAILQ_ENTRY(ev_held) link;
};

struct sched_events {
	unsigned magic;
	struct loop *loop;	   /* borrowed: outlives e */
	struct ev_stream *streams; /* owned list */
	size_t nstreams;
	struct sched_events_subs *subs; /* owned: callback subscribers */
	struct httpd *api;		/* borrowed: where the routes are */
	int walking;			/* > 0 while a walk over streams runs */
	struct durable dur;		/* pending NULL: events go at once */
	TAILQ_HEAD(ev_held_list, ev_held) held; /* owned: in emission order */
	bool waiting;	   /* a wait for the first is out */
	uint64_t nemitted; /* sched_events_emit() calls */
};

uint64_t
sched_events_count(const struct sched_events *e)
{
	if (e == NULL)
		return 0;
	CD_CHECK_OBJ(e, EVENTS_MAGIC);
	return e->nemitted;
}

/* Pure helpers */

void
sched_events_frame(const char *type, const char *data, struct buf *out)
{
	const char *p = data, *nl;

	buf_printf(out, "event: %s\n", type);
	for (;;) {
		nl = strchr(p, '\n');
		buf_puts(out, "data: ");
		if (nl == NULL) {
			buf_puts(out, p);
			buf_puts(out, "\n");
			break;
		}
		buf_append(out, p, (size_t)(nl - p));
		buf_puts(out, "\n");
		p = nl + 1;
	}
	buf_puts(out, "\n");
}

static bool
events_is_space(char c)
{
	return c == ' ' || c == '\t';
}

bool
sched_events_accepts_sse(const char *accept)
{
	static const char want[] = "text/event-stream";
	const char *p = accept, *end, *e;

	if (accept == NULL)
		return false;
	while (*p != '\0') {
		while (events_is_space(*p) || *p == ',')
			p++;
		end = p + strcspn(p, ",");
		e = p + strcspn(p, ";,");
		while (e > p && events_is_space(e[-1]))
			e--;
		if ((size_t)(e - p) == sizeof want - 1 &&
		    strncasecmp(p, want, sizeof want - 1) == 0)
			return true;
		p = end;
	}
	return false;
}

void
sched_events_filter_add(struct sched_events_filter *f, const char *v)
{
	const char *p = v, *e, *end;

	while (*p != '\0') {
		while (events_is_space(*p) || *p == ',')
			p++;
		end = p + strcspn(p, ",");
		e = end;
		while (e > p && events_is_space(e[-1]))
			e--;
		if (e > p) {
			XGROW(f->types, f->n + 1, f->cap);
			f->types[f->n++] = xstrndup(p, (size_t)(e - p));
		}
		p = end;
	}
}

bool
sched_events_filter_match(const struct sched_events_filter *f, const char *type)
{
	size_t i;

	if (f->n == 0)
		return true;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->types[i], type) == 0)
			return true;
	return false;
}

void
sched_events_filter_release(struct sched_events_filter *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->types[i]);
	free(f->types);
	f->types = NULL;
	f->n = f->cap = 0;
}

void
sched_events_peer_ip(const char *peer, char *out, size_t n)
{
	const char *colon = strrchr(peer, ':');
	size_t len = colon != NULL ? (size_t)(colon - peer) : strlen(peer);

	if (n == 0)
		return;
	if (len >= n)
		len = n - 1;
	memcpy(out, peer, len);
	out[len] = '\0';
}

/* Streams */

static void
stream_free(struct ev_stream *st)
{
	loop_timer_free(st->heartbeat);
	sched_events_filter_release(&st->filter);
	CD_FREE_OBJ(st);
}

/* Write to one stream; drop it when its reader lags too far behind. */
static void
stream_write(struct ev_stream *st, const char *p, size_t n)
{
	struct httpd_req *req = st->req;
	size_t pending;

	if (st->dead || req == NULL)
		return;
	httpd_stream_send(req, p, n);
	pending = httpd_stream_pending(req);
	if (pending <= SCHED_EVENTS_MAX_PENDING)
		return;
	log_warn("event stream peer=%s: %zu bytes unread, disconnecting the "
		 "slow reader",
		 st->remote, pending);
	st->req = NULL;
	st->dead = true;
	httpd_req_on_close(req, NULL, NULL);
	httpd_stream_end(req);
}

static void events_emit_link(struct sched_events *e, const char *type,
			     const char *remote);

/* Free dead streams, announcing each; safe against nested emissions. */
static void
events_sweep(struct sched_events *e)
{
	struct ev_stream **pp, *st;
	char remote[EVENTS_ADDR_LEN];

again:
	if (e->walking > 0)
		return;
	for (pp = &e->streams; (st = *pp) != NULL; pp = &st->next) {
		if (!st->dead)
			continue;
		*pp = st->next;
		e->nstreams--;
		(void)snprintf(remote, sizeof remote, "%s", st->remote);
		stream_free(st);
		log_info("event stream detached peer=%s streams=%zu", remote,
			 e->nstreams);
		events_emit_link(e, "event_stream_detached", remote);
		goto again;
	}
}

static void
stream_closed(struct httpd_req *req, void *arg)
{
	struct ev_stream *st = arg;

	(void)req;
	CD_CHECK_OBJ(st, EVENTS_STREAM_MAGIC);
	st->req = NULL;
	st->dead = true;
	events_sweep(st->e);
}

/* Each stream's own heart beat, 10 s after it attached, as Jetty's. */
static void
stream_heartbeat(void *arg)
{
	struct ev_stream *st = arg;
	struct sched_events *e;

	CD_CHECK_OBJ(st, EVENTS_STREAM_MAGIC);
	e = st->e;
	e->walking++;
	stream_write(st, SCHED_EVENTS_HEARTBEAT,
		     sizeof SCHED_EVENTS_HEARTBEAT - 1);
	e->walking--;
	if (!st->dead)
		loop_timer_add(st->heartbeat, SCHED_EVENTS_HEARTBEAT_MS);
	events_sweep(e); /* may free st */
}

/* Emitting */

static void
events_emit_link(struct sched_events *e, const char *type, const char *remote)
{
	sched_events_emit(e, json_pack("{s:s, s:s}", "remoteAddress", remote,
				       "eventType", type));
}

/* Send one serialised event to the streams and the subscribers. */
static void
events_deliver(struct sched_events *e, const char *type, const struct buf *body)
{
	struct buf frame = BUF_INIT;
	struct ev_stream *st;

	log_debug("event %s streams=%zu", type, e->nstreams);
	if (e->streams != NULL) {
		sched_events_frame(type, buf_str(body), &frame);
		e->walking++;
		for (st = e->streams; st != NULL; st = st->next)
			if (!st->dead &&
			    sched_events_filter_match(&st->filter, type))
				stream_write(st, frame.data, frame.len);
		e->walking--;
	}
	sched_events_sub_publish(e->subs, body->data, body->len);
	events_sweep(e);
	buf_release(&frame);
}

static void events_hold_kick(struct sched_events *e);

static void
events_held_free(struct ev_held *h)
{
	free(h->type);
	buf_release(&h->body);
	free(h);
}

/*
 * The events emitted up to seq: delivered in their order once durable,
 * dropped when never (the master steps down; a new leader reports the
 * state it finds).
 */
static void
events_durable_cb(uint64_t seq, int rc, void *arg)
{
	struct sched_events *e = arg;
	struct ev_held *h;
	size_t dropped = 0;

	CD_CHECK_OBJ(e, EVENTS_MAGIC);
	e->waiting = false;
	while ((h = TAILQ_FIRST(&e->held)) != NULL && h->seq <= seq) {
		TAILQ_REMOVE(&e->held, h, link);
		if (rc == 0)
			events_deliver(e, h->type, &h->body);
		else
			dropped++;
		events_held_free(h);
	}
	if (dropped > 0)
		log_warn("%zu event(s) not sent: the state they report could "
			 "not be made durable",
			 dropped);
	events_hold_kick(e);
}

static void
events_hold_kick(struct sched_events *e)
{
	struct ev_held *h = TAILQ_FIRST(&e->held);

	if (e->waiting || h == NULL)
		return;
	e->waiting = true;
	if (e->dur.wait(e->dur.ctx, h->seq, events_durable_cb, e) != 0)
		events_durable_cb(h->seq, -EIO, e);
}

/*
 * Keep the event when what it reports may not be durable yet, or when
 * events before it wait (their order is kept). False: send it now.
 */
static bool
events_hold(struct sched_events *e, const char *type, struct buf *body)
{
	struct ev_held *h, *last = TAILQ_LAST(&e->held, ev_held_list);
	uint64_t seq;

	if (e->dur.pending == NULL)
		return false;
	seq = e->dur.pending(e->dur.ctx);
	if (seq == 0 && last == NULL)
		return false;
	if (last != NULL && last->seq > seq)
		seq = last->seq;
	h = xcalloc(1, sizeof *h);
	h->type = xstrdup(type);
	h->body = *body;
	buf_init(body);
	h->seq = seq;
	TAILQ_INSERT_TAIL(&e->held, h, link);
	events_hold_kick(e);
	return true;
}

void
sched_events_emit(struct sched_events *e, json_t *ev)
{
	struct buf body = BUF_INIT;
	const char *type;
	char iso[32];

	if (e == NULL || ev == NULL)
		goto out;
	CD_CHECK_OBJ(e, EVENTS_MAGIC);
	e->nemitted++;
	type = json_string_value(json_object_get(ev, "eventType"));
	if (type == NULL) {
		log_warn("an event without eventType was not sent");
		goto out;
	}
	if (json_object_get(ev, "timestamp") == NULL) {
		json_time_iso(loop_wall_ms(), iso);
		json_object_set_new(ev, "timestamp", json_string(iso));
	}
	if (json_dump_buf(ev, &body) != 0)
		goto out;
	if (!events_hold(e, type, &body))
		events_deliver(e, type, &body);
out:
	buf_release(&body);
	json_decref(ev);
}

void
sched_events_set_durable(struct sched_events *e, const struct durable *d)
{
	CD_CHECK_OBJ(e, EVENTS_MAGIC);
	if (d != NULL)
		e->dur = *d;
	else
		memset(&e->dur, 0, sizeof e->dur);
}

void
sched_events_api_post(struct sched_events *e, struct httpd_req *r, json_t *app)
{
	char ip[EVENTS_ADDR_LEN];

	if (e == NULL || app == NULL) {
		json_decref(app);
		return;
	}
	sched_events_peer_ip(httpd_req_peer(r), ip, sizeof ip);
	sched_events_emit(e,
			  json_pack("{s:s, s:s, s:o, s:s}", "clientIp", ip,
				    "uri", httpd_req_path(r), "appDefinition",
				    app, "eventType", "api_post_event"));
}

/* Routes */

static void
events_stream(struct httpd_req *r, void *arg)
{
	struct sched_events *e = arg;
	struct ev_stream *st;
	const char *v;
	size_t pos = 0;

	CD_CHECK_OBJ(e, EVENTS_MAGIC);
	if (!sched_events_accepts_sse(httpd_req_header(r, "Accept"))) {
		/* Marathon's EventSource servlet: 405 without the header. */
		httpd_reply_error(
		    r, 405,
		    "HTTP method GET is not supported by this URL: "
		    "/v2/events needs Accept: text/event-stream",
		    NULL);
		return;
	}
	if (httpd_req_method(r) == HTTPD_HEAD) {
		httpd_reply(r, 200, "text/event-stream", NULL, 0);
		return;
	}
	/* Ending a stream (slow reader, shutdown) also closes the socket. */
	httpd_reply_header(r, "Connection", "close");
	/*
	 * Started before anything is set up: over --max_event_streams the
	 * request is answered 503 (with Marathon's body) here, and with no
	 * close callback set, httpd frees it alone. A refused stream was
	 * never attached: no event_stream_attached or _detached for it.
	 */
	if (httpd_stream_start(r, "text/event-stream") != 0)
		return;
	CD_ALLOC_OBJ(st, EVENTS_STREAM_MAGIC);
	st->e = e;
	st->req = r;
	st->heartbeat = loop_timer_new(e->loop, stream_heartbeat, st);
	sched_events_peer_ip(httpd_req_peer(r), st->remote, sizeof st->remote);
	while ((v = httpd_req_query_next(r, "event_type", &pos)) != NULL)
		sched_events_filter_add(&st->filter, v);
	httpd_req_on_close(r, stream_closed, st);
	loop_timer_add(st->heartbeat, SCHED_EVENTS_HEARTBEAT_MS);
	st->next = e->streams;
	e->streams = st;
	e->nstreams++;
	log_info("event stream attached peer=%s types=%zu streams=%zu",
		 st->remote, st->filter.n, e->nstreams);
	events_emit_link(e, "event_stream_attached", st->remote);
}

static void
events_subs_list(struct httpd_req *r, struct sched_events *e)
{
	httpd_reply_json(
	    r, 200,
	    json_pack("{s:o}", "callbackUrls", sched_events_sub_urls(e->subs)));
}

/* The callbackUrl query parameter, or NULL after answering 400/422. */
static const char *
events_subs_url(struct httpd_req *r)
{
	const char *url = httpd_req_query(r, "callbackUrl");
	struct cd_err err;

	cd_err_clear(&err);
	if (url == NULL || url[0] == '\0') {
		cd_err_setp(&err, -EINVAL, "/callbackUrl",
			    "callbackUrl is required");
		httpd_reply_cd_err(r, 400, "Missing parameter callbackUrl",
				   &err);
		return NULL;
	}
	if ((strncasecmp(url, "http://", 7) != 0 &&
	     strncasecmp(url, "https://", 8) != 0) ||
	    strlen(url) > EVENTS_MAX_URL) {
		cd_err_setp(
		    &err, -EINVAL, "/callbackUrl",
		    "must be an http:// or https:// URL of at most %d bytes",
		    EVENTS_MAX_URL);
		httpd_reply_cd_err(r, 422, "Invalid callbackUrl", &err);
		return NULL;
	}
	return url;
}

/* Subscribe (add) or unsubscribe the callbackUrl; answer and announce. */
static void
events_subs_change(struct httpd_req *r, struct sched_events *e, bool add)
{
	const char *url = events_subs_url(r);
	char ip[EVENTS_ADDR_LEN], iso[32];
	struct cd_err err;
	json_t *ev;

	if (url == NULL)
		return;
	cd_err_clear(&err);
	if (sched_events_sub_change(e->subs, url, add, &err) != 0) {
		/* 507 Insufficient Storage when the disk is full. */
		httpd_reply_error(
		    r, err.code == -ENOSPC || err.code == -EDQUOT ? 507 : 503,
		    err.msg, NULL);
		return;
	}
	sched_events_peer_ip(httpd_req_peer(r), ip, sizeof ip);
	json_time_iso(loop_wall_ms(), iso);
	ev = json_pack("{s:s, s:s, s:s, s:s}", "callbackUrl", url, "clientIp",
		       ip, "eventType",
		       add ? "subscribe_event" : "unsubscribe_event",
		       "timestamp", iso);
	httpd_reply_json(r, 200, json_incref(ev));
	sched_events_emit(e, ev);
}

static void
events_subs(struct httpd_req *r, void *arg)
{
	struct sched_events *e = arg;

	CD_CHECK_OBJ(e, EVENTS_MAGIC);
	switch (httpd_req_method(r)) {
	case HTTPD_POST:
		events_subs_change(r, e, true);
		break;
	case HTTPD_DELETE:
		events_subs_change(r, e, false);
		break;
	default:
		events_subs_list(r, e);
		break;
	}
}

static const struct httpd_route events_routes[] = {
    {HTTPD_GET, "/v2/events", events_stream},
    {HTTPD_GET | HTTPD_POST | HTTPD_DELETE, "/v2/eventSubscriptions",
     events_subs},
};

/* Lifecycle */

struct sched_events *
sched_events_new(struct loop *l, struct httpc *hc, struct store *st,
		 struct httpd *api)
{
	struct sched_events *e;

	CD_ALLOC_OBJ(e, EVENTS_MAGIC);
	e->loop = l;
	TAILQ_INIT(&e->held);
	e->subs = sched_events_sub_new(l, hc, st);
	e->api = api;
	if (api != NULL)
		httpd_add_routes(api, events_routes,
				 sizeof events_routes / sizeof events_routes[0],
				 e);
	return e;
}

size_t
sched_events_nstreams(const struct sched_events *e)
{
	return e != NULL ? e->nstreams : 0;
}

void
sched_events_free(struct sched_events *e)
{
	struct ev_stream *st;
	struct ev_held *h;

	if (e == NULL)
		return;
	CD_CHECK_OBJ(e, EVENTS_MAGIC);
	if (e->api != NULL)
		httpd_remove_routes(e->api, e);
	if (e->dur.forget != NULL)
		e->dur.forget(e->dur.ctx, e);
	while ((h = TAILQ_FIRST(&e->held)) != NULL) {
		TAILQ_REMOVE(&e->held, h, link);
		events_held_free(h);
	}
	while ((st = e->streams) != NULL) {
		e->streams = st->next;
		if (st->req != NULL) {
			httpd_req_on_close(st->req, NULL, NULL);
			httpd_stream_end(st->req);
		}
		stream_free(st);
	}
	sched_events_sub_free(e->subs);
	CD_FREE_OBJ(e);
}
