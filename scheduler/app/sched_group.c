/*
 * sched_group.c: the group tree, pure. Design: groups are not a stored
 * tree but derived on demand from two flat sets, the app ids and the
 * explicit group records, so an app change never has to keep a tree in
 * step; rendering collects every group id (records, their ancestors, the
 * ancestors of every app) into a JSON object used as a set, then walks it
 * from the requested group. Sizes are Marathon's (hundreds of apps), so
 * the quadratic walk is fine. No I/O, no loop, no globals. Any thread.
 */
#include "scheduler/app/sched_group.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "scheduler/app/sched_app_check.h"

#define GRP_PATH_MAX 256

char *
sched_group_parent(const char *id)
{
	const char *slash = strrchr(id, '/');

	if (slash == NULL || slash == id)
		return xstrdup(SCHED_GROUP_ROOT);
	return xstrndup(id, (size_t)(slash - id));
}

bool
sched_group_contains(const char *group, const char *id)
{
	size_t n = strlen(group);

	if (strcmp(group, SCHED_GROUP_ROOT) == 0)
		return true;
	return strncmp(group, id, n) == 0 && (id[n] == '\0' || id[n] == '/');
}

/* Whether raw names the root: empty, or only slashes. */
static bool
grp_is_root(const char *raw)
{
	for (; *raw != '\0'; raw++)
		if (*raw != '/')
			return false;
	return true;
}

int
sched_group_resolve(const char *raw, const char *base, const char *errpath,
		    char **out, struct cd_err *err)
{
	*out = NULL;
	if (raw == NULL)
		return cd_err_setp(err, -EINVAL, errpath, "error.path.missing");
	if (grp_is_root(raw) &&
	    (raw[0] == '/' || strcmp(base, SCHED_GROUP_ROOT) == 0)) {
		*out = xstrdup(SCHED_GROUP_ROOT);
		return 0;
	}
	if (grp_is_root(raw)) {
		*out = xstrdup(base);
		return 0;
	}
	return sched_app_check_path(raw, base, true, errpath, out, err);
}

void
sched_group_update_release(struct sched_group_update *u)
{
	free(u->id);
	json_decref(u->apps);
	json_decref(u->app_paths);
	json_decref(u->groups);
	json_decref(u->app_scopes);
	json_decref(u->group_scopes);
	free(u->version);
	memset(u, 0, sizeof *u);
}

/* Write "<prefix>/<key>(<i>)" into out. */
static void
grp_idx(char out[GRP_PATH_MAX], const char *prefix, const char *key, size_t i)
{
	int n = snprintf(out, GRP_PATH_MAX, "%s/%s(%zu)", prefix, key, i);

	if (n < 0 || n >= GRP_PATH_MAX)
		snprintf(out, GRP_PATH_MAX, "/%s(%zu)", key, i);
}

/* out = a + b, truncated (and still terminated) when too long. */
static void
grp_cat(char out[GRP_PATH_MAX], const char *a, const char *b)
{
	int n = snprintf(out, GRP_PATH_MAX, "%s%s", a, b);

	if (n < 0 || n >= GRP_PATH_MAX)
		out[GRP_PATH_MAX - 1] = '\0';
}

static int
grp_not_child(struct cd_err *err, const char *path, const char *child,
	      const char *parent)
{
	return cd_err_setp(err, -EINVAL, path,
			   "identifier %s is not child of %s. Hint: use "
			   "relative paths.",
			   child, parent);
}

static int
grp_deps(const json_t *g, const char *id, const char *path, json_t *rec,
	 struct cd_err *err)
{
	const json_t *deps = json_object_get(g, "dependencies"), *d;
	char p[GRP_PATH_MAX], *parent, *abs;
	json_t *res;
	size_t i;
	int rc = 0;

