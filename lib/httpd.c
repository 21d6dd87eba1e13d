/*
 * httpd.c: the HTTP server glue on libevent's evhttp. Owns the evhttp
 * instance, its listening socket, the registered route tables and one
 * struct httpd_req per request in flight. Loop thread only.
 *
 * Design: one generic callback matches the decoded path against the route
 * tables in order (lib/route), answers 404/405/400/401 itself with
 * Marathon's error shape, and otherwise hands the request to the handler.
 *
 * Request lifetime. libevent's evhttp_request belongs to libevent; ours
 * (struct httpd_req) wraps it and is in one of four states:
 *   PENDING    handler called, no answer yet;
 *   STREAMING  a chunked answer was started;
 *   DONE       answered; libevent sends and frees its request, ours is
 *              released with loop_defer_free() (the caller may still hold
 *              it on its stack, STYLE B17);
 *   CLOSED     the peer went away first: the close callback (if any) ran,
 *              every later call on the request is a no-op. With a close
 *              callback, ours is freed on the next iteration; without one
 *              (the handler cannot know), it lives until it is answered.
 * libevent 2.1 does not read from a connection while its request awaits
 * an answer, so it cannot notice a client that hangs up on a long poll or
 * an idle stream. Each unanswered request therefore watches its socket
 * for EV_CLOSED (or readability plus a MSG_PEEK where the backend lacks
 * early-close) and frees the connection itself; libevent's own failures
 * (write errors while streaming, timeouts) arrive through the connection
 * close callback. Either way the request is detached before anyone could
 * use it after its connection died.
 */
#include "httpd.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#define LOG_MOD "httpd"
#include "buf.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "route.h"
#include "xalloc.h"

#define HTTPD_MAGIC 0x48747064u
#define HTTPD_REQ_MAGIC 0x48745271u
#define HTTPD_TIMEOUT_S 60 /* idle/slow connections (slowloris) */

enum httpd_req_state {
	HTTPD_REQ_PENDING,   /* handler called, no answer yet */
	HTTPD_REQ_STREAMING, /* chunked answer in progress */
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
	struct loop *l;	     /* borrowed: outlives the httpd */
	struct evhttp *http; /* owned */
	int port;
	char *addr;		    /* owned: "ip:port" as bound */
	char *auth;		    /* owned: expected Authorization, or NULL */
	struct httpd_table *tables; /* owned */
	struct httpd_req *reqs;	    /* borrowed: list of PENDING/STREAMING */
};

struct httpd_req {
	unsigned magic;
	enum httpd_req_state state;
	struct httpd *h;	   /* borrowed: NULL once detached */
	struct loop *l;		   /* borrowed: the server's loop */
	struct evhttp_request *ev; /* borrowed: libevent's, until detached */
	struct evhttp_connection *conn; /* borrowed: ev's connection, ditto */
	struct event *close_ev;		/* owned: peer-close watch, or NULL */
	enum httpd_method method;
	char *path;		    /* owned: decoded path */
	struct route_params params; /* owned */
	struct route_query query;   /* owned */
	char *body;		    /* owned: NUL-terminated copy, or NULL */
	size_t body_len;
	char peer[80];
	httpd_close_fn *close_fn;
	void *close_arg; /* borrowed: from httpd_req_on_close() */
	uint64_t start_ms;
	bool free_queued;
	struct httpd_req *prev, *next; /* borrowed: h->reqs linkage */
};

static const char *
httpd_method_name(enum httpd_method m)
{
	switch (m) {
	case HTTPD_GET:
		return "GET";
	case HTTPD_POST:
		return "POST";
	case HTTPD_PUT:
		return "PUT";
	case HTTPD_DELETE:
		return "DELETE";
	case HTTPD_PATCH:
		return "PATCH";
	case HTTPD_HEAD:
		return "HEAD";
	case HTTPD_OPTIONS:
		return "OPTIONS";
	}
	return "?";
}

