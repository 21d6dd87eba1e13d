/*
 * sched_repo.c: owns the scheduler's apps in memory and their store keys
 * (layout in sched_repo.h). Design: a sorted array of entries, so the
 * launch loop walks apps in a stable order and a lookup is a binary
 * search; writes are staged into the caller's batch and memory follows
 * only after the commit, so a failed commit changes nothing.
 * lastConfigChangeAt is stored beside the app ("appcfg/<id>"), because a
 * restart changes it and nothing else; a store without it (written before
 * it was kept) has it recomputed at load by walking the versions back from
 * the newest while only instances changed. Loop thread only.
 */
#include "scheduler/core/sched_repo.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/json.h"
#include "lib/store.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/core/sched_ids.h"
#include "scheduler/core/sched_int.h"

struct sched_repo {
	struct store *st;	  /* borrowed: from sched, outlives the repo */
	struct sched_rapp **apps; /* owned array of owned entries, by id */
	size_t n;
	size_t cap;
	uint64_t gen; /* installs and removals (sched_repo_gen) */
};

static void
repo_rapp_free(struct sched_rapp *ra)
{
	if (ra == NULL)
		return;
	sched_app_free(ra->app);
	free(ra->def_text);
	free(ra->config_version);
	free(ra->deployment_id);
	json_decref(ra->last_failure);
	json_decref(ra->deps);
	free(ra);
}

/* Cache the definition's dependencies on ra (see sched_int.h). */
static void
repo_set_deps(struct sched_rapp *ra)
{
	json_t *def = sched_app_to_json(ra->app);
	json_t *deps = json_object_get(def, "dependencies");

	json_decref(ra->deps);
	ra->deps = json_is_array(deps) ? json_incref(deps) : json_array();
	json_decref(def);
}

/* Index of id, or of where it would go (with *found false). */
static size_t
repo_search(const struct sched_repo *r, const char *id, bool *found)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(sched_app_id(r->apps[mid]->app), id);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void
repo_insert_at(struct sched_repo *r, size_t i, struct sched_rapp *ra)
{
	XGROW(r->apps, r->n + 1, r->cap);
	memmove(&r->apps[i + 1], &r->apps[i], (r->n - i) * sizeof *r->apps);
	r->apps[i] = ra;
	r->n++;
}

struct repo_ver_collect {
	size_t plen;
	struct sched_ids *out; /* borrowed: the caller's list */
};

/* Collect the version part of "appver/<id>/<version>" keys, skipping the
 * keys of apps nested below id ("appver/<id>/sub/<version>"). */
static int
repo_ver_collect(const char *key, const void *val, size_t len, void *arg)
{
	struct repo_ver_collect *c = arg;
	const char *v = key + c->plen;

	(void)val;
	(void)len;
	if (*v != '\0' && strchr(v, '/') == NULL)
		sched_ids_push(c->out, v);
	return 0;
}

/* Version strings of id in key order (oldest first). */
/* The versions stored under prefix ("appver/<id>/"), oldest first. */
static int
repo_ver_list_prefix(const struct sched_repo *r, const char *prefix,
		     struct sched_ids *out)
{
	struct repo_ver_collect c = {strlen(prefix), out};
	int rc;

	rc = store_iter(r->st, STORE_DB_SCHED, prefix, repo_ver_collect, &c);
	return rc < 0 ? rc : 0;
}

static int
repo_ver_list(const struct sched_repo *r, const char *id, struct sched_ids *out)
{
	char *prefix = xasprintf("appver/%s/", id);
	int rc = repo_ver_list_prefix(r, prefix, out);

	free(prefix);
	return rc;
}

/* The versions under prefix as a JSON array, newest first (*out new). */
static int
repo_ver_json(const struct sched_repo *r, const char *prefix, json_t **out)
{
	struct sched_ids vl = {NULL, 0, 0};
	size_t i;
	int rc;

	if ((rc = repo_ver_list_prefix(r, prefix, &vl)) != 0) {
		sched_ids_release(&vl);
		return rc;
	}
	*out = json_array();
	for (i = vl.n; i-- > 0;)
		json_array_append_new(*out, json_string(vl.v[i]));
	sched_ids_release(&vl);
	return 0;
}