	if (deps == NULL || json_is_null(deps))
		return 0;
	grp_cat(p, path, "/dependencies");
	if (!json_is_array(deps))
		return cd_err_setp(err, -EINVAL, p, "error.expected.jsarray");
	parent = sched_group_parent(id);
	res = json_array();
	json_array_foreach(deps, i, d) {
		grp_idx(p, path, "dependencies", i);
		if (!json_is_string(d)) {
			rc = cd_err_setp(err, -EINVAL, p,
					 "error.expected.jsstring");
			break;
		}
		rc = sched_group_resolve(json_string_value(d), parent, p, &abs,
					 err);
		if (rc != 0)
			break;
		json_array_append_new(res, json_string(abs));
		free(abs);
	}
	free(parent);
	if (rc == 0)
		json_object_set(rec, "dependencies", res);
	json_decref(res);
	return rc;
}

/*
 * g's key ("apps" or "groups") into *out: NULL when absent or null, else
 * it must be an array (-EINVAL at path/key otherwise).
 */
static int
grp_list(const json_t *g, const char *key, const char *path, const json_t **out,
	 struct cd_err *err)
{
	const json_t *v = json_object_get(g, key);
	char p[GRP_PATH_MAX];

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v)) {
		(void)snprintf(p, sizeof p, "%s/%s", path, key);
		return cd_err_setp(err, -EINVAL, p, "error.expected.jsarray");
	}
	*out = v;
	return 0;
}

/*
 * Item i of the array key: an object with a string "id", which it
 * returns; p gets the item's path and ip its id's. NULL after -EINVAL.
 */
static const char *
grp_item_id(const json_t *item, const char *path, const char *key, size_t i,
	    char p[GRP_PATH_MAX], char ip[GRP_PATH_MAX], struct cd_err *err)
{
	grp_idx(p, path, key, i);
	if (!json_is_object(item)) {
		cd_err_setp(err, -EINVAL, p, "error.expected.jsobject");
		return NULL;
	}
	grp_cat(ip, p, "/id");
	if (!json_is_string(json_object_get(item, "id"))) {
		cd_err_setp(err, -EINVAL, ip, "error.path.missing");
		return NULL;
	}
	return json_string_value(json_object_get(item, "id"));
}

static int grp_parse(const json_t *g, const char *id, const char *path,
		     struct sched_group_update *u, struct cd_err *err);

static int
grp_apps(const json_t *g, const char *id, const char *path,
	 struct sched_group_update *u, struct cd_err *err)
{
	const json_t *apps, *a;
	char p[GRP_PATH_MAX], ip[GRP_PATH_MAX], *abs, *parent;
	const char *aid;
	size_t i;
	int rc;

	if ((rc = grp_list(g, "apps", path, &apps, err)) != 0 || apps == NULL)
		return rc;
	json_array_append_new(u->app_scopes, json_string(id));
	json_array_foreach(apps, i, a) {
		json_t *copy;

		if ((aid = grp_item_id(a, path, "apps", i, p, ip, err)) == NULL)
			return -EINVAL;
		rc = sched_app_check_path(aid, id, false, ip, &abs, err);
		if (rc != 0)
			return rc;
		parent = sched_group_parent(abs);
		if (strcmp(parent, id) != 0) {
			rc = grp_not_child(err, ip, abs, id);
			free(parent);
			free(abs);
			return rc;
		}
		free(parent);
		copy = json_copy((json_t *)(uintptr_t)a);
		json_object_set_new(copy, "id", json_string(abs));
		free(abs);
		json_array_append_new(u->apps, copy);
		json_array_append_new(u->app_paths, json_string(p));
	}
	return 0;
}

static int
grp_groups(const json_t *g, const char *id, const char *path,
	   struct sched_group_update *u, struct cd_err *err)
{
	const json_t *groups, *sub;
	char p[GRP_PATH_MAX], ip[GRP_PATH_MAX], *abs, *parent;
	const char *gid;
	size_t i;
	int rc;

