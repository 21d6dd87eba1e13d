/*
 * ctr_mesos_exec.c: commands run for a plain-process task (see
 * ctr_mesos_exec.h). Owns one struct ctr_mesos_exec per command, on the
 * driver's list from its start until its child is reaped: a cancelled
 * exec stays listed, without a callback, until then. Exit is seen by a
 * pidfd becoming readable and the child reaped with waitid(P_PIDFD), like
 * a task (ctr_mesos.c). Loop thread only.
 */
#include "containerizer/ctr_mesos_exec.h"

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

#include "containerizer/ctr_int.h"
#include "containerizer/ctr_mesos_spawn.h"
#include "lib/loop.h"
#include "lib/xalloc.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define MZ_EXEC_MAGIC 0x3e5050a3u

/* A command run for a task (health check); see ctr_ops.exec. */
struct ctr_mesos_exec {
	struct ctr_exec base; /* first: the cancel hook */
	unsigned magic;
	pid_t pid;
	int pidfd;		  /* owned */
	struct event *ev;	  /* owned: pidfd readable */
	struct loop_timer *timer; /* owned: the timeout */
	long timeout_ms;
	bool timed_out;
	ctr_exec_fn *done;		 /* NULL once cancelled */
	void *arg;			 /* borrowed: the caller's, for done */
	LIST_ENTRY(ctr_mesos_exec) link; /* on the driver's list */
};

static void
mz_exec_free(struct ctr_mesos_exec *x)
{
	LIST_REMOVE(x, link);
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
	struct ctr_mesos_exec *x = arg;
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
	struct ctr_mesos_exec *x = arg;

	CD_CHECK_OBJ(x, MZ_EXEC_MAGIC);
	x->timed_out = true;
	(void)kill(-x->pid, SIGKILL); /* the pidfd callback reports it */
}

static void
mz_exec_cancel(struct ctr_exec *base)
{
	struct ctr_mesos_exec *x = (struct ctr_mesos_exec *)base;

	CD_CHECK_OBJ(x, MZ_EXEC_MAGIC);
	/* Killed now, reaped when its pidfd says so. */
	x->done = NULL;
	x->arg = NULL;
	loop_timer_del(x->timer);
	(void)kill(-x->pid, SIGKILL);
}

struct ctr_exec *
ctr_mesos_exec_start(struct loop *l, struct ctr_mesos_exec_list *list,
		     const char *sandbox, const json_t *env,
		     const struct ctr_user *user, const char *cmd,
		     long timeout_ms, ctr_exec_fn *done, void *arg,
		     struct cd_err *err)
{
	struct ctr_mesos_spawn_vec argv = {NULL, 0, 0}, envp = {NULL, 0, 0};
	struct ctr_mesos_exec *x = NULL;
	int nullfd = -1, pidfd;
	pid_t pid;

	ctr_mesos_spawn_vec_add(&argv, xstrdup("sh"));
	ctr_mesos_spawn_vec_add(&argv, xstrdup("-c"));
	ctr_mesos_spawn_vec_add(&argv, xstrdup(cmd));
	ctr_mesos_spawn_env(env, sandbox, &envp);
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
		ctr_mesos_spawn_exec_child(sandbox, argv.v, envp.v, nullfd,
					   user);
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
	x->pid = pid;
	x->pidfd = pidfd;
	x->timeout_ms = timeout_ms;
	x->done = done;
	x->arg = arg;
	x->ev = event_new(loop_base(l), pidfd, EV_READ, mz_exec_pid_cb, x);
	AN(x->ev);
	event_add(x->ev, NULL);
	x->timer = loop_timer_new(l, mz_exec_timer_cb, x);
	loop_timer_add(x->timer, (uint64_t)(timeout_ms > 0 ? timeout_ms : 0));
	LIST_INSERT_HEAD(list, x, link);
out:
	if (nullfd != -1)
		close(nullfd);
	ctr_mesos_spawn_vec_free(&argv);
	ctr_mesos_spawn_vec_free(&envp);
	return x != NULL ? &x->base : NULL;
}

void
ctr_mesos_exec_free_all(struct ctr_mesos_exec_list *list)
{
	struct ctr_mesos_exec *x;

	while ((x = LIST_FIRST(list)) != NULL) {
		(void)kill(-x->pid, SIGKILL);
		mz_exec_free(x);
	}
}
