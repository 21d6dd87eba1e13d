/*
 * sched_apply.c: applies the changes the REST API asks for (see
 * sched_apply.h). Owns nothing between calls: each sched_apply_many()
 * builds a struct apply_ctx, runs it through its phases and frees it.
 *
 * Design decisions:
 * - Persist first: every write of a change (apps and their versions, the
 *   TASK_KILLING records, group records and the group version, the new
 *   deployment, the canceled ones) goes into one store batch, committed
 *   before anything in memory changes, so a failed commit changes nothing
 *   and a 2xx means committed. The group version is rendered from the
 *   target state (apply_snapshot), before the commit that makes it true.
 * - One function per phase, in the order they run: classify the changes,
 *   assign service ports, check deployment locks, plan the steps (or
 *   answer a dry run), stage and commit, then install the apps, mark the
 *   kills, hand the deployment over, emit events, send the kills and
 *   converge. Each phase reads and fills the context; the error phases
 *   return a code, the others cannot fail.
 * - Steps are planned over the whole target state (every app, changed or
 *   not, with its and its groups' dependencies), as Marathon's
 *   DeploymentPlan does; the deployment executor only watches them.
 * Loop thread only.
 */
#include "scheduler/core/sched_apply.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "sched"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/store.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/app/sched_app_policy.h"
#include "scheduler/app/sched_group.h"
#include "scheduler/core/sched_converge.h"
#include "scheduler/core/sched_deploy.h"
#include "scheduler/core/sched_deploy_exec.h"
#include "scheduler/core/sched_events.h"
#include "scheduler/core/sched_gen.h"
#include "scheduler/core/sched_ids.h"
#include "scheduler/core/sched_repo.h"
#include "scheduler/core/sched_tracker.h"

/* The next app version: now, but strictly after the previous one. */
static void
apply_next_version(struct sched *s, char out[SCHED_ISO_LEN])
{
	long long ms = loop_wall_ms();

	if (ms <= s->last_version_ms)
		ms = s->last_version_ms + 1;
	s->last_version_ms = ms;
	json_time_iso(ms, out);
}

/* One node per app for the planner, with owned dependency lists. */
struct apply_nodes {
	struct sched_deploy_node *v; /* owned array; ids borrowed */
	json_t **deps;		     /* owned refs, parallel to v */
	size_t n;
};

static int
apply_node_cmp(const void *a, const void *b)
{
	const struct sched_deploy_node *x = a, *y = b;

	return strcmp(x->id, y->id);
}

/* app_deps plus the dependencies of every group above id. New ref. */
static json_t *
apply_node_deps(const char *id, const json_t *app_deps, const json_t *groups)
{
	json_t *deps = json_array();
	char *g = sched_group_parent(id);

	if (json_is_array(app_deps))
		json_array_extend(deps, (json_t *)(uintptr_t)app_deps);
	for (;;) {
		const json_t *gd =
		    json_object_get(json_object_get(groups, g), "dependencies");
		char *up;

		if (json_is_array(gd))
			json_array_extend(deps, (json_t *)(uintptr_t)gd);
		if (strcmp(g, SCHED_GROUP_ROOT) == 0)
			break;
		up = sched_group_parent(g);
		free(g);
		g = up;
	}
	free(g);
	return deps;
}

static void
apply_nodes_push(struct apply_nodes *l, const char *id,
		 enum sched_deploy_change chg, json_t *deps)
{
	l->v[l->n].id = id;
	l->v[l->n].change = chg;
	l->v[l->n].deps = deps;
	l->deps[l->n] = deps;
	l->n++;
}

/* Plan the steps of cv over the whole target state. */
static int
apply_plan_changes(struct sched *s, const struct sched_change *cv, size_t n,
		   const bool *restart, const json_t *groups,
		   struct sched_deploy_step **steps, size_t *nsteps,
		   struct cd_err *err)
{
	size_t cap = sched_repo_count(s->repo) + n + 1, i;
	struct apply_nodes l = {xcalloc(cap, sizeof *l.v),
				xcalloc(cap, sizeof *l.deps), 0};
	json_t *touched = json_object();
	int rc;

