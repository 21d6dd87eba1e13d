/*
 * sched_api_info.h: the two large shapes of Marathon's REST API, AppInfo
 * and Task, streamed into a reply with lib/jw: GET /v2/apps (with
 * embed=apps.tasks: megabytes at ten thousand tasks), /v2/tasks, and the
 * single-app routes, which all write them through here so there is one
 * definition of each shape. Each app definition's serialised form is
 * cached per version (entries of replaced apps are dropped as the cache
 * fills). Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_API_SCHED_API_INFO_H
#define CLUSTERD_SCHEDULER_API_SCHED_API_INFO_H

#include <jansson.h>

struct jw;
struct sched;
struct sched_rapp;
struct sched_task;

/* What an AppInfo embeds beyond the definition and counts (embed=). */
enum sched_api_info_embed {
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
int sched_api_info_embed_word(const char *w);

/*
 * Write the AppInfo of ra: the definition (sched_app_to_json()) followed
 * by "versionInfo", "tasksStaged", "tasksRunning", "tasksHealthy",
 * "tasksUnhealthy", "deployments" and, per embed (a mask of enum
 * sched_api_info_embed), "tasks", "lastTaskFailure", "taskStats" and
 * "readinessCheckResults". The serialised definition is cached in ra
 * (def_text), hence not const.
 */
void sched_api_info_app(struct jw *w, const struct sched *s,
			struct sched_rapp *ra, int embed);
/* The same as a jansson tree (for replies built as trees). New reference. */
json_t *sched_api_info_app_json(const struct sched *s,
				const struct sched_rapp *ra, int embed);

/*
 * Write the Marathon Task of t: "id", "appId", "host", "ipAddresses",
 * "ports", "servicePorts" (its app's), "slaveId", "stagedAt", "startedAt"
 * once started, "state", "version", "localVolumes", "role" and, when its
 * app has health checks, "healthCheckResults".
 */
void sched_api_info_task(struct jw *w, const struct sched *s,
			 const struct sched_task *t);

#endif
