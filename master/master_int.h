/*
 * master_int.h: the master's internals, shared by the master's own files
 * only (STYLE B3); nothing else includes it. Agents, tasks and offers
 * live in lists, which own them and give replies their order, each with a
 * hash index by id (idmap) for the lookups of every status update, launch
 * and ping reply; the allocator (master_alloc) keeps its own indexed
 * tables. An object is on its list exactly when it is in its index.
 *
 * The files call each other downwards only (make check-cycles):
 *   master.c            the role object and the framework interface
 *   master_api.c        the read-only endpoints (reads the tables)
 *   master_link.c       the agent link: registration and status updates
 *                       in, pings out, and what their answers mean
 *   master_agents.c     the agent table: registration (identity, tasks
 *                       adopted), liveness states, the registry records
 *   master_tasks.c      the task registry, status forwarding, kills,
 *                       orphans
 *   master_offers.c     allocation cycles and outstanding offers
 *   master_frameworks.c the attached frameworks
 *   master_outbox.c     messages to agents
 *   master_dns_feed.c   hooks: tasks and agents into the DNS zone
 *   master_dns*.c       the DNS server and its pure zone (no master calls)
 *   master_alloc.c      the pure allocator
 * Each table is changed only by the file that owns it; any file may read
 * it, and find an agent by id (master_agent_find() below, inline: reading
 * the shared table is not a call into master_agents.c).
 */
#ifndef CLUSTERD_MASTER_MASTER_INT_H
#define CLUSTERD_MASTER_MASTER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <jansson.h>

#include "lib/framework.h"
#include "lib/idmap.h"
#include "lib/ratelog.h"
#include "lib/resources.h"
#include "lib/wire.h"
#include "master/master.h"

struct loop_timer;
struct bodycache;
struct master_alloc;
struct metrics_out;
struct master_dns;
struct store_batch;
struct master_msg;

TAILQ_HEAD(master_msg_list, master_msg);

#define MASTER_AGENT_MAGIC 0x3a5e7a01u

/*
 * Where an agent stands with this run of the master (STYLE B12). The
 * transitions, and what each does, are master_agents.c's:
 *   RECOVERED   -> ACTIVE (re-registers), UNREACHABLE (not back within
 *                  agent_reregister_timeout)
 *   ACTIVE      -> SILENT (a ping or a launch unanswered), UNREACHABLE
 *   SILENT      -> ACTIVE (answers), UNREACHABLE (max_agent_ping_timeouts
 *                  pings missed in a row)
 *   UNREACHABLE -> ACTIVE (re-registers: re-admitted with its tasks)
 * and any state -> ACTIVE at a (compatible) registration.
 */
enum master_agent_state {
	MASTER_AGENT_RECOVERED,	  /* from the registry, not re-registered yet */
	MASTER_AGENT_ACTIVE,	  /* registered and answering: gets offers */
	MASTER_AGENT_SILENT,	  /* registered, but the last ping or launch
				     went unanswered: no offers until it answers */
	MASTER_AGENT_UNREACHABLE, /* silent too long: its tasks are
				     TASK_UNREACHABLE until it re-registers */
};

struct master_agent {
	unsigned magic;
	struct master *m;	     /* borrowed: owner */
	struct wire_agent_info info; /* owned */
	char *base_url;		     /* owned: "http://ip:port" */
	enum master_agent_state state;
	int missed_pings; /* in a row */
	bool ping_in_flight;
	/* It answered 200 to a ping that asked it to register again: an
	 * older agent, which only re-registers once pings stop. */
	bool legacy;
	long long registered_ms;
	long long unreachable_ms; /* when it became unreachable, or 0 */
	/*
	 * owned or NULL: the token of its registration, which its status
	 * updates must carry (the proof that they come from this agent, not
	 * from another one naming it); NULL for an older agent, whose
	 * updates must come from its registered address instead.
	 */
	char *token;
	struct master_msg_list outq;   /* owned: messages waiting to be sent */
	struct master_msg_list outfly; /* owned: messages in flight */
	int out_busy; /* of outfly, those that came through outq */
	/* Agents are freed only by master_free(), after every message. */
	TAILQ_ENTRY(master_agent) link;
};

