/*
 * master_dns_follow.c: owns a standby's poll of the leader's DNS inputs:
 * the timer, the request in flight, and the ids of the tasks and agents it
 * put in the zone (two idmaps whose keys are owned copies, the values the
 * same pointers), so that what the leader drops leaves the zone too.
 * Calls master_dns.c (the zone) and master_dns_zone.c only. Loop thread
 * only.
 */
#include "master/master_dns_follow.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/httpc.h"
#include "lib/idmap.h"
#include "lib/json.h"
#include "lib/loop.h"
#include "lib/xalloc.h"
#include "master/master_dns.h"
#include "master/master_dns_zone.h"

#define LOG_MOD "dns"
#include "lib/log.h"

#define MDFW_MAGIC 0xd45e7a11u
#define MDFW_TIMEOUT_MS 10000L
/* Beyond this, a task's ports are not named (as master_dns_feed.c). */
#define MDFW_MAX_PORTS 256

struct master_dns_follow {
	unsigned magic;
	struct loop *l;	      /* borrowed */
	struct httpc *hc;     /* borrowed */
	struct master_dns *d; /* borrowed */
	char *url;	      /* owned, or NULL: not following */
	long long interval_ms;
	struct loop_timer *timer; /* owned */
	struct httpc_req *req;	  /* borrowed: until done or cancelled */
	struct idmap *tasks;	  /* owned keys: task ids put */
	struct idmap *agents;	  /* owned keys: agent ids put */
	bool warned;
};

/* Free a map whose values are its own keys. */
static void
mdfw_map_free(struct idmap *x)
{
	const char *k;
	size_t pos = 0;
	void *v;

	while (idmap_next(x, &pos, &k, &v))
		free(v);
	idmap_free(x);
}

static void
mdfw_put_id(struct idmap *x, const char *id)
{
	char *k;

	if (idmap_get(x, id) != NULL)
		return;
	k = xstrdup(id);
	AZ(idmap_put(x, k, k));
}

/* Take out of the zone what old has and new lacks; free old. */
static void
mdfw_retire(struct mdz *z, struct idmap *old, struct idmap *new, bool tasks)
{
	const char *k;
	size_t pos = 0;
	void *v;

	while (idmap_next(old, &pos, &k, &v)) {
		if (new != NULL && idmap_get(new, k) != NULL)
			continue;
		if (tasks)
			mdz_task_forget(z, k);
		else
			mdz_agent_del(z, k);
	}
	mdfw_map_free(old);
}

static int
mdfw_task(struct mdz *z, const json_t *o, struct idmap *seen)
{
	struct mdz_port di[MDFW_MAX_PORTS];
	uint32_t ports[MDFW_MAX_PORTS];
	struct mdz_task t = {0};
	const json_t *v;
	size_t i;

	t.id = json_string_value(json_object_get(o, "id"));
	t.framework = json_string_value(json_object_get(o, "framework"));
	t.name = json_string_value(json_object_get(o, "name"));
	t.agent_id = json_string_value(json_object_get(o, "agent_id"));
	t.agent_ip = json_string_value(json_object_get(o, "agent_ip"));
	t.task_ip = json_string_value(json_object_get(o, "task_ip"));
	t.di_name = json_string_value(json_object_get(o, "di_name"));
	if (t.id == NULL || t.framework == NULL || t.name == NULL ||
	    t.agent_id == NULL || t.agent_ip == NULL)
		return -EINVAL;
	json_array_foreach(json_object_get(o, "ports"), i, v) {
		if (t.nports < MDFW_MAX_PORTS && json_integer_value(v) > 0 &&
		    json_integer_value(v) <= 65535)
			ports[t.nports++] = (uint32_t)json_integer_value(v);
	}
	t.ports = ports;
	json_array_foreach(json_object_get(o, "di_ports"), i, v) {
		json_int_t n = json_integer_value(json_object_get(v, "number"));

		if (t.ndi_ports == MDFW_MAX_PORTS || n <= 0 || n > 65535)
			continue;
		di[t.ndi_ports].number = (uint32_t)n;
		di[t.ndi_ports].protocol =
		    json_string_value(json_object_get(v, "protocol"));
		di[t.ndi_ports].name =
		    json_string_value(json_object_get(v, "name"));
		t.ndi_ports++;
	}
	t.di_ports = di;
	mdz_task_put(z, &t);
	mdfw_put_id(seen, t.id);
	return 0;
}

