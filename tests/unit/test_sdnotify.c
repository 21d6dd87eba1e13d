/*
 * test_sdnotify.c: lib/sdnotify against a real AF_UNIX datagram socket
 * that plays systemd's part: READY/STATUS and STOPPING datagrams to a
 * socket path and to an abstract name, WATCHDOG=1 from the loop timer,
 * no watchdog for another process's WATCHDOG_PID, bad environments
 * refused, and no socket at all being a no-op.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/loop.h"
#include "lib/sdnotify.h"

/* The manager's end: a bound datagram socket. */
struct mgr {
	int fd;
	char name[108]; /* what goes into NOTIFY_SOCKET */
	char dir[64];
};

static void
mgr_open(struct mgr *m, int abstract)
{
	struct sockaddr_un sa;
	socklen_t len;
	size_t n;

	memset(m, 0, sizeof *m);
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	m->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(m->fd >= 0);
	if (abstract) {
		snprintf(m->name, sizeof m->name, "@clusterd-test-%d-%d",
			 (int)getpid(), abstract);
		n = strlen(m->name);
		memcpy(sa.sun_path, m->name, n);
		sa.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		snprintf(m->dir, sizeof m->dir, "/tmp/sdn-XXXXXX");
		assert_non_null(mkdtemp(m->dir));
		snprintf(m->name, sizeof m->name, "%s/notify", m->dir);
		n = strlen(m->name);
		memcpy(sa.sun_path, m->name, n + 1);
		len = (socklen_t)sizeof sa;
	}
	assert_int_equal(bind(m->fd, (struct sockaddr *)&sa, len), 0);
}

static void
mgr_close(struct mgr *m)
{
	close(m->fd);
	if (m->dir[0] != '\0') {
		unlink(m->name);
		rmdir(m->dir);
	}
}

/* The next datagram, waiting at most ms; "" when none came. */
static void
mgr_recv(struct mgr *m, int ms, char *out, size_t cap)
{
	struct pollfd p = {.fd = m->fd, .events = POLLIN};
	ssize_t n;

	out[0] = '\0';
	if (poll(&p, 1, ms) != 1)
		return;
	n = recv(m->fd, out, cap - 1, 0);
	assert_true(n >= 0);
	out[n] = '\0';
}

static void
send_and_receive(int abstract)
{
	struct loop *l = loop_new();
	struct sdnotify *n = NULL;
	struct sdnotify_env env = {0};
	struct cd_err err = {0};
	struct mgr m;
	char got[256];

	mgr_open(&m, abstract);
	env.socket = m.name;
	assert_int_equal(sdnotify_new(l, &env, &n, &err), 0);
	assert_non_null(n);
	assert_int_equal(sdnotify_watchdog_ms(n), 0);
	assert_int_equal(sdnotify_ready(n, "serving on :8080", &err), 0);
	mgr_recv(&m, 2000, got, sizeof got);
	assert_string_equal(got, "READY=1\nSTATUS=serving on :8080");
	assert_int_equal(sdnotify_ready(n, NULL, &err), 0);
	mgr_recv(&m, 2000, got, sizeof got);
	assert_string_equal(got, "READY=1");
	assert_int_equal(sdnotify_stopping(n, &err), 0);
	mgr_recv(&m, 2000, got, sizeof got);
	assert_string_equal(got, "STOPPING=1");
	sdnotify_free(n);
	mgr_close(&m);
	loop_free(l);
}

static void
test_path_socket(void **state)
{
	(void)state;
	send_and_receive(0);
}

static void
test_abstract_socket(void **state)
{
	(void)state;
	send_and_receive(1);
}

/* Stop the loop once the manager has seen enough watchdog datagrams. */
struct wd {
	struct loop *l;
	struct mgr *m;
	struct loop_timer *check;
	int seen;
	int ticks;
};

static void
wd_check(void *arg)
{
	struct wd *w = arg;
	char got[64];

	for (;;) {
		mgr_recv(w->m, 0, got, sizeof got);
		if (got[0] == '\0')
			break;
		assert_string_equal(got, "WATCHDOG=1");
		w->seen++;
	}
	/* At most 5 s of 10 ms checks, far more than three 25 ms periods. */
	if (w->seen >= 3 || ++w->ticks > 500)
		loop_stop(w->l);
	else
		loop_timer_add(w->check, 10);
}

