/*
 * ctr_mesos.c: plain-process tasks (see ctr_mesos.h for the behaviour):
 * the driver and its ctr_ops. Owns one struct mz_task per launched or
 * recovered task, with its pidfd and exec-status pipe registered on the
 * loop, and the list of health check commands in flight. Calls
 * ctr_mesos_exec.c (those commands) and ctr_mesos_spawn.c (how a process
 * is prepared and started), which call nothing back.
 *
 * Design: everything the child needs (argv, envp, open stdout/stderr
 * files) is prepared before fork(), so the child only makes
 * async-signal-safe calls until exec (libzookeeper_mt's threads may hold
 * malloc locks at fork time). A CLOEXEC pipe tells exec failure (the child
 * writes errno) from success (EOF). Exit is seen by a pidfd becoming
 * readable; our own children are reaped with waitid(P_PIDFD), never with
 * waitpid(-1), so other modules' children are not stolen. Events never
 * leave from inside a ctr_* call: they come from pidfd, pipe or timer
 * callbacks. Loop thread only.
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
#include "containerizer/ctr_cgroup.h"
#include "containerizer/ctr_int.h"
#include "containerizer/ctr_mesos_exec.h"
#include "containerizer/ctr_mesos_spawn.h"
#include "containerizer/ctr_user.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/xalloc.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define MZ_MAGIC 0x3e5050a1u
#define MZ_TASK_MAGIC 0x3e5050a2u
#define MZ_MIN_MEM (32LL * 1024 * 1024)
#define MZ_RMCG_MS 200	  /* between tries to remove an ended cgroup */
#define MZ_RMCG_TRIES 150 /* 30 s */

struct mz_task;

/* An ended task's cgroup, removed once its last process is gone. */
struct mz_rmcg {
	struct ctr_cgroup *cg; /* owned */
	int tries;
	LIST_ENTRY(mz_rmcg) link; /* on m->rmcgs */
};

