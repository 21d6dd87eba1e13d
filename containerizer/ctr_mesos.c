/*
 * ctr_mesos.c: plain-process tasks (see ctr_mesos.h for the behaviour).
 * Owns one struct mz_task per launched or recovered task, with its pidfd
 * and exec-status pipe registered on the loop.
 *
 * Design: everything the child needs (argv, envp, open stdout/stderr
 * files) is prepared before fork(), so the child only makes
 * async-signal-safe calls until exec (libzookeeper_mt's threads may hold
 * malloc locks at fork time). A CLOEXEC pipe tells exec failure (the child
 * writes errno) from success (EOF). Exit is seen by a pidfd becoming
 * readable; our own children are reaped with waitid(P_PIDFD), never with
 * waitpid(-1), so other modules' children are not stolen. Events never
 * leave from inside a ctr_* call: they come from pidfd, pipe or timer
 * callbacks. An exec (health check command) is a struct mz_exec: its own
 * process group in the task's sandbox and environment, watched by a pidfd
 * like a task, SIGKILLed at its timeout; a cancelled exec stays listed,
 * without a callback, until its child is reaped. Loop thread only.
 */
#include "containerizer/ctr_mesos.h"

#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#define LOG_MOD "ctr_mesos"
#include "containerizer/ctr_int.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/xalloc.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define MZ_MAGIC 0x3e5050a1u
#define MZ_TASK_MAGIC 0x3e5050a2u
#define MZ_EXEC_MAGIC 0x3e5050a3u

struct mz_task;
struct mz_exec;

struct mz {
	struct ctr_base base; /* first: magic and event sink */
	struct loop *l;	      /* borrowed: the agent's loop */
	int stop_timeout_ms;
	struct mz_task *tasks; /* owned: list */
	struct mz_exec *execs; /* owned: list */
};

/* A command run for a task (health check); see ctr_ops.exec. */
struct mz_exec {
	struct ctr_exec base; /* first: the cancel hook */
	unsigned magic;
	struct mz *m; /* borrowed: owner */
	pid_t pid;
	int pidfd;		  /* owned */
	struct event *ev;	  /* owned: pidfd readable */
	struct loop_timer *timer; /* owned: the timeout */
	long timeout_ms;
	bool timed_out;
	ctr_exec_fn *done; /* NULL once cancelled */
	void *arg;
	struct mz_exec *next; /* owned: list */
};

struct mz_task {
	unsigned magic;
	struct mz *m;  /* borrowed: owner */
	char *task_id; /* owned */
	pid_t pid;
	unsigned long long start_time;
	int pidfd;		  /* owned, -1 when none */
	struct event *pid_ev;	  /* owned */
	int pipefd;		  /* owned, -1 once exec is settled */
	struct event *pipe_ev;	  /* owned */
	struct loop_timer *timer; /* owned: kill escalation or deferred end */
	int kill_grace_ms;	  /* the task's own grace, 0 = default */
	char *sandbox;		  /* owned: for execs */
	json_t *env;		  /* ref: the task's env, for execs */
	int exec_errno;		  /* errno of a failed exec, else 0 */
	bool child;		  /* ours to reap (not recovered) */
	bool running_sent;
	bool kill_req;
	bool gone;	      /* recovered but dead: end from the timer */
	struct mz_task *next; /* owned: list */
};

static void mz_end(struct mz_task *t);

int
ctr_mesos_handles(const struct wire_task *t)
{
	const json_t *c = t->container;
	const char *type = json_string_value(json_object_get(c, "type"));

	if (type != NULL && strcasecmp(type, "DOCKER") == 0)
		return 0;
	if (json_object_get(json_object_get(c, "docker"), "image") != NULL)
		return 0;
	return t->cmd != NULL || json_array_size(t->args) > 0;
}

