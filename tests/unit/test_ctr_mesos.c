/*
 * test_ctr_mesos.c: the "mesos" containerizer with real processes in a
 * sandbox under a mkdtemp directory, driven through its ctr_ops on a real
 * loop:
 *  - a launch runs the command in its sandbox with the task's environment,
 *    its output in <sandbox>/stdout and stderr, and reports RUNNING (with
 *    the checkpoint) then the exit: FINISHED for 0, FAILED with the
 *    status otherwise, FAILED when the command cannot be executed;
 *  - a kill sends SIGTERM to the group first, and SIGKILL once the grace
 *    has passed when the task ignores it; either way TASK_KILLED, and no
 *    process is left;
 *  - a second containerizer (an agent restarted) re-adopts a running task
 *    from its checkpoint without an event, then reports its end; a
 *    checkpoint whose process is gone ends as FAILED;
 *  - a health check command runs in the task's sandbox and reports its
 *    exit status, or -ETIMEDOUT once it outlives its timeout;
 *  - a task runs as its user (uid, gid, groups), with no descriptor of
 *    the agent's but 0, 1 and 2; an unknown user is refused;
 *  - without cgroups (cgroups_mount ""), the memory limit is an rlimit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "containerizer/ctr.h"
#include "containerizer/ctr_cgroup.h"
#include "containerizer/ctr_mesos.h"
#include "lib/loop.h"
#include "lib/task_state.h"
#include "lib/wire.h"
#include "tests/unit/unit_util.h"

#define WAIT_MS 10000 /* a bound for the test, not an expectation */

struct ev_rec {
	char task[64];
	enum task_state state;
	char msg[160];
	char reason[64];
	char cid[32];
	json_t *checkpoint; /* ref or NULL */
};

struct fx {
	struct loop *l;
	char dir[256];
	const struct ctr_ops *ops; /* borrowed: static table */
	void *impl;		   /* owned: freed with ops->free */
	struct ev_rec ev[32];
	int nev;
	/* exec */
	int exec_done;
	int exec_status;
	char exec_why[128];
};

static struct fx *g;

static void
on_event(const struct ctr_event *ev, void *arg)
{
	struct ev_rec *r;

	(void)arg;
	assert_true(g->nev < (int)(sizeof g->ev / sizeof g->ev[0]));
	r = &g->ev[g->nev++];
	snprintf(r->task, sizeof r->task, "%s", ev->task_id);
	r->state = ev->state;
	snprintf(r->msg, sizeof r->msg, "%s", ev->message ? ev->message : "");
	snprintf(r->reason, sizeof r->reason, "%s",
		 ev->reason ? ev->reason : "");
	snprintf(r->cid, sizeof r->cid, "%s",
		 ev->container_id ? ev->container_id : "");
	r->checkpoint = ev->checkpoint ? json_deep_copy(ev->checkpoint) : NULL;
}

/* The last event of task, or NULL. */
static const struct ev_rec *
last_event(const char *task)
{
	int i;

	for (i = g->nev - 1; i >= 0; i--)
		if (strcmp(g->ev[i].task, task) == 0)
			return &g->ev[i];
	return NULL;
}

static int
count_events(const char *task)
{
	int i, n = 0;

	for (i = 0; i < g->nev; i++)
		n += strcmp(g->ev[i].task, task) == 0;
	return n;
}

static const char *want_task;
static int
task_ended(void)
{
	const struct ev_rec *r = last_event(want_task);

	return r != NULL && task_state_terminal(r->state);
}

static int
task_running(void)
{
	const struct ev_rec *r = last_event(want_task);

	return r != NULL && r->state == TASK_RUNNING;
}

static void
wait_end(const char *task)
{
	want_task = task;
	ut_run_until(g->l, task_ended, WAIT_MS);
	assert_true(task_ended());
}

static void
wait_running(const char *task)
{
	want_task = task;
	ut_run_until(g->l, task_running, WAIT_MS);
	assert_true(task_running());
}