struct mz {
	struct ctr_base base; /* first: magic and event sink */
	struct loop *l;	      /* borrowed: the agent's loop */
	int stop_timeout_ms;
	bool cfs;
	struct ctr_cgroup_sys *cg_sys;	  /* owned or NULL: rlimits only */
	LIST_HEAD(, mz_task) tasks;	  /* owned */
	struct ctr_mesos_exec_list execs; /* owned (ctr_mesos_exec.c) */
	LIST_HEAD(, mz_rmcg) rmcgs;	  /* owned */
	struct loop_timer *rmcg_timer;	  /* owned */
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
	bool gone;		  /* recovered but dead: end from the timer */
	struct ctr_cgroup *cg;	  /* owned or NULL: its limits */
	struct event *oom_ev;	  /* owned or NULL: cg's memory limit hit */
	bool oom;		  /* its memory limit killed a process */
	int mem_mb;		  /* its memory limit, for messages */
	struct ctr_user user;	  /* owned: who it runs as (execs too) */
	LIST_ENTRY(mz_task) link; /* on m->tasks */
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

static struct mz_task *
mz_find(struct mz *m, const char *task_id)
{
	struct mz_task *t;

	LIST_FOREACH(t, &m->tasks, link)
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
	if (t->oom_ev != NULL)
		event_free(t->oom_ev);
	ctr_cgroup_free(t->cg);
	ctr_user_release(&t->user);
	loop_timer_free(t->timer);
	free(t->task_id);
	free(t->sandbox);
	json_decref(t->env);
	CD_FREE_OBJ(t);
}

static void
mz_rmcg_cb(void *arg)
{
	struct mz *m = arg;
	struct mz_rmcg *r, *next;
	int rc;

	for (r = LIST_FIRST(&m->rmcgs); r != NULL; r = next) {
		next = LIST_NEXT(r, link);
		(void)ctr_cgroup_kill_all(r->cg);
		rc = ctr_cgroup_remove(r->cg);
		if (rc == -EBUSY && ++r->tries < MZ_RMCG_TRIES)
			continue;
		if (rc != 0)
			log_warn("cannot remove a task's cgroup: %s",
				 strerror(-rc));
		LIST_REMOVE(r, link);
		ctr_cgroup_free(r->cg);
		free(r);
	}
	if (!LIST_EMPTY(&m->rmcgs))
		loop_timer_add(m->rmcg_timer, MZ_RMCG_MS);
}

/* The task ended: whatever is left in its cgroup dies, then the cgroup
 * goes (as soon as the kernel lets it). */
static void mz_rmcg_add(void *arg, struct ctr_cgroup *cg);

static void
mz_cgroup_end(struct mz_task *t)
{
	if (t->cg == NULL)
		return;
	if (t->oom_ev != NULL)
		event_free(t->oom_ev);
	t->oom_ev = NULL;
	(void)ctr_cgroup_kill_all(t->cg);
	if (ctr_cgroup_remove(t->cg) == 0) {
		ctr_cgroup_free(t->cg);
		t->cg = NULL;
		return;
	}
	mz_rmcg_add(t->m, t->cg);
	t->cg = NULL;
}

static void
mz_emit(struct mz_task *t, enum task_state st, const char *msg,
	const char *reason, const json_t *checkpoint)
{
	char cid[32];

	snprintf(cid, sizeof cid, "pid:%d", (int)t->pid);
	ctr_base_emit_state(&t->m->base, t->task_id, st, msg, reason,
			    t->pid > 0 ? cid : NULL, checkpoint);
}

static void
mz_send_running(struct mz_task *t)
{
	json_t *cp;

	if (t->running_sent)
		return;
	t->running_sent = true;
	if (ctr_mesos_spawn_start_time(t->pid, &t->start_time) != 0)
		log_warn("task %s: cannot read the start time of pid %d",
			 t->task_id, (int)t->pid);
	cp = json_pack("{s:i,s:I,s:b}", "pid", (int)t->pid, "start_time",
		       (json_int_t)t->start_time, "cgroup", t->cg != NULL);
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
	if (t->cg != NULL && !t->oom && ctr_cgroup_oom_killed(t->cg))
		t->oom = true; /* before its notification was read */
	if (t->exec_errno != 0) {
		st = TASK_FAILED;
		reason = "REASON_CONTAINER_LAUNCH_FAILED";
		snprintf(msg, sizeof msg, "cannot execute the command: %s",
			 strerror(t->exec_errno));
	} else if (t->oom && !t->kill_req) {
		/* As Mesos' memory isolator reports it. */
		st = TASK_FAILED;
		reason = "REASON_CONTAINER_LIMITATION_MEMORY";
		snprintf(msg, sizeof msg,
			 "Memory limit exceeded: Requested: %dMB Maximum "
			 "Used: %lldMB",
			 t->mem_mb, ctr_cgroup_peak_mb(t->cg));
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
	mz_cgroup_end(t);
	LIST_REMOVE(t, link);
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
	t->mem_mb = (int)wt->res.mem;
	t->pid = pid;
	t->pidfd = -1;
	t->pipefd = -1;
	t->timer = loop_timer_new(m->l, mz_timer_cb, t);
	LIST_INSERT_HEAD(&m->tasks, t, link);
	return t;
}

/* The cgroup hit its memory limit: as Mesos, the whole task goes. */
static void
mz_oom_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mz_task *t = arg;

	(void)fd;
	(void)what;
	CD_CHECK_OBJ(t, MZ_TASK_MAGIC);
	ctr_cgroup_oom_drain(t->cg);
	if (t->oom || !ctr_cgroup_oom_killed(t->cg))
		return;
	t->oom = true;
	log_warn("task %s: memory limit of %d MB exceeded; killing it",
		 t->task_id, t->mem_mb);
	(void)ctr_cgroup_kill_all(t->cg);
	mz_signal(t, SIGKILL);
}

static int
mz_watch(struct mz_task *t)
{
	int ofd = t->cg != NULL ? ctr_cgroup_oom_fd(t->cg) : -1;

	if (ofd != -1) {
		t->oom_ev = event_new(loop_base(t->m->l), ofd,
				      EV_READ | EV_PERSIST, mz_oom_cb, t);
		AN(t->oom_ev);
		(void)event_add(t->oom_ev, NULL);
	}
	t->pid_ev =
	    event_new(loop_base(t->m->l), t->pidfd, EV_READ, mz_pid_cb, t);
	AN(t->pid_ev);
	return event_add(t->pid_ev, NULL) == 0 ? 0 : -EIO;
}

static int
mz_launch(void *impl, const struct wire_task *wt, const char *sandbox,
	  struct cd_err *err)
{
	struct mz *m = impl;
	struct ctr_mesos_spawn_vec argv = {NULL, 0, 0}, envp = {NULL, 0, 0};
	struct ctr_mesos_spawn_limits lim;
	struct ctr_cgroup *cg = NULL;
	struct ctr_user u;
	struct mz_task *t;
	int outfd = -1, errfd = -1, p[2] = {-1, -1}, pidfd, rc = 0;
	int cgfds[CTR_CGROUP_MAX_FDS];
	long long mem;
	pid_t pid;