	for (i = 0; i < n; i++) {
		const char *id = cv[i].app != NULL ? sched_app_id(cv[i].app)
						   : cv[i].delete_id;

		if (id != NULL && json_object_get(touched, id) == NULL) {
			json_object_set_new(touched, id, json_true());
			if (cv[i].app != NULL) {
				json_t *def = sched_app_to_json(cv[i].app);

				apply_nodes_push(
				    &l, id,
				    cv[i].created ? SCHED_CHANGE_NEW
				    : restart[i]  ? SCHED_CHANGE_RESTART
						  : SCHED_CHANGE_SCALE,
				    apply_node_deps(
					id,
					json_object_get(def, "dependencies"),
					groups));
				json_decref(def);
			} else {
				apply_nodes_push(&l, id, SCHED_CHANGE_DELETE,
						 NULL);
			}
		}
	}
	for (i = 0; i < sched_repo_count(s->repo); i++) {
		const struct sched_rapp *ra = sched_repo_at(s->repo, i);
		const char *id = sched_app_id(ra->app);

		if (json_object_get(touched, id) == NULL)
			apply_nodes_push(&l, id, SCHED_CHANGE_NONE,
					 apply_node_deps(id, ra->deps, groups));
	}
	qsort(l.v, l.n, sizeof *l.v, apply_node_cmp);
	rc = sched_deploy_plan(l.v, l.n, steps, nsteps, err);
	for (i = 0; i < l.n; i++)
		json_decref(l.deps[i]);
	free(l.v);
	free(l.deps);
	json_decref(touched);
	return rc;
}

/* Push the active tasks of app id into ids, skipping those already in. */
static void
apply_push_app_tasks(struct sched *s, const char *id, struct sched_ids *ids)
{
	struct sched_task *const *tv;
	size_t i, n;

	tv = sched_tracker_app_tasks(s->tr, id, &n);
	for (i = 0; i < n; i++)
		if (tv[i]->state != TASK_KILLING)
			sched_ids_push_new(ids, tv[i]->id);
}

/* The group records after o's puts and deletions. New ref. */
static json_t *
apply_groups_after(const struct sched *s, const struct sched_apply_opts *o,
		   const char *version, json_t **puts)
{
	json_t *g =
	    s->groups != NULL ? json_deep_copy(s->groups) : json_object();
	json_t *v;
	size_t i;

	*puts = json_array();
	json_array_foreach(o->groups_del, i, v)
		if (json_is_string(v))
			json_object_del(g, json_string_value(v));
	json_array_foreach(o->groups_put, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		json_t *rec;

		if (id == NULL)
			continue;
		rec = json_deep_copy(v);
		json_object_set_new(rec, "version", json_string(version));
		if (!json_is_array(json_object_get(rec, "dependencies")))
			json_object_set_new(rec, "dependencies", json_array());
		json_object_set(g, id, rec);
		json_array_append_new(*puts, rec);
	}
	return g;
}

/* One sched_apply_many() call, from phase to phase. */
struct apply_ctx {
	struct sched *s;	    /* borrowed: the caller's */
	struct sched_change *cv;    /* borrowed: the caller's changes */
	size_t n;		    /* entries of cv */
	struct sched_apply_opts *o; /* borrowed: the caller's options */
	struct cd_err *err;	    /* borrowed, may be NULL */
	struct sched_app **apps;    /* owned array of borrowed cv[i].app */
	const char **affected;	    /* owned array of borrowed app ids */
	size_t naff;		    /* entries of affected */
	char **cfgs;		    /* owned: each app's config version */
	bool *restart;		    /* owned: cv[i] replaces its tasks */
	bool deploy;		    /* the change is a deployment */
	struct sched_ids kills;	    /* owned: tasks to kill */
	json_t *original;	    /* ref: {app id: definition or null} */
	json_t *target;		    /* ref: the same after the change */
	json_t *locks;		    /* ref or NULL: [{"id"}] to cancel */
	json_t *groups;		    /* ref or NULL: group records after */
	json_t *gputs;		    /* ref or NULL: group records to store */
	struct sched_deploy_step *steps; /* owned or NULL: the plan */
	size_t nsteps;
	struct sched_deploy *d; /* owned or NULL: the new deployment */
	json_t *snapshot;	/* ref or NULL: o->snapshot_group after */
};

