/*
 * cmd_flags.c: every clusterd flag, defined once. The table drives parsing,
 * environment (CLUSTERD_<FLAG>), /etc/clusterd/<flag> files and --help.
 * Machine-dependent defaults are filled after parsing. Runs once, before
 * the loop exists.
 */
#include "cmd_flags.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd_secure.h"
#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/dnsname.h"
#include "lib/log.h"
#include "lib/resources.h"
#include "lib/xalloc.h"
#include "lib/zk_url.h"

#define OFF(f) offsetof(struct cd_config, f)
#define AIO CD_ROLE_AIO
#define MST CD_ROLE_MASTER
#define AGT CD_ROLE_AGENT

static const struct cfg_opt cmd_opts[] = {
    {"all-in-one", CFG_FLAG, OFF(all_in_one), NULL, NULL, 0,
     "run master, scheduler and agent in one process"},
    {"master", CFG_FLAG, OFF(master_role), NULL, NULL, 0,
     "run the master role: allocator, Marathon API and UI "
     "(as a flag); for an agent, --master=HOST[:PORT] names the master "
     "(port 5050 when omitted), zk://host:port[,host:port]/path follows "
     "the leader elected in ZooKeeper (--zk's default), or file:///path "
     "a file holding either"},
    {"agent", CFG_FLAG, OFF(agent_role), NULL, NULL, 0, "run the agent role"},
    {"help", CFG_FLAG, OFF(help), NULL, NULL, 0, "print this help"},
    {"version", CFG_FLAG, OFF(version), NULL, NULL, 0, "print the version"},
    {"ip", CFG_STR, OFF(ip), NULL, NULL, 0,
     "address to bind (127.0.0.1 in all-in-one, else 0.0.0.0)"},
    {"advertise_ip", CFG_STR, OFF(advertise_ip), NULL, NULL, 0,
     "address other nodes use to reach this one"},
    {"hostname", CFG_STR, OFF(hostname), NULL, NULL, 0,
     "name reported for agents and tasks (gethostname())"},
    {"master_port", CFG_PORT, OFF(master_port), "5050", NULL, AIO | MST,
     "master endpoints and the agent protocol (0: any free port)"},
    {"agent_port", CFG_PORT, OFF(agent_port), "5051", NULL, AIO | AGT,
     "agent endpoints (0: any free port)"},
    {"http_port", CFG_PORT, OFF(http_port), "8080", NULL, AIO | MST,
     "Marathon REST API, event stream and web UI (0: any free port)"},
    {"work_dir", CFG_STR, OFF(work_dir), NULL, NULL, 0,
     "LMDB files and sandboxes (/var/lib/clusterd, or "
     "$XDG_STATE_HOME/clusterd when not root)"},
    {"zk", CFG_STR, OFF(zk), NULL, NULL, AIO | MST | AGT,
     "zk://host:port[,host:port]/path: masters elect a leader there and "
     "keep their state under it (--registry=zk); agents follow the "
     "leader"},
    {"zk_session_timeout", CFG_DURATION, OFF(zk_session_timeout_ms), "10secs",
     NULL, AIO | MST | AGT, "ZooKeeper session timeout"},
    {"registry", CFG_ENUM, OFF(registry), NULL, "lmdb|zk|in_memory", AIO | MST,
     "where master and scheduler state lives (lmdb, or zk with --zk)"},
    {"store_sync", CFG_ENUM, OFF(store_sync), "commit", "commit|group", 0,
     "when the LMDB store in --work_dir reaches the disk: commit (a "
     "transaction and its fsync per write) or group (one LMDB transaction "
     "per loop pass, every write of the pass nested in it and synced by its "
     "one commit; answers, events and status updates wait for it; far "
     "fewer fsyncs; the file is allocated ahead, so a full disk still "
     "fails one write with a 507)"},
    {"resources", CFG_STR, OFF(resources), NULL, NULL, AIO | AGT,
     "agent resources, e.g. cpus:4;mem:8192;disk:10000;"
     "ports:[31000-32000] (detected)"},
    {"attributes", CFG_STR, OFF(attributes), NULL, NULL, AIO | AGT,
     "agent attributes for constraints, e.g. rack:r1;zone:a"},
    {"containerizers", CFG_STR, OFF(containerizers), "docker,mesos", NULL,
     AIO | AGT,
     "containerizers in order of preference: docker, "
     "mesos (sim, which runs nothing, is for bench/ only)"},
    {"docker_socket", CFG_STR, OFF(docker_socket), NULL, NULL, AIO | AGT,
     "Docker Engine API socket ($DOCKER_HOST or /var/run/docker.sock)"},
    {"docker_stop_timeout", CFG_DURATION, OFF(docker_stop_timeout_ms), "10secs",
     NULL, AIO | AGT, "grace before SIGKILL"},
    {"docker_pull_timeout", CFG_DURATION, OFF(docker_pull_timeout_ms), "10mins",
     NULL, AIO | AGT,
     "how long an image pull may take before its launch fails (each "
     "other Docker request has its own, shorter timeout)"},
    {"allocation_interval", CFG_DURATION, OFF(allocation_interval_ms), "1secs",
     NULL, AIO | MST, "how often offers go out"},
    {"agent_ping_timeout", CFG_DURATION, OFF(agent_ping_timeout_ms), "15secs",
     NULL, 0, "interval of master-to-agent pings"},
    {"max_agent_ping_timeouts", CFG_INT, OFF(max_agent_ping_timeouts), "5",
     NULL, AIO | MST, "missed pings before an agent is unreachable"},
    {"agent_reregister_timeout", CFG_DURATION, OFF(agent_reregister_timeout_ms),
     "10mins", NULL, AIO | MST,
     "how long a restarted master waits for a known agent to re-register "
     "before it is unreachable"},
    {"orphan_task_grace", CFG_DURATION, OFF(orphan_task_grace_ms), "1mins",
     NULL, AIO | MST,
     "how long a task of a framework not attached to the master (an "
     "orphan) runs before the master kills it"},
    {"http_credentials", CFG_STR, OFF(http_credentials), NULL, NULL, 0,
     "user:password for HTTP basic auth on all three ports (API and UI, "
     "master, agent), except /ping, /master/health, the agent's /health "
     "and the agent protocol under /internal/"},
    {"agent_secret", CFG_STR, OFF(agent_secret), NULL, NULL, 0,
     "shared secret on every agent<->master message: a value, or a file "
     "holding it when it starts with / or ./ (required off loopback)"},
    {"insecure", CFG_FLAG, OFF(insecure), NULL, NULL, 0,
     "allow binding off loopback without --agent_secret (warns at every "
     "start)"},
    {"ssl_cert", CFG_STR, OFF(ssl_cert), NULL, NULL, 0,
     "PEM certificate (chain) to serve HTTPS on all three ports; "
     "agent<->master traffic then uses TLS"},
    {"ssl_key", CFG_STR, OFF(ssl_key), NULL, NULL, 0,
     "PEM private key of --ssl_cert"},
    {"ssl_ca", CFG_STR, OFF(ssl_ca), NULL, NULL, 0,
     "PEM CA certificates that peers' certificates are verified against "
     "(the system's trust store when absent)"},
    {"max_connections", CFG_INT, OFF(max_connections), "0", NULL, 0,
     "open connections per port, 503 beyond; 0: a third of the descriptor "
     "limit (RLIMIT_NOFILE) less 128, so the cap trips before descriptors "
     "run out"},
    {"max_event_streams", CFG_INT, OFF(max_event_streams), "100", NULL,
     AIO | MST, "concurrent /v2/events streams; more are answered 503"},
    {"request_timeout", CFG_DURATION, OFF(request_timeout_ms), "30secs", NULL,
     0,
     "a request's head and body must arrive within this from its first "
     "byte (408 otherwise)"},
    {"idle_timeout", CFG_DURATION, OFF(idle_timeout_ms), "60secs", NULL, 0,
     "idle keep-alive connections, and answers the peer stops reading, "
     "are closed after this"},
    {"log_level", CFG_ENUM, OFF(log_level), "info", "error|warning|info|debug",
     0, "log verbosity"},
    {"port_file", CFG_STR, OFF(port_file), NULL, NULL, 0,
     "write the bound ports as JSON to this file once listening"},
    {"config_dir", CFG_STR, OFF(config_dir), "/etc/clusterd", NULL, 0,
     "directory of per-flag files"},
    {"refuse_seconds", CFG_DURATION, OFF(refuse_seconds_ms), "5secs", NULL,
     AIO | MST, "how long a declined offer's agent is filtered"},
    {"dns_port", CFG_PORT, OFF(dns_port), "0", NULL, AIO | MST,
     "serve Mesos-DNS names (UDP and TCP) on this port of --ip, e.g. 8053 "
     "(53 needs root and is often taken); 0: no DNS server"},
    {"dns_domain", CFG_STR, OFF(dns_domain), "mesos", NULL, AIO | MST,
     "the domain the DNS server answers for, authoritatively"},
    {"dns_ttl", CFG_DURATION, OFF(dns_ttl_ms), "5secs", NULL, AIO | MST,
     "TTL of the DNS records (whole seconds)"},
    {"dns_resolvers", CFG_STR, OFF(dns_resolvers), NULL, NULL, AIO | MST,
     "ip[:port],... to forward A and AAAA questions outside --dns_domain "
     "to; without it they are refused"},
    {"allowed_host_paths", CFG_STR, OFF(allowed_host_paths), NULL, NULL,
     AIO | AGT,
     "host paths containers may mount and fetch from file:// "
     "(comma-separated prefixes; none by default)"},
    {"docker_allowed_parameters", CFG_STR, OFF(docker_allowed_parameters), NULL,
     NULL, 0,
     "docker.parameters keys allowed beyond the safe default set "
     "(comma-separated, e.g. cap-add,volume); give the master the same "
     "list so that it refuses the others with 422"},
    {"cgroups_enable_cfs", CFG_FLAG, OFF(cgroups_enable_cfs), NULL, NULL,
     AIO | AGT, "hard CPU limits (CFS quota) as well as shares"},
    {"task_launch_timeout", CFG_DURATION, OFF(task_launch_timeout_ms), "5mins",
     NULL, AIO | MST,
     "how long a launched task may stay TASK_STAGING before it is "
     "declared TASK_LOST and replaced (Marathon's task_launch_timeout)"},
};

