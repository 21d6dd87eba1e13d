/*
 * zk_msg.h: private to lib/zk (only zk.c includes it). The side of lib/zk
 * that runs on libzookeeper_mt's threads: the completion, watcher and log
 * functions handed to the library, and the self-contained message each of
 * them posts to the loop (STYLE B9).
 *
 * Threading: the zk_msg_* callbacks below run on ZooKeeper's threads. They
 * read only the fields marked "fixed" (set before the request was sent and
 * never changed while the library may call back), copy everything else
 * they get into a struct zk_msg and mailbox_post() it to conn->fn. They
 * touch no other state. zk_msg_free() and zk_msg_rc() are for the loop
 * thread.
 */
#ifndef CLUSTERD_LIB_ZK_MSG_H
#define CLUSTERD_LIB_ZK_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include <zookeeper/zookeeper.h>

#include "mailbox.h"

#define ZK_CONN_MAGIC 0x2c5ec044u
#define ZK_TICKET_MAGIC 0x2c5e0b01u

/* One zhandle_t and what its threads need to reach the loop. */
struct zk_conn {
	unsigned magic;
	struct mailbox *mb; /* borrowed, fixed: outlives every handle */
	mailbox_fn *fn;	    /* fixed: the loop-side handler */
	void *owner;	    /* borrowed: the struct zk; loop thread only */
	zhandle_t *zh;	    /* owned */
};

/*
 * The data pointer of one request: the first member of lib/zk's op, so that
 * the op stays allocated until the library is done with it.
 */
struct zk_ticket {
	unsigned magic;		  /* fixed */
	struct zk_conn *conn;	  /* borrowed, fixed: the handle it went on */
	zoo_op_result_t *results; /* owned by the op; a multi's results,
				     written by the library before it calls
				     zk_msg_multi() */
	size_t nresults;	  /* fixed */
};

enum zk_msg_kind {
	ZK_MSG_SESSION, /* state (and, when connected, session id, timeout) */
	ZK_MSG_WATCH,	/* type, path */
	ZK_MSG_DONE,	/* ticket, zrc and the results */
};

struct zk_msg {
	struct mailbox_msg hdr; /* first: the handler casts back */
	enum zk_msg_kind kind;
	struct zk_conn *conn;	  /* borrowed: freed only after its drain */
	struct zk_ticket *ticket; /* borrowed: ZK_MSG_DONE */
	int zrc;
	int type;
	int state;
	int64_t session_id;
	long timeout_ms;
	bool has_stat;
	struct Stat stat;
	char *path;	 /* owned: a watch's path, or the path created */
	char *data;	 /* owned, NUL-terminated; NULL for null data */
	int len;	 /* -1 for null data */
	char **children; /* owned, and each name */
	int nchildren;
	int *op_rc; /* owned: a multi's per-op codes, when a server answered */
	int nops;
};

void zk_msg_free(struct zk_msg *m);
/* ZooKeeper's code zrc as the negative errno of zk.h's struct zk_result. */
int zk_msg_rc(int zrc);

/* ZooKeeper's threads: the callbacks lib/zk hands to the library. */
void zk_msg_log(const char *line);
void zk_msg_session(zhandle_t *zh, int type, int state, const char *path,
		    void *ctx);
void zk_msg_node(zhandle_t *zh, int type, int state, const char *path,
		 void *ctx);
void zk_msg_void(int zrc, const void *data);
void zk_msg_stat(int zrc, const struct Stat *st, const void *data);
void zk_msg_data(int zrc, const char *v, int len, const struct Stat *st,
		 const void *data);
void zk_msg_string(int zrc, const char *v, const void *data);
void zk_msg_children(int zrc, const struct String_vector *sv,
		     const struct Stat *st, const void *data);
void zk_msg_multi(int zrc, const void *data);

#endif
