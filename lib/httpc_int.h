/*
 * httpc_int.h: what httpc.c (the multi handle, its sockets and timer, the
 * requests' lifecycle and callbacks) and httpc_easy.c (one request's curl
 * easy handle) share. Only those two files include it (STYLE B3). Loop
 * thread only.
 */
#ifndef CLUSTERD_LIB_HTTPC_INT_H
#define CLUSTERD_LIB_HTTPC_INT_H

#include <stdbool.h>

#include <curl/curl.h>

#include "buf.h"
#include "err.h"
#include "httpc.h"

#define HTTPC_MAGIC 0x48747043u
#define HTTPC_REQ_MAGIC 0x48745143u
#define HTTPC_MAX_BODY ((size_t)64 * 1024 * 1024)

struct httpc_sock;
struct httpc;

/*
 * The number of curl multi handles per client. Each has its own
 * connection cache, and a peer (scheme, host and port, or unix socket)
 * always uses the same one, so reuse is unchanged. Why several: libcurl
 * 7.88's curl_multi_remove_handle() walks its multi's whole connection
 * cache to find the connection the finished transfer used, so with one
 * multi and a kept-alive connection per agent every finished request
 * cost a walk over 10,000 connections (most of an idle master's loop at
 * 10,000 agents). Split 32 ways the walk is over a few hundred.
 */
#define HTTPC_SHARDS 32

/* One curl multi handle, its timer and its connection cache. */
struct httpc_shard {
	unsigned magic;
	struct httpc *c;     /* borrowed: the owner */
	CURLM *multi;	     /* owned */
	struct event *timer; /* owned */
};

enum httpc_req_state {
	HTTPC_REQ_WAIT_ADD, /* started from inside curl; added on the sweep */
	HTTPC_REQ_ACTIVE,   /* in the multi handle */
	HTTPC_REQ_FAILED,   /* could not start; answered by loop_defer */
	HTTPC_REQ_DONE,	    /* finished, in a batch awaiting its callback */
};
struct httpc_req {
	unsigned magic;
	enum httpc_req_state state;
	struct httpc *c;	    /* borrowed: NULL once c is freed */
	struct httpc_shard *shard;  /* borrowed: c's, for this peer */
	struct loop *l;		    /* borrowed: c's loop */
	CURL *easy;		    /* owned, or NULL */
	struct curl_slist *headers; /* owned */
	char *body;		    /* owned: copy of the request body */
	struct buf resp;	    /* owned: response body */
	httpc_done_fn *done;
	httpc_data_fn *on_data;
	httpc_head_fn *on_head;
	struct buf hdrs; /* owned: the response's header lines */
	bool keep_hdrs;	 /* collect them (on_head or keep_headers) */
	bool head_done;	 /* on_head was called */
	void *arg;	 /* borrowed: the caller's */
	CURLcode result;
	int fake_status; /* FAILED: a reply made up by httpc_fake_reply() */
	bool too_big;
	bool cancelled;
	struct cd_err err;
	char errbuf[CURL_ERROR_SIZE];
	struct httpc_req *prev, *next;	 /* borrowed: c->reqs linkage */
	struct httpc_req *batch_next;	 /* borrowed: a done batch */
	bool on_sweep;			 /* on c->sweep */
	struct httpc_req *sprev, *snext; /* borrowed: c->sweep linkage */
};

struct httpc {
	unsigned magic;
	struct loop *l; /* borrowed: outlives the client */
	struct httpc_shard shards[HTTPC_SHARDS]; /* owned */
	struct httpc_req *reqs;	  /* owned: every request not yet freed */
	struct httpc_req *sweep;  /* borrowed: marked inside curl (a subset
				     of reqs) */
	struct httpc_sock *socks; /* owned */
	bool https;		  /* http:// TCP URLs go out as https:// */
	char *ca_file;		  /* owned: CA for TCP requests, or NULL */
	char *secret_prefix;	  /* owned: paths that carry the secret */
	char *secret_line;	  /* owned: "Header: secret", or NULL */
	int busy;		  /* frames of ours on the stack */
	bool in_curl;		  /* inside curl_multi_socket_action() */
	bool dead;		  /* httpc_free() called while busy */
};

/* httpc_easy.c, for httpc.c */

/*
 * Set r->easy's options from o: URL, method and body (copied into
 * r->body), headers (r->headers), timeouts (o's, or 30 s and 5 s to
 * connect), the write and header callbacks that fill r->resp and r->hdrs,
 * and, on a TCP URL, the client's peer settings (httpc_set_peer()).
 * Returns CURLE_OK or curl's error.
 */
CURLcode httpc_easy_setup(struct httpc_req *r, const struct httpc_opts *o);

#endif
