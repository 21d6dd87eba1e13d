/*
 * test_sched_api_info.c: scheduler/sched_api_info against the trees the
 * API built before the writer: an AppInfo is the definition
 * (sched_app_to_json) plus the added members, a Task is sched_task_json().
 * Apps are replaced, version after version, and removed, so that the
 * definition cache sees freed apps' addresses reused, fills and sweeps;
 * every reply must still match. A repo on a throw-away store, a tracker,
 * no health checks, no deployments.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/json.h"
#include "lib/jw.h"
#include "lib/store.h"
#include "lib/wire.h"
#include "scheduler/api/sched_api_info.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/core/sched_health.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_repo.h"
#include "scheduler/core/sched_task.h"
#include "scheduler/core/sched_tracker.h"

/*
 * The reference Task: how the scheduler built it with jansson before it was
 * streamed (sched_api_info.c). New reference.
 */
static json_t *
sched_task_json(const struct sched *s, const struct sched_task *t)
{
	const struct sched_rapp *ra = sched_repo_find(s->repo, t->app_id);
	json_t *j = json_object(), *ports = json_array(), *svc = json_array();
	char iso[32];
	size_t i;

	for (i = 0; i < t->nports; i++)
		json_array_append_new(ports, json_integer(t->ports[i]));
	if (ra != NULL) {
		const uint32_t *sp = sched_app_service_ports(ra->app);

		for (i = 0; i < sched_app_service_port_count(ra->app); i++)
			json_array_append_new(svc, json_integer(sp[i]));
	}
	json_object_set_new(j, "id", json_string(t->id));
	json_object_set_new(j, "appId", json_string(t->app_id));
	json_object_set_new(j, "host", json_string(t->host));
	json_object_set_new(j, "ipAddresses", json_array());
	json_object_set_new(j, "ports", ports);
	json_object_set_new(j, "servicePorts", svc);
	json_object_set_new(j, "slaveId", json_string(t->agent_id));
	json_time_iso(t->staged_ms, iso);
	json_object_set_new(j, "stagedAt", json_string(iso));
	if (t->started_ms > 0) { /* task.raml: startedAt? until it starts */
		json_time_iso(t->started_ms, iso);
		json_object_set_new(j, "startedAt", json_string(iso));
	}
	json_object_set_new(j, "state", json_string(sched_task_state_name(t)));
	json_object_set_new(j, "version", json_string(t->version));
	json_object_set_new(j, "localVolumes", json_array());
	json_object_set_new(j, "role", json_string("*"));
	sched_health_task_json(s, t, j);
	return j;
}

struct fx {
	char dir[64];
	struct store *st;
	struct sched s;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	struct cd_err err = {0};
	size_t nbad = 0;

