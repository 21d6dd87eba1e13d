/*
 * master_dns_zone_lookup.c: the answers of the zone (see
 * master_dns_zone.h): mdz_lookup() for the DNS server, with the SOA (its
 * RDATA rebuilt here when a change made it stale), the rotation of
 * answers and the additional addresses of SRV and NS targets; and the
 * JSON of mesos-dns's /v1/hosts and /v1/services. Reads the names
 * master_dns_zone.c keeps; changes nothing but the SOA and the rotation.
 * Pure; loop thread only when used by the server.
 */
#include "master/master_dns_zone_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dnsname.h"
#include "lib/idmap.h"
#include "lib/xalloc.h"

#define LOG_MOD "dns"
#include "lib/log.h"

/* The SOA (SOAMname ns1.d, SOARname root.ns1.d, mesos-dns's timers). */
static struct mdz_rrec *
mdz_soa(struct mdz *z)
{
	char *text;
	uint8_t *w;

	if (z->soa != NULL && !z->soa_stale)
		return z->soa;
	if (z->soa != NULL)
		z->serial++;
	text = xasprintf(". 0 IN SOA %s. root.%s. %u 60 600 86400 %u", z->ns,
			 z->ns, z->serial, z->ttl);
	w = mdz_wire_text(text);
	free(text);
	AN(w);
	if (z->soa == NULL)
		z->soa = xcalloc(1, sizeof *z->soa);
	free(z->soa->wire);
	ldns_rr_free(z->soa->lrr);
	z->soa->type = MDZ_TYPE_SOA;
	z->soa->wire = w;
	z->soa->lrr = mdz_ldns_rr(z->domain, MDZ_TYPE_SOA, z->ttl, w);
	z->soa_stale = false;
	return z->soa;
}

static void
mdz_push(struct mdz *z, struct mdz_answer *a, const char *owner,
	 const struct mdz_rrec *r)
{
	XGROW(a->rr, a->nan + a->nns + a->nar + 1, a->cap);
	a->rr[a->nan + a->nns + a->nar].owner = owner;
	a->rr[a->nan + a->nns + a->nar].type = r->type;
	a->rr[a->nan + a->nns + a->nar].ttl = z->ttl;
	a->rr[a->nan + a->nns + a->nar].wire = r->wire;
	a->rr[a->nan + a->nns + a->nar].ldns = r->lrr;
}

/* The addresses of target as additional records, once per target. */
static void
mdz_additional(struct mdz *z, struct mdz_answer *a, const char *target)
{
	struct mdz_name *n = idmap_get(z->name_index, target);
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < a->nar; i++)
		if (a->rr[a->nan + a->nns + i].owner == n->name)
			return;
	for (i = 0; i < n->nrr; i++)
		if (n->rr[i]->type == MDZ_TYPE_A ||
		    n->rr[i]->type == MDZ_TYPE_AAAA) {
			mdz_push(z, a, n->name, n->rr[i]);
			a->nar++;
		}
}

void
mdz_lookup(struct mdz *z, const char *name, const char *owner, uint16_t qtype,
	   struct mdz_answer *out)
{
	struct mdz_name *n = idmap_get(z->name_index, name);
	bool apex = strcmp(name, z->domain) == 0;
	const struct mdz_rrec *r;
	const char **targets = NULL;
	size_t i, start, nt = 0;

	memset(out, 0, sizeof *out);
	out->rcode = n != NULL || apex ? MDZ_NOERROR : MDZ_NXDOMAIN;
	if (apex && (qtype == MDZ_TYPE_SOA || qtype == MDZ_TYPE_ANY)) {
		mdz_push(z, out, owner, mdz_soa(z));
		out->nan++;
	}
	start = n != NULL && n->nrr > 0 ? z->rot++ % n->nrr : 0;
	if (n != NULL)
		targets = xcalloc(n->nrr, sizeof *targets);
	for (i = 0; n != NULL && i < n->nrr; i++) {
		r = n->rr[(start + i) % n->nrr];
		if (qtype != MDZ_TYPE_ANY && r->type != qtype)
			continue;
		mdz_push(z, out, owner, r);
		out->nan++;
		if ((r->type == MDZ_TYPE_SRV || r->type == MDZ_TYPE_NS) &&
		    r->text != NULL)
			targets[nt++] = r->text;
	}
	if (out->nan == 0) {
		mdz_push(z, out, z->domain, mdz_soa(z));
		out->nns++;
	}
	for (i = 0; i < nt; i++)
		mdz_additional(z, out, targets[i]);
	free(targets);
}

void
mdz_answer_release(struct mdz_answer *a)
{
	free(a->rr);
	memset(a, 0, sizeof *a);
}

json_t *
mdz_hosts_json(struct mdz *z, const char *host)
{
	char name[DNSNAME_MAX + 2] = "";
	struct mdz_name *n = NULL;
	json_t *res = json_array();
	char *dom;
	size_t i;

	if (dnsname_normalize(host, name, sizeof name) > 0)
		n = idmap_get(z->name_index, name);
	dom = xasprintf("%s.", name);
	for (i = 0; n != NULL && i < n->nrr; i++)
		if (n->rr[i]->type == MDZ_TYPE_A ||
		    n->rr[i]->type == MDZ_TYPE_AAAA)
			json_array_append_new(res, json_pack("{s:s, s:s}",
							     "host", dom, "ip",
							     n->rr[i]->text));
	free(dom);
	if (json_array_size(res) == 0)
		json_array_append_new(
		    res, json_pack("{s:s, s:s}", "host", "", "ip", ""));
	return res;
}

json_t *
mdz_services_json(struct mdz *z, const char *service)
{
	char name[DNSNAME_MAX + 2] = "", port[8], *host;
	struct mdz_name *n = NULL, *t;
	json_t *res = json_array();
	size_t i, j;

	if (dnsname_normalize(service, name, sizeof name) > 0)
		n = idmap_get(z->name_index, name);
	for (i = 0; n != NULL && i < n->nrr; i++) {
		if (n->rr[i]->type != MDZ_TYPE_SRV)
			continue;
		t = idmap_get(z->name_index, n->rr[i]->text);
		for (j = 0; t != NULL && j < t->nrr; j++)
			if (t->rr[j]->type == MDZ_TYPE_A ||
			    t->rr[j]->type == MDZ_TYPE_AAAA)
				break;
		if (t == NULL || j == t->nrr)
			continue;
		host = xasprintf("%s.", n->rr[i]->text);
		(void)snprintf(port, sizeof port, "%u", n->rr[i]->port);
		json_array_append_new(res, json_pack("{s:s, s:s, s:s, s:s}",
						     "service", service, "host",
						     host, "ip", t->rr[j]->text,
						     "port", port));
		free(host);
	}
	if (json_array_size(res) == 0)
		json_array_append_new(res, json_pack("{s:s, s:s, s:s, s:s}",
						     "service", "", "host", "",
						     "ip", "", "port", ""));
	return res;
}
