/*
 * ctr_docker.c: the docker containerizer (behaviour in ctr_docker.h): the
 * driver object and the life of each task. Owns one struct
 * ctr_docker_task per launched or recovered task; its log stream is a
 * struct ctr_docker_logs (ctr_docker_logs.c), a missing image is fetched
 * by ctr_docker_image.c, container removals and orphan reaping are
 * ctr_docker_rm.c's, health check commands ctr_docker_exec.c's (all
 * sharing ctr_docker_int.h).
 *
 * Design: each task is a small state machine advanced by httpc completion
 * callbacks; at most one "step" request (t->req) is in flight, beside the
 * long-lived wait and logs requests and a stop. All JSON is built and
 * parsed by the pure ctr_docker_api module. Events never leave from inside
 * a ctr_* call: anything a call decides (a launch refused, a kill during a
 * pull) is finished from the task's zero-delay timer. A task leaves the
 * list when its terminal event is sent; its container removal then runs in
 * ctr_docker_rm.c, so the driver never touches a freed task. Loop thread
 * only.
 */
#include "containerizer/ctr_docker.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "ctr_docker"
#include "containerizer/ctr_docker_api.h"
#include "containerizer/ctr_docker_int.h"
#include "containerizer/ctr_int.h"
#include "lib/httpc.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/xalloc.h"

#define DK_MAGIC 0xd0c4e701u
#define DK_TASK_MAGIC 0xd0c4e702u

#define DK_API "http://docker/v1.41"
#define DK_CREATE_TIMEOUT_MS 120000L
#define DK_PULL_TIMEOUT_MS 600000L
#define DK_DRAIN_MS 3000
#define DK_BACKOFF_MIN_MS 250
#define DK_BACKOFF_MAX_MS 5000

