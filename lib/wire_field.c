/*
 * wire_field.c: the engine lib/wire's messages are written with (see
 * wire_int.h): typed getters that check every type, bound and id and
 * report the JSON path of the first bad field, and the field tables that
 * decode, encode, free and copy the plain members of a message struct.
 * wire.c keeps the messages and what their tables cannot say. A leaf
 * under wire.c: it calls nothing there. Pure (STYLE B28): no I/O, no
 * globals, any thread; fuzzed through tests/fuzz/fuzz_wire.c.
 */
#include "wire_int.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "id.h"
#include "json.h"
#include "resources.h"
#include "wire.h"
#include "xalloc.h"

#define W_AT(m, f) ((void *)((char *)(m) + (f)->off))
#define W_CAT(m, f) ((const void *)((const char *)(m) + (f)->off))

/* ---- decoding helpers ---- */

void
wire_field_path(char out[CD_ERR_PATH_LEN], const char *base, const char *key)
{
	int n = snprintf(out, CD_ERR_PATH_LEN, "%s/%s", base, key);

	if (n < 0 || n >= CD_ERR_PATH_LEN)
		out[CD_ERR_PATH_LEN - 1] = '\0';
}

int CD_PRINTF(4, 5) wire_field_fail(struct cd_err *err, const char *base,
				    const char *key, const char *fmt, ...)
{
	char path[CD_ERR_PATH_LEN];
	char msg[CD_ERR_LEN];
	va_list ap;
	int n;

	wire_field_path(path, base, key);
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg[0] = '\0';
	return cd_err_setp(err, -EINVAL, path, "%s", msg);
}

/* err came from a decoder that knows only paths below base/key. */
static int
wire_field_reprefix(struct cd_err *err, const char *base, const char *key)
{
	char path[CD_ERR_PATH_LEN];
	int n;

	if (err == NULL)
		return -EINVAL;
	n = snprintf(path, sizeof path, "%s/%s%s", base, key, err->path);
	if (n < 0 || (size_t)n >= sizeof path)
		path[sizeof path - 1] = '\0';
	memcpy(err->path, path, sizeof path);
	err->code = -EINVAL;
	return -EINVAL;
}

bool
wire_field_token_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 255)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

int
wire_field_str(const json_t *o, const char *base, const char *key,
	       unsigned flags, char **out, struct cd_err *err)
{
	const char *s = NULL;
	bool have = false;

	if (json_opt_str(o, key, base, &s, &have, err) != 0)
		return -EINVAL;
	if (!have) {
		if (flags & W_REQ)
			return wire_field_fail(err, base, key, "missing");
		if (flags & W_EMPTY)
			*out = xstrdup("");
		return 0;
	}
	if ((flags & W_ID) && !id_valid(s))
		return wire_field_fail(
		    err, base, key,
		    "not a valid id ([A-Za-z0-9._-], 1 to 200 characters)");
	if ((flags & W_TOKEN) && !wire_field_token_ok(s))
		return wire_field_fail(
		    err, base, key,
		    "must be 1 to 255 characters without spaces");
	*out = xstrdup(s);
	return 0;
}

static int
wire_field_int(const json_t *o, const char *base, const char *key,
	       bool required, long long min, long long max, long long *out,
	       struct cd_err *err)
{
	long long v = 0;
	bool have = false;

	if (json_opt_int(o, key, base, &v, &have, err) != 0)
		return -EINVAL;
	if (!have) {
		if (required)
			return wire_field_fail(err, base, key, "missing");
		return 0;
	}
	if (v < min || v > max)
		return wire_field_fail(
		    err, base, key, "must be between %lld and %lld", min, max);
	*out = v;
	return 0;
}

