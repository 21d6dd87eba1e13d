/*
 * httpc.c: asynchronous HTTP client. Owns HTTPC_SHARDS curl multi
 * handles per struct httpc (a peer always uses the same one; see
 * httpc_int.h for why there are several), the libevent events for curl's
 * sockets and timers, and the requests in flight. Loop thread only.
 *
 * Design: curl's multi_socket API driven by the loop (the hiperfifo
 * pattern): CURLMOPT_SOCKETFUNCTION keeps one persistent event per socket
 * curl cares about, CURLMOPT_TIMERFUNCTION one timer per multi; both call
 * curl_multi_socket_action() and then collect that multi's finished
 * transfers.
 *
 * Re-entrancy rules, because user callbacks may start, cancel or free:
 *  - done callbacks never run inside curl: finished transfers are first
 *    collected from curl_multi_info_read() into a local batch (state
 *    DONE), then called one by one; a request cancelled meanwhile is
 *    skipped, and if the client is freed the rest of the batch is dropped.
 *  - on_data runs inside curl, where curl forbids adding or removing
 *    handles: requests started or cancelled then are only marked and put
 *    on a short sweep list, handled right after curl_multi_socket_action()
 *    returns. Only those are walked there, never every request in flight
 *    (thousands, when a master launches a burst of tasks), so the work
 *    after a socket event is O(marked + completed).
 *  - a request that cannot start is answered through loop_defer(), never
 *    from inside httpc_request().
 *  - httpc_free() while any of this is on the stack only marks the client
 *    dead; the outermost frame frees it.
 *
 * httpc_easy.c (sharing httpc_int.h) sets up each request's easy handle
 * from its options and holds the callbacks that collect the response.
 */
#include "httpc_int.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "buf.h"
#include "fault.h"
#include "loop.h"
#include "xalloc.h"

#define HTTPC_SOCK_MAGIC 0x48745343u
#define HTTPC_SHARD_MAGIC 0x48745348u
#define HTTPC_MAX_IDLE_DEFAULT 32768L

struct httpc_sock {
	unsigned magic;
	struct httpc_shard *sh; /* borrowed: the multi it belongs to */
	curl_socket_t fd;
	struct event *ev;		/* owned */
	struct httpc_sock *prev, *next; /* borrowed: c->socks linkage */
};

static void httpc_check_done(struct httpc_shard *sh);

/*
 * The size of curl's connection caches, all shards together: half the
 * descriptor limit, at least 64. Left at curl's default (four times the
 * transfers in flight), a master whose ping round has just ended keeps
 * one idle connection per agent in a cache sized for the few transfers
 * still running, and curl evicts by scanning every cached connection for
 * the oldest on each transfer that ends: at 10,000 agents that scan cost
 * an idle master a fifth of a core (61 % -> 41 %; the shards took the
 * rest down to 5 %). A cache that fits one connection per peer never
 * scans; a smaller one (fewer descriptors than agents) scans only when a
 * new connection joins a full cache. The other half of the descriptors
 * is the servers' (cmd_listen_max_conns takes a third per port, so the
 * two can meet only near both limits).
 */
static long
httpc_max_idle(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY)
		return HTTPC_MAX_IDLE_DEFAULT;
	if (rl.rlim_cur / 2 < 64)
		return 64;
	return rl.rlim_cur / 2 > LONG_MAX ? LONG_MAX : (long)(rl.rlim_cur / 2);
}

/* Mark r for the sweep after curl returns (r->c is set). */
static void
httpc_sweep_push(struct httpc_req *r)
{
	struct httpc *c = r->c;

	if (r->on_sweep)
		return;
	r->on_sweep = true;
	r->sprev = NULL;
	r->snext = c->sweep;
	if (c->sweep != NULL)
		c->sweep->sprev = r;
	c->sweep = r;
}

