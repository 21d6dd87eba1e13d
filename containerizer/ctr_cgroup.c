/*
 * ctr_cgroup.c: one cgroup per plain-process task, v2 or v1 (see
 * ctr_cgroup.h). Owns the probe's hierarchy paths and, per task, its
 * directories and the files kept open (cgroup.procs until the child has
 * joined, the OOM notification). Calls nothing else of the
 * containerizer's. Loop thread only.
 */
#include "containerizer/ctr_cgroup.h"

#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_MOD "ctr_cgroup"
#include "lib/log.h"
#include "lib/xalloc.h"

#define CG_MAGIC 0xc9a0c001u
#define CG_NAME "clusterd"
#define CG_MIN_MEM (32LL * 1024 * 1024)
#define CG_PERIOD_US 100000LL

struct ctr_cgroup_sys {
	int version;
	char *mem;  /* owned: v1 memory hierarchy's clusterd dir; v2: the dir */
	char *cpu;  /* owned or NULL: v1 cpu hierarchy's; v2: NULL */
	char *acct; /* owned or NULL: v1 cpuacct's, when apart from cpu */
	bool v2_cpu; /* v2: the cpu controller is enabled below CG_NAME */
};

struct ctr_cgroup {
	unsigned magic;
	struct ctr_cgroup_sys *s; /* borrowed: outlives the cgroup */
	char *mem;		  /* owned: the task's dir (v2: its only) */
	char *cpu;		  /* owned or NULL: v1 cpu dir */
	char *acct;		  /* owned or NULL: v1 cpuacct dir */
	int procs[CTR_CGROUP_MAX_FDS];
	int nprocs;
	int oomfd; /* owned, -1: eventfd (v1) or inotify (v2) */
	int ctlfd; /* owned, -1: v1 memory.oom_control, kept open */
	long long limit_mb;
};

/* Write s to dir/file. 0 or -errno. */
static int
cg_write(const char *dir, const char *file, const char *s)
{
	char *path = xasprintf("%s/%s", dir, file);
	size_t n = strlen(s);
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return -errno;
	if (write(fd, s, n) != (ssize_t)n)
		rc = -errno;
	close(fd);
	return rc;
}

/* Read dir/file into buf (NUL-terminated). Bytes read or -errno. */
static ssize_t
cg_read(const char *dir, const char *file, char *buf, size_t len)
{
	char *path = xasprintf("%s/%s", dir, file);
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

static bool
cg_exists(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file);
	bool ok = access(path, F_OK) == 0;

	free(path);
	return ok;
}

/* The value after "key " in a "key value" per line file, or -1. */
static long long
cg_keyed(const char *text, const char *key)
{
	size_t n = strlen(key);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, key, n) == 0 && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

