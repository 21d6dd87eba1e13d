/*
 * sched_deploy.c: one deployment (struct sched_deploy, see
 * sched_deploy.h): its plan, its JSON shapes and its store record. Owns
 * nothing beyond the deployments it creates (freed by their owner, the
 * executor in sched_deploy_exec.c).
 *
 * Design: the plan is pure, nodes in, steps out (dependency layers by
 * longest path, cycles refused), so ordering is unit-tested without a
 * loop. A record carries the plan, the current step and the apps as they
 * were before and are after, so a deployment survives a restart and can
 * be rolled back. Pure but for staging records into a store batch; any
 * thread.
 */
#include "scheduler/core/sched_deploy.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/json.h"
#include "lib/store.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_group.h"

static const char *const deploy_kind_names[] = {
    [SCHED_DEPLOY_START] = "StartApplication",
    [SCHED_DEPLOY_SCALE] = "ScaleApplication",
    [SCHED_DEPLOY_RESTART] = "RestartApplication",
    [SCHED_DEPLOY_STOP] = "StopApplication",
};

const char *
sched_deploy_kind_name(enum sched_deploy_kind k)
{
	if ((size_t)k >= sizeof deploy_kind_names / sizeof deploy_kind_names[0])
		return "ScaleApplication";
	return deploy_kind_names[k];
}

