/*
 * fuzz_agent_proto.c: the agent protocol as a stranger on the network
 * sends it. The input's bytes go, as they are, down a TCP connection on
 * loopback to a real lib/httpd set up the way cmd/main.c sets up the
 * master and agent ports: basic auth on everything but the health
 * endpoints and /internal/, and, on the guarded server, the agent-secret
 * guard on /internal/ (as with --agent_secret; the other server is a node
 * without one, as on loopback). Its /internal/ routes are the agent
 * protocol's (register, status, run_task, kill_task, ping), each running
 * the real lib/wire decoder of its message. The first byte picks the
 * server; the write side is shut after the rest, and the loop runs until
 * the server closes.
 *
 * Checks, beyond no crash, leak or UB:
 *  - on the guarded server, no /internal/ handler runs unless the request
 *    carries the secret header exactly: the guard comes before the body
 *    and before the decoders, whatever the body;
 *  - no handler of a path under basic auth runs without the credentials;
 *  - the server answers only whole HTTP/1.1 responses.
 * What the decoders do with any JSON is fuzz_wire's; how the parser
 * splits bytes into requests is fuzz_http1's; this target checks that
 * the two are wired behind the guard, as deployed. Built with
 * -fsanitize=fuzzer by `make fuzz`, or with -DTEST_DRIVER as a replay
 * tool over tests/fuzz/corpus/agent_proto/ by `make replay`.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "lib/buf.h"
#include "lib/httpd.h"
#include "lib/id.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/wire.h"
#include "lib/xalloc.h"

#define FUZZ_SECRET "fuzz-agent-secret"
#define FUZZ_SECRET_HEADER "Clusterd-Agent-Secret"
#define FUZZ_CREDS "admin:pw"
/* "Basic " + base64("admin:pw") */
#define FUZZ_AUTH "Basic YWRtaW46cHc="
#define FUZZ_WAIT_MS 5000 /* a bound for one input, not an expectation */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_srv {
	struct httpd *h; /* owned (never freed: lives for the process) */
	bool guarded;
	int port;
};

static struct loop *fuzz_loop;
static struct fuzz_srv fuzz_srv[2];

/* The client side of one input. */
struct fuzz_client {
	struct bufferevent *bev; /* owned */
	struct buf got;
	bool done;
};

static void
fuzz_check_guard(struct httpd_req *r, const struct fuzz_srv *s)
{
	if (s->guarded &&
	    !id_secret_equal(FUZZ_SECRET,
			     httpd_req_header(r, FUZZ_SECRET_HEADER)))
		abort(); /* a handler ran without the secret */
}

/* Decode the body as message kind k; 200 when it decodes, else 400. */
enum fuzz_kind { FK_REG, FK_STATUS, FK_RUN, FK_KILL, FK_PING };

static void
fuzz_decode(struct httpd_req *r, struct fuzz_srv *s, enum fuzz_kind k)
{
	union {
		struct wire_register rg;
		struct wire_status_msg sm;
		struct wire_run_task rt;
		struct wire_kill_task kt;
		struct wire_ping pg;
	} u;
	struct cd_err err = {0};
	size_t len = 0;
	const char *body;
	json_t *j;
	int rc = -1;

	fuzz_check_guard(r, s);
	body = httpd_req_body(r, &len);
	j = json_parse_bounded(body, len, &err);
	if (j != NULL) {
		switch (k) {
		case FK_REG:
			if ((rc = wire_register_decode(j, &u.rg, &err)) == 0)
				wire_register_release(&u.rg);
			break;
		case FK_STATUS:
			if ((rc = wire_status_msg_decode(j, &u.sm, &err)) == 0)
				wire_status_msg_release(&u.sm);
			break;
		case FK_RUN:
			if ((rc = wire_run_task_decode(j, &u.rt, &err)) == 0)
				wire_run_task_release(&u.rt);
			break;
		case FK_KILL:
			if ((rc = wire_kill_task_decode(j, &u.kt, &err)) == 0)
				wire_kill_task_release(&u.kt);
			break;
		case FK_PING:
			if ((rc = wire_ping_decode(j, &u.pg, &err)) == 0)
				wire_ping_release(&u.pg);
			break;
		}
		json_decref(j);
	}
	if (rc == 0)
		httpd_reply_json(r, 200, json_object());
	else
		httpd_reply_cd_err(r, 400, "invalid message", &err);
}

static void
fuzz_h_register(struct httpd_req *r, void *arg)
{
	fuzz_decode(r, arg, FK_REG);
}

static void
fuzz_h_status(struct httpd_req *r, void *arg)
{
	fuzz_decode(r, arg, FK_STATUS);
}

static void
fuzz_h_run(struct httpd_req *r, void *arg)
{
	fuzz_decode(r, arg, FK_RUN);
}

static void
fuzz_h_kill(struct httpd_req *r, void *arg)
{
	fuzz_decode(r, arg, FK_KILL);
}

static void
fuzz_h_ping(struct httpd_req *r, void *arg)
{
	fuzz_decode(r, arg, FK_PING);
}

static void
fuzz_h_health(struct httpd_req *r, void *arg)
{
	(void)arg;
	httpd_reply(r, 200, "text/plain", "", 0);
}

