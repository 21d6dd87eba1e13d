/*
 * sched_api_groups.c: the /v2/groups routes. Design: a group change is
 * translated into app changes (create, update, scale, delete) plus group
 * records to store or drop, and applied with sched_apply_many() as one
 * deployment, so groups reuse exactly the app paths (locks, versions,
 * rolling replacement); dependencies order the deployment's steps there.
 * The group as it stands after a change is stored as a version, which
 * {"version": v} puts back, in the change's own commit (sched_apply's
 * snapshot_group). The tree itself is rendered by sched_group
 * from the app ids and the explicit records. Loop thread only.
 */
#include "scheduler/api/sched_api_groups.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bodycache.h"
#include "lib/buf.h"
#include "lib/json.h"
#include "lib/xalloc.h"
#include "scheduler/api/sched_api.h"
#include "scheduler/api/sched_api_info.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/app/sched_group.h"
#include "scheduler/core/sched_apply.h"
#include "scheduler/core/sched_events.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_repo.h"

/* The sources of a tree: the repo's apps (already sorted by id). */
struct groups_ctx {
	struct sched *s;       /* borrowed: the handler's */
	const char **ids;      /* owned array of ids borrowed from the repo */
	const char **versions; /* owned array, borrowed like ids */
	int embed;	       /* app embed flags */
};

static json_t *
groups_app_json(void *arg, size_t i)
{
	struct groups_ctx *c = arg;
	const struct sched_rapp *ra = sched_repo_at(c->s->repo, i);

	return sched_api_info_app_json(c->s, ra, c->embed);
}

static void
groups_src(struct sched *s, struct groups_ctx *c, struct sched_group_src *src)
{
	size_t i, n = sched_repo_count(s->repo);

	c->s = s;
	c->ids = xcalloc(n + 1, sizeof *c->ids);
	c->versions = xcalloc(n + 1, sizeof *c->versions);
	for (i = 0; i < n; i++) {
		const struct sched_app *a = sched_repo_at(s->repo, i)->app;

		c->ids[i] = sched_app_id(a);
		c->versions[i] = sched_app_version(a);
	}
	memset(src, 0, sizeof *src);
	src->groups = s->groups;
	src->app_ids = c->ids;
	src->app_versions = c->versions;
	src->napps = n;
	src->app_json = groups_app_json;
	src->arg = c;
}

static void
groups_ctx_release(struct groups_ctx *c)
{
	free(c->ids);
	free(c->versions);
}

static void
groups_reply_missing(struct httpd_req *r, const char *id)
{
	char *msg = xasprintf("Group '%s' does not exist", id);

	httpd_reply_error(r, 404, msg, NULL);
	free(msg);
}

/* The group of the URL ("/" for /v2/groups), or NULL after a 404. */
static char *
groups_url_id(struct httpd_req *r)
{
	const char *raw = httpd_req_param(r, "id");
	char *id = NULL;

	if (raw == NULL)
		return xstrdup(SCHED_GROUP_ROOT);
	if (sched_group_resolve(raw, SCHED_GROUP_ROOT, "/id", &id, NULL) != 0) {
		groups_reply_missing(r, raw);
		return NULL;
	}
	return id;
}

/* embed=: group.groups, group.apps and group.apps.<app embed>. */
static void
groups_embed(const struct httpd_req *r, bool *apps, bool *groups, int *flags)
{
	const char *v;
	size_t pos = 0;
	bool any = false;

	*apps = *groups = false;
	*flags = 0;
	while ((v = httpd_req_query_next(r, "embed", &pos)) != NULL) {
		any = true;
		if (strcmp(v, "group.groups") == 0) {
			*groups = true;
		} else if (strncmp(v, "group.apps", 10) == 0) {
			*apps = true;
			if (v[10] == '.')
				*flags |= sched_api_info_embed_word(v + 11);
		}
	}
	if (!any)
		*apps = *groups = true;
}

/* What GET /v2/groups[/{id}] asks for: the cache's params. */
struct groups_query {
	char *id; /* owned: the group */
	bool apps, groups;
	int embed; /* app embed flags */
};

static void
groups_query_free(void *p)
{
	struct groups_query *q = p;

	free(q->id);
	free(q);
}

