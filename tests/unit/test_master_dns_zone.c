/*
 * test_master_dns_zone.c: master/master_dns_zone (the records and their
 * lookups) and master/master_dns_wire (reply sizes as libevent writes
 * them, checked against libevent's real evdns server on loopback; TCP
 * queries and replies through libldns, read back by libldns). No master.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <jansson.h>
#include <ldns/ldns.h>

#include "lib/buf.h"
#include "master/master_dns_wire.h"
#include "master/master_dns_zone.h"

static const uint32_t ports_a[] = {31000, 31001};
static const struct mdz_port di_a[] = {
    {31000, "tcp", "http"},
    {31001, "udp", NULL},
};

/* Task "web.1" of marathon on agent ...-S0, discovery name "web". */
static void
put_web(struct mdz *z, const char *id, const char *ip)
{
	struct mdz_task t = {
	    .id = id,
	    .framework = "marathon",
	    .name = "web",
	    .agent_id = "c531e830-1c0b-4414-ace0-450508291ac8-S0",
	    .agent_ip = ip,
	    .ports = ports_a,
	    .nports = 2,
	    .di_name = "web",
	    .di_ports = di_a,
	    .ndi_ports = 2,
	};

	mdz_task_put(z, &t);
}

static size_t
count(struct mdz *z, const char *name, uint16_t type, int *rcode)
{
	struct mdz_answer a;
	size_t n;

	mdz_lookup(z, name, name, type, &a);
	n = a.nan;
	if (rcode != NULL)
		*rcode = a.rcode;
	mdz_answer_release(&a);
	return n;
}

static void
test_task_records(void **state)
{
	struct mdz *z = mdz_new("mesos", 5);
	struct mdz_answer a;
	int rc;

	(void)state;
	put_web(z, "web.1", "10.0.0.1");
	put_web(z, "web.2", "10.0.0.1");
	assert_int_equal(mdz_task_count(z), 2);
	/* One address for both: records of the same value are kept once. */
	assert_int_equal(count(z, "web.marathon.mesos", MDZ_TYPE_A, &rc), 1);
	assert_int_equal(rc, MDZ_NOERROR);
	assert_int_equal(count(z, "web.marathon.slave.mesos", MDZ_TYPE_A, NULL),
			 1);
	/* Discovery ports by protocol, named ones twice, host ports under
	 * .slave for both protocols. */
	assert_int_equal(
	    count(z, "_web._tcp.marathon.mesos", MDZ_TYPE_SRV, NULL), 2);
	assert_int_equal(
	    count(z, "_web._udp.marathon.mesos", MDZ_TYPE_SRV, NULL), 2);
	assert_int_equal(
	    count(z, "_http._web._tcp.marathon.mesos", MDZ_TYPE_SRV, NULL), 2);
	assert_int_equal(
	    count(z, "_web._tcp.marathon.slave.mesos", MDZ_TYPE_SRV, NULL), 4);
	assert_int_equal(
	    count(z, "_web._udp.marathon.slave.mesos", MDZ_TYPE_SRV, NULL), 4);
	/* SRV answers bring their targets' addresses. */
	mdz_lookup(z, "_web._tcp.marathon.mesos", "_web._tcp.marathon.mesos",
		   MDZ_TYPE_SRV, &a);
	assert_int_equal(a.nan, 2);
	assert_int_equal(a.nns, 0);
	assert_int_equal(a.nar, 2);
	assert_int_equal(a.rr[2].type, MDZ_TYPE_A);
	assert_true(strlen(a.rr[2].owner) > 18);
	assert_string_equal(a.rr[2].owner + strlen(a.rr[2].owner) - 18,
			    "-s0.marathon.mesos");
	mdz_answer_release(&a);
	/* Unknown: NXDOMAIN with the SOA; known, other type: NODATA. */
	assert_int_equal(count(z, "nope.marathon.mesos", MDZ_TYPE_A, &rc), 0);
	assert_int_equal(rc, MDZ_NXDOMAIN);
	mdz_lookup(z, "web.marathon.mesos", "web.marathon.mesos", 15, &a);
	assert_int_equal(a.rcode, MDZ_NOERROR);
	assert_int_equal(a.nan, 0);
	assert_int_equal(a.nns, 1);
	assert_int_equal(a.rr[0].type, MDZ_TYPE_SOA);
	assert_string_equal(a.rr[0].owner, "mesos");
	mdz_answer_release(&a);
	/* ANY: everything the name has. */
	assert_int_equal(count(z, "web.marathon.mesos", MDZ_TYPE_ANY, NULL), 1);

	mdz_task_del(z, "web.1");
	assert_int_equal(mdz_task_count(z), 1);
	assert_int_equal(
	    count(z, "_web._tcp.marathon.slave.mesos", MDZ_TYPE_SRV, NULL), 2);
	mdz_task_del(z, "web.2");
	assert_int_equal(count(z, "web.marathon.mesos", MDZ_TYPE_A, &rc), 0);
	assert_int_equal(rc, MDZ_NXDOMAIN);
	assert_int_equal(mdz_task_count(z), 0);
	mdz_free(z);
}

