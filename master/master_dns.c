/*
 * master_dns.c: the DNS server on the loop (see master_dns.h). Owns the
 * zone, the UDP socket (inside libevent's evdns server port), the TCP
 * listener and its connections, and the forwarder (an evdns_base with
 * --dns_resolvers) with the questions it has in flight.
 *
 * UDP: libevent parses the query and writes the reply; what it cannot
 * parse it drops, and so does this file for a query without exactly one
 * question. libevent cuts any reply at 512 bytes in the middle of a
 * record, so a reply is sized first (master_dns_wire): whole, or without
 * its additional records, or, when even the answers do not fit, empty
 * with TC set, and the client asks again over TCP.
 *
 * TCP: libevent 2.1's evdns server has no TCP, so the listener here reads
 * two-byte-length-framed queries (RFC 1035 4.2.2, several per connection),
 * which libldns parses and answers (master_dns_wire); garbage closes the
 * connection. Connections are capped, and closed after MDD_TCP_IDLE_MS
 * without a query or when a client leaves MDD_TCP_MAX_UNREAD bytes of
 * answers unread.
 *
 * Forwarding: A and AAAA questions outside the domain go to the
 * resolvers through evdns_base_resolve_ipv4/ipv6 (libevent's client has
 * no other types: the rest is NOTIMP); without resolvers, REFUSED.
 * Loop thread only.
 */
#include "master/master_dns.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <errno.h>
#include <linux/filter.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "lib/buf.h"
#include "lib/dnsname.h"
#include "lib/loop.h"
#include "lib/xalloc.h"
#include "master/master_dns_wire.h"
#include "master/master_dns_zone.h"
#include "master/master_int.h"

#define LOG_MOD "dns"
#include "lib/log.h"

#define MDD_MAGIC 0xd45e7a01u
#define MDD_CONN_MAGIC 0xd45e7a02u
#define MDD_FWD_MAGIC 0xd45e7a03u
#define MDD_TCP_MAX_CONNS 256
#define MDD_TCP_IDLE_MS 10000
/* Replies a TCP client leaves unread beyond this close its connection. */
#define MDD_TCP_MAX_UNREAD (1024 * 1024)
/*
 * Header flags for evdns_server_request_set_flags(), which ORs them in:
 * libevent names 0x80 EVDNS_FLAGS_RD, but it is the RA bit of RFC 1035
 * (RD, 0x100, is copied from the query by libevent itself).
 */
#define MDD_FLAG_AA 0x0400
#define MDD_FLAG_TC 0x0200
#define MDD_FLAG_RA 0x0080

struct mdd_fwd;
TAILQ_HEAD(mdd_fwd_list, mdd_fwd);

struct mdd_conn {
	unsigned magic;
	struct master_dns *d;	 /* borrowed: owner */
	struct bufferevent *bev; /* owned */
	TAILQ_ENTRY(mdd_conn) link;
};
TAILQ_HEAD(mdd_conn_list, mdd_conn);

/* A question forwarded to the resolvers, for a UDP or a TCP client. */
struct mdd_fwd {
	unsigned magic;
	struct master_dns *d;		   /* borrowed: owner */
	struct evdns_server_request *ureq; /* owned until answered, or NULL */
	struct mdd_conn *conn;	  /* borrowed: the TCP client, NULL once gone */
	struct mdw_query tq;	  /* owned: the TCP query */
	struct evdns_request *er; /* borrowed: libevent's, until the reply */
	TAILQ_ENTRY(mdd_fwd) link;
};

struct master_dns {
	unsigned magic;
	struct loop *l;	  /* borrowed: from cmd */
	struct master *m; /* borrowed: the master feeding it, or NULL */
	struct master_dns_conf conf; /* strings owned (copied) */
	char *s_ip, *s_domain, *s_resolvers, *s_adv, *s_version;
	struct mdz *zone;		 /* owned */
	struct evdns_server_port *uport; /* owned (it owns the socket) */
	struct evconnlistener *lev;	 /* owned */
	struct evdns_base *res;		 /* owned, or NULL: no resolvers */
	struct mdd_conn_list conns;	 /* owned */
	size_t nconns;
	struct mdd_fwd_list fwds; /* owned: questions at the resolvers */
	int port;
	uint64_t queries;
};

