/*
 * sdnotify.h: systemd's readiness and watchdog protocol (sd_notify(3)),
 * written by hand: one datagram "KEY=VALUE\n..." per notification to the
 * unix socket named by $NOTIFY_SOCKET, with no libsystemd. A name that
 * starts with '@' is an abstract socket. With $WATCHDOG_USEC set, a loop
 * timer sends WATCHDOG=1 every half of that interval, so a loop that
 * stops turning stops petting and systemd restarts the service.
 * Loop thread only.
 */
#ifndef CLUSTERD_LIB_SDNOTIFY_H
#define CLUSTERD_LIB_SDNOTIFY_H

#include <stdint.h>

#include "err.h"

struct loop;
struct sdnotify;

/*
 * What the service manager put in the environment. The caller reads it
 * (cmd/main.c, the one place that reads the process environment) and
 * should then unset those variables, so that tasks started later do not
 * inherit a socket that is not theirs.
 */
struct sdnotify_env {
	const char *socket;	   /* $NOTIFY_SOCKET, or NULL */
	const char *watchdog_usec; /* $WATCHDOG_USEC, or NULL */
	const char *watchdog_pid;  /* $WATCHDOG_PID, or NULL */
};

/*
 * Open the notification socket described by env. Returns 0 with *out
 * (free with sdnotify_free()), or 0 with *out NULL when there is no
 * $NOTIFY_SOCKET (not started by systemd: every call below is then a
 * no-op). Returns -EINVAL with err set for a socket name that is neither
 * absolute nor abstract or too long, or a bad $WATCHDOG_USEC; a socket
 * failure returns -errno. The watchdog starts at once when
 * $WATCHDOG_USEC is set and $WATCHDOG_PID is absent or names this
 * process.
 */
int sdnotify_new(struct loop *l, const struct sdnotify_env *env,
		 struct sdnotify **out, struct cd_err *err);
/* Stop the watchdog and close the socket; NULL is a no-op. */
void sdnotify_free(struct sdnotify *n);

/*
 * Send one notification, such as "READY=1\nSTATUS=serving". Never blocks
 * (a full receive queue is -EAGAIN). Returns 0 (also when n is NULL), or
 * -errno with err set.
 */
int sdnotify_send(struct sdnotify *n, const char *msg, struct cd_err *err);
/* READY=1, with STATUS=status when status is not NULL. */
int sdnotify_ready(struct sdnotify *n, const char *status, struct cd_err *err);
/* STOPPING=1: the service is shutting down (systemd stops its watchdog). */
int sdnotify_stopping(struct sdnotify *n, struct cd_err *err);

/* The watchdog period in milliseconds (half of $WATCHDOG_USEC), or 0. */
uint64_t sdnotify_watchdog_ms(const struct sdnotify *n);

#endif