	CD_ASSERT(m->base.magic == MZ_MAGIC);
	memset(&u, 0, sizeof u);
	memset(&lim, 0, sizeof lim);
	if (mz_find(m, wt->task_id) != NULL)
		return cd_err_set(err, -EEXIST, "task %s is already running",
				  wt->task_id);
	if (wt->cmd == NULL && json_array_size(wt->args) == 0)
		return cd_err_set(err, -EINVAL, "task %s has no cmd or args",
				  wt->task_id);
	if ((rc = ctr_user_lookup(wt->user, &u, err)) != 0)
		return rc;
	ctr_mesos_spawn_build(wt, sandbox, &argv, &envp);
	if ((outfd = rc = ctr_mesos_spawn_open_log(sandbox, "stdout", err)) <
		0 ||
	    (errfd = rc = ctr_mesos_spawn_open_log(sandbox, "stderr", err)) < 0)
		goto out;
	rc = 0;
	if (ctr_user_own_fd(&u, outfd) != 0 || ctr_user_own_fd(&u, errfd) != 0)
		log_warn("task %s: cannot give its log files to %s",
			 wt->task_id, u.name);
	lim.user = &u;
	if (m->cg_sys != NULL) {
		if ((rc = ctr_cgroup_open(m->cg_sys, wt->task_id, true,
					  wt->res.cpus, wt->res.mem, m->cfs,
					  &cg, err)) != 0 ||
		    (rc = ctr_cgroup_procs_fds(cg, cgfds)) < 0) {
			if (rc < 0 && cg != NULL)
				cd_err_set(err, rc, "cannot open the cgroup");
			goto out;
		}
		lim.cg_fds = cgfds;
		lim.ncg = rc;
		rc = 0;
	} else {
		mem = (long long)(wt->res.mem * 1024.0 * 1024.0);
		lim.rlimit_data = mem < MZ_MIN_MEM ? MZ_MIN_MEM : mem;
	}
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
		ctr_mesos_spawn_task_child(sandbox, argv.v, envp.v,
					   wt->cmd != NULL, outfd, errfd, p[1],
					   &lim);
	close(p[1]);
	p[1] = -1;
	t = mz_task_new(m, wt, sandbox, pid);
	t->child = true;
	t->user = u;
	memset(&u, 0, sizeof u);
	if (cg != NULL)
		ctr_cgroup_close_procs(cg);
	t->cg = cg;
	cg = NULL;
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
		mz_cgroup_end(t);
		LIST_REMOVE(t, link);
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
	if (cg != NULL) {
		(void)ctr_cgroup_remove(cg);
		ctr_cgroup_free(cg);
	}
	ctr_user_release(&u);
	if (outfd >= 0)
		close(outfd);
	if (errfd >= 0)
		close(errfd);
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	ctr_mesos_spawn_vec_free(&argv);
	ctr_mesos_spawn_vec_free(&envp);
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
	if (pid > 0 && ctr_mesos_spawn_start_time((pid_t)pid, &now) == 0 &&
	    now == want) {
		pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
		/* Re-check: the pid may have been reused before the open. */
		if (pidfd != -1 &&
		    (ctr_mesos_spawn_start_time((pid_t)pid, &now) != 0 ||
		     now != want)) {
			close(pidfd);
			pidfd = -1;
		}
	}
	t = mz_task_new(m, wt, sandbox, (pid_t)pid);
	t->start_time = want;
	t->running_sent = true;
	if (ctr_user_lookup(wt->user, &t->user, NULL) != 0)
		log_warn("task %s: its user %s is gone", t->task_id, wt->user);
	if (m->cg_sys != NULL &&
	    json_is_true(json_object_get(checkpoint, "cgroup")) &&
	    ctr_cgroup_open(m->cg_sys, wt->task_id, false, 0, 0, false, &t->cg,
			    NULL) != 0)
		log_warn("task %s: its cgroup is gone", t->task_id);
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

/* A cgroup to remove once its last process is gone. */
static void
mz_rmcg_add(void *arg, struct ctr_cgroup *cg)
{
	struct mz *m = arg;
	struct mz_rmcg *r = xcalloc(1, sizeof *r);

	r->cg = cg;
	LIST_INSERT_HEAD(&m->rmcgs, r, link);
	loop_timer_add(m->rmcg_timer, 0);
}

/*
 * The cgroups of this agent whose task it does not know any more (it
 * ended, or was forgotten, while the agent was down) are cleared out and
 * removed. Processes without a cgroup carry no label to find them by.
 */
static int
mz_reap_orphans(void *impl, const char *const *known, size_t n)
{
	struct mz *m = impl;
	struct mz_task *t;
	const char **all;
	size_t k = 0;
	int rc;

	CD_ASSERT(m->base.magic == MZ_MAGIC);
	if (m->cg_sys == NULL)
		return 0;
	LIST_FOREACH(t, &m->tasks, link)
		k++;
	all = xcalloc(n + k + 1, sizeof *all);
	if (n > 0)
		memcpy(all, known, n * sizeof *all);
	k = n;
	LIST_FOREACH(t, &m->tasks, link)
		all[k++] = t->task_id;
	rc = ctr_cgroup_sys_reap(m->cg_sys, all, k, mz_rmcg_add, m);
	free(all);
	return rc;
}

static struct ctr_exec *
mz_exec(void *impl, const char *task_id, const char *cmd, long timeout_ms,
	ctr_exec_fn *done, void *arg, struct cd_err *err)
{
	struct mz *m = impl;
	struct mz_task *t;

	CD_ASSERT(m->base.magic == MZ_MAGIC);
	t = mz_find(m, task_id);
	if (t == NULL || t->gone || t->pid <= 0 || !t->running_sent) {
		cd_err_set(err, -ENOENT, "task %s is not running", task_id);
		return NULL;
	}
	return ctr_mesos_exec_start(m->l, &m->execs, t->sandbox, t->env,
				    &t->user, cmd, timeout_ms, done, arg, err);
}

/* Read at once: from the task's cgroup, else its leader's /proc. */
static int
mz_usage(void *impl, const char *task_id, struct ctr_usage *u,
	 ctr_usage_fn *done, void *arg, struct ctr_usage_req **q)
{
	struct mz *m = impl;
	struct mz_task *t;

	(void)done;
	(void)arg;
	CD_ASSERT(m->base.magic == MZ_MAGIC);
	*q = NULL;
	t = mz_find(m, task_id);
	if (t == NULL || t->gone || t->pid <= 0 || !t->running_sent)
		return -ENOENT;
	if (t->cg != NULL)
		return ctr_cgroup_usage(t->cg, u);
	return ctr_mesos_spawn_proc_usage(t->pid, u);
}

static void
mz_free(void *impl)
{
	struct mz *m = impl;
	struct mz_task *t;
	struct mz_rmcg *r;

	if (m == NULL)
		return;
	CD_ASSERT(m->base.magic == MZ_MAGIC);
	/* The processes keep running: a restarted agent re-adopts them. */
	while ((t = LIST_FIRST(&m->tasks)) != NULL) {
		LIST_REMOVE(t, link);
		mz_task_free(t);
	}
	ctr_mesos_exec_free_all(&m->execs);
	mz_rmcg_cb(m); /* one last try each */
	while ((r = LIST_FIRST(&m->rmcgs)) != NULL) {
		LIST_REMOVE(r, link);
		ctr_cgroup_free(r->cg);
		free(r);
	}
	loop_timer_free(m->rmcg_timer);
	ctr_cgroup_sys_free(m->cg_sys);
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
    .usage = mz_usage,
};

void *
ctr_mesos_new(struct loop *l, const struct ctr_mesos_conf *conf,
	      ctr_event_fn *ev, void *arg, const struct ctr_ops **ops)
{
	struct mz *m = xcalloc(1, sizeof *m);

	ctr_base_init(&m->base, MZ_MAGIC, ev, arg);
	m->l = l;
	LIST_INIT(&m->tasks);
	LIST_INIT(&m->execs);
	LIST_INIT(&m->rmcgs);
	m->rmcg_timer = loop_timer_new(l, mz_rmcg_cb, m);
	m->cfs = conf->cgroups_enable_cfs != 0;
	m->cg_sys = ctr_cgroup_sys_probe(conf->cgroups_mount, conf->agent_key);
	m->stop_timeout_ms =
	    conf->stop_timeout_ms > 0 ? conf->stop_timeout_ms : 10000;
	*ops = &mz_ops;
	return m;
}