/* ---- replies ---- */

/*
 * Send a over UDP: all of it if it fits in libevent's 512 bytes, else
 * without additional records, else nothing but TC. Takes req.
 */
static void
mdd_udp_send(struct master_dns *d, struct evdns_server_request *req,
	     const char *qname, int rcode, bool aa, const struct mdz_answer *a)
{
	static const int section[] = {EVDNS_ANSWER_SECTION,
				      EVDNS_AUTHORITY_SECTION,
				      EVDNS_ADDITIONAL_SECTION};
	size_t n = a != NULL ? a->nan + a->nns + a->nar : 0, i, k, end;
	int flags = (aa ? MDD_FLAG_AA : 0) | (d->res ? MDD_FLAG_RA : 0);

	if (n > 0 && mdw_udp_size(qname, a->rr, n, MDW_UDP_MAX) > MDW_UDP_MAX) {
		n = a->nan + a->nns;
		if (mdw_udp_size(qname, a->rr, n, MDW_UDP_MAX) > MDW_UDP_MAX) {
			n = 0;
			flags |= MDD_FLAG_TC;
		}
	}
	for (i = 0, k = 0, end = a != NULL ? a->nan : 0; i < n; i++) {
		const struct mdz_rr *r = &a->rr[i];

		while (i >= end && k < 2)
			end += ++k == 1 ? a->nns : a->nar;
		if (evdns_server_request_add_reply(
			req, section[k], r->owner, r->type, EVDNS_CLASS_INET,
			(int)r->ttl, MDZ_RR_RDLEN(r), 0,
			(const char *)r->wire + 2) != 0)
			fatalx("evdns cannot add a reply");
	}
	evdns_server_request_set_flags(req, flags);
	if (evdns_server_request_respond(req, rcode) < 0) {
		/* Formatting failed (cannot be with sized replies); libevent
		 * keeps the request then, so drop it. */
		log_debug("cannot answer a query for %s", qname);
		evdns_server_request_drop(req);
	}
}

static void
mdd_tcp_send(struct mdd_conn *c, const struct mdw_query *q, int rcode, bool aa,
	     const struct mdz_answer *a)
{
	struct buf b = BUF_INIT;

	mdw_tcp_reply(q, rcode, aa, c->d->res != NULL, a, &b);
	if (bufferevent_write(c->bev, b.data, b.len) != 0)
		log_warn("cannot queue a TCP reply");
	buf_release(&b);
}

/* ---- forwarding ---- */

static void
mdd_fwd_free(struct mdd_fwd *f)
{
	TAILQ_REMOVE(&f->d->fwds, f, link);
	mdw_query_release(&f->tq);
	CD_FREE_OBJ(f);
}

static void
mdd_fwd_done(int result, char type, int count, int ttl, void *addrs, void *arg)
{
	struct mdd_fwd *f = arg;
	struct master_dns *d;
	struct mdz_answer a = {0};
	const char *qname;
	uint8_t *wires = NULL;
	size_t alen = type == DNS_IPv6_AAAA ? 16 : 4;
	int i, rcode = MDZ_NOERROR;

	CD_CHECK_OBJ(f, MDD_FWD_MAGIC);
	d = f->d;
	f->er = NULL;
	qname = f->ureq != NULL ? f->ureq->questions[0]->name : f->tq.name;
	if (result == DNS_ERR_CANCEL || result == DNS_ERR_SHUTDOWN ||
	    (f->ureq == NULL && f->conn == NULL))
		goto out;
	if (result == DNS_ERR_NOTEXIST)
		rcode = MDZ_NXDOMAIN;
	else if (result != DNS_ERR_NONE)
		rcode = MDW_SERVFAIL;
	if (result == DNS_ERR_NONE && count > 0 &&
	    (type == DNS_IPv4_A || type == DNS_IPv6_AAAA)) {
		wires = xcalloc((size_t)count, alen + 2);
		a.cap = (size_t)count;
		a.rr = xcalloc(a.cap, sizeof *a.rr);
		for (i = 0; i < count; i++) {
			uint8_t *w = wires + (size_t)i * (alen + 2);

			w[1] = (uint8_t)alen;
			memcpy(w + 2, (const uint8_t *)addrs + (size_t)i * alen,
			       alen);
			a.rr[i].owner = qname;
			a.rr[i].type =
			    type == DNS_IPv6_AAAA ? MDZ_TYPE_AAAA : MDZ_TYPE_A;
			a.rr[i].ttl = ttl > 0 ? (uint32_t)ttl : 0;
			a.rr[i].wire = w;
		}
		a.nan = (size_t)count;
	}
	if (f->ureq != NULL) {
		mdd_udp_send(d, f->ureq, qname, rcode, false, &a);
		f->ureq = NULL;
	} else {
		mdd_tcp_send(f->conn, &f->tq, rcode, false, &a);
	}
out:
	if (f->ureq != NULL)
		evdns_server_request_drop(f->ureq);
	free(a.rr);
	free(wires);
	mdd_fwd_free(f);
}

