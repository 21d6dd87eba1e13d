/*
 * framework.h: the in-process framework interface between the allocator
 * (master/) and a scheduler (scheduler/), as Mesos' scheduler driver was.
 * The master implements struct framework_master_ops; a scheduler
 * implements struct framework_sched_ops; cmd/ wires the two, so master/ and
 * scheduler/ never include each other (STYLE B6). No code lives here.
 *
 * All calls happen on the loop thread. Pointers passed in either direction
 * are borrowed for the duration of the call only.
 */
#ifndef CLUSTERD_LIB_FRAMEWORK_H
#define CLUSTERD_LIB_FRAMEWORK_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "resources.h"
#include "wire.h"

/* One offer: all currently unallocated resources of one agent. */
struct fw_offer {
	const char *id;
	const char *agent_id;
	const char *hostname;
	const json_t *attributes; /* object string -> string */
	struct resources res;
};

/* Implemented by the scheduler. sched is the scheduler's own pointer. */
struct framework_sched_ops {
	/* The master registered the framework (also after a failover). */
	void (*registered)(void *sched, const char *framework_id,
			   const char *master_id);
	/* New offers. Each must be answered by launch or decline. */
	void (*offers)(void *sched, const struct fw_offer *offers, size_t n);
	/* An outstanding offer is no longer valid. */
	void (*rescind)(void *sched, const char *offer_id);
	/*
	 * A status update. Return 0 once the update is durably recorded: that
	 * acknowledges it, and the agent stops retrying. Non-zero leaves it
	 * unacknowledged, to be retried.
	 */
	int (*status)(void *sched, const struct wire_status *st);
	/*
	 * An agent became unreachable. Its tasks the master knows were
	 * reported TASK_UNREACHABLE (REASON_SLAVE_REMOVED) one by one just
	 * before, as Mesos sends slaveLost after those updates; the framework
	 * may treat the tasks it knows there, and the master did not, the
	 * same way. Its return is reported task by task too: the states its
	 * tasks have when it re-registers.
	 */
	void (*agent_lost)(void *sched, const char *agent_id);
};

/* Implemented by the master. master is the master's own pointer. */
struct framework_master_ops {
	/*
	 * Launch tasks on the agent of an outstanding offer. The tasks'
	 * resources must fit in the offer; what is left returns to the pool.
	 * The offer is consumed either way. 0, -ENOENT (unknown or rescinded
	 * offer) or -ERANGE (does not fit), with err set.
	 */
	int (*launch)(void *master, const char *framework_id,
		      const char *offer_id, const struct wire_task *tasks,
		      size_t n, struct cd_err *err);
	/* Decline an offer; its agent is filtered for refuse_seconds. */
	void (*decline)(void *master, const char *framework_id,
			const char *offer_id, double refuse_seconds);
	/*
	 * Ask the agent running the task to kill it. agent_id (may be NULL)
	 * is the agent the framework last knew the task on: a task the master
	 * does not know (it forgot it, or never recorded it) is killed
	 * through that agent. A kill goes out whatever the agent's state (an
	 * unreachable one may be back). grace_ms 0: the task's or the agent's
	 * default. 0 (a KillTask is on its way; the outcome comes as a status
	 * update), or -ENOENT (neither the task's agent nor that one is
	 * known: nothing runs the task as far as the master knows).
	 */
	int (*kill)(void *master, const char *framework_id, const char *task_id,
		    const char *agent_id, int grace_ms);
	/*
	 * Reconcile: re-send the latest known status of every task of the
	 * framework (implicit), through the status callback.
	 */
	void (*reconcile)(void *master, const char *framework_id);
	/* Clear decline filters and offer again soon. */
	void (*revive)(void *master, const char *framework_id);
	/*
	 * The advertised address of a registered agent, or NULL. Nodes reach
	 * each other by this address, never by resolving hostnames (SPEC
	 * section 1). Borrowed: valid until the agent re-registers or goes.
	 */
	const char *(*agent_ip)(void *master, const char *agent_id);
};

/* What a scheduler is given by cmd/ to reach the master. */
struct framework_link {
	const struct framework_master_ops *ops; /* borrowed: static table */
	void *master; /* borrowed: lives as long as the link */
};

#endif
