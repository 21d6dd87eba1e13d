/*
 * wire.c: JSON encoders and validating decoders for the agent <-> master
 * protocol (SPEC section 3). Pure (STYLE B28): no I/O, no globals; any
 * thread, fuzzed by tests/fuzz/fuzz_wire.c.
 *
 * JSON shape: keys are the snake_case struct field names, with two
 * exceptions: resources are written under "resources" (struct fields
 * "total" and "res"; those names are accepted as aliases on decode), and
 * wire_register.reregister is a JSON boolean. Optional strings that are
 * NULL are omitted. Only the top-level messages carry "protocol"; nested
 * agent/task/status objects do not need it.
 *
 * Decoders:
 *   - check every type and bound, and that ids (task, framework, agent,
 *     master, status uuid) pass id_valid(), so handlers can trust them;
 *   - report the JSON path of the first bad field in err->path
 *     ("/task/resources/cpus", "/tasks/3/state");
 *   - ignore unknown keys (a newer peer may add fields);
 *   - on failure release everything they filled: the caller never calls
 *     release after a failed decode. Decoders hold new references to the
 *     input's sub-objects (env, container, ...) rather than copies.
 *   - strings the struct documents as never NULL (app_id, version, name)
 *     default to "" and env/labels/uris to {}/{}/[] when absent.
 */
#include "wire.h"

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
#include "xalloc.h"

#define W_MAX_MS 86400000LL /* a day: bound for grace periods and pings */

enum w_str_flags {
	W_REQ = 1 << 0,	  /* must be present */
	W_ID = 1 << 1,	  /* must pass id_valid() (implies non-empty) */
	W_TOKEN = 1 << 2, /* non-empty, <= 255 bytes, no spaces or controls */
	W_EMPTY = 1 << 3, /* absent -> "" (or {} / []) rather than NULL */
};

enum w_json_kind {
	W_STRMAP, /* object of string -> string */
	W_STRARR, /* array of strings */
	W_IDARR,  /* array of valid ids */
	W_OBJECT, /* any object */
	W_ARRAY,  /* any array */
};

/* ---- decoding helpers ---- */

static void
w_path(char out[CD_ERR_PATH_LEN], const char *base, const char *key)
{
	int n = snprintf(out, CD_ERR_PATH_LEN, "%s/%s", base, key);

	if (n < 0 || n >= CD_ERR_PATH_LEN)
		out[CD_ERR_PATH_LEN - 1] = '\0';
}

static int CD_PRINTF(4, 5) w_fail(struct cd_err *err, const char *base,
				  const char *key, const char *fmt, ...)
{
	char path[CD_ERR_PATH_LEN];
	char msg[CD_ERR_LEN];
	va_list ap;
	int n;

	w_path(path, base, key);
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg[0] = '\0';
	return cd_err_setp(err, -EINVAL, path, "%s", msg);
}

/* err came from a decoder that knows only paths below base/key. */
static int
w_reprefix(struct cd_err *err, const char *base, const char *key)
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

static bool
w_token_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 255)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static int
w_str(const json_t *o, const char *base, const char *key, unsigned flags,
      char **out, struct cd_err *err)
{
	const char *s = NULL;
	bool have = false;

	if (json_opt_str(o, key, base, &s, &have, err) != 0)
		return -EINVAL;
	if (!have) {
		if (flags & W_REQ)
			return w_fail(err, base, key, "missing");
		if (flags & W_EMPTY)
			*out = xstrdup("");
		return 0;
	}
	if ((flags & W_ID) && !id_valid(s))
		return w_fail(
		    err, base, key,
		    "not a valid id ([A-Za-z0-9._-], 1 to 200 characters)");
	if ((flags & W_TOKEN) && !w_token_ok(s))
		return w_fail(err, base, key,
			      "must be 1 to 255 characters without spaces");
	*out = xstrdup(s);
	return 0;
}

