/*
 * master_dns_zone.c: the DNS records of the domain (see
 * master_dns_zone.h). Owns the names (each with its records), indexed by
 * name, and the sources that put them there (a task, an agent, the
 * leader, a framework, this name server), indexed by a key; a source
 * remembers which record of which name it holds, so that replacing or
 * removing it takes back exactly that. A record is shared by every source
 * that puts the same value under the same name and goes with the last.
 *
 * RDATA is built once, when a record is added: addresses with inet_pton,
 * the rest (SRV, NS, SOA) by Debian's libldns from the record's text
 * form, so that no DNS wire format is written by hand here. The SOA's
 * serial moves on with every change and its RDATA is rebuilt when an
 * answer needs it. Pure; loop thread only when used by the server.
 *
 * The answers (mdz_lookup(), the SOA, the /v1/hosts and /v1/services JSON)
 * are in master_dns_zone_lookup.c, which shares master_dns_zone_int.h.
 */
#include "master/master_dns_zone_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <ldns/ldns.h>

#include "lib/dnsname.h"
#include "lib/idmap.h"
#include "lib/xalloc.h"

#define LOG_MOD "dns"
#include "lib/log.h"

/* RDLENGTH and RDATA of one record given in text form; owned, or NULL. */
uint8_t *
mdz_wire_text(const char *rr_text)
{
	ldns_rr *rr = NULL;
	ldns_buffer *b = NULL;
	uint8_t *w = NULL;
	size_t n;

	if (ldns_rr_new_frm_str(&rr, rr_text, 0, NULL, NULL) != LDNS_STATUS_OK)
		goto out;
	b = ldns_buffer_new(512);
	if (b == NULL)
		fatalx("out of memory");
	if (ldns_rr_rdata2buffer_wire(b, rr) != LDNS_STATUS_OK)
		goto out;
	n = ldns_buffer_position(b);
	if (n > 0xffff)
		goto out;
	w = xmalloc(n + 2);
	w[0] = (uint8_t)(n >> 8);
	w[1] = (uint8_t)n;
	memcpy(w + 2, ldns_buffer_begin(b), n);
out:
	ldns_buffer_free(b);
	ldns_rr_free(rr);
	return w;
}

/* An address as RDATA; *type gets A or AAAA. Owned, or NULL. */
static uint8_t *
mdz_wire_addr(const char *ip, uint16_t *type)
{
	unsigned char a[16];
	uint8_t *w;
	size_t n;

	if (inet_pton(AF_INET, ip, a) == 1) {
		*type = MDZ_TYPE_A;
		n = 4;
	} else if (inet_pton(AF_INET6, ip, a) == 1) {
		*type = MDZ_TYPE_AAAA;
		n = 16;
	} else {
		return NULL;
	}
	w = xmalloc(n + 2);
	w[0] = 0;
	w[1] = (uint8_t)n;
	memcpy(w + 2, a, n);
	return w;
}

static void
mdz_rrec_free(struct mdz_rrec *r)
{
	ldns_rr_free(r->lrr);
	free(r->wire);
	free(r->text);
	free(r);
}

/*
 * The record as libldns keeps it, made once so that a TCP reply costs no
 * parsing: owner, type, class IN, TTL, and RDATA read back from the wire
 * form by libldns itself. NULL when libldns cannot read it (the reply
 * then builds it, see master_dns_wire).
 */
ldns_rr *
mdz_ldns_rr(const char *owner, uint16_t type, uint32_t ttl, const uint8_t *wire)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *o = ldns_dname_new_frm_str(owner);
	size_t pos = 0;

	if (rr == NULL)
		fatalx("out of memory");
	if (o == NULL) {
		ldns_rr_free(rr);
		return NULL;
	}
	ldns_rr_set_owner(rr, o);
	ldns_rr_set_type(rr, (ldns_rr_type)type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	if (ldns_wire2rdf(rr, wire, (size_t)(wire[0] << 8 | wire[1]) + 2,
			  &pos) != LDNS_STATUS_OK) {
		ldns_rr_free(rr);
		return NULL;
	}
	return rr;
}

