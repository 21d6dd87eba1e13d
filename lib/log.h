/*
 * log.h: the one logging module (STYLE B23). Lines go to stderr as
 * "LEVEL module: message". The macros test the level before evaluating
 * their arguments. fatal() appends strerror(errno); fatalx() does not.
 * Loop thread only, except that log_write() is safe to call from any thread
 * (one write(2) per line), which the ZooKeeper log adapter relies on.
 */
#ifndef CLUSTERD_LIB_LOG_H
#define CLUSTERD_LIB_LOG_H

#include "compat.h"

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN = 1,
	LOG_LVL_INFO = 2,
	LOG_LVL_DEBUG = 3,
};

extern int log_level_cur;

/* Parse "error", "warning", "info", "debug"; returns 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
void log_set_level(enum log_level lvl);
/* Route libevent's internal messages into this log. */
void log_hook_libevent(void);

void log_write(enum log_level lvl, const char *mod, const char *fmt, ...)
    CD_PRINTF(3, 4);
CD_NORETURN void log_fatal(int with_errno, const char *mod, const char *fmt,
			   ...) CD_PRINTF(3, 4);

#ifndef LOG_MOD
#define LOG_MOD "clusterd"
#endif

#define log_error(...)                                                         \
	do {                                                                   \
		if (log_level_cur >= LOG_LVL_ERROR)                            \
			log_write(LOG_LVL_ERROR, LOG_MOD, __VA_ARGS__);        \
	} while (0)
#define log_warn(...)                                                          \
	do {                                                                   \
		if (log_level_cur >= LOG_LVL_WARN)                             \
			log_write(LOG_LVL_WARN, LOG_MOD, __VA_ARGS__);         \
	} while (0)
#define log_info(...)                                                          \
	do {                                                                   \
		if (log_level_cur >= LOG_LVL_INFO)                             \
			log_write(LOG_LVL_INFO, LOG_MOD, __VA_ARGS__);         \
	} while (0)
#define log_debug(...)                                                         \
	do {                                                                   \
		if (log_level_cur >= LOG_LVL_DEBUG)                            \
			log_write(LOG_LVL_DEBUG, LOG_MOD, __VA_ARGS__);        \
	} while (0)
#define fatal(...) log_fatal(1, LOG_MOD, __VA_ARGS__)
#define fatalx(...) log_fatal(0, LOG_MOD, __VA_ARGS__)

#endif
