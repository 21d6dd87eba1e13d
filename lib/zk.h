/*
 * zk.h: one ZooKeeper session on libzookeeper_mt, driven from the loop.
 * Every completion, watch and session event of the client library is copied
 * into a message on one of its threads and handled here on the loop thread
 * (STYLE B9): every callback below runs on the loop thread, never from
 * inside the call that started the operation. Loop thread only.
 *
 * Session: the module keeps one session alive for its whole life. When the
 * connection drops it reports ZK_SESSION_DISCONNECTED and starts a timer of
 * the negotiated session timeout; if it has not reconnected by then (or the
 * server says the session expired), it reports ZK_SESSION_LOST, closes the
 * handle and opens a new session, reported by ZK_SESSION_CONNECTED with
 * new_session set. The client library alone would report expiry only once
 * it reaches a server again, which during a partition is never.
 *
 * Operations: each has a timeout enforced on the loop (zk_set_op_timeout,
 * default the session timeout); its callback runs exactly once, unless it
 * was forgotten (zk_forget) or the zk freed first. Watches are one-shot,
 * as ZooKeeper's: a watch callback runs at most once, after the result of
 * the operation that set it, and not at all if that operation failed (or
 * timed out), if it was forgotten, or once the session is lost (re-read
 * everything on ZK_SESSION_CONNECTED with new_session).
 */
#ifndef CLUSTERD_LIB_ZK_H
#define CLUSTERD_LIB_ZK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct zk;
struct zk_multi;

enum zk_session_event {
	ZK_SESSION_CONNECTED,	 /* connected to a server (see new_session) */
	ZK_SESSION_DISCONNECTED, /* connection lost; the session may live on */
	ZK_SESSION_LOST, /* session gone: its ephemerals and watches too;
			    a new one is being opened */
};

/*
 * new_session: with ZK_SESSION_CONNECTED, true for the first connection of
 * a session (ephemeral znodes of an earlier session are gone), false when
 * the same session reconnected.
 */
typedef void zk_session_fn(struct zk *zk, enum zk_session_event ev,
			   bool new_session, void *arg);

enum zk_create_flags {
	ZK_EPHEMERAL = 1 << 0,	/* deleted when the session ends */
	ZK_SEQUENTIAL = 1 << 1, /* a 10-digit sequence number is appended */
};

enum zk_event {
	ZK_EV_CREATED, /* exists watch: the znode was created */
	ZK_EV_DELETED, /* the znode was deleted (every kind of watch) */
	ZK_EV_CHANGED, /* data watch: the data changed */
	ZK_EV_CHILD,   /* child watch: a child was created or deleted */
};

struct zk_stat {
	int64_t czxid;		 /* transaction that created the znode */
	int64_t mzxid;		 /* transaction that last changed it */
	int64_t ephemeral_owner; /* session id of its owner, or 0 */
	int32_t version;	 /* data version */
	int32_t cversion;	 /* children version */
	int32_t data_length;
	int32_t num_children;
};

/*
 * What an operation returns; every pointer is borrowed for the callback
 * only. rc is 0 or:
 *   -ENOENT     no such znode (ZNONODE)
 *   -EEXIST     it exists already (ZNODEEXISTS)
 *   -ESTALE     version mismatch (ZBADVERSION)
 *   -ENOTEMPTY  it has children (ZNOTEMPTY)
 *   -ETIMEDOUT  no answer within the operation timeout (outcome unknown)
 *   -ECONNRESET the connection dropped before the answer (outcome unknown)
 *   -ENOTCONN   the session was lost, or is being closed (outcome unknown)
 *   -EINVAL, -EACCES, -EPERM, -EIO  others; zrc has ZooKeeper's own code
 */
struct zk_result {
	int rc;
	int zrc; /* ZooKeeper's code (0 = ZOK), 0 when the failure is ours */
	const struct zk_stat *stat;  /* get, set, exists, children; or NULL */
	const char *path;	     /* create: the path created */
	const char *data;	     /* get: the data (NULL for null data) */
	size_t len;		     /* get: its length */
	const char *const *children; /* get_children: names, unsorted */
	size_t nchildren;
	const int *op_rc; /* multi: each operation's rc, as above; NULL when
			     the whole request failed before being applied */
	size_t nops;
};

