/*
 * master_dns.h: the master role's DNS server (--dns_port): Mesos-DNS's
 * names for the tasks, agents and masters, answered from the records of
 * master_dns_zone, authoritatively for --dns_domain; names outside it are
 * forwarded to --dns_resolvers (A and AAAA, through evdns), or REFUSED.
 * UDP through libevent's evdns server; TCP (for the answers that do not
 * fit in 512 bytes, which UDP replies mark truncated) on the same port.
 * Mesos-DNS's HTTP API on the Marathon API port: master_dns_api.h.
 *
 * Feeding: master_dns_attach() hands it a master, which then calls the
 * hooks of master_dns_feed.c as tasks and agents change, so the records
 * follow the master's state as it changes, with no polling. A standby
 * master would feed the zone (master_dns_zone()) from what the leader
 * publishes instead. Loop thread only.
 */
#ifndef CLUSTERD_MASTER_MASTER_DNS_H
#define CLUSTERD_MASTER_MASTER_DNS_H

#include <stdint.h>

#include "lib/err.h"

struct loop;
struct master;
struct master_dns;
struct mdz;

/* Strings borrowed for the call (copied). */
struct master_dns_conf {
	const char *ip;	       /* the address to bind, as --ip */
	int port;	       /* --dns_port (0: any free port) */
	const char *domain;    /* --dns_domain */
	uint32_t ttl;	       /* --dns_ttl, seconds */
	const char *resolvers; /* --dns_resolvers: "ip[:port],...", or NULL */
	long long resolver_timeout_ms;
	const char *advertise_ip; /* this master: leader.<domain>, ns1 */
	int master_port;	  /* _leader._tcp */
	int http_port;		  /* /v1/config's HttpPort */
	const char *version;	  /* /v1/version */
};

/*
 * Bind UDP and TCP on ip:port and serve. Returns 0 and *out, or a
 * negative code with err (a port in use, bad resolvers).
 */
int master_dns_new(struct loop *l, const struct master_dns_conf *conf,
		   struct master_dns **out, struct cd_err *err);
/* Detach from the master, stop serving, free; NULL is a no-op. */
void master_dns_free(struct master_dns *d);
/*
 * The master that feeds the zone (master_dns_attach() calls this): freeing
 * d detaches it (m->dns = NULL); free d before m.
 */
void master_dns_set_master(struct master_dns *d, struct master *m);
/* The bound port (UDP and TCP). */
int master_dns_port(const struct master_dns *d);
/* The records (borrowed; valid while d lives). */
struct mdz *master_dns_zone(struct master_dns *d);
/* The configuration as given (strings valid while d lives). */
const struct master_dns_conf *master_dns_conf(const struct master_dns *d);
/* Queries answered, by kind, for the logs and /v1/config. */
uint64_t master_dns_queries(const struct master_dns *d);

#endif
