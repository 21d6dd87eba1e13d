/*
 * ctr_docker.c: the docker containerizer (behaviour in ctr_docker.h): the
 * driver object, its ctr_ops, and how each task begins: the launch steps
 * (create, image, adopt, start) and recovery. Owns the driver's lists
 * (through struct ctr_docker) and creates each struct ctr_docker_task.
 * The files of the docker containerizer call each other downwards only:
 *   ctr_docker.c       the driver and a task's launch and recovery
 *   ctr_docker_exec.c  health check commands run in a task's container
 *   ctr_docker_stats.c a task's resource usage (/monitor/statistics)
 *   ctr_docker_task.c  a task's record, its wait, stop and terminal event
 *   ctr_docker_image.c a missing image fetched for a launch
 *   ctr_docker_logs.c  a task's output into its sandbox
 *   ctr_docker_rm.c    container removal and orphan reaping
 *   ctr_docker_http.c  the Engine API requests every one of them makes
 * over the pure ctr_docker_api (JSON in and out), all sharing
 * ctr_docker_int.h. What a lower file needs from a higher one comes as a
 * callback (the orphan reaper's "is this task tracked").
 *
 * Design: each task is a small state machine advanced by httpc completion
 * callbacks; at most one "step" request (t->req) is in flight, beside the
 * long-lived wait and logs requests and a stop. Events never leave from
 * inside a ctr_* call: anything a call decides (a launch refused, a kill
 * during a pull) is finished from the task's zero-delay timer, whose
 * callback is here. A task leaves the list when its terminal event is
 * sent; its container removal then runs in ctr_docker_rm.c, so the driver
 * never touches a freed task. Loop thread only.
 */
#include "containerizer/ctr_docker.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "ctr_docker"
#include "containerizer/ctr_docker_api.h"
#include "containerizer/ctr_docker_int.h"
#include "containerizer/ctr_int.h"
#include "containerizer/ctr_user.h"
#include "lib/httpc.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/path.h"
#include "lib/policy.h"
#include "lib/xalloc.h"

#define DK_MAGIC 0xd0c4e701u

#define DK_CREATE_TIMEOUT_MS 120000L
#define DK_PULL_TIMEOUT_MS 600000L

static void dk_step_launch(struct ctr_docker_task *t);
static void dk_step_create(struct ctr_docker_task *t);
static void dk_step_image(struct ctr_docker_task *t, bool check);
static void dk_step_start(struct ctr_docker_task *t);

int
ctr_docker_handles(const struct wire_task *t)
{
	const json_t *c = t->container;
	const char *type = json_string_value(json_object_get(c, "type"));

	if (type != NULL && strcasecmp(type, "DOCKER") == 0)
		return 1;
	return json_object_get(json_object_get(c, "docker"), "image") != NULL;
}

/* ---- launch ---- */

/* Started (and its own address known, on a bridge or user network). */
static void
dk_running(struct ctr_docker_task *t, const json_t *ips)
{
	struct ctr_event ev;
	json_t *cp;

	if (!t->kill_req) {
		t->running_sent = true;
		cp = json_pack("{s:s}", "container_id", t->cid);
		log_info("task %s: running in container %.12s", t->task_id,
			 t->cid);
		memset(&ev, 0, sizeof ev);
		ev.task_id = t->task_id;
		ev.state = TASK_RUNNING;
		ev.container_id = t->cid;
		ev.checkpoint = cp;
		ev.ip_addresses = ips;
		ctr_base_emit(&t->d->base, &ev);
		json_decref(cp);
	}
	ctr_docker_task_watch(t, false);
	if (t->kill_req)
		ctr_docker_task_stop(t);
}

static void
dk_address_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_task *t = arg;
	struct ctr_dk_inspect in;

	CD_CHECK_OBJ(t, CTR_DOCKER_TASK_MAGIC);
	t->req = NULL;
	if (!ctr_docker_task_inspected(r, &in)) {
		log_warn("task %s: cannot read its address (status %d)",
			 t->task_id, r->status);
		dk_running(t, NULL);
		return;
	}
	dk_running(t, json_array_size(in.ips) > 0 ? in.ips : NULL);
	ctr_dk_inspect_release(&in);
}

static void
dk_start_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_task *t = arg;

	CD_CHECK_OBJ(t, CTR_DOCKER_TASK_MAGIC);
	t->req = NULL;
	if (r->status != 204 && r->status != 304) {
		ctr_docker_task_fail(t, "starting the container", r);
		return;
	}
	/*
	 * 204 (or 304: it was running already, an adopted container): the
	 * daemon answers a start once the process runs, so this is RUNNING
	 * without an inspect, unless the container has an address of its
	 * own (a bridge or user network), which only the inspect tells. A
	 * container that exits at once is reported by the wait, which
	 * answers at once for a stopped container, so the exit is never
	 * missed. The logs follow from the start, so nothing the container
	 * prints is missed.
	 */
	ctr_docker_logs_open(t->logs, t->cid, false);
	if (!t->spec.own_ip || t->kill_req) {
		dk_running(t, NULL);
		return;
	}
	t->phase = DK_ADDRESS;
	ctr_docker_task_inspect(t, t->cid, dk_address_done);
}

