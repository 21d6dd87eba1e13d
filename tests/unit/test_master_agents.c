/*
 * test_master_agents.c: the master's agent registry (master_agents.c),
 * driven through its functions on a real loop, with a real store in a
 * mkdtemp directory, a fake framework attached in-process and, for pings,
 * a fake agent on loopback:
 *  - registration gives an id, records the agent in the store and offers
 *    its resources; an agent bringing an id the master never gave keeps
 *    it; after a master restart the agents are known again, inactive
 *    until they re-register;
 *  - re-registration adopts the tasks the agent reports (recorded), and
 *    reports lost the tasks the master placed there that it no longer
 *    has;
 *  - an agent that misses a ping, or drops a launch, gets no offers until
 *    it answers again;
 *    one that misses max_ping_timeouts pings is unreachable: its tasks
 *    are TASK_UNREACHABLE, then the framework hears agent_lost; one that
 *    answers stays; an unreachable agent
 *    comes back with its tasks RUNNING again;
 *  - a restarted master asks its restored agents to re-register at once
 *    (a ping with a new epoch and reregister set), and declares one
 *    unreachable only after agent_reregister_timeout;
 *  - a re-registration that changes the agent's identity incompatibly
 *    is refused; more resources or a new attribute are fine;
 *  - tasks of a framework that is not attached are orphans, killed
 *    through their agent after the grace; a kill of a task the master
 *    does not know goes through the agent the framework names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/framework.h"
#include "lib/httpc.h"
#include "lib/httpd.h"
#include "lib/json.h"
#include "lib/loop.h"
#include "lib/resources.h"
#include "lib/store.h"
#include "lib/task_state.h"
#include "lib/wire.h"
#include "master/master.h"
#include "master/master_alloc.h"
#include "master/master_int.h"
#include "master/master_tasks.h"
#include "tests/unit/unit_fw.h"
#include "tests/unit/unit_util.h"

#define WAIT_MS 10000 /* a bound for the test, not an expectation */

struct fx {
	struct loop *l;
	char dir[256];
	struct store *st;
	struct httpc *hc;
	struct httpd *md; /* the master's */
	struct httpd *ad; /* the fake agent's */
	struct master *m;
	struct master_conf conf;
	/* fake framework */
	struct ut_fw fw;
	char offered[32][128]; /* agent ids of the offers, in order */
	int noffers;
	/* fake agent */
	int pings;
	int ping_status;     /* what it answers (200 when 0) */
	int last_reregister; /* of the last ping */
	char last_epoch[64]; /* of the last ping */
	char kills[16][64];  /* task ids of the KillTasks it got */
	int nkills;
	char lost_agent[128]; /* the last agent_lost() */
	int nlost;
	int run_status;	  /* what it answers a RunTask (202 when 0) */
	int status_token; /* registrations ask for a status token */
	int runs;
	/* fake framework: keep the next offer instead of declining it */
	int keep_offer;
	char kept_offer[128];
};

static struct fx *g;

/* ---- fake framework hooks (tests/unit/unit_fw.c) ---- */

/* Note each offer's agent; keep the first one when asked to. */
static int
fw_offer(void *arg, const struct fw_offer *o)
{
	(void)arg;
	if (g->noffers < (int)CD_NELEM(g->offered))
		snprintf(g->offered[g->noffers++], sizeof g->offered[0], "%s",
			 o->agent_id);
	if (g->keep_offer && g->kept_offer[0] == '\0') {
		snprintf(g->kept_offer, sizeof g->kept_offer, "%s", o->id);
		return 1;
	}
	return 0;
}

static void
fw_agent_lost(void *arg, const char *agent_id)
{
	(void)arg;
	/* After the tasks' own updates, as Mesos' slaveLost. */
	assert_int_equal(ut_fw_last(&g->fw), TASK_UNREACHABLE);
	snprintf(g->lost_agent, sizeof g->lost_agent, "%s", agent_id);
	g->nlost++;
}

static const char *want_offer_agent;
static int
offered(void)
{
	int i;

	for (i = 0; i < g->noffers; i++)
		if (strcmp(g->offered[i], want_offer_agent) == 0)
			return 1;
	return 0;
}

/* ---- fake agent: answers pings, records kills ---- */

static json_t *
req_json(struct httpd_req *r)
{
	size_t len = 0;
	const char *body = httpd_req_body(r, &len);

	return json_parse_bounded(body, len, NULL);
}

