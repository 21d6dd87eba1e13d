/*
 * httpd_int.h: what the files of lib/httpd share: httpd.c (configuration,
 * routing, requests and replies), httpd_conn.c (connections, reading and
 * writing HTTP/1.x), httpd_gate.c (credentials, the durability barrier)
 * and httpd_listen.c (the listening socket, the accept() backoff). Only
 * those files include it (STYLE B3). Loop thread only.
 */
#ifndef CLUSTERD_LIB_HTTPD_INT_H
#define CLUSTERD_LIB_HTTPD_INT_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/listener.h>

#include "buf.h"
#include "durable.h"
#include "err.h"
#include "http1.h"
#include "httpd.h"
#include "ratelog.h"
#include "route.h"

#define HTTPD_MAGIC 0x48747064u

struct blob;
struct evconnlistener;
struct httpd_conn;
struct loop_timer;
struct tls;

enum httpd_req_state {
	HTTPD_REQ_PENDING,   /* handler called, no answer yet */
	HTTPD_REQ_STREAMING, /* chunked answer in progress */
	HTTPD_REQ_HELD,	     /* answered, the answer held until what it
				reports is durable (httpd_gate.c) */
	HTTPD_REQ_DONE,	     /* answered; freed on the next iteration */
	HTTPD_REQ_CLOSED,    /* peer went away before the answer */
};

struct httpd_table {
	const struct httpd_route *routes; /* borrowed: caller's, outlives h */
	size_t n;
	void *arg;		  /* borrowed: caller's */
	struct httpd_table *next; /* owned */
};

struct httpd {
	unsigned magic;
	struct loop *l;		    /* borrowed: outlives the httpd */
	struct evconnlistener *lev; /* owned */
	struct loop_timer *resume;  /* owned: re-enables accept() */
	uint64_t backoff_ms;	    /* current accept() pause, 0 when none */
	struct ratelog accept_log;  /* accept() failures */
	struct ratelog reject_log;  /* connections over the cap */
	struct ratelog refuse_log; /* bad agent secrets, streams over the cap */
	struct tls *tls;	   /* borrowed: from httpd_set_tls() */
	int port;
	char *addr;    /* owned: "ip:port" as bound */
	char *auth;    /* owned: expected Authorization, or NULL */
	char **exempt; /* owned: nexempt route patterns */
	size_t nexempt;
	char *guard_pattern; /* owned: paths the secret guards, or NULL */
	char *guard_header;  /* owned: header carrying it */
	char *guard_secret;  /* owned: its expected value */
	struct httpd_table *tables;  /* owned */
	httpd_filter_fn *filter;     /* or NULL */
	void *filter_arg;	     /* borrowed: the filter's */
	struct durable dur;	     /* pending == NULL: none */
	LIST_HEAD(, httpd_req) held; /* borrowed: answers in HTTPD_REQ_HELD */
	httpd_observe_fn *observe;   /* or NULL: httpd_set_observer() */
	void *observe_arg;	     /* borrowed: the observer's */
	size_t max_body, max_headers;
	uint64_t request_ms, idle_ms;
	size_t max_conns, max_streams;
	size_t nconns;	 /* open connections, refused ones included */
	size_t nstreams; /* requests in HTTPD_REQ_STREAMING */
	LIST_HEAD(, httpd_conn) conns; /* owned */
	char date[40];		       /* cached Date header value */
	long long date_sec;
};

struct httpd_req {
	unsigned magic;
	enum httpd_req_state state;
	struct httpd *h;	    /* borrowed: NULL once detached */
	struct loop *l;		    /* borrowed: the server's loop */
	struct httpd_conn *conn;    /* borrowed: NULL once detached */
	struct http1_req hr;	    /* owned: the parsed head */
	enum httpd_method method;   /* 0 for a method we do not serve */
	char *path;		    /* owned: decoded path */
	struct route_params params; /* owned */
	struct route_query query;   /* owned */
	char *body;		    /* owned: NUL-terminated copy, or NULL */
	size_t body_len;
	char peer[80];
	struct buf out;	  /* owned: "Name: value\r\n" reply headers */
	bool has_ctype;	  /* out holds a Content-Type */
	bool close_after; /* out holds "Connection: close" */
	httpd_close_fn *close_fn;
	void *close_arg; /* borrowed: from httpd_req_on_close() */
	uint64_t start_ms;
	uint64_t start_ns;   /* monotonic, for the observer */
	const char *pattern; /* borrowed: the route table's, or NULL */
	bool free_queued;
	/* HTTPD_REQ_HELD: the answer given, sent once seq is durable. */
	int hold_code;
	char *hold_ctype; /* owned, or NULL */
	char *hold_body;  /* owned, or NULL */
	size_t hold_len;
	LIST_ENTRY(httpd_req) hold_link;
};

