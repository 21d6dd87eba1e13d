/*
 * agent.c: the agent role object: configuration, the containerizers (set
 * up once the agent id is known, since containers are labelled with it),
 * and the wiring of its files, which call each other downwards only:
 *   agent.c        the role object (this file)
 *   agent_api.c    the HTTP endpoints: RunTask, KillTask, ping, /state
 *   agent_tasks.c  the tasks, their status updates and their checkpoint
 *   agent_master.c registration with the master and requests to it
 * plus agent_health.c (a task's COMMAND checks), agent_probe.c
 * (resources and attributes), agent_files.c (the /files endpoints) and
 * agent_monitor.c (/monitor/statistics). agent_master.c reports a registration
 * back through a->on_registered, set here.
 *
 * Checkpoint (STORE_DB_AGENT): "agent_id" = the id the master gave; the
 * tasks' records are agent_tasks.c's. Loop thread only.
 */
#include "agent/agent.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"
#include "agent/agent_probe.h"
#include "containerizer/ctr.h"
#include "containerizer/ctr_sim.h"
#include "lib/buf.h"
#include "lib/httpd.h"
#include "lib/loop.h"
#include "lib/store.h"
#include "lib/xalloc.h"

#define LOG_MOD "agent"
#include "lib/log.h"

static int
agent_setup_ctr(struct agent *a, struct cd_err *err)
{
	char *list = xstrdup(a->conf.containerizers), *p, *name, *save = NULL;
	struct ctr_conf cc = {0};
	int rc = 0;

	cc.work_dir = a->s_work_dir;
	cc.allowed_host_paths = a->s_paths;
	a->ctr = ctr_new(a->loop, a->hc, &cc);
	for (p = list; (name = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		const struct ctr_ops *ops = NULL;
		void *impl;

		if (strcmp(name, "docker") == 0) {
			struct ctr_docker_conf dc = {0};

			dc.socket_path = a->conf.docker_socket;
			dc.agent_key = a->id;
			dc.stop_timeout_ms = (int)a->conf.stop_timeout_ms;
			dc.pull_timeout_ms = (long)a->conf.pull_timeout_ms;
			dc.allowed_host_paths = a->s_paths;
			dc.allowed_parameters = a->s_params;
			dc.cgroups_enable_cfs = a->conf.cgroups_enable_cfs;
			impl = ctr_docker_new(a->loop, a->hc, &dc,
					      agent_tasks_ctr_event, a, &ops);
		} else if (strcmp(name, "mesos") == 0) {
			struct ctr_mesos_conf mc = {0};

			mc.agent_key = a->id;
			mc.stop_timeout_ms = (int)a->conf.stop_timeout_ms;
			mc.cgroups_enable_cfs = a->conf.cgroups_enable_cfs;
			impl = ctr_mesos_new(a->loop, &mc,
					     agent_tasks_ctr_event, a, &ops);
		} else if (strcmp(name, "sim") == 0) {
			/* bench/ only: runs nothing, see ctr_sim.h. */
			impl = ctr_sim_new(a->loop, agent_tasks_ctr_event, a,
					   &ops);
		} else {
			rc = cd_err_set(err, -EINVAL,
					"unknown containerizer "
					"'%s'",
					name);
			break;
		}
		ctr_add(a->ctr, ops, impl);
	}
	free(list);
	return rc;
}

/*
 * The agent id comes from the master at the first registration and is
 * checkpointed; containers are labelled with it, so the containerizers
 * start only once it is known (at once after a restart, otherwise when
 * the first registration succeeds).
 */
static void
agent_load_id(struct agent *a)
{
	struct buf b = BUF_INIT;

	if (store_get(a->store, STORE_DB_AGENT, "agent_id", &b) == 0 &&
	    b.len > 0)
		a->id = buf_detach(&b, NULL);
	buf_release(&b);
}

static int
agent_start_ctr(struct agent *a, struct cd_err *err)
{
	int rc;

	if (a->ctr != NULL)
		return 0;
	rc = agent_setup_ctr(a, err);
	if (rc != 0)
		return rc;
	agent_tasks_recover(a);
	return 0;
}

/*
 * agent_master.c: registered with the master. The first registration
 * gives the id the containerizers need; then every update waiting for a
 * master is sent.
 */
static void
agent_on_registered(struct agent *a, bool first)
{
	struct cd_err err = {0};

	if (first && agent_start_ctr(a, &err) != 0)
		fatalx("cannot start the containerizers: %s", err.msg);
	agent_tasks_send_pending(a);
}

static int
agent_check_containerizers(const char *list, struct cd_err *err)
{
	char *copy = xstrdup(list), *p, *name, *save = NULL;
	int rc = 0;

	for (p = copy; (name = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		if (strcmp(name, "docker") != 0 && strcmp(name, "mesos") != 0 &&
		    strcmp(name, "sim") != 0) {
			rc = cd_err_set(
			    err, -EINVAL,
			    "unknown containerizer "
			    "'%s' in --containerizers (docker, mesos)",
			    name);
			break;
		}
	}
	free(copy);
	return rc;
}

int
agent_new(struct loop *l, struct store *st, struct httpc *hc,
	  struct httpd *httpd, const struct agent_conf *conf,
	  struct agent **out, struct cd_err *err)
{
	struct agent *a = xcalloc(1, sizeof *a);
	int rc;

	a->loop = l;
	a->store = st;
	a->hc = hc;
	a->httpd = httpd;
	a->conf = *conf;
	a->conf.hostname = a->s_hostname = xstrdup(conf->hostname);
	a->conf.advertise_ip = a->s_ip = xstrdup(conf->advertise_ip);
	a->follow = conf->master == NULL;
	a->conf.master = a->s_master =
	    conf->master != NULL ? xstrdup(conf->master) : NULL;
	a->conf.containerizers = a->s_ctrs = xstrdup(conf->containerizers);
	a->conf.docker_socket = a->s_dsock = xstrdup(conf->docker_socket);
	a->conf.work_dir = a->s_work_dir = xstrdup(conf->work_dir);
	a->s_secret = conf->secret ? xstrdup(conf->secret) : NULL;
	a->conf.secret = a->s_secret;
	a->conf.version = a->s_version = xstrdup(conf->version);
	a->s_paths = conf->allowed_host_paths != NULL
			 ? xstrdup(conf->allowed_host_paths)
			 : NULL;
	a->s_params = conf->docker_allowed_parameters != NULL
			  ? xstrdup(conf->docker_allowed_parameters)
			  : NULL;
	a->conf.allowed_host_paths = a->s_paths;
	a->conf.docker_allowed_parameters = a->s_params;
	a->conf.resources = NULL;
	a->conf.attributes = NULL;
	if (a->conf.ping_timeout_ms <= 0)
		a->conf.ping_timeout_ms = 15000;
	if (a->conf.max_ping_timeouts <= 0)
		a->conf.max_ping_timeouts = 5;
	a->start_ms = loop_wall_ms();
	TAILQ_INIT(&a->tasks);
	LIST_INIT(&a->monitors);
	a->on_registered = agent_on_registered;
	if (!a->follow)
		a->master_url =
		    xasprintf("%s://%s", httpd_scheme(httpd), a->s_master);
	rc = agent_probe_resources(conf->resources, conf->work_dir, &a->total,
				   err);
	if (rc != 0)
		goto fail;
	a->attributes = agent_probe_attributes(conf->attributes, err);
	if (a->attributes == NULL) {
		rc = -EINVAL;
		goto fail;
	}
	rc = agent_check_containerizers(a->conf.containerizers, err);
	if (rc != 0)
		goto fail;
	agent_load_id(a);
	if (a->id != NULL && (rc = agent_start_ctr(a, err)) != 0)
		goto fail;
	agent_api_routes(a);
	agent_files_routes(a);
	agent_monitor_routes(a);
	agent_master_register(a, true);
	agent_master_watch_start(a);
	*out = a;
	return 0;
fail:
	agent_free(a);
	return rc;
}

void
agent_set_master(struct agent *a, const char *addr)
{
	agent_master_follow(a, addr);
}

void
agent_free(struct agent *a)
{
	if (a == NULL)
		return;
	agent_monitor_release(a);
	agent_tasks_release(a);
	if (a->reg_req != NULL)
		httpc_cancel(a->reg_req);
	loop_timer_free(a->reg_timer);
	loop_timer_free(a->watch_timer);
	if (a->ctr != NULL)
		ctr_free(a->ctr);
	json_decref(a->attributes);
	res_free(&a->total);
	free(a->s_hostname);
	free(a->s_ip);
	free(a->s_master);
	free(a->s_work_dir);
	free(a->s_secret);
	free(a->s_version);
	free(a->s_ctrs);
	free(a->s_dsock);
	free(a->s_paths);
	free(a->s_params);
	free(a->master_url);
	free(a->leader_pid);
	free(a->id);
	free(a->master_id);
	free(a->master_epoch);
	free(a->master_ip);
	free(a->status_token);
	free(a);
}