/* A name no query can ask for is not kept (labels > 63, too long). */
static bool
mdz_name_ok(const char *name)
{
	const char *p = name, *dot;

	if (strlen(name) > DNSNAME_MAX)
		return false;
	for (;;) {
		dot = strchr(p, '.');
		if ((dot != NULL ? (size_t)(dot - p) : strlen(p)) >
			DNSNAME_LABEL_MAX ||
		    dot == p)
			return false;
		if (dot == NULL)
			return true;
		p = dot + 1;
	}
}

/* Put a record under name for source s; wire is taken (freed if kept). */
static void
mdz_hold(struct mdz *z, struct mdz_src *s, const char *name, uint16_t type,
	 uint8_t *wire_take, const char *text, uint16_t port)
{
	struct mdz_name *n;
	struct mdz_rrec *r = NULL;
	size_t i, len;

	if (wire_take == NULL || !mdz_name_ok(name)) {
		free(wire_take);
		return;
	}
	len = (size_t)(wire_take[0] << 8 | wire_take[1]) + 2;
	n = idmap_get(z->name_index, name);
	if (n == NULL) {
		n = xcalloc(1, sizeof *n);
		n->name = xstrdup(name);
		AZ(idmap_put(z->name_index, n->name, n));
		TAILQ_INSERT_TAIL(&z->names, n, link);
	}
	for (i = 0; i < n->nrr && r == NULL; i++)
		if (n->rr[i]->type == type &&
		    memcmp(n->rr[i]->wire, wire_take, len) == 0)
			r = n->rr[i];
	if (r != NULL) {
		free(wire_take);
	} else {
		r = xcalloc(1, sizeof *r);
		r->type = type;
		r->wire = wire_take;
		r->text = text != NULL ? xstrdup(text) : NULL;
		r->port = port;
		r->lrr = mdz_ldns_rr(n->name, type, z->ttl, r->wire);
		XGROW(n->rr, n->nrr + 1, n->caprr);
		n->rr[n->nrr++] = r;
	}
	r->refs++;
	XGROW(s->hold, s->nhold + 1, s->caphold);
	s->hold[s->nhold].n = n;
	s->hold[s->nhold].r = r;
	s->nhold++;
	z->soa_stale = true;
}

static void
mdz_hold_addr(struct mdz *z, struct mdz_src *s, const char *name,
	      const char *ip)
{
	uint16_t type = 0;
	uint8_t *w = ip != NULL ? mdz_wire_addr(ip, &type) : NULL;

	mdz_hold(z, s, name, type, w, ip, 0);
}

/* SRV priority 0 and weight 1, as mesos-dns (SRVRecordDefaultWeight). */
static void
mdz_hold_srv(struct mdz *z, struct mdz_src *s, const char *name,
	     const char *target, uint32_t port)
{
	char *text;

	if (port == 0 || port > 0xffff || !mdz_name_ok(target))
		return;
	text = xasprintf(". 0 IN SRV 0 1 %u %s.", port, target);
	mdz_hold(z, s, name, MDZ_TYPE_SRV, mdz_wire_text(text), target,
		 (uint16_t)port);
	free(text);
}

/* Let go of everything s holds. */
static void
mdz_release(struct mdz *z, struct mdz_src *s)
{
	struct mdz_name *n;
	struct mdz_rrec *r;
	size_t i, j;

	for (i = 0; i < s->nhold; i++) {
		n = s->hold[i].n;
		r = s->hold[i].r;
		if (--r->refs > 0)
			continue;
		for (j = 0; j < n->nrr && n->rr[j] != r; j++)
			;
		CD_ASSERT(j < n->nrr);
		memmove(&n->rr[j], &n->rr[j + 1],
			(n->nrr - j - 1) * sizeof *n->rr);
		n->nrr--;
		mdz_rrec_free(r);
		if (n->nrr == 0) {
			AN(idmap_del(z->name_index, n->name));
			TAILQ_REMOVE(&z->names, n, link);
			free(n->rr);
			free(n->name);
			free(n);
		}
	}
	if (s->nhold > 0)
		z->soa_stale = true;
	s->nhold = 0;
}

