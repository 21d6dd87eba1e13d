/*
 * sched_apply.h: the changes the REST API asks for (create, update,
 * scale, restart, roll back or delete apps, kill tasks, change groups),
 * applied as one deployment: persisted first (one store batch), then
 * memory, kills, deployment bookkeeping, events, converge. Loop thread
 * only.
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_APPLY_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/err.h"
#include "lib/id.h"
#include "scheduler/core/sched_int.h"

struct sched;
struct sched_app;

/* One change the API asks for. */
struct sched_change {
	struct sched_app *app; /* owned, taken: new definition, or NULL */
	const char *delete_id; /* borrowed or NULL: delete this app */
	bool restart;	       /* replace the tasks even without a
				  config change (restart) */
	bool rollback;	       /* app is a stored version: a restart */
	char **kill_ids;       /* borrowed: task ids to kill */
	size_t nkill;
	bool force; /* cancel the deployments that lock the app */
	/* Out: */
	char deployment_id[ID_UUID_LEN]; /* "" when no deployment started
					    (kills only) */
	char version[SCHED_ISO_LEN];
	int created;	/* 1 when app did not exist before */
	json_t *locked; /* new ref or NULL: [{"id"}] of the deployments
			   that refused the change (-EBUSY); caller frees */
};

/* Options of sched_apply_many(). */
struct sched_apply_opts {
	bool force;	    /* cancel the deployments that lock the apps */
	bool dry_run;	    /* plan only: nothing is written or changed */
	json_t *groups_put; /* borrowed or NULL: group records {"id",
			       "dependencies"} to store (version set) */
	json_t *groups_del; /* borrowed or NULL: ids of group records to
			       delete */
	const char *snapshot_group; /* borrowed or NULL: store this group
				       as it stands after the change as a
				       group version, in the same commit */
	/* Out: */
	char deployment_id[ID_UUID_LEN]; /* "" when no deployment */
	char version[SCHED_ISO_LEN];
	json_t *locked; /* new ref or NULL, see struct sched_change */
	json_t *steps;	/* new ref (dry_run): [{"actions": [...]}] */
};

/*
 * Apply c. Returns 0 (c's out fields set), or what sched_apply_many()
 * returns (-EIO when the store refused the write: nothing changed, err
 * set). c->app is consumed either way.
 */
int sched_apply(struct sched *s, struct sched_change *c, struct cd_err *err);
/*
 * Apply n changes as one deployment, one commit, one version. A change of
 * an app (or its deletion) starts a deployment; kills alone do not. When
 * a running deployment locks one of the apps: -EBUSY with o->locked set,
 * unless o->force, which cancels it. A dependency cycle: -EINVAL (err
 * path "/"). -ENOSPC when service ports ran out, -EIO when the store
 * refused (nothing changed; err->code is the store's code, err->msg says
 * what happened, store_err()). Every cv[i].app is consumed either way; the
 * out fields of every cv[i] and of o are set on success.
 */
int sched_apply_many(struct sched *s, struct sched_change *cv, size_t n,
		     struct sched_apply_opts *o, struct cd_err *err);

#endif
