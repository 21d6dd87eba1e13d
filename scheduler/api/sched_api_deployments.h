/*
 * sched_api_deployments.h: the /v2/deployments resource (list; DELETE
 * rolls back, or with force=true only stops). Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_API_SCHED_API_DEPLOYMENTS_H
#define CLUSTERD_SCHEDULER_API_SCHED_API_DEPLOYMENTS_H

#include <stddef.h>

#include "lib/httpd.h"

/* Route table (STYLE B7); the arg is the struct sched. */
extern const struct httpd_route sched_api_deployments_routes[];
extern const size_t sched_api_deployments_nroutes;

#endif
