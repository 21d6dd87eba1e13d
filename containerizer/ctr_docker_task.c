/*
 * ctr_docker_task.c: a docker task's record and how it ends (see
 * ctr_docker_int.h; the driver, ctr_docker.c, creates tasks and begins
 * them). Owns nothing beyond each task's own fields: the driver's list
 * owns the tasks, and a task leaves it here, when its terminal event is
 * sent. Here: finding a task, its events, the long-poll wait for the
 * container's exit (retried with backoff when the daemon restarts), the
 * stop asked by a kill, and the terminal state, sent once the log stream
 * has delivered the container's last output (at most DK_DRAIN_MS later),
 * after which the container is removed by ctr_docker_rm.c. The task's
 * timer is the driver's (its callback dispatches on t->act); this file
 * only arms it. Loop thread only.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#define LOG_MOD "ctr_docker"
#include "containerizer/ctr_docker_api.h"
#include "containerizer/ctr_docker_int.h"
#include "containerizer/ctr_int.h"
#include "lib/httpc.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/xalloc.h"

#define DK_DRAIN_MS 3000
#define DK_BACKOFF_MIN_MS 250

struct ctr_docker_task *
ctr_docker_task_find(struct ctr_docker *d, const char *task_id)
{
	struct ctr_docker_task *t;

	LIST_FOREACH(t, &d->tasks, link)
		if (strcmp(t->task_id, task_id) == 0)
			return t;
	return NULL;
}

const char *
ctr_docker_task_running_cid(struct ctr_docker *d, const char *task_id)
{
	struct ctr_docker_task *t = ctr_docker_task_find(d, task_id);

	if (t == NULL || t->cid == NULL || t->phase != DK_RUNNING ||
	    t->kill_req)
		return NULL;
	return t->cid;
}

void
ctr_docker_task_free(struct ctr_docker_task *t)
{
	ctr_docker_http_cancel(&t->req);
	ctr_docker_http_cancel(&t->wait_req);
	ctr_docker_http_cancel(&t->stop_req);
	loop_timer_free(t->timer);
	ctr_docker_logs_free(t->logs);
	ctr_dk_create_release(&t->spec);
	ctr_docker_image_cancel(t->img);
	free(t->task_id);
	free(t->name);
	free(t->sandbox);
	free(t->cid);
	free(t->spec_err);
	free(t->create_404);
	free(t->final_msg);
	CD_FREE_OBJ(t);
}

void
ctr_docker_task_emit(struct ctr_docker_task *t, enum task_state st,
		     const char *msg, const char *reason,
		     const json_t *checkpoint)
{
	ctr_base_emit_state(&t->d->base, t->task_id, st, msg, reason, t->cid,
			    checkpoint);
}

/* Send the terminal state, forget the task, remove its container. */
void
ctr_docker_task_terminate(struct ctr_docker_task *t)
{
	log_info("task %s: %s: %s", t->task_id, task_state_name(t->final),
		 t->final_msg);
	LIST_REMOVE(t, link);
	ctr_docker_task_emit(t, t->final, t->final_msg, t->final_reason, NULL);
	if (t->cid != NULL)
		ctr_docker_rm_container(t->d, t->cid, t->task_id);
	else if (t->rm_by_name)
		ctr_docker_rm_container(t->d, t->name, t->task_id);
	ctr_docker_task_free(t);
}

/* The log stream ended after the container: the sandbox is complete. */
static void
dk_logs_ended(void *arg)
{
	struct ctr_docker_task *t = arg;

	CD_CHECK_OBJ(t, CTR_DOCKER_TASK_MAGIC);
	loop_timer_del(t->timer);
	ctr_docker_task_terminate(t);
}

/*
 * Decide the terminal state. The event waits for the log stream to end
 * (bounded), so the sandbox holds the container's last words.
 */
void
ctr_docker_task_finish(struct ctr_docker_task *t, enum task_state st,
		       const char *reason, const char *fmt, ...)
{
	va_list ap;

	if (t->phase == DK_ENDING)
		return;
	t->phase = DK_ENDING;
	t->final = st;
	t->final_reason = reason;
	va_start(ap, fmt);
	t->final_msg = xvasprintf(fmt, ap);
	va_end(ap);
	ctr_docker_http_cancel(&t->req);
	ctr_docker_http_cancel(&t->wait_req);
	ctr_docker_http_cancel(&t->stop_req);
	ctr_docker_image_cancel(t->img);
	t->img = NULL;
	if (!ctr_docker_logs_end(t->logs, dk_logs_ended, t)) {
		ctr_docker_task_terminate(t);
		return;
	}
	t->act = DK_T_DRAIN;
	loop_timer_add(t->timer, DK_DRAIN_MS);
}

/* Finish later, from the timer: for decisions taken inside ctr_* calls. */
void
ctr_docker_task_finish_later(struct ctr_docker_task *t, enum task_state st,
			     const char *reason, const char *msg)
{
	t->final = st;
	t->final_reason = reason;
	free(t->final_msg);
	t->final_msg = xstrdup(msg);
	t->act = DK_T_FINISH;
	loop_timer_add(t->timer, 0);
}

/* A launch step failed: FAILED, or KILLED when a kill came meanwhile. */
void
ctr_docker_task_fail(struct ctr_docker_task *t, const char *what,
		     const struct httpc_resp *r)
{
	char *why = r != NULL ? ctr_docker_http_why(r) : xstrdup("");

	if (t->kill_req)
		ctr_docker_task_finish(t, TASK_KILLED,
				       "REASON_TASK_KILLED_DURING_LAUNCH",
				       "killed during launch");
	else
		ctr_docker_task_finish(
		    t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED", "%s%s%s",
		    what, why[0] != '\0' ? ": " : "", why);
	free(why);
}

