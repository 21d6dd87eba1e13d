/*
 * ctr_mesos_spawn.c: a process of the "mesos" containerizer, prepared
 * before fork() and started in the child (see ctr_mesos_spawn.h). Owns
 * nothing beyond the vectors it fills for its caller. The child functions
 * make async-signal-safe calls only. Calls nothing else of the
 * containerizer's.
 */
#include "containerizer/ctr_mesos_spawn.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/fault.h"
#include "lib/xalloc.h"

/*
 * /proc/<pid>/stat into buf, and in f[k] the start of field k for k from
 * 3 to last (comm may hold spaces and ')', so fields are counted from its
 * last ')'); f has last + 1 entries. 0 or -errno.
 */
static int
spawn_proc_stat(pid_t pid, char *buf, size_t len, const char **f, int last)
{
	char path[64], *p;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return -EIO;
	for (i = 3; i <= last; i++) {
		p = strchr(p + 1, ' ');
		if (p == NULL)
			return -EIO;
		f[i] = p + 1;
	}
	return 0;
}

/* Field 22 of /proc/<pid>/stat: tells a pid from its reuse. */
int
ctr_mesos_spawn_start_time(pid_t pid, unsigned long long *out)
{
	const char *f[23];
	char buf[1024];
	int rc;

	if ((rc = spawn_proc_stat(pid, buf, sizeof buf, f, 22)) != 0)
		return rc;
	*out = strtoull(f[22], NULL, 10);
	return 0;
}

int
ctr_mesos_spawn_proc_usage(pid_t pid, struct ctr_usage *u)
{
	const char *f[25];
	char buf[1024];
	long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	int rc;

	if ((rc = spawn_proc_stat(pid, buf, sizeof buf, f, 24)) != 0)
		return rc;
	if (hz > 0) {
		/* utime + cutime, stime + cstime: children it waited for. */
		u->cpus_user_time_secs = (double)(strtoull(f[14], NULL, 10) +
						  strtoull(f[16], NULL, 10)) /
					 (double)hz;
		u->cpus_system_time_secs = (double)(strtoull(f[15], NULL, 10) +
						    strtoull(f[17], NULL, 10)) /
					   (double)hz;
	}
	u->threads = strtoll(f[20], NULL, 10);
	if (page > 0)
		u->mem_rss_bytes = strtoll(f[24], NULL, 10) * page;
	return 0;
}

void
ctr_mesos_spawn_vec_add(struct ctr_mesos_spawn_vec *a, char *s)
{
	XGROW(a->v, a->n + 2, a->cap);
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void
ctr_mesos_spawn_vec_free(struct ctr_mesos_spawn_vec *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
}

static bool
spawn_env_overridden(const char *kv, const json_t *env)
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

void
ctr_mesos_spawn_env(const json_t *env, const char *sandbox,
		    struct ctr_mesos_spawn_vec *envp)
{
	const char *k;
	json_t *v;
	char **e;

	for (e = environ; e != NULL && *e != NULL; e++)
		if (!spawn_env_overridden(*e, env))
			ctr_mesos_spawn_vec_add(envp, xstrdup(*e));
	json_object_foreach((json_t *)(uintptr_t)env, k, v)
		if (json_is_string(v))
			ctr_mesos_spawn_vec_add(
			    envp, xasprintf("%s=%s", k, json_string_value(v)));
	ctr_mesos_spawn_vec_add(envp, xasprintf("MESOS_SANDBOX=%s", sandbox));
}

void
ctr_mesos_spawn_build(const struct wire_task *t, const char *sandbox,
		      struct ctr_mesos_spawn_vec *argv,
		      struct ctr_mesos_spawn_vec *envp)
{
	json_t *v;
	size_t i;

	if (t->cmd != NULL) {
		ctr_mesos_spawn_vec_add(argv, xstrdup("/bin/sh"));
		ctr_mesos_spawn_vec_add(argv, xstrdup("-c"));
		ctr_mesos_spawn_vec_add(argv, xstrdup(t->cmd));
	} else {
		json_array_foreach(t->args, i, v)
			ctr_mesos_spawn_vec_add(
			    argv,
			    xstrdup(json_string_value(v) ? json_string_value(v)
							 : ""));
	}
	ctr_mesos_spawn_env(t->env, sandbox, envp);
}

int
ctr_mesos_spawn_open_log(const char *sandbox, const char *name,
			 struct cd_err *err)
{
	char path[4096];
	int n, fd;

	n = snprintf(path, sizeof path, "%s/%s", sandbox, name);
	if (n < 0 || (size_t)n >= sizeof path)
		return cd_err_set(err, -ENAMETOOLONG, "sandbox path too long");
	fd = CD_FAULT_SYS("sandbox.log")
		 ? -1
		 : open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd == -1)
		return cd_err_set(err, -errno, "cannot open %s: %s", path,
				  strerror(errno));
	return fd;
}