/*
 * Forward an A or AAAA question to the resolvers. ureq is taken (UDP);
 * or c and tq (taken) for TCP. Returns 0, or -ENOTSUP for other types.
 */
static int
mdd_forward(struct master_dns *d, const char *name, uint16_t qtype,
	    struct evdns_server_request *ureq, struct mdd_conn *c,
	    struct mdw_query *tq_take)
{
	struct mdd_fwd *f;

	if (qtype != MDZ_TYPE_A && qtype != MDZ_TYPE_AAAA)
		return -ENOTSUP;
	CD_ALLOC_OBJ(f, MDD_FWD_MAGIC);
	f->d = d;
	f->ureq = ureq;
	f->conn = c;
	if (tq_take != NULL) {
		/* name may be tq_take's own: use the copy from now on. */
		f->tq = *tq_take;
		memset(tq_take, 0, sizeof *tq_take);
		name = f->tq.name;
	}
	TAILQ_INSERT_TAIL(&d->fwds, f, link);
	/* libevent always calls back later, from the loop; or never, when
	 * it refuses the question at once (NULL). */
	f->er = qtype == MDZ_TYPE_A
		    ? evdns_base_resolve_ipv4(d->res, name, DNS_QUERY_NO_SEARCH,
					      mdd_fwd_done, f)
		    : evdns_base_resolve_ipv6(d->res, name, DNS_QUERY_NO_SEARCH,
					      mdd_fwd_done, f);
	if (f->er == NULL) {
		if (f->ureq != NULL)
			mdd_udp_send(d, f->ureq, name, MDW_SERVFAIL, false,
				     NULL);
		else
			mdd_tcp_send(c, &f->tq, MDW_SERVFAIL, false, NULL);
		f->ureq = NULL;
		mdd_fwd_free(f);
	}
	return 0;
}

/* ---- UDP ---- */

static void
mdd_udp_cb(struct evdns_server_request *req, void *arg)
{
	struct master_dns *d = arg;
	struct evdns_server_question *q;
	char name[DNSNAME_MAX + 2];
	struct mdz_answer a;
	size_t rel;
	int n;

	CD_CHECK_OBJ(d, MDD_MAGIC);
	if (req->nquestions != 1) {
		/* Nothing a client asks: garbage is not answered. */
		evdns_server_request_drop(req);
		return;
	}
	d->queries++;
	q = req->questions[0];
	n = dnsname_normalize(q->name, name, sizeof name);
	if (q->dns_question_class != EVDNS_CLASS_INET &&
	    q->dns_question_class != MDZ_TYPE_ANY) {
		mdd_udp_send(d, req, q->name, MDW_REFUSED, false, NULL);
	} else if (n > 0 &&
		   dnsname_in_domain(name, mdz_domain(d->zone), &rel)) {
		mdz_lookup(d->zone, name, q->name, (uint16_t)q->type, &a);
		mdd_udp_send(d, req, q->name, a.rcode, true, &a);
		mdz_answer_release(&a);
	} else if (d->res == NULL || n <= 0) {
		mdd_udp_send(d, req, q->name, MDW_REFUSED, false, NULL);
	} else if (mdd_forward(d, q->name, (uint16_t)q->type, req, NULL,
			       NULL) != 0) {
		mdd_udp_send(d, req, q->name, MDW_NOTIMP, false, NULL);
	}
}

