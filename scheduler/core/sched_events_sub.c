/*
 * sched_events_sub.c: the event bus's callback subscribers (see
 * sched_events_sub.h). Owns one struct ev_sub per callback URL, in
 * subscription order, each with its queue of shared event payloads, the
 * POST in flight and its retry timer.
 *
 * Design decisions:
 * - One refcounted body per event is shared by every queue.
 * - Queues are bounded by count and bytes and drop their oldest event
 *   (warned once per burst), so a dead subscriber cannot grow memory.
 * - One POST in flight per subscriber keeps its events in order; a failed
 *   POST is retried with a doubling delay, then dropped.
 * - A subscription is committed to the store before memory changes (and
 *   before the API answers).
 * Loop thread only.
 */
#include "scheduler/core/sched_events_sub.h"

#include <stdlib.h>
#include <string.h>

#define LOG_MOD "events"
#include "lib/buf.h"
#include "lib/httpc.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/route.h"
#include "lib/store.h"
#include "lib/xalloc.h"

#define EVENTS_SUB_MAGIC 0x45765375u

/* One serialised event body, shared by the callback queues. */
struct ev_payload {
	size_t refs;
	size_t len;
	char data[]; /* NUL-terminated JSON */
};

/* One /v2/eventSubscriptions callback URL. */
struct ev_sub {
	unsigned magic;
	struct sched_events_subs *subs; /* borrowed: the owner */
	char *url;			/* owned */
	struct ev_payload *q[SCHED_EVENTS_CB_QUEUE_MAX]; /* refs: ring */
	size_t qhead, qn, qbytes;
	struct ev_payload *cur;	    /* ref or NULL: being delivered */
	struct httpc_req *inflight; /* borrowed: until done or cancelled */
	struct loop_timer *retry;   /* owned */
	int tries;		    /* failed tries of cur */
	bool failing;		    /* warned about failures already */
	bool overflowing;	    /* warned about drops already */
	struct ev_sub *next;	    /* owned: the rest of the list */
};

struct sched_events_subs {
	struct loop *loop;   /* borrowed: outlives subs */
	struct httpc *hc;    /* borrowed: outlives subs */
	struct store *st;    /* borrowed or NULL: outlives subs */
	struct ev_sub *list; /* owned list, in subscription order */
};

char *
sched_events_sub_key(const char *url)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, SCHED_EVENTS_SUB_PREFIX);
	route_encode(&b, url);
	return buf_detach(&b, NULL);
}

static struct ev_payload *
payload_new(const char *data, size_t len)
{
	struct ev_payload *p = xmalloc(sizeof *p + len + 1);

	p->refs = 1;
	p->len = len;
	memcpy(p->data, data, len);
	p->data[len] = '\0';
	return p;
}

static struct ev_payload *
payload_ref(struct ev_payload *p)
{
	p->refs++;
	return p;
}

static void
payload_unref(struct ev_payload *p)
{
	if (p != NULL && --p->refs == 0)
		free(p);
}

static void sub_kick(struct ev_sub *sub);

static void
sub_done(const struct httpc_resp *resp, void *arg)
{
	struct ev_sub *sub = arg;

	CD_CHECK_OBJ(sub, EVENTS_SUB_MAGIC);
	sub->inflight = NULL;
	if (resp->status >= 200 && resp->status < 300) {
		if (sub->failing)
			log_info("callback %s: delivering again", sub->url);
		sub->failing = false;
		sub->tries = 0;
		payload_unref(sub->cur);
		sub->cur = NULL;
	} else {
		sub->tries++;
		if (!sub->failing) {
			sub->failing = true;
			if (resp->status == 0)
				log_warn("callback %s: %s (retrying)", sub->url,
					 resp->err != NULL ? resp->err->msg
							   : "?");
			else
				log_warn("callback %s: HTTP %d (retrying)",
					 sub->url, resp->status);
		}
		if (sub->tries < SCHED_EVENTS_CB_TRIES) {
			loop_timer_add(sub->retry,
				       (uint64_t)SCHED_EVENTS_CB_BACKOFF_MS
					   << (sub->tries - 1));
			return;
		}
		log_debug("callback %s: event dropped after %d tries", sub->url,
			  sub->tries);
		sub->tries = 0;
		payload_unref(sub->cur);
		sub->cur = NULL;
	}
	sub_kick(sub);
}

/* Send the current event, or the next one queued, unless one is out. */
static void
sub_kick(struct ev_sub *sub)
{
	struct httpc_opts o;

	if (sub->inflight != NULL || loop_timer_pending(sub->retry))
		return;
	if (sub->cur == NULL) {
		if (sub->qn == 0)
			return;
		sub->cur = sub->q[sub->qhead];
		sub->q[sub->qhead] = NULL;
		sub->qhead = (sub->qhead + 1) % SCHED_EVENTS_CB_QUEUE_MAX;
		sub->qn--;
		sub->qbytes -= sub->cur->len;
	}
	memset(&o, 0, sizeof o);
	o.method = "POST";
	o.url = sub->url;
	o.content_type = "application/json";
	o.body = sub->cur->data;
	o.body_len = sub->cur->len;
	o.timeout_ms = SCHED_EVENTS_CB_TIMEOUT_MS;
	sub->inflight = httpc_request(sub->subs->hc, &o, sub_done, sub);
}

static void
sub_retry(void *arg)
{
	struct ev_sub *sub = arg;

	CD_CHECK_OBJ(sub, EVENTS_SUB_MAGIC);
	sub_kick(sub);
}

static void
sub_drop_oldest(struct ev_sub *sub)
{
	struct ev_payload *p = sub->q[sub->qhead];

	sub->q[sub->qhead] = NULL;
	sub->qhead = (sub->qhead + 1) % SCHED_EVENTS_CB_QUEUE_MAX;
	sub->qn--;
	sub->qbytes -= p->len;
	payload_unref(p);
}

