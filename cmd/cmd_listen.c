/*
 * cmd_listen.c: the security start-up and the listeners of the node's
 * ports (see cmd_listen.h), moved out of main.c so that main.c keeps the
 * wiring of the roles. Owns the tables of the paths exempt from
 * --http_credentials and the agent protocol's path and header names.
 * Start-up only, on the loop thread before it runs.
 */
#include "cmd/cmd_listen.h"

#include <sys/resource.h>

#include <stddef.h>
#include <stdint.h>

#include "cmd/cmd_flags.h"
#include "lib/err.h"
#include "lib/httpc.h"
#include "lib/httpd.h"
#include "lib/metrics.h"
#include "lib/tls.h"

#define LOG_MOD "main"
#include "lib/log.h"

/*
 * The agent protocol: every path under /internal/ on the master and agent
 * ports carries the agent secret in this header (added by httpc, checked
 * by httpd before anything else) and is exempt from --http_credentials.
 */
#define CD_INTERNAL_PATTERN "/internal/*rest"
#define CD_INTERNAL_PREFIX "/internal/"
#define CD_SECRET_HEADER "Clusterd-Agent-Secret"

/* Paths load balancers poll, per port: exempt from --http_credentials. */
static const char *const cmd_listen_exempt_api[] = {"/ping", NULL};
static const char *const cmd_listen_exempt_master[] = {
    "/master/health", "/health", CD_INTERNAL_PATTERN, NULL};
static const char *const cmd_listen_exempt_agent[] = {
    "/health", CD_INTERNAL_PATTERN, NULL};

/*
 * --max_connections=0: a third of the descriptor limit for each port, less
 * a reserve for the store, Docker, peers and tasks' pipes, so that the cap
 * answers 503 before accept() meets EMFILE.
 */
static size_t
cmd_listen_max_conns(const struct cd_config *cfg)
{
	struct rlimit rl;
	rlim_t n;

	if (cfg->max_connections > 0)
		return (size_t)cfg->max_connections;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		return HTTPD_DEFAULT_MAX_CONNS;
	n = rl.rlim_cur > 128 + 3 * 16 ? (rl.rlim_cur - 128) / 3 : 16;
	return (size_t)n;
}

int
cmd_listen_open(struct loop *l, const struct cd_config *cfg, struct tls *tls,
		struct metrics *m, enum cmd_listen_port which,
		struct httpd **out)
{
	static const struct {
		const char *what;
		const char *const *exempt;
	} ports[] = {
	    [CMD_LISTEN_API] = {"API", cmd_listen_exempt_api},
	    [CMD_LISTEN_MASTER] = {"master", cmd_listen_exempt_master},
	    [CMD_LISTEN_AGENT] = {"agent", cmd_listen_exempt_agent},
	};
	int port = which == CMD_LISTEN_API	? cfg->http_port
		   : which == CMD_LISTEN_MASTER ? cfg->master_port
						: cfg->agent_port;
	struct cd_err err = {0};

	if (httpd_new(l, cfg->ip, port, out, &err) != 0) {
		log_error("cannot listen for the %s on %s:%d: %s",
			  ports[which].what, cfg->ip, port, err.msg);
		return -1;
	}
	if (tls != NULL)
		httpd_set_tls(*out, tls);
	httpd_set_timeouts(*out, (uint64_t)cfg->request_timeout_ms,
			   (uint64_t)cfg->idle_timeout_ms);
	httpd_set_caps(*out, cmd_listen_max_conns(cfg),
		       (size_t)cfg->max_event_streams);
	httpd_set_credentials(*out, cfg->http_credentials, ports[which].exempt);
	httpd_set_observer(*out, metrics_http, m);
	if (which != CMD_LISTEN_API)
		httpd_set_guard(*out, CD_INTERNAL_PATTERN, CD_SECRET_HEADER,
				cfg->agent_secret);
	return 0;
}

/*
 * TLS and the agent secret, before anything listens: the server context
 * from --ssl_cert/--ssl_key, --ssl_ca checked, and the client that carries
 * the agent<->master traffic told to use https://, verify against the CA
 * and send the secret on /internal/ paths.
 */
int
cmd_listen_security(const struct cd_config *cfg, struct httpc *hc,
		    struct tls **tls)
{
	struct httpc_peer peer = {0};
	struct cd_err err = {0};

	log_debug("at most %zu connections per port",
		  cmd_listen_max_conns(cfg));
	if (cfg->insecure)
		log_warn("--insecure: the agent protocol on --ip=%s is not "
			 "authenticated; anyone who reaches the agent port "
			 "can run commands on this node. Set --agent_secret",
			 cfg->ip);
	if (cfg->ssl_cert != NULL) {
		if (tls_server_new(cfg->ssl_cert, cfg->ssl_key, tls, &err) !=
		    0) {
			log_error("%s", err.msg);
			return -1;
		}
		if (cfg->ssl_ca != NULL && tls_ca_check(cfg->ssl_ca, &err)) {
			log_error("%s", err.msg);
			return -1;
		}
	}
	peer.https = *tls != NULL;
	peer.ca_file = cfg->ssl_ca;
	peer.secret_prefix = CD_INTERNAL_PREFIX;
	peer.secret_header = CD_SECRET_HEADER;
	peer.secret = cfg->agent_secret;
	httpc_set_peer(hc, &peer);
	return 0;
}
