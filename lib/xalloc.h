/*
 * xalloc.h: allocation that never returns NULL (STYLE B15). Running out of
 * memory is fatal; callers never test results. Also the assertion macros
 * (B19) and the magic-number object helpers for void * crossings (B18).
 */
#ifndef CLUSTERD_LIB_XALLOC_H
#define CLUSTERD_LIB_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

#include "compat.h"

/* All return owned memory; free with free(). */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) CD_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) CD_PRINTF(1, 0);
/*
 * The growable array of clusterd (git's ALLOC_GROW): make room for at least
 * need elements of size bytes in p, whose capacity is *cap; the capacity at
 * least doubles, from 8. Returns p, or its new owned address (the old one
 * is then freed). Overflow is fatal, like running out of memory. Use it
 * through XGROW on a (pointer, count, capacity) triple.
 */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);
#define XGROW(p, need, cap)                                                    \
	do {                                                                   \
		if ((need) > (cap))                                            \
			(p) = xgrow((p), &(cap), (need), sizeof *(p));         \
	} while (0)

CD_NORETURN void cd_assert_fail(const char *expr, const char *file, int line);

/* Assertions stay on in release builds; for invariants, never for input. */
#define CD_ASSERT(x) ((x) ? (void)0 : cd_assert_fail(#x, __FILE__, __LINE__))
#define AN(x) CD_ASSERT((x) != 0)
#define AZ(x) CD_ASSERT((x) == 0)

/* Objects handed to libraries as void * start with "unsigned magic;". */
#define CD_ALLOC_OBJ(p, m)                                                     \
	do {                                                                   \
		(p) = xcalloc(1, sizeof *(p));                                 \
		(p)->magic = (m);                                              \
	} while (0)
#define CD_CHECK_OBJ(p, m) CD_ASSERT((p) != NULL && (p)->magic == (m))
#define CD_FREE_OBJ(p)                                                         \
	do {                                                                   \
		(p)->magic = 0;                                                \
		free(p);                                                       \
		(p) = NULL;                                                    \
	} while (0)

#endif
