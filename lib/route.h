/*
 * route.h: HTTP path patterns and query strings. Pure (STYLE B28): no I/O,
 * no loop, no globals; every function may be called from any thread that
 * owns its arguments.
 *
 * A pattern is a '/'-separated list of segments:
 *   "v2"      a literal, compared with the decoded path segment;
 *   ":name"   exactly one segment, captured as parameter "name";
 *   "*name"   one or more segments, captured joined by '/'. Matching
 *             backtracks, longest capture first, so the pattern with
 *             segments "v2" "apps" "*id" "tasks" matches the path
 *             "/v2/apps/a/b/tasks" with id = "a/b".
 * Paths are split on '/' before percent-decoding (so "%2F" stays inside
 * its segment), empty segments are ignored (a trailing slash and "//" do
 * not matter), and each segment is percent-decoded. '+' is literal in a
 * path and a space in a query string.
 */
#ifndef CLUSTERD_LIB_ROUTE_H
#define CLUSTERD_LIB_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "compat.h"

#define ROUTE_MAX_SEGS 64   /* longer paths are refused (-E2BIG) */
#define ROUTE_MAX_PARAMS 8  /* pattern parameters captured per match */
#define ROUTE_MAX_QUERY 256 /* key=value pairs in one query string */

/* A path split into decoded segments. */
struct route_path {
	char **seg; /* owned: n decoded, NUL-terminated segments */
	size_t n;
};

struct route_kv {
	char *key; /* owned */
	char *val; /* owned; "" when the pair had no '=' */
};

/* Parameters captured by route_match(), in pattern order. */
struct route_params {
	size_t n;
	struct route_kv p[ROUTE_MAX_PARAMS];
};

/* Decoded query pairs, in the order they appeared. */
struct route_query {
	size_t n;
	struct route_kv *kv; /* owned: n pairs */
};

/*
 * Percent-decode n bytes of s into a new NUL-terminated string (*out,
 * caller frees). plus_is_space turns '+' into ' ' (query strings).
 * Returns 0, or -EINVAL for a truncated or non-hex escape or for "%00"
 * (a NUL would silently cut the string); *out is then NULL.
 */
int route_decode(const char *s, size_t n, bool plus_is_space, char **out);
/*
 * Append s to out percent-encoded for a path segment or a query value:
 * every byte but RFC 3986's unreserved ones (A-Z a-z 0-9 - . _ ~) becomes
 * %XX. The inverse of route_decode().
 */
void route_encode(struct buf *out, const char *s);

/*
 * Split and decode an absolute path (no query string) into out, which
 * the caller releases with route_path_release() (also after an error).
 * Returns 0, -EINVAL (not starting with '/', bad escape, %00), or -E2BIG
 * (more than ROUTE_MAX_SEGS segments).
 */
int route_path_parse(const char *path, struct route_path *out);
void route_path_release(struct route_path *p);

/*
 * true when pattern matches path. When out is not NULL and the match
 * succeeds, out is filled with owned copies (release with
 * route_params_release()); out is left empty on no match. A malformed
 * pattern (empty parameter name, too many segments or parameters) never
 * matches.
 */
bool route_match(const char *pattern, const struct route_path *path,
		 struct route_params *out);
/* The value of parameter name, borrowed from ps, or NULL. */
const char *route_params_get(const struct route_params *ps, const char *name);
void route_params_init(struct route_params *ps);
void route_params_release(struct route_params *ps);

/*
 * Parse a raw query string ("a=1&b=x+y&c", without the '?'; NULL or ""
 * gives no pairs) into out; release with route_query_release() (also
 * after an error). Empty pairs ("a=1&&b") and pairs with an empty key
 * ("=x") are skipped. Returns 0, -EINVAL (bad escape, %00) or -E2BIG
 * (more than ROUTE_MAX_QUERY pairs).
 */
int route_query_parse(const char *qs, struct route_query *out);
void route_query_release(struct route_query *q);
/* The first value for key, borrowed from q, or NULL when absent. */
const char *route_query_get(const struct route_query *q, const char *key);
/*
 * Repeated keys ("embed=a&embed=b"): returns the next value for key at or
 * after index *pos and advances *pos past it; NULL when there is none.
 * Start with *pos = 0.
 */
const char *route_query_next(const struct route_query *q, const char *key,
			     size_t *pos);

#endif
