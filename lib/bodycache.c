/*
 * bodycache.c: reply bodies cached per state generation (see
 * bodycache.h). Owns the entries, their blobs (one reference each; every
 * connection sending one holds its own), the waiters of builds under way
 * and the timer that runs the builds.
 *
 * Design. Entries sit on one list in least-recently-used order and are
 * found by a linear scan of their keys: there are a few dozen at most
 * (BODYCACHE_DEFAULT_MAX_ENTRIES), each answering a reply of up to
 * megabytes, so a hash table (lib/idmap) would buy nothing. An entry is
 * in one of three states:
 *   EMPTY    no body, no build: the next request starts one;
 *   PENDING  on the pending list, with its params and waiters: the timer
 *            builds it (a zero-delay loop timer, so every request read in
 *            the same loop pass joins);
 *   READY    status and body of generation gen (and its gzip form once a
 *            client asked for it).
 * A waiter is a request with this module's close callback: if its
 * connection closes first, the callback takes it off its entry, and httpd
 * frees the request. When the generation moves, every READY entry drops
 * its bodies at the next request (they can never answer again), so stale
 * megabytes are not kept until eviction. Loop thread only.
 */
#include "bodycache.h"

#include <sys/queue.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define LOG_MOD "bodycache"
#include "blob.h"
#include "buf.h"
#include "httpd.h"
#include "log.h"
#include "loop.h"
#include "xalloc.h"

#define BODYCACHE_MAGIC 0x42644361u
#define BC_WAITER_MAGIC 0x42645761u
/* zlib's level: gzip -1, as nginx's default. JSON of repeated keys still
 * shrinks about tenfold, at several times the speed of the default 6. */
#define BODYCACHE_GZIP_LEVEL 1

struct bc_entry;

struct bc_waiter {
	unsigned magic;
	struct bc_entry *e;  /* borrowed: the entry it waits on */
	struct httpd_req *r; /* borrowed: valid until answered or closed */
	bool gzip;	     /* its client takes gzip */
	TAILQ_ENTRY(bc_waiter) link; /* e->waiters */
};

enum bc_state {
	BC_EMPTY,
	BC_PENDING,
	BC_READY,
};

struct bc_entry {
	struct bodycache *c; /* borrowed: owner */
	char *key;	     /* owned */
	enum bc_state state;
	uint64_t gen; /* READY: the generation the body shows */
	int status;
	struct blob *body; /* owned reference or NULL */
	struct blob *gz;   /* owned reference or NULL: body gzipped */
	/* PENDING: what builds it */
	bodycache_build_fn *build;
	void *params; /* owned, freed with pfree */
	bodycache_params_free_fn *pfree;
	TAILQ_HEAD(bc_waiters_head, bc_waiter) waiters; /* owned */
	size_t nwaiters;
	TAILQ_ENTRY(bc_entry) lru;  /* c->entries, most recent first */
	TAILQ_ENTRY(bc_entry) pend; /* c->pending while PENDING */
};

struct bodycache {
	unsigned magic;
	struct loop *l; /* borrowed: outlives c */
	char *ctype;	/* owned */
	bodycache_gen_fn *gen;
	void *arg;		  /* borrowed: the state's owner */
	struct loop_timer *timer; /* owned: runs the pending builds */
	TAILQ_HEAD(bc_entries_head, bc_entry) entries; /* owned */
	TAILQ_HEAD(bc_pending_head, bc_entry) pending; /* borrowed */
	size_t max_entries, max_bytes;
	uint64_t seen_gen; /* the generation the READY bodies were checked
			      against last */
	struct bodycache_stats st;
};

static void bodycache_build_cb(void *arg);

struct bodycache *
bodycache_new(struct loop *l, const char *content_type, bodycache_gen_fn *gen,
	      void *arg)
{
	struct bodycache *c;

	CD_ALLOC_OBJ(c, BODYCACHE_MAGIC);
	c->l = l;
	c->ctype = xstrdup(content_type);
	c->gen = gen;
	c->arg = arg;
	c->timer = loop_timer_new(l, bodycache_build_cb, c);
	TAILQ_INIT(&c->entries);
	TAILQ_INIT(&c->pending);
	c->max_entries = BODYCACHE_DEFAULT_MAX_ENTRIES;
	c->max_bytes = BODYCACHE_DEFAULT_MAX_BYTES;
	c->seen_gen = gen(arg);
	return c;
}

void
bodycache_set_limits(struct bodycache *c, size_t max_entries, size_t max_bytes)
{
	CD_CHECK_OBJ(c, BODYCACHE_MAGIC);
	if (max_entries > 0)
		c->max_entries = max_entries;
	if (max_bytes > 0)
		c->max_bytes = max_bytes;
}

