/*
 * wire.h: the agent <-> master protocol of SPEC section 3, as C structs
 * with JSON encoders and decoders. Pure (STYLE B28): decoders validate
 * everything, so a handler can trust a decoded message. Every message
 * carries "protocol": WIRE_PROTOCOL.
 *
 * Endpoints (all POST, JSON bodies):
 *   master /internal/register    wire_register      -> wire_registered
 *   master /internal/status      wire_status_msg    -> 200 {} = acknowledged
 *   agent  /internal/run_task    wire_run_task      -> 202 {}
 *   agent  /internal/kill_task   wire_kill_task     -> 202 {}
 *   agent  /internal/ping        wire_ping          -> 200 {}, or 409 when
 *                                the agent registers again (see wire_ping)
 *   agent  /internal/reconcile   wire_reconcile     -> 200 {} (agent re-sends
 *                                latest status of the named tasks, or all)
 *
 * Ownership: every char * and json_t * in these structs is owned by the
 * struct and released by the matching wire_*_release(); decoders fill a
 * zeroed struct, encoders return a new json reference.
 */
#ifndef CLUSTERD_LIB_WIRE_H
#define CLUSTERD_LIB_WIRE_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "resources.h"
#include "task_state.h"

#define WIRE_PROTOCOL 1

/* What an agent is: sent at registration, kept in the master registry. */
struct wire_agent_info {
	char *id;	/* owned; "" or NULL before the first registration */
	char *hostname; /* owned */
	char *ip;	/* owned: advertised address */
	int port;	/* agent_port */
	struct resources total; /* owned (res_free) */
	json_t *attributes;	/* owned ref: object of string -> string */
};

/*
 * A task as the agent runs it: everything the containerizer needs.
 * container is the Marathon container object as normalised by the
 * scheduler: {"type": "DOCKER"|"MESOS", "docker": {"image", "network",
 * "forcePullImage", "privileged", "parameters": [{key,value}],
 * "portMappings": [...]}, "volumes": [...]}, or NULL for a plain command.
 */
struct wire_task {
	char *task_id;	      /* owned */
	char *framework_id;   /* owned */
	char *agent_id;	      /* owned */
	char *app_id;	      /* owned: "/ubuntu" */
	char *version;	      /* owned: app version, ISO-8601 */
	char *name;	      /* owned */
	struct resources res; /* owned: cpus, mem, disk and its host ports */
	char *cmd;	      /* owned or NULL: run with /bin/sh -c */
	json_t *args;	      /* owned ref or NULL: array of strings */
	json_t *env;	   /* owned ref: object string -> string (always set) */
	json_t *container; /* owned ref or NULL */
	json_t *labels;	   /* owned ref: object string -> string (always set) */
	json_t *discovery; /* owned ref or NULL: Mesos' DiscoveryInfo, as
			      Marathon sets it: {"visibility", "name",
			      "ports": {"ports": [{"number", "protocol",
			      "name"}]}}; what DNS names the task by */
	json_t *uris;	   /* owned ref: array of strings (always set) */
	int kill_grace_ms; /* 0: the agent's default */
	json_t
	    *health_checks; /* owned ref or NULL: the app's normalised
			       healthChecks; the agent runs the COMMAND ones */
	char *user;	    /* owned or NULL: the app's "user" (the agent's
			       own user when NULL) */
	json_t *fetch;	    /* owned ref or NULL: the app's normalised
			       fetch [{uri, extract, executable, cache,
			       outputFile}]; uris holds 0.5's plain URIs */
};

/* A status update, agent -> master -> scheduler. */
struct wire_status {
	char *uuid;	    /* owned: identity for acknowledgement */
	char *task_id;	    /* owned */
	char *framework_id; /* owned */
	char *agent_id;	    /* owned */
	enum task_state state;
	char *message; /* owned or NULL */
	char *reason;  /* owned or NULL: Mesos REASON_* */
	char *source;  /* owned or NULL: SOURCE_EXECUTOR/AGENT/MASTER */
	long long timestamp_ms;
	char *container_id;	  /* owned or NULL */
	json_t *task;		  /* owned ref or NULL: the wire_task JSON, so a
				     master that lost state can rebuild it */
	int healthy;		  /* WIRE_HEALTH_*: Mesos' optional "healthy"; a
				     zeroed struct says unknown */
	json_t *container_status; /* owned ref or NULL: Mesos'
				     ContainerStatus, {"network_infos":
				     [{"ip_addresses": [{"protocol",
				     "ip_address"}]}]} */
};

/* wire_status.healthy; JSON "healthy": true/false, absent when unknown. */
#define WIRE_HEALTH_UNKNOWN 0
#define WIRE_HEALTH_OK 1
#define WIRE_HEALTH_FAILED 2

struct wire_register {
	char *secret; /* owned or NULL */
	struct wire_agent_info agent;
	int reregister; /* 1 when agent.id is set and tasks follow */
	/* 1: the agent sends the token of the registration reply back with
	 * every status update (JSON boolean, absent = false: an older agent,
	 * whose updates the master takes only from its registered address) */
	int status_token;
	struct wire_status *tasks; /* owned array: latest state of each task */
	size_t ntasks;
};

