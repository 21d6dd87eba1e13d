/*
 * agent.h: the node agent role object. It registers with the master over
 * HTTP (also in all-in-one), runs and kills tasks through the
 * containerizers, checkpoints tasks and their unacknowledged status updates
 * in the store, and after a restart re-adopts the containers it started.
 * Loop thread only.
 */
#ifndef CLUSTERD_AGENT_AGENT_H
#define CLUSTERD_AGENT_AGENT_H

#include "lib/err.h"

struct loop;
struct store;
struct httpc;
struct httpd;
struct agent;

/* Every string is borrowed for the call: agent_new() copies them. */
struct agent_conf {
	const char *hostname;
	const char *advertise_ip;
	int port;		/* the bound agent port */
	const char *master;	/* "host:port" of the master, or NULL: the
				   leader agent_set_master() names */
	const char *resources;	/* text form, or NULL to detect */
	const char *attributes; /* "rack:r1;zone:a" or NULL */
	const char *work_dir;
	const char *containerizers; /* "docker,mesos" */
	const char *docker_socket;  /* unix socket path */
	long long stop_timeout_ms;
	long long pull_timeout_ms; /* docker image pulls */
	long long ping_timeout_ms;
	int max_ping_timeouts;
	const char *secret; /* or NULL */
	const char *version;
	/* The container policy and limits (SPEC sections 6 and 11). */
	const char *allowed_host_paths;	       /* or NULL: none */
	const char *docker_allowed_parameters; /* or NULL: the safe set */
	int cgroups_enable_cfs;
};

/*
 * Create the agent, recover checkpointed tasks, reap orphans and start
 * registering with the master. conf strings are copied. 0 and *out, or a
 * negative code with err (for instance a bad --resources).
 */
int agent_new(struct loop *l, struct store *st, struct httpc *hc,
	      struct httpd *httpd, const struct agent_conf *conf,
	      struct agent **out, struct cd_err *err);
void agent_free(struct agent *a);
/*
 * Follow the leading master (leader detection in ZooKeeper, for an agent
 * created without conf.master): addr "ip:port" of its master port, or
 * NULL while no leader is known (the agent keeps its tasks and waits). A
 * new leader is registered with at once, with the tasks; pings from
 * another master (a deposed leader that still pings) are refused without
 * acting on them.
 */
void agent_set_master(struct agent *a, const char *addr);

#endif
