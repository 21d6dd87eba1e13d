/*
 * main.c: clusterd's entry point and the only file that sees every role.
 * It parses the configuration once, creates the single event loop, opens
 * the store, starts the roles the command line asks for (master with the
 * embedded Marathon scheduler, agent, or both), writes the port file once
 * every listener is bound, and on SIGTERM or SIGINT stops the roles in
 * reverse order. Containers keep running when clusterd exits: an agent
 * re-adopts them when it starts again.
 *
 * Under systemd (Type=notify) it sends READY=1 from the first loop
 * iteration after the port file is written, so every port then serves;
 * WATCHDOG=1 from a loop timer, and STOPPING=1 when a signal stops it.
 * The web UI is registered on the API port beside the Marathon API.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent.h"
#include "cmd/cmd_flags.h"
#include "cmd/cmd_ha.h"
#include "cmd/cmd_listen.h"
#include "lib/buf.h"
#include "lib/fault.h"
#include "lib/httpc.h"
#include "lib/httpd.h"
#include "lib/id.h"
#include "lib/leader_info.h"
#include "lib/loop.h"
#include "lib/metrics.h"
#include "lib/path.h"
#include "lib/sdnotify.h"
#include "lib/store.h"
#include "lib/tls.h"
#include "lib/xalloc.h"
#include "master/master.h"
#include "master/master_dns.h"
#include "master/master_dns_api.h"
#include "master/master_dns_feed.h"
#include "master/master_dns_follow.h"
#include "master/master_files.h"
#include "scheduler/sched.h"
#include "ui/ui.h"

#define LOG_MOD "main"
#include "lib/log.h"
struct cd_main {
	struct cd_config cfg;
	struct loop *loop;	    /* owned */
	struct store *store;	    /* owned: LMDB in work_dir, or NULL (a
				       master with --zk needs none) */
	struct store *mstore;	    /* the master's: store, or (owned) the
				       cache of the state in ZooKeeper */
	struct cmd_ha *ha;	    /* owned: with ZooKeeper, or NULL */
	char *self_id;		    /* owned: this start's MasterInfo id */
	struct tls *tls;	    /* owned: with --ssl_cert, or NULL */
	struct httpc *hc;	    /* owned */
	struct httpd *master_httpd; /* owned */
	struct httpd *api_httpd;    /* owned */
	struct httpd *agent_httpd;  /* owned */
	struct master *master;	    /* owned */
	struct master_dns *dns;	    /* owned: with --dns_port, or NULL */
	struct master_dns_follow *dns_follow; /* owned: with dns and --zk */
	char *dns_leader;	    /* owned: the leader's /internal/dns, or
				       NULL (none, or this master) */
	struct sched *sched;	    /* owned */
	struct agent *agent;	    /* owned */
	struct ui *ui;		    /* owned */
	struct master_files *files; /* owned: sandboxes on the API port */
	struct sdnotify *sdn;	    /* owned, NULL when not under systemd */
	bool follow;		 /* the agent follows the leader in ZooKeeper */
	struct metrics *metrics; /* owned: every role records here */
	json_t *flags;		 /* ref: /master/state's "flags" */
};

static void
cd_on_stop(void *arg)
{
	struct cd_main *c = arg;
	struct cd_err err = {0};

	log_info("shutting down");
	if (sdnotify_stopping(c->sdn, &err) != 0)
		log_warn("cannot notify systemd: %s", err.msg);
	loop_stop(c->loop);
}

static void
cd_on_hup(void *arg)
{
	(void)arg;
	log_info("SIGHUP ignored: the configuration is read once at start");
}

