/*
 * sched_deploy.h: Marathon deployments. Every change of apps (create,
 * update, scale, restart, delete, group changes) is one deployment: a plan
 * of steps, each a set of actions (StartApplication, ScaleApplication,
 * RestartApplication, StopApplication) run together, steps one after the
 * other in dependency order. An app named by a running deployment is
 * locked. A deployment is kept in memory and in STORE_DB_SCHED as
 *   "deploy/<id>"   sched_deploy_record(): the plan, the current step,
 *                   and the apps as they were before it (for rollback)
 * until it finishes.
 *
 * This file is the deployment itself: the plan (pure: diff -> steps,
 * JSON in and out, unit tested) and its record. The running deployments
 * of a scheduler are sched_deploy_exec.h's. Any thread.
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_DEPLOY_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_DEPLOY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/err.h"
#include "lib/id.h"

#define SCHED_DEPLOY_VERSION_LEN 32
#define SCHED_DEPLOY_PREFIX "deploy/"

struct store_batch;

enum sched_deploy_kind {
	SCHED_DEPLOY_START,   /* "StartApplication" (with 0 instances) */
	SCHED_DEPLOY_SCALE,   /* "ScaleApplication" */
	SCHED_DEPLOY_RESTART, /* "RestartApplication" */
	SCHED_DEPLOY_STOP,    /* "StopApplication" */
};

/* How one app changes, for the planner. */
enum sched_deploy_change {
	SCHED_CHANGE_NONE,    /* untouched (still orders the others) */
	SCHED_CHANGE_NEW,     /* created */
	SCHED_CHANGE_SCALE,   /* instances only (or nothing) */
	SCHED_CHANGE_RESTART, /* new configuration, tasks replaced */
	SCHED_CHANGE_DELETE,  /* removed */
};

/* One app of the target state (or a removed one). */
struct sched_deploy_node {
	const char *id; /* borrowed */
	enum sched_deploy_change change;
	const json_t *deps; /* borrowed or NULL: ids of apps or groups */
};

struct sched_deploy_action {
	enum sched_deploy_kind kind;
	char *app; /* owned */
};

struct sched_deploy_step {
	struct sched_deploy_action *v; /* owned */
	size_t n;
	size_t cap;
};

struct sched_deploy {
	char id[ID_UUID_LEN];
	char version[SCHED_DEPLOY_VERSION_LEN];
	char **affected; /* owned: sorted app ids */
	size_t naffected;
	struct sched_deploy_step *steps; /* owned */
	size_t nsteps;
	size_t cur;	  /* the step running now; nsteps when done */
	json_t *original; /* ref: {app id: definition or null} before */
	json_t *target;	  /* ref: {app id: definition or null} after */
	bool announced;	  /* deployment_info emitted */
};

/* Pure: planning and JSON. */

/* "StartApplication", ... */
const char *sched_deploy_kind_name(enum sched_deploy_kind k);

/*
 * Order nodes into steps as Marathon's DeploymentPlan does: one step
 * stopping the removed apps, one starting the new ones, then for each
 * dependency layer (longest dependency path, apps first that depend on
 * nothing) a step scaling new and scaled apps and restarting changed
 * ones. A dependency names an app or a group (every app below it); ids
 * that match nothing are ignored. Empty steps are left out. Returns 0 and
 * *steps and *nsteps (free with sched_deploy_steps_free()), or -ELOOP with err
 * when the dependencies have a cycle.
 */
int sched_deploy_plan(const struct sched_deploy_node *nodes, size_t n,
		      struct sched_deploy_step **steps, size_t *nsteps,
		      struct cd_err *err);
void sched_deploy_steps_free(struct sched_deploy_step *steps, size_t n);

/*
 * A new deployment (cur 0) with the given steps (taken), affected app ids
 * (copied, sorted, unique), and original/target (referenced, may be NULL).
 */
struct sched_deploy *sched_deploy_new(const char *id, const char *version,
				      struct sched_deploy_step *steps,
				      size_t nsteps,
				      const char *const *affected,
				      size_t naffected, json_t *original,
				      json_t *target);
void sched_deploy_free(struct sched_deploy *d);
/* Whether app_id is one of d's affected apps. */
bool sched_deploy_affects(const struct sched_deploy *d, const char *app_id);
/* The index of the step holding app_id's ScaleApplication or
 * RestartApplication action, or d->nsteps when there is none. */
size_t sched_deploy_app_step(const struct sched_deploy *d, const char *app_id);

/* {"actions": [{"action", "app"}, ...]} of one step. New reference. */
json_t *sched_deploy_step_json(const struct sched_deploy_step *st);
/* DeploymentStepInfo as GET /v2/deployments lists it: id, version,
 * affectedApps, affectedPods, steps, currentActions (with
 * readinessCheckResults), currentStep (1-based), totalSteps. */
json_t *sched_deploy_info_json(const struct sched_deploy *d);
/* The DeploymentPlan of events: id, version, steps, original, target
 * (as groups {"id": "/", "apps": [...]}). New reference. */
json_t *sched_deploy_plan_json(const struct sched_deploy *d);
/* The store record, and back. from_record: 0 and *out, or -EINVAL. */
json_t *sched_deploy_record(const struct sched_deploy *d);
int sched_deploy_from_record(const json_t *rec, struct sched_deploy **out);

/* Stage the record of d (put) or the deletion of id into b. */
int sched_deploy_stage_put(struct store_batch *b, const struct sched_deploy *d);
int sched_deploy_stage_del(struct store_batch *b, const char *id);

#endif
