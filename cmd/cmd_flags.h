/*
 * cmd_flags.h: the single option table (STYLE B24) and the parsed,
 * immutable configuration handed to every role. Defaults that depend on
 * the machine (hostname, work_dir, advertise_ip) are resolved here, once.
 */
#ifndef CLUSTERD_CMD_CMD_FLAGS_H
#define CLUSTERD_CMD_CMD_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct cfg_opt;

enum cd_role {
	CD_ROLE_AIO = 1 << 0,
	CD_ROLE_MASTER = 1 << 1,
	CD_ROLE_AGENT = 1 << 2,
};

/* All strings owned by the config; freed by cmd_flags_release(). */
struct cd_config {
	bool all_in_one, master_role, agent_role, help, version;
	unsigned role; /* one of enum cd_role, resolved */
	char *ip;
	char *advertise_ip;
	char *hostname;
	int master_port, agent_port, http_port;
	char *work_dir;
	char *zk;
	long long zk_session_timeout_ms;
	char *registry;
	char *store_sync; /* "commit" or "group" (lib/store_sync.c) */
	char *resources;
	char *attributes;
	char *containerizers;
	char *docker_socket;
	long long docker_stop_timeout_ms;
	long long docker_pull_timeout_ms;
	long long task_launch_timeout_ms;
	long long allocation_interval_ms;
	long long agent_ping_timeout_ms;
	int max_agent_ping_timeouts;
	long long agent_reregister_timeout_ms;
	long long orphan_task_grace_ms;
	char *http_credentials;
	char *agent_secret; /* the secret itself once parsed, never a path */
	bool insecure;
	char *ssl_cert, *ssl_key, *ssl_ca;
	int max_connections, max_event_streams;
	long long request_timeout_ms, idle_timeout_ms;
	char *log_level;
	char *master; /* agent: HOST:PORT (normalised from HOST or file://) */
	char *port_file;
	char *config_dir;
	long long refuse_seconds_ms;
	int dns_port; /* 0: no DNS server */
	char *dns_domain;
	long long dns_ttl_ms;
	char *dns_resolvers;
	char *allowed_host_paths;	 /* comma-separated prefixes or NULL */
	char *docker_allowed_parameters; /* comma-separated keys or NULL */
	bool cgroups_enable_cfs;
};

/*
 * Parse argv and the environment into cfg. Returns 0; 1 when the process
 * should exit 0 after printing (help, version); -EINVAL after printing the
 * errors to stderr (the caller exits 1).
 *
 * Start-up refuses what only looks secure (SPEC section 11): any role
 * bound to an address that is not loopback needs --agent_secret, unless
 * --insecure is given; --agent_secret is a value, or, when it starts with
 * '/', './' or '../', a file holding it (one trailing newline trimmed)
 * that must be readable; the secret may be neither empty nor only
 * whitespace, nor hold control characters (it travels in a header).
 * --ssl_cert and --ssl_key go together, and --ssl_ca needs them.
 */
int cmd_flags_parse(int argc, char **argv, struct cd_config *cfg);
void cmd_flags_release(struct cd_config *cfg);
/*
 * Every flag as this process runs with it (defaults resolved), in Mesos'
 * /master/state shape {"flag_name": "value"}: a new object. Secrets are
 * redacted: --agent_secret's value and the password of
 * --http_credentials are CMD_FLAGS_REDACTED; paths (--ssl_key) stay, as
 * they name a file, not its contents. Unset string flags are left out.
 */
#define CMD_FLAGS_REDACTED "<redacted>"
json_t *cmd_flags_json(const struct cd_config *cfg);
/* The option table itself (*n entries), for --help tools and the fuzzer. */
const struct cfg_opt *cmd_flags_table(size_t *n);

#endif
