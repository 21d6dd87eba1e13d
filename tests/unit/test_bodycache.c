/*
 * test_bodycache.c: lib/bodycache behind a real lib/httpd on loopback,
 * within one loop, with raw client sockets: a body is built once per
 * generation and key, answers every request of both until the generation
 * moves, requests arriving together share one build, a client that hung
 * up costs no build, gzip is honoured (and equal to the plain body once
 * inflated), HEAD gets the length alone, statuses other than 200 are
 * cached too, the bounds evict, and freeing the cache answers the
 * requests still waiting with 503. Also lib/blob's counting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "lib/blob.h"
#include "lib/bodycache.h"
#include "lib/buf.h"
#include "lib/httpd.h"
#include "lib/loop.h"
#include "tests/unit/unit_util.h"

#define BIG 20000 /* bytes of a body: several segments, worth gzipping */

struct fixture {
	struct loop *l;
	struct httpd *d;
	struct bodycache *c;
	uint64_t gen;
	int builds;
	int status;
	char state[32]; /* what the bodies show */
	bool free_in_handler;
};

static uint64_t
gen_cb(void *arg)
{
	return ((struct fixture *)arg)->gen;
}

/* The body: {"key": ..., "state": ..., "pad": "xxx..."}, BIG bytes. */
static int
build_cb(void *arg, void *params, struct buf *out)
{
	struct fixture *f = arg;
	const char *key = params;
	size_t n;

	f->builds++;
	buf_printf(out, "{\"key\": \"%s\", \"state\": \"%s\", \"pad\": \"", key,
		   f->state);
	for (n = out->len; n + 2 < BIG; n++)
		buf_puts(out, n % 7 == 0 ? "y" : "x");
	buf_puts(out, "\"}");
	return f->status;
}

static void
h_list(struct httpd_req *r, void *arg)
{
	struct fixture *f = arg;
	const char *k = httpd_req_query(r, "k");

	bodycache_serve(f->c, r, k != NULL ? k : "-", build_cb,
			strdup(k != NULL ? k : "-"), free);
	if (f->free_in_handler) {
		bodycache_free(f->c);
		f->c = bodycache_new(f->l, "application/json", gen_cb, f);
	}
}

static const struct httpd_route routes[] = {
    {HTTPD_GET, "/list", h_list},
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	assert_non_null(f);
	f->l = loop_new();
	assert_int_equal(httpd_new(f->l, "127.0.0.1", 0, &f->d, NULL), 0);
	httpd_add_routes(f->d, routes, 1, f);
	f->c = bodycache_new(f->l, "application/json", gen_cb, f);
	f->gen = 1;
	f->status = 200;
	snprintf(f->state, sizeof f->state, "one");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	bodycache_free(f->c);
	httpd_free(f->d);
	loop_free(f->l);
	free(f);
	return 0;
}

static int
raw_send(struct fixture *f, const char *data)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)httpd_port(f->d));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(send(fd, data, strlen(data), 0),
			 (ssize_t)strlen(data));
	return fd;
}

/* One answer as read off a raw socket. */
struct answer {
	int status;
	char head[1024];
	char *body; /* owned */
	size_t len;
};

static void
answer_release(struct answer *a)
{
	free(a->body);
	a->body = NULL;
}

/* Read what the server wrote on fd, one answer (the loop has run). */
static void
raw_answer(int fd, struct answer *a)
{
	static char in[4 * BIG];
	size_t n = 0;
	ssize_t k;
	const char *end, *cl;

	memset(a, 0, sizeof *a);
	while (n + 1 < sizeof in &&
	       (k = recv(fd, in + n, sizeof in - 1 - n, MSG_DONTWAIT)) > 0)
		n += (size_t)k;
	in[n] = '\0';
	end = strstr(in, "\r\n\r\n");
	if (end == NULL)
		fail_msg("no answer head in: %.200s", in);
	assert_true((size_t)(end - in) < sizeof a->head);
	memcpy(a->head, in, (size_t)(end - in));
	a->head[end - in] = '\0';
	a->status = atoi(in + 9);
	cl = strstr(a->head, "Content-Length: ");
	assert_non_null(cl);
	a->len = n - (size_t)(end + 4 - in);
	a->body = malloc(a->len + 1);
	assert_non_null(a->body);
	memcpy(a->body, end + 4, a->len);
	a->body[a->len] = '\0';
}

