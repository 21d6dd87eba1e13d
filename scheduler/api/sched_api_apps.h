/*
 * sched_api_apps.h: the /v2/apps resource of Marathon's REST API: list
 * (cmd=, id=, label=, embed=), create, get, replace or patch (PUT creates
 * when missing; a body of only {"version"} rolls back), PUT and PATCH of
 * many apps at once (one deployment), delete, restart,
 * the app's tasks (list, kill with host=, scale=), one task's kill, and the
 * stored versions. Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_API_SCHED_API_APPS_H
#define CLUSTERD_SCHEDULER_API_SCHED_API_APPS_H

#include <stddef.h>

#include "lib/httpd.h"

/* Route table (STYLE B7); the arg is the struct sched. */
extern const struct httpd_route sched_api_apps_routes[];
extern const size_t sched_api_apps_nroutes;

#endif