static void
sub_enqueue(struct ev_sub *sub, struct ev_payload *p)
{
	bool dropped = false;

	while (sub->qn > 0 &&
	       (sub->qn == SCHED_EVENTS_CB_QUEUE_MAX ||
		sub->qbytes + p->len > SCHED_EVENTS_CB_QUEUE_BYTES)) {
		sub_drop_oldest(sub);
		dropped = true;
	}
	if (dropped && !sub->overflowing)
		log_warn("callback %s: queue full (%zu events), dropping the "
			 "oldest",
			 sub->url, sub->qn);
	sub->overflowing = dropped || (sub->overflowing && sub->qn > 0);
	sub->q[(sub->qhead + sub->qn) % SCHED_EVENTS_CB_QUEUE_MAX] =
	    payload_ref(p);
	sub->qn++;
	sub->qbytes += p->len;
	sub_kick(sub);
}

static struct ev_sub *
sub_new(struct sched_events_subs *subs, const char *url)
{
	struct ev_sub *sub, **pp;

	CD_ALLOC_OBJ(sub, EVENTS_SUB_MAGIC);
	sub->subs = subs;
	sub->url = xstrdup(url);
	sub->retry = loop_timer_new(subs->loop, sub_retry, sub);
	for (pp = &subs->list; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = sub;
	return sub;
}

static void
sub_free(struct ev_sub *sub)
{
	if (sub->inflight != NULL)
		httpc_cancel(sub->inflight);
	loop_timer_free(sub->retry);
	while (sub->qn > 0)
		sub_drop_oldest(sub);
	payload_unref(sub->cur);
	free(sub->url);
	CD_FREE_OBJ(sub);
}

static struct ev_sub *
sub_find(const struct sched_events_subs *subs, const char *url)
{
	struct ev_sub *sub;

	for (sub = subs->list; sub != NULL; sub = sub->next)
		if (strcmp(sub->url, url) == 0)
			return sub;
	return NULL;
}

static int
sub_load_one(const char *key, const void *val, size_t len, void *arg)
{
	struct sched_events_subs *subs = arg;
	struct cd_err err;
	const char *url;
	json_t *j;

	cd_err_clear(&err);
	j = json_parse_bounded(val, len, &err);
	url = json_string_value(json_object_get(j, "callbackUrl"));
	if (url == NULL)
		log_warn("skipping unreadable subscription %s", key);
	else if (sub_find(subs, url) == NULL)
		(void)sub_new(subs, url);
	json_decref(j);
	return 0;
}

struct sched_events_subs *
sched_events_sub_new(struct loop *l, struct httpc *hc, struct store *st)
{
	struct sched_events_subs *subs = xcalloc(1, sizeof *subs);
	struct ev_sub *sub;
	size_t n = 0;

	subs->loop = l;
	subs->hc = hc;
	subs->st = st;
	if (st != NULL)
		(void)store_iter(st, STORE_DB_SCHED, SCHED_EVENTS_SUB_PREFIX,
				 sub_load_one, subs);
	for (sub = subs->list; sub != NULL; sub = sub->next)
		n++;
	if (n > 0)
		log_info("loaded %zu event subscription(s)", n);
	return subs;
}

void
sched_events_sub_free(struct sched_events_subs *subs)
{
	struct ev_sub *sub;

	if (subs == NULL)
		return;
	while ((sub = subs->list) != NULL) {
		subs->list = sub->next;
		sub_free(sub);
	}
	free(subs);
}

bool
sched_events_sub_any(const struct sched_events_subs *subs)
{
	return subs != NULL && subs->list != NULL;
}

void
sched_events_sub_publish(struct sched_events_subs *subs, const char *body,
			 size_t len)
{
	struct ev_payload *p;
	struct ev_sub *sub;

	if (!sched_events_sub_any(subs))
		return;
	p = payload_new(body, len);
	for (sub = subs->list; sub != NULL; sub = sub->next)
		sub_enqueue(sub, p);
	payload_unref(p);
}

int
sched_events_sub_change(struct sched_events_subs *subs, const char *url,
			bool add, struct cd_err *err)
{
	char *key = sched_events_sub_key(url), *val = NULL;
	struct ev_sub *sub;
	int rc;

	if (add) {
		json_t *rec = json_pack("{s:s}", "callbackUrl", url);

		val = json_dump_str(rec);
		json_decref(rec);
		rc = store_put(subs->st, STORE_DB_SCHED, key, val, strlen(val));
	} else {
		rc = store_del(subs->st, STORE_DB_SCHED, key);
	}
	if (rc != 0) {
		struct cd_err e;

		cd_err_clear(&e);
		(void)store_err(subs->st, rc, &e);
		log_error("%s subscription %s: %s", add ? "saving" : "deleting",
			  url, e.msg);
		if (err != NULL)
			*err = e;
		goto out;
	}
	sub = sub_find(subs, url);
	if (add && sub == NULL) {
		(void)sub_new(subs, url);
		log_info("callback %s subscribed", url);
	} else if (!add && sub != NULL) {
		struct ev_sub **pp;

		for (pp = &subs->list; *pp != sub; pp = &(*pp)->next)
			;
		*pp = sub->next;
		sub_free(sub);
		log_info("callback %s unsubscribed", url);
	}
out:
	free(key);
	free(val);
	return rc;
}

json_t *
sched_events_sub_urls(const struct sched_events_subs *subs)
{
	json_t *a = json_array();
	struct ev_sub *sub;

	for (sub = subs->list; sub != NULL; sub = sub->next)
		json_array_append_new(a, json_string(sub->url));
	return a;
}