/* Written with rename(2) so a reader never sees half a file. */
static int
cd_write_port_file(struct cd_main *c)
{
	struct buf b = BUF_INIT;
	char *tmp;
	FILE *f;
	int rc = 0;

	if (c->cfg.port_file == NULL)
		return 0;
	buf_puts(&b, "{");
	if (c->api_httpd != NULL)
		buf_printf(&b, "\"http\": %d, ", httpd_port(c->api_httpd));
	if (c->master_httpd != NULL)
		buf_printf(&b, "\"master\": %d, ", httpd_port(c->master_httpd));
	if (c->agent_httpd != NULL)
		buf_printf(&b, "\"agent\": %d, ", httpd_port(c->agent_httpd));
	if (c->dns != NULL)
		buf_printf(&b, "\"dns\": %d, ", master_dns_port(c->dns));
	buf_printf(&b, "\"pid\": %d}\n", (int)getpid());
	tmp = xasprintf("%s.tmp", c->cfg.port_file);
	f = fopen(tmp, "w");
	if (f == NULL || fputs(buf_str(&b), f) == EOF || fclose(f) != 0 ||
	    rename(tmp, c->cfg.port_file) == -1) {
		log_error("cannot write the port file %s: %s", c->cfg.port_file,
			  strerror(errno));
		rc = -1;
	}
	free(tmp);
	buf_release(&b);
	return rc;
}

/*
 * The service manager's variables, read once and removed from the
 * environment: tasks started later (plain processes inherit it) must not
 * see a socket that is not theirs.
 */
static void
cd_sdnotify_open(struct cd_main *c)
{
	struct sdnotify_env env = {0};
	struct cd_err err = {0};
	char *sock, *usec, *pid;

	sock =
	    getenv("NOTIFY_SOCKET") ? xstrdup(getenv("NOTIFY_SOCKET")) : NULL;
	usec =
	    getenv("WATCHDOG_USEC") ? xstrdup(getenv("WATCHDOG_USEC")) : NULL;
	pid = getenv("WATCHDOG_PID") ? xstrdup(getenv("WATCHDOG_PID")) : NULL;
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	env.socket = sock;
	env.watchdog_usec = usec;
	env.watchdog_pid = pid;
	if (sdnotify_new(c->loop, &env, &c->sdn, &err) != 0)
		log_error("systemd notification disabled: %s", err.msg);
	else if (c->sdn != NULL)
		log_info("systemd notification on %s, watchdog every %llu ms",
			 sock,
			 (unsigned long long)sdnotify_watchdog_ms(c->sdn));
	free(sock);
	free(usec);
	free(pid);
}

/* From the first loop iteration: every listener is bound and served. */
static void
cd_notify_ready(void *arg)
{
	struct cd_main *c = arg;
	struct cd_err err = {0};
	char *status;

	if (c->api_httpd != NULL)
		status = xasprintf("serving; API and web UI on port %d",
				   httpd_port(c->api_httpd));
	else
		status = xasprintf("serving; agent on port %d",
				   httpd_port(c->agent_httpd));
	if (sdnotify_ready(c->sdn, status, &err) != 0)
		log_warn("cannot notify systemd: %s", err.msg);
	free(status);
}

/* Where this process reaches its own ports: loopback when it listens
 * everywhere. */
static const char *
cd_local_ip(const struct cd_main *c)
{
	if (strcmp(c->cfg.ip, "0.0.0.0") == 0)
		return "127.0.0.1";
	if (strcmp(c->cfg.ip, "::") == 0)
		return "::1";
	return c->cfg.ip;
}

/* The UI's relay of the master's state: to this process, or the leader. */
static void
cd_ui_master(struct cd_main *c, const char *ip, int port)
{
	char *url;

	if (ip == NULL || c->ui == NULL) {
		if (c->ui != NULL)
			ui_set_master_state_url(c->ui, NULL);
		return;
	}
	url = strchr(ip, ':') != NULL
		  ? xasprintf("http://[%s]:%d/master/state", ip, port)
		  : xasprintf("http://%s:%d/master/state", ip, port);
	ui_set_master_state_url(c->ui, url);
	free(url);
}

static void
cd_start_ui(struct cd_main *c)
{
	c->ui = ui_new(c->hc, c->api_httpd, NULL);
	/* With ZooKeeper: the leader's, once it is known. */
	if (c->cfg.zk == NULL)
		cd_ui_master(c, cd_local_ip(c), httpd_port(c->master_httpd));
}

/*
 * --dns_port: the DNS server on --ip, fed by the master, with Mesos-DNS's
 * HTTP API on the API port.
 */