static bool
cg_has_word(const char *text, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = strstr(text, word); p != NULL; p = strstr(p + 1, word))
		if ((p == text || p[-1] == ' ' || p[-1] == '\n') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

static int
cg_mkdir(const char *path)
{
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		return -errno;
	return 0;
}

void
ctr_cgroup_sys_free(struct ctr_cgroup_sys *s)
{
	if (s == NULL)
		return;
	/* The agent's own directories go when no task's cgroup is left in
	 * them (tasks that outlive the agent keep theirs). */
	(void)rmdir(s->mem);
	if (s->cpu != NULL)
		(void)rmdir(s->cpu);
	if (s->acct != NULL)
		(void)rmdir(s->acct);
	free(s->mem);
	free(s->cpu);
	free(s->acct);
	free(s);
}

static struct ctr_cgroup_sys *
cg_probe_v2(const char *root, const char *key)
{
	struct ctr_cgroup_sys *s;
	char buf[512], *top, *dir;
	int rc;

	if (cg_read(root, "cgroup.controllers", buf, sizeof buf) < 0 ||
	    !cg_has_word(buf, "memory"))
		return NULL;
	top = xasprintf("%s/" CG_NAME, root);
	dir = xasprintf("%s/%s", top, key);
	(void)cg_write(root, "cgroup.subtree_control", "+memory");
	(void)cg_write(root, "cgroup.subtree_control", "+cpu");
	if ((rc = cg_mkdir(top)) != 0 ||
	    (rc = cg_write(top, "cgroup.subtree_control", "+memory")) != 0 ||
	    (rc = cg_mkdir(dir)) != 0 ||
	    (rc = cg_write(dir, "cgroup.subtree_control", "+memory")) != 0) {
		log_warn("cgroup v2 at %s: cannot use %s: %s; rlimits only",
			 root, dir, strerror(-rc));
		free(top);
		free(dir);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->version = 2;
	s->mem = dir;
	s->v2_cpu = cg_write(top, "cgroup.subtree_control", "+cpu") == 0 &&
		    cg_write(dir, "cgroup.subtree_control", "+cpu") == 0;
	free(top);
	return s;
}

/* Make <hier>/clusterd/<key>; the path, or NULL with *rc. */
static char *
cg_v1_dir(const char *hier, const char *key, int *rc)
{
	char *top = xasprintf("%s/" CG_NAME, hier);
	char *dir = xasprintf("%s/%s", top, key);

	if ((*rc = cg_mkdir(top)) != 0 || (*rc = cg_mkdir(dir)) != 0) {
		free(dir);
		dir = NULL;
	}
	free(top);
	return dir;
}

static struct ctr_cgroup_sys *
cg_probe_v1(const char *root, const char *key)
{
	struct ctr_cgroup_sys *s;
	char *mem = xasprintf("%s/memory", root), *cpu = NULL, *acct;
	int rc;

	if (!cg_exists(mem, "memory.limit_in_bytes")) {
		free(mem);
		return NULL;
	}
	cpu = xasprintf("%s/cpu", root);
	if (!cg_exists(cpu, "cpu.shares")) {
		free(cpu);
		cpu = xasprintf("%s/cpu,cpuacct", root);
		if (!cg_exists(cpu, "cpu.shares")) {
			free(cpu);
			cpu = NULL;
		}
	}
	s = xcalloc(1, sizeof *s);
	s->version = 1;
	if ((s->mem = cg_v1_dir(mem, key, &rc)) == NULL) {
		log_warn("cgroup v1: cannot make %s/" CG_NAME "/%s: %s; "
			 "rlimits only",
			 mem, key, strerror(-rc));
		free(mem);
		free(cpu);
		ctr_cgroup_sys_free(s);
		return NULL;
	}
	if (cpu != NULL && (s->cpu = cg_v1_dir(cpu, key, &rc)) == NULL)
		log_warn("cgroup v1: cannot make %s/" CG_NAME "/%s: %s; no "
			 "CPU limits",
			 cpu, key, strerror(-rc));
	free(mem);
	free(cpu);
	/* CPU time: in the cpu hierarchy when cpuacct is mounted with it. */
	acct = xasprintf("%s/cpuacct", root);
	if ((s->cpu == NULL || !cg_exists(s->cpu, "cpuacct.stat")) &&
	    cg_exists(acct, "cpuacct.stat") &&
	    (s->acct = cg_v1_dir(acct, key, &rc)) == NULL)
		log_warn("cgroup v1: cannot make %s/" CG_NAME "/%s: %s; no "
			 "CPU times in /monitor/statistics",
			 acct, key, strerror(-rc));
	free(acct);
	return s;
}

struct ctr_cgroup_sys *
ctr_cgroup_sys_probe(const char *mount, const char *agent_key)
{
	struct ctr_cgroup_sys *s;
	const char *root = mount != NULL ? mount : "/sys/fs/cgroup";

	if (root[0] == '\0')
		return NULL;
	if (agent_key == NULL || agent_key[0] == '\0' || agent_key[0] == '.' ||
	    strchr(agent_key, '/') != NULL) {
		log_warn("no agent id to name its cgroups by: rlimits only");
		return NULL;
	}
	if ((s = cg_probe_v2(root, agent_key)) == NULL)
		s = cg_probe_v1(root, agent_key);
	if (s == NULL)
		log_warn("no usable cgroup memory controller under %s: "
			 "plain-process tasks get rlimits only",
			 root);
	else
		log_info("plain-process tasks are limited through cgroup v%d "
			 "(%s)",
			 s->version, s->mem);
	return s;
}

int
ctr_cgroup_sys_version(const struct ctr_cgroup_sys *s)
{
	return s->version;
}

static bool
cg_known(const char *name, const char *const *known, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(name, known[i]) == 0)
			return true;
	return false;
}

int
ctr_cgroup_sys_reap(struct ctr_cgroup_sys *s, const char *const *known,
		    size_t n, ctr_cgroup_gone_fn *gone, void *arg)
{
	struct ctr_cgroup *cg;
	struct dirent *e;
	DIR *d;
	int count = 0;

	if ((d = opendir(s->mem)) == NULL)
		return -errno;
	while ((e = readdir(d)) != NULL) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.' ||
		    cg_known(e->d_name, known, n))
			continue;
		if (ctr_cgroup_open(s, e->d_name, false, 0, 0, false, &cg,
				    NULL) != 0)
			continue;
		log_info("cgroup of unknown task %s: killing what is left in "
			 "it and removing it",
			 e->d_name);
		(void)ctr_cgroup_kill_all(cg);
		gone(arg, cg);
		count++;
	}
	closedir(d);
	return count;
}