static void
bc_drop_bodies(struct bc_entry *e)
{
	struct bodycache *c = e->c;

	if (e->body != NULL)
		c->st.bytes -= blob_len(e->body);
	if (e->gz != NULL)
		c->st.bytes -= blob_len(e->gz);
	blob_unref(e->body);
	blob_unref(e->gz);
	e->body = e->gz = NULL;
	if (e->state == BC_READY)
		e->state = BC_EMPTY;
}

static void
bc_drop_params(struct bc_entry *e)
{
	if (e->pfree != NULL)
		e->pfree(e->params);
	e->params = NULL;
	e->pfree = NULL;
	e->build = NULL;
}

static void
bc_waiter_remove(struct bc_waiter *w)
{
	struct bc_entry *e = w->e;

	TAILQ_REMOVE(&e->waiters, w, link);
	e->nwaiters--;
	CD_FREE_OBJ(w);
}

/* httpd: a waiter's connection closed. */
static void
bc_waiter_closed(struct httpd_req *r, void *arg)
{
	struct bc_waiter *w = arg;

	(void)r;
	CD_CHECK_OBJ(w, BC_WAITER_MAGIC);
	bc_waiter_remove(w);
}

/* An entry that has no waiter and is not on the pending list. */
static void
bc_entry_free(struct bc_entry *e)
{
	struct bodycache *c = e->c;

	CD_ASSERT(e->nwaiters == 0 && e->state != BC_PENDING);
	TAILQ_REMOVE(&c->entries, e, lru);
	c->st.entries--;
	bc_drop_bodies(e);
	bc_drop_params(e);
	free(e->key);
	free(e);
}