static int
w_int(const json_t *o, const char *base, const char *key, bool required,
      long long min, long long max, long long *out, struct cd_err *err)
{
	long long v = 0;
	bool have = false;

	if (json_opt_int(o, key, base, &v, &have, err) != 0)
		return -EINVAL;
	if (!have) {
		if (required)
			return w_fail(err, base, key, "missing");
		return 0;
	}
	if (v < min || v > max)
		return w_fail(err, base, key, "must be between %lld and %lld",
			      min, max);
	*out = v;
	return 0;
}

/* Check a JSON value of the given kind; path is base/key. */
static int
w_check_kind(const json_t *v, enum w_json_kind kind, const char *base,
	     const char *key, struct cd_err *err)
{
	const char *k;
	json_t *e;
	size_t i;

	switch (kind) {
	case W_OBJECT:
		if (!json_is_object(v))
			return w_fail(err, base, key, "must be an object");
		return 0;
	case W_ARRAY:
		if (!json_is_array(v))
			return w_fail(err, base, key, "must be an array");
		return 0;
	case W_STRMAP:
		if (!json_is_object(v))
			return w_fail(err, base, key, "must be an object");
		json_object_foreach((json_t *)(uintptr_t)v, k, e)
			if (!json_is_string(e))
				return w_fail(err, base, key,
					      "value of '%.40s' "
					      "must be a string",
					      k);
		return 0;
	case W_STRARR:
	case W_IDARR:
		if (!json_is_array(v))
			return w_fail(err, base, key, "must be an array");
		json_array_foreach(v, i, e) {
			if (!json_is_string(e))
				return w_fail(err, base, key,
					      "item %zu must be a string", i);
			if (kind == W_IDARR && !id_valid(json_string_value(e)))
				return w_fail(err, base, key,
					      "item %zu is not a valid id", i);
		}
		return 0;
	}
	return w_fail(err, base, key, "internal: bad kind");
}

/* A new reference to o[key] after checking it; *out stays NULL when absent
 * unless dflt is set, in which case it is an empty object/array. */
static int
w_json(const json_t *o, const char *base, const char *key,
       enum w_json_kind kind, bool dflt, json_t **out, struct cd_err *err)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		if (dflt)
			*out = kind == W_STRMAP || kind == W_OBJECT
				   ? json_object()
				   : json_array();
		return 0;
	}
	if (w_check_kind(v, kind, base, key, err) != 0)
		return -EINVAL;
	*out = json_incref(v);
	return 0;
}

static int
w_res(const json_t *o, const char *base, const char *key, const char *alias,
      struct resources *out, struct cd_err *err)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL && alias != NULL && json_object_get(o, alias) != NULL) {
		key = alias;
		v = json_object_get(o, alias);
	}
	if (v == NULL || json_is_null(v))
		return w_fail(err, base, key, "missing");
	if (res_from_json(v, out, err) != 0)
		return w_reprefix(err, base, key);
	return 0;
}

static int
w_object(const json_t *j, const char *base, struct cd_err *err)
{
	if (!json_is_object(j))
		return cd_err_setp(err, -EINVAL, base, "must be an object");
	return 0;
}

/* Top-level messages: an object with "protocol": WIRE_PROTOCOL. */
static int
w_top(const json_t *j, struct cd_err *err)
{
	long long p = 0;

	if (w_object(j, "", err) != 0)
		return -EINVAL;
	if (w_int(j, "", "protocol", true, LLONG_MIN, LLONG_MAX, &p, err) != 0)
		return -EINVAL;
	if (p != WIRE_PROTOCOL)
		return w_fail(
		    err, "", "protocol",
		    "unsupported protocol %lld (this build speaks %d)", p,
		    WIRE_PROTOCOL);
	return 0;
}

/* Nested object o[key]; returns it borrowed, or NULL with err set. */
static const json_t *
w_child(const json_t *o, const char *base, const char *key, struct cd_err *err)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		w_fail(err, base, key, "missing");
		return NULL;
	}
	if (!json_is_object(v)) {
		w_fail(err, base, key, "must be an object");
		return NULL;
	}
	return v;
}