static int
httpd_method_from_ev(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET:
		return HTTPD_GET;
	case EVHTTP_REQ_POST:
		return HTTPD_POST;
	case EVHTTP_REQ_PUT:
		return HTTPD_PUT;
	case EVHTTP_REQ_DELETE:
		return HTTPD_DELETE;
	case EVHTTP_REQ_PATCH:
		return HTTPD_PATCH;
	case EVHTTP_REQ_HEAD:
		return HTTPD_HEAD;
	case EVHTTP_REQ_OPTIONS:
		return HTTPD_OPTIONS;
	default:
		return 0;
	}
}

static void
httpd_req_free(void *p)
{
	struct httpd_req *r = p;

	CD_CHECK_OBJ(r, HTTPD_REQ_MAGIC);
	AZ(r->close_ev);
	free(r->path);
	free(r->body);
	route_params_release(&r->params);
	route_query_release(&r->query);
	CD_FREE_OBJ(r);
}

static void
httpd_req_queue_free(struct httpd_req *r)
{
	if (r->free_queued)
		return;
	r->free_queued = true;
	loop_defer_free(r->l, httpd_req_free, r);
}

static void
httpd_req_unlink(struct httpd_req *r)
{
	if (r->close_ev != NULL) {
		event_free(r->close_ev);
		r->close_ev = NULL;
	}
	if (r->h == NULL)
		return;
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		r->h->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	r->h = NULL;
}

/* The peer went away: detach, tell the owner, and free when allowed. */
static void
httpd_req_closed(struct httpd_req *r)
{
	log_debug("%s %s closed by peer %s before the answer",
		  httpd_method_name(r->method), r->path ? r->path : "-",
		  r->peer);
	httpd_req_unlink(r);
	r->ev = NULL;
	r->conn = NULL;
	r->state = HTTPD_REQ_CLOSED;
	if (r->close_fn != NULL) {
		r->close_fn(r, r->close_arg);
		httpd_req_queue_free(r);
	}
}

/* After the final answer was handed to libevent. */
static void
httpd_req_done(struct httpd_req *r, int code, size_t len)
{
	log_debug("%s %s %d %zu bytes %llu ms peer=%s",
		  httpd_method_name(r->method), r->path ? r->path : "-", code,
		  len, (unsigned long long)(loop_now_ms(r->l) - r->start_ms),
		  r->peer);
	httpd_req_unlink(r);
	r->ev = NULL;
	r->conn = NULL;
	r->state = HTTPD_REQ_DONE;
	httpd_req_queue_free(r);
}

/*
 * Gate for every reply call: true when the request can still be
 * answered. A call on a CLOSED request without a close callback is the
 * owner's last use of it, so it is released then.
 */
static bool
httpd_req_live(struct httpd_req *r)
{
	CD_CHECK_OBJ(r, HTTPD_REQ_MAGIC);
	if (r->state == HTTPD_REQ_CLOSED && r->close_fn == NULL)
		httpd_req_queue_free(r);
	return r->state == HTTPD_REQ_PENDING;
}

static void
httpd_conn_closecb(struct evhttp_connection *conn, void *arg)
{
	struct httpd *h = arg;
	struct httpd_req *r, *next;

	CD_CHECK_OBJ(h, HTTPD_MAGIC);
	for (r = h->reqs; r != NULL; r = next) {
		next = r->next;
		if (r->conn != conn)
			continue;
		/* libevent detaches (and leaves to us) a request whose
		 * connection failed before it was answered; one still
		 * attached is freed along with the connection. */
		if (evhttp_request_get_connection(r->ev) == NULL)
			evhttp_request_free(r->ev);
		httpd_req_closed(r);
		/* The close callback may have answered or closed others. */
		next = h->reqs;
	}
}

static void
httpd_close_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpd_req *r = arg;
	struct evhttp_connection *conn;
	char c;
	ssize_t n;

	CD_CHECK_OBJ(r, HTTPD_REQ_MAGIC);
	if (!(what & EV_CLOSED)) {
		n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n > 0 || (n == -1 && (errno == EAGAIN || errno == EINTR))) {
			/* Pipelined bytes, not a close: stop watching. */
			event_free(r->close_ev);
			r->close_ev = NULL;
			return;
		}
	}
	conn = r->conn;
	httpd_req_closed(r);
	/* Our request is still queued on conn, so this frees it too. */
	evhttp_connection_free(conn);
}

