/*
 * test_master_outbox.c: a real master (in-memory store, its own httpd)
 * and a scripted fake agent on loopback that holds every RunTask until the
 * test answers it, with a fake framework that launches on the first offer:
 *  - at most MASTER_OUTBOX_IN_FLIGHT RunTasks in flight per agent, the
 *    rest queued in the master;
 *  - a kill of a task whose RunTask is still queued takes it back: the
 *    framework hears TASK_KILLED and the agent never sees the task;
 *  - a kill of a task whose RunTask is in flight waits for its answer,
 *    and a repeated kill is not queued twice;
 *  - a RunTask answered with an error is TASK_DROPPED; one that timed out
 *    after it was sent is not (the agent may run it).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
#include "master/master_outbox.h"
#include "tests/unit/unit_fw.h"
#include "tests/unit/unit_util.h"

#define NTASKS 6
#define PING_TIMEOUT_MS                                                        \
	1500 /* also RunTask's timeout: the test answers within it */

struct held {
	struct httpd_req *req; /* borrowed: answered by the test */
	char task_id[64];
};

struct fx {
	struct loop *l;
	struct store *st;
	struct httpc *hc;
	struct httpd *md, *ad; /* the master's and the fake agent's */
	struct master *m;
	/* fake agent */
	char agent_id[128];
	struct held runs[16];
	int nruns;
	char kills[16][64];
	int nkills;
	int run_answered[NTASKS]; /* RunTasks answered when a kill came */
	/* fake framework */
	struct ut_fw fw;
	char offer_id[128];
	int offers;
};

static struct fx *g;

/* ---- fake agent ---- */

static void
h_run(struct httpd_req *r, void *arg)
{
	struct wire_run_task rt = {0};
	size_t len;
	const char *body = httpd_req_body(r, &len);
	json_t *j = json_parse_bounded(body, len, NULL);

	(void)arg;
	assert_non_null(j);
	assert_int_equal(wire_run_task_decode(j, &rt, NULL), 0);
	json_decref(j);
	assert_true(g->nruns < (int)CD_NELEM(g->runs));
	g->runs[g->nruns].req = r;
	snprintf(g->runs[g->nruns].task_id, sizeof g->runs[0].task_id, "%s",
		 rt.task.task_id);
	g->nruns++;
	wire_run_task_release(&rt);
}

static void
h_kill(struct httpd_req *r, void *arg)
{
	struct wire_kill_task k = {0};
	size_t len;
	const char *body = httpd_req_body(r, &len);
	json_t *j = json_parse_bounded(body, len, NULL);
	int i;

	(void)arg;
	assert_non_null(j);
	assert_int_equal(wire_kill_task_decode(j, &k, NULL), 0);
	json_decref(j);
	snprintf(g->kills[g->nkills], sizeof g->kills[0], "%s", k.task_id);
	/* Was the kill's RunTask answered before it came? */
	for (i = 0; i < g->nruns; i++)
		if (strcmp(g->runs[i].task_id, k.task_id) == 0)
			g->run_answered[g->nkills] = g->runs[i].req == NULL;
	g->nkills++;
	wire_kill_task_release(&k);
	httpd_reply_json(r, 202, json_object());
}

static void
h_ping(struct httpd_req *r, void *arg)
{
	(void)arg;
	httpd_reply_json(r, 200, json_object());
}

static const struct httpd_route agent_routes[] = {
    {HTTPD_POST, "/internal/run_task", h_run},
    {HTTPD_POST, "/internal/kill_task", h_kill},
    {HTTPD_POST, "/internal/ping", h_ping},
};

/* Answer the held RunTask of task_id with code. */
static void
answer_run(const char *task_id, int code)
{
	int i;

	for (i = 0; i < g->nruns; i++) {
		if (strcmp(g->runs[i].task_id, task_id) != 0)
			continue;
		assert_non_null(g->runs[i].req);
		if (code >= 300)
			httpd_reply_error(g->runs[i].req, code, "no", NULL);
		else
			httpd_reply_json(g->runs[i].req, code, json_object());
		g->runs[i].req = NULL;
		return;
	}
	fail_msg("no RunTask for %s", task_id);
}

static bool
agent_got_run(const char *task_id)
{
	int i;

	for (i = 0; i < g->nruns; i++)
		if (strcmp(g->runs[i].task_id, task_id) == 0)
			return true;
	return false;
}

