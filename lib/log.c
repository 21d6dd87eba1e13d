/*
 * log.c: formats one line per event and writes it to stderr with a single
 * write(2), so lines from different threads never interleave. The level is
 * a global set once at start-up; reading it is the only shared state.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

int log_level_cur = LOG_LVL_INFO;

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

int
log_level_parse(const char *s, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level lvl;
	} names[] = {
	    {"error", LOG_LVL_ERROR}, {"warning", LOG_LVL_WARN},
	    {"warn", LOG_LVL_WARN},   {"info", LOG_LVL_INFO},
	    {"debug", LOG_LVL_DEBUG},
	};
	size_t i;

	for (i = 0; i < CD_NELEM(names); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].lvl;
			return 0;
		}
	}
	return -EINVAL;
}

void
log_set_level(enum log_level lvl)
{
	log_level_cur = lvl;
}

static void
log_vwrite(enum log_level lvl, const char *mod, const char *suffix,
	   const char *fmt, va_list ap)
{
	char line[2048];
	struct timeval tv;
	struct tm tm;
	int n, m;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = snprintf(
	    line, sizeof line,
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (long)(tv.tv_usec / 1000), level_names[lvl], mod);
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	m = vsnprintf(line + n, sizeof line - n, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n >= sizeof line - 2)
		n = sizeof line - 2;
	if (suffix != NULL) {
		m = snprintf(line + n, sizeof line - n, ": %s", suffix);
		if (m > 0)
			n += m;
		if ((size_t)n >= sizeof line - 2)
			n = sizeof line - 2;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) == -1)
		return;
}

void
log_write(enum log_level lvl, const char *mod, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(lvl, mod, NULL, fmt, ap);
	va_end(ap);
}

void
log_fatal(int with_errno, const char *mod, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERROR, mod, with_errno ? strerror(saved) : NULL, fmt,
		   ap);
	va_end(ap);
	exit(1);
}

static void
log_libevent_cb(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("%s", msg);
		break;
	case EVENT_LOG_MSG:
		log_info("%s", msg);
		break;
	case EVENT_LOG_WARN:
		log_warn("%s", msg);
		break;
	default:
		log_error("%s", msg);
		break;
	}
}

void
log_hook_libevent(void)
{
	event_set_log_callback(log_libevent_cb);
}
