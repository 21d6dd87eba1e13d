/*
 * agent_files.c: Mesos' sandbox file endpoints on the agent port:
 * /files/browse, /files/read and /files/download (and /files/debug), in
 * Mesos' shapes, so that tools written for a Mesos agent read a clusterd
 * sandbox.
 *
 * Design decisions:
 * - Confinement: a path is served only when its real path (symbolic links
 *   resolved) lies inside this agent's sandboxes,
 *   <work_dir>/slaves/<agent_id>/. A link inside a sandbox that points out
 *   of it resolves outside and is refused like any other path; a refusal
 *   is a 404, as Mesos answers for a path it has not attached, so that the
 *   agent says nothing of what exists elsewhere.
 * - Besides Mesos' absolute paths (the "directory" of an executor in
 *   /state), "task=<task id>" names a task's sandbox and makes "path"
 *   relative to it: this is how the master's /v2/tasks/{id}/files proxy
 *   reaches a sandbox without knowing its directory.
 * - /files/read returns at most AGENT_FILES_PAGE bytes per call
 *   (SPEC section 2). Its "data" is a JSON string, so bytes that are not
 *   UTF-8 become '?' one for one (offsets stay byte offsets), and a
 *   multi-byte character cut by the end of the page is left for the next
 *   read.
 * - /files/download streams the file in AGENT_FILES_PAGE chunks, one per
 *   loop pass and only while the client keeps up, so a large file never
 *   holds the loop or fills memory.
 * - Reads are small synchronous file reads on the loop (like the sandbox
 *   log appends, see docs/ARCHITECTURE.md "Threads").
 * Loop thread only.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirent.h>

#include "agent/agent_int.h"
#include "lib/buf.h"
#include "lib/httpd.h"
#include "lib/loop.h"
#include "lib/xalloc.h"

#define LOG_MOD "agent"
#include "lib/log.h"

#define AGENT_FILES_PAGE (64 * 1024)
/* A download pauses while this much is queued for the client. */
#define AGENT_FILES_BACKLOG (1024 * 1024)
#define AGENT_FILES_DL_MAGIC 0xd0f11e5au

/* One download in progress. */
struct agent_files_dl {
	unsigned magic;
	struct httpd_req *req;	 /* borrowed: until done or closed */
	struct loop_timer *tick; /* owned */
	int fd;			 /* owned */
};

/* The root every served path must be inside: realpath of the agent's
 * slaves/<id> directory. Caller frees; NULL before registration. */
static char *
agent_files_root(const struct agent *a)
{
	char *dir, *real;

	if (a->id == NULL)
		return NULL;
	dir = xasprintf("%s/slaves/%s", a->s_work_dir, a->id);
	real = realpath(dir, NULL);
	free(dir);
	return real;
}

/*
 * The real path of the request's file (path=, or task= plus a relative
 * path=), when it exists inside the sandboxes. Caller frees; NULL after a
 * reply was sent (400 or 404).
 */
static char *
agent_files_resolve(struct agent *a, struct httpd_req *req)
{
	const char *path = httpd_req_query(req, "path");
	const char *task = httpd_req_query(req, "task");
	char *want = NULL, *real = NULL, *root = NULL;
	size_t n;

	if (task != NULL) {
		const struct agent_task *t = NULL;

		TAILQ_FOREACH(t, &a->tasks, link)
			if (strcmp(t->task.task_id, task) == 0)
				break;
		if (t == NULL) {
			httpd_reply_error(req, 404,
					  "no such task on this agent", NULL);
			return NULL;
		}
		want = path == NULL || path[0] == '\0'
			   ? xstrdup(t->sandbox)
			   : xasprintf("%s/%s", t->sandbox, path);
	} else if (path == NULL || path[0] != '/') {
		httpd_reply_error(req, 400,
				  "'path' must be an absolute path (or give "
				  "'task')",
				  NULL);
		return NULL;
	} else {
		want = xstrdup(path);
	}
	root = agent_files_root(a);
	real = realpath(want, NULL);
	n = root != NULL ? strlen(root) : 0;
	if (root == NULL || real == NULL || strncmp(real, root, n) != 0 ||
	    (real[n] != '/' && real[n] != '\0')) {
		httpd_reply_error(req, 404, "file not found", NULL);
		free(real);
		real = NULL;
	}
	free(want);
	free(root);
	return real;
}

