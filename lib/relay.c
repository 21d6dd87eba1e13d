/*
 * relay.c: owns the relays in flight, one struct relay_call per request
 * being answered by another server. Loop thread only.
 *
 * Design: the upstream request goes out through lib/httpc with on_head and
 * on_data, so the upstream's status and headers are known before its body:
 * an event stream (200, text/event-stream) is started downstream right
 * then and fed chunk by chunk; anything else is collected and answered
 * whole, with the upstream's headers less the hop-by-hop and framing ones.
 * A downstream reader that falls RELAY_MAX_PENDING bytes behind a stream
 * is dropped, as lib/httpd's own event streams drop slow readers. A client
 * that goes away cancels its upstream request; a relay cut (the leader
 * changed) ends streams and answers the others 503.
 */
#include "relay.h"

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG_MOD "relay"
#include "buf.h"
#include "httpc.h"
#include "httpd.h"
#include "log.h"
#include "xalloc.h"

#define RELAY_MAGIC 0x72656c61u
#define RELAY_CALL_MAGIC 0x72656c63u
#define RELAY_TIMEOUT_MS 60000L
#define RELAY_CONNECT_MS 5000L
#define RELAY_MAX_BODY ((size_t)64 * 1024 * 1024)
#define RELAY_MAX_PENDING ((size_t)1024 * 1024)
#define RELAY_VIA "1.1 clusterd"

struct relay_call {
	unsigned magic;
	struct relay *rl;      /* borrowed: the owner */
	struct httpd_req *req; /* borrowed: until answered or closed */
	struct httpc_req *up;  /* borrowed: until done or cancelled */
	char *what;	       /* owned */
	struct buf body;       /* owned: the upstream's body so far */
	char *hdrs;	       /* owned: its header lines */
	size_t hdrs_len;
	int status;
	bool streaming;
	bool too_big;
	LIST_ENTRY(relay_call) link;
};

struct relay {
	unsigned magic;
	struct httpc *hc;	       /* borrowed: outlives the relay */
	LIST_HEAD(, relay_call) calls; /* owned */
	size_t n;
};

static void
relay_call_free(struct relay_call *c)
{
	LIST_REMOVE(c, link);
	c->rl->n--;
	buf_release(&c->body);
	free(c->hdrs);
	free(c->what);
	CD_FREE_OBJ(c);
}

/* Headers that belong to one connection, or that httpd writes itself. */
static bool
relay_hop_header(const char *name, size_t n)
{
	static const char *const hop[] = {
	    "connection",     "keep-alive",	   "transfer-encoding",
	    "content-length", "content-type",	   "date",
	    "server",	      "x-marathon-leader", "proxy-connection",
	    "upgrade",	      "trailer",	   "te",
	};
	size_t i;

	for (i = 0; i < CD_NELEM(hop); i++)
		if (strlen(hop[i]) == n && strncasecmp(name, hop[i], n) == 0)
			return true;
	return false;
}

/* Copy the upstream's end-to-end headers onto the downstream answer. */
static void
relay_copy_headers(struct httpd_req *r, const char *h, size_t len, bool stream)
{
	const char *p = h, *end = h + len, *eol, *colon, *v;
	char *name, *value;

	while (p != NULL && p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon != NULL && colon > p &&
		    !relay_hop_header(p, (size_t)(colon - p)) &&
		    !(stream && (size_t)(colon - p) == 13 &&
		      strncasecmp(p, "cache-control", 13) == 0)) {
			v = colon + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			name = xstrndup(p, (size_t)(colon - p));
			value = xstrndup(v, (size_t)(eol - v));
			value[strcspn(value, "\r")] = '\0';
			httpd_reply_header(r, name, value);
			free(name);
			free(value);
		}
		p = eol + 1;
	}
}

