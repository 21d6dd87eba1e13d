/*
 * httpd.h: clusterd's HTTP/1.1 server. Listens on ip:port (port 0 picks a
 * free port; httpd_port() reports it), over TLS when httpd_set_tls() was
 * called, dispatches requests through declarative route tables (STYLE
 * B7), and answers with JSON or Marathon-style error bodies
 * {"message", "details": [...]}, including every error the server makes
 * itself (400 malformed, 408 too slow, 413 body too large, 431 headers
 * too large, 501 unknown method, 503 over a cap, 505 not HTTP/1.x).
 *
 * Defences, each with a default below and a setter:
 *  - a request must arrive whole (head and body) within request_ms of its
 *    first byte (408), an idle keep-alive connection is closed after
 *    idle_ms, and an answer that makes no progress for idle_ms is dropped;
 *  - at most max_conns connections (503 beyond, then close) and at most
 *    max_streams streaming answers (httpd_stream_start() refuses with 503);
 *  - accept() failing (EMFILE, ENFILE) pauses accepting with a growing
 *    backoff and logs once per interval instead of spinning;
 *  - a body sent with GET or HEAD is read and dropped, never taken for the
 *    next request on the connection.
 *
 * A request is answered exactly once. A handler may answer later, from
 * another callback: the request stays valid until it is answered, or until
 * its connection closes, in which case the close callback set with
 * httpd_req_on_close() runs and the request must not be used again.
 * Loop thread only.
 */
#ifndef CLUSTERD_LIB_HTTPD_H
#define CLUSTERD_LIB_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

struct blob;
struct buf;
struct durable;
struct loop;
struct httpd;
struct httpd_req;
struct tls;

enum httpd_method {
	HTTPD_GET = 1 << 0,
	HTTPD_POST = 1 << 1,
	HTTPD_PUT = 1 << 2,
	HTTPD_DELETE = 1 << 3,
	HTTPD_PATCH = 1 << 4,
	HTTPD_HEAD = 1 << 5,
	HTTPD_OPTIONS = 1 << 6,
};

/* arg is the pointer given to httpd_add_routes(). */
typedef void httpd_handler_fn(struct httpd_req *req, void *arg);
typedef void httpd_close_fn(struct httpd_req *req, void *arg);
/* Returns true when it took the request (answered it, or will). */
typedef bool httpd_filter_fn(struct httpd_req *req, void *arg);

/*
 * One route. pattern segments: a literal ("v2"), ":name" (exactly one
 * segment) or "*name" (one or more segments, for Marathon's path ids such
 * as /prod/db/mysql). Routes are tried in table order; the first whose
 * pattern matches the path and whose methods include the request's method
 * wins. A path that matches only with other methods gets 405.
 */
struct httpd_route {
	int methods; /* mask of enum httpd_method */
	const char *pattern;
	httpd_handler_fn *handler;
};

#define HTTPD_DEFAULT_MAX_BODY (1024 * 1024)
#define HTTPD_DEFAULT_MAX_HEADERS (16 * 1024)
#define HTTPD_DEFAULT_REQUEST_MS 30000 /* head and body, from the 1st byte */
#define HTTPD_DEFAULT_IDLE_MS 60000    /* idle keep-alive; stalled answer */
#define HTTPD_DEFAULT_MAX_CONNS 1000
#define HTTPD_DEFAULT_MAX_STREAMS 100

/*
 * Listen on ip:port. Returns 0 and *out (free with httpd_free()), or a
 * negative code with err set (for instance -EADDRINUSE). Connections are
 * accepted once the loop runs, so the setters below may follow.
 */
int httpd_new(struct loop *l, const char *ip, int port, struct httpd **out,
	      struct cd_err *err);
void httpd_free(struct httpd *h);
/* The bound port (useful after port 0). */
int httpd_port(const struct httpd *h);
/* Limits: bodies over max_body get 413, heads over max_headers 431. */
void httpd_set_limits(struct httpd *h, size_t max_body, size_t max_headers);
/* Deadlines in milliseconds (0 keeps the current value). */
void httpd_set_timeouts(struct httpd *h, uint64_t request_ms, uint64_t idle_ms);
/* Caps on connections and on streaming answers (0 keeps the current). */
void httpd_set_caps(struct httpd *h, size_t max_conns, size_t max_streams);
/*
 * Serve HTTPS with tls (borrowed: must outlive h) on connections accepted
 * from now on; call it right after httpd_new().
 */
