/*
 * sched_deploy_exec.h: the deployment executor: the running deployments
 * of a scheduler (s->deploys), in memory and resumed from the store.
 * Checks locks for the API, holds back the apps of later steps, advances
 * steps as their apps converge, emits Marathon's deployment events
 * (deployment_info, deployment_step_success, deployment_success,
 * deployment_failed). Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_DEPLOY_EXEC_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_DEPLOY_EXEC_H

#include <stddef.h>

#include <jansson.h>

#include "lib/err.h"

struct sched;
struct sched_deploy;

/* Load the stored deployments and start the progress timer. */
int sched_deploy_exec_start(struct sched *s, struct cd_err *err);
/* Drop every deployment from memory (not from the store). */
void sched_deploy_exec_stop(struct sched *s);

/*
 * The running deployments that lock any of ids: NULL when none, else a
 * new JSON array [{"id": ...}, ...].
 */
json_t *sched_deploy_exec_locks(const struct sched *s, const char *const *ids,
				size_t n);
/* The deployment with that id, or NULL. Borrowed. */
struct sched_deploy *sched_deploy_exec_find(const struct sched *s,
					    const char *id);
/* [{"id"}] of the deployments affecting app_id. New reference. */
json_t *sched_deploy_exec_app_json(const struct sched *s, const char *app_id);
/* GET /v2/deployments: every running deployment. New reference. */
json_t *sched_deploy_exec_list_json(const struct sched *s);

/*
 * After a commit: take d (owned) into the running set and hold the apps
 * of later steps. deployment_info goes out from the next poll, so after
 * whatever the API handler still emits (api_post_event).
 */
void sched_deploy_exec_add(struct sched *s, struct sched_deploy *d);
/*
 * After a commit that deleted its record: forget deployment id (canceled:
 * deployment_failed is emitted) and let its apps converge freely.
 */
void sched_deploy_exec_cancel(struct sched *s, const char *id);
/*
 * Recompute which apps are held back because their action is in a later
 * step of a running deployment (struct sched_rapp.held).
 */
void sched_deploy_exec_update_held(struct sched *s);
/*
 * Advance every deployment whose current step is done (its apps have
 * converged: all instances running and healthy, no old or dying tasks;
 * stopped apps have no task left); finish the ones past their last step.
 * Safe to call from an API handler; callbacks that may be nested arm
 * s->deploy_timer instead, as sched_converge() does.
 */
void sched_deploy_exec_poll(struct sched *s);

#endif
