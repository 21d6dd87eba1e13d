/*
 * sched_api_label.h: Marathon's label selector (GET /v2/apps?label=).
 * Pure; any thread.
 */
#ifndef CLUSTERD_SCHEDULER_API_SCHED_API_LABEL_H
#define CLUSTERD_SCHEDULER_API_SCHED_API_LABEL_H

#include <stdbool.h>

#include <jansson.h>

/*
 * Whether labels (an object of strings) satisfy every term of sel, a
 * comma-separated list of "k" (exists), "!k" (absent), "k==v", "k!=v",
 * "k in (a,b)" and "k notin (a,b)"; a backslash escapes a character.
 */
bool sched_api_label_match(const json_t *labels, const char *sel);

#endif