/* The source of key, emptied (created when new). */
static struct mdz_src *
mdz_src_reset(struct mdz *z, const char *key)
{
	struct mdz_src *s = idmap_get(z->src_index, key);

	if (s != NULL) {
		mdz_release(z, s);
		return s;
	}
	s = xcalloc(1, sizeof *s);
	s->key = xstrdup(key);
	AZ(idmap_put(z->src_index, s->key, s));
	TAILQ_INSERT_TAIL(&z->srcs, s, link);
	return s;
}

/* Remove the source of key; returns whether it existed. */
static bool
mdz_src_del(struct mdz *z, const char *key)
{
	struct mdz_src *s = idmap_del(z->src_index, key);

	if (s == NULL)
		return false;
	mdz_release(z, s);
	TAILQ_REMOVE(&z->srcs, s, link);
	free(s->hold);
	free(s->key);
	free(s);
	return true;
}

struct mdz *
mdz_new(const char *domain, uint32_t ttl)
{
	struct mdz *z = xcalloc(1, sizeof *z);
	struct mdz_src *s;
	char *text;

	z->domain = xstrdup(domain);
	z->ns = xasprintf("ns1.%s", domain);
	z->ttl = ttl;
	z->serial = 1;
	z->soa_stale = true;
	TAILQ_INIT(&z->names);
	TAILQ_INIT(&z->srcs);
	z->name_index = idmap_new();
	z->src_index = idmap_new();
	/* The domain's name server is this one, named ns1 (SOAMname). */
	s = mdz_src_reset(z, "z:");
	text = xasprintf(". 0 IN NS %s.", z->ns);
	mdz_hold(z, s, z->domain, MDZ_TYPE_NS, mdz_wire_text(text), z->ns, 0);
	free(text);
	return z;
}

void
mdz_free(struct mdz *z)
{
	struct mdz_src *s;

	if (z == NULL)
		return;
	while ((s = TAILQ_FIRST(&z->srcs)) != NULL)
		mdz_src_del(z, s->key);
	CD_ASSERT(TAILQ_EMPTY(&z->names));
	idmap_free(z->name_index);
	idmap_free(z->src_index);
	if (z->soa != NULL)
		mdz_rrec_free(z->soa);
	free(z->ns);
	free(z->domain);
	free(z);
}

const char *
mdz_domain(const struct mdz *z)
{
	return z->domain;
}

uint32_t
mdz_ttl(const struct mdz *z)
{
	return z->ttl;
}

