/*
 * sched_group.h: Marathon's group tree, pure (STYLE B28): no I/O, no loop,
 * no globals. A group id is a path prefix of app ids ("/prod" holds
 * "/prod/db/mysql"); a group exists when an app lies below it or when it
 * was created explicitly (a record {"id", "dependencies", "version"},
 * which the scheduler persists as "group/<id>" in STORE_DB_SCHED so that
 * empty groups survive). This module parses GroupUpdate bodies into flat
 * lists, and renders GroupInfo trees in the shape of
 * schema_v1.7_Group.json (id, apps, groups, dependencies, version).
 */
#ifndef CLUSTERD_SCHEDULER_APP_SCHED_GROUP_H
#define CLUSTERD_SCHEDULER_APP_SCHED_GROUP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/err.h"

#define SCHED_GROUP_ROOT "/"

/* The parent group of an absolute id: "/a/b" -> "/a", "/a" and "/" ->
 * "/". Caller frees. */
char *sched_group_parent(const char *id);
/* Whether id is group itself or lies below it ("/" contains everything). */
bool sched_group_contains(const char *group, const char *id);
/*
 * Resolve a group id (absolute, or relative to base) into a normalised
 * absolute id; "/" (and "", relative to "/") is the root. 0 and *out
 * (caller frees), or -EINVAL with err naming errpath.
 */
int sched_group_resolve(const char *raw, const char *base, const char *errpath,
			char **out, struct cd_err *err);

/* A GroupUpdate body flattened. */
struct sched_group_update {
	char *id;	      /* owned: the group's absolute id */
	json_t *apps;	      /* ref: array of app bodies, "id" made absolute */
	json_t *app_paths;    /* ref: JSON path prefix of each app ("/apps(0)",
				 "/groups(1)/apps(0)") for error details */
	json_t *groups;	      /* ref: records {"id"} of every group in the
				 body, this one first, with "dependencies"
				 (absolute) only when the body gave them */
	json_t *app_scopes;   /* ref: ids of the groups whose "apps" was
				 given: their other direct apps go away */
	json_t *group_scopes; /* ref: ids of the groups whose "groups" was
				 given: their other subgroups go away */
	bool scale;	      /* scaleBy given (and no version) */
	double scale_by;
	char *version; /* owned or NULL: roll back to this version */
};

/*
 * Parse a GroupUpdate body. url_id (may be NULL) is the group of the URL:
 * it wins over the body's "id", which is otherwise resolved against base
 * ("/" for POST /v2/groups). Apps and subgroups must be direct children
 * ("identifier /x is not child of /g. Hint: use relative paths."); their
 * relative ids resolve against their group. Returns 0, -EBADMSG when the
 * body is not an object, or -EINVAL with err->path such as
 * "/groups(0)/apps(1)/id". out is released by the caller either way.
 */
int sched_group_update_parse(const json_t *body, const char *url_id,
			     const char *base, struct sched_group_update *out,
			     struct cd_err *err);
void sched_group_update_release(struct sched_group_update *u);

/* What a tree is built from. Apps must be sorted by id. */
struct sched_group_src {
	const json_t *groups;		 /* borrowed: object id -> record */
	const char *const *app_ids;	 /* borrowed: sorted */
	const char *const *app_versions; /* borrowed: version of each app */
	size_t napps;
	/* The JSON of app i (new reference). */
	json_t *(*app_json)(void *arg, size_t i);
	void *arg; /* borrowed: for app_json */
};

/* Whether group id exists (explicit, implied by an app or a record below
 * it, or the root). */
bool sched_group_exists(const struct sched_group_src *src, const char *id);

/*
 * The GroupInfo of id: {"id", "apps"?, "groups"?, "dependencies",
 * "version"}, "apps" present when embed_apps and "groups" when
 * embed_groups, children sorted by id. version is the newest of the
 * group's record and of every app below it. Returns 0 and *out (new
 * reference), or -ENOENT when the group does not exist.
 */
int sched_group_tree(const struct sched_group_src *src, const char *id,
		     bool embed_apps, bool embed_groups, json_t **out);

/*
 * The ids of every group at or below id (explicit or implied), sorted,
 * as a new JSON array of strings.
 */
json_t *sched_group_ids_below(const struct sched_group_src *src,
			      const char *id);

#endif
