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

#include <jansson.h>

#include "lib/httpd.h"

struct sched;
struct sched_rapp;

/* Route table (STYLE B7); the arg is the struct sched. */
extern const struct httpd_route sched_api_apps_routes[];
extern const size_t sched_api_apps_nroutes;

enum sched_api_apps_embed {
	SCHED_EMBED_TASKS = 1 << 0,	  /* "tasks": [...] */
	SCHED_EMBED_FAILURE = 1 << 1,	  /* "lastTaskFailure" when any */
	SCHED_EMBED_COUNTS = 1 << 2,	  /* always on (0.5 clients) */
	SCHED_EMBED_DEPLOYMENTS = 1 << 3, /* always on */
	SCHED_EMBED_TASK_STATS = 1 << 4,  /* "taskStats" */
	SCHED_EMBED_READINESS = 1 << 5,	  /* "readinessCheckResults": [] */
};

/* The flags of one embed word after its "apps."/"app."/"group.apps."
 * prefix ("tasks", "counts", "deployments", "lastTaskFailure",
 * "failures", "taskStats", "readiness"); 0 when unknown. */
int sched_api_apps_embed_word(const char *w);

/*
 * The AppInfo JSON of ra: the definition plus "version", "versionInfo",
 * the task counts, "deployments" and, per embed, "tasks" and
 * "lastTaskFailure" (sched_api_info_app() writes it; this parses that
 * back, for replies built as trees). New reference.
 */
json_t *sched_api_apps_info(const struct sched *s, const struct sched_rapp *ra,
			    int embed);

#endif