/* The records of one name N of a task (see the header), in fw. */
static void
mdz_task_names(struct mdz *z, struct mdz_src *s, const struct mdz_task *t,
	       const char *tn, const char *fw)
{
	char hash[DNSNAME_HASH_LEN + 1], tail[DNSNAME_LABEL_MAX + 1];
	char lab[DNSNAME_LABEL_MAX + 1], *canon, *arec, *slave, *name;
	const char *ip = t->task_ip != NULL ? t->task_ip : t->agent_ip;
	static const char *const both[] = {"tcp", "udp"};
	const char *d = z->domain, *proto;
	size_t i, k;

	dnsname_hash(t->id, hash);
	dnsname_tail(t->agent_id, tail);
	canon = xasprintf("%s-%s-%s.%s", tn, hash, tail, fw);
	arec = xasprintf("%s.%s", tn, fw);
	slave = xasprintf("%s.slave.%s", canon, d);
#define MDZ_NAME(...)                                                          \
	do {                                                                   \
		name = xasprintf(__VA_ARGS__);                                 \
	} while (0)
	MDZ_NAME("%s.%s", arec, d);
	mdz_hold_addr(z, s, name, ip);
	free(name);
	MDZ_NAME("%s.%s", canon, d);
	mdz_hold_addr(z, s, name, ip);
	free(name);
	MDZ_NAME("%s.slave.%s", arec, d);
	mdz_hold_addr(z, s, name, t->agent_ip);
	free(name);
	mdz_hold_addr(z, s, slave, t->agent_ip);
	for (i = 0; i < t->nports; i++)
		for (k = 0; k < 2; k++) {
			MDZ_NAME("_%s._%s.%s.slave.%s", tn, both[k], fw, d);
			mdz_hold_srv(z, s, name, slave, t->ports[i]);
			free(name);
			if (t->di_name != NULL)
				continue;
			MDZ_NAME("_%s._%s.%s.%s", tn, both[k], fw, d);
			mdz_hold_srv(z, s, name, slave, t->ports[i]);
			free(name);
		}
	free(slave);
	slave = xasprintf("%s.%s", canon, d);
	for (i = 0; i < t->ndi_ports && t->di_name != NULL; i++) {
		const struct mdz_port *p = &t->di_ports[i];
		char plab[DNSNAME_LABEL_MAX + 1];
		size_t pl = dnsname_label(p->protocol ? p->protocol : "", plab);
		size_t nl = dnsname_label(p->name ? p->name : "", lab);

		for (k = 0; k < 2; k++) {
			if (pl > 0 && k > 0)
				break;
			proto = pl > 0 ? plab : both[k];
			MDZ_NAME("_%s._%s.%s.%s", tn, proto, fw, d);
			mdz_hold_srv(z, s, name, slave, p->number);
			free(name);
			if (nl == 0)
				continue;
			MDZ_NAME("_%s._%s._%s.%s.%s", lab, tn, proto, fw, d);
			mdz_hold_srv(z, s, name, slave, p->number);
			free(name);
		}
	}
#undef MDZ_NAME
	free(slave);
	free(arec);
	free(canon);
}

void
mdz_task_put(struct mdz *z, const struct mdz_task *t)
{
	char fw[DNSNAME_MAX + 1], tn[DNSNAME_LABEL_MAX + 1],
	    raw[DNSNAME_MAX + 1];
	char *key = xasprintf("t:%s", t->id);
	struct mdz_src *s = idmap_get(z->src_index, key);

	if (s != NULL && s->hidden) {
		free(key);
		return;
	}
	if (s == NULL)
		z->ntasks++;
	s = mdz_src_reset(z, key);
	free(key);
	if (dnsname_frag(t->framework, fw, sizeof fw) <= 0 ||
	    t->agent_ip == NULL)
		return;
	if (dnsname_label(t->di_name != NULL ? t->di_name : t->name, tn) > 0)
		mdz_task_names(z, s, t, tn, fw);
	/* mesos-dns's legacy names: the discovery name as it is. */
	if (t->di_name != NULL && strcmp(t->di_name, tn) != 0 &&
	    dnsname_normalize(t->di_name, raw, sizeof raw) > 0)
		mdz_task_names(z, s, t, raw, fw);
}

void
mdz_task_del(struct mdz *z, const char *id)
{
	char *key = xasprintf("t:%s", id);
	struct mdz_src *s = idmap_get(z->src_index, key);

	if (s != NULL && !s->hidden && mdz_src_del(z, key))
		z->ntasks--;
	free(key);
}

void
mdz_task_hide(struct mdz *z, const char *id)
{
	char *key = xasprintf("t:%s", id);
	struct mdz_src *s = idmap_get(z->src_index, key);

	if (s == NULL || !s->hidden) {
		if (s != NULL)
			z->ntasks--;
		mdz_src_reset(z, key)->hidden = true;
	}
	free(key);
}

