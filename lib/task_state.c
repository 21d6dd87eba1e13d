/*
 * task_state.c: task state names and the one table of legal transitions
 * (STYLE B12). Pure: constant tables only; any thread.
 *
 * Design: task_state_next[from] is a bit set of the states "to" that may
 * follow "from". Rules:
 *   - a repeat of the same state is always allowed (a retried status
 *     update is a no-op, also for terminal states);
 *   - STAGING/STARTING/RUNNING/KILLING move forward only, may end in any
 *     terminal state and may become UNREACHABLE when the agent is lost;
 *   - UNREACHABLE may come back (the agent re-registered and reports the
 *     task as STARTING, RUNNING or KILLING) or end in a terminal state;
 *   - a terminal state never changes.
 */
#include "task_state.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "compat.h"

#define TS_BIT(s) (1u << (s))
#define TS_TERMINAL                                                            \
	(TS_BIT(TASK_FINISHED) | TS_BIT(TASK_FAILED) | TS_BIT(TASK_KILLED) |   \
	 TS_BIT(TASK_ERROR) | TS_BIT(TASK_LOST) | TS_BIT(TASK_DROPPED) |       \
	 TS_BIT(TASK_GONE) | TS_BIT(TASK_UNKNOWN))

static const char *const task_state_names[TASK_STATE_COUNT] = {
    [TASK_STAGING] = "TASK_STAGING",
    [TASK_STARTING] = "TASK_STARTING",
    [TASK_RUNNING] = "TASK_RUNNING",
    [TASK_KILLING] = "TASK_KILLING",
    [TASK_FINISHED] = "TASK_FINISHED",
    [TASK_FAILED] = "TASK_FAILED",
    [TASK_KILLED] = "TASK_KILLED",
    [TASK_ERROR] = "TASK_ERROR",
    [TASK_LOST] = "TASK_LOST",
    [TASK_DROPPED] = "TASK_DROPPED",
    [TASK_UNREACHABLE] = "TASK_UNREACHABLE",
    [TASK_GONE] = "TASK_GONE",
    [TASK_UNKNOWN] = "TASK_UNKNOWN",
};

/* state x next: bit "to" is set in task_state_next[from] when allowed. */
static const uint32_t task_state_next[TASK_STATE_COUNT] = {
    [TASK_STAGING] = TS_BIT(TASK_STAGING) | TS_BIT(TASK_STARTING) |
		     TS_BIT(TASK_RUNNING) | TS_BIT(TASK_KILLING) |
		     TS_BIT(TASK_UNREACHABLE) | TS_TERMINAL,
    [TASK_STARTING] = TS_BIT(TASK_STARTING) | TS_BIT(TASK_RUNNING) |
		      TS_BIT(TASK_KILLING) | TS_BIT(TASK_UNREACHABLE) |
		      TS_TERMINAL,
    [TASK_RUNNING] = TS_BIT(TASK_RUNNING) | TS_BIT(TASK_KILLING) |
		     TS_BIT(TASK_UNREACHABLE) | TS_TERMINAL,
    [TASK_KILLING] =
	TS_BIT(TASK_KILLING) | TS_BIT(TASK_UNREACHABLE) | TS_TERMINAL,
    [TASK_UNREACHABLE] = TS_BIT(TASK_UNREACHABLE) | TS_BIT(TASK_STARTING) |
			 TS_BIT(TASK_RUNNING) | TS_BIT(TASK_KILLING) |
			 TS_TERMINAL,
    [TASK_FINISHED] = TS_BIT(TASK_FINISHED),
    [TASK_FAILED] = TS_BIT(TASK_FAILED),
    [TASK_KILLED] = TS_BIT(TASK_KILLED),
    [TASK_ERROR] = TS_BIT(TASK_ERROR),
    [TASK_LOST] = TS_BIT(TASK_LOST),
    [TASK_DROPPED] = TS_BIT(TASK_DROPPED),
    [TASK_GONE] = TS_BIT(TASK_GONE),
    [TASK_UNKNOWN] = TS_BIT(TASK_UNKNOWN),
};

static bool
task_state_valid(enum task_state s)
{
	return (unsigned)s < TASK_STATE_COUNT;
}

const char *
task_state_name(enum task_state s)
{
	if (!task_state_valid(s))
		return "TASK_UNKNOWN";
	return task_state_names[s];
}

int
task_state_parse(const char *name, enum task_state *out)
{
	size_t i;

	if (name == NULL)
		return -EINVAL;
	for (i = 0; i < CD_NELEM(task_state_names); i++) {
		if (strcmp(task_state_names[i], name) == 0) {
			*out = (enum task_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool
task_state_terminal(enum task_state s)
{
	return task_state_valid(s) && (TS_TERMINAL & TS_BIT(s)) != 0;
}

bool
task_state_allowed(enum task_state from, enum task_state to)
{
	if (!task_state_valid(from) || !task_state_valid(to))
		return false;
	return (task_state_next[from] & TS_BIT(to)) != 0;
}
