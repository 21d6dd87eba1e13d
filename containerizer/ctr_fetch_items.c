/*
 * ctr_fetch_items.c: the fetcher's list of items for a task, checked (see
 * ctr_fetch_items.h). Owns the arrays it fills. Pure: no I/O, no
 * globals; any thread.
 */
#include "containerizer/ctr_fetch_items.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/id.h"
#include "lib/policy.h"
#include "lib/xalloc.h"

#define FI_URI_MAX 4096

static const char *const fi_archive_ext[] = {
    ".tar", ".tgz", ".tar.gz", ".tbz2", ".tar.bz2", ".txz", ".tar.xz", ".zip",
};

bool
ctr_fetch_items_is_archive(const char *name)
{
	size_t n = strlen(name), e, i;

	for (i = 0; i < CD_NELEM(fi_archive_ext); i++) {
		e = strlen(fi_archive_ext[i]);
		if (n > e && strcasecmp(name + n - e, fi_archive_ext[i]) == 0)
			return true;
	}
	return false;
}

void
ctr_fetch_items_cache_key(const char *uri, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)id_hash(uri));
}

static int
fi_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode s[0..n) (a file:// path); NULL when it decodes a NUL or
 * a bad escape. Caller frees. */
static char *
fi_unescape(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n || (hi = fi_hex((unsigned char)s[i + 1])) < 0 ||
		    (lo = fi_hex((unsigned char)s[i + 2])) < 0 ||
		    (hi == 0 && lo == 0))
			goto bad;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

/* The last path segment of a URI, without query or fragment; NULL when
 * it has none. Caller frees. */
static char *
fi_basename(const char *uri)
{
	const char *p = strstr(uri, "://"), *end, *slash;

	p = p != NULL ? p + 3 : uri;
	end = p + strcspn(p, "?#");
	for (slash = end; slash > p && slash[-1] != '/'; slash--)
		;
	if (slash == p && strstr(uri, "://") != NULL)
		return NULL; /* "http://host": no path at all */
	if (end == slash)
		return NULL;
	return xstrndup(slash, (size_t)(end - slash));
}

static int
fi_fail(struct cd_err *err, const char *uri, const char *why)
{
	return cd_err_set(err, -EINVAL, "Failed to fetch '%.200s': %s", uri,
			  why);
}

static bool
fi_has(const struct ctr_fetch_items *it, const char *uri)
{
	size_t i;

	for (i = 0; i < it->n; i++)
		if (strcmp(it->v[i].uri, uri) == 0)
			return true;
	return false;
}

static int
fi_add(struct ctr_fetch_items *it, const char *uri, const char *dest,
       bool extract, bool executable, bool cache, struct cd_err *err)
{
	struct ctr_fetch_item *f;
	const char *p;

	if (strlen(uri) > FI_URI_MAX)
		return fi_fail(err, uri, "URI too long");
	if (fi_has(it, uri))
		return 0;
	XGROW(it->v, it->n + 1, it->cap);
	f = &it->v[it->n];
	memset(f, 0, sizeof *f);
	f->uri = xstrdup(uri);
	it->n++;
	if (strncasecmp(uri, "http://", 7) == 0 ||
	    strncasecmp(uri, "https://", 8) == 0) {
		f->kind = CTR_FETCH_HTTP;
	} else if (uri[0] == '/' || strncasecmp(uri, "file://", 7) == 0) {
		f->kind = CTR_FETCH_FILE;
		p = uri[0] == '/' ? uri : uri + 7;
		if (strncasecmp(p, "localhost/", 10) == 0)
			p += 9;
		if (p[0] != '/')
			return fi_fail(err, uri,
				       "only local file:// URIs are supported");
		f->path =
		    uri[0] == '/' ? xstrdup(uri) : fi_unescape(p, strlen(p));
		if (f->path == NULL)
			return fi_fail(err, uri, "bad escape in the path");
	} else {
		return fi_fail(err, uri,
			       "unsupported URI scheme (http, https or file)");
	}
	if (dest != NULL && dest[0] != '\0')
		f->name = xstrdup(dest);
	else if (f->kind == CTR_FETCH_FILE)
		f->name = fi_basename(f->path);
	else
		f->name = fi_basename(uri);
	if (f->name == NULL)
		return fi_fail(err, uri, "the URI names no file; set destPath");
	if (!policy_relpath_inside(f->name) || strcmp(f->name, ".") == 0)
		return fi_fail(err, uri,
			       "the output file must stay inside the sandbox");
	f->executable = executable;
	f->cache = cache;
	f->extract =
	    extract && !executable && ctr_fetch_items_is_archive(f->name);
	return 0;
}

int
ctr_fetch_items_of(const struct wire_task *t, struct ctr_fetch_items *out,
		   struct cd_err *err)
{
	const json_t *f;
	const char *uri, *dest;
	size_t i;
	int rc;

	memset(out, 0, sizeof *out);
	json_array_foreach(t->fetch, i, f) {
		const json_t *ex = json_object_get(f, "extract");

		uri = json_string_value(json_object_get(f, "uri"));
		dest = json_string_value(json_object_get(f, "destPath"));
		if (dest == NULL)
			dest =
			    json_string_value(json_object_get(f, "outputFile"));
		if (uri == NULL || uri[0] == '\0')
			return cd_err_set(err, -EINVAL,
					  "fetch item %zu has no uri", i);
		rc = fi_add(out, uri, dest, ex == NULL || json_is_true(ex),
			    json_is_true(json_object_get(f, "executable")),
			    json_is_true(json_object_get(f, "cache")), err);
		if (rc != 0)
			return rc;
	}
	json_array_foreach(t->uris, i, f) {
		uri = json_string_value(f);
		if (uri == NULL || uri[0] == '\0')
			continue;
		if ((rc = fi_add(out, uri, NULL, true, false, false, err)) != 0)
			return rc;
	}
	return 0;
}

void
ctr_fetch_items_release(struct ctr_fetch_items *it)
{
	size_t i;

	for (i = 0; i < it->n; i++) {
		free(it->v[i].uri);
		free(it->v[i].path);
		free(it->v[i].name);
	}
	free(it->v);
	memset(it, 0, sizeof *it);
}
