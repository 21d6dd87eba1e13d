/*
 * ctr_docker_logs.c: a docker task's output into its sandbox (see
 * ctr_docker_int.h). Owns one struct ctr_docker_logs per task: the two
 * sandbox files, the framed stream's demultiplexer, the follow request,
 * the timer that reopens a stream the daemon cut, and the record of where
 * the files end (<sandbox>.logpos, ctr_docker_stream.h).
 *
 * Nothing lost or doubled across restarts: the stream is asked with
 * timestamps=1; each message's timestamp is taken off (ctr_dk_demux) and,
 * once the message is written whole, becomes the last one written. After
 * each chunk of the stream the record {last timestamp, sizes of stdout and
 * stderr} is rewritten in place (one pwrite of 64 bytes; no fsync: a
 * kill -9 of the agent loses no page-cache write). A stream resumed (the
 * agent restarted, or the daemon cut it) first cuts the files back to the
 * recorded sizes (dropping a message written in part, or written after
 * the record), then asks since= the recorded timestamp and drops every
 * message not after it (Docker's since is inclusive).
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
#include <sys/stat.h>
#include <unistd.h>

#define LOG_MOD "ctr_docker"
#include "containerizer/ctr_docker_api.h"
#include "containerizer/ctr_docker_int.h"
#include "containerizer/ctr_docker_stream.h"
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
	int outfd, errfd, posfd; /* owned, -1 when closed */
	bool write_failed;
	long long out_off, err_off; /* where the files end now */
	struct ctr_dk_logpos pos;   /* the last message written whole */
	bool have_pos;		    /* pos holds one */
	bool pos_dirty;		    /* pos changed since it was recorded */
};

static void dk_logs_request(struct ctr_docker_logs *lg, bool resume);

static void
dk_logs_sink(enum ctr_dk_stream s, const char *p, size_t n, void *arg)
{
	struct ctr_docker_logs *lg = arg;
	int fd = s == CTR_DK_STDOUT ? lg->outfd : lg->errfd;
	long long *off = s == CTR_DK_STDOUT ? &lg->out_off : &lg->err_off;
	ssize_t w;

	while (n > 0 && fd != -1 && !lg->write_failed) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			log_warn("task %s: writing logs: %s", lg->task_id,
				 strerror(errno));
			lg->write_failed = true;
			return;
		}
		p += w;
		n -= (size_t)w;
		*off += w;
	}
}

/* A message begins: keep it unless the files already have it. */
static bool
dk_logs_begin(enum ctr_dk_stream s, const char *ts, void *arg)
{
	struct ctr_docker_logs *lg = arg;
	struct ctr_dk_time t;

	(void)s;
	if (ctr_dk_time_parse(ts, &t) != 0)
		return true; /* cannot tell: better twice than never */
	return !lg->have_pos || ctr_dk_time_cmp(&t, &lg->pos.last) > 0;
}

/* A message was written whole: the files now end after it. */
static void
dk_logs_frame_end(enum ctr_dk_stream s, const char *ts, void *arg)
{
	struct ctr_docker_logs *lg = arg;
	struct ctr_dk_time t;

	(void)s;
	if (lg->write_failed || ctr_dk_time_parse(ts, &t) != 0)
		return;
	lg->pos.last = t;
	lg->pos.out = lg->out_off;
	lg->pos.err = lg->err_off;
	lg->have_pos = true;
	lg->pos_dirty = true;
}

