/*
 * ctr_fetch.c: the Mesos fetcher for one task (see ctr_fetch.h). Owns one
 * struct ctr_fetch per task being fetched: its items, the download in
 * flight, the open files, the extraction and the timers that pace the
 * steps. Calls ctr_fetch_items.c (the list), ctr_fetch_archive.c
 * (extraction) and ctr_user.c, which call nothing back.
 *
 * Design: a small state machine over the items, advanced by httpc
 * callbacks (a download) and by a zero-delay timer (each copy or
 * extraction step, and the first step, so that nothing is reported from
 * inside ctr_fetch_start()). One step does at most FX_STEP bytes of disk
 * work, then yields to the loop. Loop thread only.
 */
#include "containerizer/ctr_fetch.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_MOD "ctr_fetch"
#include "containerizer/ctr_fetch_archive.h"
#include "containerizer/ctr_fetch_items.h"
#include "lib/httpc.h"
#include "lib/id.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/path.h"
#include "lib/policy.h"
#include "lib/xalloc.h"

#define FX_MAGIC 0xfe7c4001u
#define FX_STEP ((size_t)1 << 20)     /* disk work per loop pass */
#define FX_STALL_MS 60000L	      /* a download without data */
#define FX_TIMEOUT_MS (3600L * 1000L) /* a download in all */

enum fx_phase {
	FX_NEXT,     /* begin the next item (or finish) */
	FX_DOWNLOAD, /* an http(s) GET in flight */
	FX_COPY,     /* copying infd into outfd */
	FX_EXTRACT,  /* extracting the item's archive */
	FX_FAILED,   /* report the failure decided earlier */
};

struct ctr_fetch {
	unsigned magic;
	struct loop *l;	      /* borrowed: the agent's */
	struct httpc *hc;     /* borrowed: the agent's */
	char *cache_dir;      /* owned */
	char *allowed;	      /* owned or NULL: --allowed_host_paths */
	char *sandbox;	      /* owned */
	struct ctr_user user; /* owned copy */
	struct ctr_fetch_items items;
	size_t i; /* the item in progress */
	enum fx_phase phase;
	struct loop_timer *step;     /* owned: the next step */
	struct loop_timer *stall;    /* owned: a download's silence */
	struct httpc_req *req;	     /* borrowed: the download in flight */
	int outfd;		     /* owned, -1: the item in the sandbox */
	int dlfd;		     /* owned, -1: a download into the cache */
	int infd;		     /* owned, -1: the copy's source */
	char *dest;		     /* owned: the item's path in the sandbox */
	char *tmp;		     /* owned or NULL: the cache download */
	char *cached;		     /* owned or NULL: the item's cache file */
	struct ctr_fetch_archive *x; /* owned or NULL */
	int write_errno;	     /* a download write failed */
	int rc;
	char *msg; /* owned or NULL: the failure */
	ctr_fetch_done_fn *done;
	void *arg; /* borrowed: the caller's */
};

bool
ctr_fetch_needed(const struct wire_task *t)
{
	return json_array_size(t->fetch) > 0 || json_array_size(t->uris) > 0;
}

