/*
 * ctr_docker.c: the docker containerizer (behaviour in ctr_docker.h).
 * Owns one struct dk_task per launched or recovered task and one struct
 * dk_op per fire-and-forget request (container removal, orphan listing).
 *
 * Design: each task is a small state machine advanced by httpc completion
 * callbacks; at most one "step" request (t->req) is in flight, beside the
 * long-lived wait and logs requests and a stop. All JSON is built and
 * parsed by the pure ctr_docker_api module. Events never leave from inside
 * a ctr_* call: anything a call decides (a launch refused, a kill during a
 * pull) is finished from the task's zero-delay timer. A task leaves the
 * list when its terminal event is sent; its container removal then runs as
 * a dk_op, so the driver never touches a freed task. An exec (health
 * check command) is a struct dk_exec of its own: create, start detached,
 * then poll its inspect until it has exited or its timeout passes (Docker
 * cannot kill an exec; a late one is abandoned). Loop thread only.
 */
#include "containerizer/ctr_docker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_MOD "ctr_docker"
#include "containerizer/ctr_docker_api.h"
#include "containerizer/ctr_int.h"
#include "lib/httpc.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/xalloc.h"

#define DK_MAGIC 0xd0c4e701u
#define DK_TASK_MAGIC 0xd0c4e702u
#define DK_OP_MAGIC 0xd0c4e703u
#define DK_EXEC_MAGIC 0xd0c4e704u
#define DK_EXEC_POLL_MIN_MS 50
#define DK_EXEC_POLL_MAX_MS 500

#define DK_API "http://docker/v1.41"
#define DK_CREATE_TIMEOUT_MS 120000L
#define DK_REMOVE_TIMEOUT_MS 120000L
#define DK_PULL_TIMEOUT_MS 600000L
#define DK_DRAIN_MS 3000
#define DK_BACKOFF_MIN_MS 250
#define DK_BACKOFF_MAX_MS 5000

enum dk_phase {
	DK_KICK,    /* launch accepted; the timer starts it */
	DK_IMAGE,   /* GET /images/{image}/json */
	DK_PULL,    /* POST /images/create */
	DK_CREATE,  /* POST /containers/create */
	DK_ADOPT,   /* GET /containers/{name}/json after a 409 */
	DK_START,   /* POST /containers/{id}/start */
	DK_INSPECT, /* GET /containers/{id}/json after start */
	DK_RECOVER, /* GET /containers/{id}/json on recovery */
	DK_RUNNING, /* watched: wait (and logs) in flight */
	DK_ENDING,  /* terminal state known; draining the logs */
};

/* What the task's timer does when it fires. */
enum dk_timer_act {
	DK_T_KICK,   /* start the launch (or recovery) */
	DK_T_FINISH, /* send the terminal state decided earlier */
	DK_T_WAIT,   /* re-issue the wait after a transport error */
	DK_T_DRAIN,  /* the logs did not end in time: send the terminal */
};

struct dk {
	struct ctr_base base; /* first: magic and event sink */
	struct loop *l;	      /* borrowed: the agent's loop */
	struct httpc *hc;     /* borrowed: the agent's client */
	char *socket;	      /* owned */
	char *agent_key;      /* owned */
	int stop_timeout_ms;
	int allow_privileged;
	long pull_timeout_ms;
	struct dk_task *tasks; /* owned: list */
	struct dk_op *ops;     /* owned: list */
	struct dk_exec *execs; /* owned: list */
};

struct dk_task {
	unsigned magic;
	struct dk *d;		   /* borrowed: owner */
	char *task_id;		   /* owned */
	char *sandbox;		   /* owned */
	char *name;		   /* owned: container name */
	char *cid;		   /* owned or NULL: container id */
	struct ctr_dk_create spec; /* owned: launch only */
	char *spec_err;		   /* owned or NULL: why the spec was refused */
	enum dk_phase phase;
	int kill_grace_ms; /* the task's own grace, 0 = default */
	int stop_grace_ms; /* the grace of the kill asked */
	bool kill_req;
	bool running_sent;
	bool recovered;
	/* The terminal state, once known. */
	enum task_state final;
	char *final_msg;	    /* owned */
	const char *final_reason;   /* static */
	struct httpc_req *req;	    /* borrowed: the step in flight */
	struct httpc_req *wait_req; /* borrowed */
	struct httpc_req *logs_req; /* borrowed */
	struct httpc_req *stop_req; /* borrowed */
	struct loop_timer *timer;   /* owned */
	enum dk_timer_act act;
	struct loop_timer *log_timer; /* owned: log stream reconnects */
	int wait_backoff_ms;
	int log_backoff_ms;
	struct ctr_dk_pull pull;
	struct ctr_dk_demux demux;
	int outfd, errfd; /* owned, -1 when closed */
	bool log_write_failed;
	struct dk_task *next; /* owned: list */
};

/* A request that outlives its task, or belongs to none. */
struct dk_op {
	unsigned magic;
	struct dk *d;	       /* borrowed: owner */
	struct httpc_req *req; /* borrowed: in flight */
	char *what;	       /* owned: for the log */
	json_t *known;	       /* ref or NULL: task ids to spare (listing) */
	struct dk_op *next;    /* owned: list */
};