/* A path under basic auth: only with the credentials. */
static void
fuzz_h_state(struct httpd_req *r, void *arg)
{
	(void)arg;
	if (!id_secret_equal(FUZZ_AUTH, httpd_req_header(r, "Authorization")))
		abort();
	httpd_reply_json(r, 200, json_object());
}

static const struct httpd_route fuzz_routes[] = {
    {HTTPD_POST, "/internal/register", fuzz_h_register},
    {HTTPD_POST, "/internal/status", fuzz_h_status},
    {HTTPD_POST, "/internal/run_task", fuzz_h_run},
    {HTTPD_POST, "/internal/kill_task", fuzz_h_kill},
    {HTTPD_POST, "/internal/ping", fuzz_h_ping},
    {HTTPD_GET | HTTPD_HEAD, "/health", fuzz_h_health},
    {HTTPD_GET | HTTPD_HEAD, "/state", fuzz_h_state},
};

static const char *const fuzz_exempt[] = {"/health", "/internal/*rest", NULL};

static void
fuzz_init(void)
{
	struct cd_err err = {0};
	size_t i;

	struct sigaction sa;

	if (fuzz_loop != NULL)
		return;
	/* The server may close before it read everything we send. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	log_set_level(LOG_LVL_ERROR);
	fuzz_loop = loop_new();
	for (i = 0; i < CD_NELEM(fuzz_srv); i++) {
		struct fuzz_srv *s = &fuzz_srv[i];

		if (httpd_new(fuzz_loop, "127.0.0.1", 0, &s->h, &err) != 0)
			abort();
		s->guarded = i == 0;
		s->port = httpd_port(s->h);
		httpd_set_credentials(s->h, FUZZ_CREDS, fuzz_exempt);
		if (s->guarded)
			httpd_set_guard(s->h, "/internal/*rest",
					FUZZ_SECRET_HEADER, FUZZ_SECRET);
		httpd_add_routes(s->h, fuzz_routes, CD_NELEM(fuzz_routes), s);
	}
}

static void
fuzz_client_read(struct bufferevent *bev, void *arg)
{
	struct fuzz_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n = evbuffer_get_length(in);

	if (c->got.len < 65536) {
		char tmp[4096];
		size_t k = n < sizeof tmp ? n : sizeof tmp;

		evbuffer_copyout(in, tmp, k);
		buf_append(&c->got, tmp, k);
	}
	evbuffer_drain(in, n);
}

static void fuzz_client_event(struct bufferevent *bev, short what, void *arg);

static void
fuzz_client_written(struct bufferevent *bev, void *arg)
{
	(void)arg;
	/* All sent: the server reads EOF after the bytes. */
	shutdown(bufferevent_getfd(bev), SHUT_WR);
	bufferevent_setcb(bev, fuzz_client_read, NULL, fuzz_client_event, arg);
}

static void
fuzz_client_event(struct bufferevent *bev, short what, void *arg)
{
	struct fuzz_client *c = arg;

	if (what & BEV_EVENT_CONNECTED) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			fuzz_client_written(bev, arg); /* nothing to send */
		return;
	}
	/* EOF, a reset: the server is done with us. */
	c->done = true;
	loop_stop(fuzz_loop);
}

static void
fuzz_timeout(void *arg)
{
	(void)arg;
	loop_stop(fuzz_loop);
}

/* Every answer in the bytes read starts as an HTTP/1.1 status line. */
static void
fuzz_check_answer(const struct buf *got)
{
	if (got->len == 0)
		return; /* closed without a word: a half request at EOF */
	if (got->len < 12 || memcmp(got->data, "HTTP/1.1 ", 9) != 0)
		abort();
	if (got->data[9] < '1' || got->data[9] > '5')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_client c = {0};
	struct sockaddr_in sin;
	struct loop_timer *t;
	struct fuzz_srv *s;

	if (size < 1)
		return 0;
	fuzz_init();
	s = &fuzz_srv[data[0] & 1];
	buf_init(&c.got);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)s->port);
	c.bev = bufferevent_socket_new(loop_base(fuzz_loop), -1,
				       BEV_OPT_CLOSE_ON_FREE);
	AN(c.bev);
	bufferevent_setcb(c.bev, fuzz_client_read, fuzz_client_written,
			  fuzz_client_event, &c);
	bufferevent_enable(c.bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(c.bev, (struct sockaddr *)&sin,
				       sizeof sin) != 0)
		abort();
	if (size > 1)
		bufferevent_write(c.bev, data + 1, size - 1);
	t = loop_timer_new(fuzz_loop, fuzz_timeout, NULL);
	loop_timer_add(t, FUZZ_WAIT_MS);
	while (!c.done && loop_timer_pending(t))
		loop_run(fuzz_loop);
	loop_timer_free(t);
	bufferevent_free(c.bev);
	fuzz_check_answer(&c.got);
#ifdef TEST_DRIVER
	/* FUZZ_VERBOSE=1 make replay: each input's first status line. */
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "%s server: %.*s\n",
			s->guarded ? "guarded" : "open",
			(int)strcspn(buf_str(&c.got), "\r\n"), buf_str(&c.got));
#endif
	buf_release(&c.got);
	/* The server's own frees of closed connections, before the next. */
	loop_timer_add(t = loop_timer_new(fuzz_loop, fuzz_timeout, NULL), 0);
	loop_run(fuzz_loop);
	loop_timer_free(t);
	return 0;
}

#include "tests/fuzz/replay_main.h"
