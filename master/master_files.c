/*
 * master_files.c: the API port's relay to a task's sandbox (see
 * master_files.h). Owns the relays in flight: one struct files_relay per
 * request waiting for its agent, on a list so that master_files_free()
 * can cancel them, and freed when the agent answers, when the client
 * hangs up (the upstream request is cancelled), or at the free.
 *
 * The task's agent comes from the master's task registry and the agent's
 * address from its registration, the same base URL the master sends
 * RunTask to (so TLS and the agent's advertised address apply as they do
 * there). The agent resolves the sandbox from the task id itself
 * (agent_files.c's task= form), so the master needs no directory.
 * Loop thread only.
 */
#include "master/master_files.h"

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "lib/buf.h"
#include "lib/httpc.h"
#include "lib/httpd.h"
#include "lib/route.h"
#include "lib/xalloc.h"
#include "master/master_int.h"
#include "master/master_tasks.h"

#define FILES_MAGIC 0xf11e5e1au
#define FILES_RELAY_MAGIC 0xf11e5e1bu
#define FILES_TIMEOUT_MS 10000

struct files_relay {
	unsigned magic;
	struct master_files *f;	    /* borrowed: owner */
	struct httpd_req *req;	    /* borrowed: until answered or closed */
	struct httpc_req *upstream; /* borrowed: until done or cancelled */
	LIST_ENTRY(files_relay) link;
};

struct master_files {
	unsigned magic;
	struct master *m;  /* borrowed: outlives f */
	struct httpd *api; /* borrowed: outlives f */
	LIST_HEAD(, files_relay) relays;
};

static void
files_relay_free(struct files_relay *y)
{
	LIST_REMOVE(y, link);
	CD_FREE_OBJ(y);
}

static void
files_relay_done(const struct httpc_resp *resp, void *arg)
{
	struct files_relay *y = arg;

	CD_CHECK_OBJ(y, FILES_RELAY_MAGIC);
	y->upstream = NULL;
	if (resp->status == 0)
		httpd_reply_error(y->req, 503,
				  "the task's agent did not answer", NULL);
	else
		httpd_reply(y->req, resp->status, "application/json",
			    resp->body, resp->len);
	files_relay_free(y);
}

static void
files_relay_closed(struct httpd_req *r, void *arg)
{
	struct files_relay *y = arg;

	(void)r;
	CD_CHECK_OBJ(y, FILES_RELAY_MAGIC);
	if (y->upstream != NULL)
		httpc_cancel(y->upstream);
	files_relay_free(y);
}

/* Append "&key=<value encoded>" when the request has key. */
static void
files_pass(struct buf *url, struct httpd_req *req, const char *key)
{
	const char *v = httpd_req_query(req, key);

	if (v == NULL)
		return;
	buf_printf(url, "&%s=", key);
	route_encode(url, v);
}

static void
files_relay(struct httpd_req *req, void *arg, const char *what)
{
	struct master_files *f = arg;
	const char *task_id = httpd_req_param(req, "id");
	const char *auth = httpd_req_header(req, "Authorization");
	struct httpc_opts o = {0};
	struct master_task *t;
	struct master_agent *ag;
	struct files_relay *y;
	struct buf url = BUF_INIT;
	char *hdr = NULL;

	CD_CHECK_OBJ(f, FILES_MAGIC);
	t = task_id != NULL ? master_task_find(f->m, task_id) : NULL;
	ag = t != NULL ? master_agent_find(f->m, t->task.agent_id) : NULL;
	if (t == NULL) {
		httpd_reply_error(req, 404, "Task does not exist", NULL);
		return;
	}
	if (ag == NULL || ag->base_url == NULL) {
		httpd_reply_error(req, 503,
				  "the task's agent is not registered", NULL);
		return;
	}
	buf_printf(&url, "%s/files/%s?task=", ag->base_url, what);
	route_encode(&url, task_id);
	files_pass(&url, req, "path");
	files_pass(&url, req, "offset");
	files_pass(&url, req, "length");
	CD_ALLOC_OBJ(y, FILES_RELAY_MAGIC);
	y->f = f;
	y->req = req;
	LIST_INSERT_HEAD(&f->relays, y, link);
	httpd_req_on_close(req, files_relay_closed, y);
	o.url = buf_str(&url);
	o.timeout_ms = FILES_TIMEOUT_MS;
	if (auth != NULL) {
		hdr = xasprintf("Authorization: %s", auth);
		o.extra_header = hdr;
	}
	y->upstream = httpc_request(f->m->hc, &o, files_relay_done, y);
	free(hdr);
	buf_release(&url);
}

static void
files_h_read(struct httpd_req *req, void *arg)
{
	files_relay(req, arg, "read");
}

static void
files_h_browse(struct httpd_req *req, void *arg)
{
	files_relay(req, arg, "browse");
}

static const struct httpd_route files_routes[] = {
    {HTTPD_GET, "/v2/tasks/:id/files/read", files_h_read},
    {HTTPD_GET, "/v2/tasks/:id/files/browse", files_h_browse},
};

struct master_files *
master_files_new(struct master *m, struct httpd *api)
{
	struct master_files *f;

	CD_ALLOC_OBJ(f, FILES_MAGIC);
	f->m = m;
	f->api = api;
	LIST_INIT(&f->relays);
	httpd_add_routes(api, files_routes, CD_NELEM(files_routes), f);
	return f;
}

void
master_files_free(struct master_files *f)
{
	struct files_relay *y;

	if (f == NULL)
		return;
	CD_CHECK_OBJ(f, FILES_MAGIC);
	httpd_remove_routes(f->api, f);
	while ((y = LIST_FIRST(&f->relays)) != NULL) {
		if (y->upstream != NULL)
			httpc_cancel(y->upstream);
		httpd_reply_error(y->req, 503, "the master is stopping", NULL);
		files_relay_free(y);
	}
	CD_FREE_OBJ(f);
}