static void
test_grouped_and_hidden(void **state)
{
	struct mdz *z = mdz_new("mesos", 5);
	struct mdz_task t = {
	    .id = "prod_db_mysql.1",
	    .framework = "marathon",
	    .name = "prod.db.mysql",
	    .agent_id = "x-S3",
	    .agent_ip = "10.0.0.3",
	    .task_ip = "172.16.0.9",
	    .di_name = "mysql.db.prod",
	};

	(void)state;
	mdz_task_put(z, &t);
	/* The label and the "legacy" dotted discovery name. */
	assert_int_equal(
	    count(z, "mysql-db-prod.marathon.mesos", MDZ_TYPE_A, NULL), 1);
	assert_int_equal(
	    count(z, "mysql.db.prod.marathon.mesos", MDZ_TYPE_A, NULL), 1);
	/* The task's own address, and its agent's under .slave. */
	assert_true(mdz_task_has(z, t.id));
	mdz_task_hide(z, t.id);
	assert_false(mdz_task_has(z, t.id));
	assert_int_equal(
	    count(z, "mysql-db-prod.marathon.mesos", MDZ_TYPE_A, NULL), 0);
	/* A task asked to die is not brought back by a late RUNNING. */
	mdz_task_put(z, &t);
	assert_false(mdz_task_has(z, t.id));
	mdz_task_del(z, t.id);
	mdz_task_put(z, &t);
	assert_false(mdz_task_has(z, t.id));
	mdz_task_forget(z, t.id);
	mdz_task_put(z, &t);
	assert_true(mdz_task_has(z, t.id));
	assert_int_equal(mdz_task_count(z), 1);
	mdz_free(z);
}

static void
test_cluster_records(void **state)
{
	struct mdz *z = mdz_new("dc1.example", 7);
	struct mdz_answer a;

	(void)state;
	mdz_ns_put(z, "192.0.2.1");
	mdz_leader_put(z, "192.0.2.1", 5050);
	mdz_agent_put(z, "a-S0", "192.0.2.10", 5051);
	mdz_agent_put(z, "a-S1", "2001:db8::11", 5051);
	mdz_framework_put(z, "marathon", "192.0.2.1", 8080);
	assert_int_equal(count(z, "leader.dc1.example", MDZ_TYPE_A, NULL), 1);
	assert_int_equal(count(z, "master0.dc1.example", MDZ_TYPE_A, NULL), 1);
	assert_int_equal(count(z, "slave.dc1.example", MDZ_TYPE_A, NULL), 1);
	assert_int_equal(count(z, "slave.dc1.example", MDZ_TYPE_AAAA, NULL), 1);
	assert_int_equal(
	    count(z, "_slave._tcp.dc1.example", MDZ_TYPE_SRV, NULL), 1);
	assert_int_equal(
	    count(z, "_leader._udp.dc1.example", MDZ_TYPE_SRV, NULL), 1);
	assert_int_equal(count(z, "_framework._tcp.marathon.dc1.example",
			       MDZ_TYPE_SRV, NULL),
			 1);
	/* The apex: SOA and NS, with the name server's address. */
	mdz_lookup(z, "dc1.example", "DC1.example", MDZ_TYPE_NS, &a);
	assert_int_equal(a.nan, 1);
	assert_int_equal(a.nar, 1);
	assert_string_equal(a.rr[0].owner, "DC1.example");
	assert_string_equal(a.rr[1].owner, "ns1.dc1.example");
	mdz_answer_release(&a);
	assert_int_equal(count(z, "dc1.example", MDZ_TYPE_SOA, NULL), 1);
	assert_int_equal(count(z, "dc1.example", MDZ_TYPE_ANY, NULL), 2);
	mdz_agent_del(z, "a-S1");
	assert_int_equal(count(z, "slave.dc1.example", MDZ_TYPE_AAAA, NULL), 0);
	mdz_leader_put(z, NULL, 0);
	assert_int_equal(count(z, "leader.dc1.example", MDZ_TYPE_A, NULL), 0);
	mdz_free(z);
}