static int
repo_parse_value(const struct buf *b, struct sched_app **out,
		 struct cd_err *err)
{
	json_t *j = json_parse_bounded(b->data, b->len, err);
	int rc;

	if (j == NULL)
		return -EINVAL;
	rc = sched_app_parse(j, NULL, out, err);
	json_decref(j);
	return rc;
}

int
sched_repo_version_get(const struct sched_repo *r, const char *id,
		       const char *version, struct sched_app **out,
		       struct cd_err *err)
{
	char *key = xasprintf("appver/%s/%s", id, version);
	struct buf b = BUF_INIT;
	int rc;

	rc = store_get(r->st, STORE_DB_SCHED, key, &b);
	if (rc == -ENOENT)
		cd_err_set(err, rc, "App '%s' does not exist in version %s", id,
			   version);
	else if (rc != 0)
		cd_err_set(err, rc, "reading the store failed");
	else
		rc = repo_parse_value(&b, out, err);
	buf_release(&b);
	free(key);
	return rc;
}

/* The stored config version (see top), or, in a store without it, the
 * versions walked back while only instances changed. */
static char *
repo_config_version(const struct sched_repo *r, const struct sched_app *app)
{
	struct sched_ids vl = {NULL, 0, 0};
	const char *cfg = sched_app_version(app);
	struct sched_app *cur = NULL, *older;
	char *res, *key = xasprintf("appcfg/%s", sched_app_id(app));
	struct buf b = BUF_INIT;
	size_t i;

	if (store_get(r->st, STORE_DB_SCHED, key, &b) == 0 && b.len > 0 &&
	    b.len < SCHED_ISO_LEN) {
		res = xstrndup(b.data, b.len);
		free(key);
		buf_release(&b);
		return res;
	}
	free(key);
	buf_release(&b);
	if (repo_ver_list(r, sched_app_id(app), &vl) != 0)
		goto out;
	for (i = vl.n; i-- > 0;) {
		if (strcmp(vl.v[i], cfg) >= 0)
			continue;
		if (sched_repo_version_get(r, sched_app_id(app), vl.v[i],
					   &older, NULL) != 0)
			break;
		if (sched_app_needs_restart(older, cur != NULL ? cur : app)) {
			sched_app_free(older);
			break;
		}
		sched_app_free(cur);
		cur = older;
		cfg = sched_app_version(cur);
	}
out:
	res = xstrdup(cfg);
	sched_app_free(cur);
	sched_ids_release(&vl);
	return res;
}

struct repo_load {
	struct sched_repo *r; /* borrowed: the one loading */
	struct sched_ids raw; /* "app/" values, parsed after the iteration */
};

static int
repo_load_one(const char *key, const void *val, size_t len, void *arg)
{
	struct repo_load *ld = arg;
	char *s = xstrndup(val, len);

	(void)key;
	sched_ids_push(&ld->raw, s);
	free(s);
	return 0;
}

int
sched_repo_new(struct store *st, struct sched_repo **out, size_t *nbad,
	       struct cd_err *err)
{
	struct sched_repo *r = xcalloc(1, sizeof *r);
	struct repo_load ld;
	size_t i, bad = 0;
	int rc;

	AN(st);
	r->st = st;
	memset(&ld, 0, sizeof ld);
	ld.r = r;
	/* Copy the values out first: version lookups need the store, and an
	 * iteration callback must not re-enter it. */
	rc = store_iter(st, STORE_DB_SCHED, "app/", repo_load_one, &ld);
	if (rc < 0) {
		cd_err_set(err, rc, "reading apps from the store failed");
		goto fail;
	}
	for (i = 0; i < ld.raw.n; i++) {
		struct buf b = {ld.raw.v[i], strlen(ld.raw.v[i]), 0};
		struct sched_app *app = NULL;
		struct sched_rapp *ra;
		bool found;
		size_t at;

		b.cap = b.len + 1;
		if (repo_parse_value(&b, &app, NULL) != 0) {
			bad++;
			continue;
		}
		at = repo_search(r, sched_app_id(app), &found);
		if (found) {
			sched_app_free(app);
			bad++;
			continue;
		}
		ra = xcalloc(1, sizeof *ra);
		ra->app = app;
		ra->config_version = repo_config_version(r, app);
		repo_set_deps(ra);
		repo_insert_at(r, at, ra);
	}
	sched_ids_release(&ld.raw);
	if (nbad != NULL)
		*nbad = bad;
	*out = r;
	return 0;
fail:
	sched_ids_release(&ld.raw);
	sched_repo_free(r);
	return rc;
}

