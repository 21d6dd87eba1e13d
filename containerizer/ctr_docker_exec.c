/*
 * ctr_docker_exec.c: commands run in a docker task's container, for
 * COMMAND health checks (ctr_ops.exec; see ctr_docker_int.h). Owns one
 * struct ctr_docker_exec per command in flight, on the driver's list.
 *
 * An exec is created, started detached, then its inspect is polled (50 ms
 * doubling to 500 ms) until it has exited or its timeout passes. Docker
 * cannot kill an exec, so one that outlives its timeout is abandoned and
 * reported -ETIMEDOUT. A 404 or 409 from any step means the container is
 * gone or stopped: -ENOENT. The driver (ctr_docker.c) finds the task's
 * container; this file knows only the container. Loop thread only.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define LOG_MOD "ctr_docker"
#include "containerizer/ctr_docker_api.h"
#include "containerizer/ctr_docker_int.h"
#include "lib/json.h"
#include "lib/loop.h"
#include "lib/xalloc.h"

#define DK_EXEC_MAGIC 0xd0c4e704u
#define DK_EXEC_POLL_MIN_MS 50
#define DK_EXEC_POLL_MAX_MS 500

struct ctr_docker_exec {
	struct ctr_exec base; /* first: the cancel hook */
	unsigned magic;
	struct ctr_docker *d;	  /* borrowed: owner */
	char *cid;		  /* owned: the container */
	char *exec_id;		  /* owned or NULL until created */
	struct httpc_req *req;	  /* borrowed: the step in flight */
	struct loop_timer *timer; /* owned: next poll */
	uint64_t deadline;	  /* loop_now_ms */
	long timeout_ms;
	int poll_ms;
	ctr_exec_fn *done;
	void *arg;			  /* borrowed: the caller's, for done */
	LIST_ENTRY(ctr_docker_exec) link; /* on d->execs */
};

static void
dk_exec_free(struct ctr_docker_exec *x)
{
	LIST_REMOVE(x, link);
	ctr_docker_http_cancel(&x->req);
	loop_timer_free(x->timer);
	free(x->cid);
	free(x->exec_id);
	CD_FREE_OBJ(x);
}

/* Report and forget. */
static void
dk_exec_end(struct ctr_docker_exec *x, int status, const char *why)
{
	ctr_exec_fn *done = x->done;
	void *arg = x->arg;

	dk_exec_free(x);
	done(arg, status, why);
}

static void
dk_exec_cancel(struct ctr_exec *base)
{
	struct ctr_docker_exec *x = (struct ctr_docker_exec *)base;

	CD_CHECK_OBJ(x, DK_EXEC_MAGIC);
	dk_exec_free(x);
}

/* Milliseconds left before the deadline; 0 once it passed. */
static long
dk_exec_left(const struct ctr_docker_exec *x)
{
	uint64_t now = loop_now_ms(x->d->l);

	return now >= x->deadline ? 0 : (long)(x->deadline - now);
}

static bool
dk_exec_timed_out(struct ctr_docker_exec *x)
{
	char why[64];

	if (dk_exec_left(x) > 0)
		return false;
	snprintf(why, sizeof why, "timed out after %ld ms", x->timeout_ms);
	dk_exec_end(x, -ETIMEDOUT, why);
	return true;
}

/* A failed step: the task's container is gone (404) or Docker refused. */
static void
dk_exec_fail(struct ctr_docker_exec *x, const char *what,
	     const struct httpc_resp *r)
{
	char *why = ctr_docker_http_why(r),
	     *msg = xasprintf("%s: %s", what, why);

	dk_exec_end(x, r->status == 404 || r->status == 409 ? -ENOENT : -EIO,
		    msg);
	free(msg);
	free(why);
}

static void dk_exec_poll(struct ctr_docker_exec *x);