static void
test_http_shapes(void **state)
{
	struct mdz *z = mdz_new("mesos", 5);
	json_t *j;
	char *s;

	(void)state;
	put_web(z, "web.1", "10.0.0.1");
	j = mdz_hosts_json(z, "Web.Marathon.Mesos.");
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "[{\"host\":\"web.marathon.mesos.\",\"ip\":"
			       "\"10.0.0.1\"}]");
	free(s);
	json_decref(j);
	j = mdz_services_json(z, "_http._web._tcp.marathon.mesos");
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(j, 0), "port")),
	    "31000");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(j, 0), "ip")),
	    "10.0.0.1");
	json_decref(j);
	j = mdz_hosts_json(z, "bad name");
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "[{\"host\":\"\",\"ip\":\"\"}]");
	free(s);
	json_decref(j);
	mdz_free(z);
}

static void
test_container_ip(void **state)
{
	json_t *user =
	    json_loads("{\"docker\": {\"network\": \"USER\"}}", 0, NULL);
	json_t *bridge =
	    json_loads("{\"docker\": {\"network\": \"BRIDGE\"}}", 0, NULL);
	json_t *cs = json_loads(
	    "{\"network_infos\": [{\"ip_addresses\": [{\"protocol\": \"IPv4\","
	    " \"ip_address\": \"172.18.0.5\"}]}]}",
	    0, NULL);
	json_t *old = json_loads(
	    "{\"network_infos\": [{\"ip_address\": \"172.18.0.6\"}]}", 0, NULL);

	(void)state;
	assert_string_equal(mdz_container_ip(user, cs), "172.18.0.5");
	assert_string_equal(mdz_container_ip(user, old), "172.18.0.6");
	assert_null(mdz_container_ip(bridge, cs));
	assert_null(mdz_container_ip(user, NULL));
	assert_null(mdz_container_ip(NULL, cs));
	json_decref(user);
	json_decref(bridge);
	json_decref(cs);
	json_decref(old);
}

/* ---- wire ---- */

struct srv_ctx {
	struct mdz *z;
	const char *name;
	size_t predicted;
};

static void
srv_cb(struct evdns_server_request *req, void *arg)
{
	static const int section[] = {EVDNS_ANSWER_SECTION,
				      EVDNS_AUTHORITY_SECTION,
				      EVDNS_ADDITIONAL_SECTION};
	struct srv_ctx *c = arg;
	const char *q = req->questions[0]->name;
	struct mdz_answer a;
	size_t i, n;

	mdz_lookup(c->z, c->name, q, (uint16_t)req->questions[0]->type, &a);
	n = a.nan + a.nns + a.nar;
	c->predicted = mdw_udp_size(q, a.rr, n, SIZE_MAX);
	for (i = 0; i < n; i++)
		assert_int_equal(evdns_server_request_add_reply(
				     req,
				     section[i < a.nan		 ? 0
					     : i < a.nan + a.nns ? 1
								 : 2],
				     a.rr[i].owner, a.rr[i].type, 1,
				     (int)a.rr[i].ttl, MDZ_RR_RDLEN(&a.rr[i]),
				     0, (const char *)a.rr[i].wire + 2),
				 0);
	evdns_server_request_respond(req, a.rcode);
	mdz_answer_release(&a);
}

/*
 * libevent's reply to (qname, type) from z: its size and the prediction.
 * Over 512 bytes libevent cuts the reply at 512: that is what the server
 * sizes replies for, to send whole records or none.
 */
static void
libevent_reply(struct mdz *z, const char *norm, const char *qname,
	       uint16_t type, size_t *got, size_t *predicted)
{
	struct event_base *base = event_base_new();
	struct sockaddr_in sin = {0};
	socklen_t sl = sizeof sin;
	struct srv_ctx c = {z, norm, 0};
	struct evdns_server_port *port;
	uint8_t wire[1500], *qw = NULL;
	ldns_pkt *qp = NULL;
	size_t qlen = 0;
	int s, cl;
	ssize_t r;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sin, &sl), 0);
	port = evdns_add_server_port_with_base(base, s, 0, srv_cb, &c);
	assert_non_null(port);
	cl = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(ldns_pkt_query_new_frm_str(&qp, qname,
						    (ldns_rr_type)type,
						    LDNS_RR_CLASS_IN, 0),
			 LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt2wire(&qw, qp, &qlen), LDNS_STATUS_OK);
	assert_int_equal(
	    sendto(cl, qw, qlen, 0, (struct sockaddr *)&sin, sizeof sin),
	    (ssize_t)qlen);
	while (c.predicted == 0)
		event_base_loop(base, EVLOOP_ONCE);
	r = recv(cl, wire, sizeof wire, 0);
	assert_true(r > 0);
	*got = (size_t)r;
	*predicted = c.predicted;
	if (c.predicted > MDW_UDP_MAX) {
		assert_int_equal(*got, MDW_UDP_MAX);
		assert_true(wire[2] & 0x02); /* TC */
		*got = *predicted;
	}
	free(qw);
	ldns_pkt_free(qp);
	close(cl);
	evdns_close_server_port(port);
	event_base_free(base);
}

