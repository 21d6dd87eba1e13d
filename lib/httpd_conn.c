/*
 * httpd_conn.c: the connections of an httpd, accepted on the listener
 * httpd_listen.c binds. Owns one struct httpd_conn per accepted socket with
 * its bufferevent (plain or OpenSSL) and timers, and the bytes of requests
 * being read. Turns bytes into complete requests (lib/http1) for httpd.c,
 * and writes the answers httpd.c hands back. Loop thread only.
 *
 * Why not evhttp: libevent 2.1's evhttp answers its own errors with HTML,
 * runs the body of a HEAD request as the next request, resets its timeout
 * at every byte (so a slowloris is never cut off), has no cap on
 * connections and spins when accept() fails with EMFILE.
 *
 * A connection is in one state at a time:
 *   HEAD     waiting for a request head. Idle, the idle timer runs; from
 *            the first byte of a request, the request deadline runs, and
 *            is never extended: head and body must arrive whole within it.
 *   BODY     reading the body (Content-Length or chunked) into conn->body,
 *            or dropping it for GET and HEAD, under the same deadline.
 *   BUSY     the request is with httpd.c (its handler, or a stream). Input
 *            is still read, up to the read watermark, so a peer that hangs
 *            up is noticed; further pipelined requests wait in the buffer.
 *   CLOSING  the last answer is being flushed (errors, Connection: close).
 *   LINGER   plain TCP only: after the flush, the write side is shut and
 *            input drained until the peer closes or HTTPD_LINGER_MS pass,
 *            so that unread request bytes do not make the kernel send a
 *            reset that destroys the answer (RFC 9112 section 9.6).
 * Every error the server makes itself is answered with Marathon's JSON
 * body and closes the connection. Bufferevent callbacks are deferred to
 * the loop, so none runs inside a write made by a handler.
 *
 * Accepting: over max_conns, a connection gets a 503 and is closed;
 * HTTPD_REJECT_SLACK more are accepted only for that, beyond which they
 * are closed at once. When accept() fails, httpd_listen.c pauses the
 * listener (its backoff).
 *
 * Call cycle: httpd.c, httpd_gate.c. One module in three files
 * (httpd_int.h): this file hands complete requests to httpd_serve(),
 * httpd.c (and httpd_gate.c, for the answers it held) hand the answers
 * back through httpd_conn_answer().
 *
 * Every answer httpd.c hands back passes httpd_conn_answer(), which tells
 * the observer (httpd_set_observer(), for metrics) how long the request
 * took from the moment it was read whole.
 */
#include "httpd_int.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>

#define LOG_MOD "httpd"
#include "blob.h"
#include "fault.h"
#include "log.h"
#include "loop.h"
#include "tls.h"
#include "xalloc.h"

#define HTTPD_CONN_MAGIC 0x48744363u

/* Monotonic nanoseconds: latency finer than the loop's cached ms. */
static uint64_t
httpd_conn_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
httpd_set_observer(struct httpd *h, httpd_observe_fn *fn, void *arg)
{
	h->observe = fn;
	h->observe_arg = fn != NULL ? arg : NULL;
}
#define HTTPD_LINGER_MS 2000
#define HTTPD_REJECT_SLACK 32
/* Pipelined requests wait while this much of earlier answers is unsent. */
#define HTTPD_OUT_HIGH ((size_t)256 * 1024)
/* Input kept beyond a maximal head (pipelined bytes, body pieces). */
#define HTTPD_READ_SLACK ((size_t)64 * 1024)
/*
 * Most bytes one write may take from an answer. libevent's default, 16
 * KiB, costs a write and a trip through the loop per 16 KiB: a reply of a
 * megabyte (GET /v2/apps at a thousand apps) took 64 of each. The kernel's
 * send buffer bounds a write anyway.
 */
#define HTTPD_MAX_WRITE ((ev_ssize_t)4 * 1024 * 1024)

enum httpd_conn_state {
	CONN_HEAD,
	CONN_BODY,
	CONN_BUSY,
	CONN_CLOSING,
	CONN_LINGER,
};