/* ls -l's mode string of st ("drwxr-xr-x"). */
static void
agent_files_mode(mode_t m, char out[11])
{
	static const char rwx[] = "rwxrwxrwx";
	int i;

	out[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : '-';
	for (i = 0; i < 9; i++)
		out[i + 1] = (m & (1u << (8 - i))) ? rwx[i] : '-';
	out[10] = '\0';
}

static json_t *
agent_files_entry(const char *path, const struct stat *st)
{
	struct passwd *pw = getpwuid(st->st_uid);
	struct group *gr = getgrgid(st->st_gid);
	char mode[11], uid[16], gid[16];

	agent_files_mode(st->st_mode, mode);
	snprintf(uid, sizeof uid, "%u", (unsigned)st->st_uid);
	snprintf(gid, sizeof gid, "%u", (unsigned)st->st_gid);
	return json_pack("{s:s, s:I, s:I, s:f, s:s, s:s, s:s}", "path", path,
			 "nlink", (json_int_t)st->st_nlink, "size",
			 (json_int_t)st->st_size, "mtime",
			 (double)st->st_mtim.tv_sec, "mode", mode, "uid",
			 pw != NULL ? pw->pw_name : uid, "gid",
			 gr != NULL ? gr->gr_name : gid);
}

static void
agent_files_browse(struct httpd_req *req, void *arg)
{
	struct agent *a = arg;
	char *dir = agent_files_resolve(a, req);
	json_t *list;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (dir == NULL)
		return;
	if ((d = opendir(dir)) == NULL) {
		httpd_reply_error(req, errno == ENOTDIR ? 400 : 404,
				  errno == ENOTDIR ? "not a directory"
						   : "directory not found",
				  NULL);
		free(dir);
		return;
	}
	list = json_array();
	while ((de = readdir(d)) != NULL) {
		char *p;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0)
			json_array_append_new(list, agent_files_entry(p, &st));
		free(p);
	}
	closedir(d);
	free(dir);
	httpd_reply_json(req, 200, list);
}

/* How many bytes of a UTF-8 sequence starting with c, or 0 if c cannot
 * start one. */
static size_t
agent_files_u8len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/*
 * Make p[0..*n) valid UTF-8 in place: invalid bytes become '?'. When more
 * of the file follows (!eof), a character cut at the end is dropped from
 * *n, to be read whole next time.
 */
static void
agent_files_utf8(char *p, size_t *n, bool eof)
{
	size_t i = 0, k, len;

	while (i < *n) {
		len = agent_files_u8len((unsigned char)p[i]);
		if (len == 0) {
			p[i++] = '?';
			continue;
		}
		if (i + len > *n) {
			if (!eof && len <= 4) {
				*n = i;
				return;
			}
			for (; i < *n; i++)
				p[i] = '?';
			return;
		}
		for (k = 1; k < len; k++)
			if (((unsigned char)p[i + k] & 0xc0) != 0x80)
				break;
		if (k < len) {
			p[i++] = '?';
			continue;
		}
		i += len;
	}
}

/* A decimal query parameter, or dflt when absent; -1 after a 400. */
static int
agent_files_num(struct httpd_req *req, const char *key, long long dflt,
		long long min, long long *out)
{
	const char *v = httpd_req_query(req, key);
	char *end;
	long long n;

	if (v == NULL || v[0] == '\0') {
		*out = dflt;
		return 0;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min) {
		char *msg = xasprintf("invalid '%s': %s", key, v);

		httpd_reply_error(req, 400, msg, NULL);
		free(msg);
		return -1;
	}
	*out = n;
	return 0;
}

static void
agent_files_read(struct httpd_req *req, void *arg)
{
	struct agent *a = arg;
	long long offset, length;
	char *file = NULL, *data = NULL;
	struct stat st;
	ssize_t got;
	size_t n;
	int fd = -1;

	if (agent_files_num(req, "offset", 0, -1, &offset) != 0 ||
	    agent_files_num(req, "length", AGENT_FILES_PAGE, 0, &length) != 0)
		return;
	if ((file = agent_files_resolve(a, req)) == NULL)
		return;
	if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1 ||
	    fstat(fd, &st) == -1) {
		httpd_reply_error(req, 404, "file not found", NULL);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		httpd_reply_error(req, 400, "cannot read a directory", NULL);
		goto out;
	}
	if (offset == -1) {
		httpd_reply_json(req, 200,
				 json_pack("{s:s, s:I}", "data", "", "offset",
					   (json_int_t)st.st_size));
		goto out;
	}
	if (length > AGENT_FILES_PAGE)
		length = AGENT_FILES_PAGE;
	data = xmalloc((size_t)length + 1);
	got = length > 0 && offset < st.st_size
		  ? pread(fd, data, (size_t)length, (off_t)offset)
		  : 0;
	if (got < 0) {
		httpd_reply_error(req, 500, "cannot read the file", NULL);
		goto out;
	}
	n = (size_t)got;
	agent_files_utf8(data, &n, offset + got >= st.st_size);
	httpd_reply_json(req, 200,
			 json_pack("{s:s%, s:I}", "data", data, n, "offset",
				   (json_int_t)offset));
