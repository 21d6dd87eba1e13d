/*
 * sched_app_field.c: typed, path-reporting field helpers for the
 * AppDefinition check pass (see sched_app_field.h). Pure: no I/O, no
 * globals; any thread.
 */
#include "scheduler/app/sched_app_field.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/json.h"
#include "lib/xalloc.h"

int
sched_app_field_bad(struct cd_err *err, const char *path, const char *fmt, ...)
{
	char msg[CD_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	/* A truncated reason is still a useful reason. */
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return cd_err_setp(err, -EINVAL, path, "%s", msg);
}

/* jansson's iterators take json_t *; we only read through them. */
json_t *
sched_app_field_unconst(const json_t *j)
{
	return (json_t *)(uintptr_t)j;
}

void
sched_app_field_join(chk_path out, const char *base, const char *key)
{
	int n = snprintf(out, sizeof(chk_path), "%s/%s", base, key);

	if (n < 0 || (size_t)n >= sizeof(chk_path))
		out[sizeof(chk_path) - 1] = '\0'; /* still names the field */
}

void
sched_app_field_idx(chk_path out, const char *base, size_t i)
{
	int n = snprintf(out, sizeof(chk_path), "%s/%zu", base, i);

	if (n < 0 || (size_t)n >= sizeof(chk_path))
		out[sizeof(chk_path) - 1] = '\0';
}

/* A number in [min, max], def when absent. */
int
sched_app_field_num(const json_t *o, const char *key, const char *base,
		    double min, double max, double def, double *out,
		    struct cd_err *err)
{
	chk_path p;
	bool have = false;
	int rc;

	*out = def;
	if ((rc = json_opt_num(o, key, base, out, &have, err)) != 0 || !have)
		return rc;
	sched_app_field_join(p, base, key);
	if (*out < min)
		return sched_app_field_bad(
		    err, p, "must be greater than or equal to %g", min);
	if (*out > max)
		return sched_app_field_bad(
		    err, p, "must be less than or equal to %g", max);
	return 0;
}

int
sched_app_field_int(const json_t *o, const char *key, const char *base,
		    long long min, long long max, long long def, long long *out,
		    bool *present, struct cd_err *err)
{
	chk_path p;
	bool have = false;
	int rc;

	*out = def;
	if (present != NULL)
		*present = false;
	if ((rc = json_opt_int(o, key, base, out, &have, err)) != 0 || !have)
		return rc;
	sched_app_field_join(p, base, key);
	if (*out < min)
		return sched_app_field_bad(
		    err, p, "must be greater than or equal to %lld", min);
	if (*out > max)
		return sched_app_field_bad(
		    err, p, "must be less than or equal to %lld", max);
	if (present != NULL)
		*present = true;
	return 0;
}

/* Element i of array a as an integer in [min, max] (0.5 strings too). */
int
sched_app_field_elem_int(const json_t *a, size_t i, const char *base,
			 long long min, long long max, long long *out,
			 struct cd_err *err)
{
	char key[32];
	chk_path p;
	json_t *tmp, *v = json_array_get(a, i);
	int rc;

	(void)snprintf(key, sizeof key, "%zu", i);
	if (v == NULL || json_is_null(v)) {
		sched_app_field_join(p, base, key);
		return sched_app_field_bad(err, p, "error.expected.jsnumber");
	}
	tmp = json_pack("{s:O}", key, v);
	rc = sched_app_field_int(tmp, key, base, min, max, 0, out, NULL, err);
	json_decref(tmp);
	return rc;
}

/* Set key to a number in [min, max] (def when absent) as a real. */
int
sched_app_field_put_num(json_t *dst, const json_t *o, const char *key,
			const char *base, double min, double max, double def,
			struct cd_err *err)
{
	double d;
	int rc = sched_app_field_num(o, key, base, min, max, def, &d, err);

	if (rc == 0)
		json_object_set_new(dst, key, json_real(d));
	return rc;
}

int
sched_app_field_put_int(json_t *dst, const json_t *o, const char *key,
			const char *base, long long min, long long max,
			long long def, struct cd_err *err)
{
	long long v;
	int rc =
	    sched_app_field_int(o, key, base, min, max, def, &v, NULL, err);

	if (rc == 0)
		json_object_set_new(dst, key, json_integer(v));
	return rc;
}

int
sched_app_field_put_bool(json_t *dst, const json_t *o, const char *key,
			 const char *base, bool def, struct cd_err *err)
{
	bool b = def;
	int rc = json_opt_bool(o, key, base, &b, NULL, err);

	if (rc == 0)
		json_object_set_new(dst, key, json_boolean(b));
	return rc;
}

/* Copy an optional string; *s (may be NULL) gets it, borrowed from o. */
int
sched_app_field_put_str(json_t *dst, const json_t *o, const char *key,
			const char *base, bool nonempty, const char **s,
			struct cd_err *err)
{
	const char *v = NULL;
	chk_path p;
	int rc;

	if (s != NULL)
		*s = NULL;
	if ((rc = json_opt_str(o, key, base, &v, NULL, err)) != 0)
		return rc;
	if (v == NULL)
		return 0;
	sched_app_field_join(p, base, key);
	if (nonempty && v[0] == '\0')
		return sched_app_field_bad(err, p, "must not be empty");
	json_object_set_new(dst, key, json_string(v));
	if (s != NULL)
		*s = v;
	return 0;
}

/* One of the names in set; def (may be NULL) when absent. */
int
sched_app_field_enum(const json_t *o, const char *key, const char *base,
		     const char *const *set, size_t n, const char *def,
		     const char **out, struct cd_err *err)
{
	const char *v = def;
	chk_path p;
	size_t i;
	int rc;

	if ((rc = json_opt_str(o, key, base, &v, NULL, err)) != 0)
		return rc;
	*out = v;
	if (v == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(v, set[i]) == 0) {
			*out = set[i];
			return 0;
		}
	sched_app_field_join(p, base, key);
	return sched_app_field_bad(err, p, "error.expected.validenumvalue");
}

/* The value at key if it has the wanted type, NULL when absent or null. */
int
sched_app_field_typed(const json_t *o, const char *key, const char *base,
		      json_type type, const json_t **out, struct cd_err *err)
{
	const json_t *v = json_object_get(o, key);
	chk_path p;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_typeof(v) != type) {
		sched_app_field_join(p, base, key);
		return sched_app_field_bad(err, p,
					   type == JSON_ARRAY
					       ? "error.expected.jsarray"
					       : "error.expected.jsobject");
	}
	*out = v;
	return 0;
}