static void
apply_begin(struct apply_ctx *x, struct sched *s, struct sched_change *cv,
	    size_t n, struct sched_apply_opts *o, struct cd_err *err)
{
	memset(x, 0, sizeof *x);
	x->s = s;
	x->cv = cv;
	x->n = n;
	x->o = o;
	x->err = err;
	x->apps = xcalloc(n + 1, sizeof *x->apps);
	x->affected = xcalloc(n + 1, sizeof *x->affected);
	x->cfgs = xcalloc(n + 1, sizeof *x->cfgs);
	x->restart = xcalloc(n + 1, sizeof *x->restart);
	x->original = json_object();
	x->target = json_object();
	/* Deployments that just finished release their locks first. */
	sched_deploy_exec_poll(s);
	o->deployment_id[0] = '\0';
	o->locked = NULL;
	o->steps = NULL;
	apply_next_version(s, o->version);
	x->deploy = json_array_size(o->groups_put) > 0 ||
		    json_array_size(o->groups_del) > 0;
}

/* The container policy, which the agents apply too (422, not a task that
 * can only fail). */
static int
apply_check_policy(struct apply_ctx *x)
{
	size_t i;
	int rc;

	for (i = 0; i < x->n; i++)
		if (x->cv[i].app != NULL &&
		    (rc = sched_app_policy_check(x->cv[i].app,
						 x->s->docker_allowed_params,
						 x->err)) != 0)
			return rc;
	return 0;
}

/* What each change does: the app it affects and that app's definition
 * before, whether its tasks are replaced (and so its config version), and
 * the tasks it kills. */
static void
apply_classify(struct apply_ctx *x)
{
	struct sched *s = x->s;
	size_t i, j;

	for (i = 0; i < x->n; i++) {
		struct sched_change *c = &x->cv[i];
		const char *id =
		    c->app != NULL ? sched_app_id(c->app) : c->delete_id;
		struct sched_rapp *old =
		    id != NULL ? sched_repo_find(s->repo, id) : NULL;

		c->created = 0;
		c->locked = NULL;
		c->deployment_id[0] = '\0';
		x->apps[i] = c->app;
		if (id != NULL) {
			x->affected[x->naff++] = id;
			json_object_set_new(x->original, id,
					    old != NULL
						? sched_app_to_json(old->app)
						: json_null());
			x->deploy = true;
		}
		if (c->app != NULL) {
			c->created = old == NULL;
			sched_app_set_version(c->app, x->o->version);
			x->restart[i] =
			    old == NULL || c->restart || c->rollback ||
			    sched_app_needs_restart(old->app, c->app);
			x->cfgs[i] =
			    xstrdup(x->restart[i] ? x->o->version
						  : old->config_version);
		} else if (c->delete_id != NULL) {
			json_object_set_new(x->target, c->delete_id,
					    json_null());
			apply_push_app_tasks(s, c->delete_id, &x->kills);
		}
		for (j = 0; j < c->nkill; j++) {
			struct sched_task *t =
			    sched_tracker_find(s->tr, c->kill_ids[j]);

			if (t != NULL && t->state != TASK_KILLING)
				sched_ids_push_new(&x->kills, t->id);
		}
	}
}

/* Service ports for the new definitions, clear of every other app's. */
static int
apply_assign_ports(struct apply_ctx *x)
{
	size_t i;
	int rc;

	for (i = 0; i < x->n; i++) {
		struct sched_app *app = x->cv[i].app;

		if (app == NULL)
			continue;
		rc = sched_repo_assign_ports_with(x->s->repo, app, x->apps,
						  x->n, x->err);
		if (rc != 0)
			return rc;
		json_object_set_new(x->target, sched_app_id(app),
				    sched_app_to_json(app));
	}
	return 0;
}

