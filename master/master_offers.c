/*
 * master_offers.c: allocation cycles and the offers they make. Owns the
 * outstanding offers (list and index) and the allocation clock: a cycle
 * every allocation_interval, and one soon after any change that frees or
 * adds resources (coalesced). The allocator (master_alloc) decides; this
 * file turns its decisions into offers and hands each framework its own.
 *
 * Resources of an offer stay allocated to its framework until it launches
 * (master.c takes the offer; the unused part returns), declines (the agent
 * is then filtered for refuse_seconds) or the offer is rescinded (its
 * agent re-registered or was lost). Calls only master_frameworks.c and the
 * allocator below it. Loop thread only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/idmap.h"
#include "lib/loop.h"
#include "lib/metrics.h"
#include "lib/xalloc.h"
#include "master/master_alloc.h"
#include "master/master_int.h"

#define LOG_MOD "master"
#include "lib/log.h"

/* The delay of an allocation asked for by a change, in ms. */
#define MASTER_OFFERS_SOON_MS 20

struct master_offer *
master_offers_find(struct master *m, const char *id)
{
	return idmap_get(m->offer_index, id);
}

void
master_offers_drop(struct master *m, struct master_offer *o)
{
	AN(idmap_del(m->offer_index, o->id));
	TAILQ_REMOVE(&m->offers, o, link);
	master_changed(m);
	free(o->id);
	free(o->framework_id);
	free(o->agent_id);
	res_free(&o->res);
	free(o);
}

void
master_offers_rescind_agent(struct master *m, const char *agent_id)
{
	struct master_offer *o, *n;

	for (o = TAILQ_FIRST(&m->offers); o != NULL; o = n) {
		struct master_framework *f;

		n = TAILQ_NEXT(o, link);
		if (strcmp(o->agent_id, agent_id) != 0)
			continue;
		f = master_framework_find(m, o->framework_id);
		master_alloc_release(m->alloc, o->agent_id, o->framework_id,
				     &o->res);
		if (f != NULL && f->ops->rescind != NULL)
			f->ops->rescind(f->sched, o->id);
		master_offers_drop(m, o);
	}
}

void
master_offers_decline(struct master *m, const char *fw_id, const char *offer_id,
		      double refuse_seconds)
{
	struct master_offer *o = master_offers_find(m, offer_id);

	if (o == NULL || strcmp(o->framework_id, fw_id) != 0)
		return;
	metrics_count(m->conf.metrics, METRICS_OFFERS_DECLINED, 1);
	master_alloc_release(m->alloc, o->agent_id, fw_id, &o->res);
	if (refuse_seconds > 0)
		master_alloc_filter(m->alloc, fw_id, o->agent_id,
				    loop_now_ms(m->loop) +
					(uint64_t)(refuse_seconds * 1000));
	master_offers_drop(m, o);
}

/* The offers of one cycle, in the order the allocator made them. */
struct master_offer_batch {
	struct master *m;		  /* borrowed */
	struct master_offer **new_offers; /* owned array of borrowed offers */
	size_t n, cap;
};

static void
master_offers_made(const char *fw_id, const char *agent_id,
		   const struct resources *r, void *arg)
{
	struct master_offer_batch *b = arg;
	struct master *m = b->m;
	struct master_offer *o = xcalloc(1, sizeof *o);

	o->id = xasprintf("%s-O%u", m->id, ++m->offer_seq);
	o->framework_id = xstrdup(fw_id);
	o->agent_id = xstrdup(agent_id);
	res_copy(&o->res, r);
	AZ(idmap_put(m->offer_index, o->id, o));
	TAILQ_INSERT_TAIL(&m->offers, o, link);
	master_changed(m);
	XGROW(b->new_offers, b->n + 1, b->cap);
	b->new_offers[b->n++] = o;
}

/* One cycle: the allocator decides, each framework gets its offers. */
static void
master_offers_cycle(struct master *m)
{
	struct master_offer_batch b = {m, NULL, 0, 0};
	struct master_framework *f;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	master_alloc_run(m->alloc, loop_now_ms(m->loop), master_offers_made,
			 &b);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	metrics_time(m->conf.metrics, METRICS_ALLOCATION,
		     (double)(t1.tv_sec - t0.tv_sec) +
			 (t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (b.n == 0)
		goto out;
	TAILQ_FOREACH(f, &m->frameworks, link) {
		struct fw_offer *fo = xcalloc(b.n, sizeof *fo);
		char **ids = xcalloc(b.n, sizeof *ids);
		size_t i, k = 0;

		for (i = 0; i < b.n; i++) {
			struct master_offer *o = b.new_offers[i];
			struct master_agent *a;

			if (strcmp(o->framework_id, f->id) != 0)
				continue;
			a = master_agent_find(m, o->agent_id);
			if (a == NULL)
				continue;
			/* Copy the id: the scheduler may consume the offer. */
			ids[k] = xstrdup(o->id);
			fo[k].id = ids[k];
			fo[k].agent_id = a->info.id;
			fo[k].hostname = a->info.hostname;
			fo[k].attributes = a->info.attributes;
			res_copy(&fo[k].res, &o->res);
			k++;
		}
		metrics_count(m->conf.metrics, METRICS_OFFERS_INCOMING, k);
		if (k > 0)
			f->ops->offers(f->sched, fo, k);
		for (i = 0; i < k; i++) {
			free(ids[i]);
			res_free(&fo[i].res);
		}
		free(ids);
		free(fo);
	}
out:
	free(b.new_offers);
}

static void
master_offers_tick(void *arg)
{
	struct master *m = arg;

	master_offers_cycle(m);
	loop_timer_add(m->alloc_timer,
		       (uint64_t)m->conf.allocation_interval_ms);
}

static void
master_offers_soon_tick(void *arg)
{
	master_offers_cycle(arg);
}

void
master_offers_allocate_soon(struct master *m)
{
	if (!loop_timer_pending(m->soon_timer))
		loop_timer_add(m->soon_timer, MASTER_OFFERS_SOON_MS);
}

void
master_offers_init(struct master *m)
{
	TAILQ_INIT(&m->offers);
	m->offer_index = idmap_new();
	m->alloc_timer = loop_timer_new(m->loop, master_offers_tick, m);
	m->soon_timer = loop_timer_new(m->loop, master_offers_soon_tick, m);
}

void
master_offers_start(struct master *m)
{
	loop_timer_add(m->alloc_timer,
		       (uint64_t)m->conf.allocation_interval_ms);
}

void
master_offers_release(struct master *m)
{
	loop_timer_free(m->alloc_timer);
	m->alloc_timer = NULL;
	loop_timer_free(m->soon_timer);
	m->soon_timer = NULL;
	while (!TAILQ_EMPTY(&m->offers))
		master_offers_drop(m, TAILQ_FIRST(&m->offers));
	idmap_free(m->offer_index);
	m->offer_index = NULL;
}