static void
httpc_sweep_remove(struct httpc_req *r)
{
	struct httpc *c = r->c;

	if (!r->on_sweep)
		return;
	if (r->sprev != NULL)
		r->sprev->snext = r->snext;
	else
		c->sweep = r->snext;
	if (r->snext != NULL)
		r->snext->sprev = r->sprev;
	r->sprev = r->snext = NULL;
	r->on_sweep = false;
}

static void
httpc_req_unlink(struct httpc_req *r)
{
	struct httpc *c = r->c;

	if (c == NULL)
		return;
	httpc_sweep_remove(r);
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		c->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	r->c = NULL;
}

static void
httpc_req_destroy(struct httpc_req *r)
{
	if (r->easy != NULL) {
		if (r->state == HTTPC_REQ_ACTIVE && r->c != NULL)
			curl_multi_remove_handle(r->shard->multi, r->easy);
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
	}
	httpc_req_unlink(r);
	curl_slist_free_all(r->headers);
	free(r->body);
	buf_release(&r->resp);
	buf_release(&r->hdrs);
	CD_FREE_OBJ(r);
}

static void
httpc_destroy(struct httpc *c)
{
	struct httpc_sock *s, *sn;
	size_t i;

	while (c->reqs != NULL)
		httpc_req_destroy(c->reqs);
	for (i = 0; i < HTTPC_SHARDS; i++)
		curl_multi_cleanup(c->shards[i].multi);
	for (s = c->socks; s != NULL; s = sn) {
		sn = s->next;
		event_free(s->ev);
		CD_FREE_OBJ(s);
	}
	for (i = 0; i < HTTPC_SHARDS; i++)
		event_free(c->shards[i].timer);
	free(c->ca_file);
	free(c->secret_prefix);
	free(c->secret_line);
	CD_FREE_OBJ(c);
}

/* Leave one of our frames; free the client if it died meanwhile. */
static void
httpc_unbusy(struct httpc *c)
{
	if (--c->busy == 0 && c->dead)
		httpc_destroy(c);
}

static void
httpc_fail_cb(void *arg)
{
	struct httpc_req *r = arg;
	struct httpc *c;
	struct httpc_resp resp;

	CD_CHECK_OBJ(r, HTTPC_REQ_MAGIC);
	c = r->c; /* NULL when the client was freed meanwhile */
	if (r->cancelled) {
		httpc_req_destroy(r);
		return;
	}
	memset(&resp, 0, sizeof resp);
	resp.status = r->fake_status;
	resp.body = buf_str(&r->resp);
	resp.len = r->resp.len;
	resp.err = r->fake_status == 0 ? &r->err : NULL;
	r->cancelled = true; /* the handle dies with this call */
	if (c != NULL)
		c->busy++;
	r->done(&resp, r->arg);
	httpc_req_destroy(r);
	if (c != NULL)
		httpc_unbusy(c);
}

/* Answer r with err from the loop, not from the caller's stack. */
static void
httpc_req_fail(struct httpc_req *r, int code, const char *msg)
{
	if (r->easy != NULL) {
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
	}
	r->state = HTTPC_REQ_FAILED;
	cd_err_set(&r->err, code, "%s", msg);
	loop_defer(r->l, httpc_fail_cb, r);
}

static void
httpc_req_add(struct httpc_req *r)
{
	CURLMcode mc = curl_multi_add_handle(r->shard->multi, r->easy);

	if (mc != CURLM_OK) {
		httpc_req_fail(r, -EIO, curl_multi_strerror(mc));
		return;
	}
	r->state = HTTPC_REQ_ACTIVE;
}

/* After curl returns: drop cancelled transfers, add queued ones. */
static void
httpc_sweep(struct httpc *c)
{
	struct httpc_req *r;

	while ((r = c->sweep) != NULL) {
		httpc_sweep_remove(r);
		if (r->cancelled && (r->state == HTTPC_REQ_ACTIVE ||
				     r->state == HTTPC_REQ_WAIT_ADD))
			httpc_req_destroy(r);
		else if (r->state == HTTPC_REQ_WAIT_ADD)
			httpc_req_add(r);
	}
}