struct master_task {
	struct wire_task task;	   /* owned */
	struct wire_status status; /* owned: the latest status */
	char *framework_id;	   /* owned */
	/* owned or NULL: status.container_status as JSON text, made once per
	 * status update for the replies (master_api.c) */
	char *cstatus_json;
	/* An orphan (its framework is not attached): since when, or 0; and
	 * when it was last asked to be killed for that, or 0. */
	long long orphan_ms, orphan_kill_ms;
	TAILQ_ENTRY(master_task) link;
	/* On its agent's list: borrowed, the bucket of task.agent_id. */
	struct master_agent_tasks *on;
	TAILQ_ENTRY(master_task) agent_link;
};

struct master_framework {
	char *id;			       /* owned */
	char *name;			       /* owned */
	const struct framework_sched_ops *ops; /* borrowed: static table */
	void *sched;			       /* borrowed: the scheduler */
	long long registered_ms;
	bool announced; /* ops->registered was called */
	TAILQ_ENTRY(master_framework) link;
};

struct master_offer {
	char *id;	      /* owned */
	char *framework_id;   /* owned */
	char *agent_id;	      /* owned */
	struct resources res; /* owned (res_free) */
	TAILQ_ENTRY(master_offer) link;
};

TAILQ_HEAD(master_agent_list, master_agent);
TAILQ_HEAD(master_task_list, master_task);

/*
 * The tasks of one agent id, whether or not the registry knows that agent
 * (tasks outlive an agent's removal, and load before it): what lets a
 * registration or a loss walk the agent's own tasks instead of all of the
 * master's, which at 10,000 agents and 100,000 tasks made a storm of
 * re-registrations take minutes of the loop.
 */
struct master_agent_tasks {
	char *agent_id;		       /* owned; the key of m->tasks_by_agent */
	struct master_task_list tasks; /* borrowed: via agent_link */
};
TAILQ_HEAD(master_framework_list, master_framework);
TAILQ_HEAD(master_offer_list, master_offer);

struct master {
	struct loop *loop;	 /* borrowed: from cmd */
	struct store *store;	 /* borrowed: from cmd */
	struct httpc *hc;	 /* borrowed: from cmd */
	struct httpd *httpd;	 /* borrowed: from cmd */
	struct master_conf conf; /* strings owned (copied) */
	char *id;		 /* owned */
	char *epoch;  /* owned: this run's id, in pings and registrations */
	char *pid;    /* owned: "master@advertise_ip:port", in pings */
	char *secret; /* owned: agent secret or NULL */
	char *s_hostname, *s_ip, *s_version; /* owned: conf's strings */
	json_t *flags;			     /* ref: conf.flags, a copy */
	unsigned next_agent_seq;
	long long start_ms;
	struct master_alloc *alloc;		 /* owned */
	struct master_agent_list agents;	 /* owned (master_agents.c) */
	struct master_task_list tasks;		 /* owned (master_tasks.c) */
	struct master_framework_list frameworks; /* owned (master_frameworks) */
	struct master_offer_list offers;	 /* owned (master_offers.c) */
	struct idmap *agent_index;		 /* owned: info.id -> agent */
	struct idmap *task_index;		 /* owned: task_id -> task */
	struct idmap *tasks_by_agent;	 /* owned: agent id -> owned bucket */
	struct idmap *offer_index;	 /* owned: id -> offer */
	struct loop_timer *alloc_timer;	 /* owned: the allocation interval */
	struct loop_timer *soon_timer;	 /* owned: allocation after a change */
	struct loop_timer *ping_timer;	 /* owned (master_link.c) */
	struct loop_timer *orphan_timer; /* owned (master_tasks.c) */
	struct loop_timer *kill_timer;	 /* owned: reports of killed below */
	struct loop_timer *announce_timer; /* owned: frameworks registered */
	char **killed; /* owned: ids of tasks taken back unsent, to report */
	size_t nkilled, capkilled;
	struct loop_timer *forget_timer; /* owned: flushes forgotten below */
	char **forgotten; /* owned: ids of tasks whose records go next */
	size_t nforgotten, capforgotten;
	unsigned offer_seq;
	struct master_dns *dns;	   /* borrowed: from cmd (master_dns_feed.h) */
	struct ratelog refuse_log; /* agent messages refused (master_link.c) */
	uint64_t tasks_finished, tasks_failed, tasks_killed, tasks_lost;
	uint64_t gen;		  /* the state generation: master_changed() */
	struct bodycache *bodies; /* owned: the master/ bodies, by gen */
};

/*
 * The first of the tasks on agent_id (their task.agent_id, which never
 * changes once a task is added), or NULL; the next is TAILQ_NEXT(t,
 * agent_link). A caller that may forget t takes the next one first.
 * Inline: master_tasks.c keeps the buckets, and its callers must not
 * call back into it for a lookup.
 */