/* Gzip of b, or NULL when zlib fails (the plain body is served then). */
static struct blob *
bc_gzip(const struct blob *b)
{
	z_stream z;
	uLong bound;
	char *out;
	size_t n;

	memset(&z, 0, sizeof z);
	if (deflateInit2(&z, BODYCACHE_GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	/* deflateBound() leaves out the gzip wrapper's 18 bytes. */
	bound = deflateBound(&z, (uLong)blob_len(b)) + 18;
	out = xmalloc((size_t)bound);
	/* zlib's interface is not const; deflate() only reads the input. */
	z.next_in = (Bytef *)(uintptr_t)blob_data(b);
	z.avail_in = (uInt)blob_len(b);
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		(void)deflateEnd(&z);
		free(out);
		return NULL;
	}
	n = (size_t)z.total_out;
	(void)deflateEnd(&z);
	return blob_new_take(out, n);
}

/* Answer r from e (READY), gzipped when it asks and zlib agrees. */
static void
bc_answer(struct bc_entry *e, struct httpd_req *r, bool gzip)
{
	struct bodycache *c = e->c;

	if (gzip && e->gz == NULL && blob_len(e->body) > 0 &&
	    blob_len(e->body) <= UINT32_MAX) {
		e->gz = bc_gzip(e->body);
		if (e->gz != NULL) {
			c->st.gzips++;
			c->st.bytes += blob_len(e->gz);
		}
	}
	httpd_reply_header(r, "Vary", "Accept-Encoding");
	if (gzip && e->gz != NULL) {
		httpd_reply_header(r, "Content-Encoding", "gzip");
		httpd_reply_blob(r, e->status, c->ctype, e->gz);
	} else {
		httpd_reply_blob(r, e->status, c->ctype, e->body);
	}
}

/* Drop least recently used entries beyond the bounds, sparing keep and
 * entries being built. */
static void
bc_evict(struct bodycache *c, const struct bc_entry *keep)
{
	struct bc_entry *e, *prev;

	for (e = TAILQ_LAST(&c->entries, bc_entries_head);
	     e != NULL &&
	     (c->st.entries > c->max_entries || c->st.bytes > c->max_bytes);
	     e = prev) {
		prev = TAILQ_PREV(e, bc_entries_head, lru);
		if (e == keep || e->state == BC_PENDING || e->nwaiters > 0)
			continue;
		c->st.evictions++;
		bc_entry_free(e);
	}
}

static struct bc_entry *
bc_find(struct bodycache *c, const char *key)
{
	struct bc_entry *e;

	TAILQ_FOREACH(e, &c->entries, lru)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* Every READY body is of an older generation than g: drop them. */
static void
bc_generation(struct bodycache *c, uint64_t g)
{
	struct bc_entry *e;

	if (g == c->seen_gen)
		return;
	c->seen_gen = g;
	TAILQ_FOREACH(e, &c->entries, lru)
		if (e->state == BC_READY && e->gen != g)
			bc_drop_bodies(e);
}

void
bodycache_serve(struct bodycache *c, struct httpd_req *r, const char *key,
		bodycache_build_fn *build, void *params,
		bodycache_params_free_fn *pfree)
{
	uint64_t g = c->gen(c->arg);
	bool gzip = httpd_req_accepts_gzip(r);
	struct bc_waiter *w;
	struct bc_entry *e;

	CD_CHECK_OBJ(c, BODYCACHE_MAGIC);
	bc_generation(c, g);
	e = bc_find(c, key);
	if (e != NULL) {
		TAILQ_REMOVE(&c->entries, e, lru);
		TAILQ_INSERT_HEAD(&c->entries, e, lru);
	}
	if (e != NULL && e->state == BC_READY && e->gen == g) {
		c->st.hits++;
		if (pfree != NULL)
			pfree(params);
		bc_answer(e, r, gzip);
		bc_evict(c, e); /* a gzip body may have been added */
		return;
	}
	if (e == NULL) {
		e = xcalloc(1, sizeof *e);
		e->c = c;
		e->key = xstrdup(key);
		e->state = BC_EMPTY;
		TAILQ_INIT(&e->waiters);
		TAILQ_INSERT_HEAD(&c->entries, e, lru);
		c->st.entries++;
	}
	if (e->state == BC_PENDING) {
		c->st.joined++;
		if (pfree != NULL)
			pfree(params);
	} else {
		bc_drop_bodies(e);
		e->state = BC_PENDING;
		e->build = build;
		e->params = params;
		e->pfree = pfree;
		TAILQ_INSERT_TAIL(&c->pending, e, pend);
		if (!loop_timer_pending(c->timer))
			loop_timer_add(c->timer, 0);
	}
	CD_ALLOC_OBJ(w, BC_WAITER_MAGIC);
	w->e = e;
	w->r = r;
	w->gzip = gzip;
	TAILQ_INSERT_TAIL(&e->waiters, w, link);
	e->nwaiters++;
	httpd_req_on_close(r, bc_waiter_closed, w);
	bc_evict(c, e);
}

/* Build e (taken off the pending list) and answer its waiters. */
static void
bc_build(struct bodycache *c, struct bc_entry *e)
{
	struct bc_waiter *w, *next;
	struct buf b = BUF_INIT;
	uint64_t g;
	size_t len;
	char *data;

	e->state = BC_EMPTY;
	for (w = TAILQ_FIRST(&e->waiters); w != NULL; w = next) {
		next = TAILQ_NEXT(w, link);
		/* Its close callback takes it off the list. */
		if (httpd_req_gone(w->r))
			c->st.gone++;
	}
	if (e->nwaiters == 0) {
		c->st.skipped++;
		bc_drop_params(e);
		return;
	}
	/* The generation first: a build that changed the state (it must
	 * not) would leave an entry that never answers, never a stale one. */
	g = c->gen(c->arg);
	e->status = e->build(c->arg, e->params, &b);
	bc_drop_params(e);
	c->st.builds++;
	data = buf_detach(&b, &len);
	e->body = blob_new_take(data, len);
	c->st.bytes += len;
	e->gen = g;
	e->state = BC_READY;
	log_debug("built %s at generation %llu: %d, %zu bytes, %zu waiting",
		  e->key, (unsigned long long)g, e->status, len, e->nwaiters);
	while ((w = TAILQ_FIRST(&e->waiters)) != NULL) {
		struct httpd_req *r = w->r;
		bool gzip = w->gzip;

		bc_waiter_remove(w);
		httpd_req_on_close(r, NULL, NULL);
		bc_answer(e, r, gzip);
	}
}

static void
bodycache_build_cb(void *arg)
{
	struct bodycache *c = arg;
	struct bc_entry *e;

	CD_CHECK_OBJ(c, BODYCACHE_MAGIC);
	while ((e = TAILQ_FIRST(&c->pending)) != NULL) {
		TAILQ_REMOVE(&c->pending, e, pend);
		bc_build(c, e);
	}
	bc_evict(c, NULL);
}

void
bodycache_free(struct bodycache *c)
{
	struct bc_entry *e;
	struct bc_waiter *w;

	if (c == NULL)
		return;
	CD_CHECK_OBJ(c, BODYCACHE_MAGIC);
	loop_timer_free(c->timer);
	while ((e = TAILQ_FIRST(&c->pending)) != NULL) {
		TAILQ_REMOVE(&c->pending, e, pend);
		e->state = BC_EMPTY;
		while ((w = TAILQ_FIRST(&e->waiters)) != NULL) {
			struct httpd_req *r = w->r;

			bc_waiter_remove(w);
			httpd_req_on_close(r, NULL, NULL);
			httpd_reply_error(r, 503, "Service shutting down",
					  NULL);
		}
	}
	while ((e = TAILQ_FIRST(&c->entries)) != NULL)
		bc_entry_free(e);
	free(c->ctype);
	CD_FREE_OBJ(c);
}

void
bodycache_stats(const struct bodycache *c, struct bodycache_stats *out)
{
	CD_CHECK_OBJ(c, BODYCACHE_MAGIC);
	*out = c->st;
}
