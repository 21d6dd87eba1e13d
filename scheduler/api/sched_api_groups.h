/*
 * sched_api_groups.h: the /v2/groups resource: the group tree (GET, with
 * embed=group.groups / group.apps / group.apps.*), create (POST), create
 * or update (PUT: a full GroupUpdate, {"scaleBy": f}, or {"version": v}
 * to roll back; dryRun=true answers the steps only), delete, and the
 * group's stored versions. Every change is one deployment whose steps
 * follow the apps' and groups' dependencies. Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_API_SCHED_API_GROUPS_H
#define CLUSTERD_SCHEDULER_API_SCHED_API_GROUPS_H

#include <stddef.h>

#include "lib/httpd.h"

/* Route table (STYLE B7); the arg is the struct sched. */
extern const struct httpd_route sched_api_groups_routes[];
extern const size_t sched_api_groups_nroutes;

#endif
