/*
 * bodycache.h: serialised reply bodies cached per state generation, for
 * the large listings a client polls (GET /v2/apps, /v2/tasks, /v2/groups
 * and their embed variants), so that a thousand identical requests cost
 * one build, not a thousand.
 *
 * The owner of the state gives a generation: a number that changes every
 * time anything the cached replies show changes, before anyone (a reply,
 * an event) can have shown the change. An entry is a key (the owner's
 * normalised form of the request: route and query) with the status and
 * body built at some generation; it answers only while the generation is
 * still that one, so a reply is never older than the state was when the
 * request was served.
 *
 * Per key:
 *  - a body is a blob (lib/blob) handed to every connection by reference
 *    (httpd_reply_blob()), never copied;
 *  - a miss does not build at once: the request waits for a build run
 *    from the loop right after the current callbacks, and every request
 *    for the same key arriving meanwhile joins it (one build, many
 *    answers). The build reads the state as it is when it runs, never
 *    older than when the requests came;
 *  - before building, waiters whose client has gone are dropped
 *    (httpd_req_gone()); with none left the build is skipped;
 *  - a request whose Accept-Encoding takes gzip gets the body gzipped,
 *    compressed once per generation and kept beside the plain one.
 * Every answer carries "Vary: Accept-Encoding". Entries are bounded in
 * number and in bytes (least recently used go first); bodies of an older
 * generation are dropped as soon as the generation moves.
 * Loop thread only.
 */
#ifndef CLUSTERD_LIB_BODYCACHE_H
#define CLUSTERD_LIB_BODYCACHE_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct httpd_req;
struct loop;
struct bodycache;

/* The current generation of the state (arg as given to bodycache_new()). */
typedef uint64_t bodycache_gen_fn(void *arg);
/*
 * Write the body for params into out (empty on entry) and return its HTTP
 * status. Must not change the state. params are those of the request that
 * started the build; every request joining it has the same key, hence
 * asks for the same body.
 */
typedef int bodycache_build_fn(void *arg, void *params, struct buf *out);
/* Free params (NULL is passed to none). */
typedef void bodycache_params_free_fn(void *params);

#define BODYCACHE_DEFAULT_MAX_ENTRIES 32
#define BODYCACHE_DEFAULT_MAX_BYTES ((size_t)64 * 1024 * 1024)

/*
 * A cache whose bodies have content_type (copied), for the state whose
 * generation gen(arg) gives; arg is passed to every build too. Free with
 * bodycache_free(), which answers requests still waiting with 503.
 */
struct bodycache *bodycache_new(struct loop *l, const char *content_type,
				bodycache_gen_fn *gen, void *arg);
void bodycache_free(struct bodycache *c);
/* Bounds (0 keeps the current one). */
void bodycache_set_limits(struct bodycache *c, size_t max_entries,
			  size_t max_bytes);

/*
 * Answer r with the body of key (copied), built by build from params
 * (taken: freed with pfree, which may be NULL, once no longer needed):
 * at once from the cache, or later, from the loop, after a build of key
 * that r joins or starts. r must not be answered by anyone else.
 */
void bodycache_serve(struct bodycache *c, struct httpd_req *r, const char *key,
		     bodycache_build_fn *build, void *params,
		     bodycache_params_free_fn *pfree);

/* Counters, for tests and the log. */
struct bodycache_stats {
	unsigned long hits;	 /* answered from a body in the cache */
	unsigned long builds;	 /* bodies built */
	unsigned long joined;	 /* requests that joined a build under way */
	unsigned long gone;	 /* waiters dropped, their client gone */
	unsigned long skipped;	 /* builds not run: no waiter left */
	unsigned long gzips;	 /* bodies compressed */
	unsigned long evictions; /* entries dropped over a bound */
	size_t entries;		 /* keys held now */
	size_t bytes;		 /* bytes of bodies held now */
};
void bodycache_stats(const struct bodycache *c, struct bodycache_stats *out);

#endif