struct httpd_conn {
	unsigned magic;
	enum httpd_conn_state state;
	struct httpd *h;	  /* borrowed: NULL once closed */
	struct loop *l;		  /* borrowed: h's loop */
	struct bufferevent *bev;  /* owned */
	struct loop_timer *timer; /* owned: idle, deadline, flush, linger */
	struct loop_timer *kick;  /* owned: serves a pipelined request */
	struct httpd_req *req;	  /* borrowed: the request in BUSY, which
				     lives on after the connection */
	struct http1_req hr;	  /* owned: head of the request being read */
	struct http1_chunked ch;
	unsigned long long left; /* Content-Length bytes still to read */
	struct buf body;	 /* owned */
	size_t scan;		 /* http1_head_scan() position */
	bool in_request;	 /* the request deadline runs */
	bool discard;		 /* the body is read and dropped */
	bool keep_alive;	 /* another request may follow this one */
	bool chunked_out;	 /* the answer being streamed is chunked */
	bool head_only;		 /* the answer has no body (HEAD) */
	bool eof;		 /* the peer closed its side */
	bool tls;
	bool closed;
	char peer[80];
	LIST_ENTRY(httpd_conn) link; /* h->conns */
};

static void httpd_conn_process(struct httpd_conn *c);

static void
httpd_conn_free_cb(void *p)
{
	struct httpd_conn *c = p;

	CD_CHECK_OBJ(c, HTTPD_CONN_MAGIC);
	loop_timer_free(c->timer);
	loop_timer_free(c->kick);
	CD_FREE_OBJ(c);
}

/* Close now: the request being served (if any) sees its peer go away. */
static void
httpd_conn_close(struct httpd_conn *c)
{
	struct httpd_req *r = c->req;

	if (c->closed)
		return;
	c->closed = true;
	c->req = NULL;
	loop_timer_del(c->timer);
	loop_timer_del(c->kick);
	bufferevent_free(c->bev);
	c->bev = NULL;
	LIST_REMOVE(c, link);
	c->h->nconns--;
	c->h = NULL;
	http1_req_release(&c->hr);
	buf_release(&c->body);
	if (r != NULL)
		httpd_req_closed(r);
	loop_defer_free(c->l, httpd_conn_free_cb, c);
}

/* The output is flushed in CLOSING: linger (plain TCP) or close. */
static void
httpd_conn_finish(struct httpd_conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (c->tls || c->eof || fd < 0 || shutdown(fd, SHUT_WR) == -1) {
		httpd_conn_close(c);
		return;
	}
	c->state = CONN_LINGER;
	evbuffer_drain(bufferevent_get_input(c->bev),
		       evbuffer_get_length(bufferevent_get_input(c->bev)));
	bufferevent_enable(c->bev, EV_READ);
	loop_timer_add(c->timer, HTTPD_LINGER_MS);
}

/* Close after what is queued has been written. */
static void
httpd_conn_closing(struct httpd_conn *c)
{
	c->state = CONN_CLOSING;
	c->in_request = false;
	loop_timer_add(c->timer, c->h->idle_ms);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		httpd_conn_finish(c);
}

/* An error the server makes itself: Marathon's body, then close. */
static void
httpd_conn_fail(struct httpd_conn *c, int code, const char *msg)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct buf b = BUF_INIT;

	log_debug("%d %s peer=%s", code, msg, c->peer);
	httpd_error_body(&b, msg);
	evbuffer_add_printf(out,
			    "HTTP/1.1 %d %s\r\nDate: %s\r\n"
			    "Content-Type: application/json\r\n"
			    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			    code, http1_reason(code), httpd_date(c->h), b.len);
	evbuffer_add(out, b.data, b.len);
	buf_release(&b);
	http1_req_release(&c->hr);
	buf_release(&c->body);
	httpd_conn_closing(c);
}