/* <dir>/<task>, created. Static buffer. */
static const char *
sandbox_of(const char *task)
{
	static char path[512];

	snprintf(path, sizeof path, "%s/%s", g->dir, task);
	if (mkdir(path, 0755) == -1)
		assert_int_equal(errno, EEXIST);
	return path;
}

/* The content of <sandbox of task>/name (at most 4 KiB). Static buffer. */
static const char *
sandbox_file(const char *task, const char *name)
{
	static char buf[4096];
	char path[600];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s/%s/%s", g->dir, task, name);
	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY)) == -1)
		return buf;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static const char *want_file_task, *want_file_text;
static int
file_has_text(void)
{
	return strstr(sandbox_file(want_file_task, "stdout"), want_file_text) !=
	       NULL;
}

static void
wait_stdout(const char *task, const char *text)
{
	want_file_task = task;
	want_file_text = text;
	ut_run_until(g->l, file_has_text, WAIT_MS);
	assert_true(file_has_text());
}

static void
task_init(struct wire_task *t, const char *id, const char *cmd)
{
	memset(t, 0, sizeof *t);
	t->task_id = strdup(id);
	t->cmd = cmd != NULL ? strdup(cmd) : NULL;
	t->env = json_pack("{s:s}", "GREETING", "hello from the task");
}

static void
launch(const char *id, const char *cmd)
{
	struct wire_task t;
	struct cd_err err = {0};

	task_init(&t, id, cmd);
	assert_int_equal(g->ops->launch(g->impl, &t, sandbox_of(id), &err), 0);
	wire_task_release(&t);
}

/* The pid of a RUNNING event's checkpoint. */
static pid_t
checkpoint_pid(const struct ev_rec *r)
{
	assert_non_null(r->checkpoint);
	return (pid_t)json_integer_value(json_object_get(r->checkpoint, "pid"));
}

static int
gone(pid_t pid)
{
	return kill(pid, 0) == -1 && errno == ESRCH;
}

static void
new_mesos(void)
{
	struct ctr_mesos_conf mc = {0};

	mc.agent_key = "agent-test";
	mc.stop_timeout_ms = 2000;
	/* The host's cgroups are the integration tests' (test_t4_limits):
	 * here, rlimits only. */
	mc.cgroups_mount = "";
	g->impl = ctr_mesos_new(g->l, &mc, on_event, g, &g->ops);
	assert_non_null(g->impl);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	if (ut_tmpdir(f->dir, sizeof f->dir, "test_ctr_mesos") != 0)
		return -1;
	f->l = loop_new();
	g = f;
	new_mesos();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	int i;

	if (f->impl != NULL)
		f->ops->free(f->impl);
	ut_run_until(g->l, NULL, 20);
	/* Stop what a failed test left running (only our own children). */
	for (i = 0; i < f->nev; i++) {
		pid_t pid;

		if (f->ev[i].checkpoint == NULL)
			continue;
		pid = checkpoint_pid(&f->ev[i]);
		if (pid > 1 && waitpid(pid, NULL, WNOHANG) == 0) {
			(void)kill(-pid, SIGKILL);
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, NULL, 0);
		}
		json_decref(f->ev[i].checkpoint);
	}
	loop_free(f->l);
	ut_rm_rf(f->dir);
	free(f);
	g = NULL;
	return 0;
}