/* httpd.c, for httpd_conn.c */

/*
 * The request a connection has read whole: hr is taken (left zeroed),
 * body taken (may be NULL). The caller keeps the result as its current
 * request until it is answered or httpd_req_closed() is called.
 */
struct httpd_req *httpd_req_new(struct httpd *h, struct httpd_conn *conn,
				const char *peer, struct http1_req *hr,
				char *body, size_t body_len);
/* Credential checks, routing, and the handler. */
void httpd_serve(struct httpd *h, struct httpd_req *r);
/* The connection of a request that was not answered died. */
void httpd_req_closed(struct httpd_req *r);
/* "Tue, 15 Nov 1994 08:12:31 GMT", refreshed once a second. */
const char *httpd_date(struct httpd *h);
/* Write r's final answer (r is PENDING or HELD) and release r. */
void httpd_req_send(struct httpd_req *r, int code, const char *content_type,
		    const void *body, size_t len);

/* httpd_gate.c, for httpd.c */

/*
 * The agent-secret guard and the basic-auth credentials: true when r may
 * go on to routing; otherwise r was answered (401).
 */
bool httpd_gate_admit(struct httpd *h, struct httpd_req *r,
		      const struct route_path *rp);
/*
 * The durability barrier: true when the answer was kept (r is HELD) to be
 * sent once what it reports is durable; false when it goes out now.
 */
bool httpd_gate_hold(struct httpd_req *r, int code, const char *content_type,
		     const void *body, size_t len);
/* r, HELD, lost its connection: stop waiting (r is released by the
 * caller). */
void httpd_gate_drop(struct httpd_req *r);
/* Free what the gate keeps (httpd_free()). */
void httpd_gate_release(struct httpd *h);

/* httpd_conn.c, for httpd.c */

/* Bind and listen; fills h->lev and h->port. */
int httpd_conn_listen(struct httpd *h, const char *ip, int port,
		      struct cd_err *err);
/* Close every connection (their requests see a close) and the listener. */
void httpd_conn_shutdown(struct httpd *h);
/*
 * Write the answer to r, the request conn is serving: status line, the
 * headers r->out holds, Content-Type, Content-Length (or chunked framing
 * when stream is set) and, unless the request was HEAD, the body: the len
 * bytes at body, copied, or when shared is not NULL its bytes, queued by
 * reference (the connection holds a reference of its own until they are
 * written). A complete answer (not a stream) hands the connection to its
 * next request.
 */
void httpd_conn_answer(struct httpd_conn *conn, struct httpd_req *r, int code,
		       const char *content_type, const void *body, size_t len,
		       struct blob *shared, bool stream);
/* One chunk of a stream (n > 0). */
void httpd_conn_chunk(struct httpd_conn *conn, const void *p, size_t n);
/* The last chunk; hands the connection to its next request. */
void httpd_conn_stream_end(struct httpd_conn *conn);
/* Bytes queued on the connection but not yet written. */
size_t httpd_conn_pending(const struct httpd_conn *conn);
/*
 * Whether the peer has gone: EOF seen, or the socket says end of file or
 * an error when peeked at (plain TCP only: under TLS the bytes on the
 * socket are records, and only the EOF event tells).
 */
bool httpd_conn_peer_gone(struct httpd_conn *conn);
/* Close now, as on the peer's EOF: the request being served sees it. */
void httpd_conn_drop(struct httpd_conn *conn);

/* httpd_listen.c, for httpd_conn.c */

/*
 * Bind ip:port (port 0: any), accepted sockets going to accept with h as
 * its argument; fills h->lev, h->resume and h->port. Returns 0, or
 * -EADDRNOTAVAIL or -errno with err set.
 */
int httpd_listen_open(struct httpd *h, const char *ip, int port,
		      evconnlistener_cb accept, struct cd_err *err);
/* accept() failed (errno, or the socket error): pause the listener, for
 * twice as long as last time, and log it (rate-limited). */
void httpd_listen_pause(struct httpd *h);
/* Free the listener and its resume timer (no-op when not listening). */
void httpd_listen_close(struct httpd *h);

#endif
