/*
 * zk_msg.c: the functions libzookeeper_mt calls on its own threads, for
 * lib/zk. Each copies its arguments into a self-contained struct zk_msg
 * (paths and names strdup'd, data memcpy'd) and posts it to the conn's
 * mailbox; that is their only action (STYLE B9). They read nothing but the
 * fixed fields of struct zk_conn and struct zk_ticket (see zk_msg.h).
 *
 * The library delivers completions, watch events and session events from
 * one completion thread, in the order it received them, and the mailbox
 * keeps that order on the loop.
 *
 * The log adapter routes the library's lines into lib/log (STYLE B23) at a
 * level below the library's own (its ERROR lines are mostly failed
 * connection attempts, which lib/zk reports itself as session events), and
 * keeps at most ZK_LOG_PER_WINDOW lines per ZK_LOG_WINDOW_S seconds: with
 * the ensemble down the library logs every attempt. The window is the only
 * state shared between threads outside the mailbox, kept in C11 atomics.
 */
#include "zk_msg.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xalloc.h"

#define LOG_MOD "zookeeper"
#include "log.h"

#define ZK_LOG_WINDOW_S 60
#define ZK_LOG_PER_WINDOW 10

static _Atomic long long zk_msg_log_window;
static atomic_int zk_msg_log_lines;

void
zk_msg_log(const char *line)
{
	const char *p = strstr(line, ":ZOO_"), *body = line;
	enum log_level lvl = LOG_LVL_DEBUG;
	long long now = (long long)time(NULL) / ZK_LOG_WINDOW_S;
	size_t n;

	if (p != NULL) {
		if (strncmp(p, ":ZOO_ERROR@", 11) == 0)
			lvl = LOG_LVL_WARN;
		else if (strncmp(p, ":ZOO_WARN@", 10) == 0)
			lvl = LOG_LVL_INFO;
		body = strstr(p, ": ");
		body = body != NULL ? body + 2 : p + 1;
	}
	if (log_level_cur < (int)lvl)
		return;
	if (lvl != LOG_LVL_DEBUG) {
		if (atomic_exchange(&zk_msg_log_window, now) != now)
			atomic_store(&zk_msg_log_lines, 0);
		if (atomic_fetch_add(&zk_msg_log_lines, 1) >= ZK_LOG_PER_WINDOW)
			return;
	}
	n = strlen(body);
	while (n > 0 && (body[n - 1] == '\n' || body[n - 1] == ' '))
		n--;
	log_write(lvl, LOG_MOD, "%.*s", (int)n, body);
}

int
zk_msg_rc(int zrc)
{
	switch (zrc) {
	case ZOK:
		return 0;
	case ZNONODE:
		return -ENOENT;
	case ZNODEEXISTS:
		return -EEXIST;
	case ZBADVERSION:
		return -ESTALE;
	case ZNOTEMPTY:
		return -ENOTEMPTY;
	case ZOPERATIONTIMEOUT:
		return -ETIMEDOUT;
	case ZCONNECTIONLOSS:
		return -ECONNRESET;
	case ZRUNTIMEINCONSISTENCY:
		return -ECANCELED; /* in a multi: another operation failed */
	case ZSESSIONEXPIRED:
	case ZSESSIONMOVED:
	case ZCLOSING:
	case ZINVALIDSTATE:
		return -ENOTCONN;
	case ZBADARGUMENTS:
	case ZINVALIDACL:
		return -EINVAL;
	case ZNOAUTH:
	case ZAUTHFAILED:
		return -EACCES;
	case ZNOCHILDRENFOREPHEMERALS:
		return -EPERM;
	default:
		return -EIO;
	}
}

void
zk_msg_free(struct zk_msg *m)
{
	int i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nchildren; i++)
		free(m->children[i]);
	free(m->children);
	free(m->path);
	free(m->data);
	free(m->op_rc);
	free(m);
}

static struct zk_msg *
zk_msg_new(enum zk_msg_kind kind, struct zk_conn *c)
{
	struct zk_msg *m = xcalloc(1, sizeof *m);

	m->kind = kind;
	m->conn = c;
	m->len = -1;
	return m;
}