static void
test_launch_and_exit(void **state)
{
	const struct ev_rec *r;
	char cid[32];
	pid_t pid;

	(void)state;
	launch("fails", "echo \"$GREETING\"; echo oops >&2; "
			"test -n \"$MESOS_SANDBOX\" && pwd; exit 3");
	wait_end("fails");
	assert_int_equal(count_events("fails"), 2);
	r = &g->ev[0];
	assert_int_equal(r->state, TASK_RUNNING);
	pid = checkpoint_pid(r);
	assert_true(pid > 1);
	assert_true(json_integer_value(
			json_object_get(r->checkpoint, "start_time")) > 0);
	snprintf(cid, sizeof cid, "pid:%d", (int)pid);
	assert_string_equal(r->cid, cid);
	r = last_event("fails");
	assert_int_equal(r->state, TASK_FAILED);
	assert_string_equal(r->msg, "exited with status 3");
	assert_string_equal(r->reason, "REASON_COMMAND_EXECUTOR_FAILED");
	/* Its output, in its sandbox, where it ran. */
	assert_string_equal(sandbox_file("fails", "stderr"), "oops\n");
	assert_non_null(
	    strstr(sandbox_file("fails", "stdout"), "hello from the task\n"));
	assert_non_null(
	    strstr(sandbox_file("fails", "stdout"), sandbox_of("fails")));
	/* Reaped: no zombie left behind. */
	assert_true(gone(pid));

	launch("finishes", "exit 0");
	wait_end("finishes");
	r = last_event("finishes");
	assert_int_equal(r->state, TASK_FINISHED);
	assert_string_equal(r->msg, "exited with status 0");
}

static void
test_launch_cannot_exec(void **state)
{
	struct wire_task t;
	struct cd_err err = {0};
	const struct ev_rec *r;

	(void)state;
	task_init(&t, "noexec", NULL);
	t.args = json_pack("[s]", "/nonexistent/clusterd-test-binary");
	assert_int_equal(
	    g->ops->launch(g->impl, &t, sandbox_of("noexec"), &err), 0);
	wire_task_release(&t);
	wait_end("noexec");
	r = last_event("noexec");
	assert_int_equal(r->state, TASK_FAILED);
	assert_string_equal(r->reason, "REASON_CONTAINER_LAUNCH_FAILED");
	assert_non_null(strstr(r->msg, "cannot execute the command"));
	/* Never RUNNING. */
	assert_int_equal(count_events("noexec"), 1);
}

static void
test_kill_with_grace(void **state)
{
	const struct ev_rec *r;
	pid_t pid;

	(void)state;
	/* A task that ends on SIGTERM: the grace is not waited for. */
	launch("polite", "trap 'echo got-term; exit 0' TERM; echo ready; "
			 "while :; do sleep 0.05; done");
	wait_running("polite");
	pid = checkpoint_pid(last_event("polite"));
	wait_stdout("polite", "ready");
	assert_int_equal(g->ops->kill(g->impl, "polite", 60000), 0);
	wait_end("polite");
	r = last_event("polite");
	assert_int_equal(r->state, TASK_KILLED);
	assert_string_equal(r->msg, "killed on request");
	assert_non_null(strstr(sandbox_file("polite", "stdout"), "got-term"));
	assert_true(gone(pid));

	/* A task that survives SIGTERM is SIGKILLed after the grace. */
	launch("stubborn", "trap 'echo got-term; t=1' TERM; echo ready; "
			   "while :; do test -n \"$t\" && echo after-term; "
			   "sleep 0.05; done");
	wait_running("stubborn");
	pid = checkpoint_pid(last_event("stubborn"));
	wait_stdout("stubborn", "ready");
	assert_int_equal(g->ops->kill(g->impl, "stubborn", 1500), 0);
	wait_stdout("stubborn", "after-term");
	wait_end("stubborn");
	r = last_event("stubborn");
	assert_int_equal(r->state, TASK_KILLED);
	assert_string_equal(r->msg, "killed on request");
	assert_true(gone(pid));

	/* Unknown tasks. */
	assert_int_equal(g->ops->kill(g->impl, "stubborn", 0), -ENOENT);
}