static void
h_ping(struct httpd_req *r, void *arg)
{
	struct wire_ping p = {0};
	json_t *j = req_json(r);

	(void)arg;
	assert_int_equal(wire_ping_decode(j, &p, NULL), 0);
	json_decref(j);
	g->pings++;
	g->last_reregister = p.reregister;
	snprintf(g->last_epoch, sizeof g->last_epoch, "%s",
		 p.epoch != NULL ? p.epoch : "");
	wire_ping_release(&p);
	if (g->ping_status != 0 && g->ping_status != 200)
		httpd_reply_error(r, g->ping_status, "no", NULL);
	else
		httpd_reply_json(r, 200, json_object());
}

static void
h_kill(struct httpd_req *r, void *arg)
{
	struct wire_kill_task k = {0};
	json_t *j = req_json(r);

	(void)arg;
	assert_int_equal(wire_kill_task_decode(j, &k, NULL), 0);
	json_decref(j);
	if (g->nkills < (int)CD_NELEM(g->kills))
		snprintf(g->kills[g->nkills++], sizeof g->kills[0], "%s",
			 k.task_id);
	wire_kill_task_release(&k);
	httpd_reply_json(r, 202, json_object());
}

static void
h_run(struct httpd_req *r, void *arg)
{
	(void)arg;
	g->runs++;
	if (g->run_status != 0 && g->run_status >= 300)
		httpd_reply_error(r, g->run_status, "no", NULL);
	else
		httpd_reply_json(r, 202, json_object());
}

static const struct httpd_route agent_routes[] = {
    {HTTPD_POST, "/internal/run_task", h_run},
    {HTTPD_POST, "/internal/ping", h_ping},
    {HTTPD_POST, "/internal/kill_task", h_kill},
};

static int
killed(const char *task_id)
{
	int i;

	for (i = 0; i < g->nkills; i++)
		if (strcmp(g->kills[i], task_id) == 0)
			return 1;
	return 0;
}

/* A loopback port nothing listens on. */
static int
closed_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(s >= 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(s);
	return port;
}

/* ---- the master ---- */

static void
master_start(void)
{
	struct cd_err err = {0};

	assert_int_equal(
	    master_new(g->l, g->st, g->hc, g->md, &g->conf, &g->m, &err), 0);
	g->fw.m = g->m;
	g->fw.offer = fw_offer;
	g->fw.agent_lost = fw_agent_lost;
	assert_int_equal(master_framework_add(g->m, "test",
					      g->fw.id[0] ? g->fw.id : NULL,
					      &ut_fw_ops, &g->fw),
			 0);
	ut_run_until(g->l, NULL, 20); /* registered */
	assert_true(g->fw.id[0] != '\0');
}

/*
 * Register an agent named host at port with resources res and attributes
 * attrs (a JSON text): a new one (id NULL), or again with its id and the
 * tasks it runs. Returns master_agents_register()'s code, *out and err.
 */
static int
agent_register_as(const char *id, const char *host, int port, const char *res,
		  const char *attrs, struct wire_status *tasks, size_t ntasks,
		  struct master_agent **out, struct cd_err *err)
{
	struct wire_register reg;
	struct cd_err perr = {0};
	int rc;

	memset(&reg, 0, sizeof reg);
	reg.agent.id = id ? strdup(id) : NULL;
	reg.agent.hostname = strdup(host);
	reg.agent.ip = strdup("127.0.0.1");
	reg.agent.port = port;
	assert_int_equal(res_parse(res, &reg.agent.total, &perr), 0);
	reg.agent.attributes = json_loads(attrs, 0, NULL);
	assert_non_null(reg.agent.attributes);
	reg.reregister = id != NULL;
	reg.status_token = g->status_token;
	reg.tasks = tasks;
	reg.ntasks = ntasks;
	*out = NULL;
	rc = master_agents_register(g->m, &reg, out, err);
	reg.tasks = NULL; /* the caller's */
	reg.ntasks = 0;
	wire_register_release(&reg);
	return rc;
}

#define AGENT_RES "cpus:4;mem:2048;ports:[31000-31009]"
#define AGENT_ATTRS "{\"rack\": \"r1\"}"

static struct master_agent *
agent_register(const char *id, const char *host, int port,
	       struct wire_status *tasks, size_t ntasks)
{
	struct master_agent *a = NULL;
	struct cd_err err = {0};

