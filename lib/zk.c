/*
 * zk.c: owns one ZooKeeper session: the zhandle_t of libzookeeper_mt (one
 * at a time, in a struct zk_conn), the operations started on it, the watch
 * registrations, the session timer, and the mailbox through which the
 * library's threads reach the loop. Loop thread only; the functions the
 * library calls on its own threads live in zk_msg.c and only post.
 *
 * Order: the library delivers completions, watch events and session events
 * from one thread, and the mailbox keeps that order, so a watch event comes
 * after the result of the operation that set the watch. A registration is
 * armed only once that result has arrived: an earlier event on the same
 * path belongs to an earlier watch.
 *
 * Lifetimes. The library holds an op (its struct zk_ticket, the first
 * member) as a completion's data until the completion has run, so the op
 * stays allocated until its message is handled, even after its owner heard
 * -ETIMEDOUT (op->done). Closing a handle joins the library's threads
 * (zookeeper_close), then drains the mailbox synchronously: messages of the
 * closed handle are stale (their ops freed, nothing reported); the ops whose
 * completion never ran are freed after that. A conn outlives its threads,
 * so the watchers' context is always valid.
 *
 * Watches: every node watch uses zk_msg_node() with the conn as context;
 * the loop keeps the registrations (path, kind, callback) and fires every
 * armed one that matches an event, as the library does with its watch
 * tables (data and exists watches on created/changed/deleted, child
 * watches on child/deleted).
 *
 * Session loss: on ZOO_CONNECTING after being connected, a timer of the
 * negotiated session timeout starts. When it fires, or when the server says
 * the session expired, pending ops fail with -ENOTCONN, registrations are
 * dropped, the handle is closed and a new one opened (retried every second
 * while zookeeper_init fails, as with an unresolvable host name).
 */
#include "zk.h"

#include <sys/queue.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zookeeper/zookeeper.h>

#include "fault.h"
#include "loop.h"
#include "mailbox.h"
#include "xalloc.h"
#include "zk_msg.h"
#include "zk_multi.h"

#define LOG_MOD "zk"
#include "log.h"

#define ZK_MAGIC 0x2c5e5510u
#define ZK_REOPEN_MS 1000

enum zk_op_kind {
	ZK_OP_CREATE,
	ZK_OP_GET,
	ZK_OP_SET,
	ZK_OP_DELETE,
	ZK_OP_EXISTS,
	ZK_OP_CHILDREN,
	ZK_OP_SYNC,
	ZK_OP_MULTI,
};

enum zk_watch_kind {
	ZK_WATCH_DATA,	/* set by get or exists */
	ZK_WATCH_CHILD, /* set by get_children */
};

TAILQ_HEAD(zk_watch_list, zk_watch);

struct zk_watch {
	TAILQ_ENTRY(zk_watch) link;
	struct zk_watch_list *list; /* borrowed: the zk's list it is on */
	char *path;		    /* owned */
	enum zk_watch_kind kind;
	bool armed;	  /* the op that set it has its result */
	struct zk_op *op; /* borrowed: that op, until then */
	zk_watch_fn *fn;
	void *arg; /* borrowed: the owner's */
};

struct zk_op {
	struct zk_ticket t; /* first: the library's data pointer */
	TAILQ_ENTRY(zk_op) link;
	enum zk_op_kind kind;
	bool done; /* fn ran, or never will */
	zk_done_fn *fn;
	void *arg;		  /* borrowed: the owner's */
	struct loop_timer *timer; /* owned */
	struct zk_watch *watch;	  /* borrowed: its unarmed registration */
	struct zk_multi *multi;	  /* owned: a multi's request */
};

struct zk_listener {
	zk_session_fn *fn; /* NULL once removed */
	void *arg;	   /* borrowed: the listener's */
};