/* The inspect of a container that exited with a non-zero code. */
void
ctr_docker_task_inspect(struct ctr_docker_task *t, const char *id,
			httpc_done_fn *done)
{
	char *path = xasprintf("/containers/%s/json", id);

	t->req = ctr_docker_http(t->d, "GET", path, NULL, 0, NULL, done, t);
	free(path);
}

bool
ctr_docker_task_inspected(const struct httpc_resp *r, struct ctr_dk_inspect *in)
{
	return r->status == 200 &&
	       ctr_docker_api_inspect(r->body, r->len, in, NULL) == 0;
}

static void
dk_exit_inspect_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_task *t = arg;
	struct ctr_dk_inspect in;
	int oom = 0, code = t->exit_code;

	CD_CHECK_OBJ(t, CTR_DOCKER_TASK_MAGIC);
	t->req = NULL;
	if (ctr_docker_task_inspected(r, &in)) {
		oom = in.oom_killed;
		ctr_dk_inspect_release(&in);
	}
	ctr_docker_task_exited(t, code, oom);
}

void
ctr_docker_task_exited(struct ctr_docker_task *t, int code, int oom)
{
	if (t->kill_req) {
		ctr_docker_task_finish(t, TASK_KILLED, NULL,
				       "killed on request (status %d)", code);
	} else if (code == 0) {
		ctr_docker_task_finish(t, TASK_FINISHED, NULL,
				       "exited with status 0");
	} else if (oom < 0 && t->cid != NULL) {
		/* Was it its memory limit? Only the inspect says. */
		t->exit_code = code;
		ctr_docker_http_cancel(&t->req);
		ctr_docker_task_inspect(t, t->cid, dk_exit_inspect_done);
	} else if (oom > 0) {
		/* As Mesos reports it. */
		ctr_docker_task_finish(
		    t, TASK_FAILED, "REASON_CONTAINER_LIMITATION_MEMORY",
		    "Memory limit exceeded: Requested: %dMB", t->mem_mb);
	} else {
		ctr_docker_task_finish(t, TASK_FAILED,
				       "REASON_COMMAND_EXECUTOR_FAILED",
				       "exited with status %d", code);
	}
}

/* ---- exit detection and kill ---- */

static void
dk_wait_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_task *t = arg;
	struct cd_err err;
	int code;

	CD_CHECK_OBJ(t, CTR_DOCKER_TASK_MAGIC);
	t->wait_req = NULL;
	if (r->status == 200 &&
	    ctr_docker_api_wait(r->body, r->len, &code, &err) == 0) {
		ctr_docker_task_exited(t, code, -1);
		return;
	}
	if (r->status == 404) {
		if (t->kill_req)
			ctr_docker_task_finish(t, TASK_KILLED, NULL,
					       "killed on request");
		else
			ctr_docker_task_finish(t, TASK_FAILED,
					       "REASON_EXECUTOR_TERMINATED",
					       "container disappeared");
		return;
	}
	/* Daemon restarting, or a bad reply: wait again, with backoff. */
	t->wait_backoff_ms =
	    t->wait_backoff_ms == 0 ? DK_BACKOFF_MIN_MS
	    : t->wait_backoff_ms * 2 > CTR_DOCKER_BACKOFF_MAX_MS
		? CTR_DOCKER_BACKOFF_MAX_MS
		: t->wait_backoff_ms * 2;
	log_warn("task %s: wait failed (%d %s); retrying in %d ms", t->task_id,
		 r->status, r->status == 0 && r->err ? r->err->msg : "",
		 t->wait_backoff_ms);
	t->act = DK_T_WAIT;
	loop_timer_add(t->timer, (uint64_t)t->wait_backoff_ms);
}

void
ctr_docker_task_wait(struct ctr_docker_task *t)
{
	char *path = xasprintf("/containers/%s/wait", t->cid);

	t->wait_req = ctr_docker_http(t->d, "POST", path, NULL, -1, NULL,
				      dk_wait_done, t);
	free(path);
}

void
ctr_docker_task_watch(struct ctr_docker_task *t, bool resume)
{
	t->phase = DK_RUNNING;
	ctr_docker_task_wait(t);
	ctr_docker_logs_open(t->logs, t->cid, resume);
}

static void
dk_stop_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_task *t = arg;
	char *why;

	CD_CHECK_OBJ(t, CTR_DOCKER_TASK_MAGIC);
	t->stop_req = NULL;
	/* 204 stopped, 304 already stopped, 404 gone: the wait ends it. */
	if (r->status == 204 || r->status == 304 || r->status == 404)
		return;
	why = ctr_docker_http_why(r);
	log_warn("task %s: stop failed (%s); removing it by force", t->task_id,
		 why);
	free(why);
	ctr_docker_rm_container(t->d, t->cid, t->task_id);
}

void
ctr_docker_task_stop(struct ctr_docker_task *t)
{
	int secs = (t->stop_grace_ms + 999) / 1000;
	char *path;

	if (t->cid == NULL || t->stop_req != NULL)
		return;
	log_info("task %s: stopping container %.12s (grace %d s)", t->task_id,
		 t->cid, secs);
	path = xasprintf("/containers/%s/stop?t=%d", t->cid, secs);
	t->stop_req =
	    ctr_docker_http(t->d, "POST", path, NULL, (long)secs * 1000 + 15000,
			    NULL, dk_stop_done, t);
	free(path);
}
