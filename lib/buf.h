/*
 * buf.h: growable byte buffer, a transparent value type in the style of
 * git's strbuf.
 * Invariants: data is NULL only when cap == 0; otherwise data[len] == '\0',
 * so a buf is always usable as a C string; len < cap.
 */
#ifndef CLUSTERD_LIB_BUF_H
#define CLUSTERD_LIB_BUF_H

#include <stddef.h>

#include "compat.h"

struct buf {
	char *data; /* owned; NULL until the first append */
	size_t len;
	size_t cap;
};

#define BUF_INIT                                                               \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

void buf_init(struct buf *b);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) CD_PRINTF(2, 3);
/* The contents as a C string ("" when empty); borrowed, valid until the next
 * change. */
const char *buf_str(const struct buf *b);
/* Hand over the storage: the caller frees the result; b is left empty. */
char *buf_detach(struct buf *b, size_t *len);

#endif