struct zk {
	unsigned magic;
	struct loop *l;		 /* borrowed */
	struct mailbox *mb;	 /* owned */
	char *hosts;		 /* owned */
	long session_timeout_ms; /* asked for */
	long negotiated_ms;	 /* granted; 0 before the first connection */
	long op_timeout_ms;
	zk_session_fn *fn;
	void *arg;			  /* borrowed: the owner's */
	struct zk_conn *conn;		  /* owned: the open handle, or NULL */
	struct loop_timer *session_timer; /* owned: runs while disconnected */
	struct loop_timer *reopen_timer;  /* owned */
	TAILQ_HEAD(, zk_op) ops;	  /* owned: not yet completed by ZK */
	struct zk_watch_list watches;	  /* owned: registrations */
	struct zk_watch_list firing;	  /* owned: matched, being called */
	struct zk_listener *listeners;	  /* owned */
	size_t nlisteners, listeners_cap;
	int notifying; /* depth of zk_notify(): compact only at 0 */
	bool connected;
	int64_t session_id;
};

static void zk_msg_cb(struct mailbox_msg *hdr, bool dropped);

/* Tell the owner, then every listener there was when the event came. */
static void
zk_notify(struct zk *zk, enum zk_session_event ev, bool new_session)
{
	size_t i, n = zk->nlisteners, j;

	zk->notifying++;
	if (zk->fn != NULL)
		zk->fn(zk, ev, new_session, zk->arg);
	for (i = 0; i < n; i++) {
		if (zk->listeners[i].fn != NULL)
			zk->listeners[i].fn(zk, ev, new_session,
					    zk->listeners[i].arg);
	}
	if (--zk->notifying > 0)
		return;
	for (i = j = 0; i < zk->nlisteners; i++) {
		if (zk->listeners[i].fn != NULL)
			zk->listeners[j++] = zk->listeners[i];
	}
	zk->nlisteners = j;
}

const char *
zk_zerror(int zrc)
{
	return zerror(zrc);
}

static void
zk_watch_free(struct zk_watch *w)
{
	TAILQ_REMOVE(w->list, w, link);
	if (w->op != NULL)
		w->op->watch = NULL;
	free(w->path);
	free(w);
}

/* The caller has taken op off zk->ops. */
static void
zk_op_free(struct zk_op *op)
{
	if (op->watch != NULL)
		zk_watch_free(op->watch);
	loop_timer_free(op->timer);
	zk_multi_free(op->multi);
	free(op->t.results);
	op->t.magic = 0;
	free(op);
}

/* Tell the owner r, once; the op then waits for ZooKeeper, silent. */
static void
zk_op_finish(struct zk *zk, struct zk_op *op, const struct zk_result *r)
{
	op->done = true;
	loop_timer_del(op->timer);
	if (op->watch != NULL)
		zk_watch_free(op->watch);
	op->fn(zk, r, op->arg);
}

static void
zk_fail_pending(struct zk *zk, int rc)
{
	struct zk_result r = {.rc = rc};
	struct zk_op *op;

	/* Owners may start ops here: they fail at once (no conn). */
	TAILQ_FOREACH(op, &zk->ops, link) {
		if (!op->done)
			zk_op_finish(zk, op, &r);
	}
}

static void
zk_conn_open(struct zk *zk)
{
	struct zk_conn *c;

	CD_ALLOC_OBJ(c, ZK_CONN_MAGIC);
	c->mb = zk->mb;
	c->fn = zk_msg_cb;
	c->owner = zk;
	zoo_set_debug_level(log_level_cur >= LOG_LVL_DEBUG
				? ZOO_LOG_LEVEL_INFO
				: ZOO_LOG_LEVEL_WARN);
	c->zh = zookeeper_init2(zk->hosts, zk_msg_session,
				(int)zk->session_timeout_ms, NULL, c, 0,
				zk_msg_log);
	if (c->zh == NULL) {
		log_warn("cannot start a ZooKeeper client for %s: %s; "
			 "retrying",
			 zk->hosts, strerror(errno));
		CD_FREE_OBJ(c);
		loop_timer_add(zk->reopen_timer, ZK_REOPEN_MS);
		return;
	}
	zk->conn = c;
	zk->session_id = 0;
}

