/*
 * main.c: clusterd's entry point and the only file that sees every role.
 * It parses the configuration once, creates the single event loop, opens
 * the store, starts the roles the command line asks for (master with the
 * embedded Marathon scheduler, agent, or both), writes the port file once
 * every listener is bound, and on SIGTERM or SIGINT stops the roles in
 * reverse order. Containers keep running when clusterd exits: an agent
 * re-adopts them when it starts again.
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
#include "lib/buf.h"
#include "lib/httpc.h"
#include "lib/httpd.h"
#include "lib/loop.h"
#include "lib/path.h"
#include "lib/store.h"
#include "lib/xalloc.h"
#include "master/master.h"
#include "scheduler/sched.h"

#define LOG_MOD "main"
#include "lib/log.h"

struct cd_main {
	struct cd_config cfg;
	struct loop *loop;	    /* owned */
	struct store *store;	    /* owned */
	struct httpc *hc;	    /* owned */
	struct httpd *master_httpd; /* owned */
	struct httpd *api_httpd;    /* owned */
	struct httpd *agent_httpd;  /* owned */
	struct master *master;	    /* owned */
	struct sched *sched;	    /* owned */
	struct agent *agent;	    /* owned */
};

static void
cd_on_stop(void *arg)
{
	struct cd_main *c = arg;

	log_info("shutting down");
	loop_stop(c->loop);
}

static void
cd_on_hup(void *arg)
{
	(void)arg;
	log_info("SIGHUP ignored: the configuration is read once at start");
}

static int
cd_listen(struct cd_main *c, int port, const char *what, struct httpd **out)
{
	struct cd_err err = {0};

	if (httpd_new(c->loop, c->cfg.ip, port, out, &err) != 0) {
		log_error("cannot listen for the %s on %s:%d: %s", what,
			  c->cfg.ip, port, err.msg);
		return -1;
	}
	if (c->cfg.http_credentials != NULL && strcmp(what, "API") == 0)
		httpd_set_credentials(*out, c->cfg.http_credentials);
	return 0;
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

static int
cd_start_master(struct cd_main *c)
{
	struct master_conf mc = {0};
	struct sched_conf sc = {0};
	struct framework_link link;
	struct cd_err err = {0};

	if (cd_listen(c, c->cfg.master_port, "master", &c->master_httpd) != 0 ||
	    cd_listen(c, c->cfg.http_port, "API", &c->api_httpd) != 0)
		return -1;
	mc.hostname = c->cfg.hostname;
	mc.advertise_ip = c->cfg.advertise_ip;
	mc.port = httpd_port(c->master_httpd);
	mc.allocation_interval_ms = c->cfg.allocation_interval_ms;
	mc.ping_timeout_ms = c->cfg.agent_ping_timeout_ms;
	mc.max_ping_timeouts = c->cfg.max_agent_ping_timeouts;
	mc.agent_secret = c->cfg.agent_secret;
	mc.version = CLUSTERD_VERSION;
	if (master_new(c->loop, c->store, c->hc, c->master_httpd, &mc,
		       &c->master, &err) != 0) {
		log_error("cannot start the master: %s", err.msg);
		return -1;
	}
	sc.hostname = c->cfg.hostname;
	sc.advertise_ip = c->cfg.advertise_ip;
	sc.http_port = httpd_port(c->api_httpd);
	sc.master_port = mc.port;
	sc.framework_name = "marathon";
	sc.refuse_seconds = c->cfg.refuse_seconds_ms / 1000.0;
	sc.docker_allowed_parameters = c->cfg.docker_allowed_parameters;
	link.ops = master_framework_ops();
	link.master = c->master;
	if (sched_new(c->loop, c->store, c->api_httpd, &sc, &link, &c->sched,
		      &err) != 0) {
		log_error("cannot start the scheduler: %s", err.msg);
		return -1;
	}
	return master_framework_add(c->master, "marathon",
				    sched_framework_id(c->sched),
				    sched_framework_ops(), c->sched);
}

static int
cd_start_agent(struct cd_main *c)
{
	struct agent_conf ac = {0};
	struct cd_err err = {0};
	char *master_addr;
	int rc;

	if (cd_listen(c, c->cfg.agent_port, "agent", &c->agent_httpd) != 0)
		return -1;
	if (c->cfg.role == CD_ROLE_AIO)
		master_addr = xasprintf(
		    "%s:%d",
		    strcmp(c->cfg.ip, "0.0.0.0") == 0 ? "127.0.0.1" : c->cfg.ip,
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
	return rc;
}

static void
cd_teardown(struct cd_main *c)
{
	agent_free(c->agent);
	sched_free(c->sched);
	master_free(c->master);
	httpc_free(c->hc);
	httpd_free(c->agent_httpd);
	httpd_free(c->api_httpd);
	httpd_free(c->master_httpd);
	store_close(c->store);
	loop_free(c->loop);
	cmd_flags_release(&c->cfg);
}

int
main(int argc, char **argv)
{
	struct cd_main c;
	struct cd_err err = {0};
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
	if (store_open(
		c.cfg.work_dir,
		strcmp(c.cfg.registry, "in_memory") == 0 ? STORE_IN_MEMORY : 0,
		&c.store, &err) != 0) {
		log_error("cannot open the store in %s: %s", c.cfg.work_dir,
			  err.msg);
		rc = 1;
		goto out;
	}
	c.hc = httpc_new(c.loop);
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
		log_info("Marathon API on http://%s:%d/", c.cfg.ip,
			 httpd_port(c.api_httpd));
	rc = loop_run(c.loop) == 0 ? 0 : 1;
out:
	cd_teardown(&c);
	return rc;
}