void httpd_set_tls(struct httpd *h, struct tls *tls);
/* "https" when h serves TLS, else "http": for the URLs shown to users. */
const char *httpd_scheme(const struct httpd *h);
/*
 * Require HTTP basic auth "user:password" (NULL: none) on every path but
 * those matching one of the route patterns in exempt (a NULL-terminated
 * list, copied; NULL for none) and those under the secret guard below.
 * The Authorization header is compared in constant time; a refusal is a
 * 401 with WWW-Authenticate. cmd/main.c exempts exactly, per port:
 *   API (--http_port)      /ping
 *   master (--master_port) /master/health, its alias /health, and every
 *                          path under /internal/
 *   agent (--agent_port)   /health, and every path under /internal/
 * (/internal/ is the agent protocol, guarded by the agent secret instead).
 */
void httpd_set_credentials(struct httpd *h, const char *user_colon_password,
			   const char *const *exempt);
/*
 * Guard the paths matching the route pattern with a shared secret: a
 * request whose header does not hold exactly secret (compared in constant
 * time) gets 401 before anything else looks at it, body included. NULL
 * secret removes the guard. Pairs with httpc_set_peer() on the sender.
 */
void httpd_set_guard(struct httpd *h, const char *pattern, const char *header,
		     const char *secret);
/*
 * Observer: called once per answered request with its method ("GET"),
 * the pattern of the route that served it (NULL when none did: 404, 401,
 * 400 ...), the status and the seconds from the request read whole to
 * its answer (a stream: to its start). For metrics (lib/metrics'
 * metrics_http); fn NULL removes it. arg is borrowed.
 */
typedef void httpd_observe_fn(void *arg, const char *method,
			      const char *pattern, int status, double secs);
void httpd_set_observer(struct httpd *h, httpd_observe_fn *fn, void *arg);
/*
 * Register a route table. The table and arg are borrowed and must outlive
 * the httpd. Tables are tried in the order they were added.
 */
void httpd_add_routes(struct httpd *h, const struct httpd_route *routes,
		      size_t n, void *arg);

/* Take back every table registered with arg (its owner is going away). */
void httpd_remove_routes(struct httpd *h, void *arg);
/*
 * Show every request that passed the guard and the credentials to fn
 * before the route tables (NULL: none): a master that does not lead
 * answers or relays here what its roles would (cmd/cmd_ha.c). fn may
 * add headers and return false to let routing go on. arg is borrowed.
 */
void httpd_set_filter(struct httpd *h, httpd_filter_fn *fn, void *arg);
/*
 * The durability barrier (lib/durable.h; copied, d->ctx borrowed; NULL
 * removes it): an answer given while d->pending() names a sequence number
 * is held, and sent once that is durable; if it never will be, a 503 with
 * Marathon's body goes instead, so that a 2xx always means committed.
 * Streams are not held. Removing the barrier answers the held ones 503 at
 * once (before the implementation goes away). Without one, nothing is
 * held and nothing is asked: the LMDB path costs one pointer test.
 */
void httpd_set_durable(struct httpd *h, const struct durable *d);
/* How many answers are held now. */
size_t httpd_held(const struct httpd *h);

/* Request accessors: returned strings are borrowed, valid until reply. */
enum httpd_method httpd_req_method(const struct httpd_req *r);
/* The method's name: "GET", "POST", ...; "?" for 0 (a method httpd does
 * not serve, answered 405 before any filter or handler sees it). */
const char *httpd_method_name(enum httpd_method m);
/* Decoded path without the query ("/v2/apps/foo"). */
const char *httpd_req_path(const struct httpd_req *r);
/* The request target as received, query included ("/v2/apps?embed=x"). */
const char *httpd_req_target(const struct httpd_req *r);
/* A route parameter by name (":id" or "*id" in the pattern), or NULL. */
const char *httpd_req_param(const struct httpd_req *r, const char *name);
/* A decoded query parameter (first occurrence), or NULL when absent. */
const char *httpd_req_query(const struct httpd_req *r, const char *key);
/*
 * Repeated query parameters ("event_type=a&event_type=b"): the next value
 * for key at or after *pos, advancing *pos past it; NULL when there is
 * none. Start with *pos = 0.
 */