/*
 * Close the handle: join its threads, handle what they posted as stale,
 * free every op (all belong to this handle). No callback runs.
 */
static void
zk_conn_close(struct zk *zk, struct zk_conn *c)
{
	struct zk_op *op;

	if (c == NULL)
		return;
	zk->conn = NULL;
	zk->connected = false;
	loop_timer_del(zk->session_timer);
	(void)zookeeper_close(c->zh);
	mailbox_drain(zk->mb);
	while ((op = TAILQ_FIRST(&zk->ops)) != NULL) {
		TAILQ_REMOVE(&zk->ops, op, link);
		zk_op_free(op);
	}
	CD_FREE_OBJ(c);
}

static void
zk_drop_watches(struct zk *zk)
{
	struct zk_watch *w;

	while ((w = TAILQ_FIRST(&zk->watches)) != NULL)
		zk_watch_free(w);
	while ((w = TAILQ_FIRST(&zk->firing)) != NULL)
		zk_watch_free(w);
}

static void
zk_session_lost(struct zk *zk, const char *why)
{
	struct zk_conn *c = zk->conn;

	log_warn("ZooKeeper session 0x%llx lost (%s); opening a new one",
		 (unsigned long long)zk->session_id, why);
	/* No op may go to the dying handle while owners hear of it. */
	zk->conn = NULL;
	zk->connected = false;
	loop_timer_del(zk->session_timer);
	zk_fail_pending(zk, -ENOTCONN);
	zk_drop_watches(zk);
	zk_conn_close(zk, c);
	zk_conn_open(zk);
	zk_notify(zk, ZK_SESSION_LOST, false);
}

static void
zk_session_timer_cb(void *arg)
{
	struct zk *zk = arg;

	CD_CHECK_OBJ(zk, ZK_MAGIC);
	zk_session_lost(zk, "no server reached within the session timeout");
}

static void
zk_reopen_cb(void *arg)
{
	struct zk *zk = arg;

	CD_CHECK_OBJ(zk, ZK_MAGIC);
	if (zk->conn == NULL)
		zk_conn_open(zk);
}

static void
zk_on_session(struct zk *zk, const struct zk_msg *m)
{
	bool new_session;

	if (m->state == ZOO_CONNECTED_STATE) {
		new_session = m->session_id != zk->session_id;
		zk->session_id = m->session_id;
		zk->negotiated_ms = m->timeout_ms;
		zk->connected = true;
		loop_timer_del(zk->session_timer);
		log_info("connected to ZooKeeper, session 0x%llx (%s), "
			 "timeout %ld ms",
			 (unsigned long long)zk->session_id,
			 new_session ? "new" : "resumed", zk->negotiated_ms);
		zk_notify(zk, ZK_SESSION_CONNECTED, new_session);
	} else if (m->state == ZOO_EXPIRED_SESSION_STATE) {
		zk_session_lost(zk, "expired");
	} else if (m->state == ZOO_AUTH_FAILED_STATE) {
		zk_session_lost(zk, "authentication failed");
	} else if (zk->connected) {
		zk->connected = false;
		loop_timer_add(zk->session_timer,
			       (uint64_t)zk_session_timeout(zk));
		log_warn("disconnected from ZooKeeper; session 0x%llx is "
			 "given up unless a server is reached within %ld ms",
			 (unsigned long long)zk->session_id,
			 zk_session_timeout(zk));
		zk_notify(zk, ZK_SESSION_DISCONNECTED, false);
	}
}