static void
fx_close(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

/* Drop what the current item holds (a failed or finished item). */
static void
fx_item_reset(struct ctr_fetch *f)
{
	if (f->req != NULL)
		httpc_cancel(f->req);
	f->req = NULL;
	loop_timer_del(f->stall);
	fx_close(&f->outfd);
	fx_close(&f->dlfd);
	fx_close(&f->infd);
	if (f->tmp != NULL)
		(void)unlink(f->tmp);
	free(f->tmp);
	f->tmp = NULL;
	free(f->dest);
	f->dest = NULL;
	free(f->cached);
	f->cached = NULL;
	ctr_fetch_archive_free(f->x);
	f->x = NULL;
	f->write_errno = 0;
}

static void
fx_free(struct ctr_fetch *f)
{
	fx_item_reset(f);
	loop_timer_free(f->step);
	loop_timer_free(f->stall);
	ctr_fetch_items_release(&f->items);
	ctr_user_release(&f->user);
	free(f->cache_dir);
	free(f->allowed);
	free(f->sandbox);
	free(f->msg);
	CD_FREE_OBJ(f);
}

void
ctr_fetch_cancel(struct ctr_fetch *f)
{
	if (f == NULL)
		return;
	CD_CHECK_OBJ(f, FX_MAGIC);
	fx_free(f);
}

/* Report and free: done may start or cancel anything but f. */
static void
fx_finish(struct ctr_fetch *f)
{
	ctr_fetch_done_fn *done = f->done;
	void *arg = f->arg;
	char *msg = f->msg;
	int rc = f->rc;

	f->msg = NULL;
	if (rc == 0)
		log_info("fetched %zu item(s) into %s", f->items.n, f->sandbox);
	else
		log_warn("%s", msg);
	fx_free(f);
	done(arg, rc, msg);
	free(msg);
}

/* The current item failed: rc and a message naming its URI. */
static void CD_PRINTF(3, 4)
    fx_fail(struct ctr_fetch *f, int rc, const char *fmt, ...)
{
	va_list ap;
	char *why;

	va_start(ap, fmt);
	why = xvasprintf(fmt, ap);
	va_end(ap);
	fx_item_reset(f);
	f->rc = rc < 0 ? rc : -EIO;
	free(f->msg);
	f->msg =
	    xasprintf("Failed to fetch '%s': %s", f->items.v[f->i].uri, why);
	free(why);
	f->phase = FX_FAILED;
	fx_finish(f);
}

static void
fx_next_step(struct ctr_fetch *f, enum fx_phase phase)
{
	f->phase = phase;
	loop_timer_add(f->step, 0);
}

static int
fx_write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The item is fetched (and extracted): on to the next one. */
static void
fx_item_next(struct ctr_fetch *f)
{
	fx_item_reset(f);
	f->i++;
	fx_next_step(f, FX_NEXT);
}

/* The item is in the sandbox: its owner, its mode, then extraction. */
static void
fx_item_done(struct ctr_fetch *f)
{
	const struct ctr_fetch_item *it = &f->items.v[f->i];
	struct cd_err err;
	int rc;

	cd_err_clear(&err);
	if (ctr_user_own_fd(&f->user, f->outfd) != 0 ||
	    fchmod(f->outfd, it->executable ? 0755 : 0644) == -1) {
		fx_fail(f, -errno, "cannot set the owner or mode of %s",
			it->name);
		return;
	}
	fx_close(&f->outfd);
	if (it->extract) {
		rc = ctr_fetch_archive_open(f->dest, f->sandbox, &f->user,
					    &f->x, &err);
		if (rc != 0) {
			fx_fail(f, rc, "%s", err.msg);
			return;
		}
		fx_next_step(f, FX_EXTRACT);
		return;
	}
	fx_item_next(f);
}

static void
fx_copy_step(struct ctr_fetch *f)
{
	char buf[65536];
	size_t spent = 0;
	ssize_t n;
	int rc;

	while (spent < FX_STEP) {
		n = read(f->infd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			fx_fail(f, -errno, "reading: %s", strerror(errno));
			return;
		}
		if (n == 0) {
			fx_close(&f->infd);
			fx_item_done(f);
			return;
		}
		if ((rc = fx_write_all(f->outfd, buf, (size_t)n)) != 0) {
			fx_fail(f, rc, "writing into the sandbox: %s",
				strerror(-rc));
			return;
		}
		spent += (size_t)n;
	}
	fx_next_step(f, FX_COPY);
}

static void
fx_extract_step(struct ctr_fetch *f)
{
	struct cd_err err;
	int rc;

	cd_err_clear(&err);
	rc = ctr_fetch_archive_step(f->x, FX_STEP, &err);
	if (rc < 0) {
		fx_fail(f, rc, "extracting: %s", err.msg);
		return;
	}
	if (rc > 0) {
		fx_next_step(f, FX_EXTRACT);
		return;
	}
	fx_item_next(f);
}

/* Copy from path (a host file or the cache) into the item's file. */
static void
fx_copy_from(struct ctr_fetch *f, const char *path)
{
	struct stat st;

	f->infd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (f->infd == -1) {
		fx_fail(f, -errno, "%s: %s", path, strerror(errno));
		return;
	}
	if (fstat(f->infd, &st) == -1 || !S_ISREG(st.st_mode)) {
		fx_fail(f, -EINVAL, "%s is not a regular file", path);
		return;
	}
	fx_next_step(f, FX_COPY);
}

/* Whether the cache holds uri under key (its .uri file matches). */
static bool
fx_cache_hit(const char *cached, const char *uri)
{
	char *upath = xasprintf("%s.uri", cached), buf[4097];
	ssize_t n = -1;
	int fd;

	if ((fd = open(upath, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
	}
	free(upath);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return strcmp(buf, uri) == 0 && access(cached, R_OK) == 0;
}

/* The download is complete in f->tmp: move it into the cache. */
static int
fx_cache_store(struct ctr_fetch *f)
{
	const char *uri = f->items.v[f->i].uri;
	char *upath = xasprintf("%s.uri", f->cached);
	char *utmp = xasprintf("%s.uri", f->tmp);
	int fd, rc = 0;

	fd = open(utmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || fx_write_all(fd, uri, strlen(uri)) != 0 ||
	    rename(f->tmp, f->cached) == -1 || rename(utmp, upath) == -1)
		rc = -errno;
	if (fd != -1)
		close(fd);
	(void)unlink(utmp);
	free(utmp);
	free(upath);
	return rc;
}

static void
fx_dl_data(const char *p, size_t n, void *arg)
{
	struct ctr_fetch *f = arg;
	int fd = f->dlfd != -1 ? f->dlfd : f->outfd;
	int rc;

	CD_CHECK_OBJ(f, FX_MAGIC);
	loop_timer_add(f->stall, FX_STALL_MS);
	if (f->write_errno == 0 && (rc = fx_write_all(fd, p, n)) != 0)
		f->write_errno = -rc;
}

static void
fx_dl_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_fetch *f = arg;
	int rc;

	CD_CHECK_OBJ(f, FX_MAGIC);
	f->req = NULL;
	loop_timer_del(f->stall);
	if (r->status == 0) {
		fx_fail(f, r->err != NULL ? r->err->code : -EIO, "%s",
			r->err != NULL ? r->err->msg : "transport error");
		return;
	}
	if (r->status < 200 || r->status > 299) {
		fx_fail(f, -EIO, "HTTP %d", r->status);
		return;
	}
	if (f->write_errno != 0) {
		fx_fail(f, -f->write_errno, "writing: %s",
			strerror(f->write_errno));
		return;
	}
	if (f->tmp == NULL) {
		fx_item_done(f);
		return;
	}
	fx_close(&f->dlfd);
	if ((rc = fx_cache_store(f)) != 0) {
		fx_fail(f, rc, "cannot store it in the cache: %s",
			strerror(-rc));
		return;
	}
	free(f->tmp);
	f->tmp = NULL;
	fx_copy_from(f, f->cached);
}

static void
fx_stall_cb(void *arg)
{
	struct ctr_fetch *f = arg;

	CD_CHECK_OBJ(f, FX_MAGIC);
	fx_fail(f, -ETIMEDOUT, "no data for %ld s", FX_STALL_MS / 1000);
}

static void
fx_download(struct ctr_fetch *f, const struct ctr_fetch_item *it)
{
	struct httpc_opts o;
	char key[17], uuid[ID_UUID_LEN];
	int rc;

	if (it->cache) {
		ctr_fetch_items_cache_key(it->uri, key);
		f->cached = xasprintf("%s/%s", f->cache_dir, key);
		if (fx_cache_hit(f->cached, it->uri)) {
			log_info("%s: from the cache", it->uri);
			fx_copy_from(f, f->cached);
			return;
		}
		if ((rc = path_mkdirs(f->cache_dir, 0700)) != 0) {
			fx_fail(f, rc, "cannot create the cache %s: %s",
				f->cache_dir, strerror(-rc));
			return;
		}
		id_uuid(uuid);
		f->tmp = xasprintf("%s.tmp.%s", f->cached, uuid);
		f->dlfd =
		    open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (f->dlfd == -1) {
			fx_fail(f, -errno, "%s: %s", f->tmp, strerror(errno));
			return;
		}
	}
	memset(&o, 0, sizeof o);
	o.url = it->uri;
	o.timeout_ms = FX_TIMEOUT_MS;
	o.on_data = fx_dl_data;
	o.follow_redirects = 1;
	f->phase = FX_DOWNLOAD;
	loop_timer_add(f->stall, FX_STALL_MS);
	f->req = httpc_request(f->hc, &o, fx_dl_done, f);
}

/* A host file: only from below --allowed_host_paths, on its real path. */
static void
fx_local(struct ctr_fetch *f, const struct ctr_fetch_item *it)
{
	char real[PATH_MAX];

	if (!policy_host_path_allowed(it->path, f->allowed)) {
		fx_fail(f, -EPERM,
			"%s is not below an allowed host path "
			"(" POLICY_FLAG_PATHS ")",
			it->path);
		return;
	}
	if (realpath(it->path, real) == NULL) {
		fx_fail(f, -errno, "%s: %s", it->path, strerror(errno));
		return;
	}
	if (!policy_host_path_allowed(real, f->allowed)) {
		fx_fail(f, -EPERM,
			"%s leads to %s, which is not below an allowed host "
			"path (" POLICY_FLAG_PATHS ")",
			it->path, real);
		return;
	}
	fx_copy_from(f, real);
}

static void
fx_item_begin(struct ctr_fetch *f)
{
	const struct ctr_fetch_item *it = &f->items.v[f->i];
	char *slash;
	int rc;

	f->dest = xasprintf("%s/%s", f->sandbox, it->name);
	slash = strrchr(f->dest, '/');
	*slash = '\0';
	rc = path_mkdirs(f->dest, 0755);
	*slash = '/';
	if (rc != 0) {
		fx_fail(f, rc, "cannot create the directory of %s: %s",
			it->name, strerror(-rc));
		return;
	}
	/* O_NOFOLLOW: never write through a link a previous item left. */
	f->outfd =
	    open(f->dest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		 0600);
	if (f->outfd == -1) {
		fx_fail(f, -errno, "%s: %s", f->dest, strerror(errno));
		return;
	}
	log_info("fetching %s into %s", it->uri, f->dest);
	if (it->kind == CTR_FETCH_FILE)
		fx_local(f, it);
	else
		fx_download(f, it);
}

static void
fx_step_cb(void *arg)
{
	struct ctr_fetch *f = arg;

	CD_CHECK_OBJ(f, FX_MAGIC);
	switch (f->phase) {
	case FX_NEXT:
		if (f->i == f->items.n)
			fx_finish(f);
		else
			fx_item_begin(f);
		break;
	case FX_COPY:
		fx_copy_step(f);
		break;
	case FX_EXTRACT:
		fx_extract_step(f);
		break;
	case FX_FAILED:
		fx_finish(f);
		break;
	case FX_DOWNLOAD:
		break;
	}
}

struct ctr_fetch *
ctr_fetch_start(struct loop *l, struct httpc *hc,
		const struct ctr_fetch_conf *conf, const struct wire_task *t,
		const char *sandbox, const struct ctr_user *u,
		ctr_fetch_done_fn *done, void *arg)
{
	struct ctr_fetch *f;
	struct cd_err err;

	CD_ALLOC_OBJ(f, FX_MAGIC);
	f->l = l;
	f->hc = hc;
	f->cache_dir = xstrdup(conf->cache_dir);
	f->allowed = conf->allowed_host_paths != NULL
			 ? xstrdup(conf->allowed_host_paths)
			 : NULL;
	f->sandbox = xstrdup(sandbox);
	ctr_user_copy(&f->user, u);
	f->outfd = f->dlfd = f->infd = -1;
	f->done = done;
	f->arg = arg;
	f->step = loop_timer_new(l, fx_step_cb, f);
	f->stall = loop_timer_new(l, fx_stall_cb, f);
	cd_err_clear(&err);
	if ((f->rc = ctr_fetch_items_of(t, &f->items, &err)) != 0) {
		f->msg = xstrdup(err.msg);
		f->phase = FX_FAILED;
	} else {
		f->phase = FX_NEXT;
	}
	loop_timer_add(f->step, 0);
	return f;
}
