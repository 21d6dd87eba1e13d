/*
 * jw.h: a streaming JSON writer into a struct buf, for replies too large
 * to build as a jansson tree first (/master/state, /v2/apps with tasks:
 * megabytes, tens of thousands of nodes).
 *
 * The output is byte for byte what json_dump_buf() (lib/json.h) makes of
 * the equivalent tree: compact, keys in the order written, strings escaped
 * as jansson escapes them (", \, and control characters; UTF-8 passes
 * through), reals as jansson prints them at JSON_REAL_PRECISION(15). So a
 * handler can move from a tree to the writer without changing a reply,
 * and can mix both: jw_json() writes a jansson value in place, jw_raw()
 * a fragment serialised earlier (a cache).
 *
 * struct jw is a value type kept on the caller's stack, like struct buf
 * (its fields are private to jw.c). Tokens are staged in the writer and
 * reach out in blocks: out holds everything written once the top-level
 * value is complete (its last close, or a scalar written at the top), or
 * after jw_flush(). Invariants: out is borrowed and outlives the writer;
 * stage[0..n) is not in out yet; depth counts the open containers;
 * comma is true when the next value or key needs a ',' before it (a
 * value was written at this level), false after an open or a key.
 * The writer does not check that opens and closes pair up, nor that keys
 * appear only in objects: the caller's code shape does (tests compare the
 * output with jansson's). Pure (STYLE B28): any thread that owns the
 * buffer.
 */
#ifndef CLUSTERD_LIB_JW_H
#define CLUSTERD_LIB_JW_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "buf.h"

#define JW_STAGE 4096

struct jw {
	struct buf *out; /* borrowed: the caller's buffer */
	bool comma;
	unsigned depth;
	size_t n;
	char stage[JW_STAGE];
};

/* Start writing at the end of out (appending to what it holds). */
void jw_init(struct jw *w, struct buf *out);
/* Move what is staged into out (needed only to read out mid-value). */
void jw_flush(struct jw *w);

void jw_obj_open(struct jw *w);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w);
void jw_arr_close(struct jw *w);
/* An object member's key; the next call writes its value. */
void jw_key(struct jw *w, const char *k);

/* s must be valid UTF-8 (every string that came through jansson is);
 * NULL writes null. */
void jw_str(struct jw *w, const char *s);
void jw_int(struct jw *w, long long v);
/* A real as jansson writes it ("1.0", "0.01", "1e+20" as "1e20"); NaN
 * and infinities, which jansson cannot hold, as null. */
void jw_real(struct jw *w, double v);
/* A Unix time in milliseconds as the string json_time_iso() makes
 * ("2026-11-26T00:42:32.941Z"). */
void jw_time_iso(struct jw *w, long long ms);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* A jansson value, serialised as json_dump_buf() does; NULL writes null. */
void jw_json(struct jw *w, const json_t *v);
/* A value already serialised (valid JSON, written as it is). */
void jw_raw(struct jw *w, const char *p, size_t n);
/*
 * Open an object whose first members are those of the serialised object
 * p[0..n) ("{...}", as json_dump_buf() writes it): members written next
 * follow them, and jw_obj_close() ends it. For an AppInfo built from a
 * cached definition.
 */
void jw_obj_extend(struct jw *w, const char *p, size_t n);

/* key and value in one call. */
void jw_kstr(struct jw *w, const char *k, const char *s);
void jw_kint(struct jw *w, const char *k, long long v);
void jw_kreal(struct jw *w, const char *k, double v);
void jw_kbool(struct jw *w, const char *k, bool v);

#endif