	assert_int_equal(agent_register_as(id, host, port, AGENT_RES,
					   AGENT_ATTRS, tasks, ntasks, &a,
					   &err),
			 0);
	assert_non_null(a);
	return a;
}

static size_t
agent_count(void)
{
	struct master_agent *a;
	size_t n = 0;

	TAILQ_FOREACH(a, &g->m->agents, link)
		n++;
	return n;
}

static struct wire_task
task_make(const char *id, const char *res)
{
	struct wire_task t;
	struct cd_err err = {0};

	memset(&t, 0, sizeof t);
	t.task_id = strdup(id);
	t.framework_id = strdup(g->fw.id);
	t.name = strdup("app");
	t.cmd = strdup("sleep 1000");
	t.env = json_object();
	assert_int_equal(res_parse(res, &t.res, &err), 0);
	return t;
}

/* A task the master placed on a, as a launch does. */
static void
task_place(struct master_agent *a, const char *id)
{
	struct wire_task wt = task_make(id, "cpus:1;mem:128");
	struct master_task *t = master_task_new(&wt, g->fw.id, a);

	assert_int_equal(master_task_add(g->m, t), 0);
	assert_int_equal(master_task_persist(g->m, t), 0);
	assert_int_equal(master_alloc_allocate(g->m->alloc, a->info.id,
					       g->fw.id, &t->task.res),
			 0);
	wire_task_release(&wt);
}

/* The state of a task as the agent reports it at re-registration. */
static void
task_report(struct wire_status *st, const char *agent_id, const char *id,
	    enum task_state state)
{
	struct wire_task wt = task_make(id, "cpus:1;mem:128");

	memset(st, 0, sizeof *st);
	st->uuid = strdup("00000000-0000-0000-0000-000000000000");
	st->task_id = strdup(id);
	st->framework_id = strdup(g->fw.id);
	st->agent_id = strdup(agent_id);
	st->state = state;
	st->source = strdup("SOURCE_AGENT");
	st->reason = strdup("REASON_RECONCILIATION");
	free(wt.agent_id);
	wt.agent_id = strdup(agent_id);
	st->task = wire_task_encode(&wt);
	wire_task_release(&wt);
}

static int
stored(const char *key)
{
	struct buf b = BUF_INIT;
	int rc = store_get(g->st, STORE_DB_MASTER, key, &b);

	buf_release(&b);
	return rc == 0;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct cd_err err = {0};

	if (f == NULL)
		return -1;
	g = f;
	if (ut_tmpdir(f->dir, sizeof f->dir, "test_master_agents") != 0)
		return -1;
	f->l = loop_new();
	if (store_open(f->dir, 0, &f->st, &err) != 0)
		return -1;
	f->hc = httpc_new(f->l);
	if (httpd_new(f->l, "127.0.0.1", 0, &f->md, &err) != 0 ||
	    httpd_new(f->l, "127.0.0.1", 0, &f->ad, &err) != 0)
		return -1;
	httpd_add_routes(f->ad, agent_routes, CD_NELEM(agent_routes), f);
	f->conf.hostname = "master.test";
	f->conf.advertise_ip = "127.0.0.1";
	f->conf.port = httpd_port(f->md);
	f->conf.allocation_interval_ms = 50;
	f->conf.ping_timeout_ms = 60000;
	f->conf.max_ping_timeouts = 5;
	f->conf.version = "test";
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	master_free(f->m);
	httpd_free(f->ad);
	httpd_free(f->md);
	httpc_free(f->hc);
	ut_run_until(g->l, NULL, 20); /* deferred frees */
	store_close(f->st);
	loop_free(f->l);
	ut_rm_rf(f->dir);
	free(f);
	g = NULL;
	return 0;
}

