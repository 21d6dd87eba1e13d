/*
 * sched_app_net.h: the networks, container and ports part of the
 * AppDefinition check pass (private to sched_app_check.c, STYLE B3).
 */
#ifndef CLUSTERD_SCHEDULER_APP_SCHED_APP_NET_H
#define CLUSTERD_SCHEDULER_APP_SCHED_APP_NET_H

#include <jansson.h>

#include "scheduler/app/sched_app_field.h"

int sched_app_net_net(struct chk *c, json_t **out);

int sched_app_net_container(struct chk *c, json_t **out);

int sched_app_net_portdefs(struct chk *c, json_t *res);

int sched_app_net_ports_unique(struct chk *c, const char *base,
			       const char *key);

long sched_app_net_port_named(const struct chk *c, const char *name);

#endif