/* The tree q asks for, or the 404, into b (a bodycache_build_fn). */
static int
groups_tree_build(void *arg, void *params, struct buf *b)
{
	struct sched *s = arg;
	const struct groups_query *q = params;
	struct sched_group_src src;
	struct groups_ctx c;
	json_t *tree;
	int code = 200;

	memset(&c, 0, sizeof c);
	c.embed = q->embed;
	groups_src(s, &c, &src);
	if (sched_group_tree(&src, q->id, q->apps, q->groups, &tree) != 0) {
		char *msg = xasprintf("Group '%s' does not exist", q->id);

		httpd_error_body(b, msg);
		free(msg);
		code = 404;
	} else {
		if (json_dump_buf(tree, b) != 0)
			cd_assert_fail("json_dump_buf", __FILE__, __LINE__);
		json_decref(tree);
	}
	groups_ctx_release(&c);
	return code;
}

/*
 * GET: from the list cache, keyed by the group and the normalised embed
 * flags; with taskStats (lifetimes that grow with the clock) built each
 * time.
 */
static void
groups_get_tree(struct httpd_req *r, struct sched *s, const char *id)
{
	struct groups_query *q = xcalloc(1, sizeof *q);
	struct buf key = BUF_INIT;
	int code;

	q->id = xstrdup(id);
	groups_embed(r, &q->apps, &q->groups, &q->embed);
	q->embed &= ~(SCHED_EMBED_COUNTS | SCHED_EMBED_DEPLOYMENTS);
	if (q->embed & SCHED_EMBED_TASK_STATS) {
		struct buf b = BUF_INIT;

		code = groups_tree_build(s, q, &b);
		groups_query_free(q);
		httpd_reply(r, code, "application/json", b.data, b.len);
		buf_release(&b);
		return;
	}
	buf_printf(&key, "GET /v2/groups apps=%d groups=%d embed=%d",
		   (int)q->apps, (int)q->groups, q->embed);
	sched_api_key_add(&key, "id", q->id);
	bodycache_serve(s->lists, r, buf_str(&key), groups_tree_build, q,
			groups_query_free);
	buf_release(&key);
}

static bool
groups_exists(struct sched *s, const char *id)
{
	struct sched_group_src src;
	struct groups_ctx c;
	bool ok;

	memset(&c, 0, sizeof c);
	groups_src(s, &c, &src);
	ok = sched_group_exists(&src, id);
	groups_ctx_release(&c);
	return ok;
}

/* A growing list of changes; the ids they borrow live in keep. */
struct groups_changes {
	struct sched_change *v; /* owned array; each app owned */
	size_t n;
	size_t cap;
	json_t *keep; /* ref: strings the changes borrow */
};

static struct sched_change *
groups_change_add(struct groups_changes *l)
{
	XGROW(l->v, l->n + 1, l->cap);
	memset(&l->v[l->n], 0, sizeof l->v[0]);
	return &l->v[l->n++];
}

static void
groups_delete_app(struct groups_changes *l, const char *id)
{
	json_t *str = json_string(id);

	json_array_append_new(l->keep, str);
	groups_change_add(l)->delete_id = json_string_value(str);
}

static void
groups_changes_release(struct groups_changes *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		sched_app_free(l->v[i].app);
	free(l->v);
	json_decref(l->keep);
	memset(l, 0, sizeof *l);
}