/* ---- encoding helpers ---- */

static json_t *
w_new_top(void)
{
	return json_pack("{s:i}", "protocol", WIRE_PROTOCOL);
}

/* ---- field tables: the plain members of each struct ---- */

enum w_type {
	W_T_STR,  /* char * */
	W_T_JSON, /* json_t *, checked against kind */
	W_T_I32,  /* int in [min, max] */
	W_T_I64,  /* long long in [min, max] */
	W_T_BOOL, /* int 0/1 as a JSON boolean; absent is 0 */
};

struct w_field {
	const char *key;
	size_t off; /* offsetof the member */
	enum w_type type;
	unsigned flags;	       /* enum w_str_flags */
	enum w_json_kind kind; /* W_T_JSON */
	long long min, max;    /* W_T_I32, W_T_I64 */
};

#define W_S(t, f, fl)                                                          \
	{                                                                      \
#f, offsetof(struct t, f), W_T_STR, (fl), 0, 0, 0              \
	}
#define W_J(t, f, k, fl)                                                       \
	{                                                                      \
#f, offsetof(struct t, f), W_T_JSON, (fl), (k), 0, 0           \
	}
#define W_I(t, f, fl, lo, hi)                                                  \
	{                                                                      \
#f, offsetof(struct t, f), W_T_I32, (fl), 0, (lo), (hi)        \
	}
#define W_L(t, f, fl, lo, hi)                                                  \
	{                                                                      \
#f, offsetof(struct t, f), W_T_I64, (fl), 0, (lo), (hi)        \
	}
#define W_B(t, f)                                                              \
	{                                                                      \
#f, offsetof(struct t, f), W_T_BOOL, 0, 0, 0, 0                \
	}
#define W_NF(t) CD_NELEM(t)
#define W_AT(m, f) ((void *)((char *)(m) + (f)->off))
#define W_CAT(m, f) ((const void *)((const char *)(m) + (f)->off))

