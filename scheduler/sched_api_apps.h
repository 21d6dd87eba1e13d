/*
 * sched_api_apps.h: the /v2/apps resource of Marathon's REST API: list
 * (cmd=, id=, label=, embed=), create, get, replace or patch (PUT creates
 * when missing; a body of only {"version"} rolls back), delete, restart,
 * the app's tasks (list, kill with host=, scale=), one task's kill, and the
 * stored versions. Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_SCHED_API_APPS_H
#define CLUSTERD_SCHEDULER_SCHED_API_APPS_H

#include <stddef.h>

#include <jansson.h>

#include "lib/httpd.h"

struct sched;
struct sched_rapp;

/* Route table (STYLE B7); the arg is the struct sched. */
extern const struct httpd_route sched_api_apps_routes[];
extern const size_t sched_api_apps_nroutes;

enum sched_api_apps_embed {
	SCHED_EMBED_TASKS = 1 << 0,   /* "tasks": [...] */
	SCHED_EMBED_FAILURE = 1 << 1, /* "lastTaskFailure" when any */
};

/*
 * The AppInfo JSON of ra: the definition plus "version", "versionInfo",
 * the task counts, "deployments" and, per embed, "tasks" and
 * "lastTaskFailure". New reference.
 */
json_t *sched_api_apps_info(const struct sched *s, const struct sched_rapp *ra,
			    int embed);

#endif