typedef void zk_done_fn(struct zk *zk, const struct zk_result *r, void *arg);
typedef void zk_watch_fn(struct zk *zk, enum zk_event ev, const char *path,
			 void *arg);

/*
 * Start a session with the servers in hosts ("h1:p1,h2:p2", see zk_url.h),
 * asking for session_timeout_ms. fn(arg) hears session events. Returns the
 * zk (free with zk_free()); connecting goes on in the background.
 */
struct zk *zk_new(struct loop *l, const char *hosts, long session_timeout_ms,
		  zk_session_fn *fn, void *arg);
/*
 * Close the session (its ephemeral znodes go at once: this waits for the
 * server's answer, at most a few seconds) and free everything. No callback
 * runs afterwards. Not from inside one of this zk's callbacks.
 */
void zk_free(struct zk *zk);

/*
 * Also tell fn(arg) of session events, after the zk_new() callback, until
 * zk_unlisten(zk, arg): for the modules that share one session (lib/leader,
 * lib/zkstore). zk_unlisten() is safe from inside a callback.
 */
void zk_listen(struct zk *zk, zk_session_fn *fn, void *arg);
void zk_unlisten(struct zk *zk, void *arg);

bool zk_connected(const struct zk *zk);
/* The current session's id, 0 before the first connection of a session. */
int64_t zk_session_id(const struct zk *zk);
/* The negotiated session timeout (the requested one until connected). */
long zk_session_timeout(const struct zk *zk);
/* Timeout of operations started from now on, in ms (> 0). */
void zk_set_op_timeout(struct zk *zk, long ms);

/*
 * Operations. Each returns 0 when started (fn will run), or a negative
 * code when not (fn will not run): -EINVAL for a bad path or arguments,
 * -ENOTCONN when there is no usable handle. data is copied. A watch_fn
 * (optional, with its own arg warg) sets a one-shot watch.
 */
int zk_create(struct zk *zk, const char *path, const void *data, size_t len,
	      int flags, zk_done_fn *fn, void *arg);
int zk_get(struct zk *zk, const char *path, zk_watch_fn *watch, void *warg,
	   zk_done_fn *fn, void *arg);
/* version -1 matches any version. */
int zk_set(struct zk *zk, const char *path, const void *data, size_t len,
	   int version, zk_done_fn *fn, void *arg);
int zk_delete(struct zk *zk, const char *path, int version, zk_done_fn *fn,
	      void *arg);
/* rc -ENOENT with a watch set: the watch fires on ZK_EV_CREATED. */
int zk_exists(struct zk *zk, const char *path, zk_watch_fn *watch, void *warg,
	      zk_done_fn *fn, void *arg);
int zk_get_children(struct zk *zk, const char *path, zk_watch_fn *watch,
		    void *warg, zk_done_fn *fn, void *arg);
/*
 * Let the server this session talks to catch up with the leader of the
 * ensemble, so that a read after it sees every write committed before it.
 */
int zk_sync(struct zk *zk, const char *path, zk_done_fn *fn, void *arg);

/*
 * Send a multi-operation built with zk_multi.h: applied all or nothing, in
 * order. Takes the builder in every case. The result's op_rc has each
 * operation's code (-ECANCELED for those not applied because another failed).
 */
int zk_multi_submit(struct zk *zk, struct zk_multi *m_take, zk_done_fn *fn,
		    void *arg);

/*
 * Never call back arg again for what is pending: operations whose arg (or
 * watches whose warg) is arg complete silently. For an owner about to be
 * freed or starting over; safe from inside a callback. Listeners stay.
 */
void zk_forget(struct zk *zk, void *arg);

/* ZooKeeper's text for its code zrc (borrowed, static). */
const char *zk_zerror(int zrc);

#endif
