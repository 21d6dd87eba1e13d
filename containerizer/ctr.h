/*
 * ctr.h: the containerizer interface (a vtable in the style of redis'
 * ConnectionType) and the registry that picks one per task. The agent
 * drives containerizers only through these functions.
 *
 * A containerizer reports everything about a task through one event
 * callback: STARTING, RUNNING (only once confirmed running), and exactly
 * one terminal state (FINISHED, FAILED, KILLED) per launched or recovered
 * task. Events are never delivered from inside a ctr_* call; they come from
 * the loop later. Loop thread only.
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_H
#define CLUSTERD_CONTAINERIZER_CTR_H

#include <stddef.h>

#include <jansson.h>

#include "lib/err.h"
#include "lib/task_state.h"
#include "lib/wire.h"

struct loop;
struct httpc;
struct ctr;

/* Everything in an event is borrowed for the call of the sink. */
struct ctr_event {
	const char *task_id;
	enum task_state state;
	const char *message;	  /* human reason, or NULL */
	const char *reason;	  /* Mesos REASON_*, or NULL */
	const char *container_id; /* docker id, or "pid:<n>" */
	/*
	 * With RUNNING: what the agent must checkpoint to re-adopt the task
	 * after a restart (borrowed for the call; copy it). NULL otherwise.
	 */
	const json_t *checkpoint;
	/*
	 * With RUNNING: the container's own addresses (an array of
	 * strings), from Docker's inspect of a task on a bridge or user
	 * network. NULL: the task is reached at the agent's address.
	 */
	const json_t *ip_addresses;
};

typedef void ctr_event_fn(const struct ctr_event *ev, void *arg);

/* A command run in a task's context (ctr_exec()); opaque. */
struct ctr_exec;

/*
 * The outcome of an exec: status is the command's exit status (0..255;
 * 128+n when killed by signal n), or a negative errno: -ETIMEDOUT when it
 * outlived its timeout, -ENOENT when the task was gone, others when it
 * could not run. why describes a non-zero outcome (NULL for status 0);
 * borrowed for the call.
 */
typedef void ctr_exec_fn(void *arg, int status, const char *why);

/*
 * A task's resource usage, in the units and under the names of Mesos'
 * ResourceStatistics (/monitor/statistics). A field the containerizer
 * cannot tell is negative (ctr_usage_init() sets them all so).
 */
struct ctr_usage {
	double cpus_user_time_secs;
	double cpus_system_time_secs;
	double cpus_throttled_time_secs;
	long long cpus_nr_periods;
	long long cpus_nr_throttled;
	long long mem_total_bytes; /* charged to it: anon, page cache... */
	long long mem_rss_bytes;   /* anonymous and swap cache */
	long long mem_cache_bytes; /* page cache */
	long long mem_anon_bytes;
	long long mem_file_bytes;
	long long mem_mapped_file_bytes;
	long long mem_swap_bytes;
	long long mem_limit_bytes;
	long long processes;
	long long threads;
};

void ctr_usage_init(struct ctr_usage *u);

/*
 * The outcome of a usage query: rc 0 and u (borrowed for the call), or a
 * negative errno (u NULL): -ENOENT when the task is not running,
 * -ENOTSUP when its containerizer cannot tell, -ETIMEDOUT, -EIO.
 */
typedef void ctr_usage_fn(void *arg, int rc, const struct ctr_usage *u);

/* A driver's usage query in flight (ops->usage); opaque. */
struct ctr_usage_req;
/* The registry's usage query (ctr_usage()); opaque. */
struct ctr_usage_q;

struct ctr_ops {
	const char *name; /* "docker" or "mesos" */
	/* Whether this containerizer runs the task (by its container type). */
	int (*handles)(const struct wire_task *t);
	/* Start launching; progress comes as events. 0 or -errno with err. */
	int (*launch)(void *impl, const struct wire_task *t,
		      const char *sandbox, struct cd_err *err);
	/* Kill with grace; the terminal event follows. 0 or -ENOENT. */
	int (*kill)(void *impl, const char *task_id, int grace_ms);
	/*
	 * Re-adopt a task launched by a previous run of this agent, from its
	 * checkpoint. If it still runs, it is watched again and no event is
	 * sent until it changes; if it is gone, a terminal event follows.
	 */
	int (*recover)(void *impl, const struct wire_task *t,
		       const char *sandbox, const json_t *checkpoint);
	/*
	 * After recovery: kill everything this agent started (by its labels)
	 * that is not among the known task ids. Returns how many were killed
	 * or a negative code; runs asynchronously.
	 */
	int (*reap_orphans)(void *impl, const char *const *known, size_t n);
	void (*free)(void *impl);
	/*
	 * Optional (NULL when unsupported): run "/bin/sh -c cmd" in the
	 * task's context (inside its container; or in its sandbox with its
	 * environment), killed or abandoned after timeout_ms. done runs once,
	 * later, from the loop, unless the exec is cancelled first. Returns
	 * the handle (borrowed: valid until done runs or it is cancelled), or
	 * NULL with err when it cannot start (-ENOENT: task not running).
	 */
	struct ctr_exec *(*exec)(void *impl, const char *task_id,
				 const char *cmd, long timeout_ms,
				 ctr_exec_fn *done, void *arg,
				 struct cd_err *err);
	/*
	 * Optional (NULL when unsupported): the usage of a running task.
	 * A driver that reads it at once (cgroup files) fills *u and
	 * returns 0. One that must ask (the Docker daemon) returns 1 with
	 * *q, and calls done(arg, ...) once, later, from the loop, unless
	 * the query is cancelled first (ctr_int.h) or the driver is freed.
	 * Otherwise a negative errno (-ENOENT: not running).
	 */
	int (*usage)(void *impl, const char *task_id, struct ctr_usage *u,
		     ctr_usage_fn *done, void *arg, struct ctr_usage_req **q);
};