static void
test_recover_checkpoint(void **state)
{
	struct wire_task t;
	const struct ev_rec *r;
	json_t *cp;
	pid_t pid;
	int status, before;

	(void)state;
	launch("survivor", "exec sleep 300");
	wait_running("survivor");
	r = last_event("survivor");
	pid = checkpoint_pid(r);
	cp = json_incref(r->checkpoint);

	/* The agent restarts: the process keeps running. */
	g->ops->free(g->impl);
	g->impl = NULL;
	assert_int_equal(kill(pid, 0), 0);
	new_mesos();
	before = g->nev;
	task_init(&t, "survivor", "exec sleep 300");
	assert_int_equal(
	    g->ops->recover(g->impl, &t, sandbox_of("survivor"), cp), 0);
	/* Re-adopted as it is: no event until it changes. */
	ut_run_until(g->l, NULL, 100);
	assert_int_equal(g->nev, before);
	assert_int_equal(g->ops->kill(g->impl, "survivor", 60000), 0);
	wait_end("survivor");
	r = last_event("survivor");
	assert_int_equal(r->state, TASK_KILLED);
	assert_string_equal(r->msg, "killed on request");
	/* Still the test's child: it ended by the SIGTERM of the kill. */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);

	wire_task_release(&t);

	/* A task with that checkpoint again: its process is gone now. */
	task_init(&t, "ghost", "exec sleep 300");
	assert_int_equal(g->ops->recover(g->impl, &t, sandbox_of("ghost"), cp),
			 0);
	wait_end("ghost");
	r = last_event("ghost");
	assert_int_equal(r->state, TASK_FAILED);
	assert_string_equal(r->msg, "process gone while the agent was down");
	assert_int_equal(count_events("ghost"), 1);
	wire_task_release(&t);
	json_decref(cp);
}

static void
test_recovered_exit(void **state)
{
	struct wire_task t;
	const struct ev_rec *r;
	json_t *cp;
	pid_t pid;

	(void)state;
	launch("orphan", "exec sleep 300");
	wait_running("orphan");
	pid = checkpoint_pid(last_event("orphan"));
	cp = json_incref(last_event("orphan")->checkpoint);
	g->ops->free(g->impl);
	new_mesos();
	task_init(&t, "orphan", "exec sleep 300");
	assert_int_equal(g->ops->recover(g->impl, &t, sandbox_of("orphan"), cp),
			 0);
	/* It ends on its own: not our child any more, its status is lost. */
	assert_int_equal(kill(pid, SIGTERM), 0);
	wait_end("orphan");
	r = last_event("orphan");
	assert_int_equal(r->state, TASK_FAILED);
	assert_string_equal(r->msg, "exit status unknown after agent restart");
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	wire_task_release(&t);
	json_decref(cp);
}

static void
exec_done(void *arg, int status, const char *why)
{
	(void)arg;
	g->exec_done++;
	g->exec_status = status;
	snprintf(g->exec_why, sizeof g->exec_why, "%s", why ? why : "");
}

static int
exec_finished(void)
{
	return g->exec_done > 0;
}

static void
test_exec(void **state)
{
	struct cd_err err = {0};
	struct ctr_exec *x;

	(void)state;
	launch("checked", "exec sleep 300");
	wait_running("checked");

	/* In the task's sandbox, with its environment. */
	x = g->ops->exec(g->impl, "checked",
			 "test \"$GREETING\" = 'hello from the task' && "
			 "touch exec-ran && exit 7",
			 WAIT_MS, exec_done, NULL, &err);
	assert_non_null(x);
	ut_run_until(g->l, exec_finished, WAIT_MS);
	assert_int_equal(g->exec_done, 1);
	assert_int_equal(g->exec_status, 7);
	assert_string_equal(g->exec_why, "exited with status 7");
	assert_int_equal(access("exec-ran", F_OK), -1);
	{
		char path[600];

		snprintf(path, sizeof path, "%s/checked/exec-ran", g->dir);
		assert_int_equal(access(path, F_OK), 0);
	}

	/* One that outlives its timeout is killed and reported. */
	g->exec_done = 0;
	x = g->ops->exec(g->impl, "checked", "sleep 300", 100, exec_done, NULL,
			 &err);
	assert_non_null(x);
	ut_run_until(g->l, exec_finished, WAIT_MS);
	assert_int_equal(g->exec_status, -ETIMEDOUT);

	/* Not for a task that does not run. */
	assert_null(g->ops->exec(g->impl, "nosuch", "true", 1000, exec_done,
				 NULL, &err));
	assert_int_equal(err.code, -ENOENT);

	assert_int_equal(g->ops->kill(g->impl, "checked", 0), 0);
	wait_end("checked");
	assert_int_equal(last_event("checked")->state, TASK_KILLED);
}