/* A command run in a task's container; see ctr_ops.exec. */
struct dk_exec {
	struct ctr_exec base; /* first: the cancel hook */
	unsigned magic;
	struct dk *d;		  /* borrowed: owner */
	char *cid;		  /* owned: the container */
	char *exec_id;		  /* owned or NULL until created */
	struct httpc_req *req;	  /* borrowed: the step in flight */
	struct loop_timer *timer; /* owned: next poll */
	uint64_t deadline;	  /* loop_now_ms */
	long timeout_ms;
	int poll_ms;
	ctr_exec_fn *done;
	void *arg;
	struct dk_exec *next; /* owned: list */
};

static void dk_step_image(struct dk_task *t);
static void dk_step_create(struct dk_task *t);
static void dk_step_start(struct dk_task *t);
static void dk_step_inspect(struct dk_task *t);
static void dk_watch(struct dk_task *t, bool since_now);
static void dk_finish(struct dk_task *t, enum task_state st, const char *reason,
		      const char *fmt, ...) CD_PRINTF(4, 5);
static void dk_remove(struct dk *d, const char *cid, const char *what);

int
ctr_docker_handles(const struct wire_task *t)
{
	const json_t *c = t->container;
	const char *type = json_string_value(json_object_get(c, "type"));

	if (type != NULL && strcasecmp(type, "DOCKER") == 0)
		return 1;
	return json_object_get(json_object_get(c, "docker"), "image") != NULL;
}

static struct httpc_req *
dk_http(struct dk *d, const char *method, const char *path, const char *body,
	long timeout_ms, httpc_data_fn *on_data, httpc_done_fn *done, void *arg)
{
	struct httpc_opts o;
	struct httpc_req *r;
	char *url = xasprintf(DK_API "%s", path);

	memset(&o, 0, sizeof o);
	o.method = method;
	o.url = url;
	o.unix_socket = d->socket;
	o.body = body;
	o.body_len = body != NULL ? strlen(body) : 0;
	o.timeout_ms = timeout_ms;
	o.on_data = on_data;
	r = httpc_request(d->hc, &o, done, arg);
	free(url);
	return r;
}

/* A short description of a failed reply, for messages. Caller frees. */
static char *
dk_why(const struct httpc_resp *r)
{
	if (r->status == 0)
		return xasprintf("docker daemon unreachable: %s",
				 r->err != NULL ? r->err->msg
						: "transport error");
	return ctr_docker_api_errmsg(r->body, r->len);
}

static struct dk_task *
dk_find(struct dk *d, const char *task_id)
{
	struct dk_task *t;

	for (t = d->tasks; t != NULL; t = t->next)
		if (strcmp(t->task_id, task_id) == 0)
			return t;
	return NULL;
}

static void
dk_unlink(struct dk_task *t)
{
	struct dk_task **tp;

	for (tp = &t->d->tasks; *tp != NULL; tp = &(*tp)->next)
		if (*tp == t) {
			*tp = t->next;
			return;
		}
}

static void
dk_cancel(struct httpc_req **r)
{
	if (*r != NULL)
		httpc_cancel(*r);
	*r = NULL;
}

static void
dk_close_logs(struct dk_task *t)
{
	if (t->outfd != -1)
		close(t->outfd);
	if (t->errfd != -1)
		close(t->errfd);
	t->outfd = t->errfd = -1;
}

static void
dk_task_free(struct dk_task *t)
{
	dk_cancel(&t->req);
	dk_cancel(&t->wait_req);
	dk_cancel(&t->logs_req);
	dk_cancel(&t->stop_req);
	loop_timer_free(t->timer);
	loop_timer_free(t->log_timer);
	dk_close_logs(t);
	ctr_dk_create_release(&t->spec);
	ctr_dk_pull_release(&t->pull);
	free(t->task_id);
	free(t->sandbox);
	free(t->name);
	free(t->cid);
	free(t->spec_err);
	free(t->final_msg);
	CD_FREE_OBJ(t);
}

static void
dk_emit(struct dk_task *t, enum task_state st, const char *msg,
	const char *reason, const json_t *checkpoint)
{
	struct ctr_event ev;

	memset(&ev, 0, sizeof ev);
	ev.task_id = t->task_id;
	ev.state = st;
	ev.message = msg;
	ev.reason = reason;
	ev.container_id = t->cid;
	ev.checkpoint = checkpoint;
	ctr_base_emit(&t->d->base, &ev);
}

/* Send the terminal state, forget the task, remove its container. */
static void
dk_terminate(struct dk_task *t)
{
	log_info("task %s: %s: %s", t->task_id, task_state_name(t->final),
		 t->final_msg);
	dk_unlink(t);
	dk_emit(t, t->final, t->final_msg, t->final_reason, NULL);
	if (t->cid != NULL)
		dk_remove(t->d, t->cid, t->task_id);
	dk_task_free(t);
}

/*
 * Decide the terminal state. The event waits for the log stream to end
 * (bounded), so the sandbox holds the container's last words.
 */
static void
dk_finish(struct dk_task *t, enum task_state st, const char *reason,
	  const char *fmt, ...)
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
	dk_cancel(&t->req);
	dk_cancel(&t->wait_req);
	dk_cancel(&t->stop_req);
	loop_timer_del(t->log_timer);
	if (t->logs_req == NULL) {
		dk_terminate(t);
		return;
	}
	t->act = DK_T_DRAIN;
	loop_timer_add(t->timer, DK_DRAIN_MS);
}