/* Whether a whole answer (head, and a body of its Content-Length) waits. */
static bool
answer_in(int fd)
{
	static char in[4 * BIG];
	ssize_t n = recv(fd, in, sizeof in - 1, MSG_PEEK | MSG_DONTWAIT);
	const char *end, *cl;

	if (n <= 0)
		return false;
	in[n] = '\0';
	if ((end = strstr(in, "\r\n\r\n")) == NULL)
		return false;
	cl = strstr(in, "Content-Length: ");
	return cl == NULL || cl > end ||
	       (size_t)n >= (size_t)(end + 4 - in) + strtoul(cl + 16, NULL, 10);
}

/* GET path on a new connection, with extra head lines; the answer. */
static void
get(struct fixture *f, const char *path, const char *extra, struct answer *a)
{
	char req[512];
	int fd, waited;

	snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n", path,
		 extra != NULL ? extra : "");
	fd = raw_send(f, req);
	/* The loop serves it: until the whole answer is there (5 s at most). */
	for (waited = 0; waited < 5000 && !answer_in(fd); waited += 10)
		ut_spin(f->l, 10);
	raw_answer(fd, a);
	close(fd);
}

static void
test_blob_refs(void **state)
{
	struct blob *b = blob_new_copy("abc", 3);

	(void)state;
	assert_int_equal(blob_len(b), 3);
	assert_memory_equal(blob_data(b), "abc", 3);
	assert_int_equal(blob_refs(b), 1);
	assert_ptr_equal(blob_ref(b), b);
	assert_int_equal(blob_refs(b), 2);
	blob_unref(b);
	assert_int_equal(blob_refs(b), 1);
	blob_unref(b);
	blob_unref(NULL);
}

static void
test_hit_until_generation_moves(void **state)
{
	struct fixture *f = *state;
	struct bodycache_stats st;
	struct answer a, b, c;

	get(f, "/list?k=a", NULL, &a);
	get(f, "/list?k=a", NULL, &b);
	assert_int_equal(a.status, 200);
	assert_int_equal(f->builds, 1);
	assert_int_equal(a.len, BIG);
	assert_int_equal(b.len, a.len);
	assert_memory_equal(a.body, b.body, a.len);
	assert_non_null(strstr(a.head, "Vary: Accept-Encoding"));
	assert_non_null(strstr(a.head, "Content-Type: application/json"));
	assert_null(strstr(a.head, "Content-Encoding"));
	/* Another key: its own build. */
	get(f, "/list?k=b", NULL, &c);
	assert_int_equal(f->builds, 2);
	assert_non_null(strstr(c.body, "\"key\": \"b\""));
	answer_release(&c);
	/* The state changes, and says so: the next reply shows it. */
	snprintf(f->state, sizeof f->state, "two");
	f->gen++;
	get(f, "/list?k=a", NULL, &c);
	assert_int_equal(f->builds, 3);
	assert_non_null(strstr(c.body, "\"state\": \"two\""));
	bodycache_stats(f->c, &st);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.builds, 3);
	assert_int_equal(st.entries, 2);
	/* The body of "b" was of the old generation: dropped. */
	assert_int_equal(st.bytes, BIG);
	answer_release(&a);
	answer_release(&b);
	answer_release(&c);
}

static void
test_coalesced(void **state)
{
	struct fixture *f = *state;
	struct bodycache_stats st;
	struct answer a, first;
	int fd[10];
	size_t i;

	for (i = 0; i < 10; i++)
		fd[i] =
		    raw_send(f, "GET /list?k=c HTTP/1.1\r\nHost: x\r\n\r\n");
	ut_spin(f->l, 200);
	for (i = 0; i < 10; i++) {
		raw_answer(fd[i], &a);
		close(fd[i]);
		assert_int_equal(a.status, 200);
		if (i == 0) {
			first = a;
			continue;
		}
		assert_int_equal(a.len, first.len);
		assert_memory_equal(a.body, first.body, a.len);
		answer_release(&a);
	}
	answer_release(&first);
	bodycache_stats(f->c, &st);
	/* Ten requests on the socket before the loop ran are read in one
	 * pass: one build, nine requests joined it. */
	assert_int_equal(f->builds, 1);
	assert_int_equal(st.joined, 9);
	assert_int_equal(st.hits, 0);
}

static void
test_gone_client_not_built(void **state)
{
	struct fixture *f = *state;
	struct bodycache_stats st;
	int fd;

	fd = raw_send(f, "GET /list?k=gone HTTP/1.1\r\nHost: x\r\n\r\n");
	close(fd); /* before the server even read it */
	ut_spin(f->l, 150);
	bodycache_stats(f->c, &st);
	assert_int_equal(f->builds, 0);
	assert_int_equal(st.skipped, 1);
	/* A later request of the same key builds as usual. */
	{
		struct answer a;

		get(f, "/list?k=gone", NULL, &a);
		assert_int_equal(a.status, 200);
		assert_int_equal(f->builds, 1);
		answer_release(&a);
	}
}