/* The whole request is in: hand it to httpd.c. */
static void
httpd_conn_dispatch(struct httpd_conn *c)
{
	struct httpd_req *r;
	size_t len = c->body.len;
	char *body = c->body.len > 0 ? buf_detach(&c->body, NULL) : NULL;

	buf_release(&c->body);
	loop_timer_del(c->timer);
	c->in_request = false;
	c->state = CONN_BUSY;
	r = httpd_req_new(c->h, c, c->peer, &c->hr, body, len);
	r->start_ns = httpd_conn_mono_ns();
	c->req = r;
	httpd_serve(c->h, r);
}

static bool
httpd_conn_known_method(const char *m)
{
	static const char *const known[] = {
	    "GET",   "HEAD",	"POST",	 "PUT",	    "DELETE",
	    "PATCH", "OPTIONS", "TRACE", "CONNECT",
	};
	size_t i;

	for (i = 0; i < CD_NELEM(known); i++)
		if (strcmp(m, known[i]) == 0)
			return true;
	return false;
}

/*
 * Parse the head, the first n bytes of in (pulled up at p), and drain it;
 * returns false when the connection failed.
 */
static bool
httpd_conn_head(struct httpd_conn *c, struct evbuffer *in, const char *p,
		size_t n)
{
	struct httpd *h = c->h;
	struct cd_err err = {0};
	int rc;

	rc = http1_parse(p, n, &c->hr, &err);
	evbuffer_drain(in, n);
	c->scan = 0;
	if (rc != 0) {
		httpd_conn_fail(c, http1_status(rc), err.msg);
		return false;
	}
	if (!httpd_conn_known_method(c->hr.method)) {
		httpd_conn_fail(c, 501, "Method Not Implemented");
		return false;
	}
	if (c->hr.has_length && c->hr.length > h->max_body) {
		httpd_conn_fail(c, 413, "Request body too large");
		return false;
	}
	c->keep_alive = c->hr.keep_alive;
	/* A body on GET or HEAD is read, so that it cannot be taken for
	 * the next request, and dropped. */
	c->discard = strcmp(c->hr.method, "GET") == 0 ||
		     strcmp(c->hr.method, "HEAD") == 0;
	memset(&c->ch, 0, sizeof c->ch);
	c->left = c->hr.has_length ? c->hr.length : 0;
	if (!c->hr.chunked && c->left == 0) {
		httpd_conn_dispatch(c);
		return true;
	}
	if (c->hr.expect_continue)
		evbuffer_add_printf(bufferevent_get_output(c->bev),
				    "HTTP/1.1 100 Continue\r\n\r\n");
	c->state = CONN_BODY;
	return true;
}

/* Read what has arrived of a body; true once it is complete. */
static bool
httpd_conn_body(struct httpd_conn *c, struct evbuffer *in)
{
	size_t n = evbuffer_get_length(in), k, used = 0;
	struct buf *out = c->discard ? NULL : &c->body;
	const char *p;
	int rc;

	if (c->hr.chunked) {
		p = (const char *)evbuffer_pullup(in, -1);
		rc = http1_chunked_feed(&c->ch, p, n, c->h->max_body, out,
					&used);
		evbuffer_drain(in, used);
		if (rc < 0)
			httpd_conn_fail(c, rc == -EFBIG ? 413 : 400,
					rc == -EFBIG
					    ? "Request body too large"
					    : "Malformed chunked body");
		return rc == 1;
	}
	k = (unsigned long long)n < c->left ? n : (size_t)c->left;
	if (out != NULL) {
		p = (const char *)evbuffer_pullup(in, (ev_ssize_t)k);
		buf_append(out, p, k);
	}
	evbuffer_drain(in, k);
	c->left -= k;
	return c->left == 0;
}