static void
httpd_req_watch_close(struct httpd_req *r)
{
	struct event_base *base = loop_base(r->l);
	struct bufferevent *bev;
	evutil_socket_t fd;
	short what = EV_READ;

	if (r->close_ev != NULL || r->conn == NULL)
		return;
	bev = evhttp_connection_get_bufferevent(r->conn);
	if (bev == NULL || (fd = bufferevent_getfd(bev)) < 0)
		return;
	if (event_base_get_features(base) & EV_FEATURE_EARLY_CLOSE)
		what = EV_CLOSED;
	r->close_ev = event_new(base, fd, what, httpd_close_watch_cb, r);
	AN(r->close_ev);
	event_add(r->close_ev, NULL);
}

/* Constant time, so the password cannot be guessed byte by byte. */
static bool
httpd_auth_ok(const struct httpd *h, const char *got)
{
	size_t i, n = strlen(h->auth);
	unsigned char d = 0;

	if (got == NULL || strlen(got) != n)
		return false;
	for (i = 0; i < n; i++)
		d |= (unsigned char)(got[i] ^ h->auth[i]);
	return d == 0;
}

static void
httpd_dispatch(struct httpd *h, struct httpd_req *r, const char *rawpath)
{
	struct route_path rp;
	struct httpd_table *t;
	size_t i;
	int want = r->method == HTTPD_HEAD ? HTTPD_HEAD | HTTPD_GET : r->method;
	bool path_known = false;
	int rc;

	if ((rc = route_path_parse(rawpath, &rp)) != 0) {
		httpd_reply_error(
		    r, 400, rc == -E2BIG ? "Path too long" : "Invalid path",
		    NULL);
		goto out;
	}
	for (t = h->tables; t != NULL; t = t->next) {
		for (i = 0; i < t->n; i++) {
			const struct httpd_route *rt = &t->routes[i];

			if (!route_match(rt->pattern, &rp, NULL))
				continue;
			path_known = true;
			if (!(rt->methods & want))
				continue;
			route_match(rt->pattern, &rp, &r->params);
			rt->handler(r, t->arg);
			goto out;
		}
	}
	if (path_known)
		httpd_reply_error(r, 405, "Method Not Allowed", NULL);
	else
		httpd_reply_error(r, 404, "Not Found", NULL);
out:
	route_path_release(&rp);
}