static void
dk_exec_inspect_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_exec *x = arg;
	json_t *j, *code;
	bool running;
	char why[64];
	int status;

	CD_CHECK_OBJ(x, DK_EXEC_MAGIC);
	x->req = NULL;
	if (r->status != 200) {
		dk_exec_fail(x, "inspecting the exec", r);
		return;
	}
	j = json_parse_bounded(r->body, r->len, NULL);
	running = json_is_true(json_object_get(j, "Running"));
	code = json_object_get(j, "ExitCode");
	if (!running && json_is_integer(code)) {
		status = (int)json_integer_value(code);
		json_decref(j);
		snprintf(why, sizeof why, "exited with status %d", status);
		dk_exec_end(x, status, status == 0 ? NULL : why);
		return;
	}
	json_decref(j);
	if (dk_exec_timed_out(x))
		return;
	/* Still running (or not yet started): look again shortly. */
	loop_timer_add(x->timer, (uint64_t)x->poll_ms);
	x->poll_ms = x->poll_ms * 2 > DK_EXEC_POLL_MAX_MS ? DK_EXEC_POLL_MAX_MS
							  : x->poll_ms * 2;
}

static void
dk_exec_poll(struct ctr_docker_exec *x)
{
	char *path = xasprintf("/exec/%s/json", x->exec_id);

	x->req =
	    ctr_docker_http(x->d, "GET", path, NULL, dk_exec_left(x) + 1000,
			    NULL, dk_exec_inspect_done, x);
	free(path);
}

static void
dk_exec_timer_cb(void *arg)
{
	struct ctr_docker_exec *x = arg;

	CD_CHECK_OBJ(x, DK_EXEC_MAGIC);
	if (!dk_exec_timed_out(x))
		dk_exec_poll(x);
}

static void
dk_exec_start_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_exec *x = arg;

	CD_CHECK_OBJ(x, DK_EXEC_MAGIC);
	x->req = NULL;
	if (r->status != 200 && r->status != 204) {
		dk_exec_fail(x, "starting the exec", r);
		return;
	}
	if (!dk_exec_timed_out(x))
		dk_exec_poll(x);
}

static void
dk_exec_create_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_exec *x = arg;
	char *path;

	CD_CHECK_OBJ(x, DK_EXEC_MAGIC);
	x->req = NULL;
	if (r->status != 201 ||
	    (x->exec_id = ctr_docker_api_id(r->body, r->len)) == NULL) {
		dk_exec_fail(x, "creating the exec", r);
		return;
	}
	if (dk_exec_timed_out(x))
		return;
	path = xasprintf("/exec/%s/start", x->exec_id);
	x->req = ctr_docker_http(
	    x->d, "POST", path, "{\"Detach\":true,\"Tty\":false}",
	    dk_exec_left(x) + 1000, NULL, dk_exec_start_done, x);
	free(path);
}

struct ctr_exec *
ctr_docker_exec_start(struct ctr_docker *d, const char *cid, const char *cmd,
		      long timeout_ms, ctr_exec_fn *done, void *arg)
{
	struct ctr_docker_exec *x;
	json_t *body;
	char *path, *data;

	CD_ALLOC_OBJ(x, DK_EXEC_MAGIC);
	x->base.cancel = dk_exec_cancel;
	x->d = d;
	x->cid = xstrdup(cid);
	x->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
	x->deadline = loop_now_ms(d->l) + (uint64_t)x->timeout_ms;
	x->poll_ms = DK_EXEC_POLL_MIN_MS;
	x->done = done;
	x->arg = arg;
	x->timer = loop_timer_new(d->l, dk_exec_timer_cb, x);
	LIST_INSERT_HEAD(&d->execs, x, link);
	body = json_pack("{s:b, s:b, s:b, s:[s, s, s]}", "AttachStdin", 0,
			 "AttachStdout", 0, "AttachStderr", 0, "Cmd", "/bin/sh",
			 "-c", cmd);
	data = json_dump_str(body);
	path = xasprintf("/containers/%s/exec", x->cid);
	x->req = ctr_docker_http(d, "POST", path, data, x->timeout_ms + 1000,
				 NULL, dk_exec_create_done, x);
	free(path);
	free(data);
	json_decref(body);
	return &x->base;
}

void
ctr_docker_exec_free_all(struct ctr_docker *d)
{
	while (!LIST_EMPTY(&d->execs))
		dk_exec_free(LIST_FIRST(&d->execs));
}
