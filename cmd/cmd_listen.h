/*
 * cmd_listen.h: the node's three ports (API, master, agent) and the
 * security settings they share with the agent<->master client: TLS from
 * --ssl_cert/--ssl_key/--ssl_ca, --http_credentials with the paths load
 * balancers poll exempt, the agent secret on /internal/, the caps on
 * connections and event streams. Used by main.c at start-up, on the loop
 * thread before it runs.
 */
#ifndef CLUSTERD_CMD_CMD_LISTEN_H
#define CLUSTERD_CMD_CMD_LISTEN_H

struct cd_config;
struct httpc;
struct httpd;
struct loop;
struct metrics;
struct tls;

enum cmd_listen_port {
	CMD_LISTEN_API,	   /* --http_port: Marathon API and the web UI */
	CMD_LISTEN_MASTER, /* --master_port: the master's endpoints */
	CMD_LISTEN_AGENT,  /* --agent_port: the agent's endpoints */
};

/*
 * Before anything listens: load the TLS server context into *tls (owned
 * by the caller, tls_free(); left NULL without --ssl_cert), check
 * --ssl_ca, and tell hc (the agent<->master client) to use https://,
 * verify against the CA and send the agent secret on /internal/ paths.
 * Returns 0, or -1 after logging why.
 */
int cmd_listen_security(const struct cd_config *cfg, struct httpc *hc,
			struct tls **tls);

/*
 * Listen on the port of which (its number from cfg) with the node's
 * settings: tls (borrowed, may be NULL, outlives *out), timeouts, caps,
 * credentials, the agent-secret guard on the master and agent ports, and
 * m (borrowed, outlives *out) observing every request. *out is owned by
 * the caller (httpd_free()). Returns 0, or -1 after logging why.
 */
int cmd_listen_open(struct loop *l, const struct cd_config *cfg,
		    struct tls *tls, struct metrics *m,
		    enum cmd_listen_port which, struct httpd **out);

#endif