/* Check a JSON value of the given kind; path is base/key. */
static int
wire_field_check_kind(const json_t *v, enum wire_field_kind kind,
		      const char *base, const char *key, struct cd_err *err)
{
	const char *k;
	json_t *e;
	size_t i;

	switch (kind) {
	case W_OBJECT:
		if (!json_is_object(v))
			return wire_field_fail(err, base, key,
					       "must be an object");
		return 0;
	case W_ARRAY:
		if (!json_is_array(v))
			return wire_field_fail(err, base, key,
					       "must be an array");
		return 0;
	case W_STRMAP:
		if (!json_is_object(v))
			return wire_field_fail(err, base, key,
					       "must be an object");
		json_object_foreach((json_t *)(uintptr_t)v, k, e)
			if (!json_is_string(e))
				return wire_field_fail(err, base, key,
						       "value of '%.40s' "
						       "must be a string",
						       k);
		return 0;
	case W_STRARR:
	case W_IDARR:
		if (!json_is_array(v))
			return wire_field_fail(err, base, key,
					       "must be an array");
		json_array_foreach(v, i, e) {
			if (!json_is_string(e))
				return wire_field_fail(
				    err, base, key, "item %zu must be a string",
				    i);
			if (kind == W_IDARR && !id_valid(json_string_value(e)))
				return wire_field_fail(
				    err, base, key,
				    "item %zu is not a valid id", i);
		}
		return 0;
	}
	return wire_field_fail(err, base, key, "internal: bad kind");
}

/* A new reference to o[key] after checking it; *out stays NULL when absent
 * unless dflt is set, in which case it is an empty object/array. */
static int
wire_field_json(const json_t *o, const char *base, const char *key,
		enum wire_field_kind kind, bool dflt, json_t **out,
		struct cd_err *err)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		if (dflt)
			*out = kind == W_STRMAP || kind == W_OBJECT
				   ? json_object()
				   : json_array();
		return 0;
	}
	if (wire_field_check_kind(v, kind, base, key, err) != 0)
		return -EINVAL;
	*out = json_incref(v);
	return 0;
}

int
wire_field_res(const json_t *o, const char *base, const char *key,
	       const char *alias, struct resources *out, struct cd_err *err)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL && alias != NULL && json_object_get(o, alias) != NULL) {
		key = alias;
		v = json_object_get(o, alias);
	}
	if (v == NULL || json_is_null(v))
		return wire_field_fail(err, base, key, "missing");
	if (res_from_json(v, out, err) != 0)
		return wire_field_reprefix(err, base, key);
	return 0;
}

int
wire_field_object(const json_t *j, const char *base, struct cd_err *err)
{
	if (!json_is_object(j))
		return cd_err_setp(err, -EINVAL, base, "must be an object");
	return 0;
}

/* Top-level messages: an object with "protocol": WIRE_PROTOCOL. */
int
wire_field_top(const json_t *j, struct cd_err *err)
{
	long long p = 0;

	if (wire_field_object(j, "", err) != 0)
		return -EINVAL;
	if (wire_field_int(j, "", "protocol", true, LLONG_MIN, LLONG_MAX, &p,
			   err) != 0)
		return -EINVAL;
	if (p != WIRE_PROTOCOL)
		return wire_field_fail(
		    err, "", "protocol",
		    "unsupported protocol %lld (this build speaks %d)", p,
		    WIRE_PROTOCOL);
	return 0;
}

/* Nested object o[key]; returns it borrowed, or NULL with err set. */
const json_t *
wire_field_child(const json_t *o, const char *base, const char *key,
		 struct cd_err *err)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		wire_field_fail(err, base, key, "missing");
		return NULL;
	}
	if (!json_is_object(v)) {
		wire_field_fail(err, base, key, "must be an object");
		return NULL;
	}
	return v;
}

/* ---- encoding helpers ---- */

json_t *
wire_field_new_top(void)
{
	return json_pack("{s:i}", "protocol", WIRE_PROTOCOL);
}

