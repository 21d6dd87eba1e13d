/*
 * sched_repo.h: the scheduler's apps (struct sched_rapp, see sched_int.h)
 * in memory, sorted by id, and their persistence in STORE_DB_SCHED:
 *   "app/<id>"                  sched_app_to_json() of the current version
 *   "appver/<id>/<version>"     the same, one per version (the newest
 *                               SCHED_REPO_MAX_VERSIONS are kept)
 *   "appcfg/<id>"               the app's config version
 *                               (lastConfigChangeAt, ASCII ISO-8601): the
 *                               version its tasks must be at least; a
 *                               restart changes it without changing the
 *                               definition. Absent in stores written before
 *                               it existed: then recomputed from the
 *                               versions (only instances changed)
 *   "framework_id"              the framework id the master gave us
 *   "group/<id>"                an explicit group {"id", "dependencies",
 *                               "version"} (empty groups persist)
 *   "groupver/<id>/<version>"   the group as it was after a change through
 *                               /v2/groups ("" for the root's <id>), for
 *                               rollback
 * Writes are staged into a caller's store batch, so an app change and the
 * task records it touches commit together; memory changes only after the
 * commit (install/remove). Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_REPO_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_REPO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/err.h"

#define SCHED_REPO_MAX_VERSIONS 50
#define SCHED_REPO_PORT_MIN 10000
#define SCHED_REPO_PORT_MAX 20000

struct store;
struct store_batch;
struct sched_app;
struct sched_rapp;
struct sched_repo;

/*
 * Load every app from st. Apps that do not parse are skipped and counted
 * in *nbad. Returns 0 and *out (free with sched_repo_free()), or -EIO.
 */
int sched_repo_new(struct store *st, struct sched_repo **out, size_t *nbad,
		   struct cd_err *err);
void sched_repo_free(struct sched_repo *r);

/* Apps in id order: i < sched_repo_count(). Borrowed. */
size_t sched_repo_count(const struct sched_repo *r);
struct sched_rapp *sched_repo_at(const struct sched_repo *r, size_t i);
/* The app with that (normalised) id, or NULL. Borrowed. */
struct sched_rapp *sched_repo_find(const struct sched_repo *r, const char *id);

/*
 * Give every 0 service port of app a free port from SCHED_REPO_PORT_MIN..
 * SCHED_REPO_PORT_MAX, unique across the other apps and the apps in also
 * (a batch not installed yet; entries may be NULL or app itself).
 * 0 or -ENOSPC.
 */
int sched_repo_assign_ports_with(const struct sched_repo *r,
				 struct sched_app *app,
				 struct sched_app *const *also, size_t nalso,
				 struct cd_err *err);

/*
 * Stage app (its version must be set) as the current definition and as a
 * new version into b, with config_version (may be NULL: the app's own
 * version) as its config version, pruning the oldest versions beyond the
 * limit except config_version's. 0 or a negative code.
 */
int sched_repo_stage_put(struct sched_repo *r, struct store_batch *b,
			 const struct sched_app *app,
			 const char *config_version);
/* Stage the deletion of the app and all its versions into b. */
int sched_repo_stage_del(struct sched_repo *r, struct store_batch *b,
			 const char *id);

/*
 * After a commit: make app (taken) the current definition of its id, with
 * lastConfigChangeAt config_version (copied). Runtime state of an existing
 * app is kept. Returns the app's entry, borrowed.
 */
struct sched_rapp *sched_repo_install(struct sched_repo *r,
				      struct sched_app *app,
				      const char *config_version);
/* After a commit: forget the app (no-op when unknown). */
void sched_repo_remove(struct sched_repo *r, const char *id);
/*
 * A count of installs and removals: part of the scheduler's state
 * generation (sched_gen.h). The runtime fields of an entry the API shows
 * beside the definition (lastTaskFailure) are counted by whoever sets
 * them (sched_gen_bump()).
 */
uint64_t sched_repo_gen(const struct sched_repo *r);

/* The stored versions of id, newest first: 0 and a new JSON array, or a
 * negative code. */
int sched_repo_versions(const struct sched_repo *r, const char *id,
			json_t **out);
/* One stored version: 0 and a new app, -ENOENT, or another code. */
int sched_repo_version_get(const struct sched_repo *r, const char *id,
			   const char *version, struct sched_app **out,
			   struct cd_err *err);

/* Stage an explicit group record (put) or its deletion into b. */
int sched_repo_stage_group_put(struct store_batch *b, const json_t *rec);
int sched_repo_stage_group_del(struct store_batch *b, const char *id);
/* Every explicit group record: 0 and a new object id -> record. */
int sched_repo_groups_load(const struct sched_repo *r, json_t **out);
/* Stage a group snapshot as version into b (the oldest versions beyond
 * the newest SCHED_REPO_MAX_VERSIONS are deleted in the same batch). */
int sched_repo_stage_group_version(const struct sched_repo *r,
				   struct store_batch *b, const char *id,
				   const char *version, const json_t *snapshot);
/* The stored versions of group id, newest first (new JSON array). */
int sched_repo_group_versions(const struct sched_repo *r, const char *id,
			      json_t **out);
/* One group snapshot: 0 and a new reference, -ENOENT, or -EIO. */
int sched_repo_group_version_get(const struct sched_repo *r, const char *id,
				 const char *version, json_t **out);

/* The stored framework id: 0 and a malloc'd string, -ENOENT, or -EIO. */
int sched_repo_framework_id_load(struct sched_repo *r, char **out);
/* Store the framework id (one commit). */
int sched_repo_framework_id_save(struct sched_repo *r, const char *id);

#endif