unsigned long
ctr_cgroup_weight(double cpus)
{
	double shares = 1024.0 * cpus;
	unsigned long w;

	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	w = 1 + (unsigned long)((shares - 2) * 9999.0 / 262142.0);
	return w < 1 ? 1 : w > 10000 ? 10000 : w;
}

static int
cg_limits(struct ctr_cgroup *cg, double cpus, double mem_mb, bool cfs)
{
	long long mem = (long long)(mem_mb * 1024.0 * 1024.0);
	long long shares = (long long)(1024.0 * cpus);
	long long quota = (long long)(cpus * (double)CG_PERIOD_US);
	char v[64];
	int rc;

	if (mem < CG_MIN_MEM)
		mem = CG_MIN_MEM;
	if (shares < 2)
		shares = 2;
	if (quota < 1000)
		quota = 1000;
	cg->limit_mb = mem / (1024 * 1024);
	snprintf(v, sizeof v, "%lld", mem);
	if (cg->s->version == 2) {
		if ((rc = cg_write(cg->mem, "memory.max", v)) != 0)
			return rc;
		if (cg_exists(cg->mem, "memory.swap.max"))
			(void)cg_write(cg->mem, "memory.swap.max", "0");
		if (!cg->s->v2_cpu)
			return 0;
		snprintf(v, sizeof v, "%lu", ctr_cgroup_weight(cpus));
		(void)cg_write(cg->mem, "cpu.weight", v);
		if (cfs) {
			snprintf(v, sizeof v, "%lld %lld", quota, CG_PERIOD_US);
			(void)cg_write(cg->mem, "cpu.max", v);
		}
		return 0;
	}
	if ((rc = cg_write(cg->mem, "memory.limit_in_bytes", v)) != 0)
		return rc;
	if (cg_exists(cg->mem, "memory.memsw.limit_in_bytes") &&
	    (rc = cg_write(cg->mem, "memory.memsw.limit_in_bytes", v)) != 0)
		return rc;
	if (cg->cpu == NULL)
		return 0;
	snprintf(v, sizeof v, "%lld", shares);
	if ((rc = cg_write(cg->cpu, "cpu.shares", v)) != 0)
		return rc;
	if (cfs) {
		snprintf(v, sizeof v, "%lld", CG_PERIOD_US);
		(void)cg_write(cg->cpu, "cpu.cfs_period_us", v);
		snprintf(v, sizeof v, "%lld", quota);
		(void)cg_write(cg->cpu, "cpu.cfs_quota_us", v);
	}
	return 0;
}