static void
httpc_action(struct httpc_shard *sh, curl_socket_t fd, int action)
{
	struct httpc *c = sh->c;
	int running = 0;

	c->busy++;
	c->in_curl = true;
	curl_multi_socket_action(sh->multi, fd, action, &running);
	c->in_curl = false;
	if (!c->dead) {
		httpc_sweep(c);
		httpc_check_done(sh);
	}
	httpc_unbusy(c);
}

static void
httpc_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpc_sock *s = arg;
	int action = 0;

	CD_CHECK_OBJ(s, HTTPC_SOCK_MAGIC);
	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	/* s may be freed by curl's socket callback: use only copies now. */
	httpc_action(s->sh, fd, action);
}

static void
httpc_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct httpc_shard *sh = arg;

	(void)fd;
	(void)what;
	CD_CHECK_OBJ(sh, HTTPC_SHARD_MAGIC);
	httpc_action(sh, CURL_SOCKET_TIMEOUT, 0);
}

static int
httpc_curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct httpc_shard *sh = userp;
	struct timeval tv;

	(void)multi;
	CD_CHECK_OBJ(sh, HTTPC_SHARD_MAGIC);
	if (timeout_ms < 0) {
		evtimer_del(sh->timer);
		return 0;
	}
	/* Even 0 goes through the loop: curl must not be re-entered here. */
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(sh->timer, &tv);
	return 0;
}

static int
httpc_curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
		     void *socketp)
{
	struct httpc_shard *sh = userp;
	struct httpc *c = sh->c;
	struct httpc_sock *s = socketp;
	short flags = EV_PERSIST;

	(void)easy;
	CD_CHECK_OBJ(sh, HTTPC_SHARD_MAGIC);
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			CD_CHECK_OBJ(s, HTTPC_SOCK_MAGIC);
			if (s->prev != NULL)
				s->prev->next = s->next;
			else
				c->socks = s->next;
			if (s->next != NULL)
				s->next->prev = s->prev;
			event_free(s->ev);
			CD_FREE_OBJ(s);
			curl_multi_assign(sh->multi, fd, NULL);
		}
		return 0;
	}
	if (s == NULL) {
		CD_ALLOC_OBJ(s, HTTPC_SOCK_MAGIC);
		s->sh = sh;
		s->fd = fd;
		s->next = c->socks;
		if (c->socks != NULL)
			c->socks->prev = s;
		c->socks = s;
		curl_multi_assign(sh->multi, fd, s);
	} else {
		CD_CHECK_OBJ(s, HTTPC_SOCK_MAGIC);
		event_free(s->ev);
		s->ev = NULL;
	}
	if (what & CURL_POLL_IN)
		flags |= EV_READ;
	if (what & CURL_POLL_OUT)
		flags |= EV_WRITE;
	s->ev = event_new(loop_base(c->l), fd, flags, httpc_event_cb, s);
	AN(s->ev);
	event_add(s->ev, NULL);
	return 0;
}

static int
httpc_result_code(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	default:
		return -EIO;
	}
}

static void
httpc_call_done(struct httpc_req *r)
{
	struct httpc_resp resp;
	char *ip = NULL;
	long code = 0;

	memset(&resp, 0, sizeof resp);
	if (r->result == CURLE_OK) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
		resp.status = (int)code;
	} else if (r->too_big) {
		cd_err_set(&r->err, -EFBIG, "response body over %zu bytes",
			   HTTPC_MAX_BODY);
		resp.err = &r->err;
		resp.sent = true; /* a reply was coming */
	} else {
		long sent = 0;

		cd_err_set(&r->err, httpc_result_code(r->result), "%s",
			   r->errbuf[0] != '\0'
			       ? r->errbuf
			       : curl_easy_strerror(r->result));
		resp.err = &r->err;
		/*
		 * Request bytes written to a connection, unless the last
		 * attempt could not connect: curl retries a request whose
		 * reused connection turned out dead (closed by the server,
		 * which never read it) on a new one.
		 */
		if (curl_easy_getinfo(r->easy, CURLINFO_REQUEST_SIZE, &sent) ==
			CURLE_OK &&
		    sent > 0 && r->result != CURLE_COULDNT_CONNECT &&
		    r->result != CURLE_COULDNT_RESOLVE_HOST &&
		    r->result != CURLE_COULDNT_RESOLVE_PROXY)
			resp.sent = true;
	}
	if (curl_easy_getinfo(r->easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK &&
	    ip != NULL && ip[0] != '\0')
		resp.peer_ip = ip;
	resp.body = buf_str(&r->resp);
	resp.len = r->resp.len;
	if (r->keep_hdrs) {
		resp.headers = buf_str(&r->hdrs);
		resp.headers_len = r->hdrs.len;
	}
	r->done(&resp, r->arg);
}