static int
cd_start_dns(struct cd_main *c)
{
	struct master_dns_conf dc = {0};
	struct cd_err err = {0};

	if (c->cfg.dns_port == 0)
		return 0;
	dc.ip = c->cfg.ip;
	dc.port = c->cfg.dns_port;
	dc.domain = c->cfg.dns_domain;
	dc.ttl = (uint32_t)(c->cfg.dns_ttl_ms / 1000);
	dc.resolvers = c->cfg.dns_resolvers;
	dc.resolver_timeout_ms = 5000;
	dc.advertise_ip = c->cfg.advertise_ip;
	dc.master_port = httpd_port(c->master_httpd);
	dc.http_port = httpd_port(c->api_httpd);
	dc.version = CLUSTERD_VERSION;
	if (master_dns_new(c->loop, &dc, &c->dns, &err) != 0) {
		log_error("cannot start the DNS server: %s", err.msg);
		return -1;
	}
	/* With ZooKeeper, the leader is whoever is elected; while another
	 * leads, the records are its (master_dns_follow.h). */
	if (c->cfg.zk != NULL) {
		master_dns_leader(c->dns, NULL, 0, 0);
		c->dns_follow = master_dns_follow_new(
		    c->loop, c->hc, c->dns,
		    c->cfg.dns_ttl_ms > 1000 ? c->cfg.dns_ttl_ms : 1000);
	}
	master_dns_api_routes(c->dns, c->api_httpd);
	return 0;
}

/* --abdicate hook of the scheduler: DELETE /v2/leader. */
static int
cd_abdicate(void *arg)
{
	struct cd_main *c = arg;

	return cmd_ha_abdicate(c->ha);
}

/* ZooKeeper's gauges (cmd_ha) for /metrics and /metrics/prometheus. */
static void
cd_ha_metrics(void *arg, struct metrics_out *o)
{
	struct cd_main *c = arg;
	struct cmd_ha_gauge g[32];
	size_t i, n;

	if (c->ha == NULL)
		return;
	n = cmd_ha_gauges(c->ha, g, CD_NELEM(g));
	for (i = 0; i < n; i++)
		metrics_gauge(o, g[i].name, NULL,
			      "ZooKeeper: the session, leadership and the "
			      "replication of the state",
			      g[i].value);
}

/*
 * The master and the scheduler, on the master's store: once at start
 * without ZooKeeper; each time this master is elected (and the state
 * loaded) with it. A new master object each time: a new epoch, its start
 * time, its timers; it pings the agents of its registry at once.
 */
static int
cd_roles_start(struct cd_main *c)
{
	struct master_conf mc = {0};
	struct sched_conf sc = {0};
	struct framework_link link;
	struct cd_err err = {0};

	mc.hostname = c->cfg.hostname;
	mc.advertise_ip = c->cfg.advertise_ip;
	mc.port = httpd_port(c->master_httpd);
	mc.allocation_interval_ms = c->cfg.allocation_interval_ms;
	mc.ping_timeout_ms = c->cfg.agent_ping_timeout_ms;
	mc.max_ping_timeouts = c->cfg.max_agent_ping_timeouts;
	mc.reregister_timeout_ms = c->cfg.agent_reregister_timeout_ms;
	mc.orphan_grace_ms = c->cfg.orphan_task_grace_ms;
	mc.agent_secret = c->cfg.agent_secret;
	mc.version = CLUSTERD_VERSION;
	mc.metrics = c->metrics;
	c->flags = cmd_flags_json(&c->cfg);
	mc.flags = c->flags;
	if (master_new(c->loop, c->mstore, c->hc, c->master_httpd, &mc,
		       &c->master, &err) != 0) {
		log_error("cannot start the master: %s", err.msg);
		return -EIO;
	}
	c->files = master_files_new(c->master, c->api_httpd);
	sc.hostname = c->cfg.hostname;
	sc.advertise_ip = c->cfg.advertise_ip;
	sc.http_port = httpd_port(c->api_httpd);
	sc.master_port = mc.port;
	sc.framework_name = "marathon";
	sc.refuse_seconds = c->cfg.refuse_seconds_ms / 1000.0;
	sc.docker_allowed_parameters = c->cfg.docker_allowed_parameters;
	sc.launch_timeout_ms = c->cfg.task_launch_timeout_ms;
	if (c->ha != NULL) {
		sc.zk_url = c->cfg.zk;
		sc.zk_session_timeout_ms = c->cfg.zk_session_timeout_ms;
		sc.abdicate = cd_abdicate;
		sc.durable = cmd_ha_durable(c->ha);
		sc.hook_arg = c;
	} else {
		sc.durable = store_durable(c->mstore);
	}
	sc.metrics = c->metrics;
	link.ops = master_framework_ops();
	link.master = c->master;
	if (sched_new(c->loop, c->mstore, c->api_httpd, &sc, &link, &c->sched,
		      &err) != 0) {
		log_error("cannot start the scheduler: %s", err.msg);
		return -EIO;
	}
	if (master_framework_add(c->master, "marathon",
				 sched_framework_id(c->sched),
				 sched_framework_ops(), c->sched) != 0)
		return -EIO;
	if (c->dns != NULL)
		master_dns_attach(c->dns, c->master);
	return 0;
}

