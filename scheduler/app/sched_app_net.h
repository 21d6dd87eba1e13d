/*
 * sched_app_net.h: the network an app's tasks join (enum sched_app_net,
 * read back from a canonical definition by sched_app.c), and the networks,
 * container and ports part of the AppDefinition check pass, whose
 * functions taking a struct chk are private to sched_app_check.c and
 * sched_app_health.c (STYLE B3). Pure: no I/O, no globals; any thread.
 */
#ifndef CLUSTERD_SCHEDULER_APP_SCHED_APP_NET_H
#define CLUSTERD_SCHEDULER_APP_SCHED_APP_NET_H

#include <jansson.h>

struct chk;

/* The network an app's tasks join, derived from networks/docker.network. */
enum sched_app_net {
	SCHED_APP_NET_HOST = 0, /* host networking: portDefinitions */
	SCHED_APP_NET_BRIDGE,	/* docker bridge: portMappings, hostPort 0 = any
				 */
	SCHED_APP_NET_USER,	/* named container network: portMappings */
	SCHED_APP_NET_NONE	/* docker "none": no ports at all */
};

/* The network mode of a canonical definition. */
enum sched_app_net sched_app_net_of(const json_t *def);

/* "HOST", "BRIDGE", "USER" or "NONE". */
const char *sched_app_net_name(enum sched_app_net n);

/* The check pass (struct chk: sched_app_field.h). */

int sched_app_net_net(struct chk *c, json_t **out);

int sched_app_net_container(struct chk *c, json_t **out);

int sched_app_net_portdefs(struct chk *c, json_t *res);

int sched_app_net_ports_unique(struct chk *c, const char *base,
			       const char *key);

long sched_app_net_port_named(const struct chk *c, const char *name);

#endif
