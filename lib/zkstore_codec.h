/*
 * zkstore_codec.h: how lib/zkstore writes a store record into ZooKeeper,
 * pure (STYLE B28): no I/O, no globals; fuzzed by
 * tests/fuzz/fuzz_zkstore_codec.c.
 *
 * Name: a store key becomes a znode name by escaping every byte outside
 * [A-Za-z0-9._:-] as %XX (uppercase hex), "." and ".." included, so any
 * key is a legal znode name and the mapping is one-to-one. A key goes in
 * one of ZKSTORE_BUCKETS bucket znodes (FNV-1a of the key), so that no
 * children list grows past ZooKeeper's 1 MiB answer limit.
 *
 * Value: one above ZKSTORE_COMPRESS_MIN bytes is compressed when that saves
 * space: "\0CDZ" + its length as 4 bytes big-endian + a zlib stream.
 * Otherwise it is stored as is, unless it starts with a NUL byte (JSON and
 * ids never do): then "\0CDR" + the bytes. An encoded value above
 * ZKSTORE_ZNODE_MAX is refused.
 */
#ifndef CLUSTERD_LIB_ZKSTORE_CODEC_H
#define CLUSTERD_LIB_ZKSTORE_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define ZKSTORE_BUCKETS 256
#define ZKSTORE_COMPRESS_MIN 4096
#define ZKSTORE_ZNODE_MAX (512 * 1024)
/* Largest decoded value accepted (a bound for inflating outside bytes). */
#define ZKSTORE_VALUE_MAX (64 * 1024 * 1024)

/* The znode name of key; the caller frees it. */
char *zkstore_codec_escape(const char *key);
/*
 * The key of a znode name, in *out (the caller frees it). Returns 0, or
 * -EINVAL for a name that zkstore_codec_escape() never makes.
 */
int zkstore_codec_unescape(const char *name, char **out);
/* The bucket of key, 0 .. ZKSTORE_BUCKETS - 1. */
unsigned zkstore_codec_bucket(const char *key);
/*
 * Paths (the caller frees them): "<root>/state" (the format),
 * "<root>/state/seq" (the commit marker), "<root>/state/<db>/<bucket as
 * two hex digits>", and a record's "<root>/state/<db>/<bucket>/<name>".
 */
#define ZKSTORE_FORMAT "{\"format\":1,\"buckets\":256}"
char *zkstore_codec_state_path(const char *root);
char *zkstore_codec_seq_path(const char *root);
char *zkstore_codec_bucket_path(const char *root, const char *db,
				unsigned bucket);
char *zkstore_codec_record_path(const char *root, const char *db,
				const char *key);

/*
 * Append the znode data of a value to out (reset first). *compressed says
 * whether it was compressed (may be NULL). Returns 0, or -EMSGSIZE when
 * the result exceeds ZKSTORE_ZNODE_MAX (out is then reset).
 */
int zkstore_codec_encode(const void *val, size_t len, struct buf *out,
			 bool *compressed);
/*
 * Whether a value of len bytes certainly fits once encoded, without
 * encoding it (false means: encode it to know).
 */
bool zkstore_codec_fits(size_t len);
/* Decode znode data into out (reset first). Returns 0 or -EBADMSG. */
int zkstore_codec_decode(const void *data, size_t len, struct buf *out);

#endif
