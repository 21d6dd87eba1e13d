/*
 * fuzz_master_dns.c: what the DNS server reads that libevent does not
 * parse: a query from a TCP connection (master_dns_wire's mdw_parse,
 * libldns underneath), looked up in a zone (lib/dnsname's normalisation,
 * master_dns_zone), answered through mdw_tcp_reply and sized for UDP
 * with mdw_udp_size. The input is one DNS message; its bytes also go
 * through dnsname_label/frag/normalize as a name. Built with
 * -fsanitize=fuzzer by `make fuzz`, or with -DTEST_DRIVER as a replay
 * tool over tests/fuzz/corpus/master_dns/ by `make replay`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "lib/buf.h"
#include "lib/dnsname.h"
#include "lib/xalloc.h"
#include "master/master_dns_wire.h"
#include "master/master_dns_zone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mdz *fuzz_zone;

/* A zone with one of everything, made once. */
static struct mdz *
fuzz_zone_get(void)
{
	static const uint32_t ports[] = {31000, 31001, 31002};
	static const struct mdz_port di[] = {
	    {31000, "tcp", "http"}, {31001, "udp", "dns"}, {31002, NULL, NULL}};
	struct mdz_task t = {
	    .framework = "marathon",
	    .name = "web",
	    .agent_id = "x-S0",
	    .agent_ip = "10.0.0.1",
	    .ports = ports,
	    .nports = 3,
	    .di_name = "web.prod",
	    .di_ports = di,
	    .ndi_ports = 3,
	};
	char id[16];
	int i;

	if (fuzz_zone != NULL)
		return fuzz_zone;
	fuzz_zone = mdz_new("mesos", 5);
	mdz_ns_put(fuzz_zone, "10.0.0.100");
	mdz_leader_put(fuzz_zone, "10.0.0.100", 5050);
	mdz_agent_put(fuzz_zone, "x-S0", "10.0.0.1", 5051);
	mdz_agent_put(fuzz_zone, "x-S1", "2001:db8::1", 5051);
	mdz_framework_put(fuzz_zone, "marathon", "10.0.0.100", 8080);
	for (i = 0; i < 40; i++) {
		(void)snprintf(id, sizeof id, "web.%d", i);
		t.id = id;
		t.task_ip = i % 2 ? "172.16.0.9" : NULL;
		mdz_task_put(fuzz_zone, &t);
	}
	return fuzz_zone;
}

static void
fuzz_names(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	char label[DNSNAME_LABEL_MAX + 1], frag[DNSNAME_MAX + 1],
	    norm[DNSNAME_MAX + 2], *m;
	size_t n, rel;
	int k;

	n = dnsname_label(s, label);
	CD_ASSERT(n <= DNSNAME_LABEL_MAX && strlen(label) == n);
	CD_ASSERT(n == 0 || label[0] != '-');
	k = dnsname_frag(s, frag, sizeof frag);
	CD_ASSERT(k < 0 || (size_t)k == strlen(frag));
	k = dnsname_normalize(s, norm, sizeof norm);
	if (k > 0) {
		CD_ASSERT((size_t)k == strlen(norm));
		if (dnsname_in_domain(norm, "mesos", &rel))
			CD_ASSERT(rel < (size_t)k);
	}
	m = dnsname_marathon(s);
	CD_ASSERT(strlen(m) <= strlen(s));
	free(m);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mdz *z = fuzz_zone_get();
	char name[DNSNAME_MAX + 2];
	struct buf b = BUF_INIT;
	struct mdz_answer a;
	struct mdw_query q;
	ldns_pkt *back = NULL;
	size_t rel, n;
	bool in;

	fuzz_names(data, size);
	if (size > MDW_TCP_QUERY_MAX || mdw_parse(data, size, &q) != 0)
		return 0;
	in = q.qdcount == 1 &&
	     dnsname_normalize(q.name, name, sizeof name) > 0 &&
	     dnsname_in_domain(name, mdz_domain(z), &rel);
	if (in) {
		mdz_lookup(z, name, q.name, q.qtype, &a);
		CD_ASSERT(a.rcode == MDZ_NOERROR || a.rcode == MDZ_NXDOMAIN);
		n = a.nan + a.nns + a.nar;
		CD_ASSERT(mdw_udp_size(q.name, a.rr, n, SIZE_MAX) > 12);
		CD_ASSERT(mdw_udp_size(q.name, a.rr, n, MDW_UDP_MAX) <=
			  mdw_udp_size(q.name, a.rr, n, SIZE_MAX));
		mdw_tcp_reply(&q, a.rcode, true, false, &a, &b);
		mdz_answer_release(&a);
	} else {
		mdw_tcp_reply(&q, MDW_REFUSED, false, false, NULL, &b);
	}
	/* What goes back is a message libldns reads, of the length said. */
	CD_ASSERT(b.len >= 2 && ((size_t)(uint8_t)b.data[0] << 8 |
				 (uint8_t)b.data[1]) == b.len - 2);
	CD_ASSERT(ldns_wire2pkt(&back, (const uint8_t *)b.data + 2,
				b.len - 2) == LDNS_STATUS_OK);
	CD_ASSERT(ldns_pkt_id(back) == q.id && ldns_pkt_qr(back));
	ldns_pkt_free(back);
	buf_release(&b);
	mdw_query_release(&q);
	return 0;
}

#include "tests/fuzz/replay_main.h"