/* Watch the memory limit: v1 eventfd on memory.oom_control, v2 inotify
 * on memory.events. Failure leaves oomfd -1 (checked at exit only). */
static void
cg_watch(struct ctr_cgroup *cg)
{
	char *path, reg[64];

	if (cg->s->version == 2) {
		cg->oomfd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		path = xasprintf("%s/memory.events", cg->mem);
		if (cg->oomfd != -1 &&
		    inotify_add_watch(cg->oomfd, path, IN_MODIFY) == -1) {
			close(cg->oomfd);
			cg->oomfd = -1;
		}
		free(path);
		return;
	}
	cg->oomfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	path = xasprintf("%s/memory.oom_control", cg->mem);
	cg->ctlfd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (cg->oomfd == -1 || cg->ctlfd == -1)
		goto fail;
	snprintf(reg, sizeof reg, "%d %d", cg->oomfd, cg->ctlfd);
	if (cg_write(cg->mem, "cgroup.event_control", reg) == 0)
		return;
fail:
	if (cg->oomfd != -1)
		close(cg->oomfd);
	if (cg->ctlfd != -1)
		close(cg->ctlfd);
	cg->oomfd = cg->ctlfd = -1;
}

int
ctr_cgroup_open(struct ctr_cgroup_sys *s, const char *task_id, bool create,
		double cpus, double mem_mb, bool cfs, struct ctr_cgroup **out,
		struct cd_err *err)
{
	struct ctr_cgroup *cg;
	int rc = 0, i;

	*out = NULL;
	if (task_id[0] == '.' || strchr(task_id, '/') != NULL)
		return cd_err_set(err, -EINVAL, "bad task id for a cgroup");
	CD_ALLOC_OBJ(cg, CG_MAGIC);
	cg->s = s;
	cg->oomfd = cg->ctlfd = -1;
	for (i = 0; i < CTR_CGROUP_MAX_FDS; i++)
		cg->procs[i] = -1;
	cg->mem = xasprintf("%s/%s", s->mem, task_id);
	if (s->cpu != NULL)
		cg->cpu = xasprintf("%s/%s", s->cpu, task_id);
	if (s->acct != NULL)
		cg->acct = xasprintf("%s/%s", s->acct, task_id);
	if (!create) {
		if (access(cg->mem, F_OK) == -1) {
			rc = cd_err_set(err, -errno, "no cgroup %s", cg->mem);
			goto fail;
		}
		cg_watch(cg);
		*out = cg;
		return 0;
	}
	if ((rc = cg_mkdir(cg->mem)) != 0 ||
	    (cg->cpu != NULL && (rc = cg_mkdir(cg->cpu)) != 0) ||
	    (cg->acct != NULL && (rc = cg_mkdir(cg->acct)) != 0) ||
	    (rc = cg_limits(cg, cpus, mem_mb, cfs)) != 0) {
		rc = cd_err_set(err, rc, "cannot set up cgroup %s: %s", cg->mem,
				strerror(-rc));
		(void)ctr_cgroup_remove(cg);
		goto fail;
	}
	cg_watch(cg);
	*out = cg;
	return 0;
fail:
	ctr_cgroup_free(cg);
	return rc;
}