void
sched_repo_free(struct sched_repo *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		repo_rapp_free(r->apps[i]);
	free(r->apps);
	free(r);
}

size_t
sched_repo_count(const struct sched_repo *r)
{
	return r->n;
}

struct sched_rapp *
sched_repo_at(const struct sched_repo *r, size_t i)
{
	CD_ASSERT(i < r->n);
	return r->apps[i];
}

struct sched_rapp *
sched_repo_find(const struct sched_repo *r, const char *id)
{
	bool found;
	size_t i = repo_search(r, id, &found);

	return found ? r->apps[i] : NULL;
}

#define REPO_NPORTS (SCHED_REPO_PORT_MAX - SCHED_REPO_PORT_MIN + 1)

static void
repo_mark(uint8_t *used, uint32_t p)
{
	if (p >= SCHED_REPO_PORT_MIN && p <= SCHED_REPO_PORT_MAX)
		used[(p - SCHED_REPO_PORT_MIN) / 8] |=
		    (uint8_t)(1u << ((p - SCHED_REPO_PORT_MIN) % 8));
}

static bool
repo_is_used(const uint8_t *used, uint32_t p)
{
	return (used[(p - SCHED_REPO_PORT_MIN) / 8] &
		(1u << ((p - SCHED_REPO_PORT_MIN) % 8))) != 0;
}

int
sched_repo_assign_ports_with(const struct sched_repo *r, struct sched_app *app,
			     struct sched_app *const *also, size_t nalso,
			     struct cd_err *err)
{
	uint8_t used[(REPO_NPORTS + 7) / 8];
	size_t i, j, n = sched_app_service_port_count(app);
	const uint32_t *sp = sched_app_service_ports(app);
	uint32_t next = SCHED_REPO_PORT_MIN;

	for (i = 0; i < n && sp[i] != 0; i++)
		;
	if (i == n)
		return 0; /* nothing to assign */
	memset(used, 0, sizeof used);
	for (i = 0; i < r->n; i++) {
		const struct sched_app *o = r->apps[i]->app;
		const uint32_t *op = sched_app_service_ports(o);

		if (strcmp(sched_app_id(o), sched_app_id(app)) == 0)
			continue;
		for (j = 0; j < sched_app_service_port_count(o); j++)
			repo_mark(used, op[j]);
	}
	for (i = 0; i < nalso; i++) {
		const struct sched_app *o = also[i];

		if (o == NULL || o == app)
			continue;
		for (j = 0; j < sched_app_service_port_count(o); j++)
			repo_mark(used, sched_app_service_ports(o)[j]);
	}
	for (i = 0; i < n; i++)
		repo_mark(used, sp[i]);
	for (i = 0; i < n; i++) {
		if (sched_app_service_ports(app)[i] != 0)
			continue;
		while (next <= SCHED_REPO_PORT_MAX && repo_is_used(used, next))
			next++;
		if (next > SCHED_REPO_PORT_MAX)
			return cd_err_setp(err, -ENOSPC, "/ports",
					   "no free service port left in %d-%d",
					   SCHED_REPO_PORT_MIN,
					   SCHED_REPO_PORT_MAX);
		sched_app_set_service_port(app, i, next);
		repo_mark(used, next);
	}
	return 0;
}

