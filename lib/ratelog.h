/*
 * ratelog.h: rate limiting for log lines about repeated events (accept()
 * failing with EMFILE, connections refused over a cap, handshakes failing)
 * so that a flood costs at most one line per interval, with the number of
 * lines swallowed in between. A transparent value type: embed a struct
 * ratelog, initialise it with RATELOG_INIT(interval_ms). Pure: the caller
 * passes the clock, so it needs no loop. Loop thread only, like its users.
 */
#ifndef CLUSTERD_LIB_RATELOG_H
#define CLUSTERD_LIB_RATELOG_H

#include <stdbool.h>
#include <stdint.h>

struct ratelog {
	uint64_t interval_ms;	  /* at most one line per interval */
	uint64_t next_ms;	  /* first time the next line may go out */
	unsigned long suppressed; /* calls refused since the last line */
	bool started;		  /* a line went out at least once */
};

#define RATELOG_INIT(ms)                                                       \
	{                                                                      \
		(ms), 0, 0, false                                              \
	}

/*
 * Whether a line may be logged at now_ms. When it may, *suppressed (may be
 * NULL) receives the number of calls refused since the previous line and
 * the count restarts; otherwise the call is counted and false returned.
 */
bool ratelog_allow(struct ratelog *r, uint64_t now_ms,
		   unsigned long *suppressed);

#endif
