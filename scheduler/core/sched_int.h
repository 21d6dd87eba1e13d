/*
 * sched_int.h: the scheduler's private internals: the role object
 * (struct sched) and the two records every part of the scheduler reads,
 * an app as it runs (struct sched_rapp, owned by sched_repo) and a task
 * (struct sched_task, owned by sched_tracker). Shared by the files of
 * scheduler/ only (STYLE B3); nothing outside scheduler/ includes it.
 * Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_INT_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/err.h"
#include "lib/framework.h"
#include "lib/id.h"
#include "lib/task_state.h"

struct loop;
struct loop_timer;
struct store;
struct store_batch;
struct httpd;
struct sched_app;
struct sched_repo;
struct sched_tracker;
struct metrics;
struct sched_offer;
struct httpc;
struct sched_events;
struct sched_probe;
struct sched_deploy;
struct bodycache;

#define SCHED_MAGIC 0x5c4ed0a1u
#define SCHED_ISO_LEN 32 /* json_time_iso's buffer */

/* One app as the scheduler runs it: the definition and its runtime state. */
struct sched_rapp {
	struct sched_app *app;	  /* owned: the current definition */
	char *config_version;	  /* owned: lastConfigChangeAt; tasks of an
				     earlier version are "old" */
	char *deployment_id;	  /* owned or NULL: set while converging */
	int nfailures;		  /* consecutive failures, for backoff */
	uint64_t launch_after_ms; /* loop_now_ms: no launch before */
	bool backoff_pending;	  /* revive when launch_after_ms passes */
	json_t *last_failure;	  /* ref or NULL: TaskFailure JSON; set
				     with a sched_gen_bump() */
	bool held;	/* its deployment action is in a later step: no launch,
			   no kill (sched_deploy_update_held) */
	json_t *deps;	/* ref: "dependencies" of the definition (absolute) */
	char *def_text; /* owned or NULL: app serialised (sched_api_info),
			   dropped whenever app is replaced */
	size_t def_len;
};

/*
 * What a task still counts as, beside its state (struct sched_task.flags;
 * bit i is 1 << i; the tracker keeps them counted per app, see
 * sched_tracker_set_flags()).
 */
enum sched_task_flag {
	SCHED_TASK_INACTIVE = 0, /* unreachable for longer than its app's
				    inactiveAfterSeconds: no longer an
				    instance, so it is replaced */
	SCHED_TASK_HOLD,	 /* being killed, the kill not yet confirmed:
				    still takes a place under the app's
				    maximumOverCapacity */
	SCHED_TASK_REPLACE,	 /* killed to be replaced (failed its health
				    checks): still an instance until its kill
				    is confirmed; always with HOLD */
	SCHED_TASK_NFLAGS
};
#define SCHED_TASK_F(flag) (1u << (flag))

/* One task the scheduler launched and tracks until it is terminal. */
struct sched_task {
	char *id;		  /* owned */
	char *app_id;		  /* owned */
	char *version;		  /* owned: the app version it runs */
	char *agent_id;		  /* owned */
	char *host;		  /* owned */
	enum task_state state;	  /* TASK_KILLING once we asked for a kill;
				     once tracked, changed only through
				     sched_tracker_set_state() */
	long long staged_ms;	  /* wall clock */
	long long started_ms;	  /* wall clock; 0 until RUNNING */
	uint64_t since_ms;	  /* loop_now_ms of the last state change */
	long long unreachable_ms; /* wall clock when it became
				     TASK_UNREACHABLE; 0 otherwise */
	uint64_t kill_ms;	  /* loop_now_ms of the first kill asked
				     for it; 0 when not killing */
	unsigned flags;	 /* SCHED_TASK_F() bits; once tracked, changed only
			    through sched_tracker_set_flags() */
	uint32_t *ports; /* owned: host ports, PORT0 first */
	size_t nports;
	json_t *task; /* ref: wire_task_encode() of what ran */
	json_t *ips;  /* ref or NULL: Marathon's ipAddresses,
			 [{"ipAddress", "protocol"}], from the agent's
			 container_status */
	size_t idx;   /* position in the tracker's list */
	size_t gidx;  /* position in its app group */
	bool cur;     /* version >= the config version its app's counts were
			 last asked with (sched_tracker_app_counts) */
};

/*
 * The role object. sched.c creates and frees each owned part (through the
 * start/stop of the module that works on it, named in its comment).
 */
struct sched {
	unsigned magic;
	struct loop *loop;	     /* borrowed: from cmd/, outlives s */
	struct store *st;	     /* borrowed: from cmd/, outlives s */
	struct httpd *api;	     /* borrowed: from cmd/, outlives s */
	struct framework_link link;  /* copy; link.master borrowed */
	char *hostname;		     /* owned */
	char *advertise_ip;	     /* owned */
	char *framework_name;	     /* owned */
	char *docker_allowed_params; /* owned or NULL: the operator's list */
	int http_port;
	int master_port;
	struct metrics *metrics;   /* borrowed or NULL: from cmd/ (/metrics) */
	struct sched_offer *offer; /* owned: offer matching (sched_offer.c) */
	double refuse_seconds;	   /* decline filter while there is demand */
	double idle_seconds;	   /* decline filter when nothing is wanted */
	long long launch_timeout_ms; /* TASK_STAGING this long: TASK_LOST */
	bool idle_filtered; /* offers were declined for idle_seconds since
			       the last revive: demand must revive */
	char *fw_id;	    /* owned or NULL before registration */
	bool registered;
	struct sched_repo *repo;     /* owned: the apps (sched_repo.c) */
	struct sched_tracker *tr;    /* owned: the tasks (sched_tracker.c) */
	long long last_version_ms;   /* versions strictly increase */
	struct httpc *hc;	     /* owned: event callbacks, health checks */
	struct sched_events *events; /* owned: the event bus */
	struct sched_probe *health;  /* owned or NULL: health checks
					(sched_health.c) */
	struct sched_deploy **deploys; /* owned array of owned deployments,
					  running (sched_deploy_exec.c) */
	size_t ndeploys;
	size_t capdeploys;
	struct loop_timer *deploy_timer;   /* owned: deployment progress
					      checks (sched_deploy_exec.c;
					      sched_converge.c arms it) */
	struct loop_timer *tick;	   /* owned: sched_converge.c's tick */
	struct loop_timer *converge_timer; /* owned: sched_converge_soon() */
	struct loop_timer *backoff_timer;  /* owned: when a launch backoff
					      ends (sched_converge.c) */
	uint64_t backoff_due_ms; /* when backoff_timer fires, if pending */
	json_t *groups;		 /* ref: explicit group records by id */
	char *zk_url;		 /* owned, or NULL without ZooKeeper */
	long long zk_session_timeout_ms;
	int (*abdicate)(void *arg);
	void *hook_arg;		 /* borrowed: cmd/'s */
	uint64_t gen;		 /* changes no part counts (sched_gen.h) */
	struct bodycache *lists; /* owned: list reply bodies by state
				    generation (sched_api_*.c use it) */
};

#endif