int
sched_repo_stage_put(struct sched_repo *r, struct store_batch *b,
		     const struct sched_app *app, const char *config_version)
{
	const char *id = sched_app_id(app), *ver = sched_app_version(app);
	const char *keep_version = config_version;
	json_t *j = sched_app_to_json(app);
	struct sched_ids vl = {NULL, 0, 0};
	struct buf v = BUF_INIT;
	char *key = NULL;
	size_t i, excess;
	int rc;

	rc = json_dump_buf(j, &v);
	if (rc != 0)
		goto out;
	key = xasprintf("app/%s", id);
	rc = store_batch_put(b, STORE_DB_SCHED, key, v.data, v.len);
	if (rc != 0)
		goto out;
	free(key);
	key = xasprintf("appver/%s/%s", id, ver);
	rc = store_batch_put(b, STORE_DB_SCHED, key, v.data, v.len);
	if (rc != 0)
		goto out;
	if (config_version == NULL)
		config_version = ver;
	free(key);
	key = xasprintf("appcfg/%s", id);
	rc = store_batch_put(b, STORE_DB_SCHED, key, config_version,
			     strlen(config_version));
	if (rc != 0)
		goto out;
	rc = repo_ver_list(r, id, &vl);
	if (rc != 0)
		goto out;
	/* vl does not hold the new version yet: it is in the batch. */
	excess = vl.n + 1 > SCHED_REPO_MAX_VERSIONS
		     ? vl.n + 1 - SCHED_REPO_MAX_VERSIONS
		     : 0;
	for (i = 0; i < vl.n && excess > 0; i++) {
		if (strcmp(vl.v[i], ver) == 0 ||
		    (keep_version != NULL &&
		     strcmp(vl.v[i], keep_version) == 0))
			continue;
		free(key);
		key = xasprintf("appver/%s/%s", id, vl.v[i]);
		rc = store_batch_del(b, STORE_DB_SCHED, key);
		if (rc != 0)
			goto out;
		excess--;
	}
out:
	sched_ids_release(&vl);
	free(key);
	buf_release(&v);
	json_decref(j);
	return rc;
}

int
sched_repo_stage_del(struct sched_repo *r, struct store_batch *b,
		     const char *id)
{
	struct sched_ids vl = {NULL, 0, 0};
	char *key = xasprintf("app/%s", id);
	size_t i;
	int rc;

	rc = store_batch_del(b, STORE_DB_SCHED, key);
	if (rc == 0) {
		free(key);
		key = xasprintf("appcfg/%s", id);
		rc = store_batch_del(b, STORE_DB_SCHED, key);
	}
	if (rc == 0)
		rc = repo_ver_list(r, id, &vl);
	for (i = 0; rc == 0 && i < vl.n; i++) {
		free(key);
		key = xasprintf("appver/%s/%s", id, vl.v[i]);
		rc = store_batch_del(b, STORE_DB_SCHED, key);
	}
	sched_ids_release(&vl);
	free(key);
	return rc;
}

struct sched_rapp *
sched_repo_install(struct sched_repo *r, struct sched_app *app,
		   const char *config_version)
{
	bool found;
	size_t i = repo_search(r, sched_app_id(app), &found);
	struct sched_rapp *ra;

	r->gen++;
	if (found) {
		ra = r->apps[i];
		sched_app_free(ra->app);
		ra->app = app;
		free(ra->def_text); /* serialised from the old definition */
		ra->def_text = NULL;
	} else {
		ra = xcalloc(1, sizeof *ra);
		ra->app = app;
		repo_insert_at(r, i, ra);
	}
	if (ra->config_version == NULL ||
	    strcmp(ra->config_version, config_version) != 0) {
		free(ra->config_version);
		ra->config_version = xstrdup(config_version);
	}
	repo_set_deps(ra);
	return ra;
}

void
sched_repo_remove(struct sched_repo *r, const char *id)
{
	bool found;
	size_t i = repo_search(r, id, &found);

	if (!found)
		return;
	r->gen++;
	repo_rapp_free(r->apps[i]);
	memmove(&r->apps[i], &r->apps[i + 1], (r->n - i - 1) * sizeof *r->apps);
	r->n--;
}

uint64_t
sched_repo_gen(const struct sched_repo *r)
{
	return r->gen;
}

int
sched_repo_versions(const struct sched_repo *r, const char *id, json_t **out)
{
	char *prefix = xasprintf("appver/%s/", id);
	int rc = repo_ver_json(r, prefix, out);

	free(prefix);
	return rc;
}

int
sched_repo_framework_id_load(struct sched_repo *r, char **out)
{
	struct buf b = BUF_INIT;
	int rc = store_get(r->st, STORE_DB_SCHED, "framework_id", &b);

	if (rc == 0 && b.len == 0)
		rc = -ENOENT;
	if (rc == 0)
		*out = xstrndup(b.data, b.len);
	buf_release(&b);
	return rc;
}