/* This master stops leading: the roles go, the tasks run on. */
static void
cd_roles_stop(struct cd_main *c)
{
	master_files_free(c->files);
	c->files = NULL;
	sched_free(c->sched);
	c->sched = NULL;
	if (c->dns != NULL && c->master != NULL)
		master_dns_detach(c->dns, c->master);
	master_free(c->master);
	c->master = NULL;
}

/* A standby's DNS records: the leader's, replayed. */
static void
cd_dns_follow(struct cd_main *c)
{
	if (c->dns_follow != NULL)
		master_dns_follow_set(c->dns_follow,
				      c->master == NULL ? c->dns_leader : NULL);
}

static int
cd_ha_lead(void *arg)
{
	struct cd_main *c = arg;
	int rc;

	if (c->dns_follow != NULL)
		master_dns_follow_set(c->dns_follow, NULL);
	rc = cd_roles_start(c);
	if (rc != 0)
		cd_roles_stop(c);
	cd_dns_follow(c);
	return rc;
}

static void
cd_ha_unlead(void *arg)
{
	cd_roles_stop(arg);
	cd_dns_follow(arg);
}

/* Leader detection: agents follow it, the UI and DNS name it. */
static void
cd_ha_leader(void *arg, const struct leader_info *li)
{
	struct cd_main *c = arg;
	char *addr = NULL;

	if (li != NULL)
		addr = xasprintf("%s:%d", li->ip, li->port);
	if (c->agent != NULL && c->follow)
		agent_set_master(c->agent, addr);
	if (c->ui != NULL && c->self_id != NULL && li != NULL &&
	    strcmp(li->id, c->self_id) == 0)
		cd_ui_master(c, cd_local_ip(c), httpd_port(c->master_httpd));
	else if (c->ui != NULL)
		cd_ui_master(c, li != NULL ? li->ip : NULL,
			     li != NULL ? li->port : 0);
	if (c->dns != NULL)
		master_dns_leader(c->dns, li != NULL ? li->ip : NULL,
				  li != NULL ? li->port : 0,
				  li != NULL ? li->http_port : 0);
	free(c->dns_leader);
	c->dns_leader = NULL;
	if (li != NULL && (c->self_id == NULL || strcmp(li->id, c->self_id)))
		c->dns_leader = xasprintf("http://%s/internal/dns", addr);
	cd_dns_follow(c);
	free(addr);
}

static const struct cmd_ha_ops cd_ha_ops = {
    .lead = cd_ha_lead,
    .unlead = cd_ha_unlead,
    .leader = cd_ha_leader,
};

/*
 * ZooKeeper: the session, the election (a master), the detection, and the
 * state (a master's store becomes its cache). Every answer of a master's
 * two ports then waits for ZooKeeper's commit (httpd_set_durable).
 */
