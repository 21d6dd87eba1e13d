/*
 * test_master_tasks.c: the master's task registry (master_tasks.c),
 * driven through its functions on a real loop, with a real store in a
 * mkdtemp directory and a fake framework attached in-process:
 *  - tasks are added once (a second task with the same id is refused),
 *    found by id, recorded under "task/<id>" (one commit, or several in
 *    one batch), and read back by a restarted master;
 *  - status updates move a task along the legal transitions and reach the
 *    framework; older news is acknowledged but changes nothing; a status
 *    the framework has not recorded stays unacknowledged;
 *  - a task that ended is forgotten at once, its resources go back to the
 *    allocator, and its record is deleted at the end of the loop pass, in
 *    one commit with the others; a task known again by then keeps its new
 *    record; a task whose framework is gone ends without being reported.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
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

struct fx {
	struct loop *l;
	char dir[256];
	struct store *st;
	struct httpc *hc;
	struct httpd *md;
	struct master *m;
	struct master_conf conf;
	struct master_agent *a; /* borrowed: the master's */
	struct ut_fw fw; /* the fake framework, declining every offer */
};

static struct fx *g;

/* ---- helpers ---- */

static void
master_start(void)
{
	struct cd_err err = {0};

	assert_int_equal(
	    master_new(g->l, g->st, g->hc, g->md, &g->conf, &g->m, &err), 0);
	g->fw.m = g->m;
	assert_int_equal(master_framework_add(g->m, "test",
					      g->fw.id[0] ? g->fw.id : NULL,
					      &ut_fw_ops, &g->fw),
			 0);
	ut_run_until(g->l, NULL, 20); /* registered */
	assert_true(g->fw.id[0] != '\0');
}

/* One agent for the tasks, registered through master_agents.c. */
static void
agent_start(void)
{
	struct wire_register reg;
	struct cd_err err = {0};

	memset(&reg, 0, sizeof reg);
	reg.agent.hostname = strdup("agent-a");
	reg.agent.ip = strdup("127.0.0.1");
	reg.agent.port = 9; /* pinged, answering nothing: it is only silent */
	assert_int_equal(res_parse("cpus:4;mem:2048", &reg.agent.total, &err),
			 0);
	reg.agent.attributes = json_object();
	assert_int_equal(master_agents_register(g->m, &reg, &g->a, NULL), 0);
	wire_register_release(&reg);
}

/* A new task of the framework on the agent (not on the list yet). */
static struct master_task *
task_new(const char *id, const char *fw_id)
{
	struct wire_task wt;
	struct master_task *t;
	struct cd_err err = {0};

	memset(&wt, 0, sizeof wt);
	wt.task_id = strdup(id);
	wt.framework_id = strdup(fw_id);
	wt.name = strdup("app");
	wt.cmd = strdup("sleep 1000");
	wt.env = json_object();
	assert_int_equal(res_parse("cpus:1;mem:128", &wt.res, &err), 0);
	t = master_task_new(&wt, fw_id, g->a);
	wire_task_release(&wt);
	return t;
}

/* Add a task as a launch does: on the list, recorded, its resources held. */
static struct master_task *
task_launch(const char *id)
{
	struct master_task *t = task_new(id, g->fw.id);

	assert_int_equal(master_task_add(g->m, t), 0);
	assert_int_equal(master_task_persist(g->m, t), 0);
	assert_int_equal(master_alloc_allocate(g->m->alloc, g->a->info.id,
					       g->fw.id, &t->task.res),
			 0);
	return t;
}

/* What the agent says about a task. */
static int
task_status(const char *id, enum task_state state)
{
	struct wire_status st;
	char task_id[64];
	int rc;

	snprintf(task_id, sizeof task_id, "%s", id);
	memset(&st, 0, sizeof st);
	st.uuid = (char *)"11111111-1111-1111-1111-111111111111";
	st.task_id = task_id;
	st.framework_id = g->fw.id;
	st.agent_id = g->a->info.id;
	st.state = state;
	st.source = (char *)"SOURCE_EXECUTOR";
	rc = master_task_forward(g->m, &st);
	return rc;
}