static void
test_register_and_restart(void **state)
{
	struct master_agent *a, *b, *c;
	struct buf v = BUF_INIT;
	char key[256], prefix[128], id_a[128], id_b[128];
	json_t *j;

	(void)state;
	master_start();

	a = agent_register(NULL, "agent-a", closed_port(), NULL, 0);
	snprintf(id_a, sizeof id_a, "%s", a->info.id);
	snprintf(prefix, sizeof prefix, "%s-S", master_id(g->m));
	assert_memory_equal(id_a, prefix, strlen(prefix));
	assert_int_equal(a->state, MASTER_AGENT_ACTIVE);
	assert_ptr_equal(master_agent_find(g->m, id_a), a);
	/* Recorded before the reply. */
	snprintf(key, sizeof key, "agent/%s", id_a);
	assert_int_equal(store_get(g->st, STORE_DB_MASTER, key, &v), 0);
	j = json_loads(buf_str(&v), 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "hostname")),
			    "agent-a");
	json_decref(j);
	buf_release(&v);
	/* Its resources are offered. */
	want_offer_agent = id_a;
	ut_run_until(g->l, offered, WAIT_MS);
	assert_true(offered());

	b = agent_register(NULL, "agent-b", closed_port(), NULL, 0);
	snprintf(id_b, sizeof id_b, "%s", b->info.id);
	assert_string_not_equal(id_a, id_b);
	/* An id the master never gave (its registry was lost): kept. */
	c = agent_register("elsewhere-S7", "agent-c", closed_port(), NULL, 0);
	assert_string_equal(c->info.id, "elsewhere-S7");
	assert_int_equal(agent_count(), 3);

	/* The master restarts: the agents are known, not registered yet. */
	master_free(g->m);
	g->m = NULL;
	master_start();
	assert_int_equal(agent_count(), 3);
	a = master_agent_find(g->m, id_a);
	assert_non_null(a);
	assert_int_equal(a->state, MASTER_AGENT_RECOVERED);
	assert_string_equal(a->info.hostname, "agent-a");
	/* It re-registers with its id: the same agent, active again. */
	b = agent_register(id_a, "agent-a", closed_port(), NULL, 0);
	assert_ptr_equal(b, a);
	assert_int_equal(a->state, MASTER_AGENT_ACTIVE);
	assert_int_equal(agent_count(), 3);
	/* A new agent does not reuse an id given before the restart. */
	c = agent_register(NULL, "agent-d", closed_port(), NULL, 0);
	assert_string_not_equal(c->info.id, id_a);
	assert_string_not_equal(c->info.id, id_b);
}

/*
 * An agent's id stands for its hostname, attributes and resources: they
 * may grow (Mesos' additive policy), not change or shrink.
 */
static void
test_identity(void **state)
{
	struct master_agent *a, *b;
	struct cd_err err = {0};
	struct buf v = BUF_INIT;
	char id[128], key[256];

	(void)state;
	master_start();
	a = agent_register(NULL, "agent-a", closed_port(), NULL, 0);
	snprintf(id, sizeof id, "%s", a->info.id);
	snprintf(key, sizeof key, "agent/%s", id);

	/* Another hostname: refused, saying so; the record is unchanged. */
	assert_int_equal(agent_register_as(id, "agent-b", closed_port(),
					   AGENT_RES, AGENT_ATTRS, NULL, 0, &b,
					   &err),
			 -EPERM);
	assert_null(b);
	assert_non_null(strstr(err.msg, "hostname changed from 'agent-a' to "
					"'agent-b'"));
	assert_string_equal(a->info.hostname, "agent-a");
	assert_int_equal(store_get(g->st, STORE_DB_MASTER, key, &v), 0);
	assert_non_null(strstr(buf_str(&v), "agent-a"));
	buf_release(&v);
	/* A changed attribute, a removed one, fewer cpus, fewer ports. */
	assert_int_equal(agent_register_as(id, "agent-a", closed_port(),
					   AGENT_RES, "{\"rack\": \"r2\"}",
					   NULL, 0, &b, &err),
			 -EPERM);
	assert_non_null(strstr(err.msg, "'rack' changed from 'r1' to 'r2'"));
	assert_int_equal(agent_register_as(id, "agent-a", closed_port(),
					   AGENT_RES, "{}", NULL, 0, &b, &err),
			 -EPERM);
	assert_non_null(strstr(err.msg, "'rack'"));
	assert_int_equal(
	    agent_register_as(id, "agent-a", closed_port(),
			      "cpus:2;mem:2048;ports:[31000-31009]",
			      AGENT_ATTRS, NULL, 0, &b, &err),
	    -EPERM);
	assert_non_null(strstr(err.msg, "resources shrank"));
	assert_int_equal(
	    agent_register_as(id, "agent-a", closed_port(),
			      "cpus:4;mem:2048;ports:[31000-31004]",
			      AGENT_ATTRS, NULL, 0, &b, &err),
	    -EPERM);
	/* Less disk is no change of identity: it is detected free space. */
	assert_int_equal(
	    agent_register_as(id, "agent-a", closed_port(),
			      "cpus:4;mem:2048;disk:100;ports:[31000-31009]",
			      AGENT_ATTRS, NULL, 0, &b, &err),
	    0);
	assert_int_equal(
	    agent_register_as(id, "agent-a", closed_port(),
			      "cpus:4;mem:2048;disk:10;ports:[31000-31009]",
			      AGENT_ATTRS, NULL, 0, &b, &err),
	    0);
	assert_ptr_equal(b, a);
	assert_true(a->info.total.disk > 9.99 && a->info.total.disk < 10.01);
	/* More resources and a new attribute: the same agent, updated. */
	assert_int_equal(
	    agent_register_as(id, "agent-a", closed_port(),
			      "cpus:8;mem:4096;ports:[31000-31099]",
			      "{\"rack\": \"r1\", \"zone\": \"z\"}", NULL, 0,
			      &b, &err),
	    0);
	assert_ptr_equal(b, a);
	assert_true(a->info.total.cpus > 7.99);
	assert_string_equal(
	    json_string_value(json_object_get(a->info.attributes, "zone")),
	    "z");
	/* Measured against the new identity now. */
	assert_int_equal(agent_register_as(id, "agent-a", closed_port(),
					   AGENT_RES, AGENT_ATTRS, NULL, 0, &b,
					   &err),
			 -EPERM);
	/* An id the master does not know has nothing to be measured by. */
	assert_int_equal(agent_register_as("elsewhere-S3", "agent-z",
					   closed_port(), AGENT_RES, "{}", NULL,
					   0, &b, &err),
			 0);
}

