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

#include <jansson.h>

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

/*
 * Stop feeding d from m (a master that stops leading, before it is
 * freed): m's tasks and agents leave the zone.
 */
void master_dns_detach(struct master_dns *d, struct master *m);
/*
 * The leading master, as ZooKeeper's leader detection names it (ip NULL:
 * none): leader.<domain>, master.<domain> and _leader._tcp, and
 * marathon.<domain> (its API port), answer with it on every master.
 */
void master_dns_leader(struct master_dns *d, const char *ip, int master_port,
		       int http_port);

/*
 * What m's DNS records are made of, for a standby to replay
 * (master_dns_follow.h): {"tasks": [{"id", "framework", "name",
 * "agent_id", "agent_ip", "task_ip", "ports": [N...], "di_name",
 * "di_ports": [{"number", "protocol", "name"}]}...], "agents": [{"id",
 * "ip", "port"}...]}, the tasks answered and the live agents. A new
 * reference; served as GET /internal/dns on the master port.
 */
json_t *master_dns_export(struct master *m);

/* t's status changed (master_tasks.c, after recording it). */
void master_dns_task_changed(struct master *m, const struct master_task *t);
/* The framework asked to kill the task: out of the answers at once. */
void master_dns_task_killed(struct master *m, const char *task_id);
/* The task is forgotten (it ended). */
void master_dns_task_gone(struct master *m, const char *task_id);
/* a registered, re-registered or was lost (master_agents.c). */
void master_dns_agent_changed(struct master *m, const struct master_agent *a);

#endif
