/*
 * master_dns_feed.c: the master's tables turned into the DNS zone's
 * inputs (see master_dns_feed.h). Reads the master's agents, tasks and
 * frameworks; owns nothing (the zone, inside the attached master_dns,
 * keeps the records). Calls down into master_dns.c (the zone) and
 * master_frameworks.c (a framework's name); the master's files call it.
 * Loop thread only.
 */
#include "master/master_dns_feed.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/task_state.h"
#include "lib/wire.h"
#include "lib/xalloc.h"
#include "master/master_dns.h"
#include "master/master_dns_zone.h"
#include "master/master_int.h"

/* Ports of one task beyond this are not named (no task holds that many). */
#define MDF_MAX_PORTS 256

static bool
mdf_command_checks(const json_t *checks)
{
	const json_t *c;
	size_t i;

	json_array_foreach(checks, i, c) {
		const char *p =
		    json_string_value(json_object_get(c, "protocol"));

		if (p != NULL && strcmp(p, "COMMAND") == 0)
			return true;
	}
	return false;
}

/* Whether t should be answered, with the agent it runs on. */
static bool
mdf_visible(struct master *m, const struct master_task *t,
	    const struct master_agent **agent)
{
	const struct master_agent *a = master_agent_find(m, t->task.agent_id);

	*agent = a;
	if (t->status.state != TASK_RUNNING || a == NULL ||
	    !master_agent_live(a) || t->status.healthy == WIRE_HEALTH_FAILED)
		return false;
	/* The agent runs COMMAND checks and reports their results. */
	return t->status.healthy == WIRE_HEALTH_OK ||
	       !mdf_command_checks(t->task.health_checks);
}

/* The discovery ports of di ("ports": {"ports": [...]}) into ports. */
static size_t
mdf_di_ports(const json_t *di, struct mdz_port *ports, size_t max)
{
	const json_t *p;
	size_t i, n = 0;

	json_array_foreach(
	    json_object_get(json_object_get(di, "ports"), "ports"), i, p) {
		json_int_t num =
		    json_integer_value(json_object_get(p, "number"));

		if (n == max)
			break;
		if (num <= 0 || num > 65535)
			continue;
		ports[n].number = (uint32_t)num;
		ports[n].protocol =
		    json_string_value(json_object_get(p, "protocol"));
		ports[n].name = json_string_value(json_object_get(p, "name"));
		n++;
	}
	return n;
}

/*
 * The zone's input for t into *mt (ports and di are MDF_MAX_PORTS arrays
 * of the caller's; strings borrowed from t and m), or false when t is not
 * to be answered.
 */
static bool
mdf_task_input(struct master *m, const struct master_task *t,
	       struct mdz_task *mt, uint32_t *ports, struct mdz_port *di)
{
	struct master_framework *f = master_framework_find(m, t->framework_id);
	const struct master_agent *a;
	const struct resources *r = &t->task.res;
	uint32_t p;
	int i;

	if (f == NULL || !mdf_visible(m, t, &a))
		return false;
	memset(mt, 0, sizeof *mt);
	for (i = 0; i < r->nranges; i++)
		for (p = r->ports[i].begin;
		     p <= r->ports[i].end && mt->nports < MDF_MAX_PORTS; p++)
			ports[mt->nports++] = p;
	mt->id = t->task.task_id;
	mt->framework = f->name;
	mt->name = t->task.name != NULL ? t->task.name : "";
	mt->agent_id = a->info.id;
	mt->agent_ip = a->info.ip;
	/*
	 * The container's address, on USER networks: wire_status has no
	 * ContainerStatus yet (the containerizer work adds it); until then
	 * tasks are found at their agent's address.
	 */
	mt->task_ip =
	    mdz_container_ip(t->task.container, t->status.container_status);
	mt->ports = ports;
	mt->di_name =
	    json_string_value(json_object_get(t->task.discovery, "name"));
	if (mt->di_name != NULL) {
		mt->di_ports = di;
		mt->ndi_ports =
		    mdf_di_ports(t->task.discovery, di, MDF_MAX_PORTS);
	}
	return true;
}

void
master_dns_task_changed(struct master *m, const struct master_task *t)
{
	struct mdz_port *di;
	struct mdz_task mt;
	uint32_t *ports;
	struct mdz *z;

	if (m->dns == NULL)
		return;
	z = master_dns_zone(m->dns);
	ports = xcalloc(MDF_MAX_PORTS, sizeof *ports);
	di = xcalloc(MDF_MAX_PORTS, sizeof *di);
	if (mdf_task_input(m, t, &mt, ports, di))
		mdz_task_put(z, &mt);
	else
		mdz_task_del(z, t->task.task_id);
	free(di);
	free(ports);
}

