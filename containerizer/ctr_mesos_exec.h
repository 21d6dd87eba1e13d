/*
 * ctr_mesos_exec.h: commands run for a task of the "mesos" containerizer
 * (ctr_ops.exec, for COMMAND health checks): "/bin/sh -c cmd" in its own
 * process group, in the task's sandbox and environment, with every
 * standard stream on /dev/null; watched by a pidfd on the loop and
 * SIGKILLed at its timeout. The driver (ctr_mesos.c) keeps the list of
 * commands in flight and finds the task; this module knows only the
 * sandbox and environment it is given. Loop thread only.
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_MESOS_EXEC_H
#define CLUSTERD_CONTAINERIZER_CTR_MESOS_EXEC_H

#include <sys/queue.h>

#include <jansson.h>

#include "containerizer/ctr.h"
#include "containerizer/ctr_user.h"
#include "lib/err.h"

struct loop;
struct ctr_mesos_exec;

/* The commands in flight, owned by the driver; LIST_INIT it. */
LIST_HEAD(ctr_mesos_exec_list, ctr_mesos_exec);

/*
 * Start cmd in sandbox with env (the task's, as in ctr_mesos_spawn_env()),
 * as user (borrowed for the call; NULL: the agent's), on list. done runs once,
 * later, from the loop, unless the exec is cancelled first (ctr_exec_cancel():
 * the command is killed, and reaped later without a callback). Returns the
 * handle (borrowed: valid until done runs or it is cancelled), or NULL with
 * err.
 */
struct ctr_exec *ctr_mesos_exec_start(
    struct loop *l, struct ctr_mesos_exec_list *list, const char *sandbox,
    const json_t *env, const struct ctr_user *user, const char *cmd,
    long timeout_ms, ctr_exec_fn *done, void *arg, struct cd_err *err);
/* Kill and free every command on list; their done never runs. */
void ctr_mesos_exec_free_all(struct ctr_mesos_exec_list *list);

#endif