	snprintf(f->dir, sizeof f->dir, "/tmp/test_sched_api_info.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (store_open(f->dir, STORE_IN_MEMORY, &f->st, &err) != 0 ||
	    sched_repo_new(f->st, &f->s.repo, &nbad, &err) != 0)
		return -1;
	f->s.magic = SCHED_MAGIC;
	f->s.tr = sched_tracker_new();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	sched_tracker_free(f->s.tr);
	sched_repo_free(f->s.repo);
	store_close(f->st);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Install the app id at version ver with n instances (cmd varies with
 * ver, so each version's definition differs). */
static void
install(struct fx *f, const char *id, const char *ver, int n)
{
	json_t *body = json_pack("{s:s, s:s+, s:i, s:f}", "id", id, "cmd",
				 "sleep ", ver, "instances", n, "cpus", 0.25);
	struct sched_app *app = NULL;
	struct cd_err err = {0};

	assert_int_equal(sched_app_parse(body, NULL, &app, &err), 0);
	json_decref(body);
	sched_app_set_version(app, ver);
	sched_repo_install(f->s.repo, app, ver);
}

/* The AppInfo as sched_api_info_app_json() built it before the writer. */
static json_t *
old_info(const struct fx *f, const struct sched_rapp *ra, int embed)
{
	json_t *j = sched_app_to_json(ra->app), *tasks = json_array();
	const char *ver = sched_app_version(ra->app);
	struct sched_task *const *tv;
	int staged = 0, running = 0;
	size_t i, n;

	tv = sched_tracker_app_tasks(f->s.tr, sched_app_id(ra->app), &n);
	for (i = 0; i < n; i++) {
		if (tv[i]->state == TASK_RUNNING)
			running++;
		else if (tv[i]->state == TASK_STAGING ||
			 tv[i]->state == TASK_STARTING)
			staged++;
		json_array_append_new(tasks, sched_task_json(&f->s, tv[i]));
	}
	json_object_set_new(
	    j, "versionInfo",
	    json_pack("{s:s, s:s}", "lastScalingAt", ver, "lastConfigChangeAt",
		      ra->config_version != NULL ? ra->config_version : ver));
	json_object_set_new(j, "tasksStaged", json_integer(staged));
	json_object_set_new(j, "tasksRunning", json_integer(running));
	json_object_set_new(j, "tasksHealthy", json_integer(0));
	json_object_set_new(j, "tasksUnhealthy", json_integer(0));
	json_object_set_new(j, "deployments", json_array());
	if (embed & SCHED_EMBED_TASKS)
		json_object_set_new(j, "tasks", tasks);
	else
		json_decref(tasks);
	if (embed & SCHED_EMBED_READINESS)
		json_object_set_new(j, "readinessCheckResults", json_array());
	return j;
}

static void
assert_same(json_t *want, const char *got, size_t len)
{
	struct buf b = BUF_INIT;

	assert_int_equal(json_dump_buf(want, &b), 0);
	json_decref(want);
	assert_int_equal(len, b.len);
	assert_memory_equal(got, b.data, len);
	buf_release(&b);
}

/* Every app, as a listing writes it and as a tree, against the old. */
static void
check_all(struct fx *f, int embed)
{
	struct buf b = BUF_INIT;
	struct jw w;
	size_t i;

	for (i = 0; i < sched_repo_count(f->s.repo); i++) {
		struct sched_rapp *ra = sched_repo_at(f->s.repo, i);
		json_t *tree;
		char *dump;

		buf_reset(&b);
		jw_init(&w, &b);
		sched_api_info_app(&w, &f->s, ra, embed);
		assert_same(old_info(f, ra, embed), b.data, b.len);
		tree = sched_api_info_app_json(&f->s, ra, embed);
		dump = json_dump_str(tree);
		json_decref(tree);
		assert_same(old_info(f, ra, embed), dump, strlen(dump));
		free(dump);
	}
	buf_release(&b);
}

static void
test_apps_versions(void **state)
{
	struct fx *f = *state;
	char id[64], ver[64];
	int i, round;

	for (round = 0; round < 8; round++) {
		for (i = 0; i < 150; i++) {
			snprintf(id, sizeof id, "/g%d/app-%03d", i % 7, i);
			snprintf(ver, sizeof ver,
				 "2026-11-26T00:%02d:%02d.000Z", round, i % 60);
			install(f, id, ver, i % 5);
		}
		check_all(f, 0);
		/* Every third app goes, and comes back next round. */
		for (i = 0; i < 150; i += 3) {
			snprintf(id, sizeof id, "/g%d/app-%03d", i % 7, i);
			sched_repo_remove(f->s.repo, id);
		}
		check_all(f, SCHED_EMBED_READINESS);
	}
}

static void
test_tasks(void **state)
{
	struct fx *f = *state;
	struct buf b = BUF_INIT;
	struct wire_task wt;
	uint32_t ports[2] = {31000, 31001};
	struct jw w;
	int i;

	install(f, "/web", "2026-11-26T01:00:00.000Z", 3);
	memset(&wt, 0, sizeof wt);
	for (i = 0; i < 3; i++) {
		char tid[64];
		struct sched_task *t;

		snprintf(tid, sizeof tid, "web.%d-\"quoted\"", i);
		wt.task_id = tid;
		wt.app_id = (char *)(uintptr_t) "/web";
		wt.version = (char *)(uintptr_t) "2026-11-26T01:00:00.000Z";
		wt.agent_id = (char *)(uintptr_t) "agent-1";
		t = sched_tracker_task_new(&wt, "host-1", ports, (size_t)i,
					   1764118800123LL + i, 1);
		if (i > 0) {
			t->state = TASK_RUNNING;
			t->started_ms = 1764118801999LL + i;
		}
		sched_tracker_add(f->s.tr, t);
		buf_reset(&b);
		jw_init(&w, &b);
		sched_api_info_task(&w, &f->s, t);
		assert_same(sched_task_json(&f->s, t), b.data, b.len);
	}
	check_all(f, SCHED_EMBED_TASKS | SCHED_EMBED_READINESS);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_apps_versions, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_tasks, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