static int
deploy_kind_parse(const char *name, enum sched_deploy_kind *out)
{
	size_t i;

	for (i = 0; name != NULL &&
		    i < sizeof deploy_kind_names / sizeof deploy_kind_names[0];
	     i++) {
		if (strcmp(name, deploy_kind_names[i]) == 0) {
			*out = (enum sched_deploy_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Planning */

struct deploy_steps {
	struct sched_deploy_step *v; /* owned array of owned steps */
	size_t n;
	size_t cap;
};

/* Open a new (empty) step. */
static struct sched_deploy_step *
deploy_step_open(struct deploy_steps *l)
{
	XGROW(l->v, l->n + 1, l->cap);
	memset(&l->v[l->n], 0, sizeof l->v[0]);
	return &l->v[l->n++];
}

static void
deploy_step_push(struct sched_deploy_step *st, enum sched_deploy_kind k,
		 const char *app)
{
	XGROW(st->v, st->n + 1, st->cap);
	st->v[st->n].kind = k;
	st->v[st->n].app = xstrdup(app);
	st->n++;
}

/* Drop the last step when it stayed empty. */
static void
deploy_step_close(struct deploy_steps *l)
{
	if (l->n > 0 && l->v[l->n - 1].n == 0) {
		free(l->v[l->n - 1].v);
		l->n--;
	}
}

void
sched_deploy_steps_free(struct sched_deploy_step *steps, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < steps[i].n; j++)
			free(steps[i].v[j].app);
		free(steps[i].v);
	}
	free(steps);
}

struct deploy_graph {
	const struct sched_deploy_node *nodes; /* borrowed: the caller's */
	size_t n;
	int *color; /* owned: 0 unseen, 1 on the stack, 2 done */
	int *level; /* owned: longest dependency path per node */
};

static bool
deploy_live(const struct sched_deploy_node *x)
{
	return x->change != SCHED_CHANGE_DELETE;
}

/* Longest dependency path from i; -ELOOP on a cycle. */
static int
deploy_visit(struct deploy_graph *g, size_t i)
{
	const json_t *d;
	size_t k, j;
	int lvl = 0, rc;

	g->color[i] = 1;
	json_array_foreach(g->nodes[i].deps, k, d) {
		const char *dep = json_string_value(d);

		if (dep == NULL)
			continue;
		for (j = 0; j < g->n; j++) {
			if (j == i || !deploy_live(&g->nodes[j]) ||
			    !sched_group_contains(dep, g->nodes[j].id))
				continue;
			if (g->color[j] == 1)
				return -ELOOP;
			if (g->color[j] == 0 && (rc = deploy_visit(g, j)) != 0)
				return rc;
			if (g->level[j] + 1 > lvl)
				lvl = g->level[j] + 1;
		}
	}
	g->color[i] = 2;
	g->level[i] = lvl;
	return 0;
}

int
sched_deploy_plan(const struct sched_deploy_node *nodes, size_t n,
		  struct sched_deploy_step **steps, size_t *nsteps,
		  struct cd_err *err)
{
	struct deploy_graph g = {nodes, n, NULL, NULL};
	struct deploy_steps l = {NULL, 0, 0};
	struct sched_deploy_step *st;
	int maxlvl = 0, lvl, rc = 0;
	size_t i;

	*steps = NULL;
	*nsteps = 0;
	g.color = xcalloc(n + 1, sizeof *g.color);
	g.level = xcalloc(n + 1, sizeof *g.level);
	for (i = 0; i < n && rc == 0; i++)
		if (deploy_live(&nodes[i]) && g.color[i] == 0)
			rc = deploy_visit(&g, i);
	if (rc != 0) {
		cd_err_setp(err, -ELOOP, "/",
			    "Dependency graph has cyclic dependencies.");
		goto out;
	}
	st = deploy_step_open(&l);
	for (i = 0; i < n; i++)
		if (nodes[i].change == SCHED_CHANGE_DELETE)
			deploy_step_push(st, SCHED_DEPLOY_STOP, nodes[i].id);
	deploy_step_close(&l);
	st = deploy_step_open(&l);
	for (i = 0; i < n; i++)
		if (nodes[i].change == SCHED_CHANGE_NEW)
			deploy_step_push(st, SCHED_DEPLOY_START, nodes[i].id);
	deploy_step_close(&l);
	for (i = 0; i < n; i++)
		if (deploy_live(&nodes[i]) && g.level[i] > maxlvl)
			maxlvl = g.level[i];
	for (lvl = 0; lvl <= maxlvl; lvl++) {
		st = deploy_step_open(&l);
		for (i = 0; i < n; i++) {
			if (g.level[i] != lvl)
				continue;
			if (nodes[i].change == SCHED_CHANGE_NEW ||
			    nodes[i].change == SCHED_CHANGE_SCALE)
				deploy_step_push(st, SCHED_DEPLOY_SCALE,
						 nodes[i].id);
			else if (nodes[i].change == SCHED_CHANGE_RESTART)
				deploy_step_push(st, SCHED_DEPLOY_RESTART,
						 nodes[i].id);
		}
		deploy_step_close(&l);
	}
	*steps = l.v;
	*nsteps = l.n;
	l.v = NULL;
	l.n = 0;
out:
	sched_deploy_steps_free(l.v, l.n);
	free(g.color);
	free(g.level);
	return rc != 0 ? -ELOOP : 0;
}

static int
deploy_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct sched_deploy *
sched_deploy_new(const char *id, const char *version,
		 struct sched_deploy_step *steps, size_t nsteps,
		 const char *const *affected, size_t naffected,
		 json_t *original, json_t *target)
{
	struct sched_deploy *d = xcalloc(1, sizeof *d);
	size_t i, m = 0;

	snprintf(d->id, sizeof d->id, "%s", id);
	snprintf(d->version, sizeof d->version, "%s", version);
	d->steps = steps;
	d->nsteps = nsteps;
	d->affected = xcalloc(naffected + 1, sizeof *d->affected);
	for (i = 0; i < naffected; i++)
		d->affected[i] = xstrdup(affected[i]);
	qsort(d->affected, naffected, sizeof *d->affected, deploy_strcmp);
	for (i = 0; i < naffected; i++) {
		if (m > 0 && strcmp(d->affected[m - 1], d->affected[i]) == 0) {
			free(d->affected[i]);
			continue;
		}
		d->affected[m++] = d->affected[i];
	}
	d->naffected = m;
	d->original = original != NULL ? json_incref(original) : json_object();
	d->target = target != NULL ? json_incref(target) : json_object();
	return d;
}

void
sched_deploy_free(struct sched_deploy *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->naffected; i++)
		free(d->affected[i]);
	free(d->affected);
	sched_deploy_steps_free(d->steps, d->nsteps);
	json_decref(d->original);
	json_decref(d->target);
	free(d);
}

bool
sched_deploy_affects(const struct sched_deploy *d, const char *app_id)
{
	const char *key = app_id;

	return bsearch(&key, d->affected, d->naffected, sizeof *d->affected,
		       deploy_strcmp) != NULL;
}

size_t
sched_deploy_app_step(const struct sched_deploy *d, const char *app_id)
{
	size_t i, j;

	for (i = 0; i < d->nsteps; i++)
		for (j = 0; j < d->steps[i].n; j++)
			if ((d->steps[i].v[j].kind == SCHED_DEPLOY_SCALE ||
			     d->steps[i].v[j].kind == SCHED_DEPLOY_RESTART) &&
			    strcmp(d->steps[i].v[j].app, app_id) == 0)
				return i;
	return d->nsteps;
}

/* JSON */

static json_t *
deploy_actions_json(const struct sched_deploy_step *st, bool readiness)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; st != NULL && i < st->n; i++) {
		json_t *x = json_pack("{s:s, s:s}", "action",
				      sched_deploy_kind_name(st->v[i].kind),
				      "app", st->v[i].app);

		if (readiness)
			json_object_set_new(x, "readinessCheckResults",
					    json_array());
		json_array_append_new(a, x);
	}
	return a;
}

json_t *
sched_deploy_step_json(const struct sched_deploy_step *st)
{
	return json_pack("{s:o}", "actions", deploy_actions_json(st, false));
}

static json_t *
deploy_steps_json(const struct sched_deploy *d)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < d->nsteps; i++)
		json_array_append_new(a, sched_deploy_step_json(&d->steps[i]));
	return a;
}

