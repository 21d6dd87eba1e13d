/*
 * httpd_listen.c: the listening socket of an httpd (lib/httpd, sharing
 * httpd_int.h): bind (a numeric --ip, port 0 allowed, the bound port read
 * back), and the pause when accept() fails (EMFILE, ENFILE, ENOBUFS): the
 * listener is disabled and re-enabled by a timer whose delay doubles from
 * HTTPD_BACKOFF_MIN_MS up to HTTPD_BACKOFF_MAX_MS, and the failure is
 * logged at most once per ten seconds (h->accept_log, lib/ratelog).
 * What an accepted socket becomes is httpd_conn.c's: it hands its accept
 * callback in, so this file calls nothing of the module back. Loop thread
 * only.
 */
#include "httpd_int.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include <event2/listener.h>

#define LOG_MOD "httpd"
#include "log.h"
#include "loop.h"
#include "xalloc.h"

#define HTTPD_BACKOFF_MIN_MS 50
#define HTTPD_BACKOFF_MAX_MS 2000
#define HTTPD_BACKLOG 1024

static void
httpd_listen_resume_cb(void *arg)
{
	struct httpd *h = arg;

	CD_CHECK_OBJ(h, HTTPD_MAGIC);
	evconnlistener_enable(h->lev);
}

void
httpd_listen_pause(struct httpd *h)
{
	int e = EVUTIL_SOCKET_ERROR();
	unsigned long n = 0;

	/* Retrying at once would spin on the same error: pause. */
	evconnlistener_disable(h->lev);
	h->backoff_ms = h->backoff_ms == 0 ? HTTPD_BACKOFF_MIN_MS
			: h->backoff_ms * 2 > HTTPD_BACKOFF_MAX_MS
			    ? HTTPD_BACKOFF_MAX_MS
			    : h->backoff_ms * 2;
	loop_timer_add(h->resume, h->backoff_ms);
	if (ratelog_allow(&h->accept_log, loop_now_ms(h->l), &n))
		log_warn("accept() on %s failed: %s; pausing new connections "
			 "for %llu ms (%lu similar messages suppressed)",
			 h->addr != NULL ? h->addr : "?", strerror(e),
			 (unsigned long long)h->backoff_ms, n);
}

static void
httpd_listen_error_cb(struct evconnlistener *lev, void *arg)
{
	struct httpd *h = arg;

	CD_CHECK_OBJ(h, HTTPD_MAGIC);
	(void)lev; /* h->lev */
	httpd_listen_pause(h);
}

int
httpd_listen_open(struct httpd *h, const char *ip, int port,
		  evconnlistener_cb accept, struct cd_err *err)
{
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char ps[16];
	int rc = 0, g;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	(void)snprintf(ps, sizeof ps, "%d", port);
	/* Start-up only, before the loop runs: a numeric --ip resolves
	 * without I/O. */
	if ((g = getaddrinfo(ip, ps, &hints, &ai)) != 0)
		return cd_err_set(err, -EADDRNOTAVAIL,
				  "httpd: cannot resolve %s: %s", ip,
				  gai_strerror(g));
	errno = 0;
	h->lev = evconnlistener_new_bind(
	    loop_base(h->l), accept, h,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    HTTPD_BACKLOG, ai->ai_addr, (int)ai->ai_addrlen);
	if (h->lev == NULL) {
		rc = errno != 0 ? -errno : -EADDRNOTAVAIL;
		cd_err_set(err, rc, "httpd: cannot listen on %s:%d: %s", ip,
			   port, strerror(-rc));
		goto out;
	}
	evconnlistener_set_error_cb(h->lev, httpd_listen_error_cb);
	h->resume = loop_timer_new(h->l, httpd_listen_resume_cb, h);
	if (getsockname(evconnlistener_get_fd(h->lev), (struct sockaddr *)&ss,
			&sl) == -1) {
		rc = cd_err_set(err, -errno, "httpd: getsockname: %s",
				strerror(errno));
		goto out;
	}
	if (ss.ss_family == AF_INET6)
		h->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		h->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
out:
	freeaddrinfo(ai);
	return rc;
}

void
httpd_listen_close(struct httpd *h)
{
	if (h->lev != NULL)
		evconnlistener_free(h->lev);
	h->lev = NULL;
	loop_timer_free(h->resume);
	h->resume = NULL;
}
