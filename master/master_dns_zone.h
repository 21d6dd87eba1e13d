/*
 * master_dns_zone.h: the records clusterd's DNS server answers for its
 * domain (--dns_domain), kept up to date by whoever feeds it: on the
 * leading master, master_dns.c from the master's own tables as tasks and
 * agents change; on a standby master (with ZooKeeper, later), from what the
 * leader publishes. The inputs below are that seam: plain values, no
 * pointer into the master. Pure (STYLE B28): no I/O, no loop.
 *
 * Names, as mesos-dns gives them (docs/naming.md, records/generator.go),
 * for a running task T of framework F (fw = the framework's name as a
 * domain fragment, d = the domain), with name N (lib/dnsname):
 *   A    N.fw.d, N-<hash>-<agent tail>.fw.d      T's address
 *   A    N.fw.slave.d, N-<hash>-<tail>.fw.slave.d  the agent's address
 *   SRV  _N._tcp.fw.slave.d, _N._udp.fw.slave.d   each host port, target
 *        N-<hash>-<tail>.fw.slave.d
 * and, when T has discovery ports (Marathon always gives them),
 *   SRV  _N._<proto>.fw.d, and _<port name>._N._<proto>.fw.d for a named
 *        port: each discovery port, target N-<hash>-<tail>.fw.d
 * or, without them, the host ports under _N._tcp.fw.d and _N._udp.fw.d.
 * With discovery info, N is the label of its name, and its raw name too
 * (mesos-dns's "legacy" names: /group/app is app-group and app.group).
 * Besides: leader.d, master.d, master0.d (A) and _leader._tcp.d,
 * _leader._udp.d (SRV); slave.d (A, each agent) and _slave._tcp.d; fw.d
 * and _framework._tcp.fw.d; ns1.d; SOA and NS at d.
 *
 * Records of the same name and value are kept once (reference counted),
 * as mesos-dns's record sets are.
 */
#ifndef CLUSTERD_MASTER_MASTER_DNS_ZONE_H
#define CLUSTERD_MASTER_MASTER_DNS_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define MDZ_TYPE_A 1
#define MDZ_TYPE_NS 2
#define MDZ_TYPE_SOA 6
#define MDZ_TYPE_AAAA 28
#define MDZ_TYPE_SRV 33
#define MDZ_TYPE_ANY 255

#define MDZ_NOERROR 0
#define MDZ_NXDOMAIN 3

struct mdz;

/* A discovery port (Mesos' DiscoveryInfo.ports); strings borrowed. */
struct mdz_port {
	uint32_t number;
	const char *protocol; /* "tcp" or "udp"; NULL or "": both */
	const char *name;     /* or NULL */
};

/* A task that should be found, as its feeder sees it; borrowed. */
struct mdz_task {
	const char *id;
	const char *framework; /* the framework's name, "marathon" */
	const char *name;      /* TaskInfo.name */
	const char *agent_id;
	const char *agent_ip;  /* the agent's advertised address */
	const char *task_ip;   /* its container's address, or NULL */
	const uint32_t *ports; /* the host ports it holds */
	size_t nports;
	const char *di_name; /* DiscoveryInfo.name, or NULL: no discovery */
	const struct mdz_port *di_ports;
	size_t ndi_ports;
};

/* One record of an answer; everything borrowed from the zone or caller. */
struct mdz_rr {
	const char *owner;
	uint16_t type;
	uint32_t ttl;
	const uint8_t *wire; /* RDLENGTH (network order), then RDATA */
	const void *ldns;    /* the same record as a libldns ldns_rr, with
				the owner as kept (lowercase), or NULL */
};

#define MDZ_RR_RDLEN(rr) ((uint16_t)((rr)->wire[0] << 8 | (rr)->wire[1]))

/*
 * An answer: rr holds the answer section, then the authority section,
 * then the additional section. Valid until the zone changes; release with
 * mdz_answer_release().
 */
struct mdz_answer {
	int rcode;	   /* MDZ_NOERROR or MDZ_NXDOMAIN */
	struct mdz_rr *rr; /* owned array */
	size_t nan, nns, nar, cap;
};

/* A zone for domain (lowercase, no final dot) with records of ttl s. */
struct mdz *mdz_new(const char *domain, uint32_t ttl);
void mdz_free(struct mdz *z);
const char *mdz_domain(const struct mdz *z);
uint32_t mdz_ttl(const struct mdz *z);

/* Add or replace a task's records (not a hidden task's). */
void mdz_task_put(struct mdz *z, const struct mdz_task *t);
/* Take a task's records out (a hidden task stays hidden). */
void mdz_task_del(struct mdz *z, const char *id);
/* Take them out for good: a task being killed is never answered again. */
void mdz_task_hide(struct mdz *z, const char *id);
/* Forget the task, hidden or not (it ended). */
void mdz_task_forget(struct mdz *z, const char *id);
/* Whether the task has records; how many tasks have. */
bool mdz_task_has(const struct mdz *z, const char *id);
size_t mdz_task_count(const struct mdz *z);
/*
 * The address of a task on a USER network (container.docker.network, as
 * the scheduler normalises it): the first ip_address of the Mesos
 * ContainerStatus' network_infos, borrowed from container_status; NULL
 * on other networks or when unknown (the agent's address is used then).
 */
const char *mdz_container_ip(const json_t *container,
			     const json_t *container_status);
/* An active agent: slave.d and _slave._tcp.d; del when it goes away. */
void mdz_agent_put(struct mdz *z, const char *id, const char *ip, int port);
void mdz_agent_del(struct mdz *z, const char *id);
/* The leading master (its address and master port); ip NULL: none. */
void mdz_leader_put(struct mdz *z, const char *ip, int port);
/* A framework's scheduler: fw.d and _framework._tcp.fw.d. */
void mdz_framework_put(struct mdz *z, const char *name, const char *ip,
		       int port);
/* This server's own address, ns1.d (the SOA's and NS's name server). */
void mdz_ns_put(struct mdz *z, const char *ip);

/*
 * Answer qtype for name (normalised: lib/dnsname; inside the domain),
 * owner being the question's name as asked (answers carry it, borrowed).
 * An unknown name is NXDOMAIN, a known one without records of qtype is
 * NOERROR without answers; both with the SOA as authority. SRV answers
 * bring their targets' addresses as additional records, NS answers the
 * name server's. Successive answers start at the next record (the
 * rotation that spreads clients over tasks).
 */
void mdz_lookup(struct mdz *z, const char *name, const char *owner,
		uint16_t qtype, struct mdz_answer *out);
void mdz_answer_release(struct mdz_answer *a);

/*
 * Mesos-DNS's HTTP API shapes: GET /v1/hosts/{host} is
 * [{"host": "<name>.", "ip": "..."}], GET /v1/services/{service} is
 * [{"service", "host", "ip", "port"}] (port a string); an unknown name
 * gives one record of empty strings, as Mesos-DNS does. New references.
 */
json_t *mdz_hosts_json(struct mdz *z, const char *host);
json_t *mdz_services_json(struct mdz *z, const char *service);

#endif