static json_t *
deploy_affected_json(const struct sched_deploy *d)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < d->naffected; i++)
		json_array_append_new(a, json_string(d->affected[i]));
	return a;
}

json_t *
sched_deploy_info_json(const struct sched_deploy *d)
{
	const struct sched_deploy_step *cur =
	    d->cur < d->nsteps ? &d->steps[d->cur] : NULL;
	size_t step = d->nsteps == 0	   ? 0
		      : d->cur < d->nsteps ? d->cur + 1
					   : d->nsteps;

	return json_pack("{s:s, s:s, s:o, s:[], s:o, s:o, s:I, s:I}", "id",
			 d->id, "version", d->version, "affectedApps",
			 deploy_affected_json(d), "affectedPods", "steps",
			 deploy_steps_json(d), "currentActions",
			 deploy_actions_json(cur, true), "currentStep",
			 (json_int_t)step, "totalSteps", (json_int_t)d->nsteps);
}

/* A root group holding the non-null definitions of m. */
static json_t *
deploy_group_json(const json_t *m, const char *version)
{
	json_t *apps = json_array(), *v;
	const char *key;

	json_object_foreach((json_t *)(uintptr_t)m, key, v)
		if (json_is_object(v))
			json_array_append(apps, v);
	return json_pack("{s:s, s:o, s:[], s:[], s:s}", "id", SCHED_GROUP_ROOT,
			 "apps", apps, "groups", "dependencies", "version",
			 version);
}

json_t *
sched_deploy_plan_json(const struct sched_deploy *d)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:o}", "id", d->id, "version",
			 d->version, "steps", deploy_steps_json(d), "original",
			 deploy_group_json(d->original, d->version), "target",
			 deploy_group_json(d->target, d->version));
}

json_t *
sched_deploy_record(const struct sched_deploy *d)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:I, s:O, s:O}", "id", d->id,
			 "version", d->version, "affectedApps",
			 deploy_affected_json(d), "steps", deploy_steps_json(d),
			 "currentStep", (json_int_t)d->cur, "original",
			 d->original, "target", d->target);
}

int
sched_deploy_from_record(const json_t *rec, struct sched_deploy **out)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *ver = json_string_value(json_object_get(rec, "version"));
	const json_t *steps = json_object_get(rec, "steps");
	const json_t *aff = json_object_get(rec, "affectedApps");
	const json_t *cur = json_object_get(rec, "currentStep");
	struct deploy_steps l = {NULL, 0, 0};
	const char **ids = NULL;
	const json_t *s, *a;
	size_t i, j;
	int rc = -EINVAL;

	*out = NULL;
	if (id == NULL || ver == NULL || !json_is_array(steps) ||
	    !json_is_array(aff) || !json_is_integer(cur) ||
	    json_integer_value(cur) < 0)
		goto out;
	json_array_foreach(steps, i, s) {
		struct sched_deploy_step *st = deploy_step_open(&l);

		json_array_foreach(json_object_get(s, "actions"), j, a) {
			const char *app =
			    json_string_value(json_object_get(a, "app"));
			enum sched_deploy_kind k;

			if (app == NULL ||
			    deploy_kind_parse(
				json_string_value(json_object_get(a, "action")),
				&k) != 0)
				goto out;
			deploy_step_push(st, k, app);
		}
	}
	ids = xcalloc(json_array_size(aff) + 1, sizeof *ids);
	json_array_foreach(aff, i, a) {
		if ((ids[i] = json_string_value(a)) == NULL)
			goto out;
	}
	*out = sched_deploy_new(id, ver, l.v, l.n, ids, json_array_size(aff),
				json_object_get(rec, "original"),
				json_object_get(rec, "target"));
	l.v = NULL;
	l.n = 0;
	(*out)->cur = (size_t)json_integer_value(cur);
	if ((*out)->cur > (*out)->nsteps)
		(*out)->cur = (*out)->nsteps;
	rc = 0;
out:
	sched_deploy_steps_free(l.v, l.n);
	free(ids);
	return rc;
}

int
sched_deploy_stage_put(struct store_batch *b, const struct sched_deploy *d)
{
	json_t *rec = sched_deploy_record(d);
	struct buf v = BUF_INIT;
	char *key = xasprintf(SCHED_DEPLOY_PREFIX "%s", d->id);
	int rc;

	rc = json_dump_buf(rec, &v);
	if (rc == 0)
		rc = store_batch_put(b, STORE_DB_SCHED, key, v.data, v.len);
	buf_release(&v);
	free(key);
	json_decref(rec);
	return rc;
}

int
sched_deploy_stage_del(struct store_batch *b, const char *id)
{
	char *key = xasprintf(SCHED_DEPLOY_PREFIX "%s", id);
	int rc = store_batch_del(b, STORE_DB_SCHED, key);

	free(key);
	return rc;
}