/* Field 22 (starttime) of /proc/<pid>/stat: tells a pid from its reuse. */
static int
mz_start_time(pid_t pid, unsigned long long *out)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -errno;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	/* comm may hold spaces and ')': fields restart after the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -EIO;
	for (i = 2; i < 22; i++) {
		p = strchr(p + 1, ' ');
		if (p == NULL)
			return -EIO;
	}
	*out = strtoull(p + 1, NULL, 10);
	return 0;
}

static struct mz_task *
mz_find(struct mz *m, const char *task_id)
{
	struct mz_task *t;

	for (t = m->tasks; t != NULL; t = t->next)
		if (strcmp(t->task_id, task_id) == 0)
			return t;
	return NULL;
}

static void
mz_task_free(struct mz_task *t)
{
	if (t->pid_ev != NULL)
		event_free(t->pid_ev);
	if (t->pipe_ev != NULL)
		event_free(t->pipe_ev);
	if (t->pidfd != -1)
		close(t->pidfd);
	if (t->pipefd != -1)
		close(t->pipefd);
	loop_timer_free(t->timer);
	free(t->task_id);
	free(t->sandbox);
	json_decref(t->env);
	CD_FREE_OBJ(t);
}

static void
mz_unlink(struct mz_task *t)
{
	struct mz_task **tp;

	for (tp = &t->m->tasks; *tp != NULL; tp = &(*tp)->next)
		if (*tp == t) {
			*tp = t->next;
			return;
		}
}

static void
mz_emit(struct mz_task *t, enum task_state st, const char *msg,
	const char *reason, const json_t *checkpoint)
{
	struct ctr_event ev;
	char cid[32];

	snprintf(cid, sizeof cid, "pid:%d", (int)t->pid);
	memset(&ev, 0, sizeof ev);
	ev.task_id = t->task_id;
	ev.state = st;
	ev.message = msg;
	ev.reason = reason;
	ev.container_id = t->pid > 0 ? cid : NULL;
	ev.checkpoint = checkpoint;
	ctr_base_emit(&t->m->base, &ev);
}

static void
mz_send_running(struct mz_task *t)
{
	json_t *cp;

	if (t->running_sent)
		return;
	t->running_sent = true;
	if (mz_start_time(t->pid, &t->start_time) != 0)
		log_warn("task %s: cannot read the start time of pid %d",
			 t->task_id, (int)t->pid);
	cp = json_pack("{s:i,s:I}", "pid", (int)t->pid, "start_time",
		       (json_int_t)t->start_time);
	mz_emit(t, TASK_RUNNING, NULL, NULL, cp);
	json_decref(cp);
}

/* Read what the child wrote before exec: errno on failure, EOF on success. */
static bool
mz_pipe_drain(struct mz_task *t)
{
	int e;
	ssize_t n;

	if (t->pipefd == -1)
		return true;
	for (;;) {
		n = read(t->pipefd, &e, sizeof e);
		if (n == (ssize_t)sizeof e) {
			t->exec_errno = e;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return false;
		break; /* EOF (or a short read: treat as settled) */
	}
	event_free(t->pipe_ev);
	t->pipe_ev = NULL;
	close(t->pipefd);
	t->pipefd = -1;
	return true;
}

static void
mz_pipe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mz_task *t = arg;

	(void)fd;
	(void)what;
	CD_CHECK_OBJ(t, MZ_TASK_MAGIC);
	if (mz_pipe_drain(t) && t->exec_errno == 0)
		mz_send_running(t);
}

static void
mz_pid_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mz_task *t = arg;

	(void)fd;
	(void)what;
	CD_CHECK_OBJ(t, MZ_TASK_MAGIC);
	mz_end(t);
}

