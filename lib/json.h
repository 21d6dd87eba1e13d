/*
 * json.h: jansson helpers. Pure (STYLE B28): no I/O, no globals.
 *
 * Reference rules: getters return borrowed references, valid while the
 * parent lives; json_parse_bounded() returns a new reference the caller
 * must json_decref(). The typed getters accept Marathon 0.5's habit of
 * sending numbers and booleans as strings ("instances": "1").
 * Each getter reports the JSON path of a bad field through struct cd_err.
 */
#ifndef CLUSTERD_LIB_JSON_H
#define CLUSTERD_LIB_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"

#define JSON_MAX_DEPTH 64

/*
 * Parse len bytes as one JSON value, refusing nesting deeper than
 * JSON_MAX_DEPTH and invalid UTF-8. Returns a new reference or NULL with
 * err set (-EBADMSG).
 */
json_t *json_parse_bounded(const char *data, size_t len, struct cd_err *err);

/*
 * Optional typed getters. Each returns 0 when the key is absent or null
 * (leaving *out untouched and *present false when present is not NULL),
 * 0 with *out set when the value is valid, and -EINVAL with err set (its
 * path is "<base>/<key>") when it has the wrong type.
 */
int json_opt_num(const json_t *obj, const char *key, const char *base,
		 double *out, bool *present, struct cd_err *err);
int json_opt_int(const json_t *obj, const char *key, const char *base,
		 long long *out, bool *present, struct cd_err *err);
int json_opt_bool(const json_t *obj, const char *key, const char *base,
		  bool *out, bool *present, struct cd_err *err);
/* *out is borrowed from obj. */
int json_opt_str(const json_t *obj, const char *key, const char *base,
		 const char **out, bool *present, struct cd_err *err);

/*
 * A field in whole seconds (Marathon's "intervalSeconds" and the like), as
 * milliseconds; dflt_s seconds when it is absent or not an integer.
 * Validation has already refused bad values; this only reads them.
 */
long json_secs_ms(const json_t *obj, const char *key, long dflt_s);

/* Serialise compactly into b (appending). Returns 0 or -ENOMEM. */
int json_dump_buf(const json_t *v, struct buf *b);
/* Serialise compactly; the caller frees the result. */
char *json_dump_str(const json_t *v);

/* Format a Unix time in milliseconds as ISO-8601 with milliseconds, "Z". */
void json_time_iso(long long ms, char out[32]);

#endif