int
master_dns_follow_apply(struct master_dns_follow *f, const json_t *doc)
{
	struct mdz *z = master_dns_zone(f->d);
	const json_t *tasks = json_object_get(doc, "tasks");
	const json_t *agents = json_object_get(doc, "agents");
	struct idmap *nt, *na;
	const json_t *o;
	size_t i;

	CD_CHECK_OBJ(f, MDFW_MAGIC);
	if (!json_is_array(tasks) || !json_is_array(agents))
		return -EINVAL;
	nt = idmap_new();
	na = idmap_new();
	json_array_foreach(agents, i, o) {
		const char *id = json_string_value(json_object_get(o, "id"));
		const char *ip = json_string_value(json_object_get(o, "ip"));
		json_int_t port =
		    json_integer_value(json_object_get(o, "port"));

		if (id == NULL || ip == NULL || port <= 0 || port > 65535)
			continue;
		mdz_agent_put(z, id, ip, (int)port);
		mdfw_put_id(na, id);
	}
	json_array_foreach(tasks, i, o) {
		if (mdfw_task(z, o, nt) != 0)
			log_debug("a task without its id, name or agent in the "
				  "leader's DNS records: skipped");
	}
	mdfw_retire(z, f->tasks, nt, true);
	mdfw_retire(z, f->agents, na, false);
	f->tasks = nt;
	f->agents = na;
	return 0;
}

static void
mdfw_done(const struct httpc_resp *r, void *arg)
{
	struct master_dns_follow *f = arg;
	json_t *doc = NULL;

	CD_CHECK_OBJ(f, MDFW_MAGIC);
	f->req = NULL;
	if (r->status == 200)
		doc = json_loadb(r->body, r->len, 0, NULL);
	if (doc != NULL && master_dns_follow_apply(f, doc) == 0) {
		f->warned = false;
	} else if (!f->warned) {
		log_warn("cannot replay the leader's DNS records from %s (%d)",
			 f->url, r->status);
		f->warned = true;
	}
	json_decref(doc);
	if (f->url != NULL)
		loop_timer_add(f->timer, (uint64_t)f->interval_ms);
}

static void
mdfw_tick(void *arg)
{
	struct master_dns_follow *f = arg;
	struct httpc_opts o = {0};

	CD_CHECK_OBJ(f, MDFW_MAGIC);
	if (f->url == NULL || f->req != NULL)
		return;
	o.url = f->url;
	o.timeout_ms = MDFW_TIMEOUT_MS;
	f->req = httpc_request(f->hc, &o, mdfw_done, f);
}

struct master_dns_follow *
master_dns_follow_new(struct loop *l, struct httpc *hc, struct master_dns *d,
		      long long interval_ms)
{
	struct master_dns_follow *f;

	CD_ALLOC_OBJ(f, MDFW_MAGIC);
	f->l = l;
	f->hc = hc;
	f->d = d;
	f->interval_ms = interval_ms > 0 ? interval_ms : 5000;
	f->timer = loop_timer_new(l, mdfw_tick, f);
	f->tasks = idmap_new();
	f->agents = idmap_new();
	return f;
}

void
master_dns_follow_set(struct master_dns_follow *f, const char *url)
{
	struct mdz *z;

	CD_CHECK_OBJ(f, MDFW_MAGIC);
	if (url != NULL && f->url != NULL && strcmp(url, f->url) == 0)
		return;
	httpc_cancel(f->req);
	f->req = NULL;
	loop_timer_del(f->timer);
	free(f->url);
	f->url = url != NULL ? xstrdup(url) : NULL;
	if (f->url != NULL) {
		loop_timer_add(f->timer, 0);
		return;
	}
	z = master_dns_zone(f->d);
	mdfw_retire(z, f->tasks, NULL, true);
	mdfw_retire(z, f->agents, NULL, false);
	f->tasks = idmap_new();
	f->agents = idmap_new();
}

void
master_dns_follow_free(struct master_dns_follow *f)
{
	if (f == NULL)
		return;
	CD_CHECK_OBJ(f, MDFW_MAGIC);
	master_dns_follow_set(f, NULL);
	loop_timer_free(f->timer);
	mdfw_map_free(f->tasks);
	mdfw_map_free(f->agents);
	CD_FREE_OBJ(f);
}