/* ---- TCP ---- */

static void
mdd_conn_close(struct mdd_conn *c)
{
	struct master_dns *d = c->d;
	struct mdd_fwd *f;

	TAILQ_FOREACH(f, &d->fwds, link) {
		if (f->conn != c)
			continue;
		f->conn = NULL;
		if (f->er != NULL)
			evdns_cancel_request(d->res, f->er);
	}
	TAILQ_REMOVE(&d->conns, c, link);
	d->nconns--;
	bufferevent_free(c->bev);
	c->bev = NULL;
	c->magic = 0;
	/* Maybe still on the stack of its own callback. */
	loop_defer_free(d->l, free, c);
}

/* Answer one query read from c. */
static void
mdd_tcp_query(struct mdd_conn *c, struct mdw_query *q)
{
	struct master_dns *d = c->d;
	char name[DNSNAME_MAX + 2];
	struct mdz_answer a;
	size_t rel;
	int n;

	d->queries++;
	if (q->opcode != 0) {
		mdd_tcp_send(c, q, MDW_NOTIMP, false, NULL);
		return;
	}
	if (q->qdcount != 1) {
		mdd_tcp_send(c, q, MDW_FORMERR, false, NULL);
		return;
	}
	n = dnsname_normalize(q->name, name, sizeof name);
	if (q->qclass != EVDNS_CLASS_INET && q->qclass != MDZ_TYPE_ANY) {
		mdd_tcp_send(c, q, MDW_REFUSED, false, NULL);
	} else if (n > 0 &&
		   dnsname_in_domain(name, mdz_domain(d->zone), &rel)) {
		mdz_lookup(d->zone, name, q->name, q->qtype, &a);
		mdd_tcp_send(c, q, a.rcode, true, &a);
		mdz_answer_release(&a);
	} else if (d->res == NULL || n <= 0) {
		mdd_tcp_send(c, q, MDW_REFUSED, false, NULL);
	} else if (mdd_forward(d, q->name, q->qtype, NULL, c, q) != 0) {
		mdd_tcp_send(c, q, MDW_NOTIMP, false, NULL);
	}
}

static void
mdd_tcp_read(struct bufferevent *bev, void *arg)
{
	struct mdd_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t len[2], *msg;
	struct mdw_query q;
	size_t n;

	CD_CHECK_OBJ(c, MDD_CONN_MAGIC);
	while (evbuffer_get_length(in) >= 2) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) >
		    MDD_TCP_MAX_UNREAD) {
			/* Queries, and no reading of the answers. */
			mdd_conn_close(c);
			return;
		}
		AN(evbuffer_copyout(in, len, 2) == 2);
		n = (size_t)len[0] << 8 | len[1];
		if (n == 0 || n > MDW_TCP_QUERY_MAX) {
			mdd_conn_close(c);
			return;
		}
		if (evbuffer_get_length(in) < n + 2)
			return;
		evbuffer_drain(in, 2);
		msg = evbuffer_pullup(in, (ev_ssize_t)n);
		if (msg == NULL || mdw_parse(msg, n, &q) != 0) {
			mdd_conn_close(c);
			return;
		}
		evbuffer_drain(in, n);
		mdd_tcp_query(c, &q);
		mdw_query_release(&q);
	}
}

static void
mdd_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct mdd_conn *c = arg;

	(void)bev;
	CD_CHECK_OBJ(c, MDD_CONN_MAGIC);
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		mdd_conn_close(c);
}

static void
mdd_tcp_accept(struct evconnlistener *lev, evutil_socket_t fd,
	       struct sockaddr *sa, int salen, void *arg)
{
	struct master_dns *d = arg;
	struct timeval idle = {MDD_TCP_IDLE_MS / 1000, 0};
	struct mdd_conn *c;
	int one = 1;