enum dk_phase {
	DK_KICK,    /* launch accepted; the timer starts it */
	DK_CREATE,  /* POST /containers/create */
	DK_IMAGE,   /* fetching the image (ctr_docker_image.c) */
	DK_ADOPT,   /* GET /containers/{name}/json after a 409 */
	DK_START,   /* POST /containers/{id}/start */
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

struct ctr_docker_task {
	unsigned magic;
	struct ctr_docker *d;	   /* borrowed: owner */
	char *task_id;		   /* owned */
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
	bool pulled;	  /* the image was pulled for this launch */
	char *create_404; /* owned or NULL: the create's 404 message */
	/* The terminal state, once known. */
	enum task_state final;
	char *final_msg;	    /* owned */
	const char *final_reason;   /* static */
	struct httpc_req *req;	    /* borrowed: the step in flight */
	struct httpc_req *wait_req; /* borrowed */
	struct httpc_req *stop_req; /* borrowed */
	struct loop_timer *timer;   /* owned */
	enum dk_timer_act act;
	int wait_backoff_ms;
	struct ctr_docker_image *img; /* borrowed: the fetch in flight */
	struct ctr_docker_logs *logs; /* owned */
	struct ctr_docker_task *next; /* owned: list */
};

static void dk_step_launch(struct ctr_docker_task *t);
static void dk_step_create(struct ctr_docker_task *t);
static void dk_step_image(struct ctr_docker_task *t, bool check);
static void dk_step_start(struct ctr_docker_task *t);
static void dk_watch(struct ctr_docker_task *t, bool since_now);
static void dk_finish(struct ctr_docker_task *t, enum task_state st,
		      const char *reason, const char *fmt, ...) CD_PRINTF(4, 5);

int
ctr_docker_handles(const struct wire_task *t)
{
	const json_t *c = t->container;
	const char *type = json_string_value(json_object_get(c, "type"));

	if (type != NULL && strcasecmp(type, "DOCKER") == 0)
		return 1;
	return json_object_get(json_object_get(c, "docker"), "image") != NULL;
}

struct httpc_req *
ctr_docker_http(struct ctr_docker *d, const char *method, const char *path,
		const char *body, long timeout_ms, httpc_data_fn *on_data,
		httpc_done_fn *done, void *arg)
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

char *
ctr_docker_why(const struct httpc_resp *r)
{
	if (r->status == 0)
		return xasprintf("docker daemon unreachable: %s",
				 r->err != NULL ? r->err->msg
						: "transport error");
	return ctr_docker_api_errmsg(r->body, r->len);
}

void
ctr_docker_cancel(struct httpc_req **r)
{
	if (*r != NULL)
		httpc_cancel(*r);
	*r = NULL;
}

static struct ctr_docker_task *
dk_find(struct ctr_docker *d, const char *task_id)
{
	struct ctr_docker_task *t;

	for (t = d->tasks; t != NULL; t = t->next)
		if (strcmp(t->task_id, task_id) == 0)
			return t;
	return NULL;
}

const char *
ctr_docker_running_cid(struct ctr_docker *d, const char *task_id)
{
	struct ctr_docker_task *t = dk_find(d, task_id);

	if (t == NULL || t->cid == NULL || t->phase != DK_RUNNING ||
	    t->kill_req)
		return NULL;
	return t->cid;
}

bool
ctr_docker_tracked(struct ctr_docker *d, const char *task_id)
{
	return dk_find(d, task_id) != NULL;
}

static void
dk_unlink(struct ctr_docker_task *t)
{
	struct ctr_docker_task **tp;

	for (tp = &t->d->tasks; *tp != NULL; tp = &(*tp)->next)
		if (*tp == t) {
			*tp = t->next;
			return;
		}
}

static void
dk_task_free(struct ctr_docker_task *t)
{
	ctr_docker_cancel(&t->req);
	ctr_docker_cancel(&t->wait_req);
	ctr_docker_cancel(&t->stop_req);
	loop_timer_free(t->timer);
	ctr_docker_logs_free(t->logs);
	ctr_dk_create_release(&t->spec);
	ctr_docker_image_cancel(t->img);
	free(t->task_id);
	free(t->name);
	free(t->cid);
	free(t->spec_err);
	free(t->create_404);
	free(t->final_msg);
	CD_FREE_OBJ(t);
}

static void
dk_emit(struct ctr_docker_task *t, enum task_state st, const char *msg,
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
dk_terminate(struct ctr_docker_task *t)
{
	log_info("task %s: %s: %s", t->task_id, task_state_name(t->final),
		 t->final_msg);
	dk_unlink(t);
	dk_emit(t, t->final, t->final_msg, t->final_reason, NULL);
	if (t->cid != NULL)
		ctr_docker_rm_container(t->d, t->cid, t->task_id);
	dk_task_free(t);
}

/* The log stream ended after the container: the sandbox is complete. */
static void
dk_logs_ended(void *arg)
{
	struct ctr_docker_task *t = arg;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	loop_timer_del(t->timer);
	dk_terminate(t);
}

/*
 * Decide the terminal state. The event waits for the log stream to end
 * (bounded), so the sandbox holds the container's last words.
 */
static void
dk_finish(struct ctr_docker_task *t, enum task_state st, const char *reason,
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
	ctr_docker_cancel(&t->req);
	ctr_docker_cancel(&t->wait_req);
	ctr_docker_cancel(&t->stop_req);
	ctr_docker_image_cancel(t->img);
	t->img = NULL;
	if (!ctr_docker_logs_end(t->logs, dk_logs_ended, t)) {
		dk_terminate(t);
		return;
	}
	t->act = DK_T_DRAIN;
	loop_timer_add(t->timer, DK_DRAIN_MS);
}

/* Finish later, from the timer: for decisions taken inside ctr_* calls. */
static void
dk_finish_later(struct ctr_docker_task *t, enum task_state st,
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
static void
dk_fail(struct ctr_docker_task *t, const char *what, const struct httpc_resp *r)
{
	char *why = r != NULL ? ctr_docker_why(r) : xstrdup("");

	if (t->kill_req)
		dk_finish(t, TASK_KILLED, "REASON_TASK_KILLED_DURING_LAUNCH",
			  "killed during launch");
	else
		dk_finish(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED",
			  "%s%s%s", what, why[0] != '\0' ? ": " : "", why);
	free(why);
}

static void
dk_exited(struct ctr_docker_task *t, int code)
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

/* ---- exit detection and kill ---- */

static void
dk_wait_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_task *t = arg;
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
dk_wait(struct ctr_docker_task *t)
{
	char *path = xasprintf("/containers/%s/wait", t->cid);

	t->wait_req = ctr_docker_http(t->d, "POST", path, NULL, -1, NULL,
				      dk_wait_done, t);
	free(path);
}

static void
dk_watch(struct ctr_docker_task *t, bool since_now)
{
	t->phase = DK_RUNNING;
	dk_wait(t);
	ctr_docker_logs_open(t->logs, t->cid, since_now);
}

static void
dk_stop_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_task *t = arg;
	char *why;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	t->stop_req = NULL;
	/* 204 stopped, 304 already stopped, 404 gone: the wait ends it. */
	if (r->status == 204 || r->status == 304 || r->status == 404)
		return;
	why = ctr_docker_why(r);
	log_warn("task %s: stop failed (%s); removing it by force", t->task_id,
		 why);
	free(why);
	ctr_docker_rm_container(t->d, t->cid, t->task_id);
}

static void
dk_stop(struct ctr_docker_task *t)
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

/* ---- launch ---- */

static void
dk_start_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_task *t = arg;
	json_t *cp;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	t->req = NULL;
	if (r->status != 204 && r->status != 304) {
		dk_fail(t, "starting the container", r);
		return;
	}
	/*
	 * 204 (or 304: it was running already, an adopted container): the
	 * daemon answers a start once the process runs, so this is RUNNING
	 * without an inspect. A container that exits at once is reported by
	 * the wait, which answers at once for a stopped container, so the
	 * exit is never missed. The logs follow from the start, so nothing
	 * the container prints is missed.
	 */
	ctr_docker_logs_open(t->logs, t->cid, false);
	if (!t->kill_req) {
		t->running_sent = true;
		cp = json_pack("{s:s}", "container_id", t->cid);
		log_info("task %s: running in container %.12s", t->task_id,
			 t->cid);
		dk_emit(t, TASK_RUNNING, NULL, NULL, cp);
		json_decref(cp);
	}
	dk_watch(t, false);
	if (t->kill_req)
		dk_stop(t);
}

static void
dk_step_start(struct ctr_docker_task *t)
{
	char *path = xasprintf("/containers/%s/start", t->cid);

	t->phase = DK_START;
	if (t->kill_req) {
		dk_fail(t, "", NULL);
		return;
	}
	t->req = ctr_docker_http(t->d, "POST", path, NULL, 0, NULL,
				 dk_start_done, t);
	free(path);
}

static void
dk_adopt_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_task *t = arg;
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
	struct ctr_docker_task *t = arg;
	char *path;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	t->req = NULL;
	if (r->status == 409) {
		t->phase = DK_ADOPT;
		path = xasprintf("/containers/%s/json", t->name);
		t->req = ctr_docker_http(t->d, "GET", path, NULL, 0, NULL,
					 dk_adopt_done, t);
		free(path);
		return;
	}
	/*
	 * The image is missing, or something else the body names is (a
	 * network): the image's inspect tells which. Once only: after a
	 * pull, a 404 is a failure.
	 */
	if (r->status == 404 && !t->pulled) {
		free(t->create_404);
		t->create_404 = ctr_docker_why(r);
		dk_step_image(t, true);
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
dk_step_create(struct ctr_docker_task *t)
{
	char *body, *path;

	if (t->kill_req) {
		dk_fail(t, "", NULL);
		return;
	}
	t->phase = DK_CREATE;
	body = json_dump_str(t->spec.body);
	path = xasprintf("/containers/create?name=%s", t->name);
	t->req = ctr_docker_http(t->d, "POST", path, body, DK_CREATE_TIMEOUT_MS,
				 NULL, dk_create_done, t);
	free(path);
	free(body);
}

static void
dk_image_done(void *arg, int rc, const char *why)
{
	struct ctr_docker_task *t = arg;
	char *what;

	CD_CHECK_OBJ(t, DK_TASK_MAGIC);
	t->img = NULL;
	if (rc == 0) {
		t->pulled = true;
		dk_step_create(t);
	} else if (rc == -EEXIST) {
		/* The image is there: the create's 404 was about another
		 * thing, and a pull would not help. */
		what = xasprintf("creating the container: %s", t->create_404);
		dk_fail(t, what, NULL);
		free(what);
	} else {
		dk_fail(t, why, NULL);
	}
}

/* Pull the image; with check, only once an inspect finds it missing. */
static void
dk_step_image(struct ctr_docker_task *t, bool check)
{
	if (t->kill_req) {
		dk_fail(t, "", NULL);
		return;
	}
	t->phase = DK_IMAGE;
	t->img = ctr_docker_image_fetch(t->d, t->task_id, &t->spec, check,
					dk_image_done, t);
}

/*
 * Launch: create at once, the way `docker run` does, and pull only when
 * the create says the image is missing (or forcePullImage asks). No image
 * inspect up front: it was a round trip per task before every create, and
 * a cached answer could go stale (an image removed or re-tagged).
 */
static void
dk_step_launch(struct ctr_docker_task *t)
{
	dk_emit(t, TASK_STARTING, NULL, NULL, NULL);
	if (t->spec_err != NULL) {
		dk_finish(t, TASK_FAILED, "REASON_CONTAINER_LAUNCH_FAILED",
			  "%s", t->spec_err);
		return;
	}
	if (t->spec.force_pull)
		dk_step_image(t, false);
	else
		dk_step_create(t);
}

/* ---- recovery ---- */

static void dk_step_recover(struct ctr_docker_task *t);

static void
dk_recover_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_task *t = arg;
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
dk_step_recover(struct ctr_docker_task *t)
{
	char *path =
	    xasprintf("/containers/%s/json", t->cid != NULL ? t->cid : t->name);

	t->phase = DK_RECOVER;
	t->req = ctr_docker_http(t->d, "GET", path, NULL, 0, NULL,
				 dk_recover_done, t);
	free(path);
}

static void
dk_timer_cb(void *arg)
{
	struct ctr_docker_task *t = arg;

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
			dk_step_launch(t);
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
		ctr_docker_logs_cancel(t->logs);
		dk_terminate(t);
		break;
	}
}

static struct ctr_docker_task *
dk_task_new(struct ctr_docker *d, const struct wire_task *wt,
	    const char *sandbox)
{
	struct ctr_docker_task *t;

	CD_ALLOC_OBJ(t, DK_TASK_MAGIC);
	t->d = d;
	t->task_id = xstrdup(wt->task_id);
	t->name = ctr_docker_api_name(wt->task_id);
	t->kill_grace_ms = wt->kill_grace_ms;
	t->timer = loop_timer_new(d->l, dk_timer_cb, t);
	t->logs = ctr_docker_logs_new(d, wt->task_id, sandbox);
	t->act = DK_T_KICK;
	t->next = d->tasks;
	d->tasks = t;
	return t;
}

static int
dk_launch(void *impl, const struct wire_task *wt, const char *sandbox,
	  struct cd_err *err)
{
	struct ctr_docker *d = impl;
	struct ctr_docker_task *t;
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
	struct ctr_docker *d = impl;
	struct ctr_docker_task *t;

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
		/* Nothing exists yet: drop the fetch, end from the timer. */
		ctr_docker_image_cancel(t->img);
		t->img = NULL;
		t->phase = DK_ENDING;
		dk_finish_later(t, TASK_KILLED,
				"REASON_TASK_KILLED_DURING_LAUNCH",
				"killed during launch");
		break;
	case DK_RUNNING:
		dk_stop(t);
		break;
	default:
		/* KICK, CREATE, ADOPT, START, RECOVER: the step's callback
		 * sees kill_req. */
		break;
	}
	return 0;
}

static int
dk_recover(void *impl, const struct wire_task *wt, const char *sandbox,
	   const json_t *checkpoint)
{
	struct ctr_docker *d = impl;
	struct ctr_docker_task *t;
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

static void
dk_free(void *impl)
{
	struct ctr_docker *d = impl;

	if (d == NULL)
		return;
	CD_ASSERT(d->base.magic == DK_MAGIC);
	/* Containers keep running: a restarted agent re-adopts them. */
	while (d->tasks != NULL) {
		struct ctr_docker_task *t = d->tasks;

		d->tasks = t->next;
		dk_task_free(t);
	}
	ctr_docker_rm_free_all(d);
	ctr_docker_exec_free_all(d);
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
    .reap_orphans = ctr_docker_rm_orphans,
    .free = dk_free,
    .exec = ctr_docker_exec_start,
};

void *
ctr_docker_new(struct loop *l, struct httpc *hc,
	       const struct ctr_docker_conf *conf, ctr_event_fn *ev, void *arg,
	       const struct ctr_ops **ops)
{
	struct ctr_docker *d = xcalloc(1, sizeof *d);

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
