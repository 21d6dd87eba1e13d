/*
 * ctr_cgroup.h: resource limits for plain-process tasks through cgroups,
 * one cgroup per task, cgroup v2 (unified) where the host has its memory
 * controller there, else v1 (the cpu and memory hierarchies), as Mesos'
 * cgroups isolators did. Each task's cgroup is <root>/clusterd/<task id>
 * in every hierarchy used (Mesos used <root>/mesos), below a directory of
 * the agent's own (<root>/clusterd/<agent id>/<task id>), so that agents
 * sharing a host never touch each other's:
 *  - cpu: shares max(2, 1024 cpus) (v1 cpu.shares; v2 cpu.weight, the
 *    same share on its 1..10000 scale), and with CFS a quota of cpus
 *    periods of 100 ms (cpu.cfs_quota_us, or cpu.max);
 *  - memory: max(32 MiB, mem), swap included (memory.limit_in_bytes and
 *    memory.memsw.limit_in_bytes, or memory.max and memory.swap.max 0);
 *  - cpuacct (v1, where it is mounted apart from cpu): no limit, the
 *    task's CPU time for /monitor/statistics (v2's cpu.stat has it).
 * The task's first process joins its cgroup between fork and exec, by
 * writing "0" to the cgroup.procs files opened beforehand (ctr_mesos_spawn
 * does it, async-signal-safe), so nothing it runs escapes the limits.
 *
 * A task stopped by its memory limit: the kernel's OOM killer ends a
 * process of the cgroup; the notification (v1: an eventfd registered on
 * memory.oom_control; v2: inotify on memory.events) wakes the driver,
 * which then kills the rest and reports TASK_FAILED with
 * REASON_CONTAINER_LIMITATION_MEMORY.
 *
 * Where no usable hierarchy exists (none mounted, or not writable),
 * ctr_cgroup_sys_probe() says so and tasks get rlimits instead
 * (RLIMIT_DATA at the memory limit; no CPU limit, no OOM reason).
 *
 * The files written are small kernel interfaces, on the loop thread, as
 * a sandbox's mkdir. Loop thread only.
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_CGROUP_H
#define CLUSTERD_CONTAINERIZER_CTR_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "containerizer/ctr.h"
#include "lib/err.h"

struct ctr_cgroup_sys;
struct ctr_cgroup;

/* At most this many cgroup.procs files to join (v1: memory, cpu,
 * cpuacct). */
#define CTR_CGROUP_MAX_FDS 3

/*
 * Find the hierarchies under mount (NULL: /sys/fs/cgroup) and make
 * <hierarchy>/clusterd/<agent_key> in each. NULL when cgroups cannot be
 * used here (the reason is logged once); free with ctr_cgroup_sys_free().
 */
struct ctr_cgroup_sys *ctr_cgroup_sys_probe(const char *mount,
					    const char *agent_key);
/*
 * The cgroups of this agent whose task is not among known (the tasks it
 * re-adopted): their processes are killed and each is handed to gone()
 * (opened, owned by the callee) for removal. How many, or -errno.
 */
typedef void ctr_cgroup_gone_fn(void *arg, struct ctr_cgroup *cg);
int ctr_cgroup_sys_reap(struct ctr_cgroup_sys *s, const char *const *known,
			size_t n, ctr_cgroup_gone_fn *gone, void *arg);
/* Free s, removing the agent's directories when no cgroup is left in them. */
void ctr_cgroup_sys_free(struct ctr_cgroup_sys *s);
/* 1 or 2. */
int ctr_cgroup_sys_version(const struct ctr_cgroup_sys *s);

/*
 * Make (or, after an agent restart, open: with create false) task_id's
 * cgroup with these limits. 0 and *out, or -errno with err.
 */
int ctr_cgroup_open(struct ctr_cgroup_sys *s, const char *task_id, bool create,
		    double cpus, double mem_mb, bool cfs,
		    struct ctr_cgroup **out, struct cd_err *err);
/*
 * The cgroup.procs files to write "0" to from the child: opened O_WRONLY
 * | O_CLOEXEC, owned by the cgroup (closed by ctr_cgroup_close_procs()).
 * Returns how many (<= CTR_CGROUP_MAX_FDS), or -errno.
 */
int ctr_cgroup_procs_fds(struct ctr_cgroup *cg, int fds[CTR_CGROUP_MAX_FDS]);
/* Close the cgroup.procs files once the child has joined. */
void ctr_cgroup_close_procs(struct ctr_cgroup *cg);
/*
 * An fd that becomes readable when the cgroup hits its memory limit (owned
 * by cg), or -1 when it cannot be watched. ctr_cgroup_oom_drain() after
 * each wake-up.
 */
int ctr_cgroup_oom_fd(struct ctr_cgroup *cg);
void ctr_cgroup_oom_drain(struct ctr_cgroup *cg);
/* Whether the OOM killer has killed a process of the cgroup. */
bool ctr_cgroup_oom_killed(struct ctr_cgroup *cg);
/* The most memory the cgroup used, in MiB, for messages (0 unknown). */
long long ctr_cgroup_peak_mb(struct ctr_cgroup *cg);
/*
 * What the cgroup's processes use, from its files (v1: cpuacct.stat,
 * cpu.stat, memory.usage_in_bytes, memory.limit_in_bytes, memory.stat;
 * v2: cpu.stat, memory.current, memory.max, memory.stat,
 * memory.swap.current), into the fields of u it can tell (the others are
 * left as they are). 0, or -errno when even the memory files cannot be
 * read (the cgroup is gone).
 */
int ctr_cgroup_usage(struct ctr_cgroup *cg, struct ctr_usage *u);
/* SIGKILL every process in the cgroup. How many were signalled. */
int ctr_cgroup_kill_all(struct ctr_cgroup *cg);
/* Remove the cgroup's directories. 0, or -EBUSY while processes remain
 * (try again later), or another -errno. */
int ctr_cgroup_remove(struct ctr_cgroup *cg);
/* Close everything; the directories stay unless removed first. */
void ctr_cgroup_free(struct ctr_cgroup *cg);

/* Pure: cpu.weight (v2) for a number of cpus, as systemd maps shares. */
unsigned long ctr_cgroup_weight(double cpus);

#endif
