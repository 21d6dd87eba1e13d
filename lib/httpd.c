/*
 * httpd.c: the HTTP server's configuration, route tables, requests and
 * replies. httpd_conn.c owns the connections and turns bytes into requests
 * (httpd_listen.c the listening socket);
 * this file owns one struct httpd_req per request from then on. Loop
 * thread only.
 *
 * Design: one function (httpd_serve) checks the agent-secret guard, then
 * the basic-auth credentials (httpd_gate.c), shows the request to the
 * filter if one is set, matches the decoded path against the route
 * tables in order (lib/route), answers 404/405/400/401 itself with
 * Marathon's error shape, and otherwise hands the request to the handler.
 *
 * Request lifetime. Ours is in one of four states:
 *   PENDING    handler called, no answer yet;
 *   HELD       answered, the answer kept until what it reports is
 *              durable (the barrier of httpd_gate.c);
 *   STREAMING  a chunked answer was started;
 *   DONE       answered; the connection has moved on, ours is released
 *              with loop_defer_free() (the caller may still hold it on its
 *              stack, STYLE B17);
 *   CLOSED     the peer went away first: the close callback (if any) ran,
 *              every later call on the request is a no-op. With a close
 *              callback, ours is freed on the next iteration; without one
 *              (the handler cannot know), it lives until it is answered.
 * The connection keeps reading while a request waits for its answer, so
 * a peer that hangs up on a long poll or an idle stream is noticed.
 *
 * Call cycle: httpd_conn.c and httpd_gate.c, the other parts of this
 * module (httpd_int.h).
 */
#include "httpd.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#define LOG_MOD "httpd"
#include "blob.h"
#include "buf.h"
#include "http1.h"
#include "httpd_int.h"
#include "id.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "route.h"
#include "xalloc.h"

#define HTTPD_REQ_MAGIC 0x48745271u

const char *
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

/* 0 for a method clusterd does not serve (TRACE, CONNECT). */
static enum httpd_method
httpd_method_parse(const char *m)
{
	static const enum httpd_method all[] = {
	    HTTPD_GET,	 HTTPD_POST, HTTPD_PUT,	    HTTPD_DELETE,
	    HTTPD_PATCH, HTTPD_HEAD, HTTPD_OPTIONS,
	};
	size_t i;

	for (i = 0; i < CD_NELEM(all); i++)
		if (strcmp(m, httpd_method_name(all[i])) == 0)
			return all[i];
	return 0;
}

const char *
httpd_date(struct httpd *h)
{
	time_t now = time(NULL);
	struct tm tm;

	if ((long long)now != h->date_sec && gmtime_r(&now, &tm) != NULL &&
	    strftime(h->date, sizeof h->date, "%a, %d %b %Y %H:%M:%S GMT",
		     &tm) > 0)
		h->date_sec = (long long)now;
	return h->date;
}

void
httpd_error_body(struct buf *b, const char *msg)
{
	json_t *o = json_pack("{s:s, s:[]}", "message", msg, "details");

	/* A message that is not UTF-8 cannot be packed: say less. */
	if (o == NULL)
		o = json_pack("{s:s, s:[]}", "message", "Error", "details");
	AN(o);
	if (json_dump_buf(o, b) != 0)
		cd_assert_fail("json_dump_buf", __FILE__, __LINE__);
	json_decref(o);
}

