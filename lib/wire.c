/*
 * wire.c: JSON encoders and validating decoders for the agent <-> master
 * protocol (SPEC section 3). Pure (STYLE B28): no I/O, no globals; any
 * thread, fuzzed by tests/fuzz/fuzz_wire.c.
 *
 * JSON shape: keys are the snake_case struct field names, with two
 * exceptions: resources are written under "resources" (struct fields
 * "total" and "res"; those names are accepted as aliases on decode), and
 * wire_register.reregister and status_token are JSON booleans. Optional strings
 * that are NULL are omitted. Only the top-level messages carry "protocol";
 * nested agent/task/status objects do not need it.
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
 *
 * The typed getters and the field tables every message is written with
 * are in wire_field.c (wire_int.h); this file holds the messages.
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
#include "wire_int.h"
#include "xalloc.h"

#define W_MAX_MS 86400000LL /* a day: bound for grace periods and pings */

/* ---- wire_agent_info ---- */

static const struct wire_field agent_fields[] = {
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

	wire_field_enc(o, agent_fields, W_NF(agent_fields), m);
	json_object_set_new(o, "resources", res_to_json(&m->total));
	return o;
}

static int
wire_agent_info_dec(const json_t *j, const char *base,
		    struct wire_agent_info *m, struct cd_err *err)
{
	memset(m, 0, sizeof *m);
	if (wire_field_object(j, base, err) != 0 ||
	    wire_field_dec(j, base, agent_fields, W_NF(agent_fields), m, err) !=
		0 ||
	    (m->id != NULL && m->id[0] != '\0' && !id_valid(m->id) &&
	     wire_field_fail(err, base, "id", "not a valid id") != 0) ||
	    wire_field_res(j, base, "resources", "total", &m->total, err) !=
		0) {
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
	wire_field_free(agent_fields, W_NF(agent_fields), m);
	res_free(&m->total);
	memset(m, 0, sizeof *m);
}

/* ---- wire_task ---- */

static const struct wire_field task_fields[] = {
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
    W_S(wire_task, user, 0),
    W_J(wire_task, fetch, W_ARRAY, 0),
};

json_t *
wire_task_encode(const struct wire_task *m)
{
	json_t *o = json_object();

	wire_field_enc(o, task_fields, W_NF(task_fields), m);
	json_object_set_new(o, "resources", res_to_json(&m->res));
	return o;
}

/* What the table cannot say: each fetch item names a URI. */
static int
w_task_check(const struct wire_task *m, const char *base, struct cd_err *err)
{
	const json_t *f;
	const char *uri;
	size_t i;

	if (m->user != NULL && !wire_field_token_ok(m->user))
		return wire_field_fail(
		    err, base, "user",
		    "must be 1 to 255 characters without spaces");
	json_array_foreach(m->fetch, i, f) {
		uri = json_string_value(json_object_get(f, "uri"));
		if (!json_is_object(f) || uri == NULL || uri[0] == '\0')
			return wire_field_fail(err, base, "fetch",
					       "item %zu needs a uri", i);
	}
	return 0;
}

static int
wire_task_dec(const json_t *j, const char *base, struct wire_task *m,
	      struct cd_err *err)
{
	memset(m, 0, sizeof *m);
	if (wire_field_object(j, base, err) != 0 ||
	    wire_field_dec(j, base, task_fields, W_NF(task_fields), m, err) !=
		0 ||
	    w_task_check(m, base, err) != 0 ||
	    wire_field_res(j, base, "resources", "res", &m->res, err) != 0) {
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
	wire_field_free(task_fields, W_NF(task_fields), m);
	res_free(&m->res);
	memset(m, 0, sizeof *m);
}

void
wire_task_copy(struct wire_task *dst, const struct wire_task *src)
{
	*dst = *src;
	wire_field_copy(task_fields, W_NF(task_fields), dst);
	res_copy(&dst->res, &src->res);
}

void
wire_task_share(struct wire_task *dst, const struct wire_task *src)
{
	*dst = *src;
	wire_field_share(task_fields, W_NF(task_fields), dst);
	res_copy(&dst->res, &src->res);
}

/* ---- wire_status ---- */

static const struct wire_field status_fields[] = {
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
    W_J(wire_status, container_status, W_OBJECT, 0),
};

json_t *
wire_status_encode(const struct wire_status *m)
{
	json_t *o = json_object();

	wire_field_enc(o, status_fields, W_NF(status_fields), m);
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
		return wire_field_fail(err, base, "healthy",
				       "must be a boolean");
	*out = json_is_true(v) ? WIRE_HEALTH_OK : WIRE_HEALTH_FAILED;
	return 0;
}

static int
w_state(const json_t *j, const char *base, enum task_state *out,
	struct cd_err *err)
{
	char *s = NULL;
	int rc;