static void
register_done(const struct httpc_resp *r, void *arg)
{
	struct wire_registered ok = {0};
	json_t *j;

	(void)arg;
	assert_int_equal(r->status, 200);
	j = json_parse_bounded(r->body, r->len, NULL);
	assert_non_null(j);
	assert_int_equal(wire_registered_decode(j, &ok, NULL), 0);
	snprintf(g->agent_id, sizeof g->agent_id, "%s", ok.agent_id);
	wire_registered_release(&ok);
	json_decref(j);
}

/* ---- fake framework hook (tests/unit/unit_fw.c) ---- */

/* Keep the first offer for the launch; the others are declined. */
static int
fw_offer(void *arg, const struct fw_offer *o)
{
	(void)arg;
	if (g->offers++ == 0) {
		snprintf(g->offer_id, sizeof g->offer_id, "%s", o->id);
		return 1;
	}
	return 0;
}

static int
have_agent(void)
{
	return g->agent_id[0] != '\0';
}

static int
have_offer(void)
{
	return g->offer_id[0] != '\0';
}

static int want_runs;
static int
have_runs(void)
{
	return g->nruns >= want_runs;
}

static int want_kills;
static int
have_kills(void)
{
	return g->nkills >= want_kills;
}

static int want_statuses;
static int
have_statuses(void)
{
	return g->fw.n >= want_statuses;
}

static void
task_id_of(int i, char *buf, size_t n)
{
	snprintf(buf, n, "app.task-%d", i);
}