static void
dk_step_start(struct ctr_docker_task *t)
{
	char *path = xasprintf("/containers/%s/start", t->cid);

	t->phase = DK_START;
	if (t->kill_req) {
		ctr_docker_task_fail(t, "", NULL);
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

	CD_CHECK_OBJ(t, CTR_DOCKER_TASK_MAGIC);
	t->req = NULL;
	if (!ctr_docker_task_inspected(r, &in)) {
		ctr_docker_task_fail(t, "inspecting the existing container", r);
		return;
	}
	if (in.task_id == NULL || strcmp(in.task_id, t->task_id) != 0 ||
	    in.agent_id == NULL || strcmp(in.agent_id, t->d->agent_key) != 0) {
		ctr_docker_task_finish(
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

	CD_CHECK_OBJ(t, CTR_DOCKER_TASK_MAGIC);
	t->req = NULL;
	if (r->status == 409) {
		t->phase = DK_ADOPT;
		ctr_docker_task_inspect(t, t->name, dk_adopt_done);
		return;
	}
	/*
	 * The image is missing, or something else the body names is (a
	 * network): the image's inspect tells which. Once only: after a
	 * pull, a 404 is a failure.
	 */
	if (r->status == 404 && !t->pulled) {
		free(t->create_404);
		t->create_404 = ctr_docker_http_why(r);
		dk_step_image(t, true);
		return;
	}
	if (r->status != 201 ||
	    (t->cid = ctr_docker_api_id(r->body, r->len)) == NULL) {
		/* The daemon may have made it (a reply lost, a 500 late). */
		t->rm_by_name = true;
		ctr_docker_task_fail(t, "creating the container", r);
		return;
	}
	dk_step_start(t);
}

static void
dk_step_create(struct ctr_docker_task *t)
{
	char *body, *path;

	if (t->kill_req) {
		ctr_docker_task_fail(t, "", NULL);
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

	CD_CHECK_OBJ(t, CTR_DOCKER_TASK_MAGIC);
	t->img = NULL;
	if (rc == 0) {
		t->pulled = true;
		dk_step_create(t);
	} else if (rc == -EEXIST) {
		/* The image is there: the create's 404 was about another
		 * thing, and a pull would not help. */
		what = xasprintf("creating the container: %s", t->create_404);
		ctr_docker_task_fail(t, what, NULL);
		free(what);
	} else {
		ctr_docker_task_fail(t, why, NULL);
	}
}

/* Pull the image; with check, only once an inspect finds it missing. */
static void
dk_step_image(struct ctr_docker_task *t, bool check)
{
	if (t->kill_req) {
		ctr_docker_task_fail(t, "", NULL);
		return;
	}
	t->phase = DK_IMAGE;
	t->img = ctr_docker_image_fetch(t->d, t->task_id, &t->spec, check,
					dk_image_done, t);
}

/*
 * The bind sources on disk: below the sandbox, each is made and must
 * resolve inside it (no link out of it: the task's own files, or an
 * archive's, could hold one); on the host, one that exists must resolve
 * below an allowed host path too. Short local metadata calls.
 */
static int
dk_check_binds(struct ctr_docker_task *t, struct cd_err *err)
{
	char box[PATH_MAX], real[PATH_MAX];
	const char *p;
	size_t i, n;
	int rc;

	if (realpath(t->sandbox, box) == NULL)
		return cd_err_set(err, -errno, "%s: %s", t->sandbox,
				  strerror(errno));
	n = strlen(t->sandbox);
	for (i = 0; i < json_array_size(t->spec.bind_paths); i++) {
		p = json_string_value(json_array_get(t->spec.bind_paths, i));
		if (strncmp(p, t->sandbox, n) == 0 && p[n] == '/') {
			if ((rc = path_mkdirs(p, 0755)) != 0)
				return cd_err_set(err, rc, "%s: %s", p,
						  strerror(-rc));
			if (realpath(p, real) == NULL ||
			    strncmp(real, box, strlen(box)) != 0 ||
			    (real[strlen(box)] != '/' &&
			     real[strlen(box)] != '\0'))
				return cd_err_set(err, -EPERM,
						  "volume %s leads out of the "
						  "sandbox",
						  p);
			continue;
		}
		if (realpath(p, real) == NULL)
			continue; /* Docker makes it, below the allowed path */
		if (!policy_host_path_allowed(real, t->d->allowed_host_paths))
			return cd_err_set(err, -EPERM,
					  "host path %s leads to %s, which is "
					  "not allowed on this agent "
					  "(" POLICY_FLAG_PATHS ")",
					  p, real);
	}
	return 0;
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
	struct cd_err err;

	ctr_docker_task_emit(t, TASK_STARTING, NULL, NULL, NULL);
	cd_err_clear(&err);
	if (t->spec_err == NULL && dk_check_binds(t, &err) != 0)
		t->spec_err = xstrdup(err.msg);
	if (t->spec_err != NULL) {
		ctr_docker_task_finish(t, TASK_FAILED,
				       "REASON_CONTAINER_LAUNCH_FAILED", "%s",
				       t->spec_err);
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

	CD_CHECK_OBJ(t, CTR_DOCKER_TASK_MAGIC);
	t->req = NULL;
	if (r->status == 404) {
		ctr_docker_task_finish(
		    t, t->kill_req ? TASK_KILLED : TASK_FAILED,
		    "REASON_EXECUTOR_TERMINATED",
		    "container lost while the agent was down");
		return;
	}
	if (!ctr_docker_task_inspected(r, &in)) {
		t->wait_backoff_ms =
		    t->wait_backoff_ms == 0 ? 1000
		    : t->wait_backoff_ms * 2 > CTR_DOCKER_BACKOFF_MAX_MS
			? CTR_DOCKER_BACKOFF_MAX_MS
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
		ctr_docker_task_watch(t, true);
		if (t->kill_req)
			ctr_docker_task_stop(t);
	} else if (in.exited) {
		/* What it wrote while the agent was down goes in first. */
		ctr_docker_logs_open(t->logs, t->cid, true);
		ctr_docker_task_exited(t, in.exit_code, in.oom_killed);
	} else {
		ctr_docker_task_finish(
		    t, TASK_FAILED, "REASON_EXECUTOR_TERMINATED",
		    "container lost while the agent was down (never started)");
	}
	ctr_dk_inspect_release(&in);
}

static void
dk_step_recover(struct ctr_docker_task *t)
{
	t->phase = DK_RECOVER;
	ctr_docker_task_inspect(t, t->cid != NULL ? t->cid : t->name,
				dk_recover_done);
}

static void
dk_timer_cb(void *arg)
{
	struct ctr_docker_task *t = arg;

	CD_CHECK_OBJ(t, CTR_DOCKER_TASK_MAGIC);
	switch (t->act) {
	case DK_T_KICK:
		if (t->recovered)
			dk_step_recover(t);
		else if (t->kill_req)
			ctr_docker_task_finish(
			    t, TASK_KILLED, "REASON_TASK_KILLED_DURING_LAUNCH",
			    "killed before launch");
		else
			dk_step_launch(t);
		break;
	case DK_T_FINISH:
		t->phase = DK_ENDING;
		ctr_docker_task_terminate(t);
		break;
	case DK_T_WAIT:
		if (t->phase == DK_RUNNING && t->wait_req == NULL)
			ctr_docker_task_wait(t);
		break;
	case DK_T_DRAIN:
		ctr_docker_logs_cancel(t->logs);
		ctr_docker_task_terminate(t);
		break;
	}
}

static struct ctr_docker_task *
dk_task_new(struct ctr_docker *d, const struct wire_task *wt,
	    const char *sandbox)
{
	struct ctr_docker_task *t;

	CD_ALLOC_OBJ(t, CTR_DOCKER_TASK_MAGIC);
	t->d = d;
	t->task_id = xstrdup(wt->task_id);
	t->name = ctr_docker_api_name(wt->task_id);
	t->kill_grace_ms = wt->kill_grace_ms;
	t->mem_mb = (int)wt->res.mem;
	t->sandbox = xstrdup(sandbox);
	t->timer = loop_timer_new(d->l, dk_timer_cb, t);
	t->logs = ctr_docker_logs_new(d, wt->task_id, sandbox);
	t->act = DK_T_KICK;
	LIST_INSERT_HEAD(&d->tasks, t, link);
	return t;
}

static int
dk_launch(void *impl, const struct wire_task *wt, const char *sandbox,
	  struct cd_err *err)
{
	struct ctr_docker *d = impl;
	struct ctr_docker_task *t;
	struct ctr_dk_policy pol;
	struct ctr_user u;
	struct cd_err e;
	size_t i;
	int rc;

	CD_ASSERT(d->base.magic == DK_MAGIC);
	if (ctr_docker_task_find(d, wt->task_id) != NULL)
		return cd_err_set(err, -EEXIST, "task %s is already running",
				  wt->task_id);
	if ((rc = ctr_user_lookup(wt->user, &u, err)) != 0)
		return rc;
	t = dk_task_new(d, wt, sandbox);
	cd_err_clear(&e);
	pol.allowed_host_paths = d->allowed_host_paths;
	pol.allowed_parameters = d->allowed_parameters;
	pol.cfs = d->cfs;
	pol.user = &u;
	rc = ctr_docker_api_create(wt, sandbox, d->agent_key, &pol, &t->spec,
				   &e);
	ctr_user_release(&u);
	if (rc != 0) {
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
	if ((t = ctr_docker_task_find(d, task_id)) == NULL)
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
		ctr_docker_task_finish_later(t, TASK_KILLED,
					     "REASON_TASK_KILLED_DURING_LAUNCH",
					     "killed during launch");
		break;
	case DK_RUNNING:
		ctr_docker_task_stop(t);
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
	if (ctr_docker_task_find(d, wt->task_id) != NULL)
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

static bool
dk_tracked(struct ctr_docker *d, const char *task_id)
{
	return ctr_docker_task_find(d, task_id) != NULL;
}

static int
dk_reap_orphans(void *impl, const char *const *known, size_t n)
{
	struct ctr_docker *d = impl;

	CD_ASSERT(d->base.magic == DK_MAGIC);
	return ctr_docker_rm_orphans(d, known, n, dk_tracked);
}

static struct ctr_exec *
dk_exec(void *impl, const char *task_id, const char *cmd, long timeout_ms,
	ctr_exec_fn *done, void *arg, struct cd_err *err)
{
	struct ctr_docker *d = impl;
	const char *cid;

	CD_ASSERT(d->base.magic == DK_MAGIC);
	cid = ctr_docker_task_running_cid(d, task_id);
	if (cid == NULL) {
		cd_err_set(err, -ENOENT, "task %s is not running", task_id);
		return NULL;
	}
	return ctr_docker_exec_start(d, cid, cmd, timeout_ms, done, arg);
}

static int
dk_usage(void *impl, const char *task_id, struct ctr_usage *u,
	 ctr_usage_fn *done, void *arg, struct ctr_usage_req **q)
{
	struct ctr_docker *d = impl;
	const char *cid;

	(void)u;
	CD_ASSERT(d->base.magic == DK_MAGIC);
	if ((cid = ctr_docker_task_running_cid(d, task_id)) == NULL)
		return -ENOENT;
	*q = ctr_docker_stats_start(d, cid, done, arg);
	return 1;
}

static void
dk_free(void *impl)
{
	struct ctr_docker *d = impl;
	struct ctr_docker_task *t;

	if (d == NULL)
		return;
	CD_ASSERT(d->base.magic == DK_MAGIC);
	/* Containers keep running: a restarted agent re-adopts them. */
	while ((t = LIST_FIRST(&d->tasks)) != NULL) {
		LIST_REMOVE(t, link);
		ctr_docker_task_free(t);
	}
	ctr_docker_rm_free_all(d);
	ctr_docker_exec_free_all(d);
	ctr_docker_stats_free_all(d);
	free(d->socket);
	free(d->agent_key);
	free(d->allowed_host_paths);
	free(d->allowed_parameters);
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
    .usage = dk_usage,
};

void *
ctr_docker_new(struct loop *l, struct httpc *hc,
	       const struct ctr_docker_conf *conf, ctr_event_fn *ev, void *arg,
	       const struct ctr_ops **ops)
{
	struct ctr_docker *d = xcalloc(1, sizeof *d);

	ctr_base_init(&d->base, DK_MAGIC, ev, arg);
	d->l = l;
	d->hc = hc;
	LIST_INIT(&d->tasks);
	LIST_INIT(&d->rms);
	LIST_INIT(&d->execs);
	LIST_INIT(&d->stats);
	d->socket = xstrdup(conf->socket_path != NULL ? conf->socket_path
						      : "/var/run/docker.sock");
	d->agent_key = xstrdup(conf->agent_key != NULL ? conf->agent_key : "");
	d->stop_timeout_ms =
	    conf->stop_timeout_ms > 0 ? conf->stop_timeout_ms : 10000;
	d->allowed_host_paths = conf->allowed_host_paths != NULL
				    ? xstrdup(conf->allowed_host_paths)
				    : NULL;
	d->allowed_parameters = conf->allowed_parameters != NULL
				    ? xstrdup(conf->allowed_parameters)
				    : NULL;
	d->cfs = conf->cgroups_enable_cfs != 0;
	d->pull_timeout_ms = conf->pull_timeout_ms > 0 ? conf->pull_timeout_ms
						       : DK_PULL_TIMEOUT_MS;
	*ops = &dk_ops;
	return d;
}