static int
cd_start_ha(struct cd_main *c, bool master)
{
	struct cmd_ha_conf hc = {0};
	struct leader_info self = {0};
	struct cd_err err = {0};
	char uuid[ID_UUID_LEN];
	int rc;

	hc.zk = master ? c->cfg.zk : c->cfg.master;
	hc.session_timeout_ms = c->cfg.zk_session_timeout_ms;
	hc.hc = c->hc;
	hc.scheme = c->tls != NULL ? "https" : "http";
	if (master) {
		id_uuid(uuid);
		c->self_id = xstrdup(uuid);
		self.id = c->self_id;
		self.ip = c->cfg.advertise_ip;
		self.hostname = c->cfg.hostname;
		self.version = (char *)CLUSTERD_VERSION;
		self.port = httpd_port(c->master_httpd);
		self.http_port = httpd_port(c->api_httpd);
		hc.cache = c->mstore;
		hc.self = &self;
		hc.api = c->api_httpd;
		hc.master = c->master_httpd;
	}
	rc = cmd_ha_new(c->loop, &hc, &cd_ha_ops, c, &c->ha, &err);
	if (rc != 0) {
		log_error("cannot use ZooKeeper: %s", err.msg);
		return -1;
	}
	if (master) {
		httpd_set_durable(c->master_httpd, cmd_ha_durable(c->ha));
		httpd_set_durable(c->api_httpd, cmd_ha_durable(c->ha));
	}
	return 0;
}

static int
cd_start_master(struct cd_main *c)
{
	if (cmd_listen_open(c->loop, &c->cfg, c->tls, c->metrics,
			    CMD_LISTEN_MASTER, &c->master_httpd) != 0 ||
	    cmd_listen_open(c->loop, &c->cfg, c->tls, c->metrics,
			    CMD_LISTEN_API, &c->api_httpd) != 0)
		return -1;
	cd_start_ui(c);
	if (cd_start_dns(c) != 0)
		return -1;
	if (c->cfg.zk != NULL)
		return cd_start_ha(c, true);
	httpd_set_durable(c->master_httpd, store_durable(c->store));
	httpd_set_durable(c->api_httpd, store_durable(c->store));
	return cd_roles_start(c) == 0 ? 0 : -1;
}

static int
cd_start_agent(struct cd_main *c)
{
	struct agent_conf ac = {0};
	struct cd_err err = {0};
	char *master_addr;
	int rc;

	if (cmd_listen_open(c->loop, &c->cfg, c->tls, c->metrics,
			    CMD_LISTEN_AGENT, &c->agent_httpd) != 0)
		return -1;
	httpd_set_durable(c->agent_httpd, store_durable(c->store));
	/* With ZooKeeper the agent follows the leader, wherever it runs. */
	c->follow = c->cfg.role == CD_ROLE_AIO
			? c->cfg.zk != NULL
			: strncmp(c->cfg.master, "zk://", 5) == 0;
	if (c->follow)
		master_addr = NULL;
	else if (c->cfg.role == CD_ROLE_AIO)
		master_addr = strchr(cd_local_ip(c), ':') != NULL
				  ? xasprintf("[%s]:%d", cd_local_ip(c),
					      httpd_port(c->master_httpd))
				  : xasprintf("%s:%d", cd_local_ip(c),
					      httpd_port(c->master_httpd));
	else
		master_addr = xstrdup(c->cfg.master);
	ac.hostname = c->cfg.hostname;
	ac.advertise_ip = c->cfg.advertise_ip;
	ac.port = httpd_port(c->agent_httpd);
	ac.master = master_addr;
	ac.resources = c->cfg.resources;
	ac.attributes = c->cfg.attributes;
	ac.work_dir = c->cfg.work_dir;
	ac.containerizers = c->cfg.containerizers;
	ac.docker_socket = c->cfg.docker_socket;
	ac.stop_timeout_ms = c->cfg.docker_stop_timeout_ms;
	ac.pull_timeout_ms = c->cfg.docker_pull_timeout_ms;
	ac.ping_timeout_ms = c->cfg.agent_ping_timeout_ms;
	ac.max_ping_timeouts = c->cfg.max_agent_ping_timeouts;
	ac.secret = c->cfg.agent_secret;
	ac.version = CLUSTERD_VERSION;
	ac.allowed_host_paths = c->cfg.allowed_host_paths;
	ac.docker_allowed_parameters = c->cfg.docker_allowed_parameters;
	ac.cgroups_enable_cfs = c->cfg.cgroups_enable_cfs;
	rc = agent_new(c->loop, c->store, c->hc, c->agent_httpd, &ac, &c->agent,
		       &err);
	if (rc != 0)
		log_error("cannot start the agent: %s", err.msg);
	free(master_addr);
	/* An agent alone follows the leader through a session of its own;
	 * in all-in-one the master's detection serves both. */
	if (rc == 0 && c->follow && c->ha == NULL && cd_start_ha(c, false) != 0)
		rc = -1;
	return rc;
}