	if (wire_field_str(j, base, "state", W_REQ, &s, err) != 0)
		return -EINVAL;
	rc = task_state_parse(s, out);
	if (rc != 0)
		wire_field_fail(err, base, "state",
				"unknown task state '%.40s'", s);
	free(s);
	return rc != 0 ? -EINVAL : 0;
}

/*
 * container_status: network_infos, when present, is an array of objects
 * whose ip_addresses, when present, are objects with a short ip_address,
 * so that master and scheduler can copy them without checking again.
 */
static int
w_container_status_check(const json_t *cs, const char *base, struct cd_err *err)
{
	const json_t *nis, *ni, *ips, *ip, *v;
	size_t i, k;

	if (cs == NULL)
		return 0;
	nis = json_object_get(cs, "network_infos");
	if (nis == NULL)
		return 0;
	if (!json_is_array(nis))
		return wire_field_fail(err, base, "container_status",
				       "network_infos must be an array");
	json_array_foreach(nis, i, ni) {
		ips = json_object_get(ni, "ip_addresses");
		if (!json_is_object(ni) || (ips != NULL && !json_is_array(ips)))
			return wire_field_fail(
			    err, base, "container_status",
			    "network_infos item %zu is malformed", i);
		json_array_foreach(ips, k, ip) {
			v = json_object_get(ip, "ip_address");
			if (!json_is_object(ip) || !json_is_string(v) ||
			    !wire_field_token_ok(json_string_value(v)) ||
			    json_string_length(v) > 64 ||
			    (json_object_get(ip, "protocol") != NULL &&
			     !json_is_string(json_object_get(ip, "protocol"))))
				return wire_field_fail(
				    err, base, "container_status",
				    "ip_addresses item %zu of "
				    "network_infos item %zu is "
				    "malformed",
				    k, i);
		}
	}
	return 0;
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
		return wire_field_fail(err, base, "reason",
				       "must start with REASON_");
	if (s != NULL && strcmp(s, "SOURCE_EXECUTOR") != 0 &&
	    strcmp(s, "SOURCE_AGENT") != 0 && strcmp(s, "SOURCE_MASTER") != 0)
		return wire_field_fail(
		    err, base, "source",
		    "must be SOURCE_EXECUTOR, SOURCE_AGENT or SOURCE_MASTER");
	if (w_container_status_check(m->container_status, base, err) != 0)
		return -EINVAL;
	if (m->task == NULL)
		return 0;
	wire_field_path(path, base, "task");
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
	if (wire_field_object(j, base, err) != 0 ||
	    wire_field_dec(j, base, status_fields, W_NF(status_fields), m,
			   err) != 0 ||
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
	wire_field_free(status_fields, W_NF(status_fields), m);
	memset(m, 0, sizeof *m);
}

void
wire_status_copy(struct wire_status *dst, const struct wire_status *src)
{
	*dst = *src;
	wire_field_copy(status_fields, W_NF(status_fields), dst);
}

/* ---- wire_register ---- */

json_t *
wire_register_encode(const struct wire_register *m)
{
	json_t *o = wire_field_new_top(), *tasks = json_array();
	size_t i;

	if (m->secret != NULL)
		json_object_set_new(o, "secret", json_string(m->secret));
	json_object_set_new(o, "agent", wire_agent_info_encode(&m->agent));
	json_object_set_new(o, "reregister", json_boolean(m->reregister));
	if (m->status_token)
		json_object_set_new(o, "status_token", json_true());
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
		return wire_field_fail(err, "", "tasks", "must be an array");
	if (json_array_size(arr) > 0 && !m->reregister)
		return wire_field_fail(
		    err, "", "tasks", "tasks are only sent when reregistering");
	m->tasks = xcalloc(json_array_size(arr) + 1, sizeof *m->tasks);
	json_array_foreach(arr, i, e) {
		n = snprintf(base, sizeof base, "/tasks/%zu", i);
		if (n < 0 || (size_t)n >= sizeof base)
			base[0] = '\0';
		if (wire_status_dec(e, base, &m->tasks[i], err) != 0)
			return -EINVAL;
		m->ntasks++;
		if (strcmp(m->tasks[i].agent_id, m->agent.id) != 0)
			return wire_field_fail(
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
	bool rereg = false, token = false;

	memset(m, 0, sizeof *m);
	if (wire_field_top(j, err) != 0)
		return -EINVAL;
	if (wire_field_str(j, "", "secret", 0, &m->secret, err) != 0 ||
	    json_opt_bool(j, "reregister", "", &rereg, NULL, err) != 0 ||
	    json_opt_bool(j, "status_token", "", &token, NULL, err) != 0)
		goto fail;
	m->reregister = rereg;
	m->status_token = token;
	if ((agent = wire_field_child(j, "", "agent", err)) == NULL ||
	    wire_agent_info_dec(agent, "/agent", &m->agent, err) != 0)
		goto fail;
	if (m->reregister && (m->agent.id == NULL || m->agent.id[0] == '\0')) {
		wire_field_fail(err, "/agent", "id",
				"required when reregistering");
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
	json_t *o = wire_field_new_top();

	if (m->secret != NULL)
		json_object_set_new(o, "secret", json_string(m->secret));
	if (m->token != NULL)
		json_object_set_new(o, "token", json_string(m->token));
	json_object_set_new(o, "status", wire_status_encode(&m->status));
	return o;
}

int
wire_status_msg_decode(const json_t *j, struct wire_status_msg *m,
		       struct cd_err *err)
{
	const json_t *st;

	memset(m, 0, sizeof *m);
	if (wire_field_top(j, err) != 0 ||
	    wire_field_str(j, "", "secret", 0, &m->secret, err) != 0 ||
	    wire_field_str(j, "", "token", W_ID, &m->token, err) != 0 ||
	    (st = wire_field_child(j, "", "status", err)) == NULL ||
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
	free(m->token);
	wire_status_release(&m->status);
	memset(m, 0, sizeof *m);
}

static const struct wire_field run_fields[] = {
    W_S(wire_run_task, master_id, W_REQ | W_ID),
    W_S(wire_run_task, secret, 0),
};

json_t *
wire_run_task_encode(const struct wire_run_task *m)
{
	json_t *o = wire_field_msg_enc(run_fields, W_NF(run_fields), m);

	json_object_set_new(o, "task", wire_task_encode(&m->task));
	return o;
}

int
wire_run_task_decode(const json_t *j, struct wire_run_task *m,
		     struct cd_err *err)
{
	const json_t *t;

	if (wire_field_msg_dec(j, run_fields, W_NF(run_fields), m, sizeof *m,
			       err))
		return -EINVAL;
	if ((t = wire_field_child(j, "", "task", err)) == NULL ||
	    wire_task_dec(t, "/task", &m->task, err) != 0) {
		wire_run_task_release(m);
		return -EINVAL;
	}
	return 0;
}

void
wire_run_task_release(struct wire_run_task *m)
{
	wire_field_free(run_fields, W_NF(run_fields), m);
	wire_task_release(&m->task);
}

/* ---- messages made only of table fields ---- */

static const struct wire_field registered_fields[] = {
    W_S(wire_registered, agent_id, W_REQ | W_ID),
    W_S(wire_registered, master_id, W_REQ | W_ID),
    W_L(wire_registered, ping_interval_ms, W_REQ, 1, W_MAX_MS),
    W_L(wire_registered, ping_timeout_total_ms, 0, 0, W_MAX_MS),
    W_S(wire_registered, epoch, W_ID),
    W_S(wire_registered, token, W_ID),
};

static const struct wire_field kill_fields[] = {
    W_S(wire_kill_task, master_id, W_REQ | W_ID),
    W_S(wire_kill_task, secret, 0),
    W_S(wire_kill_task, task_id, W_REQ | W_ID),
    W_I(wire_kill_task, grace_ms, 0, 0, W_MAX_MS),
};

static const struct wire_field ping_fields[] = {
    W_S(wire_ping, master_id, W_REQ | W_ID),
    W_S(wire_ping, agent_id, W_REQ | W_ID),
    W_S(wire_ping, secret, 0),
    W_S(wire_ping, epoch, W_ID),
    W_B(wire_ping, reregister),
    W_S(wire_ping, pid, 0),
};

static const struct wire_field reconcile_fields[] = {
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
		return wire_field_msg_enc(fields, W_NF(fields), m);            \
	}                                                                      \
	int wire_##name##_decode(const json_t *j, struct wire_##name *out,     \
				 struct cd_err *err)                           \
	{                                                                      \
		return wire_field_msg_dec(j, fields, W_NF(fields), out,        \
					  sizeof *out, err);                   \
	}                                                                      \
	void wire_##name##_release(struct wire_##name *m)                      \
	{                                                                      \
		wire_field_free(fields, W_NF(fields), m);                      \
		memset(m, 0, sizeof *m);                                       \
	}

W_SIMPLE(registered, registered_fields)
W_SIMPLE(kill_task, kill_fields)
W_SIMPLE(ping, ping_fields)
W_SIMPLE(reconcile, reconcile_fields)
