/*
 * test_sched_driver.c: scheduler/core/sched_driver, the framework callbacks
 * the master calls, driven as the master drives them: a real scheduler
 * (sched_new) on a real loop and a throw-away in-memory store, apps
 * created through sched_apply as the REST API creates them, and a fake
 * master behind lib/framework.h that records what the scheduler asks of
 * it (launches, declines, kills, revives, reconciles). Checks that offers
 * are used or declined with the right filter, that launched tasks are
 * committed before the master hears of them (the master may report on
 * them from inside launch()), that status updates are acknowledged only
 * once recorded, and that failed launches are replaced.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/framework.h"
#include "lib/json.h"
#include "lib/loop.h"
#include "lib/store.h"
#include "lib/wire.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/core/sched_apply.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_repo.h"
#include "scheduler/core/sched_tracker.h"
#include "scheduler/sched.h"

#define MAX_CALLS 64

/* One launch() the scheduler made. */
struct launch_call {
	char offer[64];
	char agent[64];
	size_t n;
	char task[8][128]; /* the first tasks' ids */
};

/* The fake master: what the scheduler asked of it. */
struct fake {
	struct launch_call launch[MAX_CALLS];
	size_t nlaunch;
	char decline[MAX_CALLS][64];
	double decline_s[MAX_CALLS];
	size_t ndecline;
	char kill[MAX_CALLS][128];
	char kill_agent[MAX_CALLS][128]; /* the agent the kill names */
	size_t nkill;
	int nrevive;
	int nreconcile;
	int launch_rc;		/* what launch() answers */
	int kill_rc;		/* what kill() answers */
	bool run_inside_launch; /* report TASK_RUNNING from launch() */
	int inside_status_rc;	/* what status() answered in there */
	struct sched *s;	/* borrowed: the scheduler under test */
	const struct framework_sched_ops *ops; /* borrowed: static */
};

static void
status_of(struct wire_status *st, const char *task_id, enum task_state state)
{
	memset(st, 0, sizeof *st);
	st->task_id = (char *)(uintptr_t)task_id;
	st->state = state;
}

static int
fake_launch(void *master, const char *framework_id, const char *offer_id,
	    const struct wire_task *tasks, size_t n, struct cd_err *err)
{
	struct fake *f = master;
	struct launch_call *c;
	size_t i;

	assert_string_equal(framework_id, "fw-1");
	assert_true(f->nlaunch < MAX_CALLS);
	c = &f->launch[f->nlaunch++];
	snprintf(c->offer, sizeof c->offer, "%s", offer_id);
	snprintf(c->agent, sizeof c->agent, "%s", tasks[0].agent_id);
	c->n = n;
	for (i = 0; i < n && i < 8; i++)
		snprintf(c->task[i], sizeof c->task[i], "%s", tasks[i].task_id);
	if (f->launch_rc != 0)
		return cd_err_set(err, f->launch_rc, "offer %s is gone",
				  offer_id);
	for (i = 0; f->run_inside_launch && i < n; i++) {
		struct wire_status st;

		/* The master may report on a task before launch() returns. */
		status_of(&st, tasks[i].task_id, TASK_RUNNING);
		f->inside_status_rc |= f->ops->status(f->s, &st);
	}
	return 0;
}

static void
fake_decline(void *master, const char *framework_id, const char *offer_id,
	     double refuse_seconds)
{
	struct fake *f = master;

	(void)framework_id;
	assert_true(f->ndecline < MAX_CALLS);
	snprintf(f->decline[f->ndecline], sizeof f->decline[0], "%s", offer_id);
	f->decline_s[f->ndecline++] = refuse_seconds;
}

static int
fake_kill(void *master, const char *framework_id, const char *task_id,
	  const char *agent_id, int grace_ms)
{
	struct fake *f = master;

	(void)framework_id;
	(void)grace_ms;
	assert_true(f->nkill < MAX_CALLS);
	snprintf(f->kill_agent[f->nkill], sizeof f->kill_agent[0], "%s",
		 agent_id != NULL ? agent_id : "");
	snprintf(f->kill[f->nkill++], sizeof f->kill[0], "%s", task_id);
	return f->kill_rc;
}

static void
fake_reconcile(void *master, const char *framework_id)
{
	struct fake *f = master;

	assert_string_equal(framework_id, "fw-1");
	f->nreconcile++;
}