static bool
zk_watch_matches(const struct zk_watch *w, int type, const char *path)
{
	if (!w->armed || strcmp(w->path, path) != 0)
		return false;
	if (type == ZOO_DELETED_EVENT)
		return true;
	if (type == ZOO_CHILD_EVENT)
		return w->kind == ZK_WATCH_CHILD;
	return w->kind == ZK_WATCH_DATA;
}

static void
zk_on_watch(struct zk *zk, const struct zk_msg *m)
{
	struct zk_watch *w, *next;
	enum zk_event ev;
	zk_watch_fn *fn;
	void *arg;

	if (m->type == ZOO_CREATED_EVENT)
		ev = ZK_EV_CREATED;
	else if (m->type == ZOO_DELETED_EVENT)
		ev = ZK_EV_DELETED;
	else if (m->type == ZOO_CHANGED_EVENT)
		ev = ZK_EV_CHANGED;
	else if (m->type == ZOO_CHILD_EVENT)
		ev = ZK_EV_CHILD;
	else
		return;
	/* Set the matches aside first: callbacks may add or forget. */
	for (w = TAILQ_FIRST(&zk->watches); w != NULL; w = next) {
		next = TAILQ_NEXT(w, link);
		if (!zk_watch_matches(w, m->type, m->path))
			continue;
		TAILQ_REMOVE(&zk->watches, w, link);
		TAILQ_INSERT_TAIL(&zk->firing, w, link);
		w->list = &zk->firing;
	}
	while ((w = TAILQ_FIRST(&zk->firing)) != NULL) {
		fn = w->fn;
		arg = w->arg;
		zk_watch_free(w);
		fn(zk, ev, m->path, arg);
	}
}

static void
zk_stat_copy(struct zk_stat *out, const struct Stat *st)
{
	out->czxid = st->czxid;
	out->mzxid = st->mzxid;
	out->ephemeral_owner = st->ephemeralOwner;
	out->version = st->version;
	out->cversion = st->cversion;
	out->data_length = st->dataLength;
	out->num_children = st->numChildren;
}

static void
zk_on_done(struct zk *zk, struct zk_msg *m)
{
	struct zk_op *op = (struct zk_op *)m->ticket;
	struct zk_result r = {0};
	struct zk_stat st;
	struct zk_watch *w;
	int i;

	TAILQ_REMOVE(&zk->ops, op, link);
	if ((w = op->watch) != NULL) {
		w->op = NULL;
		op->watch = NULL;
		if (m->zrc == ZOK ||
		    (op->kind == ZK_OP_EXISTS && m->zrc == ZNONODE))
			w->armed = true;
		else
			zk_watch_free(w);
	}
	if (!op->done) {
		r.zrc = m->zrc;
		r.rc = zk_msg_rc(m->zrc);
		if (m->has_stat) {
			zk_stat_copy(&st, &m->stat);
			r.stat = &st;
		}
		r.path = m->path;
		r.data = m->data;
		r.len = m->len > 0 ? (size_t)m->len : 0;
		r.children = (const char *const *)m->children;
		r.nchildren = (size_t)m->nchildren;
		for (i = 0; i < m->nops; i++)
			m->op_rc[i] = zk_msg_rc(m->op_rc[i]);
		r.op_rc = m->op_rc;
		r.nops = (size_t)m->nops;
		op->done = true;
		loop_timer_del(op->timer);
		op->fn(zk, &r, op->arg);
	}
	zk_op_free(op);
}