static void
test_reregister_adopts_tasks(void **state)
{
	struct master_agent *a;
	struct wire_status reported[3];
	struct resources total, used;
	const char *reason = NULL;
	char id[128];

	(void)state;
	master_start();
	a = agent_register(NULL, "agent-a", closed_port(), NULL, 0);
	snprintf(id, sizeof id, "%s", a->info.id);
	task_place(a, "kept");
	task_place(a, "vanished");
	task_place(a, "done");
	assert_true(stored("task/vanished"));

	/*
	 * The agent comes back with "kept", one the master never saw, and
	 * "done", which finished meanwhile.
	 */
	task_report(&reported[0], id, "kept", TASK_RUNNING);
	task_report(&reported[1], id, "adopted", TASK_RUNNING);
	task_report(&reported[2], id, "done", TASK_FINISHED);
	assert_ptr_equal(
	    agent_register(id, "agent-a", closed_port(), reported, 3), a);
	wire_status_release(&reported[0]);
	wire_status_release(&reported[1]);
	wire_status_release(&reported[2]);

	assert_int_equal(ut_fw_status_of(&g->fw, "kept", NULL), TASK_RUNNING);
	assert_int_equal(master_task_find(g->m, "kept")->status.state,
			 TASK_RUNNING);
	/* The one it did not know is adopted, and recorded. */
	assert_non_null(master_task_find(g->m, "adopted"));
	assert_true(stored("task/adopted"));
	assert_int_equal(ut_fw_status_of(&g->fw, "adopted", NULL),
			 TASK_RUNNING);
	/* The one it no longer has is lost, and its record goes. */
	assert_int_equal(ut_fw_status_of(&g->fw, "vanished", &reason),
			 TASK_LOST);
	assert_string_equal(reason, "REASON_RECONCILIATION");
	assert_null(master_task_find(g->m, "vanished"));
	ut_run_until(g->l, NULL, 20);
	assert_false(stored("task/vanished"));
	assert_int_equal(ut_fw_status_of(&g->fw, "done", NULL), TASK_FINISHED);
	assert_null(master_task_find(g->m, "done"));
	/*
	 * The allocator holds what the two running tasks use: what ended
	 * released nothing from them.
	 */
	assert_int_equal(
	    master_alloc_agent_usage(g->m->alloc, id, &total, &used), 0);
	assert_true(used.cpus > 1.99 && used.cpus < 2.01);
	assert_true(used.mem > 255.9 && used.mem < 256.1);
	res_free(&total);
	res_free(&used);
}

static const struct master_agent *want_agent;
static enum master_agent_state want_state;
static int
agent_in_state(void)
{
	return want_agent->state == want_state;
}

/*
 * An agent has no say about another agent's tasks: a re-registration
 * that reports one (failed, say) changes nothing, and is not adopted.
 * Each registration gets a token of its own when the agent asks for one
 * (an older agent gets none).
 */