int
sched_repo_framework_id_save(struct sched_repo *r, const char *id)
{
	return store_put(r->st, STORE_DB_SCHED, "framework_id", id, strlen(id));
}

/* Groups */

static int
repo_put_json(struct store_batch *b, const char *key, const json_t *j)
{
	struct buf v = BUF_INIT;
	int rc = json_dump_buf(j, &v);

	if (rc == 0)
		rc = store_batch_put(b, STORE_DB_SCHED, key, v.data, v.len);
	buf_release(&v);
	return rc;
}

int
sched_repo_stage_group_put(struct store_batch *b, const json_t *rec)
{
	const char *id = json_string_value(json_object_get(rec, "id"));
	char *key;
	int rc;

	if (id == NULL)
		return -EINVAL;
	key = xasprintf("group/%s", id);
	rc = repo_put_json(b, key, rec);
	free(key);
	return rc;
}

int
sched_repo_stage_group_del(struct store_batch *b, const char *id)
{
	char *key = xasprintf("group/%s", id);
	int rc = store_batch_del(b, STORE_DB_SCHED, key);

	free(key);
	return rc;
}

static int
repo_group_load_one(const char *key, const void *val, size_t len, void *arg)
{
	json_t *out = arg;
	json_t *j = json_parse_bounded(val, len, NULL);
	const char *id = json_string_value(json_object_get(j, "id"));

	(void)key;
	if (id != NULL)
		json_object_set(out, id, j);
	json_decref(j);
	return 0;
}

int
sched_repo_groups_load(const struct sched_repo *r, json_t **out)
{
	json_t *g = json_object();
	int rc;

	rc =
	    store_iter(r->st, STORE_DB_SCHED, "group/", repo_group_load_one, g);
	if (rc < 0) {
		json_decref(g);
		return rc;
	}
	*out = g;
	return 0;
}

int
sched_repo_stage_group_version(const struct sched_repo *r,
			       struct store_batch *b, const char *id,
			       const char *version, const json_t *snapshot)
{
	struct sched_ids vl = {NULL, 0, 0};
	const char *gid = strcmp(id, "/") == 0 ? "" : id;
	char *key = xasprintf("groupver/%s/%s", gid, version);
	char *prefix = xasprintf("groupver/%s/", gid);
	struct repo_ver_collect c = {strlen(prefix), &vl};
	size_t i;
	int rc;

	rc = repo_put_json(b, key, snapshot);
	if (rc == 0)
		rc = store_iter(r->st, STORE_DB_SCHED, prefix, repo_ver_collect,
				&c) < 0
			 ? -EIO
			 : 0;
	/* vl lacks the new version: keep the newest MAX_VERSIONS - 1. */
	for (i = 0; rc == 0 && vl.n + 1 > SCHED_REPO_MAX_VERSIONS &&
		    i < vl.n + 1 - SCHED_REPO_MAX_VERSIONS;
	     i++) {
		free(key);
		key = xasprintf("groupver/%s/%s", gid, vl.v[i]);
		rc = store_batch_del(b, STORE_DB_SCHED, key);
	}
	sched_ids_release(&vl);
	free(prefix);
	free(key);
	return rc;
}

int
sched_repo_group_versions(const struct sched_repo *r, const char *id,
			  json_t **out)
{
	char *prefix =
	    xasprintf("groupver/%s/", strcmp(id, "/") == 0 ? "" : id);
	int rc = repo_ver_json(r, prefix, out);

	free(prefix);
	return rc;
}

int
sched_repo_group_version_get(const struct sched_repo *r, const char *id,
			     const char *version, json_t **out)
{
	char *key = xasprintf("groupver/%s/%s", strcmp(id, "/") == 0 ? "" : id,
			      version);
	struct buf b = BUF_INIT;
	int rc;

	*out = NULL;
	rc = store_get(r->st, STORE_DB_SCHED, key, &b);
	if (rc == 0 && (*out = json_parse_bounded(b.data, b.len, NULL)) == NULL)
		rc = -EIO;
	buf_release(&b);
	free(key);
	return rc;
}
