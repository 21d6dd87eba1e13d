/*
 * sched_int.h: the scheduler's private internals, shared by sched.c,
 * sched_repo.c, sched_tracker.c and sched_api_*.c only (STYLE B3). Nothing
 * outside scheduler/ includes it. Loop thread only.
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
struct sched_offer;
struct httpc;
struct sched_events;
struct sched_probe;
struct sched_deploy;

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
	json_t *last_failure;	  /* ref or NULL: TaskFailure JSON */
	bool held;	/* its deployment action is in a later step: no launch,
			   no kill (sched_deploy_update_held) */
	json_t *deps;	/* ref: "dependencies" of the definition (absolute) */
	char *def_text; /* owned or NULL: app serialised (sched_api_info),
			   dropped whenever app is replaced */
	size_t def_len;
};

/* One task the scheduler launched and tracks until it is terminal. */
struct sched_task {
	char *id;	       /* owned */
	char *app_id;	       /* owned */
	char *version;	       /* owned: the app version it runs */
	char *agent_id;	       /* owned */
	char *host;	       /* owned */
	enum task_state state; /* TASK_KILLING once we asked for a kill;
				  once tracked, changed only through
				  sched_tracker_set_state() */
	long long staged_ms;   /* wall clock */
	long long started_ms;  /* wall clock; 0 until RUNNING */
	uint64_t since_ms;     /* loop_now_ms of the last state change */
	uint32_t *ports;       /* owned: host ports, PORT0 first */
	size_t nports;
	json_t *task; /* ref: wire_task_encode() of what ran */
	size_t idx;   /* position in the tracker's list */
	size_t gidx;  /* position in its app group */
	bool cur;     /* version >= the config version its app's counts were
			 last asked with (sched_tracker_app_counts) */
};

struct sched {
	unsigned magic;
	struct loop *loop;	    /* borrowed: from cmd/, outlives s */
	struct store *st;	    /* borrowed: from cmd/, outlives s */
	struct httpd *api;	    /* borrowed: from cmd/, outlives s */
	struct framework_link link; /* copy; link.master borrowed */
	char *hostname;		    /* owned */
	char *advertise_ip;	    /* owned */
	char *framework_name;	    /* owned */
	int http_port;
	int master_port;
	struct sched_offer *offer; /* owned: offer matching (sched_offer.c) */
	double refuse_seconds;	   /* decline filter while there is demand */
	double idle_seconds;	   /* decline filter when nothing is wanted */
	bool idle_filtered; /* offers were declined for idle_seconds since
			       the last revive: demand must revive */
	char *fw_id;	    /* owned or NULL before registration */
	bool registered;
	struct sched_repo *repo;       /* owned */
	struct sched_tracker *tr;      /* owned */
	struct loop_timer *tick;       /* owned */
	long long last_version_ms;     /* versions strictly increase */
	struct httpc *hc;	       /* owned: event callbacks */
	struct sched_events *events;   /* owned: the event bus */
	struct sched_probe *health;    /* owned or NULL: health checks */
	struct sched_deploy **deploys; /* owned: running deployments */
	size_t ndeploys;
	size_t capdeploys;
	struct loop_timer *deploy_timer;   /* owned: sched_deploy_kick() */
	struct loop_timer *converge_timer; /* owned: sched_converge_soon() */
	struct loop_timer
	    *backoff_timer;	 /* owned: when a launch backoff ends */
	uint64_t backoff_due_ms; /* when backoff_timer fires, if pending */
	json_t *groups;		 /* ref: explicit group records by id */
};

/*
 * One change the API asks for, applied by sched_apply(): persist first
 * (one store batch), then update memory, send kills, converge.
 */
struct sched_change {
	struct sched_app *app; /* owned, taken: new definition, or NULL */
	const char *delete_id; /* borrowed or NULL: delete this app */
	bool restart;	       /* replace the tasks even without a
				  config change (restart) */
	bool rollback;	       /* app is a stored version: a restart */
	char **kill_ids;       /* borrowed: task ids to kill */
	size_t nkill;
	bool force; /* cancel the deployments that lock the app */
	/* Out: */
	char deployment_id[ID_UUID_LEN]; /* "" when no deployment started
					    (kills only) */
	char version[SCHED_ISO_LEN];
	int created;	/* 1 when app did not exist before */
	json_t *locked; /* new ref or NULL: [{"id"}] of the deployments
			   that refused the change (-EBUSY); caller frees */
};

