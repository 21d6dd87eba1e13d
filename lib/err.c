/*
 * err.c: fills struct cd_err. Pure; any thread.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void
err_vfill(struct cd_err *err, int code, const char *path, const char *fmt,
	  va_list ap)
{
	int n;

	err->code = code;
	n = snprintf(err->path, sizeof err->path, "%s", path ? path : "");
	if (n < 0 || (size_t)n >= sizeof err->path)
		err->path[sizeof err->path - 1] = '\0';
	n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	if (n < 0)
		err->msg[0] = '\0';
	/* A truncated reason is still a useful reason. */
}

int
cd_err_set(struct cd_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	err_vfill(err, code, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int
cd_err_setp(struct cd_err *err, int code, const char *path, const char *fmt,
	    ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	err_vfill(err, code, path, fmt, ap);
	va_end(ap);
	return code;
}

void
cd_err_clear(struct cd_err *err)
{
	if (err == NULL)
		return;
	memset(err, 0, sizeof *err);
}