	(void)lev;
	(void)sa;
	(void)salen;
	if (d->nconns >= MDD_TCP_MAX_CONNS) {
		evutil_closesocket(fd);
		return;
	}
	CD_ALLOC_OBJ(c, MDD_CONN_MAGIC);
	c->d = d;
	c->bev =
	    bufferevent_socket_new(loop_base(d->l), fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	/* A reply goes out whole at once: no need to wait for an ACK. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	bufferevent_setcb(c->bev, mdd_tcp_read, NULL, mdd_tcp_event, c);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&d->conns, c, link);
	d->nconns++;
}

/* ---- set-up ---- */

/*
 * libevent 2.1.12's evdns server dereferences NULL on a datagram shorter
 * than a DNS header (request_parse()'s error path before the request is
 * allocated: libevent issue #1231, fixed upstream by d076d2df, not in
 * Debian 12's package): one byte would crash the master. The kernel drops
 * such datagrams before libevent reads them, with this classic BPF filter
 * on the socket: keep a datagram only when its length, which for a UDP
 * socket counts the 8-byte UDP header, is at least 8 + 12.
 */
static int
mdd_udp_filter(int fd)
{
	struct sock_filter code[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
	    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 8 + 12, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0xffff),
	    BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {.len = CD_NELEM(code), .filter = code};

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

/* A UDP socket bound to ip:port, non-blocking; -errno. */
static int
mdd_udp_socket(const char *ip, int port, evutil_socket_t *out, int *bound)
{
	struct addrinfo hints = {0}, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char ps[16];
	int fd = -1, rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	(void)snprintf(ps, sizeof ps, "%d", port);
	if (getaddrinfo(ip, ps, &hints, &ai) != 0)
		return -EINVAL;
	fd =
	    socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || mdd_udp_filter(fd) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		rc = -errno;
		if (fd != -1)
			close(fd);
		freeaddrinfo(ai);
		return rc;
	}
	freeaddrinfo(ai);
	*bound = ntohs(ss.ss_family == AF_INET6
			   ? ((struct sockaddr_in6 *)&ss)->sin6_port
			   : ((struct sockaddr_in *)&ss)->sin_port);
	*out = fd;
	return 0;
}

static struct evconnlistener *
mdd_tcp_listen(struct master_dns *d, const char *ip, int port)
{
	struct addrinfo hints = {0}, *ai = NULL;
	struct evconnlistener *lev;
	char ps[16];

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	(void)snprintf(ps, sizeof ps, "%d", port);
	if (getaddrinfo(ip, ps, &hints, &ai) != 0)
		return NULL;
	lev = evconnlistener_new_bind(
	    loop_base(d->l), mdd_tcp_accept, d,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    64, ai->ai_addr, (int)ai->ai_addrlen);
	freeaddrinfo(ai);
	return lev;
}

/* UDP and TCP on one port; with port 0, a few tries at a free pair. */
static int
mdd_bind(struct master_dns *d, struct cd_err *err)
{
	evutil_socket_t fd = -1;
	int i, rc = 0, bound = 0;

	for (i = 0; i < 20; i++) {
		rc = mdd_udp_socket(d->conf.ip, d->conf.port, &fd, &bound);
		if (rc != 0)
			return cd_err_set(err, rc, "cannot bind UDP %s:%d: %s",
					  d->conf.ip, d->conf.port,
					  strerror(-rc));
		d->lev = mdd_tcp_listen(d, d->conf.ip, bound);
		if (d->lev != NULL)
			break;
		rc = -errno;
		close(fd);
		fd = -1;
		if (d->conf.port != 0)
			break;
	}
	if (d->lev == NULL)
		return cd_err_set(err, rc != 0 ? rc : -EADDRINUSE,
				  "cannot listen on TCP %s:%d: %s", d->conf.ip,
				  bound, strerror(rc != 0 ? -rc : EADDRINUSE));
	d->uport = evdns_add_server_port_with_base(loop_base(d->l), fd, 0,
						   mdd_udp_cb, d);
	if (d->uport == NULL) {
		close(fd);
		return cd_err_set(err, -ENOMEM, "cannot start the DNS server");
	}
	d->port = bound;
	return 0;
}

/* The forwarder: each "ip[:port]" of --dns_resolvers, with timeouts. */
static int
mdd_resolvers(struct master_dns *d, struct cd_err *err)
{
	char *list, *p, *tok, *save = NULL, t[32];
	int rc = 0;

	if (d->conf.resolvers == NULL || d->conf.resolvers[0] == '\0')
		return 0;
	d->res = evdns_base_new(loop_base(d->l), 0);
	if (d->res == NULL)
		return cd_err_set(err, -ENOMEM, "cannot create a resolver");
	(void)snprintf(t, sizeof t, "%lld",
		       (d->conf.resolver_timeout_ms + 999) / 1000);
	if (evdns_base_set_option(d->res, "timeout:", t) != 0 ||
	    evdns_base_set_option(d->res, "attempts:", "2") != 0)
		return cd_err_set(err, -EINVAL, "cannot set resolver options");
	list = xstrdup(d->conf.resolvers);
	for (p = list; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL)
		if (evdns_base_nameserver_ip_add(d->res, tok) != 0) {
			rc = cd_err_set(err, -EINVAL,
					"invalid --dns_resolvers entry '%s': "
					"expected ip or ip:port",
					tok);
			break;
		}
	free(list);
	return rc;
}

int
master_dns_new(struct loop *l, const struct master_dns_conf *conf,
	       struct master_dns **out, struct cd_err *err)
{
	struct master_dns *d;
	int rc;

	CD_ALLOC_OBJ(d, MDD_MAGIC);
	d->l = l;
	d->conf = *conf;
	d->conf.ip = d->s_ip = xstrdup(conf->ip);
	d->conf.domain = d->s_domain = xstrdup(conf->domain);
	d->conf.resolvers = d->s_resolvers =
	    conf->resolvers != NULL ? xstrdup(conf->resolvers) : NULL;
	d->conf.advertise_ip = d->s_adv = xstrdup(conf->advertise_ip);
	d->conf.version = d->s_version = xstrdup(conf->version);
	TAILQ_INIT(&d->conns);
	TAILQ_INIT(&d->fwds);
	d->zone = mdz_new(conf->domain, conf->ttl);
	mdz_ns_put(d->zone, conf->advertise_ip);
	mdz_leader_put(d->zone, conf->advertise_ip, conf->master_port);
	if ((rc = mdd_resolvers(d, err)) != 0 || (rc = mdd_bind(d, err)) != 0) {
		master_dns_free(d);
		return rc;
	}
	d->conf.port = d->port;
	log_info("DNS for %s. on %s:%d (UDP and TCP), TTL %us, %s",
		 conf->domain, conf->ip, d->port, conf->ttl,
		 d->res != NULL ? "other names forwarded"
				: "other names refused");
	*out = d;
	return 0;
}

void
master_dns_free(struct master_dns *d)
{
	struct mdd_fwd *f;

	if (d == NULL)
		return;
	CD_CHECK_OBJ(d, MDD_MAGIC);
	if (d->m != NULL)
		d->m->dns = NULL;
	/* Without callbacks: what is in flight is dropped below. */
	if (d->res != NULL)
		evdns_base_free(d->res, 0);
	while ((f = TAILQ_FIRST(&d->fwds)) != NULL) {
		if (f->ureq != NULL)
			evdns_server_request_drop(f->ureq);
		mdd_fwd_free(f);
	}
	while (!TAILQ_EMPTY(&d->conns))
		mdd_conn_close(TAILQ_FIRST(&d->conns));
	if (d->lev != NULL)
		evconnlistener_free(d->lev);
	if (d->uport != NULL)
		evdns_close_server_port(d->uport);
	mdz_free(d->zone);
	free(d->s_ip);
	free(d->s_domain);
	free(d->s_resolvers);
	free(d->s_adv);
	free(d->s_version);
	CD_FREE_OBJ(d);
}

void
master_dns_set_master(struct master_dns *d, struct master *m)
{
	CD_CHECK_OBJ(d, MDD_MAGIC);
	d->m = m;
}

int
master_dns_port(const struct master_dns *d)
{
	return d->port;
}

struct mdz *
master_dns_zone(struct master_dns *d)
{
	return d->zone;
}

const struct master_dns_conf *
master_dns_conf(const struct master_dns *d)
{
	return &d->conf;
}

uint64_t
master_dns_queries(const struct master_dns *d)
{
	return d->queries;
}