/*
 * In reverse order. With ZooKeeper, the roles stop first, then the
 * election is withdrawn (our znode deleted: another master takes over
 * at once, not after our session's timeout), the replication stopped
 * (answers still waiting for it get 503) and the session closed.
 */
static void
cd_teardown(struct cd_main *c)
{
	agent_free(c->agent);
	ui_free(c->ui);
	master_files_free(c->files);
	sched_free(c->sched);
	master_dns_follow_free(c->dns_follow);
	master_dns_free(c->dns); /* before the master that feeds it */
	master_free(c->master);
	if (c->master_httpd != NULL)
		httpd_set_durable(c->master_httpd, NULL);
	if (c->api_httpd != NULL)
		httpd_set_durable(c->api_httpd, NULL);
	cmd_ha_free(c->ha);
	httpc_free(c->hc);
	if (c->agent_httpd != NULL)
		httpd_set_durable(c->agent_httpd, NULL);
	httpd_free(c->agent_httpd);
	httpd_free(c->api_httpd);
	httpd_free(c->master_httpd);
	tls_free(c->tls);
	if (c->mstore != c->store)
		store_close(c->mstore);
	store_close(c->store);
	free(c->self_id);
	free(c->dns_leader);
	metrics_free(c->metrics);
	json_decref(c->flags);
	sdnotify_free(c->sdn);
	loop_free(c->loop);
	cmd_flags_release(&c->cfg);
}

/*
 * Fault builds (lib/fault.h) arm their points from CLUSTERD_FAULTS, the
 * one setting read outside the flag table: a test switch, never a flag.
 * A release build has no points, and says so rather than run unarmed.
 */
static int
cd_arm_faults(void)
{
	const char *spec = getenv("CLUSTERD_FAULTS");
#ifdef CD_FAULT_ON
	struct cd_err err;

	if (fault_init(spec, &err) != 0) {
		log_error("%s", err.msg);
		return -EINVAL;
	}
	if (spec != NULL && spec[0] != '\0')
		log_warn("fault build: CLUSTERD_FAULTS=%s", spec);
#else
	if (spec != NULL && spec[0] != '\0')
		log_warn("CLUSTERD_FAULTS is ignored: a release build has no "
			 "fault points (make FAULT=1)");
#endif
	return 0;
}

/*
 * The stores. Without ZooKeeper, one LMDB environment in work_dir for
 * every role of the process (in a temporary directory with
 * --registry=in_memory). With --registry=zk, the master's state is a
 * private cache (STORE_IN_MEMORY) that lib/zkstore loads and replicates;
 * the agent of an all-in-one keeps its checkpoint in work_dir's LMDB as
 * before, and a master alone needs no LMDB at all.
 */
