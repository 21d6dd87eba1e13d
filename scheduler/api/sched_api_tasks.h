/*
 * sched_api_tasks.h: the /v2/tasks resource: GET /v2/tasks
 * (?status=running|staging) and POST /v2/tasks/delete {"ids": [...]}
 * (?scale=true scales the apps down by the tasks killed). Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_API_SCHED_API_TASKS_H
#define CLUSTERD_SCHEDULER_API_SCHED_API_TASKS_H

#include <stddef.h>

#include "lib/httpd.h"

/* Route table (STYLE B7); the arg is the struct sched. */
extern const struct httpd_route sched_api_tasks_routes[];
extern const size_t sched_api_tasks_nroutes;

#endif