static void
fake_revive(void *master, const char *framework_id)
{
	struct fake *f = master;

	(void)framework_id;
	f->nrevive++;
}

static const struct framework_master_ops fake_ops = {
    .launch = fake_launch,
    .decline = fake_decline,
    .kill = fake_kill,
    .reconcile = fake_reconcile,
    .revive = fake_revive,
    .agent_ip = NULL,
};

struct fx {
	char dir[64];
	struct loop *l;
	struct store *st;
	struct sched *s;
	struct loop_timer *stop; /* owned: ends settle() */
	struct fake fake;
};

static void
fx_stop(void *arg)
{
	struct fx *f = arg;

	loop_stop(f->l);
}

/* Run the loop briefly: zero-delay timers (deployment progress,
 * converge_soon) fire, as they would between two master callbacks. */
static void
settle(struct fx *f)
{
	loop_timer_add(f->stop, 20);
	loop_run(f->l);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct sched_conf conf;
	struct framework_link link = {&fake_ops, &f->fake};
	struct cd_err err;

	cd_err_clear(&err);
	snprintf(f->dir, sizeof f->dir, "/tmp/test_sched_driver.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (store_open(f->dir, STORE_IN_MEMORY, &f->st, &err) != 0)
		return -1;
	f->l = loop_new();
	f->stop = loop_timer_new(f->l, fx_stop, f);
	memset(&conf, 0, sizeof conf);
	conf.hostname = "master.test";
	conf.refuse_seconds = 5;
	if (sched_new(f->l, f->st, NULL, &conf, &link, &f->s, &err) != 0)
		return -1;
	f->fake.s = f->s;
	f->fake.ops = sched_framework_ops();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sched_free(f->s);
	loop_timer_free(f->stop);
	loop_free(f->l);
	store_close(f->st);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Create app id with n instances of 0.5 cpus and 64 MB, through the same
 * path as POST /v2/apps, and let its deployment start. */
static void
create_app(struct fx *f, const char *id, int n)
{
	json_t *body =
	    json_pack("{s:s, s:s, s:i, s:f, s:f}", "id", id, "cmd",
		      "sleep 1000", "instances", n, "cpus", 0.5, "mem", 64.0);
	struct sched_change c;
	struct cd_err err;

	memset(&c, 0, sizeof c);
	cd_err_clear(&err);
	assert_int_equal(sched_app_parse(body, NULL, &c.app, &err), 0);
	json_decref(body);
	assert_int_equal(sched_apply(f->s, &c, &err), 0);
	json_decref(c.locked);
	settle(f);
}

static void
offer_of(struct fw_offer *o, const char *id, const char *agent, double cpus,
	 double mem)
{
	memset(o, 0, sizeof *o);
	o->id = id;
	o->agent_id = agent;
	o->hostname = agent;
	o->res.cpus = cpus;
	o->res.mem = mem;
	o->res.disk = 1000;
	o->res.nranges = 1;
	o->res.ports[0].begin = 31000;
	o->res.ports[0].end = 31099;
}

static void
registered(struct fx *f)
{
	f->fake.ops->registered(f->s, "fw-1", "master-1");
}

/* The state of task id's store record, or "" when it has none. */
static void
record_state(struct fx *f, const char *id, char *out, size_t n)
{
	struct buf b = BUF_INIT;
	char *key = xasprintf("task/%s", id);
	json_t *j;

	out[0] = '\0';
	if (store_get(f->st, STORE_DB_SCHED, key, &b) == 0) {
		j = json_parse_bounded(b.data, b.len, NULL);
		assert_non_null(j);
		snprintf(out, n, "%s",
			 json_string_value(json_object_get(j, "state")));
		json_decref(j);
	}
	buf_release(&b);
	free(key);
}

static struct sched_task *
task(struct fx *f, const char *id)
{
	return sched_tracker_find(f->s->tr, id);
}

static void
test_registered(void **state)
{
	struct fx *f = *state;
	struct sched *s2 = NULL;
	struct framework_link link = {&fake_ops, &f->fake};
	struct sched_conf conf;
	struct cd_err err;

	registered(f);
	assert_int_equal(f->fake.nreconcile, 1);
	assert_true(f->fake.nrevive >= 1);
	assert_string_equal(sched_framework_id(f->s), "fw-1");
	/* The framework id is committed: a new scheduler on the same store
	 * (a failover) knows it before any registration. */
	memset(&conf, 0, sizeof conf);
	cd_err_clear(&err);
	assert_int_equal(sched_new(f->l, f->st, NULL, &conf, &link, &s2, &err),
			 0);
	assert_non_null(sched_framework_id(s2));
	assert_string_equal(sched_framework_id(s2), "fw-1");
	sched_free(s2);
}

static void
test_idle_offers_declined_long(void **state)
{
	struct fx *f = *state;
	struct fw_offer o[2];

	registered(f);
	offer_of(&o[0], "o-1", "a1", 4, 1024);
	offer_of(&o[1], "o-2", "a2", 4, 1024);
	f->fake.ops->offers(f->s, o, 2);
	/* Nothing wanted: the long idle filter, none launched. */
	assert_int_equal(f->fake.nlaunch, 0);
	assert_int_equal(f->fake.ndecline, 2);
	assert_string_equal(f->fake.decline[0], "o-1");
	assert_string_equal(f->fake.decline[1], "o-2");
	assert_true(f->fake.decline_s[0] >= 120.0);
	/* Demand revives the offers declined for that long. */
	f->fake.nrevive = 0;
	create_app(f, "/web", 1);
	assert_true(f->fake.nrevive >= 1);
}

static void
test_offer_launches(void **state)
{
	struct fx *f = *state;
	struct fw_offer o;
	char st[32];
	size_t i;

	registered(f);
	create_app(f, "/web", 2);
	offer_of(&o, "o-1", "a1", 4, 1024);
	f->fake.ops->offers(f->s, &o, 1);
	assert_int_equal(f->fake.ndecline, 0);
	assert_int_equal(f->fake.nlaunch, 1);
	assert_string_equal(f->fake.launch[0].offer, "o-1");
	assert_string_equal(f->fake.launch[0].agent, "a1");
	assert_int_equal(f->fake.launch[0].n, 2);
	for (i = 0; i < 2; i++) {
		const char *id = f->fake.launch[0].task[i];

		/* Committed before the master heard of it. */
		assert_non_null(task(f, id));
		assert_int_equal(task(f, id)->state, TASK_STAGING);
		assert_string_equal(task(f, id)->app_id, "/web");
		record_state(f, id, st, sizeof st);
		assert_string_equal(st, "TASK_STAGING");
	}
	/* Both launched: nothing is wanted any more, so the next offer is
	 * declined for the long idle filter. */
	offer_of(&o, "o-2", "a1", 3, 896);
	f->fake.ops->offers(f->s, &o, 1);
	assert_int_equal(f->fake.nlaunch, 1);
	assert_int_equal(f->fake.ndecline, 1);
	assert_string_equal(f->fake.decline[0], "o-2");
	assert_true(f->fake.decline_s[0] >= 120.0);
}

static void
test_offer_too_small_declined(void **state)
{
	struct fx *f = *state;
	struct fw_offer o[2];

	registered(f);
	create_app(f, "/web", 2);
	offer_of(&o[0], "o-small", "a1", 0.25, 1024);
	offer_of(&o[1], "o-big", "a2", 0.75, 1024);
	f->fake.ops->offers(f->s, o, 2);
	/* The small one does not fit an instance: declined for the short
	 * filter, the app still wants it; the big one takes one. */
	assert_int_equal(f->fake.ndecline, 1);
	assert_string_equal(f->fake.decline[0], "o-small");
	assert_true(f->fake.decline_s[0] == 5.0);
	assert_int_equal(f->fake.nlaunch, 1);
	assert_string_equal(f->fake.launch[0].offer, "o-big");
	assert_int_equal(f->fake.launch[0].n, 1);
}

static void
test_status_acknowledged(void **state)
{
	struct fx *f = *state;
	struct wire_status st;
	struct fw_offer o;
	char rec[32], id[128];

	registered(f);
	create_app(f, "/web", 1);
	offer_of(&o, "o-1", "a1", 4, 1024);
	f->fake.ops->offers(f->s, &o, 1);
	assert_int_equal(f->fake.nlaunch, 1);
	snprintf(id, sizeof id, "%s", f->fake.launch[0].task[0]);
	status_of(&st, id, TASK_RUNNING);
	st.timestamp_ms = 1700000000000LL;
	assert_int_equal(f->fake.ops->status(f->s, &st), 0);
	assert_int_equal(task(f, id)->state, TASK_RUNNING);
	assert_true(task(f, id)->started_ms == 1700000000000LL);
	record_state(f, id, rec, sizeof rec);
	assert_string_equal(rec, "TASK_RUNNING");
	/* A replay changes nothing and is acknowledged too. */
	assert_int_equal(f->fake.ops->status(f->s, &st), 0);
	assert_int_equal(task(f, id)->state, TASK_RUNNING);
	/* A task the scheduler does not know is killed, through the agent
	 * that reported it (the master may not know it either), and
	 * acknowledged. */
	status_of(&st, "web.stranger", TASK_RUNNING);
	st.agent_id = (char *)"a7";
	assert_int_equal(f->fake.ops->status(f->s, &st), 0);
	assert_int_equal(f->fake.nkill, 1);
	assert_string_equal(f->fake.kill[0], "web.stranger");
	assert_string_equal(f->fake.kill_agent[0], "a7");
	st.agent_id = NULL;
	/* Its end is news about nothing: acknowledged, nothing killed. */
	status_of(&st, "web.stranger", TASK_KILLED);
	assert_int_equal(f->fake.ops->status(f->s, &st), 0);
	assert_int_equal(f->fake.nkill, 1);
}

static void
test_status_inside_launch(void **state)
{
	struct fx *f = *state;
	struct fw_offer o;
	char rec[32];
	size_t i;

	registered(f);
	create_app(f, "/web", 2);
	f->fake.run_inside_launch = true;
	offer_of(&o, "o-1", "a1", 4, 1024);
	f->fake.ops->offers(f->s, &o, 1);
	assert_int_equal(f->fake.nlaunch, 1);
	assert_int_equal(f->fake.inside_status_rc, 0);
	for (i = 0; i < 2; i++) {
		const char *id = f->fake.launch[0].task[i];

		assert_int_equal(task(f, id)->state, TASK_RUNNING);
		record_state(f, id, rec, sizeof rec);
		assert_string_equal(rec, "TASK_RUNNING");
	}
}

static void
test_failed_launch_forgotten(void **state)
{
	struct fx *f = *state;
	struct fw_offer o;
	char rec[32], id[128];

	registered(f);
	create_app(f, "/web", 1);
	f->fake.launch_rc = -ENOENT; /* the offer was rescinded meanwhile */
	offer_of(&o, "o-1", "a1", 4, 1024);
	f->fake.ops->offers(f->s, &o, 1);
	assert_int_equal(f->fake.nlaunch, 1);
	snprintf(id, sizeof id, "%s", f->fake.launch[0].task[0]);
	assert_null(task(f, id));
	record_state(f, id, rec, sizeof rec);
	assert_string_equal(rec, "");
	/* The instance is still wanted: the next offer launches it. */
	f->fake.launch_rc = 0;
	offer_of(&o, "o-2", "a1", 4, 1024);
	f->fake.ops->offers(f->s, &o, 1);
	assert_int_equal(f->fake.nlaunch, 2);
	assert_string_equal(f->fake.launch[1].offer, "o-2");
	assert_non_null(task(f, f->fake.launch[1].task[0]));
}

static void
test_failed_task_backs_off(void **state)
{
	struct fx *f = *state;
	struct wire_status st;
	struct fw_offer o;
	char id[128];

	registered(f);
	create_app(f, "/web", 1);
	offer_of(&o, "o-1", "a1", 4, 1024);
	f->fake.ops->offers(f->s, &o, 1);
	snprintf(id, sizeof id, "%s", f->fake.launch[0].task[0]);
	status_of(&st, id, TASK_FAILED);
	st.message = (char *)(uintptr_t) "exit 1";
	assert_int_equal(f->fake.ops->status(f->s, &st), 0);
	assert_null(task(f, id));
	assert_non_null(sched_repo_find(f->s->repo, "/web")->last_failure);
	/* Within its launch backoff (1 s by default) the app takes no
	 * offer. */
	offer_of(&o, "o-2", "a1", 4, 1024);
	f->fake.ops->offers(f->s, &o, 1);
	assert_int_equal(f->fake.nlaunch, 1);
	assert_int_equal(f->fake.ndecline, 1);
	assert_string_equal(f->fake.decline[0], "o-2");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_registered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idle_offers_declined_long,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_offer_launches, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_offer_too_small_declined,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status_acknowledged, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_status_inside_launch, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_failed_launch_forgotten, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_failed_task_backs_off, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