/* Serve what the input buffer holds, as far as the state allows. */
static void
httpd_conn_process(struct httpd_conn *c)
{
	struct evbuffer *in;
	size_t n, m, len = 0, skip;
	const char *p;
	int rc;

	while (!c->closed && (c->state == CONN_HEAD || c->state == CONN_BODY)) {
		len = 0;
		in = bufferevent_get_input(c->bev);
		n = evbuffer_get_length(in);
		if (n == 0)
			return;
		if (c->state == CONN_BODY) {
			if (httpd_conn_body(c, in) && !c->closed)
				httpd_conn_dispatch(c);
			return;
		}
		/* Earlier answers unsent: the write callback comes back. */
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) >
		    HTTPD_OUT_HIGH)
			return;
		if (!c->in_request) {
			c->in_request = true;
			c->scan = 0;
			loop_timer_add(c->timer, c->h->request_ms);
		}
		m = n < c->h->max_headers + 2 ? n : c->h->max_headers + 2;
		p = (const char *)evbuffer_pullup(in, (ev_ssize_t)m);
		if ((skip = http1_skip_empty(p, m)) > 0) {
			evbuffer_drain(in, skip);
			c->scan = 0;
			continue;
		}
		rc = http1_head_scan(p, m, &c->scan, &len);
		if (rc < 0) {
			httpd_conn_fail(c, 400,
					"Malformed request: lines must end "
					"with CRLF");
			return;
		}
		if (rc == 0 || len > c->h->max_headers) {
			if (m > c->h->max_headers || len > c->h->max_headers)
				httpd_conn_fail(c, 431,
						"Request header fields too "
						"large");
			return;
		}
		if (!httpd_conn_head(c, in, p, len))
			return;
	}
}

/* After a complete answer: the next request, or close. */
static void
httpd_conn_next(struct httpd_conn *c, bool close)
{
	c->req = NULL;
	http1_req_release(&c->hr);
	if (close || !c->keep_alive) {
		httpd_conn_closing(c);
		return;
	}
	c->state = CONN_HEAD;
	c->in_request = false;
	c->chunked_out = c->head_only = false;
	if (c->eof) {
		httpd_conn_closing(c);
		return;
	}
	loop_timer_add(c->timer, c->h->idle_ms);
	/* Pipelined bytes: served from the loop, not from the handler's
	 * stack (the handler may still be running). */
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
		loop_timer_add(c->kick, 0);
}

static void
httpd_conn_kick_cb(void *arg)
{
	struct httpd_conn *c = arg;

	CD_CHECK_OBJ(c, HTTPD_CONN_MAGIC);
	httpd_conn_process(c);
}

static void
httpd_conn_timer_cb(void *arg)
{
	struct httpd_conn *c = arg;
	char msg[120];

	CD_CHECK_OBJ(c, HTTPD_CONN_MAGIC);
	if ((c->state == CONN_HEAD || c->state == CONN_BODY) && c->in_request) {
		(void)snprintf(msg, sizeof msg,
			       "Request Timeout: the request did not arrive "
			       "whole within %llu ms",
			       (unsigned long long)c->h->request_ms);
		httpd_conn_fail(c, 408, msg);
		return;
	}
	if (c->state != CONN_BUSY)
		httpd_conn_close(c); /* idle, unread answer, or linger */
}

static void
httpd_conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct httpd_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	CD_CHECK_OBJ(c, HTTPD_CONN_MAGIC);
	if (c->state == CONN_CLOSING || c->state == CONN_LINGER)
		evbuffer_drain(in, evbuffer_get_length(in));
	else
		httpd_conn_process(c);
}

static void
httpd_conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct httpd_conn *c = arg;

	CD_CHECK_OBJ(c, HTTPD_CONN_MAGIC);
	/* Deferred: the output may have grown since it drained. */
	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	if (c->state == CONN_CLOSING)
		httpd_conn_finish(c);
	else if (c->state == CONN_HEAD)
		httpd_conn_process(c);
}

static void
httpd_conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct httpd_conn *c = arg;
	unsigned long e;

	CD_CHECK_OBJ(c, HTTPD_CONN_MAGIC);
	if (what == BEV_EVENT_CONNECTED)
		return; /* the TLS handshake is done */
	if (what & BEV_EVENT_EOF) {
		c->eof = true;
		if (c->state == CONN_CLOSING &&
		    evbuffer_get_length(bufferevent_get_output(bev)) > 0)
			return; /* a half-closed peer can still read */
		if (c->state == CONN_HEAD && !c->in_request &&
		    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
			httpd_conn_closing(c);
			return;
		}
		httpd_conn_close(c);
		return;
	}
	if (c->tls && (e = bufferevent_get_openssl_error(bev)) != 0)
		log_debug("TLS error peer=%s: %lu", c->peer, e);
	else
		log_debug("connection error peer=%s events=0x%x", c->peer,
			  (unsigned)what);
	httpd_conn_close(c);
}

