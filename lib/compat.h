/*
 * compat.h: feature macros and compiler attributes shared by every file.
 * Layer L0. Including it also pulls in banned.h, so unsafe libc calls fail
 * to compile everywhere (STYLE B20).
 */
#ifndef CLUSTERD_LIB_COMPAT_H
#define CLUSTERD_LIB_COMPAT_H

#include <stddef.h>

#define CD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define CD_NORETURN __attribute__((noreturn))
#define CD_UNUSED __attribute__((unused))
#define CD_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The value of a hexadecimal digit, or -1 (the parsers' one copy). */
static inline int
cd_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#include "banned.h"

#endif