static void
zk_msg_cb(struct mailbox_msg *hdr, bool dropped)
{
	struct zk_msg *m = (struct zk_msg *)hdr;
	struct zk *zk;

	if (dropped)
		goto out;
	CD_CHECK_OBJ(m->conn, ZK_CONN_MAGIC);
	zk = m->conn->owner;
	CD_CHECK_OBJ(zk, ZK_MAGIC);
	if (m->kind == ZK_MSG_DONE)
		CD_CHECK_OBJ(m->ticket, ZK_TICKET_MAGIC);
	if (m->conn != zk->conn) {
		/* From a closed handle: its owners heard already. */
		if (m->kind == ZK_MSG_DONE) {
			TAILQ_REMOVE(&zk->ops, (struct zk_op *)m->ticket, link);
			zk_op_free((struct zk_op *)m->ticket);
		}
		goto out;
	}
	switch (m->kind) {
	case ZK_MSG_SESSION:
		zk_on_session(zk, m);
		break;
	case ZK_MSG_WATCH:
		zk_on_watch(zk, m);
		break;
	case ZK_MSG_DONE:
		zk_on_done(zk, m);
		break;
	}
out:
	zk_msg_free(m);
}

static void
zk_op_timeout_cb(void *arg)
{
	struct zk_op *op = arg;
	struct zk_result r = {.rc = -ETIMEDOUT};

	CD_CHECK_OBJ(&op->t, ZK_TICKET_MAGIC);
	if (!op->done)
		zk_op_finish(op->t.conn->owner, op, &r);
}

/* An op about to go out on zk->conn (which the caller has checked). */
static struct zk_op *
zk_op_new(struct zk *zk, enum zk_op_kind kind, zk_done_fn *fn, void *arg)
{
	struct zk_op *op = xcalloc(1, sizeof *op);

	op->t.magic = ZK_TICKET_MAGIC;
	op->t.conn = zk->conn;
	op->kind = kind;
	op->fn = fn;
	op->arg = arg;
	op->timer = loop_timer_new(zk->l, zk_op_timeout_cb, op);
	/* The fault: the op goes out, but its owner hears -ETIMEDOUT now. */
	loop_timer_add(op->timer, CD_FAULT("zk.op") != 0
				      ? 0
				      : (uint64_t)zk->op_timeout_ms);
	TAILQ_INSERT_TAIL(&zk->ops, op, link);
	return op;
}

/* Register the watch op sets (armed once op has its result). */
static void
zk_op_watch(struct zk *zk, struct zk_op *op, const char *path,
	    enum zk_watch_kind kind, zk_watch_fn *fn, void *warg)
{
	struct zk_watch *w = xcalloc(1, sizeof *w);

	w->path = xstrdup(path);
	w->kind = kind;
	w->op = op;
	w->fn = fn;
	w->arg = warg;
	w->list = &zk->watches;
	TAILQ_INSERT_TAIL(&zk->watches, w, link);
	op->watch = w;
}

/* The library's answer to a submission: on failure it will not call. */
static int
zk_op_sent(struct zk *zk, struct zk_op *op, int zrc)
{
	if (zrc == ZOK)
		return 0;
	TAILQ_REMOVE(&zk->ops, op, link);
	zk_op_free(op);
	return zrc == ZBADARGUMENTS ? -EINVAL : zk_msg_rc(zrc);
}

static int
zk_check(struct zk *zk, const char *path, size_t len)
{
	CD_CHECK_OBJ(zk, ZK_MAGIC);
	if (path == NULL || path[0] != '/' || len > INT32_MAX)
		return -EINVAL;
	return zk->conn == NULL ? -ENOTCONN : 0;
}

int
zk_create(struct zk *zk, const char *path, const void *data, size_t len,
	  int flags, zk_done_fn *fn, void *arg)
{
	int mode = ((flags & ZK_EPHEMERAL) ? ZOO_EPHEMERAL : 0) |
		   ((flags & ZK_SEQUENTIAL) ? ZOO_SEQUENCE : 0);
	struct zk_op *op;
	int rc;

	if ((rc = zk_check(zk, path, len)) != 0)
		return rc;
	op = zk_op_new(zk, ZK_OP_CREATE, fn, arg);
	return zk_op_sent(
	    zk, op,
	    zoo_acreate(zk->conn->zh, path, data != NULL ? data : "", (int)len,
			&ZOO_OPEN_ACL_UNSAFE, mode, zk_msg_string, op));
}

