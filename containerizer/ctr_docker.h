/*
 * ctr_docker.h: the "docker" containerizer: tasks as containers, driven
 * entirely through the Docker Engine API v1.41 (httpc over the unix
 * socket conf->socket_path, URLs "http://docker/v1.41/..."). The docker
 * CLI is never used and nothing blocks. Loop thread only.
 *
 * Launch: TASK_STARTING, then POST /containers/create named
 * "clusterd-<task id>" with the body of ctr_docker_api_create(), at once,
 * as `docker run` does. A 404 there, when GET /images/{image}/json
 * confirms the image is missing, or forcePullImage, leads to POST
 * /images/create with its own timeout conf->pull_timeout_ms (default 10
 * min), then the create (again). A 409 (name exists, e.g. after a crash
 * between create and checkpoint) adopts the existing container when it
 * carries this agent's labels; POST .../start. Its 204 (the process was
 * started) is TASK_RUNNING (checkpoint {"container_id": id}); no inspect
 * follows, as nothing in it is needed then. A container that exits at
 * once is reported RUNNING then its terminal state (by the wait, which
 * answers at once for a stopped container). Any failure is TASK_FAILED
 * with a message, and a half-made container is removed.
 *
 * Exit: a long-poll POST .../wait. StatusCode 0 is TASK_FINISHED, others
 * TASK_FAILED "exited with status N"; TASK_KILLED when a kill was asked.
 * A wait that fails in transport (daemon restart) is retried with backoff;
 * a 404 then is TASK_FAILED "container disappeared". After the terminal
 * event the container is removed (DELETE ?force=1); the sandbox stays.
 *
 * Logs: GET .../logs?follow=1 streamed and demultiplexed into
 * <sandbox>/stdout and <sandbox>/stderr (O_APPEND). These are plain
 * write(2) calls to local files on the loop thread, accepted as short.
 * The terminal event waits (at most 3 s) for the log stream to end, so the
 * sandbox files are complete when the agent hears of the exit.
 *
 * Kill: POST .../stop?t=<grace s> (grace: the kill's, else the task's,
 * else conf->stop_timeout_ms; HTTP timeout grace + 15 s); the pending wait
 * then ends it as TASK_KILLED. A task still pulling is cancelled at once;
 * one being created or started ends as TASK_KILLED when the step returns.
 *
 * Recover: from {"container_id"} (or the container name), GET .../json:
 * running -> watched again (wait, and logs since now), no event; exited ->
 * its terminal state; 404 -> TASK_FAILED "container lost while the agent
 * was down" (FAILED rather than LOST, so Marathon restarts it at once).
 * Transport errors are retried with backoff, as the daemon may be
 * restarting too.
 *
 * reap_orphans: lists containers labelled clusterd.agent_id=<agent_key>
 * and force-removes those whose task is neither known nor tracked; it
 * never touches containers without that label. The listing is
 * asynchronous, so it returns 0 and logs each container it removes.
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_DOCKER_H
#define CLUSTERD_CONTAINERIZER_CTR_DOCKER_H

#include "containerizer/ctr.h"

/* Whether t is a docker task: container.type DOCKER or a docker image. */
int ctr_docker_handles(const struct wire_task *t);

/* As declared in ctr.h: the impl to ctr_add() with *ops. */
void *ctr_docker_new(struct loop *l, struct httpc *hc,
		     const struct ctr_docker_conf *conf, ctr_event_fn *ev,
		     void *arg, const struct ctr_ops **ops);

#endif
