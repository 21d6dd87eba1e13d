/*
 * unit_fw: a fake framework for the master's unit tests, attached
 * in-process with master_framework_add(m, name, id, &ut_fw_ops, fw). It
 * records its id and every status it hears, declines offers (unless the
 * test's offer hook keeps one), and can refuse to record statuses.
 */
#ifndef UNIT_FW_H
#define UNIT_FW_H

#include "lib/framework.h"
#include "lib/task_state.h"

#define UT_FW_MAX 64

struct ut_fw {
	struct master *m; /* borrowed: set by the test, again after a restart */
	char id[128];	  /* the framework id, once registered */
	int registered;
	int refuse;    /* statuses are not recorded: left unacknowledged */
	int decline_s; /* the filter of every decline, in seconds */
	/* Called for each offer first; returning 1 keeps it (not declined). */
	int (*offer)(void *arg, const struct fw_offer *o);
	/* Called on agent_lost, when set. */
	void (*agent_lost)(void *arg, const char *agent_id);
	void *arg; /* borrowed: the hooks' */
	/* the statuses heard, in order */
	char task[UT_FW_MAX][64];
	enum task_state state[UT_FW_MAX];
	char reason[UT_FW_MAX][64];
	char source[UT_FW_MAX][32];
	int n;
};

/* The ops; their sched pointer is a struct ut_fw. */
extern const struct framework_sched_ops ut_fw_ops;

/* The latest state heard for task_id, or -1; its reason when asked. */
int ut_fw_status_of(const struct ut_fw *fw, const char *task_id,
		    const char **reason);
/* The state of the last status heard, or -1. */
int ut_fw_last(const struct ut_fw *fw);

#endif
