/*
 * sched_events.h: Marathon's event bus. Events go to /v2/events
 * server-sent-event streams (Accept: text/event-stream; first frame
 * event_stream_attached; a heartbeat every 10 s; ?event_type= filters) and
 * to HTTP callback subscribers registered through /v2/eventSubscriptions
 * (persisted in the store, delivered asynchronously through httpc with
 * retries). A slow stream reader is disconnected, never buffered without
 * bound. Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_SCHED_EVENTS_H
#define CLUSTERD_SCHEDULER_SCHED_EVENTS_H

#include <jansson.h>

struct loop;
struct httpc;
struct httpd;
struct store;
struct sched_events;

/*
 * Create the bus and register its routes (/v2/events,
 * /v2/eventSubscriptions) on api; load subscriptions from st. Free with
 * sched_events_free(), which closes every stream.
 */
struct sched_events *sched_events_new(struct loop *l, struct httpc *hc,
    struct store *st, struct httpd *api);
void sched_events_free(struct sched_events *e);

/*
 * Publish one event. ev is a JSON object with at least "eventType"
 * (e.g. "status_update_event"); "timestamp" (ISO-8601 with milliseconds)
 * is added when missing. Steals the reference. Callers emit only after the
 * state the event reports is visible through the API (SPEC section 5).
 * e may be NULL (no-op), so callers need not test.
 */
void sched_events_emit(struct sched_events *e, json_t *ev);

#endif
