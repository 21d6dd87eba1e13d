/*
 * sched_api_queue.h: the launch queue of Marathon's REST API: GET
 * /v2/queue (one entry per app that still has instances to launch: count,
 * backoff delay, since, the processedOffersSummary and, with
 * embed=lastUnusedOffers, the last unused offers) and DELETE
 * /v2/queue/{app_id}/delay (reset the backoff). Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_API_SCHED_API_QUEUE_H
#define CLUSTERD_SCHEDULER_API_SCHED_API_QUEUE_H

#include <stddef.h>

#include "lib/httpd.h"

/* Route table (STYLE B7); the arg is the struct sched. */
extern const struct httpd_route sched_api_queue_routes[];
extern const size_t sched_api_queue_nroutes;

#endif