static void
test_watchdog(void **state)
{
	struct sdnotify *n = NULL;
	struct sdnotify_env env = {0};
	struct cd_err err = {0};
	struct mgr m;
	struct wd w = {0};
	char pid[32];

	(void)state;
	mgr_open(&m, 2);
	w.l = loop_new();
	w.m = &m;
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	env.socket = m.name;
	env.watchdog_usec = "50000";
	env.watchdog_pid = pid;
	assert_int_equal(sdnotify_new(w.l, &env, &n, &err), 0);
	assert_int_equal(sdnotify_watchdog_ms(n), 25);
	w.check = loop_timer_new(w.l, wd_check, &w);
	loop_timer_add(w.check, 10);
	assert_int_equal(loop_run(w.l), 0);
	assert_true(w.seen >= 3);
	loop_timer_free(w.check);
	sdnotify_free(n);
	mgr_close(&m);
	loop_free(w.l);
}

static void
test_watchdog_other_pid(void **state)
{
	struct loop *l = loop_new();
	struct sdnotify *n = NULL;
	struct sdnotify_env env = {0};
	struct mgr m;
	char pid[32];

	(void)state;
	mgr_open(&m, 3);
	snprintf(pid, sizeof pid, "%d", (int)getpid() + 1);
	env.socket = m.name;
	env.watchdog_usec = "50000";
	env.watchdog_pid = pid;
	assert_int_equal(sdnotify_new(l, &env, &n, NULL), 0);
	assert_non_null(n);
	assert_int_equal(sdnotify_watchdog_ms(n), 0);
	sdnotify_free(n);
	mgr_close(&m);
	loop_free(l);
}

static void
test_bad_env(void **state)
{
	struct loop *l = loop_new();
	struct sdnotify *n = NULL;
	struct sdnotify_env env = {0};
	struct cd_err err = {0};
	char longname[200];

	(void)state;
	/* No socket: not under systemd, every call a no-op. */
	assert_int_equal(sdnotify_new(l, &env, &n, &err), 0);
	assert_null(n);
	assert_int_equal(sdnotify_ready(n, "x", &err), 0);
	assert_int_equal(sdnotify_stopping(n, &err), 0);
	sdnotify_free(n);
	env.socket = "";
	assert_int_equal(sdnotify_new(l, &env, &n, &err), 0);
	assert_null(n);

	env.socket = "relative/notify";
	assert_int_equal(sdnotify_new(l, &env, &n, &err), -EINVAL);
	assert_null(n);
	assert_non_null(strstr(err.msg, "NOTIFY_SOCKET"));
	memset(longname, 'a', sizeof longname - 1);
	longname[0] = '/';
	longname[sizeof longname - 1] = '\0';
	env.socket = longname;
	assert_int_equal(sdnotify_new(l, &env, &n, &err), -EINVAL);
	env.socket = "@x";
	env.watchdog_usec = "12ms";
	assert_int_equal(sdnotify_new(l, &env, &n, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "WATCHDOG_USEC"));
	env.watchdog_usec = "-5";
	assert_int_equal(sdnotify_new(l, &env, &n, &err), -EINVAL);
	env.watchdog_usec = "1000000";
	env.watchdog_pid = "12x";
	assert_int_equal(sdnotify_new(l, &env, &n, &err), -EINVAL);
	assert_null(n);
	loop_free(l);
}

/* Nobody listening: the send fails with the errno, it does not block. */
static void
test_no_listener(void **state)
{
	struct loop *l = loop_new();
	struct sdnotify *n = NULL;
	struct sdnotify_env env = {0};
	struct cd_err err = {0};

	(void)state;
	env.socket = "/tmp/clusterd-test-no-such-socket/notify";
	assert_int_equal(sdnotify_new(l, &env, &n, &err), 0);
	assert_int_equal(sdnotify_ready(n, NULL, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "sendto"));
	sdnotify_free(n);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_socket),
	    cmocka_unit_test(test_abstract_socket),
	    cmocka_unit_test(test_watchdog),
	    cmocka_unit_test(test_watchdog_other_pid),
	    cmocka_unit_test(test_bad_env),
	    cmocka_unit_test(test_no_listener),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