static void
test_reregister_reports_only_own_tasks(void **state)
{
	struct master_agent *a, *b;
	struct wire_status reported;
	char a_id[128], b_id[128], tok[64];

	(void)state;
	master_start();
	a = agent_register(NULL, "agent-a", closed_port(), NULL, 0);
	snprintf(a_id, sizeof a_id, "%s", a->info.id);
	b = agent_register(NULL, "agent-b", closed_port(), NULL, 0);
	snprintf(b_id, sizeof b_id, "%s", b->info.id);
	assert_null(a->token); /* registered without asking for one */
	task_place(a, "on-a");

	task_report(&reported, b_id, "on-a", TASK_FAILED);
	assert_ptr_equal(
	    agent_register(b_id, "agent-b", closed_port(), &reported, 1), b);
	wire_status_release(&reported);
	assert_int_equal(ut_fw_status_of(&g->fw, "on-a", NULL), -1);
	assert_int_equal(master_task_find(g->m, "on-a")->status.state,
			 TASK_STAGING);
	assert_string_equal(master_task_find(g->m, "on-a")->task.agent_id,
			    a_id);

	g->status_token = 1;
	assert_ptr_equal(
	    agent_register(a_id, "agent-a", closed_port(), NULL, 0), a);
	assert_non_null(a->token);
	snprintf(tok, sizeof tok, "%s", a->token);
	assert_ptr_equal(
	    agent_register(a_id, "agent-a", closed_port(), NULL, 0), a);
	assert_non_null(a->token);
	assert_string_not_equal(a->token, tok);
	/* "on-a" was not in either report: lost, as before. */
	assert_int_equal(ut_fw_status_of(&g->fw, "on-a", NULL), TASK_LOST);
}

static void
test_ping_miss_unreachable(void **state)
{
	struct master_agent *alive, *dead;
	struct wire_status reported;
	const char *reason = NULL;
	char dead_id[128];

	(void)state;
	g->conf.ping_timeout_ms = 300;
	g->conf.max_ping_timeouts = 3;
	master_start();
	alive = agent_register(NULL, "alive", httpd_port(g->ad), NULL, 0);
	dead = agent_register(NULL, "dead", closed_port(), NULL, 0);
	snprintf(dead_id, sizeof dead_id, "%s", dead->info.id);
	task_place(dead, "stranded");
	task_place(alive, "safe");

	/* One ping missed: silent, no offers; its task as it was. */
	want_agent = dead;
	want_state = MASTER_AGENT_SILENT;
	ut_run_until(g->l, agent_in_state, WAIT_MS);
	assert_int_equal(dead->state, MASTER_AGENT_SILENT);
	assert_int_equal(ut_fw_status_of(&g->fw, "stranded", NULL), -1);
	want_state = MASTER_AGENT_UNREACHABLE;
	ut_run_until(g->l, agent_in_state, WAIT_MS);
	assert_int_equal(dead->state, MASTER_AGENT_UNREACHABLE);
	assert_int_equal(ut_fw_status_of(&g->fw, "stranded", &reason),
			 TASK_UNREACHABLE);
	assert_string_equal(reason, "REASON_SLAVE_REMOVED");
	assert_int_equal(g->nlost, 1);
	assert_string_equal(g->lost_agent, dead_id);
	/* Still known: an unreachable task is not forgotten. */
	assert_non_null(master_task_find(g->m, "stranded"));
	/* The one that answers its pings stays. */
	assert_true(g->pings > 0);
	assert_int_equal(alive->state, MASTER_AGENT_ACTIVE);
	assert_int_equal(ut_fw_status_of(&g->fw, "safe", NULL), -1);
	/* The unreachable agent is out of the allocator: not offered. */
	g->noffers = 0;
	want_offer_agent = alive->info.id;
	ut_run_until(g->l, offered, WAIT_MS);
	want_offer_agent = dead_id;
	assert_false(offered());

	/* It comes back with its task: re-admitted, the task RUNNING. */
	task_report(&reported, dead_id, "stranded", TASK_RUNNING);
	assert_ptr_equal(
	    agent_register(dead_id, "dead", httpd_port(g->ad), &reported, 1),
	    dead);
	wire_status_release(&reported);
	assert_int_equal(dead->state, MASTER_AGENT_ACTIVE);
	assert_int_equal(ut_fw_status_of(&g->fw, "stranded", NULL),
			 TASK_RUNNING);
	ut_run_until(g->l, offered, WAIT_MS);
	assert_true(offered());
}