static void
httpd_gencb(struct evhttp_request *ev, void *arg)
{
	struct httpd *h = arg;
	struct httpd_req *r;
	const struct evhttp_uri *uri;
	const char *rawpath = NULL, *rawquery = NULL;
	struct evbuffer *in;
	char *addr = NULL;
	ev_uint16_t port = 0;
	size_t n;

	CD_CHECK_OBJ(h, HTTPD_MAGIC);
	CD_ALLOC_OBJ(r, HTTPD_REQ_MAGIC);
	r->h = h;
	r->l = h->l;
	r->ev = ev;
	r->conn = evhttp_request_get_connection(ev);
	r->state = HTTPD_REQ_PENDING;
	r->start_ms = loop_now_ms(h->l);
	r->method = httpd_method_from_ev(evhttp_request_get_command(ev));
	route_params_init(&r->params);
	r->next = h->reqs;
	if (h->reqs != NULL)
		h->reqs->prev = r;
	h->reqs = r;
	if (r->conn != NULL) {
		struct bufferevent *bev =
		    evhttp_connection_get_bufferevent(r->conn);
		int one = 1;

		evhttp_connection_set_closecb(r->conn, httpd_conn_closecb, h);
		evhttp_connection_get_peer(r->conn, &addr, &port);
		/*
		 * Without TCP_NODELAY a reply larger than one segment waits
		 * for the client's delayed ACK (40 ms) on keep-alive
		 * connections. Failure (not TCP) changes nothing.
		 */
		if (bev != NULL)
			(void)setsockopt(bufferevent_getfd(bev), IPPROTO_TCP,
					 TCP_NODELAY, &one, sizeof one);
	}
	(void)snprintf(r->peer, sizeof r->peer, "%s:%u",
		       addr != NULL ? addr : "?", (unsigned)port);

	uri = evhttp_request_get_evhttp_uri(ev);
	if (uri != NULL) {
		rawpath = evhttp_uri_get_path(uri);
		rawquery = evhttp_uri_get_query(uri);
	}
	if (rawpath == NULL || rawpath[0] == '\0')
		rawpath = "/";
	if (route_decode(rawpath, strlen(rawpath), false, &r->path) != 0) {
		r->path = xstrdup(rawpath);
		httpd_reply_error(r, 400, "Invalid path", NULL);
		goto out;
	}
	if (r->method == 0) {
		httpd_reply_error(r, 405, "Method Not Allowed", NULL);
		goto out;
	}
	if (h->auth != NULL &&
	    !httpd_auth_ok(h, httpd_req_header(r, "Authorization"))) {
		httpd_reply_header(r, "WWW-Authenticate",
				   "Basic realm=\"clusterd\"");
		httpd_reply_error(r, 401, "Unauthorized", NULL);
		goto out;
	}
	if (route_query_parse(rawquery, &r->query) != 0) {
		httpd_reply_error(r, 400, "Invalid query string", NULL);
		goto out;
	}
	in = evhttp_request_get_input_buffer(ev);
	n = in != NULL ? evbuffer_get_length(in) : 0;
	if (n > 0) {
		r->body = xmalloc(n + 1);
		evbuffer_copyout(in, r->body, n);
		r->body[n] = '\0';
		r->body_len = n;
	}
	httpd_dispatch(h, r, rawpath);
out:
	if (r->state == HTTPD_REQ_PENDING || r->state == HTTPD_REQ_STREAMING)
		httpd_req_watch_close(r);
}

int
httpd_new(struct loop *l, const char *ip, int port, struct httpd **out,
	  struct cd_err *err)
{
	struct httpd *h;
	struct evhttp_bound_socket *bs;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int rc = 0;

	*out = NULL;
	if (ip == NULL)
		ip = "0.0.0.0";
	if (port < 0 || port > 65535)
		return cd_err_set(err, -EINVAL, "httpd: bad port %d", port);
	CD_ALLOC_OBJ(h, HTTPD_MAGIC);
	h->l = l;
	h->http = evhttp_new(loop_base(l));
	AN(h->http);
	evhttp_set_gencb(h->http, httpd_gencb, h);
	evhttp_set_allowed_methods(
	    h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
			 EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
			 EVHTTP_REQ_HEAD | EVHTTP_REQ_OPTIONS);
	evhttp_set_timeout(h->http, HTTPD_TIMEOUT_S);
	httpd_set_limits(h, HTTPD_DEFAULT_MAX_BODY, HTTPD_DEFAULT_MAX_HEADERS);

	errno = 0;
	bs = evhttp_bind_socket_with_handle(h->http, ip, (ev_uint16_t)port);
	if (bs == NULL) {
		rc = errno != 0 ? -errno : -EADDRNOTAVAIL;
		cd_err_set(err, rc, "httpd: cannot listen on %s:%d: %s", ip,
			   port, strerror(-rc));
		goto fail;
	}
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss,
			&sl) == -1) {
		rc = cd_err_set(err, -errno, "httpd: getsockname: %s",
				strerror(errno));
		goto fail;
	}
	if (ss.ss_family == AF_INET6)
		h->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		h->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	h->addr = strchr(ip, ':') != NULL ? xasprintf("[%s]:%d", ip, h->port)
					  : xasprintf("%s:%d", ip, h->port);
	*out = h;
	return 0;
fail:
	evhttp_free(h->http);
	CD_FREE_OBJ(h);
	return rc;
}

void
httpd_free(struct httpd *h)
{
	struct httpd_table *t, *tn;

	if (h == NULL)
		return;
	CD_CHECK_OBJ(h, HTTPD_MAGIC);
	/* Requests still open see their connection close. */
	while (h->reqs != NULL)
		httpd_req_closed(h->reqs);
	evhttp_free(h->http);
	for (t = h->tables; t != NULL; t = tn) {
		tn = t->next;
		free(t);
	}
	free(h->addr);
	free(h->auth);
	CD_FREE_OBJ(h);
}

