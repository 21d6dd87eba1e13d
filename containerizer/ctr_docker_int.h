/*
 * ctr_docker_int.h: private to the docker containerizer's own files
 * (STYLE B3 "foo_int.h"): ctr_docker.c (the driver, a task's launch and
 * recovery), ctr_docker_exec.c (commands run in a task's container),
 * ctr_docker_task.c (a task's record and its end), ctr_docker_stats.c (a
 * task's resource usage), ctr_docker_image.c (a missing image pulled),
 * ctr_docker_logs.c (a container's output into its sandbox), ctr_docker_rm.c
 * (container removal and orphan reaping) and ctr_docker_http.c (the Engine API
 * requests), in the order they call each other (ctr_docker.c has the map). They
 * share the driver object and one way to call the Engine API. Loop thread only.
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_DOCKER_INT_H
#define CLUSTERD_CONTAINERIZER_CTR_DOCKER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>

#include "containerizer/ctr.h"
#include "containerizer/ctr_docker_api.h"
#include "containerizer/ctr_int.h"
#include "lib/httpc.h"
#include "lib/task_state.h"

struct loop;
struct loop_timer;
struct ctr_docker_task;
struct ctr_docker_image;
struct ctr_docker_rm;
struct ctr_docker_exec;
struct ctr_docker_logs;
struct ctr_docker_stats;

/* The driver: the impl behind ctr_docker_new(). */
struct ctr_docker {
	struct ctr_base base; /* first: magic and event sink */
	struct loop *l;	      /* borrowed: the agent's loop */
	struct httpc *hc;     /* borrowed: the agent's client */
	char *socket;	      /* owned */
	char *agent_key;      /* owned */
	int stop_timeout_ms;
	long pull_timeout_ms;
	char *allowed_host_paths; /* owned or NULL */
	char *allowed_parameters; /* owned or NULL */
	bool cfs;
	LIST_HEAD(, ctr_docker_task) tasks;  /* owned (ctr_docker.c) */
	LIST_HEAD(, ctr_docker_rm) rms;	     /* owned (ctr_docker_rm.c) */
	LIST_HEAD(, ctr_docker_exec) execs;  /* owned (ctr_docker_exec.c) */
	LIST_HEAD(, ctr_docker_stats) stats; /* owned (ctr_docker_stats.c) */
};

/* A backoff's ceiling: a wait, or a recovery's inspect, retried. */
#define CTR_DOCKER_BACKOFF_MAX_MS 5000

/* ---- ctr_docker_task.c ---- */

#define CTR_DOCKER_TASK_MAGIC 0xd0c4e702u

enum ctr_docker_phase {
	DK_KICK,    /* launch accepted; the timer starts it */
	DK_CREATE,  /* POST /containers/create */
	DK_IMAGE,   /* fetching the image (ctr_docker_image.c) */
	DK_ADOPT,   /* GET /containers/{name}/json after a 409 */
	DK_START,   /* POST /containers/{id}/start */
	DK_ADDRESS, /* GET /containers/{id}/json for its own address */
	DK_RECOVER, /* GET /containers/{id}/json on recovery */
	DK_RUNNING, /* watched: wait (and logs) in flight */
	DK_ENDING,  /* terminal state known; draining the logs */
};

/* What the task's timer (ctr_docker.c's callback) does when it fires. */
enum ctr_docker_timer_act {
	DK_T_KICK,   /* start the launch (or recovery) */
	DK_T_FINISH, /* send the terminal state decided earlier */
	DK_T_WAIT,   /* re-issue the wait after a transport error */
	DK_T_DRAIN,  /* the logs did not end in time: send the terminal */
};

/* One launched or recovered task, on its driver's list (d->tasks). */
struct ctr_docker_task {
	unsigned magic;
	struct ctr_docker *d;	   /* borrowed: owner */
	char *task_id;		   /* owned */
	char *name;		   /* owned: container name */
	char *sandbox;		   /* owned */
	char *cid;		   /* owned or NULL: container id */
	struct ctr_dk_create spec; /* owned: launch only */
	char *spec_err;		   /* owned or NULL: why the spec was refused */
	enum ctr_docker_phase phase;
	int kill_grace_ms; /* the task's own grace, 0 = default */
	int stop_grace_ms; /* the grace of the kill asked */
	bool kill_req;
	bool running_sent;
	bool recovered;
	bool pulled;	 /* the image was pulled for this launch */
	int mem_mb;	 /* its memory limit, for the message of an OOM */
	int exit_code;	 /* while the inspect after an exit is in flight */
	bool rm_by_name; /* a create failed unsure: remove by name at the end */
	char *create_404; /* owned or NULL: the create's 404 message */
	/* The terminal state, once known. */
	enum task_state final;
	char *final_msg;	    /* owned */
	const char *final_reason;   /* static */
	struct httpc_req *req;	    /* borrowed: the step in flight */
	struct httpc_req *wait_req; /* borrowed */
	struct httpc_req *stop_req; /* borrowed */
	struct loop_timer *timer;   /* owned */
	enum ctr_docker_timer_act act;
	int wait_backoff_ms;
	struct ctr_docker_image *img;	  /* borrowed: the fetch in flight */
	struct ctr_docker_logs *logs;	  /* owned */
	LIST_ENTRY(ctr_docker_task) link; /* on d->tasks */
};