int
wire_field_dec(const json_t *j, const char *base, const struct wire_field *f,
	       size_t n, void *m, struct cd_err *err)
{
	long long v;
	bool b;
	size_t i;

	for (i = 0; i < n; i++, f++) {
		switch (f->type) {
		case W_T_BOOL:
			b = false;
			if (json_opt_bool(j, f->key, base, &b, NULL, err) != 0)
				return -EINVAL;
			*(int *)W_AT(m, f) = b ? 1 : 0;
			break;
		case W_T_STR:
			if (wire_field_str(j, base, f->key, f->flags,
					   W_AT(m, f), err))
				return -EINVAL;
			break;
		case W_T_JSON:
			if (wire_field_json(j, base, f->key, f->kind,
					    f->flags & W_EMPTY, W_AT(m, f),
					    err) != 0)
				return -EINVAL;
			break;
		case W_T_I32:
		case W_T_I64:
			v = 0;
			if (wire_field_int(j, base, f->key, f->flags & W_REQ,
					   f->min, f->max, &v, err) != 0)
				return -EINVAL;
			if (f->type == W_T_I32)
				*(int *)W_AT(m, f) = (int)v;
			else
				*(long long *)W_AT(m, f) = v;
			break;
		}
	}
	return 0;
}

void
wire_field_enc(json_t *o, const struct wire_field *f, size_t n, const void *m)
{
	const void *p;
	size_t i;

	for (i = 0; i < n; i++, f++) {
		p = W_CAT(m, f);
		if (f->type == W_T_BOOL) {
			if (*(const int *)p)
				json_object_set_new(o, f->key, json_true());
		} else if (f->type == W_T_I32)
			json_object_set_new(o, f->key,
					    json_integer(*(const int *)p));
		else if (f->type == W_T_I64)
			json_object_set_new(
			    o, f->key, json_integer(*(const long long *)p));
		else if (*(void *const *)p == NULL)
			continue;
		else if (f->type == W_T_JSON)
			json_object_set(o, f->key, *(json_t *const *)p);
		else
			json_object_set_new(
			    o, f->key, json_string(*(const char *const *)p));
	}
}

void
wire_field_free(const struct wire_field *f, size_t n, void *m)
{
	size_t i;

	for (i = 0; i < n; i++, f++) {
		if (f->type == W_T_JSON) {
			json_decref(*(json_t **)W_AT(m, f));
			*(json_t **)W_AT(m, f) = NULL;
		} else if (f->type == W_T_STR) {
			free(*(char **)W_AT(m, f));
			*(char **)W_AT(m, f) = NULL;
		}
	}
}

/* dst is a bitwise copy of src; replace its owned members with copies. */
void
wire_field_copy(const struct wire_field *f, size_t n, void *dst)
{
	json_t **jp;
	char **sp;
	size_t i;

	for (i = 0; i < n; i++, f++) {
		if (f->type == W_T_JSON) {
			jp = W_AT(dst, f);
			if (*jp != NULL)
				*jp = json_deep_copy(*jp);
		} else if (f->type == W_T_STR) {
			sp = W_AT(dst, f);
			if (*sp != NULL)
				*sp = xstrdup(*sp);
		}
	}
}

void
wire_field_share(const struct wire_field *f, size_t n, void *dst)
{
	char **sp;
	size_t i;

	for (i = 0; i < n; i++, f++) {
		if (f->type == W_T_JSON) {
			json_incref(*(json_t **)W_AT(dst, f));
		} else if (f->type == W_T_STR) {
			sp = W_AT(dst, f);
			if (*sp != NULL)
				*sp = xstrdup(*sp);
		}
	}
}

/* The common shape of top-level messages made only of table fields. */
json_t *
wire_field_msg_enc(const struct wire_field *f, size_t n, const void *m)
{
	json_t *o = wire_field_new_top();

	wire_field_enc(o, f, n, m);
	return o;
}

int
wire_field_msg_dec(const json_t *j, const struct wire_field *f, size_t n,
		   void *m, size_t size, struct cd_err *err)
{
	memset(m, 0, size);
	if (wire_field_top(j, err) != 0 ||
	    wire_field_dec(j, "", f, n, m, err) != 0) {
		wire_field_free(f, n, m);
		memset(m, 0, size);
		return -EINVAL;
	}
	return 0;
}
