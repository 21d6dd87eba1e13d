/*
 * sched_app_check.h: validation and normalisation of a Marathon
 * AppDefinition body (either era) into the canonical stored JSON form that
 * sched_app.c wraps. Split out of sched_app.c by subject (STYLE B5): this
 * file knows the schema, sched_app.c knows what the scheduler does with a
 * valid app. Pure (STYLE B28): no I/O, no globals.
 */
#ifndef CLUSTERD_SCHEDULER_APP_SCHED_APP_CHECK_H
#define CLUSTERD_SCHEDULER_APP_SCHED_APP_CHECK_H

#include <stdbool.h>

#include <jansson.h>

#include "lib/err.h"

/*
 * Resolve raw against base ("/" or an absolute parent path) into a
 * normalised absolute path id. allow_rel permits "." and ".." segments
 * (dependencies); app ids refuse them. errpath names the field for err.
 * Returns 0 and *out (caller frees) or -EINVAL with err.
 */
int sched_app_check_path(const char *raw, const char *base, bool allow_rel,
			 const char *errpath, char **out, struct cd_err *err);

/*
 * Validate body and build the canonical definition: every default filled,
 * 0.5 shapes converted, unknown fields dropped, keys in a fixed order.
 * path_id (may be NULL) wins over body "id". Returns 0 and *out (new
 * reference), -EBADMSG when body is not an object, or -EINVAL with err
 * (path and Marathon-style message). Idempotent: checking the canonical
 * form yields an equal canonical form.
 */
int sched_app_check(const json_t *body, const char *path_id, json_t **out,
		    struct cd_err *err);

#endif