/* The value of header name in the block h (copied into out), or false. */
static bool
relay_header(const char *h, size_t len, const char *name, char *out,
	     size_t outsz)
{
	const char *p = h, *end = h + len, *eol, *v;
	size_t nl = strlen(name), n;

	while (p != NULL && p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) > nl && p[nl] == ':' &&
		    strncasecmp(p, name, nl) == 0) {
			v = p + nl + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			n = (size_t)(eol - v);
			while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == ' '))
				n--;
			if (n >= outsz)
				n = outsz - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return true;
		}
		p = eol + 1;
	}
	return false;
}

static void
relay_unavailable(struct httpd_req *r, const char *what, const char *why)
{
	char *msg =
	    xasprintf("%s cannot be reached (%s); retry later", what, why);

	httpd_reply_error(r, 503, msg, NULL);
	free(msg);
}

/* Downstream went away: nothing to answer, stop the upstream. */
static void
relay_closed_cb(struct httpd_req *r, void *arg)
{
	struct relay_call *c = arg;

	(void)r;
	CD_CHECK_OBJ(c, RELAY_CALL_MAGIC);
	c->req = NULL;
	httpc_cancel(c->up);
	relay_call_free(c);
}

/* End a call early: the stream ends, or a 503 goes (why). */
static void
relay_abort(struct relay_call *c, const char *why)
{
	struct httpd_req *r = c->req;

	c->req = NULL;
	httpc_cancel(c->up);
	if (r != NULL) {
		httpd_req_on_close(r, NULL, NULL);
		if (c->streaming)
			httpd_stream_end(r);
		else
			relay_unavailable(r, c->what, why);
	}
	relay_call_free(c);
}

static void
relay_head_cb(int status, const char *headers, size_t len, void *arg)
{
	struct relay_call *c = arg;
	char ctype[128];

	CD_CHECK_OBJ(c, RELAY_CALL_MAGIC);
	c->status = status;
	if (status != 200 ||
	    !relay_header(headers, len, "Content-Type", ctype, sizeof ctype) ||
	    strncasecmp(ctype, "text/event-stream", 17) != 0) {
		c->hdrs = xstrndup(headers != NULL ? headers : "", len);
		c->hdrs_len = len;
		return;
	}
	relay_copy_headers(c->req, headers, len, true);
	httpd_reply_header(c->req, "Connection", "close");
	if (httpd_stream_start(c->req, ctype) != 0) {
		/* Refused over the cap, and answered 503: httpd frees the
		 * request; its close callback must not run. */
		httpd_req_on_close(c->req, NULL, NULL);
		c->req = NULL;
		httpc_cancel(c->up);
		relay_call_free(c);
		return;
	}
	c->streaming = true;
}

static void
relay_data_cb(const char *p, size_t n, void *arg)
{
	struct relay_call *c = arg;

	CD_CHECK_OBJ(c, RELAY_CALL_MAGIC);
	if (c->req == NULL)
		return;
	if (c->streaming) {
		httpd_stream_send(c->req, p, n);
		if (httpd_stream_pending(c->req) > RELAY_MAX_PENDING) {
			log_warn("relay of %s: the reader is %zu bytes behind; "
				 "dropping it",
				 httpd_req_path(c->req),
				 httpd_stream_pending(c->req));
			relay_abort(c, "slow reader");
		}
		return;
	}
	if (c->body.len + n > RELAY_MAX_BODY) {
		c->too_big = true;
		relay_abort(c, "answer too large");
		return;
	}
	buf_append(&c->body, p, n);
}

static void
relay_done_cb(const struct httpc_resp *resp, void *arg)
{
	struct relay_call *c = arg;
	struct httpd_req *r = c->req;
	char ctype[128];

	CD_CHECK_OBJ(c, RELAY_CALL_MAGIC);
	c->up = NULL;
	c->req = NULL;
	if (r == NULL) {
		relay_call_free(c);
		return;
	}
	httpd_req_on_close(r, NULL, NULL);
	if (c->streaming) {
		httpd_stream_end(r);
	} else if (resp->status == 0) {
		relay_unavailable(r, c->what,
				  resp->err != NULL ? resp->err->msg : "error");
	} else {
		if (c->hdrs == NULL && resp->headers != NULL) {
			c->hdrs = xstrndup(resp->headers, resp->headers_len);
			c->hdrs_len = resp->headers_len;
		}
		if (c->hdrs == NULL ||
		    !relay_header(c->hdrs, c->hdrs_len, "Content-Type", ctype,
				  sizeof ctype))
			ctype[0] = '\0';
		if (c->hdrs != NULL)
			relay_copy_headers(r, c->hdrs, c->hdrs_len, false);
		httpd_reply(r, resp->status, ctype[0] ? ctype : NULL,
			    c->body.data, c->body.len);
	}
	relay_call_free(c);
}

