/*
 * task_state.h: the canonical task states (Mesos' names) and the table of
 * legal transitions (STYLE B12). Pure.
 */
#ifndef CLUSTERD_LIB_TASK_STATE_H
#define CLUSTERD_LIB_TASK_STATE_H

#include <stdbool.h>

enum task_state {
	TASK_STAGING = 0, /* accepted by the scheduler, sent towards an agent */
	TASK_STARTING,	  /* the agent is pulling or creating the container */
	TASK_RUNNING,	  /* confirmed running */
	TASK_KILLING,	  /* a kill was sent; waiting for the exit */
	TASK_FINISHED,	  /* exited 0 (terminal) */
	TASK_FAILED,	  /* exited non-zero or failed to launch (terminal) */
	TASK_KILLED,	  /* killed on request (terminal) */
	TASK_ERROR,	  /* the task description was invalid (terminal) */
	TASK_LOST,	  /* lost, 0.x/1.x clients see this (terminal) */
	TASK_DROPPED,	  /* never reached the agent (terminal) */
	TASK_UNREACHABLE, /* its agent is lost; may come back */
	TASK_GONE,	  /* its agent is gone for good (terminal) */
	TASK_UNKNOWN,	  /* no agent knows it (terminal) */
	TASK_STATE_COUNT
};

/* "TASK_RUNNING" and so on; never NULL. */
const char *task_state_name(enum task_state s);
/* Parse a name; -EINVAL when unknown. */
int task_state_parse(const char *name, enum task_state *out);
bool task_state_terminal(enum task_state s);
/* Whether from -> to is allowed by the transition table. */
bool task_state_allowed(enum task_state from, enum task_state to);

#endif