static pid_t want_pid;
static int
is_sleep(void)
{
	char path[64], comm[32] = "";
	ssize_t n;
	long nr;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/comm", (int)want_pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	n = read(fd, comm, sizeof comm - 1);
	close(fd);
	comm[n > 0 ? n : 0] = '\0';
	if (strcmp(comm, "sleep\n") != 0)
		return 0;
	/* exec has happened, but the loader may still hold libc open:
	 * sleep is asleep once it blocks in its sleeping system call. */
	snprintf(path, sizeof path, "/proc/%d/syscall", (int)want_pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return 0;
	n = read(fd, comm, sizeof comm - 1);
	close(fd);
	comm[n > 0 ? n : 0] = '\0';
	nr = strtol(comm, NULL, 10);
	return n > 0 && (nr == SYS_clock_nanosleep || nr == SYS_nanosleep);
}

/* Whether want_pid holds descriptors 0, 1 and 2 only. */
static int
only_stdio(void)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0, extra = 0;

	snprintf(path, sizeof path, "/proc/%d/fd", (int)want_pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			n++;
			extra += atoi(de->d_name) > 2;
		}
	closedir(d);
	return n == 3 && extra == 0;
}

static void
test_user_and_descriptors(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	struct wire_task t;
	struct cd_err err = {0};
	char want[64], path[64], extra[640];
	gid_t groups[64];
	int ngroups = 64, fd, i;
	pid_t pid;
	DIR *d;
	struct dirent *de;

	(void)state;
	assert_non_null(pw);
	/* A descriptor of the "agent's" the task must not get. */
	fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC */
	assert_true(fd > 2);
	task_init(&t, "nobody", "id -u; id -g; exec sleep 100");
	t.user = strdup("nobody");
	chmod(sandbox_of("nobody"), 0777);
	assert_int_equal(
	    g->ops->launch(g->impl, &t, sandbox_of("nobody"), &err), 0);
	wire_task_release(&t);
	close(fd);
	wait_running("nobody");
	snprintf(want, sizeof want, "%u\n%u\n", (unsigned)pw->pw_uid,
		 (unsigned)pw->pw_gid);
	wait_stdout("nobody", want);
	pid = checkpoint_pid(last_event("nobody"));
	/* The shell's own descriptors go with it: look once sleep runs. */
	want_pid = pid;
	ut_run_until(g->l, is_sleep, WAIT_MS);
	assert_true(is_sleep());
	/* Its groups are the user's (initgroups), not root's. */
	assert_true(getgrouplist("nobody", pw->pw_gid, groups, &ngroups) != -1);
	/* An inherited descriptor stays; the loader's (sleep mapping libc)
	 * goes: wait for stdio alone, a bound, not an expectation. */
	ut_run_until(g->l, only_stdio, WAIT_MS);
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	d = opendir(path);
	assert_non_null(d);
	i = 0;
	extra[0] = '\0';
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (atoi(de->d_name) > 2 && extra[0] == '\0') {
			char lp[384], target[256];
			ssize_t tn;

			snprintf(lp, sizeof lp, "%s/%s", path, de->d_name);
			tn = readlink(lp, target, sizeof target - 1);
			target[tn > 0 ? tn : 0] = '\0';
			snprintf(extra, sizeof extra, "fd %s -> %s", de->d_name,
				 target);
		}
		i++;
	}
	closedir(d);
	if (extra[0] != '\0')
		fail_msg("the task inherited %s", extra);
	assert_int_equal(i, 3);
	assert_int_equal(g->ops->kill(g->impl, "nobody", 0), 0);
	wait_end("nobody");

	/* No such user: refused at launch. */
	task_init(&t, "ghost", "true");
	t.user = strdup("no-such-user-clusterd");
	assert_int_equal(g->ops->launch(g->impl, &t, sandbox_of("ghost"), &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "no-such-user-clusterd"));
	wire_task_release(&t);
}

