/*
 * sched_offer.h: offer matching, per app. sched_driver.c asks
 * sched_offer_place() whether one more instance fits an offer (role,
 * constraints, resources) and reports each offer an app was shown, so
 * that the launch queue (GET /v2/queue, api/sched_api_queue.c) can say why
 * an app is not placed: Marathon's processedOffersSummary and its last
 * unused offers. The agents' hostnames and attributes are learnt from the
 * offers. Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_OFFER_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_OFFER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/framework.h"
#include "lib/resources.h"

struct sched;
struct sched_rapp;
struct sched_offer;

/* How many unused offers each app keeps for embed=lastUnusedOffers. */
#define SCHED_OFFER_LAST_UNUSED 10

struct sched_offer *sched_offer_new(void);
/* NULL is a no-op. */
void sched_offer_free(struct sched_offer *m);

/*
 * The master made offers[0..n-1]: a new offer round. Remembers each
 * agent's hostname and attributes (the placement of existing tasks is
 * judged by them), forgets apps that are gone, and ends the launch
 * attempt of apps that no longer wait.
 */
void sched_offer_round(struct sched *s, const struct fw_offer *offers,
		       size_t n);

/*
 * Whether one more instance of ra goes on offer o: its role
 * (acceptedResourceRoles must admit "*"), its constraints (against the
 * app's tasks and the instances already placed in this round), then its
 * resources out of avail (sched_launch_fit, np host ports into ports).
 * 0: placed (avail reduced, ports set, the placement counted); -ENOSPC:
 * not placed, the reason kept for sched_offer_done().
 */
int sched_offer_place(struct sched *s, const struct sched_rapp *ra,
		      const struct fw_offer *o, struct resources *avail,
		      uint32_t *ports, size_t np);

/*
 * ra wanted instances and was shown offer o, on which n were placed:
 * count o as processed, and as used (n > 0) or unused with the reason of
 * the last refusal.
 */
void sched_offer_done(struct sched *s, const struct sched_rapp *ra,
		      const struct fw_offer *o, int n);

/* The number of ra's instances still to launch (the queue's "count"). */
int sched_offer_count(const struct sched *s, const struct sched_rapp *ra);

/*
 * The launch attempt of ra, which waits for instances: when it began
 * (wall-clock ms; it begins now when it had not), its
 * processedOffersSummary into *summary (new reference) and, when
 * last_unused is not NULL, a copy of its last unused offers (Marathon's
 * UnusedOffer objects, oldest first) into *last_unused (new reference).
 */
long long sched_offer_attempt(struct sched *s, const struct sched_rapp *ra,
			      json_t **summary, json_t **last_unused);
/* ra waits no more: end its launch attempt, if it has one. */
void sched_offer_attempt_end(struct sched *s, const struct sched_rapp *ra);

#endif