static void
test_udp_size_is_libevents(void **state)
{
	struct mdz *z = mdz_new("mesos", 5);
	char id[32];
	size_t got, predicted;
	int i;

	(void)state;
	mdz_ns_put(z, "10.0.0.100");
	for (i = 0; i < 12; i++) {
		(void)snprintf(id, sizeof id, "web.%d", i);
		put_web(z, id, "10.0.0.1");
		libevent_reply(z, "_web._tcp.marathon.mesos",
			       "_web._tcp.marathon.mesos", MDZ_TYPE_SRV, &got,
			       &predicted);
		assert_int_equal(got, predicted);
		libevent_reply(z, "_web._udp.marathon.slave.mesos",
			       "_WEB._udp.Marathon.slave.mesos", MDZ_TYPE_SRV,
			       &got, &predicted);
		assert_int_equal(got, predicted);
	}
	libevent_reply(z, "nope.mesos", "nope.mesos", MDZ_TYPE_A, &got,
		       &predicted);
	assert_int_equal(got, predicted);
	libevent_reply(z, "mesos", "mesos", MDZ_TYPE_ANY, &got, &predicted);
	assert_int_equal(got, predicted);
	mdz_free(z);
}

static void
test_tcp_reply(void **state)
{
	struct mdz *z = mdz_new("mesos", 5);
	struct buf b = BUF_INIT;
	struct mdw_query q;
	struct mdz_answer a;
	ldns_pkt *qp = NULL, *rp = NULL;
	uint8_t *qw = NULL;
	size_t qlen = 0;
	char id[32];
	int i;

	(void)state;
	for (i = 0; i < 100; i++) {
		(void)snprintf(id, sizeof id, "web.%d", i);
		put_web(z, id, "10.0.0.1");
	}
	assert_int_equal(ldns_pkt_query_new_frm_str(
			     &qp, "_web._TCP.marathon.mesos.", LDNS_RR_TYPE_SRV,
			     LDNS_RR_CLASS_IN, LDNS_RD),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(qp, 4242);
	assert_int_equal(ldns_pkt2wire(&qw, qp, &qlen), LDNS_STATUS_OK);
	assert_int_equal(mdw_parse(qw, qlen, &q), 0);
	assert_int_equal(q.id, 4242);
	assert_true(q.rd);
	assert_int_equal(q.qdcount, 1);
	assert_int_equal(q.qtype, MDZ_TYPE_SRV);
	assert_string_equal(q.name, "_web._TCP.marathon.mesos");
	mdz_lookup(z, "_web._tcp.marathon.mesos", q.name, q.qtype, &a);
	assert_int_equal(a.nan, 100);
	assert_true(mdw_udp_size(q.name, a.rr, a.nan, MDW_UDP_MAX) >
		    MDW_UDP_MAX);
	mdw_tcp_reply(&q, a.rcode, true, false, &a, &b);
	mdz_answer_release(&a);
	assert_int_equal(((size_t)(uint8_t)b.data[0] << 8 | (uint8_t)b.data[1]),
			 b.len - 2);
	assert_int_equal(ldns_wire2pkt(&rp, (uint8_t *)b.data + 2, b.len - 2),
			 LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(rp), 4242);
	assert_true(ldns_pkt_qr(rp) && ldns_pkt_aa(rp) && ldns_pkt_rd(rp));
	assert_false(ldns_pkt_tc(rp));
	assert_int_equal(ldns_pkt_ancount(rp), 100);
	assert_int_equal(ldns_pkt_arcount(rp), 100);
	assert_int_equal(
	    ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(rp), 0)),
	    LDNS_RR_TYPE_SRV);
	ldns_pkt_free(rp);
	mdw_query_release(&q);
	/* A response is not a query; garbage is nothing. */
	ldns_pkt_set_qr(qp, true);
	free(qw);
	qw = NULL;
	assert_int_equal(ldns_pkt2wire(&qw, qp, &qlen), LDNS_STATUS_OK);
	assert_int_equal(mdw_parse(qw, qlen, &q), -EINVAL);
	assert_int_equal(mdw_parse((const uint8_t *)"\x12\x34\x01", 3, &q),
			 -EINVAL);
	free(qw);
	ldns_pkt_free(qp);
	buf_release(&b);
	mdz_free(z);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_task_records),
	    cmocka_unit_test(test_grouped_and_hidden),
	    cmocka_unit_test(test_cluster_records),
	    cmocka_unit_test(test_http_shapes),
	    cmocka_unit_test(test_container_ip),
	    cmocka_unit_test(test_udp_size_is_libevents),
	    cmocka_unit_test(test_tcp_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