/* The leader exited: collect its status, report, forget the task. */
static void
mz_end(struct mz_task *t)
{
	siginfo_t si;
	char msg[160];
	enum task_state st;
	const char *reason = NULL;
	int rc, status;

	(void)mz_pipe_drain(t);
	if (t->exec_errno == 0 && t->child && !t->gone)
		mz_send_running(t); /* exited before the pipe was read */
	memset(&si, 0, sizeof si);
	if (t->child) {
		/* The zombie still holds the group id: clear out the rest. */
		(void)kill(-t->pid, SIGKILL);
		rc = waitid((idtype_t)P_PIDFD, (id_t)t->pidfd, &si, WEXITED);
		if (rc == -1 && errno == EINVAL &&
		    waitpid(t->pid, &status, 0) == t->pid) {
			rc = 0;
			si.si_code =
			    WIFEXITED(status) ? CLD_EXITED : CLD_KILLED;
			si.si_status = WIFEXITED(status) ? WEXITSTATUS(status)
							 : WTERMSIG(status);
		}
	} else {
		rc = -1;
	}
	if (t->exec_errno != 0) {
		st = TASK_FAILED;
		reason = "REASON_CONTAINER_LAUNCH_FAILED";
		snprintf(msg, sizeof msg, "cannot execute the command: %s",
			 strerror(t->exec_errno));
	} else if (t->kill_req) {
		st = TASK_KILLED;
		snprintf(msg, sizeof msg, "killed on request");
	} else if (t->gone) {
		st = TASK_FAILED;
		reason = "REASON_EXECUTOR_TERMINATED";
		snprintf(msg, sizeof msg,
			 "process gone while the agent was down");
	} else if (!t->child) {
		st = TASK_FAILED;
		reason = "REASON_EXECUTOR_TERMINATED";
		snprintf(msg, sizeof msg,
			 "exit status unknown after agent restart");
	} else if (rc == -1) {
		st = TASK_FAILED;
		reason = "REASON_EXECUTOR_TERMINATED";
		snprintf(msg, sizeof msg, "exit status unknown: %s",
			 strerror(errno));
	} else if (si.si_code == CLD_EXITED && si.si_status == 0) {
		st = TASK_FINISHED;
		snprintf(msg, sizeof msg, "exited with status 0");
	} else if (si.si_code == CLD_EXITED) {
		st = TASK_FAILED;
		reason = "REASON_COMMAND_EXECUTOR_FAILED";
		snprintf(msg, sizeof msg, "exited with status %d",
			 si.si_status);
	} else {
		st = TASK_FAILED;
		reason = "REASON_COMMAND_EXECUTOR_FAILED";
		snprintf(msg, sizeof msg, "killed by signal %d (%s)",
			 si.si_status, strsignal(si.si_status));
	}
	log_info("task %s (pid %d): %s", t->task_id, (int)t->pid, msg);
	mz_unlink(t);
	mz_emit(t, st, msg, reason, NULL);
	mz_task_free(t);
}

static void
mz_signal(struct mz_task *t, int sig)
{
	if (t->gone || t->pid <= 0)
		return;
	/* The group first; a recovered process may have left it. */
	if (kill(-t->pid, sig) == -1 && errno == ESRCH)
		(void)kill(t->pid, sig);
}

static void
mz_timer_cb(void *arg)
{
	struct mz_task *t = arg;

	CD_CHECK_OBJ(t, MZ_TASK_MAGIC);
	if (t->gone) {
		mz_end(t);
		return;
	}
	log_info("task %s: grace expired, SIGKILL to group %d", t->task_id,
		 (int)t->pid);
	mz_signal(t, SIGKILL);
}

static struct mz_task *
mz_task_new(struct mz *m, const struct wire_task *wt, const char *sandbox,
	    pid_t pid)
{
	struct mz_task *t;

	CD_ALLOC_OBJ(t, MZ_TASK_MAGIC);
	t->m = m;
	t->task_id = xstrdup(wt->task_id);
	t->sandbox = xstrdup(sandbox);
	t->env = wt->env != NULL ? json_deep_copy(wt->env) : json_object();
	t->kill_grace_ms = wt->kill_grace_ms;
	t->pid = pid;
	t->pidfd = -1;
	t->pipefd = -1;
	t->timer = loop_timer_new(m->l, mz_timer_cb, t);
	t->next = m->tasks;
	m->tasks = t;
	return t;
}

static int
mz_watch(struct mz_task *t)
{
	t->pid_ev =
	    event_new(loop_base(t->m->l), t->pidfd, EV_READ, mz_pid_cb, t);
	AN(t->pid_ev);
	return event_add(t->pid_ev, NULL) == 0 ? 0 : -EIO;
}

/* NULL-terminated vectors built before fork. */
struct mz_vec {
	char **v; /* owned, and each string */
	size_t n;
};