json_t *
master_dns_export(struct master *m)
{
	json_t *tasks = json_array(), *agents = json_array(), *o, *pa;
	const struct master_agent *a;
	const struct master_task *t;
	struct mdz_port *di = xcalloc(MDF_MAX_PORTS, sizeof *di);
	uint32_t *ports = xcalloc(MDF_MAX_PORTS, sizeof *ports);
	struct mdz_task mt;
	size_t i;

	TAILQ_FOREACH(a, &m->agents, link) {
		if (master_agent_live(a))
			json_array_append_new(
			    agents,
			    json_pack("{s:s, s:s, s:i}", "id", a->info.id, "ip",
				      a->info.ip, "port", a->info.port));
	}
	TAILQ_FOREACH(t, &m->tasks, link) {
		if (!mdf_task_input(m, t, &mt, ports, di))
			continue;
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}", "id",
			      mt.id, "framework", mt.framework, "name", mt.name,
			      "agent_id", mt.agent_id, "agent_ip", mt.agent_ip,
			      "task_ip", mt.task_ip, "di_name", mt.di_name);
		pa = json_array();
		for (i = 0; i < mt.nports; i++)
			json_array_append_new(pa, json_integer(mt.ports[i]));
		json_object_set_new(o, "ports", pa);
		pa = json_array();
		for (i = 0; i < mt.ndi_ports; i++)
			json_array_append_new(
			    pa, json_pack("{s:I, s:s?, s:s?}", "number",
					  (json_int_t)mt.di_ports[i].number,
					  "protocol", mt.di_ports[i].protocol,
					  "name", mt.di_ports[i].name));
		json_object_set_new(o, "di_ports", pa);
		json_array_append_new(tasks, o);
	}
	free(di);
	free(ports);
	return json_pack("{s:o, s:o}", "tasks", tasks, "agents", agents);
}

void
master_dns_task_killed(struct master *m, const char *task_id)
{
	if (m->dns != NULL)
		mdz_task_hide(master_dns_zone(m->dns), task_id);
}

void
master_dns_task_gone(struct master *m, const char *task_id)
{
	if (m->dns != NULL)
		mdz_task_forget(master_dns_zone(m->dns), task_id);
}

void
master_dns_agent_changed(struct master *m, const struct master_agent *a)
{
	const struct master_task *t;

	if (m->dns == NULL)
		return;
	if (master_agent_live(a))
		mdz_agent_put(master_dns_zone(m->dns), a->info.id, a->info.ip,
			      a->info.port);
	else
		mdz_agent_del(master_dns_zone(m->dns), a->info.id);
	/* Its tasks' records carry its address, and need it active. */
	for (t = master_tasks_on_agent(m, a->info.id); t != NULL;
	     t = TAILQ_NEXT(t, agent_link))
		master_dns_task_changed(m, t);
}

void
master_dns_attach(struct master_dns *d, struct master *m)
{
	const struct master_dns_conf *c = master_dns_conf(d);
	const struct master_framework *f;
	const struct master_agent *a;

	master_dns_set_master(d, m);
	m->dns = d;
	/* Marathon runs in this process: its API port is where it is. */
	TAILQ_FOREACH(f, &m->frameworks, link)
		mdz_framework_put(master_dns_zone(d), f->name, c->advertise_ip,
				  c->http_port);
	TAILQ_FOREACH(a, &m->agents, link)
		master_dns_agent_changed(m, a);
}

void
master_dns_detach(struct master_dns *d, struct master *m)
{
	struct mdz *z = master_dns_zone(d);
	const struct master_agent *a;
	const struct master_task *t;

	TAILQ_FOREACH(t, &m->tasks, link)
		mdz_task_forget(z, t->task.task_id);
	TAILQ_FOREACH(a, &m->agents, link)
		mdz_agent_del(z, a->info.id);
	master_dns_set_master(d, NULL);
	m->dns = NULL;
}

void
master_dns_leader(struct master_dns *d, const char *ip, int master_port,
		  int http_port)
{
	struct mdz *z = master_dns_zone(d);

	mdz_leader_put(z, ip, master_port);
	/* The embedded Marathon runs beside the leading master. */
	if (ip != NULL && http_port > 0)
		mdz_framework_put(z, "marathon", ip, http_port);
}