	if ((rc = grp_list(g, "groups", path, &groups, err)) != 0 ||
	    groups == NULL)
		return rc;
	json_array_append_new(u->group_scopes, json_string(id));
	json_array_foreach(groups, i, sub) {
		if ((gid = grp_item_id(sub, path, "groups", i, p, ip, err)) ==
		    NULL)
			return -EINVAL;
		rc = sched_group_resolve(gid, id, ip, &abs, err);
		if (rc != 0)
			return rc;
		parent = sched_group_parent(abs);
		if (strcmp(abs, SCHED_GROUP_ROOT) == 0 ||
		    strcmp(parent, id) != 0) {
			rc = grp_not_child(err, ip, abs, id);
		} else {
			rc = grp_parse(sub, abs, p, u, err);
		}
		free(parent);
		free(abs);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
grp_parse(const json_t *g, const char *id, const char *path,
	  struct sched_group_update *u, struct cd_err *err)
{
	json_t *rec = json_pack("{s:s}", "id", id);
	int rc;

	rc = grp_deps(g, id, path, rec, err);
	json_array_append_new(u->groups, rec);
	if (rc == 0)
		rc = grp_apps(g, id, path, u, err);
	if (rc == 0)
		rc = grp_groups(g, id, path, u, err);
	return rc;
}

int
sched_group_update_parse(const json_t *body, const char *url_id,
			 const char *base, struct sched_group_update *out,
			 struct cd_err *err)
{
	const json_t *ver, *scale;
	int rc;

	memset(out, 0, sizeof *out);
	out->apps = json_array();
	out->app_paths = json_array();
	out->groups = json_array();
	out->app_scopes = json_array();
	out->group_scopes = json_array();
	if (!json_is_object(body))
		return cd_err_setp(err, -EBADMSG, "/",
				   "error.expected.jsobject");
	if (url_id != NULL) {
		out->id = xstrdup(url_id);
	} else {
		const json_t *id = json_object_get(body, "id");

		if (!json_is_string(id))
			return cd_err_setp(err, -EINVAL, "/id",
					   id == NULL
					       ? "error.path.missing"
					       : "error.expected.jsstring");
		rc = sched_group_resolve(json_string_value(id), base, "/id",
					 &out->id, err);
		if (rc != 0)
			return rc;
	}
	ver = json_object_get(body, "version");
	if (ver != NULL && !json_is_null(ver)) {
		if (!json_is_string(ver))
			return cd_err_setp(err, -EINVAL, "/version",
					   "error.expected.jsstring");
		out->version = xstrdup(json_string_value(ver));
		return 0;
	}
	scale = json_object_get(body, "scaleBy");
	if (scale != NULL && !json_is_null(scale)) {
		if (!json_is_number(scale) || json_number_value(scale) < 0)
			return cd_err_setp(err, -EINVAL, "/scaleBy",
					   "error.expected.jsnumber >= 0");
		out->scale = true;
		out->scale_by = json_number_value(scale);
		return 0;
	}
	return grp_parse(body, out->id, "", out, err);
}

/* Group ids as a set (JSON object keys). */
static void
grp_add_with_ancestors(json_t *set, const char *id)
{
	char *cur = xstrdup(id);

	for (;;) {
		char *up;

		json_object_set_new(set, cur, json_true());
		if (strcmp(cur, SCHED_GROUP_ROOT) == 0)
			break;
		up = sched_group_parent(cur);
		free(cur);
		cur = up;
	}
	free(cur);
}

static json_t *
grp_all(const struct sched_group_src *src)
{
	json_t *set = json_object();
	const char *key;
	json_t *v;
	size_t i;

	json_object_set_new(set, SCHED_GROUP_ROOT, json_true());
	if (src->groups != NULL)
		json_object_foreach((json_t *)(uintptr_t)src->groups, key, v)
			grp_add_with_ancestors(set, key);
	for (i = 0; i < src->napps; i++) {
		char *p = sched_group_parent(src->app_ids[i]);

		grp_add_with_ancestors(set, p);
		free(p);
	}
	return set;
}

static int
grp_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of set, sorted; borrowed from set. */
static const char **
grp_sorted(const json_t *set, size_t *n)
{
	const char **v = xcalloc(json_object_size(set) + 1, sizeof *v);
	const char *key;
	json_t *val;

	*n = 0;
	json_object_foreach((json_t *)(uintptr_t)set, key, val)
		v[(*n)++] = key;
	qsort(v, *n, sizeof *v, grp_strcmp);
	return v;
}

bool
sched_group_exists(const struct sched_group_src *src, const char *id)
{
	json_t *set = grp_all(src);
	bool ok = json_object_get(set, id) != NULL;

	json_decref(set);
	return ok;
}

json_t *
sched_group_ids_below(const struct sched_group_src *src, const char *id)
{
	json_t *set = grp_all(src), *out = json_array();
	const char **v;
	size_t i, n;

	v = grp_sorted(set, &n);
	for (i = 0; i < n; i++)
		if (sched_group_contains(id, v[i]))
			json_array_append_new(out, json_string(v[i]));
	free(v);
	json_decref(set);
	return out;
}

static bool
grp_is_parent(const char *group, const char *id)
{
	char *p;
	bool ok;

	if (strcmp(id, SCHED_GROUP_ROOT) == 0)
		return false;
	p = sched_group_parent(id);
	ok = strcmp(p, group) == 0;
	free(p);
	return ok;
}

static json_t *
grp_render(const struct sched_group_src *src, const char **gv, size_t ng,
	   const char *id, bool embed_apps, bool embed_groups)
{
	const json_t *rec =
	    src->groups != NULL ? json_object_get(src->groups, id) : NULL;
	const json_t *deps = json_object_get(rec, "dependencies");
	const char *ver = json_string_value(json_object_get(rec, "version"));
	json_t *j = json_pack("{s:s}", "id", id), *apps = NULL, *groups = NULL;
	size_t i;

	if (embed_apps)
		apps = json_array();
	for (i = 0; i < src->napps; i++) {
		if (!sched_group_contains(id, src->app_ids[i]))
			continue;
		if (src->app_versions != NULL && src->app_versions[i] != NULL &&
		    (ver == NULL || strcmp(src->app_versions[i], ver) > 0))
			ver = src->app_versions[i];
		if (apps != NULL && grp_is_parent(id, src->app_ids[i]))
			json_array_append_new(apps, src->app_json(src->arg, i));
	}
	if (embed_groups)
		groups = json_array();
	for (i = 0; i < ng; i++) {
		const char *sub;

		if (strcmp(gv[i], id) == 0 || !sched_group_contains(id, gv[i]))
			continue;
		/* The records of groups below count for the version too. */
		sub = json_string_value(json_object_get(
		    json_object_get(src->groups, gv[i]), "version"));
		if (sub != NULL && (ver == NULL || strcmp(sub, ver) > 0))
			ver = sub;
		if (groups != NULL && grp_is_parent(id, gv[i]))
			json_array_append_new(
			    groups, grp_render(src, gv, ng, gv[i], embed_apps,
					       embed_groups));
	}
	if (apps != NULL)
		json_object_set_new(j, "apps", apps);
	if (groups != NULL)
		json_object_set_new(j, "groups", groups);
	json_object_set_new(j, "dependencies",
			    json_is_array(deps) ? json_deep_copy(deps)
						: json_array());
	if (ver != NULL)
		json_object_set_new(j, "version", json_string(ver));
	return j;
}

int
sched_group_tree(const struct sched_group_src *src, const char *id,
		 bool embed_apps, bool embed_groups, json_t **out)
{
	json_t *set = grp_all(src);
	const char **gv;
	size_t ng;

	*out = NULL;
	if (json_object_get(set, id) == NULL) {
		json_decref(set);
		return -ENOENT;
	}
	gv = grp_sorted(set, &ng);
	*out = grp_render(src, gv, ng, id, embed_apps, embed_groups);
	free(gv);
	json_decref(set);
	return 0;
}