static void
httpc_check_done(struct httpc_shard *sh)
{
	struct httpc *c = sh->c;
	struct httpc_req *batch = NULL, **tail = &batch, *r;
	CURLMsg *msg;
	char *priv;
	int left;

	while ((msg = curl_multi_info_read(sh->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		r = (struct httpc_req *)(void *)priv;
		CD_CHECK_OBJ(r, HTTPC_REQ_MAGIC);
		r->result = msg->data.result;
		curl_multi_remove_handle(sh->multi, r->easy);
		r->state = HTTPC_REQ_DONE;
		*tail = r;
		tail = &r->batch_next;
	}
	while ((r = batch) != NULL) {
		batch = r->batch_next;
		if (!r->cancelled && !c->dead) {
			/* The handle dies with this call: a cancel from
			 * inside it must be harmless. */
			httpc_call_done(r);
		}
		httpc_req_destroy(r);
	}
}

struct httpc *
httpc_new(struct loop *l)
{
	static bool global_done;
	long idle = httpc_max_idle() / HTTPC_SHARDS;
	struct httpc *c;
	size_t i;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		global_done = true;
	}
	CD_ALLOC_OBJ(c, HTTPC_MAGIC);
	c->l = l;
	for (i = 0; i < HTTPC_SHARDS; i++) {
		struct httpc_shard *sh = &c->shards[i];

		sh->magic = HTTPC_SHARD_MAGIC;
		sh->c = c;
		sh->multi = curl_multi_init();
		AN(sh->multi);
		sh->timer = evtimer_new(loop_base(l), httpc_timer_cb, sh);
		AN(sh->timer);
		curl_multi_setopt(sh->multi, CURLMOPT_SOCKETFUNCTION,
				  httpc_curl_socket_cb);
		curl_multi_setopt(sh->multi, CURLMOPT_SOCKETDATA, sh);
		curl_multi_setopt(sh->multi, CURLMOPT_TIMERFUNCTION,
				  httpc_curl_timer_cb);
		curl_multi_setopt(sh->multi, CURLMOPT_TIMERDATA, sh);
		curl_multi_setopt(sh->multi, CURLMOPT_MAXCONNECTS,
				  idle > 4 ? idle : 4);
	}
	return c;
}

void
httpc_free(struct httpc *c)
{
	struct httpc_req *r, *next;

	if (c == NULL)
		return;
	CD_CHECK_OBJ(c, HTTPC_MAGIC);
	for (r = c->reqs; r != NULL; r = next) {
		next = r->next;
		r->cancelled = true;
		if (r->state == HTTPC_REQ_FAILED)
			httpc_req_unlink(r); /* its deferred call frees it */
		else if (!c->busy)
			httpc_req_destroy(r);
	}
	if (c->busy) {
		c->dead = true;
		return;
	}
	httpc_destroy(c);
}

void
httpc_set_peer(struct httpc *c, const struct httpc_peer *p)
{
	CD_CHECK_OBJ(c, HTTPC_MAGIC);
	free(c->ca_file);
	free(c->secret_prefix);
	free(c->secret_line);
	c->ca_file = c->secret_prefix = c->secret_line = NULL;
	c->https = p->https;
	if (p->ca_file != NULL)
		c->ca_file = xstrdup(p->ca_file);
	if (p->secret != NULL) {
		c->secret_prefix = xstrdup(p->secret_prefix);
		c->secret_line =
		    xasprintf("%s: %s", p->secret_header, p->secret);
	}
}

static struct httpc_req *
httpc_req_new(struct httpc *c, httpc_done_fn *done, void *arg)
{
	struct httpc_req *r;

	CD_CHECK_OBJ(c, HTTPC_MAGIC);
	AN(done);
	CD_ALLOC_OBJ(r, HTTPC_REQ_MAGIC);
	r->c = c;
	r->l = c->l;
	r->done = done;
	r->arg = arg;
	buf_init(&r->resp);
	buf_init(&r->hdrs);
	r->next = c->reqs;
	if (c->reqs != NULL)
		c->reqs->prev = r;
	c->reqs = r;
	return r;
}

#ifdef CD_FAULT_ON
struct httpc_req *
httpc_fake_reply(struct httpc *c, int status, const char *body,
		 httpc_done_fn *done, void *arg)
{
	struct httpc_req *r = httpc_req_new(c, done, arg);

	r->fake_status = status;
	buf_append(&r->resp, body, strlen(body));
	r->state = HTTPC_REQ_FAILED;
	loop_defer(r->l, httpc_fail_cb, r);
	return r;
}
#endif

/* FNV-1a of the peer: the unix socket, or the URL up to its path. */
static uint32_t
httpc_peer_hash(const struct httpc_opts *o)
{
	const char *p = o->unix_socket != NULL ? o->unix_socket : o->url;
	const char *auth = o->unix_socket != NULL ? NULL : strstr(p, "://");
	uint32_t h = 2166136261u;

	for (; *p != '\0'; p++) {
		if (auth != NULL && p > auth + 2 && *p == '/')
			break;
		h = (h ^ (unsigned char)*p) * 16777619u;
	}
	return h;
}

struct httpc_req *
httpc_request(struct httpc *c, const struct httpc_opts *o, httpc_done_fn *done,
	      void *arg)
{
	struct httpc_req *r = httpc_req_new(c, done, arg);
	CURLcode rc;
	int frc;

	r->on_data = o->on_data;
	r->on_head = o->on_head;
	r->keep_hdrs = o->on_head != NULL || o->keep_headers;
	if (o->url == NULL || o->url[0] == '\0') {
		httpc_req_fail(r, -EINVAL, "no URL");
		return r;
	}
	r->shard = &c->shards[httpc_peer_hash(o) % HTTPC_SHARDS];
	if ((r->easy = curl_easy_init()) == NULL) {
		httpc_req_fail(r, -ENOMEM, "curl_easy_init failed");
		return r;
	}
	if ((rc = httpc_easy_setup(r, o)) != CURLE_OK) {
		httpc_req_fail(r, -EINVAL, curl_easy_strerror(rc));
		return r;
	}
	if ((frc = CD_FAULT("httpc.request")) != 0) {
		httpc_req_fail(r, frc, strerror(-frc));
		return r;
	}
	if (c->in_curl || c->dead) {
		/* From on_data: curl forbids adding handles there. */
		r->state = HTTPC_REQ_WAIT_ADD;
		if (c->dead)
			httpc_req_fail(r, -ECANCELED, "client freed");
		else
			httpc_sweep_push(r);
		return r;
	}
	httpc_req_add(r);
	return r;
}

void
httpc_cancel(struct httpc_req *r)
{
	if (r == NULL)
		return;
	CD_CHECK_OBJ(r, HTTPC_REQ_MAGIC);
	r->cancelled = true;
	/* FAILED: its deferred call frees it. DONE: the batch frees it.
	 * ACTIVE inside curl: the sweep frees it. */
	if ((r->state == HTTPC_REQ_ACTIVE || r->state == HTTPC_REQ_WAIT_ADD) &&
	    r->c != NULL) {
		if (!r->c->in_curl)
			httpc_req_destroy(r);
		else
			httpc_sweep_push(r);
	}
}
