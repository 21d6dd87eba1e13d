/*
 * master_outbox.h: the master's messages to agents (RunTask, KillTask,
 * ping), POSTed as JSON under /internal/. Each agent has a FIFO with a
 * few messages in flight, in order per task; pings go around it. See
 * master_outbox.c for why.
 * Loop thread only.
 */
#ifndef CLUSTERD_MASTER_MASTER_OUTBOX_H
#define CLUSTERD_MASTER_MASTER_OUTBOX_H

#include <stdbool.h>

#include <jansson.h>

struct httpc_resp;
struct master;
struct master_agent;

/*
 * The end of a message: resp is the agent's answer (status 0 on a
 * transport failure, with resp->sent saying whether the agent may have
 * acted on it anyway), or NULL when the message was discarded unsent
 * (master_outbox_cancel(), or the master is being freed): then only
 * release arg. agent_id is borrowed for the call.
 */
typedef void master_outbox_done_fn(struct master *m, const char *agent_id,
				   const struct httpc_resp *resp, void *arg);

/* Queued messages in flight per agent (urgent ones aside). */
#define MASTER_OUTBOX_IN_FLIGHT 4

enum master_outbox_flags {
	/* Bypass the queue (pings), and time out within a ping interval so
	 * that each interval's ping has its own answer. */
	MASTER_OUTBOX_URGENT = 1 << 0,
};

/*
 * Send body (stolen) to path on agent a, after the messages queued before
 * it. task_id (copied; NULL for none) names the task the message is about:
 * it is not sent while an earlier message about that task is in flight.
 * done (may be NULL) runs exactly once, later, never from inside this
 * call; arg is passed to it. The timeout (the master's ping timeout) runs
 * from when the message is sent.
 */
void master_outbox_post(struct master *m, struct master_agent *a,
			const char *path, json_t *body, const char *task_id,
			unsigned flags, master_outbox_done_fn *done, void *arg);
/*
 * Whether a message to path about task_id is still queued for a (not
 * sent yet).
 */
bool master_outbox_queued(const struct master_agent *a, const char *path,
			  const char *task_id);
/*
 * Whether a message to path about task_id is queued for a or in flight to
 * it (sent, not answered yet).
 */
bool master_outbox_pending(const struct master_agent *a, const char *path,
			   const char *task_id);
/*
 * Take back the message to path about task_id queued for a, before it is
 * sent: its done runs from inside this call with resp NULL. Returns 0, or
 * -ENOENT when no such message waits (it may be in flight, or done).
 */
int master_outbox_cancel(struct master *m, struct master_agent *a,
			 const char *path, const char *task_id);
/*
 * Fail the messages still queued for a (the agent is lost, nothing will
 * get through): each done runs from inside this call with status 0 and
 * resp->sent false. The one in flight, if any, ends on its own.
 */
void master_outbox_flush(struct master *m, struct master_agent *a,
			 const char *why);
/* Master teardown: cancel everything in flight or queued (done(NULL)). */
void master_outbox_release(struct master *m);

#endif