/* The task's record, parsed (NULL when there is none). */
static json_t *
record_of(const char *id)
{
	struct buf b = BUF_INIT;
	char key[128];
	json_t *j = NULL;

	snprintf(key, sizeof key, "task/%s", id);
	if (store_get(g->st, STORE_DB_MASTER, key, &b) == 0)
		j = json_loads(buf_str(&b), 0, NULL);
	buf_release(&b);
	return j;
}

static int
recorded(const char *id)
{
	json_t *j = record_of(id);

	json_decref(j);
	return j != NULL;
}

static double
agent_cpus_used(void)
{
	struct resources total, used;
	double cpus;

	assert_int_equal(
	    master_alloc_agent_usage(g->m->alloc, g->a->info.id, &total, &used),
	    0);
	cpus = used.cpus;
	res_free(&total);
	res_free(&used);
	return cpus;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct cd_err err = {0};

	if (f == NULL)
		return -1;
	g = f;
	if (ut_tmpdir(f->dir, sizeof f->dir, "test_master_tasks") != 0)
		return -1;
	f->l = loop_new();
	if (store_open(f->dir, 0, &f->st, &err) != 0)
		return -1;
	f->hc = httpc_new(f->l);
	if (httpd_new(f->l, "127.0.0.1", 0, &f->md, &err) != 0)
		return -1;
	f->conf.hostname = "master.test";
	f->conf.advertise_ip = "127.0.0.1";
	f->conf.port = httpd_port(f->md);
	f->conf.allocation_interval_ms = 50;
	f->conf.ping_timeout_ms = 3600000;
	f->conf.max_ping_timeouts = 5;
	f->conf.version = "test";
	master_start();
	agent_start();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	master_free(f->m);
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

/* ---- tests ---- */

static void
test_add_and_records(void **state)
{
	struct master_task *t, *dup, *u, *v;
	struct store_batch *b;
	json_t *j;

	(void)state;
	t = task_new("web.1", g->fw.id);
	assert_int_equal(t->status.state, TASK_STAGING);
	assert_string_equal(t->task.agent_id, g->a->info.id);
	assert_null(master_task_find(g->m, "web.1"));
	assert_int_equal(master_task_add(g->m, t), 0);
	assert_ptr_equal(master_task_find(g->m, "web.1"), t);
	/* Once only. */
	dup = task_new("web.1", g->fw.id);
	assert_int_equal(master_task_add(g->m, dup), -EEXIST);
	master_task_free(dup);
	assert_ptr_equal(master_task_find(g->m, "web.1"), t);

	/* Its record: framework, task and state. */
	assert_false(recorded("web.1"));
	assert_int_equal(master_task_persist(g->m, t), 0);
	j = record_of("web.1");
	assert_non_null(j);
	assert_string_equal(
	    json_string_value(json_object_get(j, "framework_id")), g->fw.id);
	assert_string_equal(json_string_value(json_object_get(j, "state")),
			    "TASK_STAGING");
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(j, "task"), "task_id")),
			    "web.1");
	json_decref(j);

	/* Several records in one commit, as a launch writes them. */
	u = task_new("web.2", g->fw.id);
	v = task_new("web.3", g->fw.id);
	b = store_batch_begin(g->st);
	assert_int_equal(master_task_record(b, u), 0);
	assert_int_equal(master_task_record(b, v), 0);
	assert_false(recorded("web.2"));
	assert_int_equal(store_batch_commit(b), 0);
	assert_true(recorded("web.2"));
	assert_true(recorded("web.3"));
	assert_int_equal(master_task_add(g->m, u), 0);
	assert_int_equal(master_task_add(g->m, v), 0);
	assert_int_equal(task_status("web.3", TASK_RUNNING), 0);

	/* A restarted master reads them back. */
	master_free(g->m);
	master_start();
	t = master_task_find(g->m, "web.1");
	assert_non_null(t);
	assert_string_equal(t->framework_id, g->fw.id);
	assert_int_equal(t->status.state, TASK_STAGING);
	assert_non_null(master_task_find(g->m, "web.2"));
	assert_non_null(master_task_find(g->m, "web.3"));
}