/* -EBUSY when a running deployment locks an affected app, unless force:
 * then its id is kept in x->locks, to cancel. */
static int
apply_check_locks(struct apply_ctx *x)
{
	if (x->naff == 0)
		return 0;
	x->locks = sched_deploy_exec_locks(x->s, x->affected, x->naff);
	if (x->locks == NULL || x->o->force)
		return 0;
	x->o->locked = x->locks;
	x->locks = NULL;
	return cd_err_set(x->err, -EBUSY,
			  "App is locked by one or more deployments.");
}

/* The group records after the change, and the steps of a deployment.
 * -EINVAL on a dependency cycle. */
static int
apply_plan(struct apply_ctx *x)
{
	x->groups = apply_groups_after(x->s, x->o, x->o->version, &x->gputs);
	if (!x->deploy)
		return 0;
	if (apply_plan_changes(x->s, x->cv, x->n, x->restart, x->groups,
			       &x->steps, &x->nsteps, x->err) != 0)
		return -EINVAL;
	return 0;
}

/* dryRun=true: the steps, nothing else. */
static void
apply_dry_run(struct apply_ctx *x)
{
	size_t i;

	x->o->steps = json_array();
	for (i = 0; i < x->nsteps; i++)
		json_array_append_new(x->o->steps,
				      sched_deploy_step_json(&x->steps[i]));
}

/* One app of the target state, for apply_snapshot. */
struct apply_snap_app {
	const char *id;	     /* borrowed: from the repo or the target */
	const char *version; /* borrowed: likewise */
	json_t *def;	     /* ref: the definition */
};

static int
apply_snap_cmp(const void *a, const void *b)
{
	return strcmp(((const struct apply_snap_app *)a)->id,
		      ((const struct apply_snap_app *)b)->id);
}

static json_t *
apply_snap_app_json(void *arg, size_t i)
{
	struct apply_snap_app *v = arg;

	return json_incref(v[i].def);
}

/* o->snapshot_group as it will stand once the change is committed (the
 * apps of the target state, the group records after): x->snapshot, or
 * NULL when that group will not exist. */
static void
apply_snapshot(struct apply_ctx *x)
{
	struct sched *s = x->s;
	size_t i, n = 0, cap = sched_repo_count(s->repo) + x->n + 1;
	struct apply_snap_app *v = xcalloc(cap, sizeof *v);
	const char **ids = xcalloc(cap, sizeof *ids);
	const char **vers = xcalloc(cap, sizeof *vers);
	struct sched_group_src src;
	const char *id;
	json_t *def;

	for (i = 0; i < sched_repo_count(s->repo); i++) {
		const struct sched_app *a = sched_repo_at(s->repo, i)->app;

		if (json_object_get(x->target, sched_app_id(a)) != NULL)
			continue; /* changed or deleted */
		v[n].id = sched_app_id(a);
		v[n].version = sched_app_version(a);
		v[n++].def = sched_app_to_json(a);
	}
	json_object_foreach(x->target, id, def) {
		if (!json_is_object(def))
			continue; /* deleted */
		v[n].id = id;
		v[n].version =
		    json_string_value(json_object_get(def, "version"));
		v[n++].def = json_incref(def);
	}
	qsort(v, n, sizeof *v, apply_snap_cmp);
	for (i = 0; i < n; i++) {
		ids[i] = v[i].id;
		vers[i] = v[i].version != NULL ? v[i].version : "";
	}
	memset(&src, 0, sizeof src);
	src.groups = x->groups;
	src.app_ids = ids;
	src.app_versions = vers;
	src.napps = n;
	src.app_json = apply_snap_app_json;
	src.arg = v;
	if (sched_group_tree(&src, x->o->snapshot_group, true, true,
			     &x->snapshot) == 0)
		json_object_set_new(x->snapshot, "version",
				    json_string(x->o->version));
	else
		x->snapshot = NULL;
	for (i = 0; i < n; i++)
		json_decref(v[i].def);
	free(v);
	free(ids);
	free(vers);
}

