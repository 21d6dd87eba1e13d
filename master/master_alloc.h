/*
 * master_alloc.h: the resource allocator, weighted DRF (SPEC section 4).
 * Pure (STYLE B28): no I/O, no loop, no globals; loop thread only.
 *
 * The allocator knows agents (total and available resources, active or
 * not) and frameworks (role, weight, active, suppressed, decline filters),
 * and which framework holds what on which agent. master_alloc_run() makes
 * one allocation cycle: every active agent with enough free resources is
 * offered whole to the eligible framework with the lowest weighted
 * dominant share; offered resources count as allocated to that framework
 * until master_alloc_release() gives them back.
 *
 * Fairness is over frameworks, each with its own weight (Mesos'
 * hierarchical DRF flattened to one level); the role is recorded for
 * reporting only.
 */
#ifndef CLUSTERD_MASTER_MASTER_ALLOC_H
#define CLUSTERD_MASTER_MASTER_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/resources.h"

/* Mesos' minimum offer: at least this many cpus or this much memory. */
#define MASTER_ALLOC_MIN_CPUS 0.01
#define MASTER_ALLOC_MIN_MEM 32.0

struct master_alloc;

/* A new empty allocator; free with master_alloc_free() (NULL is a no-op). */
struct master_alloc *master_alloc_new(void);
void master_alloc_free(struct master_alloc *a);

/*
 * Add an agent, active, with everything available. ids are copied.
 * 0, -EEXIST when the id is known.
 */
int master_alloc_agent_add(struct master_alloc *a, const char *agent_id,
			   const struct resources *total);
/* Forget an agent and everything allocated on it. Unknown ids are ignored. */
void master_alloc_agent_remove(struct master_alloc *a, const char *agent_id);
/* Inactive agents (unreachable, draining) receive no offers. */
void master_alloc_agent_set_active(struct master_alloc *a, const char *agent_id,
				   bool active);

/*
 * Add a framework, active and not suppressed. weight > 0 (1 is normal);
 * its weighted share is dominant share / weight. Adding a framework that
 * master_alloc_allocate() created as a placeholder adopts it, with what
 * it holds. 0, -EEXIST when already added, -EINVAL for a bad weight.
 */
int master_alloc_framework_add(struct master_alloc *a, const char *fw_id,
			       const char *role, double weight);
/* Forget a framework; everything it holds becomes available again. */
void master_alloc_framework_remove(struct master_alloc *a, const char *fw_id);
/* A disconnected framework keeps its allocation but gets no offers. */
void master_alloc_framework_set_active(struct master_alloc *a,
				       const char *fw_id, bool active);
/* A suppressed framework wants no offers (Mesos SUPPRESS / REVIVE). */
void master_alloc_framework_suppress(struct master_alloc *a, const char *fw_id,
				     bool suppressed);

/*
 * Mark r on the agent as used by the framework (a task recovered at
 * re-registration, or resources taken outside an offer). An unknown
 * framework is created as an inactive placeholder (it receives no offers
 * until master_alloc_framework_add()), since after a failover agents
 * re-register before frameworks do. Nothing is recorded on failure:
 * -ENOENT (unknown agent), -ERANGE (r is not within the agent's available
 * resources), -ENOSPC (the port ranges would split beyond RES_MAX_RANGES).
 */
int master_alloc_allocate(struct master_alloc *a, const char *agent_id,
			  const char *fw_id, const struct resources *r);
/*
 * Give back r (task ended, offer declined or rescinded, unused part of an
 * accepted offer). Only the part of r the framework actually holds on the
 * agent is released; unknown ids are ignored.
 */
void master_alloc_release(struct master_alloc *a, const char *agent_id,
			  const char *fw_id, const struct resources *r);

/* Make no offers of the agent to the framework before until_ms. */
void master_alloc_filter(struct master_alloc *a, const char *fw_id,
			 const char *agent_id, uint64_t until_ms);
/* Drop all decline filters of the framework (REVIVE). */
void master_alloc_clear_filters(struct master_alloc *a, const char *fw_id);

/* One offer; the pointers are borrowed for the duration of the call. */
typedef void master_alloc_offer_fn(const char *fw_id, const char *agent_id,
				   const struct resources *r, void *arg);

/*
 * One allocation cycle at now_ms (filters with until_ms <= now_ms have
 * expired). Calls fn once per offer and returns the number of offers.
 * fn may call master_alloc_release(), _filter() and _suppress(), but must
 * not add or remove agents or frameworks.
 */
size_t master_alloc_run(struct master_alloc *a, uint64_t now_ms,
			master_alloc_offer_fn *fn, void *arg);

/* An agent's total and allocated resources (the caller res_free()s both
 * after 0). 0 or -ENOENT. */
int master_alloc_agent_usage(const struct master_alloc *a, const char *agent_id,
			     struct resources *total, struct resources *used);
/* Cluster-wide scalar totals and allocations (no port ranges). */
void master_alloc_cluster_usage(const struct master_alloc *a,
				struct resources *total,
				struct resources *used);
/*
 * A framework's allocation (scalars only) and its weighted dominant share.
 * 0 or -ENOENT.
 */
int master_alloc_framework_usage(const struct master_alloc *a,
				 const char *fw_id, struct resources *allocated,
				 double *share);
size_t master_alloc_agent_count(const struct master_alloc *a);
size_t master_alloc_framework_count(const struct master_alloc *a);

#endif
