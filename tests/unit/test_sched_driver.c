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
 * once recorded, that lost agents and failed launches are replaced; that
 * unreachable tasks follow their app's unreachableStrategy (kept, replaced
 * after inactiveAfterSeconds, expunged, "disabled") and that the surplus
 * when one comes back goes by killSelection; that drops back off; that a
 * task killed to be replaced is replaced only once its end is confirmed;
 * that kills name the task's agent; and that a restart's config version
 * survives a new scheduler on the same store.
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
#include "scheduler/core/sched_converge.h"
#include "scheduler/core/sched_ids.h"
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
	char kill_agent[MAX_CALLS][64]; /* "" when none was named */
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

/* Run the loop for ms: the one-second tick runs in there. */
static void
settle_ms(struct fx *f, uint64_t ms)
{
	loop_timer_add(f->stop, ms);
	loop_run(f->l);
}

/* Create the app of body (taken), through the same path as POST
 * /v2/apps, and let its deployment start. */
static void
create_app_def(struct fx *f, json_t *body)
{
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

/* Create app id with n instances of 0.5 cpus and 64 MB. */
static void
create_app(struct fx *f, const char *id, int n)
{
	create_app_def(f, json_pack("{s:s, s:s, s:i, s:f, s:f}", "id", id,
				    "cmd", "sleep 1000", "instances", n, "cpus",
				    0.5, "mem", 64.0));
}

static void
offer_of(struct fw_offer *o, const char *id, const char *agent, double cpus,
	 double mem)
{
	/* The scheduler only borrows an offer: static ranges do. */
	static struct res_range ports = {31000, 31099};

	memset(o, 0, sizeof *o);
	o->id = id;
	o->agent_id = agent;
	o->hostname = agent;
	o->res.cpus = cpus;
	o->res.mem = mem;
	o->res.disk = 1000;
	o->res.nranges = 1;
	o->res.ports = &ports;
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
	/* A task the scheduler does not know is killed, and acknowledged. */
	status_of(&st, "web.stranger", TASK_RUNNING);
	assert_int_equal(f->fake.ops->status(f->s, &st), 0);
	assert_int_equal(f->fake.nkill, 1);
	assert_string_equal(f->fake.kill[0], "web.stranger");
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

/* The app's lastTaskFailure "state" and "taskId", or "". */
static void
last_failure(struct fx *f, const char *app, char *state, char *tid, size_t n)
{
	const json_t *lf = sched_repo_find(f->s->repo, app)->last_failure;

	snprintf(state, n, "%s",
		 lf != NULL ? json_string_value(json_object_get(lf, "state"))
			    : "");
	snprintf(tid, n, "%s",
		 lf != NULL ? json_string_value(json_object_get(lf, "taskId"))
			    : "");
}

/* An app "/web" of one instance with the given unreachableStrategy (taken;
 * NULL for the default), killSelection and no launch backoff (so that
 * replacements launch on the next offer), launched and running on agent
 * a1. Its task id goes into id. */
static void
running_on_a1(struct fx *f, json_t *unreachable, const char *kill_selection,
	      char *id, size_t n)
{
	json_t *body = json_pack("{s:s, s:s, s:i, s:f, s:f, s:i, s:s}", "id",
				 "/web", "cmd", "sleep 1000", "instances", 1,
				 "cpus", 0.5, "mem", 64.0, "backoffSeconds", 0,
				 "killSelection", kill_selection);
	struct wire_status st;
	struct fw_offer o;

	if (unreachable != NULL)
		json_object_set_new(body, "unreachableStrategy", unreachable);
	registered(f);
	create_app_def(f, body);
	offer_of(&o, "o-1", "a1", 4, 1024);
	f->fake.ops->offers(f->s, &o, 1);
	assert_int_equal(f->fake.nlaunch, 1);
	snprintf(id, n, "%s", f->fake.launch[0].task[0]);
	status_of(&st, id, TASK_RUNNING);
	st.timestamp_ms = 1700000000000LL; /* older than its replacement */
	assert_int_equal(f->fake.ops->status(f->s, &st), 0);
}

static void
test_agent_lost_replaced(void **state)
{
	struct fx *f = *state;
	struct fw_offer o;
	char rec[32], id[128], lfs[64], lft[128];

	running_on_a1(f, NULL, "YOUNGEST_FIRST", id, sizeof id);
	f->fake.ops->agent_lost(f->s, "a1");
	/* The default unreachableStrategy (0, 0): expunged at once. */
	assert_null(task(f, id));
	record_state(f, id, rec, sizeof rec);
	assert_string_equal(rec, "");
	/* A failure, recorded as one. */
	last_failure(f, "/web", lfs, lft, sizeof lfs);
	assert_string_equal(lfs, "TASK_UNREACHABLE");
	assert_string_equal(lft, id);
	assert_int_equal(sched_repo_find(f->s->repo, "/web")->nfailures, 1);
	/* The next offer replaces it (backoffSeconds 0). */
	offer_of(&o, "o-2", "a2", 4, 1024);
	f->fake.ops->offers(f->s, &o, 1);
	assert_int_equal(f->fake.nlaunch, 2);
	assert_string_equal(f->fake.launch[1].agent, "a2");
}

/* TASK_UNREACHABLE, or TASK_LOST for an agent lost, keeps the task by its
 * app's unreachableStrategy: an instance until inactiveAfterSeconds. */
static void
unreachable_kept(struct fx *f, enum task_state state, const char *reason,
		 const char *kill_selection)
{
	struct wire_status st;
	struct fw_offer o;
	char rec[32], id[128], rid[128], lfs[64], lft[128];
	struct sched_task *t;

	running_on_a1(f,
		      json_pack("{s:i, s:i}", "inactiveAfterSeconds", 60,
				"expungeAfterSeconds", 600),
		      kill_selection, id, sizeof id);
	status_of(&st, id, state);
	st.reason = (char *)(uintptr_t)reason;
	assert_int_equal(f->fake.ops->status(f->s, &st), 0);
	assert_non_null(t = task(f, id));
	assert_int_equal(t->state, TASK_UNREACHABLE);
	assert_true(t->unreachable_ms > 0);
	record_state(f, id, rec, sizeof rec);
	assert_string_equal(rec, "TASK_UNREACHABLE");
	last_failure(f, "/web", lfs, lft, sizeof lfs);
	assert_string_equal(lfs, "TASK_UNREACHABLE");
	assert_string_equal(lft, id);
	/* Still an instance: the next offer is not used. */
	offer_of(&o, "o-2", "a2", 4, 1024);
	f->fake.ops->offers(f->s, &o, 1);
	assert_int_equal(f->fake.nlaunch, 1);
	/* A reconciliation repeats it: nothing changes. */
	assert_int_equal(f->fake.ops->status(f->s, &st), 0);
	assert_int_equal(task(f, id)->state, TASK_UNREACHABLE);

	/* Unreachable for longer than inactiveAfterSeconds: the tick makes
	 * it inactive, and the next offer replaces it. */
	task(f, id)->unreachable_ms -= 61000;
	settle_ms(f, 1100);
	assert_true((task(f, id)->flags & SCHED_TASK_F(SCHED_TASK_INACTIVE)) !=
		    0);
	offer_of(&o, "o-3", "a2", 4, 1024);
	f->fake.ops->offers(f->s, &o, 1);
	assert_int_equal(f->fake.nlaunch, 2);
	assert_string_equal(f->fake.launch[1].agent, "a2");
	snprintf(rid, sizeof rid, "%s", f->fake.launch[1].task[0]);
	status_of(&st, rid, TASK_RUNNING);
	assert_int_equal(f->fake.ops->status(f->s, &st), 0);
	assert_int_equal(f->fake.nkill, 0);

	/* Its agent is back before the expunge: the task counts again, one
	 * is too many, and killSelection picks the victim. */
	status_of(&st, id, TASK_RUNNING);
	assert_int_equal(f->fake.ops->status(f->s, &st), 0);
	assert_int_equal(task(f, id)->unreachable_ms, 0);
	assert_int_equal(task(f, id)->flags & SCHED_TASK_F(SCHED_TASK_INACTIVE),
			 0);
	assert_int_equal(f->fake.nkill, 1);
	if (strcmp(kill_selection, "OLDEST_FIRST") == 0) {
		assert_string_equal(f->fake.kill[0], id);
		assert_string_equal(f->fake.kill_agent[0], "a1");
		assert_int_equal(task(f, rid)->state, TASK_RUNNING);
		record_state(f, id, rec, sizeof rec);
		assert_string_equal(rec, "TASK_KILLING");
	} else {
		assert_string_equal(f->fake.kill[0], rid);
		assert_string_equal(f->fake.kill_agent[0], "a2");
		assert_int_equal(task(f, id)->state, TASK_RUNNING);
		record_state(f, id, rec, sizeof rec);
		assert_string_equal(rec, "TASK_RUNNING");
	}
}

static void
test_unreachable_youngest_first(void **state)
{
	unreachable_kept(*state, TASK_UNREACHABLE, "REASON_SLAVE_REMOVED",
			 "YOUNGEST_FIRST");
}

static void
test_unreachable_oldest_first(void **state)
{
	unreachable_kept(*state, TASK_UNREACHABLE, NULL, "OLDEST_FIRST");
}

static void
test_lost_agent_is_unreachable(void **state)
{
	unreachable_kept(*state, TASK_LOST, "REASON_SLAVE_REMOVED",
			 "YOUNGEST_FIRST");
}

static void
test_unreachable_expunged(void **state)
{
	struct fx *f = *state;
	struct wire_status st;
	char rec[32], id[128];

	running_on_a1(f,
		      json_pack("{s:i, s:i}", "inactiveAfterSeconds", 60,
				"expungeAfterSeconds", 120),
		      "YOUNGEST_FIRST", id, sizeof id);
	status_of(&st, id, TASK_UNREACHABLE);
	assert_int_equal(f->fake.ops->status(f->s, &st), 0);
	task(f, id)->unreachable_ms -= 121000;
	settle_ms(f, 1100);
	/* Forgotten: no task, no record. */
	assert_null(task(f, id));
	record_state(f, id, rec, sizeof rec);
	assert_string_equal(rec, "");
	/* If it comes back, it is unknown: killed through its agent. */
	status_of(&st, id, TASK_RUNNING);
	st.agent_id = (char *)(uintptr_t) "a1";
	assert_int_equal(f->fake.ops->status(f->s, &st), 0);
	assert_int_equal(f->fake.nkill, 1);
	assert_string_equal(f->fake.kill[0], id);
	assert_string_equal(f->fake.kill_agent[0], "a1");
}

static void
test_unreachable_disabled(void **state)
{
	struct fx *f = *state;
	struct wire_status st;
	struct fw_offer o;
	char id[128];

	running_on_a1(f, json_string("disabled"), "YOUNGEST_FIRST", id,
		      sizeof id);
	status_of(&st, id, TASK_UNREACHABLE);
	assert_int_equal(f->fake.ops->status(f->s, &st), 0);
	/* Never inactive, never expunged: it waits for its agent. */
	task(f, id)->unreachable_ms -= 86400000;
	settle_ms(f, 1100);
	assert_non_null(task(f, id));
	assert_int_equal(task(f, id)->flags, 0);
	offer_of(&o, "o-2", "a2", 4, 1024);
	f->fake.ops->offers(f->s, &o, 1);
	assert_int_equal(f->fake.nlaunch, 1);
	status_of(&st, id, TASK_RUNNING);
	assert_int_equal(f->fake.ops->status(f->s, &st), 0);
	assert_int_equal(task(f, id)->state, TASK_RUNNING);
	assert_int_equal(f->fake.nkill, 0);
}

static void
test_dropped_backs_off(void **state)
{
	struct fx *f = *state;
	struct wire_status st;
	struct fw_offer o;
	char id[128], lfs[64], lft[128];
	int i;

	registered(f);
	create_app(f, "/web", 1);
	for (i = 0; i < 2; i++) {
		char oid[16];

		snprintf(oid, sizeof oid, "o-%d", i);
		offer_of(&o, oid, "a1", 4, 1024);
		f->fake.ops->offers(f->s, &o, 1);
		assert_int_equal(f->fake.nlaunch, 1);
		if (i == 1)
			break;
		/* The launch never reached its agent. */
		snprintf(id, sizeof id, "%s", f->fake.launch[0].task[0]);
		status_of(&st, id, TASK_DROPPED);
		assert_int_equal(f->fake.ops->status(f->s, &st), 0);
		assert_null(task(f, id));
	}
	/* Counted like a failure: the second offer came within the backoff
	 * (1 s by default), and was declined. */
	assert_int_equal(sched_repo_find(f->s->repo, "/web")->nfailures, 1);
	assert_int_equal(f->fake.ndecline, 1);
	last_failure(f, "/web", lfs, lft, sizeof lfs);
	assert_string_equal(lfs, "TASK_DROPPED");
	assert_string_equal(lft, id);
}

static void
test_replaced_after_kill_confirmed(void **state)
{
	struct fx *f = *state;
	struct sched_ids ids = {NULL, 0, 0};
	struct wire_status st;
	struct fw_offer o;
	char id[128];

	running_on_a1(f, NULL, "YOUNGEST_FIRST", id, sizeof id);
	/* Killed to be replaced, as sched_health does with an unhealthy
	 * task: the kill goes to its agent... */
	sched_ids_push(&ids, id);
	assert_int_equal(
	    sched_converge_mark_killing(f->s, &ids,
					SCHED_TASK_F(SCHED_TASK_HOLD) |
					    SCHED_TASK_F(SCHED_TASK_REPLACE)),
	    0);
	sched_converge_kill(f->s, &ids);
	sched_ids_release(&ids);
	assert_int_equal(f->fake.nkill, 1);
	assert_string_equal(f->fake.kill_agent[0], "a1");
	/* ...and no replacement starts until its end is confirmed. */
	offer_of(&o, "o-2", "a2", 4, 1024);
	f->fake.ops->offers(f->s, &o, 1);
	assert_int_equal(f->fake.nlaunch, 1);
	status_of(&st, id, TASK_KILLED);
	assert_int_equal(f->fake.ops->status(f->s, &st), 0);
	offer_of(&o, "o-3", "a2", 4, 1024);
	f->fake.ops->offers(f->s, &o, 1);
	assert_int_equal(f->fake.nlaunch, 2);
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

static void
test_restart_survives_reload(void **state)
{
	struct fx *f = *state;
	struct framework_link link = {&fake_ops, &f->fake};
	struct sched_change c;
	struct sched_conf conf;
	struct sched *s2 = NULL;
	struct cd_err err;
	char version[SCHED_ISO_LEN];

	registered(f);
	create_app(f, "/web", 1);
	/* POST /v2/apps/web/restart: the same definition, a new config
	 * version that the tasks must reach. */
	memset(&c, 0, sizeof c);
	cd_err_clear(&err);
	c.app = sched_app_dup(sched_repo_find(f->s->repo, "/web")->app);
	c.restart = true;
	c.force = true; /* its first deployment still runs */
	assert_int_equal(sched_apply(f->s, &c, &err), 0);
	json_decref(c.locked);
	snprintf(version, sizeof version, "%s", c.version);
	assert_string_equal(sched_repo_find(f->s->repo, "/web")->config_version,
			    version);
	/* A new scheduler on the same store (a crash, a failover) knows it,
	 * though no stored definition differs from the one before. */
	memset(&conf, 0, sizeof conf);
	assert_int_equal(sched_new(f->l, f->st, NULL, &conf, &link, &s2, &err),
			 0);
	assert_string_equal(sched_repo_find(s2->repo, "/web")->config_version,
			    version);
	sched_free(s2);
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
	    cmocka_unit_test_setup_teardown(test_agent_lost_replaced, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_failed_task_backs_off, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_unreachable_youngest_first,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unreachable_oldest_first,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lost_agent_is_unreachable,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unreachable_expunged, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_unreachable_disabled, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_dropped_backs_off, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_replaced_after_kill_confirmed,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_survives_reload, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
