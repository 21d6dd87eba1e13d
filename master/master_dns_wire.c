/*
 * master_dns_wire.c: reply sizes as libevent writes them, and the TCP
 * side by libldns (see master_dns_wire.h). Pure.
 *
 * libevent 2.1's evdns_server_request_format_response() writes the
 * question, then each record's owner, compressing a name when one of its
 * suffixes (taken at label boundaries, compared with strcmp) was written
 * before, remembering at most 128 of them; a name is its labels (length
 * and bytes) and a final zero; a record is its owner, type, class, TTL,
 * RDLENGTH and RDATA. mdw_udp_size() follows exactly that.
 */
#include "master/master_dns_wire.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "lib/xalloc.h"

#define LOG_MOD "dns"
#include "lib/log.h"

#define MDW_MAX_LABELS 128 /* libevent's MAX_LABELS */

struct mdw_table {
	const char *v[MDW_MAX_LABELS]; /* borrowed: the names measured */
	int n;
};

static bool
mdw_table_has(const struct mdw_table *t, const char *s)
{
	int i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->v[i], s) == 0)
			return true;
	return false;
}

static void
mdw_table_add(struct mdw_table *t, const char *s)
{
	if (t->n < MDW_MAX_LABELS)
		t->v[t->n++] = s;
}

/* Bytes of name as libevent's dnsname_to_labels() writes it. */
static size_t
mdw_name_size(struct mdw_table *t, const char *name)
{
	const char *p = name, *dot;
	size_t n = 0;

	for (;;) {
		if (mdw_table_has(t, p))
			return n + 2;
		mdw_table_add(t, p);
		dot = strchr(p, '.');
		if (dot == NULL) {
			n += strlen(p) + 1;
			break;
		}
		n += (size_t)(dot - p) + 1;
		p = dot + 1;
	}
	/* The final zero; a name ending in an empty label has it already. */
	return n + (*p != '\0' ? 1 : 0);
}

size_t
mdw_udp_size(const char *qname, const struct mdz_rr *rr, size_t n, size_t limit)
{
	struct mdw_table t = {.n = 0};
	size_t size = 12, i;

	size += mdw_name_size(&t, qname) + 4;
	for (i = 0; i < n && size <= limit; i++)
		size +=
		    mdw_name_size(&t, rr[i].owner) + 10 + MDZ_RR_RDLEN(&rr[i]);
	return size;
}

int
mdw_parse(const uint8_t *msg, size_t len, struct mdw_query *q)
{
	ldns_pkt *p = NULL;
	ldns_rr *qr;
	char *s;
	size_t n;

	memset(q, 0, sizeof *q);
	if (ldns_wire2pkt(&p, msg, len) != LDNS_STATUS_OK)
		return -EINVAL;
	if (ldns_pkt_qr(p)) {
		ldns_pkt_free(p);
		return -EINVAL;
	}
	q->pkt = p;
	q->id = ldns_pkt_id(p);
	q->opcode = (int)ldns_pkt_get_opcode(p);
	q->rd = ldns_pkt_rd(p);
	q->cd = ldns_pkt_cd(p);
	q->qdcount = ldns_pkt_qdcount(p);
	if (q->qdcount != 1 || ldns_rr_list_rr_count(ldns_pkt_question(p)) != 1)
		return 0;
	qr = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	q->qtype = (uint16_t)ldns_rr_get_type(qr);
	q->qclass = (uint16_t)ldns_rr_get_class(qr);
	s = ldns_rdf2str(ldns_rr_owner(qr));
	if (s == NULL)
		fatalx("out of memory");
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		s[--n] = '\0';
	if (n < sizeof q->name)
		memcpy(q->name, s, n + 1);
	else
		q->qdcount = 0; /* cannot be: ldns bounds names */
	free(s);
	return 0;
}

void
mdw_query_release(struct mdw_query *q)
{
	ldns_pkt_free(q->pkt);
	q->pkt = NULL;
}

/* One record of a as an ldns_rr; NULL when libldns cannot read it. */
static ldns_rr *
mdw_rr(const struct mdw_query *q, const ldns_rdf *qowner,
       const struct mdz_rr *r)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *owner;
	size_t pos = 0;

	if (rr == NULL)
		fatalx("out of memory");
	owner = r->owner == q->name ? ldns_rdf_clone(qowner)
				    : ldns_dname_new_frm_str(r->owner);
	if (owner == NULL) {
		ldns_rr_free(rr);
		return NULL;
	}
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, (ldns_rr_type)r->type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, r->ttl);
	if (ldns_wire2rdf(rr, r->wire, (size_t)MDZ_RR_RDLEN(r) + 2, &pos) !=
	    LDNS_STATUS_OK) {
		ldns_rr_free(rr);
		return NULL;
	}
	return rr;
}

/*
 * p as wire format (owned), with names compressed or not: libldns's
 * compression costs two thirds of a large reply's time, so replies go
 * uncompressed unless that makes them too big for TCP.
 */