int
zk_get(struct zk *zk, const char *path, zk_watch_fn *watch, void *warg,
       zk_done_fn *fn, void *arg)
{
	struct zk_op *op;
	int rc;

	if ((rc = zk_check(zk, path, 0)) != 0)
		return rc;
	op = zk_op_new(zk, ZK_OP_GET, fn, arg);
	if (watch != NULL)
		zk_op_watch(zk, op, path, ZK_WATCH_DATA, watch, warg);
	return zk_op_sent(zk, op,
			  zoo_awget(zk->conn->zh, path,
				    watch != NULL ? zk_msg_node : NULL,
				    zk->conn, zk_msg_data, op));
}

int
zk_set(struct zk *zk, const char *path, const void *data, size_t len,
       int version, zk_done_fn *fn, void *arg)
{
	struct zk_op *op;
	int rc;

	if ((rc = zk_check(zk, path, len)) != 0)
		return rc;
	op = zk_op_new(zk, ZK_OP_SET, fn, arg);
	return zk_op_sent(zk, op,
			  zoo_aset(zk->conn->zh, path, data != NULL ? data : "",
				   (int)len, version, zk_msg_stat, op));
}

int
zk_delete(struct zk *zk, const char *path, int version, zk_done_fn *fn,
	  void *arg)
{
	struct zk_op *op;
	int rc;

	if ((rc = zk_check(zk, path, 0)) != 0)
		return rc;
	op = zk_op_new(zk, ZK_OP_DELETE, fn, arg);
	return zk_op_sent(
	    zk, op, zoo_adelete(zk->conn->zh, path, version, zk_msg_void, op));
}

int
zk_exists(struct zk *zk, const char *path, zk_watch_fn *watch, void *warg,
	  zk_done_fn *fn, void *arg)
{
	struct zk_op *op;
	int rc;

	if ((rc = zk_check(zk, path, 0)) != 0)
		return rc;
	op = zk_op_new(zk, ZK_OP_EXISTS, fn, arg);
	if (watch != NULL)
		zk_op_watch(zk, op, path, ZK_WATCH_DATA, watch, warg);
	return zk_op_sent(zk, op,
			  zoo_awexists(zk->conn->zh, path,
				       watch != NULL ? zk_msg_node : NULL,
				       zk->conn, zk_msg_stat, op));
}

int
zk_get_children(struct zk *zk, const char *path, zk_watch_fn *watch, void *warg,
		zk_done_fn *fn, void *arg)
{
	struct zk_op *op;
	int rc;

	if ((rc = zk_check(zk, path, 0)) != 0)
		return rc;
	op = zk_op_new(zk, ZK_OP_CHILDREN, fn, arg);
	if (watch != NULL)
		zk_op_watch(zk, op, path, ZK_WATCH_CHILD, watch, warg);
	return zk_op_sent(
	    zk, op,
	    zoo_awget_children2(zk->conn->zh, path,
				watch != NULL ? zk_msg_node : NULL, zk->conn,
				zk_msg_children, op));
}

int
zk_sync(struct zk *zk, const char *path, zk_done_fn *fn, void *arg)
{
	struct zk_op *op;
	int rc;

	if ((rc = zk_check(zk, path, 0)) != 0)
		return rc;
	op = zk_op_new(zk, ZK_OP_SYNC, fn, arg);
	return zk_op_sent(zk, op,
			  zoo_async(zk->conn->zh, path, zk_msg_string, op));
}

int
zk_multi_submit(struct zk *zk, struct zk_multi *m_take, zk_done_fn *fn,
		void *arg)
{
	struct zk_op *op;
	size_t n = zk_multi_count(m_take);
	int rc;

	if ((rc = zk_check(zk, "/", 0)) != 0 || n == 0 || n > INT32_MAX) {
		zk_multi_free(m_take);
		return rc != 0 ? rc : -EINVAL;
	}
	op = zk_op_new(zk, ZK_OP_MULTI, fn, arg);
	op->multi = m_take;
	op->t.nresults = n;
	op->t.results = xcalloc(n, sizeof *op->t.results);
	return zk_op_sent(zk, op,
			  zoo_amulti(zk->conn->zh, (int)n,
				     (const zoo_op_t *)zk_multi_ops(m_take),
				     op->t.results, zk_msg_multi, op));
}