static bool
groups_strv_has(const json_t *a, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach(a, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

/* The child of group g on the way to id ("/a/b" for g "/a", id
 * "/a/b/c/d"). Caller frees. */
static char *
groups_child_toward(const char *g, const char *id)
{
	size_t off = strcmp(g, SCHED_GROUP_ROOT) == 0 ? 0 : strlen(g);
	const char *end = strchr(id + off + 1, '/');

	return end == NULL ? xstrdup(id) : xstrndup(id, (size_t)(end - id));
}

/* Whether a scope of u drops id (an app or group id below u->id). */
static bool
groups_dropped(const struct sched_group_update *u, const char *id, bool is_app)
{
	const json_t *v;
	size_t i;
	char *parent = sched_group_parent(id);
	bool drop = false;

	if (is_app && groups_strv_has(u->app_scopes, parent))
		drop = true; /* direct app of a group whose apps were given */
	json_array_foreach(u->group_scopes, i, v) {
		const char *g = json_string_value(v);
		char *child;
		size_t k;
		const json_t *rec;
		bool listed = false;

		if (drop || !sched_group_contains(g, id) || strcmp(g, id) == 0)
			continue;
		if (is_app && strcmp(parent, g) == 0)
			continue; /* a direct app: "apps" decides */
		child = groups_child_toward(g, id);
		json_array_foreach(u->groups, k, rec)
			if (strcmp(
				json_string_value(json_object_get(rec, "id")),
				child) == 0)
				listed = true;
		drop = !listed;
		free(child);
	}
	free(parent);
	return drop;
}

/* Whether app b changes nothing over a. */
static bool
groups_same_app(const struct sched_app *a, const struct sched_app *b)
{
	return !sched_app_needs_restart(a, b) &&
	       sched_app_instances(a) == sched_app_instances(b);
}

/* Give app the service ports old already has where it asks for any. */
static void
groups_keep_ports(const struct sched_app *old, struct sched_app *app)
{
	size_t i, n = sched_app_service_port_count(app);

	if (n != sched_app_service_port_count(old))
		return;
	for (i = 0; i < n; i++)
		if (sched_app_service_ports(app)[i] == 0)
			sched_app_set_service_port(
			    app, i, sched_app_service_ports(old)[i]);
}

/* The changes a full GroupUpdate asks for. */
static int
groups_full(struct sched *s, const struct sched_group_update *u,
	    struct groups_changes *l, json_t *gput, json_t *gdel,
	    struct cd_err *err)
{
	const json_t *v;
	json_t *below;
	struct sched_group_src src;
	struct groups_ctx c;
	size_t i;
	int rc;

	json_array_foreach(u->apps, i, v) {
		struct sched_app *app = NULL;
		const struct sched_rapp *old;

		rc = sched_app_parse(v, NULL, &app, err);
		if (rc != 0) {
			sched_api_err_prefix(
			    err,
			    json_string_value(json_array_get(u->app_paths, i)));
			return rc == -EBADMSG ? -EINVAL : rc;
		}
		old = sched_repo_find(s->repo, sched_app_id(app));
		if (old != NULL) {
			groups_keep_ports(old->app, app);
			if (groups_same_app(old->app, app)) {
				sched_app_free(app);
				continue;
			}
		}
		groups_change_add(l)->app = app;
	}
	for (i = 0; i < sched_repo_count(s->repo); i++) {
		const char *id = sched_app_id(sched_repo_at(s->repo, i)->app);
		const json_t *a;
		size_t k;
		bool listed = false;

		if (!sched_group_contains(u->id, id))
			continue;
		json_array_foreach(u->apps, k, a)
			if (strcmp(json_string_value(json_object_get(a, "id")),
				   id) == 0)
				listed = true;
		if (!listed && groups_dropped(u, id, true))
			groups_delete_app(l, id);
	}
	/* Records of groups the update drops. */
	memset(&c, 0, sizeof c);
	groups_src(s, &c, &src);
	below = sched_group_ids_below(&src, u->id);
	groups_ctx_release(&c);
	json_array_foreach(below, i, v) {
		const char *g = json_string_value(v);

		if (json_object_get(s->groups, g) != NULL &&
		    groups_dropped(u, g, false))
			json_array_append_new(gdel, json_string(g));
	}
	json_decref(below);
	/* Records of every group the body names; dependencies kept when the
	 * body leaves them out. */
	json_array_foreach(u->groups, i, v) {
		const char *g = json_string_value(json_object_get(v, "id"));
		json_t *rec = json_deep_copy(v);
		const json_t *had = json_object_get(
		    json_object_get(s->groups, g), "dependencies");

		if (json_object_get(rec, "dependencies") == NULL)
			json_object_set_new(rec, "dependencies",
					    json_is_array(had)
						? json_deep_copy(had)
						: json_array());
		json_array_append_new(gput, rec);
	}
	return 0;
}

/* scaleBy: every app below the group, instances rounded up. */
static void
groups_scale(struct sched *s, const struct sched_group_update *u,
	     struct groups_changes *l)
{
	size_t i;

	for (i = 0; i < sched_repo_count(s->repo); i++) {
		const struct sched_app *a = sched_repo_at(s->repo, i)->app;
		double want =
		    ceil((double)sched_app_instances(a) * u->scale_by - 1e-9);
		struct sched_app *b;

		if (!sched_group_contains(u->id, sched_app_id(a)) ||
		    (int)want == sched_app_instances(a))
			continue;
		b = sched_app_dup(a);
		sched_app_set_instances(b, (int)want);
		groups_change_add(l)->app = b;
	}
}

static void
groups_apply(struct httpd_req *r, struct sched *s, const char *id,
	     struct groups_changes *l, json_t *gput, json_t *gdel, int code)
{
	struct sched_apply_opts o;
	struct cd_err err;
	int rc;

	memset(&o, 0, sizeof o);
	cd_err_clear(&err);
	o.force = sched_api_flag(r, "force", false);
	o.dry_run = sched_api_flag(r, "dryRun", false);
	o.groups_put = gput;
	o.groups_del = gdel;
	/* The group as it stands after the change is a version to roll back
	 * to, committed with the change. */
	o.snapshot_group = id;
	rc = sched_apply_many(s, l->v, l->n, &o, &err);
	if (rc != 0) {
		sched_api_reply_error(r, rc, &err, o.locked);
		return;
	}
	if (o.dry_run) {
		httpd_reply_json(r, 200, json_pack("{s:o}", "steps", o.steps));
		return;
	}
	if (o.deployment_id[0] == '\0') {
		/* Nothing changed: Marathon still answers a deployment. */
		id_uuid(o.deployment_id);
	}
	sched_events_emit(s->events,
			  json_pack("{s:s, s:s, s:s}", "eventType",
				    "group_change_success", "groupId", id,
				    "version", o.version));
	sched_api_reply_deployment(r, code, o.deployment_id, o.version);
}

/* Strip the "version" of a stored snapshot, so it parses as an update. */
static json_t *
groups_load_version(struct sched *s, const char *id, const char *version)
{
	json_t *snap = NULL;

	if (sched_repo_group_version_get(s->repo, id, version, &snap) != 0)
		return NULL;
	json_object_del(snap, "version");
	return snap;
}

/* POST (create) and PUT (create or update) of group url_id (NULL: the
 * body's id under "/"). */
static void
groups_update(struct httpd_req *r, struct sched *s, const char *url_id,
	      const json_t *body, bool create)
{
	struct sched_group_update u;
	struct groups_changes l = {NULL, 0, 0, json_array()};
	json_t *gput = json_array(), *gdel = json_array(), *snap = NULL;
	struct cd_err err;
	bool existed;
	int rc;

	cd_err_clear(&err);
	rc = sched_group_update_parse(body, url_id, SCHED_GROUP_ROOT, &u, &err);
	if (rc != 0) {
		sched_api_reply_error(r, rc, &err, NULL);
		goto out;
	}
	existed = groups_exists(s, u.id);
	if (create && existed) {
		char *msg = xasprintf("Group %s is already created. Use PUT to "
				      "change this group.",
				      u.id);

		httpd_reply_error(r, 409, msg, NULL);
		free(msg);
		goto out;
	}
	if (u.version != NULL) {
		snap = groups_load_version(s, u.id, u.version);
		if (snap == NULL) {
			char *msg = xasprintf("Group %s does not exist in "
					      "version %s",
					      u.id, u.version);

			httpd_reply_error(r, 404, msg, NULL);
			free(msg);
			goto out;
		}
		groups_update(r, s, u.id, snap, false);
		goto out;
	}
	if (u.scale) {
		if (!existed) {
			groups_reply_missing(r, u.id);
			goto out;
		}
		groups_scale(s, &u, &l);
	} else {
		rc = groups_full(s, &u, &l, gput, gdel, &err);
		if (rc != 0) {
			sched_api_reply_error(r, rc, &err, NULL);
			goto out;
		}
	}
	groups_apply(r, s, u.id, &l, gput, gdel,
		     create || !existed ? 201 : 200);
out:
	sched_group_update_release(&u);
	groups_changes_release(&l);
	json_decref(gput);
	json_decref(gdel);
	json_decref(snap);
}

static void
groups_delete(struct httpd_req *r, struct sched *s, const char *id)
{
	struct groups_changes l = {NULL, 0, 0, json_array()};
	json_t *gdel = json_array(), *gput = json_array();
	const char *key;
	json_t *v;
	size_t i;

	if (!groups_exists(s, id)) {
		groups_reply_missing(r, id);
		goto out;
	}
	for (i = 0; i < sched_repo_count(s->repo); i++) {
		const char *app = sched_app_id(sched_repo_at(s->repo, i)->app);

		if (sched_group_contains(id, app))
			groups_delete_app(&l, app);
	}
	json_object_foreach(s->groups, key, v)
		if (sched_group_contains(id, key))
			json_array_append_new(gdel, json_string(key));
	groups_apply(r, s, id, &l, gput, gdel, 200);
out:
	groups_changes_release(&l);
	json_decref(gdel);
	json_decref(gput);
}

static void
groups_one(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	json_t *body;
	char *id;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	if ((id = groups_url_id(r)) == NULL)
		return;
	switch (httpd_req_method(r)) {
	case HTTPD_GET:
		groups_get_tree(r, s, id);
		break;
	case HTTPD_POST:
	case HTTPD_PUT:
		if ((body = sched_api_body(r)) == NULL)
			break;
		if (httpd_req_method(r) == HTTPD_POST) {
			/* POST /v2/groups[/{id}]: the body's id is relative
			 * to the URL's group. */
			json_t *rel = json_object_get(body, "id");
			char *abs = NULL;
			struct cd_err err;

			cd_err_clear(&err);
			if (json_is_string(rel) &&
			    sched_group_resolve(json_string_value(rel), id,
						"/id", &abs, &err) != 0) {
				sched_api_reply_error(r, -EINVAL, &err, NULL);
			} else if (!json_is_string(rel) &&
				   strcmp(id, SCHED_GROUP_ROOT) == 0) {
				groups_update(r, s, NULL, body, true);
			} else {
				groups_update(r, s, abs != NULL ? abs : id,
					      body, true);
			}
			free(abs);
		} else {
			groups_update(r, s, id, body, false);
		}
		json_decref(body);
		break;
	case HTTPD_DELETE:
		groups_delete(r, s, id);
		break;
	default:
		httpd_reply_error(r, 405, "Method not allowed", NULL);
		break;
	}
	free(id);
}

static void
groups_versions(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	json_t *v;
	char *id;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	if ((id = groups_url_id(r)) == NULL)
		return;
	if (!groups_exists(s, id))
		groups_reply_missing(r, id);
	else if (sched_repo_group_versions(s->repo, id, &v) != 0)
		httpd_reply_error(r, 500, "reading the store failed", NULL);
	else
		httpd_reply_json(r, 200, v);
	free(id);
}

/* GET: the group as it was; PUT: roll back to it (python-marathon's
 * rollback_group). */
static void
groups_version(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	const char *ver = httpd_req_param(r, "version");
	json_t *snap;
	char *id;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	if ((id = groups_url_id(r)) == NULL)
		return;
	snap = ver != NULL ? groups_load_version(s, id, ver) : NULL;
	if (snap == NULL) {
		char *msg = xasprintf("Group %s does not exist in version %s",
				      id, ver != NULL ? ver : "");

		httpd_reply_error(r, 404, msg, NULL);
		free(msg);
	} else if (httpd_req_method(r) == HTTPD_GET) {
		json_object_set_new(snap, "version", json_string(ver));
		httpd_reply_json(r, 200, snap);
		snap = NULL;
	} else {
		groups_update(r, s, id, snap, false);
	}
	json_decref(snap);
	free(id);
}

/* The more specific patterns first: "*id" would swallow their tails. */
const struct httpd_route sched_api_groups_routes[] = {
    {HTTPD_GET | HTTPD_PUT, "/v2/groups/*id/versions/:version", groups_version},
    {HTTPD_GET, "/v2/groups/*id/versions", groups_versions},
    {HTTPD_GET | HTTPD_POST | HTTPD_PUT | HTTPD_DELETE, "/v2/groups/*id",
     groups_one},
    {HTTPD_GET | HTTPD_POST | HTTPD_PUT | HTTPD_DELETE, "/v2/groups",
     groups_one},
};
const size_t sched_api_groups_nroutes =
    sizeof sched_api_groups_routes / sizeof sched_api_groups_routes[0];
