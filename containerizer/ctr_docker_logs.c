/*
 * ctr_docker_logs.c: a docker task's output into its sandbox (see
 * ctr_docker_int.h). Owns one struct ctr_docker_logs per task: the two
 * sandbox files, the framed stream's demultiplexer, the follow request
 * and the timer that reopens a stream the daemon cut.
 *
 * The files are written with plain write(2) on the loop thread as the
 * stream arrives: local appends, accepted as short (docs/ARCHITECTURE.md).
 * A write that fails is logged once and the rest of the stream dropped;
 * the container is never held up by its logs. Loop thread only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_MOD "ctr_docker"
#include "containerizer/ctr_docker_api.h"
#include "containerizer/ctr_docker_int.h"
#include "lib/fault.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/xalloc.h"

#define DK_LOGS_MAGIC 0xd0c4e705u
#define DK_LOGS_BACKOFF_MIN_MS 1000
#define DK_LOGS_BACKOFF_MAX_MS 5000

struct ctr_docker_logs {
	unsigned magic;
	struct ctr_docker *d;	  /* borrowed: the driver */
	char *task_id;		  /* owned: for the log */
	char *sandbox;		  /* owned */
	char *cid;		  /* owned or NULL: the container followed */
	struct httpc_req *req;	  /* borrowed: the stream in flight */
	struct loop_timer *timer; /* owned: reopens a cut stream */
	int backoff_ms;
	bool ending; /* the container ended: never reopen */
	ctr_docker_logs_end_fn *end;
	void *end_arg; /* borrowed: the caller's, for end */
	struct ctr_dk_demux demux;
	int outfd, errfd; /* owned, -1 when closed */
	bool write_failed;
};

static void dk_logs_request(struct ctr_docker_logs *lg, bool since_now);

static void
dk_logs_sink(enum ctr_dk_stream s, const char *p, size_t n, void *arg)
{
	struct ctr_docker_logs *lg = arg;
	int fd = s == CTR_DK_STDOUT ? lg->outfd : lg->errfd;
	ssize_t w;

	while (n > 0 && fd != -1) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			if (!lg->write_failed)
				log_warn("task %s: writing logs: %s",
					 lg->task_id, strerror(errno));
			lg->write_failed = true;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void
dk_logs_data(const char *p, size_t n, void *arg)
{
	struct ctr_docker_logs *lg = arg;

	CD_CHECK_OBJ(lg, DK_LOGS_MAGIC);
	if (ctr_dk_demux_feed(&lg->demux, p, n, dk_logs_sink, lg) != 0 &&
	    !lg->write_failed) {
		log_warn("task %s: malformed log stream; dropping the rest",
			 lg->task_id);
		lg->write_failed = true;
	}
}

static void
dk_logs_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_logs *lg = arg;
	ctr_docker_logs_end_fn *end = lg->end;

	CD_CHECK_OBJ(lg, DK_LOGS_MAGIC);
	lg->req = NULL;
	if (lg->ending) {
		lg->end = NULL;
		/* Last: end may free lg. */
		if (end != NULL)
			end(lg->end_arg);
		return;
	}
	/* A transport error while it runs: the daemon went away. */
	if (r->status == 0) {
		lg->backoff_ms = lg->backoff_ms == 0 ? DK_LOGS_BACKOFF_MIN_MS
				 : lg->backoff_ms * 2 > DK_LOGS_BACKOFF_MAX_MS
				     ? DK_LOGS_BACKOFF_MAX_MS
				     : lg->backoff_ms * 2;
		loop_timer_add(lg->timer, (uint64_t)lg->backoff_ms);
	}
}

static void
dk_logs_timer_cb(void *arg)
{
	struct ctr_docker_logs *lg = arg;

	CD_CHECK_OBJ(lg, DK_LOGS_MAGIC);
	if (!lg->ending && lg->req == NULL)
		dk_logs_request(lg, true);
}

static int
dk_logs_file(const struct ctr_docker_logs *lg, const char *name)
{
	char *path = xasprintf("%s/%s", lg->sandbox, name);
	int fd =
	    CD_FAULT_SYS("sandbox.log")
		? -1
		: open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd == -1)
		log_warn("task %s: cannot open %s: %s", lg->task_id, path,
			 strerror(errno));
	free(path);
	return fd;
}

static void
dk_logs_request(struct ctr_docker_logs *lg, bool since_now)
{
	char *path;

	if (lg->outfd == -1)
		lg->outfd = dk_logs_file(lg, "stdout");
	if (lg->errfd == -1)
		lg->errfd = dk_logs_file(lg, "stderr");
	ctr_dk_demux_init(&lg->demux);
	if (since_now)
		path = xasprintf("/containers/%s/logs?follow=1&stdout=1"
				 "&stderr=1&since=%lld",
				 lg->cid, (long long)time(NULL));
	else
		path = xasprintf("/containers/%s/logs?follow=1&stdout=1"
				 "&stderr=1",
				 lg->cid);
	lg->req = ctr_docker_http(lg->d, "GET", path, NULL, -1, dk_logs_data,
				  dk_logs_done, lg);
	free(path);
}

struct ctr_docker_logs *
ctr_docker_logs_new(struct ctr_docker *d, const char *task_id,
		    const char *sandbox)
{
	struct ctr_docker_logs *lg;

	CD_ALLOC_OBJ(lg, DK_LOGS_MAGIC);
	lg->d = d;
	lg->task_id = xstrdup(task_id);
	lg->sandbox = xstrdup(sandbox);
	lg->timer = loop_timer_new(d->l, dk_logs_timer_cb, lg);
	lg->outfd = lg->errfd = -1;
	return lg;
}

void
ctr_docker_logs_free(struct ctr_docker_logs *lg)
{
	if (lg == NULL)
		return;
	CD_CHECK_OBJ(lg, DK_LOGS_MAGIC);
	ctr_docker_http_cancel(&lg->req);
	loop_timer_free(lg->timer);
	if (lg->outfd != -1)
		close(lg->outfd);
	if (lg->errfd != -1)
		close(lg->errfd);
	free(lg->task_id);
	free(lg->sandbox);
	free(lg->cid);
	CD_FREE_OBJ(lg);
}

void
ctr_docker_logs_open(struct ctr_docker_logs *lg, const char *cid,
		     bool since_now)
{
	CD_CHECK_OBJ(lg, DK_LOGS_MAGIC);
	if (lg->req != NULL || lg->ending)
		return;
	free(lg->cid);
	lg->cid = xstrdup(cid);
	loop_timer_del(lg->timer);
	dk_logs_request(lg, since_now);
}

bool
ctr_docker_logs_streaming(const struct ctr_docker_logs *lg)
{
	return lg->req != NULL;
}

bool
ctr_docker_logs_end(struct ctr_docker_logs *lg, ctr_docker_logs_end_fn *end,
		    void *arg)
{
	CD_CHECK_OBJ(lg, DK_LOGS_MAGIC);
	lg->ending = true;
	loop_timer_del(lg->timer);
	if (lg->req == NULL)
		return false;
	lg->end = end;
	lg->end_arg = arg;
	return true;
}

void
ctr_docker_logs_cancel(struct ctr_docker_logs *lg)
{
	CD_CHECK_OBJ(lg, DK_LOGS_MAGIC);
	lg->ending = true;
	lg->end = NULL;
	loop_timer_del(lg->timer);
	ctr_docker_http_cancel(&lg->req);
}
