/*
 * master_dns_zone_int.h: what master_dns_zone.c (the names, the sources
 * and their records) and master_dns_zone_lookup.c (the answers) share.
 * Only those two files include it (STYLE B3). Pure.
 */
#ifndef CLUSTERD_MASTER_MASTER_DNS_ZONE_INT_H
#define CLUSTERD_MASTER_MASTER_DNS_ZONE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <ldns/ldns.h>

#include "master/master_dns_zone.h"

struct idmap;

struct mdz_rrec {
	uint16_t type;
	unsigned refs; /* sources holding it */
	uint8_t *wire; /* owned: RDLENGTH then RDATA */
	char *text;    /* owned: the address (A, AAAA), the target (SRV) */
	uint16_t port; /* SRV */
	ldns_rr *lrr;  /* owned: the record for libldns (TCP replies) */
};

struct mdz_name {
	char *name;	      /* owned: the index key */
	struct mdz_rrec **rr; /* owned array of owned records, in order */
	size_t nrr, caprr;
	TAILQ_ENTRY(mdz_name) link;
};

struct mdz_hold {
	struct mdz_name *n; /* borrowed: alive while held */
	struct mdz_rrec *r; /* borrowed: alive while held */
};

struct mdz_src {
	char *key;	       /* owned: "t:<task id>", "a:<agent id>", ... */
	bool hidden;	       /* a task being killed: holds nothing, ever */
	struct mdz_hold *hold; /* owned array */
	size_t nhold, caphold;
	TAILQ_ENTRY(mdz_src) link;
};

TAILQ_HEAD(mdz_name_list, mdz_name);
TAILQ_HEAD(mdz_src_list, mdz_src);

struct mdz {
	char *domain; /* owned */
	char *ns;     /* owned: "ns1.<domain>" */
	uint32_t ttl;
	uint32_t serial;
	struct mdz_rrec *soa; /* owned: rebuilt when soa_stale */
	bool soa_stale;
	struct mdz_name_list names; /* owned */
	struct mdz_src_list srcs;   /* owned */
	struct idmap *name_index;   /* owned: name -> struct mdz_name */
	struct idmap *src_index;    /* owned: key -> struct mdz_src */
	size_t ntasks;
	unsigned rot; /* rotation of answers */
};

/* master_dns_zone.c, for master_dns_zone_lookup.c */

/* RDLENGTH and RDATA of one record given in text form; owned, or NULL. */
uint8_t *mdz_wire_text(const char *rr_text);
/*
 * The record as libldns keeps it (owner, type, class IN, TTL, RDATA read
 * back from wire); owned (ldns_rr_free()), or NULL when libldns cannot
 * read it.
 */
ldns_rr *mdz_ldns_rr(const char *owner, uint16_t type, uint32_t ttl,
		     const uint8_t *wire);

#endif
