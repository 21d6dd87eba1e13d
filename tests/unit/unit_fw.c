/*
 * unit_fw: the master's unit tests' fake framework (see unit_fw.h). Owns
 * nothing: the record lives in the test's struct ut_fw.
 */
#include "tests/unit/unit_fw.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lib/wire.h"
#include "master/master.h"

static void
fw_registered(void *sched, const char *fw_id, const char *master_id)
{
	struct ut_fw *fw = sched;

	(void)master_id;
	snprintf(fw->id, sizeof fw->id, "%s", fw_id);
	fw->registered = 1;
}

static void
fw_offers(void *sched, const struct fw_offer *o, size_t n)
{
	struct ut_fw *fw = sched;
	size_t i;

	for (i = 0; i < n; i++) {
		if (fw->offer != NULL && fw->offer(fw->arg, &o[i]))
			continue;
		master_framework_ops()->decline(fw->m, fw->id, o[i].id,
						fw->decline_s);
	}
}

static void
fw_rescind(void *sched, const char *offer_id)
{
	(void)sched;
	(void)offer_id;
}

static int
fw_status(void *sched, const struct wire_status *st)
{
	struct ut_fw *fw = sched;
	int i;

	if (fw->refuse)
		return -1;
	i = fw->n++;
	assert_true(i < UT_FW_MAX);
	snprintf(fw->task[i], sizeof fw->task[0], "%s", st->task_id);
	fw->state[i] = st->state;
	snprintf(fw->reason[i], sizeof fw->reason[0], "%s",
		 st->reason ? st->reason : "");
	snprintf(fw->source[i], sizeof fw->source[0], "%s",
		 st->source ? st->source : "");
	return 0;
}

static void
fw_agent_lost(void *sched, const char *agent_id)
{
	struct ut_fw *fw = sched;

	if (fw->agent_lost != NULL)
		fw->agent_lost(fw->arg, agent_id);
}

const struct framework_sched_ops ut_fw_ops = {
    .registered = fw_registered,
    .offers = fw_offers,
    .rescind = fw_rescind,
    .status = fw_status,
    .agent_lost = fw_agent_lost,
};

int
ut_fw_status_of(const struct ut_fw *fw, const char *task_id,
		const char **reason)
{
	int i, s = -1;

	for (i = 0; i < fw->n; i++)
		if (strcmp(fw->task[i], task_id) == 0) {
			s = (int)fw->state[i];
			if (reason != NULL)
				*reason = fw->reason[i];
		}
	return s;
}

int
ut_fw_last(const struct ut_fw *fw)
{
	return fw->n > 0 ? (int)fw->state[fw->n - 1] : -1;
}
