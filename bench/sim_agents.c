/*
 * sim_agents.c: a fleet of simulated agents in one process, for bench/
 * only. Each one is a real agent (agent_new(), so the real registration,
 * pings, checkpoint and status updates over HTTP) with its own listener
 * and store, and the "sim" containerizer, which runs nothing. A master
 * then sees N agents and can be measured at scale without N machines.
 *
 *   sim_agents --master=127.0.0.1:5050 --agents=1000 --work_dir=DIR
 *              [--first=0] [--resources=...] [--port_file=FILE]
 *
 * --master=zk://h:p/path: the agents follow the leader elected in
 * ZooKeeper (one session and one leader detector for the whole fleet, as
 * cmd/ does for one agent), for the failover benchmark.
 *
 * Agent i (counted from --first, so that several fleets of one master
 * have distinct names) is "sim-agent-%05d" with attributes rack:r<i%100>,
 * zone:zone-<i/100%8>. The port file is written once every agent's
 * listener is bound ({"pid": N, "agents": N}). SIGTERM or SIGINT stops
 * the loop and frees everything. Single-threaded, on one loop.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_MOD "sim_agents"
#include "agent/agent.h"
#include "lib/err.h"
#include "lib/httpc.h"
#include "lib/httpd.h"
#include "lib/leader.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/store.h"
#include "lib/xalloc.h"
#include "lib/zk.h"
#include "lib/zk_url.h"

struct fleet {
	struct loop *l;
	struct httpc *hc;
	int n;
	struct httpd **httpd;	      /* owned: n */
	struct store **st;	      /* owned: n */
	struct agent **ag;	      /* owned: n */
	struct zk *zk;		      /* owned, with zk:// */
	struct leader_detect *detect; /* owned, with zk:// */
};

/* Every agent of the fleet follows the new leader. */
static void
on_leader(struct leader_detect *d, const struct leader_info *li, void *arg)
{
	struct fleet *f = arg;
	char *addr = li != NULL ? xasprintf("%s:%d", li->ip, li->port) : NULL;
	int i;

	(void)d;
	for (i = 0; i < f->n; i++)
		if (f->ag[i] != NULL)
			agent_set_master(f->ag[i], addr);
	free(addr);
}

static void
on_stop(void *arg)
{
	struct fleet *f = arg;

	log_info("stopping %d simulated agents", f->n);
	loop_stop(f->l);
}

static const char *
opt(int argc, char **argv, const char *name, const char *def)
{
	size_t n = strlen(name);
	int i;

	for (i = 1; i < argc; i++)
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
			return argv[i] + n + 1;
	return def;
}

static void
raise_nofile(int n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < (rlim_t)n * 6 + 64) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
write_port_file(const char *path, int n)
{
	char *tmp;
	FILE *fp;
	int rc = 0;

	if (path == NULL)
		return 0;
	tmp = xasprintf("%s.tmp", path);
	fp = fopen(tmp, "w");
	if (fp == NULL ||
	    fprintf(fp, "{\"pid\": %d, \"agents\": %d}\n", (int)getpid(), n) <
		0 ||
	    fclose(fp) != 0 || rename(tmp, path) != 0)
		rc = -1;
	free(tmp);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *master = opt(argc, argv, "--master", NULL);
	const char *work = opt(argc, argv, "--work_dir", NULL);
	const char *res =
	    opt(argc, argv, "--resources",
		"cpus:64;mem:262144;disk:100000;ports:[31000-32000]");
	const char *port_file = opt(argc, argv, "--port_file", NULL);
	struct fleet f = {0};
	struct cd_err err = {0};
	struct zk_url zu = {0};
	bool zk;
	int i, first, rc = 1;

	f.n = atoi(opt(argc, argv, "--agents", "1000"));
	first = atoi(opt(argc, argv, "--first", "0"));
	if (master == NULL || work == NULL || f.n < 1 || f.n > 99999 ||
	    first < 0 || first > 99999 - f.n) {
		fprintf(stderr, "usage: sim_agents --master=HOST:PORT "
				"--work_dir=DIR [--agents=N] [--first=I] "
				"[--resources=R] [--port_file=F]\n");
		return 2;
	}
	zk = strncmp(master, "zk://", 5) == 0;
	if (zk && zk_url_parse(master, &zu, &err) != 0) {
		fprintf(stderr, "sim_agents: %s\n", err.msg);
		return 2;
	}
	if (strcmp(opt(argc, argv, "--log_level", "warning"), "info") != 0)
		log_set_level(LOG_LVL_WARN);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(f.n);
	if (mkdir(work, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "sim_agents: mkdir %s: %s\n", work,
			strerror(errno));
		return 1;
	}
	f.l = loop_new();
	f.hc = httpc_new(f.l);
	f.httpd = xcalloc((size_t)f.n, sizeof *f.httpd);
	f.st = xcalloc((size_t)f.n, sizeof *f.st);
	f.ag = xcalloc((size_t)f.n, sizeof *f.ag);
	loop_on_signal(f.l, SIGTERM, on_stop, &f);
	loop_on_signal(f.l, SIGINT, on_stop, &f);
	for (i = 0; i < f.n; i++) {
		struct agent_conf ac = {0};
		char host[32], attrs[64];
		char *dir = xasprintf("%s/a%05d", work, i);

		snprintf(host, sizeof host, "sim-agent-%05d", first + i);
		snprintf(attrs, sizeof attrs, "rack:r%03d;zone:zone-%d",
			 (first + i) % 100, ((first + i) / 100) % 8);
		if (httpd_new(f.l, "127.0.0.1", 0, &f.httpd[i], &err) != 0 ||
		    store_open(dir, 0, &f.st[i], &err) != 0) {
			fprintf(stderr, "sim_agents: agent %d: %s\n", i,
				err.msg);
			free(dir);
			goto out;
		}
		ac.hostname = host;
		ac.advertise_ip = "127.0.0.1";
		ac.port = httpd_port(f.httpd[i]);
		ac.master = zk ? NULL : master;
		ac.resources = res;
		ac.attributes = attrs;
		ac.work_dir = dir;
		ac.containerizers = "sim";
		ac.docker_socket = "/nonexistent";
		ac.stop_timeout_ms = 1000;
		ac.ping_timeout_ms = 15000;
		ac.max_ping_timeouts = 5;
		ac.version = "sim";
		if (agent_new(f.l, f.st[i], f.hc, f.httpd[i], &ac, &f.ag[i],
			      &err) != 0) {
			fprintf(stderr, "sim_agents: agent %d: %s\n", i,
				err.msg);
			free(dir);
			goto out;
		}
		free(dir);
	}
	if (zk) {
		f.zk = zk_new(f.l, zu.hosts, 10000, NULL, NULL);
		f.detect = leader_detect_new(f.l, f.zk, zu.path, on_leader, &f);
	}
	if (write_port_file(port_file, f.n) != 0) {
		fprintf(stderr, "sim_agents: cannot write %s\n", port_file);
		goto out;
	}
	rc = loop_run(f.l) == 0 ? 0 : 1;
out:
	leader_detect_free(f.detect);
	zk_free(f.zk);
	zk_url_release(&zu);
	for (i = 0; i < f.n; i++) {
		agent_free(f.ag[i]);
		httpd_free(f.httpd[i]);
		store_close(f.st[i]);
	}
	free(f.ag);
	free(f.httpd);
	free(f.st);
	httpc_free(f.hc);
	loop_free(f.l);
	return rc;
}
