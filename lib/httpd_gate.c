/*
 * httpd_gate.c: what stands between a request and its handler, and
 * between an answer and the wire. Before routing: the agent-secret guard
 * and the basic-auth credentials (httpd_gate_admit). After the handler:
 * the durability barrier (httpd_set_durable), which holds an answer until
 * the store's writes made before it are durable. Part of lib/httpd
 * (httpd_int.h); loop thread only.
 *
 * The barrier is generic on purpose: every handler that writes and then
 * answers (the Marathon API's writes, the master's acknowledgements of
 * registrations and status updates) gets "a 2xx only after ZooKeeper
 * committed" without a line of its own. The answer is built as usual and
 * copied aside (state HELD, on h->held); it waits for the sequence number
 * the durable interface names at the moment it was given, which covers
 * the request's own writes and any before them. Reads wait too when writes
 * are pending, so no answer shows state that a failover could still take
 * back. A held answer whose wait fails becomes a 503 with Marathon's body
 * (its own headers, a Location say, are dropped with it). A peer that
 * goes away meanwhile cancels the wait (httpd_gate_drop).
 *
 * Call cycle: httpd.c, httpd_conn.c, the other parts of this module
 * (httpd_int.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "httpd"
#include "buf.h"
#include "durable.h"
#include "httpd.h"
#include "httpd_int.h"
#include "id.h"
#include "log.h"
#include "loop.h"
#include "ratelog.h"
#include "route.h"
#include "xalloc.h"

#define HTTPD_GATE_503                                                         \
	"the change could not be made durable: this master is not the "        \
	"leader any more, or lost ZooKeeper; retry with the leader"

static bool
httpd_exempt(const struct httpd *h, const struct route_path *rp)
{
	size_t i;

	for (i = 0; i < h->nexempt; i++)
		if (route_match(h->exempt[i], rp, NULL))
			return true;
	return false;
}

bool
httpd_gate_admit(struct httpd *h, struct httpd_req *r,
		 const struct route_path *rp)
{
	if (h->guard_secret != NULL &&
	    route_match(h->guard_pattern, rp, NULL)) {
		/* Before the body is looked at, whatever it holds. */
		if (!id_secret_equal(h->guard_secret,
				     httpd_req_header(r, h->guard_header))) {
			unsigned long n = 0;

			if (ratelog_allow(&h->refuse_log, loop_now_ms(h->l),
					  &n))
				log_warn("refused %s %s from %s: missing or "
					 "wrong agent secret (%lu similar "
					 "messages suppressed)",
					 httpd_method_name(r->method), r->path,
					 r->peer, n);
			httpd_reply_error(r, 401, "invalid agent secret", NULL);
			return false;
		}
	} else if (h->auth != NULL && !httpd_exempt(h, rp) &&
		   !id_secret_equal(h->auth,
				    httpd_req_header(r, "Authorization"))) {
		httpd_reply_header(r, "WWW-Authenticate",
				   "Basic realm=\"clusterd\"");
		httpd_reply_error(r, 401, "Unauthorized", NULL);
		return false;
	}
	return true;
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
httpd_set_credentials(struct httpd *h, const char *user_colon_password,
		      const char *const *exempt)
{
	char *b64;
	size_t i;

	free(h->auth);
	h->auth = NULL;
	for (i = 0; i < h->nexempt; i++)
		free(h->exempt[i]);
	free(h->exempt);
	h->exempt = NULL;
	h->nexempt = 0;
	if (user_colon_password == NULL)
		return;
	b64 = httpd_base64(user_colon_password);
	h->auth = xasprintf("Basic %s", b64);
	free(b64);
	for (i = 0; exempt != NULL && exempt[i] != NULL; i++)
		;
	h->exempt = xcalloc(i + 1, sizeof *h->exempt);
	for (h->nexempt = 0; h->nexempt < i; h->nexempt++)
		h->exempt[h->nexempt] = xstrdup(exempt[h->nexempt]);
}

void
httpd_set_guard(struct httpd *h, const char *pattern, const char *header,
		const char *secret)
{
	free(h->guard_pattern);
	free(h->guard_header);
	free(h->guard_secret);
	h->guard_pattern = h->guard_header = h->guard_secret = NULL;
	if (secret == NULL)
		return;
	h->guard_pattern = xstrdup(pattern);
	h->guard_header = xstrdup(header);
	h->guard_secret = xstrdup(secret);
}

/* ---- the durability barrier ---- */

/* Take r off the held list and answer it: what it gave, or a 503. */
static void
httpd_gate_release_one(struct httpd_req *r, int rc)
{
	struct buf b = BUF_INIT;

	LIST_REMOVE(r, hold_link);
	r->state = HTTPD_REQ_PENDING;
	if (rc == 0) {
		httpd_req_send(r, r->hold_code, r->hold_ctype, r->hold_body,
			       r->hold_len);
		return;
	}
	log_warn("%s %s peer=%s: answering 503, not %d: %s",
		 httpd_method_name(r->method), r->path ? r->path : "-", r->peer,
		 r->hold_code, HTTPD_GATE_503);
	buf_reset(&r->out);
	r->has_ctype = false;
	httpd_error_body(&b, HTTPD_GATE_503);
	httpd_req_send(r, 503, "application/json", b.data, b.len);
	buf_release(&b);
}

static void
httpd_gate_durable_cb(uint64_t seq, int rc, void *arg)
{
	struct httpd_req *r = arg;

	(void)seq;
	if (r->state != HTTPD_REQ_HELD)
		return;
	httpd_gate_release_one(r, rc);
}

bool
httpd_gate_hold(struct httpd_req *r, int code, const char *content_type,
		const void *body, size_t len)
{
	struct httpd *h = r->h;
	uint64_t seq;

	if (h == NULL || h->dur.pending == NULL)
		return false;
	seq = h->dur.pending(h->dur.ctx);
	if (seq == 0)
		return false;
	r->hold_code = code;
	r->hold_ctype = content_type != NULL ? xstrdup(content_type) : NULL;
	r->hold_body = xmalloc(len + 1);
	if (len > 0)
		memcpy(r->hold_body, body, len);
	r->hold_len = len;
	r->state = HTTPD_REQ_HELD;
	LIST_INSERT_HEAD(&h->held, r, hold_link);
	if (h->dur.wait(h->dur.ctx, seq, httpd_gate_durable_cb, r) != 0)
		httpd_gate_release_one(r, -EIO);
	return true;
}

void
httpd_gate_drop(struct httpd_req *r)
{
	struct httpd *h = r->h;

	LIST_REMOVE(r, hold_link);
	if (h != NULL && h->dur.forget != NULL)
		h->dur.forget(h->dur.ctx, r);
}

void
httpd_gate_release(struct httpd *h)
{
	struct httpd_req *r;

	while ((r = LIST_FIRST(&h->held)) != NULL) {
		if (h->dur.forget != NULL)
			h->dur.forget(h->dur.ctx, r);
		httpd_gate_release_one(r, -ECANCELED);
	}
}

void
httpd_set_durable(struct httpd *h, const struct durable *d)
{
	httpd_gate_release(h);
	if (d != NULL)
		h->dur = *d;
	else
		memset(&h->dur, 0, sizeof h->dur);
}

size_t
httpd_held(const struct httpd *h)
{
	const struct httpd_req *r;
	size_t n = 0;

	LIST_FOREACH(r, &h->held, hold_link)
		n++;
	return n;
}