const char *httpd_req_query_next(const struct httpd_req *r, const char *key,
				 size_t *pos);
/* true when the query parameter is "true" or "1" (or present and empty). */
bool httpd_req_query_bool(const struct httpd_req *r, const char *key);
/* A request header, or NULL. */
const char *httpd_req_header(const struct httpd_req *r, const char *name);
/* The body bytes (not NUL-terminated; *len set), or NULL when empty. */
const char *httpd_req_body(const struct httpd_req *r, size_t *len);
/* "ip:port" of the peer. */
const char *httpd_req_peer(const struct httpd_req *r);
/* "https" or "http": how the request came (see httpd_scheme()). */
const char *httpd_req_scheme(const struct httpd_req *r);
/* The Host header, or the bound address when absent. */
const char *httpd_req_host(const struct httpd_req *r);

/* Called once if the connection closes before the reply (fn NULL: no
 * callback any more). */
void httpd_req_on_close(struct httpd_req *r, httpd_close_fn *fn, void *arg);
/*
 * Whether r's client has gone: r was closed, or its socket has reached
 * end of file or an error (looked at without reading, so a peer that hung
 * up after sending is seen before its EOF event). A client found gone
 * this way has its connection closed at once, as the EOF event would:
 * r's close callback runs before this returns. For the owner of a request
 * that is expensive to answer, before it builds the answer.
 */
bool httpd_req_gone(struct httpd_req *r);
/*
 * Whether the request's Accept-Encoding takes gzip ("gzip" or "x-gzip"
 * with a q above 0, or "*" when gzip is not named).
 */
bool httpd_req_accepts_gzip(const struct httpd_req *r);

/* Add a response header before replying. */
void httpd_reply_header(struct httpd_req *r, const char *name,
			const char *value);
/* Reply with raw bytes. */
void httpd_reply(struct httpd_req *r, int code, const char *content_type,
		 const void *body, size_t len);
/* Redirect (code 3xx) to location, with an empty text/plain body. */
void httpd_reply_redirect(struct httpd_req *r, int code, const char *location);
/*
 * Reply with the bytes of body (borrowed): the connection queues them by
 * reference, without a copy, and holds a reference of its own until the
 * socket has taken them, so one body can answer many requests at once.
 */
void httpd_reply_blob(struct httpd_req *r, int code, const char *content_type,
		      struct blob *body);
/* Reply with JSON; takes (steals) the reference to body; NULL sends no body. */
void httpd_reply_json(struct httpd_req *r, int code, json_t *body);
/*
 * Reply with Marathon's error shape: {"message": message, "details": details}
 * where details is an array (stolen; NULL becomes []).
 */
void httpd_reply_error(struct httpd_req *r, int code, const char *message,
		       json_t *details);
/*
 * Marathon's error body {"message": msg, "details": []} into b, for a
 * reply written elsewhere (a lib/bodycache builder).
 */
void httpd_error_body(struct buf *b, const char *msg);
/*
 * Reply from a struct cd_err: message from err->msg, and when err->path is
 * set, details [{"path": path, "errors": [msg]}].
 */
void httpd_reply_cd_err(struct httpd_req *r, int code, const char *message,
			const struct cd_err *err);

/*
 * Streaming (server-sent events, chunked): start a 200 reply with the
 * given content type, then send chunks; httpd_stream_end() finishes the
 * reply. httpd_stream_pending() is the number of bytes queued but not yet
 * written to the socket, so callers can drop slow readers.
 * httpd_stream_start() returns 0; -ENOTCONN when the request was already
 * answered or closed; or -EBUSY when the server already carries
 * max_streams streams: the request was then answered 503, and its close
 * callback (if any) runs on the next loop iteration, as if the peer had
 * gone, so a caller that set one needs nothing else to release it.
 */
int httpd_stream_start(struct httpd_req *r, const char *content_type);
void httpd_stream_send(struct httpd_req *r, const void *p, size_t n);
size_t httpd_stream_pending(const struct httpd_req *r);
void httpd_stream_end(struct httpd_req *r);

#endif
