/*
 * id.h: generating and validating ids: UUIDs (v4, from getrandom),
 * master ids, agent ids "<master-id>-S<n>", offer ids, and task ids in
 * Marathon's "<app path with / as _>.<uuid>" form.
 */
#ifndef CLUSTERD_LIB_ID_H
#define CLUSTERD_LIB_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ID_UUID_LEN 37 /* 36 characters and the NUL */

/* A random v4 UUID, lowercase with dashes. */
void id_uuid(char out[ID_UUID_LEN]);
/* "/prod/web" -> "prod_web.<uuid>"; the caller frees the result. */
char *id_task_new(const char *app_id);
/* The app id of a Marathon task id ("prod_web.<uuid>" -> "/prod/web"),
 * caller frees; NULL when the id has no '.'. */
char *id_task_app(const char *task_id);
/* Whether s is a safe id: [A-Za-z0-9._-], 1..200 characters. */
bool id_valid(const char *s);
/*
 * Whether got is exactly expected, in time that depends on the length of
 * expected only, never on where the two differ: for secrets and tokens
 * that a peer presents. got may be NULL (false).
 */
bool id_secret_equal(const char *expected, const char *got);
/* FNV-1a (64-bit) of a NUL-terminated id, for the hash tables keyed by id. */
uint64_t id_hash(const char *s);

#endif