int
ctr_cgroup_procs_fds(struct ctr_cgroup *cg, int fds[CTR_CGROUP_MAX_FDS])
{
	const char *dirs[CTR_CGROUP_MAX_FDS] = {cg->mem, cg->cpu, cg->acct};
	char *path;
	int i, fd;

	ctr_cgroup_close_procs(cg);
	for (i = 0; i < CTR_CGROUP_MAX_FDS; i++) {
		if (dirs[i] == NULL)
			continue;
		path = xasprintf("%s/cgroup.procs", dirs[i]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		free(path);
		if (fd == -1) {
			ctr_cgroup_close_procs(cg);
			return -errno;
		}
		fds[cg->nprocs] = fd;
		cg->procs[cg->nprocs++] = fd;
	}
	return cg->nprocs;
}

void
ctr_cgroup_close_procs(struct ctr_cgroup *cg)
{
	int i;

	for (i = 0; i < cg->nprocs; i++)
		close(cg->procs[i]);
	cg->nprocs = 0;
}

int
ctr_cgroup_oom_fd(struct ctr_cgroup *cg)
{
	return cg->oomfd;
}

void
ctr_cgroup_oom_drain(struct ctr_cgroup *cg)
{
	char buf[4096];

	while (cg->oomfd != -1 && read(cg->oomfd, buf, sizeof buf) > 0)
		;
}

bool
ctr_cgroup_oom_killed(struct ctr_cgroup *cg)
{
	char buf[1024];
	long long n;

	if (cg->s->version == 2)
		return cg_read(cg->mem, "memory.events", buf, sizeof buf) > 0 &&
		       cg_keyed(buf, "oom_kill") > 0;
	if (cg_read(cg->mem, "memory.oom_control", buf, sizeof buf) <= 0)
		return false;
	n = cg_keyed(buf, "oom_kill");
	return n > 0 || (n < 0 && cg_keyed(buf, "under_oom") > 0);
}

long long
ctr_cgroup_peak_mb(struct ctr_cgroup *cg)
{
	char buf[64];

	if (cg_read(cg->mem,
		    cg->s->version == 2 ? "memory.peak"
					: "memory.max_usage_in_bytes",
		    buf, sizeof buf) <= 0)
		return 0;
	return strtoll(buf, NULL, 10) / (1024 * 1024);
}

/* Lines of dir/file (processes in cgroup.procs, threads in tasks). */
static long long
cg_lines(const char *dir, const char *file)
{
	char *path = xasprintf("%s/%s", dir, file), buf[4096];
	long long n = 0;
	ssize_t r, i;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	free(path);
	if (fd == -1)
		return -1;
	while ((r = read(fd, buf, sizeof buf)) > 0)
		for (i = 0; i < r; i++)
			n += buf[i] == '\n';
	close(fd);
	return r < 0 ? -1 : n;
}

/* A number file ("max" or unreadable: -1). */
static long long
cg_num(const char *dir, const char *file)
{
	char buf[64], *end;
	long long v;

	if (dir == NULL || cg_read(dir, file, buf, sizeof buf) <= 0)
		return -1;
	v = strtoll(buf, &end, 10);
	return end == buf ? -1 : v;
}

/* The sum of two keys of memory.stat, or -1 when either is missing. */
static long long
cg_sum(const char *stat, const char *a, const char *b)
{
	long long x = cg_keyed(stat, a), y = cg_keyed(stat, b);

	return x < 0 || y < 0 ? -1 : x + y;
}

static void
cg_usage_v1(struct ctr_cgroup *cg, const char *stat, struct ctr_usage *u)
{
	const char *acct = cg->acct != NULL ? cg->acct : cg->cpu;
	long hz = sysconf(_SC_CLK_TCK);
	char buf[1024];
	long long v;

	u->mem_total_bytes = cg_num(cg->mem, "memory.usage_in_bytes");
	u->mem_limit_bytes = cg_num(cg->mem, "memory.limit_in_bytes");
	u->mem_rss_bytes = cg_keyed(stat, "total_rss");
	u->mem_cache_bytes = cg_keyed(stat, "total_cache");
	u->mem_mapped_file_bytes = cg_keyed(stat, "total_mapped_file");
	u->mem_swap_bytes = cg_keyed(stat, "total_swap");
	u->mem_anon_bytes =
	    cg_sum(stat, "total_active_anon", "total_inactive_anon");
	u->mem_file_bytes =
	    cg_sum(stat, "total_active_file", "total_inactive_file");
	if (acct != NULL && hz > 0 &&
	    cg_read(acct, "cpuacct.stat", buf, sizeof buf) > 0) {
		if ((v = cg_keyed(buf, "user")) >= 0)
			u->cpus_user_time_secs = (double)v / (double)hz;
		if ((v = cg_keyed(buf, "system")) >= 0)
			u->cpus_system_time_secs = (double)v / (double)hz;
	}
	if (cg->cpu != NULL &&
	    cg_read(cg->cpu, "cpu.stat", buf, sizeof buf) > 0) {
		u->cpus_nr_periods = cg_keyed(buf, "nr_periods");
		u->cpus_nr_throttled = cg_keyed(buf, "nr_throttled");
		if ((v = cg_keyed(buf, "throttled_time")) >= 0)
			u->cpus_throttled_time_secs = (double)v / 1e9;
	}
	u->threads = cg_lines(cg->mem, "tasks");
}

static void
cg_usage_v2(struct ctr_cgroup *cg, const char *stat, struct ctr_usage *u)
{
	char buf[1024];
	long long v;

	u->mem_total_bytes = cg_num(cg->mem, "memory.current");
	u->mem_limit_bytes = cg_num(cg->mem, "memory.max");
	u->mem_anon_bytes = u->mem_rss_bytes = cg_keyed(stat, "anon");
	u->mem_file_bytes = u->mem_cache_bytes = cg_keyed(stat, "file");
	u->mem_mapped_file_bytes = cg_keyed(stat, "file_mapped");
	u->mem_swap_bytes = cg_num(cg->mem, "memory.swap.current");
	if (cg_read(cg->mem, "cpu.stat", buf, sizeof buf) > 0) {
		if ((v = cg_keyed(buf, "user_usec")) >= 0)
			u->cpus_user_time_secs = (double)v / 1e6;
		if ((v = cg_keyed(buf, "system_usec")) >= 0)
			u->cpus_system_time_secs = (double)v / 1e6;
		u->cpus_nr_periods = cg_keyed(buf, "nr_periods");
		u->cpus_nr_throttled = cg_keyed(buf, "nr_throttled");
		if ((v = cg_keyed(buf, "throttled_usec")) >= 0)
			u->cpus_throttled_time_secs = (double)v / 1e6;
	}
	u->threads = cg_lines(cg->mem, "cgroup.threads");
}

int
ctr_cgroup_usage(struct ctr_cgroup *cg, struct ctr_usage *u)
{
	char stat[8192];
	ssize_t n;

	CD_CHECK_OBJ(cg, CG_MAGIC);
	if ((n = cg_read(cg->mem, "memory.stat", stat, sizeof stat)) < 0)
		return (int)n;
	if (cg->s->version == 2)
		cg_usage_v2(cg, stat, u);
	else
		cg_usage_v1(cg, stat, u);
	u->processes = cg_lines(cg->mem, "cgroup.procs");
	return 0;
}

int
ctr_cgroup_kill_all(struct ctr_cgroup *cg)
{
	char buf[8192], *p, *end;
	long pid;
	int n = 0;

	if (cg->s->version == 2 && cg_write(cg->mem, "cgroup.kill", "1") == 0)
		return 1;
	if (cg_read(cg->mem, "cgroup.procs", buf, sizeof buf) <= 0)
		return 0;
	for (p = buf; *p != '\0'; p = end) {
		pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 1 && kill((pid_t)pid, SIGKILL) == 0)
			n++;
	}
	return n;
}

int
ctr_cgroup_remove(struct ctr_cgroup *cg)
{
	int rc = 0;

	if (cg->cpu != NULL && rmdir(cg->cpu) == -1 && errno != ENOENT)
		rc = -errno;
	if (cg->acct != NULL && rmdir(cg->acct) == -1 && errno != ENOENT)
		rc = -errno;
	if (rmdir(cg->mem) == -1 && errno != ENOENT)
		rc = -errno;
	return rc;
}

void
ctr_cgroup_free(struct ctr_cgroup *cg)
{
	if (cg == NULL)
		return;
	CD_CHECK_OBJ(cg, CG_MAGIC);
	ctr_cgroup_close_procs(cg);
	if (cg->oomfd != -1)
		close(cg->oomfd);
	if (cg->ctlfd != -1)
		close(cg->ctlfd);
	free(cg->mem);
	free(cg->cpu);
	free(cg->acct);
	CD_FREE_OBJ(cg);
}
