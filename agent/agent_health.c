/*
 * agent_health.c: COMMAND health checks of one task, run by the agent (see
 * agent_health.h). Owns one struct ah_check per COMMAND check, each with
 * its timer and at most one exec in flight.
 *
 * Design: Marathon's and Mesos' bookkeeping in small: a failure before the
 * first success and within gracePeriodSeconds of RUNNING is ignored; a
 * success resets the consecutive failures. The task is healthy when every
 * check's last counted result is a success, unhealthy when any is a
 * failure, unknown before that; only changes are reported. The next check
 * of a check starts intervalSeconds after the previous one started, or
 * when it ends if it took longer, so checks never pile up. Exit status 0
 * is healthy; anything else, a timeout or an exec that cannot start is a
 * failure, except -ENOENT: the containerizer does not run the task (yet,
 * while it re-adopts it after a restart, or any more), which says nothing
 * about its health, so that result is skipped. Loop thread only.
 */
#include "agent/agent_health.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "agent_health"
#include "containerizer/ctr.h"
#include "lib/health_timing.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/xalloc.h"

#define AH_CHECK_MAGIC 0xa4ea1701u

struct ah_check {
	unsigned magic;
	struct agent_health *h; /* borrowed: owner */
	char *cmd;		/* owned */
	struct health_timing tm;
	int failures; /* consecutive, counted ones */
	bool ever_ok;
	int result;		  /* -1 none yet, 0 failing, 1 passing */
	struct loop_timer *timer; /* owned */
	struct ctr_exec *x;	  /* borrowed: in flight, or NULL */
	uint64_t begun_ms;	  /* loop_now_ms when x started */
};

struct agent_health {
	struct loop *l; /* borrowed */
	struct ctr *c;	/* borrowed: the agent's containerizers */
	char *task_id;	/* owned */
	long long started_ms;
	struct ah_check *checks; /* owned array */
	size_t n;
	int reported; /* -1 nothing yet, 0, 1 */
	bool killed;
	agent_health_report_fn *report;
	agent_health_kill_fn *kill;
	void *arg; /* borrowed: the caller's, for report and kill */
};

static bool
ah_is_agent_check(const json_t *hc)
{
	const char *proto = json_string_value(json_object_get(hc, "protocol"));

	return proto != NULL && strcmp(proto, "COMMAND") == 0 &&
	       json_string_value(json_object_get(json_object_get(hc, "command"),
						 "value")) != NULL;
}

bool
agent_health_wanted(const json_t *health_checks)
{
	const json_t *hc;
	size_t i;

	json_array_foreach(health_checks, i, hc)
		if (ah_is_agent_check(hc))
			return true;
	return false;
}

/* The task's health over all checks: -1 unknown, 0, 1. */
static int
ah_aggregate(const struct agent_health *h)
{
	int agg = 1;
	size_t i;

	for (i = 0; i < h->n; i++) {
		if (h->checks[i].result == 0)
			return 0;
		if (h->checks[i].result < 0)
			agg = -1;
	}
	return agg;
}

static void
ah_halt(struct agent_health *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		loop_timer_del(h->checks[i].timer);
		ctr_exec_cancel(h->checks[i].x);
		h->checks[i].x = NULL;
	}
}

static void
ah_record(struct ah_check *k, bool ok, const char *why)
{
	struct agent_health *h = k->h;
	long long now = loop_wall_ms();
	int agg;

	if (!ok && !k->ever_ok && now - h->started_ms < k->tm.grace_ms) {
		log_debug("task %s: health check '%s' failed within the grace "
			  "period: %s",
			  h->task_id, k->cmd, why);
		return;
	}
	if (ok) {
		k->ever_ok = true;
		k->failures = 0;
		k->result = 1;
	} else {
		k->failures++;
		k->result = 0;
		log_info("task %s: health check '%s' failed (%d in a row): %s",
			 h->task_id, k->cmd, k->failures, why);
	}
	agg = ah_aggregate(h);
	if (agg >= 0 && agg != h->reported) {
		h->reported = agg;
		h->report(h->arg, agg == 1, agg == 1 ? NULL : why);
	}
	if (!ok && k->tm.max_failures > 0 &&
	    k->failures >= k->tm.max_failures) {
		char *msg = xasprintf("health check '%s' failed %d times in a "
				      "row: %s",
				      k->cmd, k->failures, why);

		h->killed = true;
		ah_halt(h);
		h->kill(h->arg, msg);
		free(msg);
	}
}

static void
ah_schedule(struct ah_check *k)
{
	uint64_t took = loop_now_ms(k->h->l) - k->begun_ms;

	if (k->h->killed)
		return;
	loop_timer_add(k->timer, health_timing_next_ms(&k->tm, took));
}

static void
ah_exec_done(void *arg, int status, const char *why)
{
	struct ah_check *k = arg;

	CD_CHECK_OBJ(k, AH_CHECK_MAGIC);
	k->x = NULL;
	if (status != -ENOENT)
		ah_record(k, status == 0, why != NULL ? why : "failed");
	ah_schedule(k);
}

static void
ah_timer_cb(void *arg)
{
	struct ah_check *k = arg;
	struct agent_health *h;
	struct cd_err err;

	CD_CHECK_OBJ(k, AH_CHECK_MAGIC);
	h = k->h;
	if (h->killed || k->x != NULL)
		return;
	cd_err_clear(&err);
	k->begun_ms = loop_now_ms(h->l);
	k->x = ctr_exec(h->c, h->task_id, k->cmd, k->tm.timeout_ms,
			ah_exec_done, k, &err);
	if (k->x == NULL) {
		if (err.code != -ENOENT)
			ah_record(k, false, err.msg);
		ah_schedule(k);
	}
}

struct agent_health *
agent_health_start(struct loop *l, struct ctr *c, const char *task_id,
		   const json_t *health_checks, long long started_ms,
		   agent_health_report_fn *report, agent_health_kill_fn *kill,
		   void *arg)
{
	struct agent_health *h;
	const json_t *hc;
	size_t i, n = 0;

	if (!agent_health_wanted(health_checks))
		return NULL;
	h = xcalloc(1, sizeof *h);
	h->l = l;
	h->c = c;
	h->task_id = xstrdup(task_id);
	h->started_ms = started_ms > 0 ? started_ms : loop_wall_ms();
	h->reported = -1;
	h->report = report;
	h->kill = kill;
	h->arg = arg;
	h->checks = xcalloc(json_array_size(health_checks), sizeof *h->checks);
	json_array_foreach(health_checks, i, hc) {
		struct ah_check *k = &h->checks[n];
		if (!ah_is_agent_check(hc))
			continue;
		k->magic = AH_CHECK_MAGIC;
		k->h = h;
		k->cmd = xstrdup(json_string_value(
		    json_object_get(json_object_get(hc, "command"), "value")));
		health_timing_parse(hc, &k->tm);
		k->result = -1;
		k->timer = loop_timer_new(l, ah_timer_cb, k);
		loop_timer_add(k->timer, 0);
		n++;
	}
	h->n = n;
	log_info("task %s: running %zu COMMAND health check(s)", task_id, n);
	return h;
}

void
agent_health_resend(struct agent_health *h)
{
	if (h != NULL)
		h->reported = -1;
}

void
agent_health_stop(struct agent_health *h)
{
	size_t i;

	if (h == NULL)
		return;
	ah_halt(h);
	for (i = 0; i < h->n; i++) {
		loop_timer_free(h->checks[i].timer);
		free(h->checks[i].cmd);
		h->checks[i].magic = 0;
	}
	free(h->checks);
	free(h->task_id);
	free(h);
}
