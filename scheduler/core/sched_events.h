/*
 * sched_events.h: Marathon's event bus. Events go to /v2/events
 * server-sent-event streams (Accept: text/event-stream; first frame
 * event_stream_attached; a heartbeat every 10 s; ?event_type= filters) and
 * to HTTP callback subscribers registered through /v2/eventSubscriptions
 * (sched_events_sub.h: persisted in the store, delivered asynchronously
 * through httpc with retries). A slow stream reader is disconnected, never
 * buffered without bound. Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_EVENTS_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct loop;
struct buf;
struct durable;
struct httpc;
struct httpd;
struct httpd_req;
struct store;
struct sched_events;

/* Jetty's EventSource (Marathon 1.x) heart beat: CRLF every 10 s. */
#define SCHED_EVENTS_HEARTBEAT_MS 10000
#define SCHED_EVENTS_HEARTBEAT "\r\n"
/* A stream reader this far behind (bytes not yet written) is dropped. */
#define SCHED_EVENTS_MAX_PENDING (1024 * 1024)

/*
 * Create the bus and register its routes (/v2/events,
 * /v2/eventSubscriptions) on api; load subscriptions from st. Free with
 * sched_events_free(), which closes every stream.
 */
struct sched_events *sched_events_new(struct loop *l, struct httpc *hc,
				      struct store *st, struct httpd *api);
void sched_events_free(struct sched_events *e);
/*
 * Make every event wait until the writes before it are durable (d copied,
 * d->ctx borrowed; NULL: events go at once, the LMDB case).
 */
void sched_events_set_durable(struct sched_events *e, const struct durable *d);

/*
 * Publish one event. ev is a JSON object with at least "eventType"
 * (e.g. "status_update_event"); "timestamp" (ISO-8601 with milliseconds)
 * is added when missing. Steals the reference. Callers emit only after the
 * state the event reports is visible through the API (SPEC section 5).
 * e may be NULL (no-op), so callers need not test.
 */
void sched_events_emit(struct sched_events *e, json_t *ev);
/*
 * The number of events emitted: part of the scheduler's state generation
 * (sched_gen.h), so that whatever an event reports, a list reply cached
 * before it is never served after it. 0 when e is NULL.
 */
uint64_t sched_events_count(const struct sched_events *e);

/*
 * Emit api_post_event for an app the API created or changed: clientIp and
 * uri from r, appDefinition = app (stolen). e may be NULL.
 */
void sched_events_api_post(struct sched_events *e, struct httpd_req *r,
			   json_t *app);

/* How many /v2/events streams are attached (for the metrics); e may be
 * NULL (0). */
size_t sched_events_nstreams(const struct sched_events *e);

/* Pure helpers (unit tested). */

/* Append one SSE frame "event: <type>\ndata: <line>\n...\n" to out; each
 * line of data gets its own "data: " field. */
void sched_events_frame(const char *type, const char *data, struct buf *out);
/* Whether an Accept header value lists text/event-stream. */
bool sched_events_accepts_sse(const char *accept);

/* The event types a stream asked for; none means all. */
struct sched_events_filter {
	char **types; /* owned array of owned strings */
	size_t n;
	size_t cap;
};
/* Add the types of one event_type= value (comma-separated, trimmed). */
void sched_events_filter_add(struct sched_events_filter *f, const char *v);
bool sched_events_filter_match(const struct sched_events_filter *f,
			       const char *type);
void sched_events_filter_release(struct sched_events_filter *f);

/* "ip" of a peer "ip:port" into out (size n). */
void sched_events_peer_ip(const char *peer, char *out, size_t n);

#endif