/* An agent that stops answering its pings gets no offers until it does. */
static void
test_silent_agent_not_offered(void **state)
{
	struct master_agent *a;
	char id[128];

	(void)state;
	g->conf.ping_timeout_ms = 200;
	g->conf.max_ping_timeouts = 1000;
	master_start();
	a = agent_register(NULL, "flaky", httpd_port(g->ad), NULL, 0);
	snprintf(id, sizeof id, "%s", a->info.id);
	want_offer_agent = id;
	ut_run_until(g->l, offered, WAIT_MS);
	assert_true(offered());

	g->ping_status = 503;
	want_agent = a;
	want_state = MASTER_AGENT_SILENT;
	ut_run_until(g->l, agent_in_state, WAIT_MS);
	assert_int_equal(a->state, MASTER_AGENT_SILENT);
	g->noffers = 0;
	ut_run_until(g->l, NULL, 600); /* several allocation cycles */
	assert_false(offered());

	g->ping_status = 200;
	want_state = MASTER_AGENT_ACTIVE;
	ut_run_until(g->l, agent_in_state, WAIT_MS);
	assert_int_equal(a->state, MASTER_AGENT_ACTIVE);
	ut_run_until(g->l, offered, WAIT_MS);
	assert_true(offered());
}

static int
have_kept_offer(void)
{
	return g->kept_offer[0] != '\0';
}

static int
task_dropped(void)
{
	return ut_fw_status_of(&g->fw, "dropped", NULL) == TASK_DROPPED;
}

/*
 * An agent that drops a launch (issue 11: 70 launches in 58 s into an
 * agent that dropped each) gets no offers until it answers again.
 */
static void
test_dropped_launch_silences_agent(void **state)
{
	const struct framework_master_ops *ops = master_framework_ops();
	struct master_agent *a;
	struct wire_task wt;
	struct cd_err err = {0};
	char id[128];

	(void)state;
	g->conf.ping_timeout_ms = 200;
	g->conf.max_ping_timeouts = 1000;
	master_start();
	g->keep_offer = 1;
	a = agent_register(NULL, "dropper", httpd_port(g->ad), NULL, 0);
	snprintf(id, sizeof id, "%s", a->info.id);
	ut_run_until(g->l, have_kept_offer, WAIT_MS);
	assert_true(have_kept_offer());

	g->run_status = 409;
	g->ping_status = 503;
	wt = task_make("dropped", "cpus:1;mem:128");
	assert_int_equal(
	    ops->launch(g->m, g->fw.id, g->kept_offer, &wt, 1, &err), 0);
	wire_task_release(&wt);
	ut_run_until(g->l, task_dropped, WAIT_MS);
	assert_int_equal(ut_fw_status_of(&g->fw, "dropped", NULL),
			 TASK_DROPPED);
	assert_int_equal(g->runs, 1);
	assert_int_equal(a->state, MASTER_AGENT_SILENT);
	g->noffers = 0;
	want_offer_agent = id;
	ut_run_until(g->l, NULL, 600); /* several allocation cycles */
	assert_false(offered());

	g->ping_status = 200;
	ut_run_until(g->l, offered, WAIT_MS);
	assert_true(offered());
	assert_int_equal(a->state, MASTER_AGENT_ACTIVE);
}

static int want_pings;
static int
have_pings(void)
{
	return g->pings >= want_pings;
}

/*
 * A restarted master asks the agents of its registry to re-register at
 * once, with a new epoch, instead of waiting a ping interval; it declares
 * one unreachable only after agent_reregister_timeout.
 */
