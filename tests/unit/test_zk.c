/*
 * test_zk.c: lib/zk without a ZooKeeper server (the real ensemble is
 * exercised by tests/it/test_t6_zk_*.py through tests/zk/zk_drive.c).
 * Against a listening socket that never answers (a server hung before the
 * session handshake, which a real ZooKeeper cannot be made to do on cue),
 * an operation fails with -ETIMEDOUT from the loop's own timer, never inside
 * the call and only once; a forgotten one never calls back; freeing with
 * operations in flight is clean (ASan, TSan). Against a port where nothing
 * listens, operations fail fast with -ECONNRESET. Bad arguments are refused
 * at once; the multi builder counts its bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "lib/loop.h"
#include "lib/zk.h"
#include "lib/zk_multi.h"

struct fixture {
	int lfd; /* the silent server's listening socket */
	struct loop *l;
	struct zk *zk;
	struct loop_timer *stop;
	int calls;
	int last_rc;
	bool in_call; /* a callback ran from inside the call */
	bool submitting;
	int sessions;
};

static void
on_session(struct zk *zk, enum zk_session_event ev, bool new_session, void *arg)
{
	struct fixture *f = arg;

	(void)zk;
	(void)ev;
	(void)new_session;
	f->sessions++;
}

static void
on_done(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct fixture *f = arg;

	(void)zk;
	f->calls++;
	f->last_rc = r->rc;
	if (f->submitting)
		f->in_call = true;
}

static void
on_watch(struct zk *zk, enum zk_event ev, const char *path, void *arg)
{
	(void)zk;
	(void)ev;
	(void)path;
	(void)arg;
	fail_msg("a watch fired without a server");
}

static void
stop_cb(void *arg)
{
	struct fixture *f = arg;

	loop_stop(f->l);
}

/* A loopback socket that accepts connections (in the kernel) and is silent. */
static int
silent_server(char *hosts, size_t n)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(fd, 16) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	snprintf(hosts, n, "127.0.0.1:%d", ntohs(sin.sin_port));
	return fd;
}

static int
setup_with(void **state, bool silent)
{
	struct fixture *f = calloc(1, sizeof *f);
	char hosts[64] = "127.0.0.1:1"; /* refused at once */

	f->lfd = -1;
	if (silent && (f->lfd = silent_server(hosts, sizeof hosts)) == -1)
		return -1;
	f->l = loop_new();
	f->zk = zk_new(f->l, hosts, 4000, on_session, f);
	zk_set_op_timeout(f->zk, 200);
	f->stop = loop_timer_new(f->l, stop_cb, f);
	*state = f;
	return 0;
}

static int
setup(void **state)
{
	return setup_with(state, true);
}

static int
setup_refused(void **state)
{
	return setup_with(state, false);
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	zk_free(f->zk);
	loop_timer_free(f->stop);
	loop_free(f->l);
	if (f->lfd != -1)
		close(f->lfd);
	free(f);
	return 0;
}

static void
run_for(struct fixture *f, uint64_t ms)
{
	loop_timer_add(f->stop, ms);
	assert_int_equal(loop_run(f->l), 0);
}

static void
test_timeout(void **state)
{
	struct fixture *f = *state;

	assert_false(zk_connected(f->zk));
	assert_int_equal(zk_session_id(f->zk), 0);
	assert_int_equal(zk_session_timeout(f->zk), 4000);
	f->submitting = true;
	assert_int_equal(zk_get(f->zk, "/a", on_watch, f, on_done, f), 0);
	assert_int_equal(zk_create(f->zk, "/b", "x", 1,
				   ZK_EPHEMERAL | ZK_SEQUENTIAL, on_done, f),
			 0);
	f->submitting = false;
	assert_int_equal(f->calls, 0);
	run_for(f, 1000);
	assert_false(f->in_call);
	assert_int_equal(f->calls, 2);
	assert_int_equal(f->last_rc, -ETIMEDOUT);
	/* Never twice, and no session event without a server. */
	run_for(f, 300);
	assert_int_equal(f->calls, 2);
	assert_int_equal(f->sessions, 0);
}

/* Nothing listens: the library fails what it cannot send, at once. */
static void
test_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(zk_get(f->zk, "/a", on_watch, f, on_done, f), 0);
	assert_int_equal(zk_delete(f->zk, "/a", -1, on_done, f), 0);
	run_for(f, 150);
	assert_int_equal(f->calls, 2);
	assert_int_equal(f->last_rc, -ECONNRESET);
}

static void
test_forget(void **state)
{
	struct fixture *f = *state;
	struct zk_multi *m = zk_multi_new();

	assert_int_equal(zk_exists(f->zk, "/a", on_watch, f, on_done, f), 0);
	assert_int_equal(zk_get_children(f->zk, "/", on_watch, f, on_done, f),
			 0);
	zk_multi_check(m, "/a", 0);
	assert_int_equal(zk_multi_submit(f->zk, m, on_done, f), 0);
	zk_forget(f->zk, f);
	run_for(f, 600);
	assert_int_equal(f->calls, 0);
}

static void
test_bad_args(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(zk_get(f->zk, "a", NULL, NULL, on_done, f), -EINVAL);
	assert_int_equal(zk_set(f->zk, NULL, "", 0, -1, on_done, f), -EINVAL);
	assert_int_equal(zk_delete(f->zk, "", -1, on_done, f), -EINVAL);
	/* The library checks the rest of a path itself. */
	assert_int_equal(zk_create(f->zk, "/a/", "", 0, 0, on_done, f),
			 -EINVAL);
	assert_int_equal(zk_multi_submit(f->zk, zk_multi_new(), on_done, f),
			 -EINVAL);
	run_for(f, 50);
	assert_int_equal(f->calls, 0);
}

static void
test_multi_builder(void **state)
{
	struct zk_multi *m = zk_multi_new();
	size_t b0 = zk_multi_bytes(m), b1;
	char big[1000];

	(void)state;
	memset(big, 'v', sizeof big);
	zk_multi_check(m, "/p/json.info_0000000001", 0);
	zk_multi_create(m, "/p/state/sched/00/app%2Fa", big, sizeof big, 0);
	b1 = zk_multi_bytes(m);
	zk_multi_set(m, "/p/state/seq", "7", 1, 3);
	zk_multi_delete(m, "/p/state/sched/00/x", -1);
	assert_int_equal(zk_multi_count(m), 4);
	assert_true(b1 > b0 + sizeof big);
	assert_true(zk_multi_bytes(m) > b1);
	assert_non_null(zk_multi_ops(m));
	zk_multi_free(m);
	zk_multi_free(NULL);
}

/* zk_free with operations in flight: no callback, nothing leaked. */
static void
test_free_in_flight(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 50; i++)
		assert_int_equal(zk_get(f->zk, "/a", on_watch, f, on_done, f),
				 0);
	run_for(f, 20);
	zk_free(f->zk);
	f->zk = NULL;
	assert_int_equal(f->calls, 0);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_timeout),
	    cmocka_unit_test_setup_teardown(test_refused, setup_refused,
					    teardown),
	    T(test_forget),
	    T(test_bad_args),
	    cmocka_unit_test(test_multi_builder),
	    T(test_free_in_flight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
