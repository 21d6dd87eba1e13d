/*
 * sched_events_sub.h: the event bus's HTTP callback subscribers
 * (/v2/eventSubscriptions): each callback URL persisted in the store,
 * with a bounded queue of events POSTed to it in order, asynchronously
 * through httpc, with retries. sched_events.c owns the one struct
 * sched_events_subs and hands it every event. Loop thread only, but for
 * the pure sched_events_sub_key().
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_EVENTS_SUB_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_EVENTS_SUB_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/err.h"

struct loop;
struct httpc;
struct store;
struct sched_events_subs;

/* Callback delivery: per-try timeout, tries, first retry delay (doubled
 * per try), and the per-subscriber queue bounds (oldest dropped). */
#define SCHED_EVENTS_CB_TIMEOUT_MS 10000
#define SCHED_EVENTS_CB_TRIES 3
#define SCHED_EVENTS_CB_BACKOFF_MS 1000
#define SCHED_EVENTS_CB_QUEUE_MAX 1024
#define SCHED_EVENTS_CB_QUEUE_BYTES (8 * 1024 * 1024)
/* Store key prefix (STORE_DB_SCHED) of the persisted subscriptions. */
#define SCHED_EVENTS_SUB_PREFIX "subscription/"

/* The subscribers stored in st (may be NULL: none). Free with
 * sched_events_sub_free(), which cancels every POST in flight. */
struct sched_events_subs *sched_events_sub_new(struct loop *l, struct httpc *hc,
					       struct store *st);
void sched_events_sub_free(struct sched_events_subs *subs);

/* Whether there is any subscriber (so that the body need not be made). */
bool sched_events_sub_any(const struct sched_events_subs *subs);
/* Queue the serialised event body[0..len) for every subscriber. */
void sched_events_sub_publish(struct sched_events_subs *subs, const char *body,
			      size_t len);

/*
 * Subscribe url (add) or unsubscribe it: the store first (one commit),
 * then memory. 0, or the store's code with nothing changed and err (may
 * be NULL) saying what happened (store_err()).
 */
int sched_events_sub_change(struct sched_events_subs *subs, const char *url,
			    bool add, struct cd_err *err);
/* The subscribed URLs, in subscription order. New reference. */
json_t *sched_events_sub_urls(const struct sched_events_subs *subs);

/* The store key of a callback URL: prefix + the URL percent-encoded
 * (everything but unreserved characters). Caller frees. */
char *sched_events_sub_key(const char *url);

#endif
