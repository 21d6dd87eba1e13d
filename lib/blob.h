/*
 * blob.h: an immutable, reference-counted byte string, so that one
 * serialised reply can be queued on many connections at once without a
 * copy each (lib/bodycache hands blobs to httpd_reply_blob(), which holds
 * a reference until the socket has taken the bytes). The bytes never
 * change once the blob is made; the last blob_unref() frees them.
 * Loop thread only: the count is a plain integer.
 */
#ifndef CLUSTERD_LIB_BLOB_H
#define CLUSTERD_LIB_BLOB_H

#include <stddef.h>

struct blob;

/*
 * A blob of the len bytes at data, which it takes: data must come from
 * the xmalloc family (buf_detach() does) and is freed with the blob. The
 * count starts at 1, the caller's reference. data may be NULL when len is
 * 0.
 */
struct blob *blob_new_take(char *data, size_t len);
/* A blob of a copy of the len bytes at data. */
struct blob *blob_new_copy(const void *data, size_t len);
/* Another reference to b; returns b. */
struct blob *blob_ref(struct blob *b);
/* Drop a reference; the last one frees b. NULL is a no-op. */
void blob_unref(struct blob *b);
/* The bytes (borrowed: valid while a reference is held) and their count. */
const char *blob_data(const struct blob *b);
size_t blob_len(const struct blob *b);
/* References held (for tests and assertions). */
unsigned long blob_refs(const struct blob *b);

#endif