out:
	if (fd != -1)
		close(fd);
	free(data);
	free(file);
}

static void
agent_files_dl_free(struct agent_files_dl *d)
{
	loop_timer_free(d->tick);
	if (d->fd != -1)
		close(d->fd);
	CD_FREE_OBJ(d);
}

static void
agent_files_dl_closed(struct httpd_req *req, void *arg)
{
	struct agent_files_dl *d = arg;

	(void)req;
	CD_CHECK_OBJ(d, AGENT_FILES_DL_MAGIC);
	agent_files_dl_free(d);
}

static void
agent_files_dl_tick(void *arg)
{
	struct agent_files_dl *d = arg;
	char page[AGENT_FILES_PAGE];
	ssize_t got;

	CD_CHECK_OBJ(d, AGENT_FILES_DL_MAGIC);
	if (httpd_stream_pending(d->req) > AGENT_FILES_BACKLOG) {
		loop_timer_add(d->tick, 10);
		return;
	}
	got = read(d->fd, page, sizeof page);
	if (got > 0) {
		httpd_stream_send(d->req, page, (size_t)got);
		loop_timer_add(d->tick, 0);
		return;
	}
	if (got < 0)
		log_warn("download cut short: %s", strerror(errno));
	/* Ending the reply releases the request (its close callback is not
	 * called then), so the download goes with it. */
	httpd_stream_end(d->req);
	agent_files_dl_free(d);
}

static void
agent_files_download(struct httpd_req *req, void *arg)
{
	struct agent *a = arg;
	struct agent_files_dl *d;
	char *file, *disp;
	const char *base;
	struct stat st;
	int fd;

	if ((file = agent_files_resolve(a, req)) == NULL)
		return;
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (fd != -1)
			close(fd);
		httpd_reply_error(req, 404, "file not found", NULL);
		free(file);
		return;
	}
	base = strrchr(file, '/');
	disp = xasprintf("attachment; filename=\"%s\"",
			 base != NULL ? base + 1 : file);
	free(file);
	httpd_reply_header(req, "Content-Disposition", disp);
	free(disp);
	if (httpd_stream_start(req, "application/octet-stream") != 0) {
		close(fd);
		return;
	}
	CD_ALLOC_OBJ(d, AGENT_FILES_DL_MAGIC);
	d->req = req;
	d->fd = fd;
	d->tick = loop_timer_new(a->loop, agent_files_dl_tick, d);
	httpd_req_on_close(req, agent_files_dl_closed, d);
	loop_timer_add(d->tick, 0);
}

/* Mesos' /files/debug: the attached virtual paths, here the sandboxes. */
static void
agent_files_debug(struct httpd_req *req, void *arg)
{
	struct agent *a = arg;
	const struct agent_task *t;
	json_t *j = json_object();

	TAILQ_FOREACH(t, &a->tasks, link)
		json_object_set_new(j, t->sandbox, json_string(t->sandbox));
	httpd_reply_json(req, 200, j);
}

static const struct httpd_route agent_files_routes_tab[] = {
    {HTTPD_GET, "/files/browse", agent_files_browse},
    {HTTPD_GET, "/files/browse.json", agent_files_browse},
    {HTTPD_GET, "/files/read", agent_files_read},
    {HTTPD_GET, "/files/read.json", agent_files_read},
    {HTTPD_GET, "/files/download", agent_files_download},
    {HTTPD_GET, "/files/download.json", agent_files_download},
    {HTTPD_GET, "/files/debug", agent_files_debug},
};

void
agent_files_routes(struct agent *a)
{
	httpd_add_routes(a->httpd, agent_files_routes_tab,
			 CD_NELEM(agent_files_routes_tab), a);
}
