/*
 * ratelog.c: one log line per interval for repeated events, counting the
 * rest (see ratelog.h). No clock of its own and no I/O: the caller passes
 * the loop's time and writes the line.
 */
#include "ratelog.h"

#include <stddef.h>

bool
ratelog_allow(struct ratelog *r, uint64_t now_ms, unsigned long *suppressed)
{
	if (r->started && now_ms < r->next_ms) {
		r->suppressed++;
		return false;
	}
	if (suppressed != NULL)
		*suppressed = r->suppressed;
	r->suppressed = 0;
	r->started = true;
	r->next_ms = now_ms + r->interval_ms;
	return true;
}