static void
httpd_conn_peer(const struct sockaddr *sa, char *out, size_t n)
{
	char a[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
		port = ntohs(s4->sin_port);
		(void)snprintf(out, n, "%s:%u", a, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
		port = ntohs(s6->sin6_port);
		(void)snprintf(out, n, "[%s]:%u", a, port);
	} else {
		(void)snprintf(out, n, "?:0");
	}
}

static void
httpd_conn_new(struct httpd *h, evutil_socket_t fd, const struct sockaddr *sa,
	       bool reject)
{
	struct event_base *base = loop_base(h->l);
	struct timeval wt = {(time_t)(h->idle_ms / 1000),
			     (suseconds_t)(h->idle_ms % 1000) * 1000};
	struct httpd_conn *c;
	int one = 1;

	/* Without it an answer larger than a segment waits for the peer's
	 * delayed ACK on keep-alive connections. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	CD_ALLOC_OBJ(c, HTTPD_CONN_MAGIC);
	c->h = h;
	c->l = h->l;
	c->state = CONN_HEAD;
	httpd_conn_peer(sa, c->peer, sizeof c->peer);
	if (h->tls != NULL) {
		c->tls = true;
		c->bev = bufferevent_openssl_socket_new(
		    base, fd, tls_ssl_new(h->tls), BUFFEREVENT_SSL_ACCEPTING,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		AN(c->bev);
		bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	} else {
		c->bev = bufferevent_socket_new(
		    base, fd, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		AN(c->bev);
	}
	c->timer = loop_timer_new(h->l, httpd_conn_timer_cb, c);
	c->kick = loop_timer_new(h->l, httpd_conn_kick_cb, c);
	bufferevent_setcb(c->bev, httpd_conn_read_cb, httpd_conn_write_cb,
			  httpd_conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0,
				 h->max_headers + HTTPD_READ_SLACK);
	(void)bufferevent_set_max_single_write(c->bev, HTTPD_MAX_WRITE);
	/* No progress writing an answer for idle_ms: the peer is gone. */
	bufferevent_set_timeouts(c->bev, NULL, &wt);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	LIST_INSERT_HEAD(&h->conns, c, link);
	h->nconns++;
	if (reject) {
		httpd_conn_fail(c, 503,
				"Too many connections: the server's cap on "
				"connections per port is reached");
		return;
	}
	loop_timer_add(c->timer, h->idle_ms);
}

static void
httpd_conn_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
		     struct sockaddr *sa, int salen, void *arg)
{
	struct httpd *h = arg;
	unsigned long n = 0;
	int frc;

	(void)lev; /* h->lev */
	(void)salen;
	CD_CHECK_OBJ(h, HTTPD_MAGIC);
	if ((frc = CD_FAULT("httpd.accept")) != 0) {
		/* As accept() failing: the peer is closed at once, as past
		 * the cap's slack, and the listener pauses. */
		evutil_closesocket(fd);
		errno = -frc;
		httpd_listen_pause(h);
		return;
	}
	h->backoff_ms = 0;
	if (h->nconns >= h->max_conns &&
	    ratelog_allow(&h->reject_log, loop_now_ms(h->l), &n))
		log_warn("%s: %zu connections, the cap: refusing new ones "
			 "with 503 (%lu similar messages suppressed)",
			 h->addr != NULL ? h->addr : "?", h->nconns, n);
	if (h->nconns >= h->max_conns + HTTPD_REJECT_SLACK) {
		evutil_closesocket(fd);
		return;
	}
	httpd_conn_new(h, fd, sa, h->nconns >= h->max_conns);
}

