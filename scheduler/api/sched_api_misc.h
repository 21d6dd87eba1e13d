/*
 * sched_api_misc.h: the scheduler's small REST resources, GET /ping,
 * GET /v2/info, GET and DELETE /v2/leader, GET /metrics (Marathon's JSON)
 * and GET /metrics/prometheus. Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_API_SCHED_API_MISC_H
#define CLUSTERD_SCHEDULER_API_SCHED_API_MISC_H

#include <stddef.h>

#include "lib/httpd.h"

/* Route table (STYLE B7); the arg is the struct sched. */
extern const struct httpd_route sched_api_misc_routes[];
extern const size_t sched_api_misc_nroutes;

#endif