void
mdz_task_forget(struct mdz *z, const char *id)
{
	char *key = xasprintf("t:%s", id);
	struct mdz_src *s = idmap_get(z->src_index, key);

	if (s != NULL && !s->hidden)
		z->ntasks--;
	mdz_src_del(z, key);
	free(key);
}

bool
mdz_task_has(const struct mdz *z, const char *id)
{
	char *key = xasprintf("t:%s", id);
	struct mdz_src *s = idmap_get(z->src_index, key);

	free(key);
	return s != NULL && !s->hidden;
}

size_t
mdz_task_count(const struct mdz *z)
{
	return z->ntasks;
}

const char *
mdz_container_ip(const json_t *container, const json_t *container_status)
{
	const char *net = json_string_value(
	    json_object_get(json_object_get(container, "docker"), "network"));
	const json_t *ni, *ip;
	size_t i, j;

	if (net == NULL || strcmp(net, "USER") != 0)
		return NULL;
	json_array_foreach(json_object_get(container_status, "network_infos"),
			   i, ni) {
		json_array_foreach(json_object_get(ni, "ip_addresses"), j, ip) {
			const char *s = json_string_value(
			    json_object_get(ip, "ip_address"));

			if (s != NULL && s[0] != '\0')
				return s;
		}
		/* Mesos 0.25's single address. */
		if (json_string_value(json_object_get(ni, "ip_address")))
			return json_string_value(
			    json_object_get(ni, "ip_address"));
	}
	return NULL;
}

/*
 * The source of key (emptied) holds target's address ip and, under
 * srv_name, the SRV to target:port. Takes the three strings.
 */
static void
mdz_put_host(struct mdz *z, char *key_take, char *target_take, const char *ip,
	     char *srv_name_take, int port)
{
	struct mdz_src *s = mdz_src_reset(z, key_take);

	mdz_hold_addr(z, s, target_take, ip);
	mdz_hold_srv(z, s, srv_name_take, target_take, (uint32_t)port);
	free(srv_name_take);
	free(target_take);
	free(key_take);
}

void
mdz_agent_put(struct mdz *z, const char *id, const char *ip, int port)
{
	mdz_put_host(z, xasprintf("a:%s", id), xasprintf("slave.%s", z->domain),
		     ip, xasprintf("_slave._tcp.%s", z->domain), port);
}

void
mdz_agent_del(struct mdz *z, const char *id)
{
	char *key = xasprintf("a:%s", id);

	mdz_src_del(z, key);
	free(key);
}

void
mdz_leader_put(struct mdz *z, const char *ip, int port)
{
	static const char *const a_names[] = {"leader", "master", "master0"};
	struct mdz_src *s;
	char *name, *target;
	size_t i;

	if (ip == NULL) {
		mdz_src_del(z, "l:");
		return;
	}
	s = mdz_src_reset(z, "l:");
	for (i = 0; i < CD_NELEM(a_names); i++) {
		name = xasprintf("%s.%s", a_names[i], z->domain);
		mdz_hold_addr(z, s, name, ip);
		free(name);
	}
	target = xasprintf("leader.%s", z->domain);
	name = xasprintf("_leader._tcp.%s", z->domain);
	mdz_hold_srv(z, s, name, target, (uint32_t)port);
	free(name);
	name = xasprintf("_leader._udp.%s", z->domain);
	mdz_hold_srv(z, s, name, target, (uint32_t)port);
	free(name);
	free(target);
}

void
mdz_framework_put(struct mdz *z, const char *fname, const char *ip, int port)
{
	char fw[DNSNAME_MAX + 1];

	if (dnsname_frag(fname, fw, sizeof fw) <= 0)
		return;
	mdz_put_host(z, xasprintf("f:%s", fw),
		     xasprintf("%s.%s", fw, z->domain), ip,
		     xasprintf("_framework._tcp.%s.%s", fw, z->domain), port);
}

void
mdz_ns_put(struct mdz *z, const char *ip)
{
	mdz_hold_addr(z, mdz_src_reset(z, "n:"), z->ns, ip);
}
