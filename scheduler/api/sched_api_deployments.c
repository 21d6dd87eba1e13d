/*
 * sched_api_deployments.c: GET /v2/deployments and DELETE
 * /v2/deployments/{id}. Design: a rollback is an ordinary forced change
 * (sched_apply_many) that puts back every affected app as the deployment's
 * record saw it before (deleting the ones it created), so it is itself a
 * deployment that can be watched, and the forced change cancels the one
 * rolled back. Loop thread only.
 */
#include "scheduler/api/sched_api_deployments.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "sched"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/store.h"
#include "lib/xalloc.h"
#include "scheduler/api/sched_api.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/core/sched_apply.h"
#include "scheduler/core/sched_deploy.h"
#include "scheduler/core/sched_deploy_exec.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_repo.h"

static void
deployments_list(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	sched_deploy_exec_poll(s);
	httpd_reply_json(r, 200, sched_deploy_exec_list_json(s));
}

/* force=true: stop the deployment, change nothing else. */
static void
deployments_stop(struct httpd_req *r, struct sched *s, const char *id)
{
	struct store_batch *b = store_batch_begin(s->st);
	int rc = sched_deploy_stage_del(b, id);

	struct cd_err err;

	if (rc == 0)
		rc = store_batch_commit(b);
	else
		store_batch_abort(b);
	if (rc != 0) {
		cd_err_clear(&err);
		(void)store_err(s->st, rc, &err);
		sched_api_reply_store(r, &err);
		return;
	}
	sched_deploy_exec_cancel(s, id);
	httpd_reply(r, 202, "application/json", NULL, 0);
}

/* Put back what the deployment changed: a new, forced deployment. */
static void
deployments_rollback(struct httpd_req *r, struct sched *s,
		     const struct sched_deploy *d)
{
	json_t *orig = json_deep_copy(d->original), *v;
	struct sched_change *cv =
	    xcalloc(json_object_size(orig) + 1, sizeof *cv);
	struct sched_apply_opts o;
	struct cd_err err;
	const char *key;
	char *id = xstrdup(d->id);
	size_t n = 0, i;
	int rc = 0;

	memset(&o, 0, sizeof o);
	cd_err_clear(&err);
	json_object_foreach(orig, key, v) {
		if (json_is_object(v)) {
			rc = sched_app_parse(v, NULL, &cv[n].app, &err);
			if (rc != 0) {
				log_warn("deployment=%s: the definition of "
					 "%s before it does not parse: %s",
					 id, key, err.msg);
				break;
			}
			n++;
		} else if (sched_repo_find(s->repo, key) != NULL) {
			cv[n++].delete_id = key; /* borrowed from orig */
		}
	}
	if (rc == 0 && n == 0) {
		/* Nothing to put back (a group-only change): just stop. */
		deployments_stop(r, s, id);
		goto out;
	}
	o.force = true;
	if (rc == 0)
		rc = sched_apply_many(s, cv, n, &o, &err);
	if (rc != 0) {
		sched_api_reply_error(r, rc, &err, o.locked);
		goto out;
	}
	log_info("deployment=%s rolled back by deployment=%s", id,
		 o.deployment_id);
	sched_api_reply_deployment(r, 200, o.deployment_id, o.version);
out:
	for (i = 0; i < n; i++)
		sched_app_free(cv[i].app);
	json_decref(o.steps);
	free(cv);
	free(id);
	json_decref(orig);
}

static void
deployments_delete(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	const char *id = httpd_req_param(r, "id");
	const struct sched_deploy *d;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	sched_deploy_exec_poll(s);
	d = id != NULL ? sched_deploy_exec_find(s, id) : NULL;
	if (d == NULL) {
		char *msg = xasprintf("DeploymentPlan %s does not exist",
				      id != NULL ? id : "");

		httpd_reply_error(r, 404, msg, NULL);
		free(msg);
		return;
	}
	if (httpd_req_query_bool(r, "force"))
		deployments_stop(r, s, id);
	else
		deployments_rollback(r, s, d);
}

const struct httpd_route sched_api_deployments_routes[] = {
    {HTTPD_DELETE, "/v2/deployments/:id", deployments_delete},
    {HTTPD_GET, "/v2/deployments", deployments_list},
};
const size_t sched_api_deployments_nroutes =
    sizeof sched_api_deployments_routes /
    sizeof sched_api_deployments_routes[0];
