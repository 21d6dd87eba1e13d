/*
 * sched_task.c: the scheduler's view of one task (see sched_task.h). Owns
 * nothing. Design: states are shown by their Mesos names, as Marathon 1.4+
 * does (its MesosTaskState: TASK_UNREACHABLE, TASK_DROPPED, TASK_GONE and
 * TASK_UNKNOWN are no longer folded into TASK_LOST), the same in the API
 * and in status_update_event; a task is "current" when its version is not
 * older than its app's lastConfigChangeAt, so scaling keeps tasks and a
 * config change replaces them. Loop thread only.
 */
#include "scheduler/core/sched_task.h"

#include <stddef.h>
#include <string.h>

#include "lib/json.h"
#include "lib/loop.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_probe.h"

const char *
sched_task_state_name(const struct sched_task *t)
{
	return task_state_name(t->state);
}

bool
sched_task_status_unreachable(const struct wire_status *st)
{
	if (st->state == TASK_UNREACHABLE)
		return true;
	/* A master that is not partition aware says TASK_LOST with the
	 * reason (Marathon's TaskConditionMapping.Unreachable, without
	 * REASON_RECONCILIATION, which clusterd's master gives a task the
	 * agent does not have). */
	return st->state == TASK_LOST && st->reason != NULL &&
	       (strcmp(st->reason, "REASON_SLAVE_REMOVED") == 0 ||
		strcmp(st->reason, "REASON_SLAVE_DISCONNECTED") == 0);
}

bool
sched_task_current(const struct sched_rapp *r, const struct sched_task *t)
{
	return r->config_version == NULL ||
	       strcmp(t->version, r->config_version) >= 0;
}

bool
sched_task_healthy(const struct sched *s, const struct sched_rapp *ra,
		   const struct sched_task *t)
{
	if (json_array_size(sched_app_health_checks(ra->app)) == 0)
		return true;
	if (s->health == NULL)
		return true; /* nothing checks them */
	return sched_probe_state(s->health, t->id) == 1;
}

void
sched_task_note_addresses(struct sched_task *t, const json_t *cs)
{
	const json_t *ni, *ip;
	json_t *ips;
	size_t i, k;

	if (cs == NULL)
		return;
	ips = json_array();
	json_array_foreach(json_object_get(cs, "network_infos"), i, ni)
		json_array_foreach(json_object_get(ni, "ip_addresses"), k, ip) {
			const char *proto =
			    json_string_value(json_object_get(ip, "protocol"));

			json_array_append_new(
			    ips, json_pack("{s:O, s:s}", "ipAddress",
					   json_object_get(ip, "ip_address"),
					   "protocol",
					   proto != NULL ? proto : "IPv4"));
		}
	if (json_array_size(ips) == 0 || json_equal(ips, t->ips)) {
		json_decref(ips);
		return;
	}
	json_decref(t->ips);
	t->ips = ips;
}

json_t *
sched_task_status_event(const struct sched_task *t, enum task_state state,
			const char *message)
{
	json_t *ports = json_array();
	const char *name = task_state_name(state);
	size_t i;

	for (i = 0; i < t->nports; i++)
		json_array_append_new(ports, json_integer(t->ports[i]));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s}",
			 "slaveId", t->agent_id, "taskId", t->id, "taskStatus",
			 name, "message", message != NULL ? message : "",
			 "appId", t->app_id, "host", t->host, "ipAddresses",
			 t->ips != NULL ? json_deep_copy(t->ips) : json_array(),
			 "ports", ports, "version", t->version, "eventType",
			 "status_update_event");
}

json_t *
sched_task_failure_json(const struct sched_task *t, enum task_state state,
			const char *message)
{
	char iso[SCHED_ISO_LEN];

	json_time_iso(loop_wall_ms(), iso);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "appId",
			 t->app_id, "host", t->host, "message",
			 message != NULL ? message : "", "state",
			 task_state_name(state), "taskId", t->id, "timestamp",
			 iso, "version", t->version, "slaveId", t->agent_id);
}