static void
test_restart_asks_agents_back(void **state)
{
	struct master_agent *a;
	char id[128], epoch1[64];

	(void)state;
	g->conf.ping_timeout_ms = 100;
	g->conf.reregister_timeout_ms = 60000;
	master_start();
	a = agent_register(NULL, "agent-a", httpd_port(g->ad), NULL, 0);
	snprintf(id, sizeof id, "%s", a->info.id);
	task_place(a, "keeps");
	want_pings = 1;
	ut_run_until(g->l, have_pings, WAIT_MS);
	assert_int_equal(g->last_reregister, 0);
	snprintf(epoch1, sizeof epoch1, "%s", g->last_epoch);
	assert_true(epoch1[0] != '\0');

	master_free(g->m);
	g->m = NULL;
	g->pings = 0;
	g->conf.ping_timeout_ms = 60000; /* no interval passes in the test */
	master_start();
	want_pings = 1;
	ut_run_until(g->l, have_pings, WAIT_MS);
	assert_int_equal(g->pings, 1);
	assert_int_equal(g->last_reregister, 1);
	assert_string_not_equal(g->last_epoch, epoch1);
	a = master_agent_find(g->m, id);
	assert_int_equal(a->state, MASTER_AGENT_RECOVERED);
	assert_int_equal(ut_fw_status_of(&g->fw, "keeps", NULL), -1);

	/* With a short timeout, an agent that does not come back is
	 * unreachable, its tasks with it. */
	master_free(g->m);
	g->m = NULL;
	g->conf.ping_timeout_ms = 100;
	g->conf.reregister_timeout_ms = 1500;
	master_start();
	a = master_agent_find(g->m, id);
	assert_int_equal(a->state, MASTER_AGENT_RECOVERED);
	want_agent = a;
	want_state = MASTER_AGENT_UNREACHABLE;
	ut_run_until(g->l, agent_in_state, WAIT_MS);
	assert_int_equal(a->state, MASTER_AGENT_UNREACHABLE);
	assert_int_equal(ut_fw_status_of(&g->fw, "keeps", NULL),
			 TASK_UNREACHABLE);
	/* The fake agent answered 200 to being asked to re-register: an
	 * older agent; it is not pinged while it is not registered. */
	assert_true(a->legacy);
	g->pings = 0;
	ut_run_until(g->l, NULL, 400);
	assert_int_equal(g->pings, 0);
}

static const char *want_kill;
static int
have_kill(void)
{
	return killed(want_kill);
}

/*
 * Tasks of a framework that is not attached are orphans, killed through
 * their agent after the grace; a task the master does not know is killed
 * through the agent the framework names.
 */
static void
test_orphans_and_unknown_kills(void **state)
{
	const struct framework_master_ops *ops = master_framework_ops();
	struct master_agent *a;
	struct wire_status reported[2];
	char id[128];

	(void)state;
	g->conf.orphan_grace_ms = 1000;
	master_start();
	a = agent_register(NULL, "agent-a", httpd_port(g->ad), NULL, 0);
	snprintf(id, sizeof id, "%s", a->info.id);

	/* It comes back with a task of ours and one of another framework. */
	task_report(&reported[0], id, "ours", TASK_RUNNING);
	task_report(&reported[1], id, "foreign", TASK_RUNNING);
	free(reported[1].framework_id);
	reported[1].framework_id = strdup("other-framework");
	assert_ptr_equal(
	    agent_register(id, "agent-a", httpd_port(g->ad), reported, 2), a);
	wire_status_release(&reported[0]);
	wire_status_release(&reported[1]);
	assert_non_null(master_task_find(g->m, "foreign"));
	assert_false(
	    master_task_attached(g->m, master_task_find(g->m, "foreign")));
	assert_true(master_task_attached(g->m, master_task_find(g->m, "ours")));
	/* Not at once: the grace first. */
	ut_run_until(g->l, NULL, 50);
	assert_false(killed("foreign"));
	want_kill = "foreign";
	ut_run_until(g->l, have_kill, WAIT_MS);
	assert_true(killed("foreign"));
	assert_false(killed("ours"));
	/* Not sent again while the grace runs once more. */
	ut_run_until(g->l, NULL, 100);
	assert_int_equal(g->nkills, 1);

	/* A task nobody recorded: killed through the agent named. */
	assert_int_equal(ops->kill(g->m, g->fw.id, "ghost", id, 0), 0);
	want_kill = "ghost";
	ut_run_until(g->l, have_kill, WAIT_MS);
	assert_true(killed("ghost"));
	/* Without a known agent there is nothing to kill it on. */
	assert_int_equal(ops->kill(g->m, g->fw.id, "ghost", "nowhere-S1", 0),
			 -ENOENT);
	assert_int_equal(ops->kill(g->m, g->fw.id, "ghost", NULL, 0), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_register_and_restart, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_reregister_adopts_tasks, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_reregister_reports_only_own_tasks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ping_miss_unreachable, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_silent_agent_not_offered,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dropped_launch_silences_agent,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_asks_agents_back,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_orphans_and_unknown_kills,
					    setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