/* Options of sched_apply_many(). */
struct sched_apply_opts {
	bool force;	    /* cancel the deployments that lock the apps */
	bool dry_run;	    /* plan only: nothing is written or changed */
	json_t *groups_put; /* borrowed or NULL: group records {"id",
			       "dependencies"} to store (version set) */
	json_t *groups_del; /* borrowed or NULL: ids of group records to
			       delete */
	/* Out: */
	char deployment_id[ID_UUID_LEN]; /* "" when no deployment */
	char version[SCHED_ISO_LEN];
	json_t *locked; /* new ref or NULL, see struct sched_change */
	json_t *steps;	/* new ref (dry_run): [{"actions": [...]}] */
};

/* A list of task ids, copied so that the tasks may vanish meanwhile (the
 * master may call status() from inside launch() or kill()). */
struct sched_ids {
	char **v; /* owned array of owned strings */
	size_t n;
	size_t cap;
};

struct sched_launch_counts;

/* sched.c */

void sched_ids_push(struct sched_ids *l, const char *id);
void sched_ids_release(struct sched_ids *l);
/*
 * Ask the master for offers again (after demand appeared): clears every
 * decline filter, the long idle ones included (see sched_driver.c).
 */
void sched_revive(struct sched *s);
/* Ask the master to kill each task; a task the master does not know ends
 * at once (TASK_KILLED). No-op before registration. */
void sched_send_kills(struct sched *s, const struct sched_ids *ids);
/* Persist TASK_KILLING for the tasks (one commit), then mark them. */
int sched_mark_killing(struct sched *s, const struct sched_ids *ids);
/* Count r's tasks for sched_launch_plan(). */
void sched_count_app(const struct sched *s, const struct sched_rapp *r,
		     struct sched_launch_counts *c);
/*
 * Recount r's tasks, persist and send the kills the plan asks for, clear
 * the deployment once converged. Returns the number still to launch.
 */
int sched_converge(struct sched *s, struct sched_rapp *r);
/* Converge every app from the loop, soon (not from inside this call). */
void sched_converge_soon(struct sched *s);
/*
 * t ended (terminal, or lost): delete its record, count a failure for
 * backoff unless we killed it, forget it, converge its app. Returns 0, or
 * the store's code with t left untouched.
 */
int sched_task_end_rc(struct sched *s, struct sched_task *t,
		      enum task_state state, const char *message);
/*
 * The status_update_event of t reaching state (Marathon's fields), built
 * while t is valid; emit it once the new state is visible through the API.
 * New reference.
 */
json_t *sched_status_event(const struct sched_task *t, enum task_state state,
			   const char *message);
/* The same, logging a store failure instead of returning it. */
void sched_task_end(struct sched *s, struct sched_task *t,
		    enum task_state state, const char *message);

/* The next app version: now, but strictly after the previous one. */
void sched_next_version(struct sched *s, char out[SCHED_ISO_LEN]);
/*
 * Apply c. Returns 0 (c's out fields set), or -EIO when the store refused
 * the write (nothing changed, err set). c->app is consumed either way.
 */
int sched_apply(struct sched *s, struct sched_change *c, struct cd_err *err);
/*
 * Apply n changes as one deployment, one commit, one version. A change of
 * an app (or its deletion) starts a deployment; kills alone do not. When
 * a running deployment locks one of the apps: -EBUSY with o->locked set,
 * unless o->force, which cancels it. A dependency cycle: -EINVAL (err
 * path "/"). -ENOSPC when service ports ran out, -EIO when the store
 * refused. Every cv[i].app is consumed either way; the out fields of
 * every cv[i] and of o are set on success.
 */
int sched_apply_many(struct sched *s, struct sched_change *cv, size_t n,
		     struct sched_apply_opts *o, struct cd_err *err);
/* Whether t counts as healthy: its app has no health checks, or they
 * pass (sched_probe_state() == 1). */
bool sched_task_healthy(const struct sched *s, const struct sched_rapp *ra,
			const struct sched_task *t);
/* Whether t runs the current configuration of r. */
bool sched_task_current(const struct sched_rapp *r, const struct sched_task *t);
/* The API state of t (TASK_LOST for UNREACHABLE and so on). */
const char *sched_task_state_name(const struct sched_task *t);
/* tasksStaged, tasksRunning of r. */
void sched_counts(const struct sched *s, const struct sched_rapp *r,
		  int *staged, int *running);

#endif