static void
inflate_all(const char *in, size_t n, char **out, size_t *outlen)
{
	z_stream z;
	size_t cap = 4 * BIG;
	int rc;

	memset(&z, 0, sizeof z);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	*out = malloc(cap);
	assert_non_null(*out);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)*out;
	z.avail_out = (uInt)cap;
	rc = inflate(&z, Z_FINISH);
	assert_int_equal(rc, Z_STREAM_END);
	*outlen = z.total_out;
	inflateEnd(&z);
}

static void
test_gzip(void **state)
{
	struct fixture *f = *state;
	struct bodycache_stats st;
	struct answer plain, gz, gz2, refused;
	char *inflated;
	size_t n;

	get(f, "/list?k=z", NULL, &plain);
	get(f, "/list?k=z", "Accept-Encoding: br, gzip;q=0.8\r\n", &gz);
	get(f, "/list?k=z", "Accept-Encoding: gzip\r\n", &gz2);
	get(f, "/list?k=z", "Accept-Encoding: gzip;q=0, *\r\n", &refused);
	assert_int_equal(f->builds, 1);
	assert_non_null(strstr(gz.head, "Content-Encoding: gzip"));
	assert_non_null(strstr(gz.head, "Vary: Accept-Encoding"));
	assert_true(gz.len < plain.len / 4);
	inflate_all(gz.body, gz.len, &inflated, &n);
	assert_int_equal(n, plain.len);
	assert_memory_equal(inflated, plain.body, n);
	free(inflated);
	assert_int_equal(gz2.len, gz.len);
	assert_memory_equal(gz2.body, gz.body, gz.len);
	/* gzip;q=0 refuses it, whatever "*" says. */
	assert_null(strstr(refused.head, "Content-Encoding"));
	assert_int_equal(refused.len, plain.len);
	bodycache_stats(f->c, &st);
	assert_int_equal(st.gzips, 1); /* compressed once */
	answer_release(&plain);
	answer_release(&gz);
	answer_release(&gz2);
	answer_release(&refused);
}

static void
test_head_and_status(void **state)
{
	struct fixture *f = *state;
	struct answer a, b;
	char req[] = "HEAD /list?k=h HTTP/1.1\r\nHost: x\r\n\r\n";
	char want[64];
	int fd;

	f->status = 404;
	get(f, "/list?k=h", NULL, &a);
	assert_int_equal(a.status, 404);
	fd = raw_send(f, req);
	ut_spin(f->l, 150);
	raw_answer(fd, &b);
	close(fd);
	assert_int_equal(b.status, 404);
	assert_int_equal(b.len, 0);
	snprintf(want, sizeof want, "Content-Length: %zu", a.len);
	assert_non_null(strstr(b.head, want));
	assert_int_equal(f->builds, 1);
	answer_release(&a);
	answer_release(&b);
}

static void
test_bounds_evict(void **state)
{
	struct fixture *f = *state;
	struct bodycache_stats st;
	struct answer a;
	const char *keys[] = {"/list?k=1", "/list?k=2", "/list?k=3"};
	size_t i;

	bodycache_set_limits(f->c, 2, 0);
	for (i = 0; i < 3; i++) {
		get(f, keys[i], NULL, &a);
		answer_release(&a);
	}
	bodycache_stats(f->c, &st);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.evictions, 1);
	/* By bytes: one body fits, two do not. */
	bodycache_set_limits(f->c, 0, BIG + BIG / 2);
	get(f, keys[0], NULL, &a);
	answer_release(&a);
	bodycache_stats(f->c, &st);
	assert_true(st.bytes <= BIG + BIG / 2);
	/* The least recently used went first: 3 is gone, 1 is held. */
	get(f, keys[0], NULL, &a);
	answer_release(&a);
	assert_int_equal(f->builds, 4);
}

static void
test_free_answers_waiters(void **state)
{
	struct fixture *f = *state;
	struct answer a;

	f->free_in_handler = true;
	get(f, "/list?k=f", NULL, &a);
	f->free_in_handler = false;
	assert_int_equal(a.status, 503);
	assert_int_equal(f->builds, 0);
	answer_release(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_blob_refs),
	    cmocka_unit_test_setup_teardown(test_hit_until_generation_moves,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_coalesced, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gone_client_not_built, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_gzip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_head_and_status, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bounds_evict, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_answers_waiters, setup,
					    teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