/* The task of that id on d's list (borrowed), or NULL. */
struct ctr_docker_task *ctr_docker_task_find(struct ctr_docker *d,
					     const char *task_id);
/*
 * The container of a task that runs and was not asked to stop (borrowed:
 * valid until the task's next event), or NULL.
 */
const char *ctr_docker_task_running_cid(struct ctr_docker *d,
					const char *task_id);
/* Free t, which is on no list, cancelling what it has in flight. */
void ctr_docker_task_free(struct ctr_docker_task *t);
/* Send an event about t (checkpoint with RUNNING only). */
void ctr_docker_task_emit(struct ctr_docker_task *t, enum task_state st,
			  const char *msg, const char *reason,
			  const json_t *checkpoint);
/* Send t's terminal state, take it off the list, remove its container. */
void ctr_docker_task_terminate(struct ctr_docker_task *t);
/*
 * Decide t's terminal state (once; later calls are ignored): cancel its
 * requests and terminate once its log stream has ended (bounded).
 */
void ctr_docker_task_finish(struct ctr_docker_task *t, enum task_state st,
			    const char *reason, const char *fmt, ...)
    CD_PRINTF(4, 5);
/* The same from t's zero-delay timer: for decisions inside ctr_* calls. */
void ctr_docker_task_finish_later(struct ctr_docker_task *t, enum task_state st,
				  const char *reason, const char *msg);
/* A launch step failed: FAILED, or KILLED when a kill came meanwhile. */
void ctr_docker_task_fail(struct ctr_docker_task *t, const char *what,
			  const struct httpc_resp *r);
/*
 * The container exited with code: FINISHED, FAILED or KILLED; FAILED with
 * REASON_CONTAINER_LIMITATION_MEMORY when its memory limit killed it
 * (oom 1; -1: not known yet, an inspect tells).
 */
void ctr_docker_task_exited(struct ctr_docker_task *t, int code, int oom);
/*
 * Inspect the container id (its id or name) as t's request (t->req);
 * done reads the answer with ctr_docker_task_inspected().
 */
void ctr_docker_task_inspect(struct ctr_docker_task *t, const char *id,
			     httpc_done_fn *done);
/*
 * Whether r is an inspect's 200 and reads into in (released by the
 * caller then; nothing to release otherwise).
 */
bool ctr_docker_task_inspected(const struct httpc_resp *r,
			       struct ctr_dk_inspect *in);
/* Watch t's running container: its wait, and its logs (resume: from where
 * the sandbox files end, after an agent restart). */
void ctr_docker_task_watch(struct ctr_docker_task *t, bool resume);
/* (Re-)issue the long-poll wait for t's container's exit. */
void ctr_docker_task_wait(struct ctr_docker_task *t);
/* Stop t's container with its kill's grace; the wait then ends it. */
void ctr_docker_task_stop(struct ctr_docker_task *t);

/* ---- ctr_docker_http.c ---- */

/*
 * Start an Engine API request: path is below "http://docker/v1.41", body
 * is JSON or NULL, timeout_ms 0 means httpc's default and -1 none. The
 * request is borrowed: valid until done runs or it is cancelled.
 */
struct httpc_req *ctr_docker_http(struct ctr_docker *d, const char *method,
				  const char *path, const char *body,
				  long timeout_ms, httpc_data_fn *on_data,
				  httpc_done_fn *done, void *arg);

/*
 * A short description of a failed reply, for messages: "Docker daemon
 * unreachable: ...", "Docker daemon did not answer in time: ..." or
 * "Docker API <status>: <its message>". Caller frees.
 */
char *ctr_docker_http_why(const struct httpc_resp *r);

/* Cancel *r if in flight, and clear it. */
void ctr_docker_http_cancel(struct httpc_req **r);

/* ---- ctr_docker_image.c ---- */

/*
 * The end of a fetch: rc 0 when the image was pulled, -EEXIST when the
 * check found it present (nothing pulled), another -errno with why (a
 * whole message such as "pulling busybox:1: ...", borrowed for the call)
 * when it failed.
 */
