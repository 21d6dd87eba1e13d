/*
 * sched_api_queue.h: the launch queue. GET /v2/queue (one entry per app
 * that still has instances to launch: count, backoff delay, since, the
 * processedOffersSummary and, with embed=lastUnusedOffers, the last unused
 * offers) and DELETE /v2/queue/{app_id}/delay (reset the backoff), plus
 * the offer-matching side that feeds them: sched_driver.c asks
 * sched_api_queue_place() whether one more instance fits an offer (role,
 * constraints, resources) and reports each offer an app was shown, so the
 * queue can say why an app is not placed. The agents' hostnames and
 * attributes are learnt from the offers. Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_API_SCHED_API_QUEUE_H
#define CLUSTERD_SCHEDULER_API_SCHED_API_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/framework.h"
#include "lib/httpd.h"
#include "lib/resources.h"

struct sched;
struct sched_rapp;
struct sched_api_queue;

/* Route table (STYLE B7); the arg is the struct sched. */
extern const struct httpd_route sched_api_queue_routes[];
extern const size_t sched_api_queue_nroutes;

/* How many unused offers each app keeps for embed=lastUnusedOffers. */
#define SCHED_API_QUEUE_LAST_UNUSED 10

struct sched_api_queue *sched_api_queue_new(void);
/* NULL is a no-op. */
void sched_api_queue_free(struct sched_api_queue *q);

/*
 * The master made offers[0..n-1]: a new offer round. Remembers each
 * agent's hostname and attributes (the placement of existing tasks is
 * judged by them), forgets apps that are gone, and ends the launch
 * attempt of apps that no longer wait.
 */
void sched_api_queue_round(struct sched *s, const struct fw_offer *offers,
			   size_t n);

/*
 * Whether one more instance of ra goes on offer o: its role
 * (acceptedResourceRoles must admit "*"), its constraints (against the
 * app's tasks and the instances already placed in this round), then its
 * resources out of avail (sched_launch_fit, np host ports into ports).
 * 0: placed (avail reduced, ports set, the placement counted); -ENOSPC:
 * not placed, the reason kept for sched_api_queue_offer_done().
 */
int sched_api_queue_place(struct sched *s, const struct sched_rapp *ra,
			  const struct fw_offer *o, struct resources *avail,
			  uint32_t *ports, size_t np);

/*
 * ra wanted instances and was shown offer o, on which n were placed:
 * count o as processed, and as used (n > 0) or unused with the reason of
 * the last refusal.
 */
void sched_api_queue_offer_done(struct sched *s, const struct sched_rapp *ra,
				const struct fw_offer *o, int n);

/* The number of ra's instances still to launch (the queue's "count"). */
int sched_api_queue_count(const struct sched *s, const struct sched_rapp *ra);

#endif
