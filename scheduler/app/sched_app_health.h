/*
 * sched_app_health.h: the healthChecks and readinessChecks part of the
 * AppDefinition check pass, private to sched_app_check.c (STYLE B3). Each
 * checks one element h (at JSON path p) of the body's array into the
 * canonical object e: 0, or -EINVAL with c->err set. Pure; any thread.
 */
#ifndef CLUSTERD_SCHEDULER_APP_SCHED_APP_HEALTH_H
#define CLUSTERD_SCHEDULER_APP_SCHED_APP_HEALTH_H

#include <jansson.h>

struct chk;

/* One of "healthChecks": HTTP(S), TCP, COMMAND and their MESOS_ forms. */
int sched_app_health_check(struct chk *c, const json_t *h, const char *p,
			   json_t *e);
/* One of "readinessChecks". */
int sched_app_health_readiness(struct chk *c, const json_t *r, const char *p,
			       json_t *e);

#endif
