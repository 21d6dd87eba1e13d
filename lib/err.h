/*
 * err.h: an error with a code and a human-readable reason (STYLE B13).
 * Functions that can explain a failure take a trailing struct cd_err *
 * (may be NULL) and return a negative errno-style code. The optional path
 * names the offending JSON field ("/container/docker/image") so the API can
 * answer Marathon's {"message", "details":[{"path","errors"}]}.
 */
#ifndef CLUSTERD_LIB_ERR_H
#define CLUSTERD_LIB_ERR_H

#include "compat.h"

#define CD_ERR_LEN 256
#define CD_ERR_PATH_LEN 128

struct cd_err {
	int code; /* negative errno-style code, 0 when unset */
	char path[CD_ERR_PATH_LEN]; /* JSON path of the bad field, or "" */
	char msg[CD_ERR_LEN];	    /* reason, NUL-terminated */
};

/* Fill err (when not NULL) and return code, so "return cd_err_set(...)" reads.
 */
int cd_err_set(struct cd_err *err, int code, const char *fmt, ...)
    CD_PRINTF(3, 4);
/* As cd_err_set, with the JSON path of the offending field. */
int cd_err_setp(struct cd_err *err, int code, const char *path, const char *fmt,
		...) CD_PRINTF(4, 5);
void cd_err_clear(struct cd_err *err);

#endif