static inline struct master_task *
master_tasks_on_agent(struct master *m, const char *agent_id)
{
	struct master_agent_tasks *b = idmap_get(m->tasks_by_agent, agent_id);

	return b != NULL ? TAILQ_FIRST(&b->tasks) : NULL;
}

/* Something the cached master/ bodies show changed, in this very call
 * (the list of callers and what they change: master_api.c). */
static inline void
master_changed(struct master *m)
{
	m->gen++;
}

/* The agent of that id, or NULL; borrowed (agents live as long as m). */
static inline struct master_agent *
master_agent_find(struct master *m, const char *id)
{
	return idmap_get(m->agent_index, id);
}

/* Registered with this run and not unreachable (ACTIVE or SILENT). */
static inline bool
master_agent_live(const struct master_agent *a)
{
	return a->state == MASTER_AGENT_ACTIVE ||
	       a->state == MASTER_AGENT_SILENT;
}

/* master_frameworks.c */
struct master_framework *master_framework_find(struct master *m,
					       const char *id);
/*
 * Attach a framework: fw_id is its stored id or NULL for a new one; name
 * is copied, ops and sched are borrowed (see master_framework_add()).
 * Records it and opens its account in the allocator. Borrowed result.
 */
struct master_framework *
master_frameworks_add(struct master *m, const char *name, const char *fw_id,
		      const struct framework_sched_ops *ops, void *sched);
/* Free every framework (master teardown). */
void master_frameworks_release(struct master *m);

/* master_offers.c */
/* Set up the offer table and the allocation timers; start the interval. */
void master_offers_init(struct master *m);
void master_offers_start(struct master *m);
/* Stop the timers and drop every offer (master teardown). */
void master_offers_release(struct master *m);
/* Run an allocation cycle soon (coalesced): resources changed. */
void master_offers_allocate_soon(struct master *m);
/* The outstanding offer of that id (borrowed), or NULL. */
struct master_offer *master_offers_find(struct master *m, const char *id);
/* Forget o (taken by a launch); what it held is the caller's to release. */
void master_offers_drop(struct master *m, struct master_offer *o);
/* The framework declines: release, and filter the agent for a while. */
void master_offers_decline(struct master *m, const char *fw_id,
			   const char *offer_id, double refuse_seconds);
/* Rescind every outstanding offer on an agent. */
void master_offers_rescind_agent(struct master *m, const char *agent_id);

/* master_agents.c */
/* Read the agent records of the store (RECOVERED until they re-register). */
int master_agents_load(struct master *m);
/*
 * Register the agent of reg, whose secret was checked (a known id
 * re-registers it): check that its identity did not change incompatibly,
 * record it in the store, give it a new token (when it asks for one:
 * reg->status_token), account its resources and adopt the tasks it
 * reports (those that run on another agent ignored). reg->agent is taken
 * on success. 0 with *out (borrowed); -EPERM with err when a known agent
 * came back as something else (a new hostname, attributes or resources
 * it lost); -EIO when the record could not be written.
 */
int master_agents_register(struct master *m, struct wire_register *reg,
			   struct master_agent **out, struct cd_err *err);
/* A live agent answered (its missed pings forgotten); a SILENT one is
 * offered again. Other states: no-op. */
void master_agents_answered(struct master *m, struct master_agent *a);
/* An ACTIVE agent did not answer: no offers, its offers rescinded. */
void master_agents_silence(struct master *m, struct master_agent *a,
			   const char *why);
/*
 * Declare an agent unreachable: its tasks TASK_UNREACHABLE, its offers
 * rescinded, its queued messages failed, out of the allocator until it
 * re-registers.
 */
void master_agents_mark_unreachable(struct master *m, struct master_agent *a,
				    const char *why);
/* Set up the agent table; free every agent (teardown, after the outbox). */
void master_agents_init(struct master *m);
void master_agents_release(struct master *m);

/* master_link.c */
/* Register the /internal/ routes agents call. */
void master_link_routes(struct master *m);
/* Start pinging: the agents restored from the registry at once. */
void master_link_start(struct master *m);
/* Ping a live agent now, unless a ping is already on its way. */
void master_link_ping(struct master *m, struct master_agent *a);

/* master_api.c */
/* The read-only endpoints and their body cache; release answers requests
 * still waiting for a body with 503. */
void master_api_init(struct master *m);
void master_api_release(struct master *m);
/* The agents and tasks by state, for the metrics (metrics_collect_fn). */
void master_api_metrics(void *m, struct metrics_out *o);

#endif
