/*
 * sched.c: the scheduler role object, wiring only. It owns struct sched
 * and its parts (repo of apps, tracker of tasks, offer matching,
 * deployments, event bus, health checks, the engine's timers), creating
 * and freeing each through its module; registers the REST route tables
 * of api/; and hands the master the framework callbacks of
 * core/sched_driver.c. What the parts do is theirs:
 *   core/sched_driver.c    framework callbacks: offers, status updates
 *   core/sched_apply.c     the changes the REST API asks for
 *   core/sched_converge.c  converge, kills, task ends, unreachable, backoff
 *   core/sched_tick.c      the one-second tick: every task timeout
 *   core/sched_deploy*.c   deployments: plans and their executor
 *   api/sched_api_*.c      the Marathon REST routes
 * Design: persist first (a 2xx or an acknowledged status update means
 * committed to the store; memory follows the commit), converge rather
 * than plan (sched_converge.h), and copied task ids wherever the master
 * may call back into the scheduler (sched_ids.h). Loop thread only.
 */
#include "scheduler/sched.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#define LOG_MOD "sched"
#include "lib/bodycache.h"
#include "lib/httpc.h"
#include "lib/httpd.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/xalloc.h"
#include "scheduler/api/sched_api_apps.h"
#include "scheduler/api/sched_api_deployments.h"
#include "scheduler/api/sched_api_groups.h"
#include "scheduler/api/sched_api_misc.h"
#include "scheduler/api/sched_api_queue.h"
#include "scheduler/api/sched_api_tasks.h"
#include "scheduler/core/sched_converge.h"
#include "scheduler/core/sched_deploy_exec.h"
#include "scheduler/core/sched_driver.h"
#include "scheduler/core/sched_events.h"
#include "scheduler/core/sched_gen.h"
#include "scheduler/core/sched_health.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_offer.h"
#include "scheduler/core/sched_repo.h"
#include "scheduler/core/sched_tick.h"
#include "scheduler/core/sched_tracker.h"

/* How long offers are declined for while no app wants anything: Marathon's
 * --decline_offer_duration default. Demand revives (sched_converge). */
#define SCHED_IDLE_DECLINE_S 120.0
/* Marathon's task_launch_timeout default. */
#define SCHED_LAUNCH_TIMEOUT_MS 300000LL

/* lib/bodycache's view of the state generation. */
static uint64_t
sched_lists_gen(void *arg)
{
	return sched_gen(arg);
}

const struct framework_sched_ops *
sched_framework_ops(void)
{
	return &sched_driver_ops;
}

int
sched_new(struct loop *l, struct store *st, struct httpd *api,
	  const struct sched_conf *conf, const struct framework_link *link,
	  struct sched **out, struct cd_err *err)
{
	struct sched *s;
	size_t nbad = 0;
	int rc;

	CD_ALLOC_OBJ(s, SCHED_MAGIC);
	s->loop = l;
	s->st = st;
	s->api = api;
	s->link = *link;
	s->hostname = xstrdup(conf->hostname != NULL ? conf->hostname : "");
	s->advertise_ip = xstrdup(
	    conf->advertise_ip != NULL ? conf->advertise_ip : "127.0.0.1");
	s->framework_name = xstrdup(
	    conf->framework_name != NULL ? conf->framework_name : "marathon");
	s->docker_allowed_params =
	    conf->docker_allowed_parameters != NULL
		? xstrdup(conf->docker_allowed_parameters)
		: NULL;
	s->metrics = conf->metrics;
	s->http_port = conf->http_port;
	s->zk_url = conf->zk_url != NULL ? xstrdup(conf->zk_url) : NULL;
	s->zk_session_timeout_ms = conf->zk_session_timeout_ms;
	s->abdicate = conf->abdicate;
	s->hook_arg = conf->hook_arg;
	s->master_port = conf->master_port;
	s->refuse_seconds =
	    conf->refuse_seconds > 0 ? conf->refuse_seconds : 5.0;
	s->launch_timeout_ms = conf->launch_timeout_ms > 0
				   ? conf->launch_timeout_ms
				   : SCHED_LAUNCH_TIMEOUT_MS;
	s->idle_seconds = s->refuse_seconds > SCHED_IDLE_DECLINE_S
			      ? s->refuse_seconds
			      : SCHED_IDLE_DECLINE_S;
	s->tr = sched_tracker_new();
	s->offer = sched_offer_new();
	rc = sched_repo_new(st, &s->repo, &nbad, err);
	if (rc != 0)
		goto fail;
	if (nbad > 0)
		log_warn("skipped %zu unreadable app(s) in the store", nbad);
	rc = sched_tracker_load(s->tr, st, loop_now_ms(l), &nbad, err);
	if (rc != 0)
		goto fail;
	if (nbad > 0)
		log_warn("skipped %zu unreadable task record(s)", nbad);
	rc = sched_repo_framework_id_load(s->repo, &s->fw_id);
	if (rc != 0 && rc != -ENOENT) {
		cd_err_set(err, rc, "reading the framework id failed");
		goto fail;
	}
	log_info("loaded apps=%zu tasks=%zu framework=%s",
		 sched_repo_count(s->repo), sched_tracker_count(s->tr),
		 s->fw_id != NULL ? s->fw_id : "(none)");
	rc = sched_repo_groups_load(s->repo, &s->groups);
	if (rc != 0) {
		cd_err_set(err, rc, "reading groups from the store failed");
		goto fail;
	}
	rc = sched_deploy_exec_start(s, err);
	if (rc != 0)
		goto fail;
	if (api != NULL) {
		httpd_add_routes(api, sched_api_misc_routes,
				 sched_api_misc_nroutes, s);
		httpd_add_routes(api, sched_api_apps_routes,
				 sched_api_apps_nroutes, s);
		httpd_add_routes(api, sched_api_tasks_routes,
				 sched_api_tasks_nroutes, s);
		httpd_add_routes(api, sched_api_deployments_routes,
				 sched_api_deployments_nroutes, s);
		httpd_add_routes(api, sched_api_groups_routes,
				 sched_api_groups_nroutes, s);
		httpd_add_routes(api, sched_api_queue_routes,
				 sched_api_queue_nroutes, s);
	}
	s->hc = httpc_new(l);
	s->events = sched_events_new(l, s->hc, st, api);
	if (conf->durable != NULL)
		sched_events_set_durable(s->events, conf->durable);
	sched_health_start(s);
	s->lists = bodycache_new(l, "application/json", sched_lists_gen, s);
	sched_converge_start(s);
	sched_tick_start(s);
	*out = s;
	return 0;
fail:
	sched_free(s);
	return rc;
}

void
sched_free(struct sched *s)
{
	if (s == NULL)
		return;
	CD_CHECK_OBJ(s, SCHED_MAGIC);
	if (s->api != NULL)
		httpd_remove_routes(s->api, s);
	bodycache_free(s->lists); /* requests still waiting get 503 */
	s->lists = NULL;
	sched_tick_stop(s);
	sched_converge_stop(s);
	sched_deploy_exec_stop(s);
	json_decref(s->groups);
	sched_health_stop(s);
	sched_events_free(s->events);
	httpc_free(s->hc);
	sched_repo_free(s->repo);
	sched_tracker_free(s->tr);
	sched_offer_free(s->offer);
	free(s->hostname);
	free(s->advertise_ip);
	free(s->framework_name);
	free(s->docker_allowed_params);
	free(s->fw_id);
	free(s->zk_url);
	CD_FREE_OBJ(s);
}

const char *
sched_framework_id(const struct sched *s)
{
	return s->fw_id;
}
