/*
 * agent_int.h: the agent's internals, shared by agent.c, agent_master.c
 * and agent_api.c only (STYLE B3).
 */
#ifndef CLUSTERD_AGENT_AGENT_INT_H
#define CLUSTERD_AGENT_AGENT_INT_H

#include <stdbool.h>
#include <sys/queue.h>

#include <jansson.h>

#include "agent/agent.h"
#include "lib/httpc.h"
#include "lib/resources.h"
#include "lib/task_state.h"
#include "lib/wire.h"

struct agent_health;
struct ctr;
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
	long long started_ms;
	struct wire_status *pending; /* owned array */
	size_t npending;
	struct httpc_req *in_flight; /* borrowed: valid until its callback */
	long long retry_ms;
	struct loop_timer *retry;    /* owned */
	struct agent_health *health; /* owned or NULL: COMMAND checks */
	bool health_killed;	     /* we killed it for failing them */
	TAILQ_ENTRY(agent_task) link;
};

TAILQ_HEAD(agent_task_list, agent_task);

struct agent {
	struct loop *loop;	/* borrowed: from cmd */
	struct store *store;	/* borrowed: from cmd */
	struct httpc *hc;	/* borrowed: from cmd */
	struct httpd *httpd;	/* borrowed: from cmd */
	struct ctr *ctr;	/* owned */
	struct agent_conf conf; /* strings below, owned copies */
	char *s_hostname, *s_ip, *s_master, *s_work_dir, *s_secret, *s_version;
	char *s_ctrs, *s_dsock;
	char *master_url; /* owned: "http://host:port" */
	char *id;	  /* owned or NULL before registration */
	char *master_id;  /* owned or NULL */
	struct resources total;
	json_t *attributes; /* ref */
	struct agent_task_list tasks;
	bool registered;
	struct httpc_req *reg_req; /* borrowed: in-flight registration */
	int reg_attempts;
	struct loop_timer *reg_timer;	/* owned */
	struct loop_timer *watch_timer; /* owned: master liveness */
	long long last_ping_ms;
	long long start_ms;
};

/* agent.c */
struct agent_task *agent_task_find(struct agent *a, const char *task_id);
int agent_task_save(struct agent_task *t);
/* Queue a status update (checkpointed first) and send when possible. */
void agent_task_update(struct agent_task *t, enum task_state st,
		       const char *message, const char *reason);
void agent_send_pending(struct agent *a);
/* Launch a task received from the master. */
int agent_launch(struct agent *a, const struct wire_task *t,
		 struct cd_err *err);
json_t *agent_task_json(const struct agent_task *t);
/* Start the containerizers and recover (needs the agent id). */
int agent_start_ctr(struct agent *a, struct cd_err *err);

/* POST body (stolen) to the master's path; done(arg) gets the answer. */
struct httpc_req *agent_post_master(struct agent *a, const char *path,
				    json_t *body, httpc_done_fn *done,
				    void *arg);

/* agent_master.c */
void agent_register_start(struct agent *a, bool now);
void agent_master_watch_start(struct agent *a);

/* agent_api.c */
void agent_api_routes(struct agent *a);

#endif
