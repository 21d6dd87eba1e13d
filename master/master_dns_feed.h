/*
 * master_dns_feed.h: the master's side of its DNS server: attaching one
 * to a master, and the hooks the master's files call when a task or an
 * agent changes, so that the records follow the master's state as it
 * changes (issue 14: live, not polled). Every hook is a no-op while no
 * DNS server is attached (m->dns is NULL). Loop thread only.
 *
 * A task is answered while it is TASK_RUNNING on an active agent, was not
 * asked to be killed, and is not known unhealthy; with COMMAND health
 * checks (the ones whose results reach the master, in the agent's status
 * updates' "healthy"), only once healthy.
 */
#ifndef CLUSTERD_MASTER_MASTER_DNS_FEED_H
#define CLUSTERD_MASTER_MASTER_DNS_FEED_H

struct master;
struct master_agent;
struct master_dns;
struct master_task;

/*
 * Feed d from m from now on: the leader, the frameworks, the agents and
 * their tasks as they are, then every change. d and m are borrowed; free
 * d before m (master_dns_free() detaches it).
 */
void master_dns_attach(struct master_dns *d, struct master *m);

/* t's status changed (master_tasks.c, after recording it). */
void master_dns_task_changed(struct master *m, const struct master_task *t);
/* The framework asked to kill the task: out of the answers at once. */
void master_dns_task_killed(struct master *m, const char *task_id);
/* The task is forgotten (it ended). */
void master_dns_task_gone(struct master *m, const char *task_id);
/* a registered, re-registered or was lost (master_agents.c). */
void master_dns_agent_changed(struct master *m, const struct master_agent *a);

#endif
