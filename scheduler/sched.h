/*
 * sched.h: the Marathon-compatible scheduler role object. It owns the apps,
 * their versions and tasks (persisted in the store), reconciles running
 * tasks towards each app's instances using the offers it gets through
 * lib/framework.h, and serves the Marathon REST API on the httpd it is
 * given. It never includes a master/ header: cmd/ wires it to the master.
 * Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_SCHED_H
#define CLUSTERD_SCHEDULER_SCHED_H

#include "lib/err.h"
#include "lib/framework.h"

struct durable;
struct loop;
struct store;
struct httpd;
struct metrics;
struct sched;

/* One more gauge for /metrics: a name in Marathon's dotted style. */
struct sched_conf {
	const char *hostname; /* this master's hostname, for /v2/info */
	const char
	    *advertise_ip; /* for /v2/leader: "<advertise_ip>:<http_port>" */
	int http_port;
	int master_port;	    /* for /v2/info marathon_config.master */
	const char *framework_name; /* "marathon" */
	double refuse_seconds;	    /* decline filter for unneeded offers */
	/* docker.parameters keys allowed beyond lib/policy's safe set
	 * (--docker_allowed_parameters), or NULL */
	const char *docker_allowed_parameters;
	long long launch_timeout_ms; /* TASK_STAGING this long is TASK_LOST
					(0: Marathon's 300 s) */
	/* With ZooKeeper (cmd/cmd_ha.h); all NULL or 0 without: */
	const char *zk_url; /* for /v2/info */
	long long zk_session_timeout_ms;
	/* DELETE /v2/leader: step down. 0, or -EPERM when not leading;
	 * NULL: no other master could take over, stay (and say so). */
	int (*abdicate)(void *arg);
	/* Events wait until the writes before them are durable. */
	const struct durable *durable;
	void *hook_arg; /* borrowed: for abdicate */
	/* The process's metrics (borrowed: outlives the scheduler), which
	 * /metrics and /metrics/prometheus show; NULL: the scheduler's
	 * own gauges only. */
	struct metrics *metrics;
};

/*
 * Create the scheduler: load apps and tasks from the store, register its
 * routes on api (sched_free() takes them back: a master that loses
 * leadership frees its scheduler and goes on). conf strings are copied. link is
 * copied; link->master must outlive the scheduler. Returns 0 and *out, or a
 * negative code.
 */
int sched_new(struct loop *l, struct store *st, struct httpd *api,
	      const struct sched_conf *conf, const struct framework_link *link,
	      struct sched **out, struct cd_err *err);
void sched_free(struct sched *s);
/* The stored framework id, or NULL before the first registration. Borrowed. */
const char *sched_framework_id(const struct sched *s);
/* The ops table the master calls; pass s as the sched pointer. */
const struct framework_sched_ops *sched_framework_ops(void);

#endif