void
zk_listen(struct zk *zk, zk_session_fn *fn, void *arg)
{
	CD_CHECK_OBJ(zk, ZK_MAGIC);
	XGROW(zk->listeners, zk->nlisteners + 1, zk->listeners_cap);
	zk->listeners[zk->nlisteners].fn = fn;
	zk->listeners[zk->nlisteners].arg = arg;
	zk->nlisteners++;
}

void
zk_unlisten(struct zk *zk, void *arg)
{
	size_t i;

	for (i = 0; i < zk->nlisteners; i++) {
		if (zk->listeners[i].arg == arg)
			zk->listeners[i].fn = NULL;
	}
}

void
zk_forget(struct zk *zk, void *arg)
{
	struct zk_watch *w, *next;
	struct zk_op *op;
	struct zk_watch_list *lists[2] = {&zk->watches, &zk->firing};
	size_t i;

	for (i = 0; i < CD_NELEM(lists); i++) {
		for (w = TAILQ_FIRST(lists[i]); w != NULL; w = next) {
			next = TAILQ_NEXT(w, link);
			if (w->arg == arg)
				zk_watch_free(w);
		}
	}
	TAILQ_FOREACH(op, &zk->ops, link) {
		if (op->done || op->arg != arg)
			continue;
		op->done = true;
		loop_timer_del(op->timer);
		if (op->watch != NULL)
			zk_watch_free(op->watch);
	}
}

struct zk *
zk_new(struct loop *l, const char *hosts, long session_timeout_ms,
       zk_session_fn *fn, void *arg)
{
	struct zk *zk;

	CD_ALLOC_OBJ(zk, ZK_MAGIC);
	zk->l = l;
	zk->mb = mailbox_new(l);
	zk->hosts = xstrdup(hosts);
	zk->session_timeout_ms =
	    session_timeout_ms > 0 ? session_timeout_ms : 10000;
	zk->op_timeout_ms = zk->session_timeout_ms;
	zk->fn = fn;
	zk->arg = arg;
	zk->session_timer = loop_timer_new(l, zk_session_timer_cb, zk);
	zk->reopen_timer = loop_timer_new(l, zk_reopen_cb, zk);
	TAILQ_INIT(&zk->ops);
	TAILQ_INIT(&zk->watches);
	TAILQ_INIT(&zk->firing);
	zk_conn_open(zk);
	return zk;
}

void
zk_free(struct zk *zk)
{
	struct zk_op *op;

	if (zk == NULL)
		return;
	CD_CHECK_OBJ(zk, ZK_MAGIC);
	TAILQ_FOREACH(op, &zk->ops, link) {
		op->done = true;
	}
	zk_drop_watches(zk);
	zk_conn_close(zk, zk->conn);
	loop_timer_free(zk->session_timer);
	loop_timer_free(zk->reopen_timer);
	mailbox_free(zk->mb);
	free(zk->listeners);
	free(zk->hosts);
	CD_FREE_OBJ(zk);
}

bool
zk_connected(const struct zk *zk)
{
	return zk->connected;
}

int64_t
zk_session_id(const struct zk *zk)
{
	return zk->session_id;
}

long
zk_session_timeout(const struct zk *zk)
{
	return zk->negotiated_ms > 0 ? zk->negotiated_ms
				     : zk->session_timeout_ms;
}

void
zk_set_op_timeout(struct zk *zk, long ms)
{
	CD_ASSERT(ms > 0);
	zk->op_timeout_ms = ms;
}
