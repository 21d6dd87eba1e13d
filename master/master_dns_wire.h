/*
 * master_dns_wire.h: what the DNS server needs of the wire format beyond
 * libevent's evdns server, which speaks UDP only and cuts every reply at
 * 512 bytes mid-record (keeping the full counts in the header). Pure:
 *
 *  - mdw_udp_size(): the size libevent's reply to a question will have,
 *    computed the way libevent writes it (its name compression included),
 *    so that the server sends a reply over UDP only when it fits whole,
 *    and otherwise a truncated one (TC) without records;
 *  - mdw_parse() and mdw_tcp_reply(): a query read from a TCP connection
 *    and its reply, both by Debian's libldns (ldns_wire2pkt, ldns_pkt2wire)
 *    from the zone's records, so that no wire format is written by hand.
 */
#ifndef CLUSTERD_MASTER_MASTER_DNS_WIRE_H
#define CLUSTERD_MASTER_MASTER_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/dnsname.h"
#include "master/master_dns_zone.h"

/* The most libevent's evdns server sends in one UDP reply. */
#define MDW_UDP_MAX 512
/* The longest query read from a TCP connection. */
#define MDW_TCP_QUERY_MAX 4096

#define MDW_FORMERR 1
#define MDW_SERVFAIL 2
#define MDW_NOTIMP 4
#define MDW_REFUSED 5

/*
 * The size of libevent's reply to a question for qname (as asked) that
 * holds rr[0..n): owners and the question's name compressed as libevent
 * compresses them, RDATA as given. Counting stops once past limit (the
 * result is then some size over limit).
 */
size_t mdw_udp_size(const char *qname, const struct mdz_rr *rr, size_t n,
		    size_t limit);

/* A query from a TCP connection. */
struct mdw_query {
	uint16_t id;
	int opcode;
	bool rd, cd;
	unsigned qdcount;
	char name[DNSNAME_MAX * 4 + 2]; /* as asked, escaped, no final dot */
	uint16_t qtype, qclass;
	void *pkt; /* owned: the parsed ldns_pkt */
};

/*
 * Parse msg (one DNS message, without the TCP length). Returns 0, or
 * -EINVAL for what is not a query (garbage, a response); then nothing is
 * to be answered. A query without exactly one question parses, with
 * qdcount telling.
 */
int mdw_parse(const uint8_t *msg, size_t len, struct mdw_query *q);
void mdw_query_release(struct mdw_query *q);

/*
 * Append to out the reply to q as it goes on a TCP connection: its
 * two-byte length, then the message: rcode, AA when aa, RA when ra, and
 * the sections of a (NULL: none). A reply over 65535 bytes loses its
 * additional records, then answers, and says TC.
 */
void mdw_tcp_reply(const struct mdw_query *q, int rcode, bool aa, bool ra,
		   const struct mdz_answer *a, struct buf *out);

#endif
