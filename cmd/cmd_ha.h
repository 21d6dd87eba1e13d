/*
 * cmd_ha.h: clusterd with ZooKeeper (--zk, SPEC 7): the session, leader
 * election and detection, the state replicated in ZooKeeper
 * (--registry=zk), and what a master does while it does not lead. It knows
 * no role: main.c starts and stops the master and the scheduler when told
 * (ops below), and points the agent at the leader.
 *
 * A master contends for leadership. Elected, it loads the state from
 * ZooKeeper into its store (a private cache) and only then has main.c
 * start its roles (ops->lead); deposed (another leads, the session is
 * lost, DELETE /v2/leader, replication failed), it has them stopped
 * (ops->unlead: tasks keep running on the agents) and contends again. It
 * never exits for it, unlike a Mesos master.
 *
 * While not leading, the master's ports are served by this module's
 * filters (httpd_set_filter): the Marathon API (/v2/..., /metrics) is
 * relayed to the leader, event streams included (lib/relay); GET
 * /v2/leader names it; /master/redirect answers 307 to it, the other
 * master endpoints 307 to the same path on it; /internal/ (agents) and,
 * with no leader, the API answer 503 with Marathon's body. Every answer
 * of the API port carries X-Marathon-Leader once a leader is known.
 *
 * While leading, its durable interface (lib/durable.h) holds every answer
 * of both ports, and the scheduler's events, until the writes before
 * them are committed in ZooKeeper. Loop thread only.
 */
#ifndef CLUSTERD_CMD_CMD_HA_H
#define CLUSTERD_CMD_CMD_HA_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"
#include "lib/leader_info.h"

struct cmd_ha;
struct durable;
struct httpc;
struct httpd;
struct loop;
struct store;

struct cmd_ha_ops {
	/* Elected and loaded: start the roles on the store. 0, or < 0 to
	 * step down (and contend again). */
	int (*lead)(void *arg);
	/* No longer leading: stop the roles. */
	void (*unlead)(void *arg);
	/* The leader is now li (borrowed for the call), or none (NULL). */
	void (*leader)(void *arg, const struct leader_info *li);
};

/* Strings and objects borrowed: they outlive the cmd_ha. */
struct cmd_ha_conf {
	const char *zk; /* "zk://h1:p1,h2:p2/path" */
	long long session_timeout_ms;
	/* A master: contend, keep the state in cache. NULL: an agent that
	 * only follows the leader. */
	struct store *cache;
	const struct leader_info *self; /* a master's MasterInfo */
	struct httpd *api;		/* a master's ports, to filter */
	struct httpd *master;
	struct httpc *hc;   /* relays to the leader */
	const char *scheme; /* "http" or "https", of the leader's URLs */
};

/*
 * Connect (in the background) and start contending or following. Returns
 * 0 and *out, or -EINVAL with err (a bad URL, a MasterInfo that cannot be
 * encoded).
 */
int cmd_ha_new(struct loop *l, const struct cmd_ha_conf *conf,
	       const struct cmd_ha_ops *ops, void *arg, struct cmd_ha **out,
	       struct cd_err *err);
/*
 * Withdraw from the election (the others elect a leader at once), stop
 * replicating and close the session. Call ops->unlead's work first: this
 * calls no op. NULL is a no-op.
 */
void cmd_ha_free(struct cmd_ha *h);

/* Leading, with the roles started. */
bool cmd_ha_leading(const struct cmd_ha *h);
/*
 * DELETE /v2/leader: step down; another master (or this one, when alone)
 * is elected. 0, or -EPERM when not leading.
 */
int cmd_ha_abdicate(struct cmd_ha *h);
/* The durable interface of the cache (valid while h lives). */
const struct durable *cmd_ha_durable(struct cmd_ha *h);

/* Gauges for /metrics: name, value; returns how many were written. */
struct cmd_ha_gauge {
	const char *name;
	double value;
};
size_t cmd_ha_gauges(const struct cmd_ha *h, struct cmd_ha_gauge *out,
		     size_t max);

#endif