static void
mz_vec_add(struct mz_vec *a, char *s)
{
	a->v = xrealloc(a->v, (a->n + 2) * sizeof *a->v);
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void
mz_vec_free(struct mz_vec *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

static bool
mz_env_overridden(const char *kv, const json_t *env)
{
	const char *eq = strchr(kv, '=');
	char key[256];
	size_t n;

	if (eq == NULL)
		return true;
	n = (size_t)(eq - kv);
	if (n >= sizeof key)
		return false;
	memcpy(key, kv, n);
	key[n] = '\0';
	return strncmp(key, "CLUSTERD_", 9) == 0 ||
	       strcmp(key, "MESOS_SANDBOX") == 0 ||
	       json_object_get(env, key) != NULL;
}

/* The environment of a task's processes: ours, then the task's env. */
static void
mz_build_env(const json_t *env, const char *sandbox, struct mz_vec *envp)
{
	const char *k;
	json_t *v;
	char **e;

	for (e = environ; e != NULL && *e != NULL; e++)
		if (!mz_env_overridden(*e, env))
			mz_vec_add(envp, xstrdup(*e));
	json_object_foreach((json_t *)(uintptr_t)env, k, v)
		if (json_is_string(v))
			mz_vec_add(envp,
				   xasprintf("%s=%s", k, json_string_value(v)));
	mz_vec_add(envp, xasprintf("MESOS_SANDBOX=%s", sandbox));
}

static void
mz_build(const struct wire_task *t, const char *sandbox, struct mz_vec *argv,
	 struct mz_vec *envp)
{
	json_t *v;
	size_t i;

	if (t->cmd != NULL) {
		mz_vec_add(argv, xstrdup("/bin/sh"));
		mz_vec_add(argv, xstrdup("-c"));
		mz_vec_add(argv, xstrdup(t->cmd));
	} else {
		json_array_foreach(t->args, i, v)
			mz_vec_add(argv, xstrdup(json_string_value(v)
						     ? json_string_value(v)
						     : ""));
	}
	mz_build_env(t->env, sandbox, envp);
}

static int
mz_open_log(const char *sandbox, const char *name, struct cd_err *err)
{
	char path[4096];
	int n, fd;

	n = snprintf(path, sizeof path, "%s/%s", sandbox, name);
	if (n < 0 || (size_t)n >= sizeof path)
		return cd_err_set(err, -ENAMETOOLONG, "sandbox path too long");
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd == -1)
		return cd_err_set(err, -errno, "cannot open %s: %s", path,
				  strerror(errno));
	return fd;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void CD_NORETURN
mz_child(const char *sandbox, char **argv, char **envp, bool shell, int outfd,
	 int errfd, int pipew)
{
	static const int sigs[] = {SIGPIPE, SIGCHLD, SIGINT,  SIGTERM, SIGHUP,
				   SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM};
	sigset_t none;
	size_t i;
	int e, nullfd;

	(void)setsid();
	for (i = 0; i < CD_NELEM(sigs); i++)
		(void)signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (chdir(sandbox) == -1)
		goto fail;
	nullfd = open("/dev/null", O_RDONLY);
	if (nullfd == -1 || dup2(nullfd, 0) == -1 || dup2(outfd, 1) == -1 ||
	    dup2(errfd, 2) == -1)
		goto fail;
	if (nullfd > 2)
		close(nullfd);
	if (shell)
		execve("/bin/sh", argv, envp);
	else
		execvpe(argv[0], argv, envp);
fail:
	e = errno;
	(void)!write(pipew, &e, sizeof e);
	_exit(127);
}

static int
mz_launch(void *impl, const struct wire_task *wt, const char *sandbox,
	  struct cd_err *err)
{
	struct mz *m = impl;
	struct mz_vec argv = {NULL, 0}, envp = {NULL, 0};
	struct mz_task *t;
	int outfd = -1, errfd = -1, p[2] = {-1, -1}, pidfd, rc = 0;
	pid_t pid;

	CD_ASSERT(m->base.magic == MZ_MAGIC);
	if (mz_find(m, wt->task_id) != NULL)
		return cd_err_set(err, -EEXIST, "task %s is already running",
				  wt->task_id);
	if (wt->cmd == NULL && json_array_size(wt->args) == 0)
		return cd_err_set(err, -EINVAL, "task %s has no cmd or args",
				  wt->task_id);
	mz_build(wt, sandbox, &argv, &envp);
	if ((outfd = rc = mz_open_log(sandbox, "stdout", err)) < 0 ||
	    (errfd = rc = mz_open_log(sandbox, "stderr", err)) < 0)
		goto out;
	rc = 0;
	if (pipe2(p, O_CLOEXEC) == -1) {
		rc = cd_err_set(err, -errno, "pipe2: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid == -1) {
		rc = cd_err_set(err, -errno, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		mz_child(sandbox, argv.v, envp.v, wt->cmd != NULL, outfd, errfd,
			 p[1]);
	close(p[1]);
	p[1] = -1;
	t = mz_task_new(m, wt, sandbox, pid);
	t->child = true;
	t->pipefd = p[0];
	p[0] = -1;
	(void)fcntl(t->pipefd, F_SETFL, O_NONBLOCK);
	t->pipe_ev = event_new(loop_base(m->l), t->pipefd, EV_READ | EV_PERSIST,
			       mz_pipe_cb, t);
	AN(t->pipe_ev);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd == -1) {
		/* Cannot watch it: do not leave it running unwatched. */
		rc = cd_err_set(err, -errno, "pidfd_open: %s", strerror(errno));
		(void)kill(-pid, SIGKILL);
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		mz_unlink(t);
		mz_task_free(t);
		goto out;
	}
	t->pidfd = pidfd;
	(void)fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	event_add(t->pipe_ev, NULL);
	if (mz_watch(t) != 0)
		log_error("task %s: cannot watch pid %d", t->task_id, (int)pid);
	log_info("task %s: started pid %d in %s", t->task_id, (int)pid,
		 sandbox);
out:
	if (outfd >= 0)
		close(outfd);
	if (errfd >= 0)
		close(errfd);
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	mz_vec_free(&argv);
	mz_vec_free(&envp);
	return rc;
}

static int
mz_kill(void *impl, const char *task_id, int grace_ms)
{
	struct mz *m = impl;
	struct mz_task *t;

	CD_ASSERT(m->base.magic == MZ_MAGIC);
	if ((t = mz_find(m, task_id)) == NULL)
		return -ENOENT;
	if (grace_ms <= 0)
		grace_ms = t->kill_grace_ms > 0 ? t->kill_grace_ms
						: m->stop_timeout_ms;
	if (t->kill_req) {
		/* A second kill may only shorten the grace. */
		if (!t->gone && grace_ms == 0)
			mz_signal(t, SIGKILL);
		return 0;
	}
	t->kill_req = true;
	if (t->gone)
		return 0;
	log_info("task %s: SIGTERM to group %d, grace %d ms", task_id,
		 (int)t->pid, grace_ms);
	mz_signal(t, SIGTERM);
	loop_timer_add(t->timer, (uint64_t)(grace_ms > 0 ? grace_ms : 0));
	return 0;
}

static int
mz_recover(void *impl, const struct wire_task *wt, const char *sandbox,
	   const json_t *checkpoint)
{
	struct mz *m = impl;
	struct mz_task *t;
	json_int_t pid = json_integer_value(json_object_get(checkpoint, "pid"));
	unsigned long long want = (unsigned long long)json_integer_value(
	    json_object_get(checkpoint, "start_time"));
	unsigned long long now = 0;
	int pidfd = -1;

	CD_ASSERT(m->base.magic == MZ_MAGIC);
	if (mz_find(m, wt->task_id) != NULL)
		return -EEXIST;
	if (pid <= 1 || pid > INT32_MAX)
		pid = 0;
	if (pid > 0 && mz_start_time((pid_t)pid, &now) == 0 && now == want) {
		pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
		/* Re-check: the pid may have been reused before the open. */
		if (pidfd != -1 &&
		    (mz_start_time((pid_t)pid, &now) != 0 || now != want)) {
			close(pidfd);
			pidfd = -1;
		}
	}
	t = mz_task_new(m, wt, sandbox, (pid_t)pid);
	t->start_time = want;
	t->running_sent = true;
	if (pidfd == -1) {
		log_warn("task %s: pid %lld is gone", wt->task_id,
			 (long long)pid);
		t->gone = true;
		loop_timer_add(t->timer, 0);
		return 0;
	}
	t->pidfd = pidfd;
	(void)fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	if (mz_watch(t) != 0)
		log_error("task %s: cannot watch pid %d", t->task_id,
			  (int)t->pid);
	log_info("task %s: re-adopted pid %d", t->task_id, (int)t->pid);
	return 0;
}

static int
mz_reap_orphans(void *impl, const char *const *known, size_t n)
{
	(void)impl;
	(void)known;
	(void)n;
	return 0; /* processes carry no label to find them by */
}

/* ---- exec ---- */

static void
mz_exec_free(struct mz_exec *x)
{
	struct mz_exec **xp;

	for (xp = &x->m->execs; *xp != NULL; xp = &(*xp)->next)
		if (*xp == x) {
			*xp = x->next;
			break;
		}
	if (x->ev != NULL)
		event_free(x->ev);
	if (x->pidfd != -1)
		close(x->pidfd);
	loop_timer_free(x->timer);
	CD_FREE_OBJ(x);
}

/* The child exited: reap it, report (unless cancelled), forget it. */
static void
mz_exec_pid_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mz_exec *x = arg;
	siginfo_t si;
	char why[96];
	int status, rc;

	(void)fd;
	(void)what;
	CD_CHECK_OBJ(x, MZ_EXEC_MAGIC);
	(void)kill(-x->pid, SIGKILL); /* whatever it left in its group */
	memset(&si, 0, sizeof si);
	rc = waitid((idtype_t)P_PIDFD, (id_t)x->pidfd, &si, WEXITED);
	if (rc == -1 && errno == EINVAL &&
	    waitpid(x->pid, &status, WNOHANG) == x->pid) {
		rc = 0; /* a kernel without P_PIDFD: it has exited */
		si.si_code = WIFEXITED(status) ? CLD_EXITED : CLD_KILLED;
		si.si_status =
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status);
	}
	if (rc == -1) {
		status = -ECHILD;
		snprintf(why, sizeof why, "exit status unknown: %s",
			 strerror(errno));
	} else if (x->timed_out) {
		status = -ETIMEDOUT;
		snprintf(why, sizeof why, "timed out after %ld ms",
			 x->timeout_ms);
	} else if (si.si_code == CLD_EXITED) {
		status = si.si_status;
		snprintf(why, sizeof why, "exited with status %d", status);
	} else {
		status = 128 + si.si_status;
		snprintf(why, sizeof why, "killed by signal %d", si.si_status);
	}
	if (x->done != NULL)
		x->done(x->arg, status, status == 0 ? NULL : why);
	mz_exec_free(x);
}

static void
mz_exec_timer_cb(void *arg)
{
	struct mz_exec *x = arg;

	CD_CHECK_OBJ(x, MZ_EXEC_MAGIC);
	x->timed_out = true;
	(void)kill(-x->pid, SIGKILL); /* the pidfd callback reports it */
}

static void
mz_exec_cancel(struct ctr_exec *base)
{
	struct mz_exec *x = (struct mz_exec *)base;

	CD_CHECK_OBJ(x, MZ_EXEC_MAGIC);
	/* Killed now, reaped when its pidfd says so. */
	x->done = NULL;
	x->arg = NULL;
	loop_timer_del(x->timer);
	(void)kill(-x->pid, SIGKILL);
}

/* In the child: async-signal-safe calls only, as mz_child. */
static void CD_NORETURN
mz_exec_child(const char *sandbox, char **argv, char **envp, int nullfd)
{
	static const int sigs[] = {SIGPIPE, SIGCHLD, SIGINT,  SIGTERM, SIGHUP,
				   SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM};
	sigset_t none;
	size_t i;

	(void)setsid();
	for (i = 0; i < CD_NELEM(sigs); i++)
		(void)signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (chdir(sandbox) == -1 || dup2(nullfd, 0) == -1 ||
	    dup2(nullfd, 1) == -1 || dup2(nullfd, 2) == -1)
		_exit(127);
	execve("/bin/sh", argv, envp);
	_exit(127);
}

static struct ctr_exec *
mz_exec(void *impl, const char *task_id, const char *cmd, long timeout_ms,
	ctr_exec_fn *done, void *arg, struct cd_err *err)
{
	struct mz *m = impl;
	struct mz_vec argv = {NULL, 0}, envp = {NULL, 0};
	struct mz_exec *x = NULL;
	struct mz_task *t;
	int nullfd = -1, pidfd;
	pid_t pid;

	CD_ASSERT(m->base.magic == MZ_MAGIC);
	t = mz_find(m, task_id);
	if (t == NULL || t->gone || t->pid <= 0 || !t->running_sent) {
		cd_err_set(err, -ENOENT, "task %s is not running", task_id);
		return NULL;
	}
	mz_vec_add(&argv, xstrdup("sh"));
	mz_vec_add(&argv, xstrdup("-c"));
	mz_vec_add(&argv, xstrdup(cmd));
	mz_build_env(t->env, t->sandbox, &envp);
	nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nullfd == -1) {
		cd_err_set(err, -errno, "/dev/null: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid == -1) {
		cd_err_set(err, -errno, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		mz_exec_child(t->sandbox, argv.v, envp.v, nullfd);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd == -1) {
		cd_err_set(err, -errno, "pidfd_open: %s", strerror(errno));
		(void)kill(-pid, SIGKILL);
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		goto out;
	}
	(void)fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	CD_ALLOC_OBJ(x, MZ_EXEC_MAGIC);
	x->base.cancel = mz_exec_cancel;
	x->m = m;
	x->pid = pid;
	x->pidfd = pidfd;
	x->timeout_ms = timeout_ms;
	x->done = done;
	x->arg = arg;
	x->ev = event_new(loop_base(m->l), pidfd, EV_READ, mz_exec_pid_cb, x);
	AN(x->ev);
	event_add(x->ev, NULL);
	x->timer = loop_timer_new(m->l, mz_exec_timer_cb, x);
	loop_timer_add(x->timer, (uint64_t)(timeout_ms > 0 ? timeout_ms : 0));
	x->next = m->execs;
	m->execs = x;
out:
	if (nullfd != -1)
		close(nullfd);
	mz_vec_free(&argv);
	mz_vec_free(&envp);
	return x != NULL ? &x->base : NULL;
}

static void
mz_free(void *impl)
{
	struct mz *m = impl;
	struct mz_task *t, *tn;

	if (m == NULL)
		return;
	CD_ASSERT(m->base.magic == MZ_MAGIC);
	/* The processes keep running: a restarted agent re-adopts them. */
	for (t = m->tasks; t != NULL; t = tn) {
		tn = t->next;
		mz_task_free(t);
	}
	while (m->execs != NULL) {
		(void)kill(-m->execs->pid, SIGKILL);
		mz_exec_free(m->execs);
	}
	m->base.magic = 0;
	free(m);
}

static const struct ctr_ops mz_ops = {
    .name = "mesos",
    .handles = ctr_mesos_handles,
    .launch = mz_launch,
    .kill = mz_kill,
    .recover = mz_recover,
    .reap_orphans = mz_reap_orphans,
    .free = mz_free,
    .exec = mz_exec,
};

void *
ctr_mesos_new(struct loop *l, const struct ctr_mesos_conf *conf,
	      ctr_event_fn *ev, void *arg, const struct ctr_ops **ops)
{
	struct mz *m = xcalloc(1, sizeof *m);

	m->base.magic = MZ_MAGIC;
	m->base.ev = ev;
	m->base.ev_arg = arg;
	m->l = l;
	m->stop_timeout_ms =
	    conf->stop_timeout_ms > 0 ? conf->stop_timeout_ms : 10000;
	*ops = &mz_ops;
	return m;
}
