/*
 * path.c: mkdir -p. Any thread; touches only the file system.
 */
#include "path.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "xalloc.h"

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
