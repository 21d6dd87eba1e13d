/*
 * sdnotify.c: the sd_notify(3) datagram protocol by hand (see sdnotify.h).
 * Owns one non-blocking AF_UNIX datagram socket, the resolved address of
 * $NOTIFY_SOCKET and the watchdog timer.
 *
 * Design: the socket is opened once and never connected; each message is
 * one sendto() of a few bytes with MSG_DONTWAIT, so it cannot block the
 * loop even if systemd stops reading. The watchdog is a loop timer, not a
 * thread: it runs only while the loop turns, which is the point (a stuck
 * loop must let the watchdog fire). A failed watchdog send is logged once
 * and then counted silently, since the timer has no caller to return to
 * and a dead manager would otherwise fill the journal twice a period.
 * Loop thread only.
 */
#include "sdnotify.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_MOD "sdnotify"
#include "log.h"
#include "loop.h"
#include "xalloc.h"

#define SDNOTIFY_MAGIC 0x5d707e11u

struct sdnotify {
	unsigned magic;
	int fd;
	struct sockaddr_un addr;
	socklen_t addr_len;
	struct loop_timer *watchdog; /* owned, or NULL without a watchdog */
	uint64_t watchdog_ms;
	unsigned long watchdog_failures;
};

/* $NOTIFY_SOCKET -> address: "/run/systemd/notify" or "@abstract". */
static int
sdnotify_addr(const char *name, struct sockaddr_un *sa, socklen_t *len,
	      struct cd_err *err)
{
	size_t n = strlen(name);

	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (n < 2 || (name[0] != '/' && name[0] != '@'))
		return cd_err_set(err, -EINVAL,
				  "NOTIFY_SOCKET '%s' is neither an absolute "
				  "path nor an abstract name (@...)",
				  name);
	if (n >= sizeof sa->sun_path)
		return cd_err_set(err, -EINVAL,
				  "NOTIFY_SOCKET is longer than %zu bytes",
				  sizeof sa->sun_path - 1);
	memcpy(sa->sun_path, name, n);
	if (name[0] == '@') {
		/* Abstract: a leading NUL, and the length says where the
		 * name ends (no terminating NUL is part of it). */
		sa->sun_path[0] = '\0';
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		*len =
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 0;
}

/* The watchdog period: half of $WATCHDOG_USEC, or 0 when it is off. */
static int
sdnotify_watchdog_period(const struct sdnotify_env *env, uint64_t *ms,
			 struct cd_err *err)
{
	unsigned long long usec, pid;
	char *end;

	*ms = 0;
	if (env->watchdog_usec == NULL || env->watchdog_usec[0] == '\0')
		return 0;
	errno = 0;
	usec = strtoull(env->watchdog_usec, &end, 10);
	if (errno != 0 || *end != '\0' || usec == 0 ||
	    env->watchdog_usec[0] == '-')
		return cd_err_set(err, -EINVAL, "bad WATCHDOG_USEC '%s'",
				  env->watchdog_usec);
	if (env->watchdog_pid != NULL && env->watchdog_pid[0] != '\0') {
		errno = 0;
		pid = strtoull(env->watchdog_pid, &end, 10);
		if (errno != 0 || *end != '\0')
			return cd_err_set(err, -EINVAL, "bad WATCHDOG_PID '%s'",
					  env->watchdog_pid);
		/* Meant for another process (a wrapper that exec'd us
		 * would have passed its own pid). */
		if (pid != (unsigned long long)getpid())
			return 0;
	}
	*ms = usec / 2000;
	if (*ms == 0)
		*ms = 1;
	return 0;
}

static void
sdnotify_watchdog_cb(void *arg)
{
	struct sdnotify *n = arg;
	struct cd_err err = {0};

	CD_CHECK_OBJ(n, SDNOTIFY_MAGIC);
	if (sdnotify_send(n, "WATCHDOG=1", &err) != 0 &&
	    n->watchdog_failures++ == 0)
		log_warn("cannot pet the systemd watchdog: %s (logged once)",
			 err.msg);
	loop_timer_add(n->watchdog, n->watchdog_ms);
}

int
sdnotify_new(struct loop *l, const struct sdnotify_env *env,
	     struct sdnotify **out, struct cd_err *err)
{
	struct sdnotify *n = NULL;
	int rc;

	*out = NULL;
	if (env->socket == NULL || env->socket[0] == '\0')
		return 0;
	CD_ALLOC_OBJ(n, SDNOTIFY_MAGIC);
	n->fd = -1;
	if ((rc = sdnotify_addr(env->socket, &n->addr, &n->addr_len, err)) != 0)
		goto fail;
	if ((rc = sdnotify_watchdog_period(env, &n->watchdog_ms, err)) != 0)
		goto fail;
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd == -1) {
		rc = cd_err_set(err, -errno, "socket(AF_UNIX): %s",
				strerror(errno));
		goto fail;
	}
	if (n->watchdog_ms > 0) {
		n->watchdog = loop_timer_new(l, sdnotify_watchdog_cb, n);
		loop_timer_add(n->watchdog, n->watchdog_ms);
	}
	*out = n;
	return 0;
fail:
	sdnotify_free(n);
	return rc;
}

void
sdnotify_free(struct sdnotify *n)
{
	if (n == NULL)
		return;
	CD_CHECK_OBJ(n, SDNOTIFY_MAGIC);
	if (n->watchdog != NULL)
		loop_timer_free(n->watchdog);
	if (n->fd != -1)
		close(n->fd);
	CD_FREE_OBJ(n);
}

int
sdnotify_send(struct sdnotify *n, const char *msg, struct cd_err *err)
{
	size_t len = strlen(msg);
	ssize_t sent;

	if (n == NULL)
		return 0;
	CD_CHECK_OBJ(n, SDNOTIFY_MAGIC);
	sent = sendto(n->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		      (const struct sockaddr *)&n->addr, n->addr_len);
	if (sent == -1)
		return cd_err_set(err, -errno, "sendto NOTIFY_SOCKET: %s",
				  strerror(errno));
	if ((size_t)sent != len)
		return cd_err_set(err, -EMSGSIZE,
				  "sendto NOTIFY_SOCKET: short datagram");
	return 0;
}

int
sdnotify_ready(struct sdnotify *n, const char *status, struct cd_err *err)
{
	char *msg;
	int rc;

	if (n == NULL)
		return 0;
	/* STATUS= is free text for `systemctl status`: one line only. */
	if (status != NULL && strchr(status, '\n') == NULL)
		msg = xasprintf("READY=1\nSTATUS=%s", status);
	else
		msg = xstrdup("READY=1");
	rc = sdnotify_send(n, msg, err);
	free(msg);
	return rc;
}

int
sdnotify_stopping(struct sdnotify *n, struct cd_err *err)
{
	return sdnotify_send(n, "STOPPING=1", err);
}

uint64_t
sdnotify_watchdog_ms(const struct sdnotify *n)
{
	return n != NULL ? n->watchdog_ms : 0;
}