static void
httpd_req_free(void *p)
{
	struct httpd_req *r = p;

	CD_CHECK_OBJ(r, HTTPD_REQ_MAGIC);
	http1_req_release(&r->hr);
	free(r->path);
	free(r->body);
	free(r->hold_ctype);
	free(r->hold_body);
	buf_release(&r->out);
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

void
httpd_req_closed(struct httpd_req *r)
{
	CD_CHECK_OBJ(r, HTTPD_REQ_MAGIC);
	log_debug("%s %s closed by peer %s before the answer",
		  httpd_method_name(r->method), r->path ? r->path : "-",
		  r->peer);
	if (r->state == HTTPD_REQ_STREAMING && r->h != NULL)
		r->h->nstreams--;
	if (r->state == HTTPD_REQ_HELD) {
		/* Answered already: no owner will touch it again. */
		httpd_gate_drop(r);
		r->conn = NULL;
		r->h = NULL;
		r->state = HTTPD_REQ_CLOSED;
		httpd_req_queue_free(r);
		return;
	}
	r->conn = NULL;
	r->h = NULL;
	r->state = HTTPD_REQ_CLOSED;
	if (r->close_fn != NULL) {
		r->close_fn(r, r->close_arg);
		httpd_req_queue_free(r);
	}
}

/* After the final answer was handed to the connection. */
static void
httpd_req_done(struct httpd_req *r, int code, size_t len)
{
	log_debug("%s %s %d %zu bytes %llu ms peer=%s",
		  httpd_method_name(r->method), r->path ? r->path : "-", code,
		  len, (unsigned long long)(loop_now_ms(r->l) - r->start_ms),
		  r->peer);
	if (r->state == HTTPD_REQ_STREAMING && r->h != NULL)
		r->h->nstreams--;
	r->conn = NULL;
	r->h = NULL;
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
httpd_dispatch(struct httpd *h, struct httpd_req *r,
	       const struct route_path *rp)
{
	struct httpd_table *t;
	size_t i;
	int want = r->method == HTTPD_HEAD ? HTTPD_HEAD | HTTPD_GET : r->method;
	bool path_known = false;

	for (t = h->tables; t != NULL; t = t->next) {
		for (i = 0; i < t->n; i++) {
			const struct httpd_route *rt = &t->routes[i];

			if (!route_match(rt->pattern, rp, NULL))
				continue;
			path_known = true;
			if (!(rt->methods & want))
				continue;
			route_match(rt->pattern, rp, &r->params);
			r->pattern = rt->pattern;
			rt->handler(r, t->arg);
			return;
		}
	}
	if (path_known)
		httpd_reply_error(r, 405, "Method Not Allowed", NULL);
	else
		httpd_reply_error(r, 404, "Not Found", NULL);
}

struct httpd_req *
httpd_req_new(struct httpd *h, struct httpd_conn *conn, const char *peer,
	      struct http1_req *hr, char *body, size_t body_len)
{
	struct httpd_req *r;

	CD_ALLOC_OBJ(r, HTTPD_REQ_MAGIC);
	r->h = h;
	r->l = h->l;
	r->conn = conn;
	r->state = HTTPD_REQ_PENDING;
	r->start_ms = loop_now_ms(h->l);
	r->hr = *hr;
	memset(hr, 0, sizeof *hr);
	r->method = httpd_method_parse(r->hr.method);
	r->body = body;
	r->body_len = body_len;
	route_params_init(&r->params);
	(void)snprintf(r->peer, sizeof r->peer, "%s", peer);
	return r;
}

void
httpd_serve(struct httpd *h, struct httpd_req *r)
{
	struct route_path rp = {0};
	const char *target = r->hr.target, *q = strchr(target, '?');
	char *rawpath =
	    xstrndup(target, q != NULL ? (size_t)(q - target) : strlen(target));
	int rc;

	if (route_decode(rawpath, strlen(rawpath), false, &r->path) != 0) {
		r->path = xstrdup(rawpath);
		httpd_reply_error(r, 400, "Invalid path", NULL);
		goto out;
	}
	if ((rc = route_path_parse(rawpath, &rp)) != 0) {
		httpd_reply_error(
		    r, 400, rc == -E2BIG ? "Path too long" : "Invalid path",
		    NULL);
		goto out;
	}
	if (r->method == 0) {
		httpd_reply_error(r, 405, "Method Not Allowed", NULL);
		goto out;
	}
	if (!httpd_gate_admit(h, r, &rp))
		goto out;
	if (route_query_parse(q != NULL ? q + 1 : NULL, &r->query) != 0) {
		httpd_reply_error(r, 400, "Invalid query string", NULL);
		goto out;
	}
	if (h->filter != NULL && h->filter(r, h->filter_arg))
		goto out;
	httpd_dispatch(h, r, &rp);
out:
	route_path_release(&rp);
	free(rawpath);
}

int
httpd_new(struct loop *l, const char *ip, int port, struct httpd **out,
	  struct cd_err *err)
{
	struct httpd *h;
	int rc;

	*out = NULL;
	if (ip == NULL)
		ip = "0.0.0.0";
	if (port < 0 || port > 65535)
		return cd_err_set(err, -EINVAL, "httpd: bad port %d", port);
	CD_ALLOC_OBJ(h, HTTPD_MAGIC);
	h->l = l;
	LIST_INIT(&h->conns);
	LIST_INIT(&h->held);
	h->max_body = HTTPD_DEFAULT_MAX_BODY;
	h->max_headers = HTTPD_DEFAULT_MAX_HEADERS;
	h->request_ms = HTTPD_DEFAULT_REQUEST_MS;
	h->idle_ms = HTTPD_DEFAULT_IDLE_MS;
	h->max_conns = HTTPD_DEFAULT_MAX_CONNS;
	h->max_streams = HTTPD_DEFAULT_MAX_STREAMS;
	h->accept_log = (struct ratelog)RATELOG_INIT(10000);
	h->reject_log = (struct ratelog)RATELOG_INIT(10000);
	h->refuse_log = (struct ratelog)RATELOG_INIT(10000);
	if ((rc = httpd_conn_listen(h, ip, port, err)) != 0) {
		httpd_free(h);
		return rc;
	}
	h->addr = strchr(ip, ':') != NULL ? xasprintf("[%s]:%d", ip, h->port)
					  : xasprintf("%s:%d", ip, h->port);
	*out = h;
	return 0;
}

void
httpd_free(struct httpd *h)
{
	struct httpd_table *t, *tn;
	size_t i;

	if (h == NULL)
		return;
	CD_CHECK_OBJ(h, HTTPD_MAGIC);
	/* Requests still open see their connection close. */
	httpd_conn_shutdown(h);
	httpd_gate_release(h);
	for (t = h->tables; t != NULL; t = tn) {
		tn = t->next;
		free(t);
	}
	for (i = 0; i < h->nexempt; i++)
		free(h->exempt[i]);
	free(h->exempt);
	free(h->guard_pattern);
	free(h->guard_header);
	free(h->guard_secret);
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
	h->max_body = max_body;
	h->max_headers = max_headers;
}

void
httpd_set_timeouts(struct httpd *h, uint64_t request_ms, uint64_t idle_ms)
{
	if (request_ms > 0)
		h->request_ms = request_ms;
	if (idle_ms > 0)
		h->idle_ms = idle_ms;
}

void
httpd_set_caps(struct httpd *h, size_t max_conns, size_t max_streams)
{
	if (max_conns > 0)
		h->max_conns = max_conns;
	if (max_streams > 0)
		h->max_streams = max_streams;
}

const char *
httpd_scheme(const struct httpd *h)
{
	return h != NULL && h->tls != NULL ? "https" : "http";
}

void
httpd_set_tls(struct httpd *h, struct tls *tls)
{
	h->tls = tls;
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

void
httpd_remove_routes(struct httpd *h, void *arg)
{
	struct httpd_table **pp = &h->tables, *t;

	while ((t = *pp) != NULL) {
		if (t->arg == arg) {
			*pp = t->next;
			free(t);
		} else {
			pp = &t->next;
		}
	}
}

void
httpd_set_filter(struct httpd *h, httpd_filter_fn *fn, void *arg)
{
	h->filter = fn;
	h->filter_arg = arg;
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
httpd_req_target(const struct httpd_req *r)
{
	return r->hr.target != NULL ? r->hr.target : "/";
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
	return http1_req_header(&r->hr, name);
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
httpd_req_scheme(const struct httpd_req *r)
{
	return httpd_scheme(r->h);
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

bool
httpd_req_gone(struct httpd_req *r)
{
	CD_CHECK_OBJ(r, HTTPD_REQ_MAGIC);
	if (r->state == HTTPD_REQ_CLOSED)
		return true;
	if (r->state != HTTPD_REQ_PENDING || r->conn == NULL ||
	    !httpd_conn_peer_gone(r->conn))
		return false;
	httpd_conn_drop(r->conn); /* r is CLOSED now, its callback ran */
	return true;
}

bool
httpd_req_accepts_gzip(const struct httpd_req *r)
{
	const char *v = httpd_req_header(r, "Accept-Encoding");

	return v != NULL && http1_coding_accepted(v, "gzip", "x-gzip");
}

void
httpd_reply_header(struct httpd_req *r, const char *name, const char *value)
{
	const char *p;

	CD_CHECK_OBJ(r, HTTPD_REQ_MAGIC);
	if (r->state != HTTPD_REQ_PENDING)
		return;
	/* A CR or LF would let a value (a Host echoed in a Location, say)
	 * add headers of its own. */
	for (p = value; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			return;
	if (strpbrk(name, "\r\n: ") != NULL || name[0] == '\0')
		return;
	if (strcasecmp(name, "Content-Length") == 0 ||
	    strcasecmp(name, "Transfer-Encoding") == 0)
		return; /* framing is ours */
	if (strcasecmp(name, "Content-Type") == 0)
		r->has_ctype = true;
	if (strcasecmp(name, "Connection") == 0) {
		if (strcasecmp(value, "close") != 0)
			return;
		r->close_after = true;
	}
	buf_printf(&r->out, "%s: %s\r\n", name, value);
}

void
httpd_req_send(struct httpd_req *r, int code, const char *content_type,
	       const void *body, size_t len)
{
	httpd_conn_answer(r->conn, r, code, content_type, body, len, NULL,
			  false);
	httpd_req_done(r, code, len);
}

void
httpd_reply(struct httpd_req *r, int code, const char *content_type,
	    const void *body, size_t len)
{
	if (!httpd_req_live(r))
		return;
	if (httpd_gate_hold(r, code, content_type, body, len))
		return;
	httpd_req_send(r, code, content_type, body, len);
}

void
httpd_reply_redirect(struct httpd_req *r, int code, const char *location)
{
	httpd_reply_header(r, "Location", location);
	httpd_reply(r, code, "text/plain", "", 0);
}

void
httpd_reply_blob(struct httpd_req *r, int code, const char *content_type,
		 struct blob *body)
{
	size_t len = blob_len(body);

	if (!httpd_req_live(r))
		return;
	/* Held until durable: a copy of the bytes, not a reference. */
	if (httpd_gate_hold(r, code, content_type, blob_data(body), len))
		return;
	httpd_conn_answer(r->conn, r, code, content_type, NULL, len, body,
			  false);
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

/* A stream refused over the cap: tell its owner, then free it. */
static void
httpd_stream_refused_cb(void *arg)
{
	struct httpd_req *r = arg;

	CD_CHECK_OBJ(r, HTTPD_REQ_MAGIC);
	if (r->close_fn != NULL)
		r->close_fn(r, r->close_arg);
	httpd_req_free(r);
}

int
httpd_stream_start(struct httpd_req *r, const char *content_type)
{
	struct httpd *h;

	if (!httpd_req_live(r))
		return -ENOTCONN;
	h = r->h;
	if (h->nstreams >= h->max_streams) {
		struct buf b = BUF_INIT;
		unsigned long n = 0;

		if (ratelog_allow(&h->refuse_log, loop_now_ms(h->l), &n))
			log_warn("%s %s from %s: %zu streams, the cap: "
				 "refused with 503 (%lu similar messages "
				 "suppressed)",
				 httpd_method_name(r->method), r->path, r->peer,
				 h->nstreams, n);
		httpd_error_body(&b, "Too many event streams: the server's "
				     "cap is reached");
		httpd_conn_answer(r->conn, r, 503, "application/json", b.data,
				  b.len, NULL, false);
		buf_release(&b);
		r->conn = NULL;
		r->h = NULL;
		if (r->close_fn == NULL) {
			r->state = HTTPD_REQ_DONE;
			httpd_req_queue_free(r);
			return -EBUSY;
		}
		/* The owner hears of it as of a peer that went away, from
		 * the loop; nothing else may free the request meanwhile. */
		r->state = HTTPD_REQ_CLOSED;
		r->free_queued = true;
		loop_defer(r->l, httpd_stream_refused_cb, r);
		return -EBUSY;
	}
	httpd_reply_header(r, "Cache-Control", "no-cache");
	httpd_conn_answer(r->conn, r, 200, content_type, NULL, 0, NULL, true);
	r->state = HTTPD_REQ_STREAMING;
	h->nstreams++;
	log_debug("%s %s 200 stream started peer=%s",
		  httpd_method_name(r->method), r->path, r->peer);
	return 0;
}

void
httpd_stream_send(struct httpd_req *r, const void *p, size_t n)
{
	CD_CHECK_OBJ(r, HTTPD_REQ_MAGIC);
	(void)httpd_req_live(r);
	if (r->state != HTTPD_REQ_STREAMING || n == 0)
		return;
	httpd_conn_chunk(r->conn, p, n);
}

size_t
httpd_stream_pending(const struct httpd_req *r)
{
	CD_CHECK_OBJ(r, HTTPD_REQ_MAGIC);
	if (r->state != HTTPD_REQ_STREAMING || r->conn == NULL)
		return 0;
	return httpd_conn_pending(r->conn);
}

void
httpd_stream_end(struct httpd_req *r)
{
	CD_CHECK_OBJ(r, HTTPD_REQ_MAGIC);
	(void)httpd_req_live(r);
	if (r->state == HTTPD_REQ_PENDING)
		(void)httpd_stream_start(r, NULL);
	if (r->state != HTTPD_REQ_STREAMING)
		return;
	httpd_conn_stream_end(r->conn);
	httpd_req_done(r, 200, 0);
}