struct wire_registered {
	char *agent_id;	 /* owned */
	char *master_id; /* owned */
	long long ping_interval_ms;
	/*
	 * How long the master waits for a ping's answer, all pings included,
	 * before it calls the agent unreachable (agent_ping_timeout x
	 * max_agent_ping_timeouts); the agent registers again after hearing
	 * no ping for that long. 0 (absent, an older master): the agent's
	 * own flags.
	 */
	long long ping_timeout_total_ms;
	char *epoch; /* owned or NULL (older master): this run of the master */
	/* owned or NULL (older master, or an agent that did not ask): this
	 * registration's token, which the agent's status updates carry */
	char *token;
};

struct wire_status_msg {
	char *secret; /* owned or NULL */
	char *token;  /* owned or NULL: wire_registered.token */
	struct wire_status status;
};

struct wire_run_task {
	char *master_id; /* owned */
	char *secret;	 /* owned or NULL: agents check the master too */
	struct wire_task task;
};

struct wire_kill_task {
	char *master_id; /* owned */
	char *secret;	 /* owned or NULL */
	char *task_id;	 /* owned */
	int grace_ms;	 /* 0: task's or agent's default */
};

/*
 * A ping. The agent answers 200 when it is registered with the run of
 * the master that epoch names; otherwise (not registered, another epoch,
 * another agent id, or reregister set) it answers 409 and registers again
 * at once. epoch is NULL from an older master; reregister (JSON boolean,
 * absent = false) is set by a master that restored the agent from its
 * registry, or holds it unreachable, and wants it back.
 */
struct wire_ping {
	char *master_id; /* owned */
	char *agent_id;	 /* owned */
	char *secret;	 /* owned or NULL */
	char *epoch;	 /* owned or NULL: the master's run */
	int reregister;	 /* 1: register again */
	/* owned or NULL (older masters): "master@ip:port", the sender, so
	 * that an agent following the leader in ZooKeeper can ignore a
	 * master that does not lead any more */
	char *pid;
};

struct wire_reconcile {
	char *master_id;  /* owned */
	char *secret;	  /* owned or NULL */
	json_t *task_ids; /* owned ref: array of strings; empty = all */
};

/* Encoders: new references. Decoders: 0, or -EINVAL with err (and path). */
json_t *wire_agent_info_encode(const struct wire_agent_info *m);
int wire_agent_info_decode(const json_t *j, struct wire_agent_info *out,
			   struct cd_err *err);
void wire_agent_info_release(struct wire_agent_info *m);

json_t *wire_task_encode(const struct wire_task *m);
int wire_task_decode(const json_t *j, struct wire_task *out,
		     struct cd_err *err);
void wire_task_release(struct wire_task *m);
/* Deep copy: dst is overwritten and owns its copy. */
void wire_task_copy(struct wire_task *dst, const struct wire_task *src);
/*
 * The same, but dst takes a reference to src's JSON members instead of
 * copies: for two holders in one process (master and scheduler) that never
 * change those members in place.
 */
void wire_task_share(struct wire_task *dst, const struct wire_task *src);

json_t *wire_status_encode(const struct wire_status *m);
int wire_status_decode(const json_t *j, struct wire_status *out,
		       struct cd_err *err);
void wire_status_release(struct wire_status *m);
void wire_status_copy(struct wire_status *dst, const struct wire_status *src);

json_t *wire_register_encode(const struct wire_register *m);
int wire_register_decode(const json_t *j, struct wire_register *out,
			 struct cd_err *err);
void wire_register_release(struct wire_register *m);

json_t *wire_registered_encode(const struct wire_registered *m);
int wire_registered_decode(const json_t *j, struct wire_registered *out,
			   struct cd_err *err);
void wire_registered_release(struct wire_registered *m);

json_t *wire_status_msg_encode(const struct wire_status_msg *m);
int wire_status_msg_decode(const json_t *j, struct wire_status_msg *out,
			   struct cd_err *err);
void wire_status_msg_release(struct wire_status_msg *m);

json_t *wire_run_task_encode(const struct wire_run_task *m);
int wire_run_task_decode(const json_t *j, struct wire_run_task *out,
			 struct cd_err *err);
void wire_run_task_release(struct wire_run_task *m);

json_t *wire_kill_task_encode(const struct wire_kill_task *m);
int wire_kill_task_decode(const json_t *j, struct wire_kill_task *out,
			  struct cd_err *err);
void wire_kill_task_release(struct wire_kill_task *m);

json_t *wire_ping_encode(const struct wire_ping *m);
int wire_ping_decode(const json_t *j, struct wire_ping *out,
		     struct cd_err *err);
void wire_ping_release(struct wire_ping *m);

json_t *wire_reconcile_encode(const struct wire_reconcile *m);
int wire_reconcile_decode(const json_t *j, struct wire_reconcile *out,
			  struct cd_err *err);
void wire_reconcile_release(struct wire_reconcile *m);

#endif
