/*
 * cmd_ha_int.h: what cmd_ha.c (the session, the election, the states) and
 * cmd_ha_filter.c (a master's ports while it does not lead) share; only
 * those two include it (STYLE B3). Loop thread only.
 */
#ifndef CLUSTERD_CMD_CMD_HA_INT_H
#define CLUSTERD_CMD_CMD_HA_INT_H

#include <stdbool.h>

#include "cmd/cmd_ha.h"
#include "lib/durable.h"
#include "lib/zk_url.h"

#define CMD_HA_MAGIC 0xc3d4a001u

struct httpd;
struct leader_detect;
struct leader_elect;
struct loop_timer;
struct relay;
struct zk;
struct zkstore;

enum ha_state {
	HA_STANDBY, /* not elected: the filters serve the ports */
	HA_LOADING, /* elected, loading the state from ZooKeeper */
	HA_LEADING, /* the roles run */
};

struct cmd_ha {
	unsigned magic;
	struct loop *l; /* borrowed */
	struct cmd_ha_ops ops;
	void *arg; /* borrowed: main's */
	struct zk_url url;
	long long session_timeout_ms;
	char *scheme;		      /* owned */
	struct zk *zk;		      /* owned */
	struct leader_elect *elect;   /* owned, or NULL (an agent) */
	struct leader_detect *detect; /* owned */
	struct zkstore *zs;	      /* owned, or NULL (an agent) */
	struct store *cache;	      /* borrowed: main's, or NULL */
	struct httpd *api, *master;   /* borrowed: main's, or NULL */
	struct relay *relay;	      /* owned, or NULL (an agent) */
	struct durable dur;	      /* of the cache */
	struct loop_timer *step;      /* owned: runs ha_step() */
	enum ha_state state;
	bool ready;	     /* the load is done (LOADING) */
	bool failed;	     /* the replication failed: step down */
	char *self_id;	     /* owned: our MasterInfo id, or NULL */
	char *leader_api;    /* owned: "http://ip:http_port", or NULL */
	char *leader_master; /* owned: "http://ip:port", or NULL */
	bool leader_self;    /* the detected leader is this master */
	long long start_ms, elected_ms;
};

/* cmd_ha_filter.c */
/* Filter h->api and h->master (a master's ports). */
void cmd_ha_filters_install(struct cmd_ha *h);
void cmd_ha_filters_remove(struct cmd_ha *h);

#endif