void
relay_forward(struct relay *rl, struct httpd_req *r, const char *base,
	      const char *what)
{
	struct httpc_opts o = {0};
	struct relay_call *c;
	const char *hdr[8];
	char *owned[8];
	const char *v, *accept = httpd_req_header(r, "Accept");
	static const char *const pass[] = {"Accept", "Authorization",
					   "Last-Event-ID", "If-None-Match"};
	char *url;
	size_t i, n = 0, blen = 0;

	CD_CHECK_OBJ(rl, RELAY_MAGIC);
	CD_ALLOC_OBJ(c, RELAY_CALL_MAGIC);
	c->rl = rl;
	c->req = r;
	c->what = xstrdup(what);
	buf_init(&c->body);
	LIST_INSERT_HEAD(&rl->calls, c, link);
	rl->n++;
	for (i = 0; i < CD_NELEM(pass); i++)
		if ((v = httpd_req_header(r, pass[i])) != NULL)
			owned[n++] = xasprintf("%s: %s", pass[i], v);
	v = httpd_req_peer(r);
	owned[n++] =
	    xasprintf("X-Forwarded-For: %.*s",
		      (int)(strrchr(v, ':') != NULL ? strrchr(v, ':') - v
						    : (ptrdiff_t)strlen(v)),
		      v);
	owned[n++] = xstrdup("Via: " RELAY_VIA);
	for (i = 0; i < n; i++)
		hdr[i] = owned[i];
	hdr[n] = NULL;
	url = xasprintf("%s%s", base, httpd_req_target(r));
	o.method = httpd_method_name(httpd_req_method(r));
	o.url = url;
	o.body = httpd_req_body(r, &blen);
	o.body_len = blen;
	o.content_type = httpd_req_header(r, "Content-Type");
	o.headers = hdr;
	o.on_head = relay_head_cb;
	o.on_data = relay_data_cb;
	o.connect_timeout_ms = RELAY_CONNECT_MS;
	/* An event stream lasts as long as its client wants it. */
	o.timeout_ms =
	    accept != NULL && strstr(accept, "text/event-stream") != NULL
		? -1
		: RELAY_TIMEOUT_MS;
	httpd_req_on_close(r, relay_closed_cb, c);
	c->up = httpc_request(rl->hc, &o, relay_done_cb, c);
	log_debug("relaying %s %s to %s", o.method, httpd_req_target(r), base);
	for (i = 0; i < n; i++)
		free(owned[i]);
	free(url);
}

bool
relay_looped(const struct httpd_req *r)
{
	const char *via = httpd_req_header(r, "Via");

	return via != NULL && strstr(via, "clusterd") != NULL;
}

struct relay *
relay_new(struct httpc *hc)
{
	struct relay *rl;

	CD_ALLOC_OBJ(rl, RELAY_MAGIC);
	rl->hc = hc;
	LIST_INIT(&rl->calls);
	return rl;
}

void
relay_cut(struct relay *rl)
{
	struct relay_call *c;

	CD_CHECK_OBJ(rl, RELAY_MAGIC);
	while ((c = LIST_FIRST(&rl->calls)) != NULL)
		relay_abort(c, "the leader changed");
}

void
relay_free(struct relay *rl)
{
	if (rl == NULL)
		return;
	relay_cut(rl);
	CD_FREE_OBJ(rl);
}

size_t
relay_count(const struct relay *rl)
{
	return rl->n;
}