/*
 * In a child of fork(): a session and process group of its own, and the
 * signal dispositions and mask of a fresh process. Async-signal-safe.
 */
static void
spawn_child_reset(void)
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
}

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/*
 * In a child of fork(): every descriptor above 2 is closed at exec, so
 * the task inherits none of the agent's (the LMDB file, its sockets).
 * Marked rather than closed, so that a pipe telling exec failure still
 * works until then. Async-signal-safe.
 */
static void
spawn_child_cloexec(void)
{
	struct rlimit rl;
	rlim_t fd, max;

	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	/* Before Linux 5.11: each descriptor the limit allows. */
	max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
		  ? rl.rlim_cur
		  : 65536;
	for (fd = 3; fd < max; fd++)
		(void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

/* In a child of fork(): become u. Async-signal-safe. 0 or -1 (errno). */
static int
spawn_child_user(const struct ctr_user *u)
{
	if (u == NULL || !u->set)
		return 0;
	if (setgroups(u->ngroups, u->groups) == -1 || setgid(u->gid) == -1 ||
	    setuid(u->uid) == -1)
		return -1;
	return 0;
}

void
ctr_mesos_spawn_task_child(const char *sandbox, char **argv, char **envp,
			   bool shell, int outfd, int errfd, int pipew,
			   const struct ctr_mesos_spawn_limits *lim)
{
	struct rlimit rl;
	int e, nullfd, i;

	spawn_child_reset();
	for (i = 0; i < lim->ncg; i++)
		if (write(lim->cg_fds[i], "0", 1) != 1)
			goto fail;
	if (lim->rlimit_data > 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)lim->rlimit_data;
		if (setrlimit(RLIMIT_DATA, &rl) == -1)
			goto fail;
	}
	if (chdir(sandbox) == -1)
		goto fail;
	nullfd = open("/dev/null", O_RDONLY);
	if (nullfd == -1 || dup2(nullfd, 0) == -1 || dup2(outfd, 1) == -1 ||
	    dup2(errfd, 2) == -1)
		goto fail;
	if (nullfd > 2)
		close(nullfd);
	if (spawn_child_user(lim->user) == -1)
		goto fail;
	spawn_child_cloexec();
	if (shell)
		execve("/bin/sh", argv, envp);
	else
		execvpe(argv[0], argv, envp);
fail:
	e = errno;
	(void)!write(pipew, &e, sizeof e);
	_exit(127);
}

void
ctr_mesos_spawn_exec_child(const char *sandbox, char **argv, char **envp,
			   int nullfd, const struct ctr_user *user)
{
	spawn_child_reset();
	if (chdir(sandbox) == -1 || dup2(nullfd, 0) == -1 ||
	    dup2(nullfd, 1) == -1 || dup2(nullfd, 2) == -1 ||
	    spawn_child_user(user) == -1)
		_exit(127);
	spawn_child_cloexec();
	execve("/bin/sh", argv, envp);
	_exit(127);
}