static void
dk_logs_record(struct ctr_docker_logs *lg)
{
	char rec[CTR_DK_LOGPOS_LEN];

	if (!lg->pos_dirty || lg->posfd == -1)
		return;
	lg->pos_dirty = false;
	ctr_dk_logpos_format(&lg->pos, rec);
	if (pwrite(lg->posfd, rec, sizeof rec, 0) != (ssize_t)sizeof rec)
		log_warn("task %s: cannot record where its logs end: %s",
			 lg->task_id, strerror(errno));
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
	dk_logs_record(lg);
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
dk_logs_file(const struct ctr_docker_logs *lg, const char *path, int flags)
{
	int fd = CD_FAULT_SYS("sandbox.log")
		     ? -1
		     : open(path, O_CREAT | O_CLOEXEC | flags, 0644);

	if (fd == -1)
		log_warn("task %s: cannot open %s: %s", lg->task_id, path,
			 strerror(errno));
	return fd;
}

static void
dk_logs_files(struct ctr_docker_logs *lg)
{
	char *path;

	if (lg->outfd == -1) {
		path = xasprintf("%s/stdout", lg->sandbox);
		lg->outfd = dk_logs_file(lg, path, O_WRONLY | O_APPEND);
		free(path);
	}
	if (lg->errfd == -1) {
		path = xasprintf("%s/stderr", lg->sandbox);
		lg->errfd = dk_logs_file(lg, path, O_WRONLY | O_APPEND);
		free(path);
	}
	if (lg->posfd == -1) {
		path = xasprintf("%s.logpos", lg->sandbox);
		lg->posfd = dk_logs_file(lg, path, O_RDWR);
		free(path);
	}
}

static long long
dk_logs_size(int fd)
{
	struct stat st;

	return fd != -1 && fstat(fd, &st) == 0 ? (long long)st.st_size : 0;
}

/* After a restart: where the files ended, from the record. */
static void
dk_logs_load(struct ctr_docker_logs *lg)
{
	char rec[CTR_DK_LOGPOS_LEN + 1];
	ssize_t n;

	if (lg->have_pos || lg->posfd == -1)
		return;
	n = pread(lg->posfd, rec, CTR_DK_LOGPOS_LEN, 0);
	if (n > 0 && ctr_dk_logpos_parse(rec, (size_t)n, &lg->pos) == 0)
		lg->have_pos = true;
}

/*
 * Resuming: the files go back to where the last whole message ended, so
 * that the stream since then neither doubles nor skips a byte. true when
 * there is a point to resume from.
 */
static bool
dk_logs_rewind(struct ctr_docker_logs *lg)
{
	long long out = dk_logs_size(lg->outfd), err = dk_logs_size(lg->errfd);

	dk_logs_load(lg);
	if (!lg->have_pos)
		return false;
	if (out > lg->pos.out && ftruncate(lg->outfd, lg->pos.out) == 0)
		out = lg->pos.out;
	if (err > lg->pos.err && ftruncate(lg->errfd, lg->pos.err) == 0)
		err = lg->pos.err;
	lg->out_off = out;
	lg->err_off = err;
	return true;
}

static void
dk_logs_request(struct ctr_docker_logs *lg, bool resume)
{
	char since[48];
	char *path;

	dk_logs_files(lg);
	ctr_dk_demux_init_ts(&lg->demux, dk_logs_begin, dk_logs_frame_end);
	lg->write_failed = false;
	if (resume && dk_logs_rewind(lg)) {
		ctr_dk_time_since(&lg->pos.last, since, sizeof since);
		path = xasprintf("/containers/%s/logs?follow=1&stdout=1"
				 "&stderr=1&timestamps=1&since=%s",
				 lg->cid, since);
	} else if (resume && (dk_logs_size(lg->outfd) > 0 ||
			      dk_logs_size(lg->errfd) > 0)) {
		/* Files without a record (an older agent wrote them): from
		 * now on, rather than all over again. */
		lg->out_off = dk_logs_size(lg->outfd);
		lg->err_off = dk_logs_size(lg->errfd);
		path = xasprintf("/containers/%s/logs?follow=1&stdout=1"
				 "&stderr=1&timestamps=1&since=%lld",
				 lg->cid, (long long)(loop_wall_ms() / 1000));
	} else {
		lg->out_off = dk_logs_size(lg->outfd);
		lg->err_off = dk_logs_size(lg->errfd);
		path = xasprintf("/containers/%s/logs?follow=1&stdout=1"
				 "&stderr=1&timestamps=1",
				 lg->cid);
	}
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
	lg->outfd = lg->errfd = lg->posfd = -1;
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
	if (lg->posfd != -1)
		close(lg->posfd);
	free(lg->task_id);
	free(lg->sandbox);
	free(lg->cid);
	CD_FREE_OBJ(lg);
}

void
ctr_docker_logs_open(struct ctr_docker_logs *lg, const char *cid, bool resume)
{
	CD_CHECK_OBJ(lg, DK_LOGS_MAGIC);
	if (lg->req != NULL || lg->ending)
		return;
	free(lg->cid);
	lg->cid = xstrdup(cid);
	loop_timer_del(lg->timer);
	dk_logs_request(lg, resume);
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
