/*
 * ctr_mesos.h: the "mesos" containerizer: tasks as plain processes in
 * their sandbox. Each task runs as `/bin/sh -c cmd` (or its args, through
 * execvp) in its own session and process group, with stdout and stderr
 * appended to <sandbox>/stdout and <sandbox>/stderr and the environment of
 * the agent (less CLUSTERD_* variables) plus the task's env and
 * MESOS_SANDBOX=<sandbox>. Loop thread only.
 *
 * Events: TASK_RUNNING once exec() succeeded, with the checkpoint
 * {"pid": N, "start_time": <field 22 of /proc/N/stat>} and container id
 * "pid:N"; then one terminal state: FINISHED (exit 0), FAILED (non-zero
 * exit, signal, or exec failure), KILLED (a kill was asked). Exit is seen
 * through a pidfd on the loop and the status collected with waitid(), so
 * no zombie remains and no SIGCHLD handler is installed.
 *
 * Kill: SIGTERM to the process group, then SIGKILL to it after the grace
 * (the kill's grace_ms, else the task's kill_grace_ms, else
 * conf->stop_timeout_ms). When the leader exits, whatever is left in its
 * group is killed too.
 *
 * Recover: a checkpointed process that is alive with the same start time
 * is watched again (no event). It is no longer our child, so its exit
 * status is unknown: it ends as TASK_FAILED "exit status unknown after
 * agent restart", or KILLED when a kill was asked. A process that is gone
 * ends as TASK_FAILED "process gone while the agent was down".
 * reap_orphans has nothing to list and returns 0.
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_MESOS_H
#define CLUSTERD_CONTAINERIZER_CTR_MESOS_H

#include "containerizer/ctr.h"

/* Whether t is a plain-process task: cmd or args, and no docker image. */
int ctr_mesos_handles(const struct wire_task *t);

/* As declared in ctr.h: the impl to ctr_add() with *ops. */
void *ctr_mesos_new(struct loop *l, const struct ctr_mesos_conf *conf,
		    ctr_event_fn *ev, void *arg, const struct ctr_ops **ops);

#endif