static void
zk_msg_post(struct zk_msg *m)
{
	mailbox_post(m->conn->mb, &m->hdr, m->conn->fn);
}

void
zk_msg_session(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct zk_conn *c = ctx;
	struct zk_msg *m;

	(void)path;
	CD_CHECK_OBJ(c, ZK_CONN_MAGIC);
	if (type != ZOO_SESSION_EVENT)
		return; /* node events come through zk_msg_node() */
	m = zk_msg_new(ZK_MSG_SESSION, c);
	m->state = state;
	if (state == ZOO_CONNECTED_STATE) {
		/* Set by the I/O thread before it queued this event. */
		m->session_id = zoo_client_id(zh)->client_id;
		m->timeout_ms = zoo_recv_timeout(zh);
	}
	zk_msg_post(m);
}

void
zk_msg_node(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
	struct zk_conn *c = ctx;
	struct zk_msg *m;

	(void)zh;
	CD_CHECK_OBJ(c, ZK_CONN_MAGIC);
	/* The library also tells every watcher of session events. */
	if (type == ZOO_SESSION_EVENT || path == NULL)
		return;
	m = zk_msg_new(ZK_MSG_WATCH, c);
	m->type = type;
	m->state = state;
	m->path = xstrdup(path);
	zk_msg_post(m);
}

static struct zk_msg *
zk_msg_done(int zrc, const void *data, const struct Stat *st)
{
	struct zk_ticket *t = (struct zk_ticket *)(uintptr_t)data;
	struct zk_msg *m;

	CD_CHECK_OBJ(t, ZK_TICKET_MAGIC);
	m = zk_msg_new(ZK_MSG_DONE, t->conn);
	m->ticket = t;
	m->zrc = zrc;
	if (st != NULL) {
		m->has_stat = true;
		m->stat = *st;
	}
	return m;
}

void
zk_msg_void(int zrc, const void *data)
{
	zk_msg_post(zk_msg_done(zrc, data, NULL));
}

void
zk_msg_stat(int zrc, const struct Stat *st, const void *data)
{
	zk_msg_post(zk_msg_done(zrc, data, st));
}

void
zk_msg_data(int zrc, const char *v, int len, const struct Stat *st,
	    const void *data)
{
	struct zk_msg *m = zk_msg_done(zrc, data, st);

	if (v != NULL && len >= 0) {
		m->data = xmalloc((size_t)len + 1);
		memcpy(m->data, v, (size_t)len);
		m->data[len] = '\0';
		m->len = len;
	}
	zk_msg_post(m);
}

void
zk_msg_string(int zrc, const char *v, const void *data)
{
	struct zk_msg *m = zk_msg_done(zrc, data, NULL);

	if (v != NULL)
		m->path = xstrdup(v);
	zk_msg_post(m);
}

void
zk_msg_children(int zrc, const struct String_vector *sv, const struct Stat *st,
		const void *data)
{
	struct zk_msg *m = zk_msg_done(zrc, data, st);
	int i;

	if (sv != NULL && sv->count > 0) {
		m->children = xcalloc((size_t)sv->count, sizeof *m->children);
		for (i = 0; i < sv->count; i++)
			m->children[i] = xstrdup(sv->data[i]);
		m->nchildren = sv->count;
	}
	zk_msg_post(m);
}

void
zk_msg_multi(int zrc, const void *data)
{
	struct zk_msg *m = zk_msg_done(zrc, data, NULL);
	const struct zk_ticket *t = m->ticket;
	size_t i;

	/*
	 * Per-op results exist only when a server answered: ZOK, or an API
	 * error (codes below ZAPIERROR); not for a lost connection.
	 */
	if (zrc == ZOK || zrc < ZAPIERROR) {
		m->nops = (int)t->nresults;
		m->op_rc = xcalloc(t->nresults + 1, sizeof *m->op_rc);
		for (i = 0; i < t->nresults; i++)
			m->op_rc[i] = t->results[i].err;
	}
	zk_msg_post(m);
}