static void
test_rlimit_without_cgroups(void **state)
{
	struct wire_task t;
	struct cd_err err = {0};
	const struct ev_rec *r;

	(void)state;
	/* 48 MB: what the task can allocate without cgroups to limit it. */
	task_init(&t, "hog", "head -c 200000000 /dev/zero | tail");
	t.res.mem = 48;
	assert_int_equal(g->ops->launch(g->impl, &t, sandbox_of("hog"), &err),
			 0);
	wire_task_release(&t);
	wait_end("hog");
	r = last_event("hog");
	assert_int_equal(r->state, TASK_FAILED);
	/* No cgroup to tell why: a plain exit status. */
	assert_string_equal(r->reason, "REASON_COMMAND_EXECUTOR_FAILED");
}

/*
 * Usage without a cgroup: the leader's /proc figures, read at once.
 * A busy shell loop's CPU time grows between two reads.
 */
static void
test_usage_without_cgroups(void **state)
{
	struct ctr_usage_req *q = NULL;
	struct ctr_usage u1, u2;

	(void)state;
	launch("busy", "while :; do :; done");
	wait_running("busy");
	ut_run_until(g->l, NULL, 200);
	ctr_usage_init(&u1);
	assert_int_equal(g->ops->usage(g->impl, "busy", &u1, NULL, NULL, &q),
			 0);
	assert_null(q);
	ut_run_until(g->l, NULL, 500);
	ctr_usage_init(&u2);
	assert_int_equal(g->ops->usage(g->impl, "busy", &u2, NULL, NULL, &q),
			 0);
	assert_true(u1.cpus_user_time_secs >= 0);
	assert_true(u2.cpus_user_time_secs + u2.cpus_system_time_secs >
		    u1.cpus_user_time_secs + u1.cpus_system_time_secs);
	assert_true(u2.mem_rss_bytes > 0);
	assert_true(u2.threads >= 1);
	assert_int_equal(u2.mem_limit_bytes, -1); /* no cgroup: not known */
	assert_int_equal(
	    g->ops->usage(g->impl, "no-such-task", &u2, NULL, NULL, &q),
	    -ENOENT);
	assert_int_equal(g->ops->kill(g->impl, "busy", 0), 0);
	wait_end("busy");
	assert_int_equal(g->ops->usage(g->impl, "busy", &u2, NULL, NULL, &q),
			 -ENOENT);
}

/* cgroup v2's cpu.weight for cpus, as systemd maps shares onto it. */
static void
test_cgroup_weight(void **state)
{
	(void)state;
	assert_int_equal(ctr_cgroup_weight(1.0), 39); /* 1024 shares */
	assert_int_equal(ctr_cgroup_weight(0.0), 1);  /* at least 2 shares */
	assert_int_equal(ctr_cgroup_weight(1000.0), 10000);
	assert_true(ctr_cgroup_weight(2.0) > ctr_cgroup_weight(1.0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cgroup_weight),
	    cmocka_unit_test_setup_teardown(test_usage_without_cgroups, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_launch_and_exit, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_launch_cannot_exec, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_kill_with_grace, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_recover_checkpoint, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_recovered_exit, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_exec, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_user_and_descriptors, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rlimit_without_cgroups, setup,
					    teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
