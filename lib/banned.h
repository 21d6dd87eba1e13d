/*
 * banned.h: compile-time ban of unsafe libc calls (STYLE B20, after git's
 * banned.h). A banned call expands to an undeclared identifier, so the build
 * fails with its name in the message.
 */
#ifndef CLUSTERD_LIB_BANNED_H
#define CLUSTERD_LIB_BANNED_H

/* Included after the system headers that declare these functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef ctime
#define ctime(t) BANNED(ctime)
#undef system
#define system(c) BANNED(system)

#endif