static int
w_fields_dec(const json_t *j, const char *base, const struct w_field *f,
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
			if (w_str(j, base, f->key, f->flags, W_AT(m, f), err))
				return -EINVAL;
			break;
		case W_T_JSON:
			if (w_json(j, base, f->key, f->kind, f->flags & W_EMPTY,
				   W_AT(m, f), err) != 0)
				return -EINVAL;
			break;
		case W_T_I32:
		case W_T_I64:
			v = 0;
			if (w_int(j, base, f->key, f->flags & W_REQ, f->min,
				  f->max, &v, err) != 0)
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

static void
w_fields_enc(json_t *o, const struct w_field *f, size_t n, const void *m)
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

static void
w_fields_free(const struct w_field *f, size_t n, void *m)
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
static void
w_fields_copy(const struct w_field *f, size_t n, void *dst)
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

/* The common shape of top-level messages made only of table fields. */
static json_t *
w_msg_enc(const struct w_field *f, size_t n, const void *m)
{
	json_t *o = w_new_top();

	w_fields_enc(o, f, n, m);
	return o;
}

static int
w_msg_dec(const json_t *j, const struct w_field *f, size_t n, void *m,
	  size_t size, struct cd_err *err)
{
	memset(m, 0, size);
	if (w_top(j, err) != 0 || w_fields_dec(j, "", f, n, m, err) != 0) {
		w_fields_free(f, n, m);
		memset(m, 0, size);
		return -EINVAL;
	}
	return 0;
}

/* ---- wire_agent_info ---- */

static const struct w_field agent_fields[] = {
    W_S(wire_agent_info, id, 0),
    W_S(wire_agent_info, hostname, W_REQ | W_TOKEN),
    W_S(wire_agent_info, ip, W_REQ | W_TOKEN),
    W_I(wire_agent_info, port, W_REQ, 1, 65535),
    W_J(wire_agent_info, attributes, W_STRMAP, W_EMPTY),
};

json_t *
wire_agent_info_encode(const struct wire_agent_info *m)
{
	json_t *o = json_object();

	w_fields_enc(o, agent_fields, W_NF(agent_fields), m);
	json_object_set_new(o, "resources", res_to_json(&m->total));
	return o;
}

static int
wire_agent_info_dec(const json_t *j, const char *base,
		    struct wire_agent_info *m, struct cd_err *err)
{
	memset(m, 0, sizeof *m);
	if (w_object(j, base, err) != 0 ||
	    w_fields_dec(j, base, agent_fields, W_NF(agent_fields), m, err) !=
		0 ||
	    (m->id != NULL && m->id[0] != '\0' && !id_valid(m->id) &&
	     w_fail(err, base, "id", "not a valid id") != 0) ||
	    w_res(j, base, "resources", "total", &m->total, err) != 0) {
		wire_agent_info_release(m);
		return -EINVAL;
	}
	return 0;
}

int
wire_agent_info_decode(const json_t *j, struct wire_agent_info *out,
		       struct cd_err *err)
{
	return wire_agent_info_dec(j, "", out, err);
}

void
wire_agent_info_release(struct wire_agent_info *m)
{
	w_fields_free(agent_fields, W_NF(agent_fields), m);
	memset(m, 0, sizeof *m);
}

/* ---- wire_task ---- */

static const struct w_field task_fields[] = {
    W_S(wire_task, task_id, W_REQ | W_ID),
    W_S(wire_task, framework_id, W_REQ | W_ID),
    W_S(wire_task, agent_id, W_REQ | W_ID),
    W_S(wire_task, app_id, W_EMPTY),
    W_S(wire_task, version, W_EMPTY),
    W_S(wire_task, name, W_EMPTY),
    W_S(wire_task, cmd, 0),
    W_J(wire_task, args, W_STRARR, 0),
    W_J(wire_task, env, W_STRMAP, W_EMPTY),
    W_J(wire_task, container, W_OBJECT, 0),
    W_J(wire_task, labels, W_STRMAP, W_EMPTY),
    W_J(wire_task, discovery, W_OBJECT, 0),
    W_J(wire_task, uris, W_STRARR, W_EMPTY),
    W_I(wire_task, kill_grace_ms, 0, 0, W_MAX_MS),
    W_J(wire_task, health_checks, W_ARRAY, 0),
};

json_t *
wire_task_encode(const struct wire_task *m)
{
	json_t *o = json_object();

	w_fields_enc(o, task_fields, W_NF(task_fields), m);
	json_object_set_new(o, "resources", res_to_json(&m->res));
	return o;
}

static int
wire_task_dec(const json_t *j, const char *base, struct wire_task *m,
	      struct cd_err *err)
{
	memset(m, 0, sizeof *m);
	if (w_object(j, base, err) != 0 ||
	    w_fields_dec(j, base, task_fields, W_NF(task_fields), m, err) !=
		0 ||
	    w_res(j, base, "resources", "res", &m->res, err) != 0) {
		wire_task_release(m);
		return -EINVAL;
	}
	return 0;
}

int
wire_task_decode(const json_t *j, struct wire_task *out, struct cd_err *err)
{
	return wire_task_dec(j, "", out, err);
}

void
wire_task_release(struct wire_task *m)
{
	w_fields_free(task_fields, W_NF(task_fields), m);
	memset(m, 0, sizeof *m);
}

void
wire_task_copy(struct wire_task *dst, const struct wire_task *src)
{
	*dst = *src;
	w_fields_copy(task_fields, W_NF(task_fields), dst);
}

/* ---- wire_status ---- */

static const struct w_field status_fields[] = {
    W_S(wire_status, uuid, W_REQ | W_ID),
    W_S(wire_status, task_id, W_REQ | W_ID),
    W_S(wire_status, framework_id, W_REQ | W_ID),
    W_S(wire_status, agent_id, W_REQ | W_ID),
    W_S(wire_status, message, 0),
    W_S(wire_status, reason, 0),
    W_S(wire_status, source, 0),
    W_L(wire_status, timestamp_ms, 0, 0, LLONG_MAX),
    W_S(wire_status, container_id, 0),
    W_J(wire_status, task, W_OBJECT, 0),
};

json_t *
wire_status_encode(const struct wire_status *m)
{
	json_t *o = json_object();

	w_fields_enc(o, status_fields, W_NF(status_fields), m);
	json_object_set_new(o, "state", json_string(task_state_name(m->state)));
	if (m->healthy == WIRE_HEALTH_OK || m->healthy == WIRE_HEALTH_FAILED)
		json_object_set_new(o, "healthy",
				    json_boolean(m->healthy == WIRE_HEALTH_OK));
	return o;
}

/* Mesos' optional "healthy": a boolean, or absent (unknown). */
static int
w_healthy(const json_t *j, const char *base, int *out, struct cd_err *err)
{
	const json_t *v = json_object_get(j, "healthy");

	*out = WIRE_HEALTH_UNKNOWN;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return w_fail(err, base, "healthy", "must be a boolean");
	*out = json_is_true(v) ? WIRE_HEALTH_OK : WIRE_HEALTH_FAILED;
	return 0;
}

static int
w_state(const json_t *j, const char *base, enum task_state *out,
	struct cd_err *err)
{
	char *s = NULL;
	int rc;

	if (w_str(j, base, "state", W_REQ, &s, err) != 0)
		return -EINVAL;
	rc = task_state_parse(s, out);
	if (rc != 0)
		w_fail(err, base, "state", "unknown task state '%.40s'", s);
	free(s);
	return rc != 0 ? -EINVAL : 0;
}

/* What the table cannot say: reason and source vocabularies, and that
 * the embedded task is itself a valid wire_task. */
static int
w_status_check(const struct wire_status *m, const char *base,
	       struct cd_err *err)
{
	char path[CD_ERR_PATH_LEN];
	struct wire_task t;
	const char *s = m->source;

	if (m->reason != NULL && strncmp(m->reason, "REASON_", 7) != 0)
		return w_fail(err, base, "reason", "must start with REASON_");
	if (s != NULL && strcmp(s, "SOURCE_EXECUTOR") != 0 &&
	    strcmp(s, "SOURCE_AGENT") != 0 && strcmp(s, "SOURCE_MASTER") != 0)
		return w_fail(
		    err, base, "source",
		    "must be SOURCE_EXECUTOR, SOURCE_AGENT or SOURCE_MASTER");
	if (m->task == NULL)
		return 0;
	w_path(path, base, "task");
	if (wire_task_dec(m->task, path, &t, err) != 0)
		return -EINVAL;
	wire_task_release(&t);
	return 0;
}

static int
wire_status_dec(const json_t *j, const char *base, struct wire_status *m,
		struct cd_err *err)
{
	memset(m, 0, sizeof *m);
	if (w_object(j, base, err) != 0 ||
	    w_fields_dec(j, base, status_fields, W_NF(status_fields), m, err) !=
		0 ||
	    w_state(j, base, &m->state, err) != 0 ||
	    w_healthy(j, base, &m->healthy, err) != 0 ||
	    w_status_check(m, base, err) != 0) {
		wire_status_release(m);
		return -EINVAL;
	}
	return 0;
}

int
wire_status_decode(const json_t *j, struct wire_status *out, struct cd_err *err)
{
	return wire_status_dec(j, "", out, err);
}

void
wire_status_release(struct wire_status *m)
{
	w_fields_free(status_fields, W_NF(status_fields), m);
	memset(m, 0, sizeof *m);
}

void
wire_status_copy(struct wire_status *dst, const struct wire_status *src)
{
	*dst = *src;
	w_fields_copy(status_fields, W_NF(status_fields), dst);
}

/* ---- wire_register ---- */

json_t *
wire_register_encode(const struct wire_register *m)
{
	json_t *o = w_new_top(), *tasks = json_array();
	size_t i;

	if (m->secret != NULL)
		json_object_set_new(o, "secret", json_string(m->secret));
	json_object_set_new(o, "agent", wire_agent_info_encode(&m->agent));
	json_object_set_new(o, "reregister", json_boolean(m->reregister));
	for (i = 0; i < m->ntasks; i++)
		json_array_append_new(tasks, wire_status_encode(&m->tasks[i]));
	json_object_set_new(o, "tasks", tasks);
	return o;
}

static int
w_register_tasks(const json_t *j, struct wire_register *m, struct cd_err *err)
{
	const json_t *arr = json_object_get(j, "tasks");
	char base[CD_ERR_PATH_LEN];
	const json_t *e;
	size_t i;
	int n;

	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return w_fail(err, "", "tasks", "must be an array");
	if (json_array_size(arr) > 0 && !m->reregister)
		return w_fail(err, "", "tasks",
			      "tasks are only sent when reregistering");
	m->tasks = xcalloc(json_array_size(arr) + 1, sizeof *m->tasks);
	json_array_foreach(arr, i, e) {
		n = snprintf(base, sizeof base, "/tasks/%zu", i);
		if (n < 0 || (size_t)n >= sizeof base)
			base[0] = '\0';
		if (wire_status_dec(e, base, &m->tasks[i], err) != 0)
			return -EINVAL;
		m->ntasks++;
		if (strcmp(m->tasks[i].agent_id, m->agent.id) != 0)
			return w_fail(
			    err, base, "agent_id",
			    "differs from the registering agent's id");
	}
	return 0;
}

int
wire_register_decode(const json_t *j, struct wire_register *m,
		     struct cd_err *err)
{
	const json_t *agent;
	bool rereg = false;

	memset(m, 0, sizeof *m);
	if (w_top(j, err) != 0)
		return -EINVAL;
	if (w_str(j, "", "secret", 0, &m->secret, err) != 0 ||
	    json_opt_bool(j, "reregister", "", &rereg, NULL, err) != 0)
		goto fail;
	m->reregister = rereg;
	if ((agent = w_child(j, "", "agent", err)) == NULL ||
	    wire_agent_info_dec(agent, "/agent", &m->agent, err) != 0)
		goto fail;
	if (m->reregister && (m->agent.id == NULL || m->agent.id[0] == '\0')) {
		w_fail(err, "/agent", "id", "required when reregistering");
		goto fail;
	}
	if (w_register_tasks(j, m, err) != 0)
		goto fail;
	return 0;
fail:
	wire_register_release(m);
	return -EINVAL;
}

void
wire_register_release(struct wire_register *m)
{
	size_t i;

	free(m->secret);
	wire_agent_info_release(&m->agent);
	for (i = 0; i < m->ntasks; i++)
		wire_status_release(&m->tasks[i]);
	free(m->tasks);
	memset(m, 0, sizeof *m);
}

/* ---- wire_status_msg and wire_run_task: a secret and one object ---- */

json_t *
wire_status_msg_encode(const struct wire_status_msg *m)
{
	json_t *o = w_new_top();

	if (m->secret != NULL)
		json_object_set_new(o, "secret", json_string(m->secret));
	json_object_set_new(o, "status", wire_status_encode(&m->status));
	return o;
}

int
wire_status_msg_decode(const json_t *j, struct wire_status_msg *m,
		       struct cd_err *err)
{
	const json_t *st;

	memset(m, 0, sizeof *m);
	if (w_top(j, err) != 0 ||
	    w_str(j, "", "secret", 0, &m->secret, err) != 0 ||
	    (st = w_child(j, "", "status", err)) == NULL ||
	    wire_status_dec(st, "/status", &m->status, err) != 0) {
		wire_status_msg_release(m);
		return -EINVAL;
	}
	return 0;
}

void
wire_status_msg_release(struct wire_status_msg *m)
{
	free(m->secret);
	wire_status_release(&m->status);
	memset(m, 0, sizeof *m);
}

static const struct w_field run_fields[] = {
    W_S(wire_run_task, master_id, W_REQ | W_ID),
    W_S(wire_run_task, secret, 0),
};

json_t *
wire_run_task_encode(const struct wire_run_task *m)
{
	json_t *o = w_msg_enc(run_fields, W_NF(run_fields), m);

	json_object_set_new(o, "task", wire_task_encode(&m->task));
	return o;
}

int
wire_run_task_decode(const json_t *j, struct wire_run_task *m,
		     struct cd_err *err)
{
	const json_t *t;

	if (w_msg_dec(j, run_fields, W_NF(run_fields), m, sizeof *m, err))
		return -EINVAL;
	if ((t = w_child(j, "", "task", err)) == NULL ||
	    wire_task_dec(t, "/task", &m->task, err) != 0) {
		wire_run_task_release(m);
		return -EINVAL;
	}
	return 0;
}

void
wire_run_task_release(struct wire_run_task *m)
{
	w_fields_free(run_fields, W_NF(run_fields), m);
	wire_task_release(&m->task);
}

/* ---- messages made only of table fields ---- */

static const struct w_field registered_fields[] = {
    W_S(wire_registered, agent_id, W_REQ | W_ID),
    W_S(wire_registered, master_id, W_REQ | W_ID),
    W_L(wire_registered, ping_interval_ms, W_REQ, 1, W_MAX_MS),
    W_L(wire_registered, ping_timeout_total_ms, 0, 0, W_MAX_MS),
    W_S(wire_registered, epoch, W_ID),
};

static const struct w_field kill_fields[] = {
    W_S(wire_kill_task, master_id, W_REQ | W_ID),
    W_S(wire_kill_task, secret, 0),
    W_S(wire_kill_task, task_id, W_REQ | W_ID),
    W_I(wire_kill_task, grace_ms, 0, 0, W_MAX_MS),
};

static const struct w_field ping_fields[] = {
    W_S(wire_ping, master_id, W_REQ | W_ID),
    W_S(wire_ping, agent_id, W_REQ | W_ID),
    W_S(wire_ping, secret, 0),
    W_S(wire_ping, epoch, W_ID),
    W_B(wire_ping, reregister),
};

static const struct w_field reconcile_fields[] = {
    W_S(wire_reconcile, master_id, W_REQ | W_ID),
    W_S(wire_reconcile, secret, 0),
    W_J(wire_reconcile, task_ids, W_IDARR, W_EMPTY),
};

/*
 * These four messages differ only in their tables, so one macro writes
 * their encode/decode/release (an exception to "grep finds the definition":
 * wire_registered_*, wire_kill_task_*, wire_ping_*, wire_reconcile_* are
 * defined here).
 */
#define W_SIMPLE(name, fields)                                                 \
	json_t *wire_##name##_encode(const struct wire_##name *m)              \
	{                                                                      \
		return w_msg_enc(fields, W_NF(fields), m);                     \
	}                                                                      \
	int wire_##name##_decode(const json_t *j, struct wire_##name *out,     \
				 struct cd_err *err)                           \
	{                                                                      \
		return w_msg_dec(j, fields, W_NF(fields), out, sizeof *out,    \
				 err);                                         \
	}                                                                      \
	void wire_##name##_release(struct wire_##name *m)                      \
	{                                                                      \
		w_fields_free(fields, W_NF(fields), m);                        \
		memset(m, 0, sizeof *m);                                       \
	}

W_SIMPLE(registered, registered_fields)
W_SIMPLE(kill_task, kill_fields)
W_SIMPLE(ping, ping_fields)
W_SIMPLE(reconcile, reconcile_fields)