const struct cfg_opt *
cmd_flags_table(size_t *n)
{
	*n = CD_NELEM(cmd_opts);
	return cmd_opts;
}

static const char *
cmd_getenv(const char *name)
{
	const char *v = getenv(name);

	/* CLUSTERD_MASTER may hold the agent's master address instead. */
	if (v != NULL && strcmp(name, "CLUSTERD_MASTER") == 0 &&
	    strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
		return NULL;
	return v;
}

/* A flag file is a few bytes; a blocking read before the loop starts. */
static int
cmd_readfile(const char *path, struct buf *out)
{
	char tmp[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return -ENOENT;
	n = fread(tmp, 1, sizeof tmp, f);
	fclose(f);
	buf_append(out, tmp, n);
	return 0;
}

/*
 * The agent's --master: HOST:PORT; HOST alone means port 5050, as with
 * Mesos; file:///path names a file holding either, read here once (a
 * blocking read before the loop exists). zk:// waits for the agent's
 * ZooKeeper leader detection. Rewrites *master as HOST:PORT, or appends
 * one line to errors.
 */
static void
cmd_master_addr(char **master, struct buf *errors)
{
	struct buf b = BUF_INIT;
	struct zk_url zu = {0};
	struct cd_err err = {0};
	const char *v = *master, *colon, *p;
	char *end = NULL;
	long port;

	if (strncmp(v, "file://", 7) == 0) {
		if (cmd_readfile(v + 7, &b) != 0) {
			buf_printf(errors, "cannot read --master=%s: %s\n", v,
				   strerror(errno));
			goto out;
		}
		while (b.len > 0 && strchr(" \t\r\n", b.data[b.len - 1]))
			b.data[--b.len] = '\0';
		v = buf_str(&b);
		while (*v == ' ' || *v == '\t')
			v++;
		if (strncmp(v, "file://", 7) == 0) {
			buf_printf(errors,
				   "--master=%s holds another file:// "
				   "name\n",
				   *master);
			goto out;
		}
	}
	if (strncmp(v, "zk://", 5) == 0) {
		if (zk_url_parse(v, &zu, &err) != 0)
			buf_printf(errors,
				   "invalid value '%s' for --master: %s\n", v,
				   err.msg);
		else if (v != *master) {
			free(*master);
			*master = xstrdup(v);
		}
		goto out;
	}
	for (p = v; *p != '\0'; p++)
		if (*p == '/' || *p == ' ' || *p == '\t' || *p == '@')
			break;
	colon = v[0] == '[' ? strstr(v, "]:") : strchr(v, ':');
	if (v[0] == '[' && colon != NULL)
		colon++;
	if (*v == '\0' || *p != '\0' ||
	    (v[0] != '[' && colon != NULL && strchr(colon + 1, ':') != NULL) ||
	    (v[0] == '[' && strchr(v, ']') == NULL)) {
		buf_printf(errors,
			   "invalid value '%s' for --master: expected "
			   "HOST[:PORT] ([V6ADDR]:PORT for IPv6), or "
			   "file:///path holding that\n",
			   v);
		goto out;
	}
	if (colon == NULL) {
		char *full = xasprintf("%s:5050", v);

		free(*master);
		*master = full;
		goto out;
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno != 0 || port < 1 ||
	    port > 65535) {
		buf_printf(errors,
			   "invalid port in --master=%s: expected 1 to "
			   "65535\n",
			   v);
		goto out;
	}
	if (v != *master) {
		char *copy = xstrdup(v);

		free(*master);
		*master = copy;
	}
out:
	zk_url_release(&zu);
	buf_release(&b);
}

static char *
cmd_first_address(void)
{
	struct ifaddrs *ifa = NULL, *p;
	char addr[INET_ADDRSTRLEN];
	char *res = NULL;

	if (getifaddrs(&ifa) == -1)
		return xstrdup("127.0.0.1");
	for (p = ifa; p != NULL; p = p->ifa_next) {
		struct sockaddr_in *sin;

		if (p->ifa_addr == NULL || p->ifa_addr->sa_family != AF_INET)
			continue;
		sin = (struct sockaddr_in *)(void *)p->ifa_addr;
		if ((ntohl(sin->sin_addr.s_addr) >> 24) == 127)
			continue;
		if (inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof addr)) {
			res = xstrdup(addr);
			break;
		}
	}
	freeifaddrs(ifa);
	return res ? res : xstrdup("127.0.0.1");
}

static void
cmd_defaults(struct cd_config *c)
{
	char host[256];

	if (c->ip == NULL)
		c->ip =
		    xstrdup(c->role == CD_ROLE_AIO ? "127.0.0.1" : "0.0.0.0");
	if (c->advertise_ip == NULL)
		c->advertise_ip = strcmp(c->ip, "0.0.0.0") == 0
				      ? cmd_first_address()
				      : xstrdup(c->ip);
	if (c->hostname == NULL) {
		if (gethostname(host, sizeof host) == -1)
			c->hostname = xstrdup("localhost");
		else {
			host[sizeof host - 1] = '\0';
			c->hostname = xstrdup(host);
		}
	}
	if (c->work_dir == NULL) {
		const char *xdg = getenv("XDG_STATE_HOME"),
			   *home = getenv("HOME");

		if (geteuid() == 0)
			c->work_dir = xstrdup("/var/lib/clusterd");
		else if (xdg != NULL && *xdg != '\0')
			c->work_dir = xasprintf("%s/clusterd", xdg);
		else
			c->work_dir = xasprintf("%s/.local/state/clusterd",
						home ? home : "/tmp");
	}
	if (c->registry == NULL)
		c->registry = xstrdup(c->zk ? "zk" : "lmdb");
	if (c->docker_socket == NULL) {
		const char *dh = getenv("DOCKER_HOST");

		c->docker_socket = xstrdup(dh && strncmp(dh, "unix://", 7) == 0
					       ? dh + 7
					       : "/var/run/docker.sock");
	} else if (strncmp(c->docker_socket, "unix://", 7) == 0) {
		char *p = xstrdup(c->docker_socket + 7);

		free(c->docker_socket);
		c->docker_socket = p;
	}
}

/*
 * --dns_domain as the DNS server compares names: lowercase, without the
 * final dot, each label 1 to 63 letters, digits, '-' or '_'. -EINVAL
 * leaves *dom as given.
 */
static int
cmd_dns_domain(char **dom)
{
	char d[DNSNAME_MAX + 2];
	size_t i, lab = 0;

	if (dnsname_normalize(*dom, d, sizeof d) <= 0)
		return -EINVAL;
	for (i = 0; d[i] != '\0'; i++) {
		if (d[i] == '.') {
			if (lab == 0)
				return -EINVAL;
			lab = 0;
		} else if ((d[i] >= 'a' && d[i] <= 'z') ||
			   (d[i] >= '0' && d[i] <= '9') || d[i] == '-' ||
			   d[i] == '_') {
			if (++lab > DNSNAME_LABEL_MAX)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	}
	if (lab == 0)
		return -EINVAL;
	free(*dom);
	*dom = xstrdup(d);
	return 0;
}

/*
 * --zk and --registry: the URL must parse; the state follows the leader
 * only in ZooKeeper, so a master with --zk keeps it there (--registry=zk,
 * the default then), and --registry=zk needs --zk.
 */
static void
cmd_zk_check(const struct cd_config *c, struct buf *errors)
{
	struct zk_url zu = {0};
	struct cd_err err = {0};
	bool master = c->role & (CD_ROLE_AIO | CD_ROLE_MASTER);

	if (c->zk != NULL && zk_url_parse(c->zk, &zu, &err) != 0)
		buf_printf(errors, "invalid value '%s' for --zk: %s\n", c->zk,
			   err.msg);
	zk_url_release(&zu);
	if (!master || c->registry == NULL)
		return;
	if (c->zk == NULL && strcmp(c->registry, "zk") == 0)
		buf_puts(errors, "--registry=zk needs "
				 "--zk=zk://host:port[,host:port]/path\n");
	else if (c->zk != NULL && strcmp(c->registry, "zk") != 0)
		buf_printf(errors,
			   "--registry=%s with --zk: the state must live in "
			   "ZooKeeper for another master to take over; use "
			   "--registry=zk (the default with --zk)\n",
			   c->registry);
}

static void
cmd_usage(void)
{
	struct buf b = BUF_INIT;

	buf_puts(&b,
		 "usage: clusterd --all-in-one [flags]\n"
		 "       clusterd --master [flags]\n"
		 "       clusterd --agent --master=HOST[:PORT]|zk://HOSTS/PATH "
		 "[flags]\n"
		 "Each flag may also come from CLUSTERD_<FLAG> or "
		 "/etc/clusterd/<flag>.\n\nflags:\n");
	cfg_help(cmd_opts, CD_NELEM(cmd_opts), &b);
	fputs(buf_str(&b), stdout);
	buf_release(&b);
}

/* "--master" is both the role flag and the agent's master address. */
static int
cmd_split_master(int argc, char **argv, char ***out, char **master_addr)
{
	char **v = xcalloc((size_t)argc + 1, sizeof *v);
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (i > 0 && strncmp(argv[i], "--master=", 9) == 0) {
			free(*master_addr);
			*master_addr = xstrdup(argv[i] + 9);
			continue;
		}
		v[n++] = argv[i];
	}
	*out = v;
	return n;
}

int
cmd_flags_parse(int argc, char **argv, struct cd_config *c)
{
	struct buf errors = BUF_INIT, warnings = BUF_INIT;
	enum cfg_source seen[CD_NELEM(cmd_opts)];
	char **args = NULL;
	const char *cdir = getenv("CLUSTERD_CONFIG_DIR");
	int n, roles, rc = 0;
	size_t i;
	long long dummy;

	memset(c, 0, sizeof *c);
	n = cmd_split_master(argc, argv, &args, &c->master);
	if (c->master == NULL && getenv("CLUSTERD_MASTER") != NULL &&
	    strcmp(getenv("CLUSTERD_MASTER"), "true") != 0)
		c->master = xstrdup(getenv("CLUSTERD_MASTER"));
	if (cfg_parse(cmd_opts, CD_NELEM(cmd_opts), c, n, args, cmd_getenv,
		      cmd_readfile, cdir ? cdir : "/etc/clusterd", &errors,
		      &warnings, seen) != 0)
		rc = -EINVAL;
	free(args);
	if (c->help) {
		cmd_usage();
		rc = 1;
		goto out;
	}
	if (c->version) {
		printf("clusterd %s\n", CLUSTERD_VERSION);
		rc = 1;
		goto out;
	}
	roles = (c->all_in_one ? 1 : 0) + (c->master_role ? 1 : 0) +
		(c->agent_role ? 1 : 0);
	if (roles != 1 && rc == 0)
		buf_puts(&errors, "exactly one of --all-in-one, --master or "
				  "--agent is required\n");
	c->role = c->all_in_one	   ? CD_ROLE_AIO
		  : c->master_role ? CD_ROLE_MASTER
				   : CD_ROLE_AGENT;
	if (c->role == CD_ROLE_AGENT && c->master == NULL && c->zk != NULL)
		c->master = xstrdup(c->zk); /* one environment file for all */
	if (c->role == CD_ROLE_AGENT && c->master == NULL)
		buf_puts(&errors, "--agent needs --master=HOST[:PORT] or "
				  "--master=zk://host:port[,...]/path\n");
	else if (c->role == CD_ROLE_AGENT && roles == 1)
		cmd_master_addr(&c->master, &errors);
	if (c->resources != NULL) {
		struct resources r;
		struct cd_err e;

		if (res_parse(c->resources, &r, &e) != 0)
			buf_printf(&errors,
				   "invalid value for --resources: "
				   "%s\n",
				   e.msg);
		else
			res_free(&r);
	}
	cmd_zk_check(c, &errors);
	if (c->dns_domain != NULL && cmd_dns_domain(&c->dns_domain) != 0)
		buf_printf(&errors,
			   "invalid value '%s' for --dns_domain: expected a "
			   "domain name such as mesos\n",
			   c->dns_domain);
	(void)dummy;
	if (errors.len > 0) {
		/* One line per problem, as SPEC section 1 asks. */
		fprintf(stderr, "clusterd: %s", buf_str(&errors));
		rc = -EINVAL;
		goto out;
	}
	for (i = 0; i < CD_NELEM(cmd_opts); i++) {
		if (seen[i] == CFG_SRC_ARGV && cmd_opts[i].roles != 0 &&
		    !(cmd_opts[i].roles & c->role))
			fprintf(stderr,
				"clusterd: warning: --%s does not apply "
				"to this role and is ignored\n",
				cmd_opts[i].name);
	}
	cmd_defaults(c);
	if (cmd_secure_check(c, &errors) != 0) {
		/* One line per problem, as SPEC section 1 asks. */
		fprintf(stderr, "clusterd: %s", buf_str(&errors));
		rc = -EINVAL;
	}
out:
	buf_release(&errors);
	buf_release(&warnings);
	return rc;
}

json_t *
cmd_flags_json(const struct cd_config *c)
{
	json_t *j = json_object();
	struct buf b = BUF_INIT;
	const char *colon;
	size_t i;

	for (i = 0; i < CD_NELEM(cmd_opts); i++) {
		const struct cfg_opt *o = &cmd_opts[i];

		if (strcmp(o->name, "help") == 0 ||
		    strcmp(o->name, "version") == 0)
			continue;
		buf_reset(&b);
		if (!cfg_value(o, c, &b))
			continue;
		if (o->offset == OFF(agent_secret)) {
			buf_reset(&b);
			buf_puts(&b, CMD_FLAGS_REDACTED);
		} else if (o->offset == OFF(http_credentials)) {
			colon = strchr(c->http_credentials, ':');
			buf_reset(&b);
			buf_printf(&b, "%.*s:" CMD_FLAGS_REDACTED,
				   (int)(colon != NULL
					     ? colon - c->http_credentials
					     : 0),
				   c->http_credentials);
		}
		json_object_set_new(j, o->name, json_string(buf_str(&b)));
	}
	buf_release(&b);
	return j;
}

void
cmd_flags_release(struct cd_config *c)
{
	cfg_release(cmd_opts, CD_NELEM(cmd_opts), c);
	free(c->master);
	c->master = NULL;
}