/* Every write of the change into b. */
static int
apply_stage(struct apply_ctx *x, struct store_batch *b)
{
	struct sched *s = x->s;
	json_t *v;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < x->n; i++) {
		if (x->cv[i].app != NULL)
			rc = sched_repo_stage_put(s->repo, b, x->cv[i].app,
						  x->cfgs[i]);
		else if (x->cv[i].delete_id != NULL)
			rc = sched_repo_stage_del(s->repo, b,
						  x->cv[i].delete_id);
	}
	for (i = 0; rc == 0 && i < x->kills.n; i++)
		rc = sched_tracker_stage(
		    b, sched_tracker_find(s->tr, x->kills.v[i]), TASK_KILLING);
	json_array_foreach(x->o->groups_del, i, v)
		if (rc == 0 && json_is_string(v))
			rc =
			    sched_repo_stage_group_del(b, json_string_value(v));
	json_array_foreach(x->gputs, i, v)
		if (rc == 0)
			rc = sched_repo_stage_group_put(b, v);
	if (rc == 0 && x->d != NULL)
		rc = sched_deploy_stage_put(b, x->d);
	json_array_foreach(x->locks, i, v)
		if (rc == 0)
			rc = sched_deploy_stage_del(
			    b, json_string_value(json_object_get(v, "id")));
	if (rc == 0 && x->snapshot != NULL)
		rc = sched_repo_stage_group_version(s->repo, b,
						    x->o->snapshot_group,
						    x->o->version, x->snapshot);
	return rc;
}

/* The new deployment, then one commit of everything; -EIO when the store
 * refused it (nothing changed). */
static int
apply_commit(struct apply_ctx *x)
{
	struct store_batch *b;
	int rc;

	if (x->deploy) {
		id_uuid(x->o->deployment_id);
		x->d = sched_deploy_new(x->o->deployment_id, x->o->version,
					x->steps, x->nsteps, x->affected,
					x->naff, x->original, x->target);
		x->steps = NULL;
		x->nsteps = 0;
	}
	b = store_batch_begin(x->s->st);
	rc = apply_stage(x, b);
	if (rc != 0)
		store_batch_abort(b);
	else
		rc = store_batch_commit(b);
	if (rc != 0) {
		struct cd_err e;

		cd_err_clear(&e);
		(void)store_err(x->s->st, rc, &e);
		log_error("applying a change failed: %s", e.msg);
		if (x->err != NULL)
			*x->err = e;
		return -EIO;
	}
	return 0;
}

/* Committed: the apps and group records in memory follow. */
static void
apply_install(struct apply_ctx *x)
{
	struct sched *s = x->s;
	size_t i;

	for (i = 0; i < x->n; i++) {
		struct sched_change *c = &x->cv[i];
		struct sched_rapp *ra;

		snprintf(c->version, sizeof c->version, "%s", x->o->version);
		snprintf(c->deployment_id, sizeof c->deployment_id, "%s",
			 x->o->deployment_id);
		if (c->app != NULL) {
			log_info("app=%s version=%s %s", sched_app_id(c->app),
				 x->o->version,
				 c->created	 ? "created"
				 : x->restart[i] ? "changed"
						 : "scaled");
			ra = sched_repo_install(s->repo, c->app, x->cfgs[i]);
			c->app = NULL;
			/* Any new version resets the launch delay, as
			 * Marathon does. */
			ra->nfailures = 0;
			ra->launch_after_ms = 0;
			ra->backoff_pending = false;
		} else if (c->delete_id != NULL) {
			log_info("app=%s deleted", c->delete_id);
			sched_repo_remove(s->repo, c->delete_id);
		}
	}
	json_decref(s->groups);
	s->groups = x->groups;
	x->groups = NULL;
	sched_gen_bump(s); /* the group records */
}