typedef void ctr_docker_image_fn(void *arg, int rc, const char *why);

/*
 * Get spec's image onto the node for task_id (named in the log): with
 * check, inspect it first and pull only when it is missing; without,
 * pull at once (forcePullImage). done runs once, later, from the loop,
 * unless ctr_docker_image_cancel() comes first. Returns the fetch,
 * borrowed: valid until done runs or it is cancelled.
 */
struct ctr_docker_image *
ctr_docker_image_fetch(struct ctr_docker *d, const char *task_id,
		       const struct ctr_dk_create *spec, bool check,
		       ctr_docker_image_fn *done, void *arg);
/* Stop a fetch in flight and free it; done never runs. NULL is a no-op. */
void ctr_docker_image_cancel(struct ctr_docker_image *im);

/* ---- ctr_docker_rm.c ---- */

/*
 * DELETE the container cid with ?force=1 (which kills it if it runs), in
 * the background; what names it in the log. The sandbox stays.
 */
void ctr_docker_rm_container(struct ctr_docker *d, const char *cid,
			     const char *what);
/* Whether the driver still tracks task_id (launching, running, ending). */
typedef bool ctr_docker_tracked_fn(struct ctr_docker *d, const char *task_id);

/*
 * As ctr_ops.reap_orphans: remove the containers labelled with d's agent
 * key whose task is neither among known (copied) nor tracked, asked when
 * the listing comes back.
 */
int ctr_docker_rm_orphans(struct ctr_docker *d, const char *const *known,
			  size_t n, ctr_docker_tracked_fn *tracked);
/* Cancel and free every removal or listing in flight. */
void ctr_docker_rm_free_all(struct ctr_docker *d);

/* ---- ctr_docker_exec.c ---- */

/* As ctr_ops.exec, in the container cid (copied) of the running task. */
struct ctr_exec *ctr_docker_exec_start(struct ctr_docker *d, const char *cid,
				       const char *cmd, long timeout_ms,
				       ctr_exec_fn *done, void *arg);
/* Cancel and free every exec in flight; their done never runs. */
void ctr_docker_exec_free_all(struct ctr_docker *d);

/* ---- ctr_docker_stats.c ---- */

/* A stats request's own timeout. */
#define CTR_DOCKER_STATS_MS 5000

/*
 * As ctr_ops.usage, for the container cid (the running task's): the query
 * (never NULL), whose done runs once, later, from the loop, unless it is
 * cancelled (its cancel hook) or the driver is freed.
 */
struct ctr_usage_req *ctr_docker_stats_start(struct ctr_docker *d,
					     const char *cid,
					     ctr_usage_fn *done, void *arg);
/* Cancel and free every query in flight; their done never runs. */
void ctr_docker_stats_free_all(struct ctr_docker *d);

/* ---- ctr_docker_logs.c ---- */

/* The stream of one task's container has ended (see ctr_docker_logs_end). */
typedef void ctr_docker_logs_end_fn(void *arg);

/*
 * A task's log stream: GET /containers/{id}/logs?follow=1, demultiplexed
 * into <sandbox>/stdout and <sandbox>/stderr (opened O_APPEND, created on
 * the first open). task_id and sandbox are copied. Owned by the caller:
 * free with ctr_docker_logs_free().
 */
struct ctr_docker_logs *ctr_docker_logs_new(struct ctr_docker *d,
					    const char *task_id,
					    const char *sandbox);
void ctr_docker_logs_free(struct ctr_docker_logs *lg);
/*
 * Follow container cid's output: from its start, or (resume, after an
 * agent restart) from where the sandbox files end, by the record kept
 * beside the sandbox: nothing doubled, nothing lost. A stream cut by a
 * transport error (the daemon restarting) is resumed the same way, with
 * backoff, until ctr_docker_logs_end(). No-op when a stream is already
 * open.
 */
void ctr_docker_logs_open(struct ctr_docker_logs *lg, const char *cid,
			  bool resume);
/* Whether a stream request is in flight. */
bool ctr_docker_logs_streaming(const struct ctr_docker_logs *lg);
/*
 * The container has ended: never reopen. Returns false when no stream is
 * in flight; otherwise end(arg) runs once the stream has delivered the
 * container's last output, unless ctr_docker_logs_cancel() comes first.
 */
bool ctr_docker_logs_end(struct ctr_docker_logs *lg,
			 ctr_docker_logs_end_fn *end, void *arg);
/* Drop the stream in flight (end does not run) and any reopening. */
void ctr_docker_logs_cancel(struct ctr_docker_logs *lg);

#endif