int
httpd_conn_listen(struct httpd *h, const char *ip, int port, struct cd_err *err)
{
	return httpd_listen_open(h, ip, port, httpd_conn_accept_cb, err);
}

void
httpd_conn_shutdown(struct httpd *h)
{
	while (!LIST_EMPTY(&h->conns))
		httpd_conn_close(LIST_FIRST(&h->conns));
	httpd_listen_close(h);
}

/* evbuffer_add_reference()'s cleanup: the socket took a shared body. */
static void
httpd_conn_blob_done(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	blob_unref(arg);
}

void
httpd_conn_answer(struct httpd_conn *c, struct httpd_req *r, int code,
		  const char *content_type, const void *body, size_t len,
		  struct blob *shared, bool stream)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	bool bodyless =
	    (code >= 100 && code < 200) || code == 204 || code == 304;
	bool close = !c->keep_alive || r->close_after;

	if (c->h->observe != NULL)
		c->h->observe(c->h->observe_arg, r->hr.method, r->pattern, code,
			      (double)(httpd_conn_mono_ns() - r->start_ns) /
				  1e9);
	c->head_only = r->method == HTTPD_HEAD || bodyless;
	c->chunked_out = stream && r->hr.minor == 1;
	/* An HTTP/1.0 stream ends when the connection does. */
	if (stream && r->hr.minor == 0)
		close = true;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\nDate: %s\r\n", code,
			    http1_reason(code), httpd_date(c->h));
	if (r->out.len > 0)
		evbuffer_add(out, r->out.data, r->out.len);
	if (content_type != NULL && !r->has_ctype)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", content_type);
	if (c->chunked_out && !c->head_only)
		evbuffer_add_printf(out, "Transfer-Encoding: chunked\r\n");
	else if (!stream && !bodyless)
		evbuffer_add_printf(out, "Content-Length: %zu\r\n", len);
	if (close && !r->close_after)
		evbuffer_add_printf(out, "Connection: close\r\n");
	else if (!close && r->hr.minor == 0)
		evbuffer_add_printf(out, "Connection: keep-alive\r\n");
	evbuffer_add(out, "\r\n", 2);
	c->keep_alive = !close;
	if (stream)
		return;
	if (!c->head_only && len > 0 && shared != NULL) {
		blob_ref(shared);
		if (evbuffer_add_reference(out, blob_data(shared), len,
					   httpd_conn_blob_done, shared) != 0)
			cd_assert_fail("evbuffer_add_reference", __FILE__,
				       __LINE__);
	} else if (!c->head_only && len > 0) {
		evbuffer_add(out, body, len);
	}
	httpd_conn_next(c, close);
}

void
httpd_conn_chunk(struct httpd_conn *c, const void *p, size_t n)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	if (c->head_only)
		return;
	if (c->chunked_out)
		evbuffer_add_printf(out, "%zx\r\n", n);
	evbuffer_add(out, p, n);
	if (c->chunked_out)
		evbuffer_add(out, "\r\n", 2);
}

void
httpd_conn_stream_end(struct httpd_conn *c)
{
	if (c->chunked_out && !c->head_only)
		evbuffer_add(bufferevent_get_output(c->bev), "0\r\n\r\n", 5);
	httpd_conn_next(c, !c->keep_alive);
}

size_t
httpd_conn_pending(const struct httpd_conn *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

bool
httpd_conn_peer_gone(struct httpd_conn *c)
{
	evutil_socket_t fd;
	char b;
	ssize_t n;

	CD_CHECK_OBJ(c, HTTPD_CONN_MAGIC);
	if (c->closed || c->eof)
		return true;
	if (c->tls || (fd = bufferevent_getfd(c->bev)) < 0)
		return false;
	n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n == 0)
		return true;
	return n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	       errno != EINTR;
}

void
httpd_conn_drop(struct httpd_conn *c)
{
	CD_CHECK_OBJ(c, HTTPD_CONN_MAGIC);
	log_debug("peer=%s has gone: closing", c->peer);
	httpd_conn_close(c);
}