static void
test_outbox(void **state)
{
	struct fx f;
	struct cd_err err = {0};
	struct master_conf conf = {0};
	struct wire_register reg = {0};
	struct wire_task tasks[NTASKS];
	struct httpc_opts o = {0};
	const struct framework_master_ops *ops = master_framework_ops();
	char url[128], id[64], *body;
	struct buf b = BUF_INIT;
	json_t *j;
	int i;

	(void)state;
	memset(&f, 0, sizeof f);
	g = &f;
	signal(SIGPIPE, SIG_IGN);
	f.l = loop_new();
	assert_int_equal(store_open(NULL, STORE_IN_MEMORY, &f.st, &err), 0);
	f.hc = httpc_new(f.l);
	assert_int_equal(httpd_new(f.l, "127.0.0.1", 0, &f.md, &err), 0);
	assert_int_equal(httpd_new(f.l, "127.0.0.1", 0, &f.ad, &err), 0);
	httpd_add_routes(f.ad, agent_routes, CD_NELEM(agent_routes), &f);
	conf.hostname = "master.test";
	conf.advertise_ip = "127.0.0.1";
	conf.port = httpd_port(f.md);
	conf.allocation_interval_ms = 50;
	conf.ping_timeout_ms = PING_TIMEOUT_MS;
	conf.max_ping_timeouts = 100;
	conf.version = "test";
	assert_int_equal(master_new(f.l, f.st, f.hc, f.md, &conf, &f.m, &err),
			 0);
	f.fw.m = f.m;
	f.fw.offer = fw_offer;
	f.fw.decline_s = 60;
	assert_int_equal(
	    master_framework_add(f.m, "test", NULL, &ut_fw_ops, &f.fw), 0);

	/* The fake agent registers. */
	reg.agent.hostname = (char *)"agent.test";
	reg.agent.ip = (char *)"127.0.0.1";
	reg.agent.port = httpd_port(f.ad);
	assert_int_equal(res_parse("cpus:8;mem:1024", &reg.agent.total, &err),
			 0);
	reg.agent.attributes = json_object();
	j = wire_register_encode(&reg);
	json_decref(reg.agent.attributes);
	body = json_dumps(j, 0);
	json_decref(j);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/internal/register",
		 httpd_port(f.md));
	o.method = "POST";
	o.url = url;
	o.body = body;
	o.body_len = strlen(body);
	httpc_request(f.hc, &o, register_done, NULL);
	free(body);
	ut_run_until(g->l, have_agent, 3000);
	assert_true(have_agent());
	ut_run_until(g->l, have_offer, 3000);
	assert_true(have_offer());

	/* Six tasks on one offer: four go, two wait in the master. */
	memset(tasks, 0, sizeof tasks);
	for (i = 0; i < NTASKS; i++) {
		task_id_of(i, id, sizeof id);
		tasks[i].task_id = strdup(id);
		tasks[i].framework_id = strdup(f.fw.id);
		tasks[i].app_id = strdup("/app");
		tasks[i].version = strdup("2026-01-01T00:00:00.000Z");
		tasks[i].name = strdup("app");
		tasks[i].cmd = strdup("sleep 1000");
		tasks[i].env = json_object();
		tasks[i].labels = json_object();
		tasks[i].uris = json_array();
		assert_int_equal(
		    res_parse("cpus:0.1;mem:16", &tasks[i].res, &err), 0);
	}
	assert_int_equal(
	    ops->launch(f.m, f.fw.id, f.offer_id, tasks, NTASKS, &err), 0);
	for (i = 0; i < NTASKS; i++)
		wire_task_release(&tasks[i]);
	want_runs = MASTER_OUTBOX_IN_FLIGHT;
	ut_run_until(g->l, have_runs, 3000);
	ut_run_until(g->l, NULL, 100);
	assert_int_equal(f.nruns, MASTER_OUTBOX_IN_FLIGHT);
	assert_int_equal(NTASKS, MASTER_OUTBOX_IN_FLIGHT + 2);

	/* Killed while queued: taken back, reported killed, never sent. */
	assert_int_equal(ops->kill(f.m, f.fw.id, "app.task-5", NULL, 0), 0);
	want_statuses = 1;
	ut_run_until(g->l, have_statuses, 2000);
	assert_int_equal(ut_fw_status_of(&g->fw, "app.task-5", NULL),
			 TASK_KILLED);
	assert_string_equal(f.fw.reason[0], "REASON_TASK_KILLED_DURING_LAUNCH");
	assert_int_equal(f.nkills, 0);

	/* Killed while its RunTask is in flight: the kill waits for it,
	 * and a second kill is not queued again. */
	assert_int_equal(ops->kill(f.m, f.fw.id, "app.task-0", NULL, 0), 0);
	assert_int_equal(ops->kill(f.m, f.fw.id, "app.task-0", NULL, 0), 0);
	ut_run_until(g->l, NULL, 100);
	assert_int_equal(f.nkills, 0);
	answer_run("app.task-0", 202); /* task-4 takes the slot */
	want_runs = MASTER_OUTBOX_IN_FLIGHT + 1;
	ut_run_until(g->l, have_runs, 2000);
	assert_true(agent_got_run("app.task-4"));
	assert_int_equal(f.nkills, 0); /* all slots are busy again */
	answer_run("app.task-1", 202);
	want_kills = 1;
	ut_run_until(g->l, have_kills, 2000);
	ut_run_until(g->l, NULL, 100);
	assert_int_equal(f.nkills, 1);
	assert_string_equal(f.kills[0], "app.task-0");
	assert_true(f.run_answered[0]);
	assert_false(agent_got_run("app.task-5"));

	/* An error answer drops the task; a timeout after sending does not. */
	answer_run("app.task-2", 409);
	want_statuses = 2;
	ut_run_until(g->l, have_statuses, 2000);
	assert_int_equal(ut_fw_status_of(&g->fw, "app.task-2", NULL),
			 TASK_DROPPED);
	ut_run_until(g->l, NULL,
		     PING_TIMEOUT_MS + 400); /* task-3 and -4 time out */
	assert_int_equal(ut_fw_status_of(&g->fw, "app.task-3", NULL), -1);
	assert_int_equal(ut_fw_status_of(&g->fw, "app.task-4", NULL), -1);
	assert_int_equal(f.fw.n, 2);
	/* The records of ended tasks are gone (one commit per pass), the
	 * others stay. */
	assert_int_equal(
	    store_get(f.st, STORE_DB_MASTER, "task/app.task-5", &b), -ENOENT);
	assert_int_equal(
	    store_get(f.st, STORE_DB_MASTER, "task/app.task-2", &b), -ENOENT);
	assert_int_equal(
	    store_get(f.st, STORE_DB_MASTER, "task/app.task-3", &b), 0);
	buf_release(&b);

	/* Answering a request whose client went is how it is freed. */
	for (i = 0; i < f.nruns; i++)
		if (f.runs[i].req != NULL)
			answer_run(f.runs[i].task_id, 202);
	master_free(f.m);
	httpd_free(f.ad);
	httpd_free(f.md);
	httpc_free(f.hc);
	ut_run_until(g->l, NULL, 20); /* deferred frees */
	store_close(f.st);
	loop_free(f.l);
	g = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_outbox),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