/* Whether s matches CHK_NAME_RE (port and network names). */
bool
sched_app_field_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

int
sched_app_field_put_name(json_t *dst, const json_t *o, const char *base,
			 const char **name, struct cd_err *err)
{
	chk_path p;
	int rc;

	if ((rc = sched_app_field_put_str(dst, o, "name", base, false, name,
					  err)) != 0)
		return rc;
	sched_app_field_join(p, base, "name");
	if (*name != NULL && !sched_app_field_name_ok(*name))
		return sched_app_field_bad(
		    err, p, "must fully match regular expression '%s'",
		    CHK_NAME_RE);
	return 0;
}

/* An object of string -> string (labels). */
int
sched_app_field_strmap(const json_t *m, const char *base, json_t **out,
		       struct cd_err *err)
{
	const char *k;
	json_t *v, *res = json_object();
	chk_path p;

	*out = NULL;
	json_object_foreach(sched_app_field_unconst(m), k, v) {
		sched_app_field_join(p, base, k);
		if (k[0] == '\0') {
			json_decref(res);
			return sched_app_field_bad(err, base,
						   "keys must not be empty");
		}
		if (!json_is_string(v)) {
			json_decref(res);
			return sched_app_field_bad(err, p,
						   "error.expected.jsstring");
		}
		json_object_set_new(res, k, json_string(json_string_value(v)));
	}
	*out = res;
	return 0;
}

/* Set key to the string map at o/key; omit_empty drops {} and absence. */
int
sched_app_field_put_strmap(json_t *dst, const json_t *o, const char *key,
			   const char *base, bool omit_empty,
			   struct cd_err *err)
{
	const json_t *m;
	json_t *res;
	chk_path p;
	int rc;

	if ((rc = sched_app_field_typed(o, key, base, JSON_OBJECT, &m, err)) !=
	    0)
		return rc;
	if (m == NULL) {
		if (!omit_empty)
			json_object_set_new(dst, key, json_object());
		return 0;
	}
	sched_app_field_join(p, base, key);
	if ((rc = sched_app_field_strmap(m, p, &res, err)) != 0)
		return rc;
	if (omit_empty && json_object_size(res) == 0)
		json_decref(res);
	else
		json_object_set_new(dst, key, res);
	return 0;
}

/* An array of strings; nonempty refuses "" items. */
int
sched_app_field_put_strarr(json_t *dst, const json_t *o, const char *key,
			   const char *base, bool nonempty, bool always,
			   struct cd_err *err)
{
	const json_t *a, *v;
	json_t *res;
	chk_path p, ip;
	size_t i;
	int rc;

	if ((rc = sched_app_field_typed(o, key, base, JSON_ARRAY, &a, err)) !=
	    0)
		return rc;
	if (a == NULL) {
		if (always)
			json_object_set_new(dst, key, json_array());
		return 0;
	}
	sched_app_field_join(p, base, key);
	res = json_array();
	json_array_foreach(a, i, v) {
		sched_app_field_idx(ip, p, i);
		if (!json_is_string(v)) {
			json_decref(res);
			return sched_app_field_bad(err, ip,
						   "error.expected.jsstring");
		}
		if (nonempty && json_string_length(v) == 0) {
			json_decref(res);
			return sched_app_field_bad(err, ip,
						   "must not be empty");
		}
		json_array_append_new(res, json_string(json_string_value(v)));
	}
	json_object_set_new(dst, key, res);
	return 0;
}
