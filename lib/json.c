/*
 * json.c: typed, path-reporting accessors over jansson, and a bounded
 * parser. Pure: no I/O, no globals; safe for fuzzing.
 */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xalloc.h"

/* Reject nesting beyond JSON_MAX_DEPTH before jansson recurses into it. */
static int
json_depth_ok(const char *p, size_t len)
{
	size_t i;
	int depth = 0, in_str = 0, esc = 0;

	for (i = 0; i < len; i++) {
		char c = p[i];

		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '{' || c == '[') {
			if (++depth > JSON_MAX_DEPTH)
				return 0;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return 1;
}

json_t *
json_parse_bounded(const char *data, size_t len, struct cd_err *err)
{
	json_error_t jerr;
	json_t *v;

	if (len == 0 || data == NULL) {
		cd_err_set(err, -EBADMSG, "empty body where JSON was expected");
		return NULL;
	}
	if (!json_depth_ok(data, len)) {
		cd_err_set(err, -EBADMSG, "JSON nested deeper than %d levels",
			   JSON_MAX_DEPTH);
		return NULL;
	}
	v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL) {
		cd_err_set(err, -EBADMSG,
			   "invalid JSON at line %d column %d: %s", jerr.line,
			   jerr.column, jerr.text);
		return NULL;
	}
	return v;
}

static void
json_path(char *out, size_t n, const char *base, const char *key)
{
	int r = snprintf(out, n, "%s/%s", base ? base : "", key);

	if (r < 0 || (size_t)r >= n)
		out[n - 1] = '\0';
}

static int
json_bad(struct cd_err *err, const char *base, const char *key,
	 const char *what)
{
	char path[CD_ERR_PATH_LEN];

	json_path(path, sizeof path, base, key);
	return cd_err_setp(err, -EINVAL, path, "%s", what);
}

static int
json_str_to_num(const char *s, double *out)
{
	char *end;
	double d;

	while (*s == ' ')
		s++;
	if (*s == '\0')
		return -1;
	errno = 0;
	d = strtod(s, &end);
	while (*end == ' ')
		end++;
	if (errno != 0 || *end != '\0' || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

int
json_opt_num(const json_t *obj, const char *key, const char *base, double *out,
	     bool *present, struct cd_err *err)
{
	json_t *v = json_object_get(obj, key);
	double d;

	if (present != NULL)
		*present = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_number(v))
		d = json_number_value(v);
	else if (json_is_string(v)) {
		if (json_str_to_num(json_string_value(v), &d) != 0)
			return json_bad(err, base, key,
					"error.expected.jsnumber");
	} else
		return json_bad(err, base, key, "error.expected.jsnumber");
	*out = d;
	if (present != NULL)
		*present = true;
	return 0;
}

int
json_opt_int(const json_t *obj, const char *key, const char *base,
	     long long *out, bool *present, struct cd_err *err)
{
	double d = 0;
	bool have = false;
	int rc;

	if (present != NULL)
		*present = false;
	rc = json_opt_num(obj, key, base, &d, &have, err);
	if (rc != 0 || !have)
		return rc;
	if (d != floor(d) || d > 9e15 || d < -9e15)
		return json_bad(err, base, key, "error.expected.jsnumber");
	*out = (long long)d;
	if (present != NULL)
		*present = true;
	return 0;
}

int
json_opt_bool(const json_t *obj, const char *key, const char *base, bool *out,
	      bool *present, struct cd_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (present != NULL)
		*present = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_boolean(v))
		*out = json_is_true(v);
	else if (json_is_string(v) && strcmp(json_string_value(v), "true") == 0)
		*out = true;
	else if (json_is_string(v) &&
		 strcmp(json_string_value(v), "false") == 0)
		*out = false;
	else
		return json_bad(err, base, key, "error.expected.jsboolean");
	if (present != NULL)
		*present = true;
	return 0;
}

int
json_opt_str(const json_t *obj, const char *key, const char *base,
	     const char **out, bool *present, struct cd_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (present != NULL)
		*present = false;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return json_bad(err, base, key, "error.expected.jsstring");
	*out = json_string_value(v);
	if (present != NULL)
		*present = true;
	return 0;
}

static int
json_buf_cb(const char *p, size_t n, void *arg)
{
	buf_append(arg, p, n);
	return 0;
}

int
json_dump_buf(const json_t *v, struct buf *b)
{
	if (json_dump_callback(v, json_buf_cb, b,
			       JSON_COMPACT | JSON_ENCODE_ANY |
				   JSON_REAL_PRECISION(15)) != 0)
		return -ENOMEM;
	return 0;
}

char *
json_dump_str(const json_t *v)
{
	struct buf b = BUF_INIT;

	if (json_dump_buf(v, &b) != 0)
		cd_assert_fail("json_dump_buf", __FILE__, __LINE__);
	return buf_detach(&b, NULL);
}

long
json_secs_ms(const json_t *obj, const char *key, long dflt_s)
{
	const json_t *v = json_object_get(obj, key);

	return (json_is_integer(v) ? (long)json_integer_value(v) : dflt_s) *
	       1000L;
}

void
json_time_iso(long long ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	int n;

	gmtime_r(&t, &tm);
	n = snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	if (n < 0 || n >= 32)
		out[0] = '\0';
}
