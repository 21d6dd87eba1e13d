/*
 * ctr_mesos_spawn.h: what the "mesos" containerizer's processes are made
 * of, prepared before fork(): their argv and environment, their sandbox
 * log files, and the child's side of fork() up to exec (async-signal-safe
 * calls only, since libzookeeper_mt's threads may hold malloc locks at
 * fork time); and the start time of a pid, which tells a process from a
 * later one with the same pid. Used by ctr_mesos.c (tasks) and
 * ctr_mesos_exec.c (health check commands). No state; any thread.
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_MESOS_SPAWN_H
#define CLUSTERD_CONTAINERIZER_CTR_MESOS_SPAWN_H

#include <sys/types.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "containerizer/ctr.h"
#include "containerizer/ctr_user.h"
#include "lib/compat.h"
#include "lib/err.h"
#include "lib/wire.h"

/*
 * A NULL-terminated vector of strings (argv, envp): v is NULL or
 * v[n] == NULL, and v[0..n-1] are owned. Start from {NULL, 0, 0}.
 */
struct ctr_mesos_spawn_vec {
	char **v; /* owned, and each string */
	size_t n, cap;
};

/* Append s (taken: freed with the vector). */
void ctr_mesos_spawn_vec_add(struct ctr_mesos_spawn_vec *a, char *s);
void ctr_mesos_spawn_vec_free(struct ctr_mesos_spawn_vec *a);

/*
 * The environment of a task's processes: the agent's (less CLUSTERD_*
 * variables and what env sets), then env's string values, then
 * MESOS_SANDBOX=<sandbox>.
 */
void ctr_mesos_spawn_env(const json_t *env, const char *sandbox,
			 struct ctr_mesos_spawn_vec *envp);
/* A task's argv ("/bin/sh -c cmd", or its args) and environment. */
void ctr_mesos_spawn_build(const struct wire_task *t, const char *sandbox,
			   struct ctr_mesos_spawn_vec *argv,
			   struct ctr_mesos_spawn_vec *envp);

/* Open <sandbox>/<name> to append (O_CLOEXEC). The fd, or -errno with err. */
int ctr_mesos_spawn_open_log(const char *sandbox, const char *name,
			     struct cd_err *err);

/*
 * What a child becomes before exec, all prepared in the parent: the
 * cgroups it joins (cgroup.procs files, "0" written to each), the data
 * rlimit that stands in for a memory cgroup, and the user it switches to.
 * Borrowed for the call.
 */
struct ctr_mesos_spawn_limits {
	const int *cg_fds; /* cgroup.procs files, or NULL */
	int ncg;
	long long rlimit_data;	     /* bytes, or 0 for none */
	const struct ctr_user *user; /* NULL or !set: the agent's own */
};

/*
 * In the child of fork(), a task: its own session, default signals, its
 * cgroups and rlimit, cwd sandbox, stdin /dev/null, stdout and stderr
 * outfd and errfd, its user (groups, gid, uid), every other descriptor
 * closed at exec, then exec (execve of /bin/sh when shell, else execvpe
 * of argv[0]). On failure the errno is written to pipew and the child
 * exits 127.
 */
CD_NORETURN void
ctr_mesos_spawn_task_child(const char *sandbox, char **argv, char **envp,
			   bool shell, int outfd, int errfd, int pipew,
			   const struct ctr_mesos_spawn_limits *lim);
/*
 * In the child of fork(), a command: its own session, default signals,
 * cwd sandbox, every standard stream on nullfd, user (NULL: the agent's),
 * every other descriptor closed at exec, then execve /bin/sh.
 */
CD_NORETURN void ctr_mesos_spawn_exec_child(const char *sandbox, char **argv,
					    char **envp, int nullfd,
					    const struct ctr_user *user);

/* Field 22 (starttime) of /proc/<pid>/stat. 0 or -errno. */
int ctr_mesos_spawn_start_time(pid_t pid, unsigned long long *out);
/*
 * Without a cgroup: the CPU times of pid and of the children it waited
 * for, its threads and resident memory, from /proc/<pid>/stat, into u.
 * 0 or -errno.
 */
int ctr_mesos_spawn_proc_usage(pid_t pid, struct ctr_usage *u);

#endif
