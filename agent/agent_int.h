/*
 * agent_int.h: the agent's internals, shared by agent.c, agent_api.c,
 * agent_tasks.c and agent_master.c only (STYLE B3). agent.c has the map
 * of the files.
 */
#ifndef CLUSTERD_AGENT_AGENT_INT_H
#define CLUSTERD_AGENT_AGENT_INT_H

#include <stdbool.h>
#include <sys/queue.h>

#include <jansson.h>

#include "agent/agent.h"
#include "lib/httpc.h"
#include "lib/ratelog.h"
#include "lib/resources.h"
#include "lib/task_state.h"
#include "lib/wire.h"

struct agent_health;
struct agent_mon;
struct ctr;
struct ctr_event;
struct httpc_req;
struct loop_timer;

#define AGENT_TASK_MAGIC 0xa9e7a5c1u

/*
 * One task on this node. Its status updates wait in pending[] until the
 * master acknowledges them, one in flight at a time; the record (task,
 * state, sandbox, checkpoint, pending updates) is written to the store
 * before any update is sent.
 */
struct agent_task {
	unsigned magic;
	struct agent *a;       /* borrowed: owner */
	struct wire_task task; /* owned */
	enum task_state state;
	char *sandbox;	    /* owned */
	char *container_id; /* owned or NULL */
	json_t *checkpoint; /* ref or NULL */
	json_t *ips;	    /* ref or NULL: its own addresses (array of
			       strings); NULL: the agent's */
	json_t *cstatus;    /* ref or NULL before it runs: Mesos'
			       ContainerStatus (network_infos: its own
			       addresses, or the agent's), sent with each
			       status; kept by agent_tasks.c */
	long long started_ms;
	struct wire_status *pending; /* owned array */
	size_t npending, cpending;
	struct httpc_req *in_flight; /* borrowed: valid until its callback */
	bool syncing; /* waiting for its checkpoint to be durable */
	long long retry_ms;
	struct loop_timer *retry;    /* owned */
	struct agent_health *health; /* owned or NULL: COMMAND checks */
	bool health_killed;	     /* we killed it for failing them */
	TAILQ_ENTRY(agent_task) link;
};

TAILQ_HEAD(agent_task_list, agent_task);

/* Registered with the master; first: for the first time in this run. */
typedef void agent_registered_fn(struct agent *a, bool first);

struct agent {
	struct loop *loop;	/* borrowed: from cmd */
	struct store *store;	/* borrowed: from cmd */
	struct httpc *hc;	/* borrowed: from cmd */
	struct httpd *httpd;	/* borrowed: from cmd */
	struct ctr *ctr;	/* owned */
	struct agent_conf conf; /* strings below, owned copies */
	/* owned: conf's strings */
	char *s_hostname, *s_ip, *s_master, *s_work_dir, *s_secret, *s_version;
	char *s_ctrs, *s_dsock;	  /* owned: conf's strings */
	char *s_paths, *s_params; /* owned or NULL: conf's strings */
	char *master_url;	  /* owned: "http://host:port", or NULL while
				     following a leader not known yet */
	bool follow;		  /* the master is the leader in ZooKeeper */
	char *leader_pid;	  /* owned or NULL: "master@ip:port" followed */
	char *id;		  /* owned or NULL before registration */
	char *master_id;	  /* owned or NULL */
	char *master_epoch; /* owned or NULL: the master run registered with */
	/* owned or NULL: the address the registration reached the master at
	 * (RunTask and KillTask are taken only from there) */
	char *master_ip;
	char *status_token;	   /* owned or NULL: wire_registered.token */
	struct ratelog refuse_log; /* master messages refused (agent_api.c) */
	/* From the registration reply: how long without a ping before the
	 * master is taken for gone (0: from our own flags). */
	long long master_total_ms;
	struct resources total;		    /* owned (res_free) */
	json_t *attributes;		    /* ref */
	struct agent_task_list tasks;	    /* owned (agent_tasks.c) */
	agent_registered_fn *on_registered; /* set by agent.c */
	bool registered;
	struct httpc_req *reg_req; /* borrowed: in-flight registration */
	long long reg_sent_ms;	   /* when reg_req left */
	int reg_attempts;
	struct loop_timer *reg_timer;	/* owned */
	struct loop_timer *watch_timer; /* owned: master liveness */
	long long last_ping_ms;
	long long start_ms;
	LIST_HEAD(, agent_mon) monitors; /* owned (agent_monitor.c) */
};

/* agent_tasks.c */
struct agent_task *agent_task_find(struct agent *a, const char *task_id);
/* Queue a status update (checkpointed first) and send when possible. */
void agent_task_update(struct agent_task *t, enum task_state st,
		       const char *message, const char *reason);
/* Launch a task received from the master. */
int agent_task_launch(struct agent *a, const struct wire_task *t,
		      struct cd_err *err);
/* Send every queued update now (a new master, or registered again). */
void agent_tasks_send_pending(struct agent *a);
/* The containerizers' event sink (ctr_event_fn); arg is the agent. */
void agent_tasks_ctr_event(const struct ctr_event *ev, void *arg);
/* Re-adopt what the previous run of this agent started (ctr is set). */
void agent_tasks_recover(struct agent *a);
/* Free every task (agent teardown). */
void agent_tasks_release(struct agent *a);

/* agent_master.c */
/* POST body (stolen) to the master's path; done(arg) gets the answer. */
struct httpc_req *agent_master_post(struct agent *a, const char *path,
				    json_t *body, httpc_done_fn *done,
				    void *arg);
void agent_master_register(struct agent *a, bool now);
/*
 * Register now, the master asks for it (a ping from a new run of the
 * master, or one that does not know us): a pending retry is brought
 * forward, and a registration in flight for a while is sent again.
 */
void agent_master_register_now(struct agent *a, const char *why);
/* A request to the master found no master (it never left): register
 * again, with the short backoff, rather than wait for the ping timeout. */
void agent_master_gone(struct agent *a, const char *why);
void agent_master_watch_start(struct agent *a);
/* The leader is now at addr ("ip:port"), or unknown (NULL). */
void agent_master_follow(struct agent *a, const char *addr);
/* Whether a ping naming pid comes from the master we follow. */
bool agent_master_pinger_ok(const struct agent *a, const char *pid);

/* agent_api.c */
void agent_api_routes(struct agent *a);

/* agent_files.c: /files/browse, /files/read, /files/download on a->httpd. */
void agent_files_routes(struct agent *a);

/* agent_monitor.c: /monitor/statistics on a->httpd. */
void agent_monitor_routes(struct agent *a);
/* Answer (503) and drop the requests being gathered: before ctr_free(). */
void agent_monitor_release(struct agent *a);

#endif
