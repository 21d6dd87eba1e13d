/*
 * path.c: path segments and mkdir -p. Any thread; touches only the file
 * system.
 */
#include "path.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "xalloc.h"

bool
path_next_seg(const char **p, const char **seg, size_t *len)
{
	const char *q = *p;

	while (*q == '/')
		q++;
	if (*q == '\0') {
		*p = q;
		return false;
	}
	for (*seg = q; *q != '\0' && *q != '/'; q++)
		;
	*len = (size_t)(q - *seg);
	*p = q;
	return true;
}

int
path_mkdirs(const char *path, mode_t mode)
{
	char *p = xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1; *s != '\0' && rc == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) == -1 && errno != EEXIST)
			rc = -errno;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, mode) == -1 && errno != EEXIST)
		rc = -errno;
	free(p);
	return rc;
}