/* Finish later, from the timer: for decisions taken inside ctr_* calls. */
static void
dk_finish_later(struct dk_task *t, enum task_state st, const char *reason,
		const char *msg)
{
	t->final = st;
	t->final_reason = reason;
	free(t->final_msg);
	t->final_msg = xstrdup(msg);
	t->act = DK_T_FINISH;
	loop_timer_add(t->timer, 0);
}

/* A launch step failed: FAILED, or KILLED when a kill came meanwhile. */
static void
dk_fail(struct dk_task *t, const char *what, const struct httpc_resp *r)
{
	char *why = r != NULL ? dk_why(r) : xstrdup("");

	if (t->kill_req)
		dk_finish(t, TASK_KILLED, "REASON_TASK_KILLED_DURING_LAUNCH",
			  "killed during launch");
	else
		dk_finish(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED",
			  "%s%s%s", what, why[0] != '\0' ? ": " : "", why);
	free(why);
}

static void
dk_exited(struct dk_task *t, int code)
{
	if (t->kill_req)
		dk_finish(t, TASK_KILLED, NULL, "killed on request (status %d)",
			  code);
	else if (code == 0)
		dk_finish(t, TASK_FINISHED, NULL, "exited with status 0");
	else
		dk_finish(t, TASK_FAILED, "REASON_COMMAND_EXECUTOR_FAILED",
			  "exited with status %d", code);
}

/* ---- logs ---- */