static void
test_status_transitions(void **state)
{
	struct master_task *t;
	int n;

	(void)state;
	t = task_launch("api.1");
	assert_true(agent_cpus_used() > 0.99);

	assert_int_equal(task_status("api.1", TASK_STARTING), 0);
	assert_int_equal(t->status.state, TASK_STARTING);
	assert_int_equal(task_status("api.1", TASK_RUNNING), 0);
	assert_int_equal(t->status.state, TASK_RUNNING);
	assert_int_equal(g->fw.n, 2);
	assert_int_equal(g->fw.state[0], TASK_STARTING);
	assert_int_equal(g->fw.state[1], TASK_RUNNING);

	/* Older news (a STARTING resent after RUNNING): acknowledged, no
	 * change, not passed on. */
	assert_int_equal(task_status("api.1", TASK_STARTING), 0);
	assert_int_equal(t->status.state, TASK_RUNNING);
	assert_int_equal(g->fw.n, 2);

	/* The framework cannot record it yet: not acknowledged. */
	g->fw.refuse = 1;
	assert_int_equal(task_status("api.1", TASK_KILLING), -EAGAIN);
	assert_ptr_equal(master_task_find(g->m, "api.1"), t);
	g->fw.refuse = 0;
	assert_int_equal(task_status("api.1", TASK_KILLING), 0);
	assert_int_equal(g->fw.state[g->fw.n - 1], TASK_KILLING);

	/* The master's own verdict ends it: forgotten, resources back. */
	n = g->fw.n;
	assert_int_equal(master_task_report(g->m, t, TASK_KILLED,
					    "REASON_TASK_KILLED_DURING_LAUNCH",
					    "killed"),
			 0);
	assert_int_equal(g->fw.n, n + 1);
	assert_int_equal(g->fw.state[n], TASK_KILLED);
	assert_string_equal(g->fw.source[n], "SOURCE_MASTER");
	assert_null(master_task_find(g->m, "api.1"));
	assert_true(agent_cpus_used() < 0.01);
	assert_int_equal(g->m->tasks_killed, 1);
	/* News of a forgotten task still reaches its framework. */
	assert_int_equal(task_status("api.1", TASK_KILLED), 0);
	assert_int_equal(g->fw.n, n + 2);
}

static void
test_ended_records_deleted(void **state)
{
	struct master_task *t;

	(void)state;
	task_launch("job.1");
	task_launch("job.2");
	task_launch("job.3");
	task_launch("job.4");
	assert_int_equal(task_status("job.1", TASK_FINISHED), 0);
	assert_int_equal(task_status("job.2", TASK_FAILED), 0);
	assert_int_equal(task_status("job.3", TASK_FINISHED), 0);
	assert_null(master_task_find(g->m, "job.1"));
	assert_int_equal(g->m->tasks_finished, 2);
	assert_int_equal(g->m->tasks_failed, 1);
	/* Deleted at the end of the pass, not one commit each. */
	assert_true(recorded("job.1"));
	assert_true(recorded("job.2"));
	/* job.3 is known again before then (an agent re-registered with
	 * it): its new record stays. */
	t = task_new("job.3", g->fw.id);
	assert_int_equal(master_task_add(g->m, t), 0);
	assert_int_equal(master_task_persist(g->m, t), 0);
	ut_run_until(g->l, NULL, 20);
	assert_false(recorded("job.1"));
	assert_false(recorded("job.2"));
	assert_true(recorded("job.3"));
	assert_true(recorded("job.4"));
	assert_non_null(master_task_find(g->m, "job.4"));
}

static void
test_framework_gone(void **state)
{
	struct master_task *t;
	int n = g->fw.n;

	(void)state;
	/* A task of a framework the master no longer has. */
	t = task_new("orphan.1", "gone-framework");
	assert_int_equal(master_task_add(g->m, t), 0);
	assert_int_equal(master_task_persist(g->m, t), 0);
	assert_int_equal(task_status("orphan.1", TASK_RUNNING), 0);
	assert_non_null(master_task_find(g->m, "orphan.1"));
	assert_int_equal(task_status("orphan.1", TASK_FINISHED), 0);
	assert_null(master_task_find(g->m, "orphan.1"));
	assert_int_equal(g->fw.n, n); /* nobody to tell */
	ut_run_until(g->l, NULL, 20);
	assert_false(recorded("orphan.1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_add_and_records, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_status_transitions, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ended_records_deleted, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_framework_gone, setup,
					    teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