static ldns_status
mdw_pkt2wire(const ldns_pkt *p, bool compress, uint8_t **wire, size_t *size)
{
	ldns_buffer *b;
	ldns_status st;

	if (compress)
		return ldns_pkt2wire(wire, p, size);
	b = ldns_buffer_new(4096);
	if (b == NULL)
		fatalx("out of memory");
	/* Without compression data, libldns writes names whole. */
	st = ldns_pkt2buffer_wire_compress(b, p, NULL);
	if (st == LDNS_STATUS_OK) {
		*size = ldns_buffer_position(b);
		*wire = ldns_buffer_export(b);
	}
	ldns_buffer_free(b);
	return st;
}

/*
 * Take back the records pushed into p's sections: the zone's are
 * borrowed, the ones made here (in owned) are freed.
 */
static void
mdw_unpush(ldns_pkt *p, ldns_rr_list *owned)
{
	ldns_rr_list_free(ldns_pkt_answer(p));
	ldns_pkt_set_answer(p, ldns_rr_list_new());
	ldns_rr_list_free(ldns_pkt_authority(p));
	ldns_pkt_set_authority(p, ldns_rr_list_new());
	ldns_rr_list_free(ldns_pkt_additional(p));
	ldns_pkt_set_additional(p, ldns_rr_list_new());
	ldns_rr_list_deep_free(owned);
}

/* The reply with the first nan answers and nar additional records. */
static ldns_status
mdw_encode(const struct mdw_query *q, int rcode, bool aa, bool ra, bool tc,
	   bool compress, const struct mdz_answer *a, size_t nan, size_t nar,
	   uint8_t **wire, size_t *size)
{
	static const ldns_pkt_section sec[] = {LDNS_SECTION_ANSWER,
					       LDNS_SECTION_AUTHORITY,
					       LDNS_SECTION_ADDITIONAL};
	const ldns_pkt *qp = q->pkt;
	const ldns_rdf *qowner = NULL;
	ldns_pkt *p = ldns_pkt_new();
	ldns_rr_list *owned = ldns_rr_list_new();
	size_t i, k, first, count[3];
	const struct mdz_rr *r;
	ldns_status st;
	ldns_rr *rr;

	if (p == NULL || owned == NULL)
		fatalx("out of memory");
	ldns_pkt_set_id(p, q->id);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_opcode(p, (ldns_pkt_opcode)q->opcode);
	ldns_pkt_set_aa(p, aa);
	ldns_pkt_set_tc(p, tc);
	ldns_pkt_set_rd(p, q->rd);
	ldns_pkt_set_cd(p, q->cd);
	ldns_pkt_set_ra(p, ra);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	if (q->qdcount == 1 &&
	    ldns_rr_list_rr_count(ldns_pkt_question(qp)) == 1) {
		rr = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(qp), 0));
		if (rr == NULL)
			fatalx("out of memory");
		qowner = ldns_rr_owner(rr);
		ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, rr);
	}
	count[0] = a != NULL ? nan : 0;
	count[1] = a != NULL ? a->nns : 0;
	count[2] = a != NULL ? nar : 0;
	for (k = 0, first = 0; k < 3 && a != NULL && qowner != NULL; k++) {
		for (i = 0; i < count[k]; i++) {
			r = &a->rr[first + i];
			/* The zone's own record, borrowed: no parsing. */
			rr = (ldns_rr *)(uintptr_t)r->ldns;
			if (rr == NULL) {
				rr = mdw_rr(q, qowner, r);
				if (rr == NULL)
					continue;
				ldns_rr_list_push_rr(owned, rr);
			}
			ldns_pkt_push_rr(p, sec[k], rr);
		}
		first += k == 0 ? a->nan : k == 1 ? a->nns : 0;
	}
	st = mdw_pkt2wire(p, compress, wire, size);
	mdw_unpush(p, owned);
	ldns_pkt_free(p);
	return st;
}

void
mdw_tcp_reply(const struct mdw_query *q, int rcode, bool aa, bool ra,
	      const struct mdz_answer *a, struct buf *out)
{
	size_t nan = a != NULL ? a->nan : 0, nar = a != NULL ? a->nar : 0;
	uint8_t *wire = NULL, len[2];
	bool tc = false, compress = false;
	size_t size = 0;

	for (;;) {
		if (mdw_encode(q, rcode, aa, ra, tc, compress, a, nan, nar,
			       &wire, &size) != LDNS_STATUS_OK) {
			/* Records libldns refuses: say so, with none. */
			free(wire);
			wire = NULL;
			if (mdw_encode(q, MDW_SERVFAIL, aa, ra, false, true,
				       NULL, 0, 0, &wire,
				       &size) != LDNS_STATUS_OK)
				fatalx("libldns cannot encode a bare reply");
		}
		if (size <= 0xffff)
			break;
		free(wire);
		wire = NULL;
		/* Too big for TCP: compressed, then without additional
		 * records, then with fewer answers. */
		if (!compress)
			compress = true;
		else if (nar > 0)
			nar = 0;
		else {
			nan /= 2;
			tc = true;
		}
	}
	len[0] = (uint8_t)(size >> 8);
	len[1] = (uint8_t)size;
	buf_append(out, len, 2);
	buf_append(out, wire, size);
	free(wire);
}