int
httpd_port(const struct httpd *h)
{
	return h->port;
}

void
httpd_set_limits(struct httpd *h, size_t max_body, size_t max_headers)
{
	evhttp_set_max_body_size(h->http, (ev_ssize_t)max_body);
	evhttp_set_max_headers_size(h->http, (ev_ssize_t)max_headers);
}

static char *
httpd_base64(const char *s)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), i, o = 0;
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);
	const unsigned char *u = (const unsigned char *)s;

	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = tab[u[i] >> 2];
		out[o++] = tab[(u[i] & 3) << 4 | u[i + 1] >> 4];
		out[o++] = tab[(u[i + 1] & 15) << 2 | u[i + 2] >> 6];
		out[o++] = tab[u[i + 2] & 63];
	}
	if (i < n) {
		out[o++] = tab[u[i] >> 2];
		if (i + 1 < n) {
			out[o++] = tab[(u[i] & 3) << 4 | u[i + 1] >> 4];
			out[o++] = tab[(u[i + 1] & 15) << 2];
		} else {
			out[o++] = tab[(u[i] & 3) << 4];
			out[o++] = '=';
		}
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

void
httpd_set_credentials(struct httpd *h, const char *user_colon_password)
{
	char *b64;

	free(h->auth);
	h->auth = NULL;
	if (user_colon_password == NULL)
		return;
	b64 = httpd_base64(user_colon_password);
	h->auth = xasprintf("Basic %s", b64);
	free(b64);
}

void
httpd_add_routes(struct httpd *h, const struct httpd_route *routes, size_t n,
		 void *arg)
{
	struct httpd_table *t = xcalloc(1, sizeof *t), **pp;

	t->routes = routes;
	t->n = n;
	t->arg = arg;
	for (pp = &h->tables; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = t;
}

enum httpd_method
httpd_req_method(const struct httpd_req *r)
{
	return r->method;
}

const char *
httpd_req_path(const struct httpd_req *r)
{
	return r->path != NULL ? r->path : "/";
}

const char *
httpd_req_param(const struct httpd_req *r, const char *name)
{
	return route_params_get(&r->params, name);
}

const char *
httpd_req_query(const struct httpd_req *r, const char *key)
{
	return route_query_get(&r->query, key);
}

const char *
httpd_req_query_next(const struct httpd_req *r, const char *key, size_t *pos)
{
	return route_query_next(&r->query, key, pos);
}

bool
httpd_req_query_bool(const struct httpd_req *r, const char *key)
{
	const char *v = route_query_get(&r->query, key);

	/* python-marathon sends Python's str(True): "True". */
	return v != NULL && (v[0] == '\0' || strcasecmp(v, "true") == 0 ||
			     strcmp(v, "1") == 0);
}

const char *
httpd_req_header(const struct httpd_req *r, const char *name)
{
	if (r->ev == NULL)
		return NULL;
	return evhttp_find_header(evhttp_request_get_input_headers(r->ev),
				  name);
}

const char *
httpd_req_body(const struct httpd_req *r, size_t *len)
{
	*len = r->body_len;
	return r->body;
}

const char *
httpd_req_peer(const struct httpd_req *r)
{
	return r->peer;
}

const char *
httpd_req_host(const struct httpd_req *r)
{
	const char *host = httpd_req_header(r, "Host");

	if (host != NULL && host[0] != '\0')
		return host;
	return r->h != NULL ? r->h->addr : "";
}

void
httpd_req_on_close(struct httpd_req *r, httpd_close_fn *fn, void *arg)
{
	CD_CHECK_OBJ(r, HTTPD_REQ_MAGIC);
	r->close_fn = fn;
	r->close_arg = arg;
}

void
httpd_reply_header(struct httpd_req *r, const char *name, const char *value)
{
	CD_CHECK_OBJ(r, HTTPD_REQ_MAGIC);
	if (r->state != HTTPD_REQ_PENDING)
		return;
	evhttp_add_header(evhttp_request_get_output_headers(r->ev), name,
			  value);
}

void
httpd_reply(struct httpd_req *r, int code, const char *content_type,
	    const void *body, size_t len)
{
	struct evbuffer *b;
	struct evkeyvalq *hdrs;

	if (!httpd_req_live(r))
		return;
	hdrs = evhttp_request_get_output_headers(r->ev);
	if (content_type != NULL &&
	    evhttp_find_header(hdrs, "Content-Type") == NULL)
		evhttp_add_header(hdrs, "Content-Type", content_type);
	b = evbuffer_new();
	AN(b);
	if (len > 0)
		evbuffer_add(b, body, len);
	evhttp_send_reply(r->ev, code, NULL, b);
	evbuffer_free(b);
	httpd_req_done(r, code, len);
}

void
httpd_reply_json(struct httpd_req *r, int code, json_t *body)
{
	struct buf b = BUF_INIT;

	if (body != NULL) {
		if (json_dump_buf(body, &b) != 0)
			cd_assert_fail("json_dump_buf", __FILE__, __LINE__);
		json_decref(body);
	}
	httpd_reply(r, code, "application/json", b.data, b.len);
	buf_release(&b);
}

void
httpd_reply_error(struct httpd_req *r, int code, const char *message,
		  json_t *details)
{
	json_t *o;

	if (details == NULL || !json_is_array(details)) {
		json_decref(details);
		details = json_array();
	}
	o = json_pack("{s:s, s:o}", "message", message != NULL ? message : "",
		      "details", details);
	AN(o);
	httpd_reply_json(r, code, o);
}

void
httpd_reply_cd_err(struct httpd_req *r, int code, const char *message,
		   const struct cd_err *err)
{
	json_t *details = json_array();

	if (err != NULL && err->path[0] != '\0')
		json_array_append_new(details,
				      json_pack("{s:s, s:[s]}", "path",
						err->path, "errors", err->msg));
	if (message == NULL)
		message =
		    err != NULL && err->msg[0] != '\0' ? err->msg : "Error";
	httpd_reply_error(r, code, message, details);
}

void
httpd_stream_start(struct httpd_req *r, const char *content_type)
{
	struct evkeyvalq *hdrs;

	if (!httpd_req_live(r))
		return;
	hdrs = evhttp_request_get_output_headers(r->ev);
	if (content_type != NULL)
		evhttp_add_header(hdrs, "Content-Type", content_type);
	evhttp_add_header(hdrs, "Cache-Control", "no-cache");
	evhttp_send_reply_start(r->ev, 200, NULL);
	r->state = HTTPD_REQ_STREAMING;
	log_debug("%s %s 200 stream started peer=%s",
		  httpd_method_name(r->method), r->path, r->peer);
}

void
httpd_stream_send(struct httpd_req *r, const void *p, size_t n)
{
	struct evbuffer *b;

	CD_CHECK_OBJ(r, HTTPD_REQ_MAGIC);
	(void)httpd_req_live(r);
	if (r->state != HTTPD_REQ_STREAMING || n == 0)
		return;
	b = evbuffer_new();
	AN(b);
	evbuffer_add(b, p, n);
	evhttp_send_reply_chunk(r->ev, b);
	evbuffer_free(b);
}

size_t
httpd_stream_pending(const struct httpd_req *r)
{
	struct bufferevent *bev;

	CD_CHECK_OBJ(r, HTTPD_REQ_MAGIC);
	if (r->state != HTTPD_REQ_STREAMING || r->conn == NULL)
		return 0;
	bev = evhttp_connection_get_bufferevent(r->conn);
	return bev != NULL ? evbuffer_get_length(bufferevent_get_output(bev))
			   : 0;
}

void
httpd_stream_end(struct httpd_req *r)
{
	CD_CHECK_OBJ(r, HTTPD_REQ_MAGIC);
	(void)httpd_req_live(r);
	if (r->state == HTTPD_REQ_PENDING)
		httpd_stream_start(r, NULL);
	if (r->state != HTTPD_REQ_STREAMING)
		return;
	evhttp_send_reply_end(r->ev);
	httpd_req_done(r, 200, 0);
}
