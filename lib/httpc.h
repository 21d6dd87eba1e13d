/*
 * httpc.h: asynchronous HTTP client on libcurl's multi_socket interface,
 * driven by the loop (STYLE B10): TCP URLs, or a unix socket for the Docker
 * Engine API. Every request has a timeout unless it is a long poll that
 * asks for none explicitly. Exactly one completion callback runs per
 * request, unless the request is cancelled first, in which case none does.
 * Loop thread only.
 */
#ifndef CLUSTERD_LIB_HTTPC_H
#define CLUSTERD_LIB_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "fault.h"

struct loop;
struct httpc;
struct httpc_req;

struct httpc_resp {
	int status; /* HTTP status, or 0 on transport failure */
	const char
	    *body; /* borrowed: valid during the callback; NUL-terminated */
	size_t len;
	const struct cd_err *err; /* borrowed: set when status == 0 */
	/*
	 * With status 0: whether the request went out on a connection before
	 * the failure (a timeout waiting for the reply, a reset), so the
	 * server may have acted on it. False when it never left (no
	 * connection, refused, cancelled before sending).
	 */
	bool sent;
	/*
	 * With keep_headers or on_head: the final response's header lines,
	 * "Name: value\r\n" each, without the status line (borrowed, like
	 * body); else NULL.
	 */
	const char *headers;
	size_t headers_len;
	/*
	 * The address the server was reached at ("10.0.0.1", "::1") when a
	 * TCP connection was made, else NULL. Borrowed: valid during the
	 * callback. The agent takes its master's address from the reply to
	 * its registration.
	 */
	const char *peer_ip;
};

typedef void httpc_done_fn(const struct httpc_resp *resp, void *arg);
/* Streamed body bytes, when on_data is set (the body is then not kept). */
typedef void httpc_data_fn(const char *p, size_t n, void *arg);
/*
 * The final response's status and header lines (as in httpc_resp), once,
 * before the first on_data; runs inside curl, as on_data does (cancelling
 * is fine, starting a request is deferred).
 */
typedef void httpc_head_fn(int status, const char *headers, size_t len,
			   void *arg);

struct httpc_opts {
	const char *method;	  /* "GET" when NULL */
	const char *url;	  /* "http://host:port/path" */
	const char *unix_socket;  /* path, or NULL for TCP */
	const char *content_type; /* with body; "application/json" when NULL */
	const char *body;	  /* borrowed for the call; copied */
	size_t body_len;
	long timeout_ms;	  /* total; 0 means the default 30 s; -1 none */
	long connect_timeout_ms;  /* 0 means 5 s */
	httpc_data_fn *on_data;	  /* optional streaming sink */
	const char *extra_header; /* optional "Name: value" */
	const char *const *headers; /* optional: more, NULL-terminated */
	httpc_head_fn *on_head;	    /* optional */
	bool keep_headers;	    /* fill httpc_resp.headers */
	int insecure;		    /* skip TLS certificate checks (Marathon's
				       HTTPS health checks do) */
	int follow_redirects;	    /* follow up to 10 redirects, to http(s)
				       only (the fetcher's downloads) */
};

/*
 * The agent<->master traffic, set once on the client that carries it
 * (cmd/main.c). Applies to TCP requests only, never to unix sockets:
 *  - https: "http://" URLs are sent as "https://", so that roles keep
 *    building http:// URLs and one switch moves them all to TLS;
 *  - ca_file (NULL: the system's trust store): the PEM file servers are
 *    verified against. Verification is never turned off for these
 *    requests, whatever httpc_opts.insecure says;
 *  - secret (NULL: none): requests whose URL path starts with
 *    secret_prefix carry the header "secret_header: secret", which
 *    httpd_set_guard() checks on the other side.
 * Strings are copied.
 */
struct httpc_peer {
	bool https;
	const char *ca_file;
	const char *secret_prefix; /* "/internal/" */
	const char *secret_header; /* "Clusterd-Agent-Secret" */
	const char *secret;
};

/* Create a client on the loop; free with httpc_free() (cancels all). */
struct httpc *httpc_new(struct loop *l);
void httpc_free(struct httpc *c);
/* Apply peer settings to every later request of c (see struct httpc_peer). */
void httpc_set_peer(struct httpc *c, const struct httpc_peer *p);

/*
 * Start a request. done(resp, arg) runs later on the loop, never from
 * inside this call. Returns a handle, borrowed: valid until done runs or
 * httpc_cancel() is called.
 */
struct httpc_req *httpc_request(struct httpc *c, const struct httpc_opts *o,
				httpc_done_fn *done, void *arg);
/* Abort a request; its done callback will not run. */
void httpc_cancel(struct httpc_req *r);

#ifdef CD_FAULT_ON
/*
 * Fault builds only (lib/fault.h): a request that is never sent, answered
 * later from the loop with status and body (copied), as a server's error
 * reply would be. The handle is as httpc_request()'s.
 */
struct httpc_req *httpc_fake_reply(struct httpc *c, int status,
				   const char *body, httpc_done_fn *done,
				   void *arg);
#endif

#endif