/*
 * Strings borrowed for the call: the constructors copy them. The policy
 * (lib/policy.h) never allows privileged containers.
 */
struct ctr_docker_conf {
	const char *socket_path; /* unix socket of the Docker Engine API */
	const char *agent_key;	 /* stable label value naming this agent */
	int stop_timeout_ms;	 /* default grace before SIGKILL */
	long pull_timeout_ms;	 /* a pull's own timeout */
	const char *allowed_host_paths; /* --allowed_host_paths, or NULL */
	const char *allowed_parameters; /* --docker_allowed_parameters */
	int cgroups_enable_cfs;		/* CpuQuota as well as CpuShares */
};

struct ctr_mesos_conf {
	const char *agent_key;
	int stop_timeout_ms;
	int cgroups_enable_cfs; /* cpu CFS quota as well as shares */
	/* Where cgroup hierarchies are mounted: NULL for /sys/fs/cgroup;
	 * "" for none (rlimits only). */
	const char *cgroups_mount;
};

/* The registry's own settings (the fetcher's); borrowed for the call. */
struct ctr_conf {
	const char *work_dir; /* the fetcher's cache: <work_dir>/fetch_cache */
	const char *allowed_host_paths; /* file:// URIs: --allowed_host_paths */
};

/*
 * Construct containerizers. Each returns its impl pointer and fills *ops
 * with a static table; events go to ev(arg). Defined in ctr_docker.c and
 * ctr_mesos.c.
 */
void *ctr_docker_new(struct loop *l, struct httpc *hc,
		     const struct ctr_docker_conf *conf, ctr_event_fn *ev,
		     void *arg, const struct ctr_ops **ops);
void *ctr_mesos_new(struct loop *l, const struct ctr_mesos_conf *conf,
		    ctr_event_fn *ev, void *arg, const struct ctr_ops **ops);

/*
 * The registry: an ordered list of containerizers, tried in turn. Before
 * a task is launched, its sandbox is given to its user (mode 0750) and
 * its fetch items are fetched into it (ctr_fetch.h); a failure there is
 * TASK_FAILED. hc (borrowed) serves the downloads; conf is copied.
 */
struct ctr *ctr_new(struct loop *l, struct httpc *hc,
		    const struct ctr_conf *conf);
void ctr_free(struct ctr *c);
/* Add one; the registry frees impl with ops->free. */
void ctr_add(struct ctr *c, const struct ctr_ops *ops, void *impl);
/*
 * The first that handles t; -ENOTSUP with err when none does, -ENOENT
 * when t's user does not exist here. A kill while t is being fetched
 * ends it as TASK_KILLED (from the loop, later).
 */
int ctr_launch(struct ctr *c, const struct wire_task *t, const char *sandbox,
	       struct cd_err *err);
int ctr_kill(struct ctr *c, const char *task_id, int grace_ms);
int ctr_recover(struct ctr *c, const struct wire_task *t, const char *sandbox,
		const json_t *checkpoint);
/* Reap orphans in every containerizer. */
void ctr_reap_orphans(struct ctr *c, const char *const *known, size_t n);
/*
 * Run a command in a running task's context through the containerizer
 * that runs it (see ctr_ops.exec). NULL with err: -ENOENT (no such task),
 * -ENOTSUP (its containerizer cannot exec), or the driver's code.
 */
struct ctr_exec *ctr_exec(struct ctr *c, const char *task_id, const char *cmd,
			  long timeout_ms, ctr_exec_fn *done, void *arg,
			  struct cd_err *err);
/* Stop waiting for an exec (killing it where possible); done never runs. */
void ctr_exec_cancel(struct ctr_exec *x);
/*
 * The usage of a task through the containerizer that runs it: done(arg,
 * rc, u) runs once, later, from the loop, whatever the driver does (see
 * ctr_usage_fn), unless ctr_usage_cancel() comes first or the registry is
 * freed. Returns the query, borrowed: valid until done runs or it is
 * cancelled.
 */
struct ctr_usage_q *ctr_usage(struct ctr *c, const char *task_id,
			      ctr_usage_fn *done, void *arg);
/* Drop a query in flight; done never runs. NULL is a no-op. */
void ctr_usage_cancel(struct ctr_usage_q *q);

#endif
