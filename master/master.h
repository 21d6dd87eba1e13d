/*
 * master.h: the resource master role object. It owns the registry of
 * agents, frameworks and tasks, runs the allocator every
 * allocation_interval and on every change, speaks the agent protocol of
 * SPEC section 3 under /internal/ on its httpd, and serves /master/state
 * and friends. Frameworks attach in-process through lib/framework.h.
 * Loop thread only.
 */
#ifndef CLUSTERD_MASTER_MASTER_H
#define CLUSTERD_MASTER_MASTER_H

#include "lib/err.h"
#include "lib/framework.h"

#define MASTER_REREGISTER_TIMEOUT_MS (10 * 60 * 1000LL)
#define MASTER_ORPHAN_GRACE_MS (60 * 1000LL)

struct loop;
struct store;
struct httpc;
struct httpd;
struct master;

/* Every string is borrowed for the call: master_new() copies them. */
struct master_conf {
	const char *hostname;
	const char *advertise_ip;
	int port; /* the bound master port */
	long long allocation_interval_ms;
	long long ping_timeout_ms;
	int max_ping_timeouts;
	/* How long a known agent restored from the registry has to
	 * re-register before it is unreachable (0: 10 minutes, Mesos'). */
	long long reregister_timeout_ms;
	/* How long a task of a framework not attached (an orphan) runs
	 * before the master kills it (0: MASTER_ORPHAN_GRACE_MS). */
	long long orphan_grace_ms;
	const char *agent_secret; /* or NULL */
	const char *version;
};

/*
 * Create the master: load its registry from st (agents start RECOVERED
 * until they re-register, and are asked to at once), register routes on
 * httpd, start the allocation, ping and orphan timers. conf strings are
 * copied. Returns 0 and *out.
 */
int master_new(struct loop *l, struct store *st, struct httpc *hc,
	       struct httpd *httpd, const struct master_conf *conf,
	       struct master **out, struct cd_err *err);
void master_free(struct master *m);
/* Borrowed; valid while m lives. */
const char *master_id(const struct master *m);

/* The ops table schedulers call, with the master as the pointer. */
const struct framework_master_ops *master_framework_ops(void);
/*
 * Attach an in-process framework. fw_id is its stored id (re-registration
 * after a restart) or NULL for a new one. ops->registered is called from
 * the loop shortly after. sched is borrowed and must outlive the master's
 * use of it (detach by freeing the master first).
 */
int master_framework_add(struct master *m, const char *name, const char *fw_id,
			 const struct framework_sched_ops *ops, void *sched);

#endif