static int
cd_open_stores(struct cd_main *c)
{
	struct cd_err err = {0};
	bool zk = strcmp(c->cfg.registry, "zk") == 0 &&
		  (c->cfg.role & (CD_ROLE_AIO | CD_ROLE_MASTER));

	if (!(zk && c->cfg.role == CD_ROLE_MASTER) &&
	    store_open(
		c->cfg.work_dir,
		strcmp(c->cfg.registry, "in_memory") == 0 ? STORE_IN_MEMORY : 0,
		&c->store, &err) != 0) {
		log_error("cannot open the store in %s: %s", c->cfg.work_dir,
			  err.msg);
		return -1;
	}
	/* --store_sync=group: one sync per loop pass; answers wait for it
	 * (store_durable). Without it, each commit is synced by LMDB. */
	if (c->store != NULL && strcmp(c->cfg.store_sync, "group") == 0 &&
	    store_group_commit(c->store, c->loop, &err) != 0) {
		log_error("%s", err.msg);
		return -1;
	}
	c->mstore = c->store;
	if (zk && store_open(NULL, STORE_IN_MEMORY, &c->mstore, &err) != 0) {
		log_error("cannot open the cache of the state in ZooKeeper: "
			  "%s",
			  err.msg);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct cd_main c;
	enum log_level lvl;
	int rc;

	memset(&c, 0, sizeof c);
	rc = cmd_flags_parse(argc, argv, &c.cfg);
	if (rc != 0) {
		cmd_flags_release(&c.cfg);
		return rc > 0 ? 0 : 1;
	}
	if (log_level_parse(c.cfg.log_level, &lvl) == 0)
		log_set_level(lvl);
	signal(SIGPIPE, SIG_IGN);
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	if (cd_arm_faults() != 0) {
		cmd_flags_release(&c.cfg);
		return 1;
	}
	if (path_mkdirs(c.cfg.work_dir, 0755) != 0) {
		log_error("cannot create --work_dir %s: %s", c.cfg.work_dir,
			  strerror(errno));
		cmd_flags_release(&c.cfg);
		return 1;
	}
	c.loop = loop_new();
	if (c.loop == NULL)
		fatalx("cannot create the event loop");
	log_hook_libevent();
	cd_sdnotify_open(&c);
	if (cd_open_stores(&c) != 0) {
		rc = 1;
		goto out;
	}
	c.metrics = metrics_new();
	metrics_add_collector(c.metrics, cd_ha_metrics, &c);
	/* A master alone with --registry=zk has no LMDB of its own. */
	if (c.store != NULL) {
		store_set_timing(c.store, metrics_store_commit, c.metrics);
		metrics_add_collector(c.metrics, store_metrics, c.store);
	}
	if (c.mstore != NULL && c.mstore != c.store)
		store_set_timing(c.mstore, metrics_store_commit, c.metrics);
	c.hc = httpc_new(c.loop);
	if (cmd_listen_security(&c.cfg, c.hc, &c.tls) != 0) {
		rc = 1;
		goto out;
	}
	if ((c.cfg.role & (CD_ROLE_AIO | CD_ROLE_MASTER)) &&
	    cd_start_master(&c) != 0) {
		rc = 1;
		goto out;
	}
	if ((c.cfg.role & (CD_ROLE_AIO | CD_ROLE_AGENT)) &&
	    cd_start_agent(&c) != 0) {
		rc = 1;
		goto out;
	}
	loop_on_signal(c.loop, SIGTERM, cd_on_stop, &c);
	loop_on_signal(c.loop, SIGINT, cd_on_stop, &c);
	loop_on_signal(c.loop, SIGHUP, cd_on_hup, &c);
	if (cd_write_port_file(&c) != 0) {
		rc = 1;
		goto out;
	}
	log_info("clusterd %s running as %s (work_dir %s)", CLUSTERD_VERSION,
		 c.cfg.role == CD_ROLE_AIO	? "all-in-one"
		 : c.cfg.role == CD_ROLE_MASTER ? "master"
						: "agent",
		 c.cfg.work_dir);
	if (c.api_httpd != NULL)
		log_info(
		    "Marathon API on %s://%s:%d/, web UI on %s://%s:%d/ui/",
		    c.tls != NULL ? "https" : "http", c.cfg.ip,
		    httpd_port(c.api_httpd), c.tls != NULL ? "https" : "http",
		    c.cfg.ip, httpd_port(c.api_httpd));
	loop_defer(c.loop, cd_notify_ready, &c);
	rc = loop_run(c.loop) == 0 ? 0 : 1;
out:
	cd_teardown(&c);
#ifdef CD_FAULT_ON
	fault_log_calls();
#endif
	return rc;
}