static void
dk_log_sink(enum ctr_dk_stream s, const char *p, size_t n, void *arg)
{
	struct dk_task *t = arg;
	int fd = s == CTR_DK_STDOUT ? t->outfd : t->errfd;
	ssize_t w;

	while (n > 0 && fd != -1) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			if (!t->log_write_failed)
				log_warn("task %s: writing logs: %s",
					 t->task_id, strerror(errno));
			t->log_write_failed = true;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void
dk_logs_data(const char *p, size_t n, void *arg)
{
	struct dk_task *t = arg;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	if (ctr_dk_demux_feed(&t->demux, p, n, dk_log_sink, t) != 0 &&
	    !t->log_write_failed) {
		log_warn("task %s: malformed log stream; dropping the rest",
			 t->task_id);
		t->log_write_failed = true;
	}
}

static void dk_logs_open(struct dk_task *t, bool since_now);

static void
dk_logs_done(const struct httpc_resp *r, void *arg)
{
	struct dk_task *t = arg;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	t->logs_req = NULL;
	if (t->phase == DK_ENDING) {
		loop_timer_del(t->timer);
		dk_terminate(t);
		return;
	}
	/* A transport error while it runs: the daemon went away. */
	if (r->status == 0 && t->phase == DK_RUNNING) {
		t->log_backoff_ms = t->log_backoff_ms == 0 ? 1000
				    : t->log_backoff_ms * 2 > DK_BACKOFF_MAX_MS
					? DK_BACKOFF_MAX_MS
					: t->log_backoff_ms * 2;
		loop_timer_add(t->log_timer, (uint64_t)t->log_backoff_ms);
	}
}

static void
dk_log_timer_cb(void *arg)
{
	struct dk_task *t = arg;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	if (t->phase == DK_RUNNING && t->logs_req == NULL)
		dk_logs_open(t, true);
}

static int
dk_open_file(const struct dk_task *t, const char *name)
{
	char *path = xasprintf("%s/%s", t->sandbox, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd == -1)
		log_warn("task %s: cannot open %s: %s", t->task_id, path,
			 strerror(errno));
	free(path);
	return fd;
}

static void
dk_logs_open(struct dk_task *t, bool since_now)
{
	char *path;

	if (t->outfd == -1)
		t->outfd = dk_open_file(t, "stdout");
	if (t->errfd == -1)
		t->errfd = dk_open_file(t, "stderr");
	ctr_dk_demux_init(&t->demux);
	if (since_now)
		path = xasprintf("/containers/%s/logs?follow=1&stdout=1"
				 "&stderr=1&since=%lld",
				 t->cid, (long long)time(NULL));
	else
		path = xasprintf("/containers/%s/logs?follow=1&stdout=1"
				 "&stderr=1",
				 t->cid);
	t->logs_req =
	    dk_http(t->d, "GET", path, NULL, -1, dk_logs_data, dk_logs_done, t);
	free(path);
}

/* ---- exit detection and kill ---- */

static void
dk_wait_done(const struct httpc_resp *r, void *arg)
{
	struct dk_task *t = arg;
	struct cd_err err;
	int code;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	t->wait_req = NULL;
	if (r->status == 200 &&
	    ctr_docker_api_wait(r->body, r->len, &code, &err) == 0) {
		dk_exited(t, code);
		return;
	}
	if (r->status == 404) {
		if (t->kill_req)
			dk_finish(t, TASK_KILLED, NULL, "killed on request");
		else
			dk_finish(t, TASK_FAILED, "REASON_EXECUTOR_TERMINATED",
				  "container disappeared");
		return;
	}
	/* Daemon restarting, or a bad reply: wait again, with backoff. */
	t->wait_backoff_ms = t->wait_backoff_ms == 0 ? DK_BACKOFF_MIN_MS
			     : t->wait_backoff_ms * 2 > DK_BACKOFF_MAX_MS
				 ? DK_BACKOFF_MAX_MS
				 : t->wait_backoff_ms * 2;
	log_warn("task %s: wait failed (%d %s); retrying in %d ms", t->task_id,
		 r->status, r->status == 0 && r->err ? r->err->msg : "",
		 t->wait_backoff_ms);
	t->act = DK_T_WAIT;
	loop_timer_add(t->timer, (uint64_t)t->wait_backoff_ms);
}

static void
dk_wait(struct dk_task *t)
{
	char *path = xasprintf("/containers/%s/wait", t->cid);

	t->wait_req =
	    dk_http(t->d, "POST", path, NULL, -1, NULL, dk_wait_done, t);
	free(path);
}

static void
dk_watch(struct dk_task *t, bool since_now)
{
	t->phase = DK_RUNNING;
	dk_wait(t);
	if (t->logs_req == NULL)
		dk_logs_open(t, since_now);
}

static void
dk_stop_done(const struct httpc_resp *r, void *arg)
{
	struct dk_task *t = arg;
	char *why;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	t->stop_req = NULL;
	/* 204 stopped, 304 already stopped, 404 gone: the wait ends it. */
	if (r->status == 204 || r->status == 304 || r->status == 404)
		return;
	why = dk_why(r);
	log_warn("task %s: stop failed (%s); removing it by force", t->task_id,
		 why);
	free(why);
	dk_remove(t->d, t->cid, t->task_id);
}

static void
dk_stop(struct dk_task *t)
{
	int secs = (t->stop_grace_ms + 999) / 1000;
	char *path;

	if (t->cid == NULL || t->stop_req != NULL)
		return;
	log_info("task %s: stopping container %.12s (grace %d s)", t->task_id,
		 t->cid, secs);
	path = xasprintf("/containers/%s/stop?t=%d", t->cid, secs);
	t->stop_req = dk_http(t->d, "POST", path, NULL,
			      (long)secs * 1000 + 15000, NULL, dk_stop_done, t);
	free(path);
}

/* ---- launch ---- */

static void
dk_inspect_done(const struct httpc_resp *r, void *arg)
{
	struct dk_task *t = arg;
	struct ctr_dk_inspect in;
	struct cd_err err;
	json_t *cp;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	t->req = NULL;
	if (r->status != 200) {
		dk_fail(t, "inspecting the started container", r);
		return;
	}
	if (ctr_docker_api_inspect(r->body, r->len, &in, &err) != 0) {
		dk_fail(t, err.msg, NULL);
		return;
	}
	if (in.running) {
		t->running_sent = true;
		cp = json_pack("{s:s}", "container_id", t->cid);
		log_info("task %s: running in container %.12s", t->task_id,
			 t->cid);
		dk_emit(t, TASK_RUNNING, NULL, NULL, cp);
		json_decref(cp);
		dk_watch(t, false);
		if (t->kill_req)
			dk_stop(t);
	} else if (in.error != NULL) {
		dk_finish(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED",
			  "container failed: %s", in.error);
	} else if (in.exited) {
		dk_exited(t, in.exit_code);
	} else {
		dk_finish(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED",
			  "container did not start");
	}
	ctr_dk_inspect_release(&in);
}

static void
dk_step_inspect(struct dk_task *t)
{
	char *path = xasprintf("/containers/%s/json", t->cid);

	t->phase = DK_INSPECT;
	t->req = dk_http(t->d, "GET", path, NULL, 0, NULL, dk_inspect_done, t);
	free(path);
}

static void
dk_start_done(const struct httpc_resp *r, void *arg)
{
	struct dk_task *t = arg;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	t->req = NULL;
	if (r->status != 204 && r->status != 304) {
		dk_fail(t, "starting the container", r);
		return;
	}
	/* From the start, so nothing the container prints is missed. */
	dk_logs_open(t, false);
	if (t->kill_req) {
		t->phase = DK_RUNNING;
		dk_wait(t);
		dk_stop(t);
		return;
	}
	dk_step_inspect(t);
}

static void
dk_step_start(struct dk_task *t)
{
	char *path = xasprintf("/containers/%s/start", t->cid);

	t->phase = DK_START;
	if (t->kill_req) {
		dk_fail(t, "", NULL);
		return;
	}
	t->req = dk_http(t->d, "POST", path, NULL, 0, NULL, dk_start_done, t);
	free(path);
}

static void
dk_adopt_done(const struct httpc_resp *r, void *arg)
{
	struct dk_task *t = arg;
	struct ctr_dk_inspect in;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	t->req = NULL;
	if (r->status != 200 ||
	    ctr_docker_api_inspect(r->body, r->len, &in, NULL) != 0) {
		dk_fail(t, "inspecting the existing container", r);
		return;
	}
	if (in.task_id == NULL || strcmp(in.task_id, t->task_id) != 0 ||
	    in.agent_id == NULL || strcmp(in.agent_id, t->d->agent_key) != 0) {
		dk_finish(
		    t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED",
		    "a container named %s exists and was not created by this "
		    "agent for this task",
		    t->name);
	} else {
		log_info("task %s: adopting existing container %.12s",
			 t->task_id, in.id);
		t->cid = xstrdup(in.id);
		dk_step_start(t);
	}
	ctr_dk_inspect_release(&in);
}

static void
dk_create_done(const struct httpc_resp *r, void *arg)
{
	struct dk_task *t = arg;
	char *path;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	t->req = NULL;
	if (r->status == 409) {
		t->phase = DK_ADOPT;
		path = xasprintf("/containers/%s/json", t->name);
		t->req =
		    dk_http(t->d, "GET", path, NULL, 0, NULL, dk_adopt_done, t);
		free(path);
		return;
	}
	if (r->status != 201 ||
	    (t->cid = ctr_docker_api_id(r->body, r->len)) == NULL) {
		dk_fail(t, "creating the container", r);
		return;
	}
	dk_step_start(t);
}

static void
dk_step_create(struct dk_task *t)
{
	char *body, *path;

	if (t->kill_req) {
		dk_fail(t, "", NULL);
		return;
	}
	t->phase = DK_CREATE;
	body = json_dump_str(t->spec.body);
	path = xasprintf("/containers/create?name=%s", t->name);
	t->req = dk_http(t->d, "POST", path, body, DK_CREATE_TIMEOUT_MS, NULL,
			 dk_create_done, t);
	free(path);
	free(body);
}

static void
dk_pull_data(const char *p, size_t n, void *arg)
{
	struct dk_task *t = arg;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	ctr_dk_pull_feed(&t->pull, p, n);
}

static void
dk_pull_done(const struct httpc_resp *r, void *arg)
{
	struct dk_task *t = arg;
	char *what;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	t->req = NULL;
	ctr_dk_pull_finish(&t->pull);
	if (r->status == 200 && t->pull.error == NULL) {
		log_info("task %s: pulled %s", t->task_id, t->spec.image);
		dk_step_create(t);
		return;
	}
	what = xasprintf("pulling %s%s%s", t->spec.image,
			 t->pull.error ? ": " : "",
			 t->pull.error ? t->pull.error : "");
	dk_fail(t, what, r->status == 200 || t->pull.error != NULL ? NULL : r);
	free(what);
}

static void
dk_step_pull(struct dk_task *t)
{
	char *from = ctr_docker_api_urlencode(t->spec.from_image);
	char *tag = ctr_docker_api_urlencode(t->spec.tag);
	char *path = xasprintf("/images/create?fromImage=%s&tag=%s", from, tag);

	t->phase = DK_PULL;
	log_info("task %s: pulling %s", t->task_id, t->spec.image);
	t->req = dk_http(t->d, "POST", path, NULL, t->d->pull_timeout_ms,
			 dk_pull_data, dk_pull_done, t);
	free(path);
	free(from);
	free(tag);
}

static void
dk_image_done(const struct httpc_resp *r, void *arg)
{
	struct dk_task *t = arg;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	t->req = NULL;
	if (r->status == 200)
		dk_step_create(t);
	else if (r->status == 404)
		dk_step_pull(t);
	else
		dk_fail(t, "inspecting the image", r);
}

static void
dk_step_image(struct dk_task *t)
{
	char *path;

	dk_emit(t, TASK_STARTING, NULL, NULL, NULL);
	if (t->spec_err != NULL) {
		dk_finish(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED",
			  "%s", t->spec_err);
		return;
	}
	if (t->spec.force_pull) {
		dk_step_pull(t);
		return;
	}
	t->phase = DK_IMAGE;
	path = xasprintf("/images/%s/json", t->spec.image);
	t->req = dk_http(t->d, "GET", path, NULL, 0, NULL, dk_image_done, t);
	free(path);
}

/* ---- recovery ---- */

static void dk_step_recover(struct dk_task *t);

static void
dk_recover_done(const struct httpc_resp *r, void *arg)
{
	struct dk_task *t = arg;
	struct ctr_dk_inspect in;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	t->req = NULL;
	if (r->status == 404) {
		dk_finish(t, t->kill_req ? TASK_KILLED : TASK_FAILED,
			  "REASON_EXECUTOR_TERMINATED",
			  "container lost while the agent was down");
		return;
	}
	if (r->status != 200 ||
	    ctr_docker_api_inspect(r->body, r->len, &in, NULL) != 0) {
		t->wait_backoff_ms =
		    t->wait_backoff_ms == 0 ? 1000
		    : t->wait_backoff_ms * 2 > DK_BACKOFF_MAX_MS
			? DK_BACKOFF_MAX_MS
			: t->wait_backoff_ms * 2;
		log_warn("task %s: cannot inspect its container (status %d); "
			 "retrying in %d ms",
			 t->task_id, r->status, t->wait_backoff_ms);
		t->act = DK_T_KICK;
		loop_timer_add(t->timer, (uint64_t)t->wait_backoff_ms);
		return;
	}
	free(t->cid);
	t->cid = xstrdup(in.id);
	if (in.running) {
		log_info("task %s: re-adopted container %.12s", t->task_id,
			 t->cid);
		dk_watch(t, true);
		if (t->kill_req)
			dk_stop(t);
	} else if (in.exited) {
		dk_exited(t, in.exit_code);
	} else {
		dk_finish(
		    t, TASK_FAILED, "REASON_EXECUTOR_TERMINATED",
		    "container lost while the agent was down (never started)");
	}
	ctr_dk_inspect_release(&in);
}

static void
dk_step_recover(struct dk_task *t)
{
	char *path =
	    xasprintf("/containers/%s/json", t->cid != NULL ? t->cid : t->name);

	t->phase = DK_RECOVER;
	t->req = dk_http(t->d, "GET", path, NULL, 0, NULL, dk_recover_done, t);
	free(path);
}

static void
dk_timer_cb(void *arg)
{
	struct dk_task *t = arg;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	switch (t->act) {
	case DK_T_KICK:
		if (t->recovered)
			dk_step_recover(t);
		else if (t->kill_req)
			dk_finish(t, TASK_KILLED,
				  "REASON_TASK_KILLED_DURING_LAUNCH",
				  "killed before launch");
		else
			dk_step_image(t);
		break;
	case DK_T_FINISH:
		t->phase = DK_ENDING;
		dk_terminate(t);
		break;
	case DK_T_WAIT:
		if (t->phase == DK_RUNNING && t->wait_req == NULL)
			dk_wait(t);
		break;
	case DK_T_DRAIN:
		dk_cancel(&t->logs_req);
		dk_terminate(t);
		break;
	}
}

static struct dk_task *
dk_task_new(struct dk *d, const struct wire_task *wt, const char *sandbox)
{
	struct dk_task *t;

	CD_ALLOC_OBJ(t, DK_TASK_MAGIC);
	t->d = d;
	t->task_id = xstrdup(wt->task_id);
	t->sandbox = xstrdup(sandbox);
	t->name = ctr_docker_api_name(wt->task_id);
	t->kill_grace_ms = wt->kill_grace_ms;
	t->outfd = t->errfd = -1;
	t->timer = loop_timer_new(d->l, dk_timer_cb, t);
	t->log_timer = loop_timer_new(d->l, dk_log_timer_cb, t);
	ctr_dk_pull_init(&t->pull);
	t->act = DK_T_KICK;
	t->next = d->tasks;
	d->tasks = t;
	return t;
}

static int
dk_launch(void *impl, const struct wire_task *wt, const char *sandbox,
	  struct cd_err *err)
{
	struct dk *d = impl;
	struct dk_task *t;
	struct cd_err e;
	size_t i;

	CD_ASSERT(d->base.magic == DK_MAGIC);
	if (dk_find(d, wt->task_id) != NULL)
		return cd_err_set(err, -EEXIST, "task %s is already running",
				  wt->task_id);
	t = dk_task_new(d, wt, sandbox);
	cd_err_clear(&e);
	if (ctr_docker_api_create(wt, sandbox, d->agent_key,
				  d->allow_privileged, &t->spec, &e) != 0) {
		t->spec_err = xstrdup(e.msg);
	} else {
		for (i = 0; i < json_array_size(t->spec.warnings); i++)
			log_warn("task %s: %s", t->task_id,
				 json_string_value(
				     json_array_get(t->spec.warnings, i)));
	}
	loop_timer_add(t->timer, 0);
	return 0;
}

static int
dk_kill(void *impl, const char *task_id, int grace_ms)
{
	struct dk *d = impl;
	struct dk_task *t;

	CD_ASSERT(d->base.magic == DK_MAGIC);
	if ((t = dk_find(d, task_id)) == NULL)
		return -ENOENT;
	if (t->kill_req || t->phase == DK_ENDING)
		return 0;
	t->kill_req = true;
	t->stop_grace_ms = grace_ms > 0		  ? grace_ms
			   : t->kill_grace_ms > 0 ? t->kill_grace_ms
						  : d->stop_timeout_ms;
	switch (t->phase) {
	case DK_IMAGE:
	case DK_PULL:
		/* Nothing exists yet: drop the step, end from the timer. */
		dk_cancel(&t->req);
		t->phase = DK_ENDING;
		dk_finish_later(t, TASK_KILLED,
				"REASON_TASK_KILLED_DURING_LAUNCH",
				"killed during launch");
		break;
	case DK_RUNNING:
		dk_stop(t);
		break;
	default:
		/* KICK, CREATE, ADOPT, START, INSPECT, RECOVER: the step's
		 * callback sees kill_req. */
		break;
	}
	return 0;
}

static int
dk_recover(void *impl, const struct wire_task *wt, const char *sandbox,
	   const json_t *checkpoint)
{
	struct dk *d = impl;
	struct dk_task *t;
	const char *cid =
	    json_string_value(json_object_get(checkpoint, "container_id"));

	CD_ASSERT(d->base.magic == DK_MAGIC);
	if (dk_find(d, wt->task_id) != NULL)
		return -EEXIST;
	t = dk_task_new(d, wt, sandbox);
	t->recovered = true;
	t->running_sent = true;
	/* The id goes into a URL: accept only what Docker's ids look like. */
	if (cid != NULL && cid[0] != '\0' &&
	    strspn(cid, "0123456789abcdef") == strlen(cid))
		t->cid = xstrdup(cid);
	else
		log_warn("task %s: no usable container_id in its checkpoint; "
			 "looking it up as %s",
			 t->task_id, t->name);
	loop_timer_add(t->timer, 0);
	return 0;
}

/* ---- operations without a task ---- */

static struct dk_op *
dk_op_new(struct dk *d, const char *what)
{
	struct dk_op *o;

	CD_ALLOC_OBJ(o, DK_OP_MAGIC);
	o->d = d;
	o->what = xstrdup(what);
	o->next = d->ops;
	d->ops = o;
	return o;
}

static void
dk_op_free(struct dk_op *o)
{
	struct dk_op **op;

	for (op = &o->d->ops; *op != NULL; op = &(*op)->next)
		if (*op == o) {
			*op = o->next;
			break;
		}
	dk_cancel(&o->req);
	json_decref(o->known);
	free(o->what);
	CD_FREE_OBJ(o);
}

static void
dk_remove_done(const struct httpc_resp *r, void *arg)
{
	struct dk_op *o = arg;
	char *why;

	CD_CHECK_OBJ(o, DK_OP_MAGIC);
	o->req = NULL;
	if (r->status != 204 && r->status != 404) {
		why = dk_why(r);
		log_warn("removing the container of %s: %s", o->what, why);
		free(why);
	}
	dk_op_free(o);
}

/* DELETE ?force=1: kills it if needed. The sandbox files stay. */
static void
dk_remove(struct dk *d, const char *cid, const char *what)
{
	struct dk_op *o = dk_op_new(d, what);
	char *path = xasprintf("/containers/%s?force=1", cid);

	o->req = dk_http(d, "DELETE", path, NULL, DK_REMOVE_TIMEOUT_MS, NULL,
			 dk_remove_done, o);
	free(path);
}

static bool
dk_known(const json_t *known, const char *task_id)
{
	size_t i;
	json_t *v;

	json_array_foreach(known, i, v) if (strcmp(json_string_value(v),
						   task_id) == 0) return true;
	return false;
}

static void
dk_list_done(const struct httpc_resp *r, void *arg)
{
	struct dk_op *o = arg;
	struct dk *d = o->d;
	struct ctr_dk_listed *rows = NULL;
	struct cd_err err;
	size_t n = 0, i, reaped = 0;
	char *why;

	CD_CHECK_OBJ(o, DK_OP_MAGIC);
	o->req = NULL;
	if (r->status != 200) {
		why = dk_why(r);
		log_warn("cannot list containers to reap orphans: %s", why);
		free(why);
	} else if (ctr_docker_api_list(r->body, r->len, &rows, &n, &err) != 0) {
		log_warn("cannot list containers to reap orphans: %s", err.msg);
	}
	for (i = 0; i < n; i++) {
		const char *tid = rows[i].task_id;

		/* The filter asked for our label; check it again anyway. */
		if (rows[i].agent_id == NULL ||
		    strcmp(rows[i].agent_id, d->agent_key) != 0)
			continue;
		if (tid != NULL &&
		    (dk_known(o->known, tid) || dk_find(d, tid) != NULL))
			continue;
		log_warn("orphan container %.12s (task %s): removing",
			 rows[i].id, tid != NULL ? tid : "?");
		dk_remove(d, rows[i].id, tid != NULL ? tid : rows[i].id);
		reaped++;
	}
	if (r->status == 200)
		log_info("reaped %zu orphan container(s)", reaped);
	ctr_dk_list_free(rows, n);
	dk_op_free(o);
}

static int
dk_reap_orphans(void *impl, const char *const *known, size_t n)
{
	struct dk *d = impl;
	struct dk_op *o;
	json_t *filter;
	char *fs, *enc, *path;
	size_t i;

	CD_ASSERT(d->base.magic == DK_MAGIC);
	o = dk_op_new(d, "orphan listing");
	o->known = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(o->known, json_string(known[i]));
	filter = json_pack("{s:[s+]}", "label", CTR_DK_LABEL_AGENT "=",
			   d->agent_key);
	fs = json_dump_str(filter);
	enc = ctr_docker_api_urlencode(fs);
	path = xasprintf("/containers/json?all=1&filters=%s", enc);
	o->req = dk_http(d, "GET", path, NULL, 0, NULL, dk_list_done, o);
	free(path);
	free(enc);
	free(fs);
	json_decref(filter);
	return 0;
}

/* ---- exec ---- */

static void
dk_exec_free(struct dk_exec *x)
{
	struct dk_exec **xp;

	for (xp = &x->d->execs; *xp != NULL; xp = &(*xp)->next)
		if (*xp == x) {
			*xp = x->next;
			break;
		}
	dk_cancel(&x->req);
	loop_timer_free(x->timer);
	free(x->cid);
	free(x->exec_id);
	CD_FREE_OBJ(x);
}

/* Report and forget. */
static void
dk_exec_end(struct dk_exec *x, int status, const char *why)
{
	ctr_exec_fn *done = x->done;
	void *arg = x->arg;

	dk_exec_free(x);
	done(arg, status, why);
}

static void
dk_exec_cancel(struct ctr_exec *base)
{
	struct dk_exec *x = (struct dk_exec *)base;

	CD_CHECK_OBJ(x, DK_EXEC_MAGIC);
	dk_exec_free(x);
}

/* Milliseconds left before the deadline; 0 once it passed. */
static long
dk_exec_left(const struct dk_exec *x)
{
	uint64_t now = loop_now_ms(x->d->l);

	return now >= x->deadline ? 0 : (long)(x->deadline - now);
}

static bool
dk_exec_timed_out(struct dk_exec *x)
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
dk_exec_fail(struct dk_exec *x, const char *what, const struct httpc_resp *r)
{
	char *why = dk_why(r), *msg = xasprintf("%s: %s", what, why);

	dk_exec_end(x, r->status == 404 || r->status == 409 ? -ENOENT : -EIO,
		    msg);
	free(msg);
	free(why);
}

static void dk_exec_poll(struct dk_exec *x);

static void
dk_exec_inspect_done(const struct httpc_resp *r, void *arg)
{
	struct dk_exec *x = arg;
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
dk_exec_poll(struct dk_exec *x)
{
	char *path = xasprintf("/exec/%s/json", x->exec_id);

	x->req = dk_http(x->d, "GET", path, NULL, dk_exec_left(x) + 1000, NULL,
			 dk_exec_inspect_done, x);
	free(path);
}

static void
dk_exec_timer_cb(void *arg)
{
	struct dk_exec *x = arg;

	CD_CHECK_OBJ(x, DK_EXEC_MAGIC);
	if (!dk_exec_timed_out(x))
		dk_exec_poll(x);
}

static void
dk_exec_start_done(const struct httpc_resp *r, void *arg)
{
	struct dk_exec *x = arg;

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
	struct dk_exec *x = arg;
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
	x->req = dk_http(x->d, "POST", path, "{\"Detach\":true,\"Tty\":false}",
			 dk_exec_left(x) + 1000, NULL, dk_exec_start_done, x);
	free(path);
}

static struct ctr_exec *
dk_exec(void *impl, const char *task_id, const char *cmd, long timeout_ms,
	ctr_exec_fn *done, void *arg, struct cd_err *err)
{
	struct dk *d = impl;
	struct dk_task *t;
	struct dk_exec *x;
	json_t *body;
	char *path, *data;

	CD_ASSERT(d->base.magic == DK_MAGIC);
	t = dk_find(d, task_id);
	if (t == NULL || t->cid == NULL || t->phase != DK_RUNNING ||
	    t->kill_req) {
		cd_err_set(err, -ENOENT, "task %s is not running", task_id);
		return NULL;
	}
	CD_ALLOC_OBJ(x, DK_EXEC_MAGIC);
	x->base.cancel = dk_exec_cancel;
	x->d = d;
	x->cid = xstrdup(t->cid);
	x->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
	x->deadline = loop_now_ms(d->l) + (uint64_t)x->timeout_ms;
	x->poll_ms = DK_EXEC_POLL_MIN_MS;
	x->done = done;
	x->arg = arg;
	x->timer = loop_timer_new(d->l, dk_exec_timer_cb, x);
	x->next = d->execs;
	d->execs = x;
	body = json_pack("{s:b, s:b, s:b, s:[s, s, s]}", "AttachStdin", 0,
			 "AttachStdout", 0, "AttachStderr", 0, "Cmd", "/bin/sh",
			 "-c", cmd);
	data = json_dump_str(body);
	path = xasprintf("/containers/%s/exec", x->cid);
	x->req = dk_http(d, "POST", path, data, x->timeout_ms + 1000, NULL,
			 dk_exec_create_done, x);
	free(path);
	free(data);
	json_decref(body);
	return &x->base;
}

static void
dk_free(void *impl)
{
	struct dk *d = impl;

	if (d == NULL)
		return;
	CD_ASSERT(d->base.magic == DK_MAGIC);
	/* Containers keep running: a restarted agent re-adopts them. */
	while (d->tasks != NULL) {
		struct dk_task *t = d->tasks;

		d->tasks = t->next;
		dk_task_free(t);
	}
	while (d->ops != NULL)
		dk_op_free(d->ops);
	while (d->execs != NULL)
		dk_exec_free(d->execs);
	free(d->socket);
	free(d->agent_key);
	d->base.magic = 0;
	free(d);
}

static const struct ctr_ops dk_ops = {
    .name = "docker",
    .handles = ctr_docker_handles,
    .launch = dk_launch,
    .kill = dk_kill,
    .recover = dk_recover,
    .reap_orphans = dk_reap_orphans,
    .free = dk_free,
    .exec = dk_exec,
};

void *
ctr_docker_new(struct loop *l, struct httpc *hc,
	       const struct ctr_docker_conf *conf, ctr_event_fn *ev, void *arg,
	       const struct ctr_ops **ops)
{
	struct dk *d = xcalloc(1, sizeof *d);

	d->base.magic = DK_MAGIC;
	d->base.ev = ev;
	d->base.ev_arg = arg;
	d->l = l;
	d->hc = hc;
	d->socket = xstrdup(conf->socket_path != NULL ? conf->socket_path
						      : "/var/run/docker.sock");
	d->agent_key = xstrdup(conf->agent_key != NULL ? conf->agent_key : "");
	d->stop_timeout_ms =
	    conf->stop_timeout_ms > 0 ? conf->stop_timeout_ms : 10000;
	d->allow_privileged = conf->allow_privileged;
	d->pull_timeout_ms = conf->pull_timeout_ms > 0 ? conf->pull_timeout_ms
						       : DK_PULL_TIMEOUT_MS;
	*ops = &dk_ops;
	return d;
}
