/*
 * ctr_docker_int.h: private to the docker containerizer's own files
 * (STYLE B3 "foo_int.h"): ctr_docker.c (the driver and each task's life),
 * ctr_docker_logs.c (a container's output into its sandbox),
 * ctr_docker_image.c (a missing image pulled), ctr_docker_exec.c
 * (commands run in a task's container) and ctr_docker_rm.c (container
 * removal and orphan reaping). They share the driver object and one way
 * to call the Engine API. Loop thread only.
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_DOCKER_INT_H
#define CLUSTERD_CONTAINERIZER_CTR_DOCKER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "containerizer/ctr.h"
#include "containerizer/ctr_int.h"
#include "lib/httpc.h"

struct loop;
struct ctr_dk_create;
struct ctr_docker_task;
struct ctr_docker_image;
struct ctr_docker_rm;
struct ctr_docker_exec;
struct ctr_docker_logs;

/* The driver: the impl behind ctr_docker_new(). */
struct ctr_docker {
	struct ctr_base base; /* first: magic and event sink */
	struct loop *l;	      /* borrowed: the agent's loop */
	struct httpc *hc;     /* borrowed: the agent's client */
	char *socket;	      /* owned */
	char *agent_key;      /* owned */
	int stop_timeout_ms;
	int allow_privileged;
	long pull_timeout_ms;
	struct ctr_docker_task *tasks; /* owned: list (ctr_docker.c) */
	struct ctr_docker_rm *rms;     /* owned: list (ctr_docker_rm.c) */
	struct ctr_docker_exec *execs; /* owned: list (ctr_docker_exec.c) */
};

/*
 * Start an Engine API request: path is below "http://docker/v1.41", body
 * is JSON or NULL, timeout_ms 0 means httpc's default and -1 none. The
 * request is borrowed: valid until done runs or it is cancelled.
 */
struct httpc_req *ctr_docker_http(struct ctr_docker *d, const char *method,
				  const char *path, const char *body,
				  long timeout_ms, httpc_data_fn *on_data,
				  httpc_done_fn *done, void *arg);

/* A short description of a failed reply, for messages. Caller frees. */
char *ctr_docker_why(const struct httpc_resp *r);

/* Cancel *r if in flight, and clear it. */
void ctr_docker_cancel(struct httpc_req **r);

/*
 * The container of a task that runs and was not asked to stop (borrowed:
 * valid until the task's next event), or NULL. For ctr_docker_exec.c.
 */
const char *ctr_docker_running_cid(struct ctr_docker *d, const char *task_id);

/* Whether the driver still tracks task_id (launching, running, ending). */
bool ctr_docker_tracked(struct ctr_docker *d, const char *task_id);

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
/* As ctr_ops.reap_orphans. */
int ctr_docker_rm_orphans(void *impl, const char *const *known, size_t n);
/* Cancel and free every removal or listing in flight. */
void ctr_docker_rm_free_all(struct ctr_docker *d);

/* ---- ctr_docker_exec.c ---- */

/* As ctr_ops.exec. */
struct ctr_exec *ctr_docker_exec_start(void *impl, const char *task_id,
				       const char *cmd, long timeout_ms,
				       ctr_exec_fn *done, void *arg,
				       struct cd_err *err);
/* Cancel and free every exec in flight; their done never runs. */
void ctr_docker_exec_free_all(struct ctr_docker *d);

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
 * Follow container cid's output: from its start, or since now (after an
 * agent restart, when the earlier part is already in the files). A stream
 * cut by a transport error (the daemon restarting) is opened again, since
 * then, with backoff, until ctr_docker_logs_end(). No-op when a stream is
 * already open.
 */
void ctr_docker_logs_open(struct ctr_docker_logs *lg, const char *cid,
			  bool since_now);
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