/* The killed tasks are TASK_KILLING in memory too. */
static void
apply_mark_kills(struct apply_ctx *x)
{
	struct sched *s = x->s;
	size_t i;

	for (i = 0; i < x->kills.n; i++)
		sched_converge_set_killing(
		    s, sched_tracker_find(s->tr, x->kills.v[i]),
		    SCHED_TASK_F(SCHED_TASK_HOLD));
}

/* The new deployment first, so that the apps it holds back stay held
 * while the canceled ones let theirs converge. */
static void
apply_deploy(struct apply_ctx *x)
{
	json_t *v;
	size_t i;

	if (x->d != NULL) {
		sched_deploy_exec_add(x->s, x->d);
		x->d = NULL;
	} else {
		sched_deploy_exec_update_held(x->s);
	}
	json_array_foreach(x->locks, i, v)
		sched_deploy_exec_cancel(
		    x->s, json_string_value(json_object_get(v, "id")));
}

/* app_terminated_event for every deleted app. */
static void
apply_events(struct apply_ctx *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		if (x->cv[i].app == NULL && x->cv[i].delete_id != NULL)
			sched_events_emit(
			    x->s->events,
			    json_pack("{s:s, s:s}", "appId", x->cv[i].delete_id,
				      "eventType", "app_terminated_event"));
}

/* Converge the changed apps; all of them after kills, whose apps need
 * replacements (POST /v2/tasks/delete). Revive when one wants offers. */
static void
apply_converge(struct apply_ctx *x)
{
	struct sched *s = x->s;
	bool demand = false;
	size_t i;

	for (i = 0; i < sched_repo_count(s->repo); i++) {
		struct sched_rapp *r = sched_repo_at(s->repo, i);

		if (x->kills.n == 0 &&
		    json_object_get(x->target, sched_app_id(r->app)) == NULL)
			continue;
		if (sched_converge(s, r) > 0 &&
		    loop_now_ms(s->loop) >= r->launch_after_ms)
			demand = true;
	}
	if (demand)
		sched_converge_revive(s);
}

static void
apply_end(struct apply_ctx *x)
{
	size_t i;

	for (i = 0; i < x->n; i++) {
		sched_app_free(x->cv[i].app);
		x->cv[i].app = NULL;
		free(x->cfgs[i]);
	}
	sched_deploy_free(x->d);
	sched_deploy_steps_free(x->steps, x->nsteps);
	json_decref(x->locks);
	json_decref(x->groups);
	json_decref(x->gputs);
	json_decref(x->original);
	json_decref(x->target);
	json_decref(x->snapshot);
	sched_ids_release(&x->kills);
	free(x->apps);
	free(x->affected);
	free(x->cfgs);
	free(x->restart);
}

int
sched_apply_many(struct sched *s, struct sched_change *cv, size_t n,
		 struct sched_apply_opts *o, struct cd_err *err)
{
	struct apply_ctx x;
	int rc;

	apply_begin(&x, s, cv, n, o, err);
	apply_classify(&x);
	if ((rc = apply_check_policy(&x)) != 0 ||
	    (rc = apply_assign_ports(&x)) != 0 ||
	    (rc = apply_check_locks(&x)) != 0 || (rc = apply_plan(&x)) != 0)
		goto out;
	if (o->dry_run) {
		apply_dry_run(&x);
		goto out;
	}
	if (o->snapshot_group != NULL)
		apply_snapshot(&x);
	if ((rc = apply_commit(&x)) != 0)
		goto out;
	apply_install(&x);
	apply_mark_kills(&x);
	apply_deploy(&x);
	apply_events(&x);
	sched_converge_kill(s, &x.kills);
	apply_converge(&x);
out:
	apply_end(&x);
	return rc;
}

int
sched_apply(struct sched *s, struct sched_change *c, struct cd_err *err)
{
	struct sched_apply_opts o;
	int rc;

	memset(&o, 0, sizeof o);
	o.force = c->force;
	rc = sched_apply_many(s, c, 1, &o, err);
	c->locked = o.locked;
	json_decref(o.steps);
	return rc;
}
