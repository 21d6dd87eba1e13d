/*
 * route.c: path-pattern matching and query-string parsing for httpd.
 *
 * Pure (STYLE B28): no I/O, no loop, no globals; fuzzed by
 * tests/fuzz/fuzz_route.c. Any thread that owns its arguments.
 *
 * Design: the path is split and decoded once per request (route_path),
 * then every route pattern is matched against the decoded segments. A
 * "*name" segment makes the match backtrack; a memo of failed
 * (pattern segment, path segment) pairs keeps it polynomial even for
 * patterns with several stars, so hostile paths cannot make it explode.
 * Captures are recorded only on the successful path, while the recursion
 * unwinds.
 */
#include "route.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct route_pseg {
	const char *p; /* borrowed: from the pattern string */
	size_t len;
};

struct route_matcher {
	const struct route_pseg *pat;
	size_t np;
	const struct route_path *path;
	unsigned char *failed; /* borrowed: (np + 1) * (n + 1) memo */
	size_t cap_start[ROUTE_MAX_SEGS];
	size_t cap_count[ROUTE_MAX_SEGS];
};

void
route_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~') {
			buf_append(out, p, 1);
		} else {
			char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

			buf_append(out, esc, sizeof esc);
		}
	}
}

int
route_decode(const char *s, size_t n, bool plus_is_space, char **out)
{
	char *d = xmalloc(n + 1);
	size_t i, j = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (n - i < 3)
				goto bad;
			hi = cd_hexval((unsigned char)s[i + 1]);
			lo = cd_hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			d[j++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '\0') {
			goto bad;
		} else if (s[i] == '+' && plus_is_space) {
			d[j++] = ' ';
		} else {
			d[j++] = s[i];
		}
	}
	d[j] = '\0';
	*out = d;
	return 0;
bad:
	free(d);
	*out = NULL;
	return -EINVAL;
}

void
route_path_release(struct route_path *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->seg[i]);
	free(p->seg);
	p->seg = NULL;
	p->n = 0;
}

/*
 * The next segment of a path or pattern at or after *s: true with [*s, *e)
 * set, skipping empty segments ("//"); false at the end.
 */
static bool
route_next_seg(const char **s, const char **e)
{
	const char *p = *s;

	while (*p == '/')
		p++;
	if (*p == '\0')
		return false;
	*s = p;
	*e = strchr(p, '/');
	if (*e == NULL)
		*e = p + strlen(p);
	return true;
}

int
route_path_parse(const char *path, struct route_path *out)
{
	const char *s, *e;
	int rc = 0;

	out->seg = NULL;
	out->n = 0;
	if (path == NULL || path[0] != '/')
		return -EINVAL;
	out->seg = xcalloc(ROUTE_MAX_SEGS, sizeof *out->seg);
	for (s = path; route_next_seg(&s, &e); s = e) {
		if (out->n == ROUTE_MAX_SEGS) {
			rc = -E2BIG;
			goto out;
		}
		rc = route_decode(s, (size_t)(e - s), false, &out->seg[out->n]);
		if (rc != 0)
			goto out;
		out->n++;
	}
out:
	return rc;
}

void
route_params_init(struct route_params *ps)
{
	ps->n = 0;
}

void
route_params_release(struct route_params *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		free(ps->p[i].key);
		ps->p[i].key = NULL;
		free(ps->p[i].val);
		ps->p[i].val = NULL;
	}
	ps->n = 0;
}

const char *
route_params_get(const struct route_params *ps, const char *name)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].key, name) == 0)
			return ps->p[i].val;
	return NULL;
}

/* Split pattern into segments; -1 when it is malformed. */
static int
route_split_pattern(const char *pattern, struct route_pseg *segs, size_t *np)
{
	const char *s, *e;
	size_t n = 0, nparams = 0;

	if (pattern == NULL || pattern[0] != '/')
		return -1;
	for (s = pattern; route_next_seg(&s, &e); s = e) {
		if (n == ROUTE_MAX_SEGS)
			return -1;
		if (*s == ':' || *s == '*') {
			if (e - s < 2 || ++nparams > ROUTE_MAX_PARAMS)
				return -1;
		}
		segs[n].p = s;
		segs[n].len = (size_t)(e - s);
		n++;
	}
	*np = n;
	return 0;
}

static bool
route_match_at(struct route_matcher *m, size_t pi, size_t si)
{
	const struct route_pseg *ps;
	size_t ns = m->path->n, k;
	size_t memo = pi * (ns + 1) + si;

	if (m->failed[memo])
		return false;
	if (pi == m->np)
		return si == ns;
	ps = &m->pat[pi];
	if (ps->p[0] == '*') {
		/* Longest capture first, as a greedy regex would. */
		for (k = ns - si; k >= 1; k--) {
			if (route_match_at(m, pi + 1, si + k)) {
				m->cap_start[pi] = si;
				m->cap_count[pi] = k;
				return true;
			}
		}
	} else if (si < ns) {
		const char *seg = m->path->seg[si];

		if (ps->p[0] == ':' || (strlen(seg) == ps->len &&
					memcmp(seg, ps->p, ps->len) == 0)) {
			if (route_match_at(m, pi + 1, si + 1)) {
				m->cap_start[pi] = si;
				m->cap_count[pi] = 1;
				return true;
			}
		}
	}
	m->failed[memo] = 1;
	return false;
}

static char *
route_join(const struct route_path *path, size_t start, size_t count)
{
	size_t i, len = 0, off = 0;
	char *s;

	for (i = start; i < start + count; i++)
		len += strlen(path->seg[i]) + 1;
	s = xmalloc(len + 1);
	for (i = start; i < start + count; i++) {
		size_t l = strlen(path->seg[i]);

		if (i > start)
			s[off++] = '/';
		memcpy(s + off, path->seg[i], l);
		off += l;
	}
	s[off] = '\0';
	return s;
}

bool
route_match(const char *pattern, const struct route_path *path,
	    struct route_params *out)
{
	struct route_pseg segs[ROUTE_MAX_SEGS];
	struct route_matcher m;
	size_t pi;
	bool ok = false;

	if (out != NULL)
		route_params_init(out);
	memset(&m, 0, sizeof m);
	if (route_split_pattern(pattern, segs, &m.np) != 0)
		return false;
	if (path->n > ROUTE_MAX_SEGS)
		return false;
	m.pat = segs;
	m.path = path;
	m.failed = xcalloc((m.np + 1) * (path->n + 1), 1);
	ok = route_match_at(&m, 0, 0);
	if (ok && out != NULL) {
		for (pi = 0; pi < m.np; pi++) {
			struct route_kv *kv;

			if (segs[pi].p[0] != ':' && segs[pi].p[0] != '*')
				continue;
			kv = &out->p[out->n++];
			kv->key = xstrndup(segs[pi].p + 1, segs[pi].len - 1);
			kv->val =
			    route_join(path, m.cap_start[pi], m.cap_count[pi]);
		}
	}
	free(m.failed);
	return ok;
}

void
route_query_release(struct route_query *q)
{
	size_t i;

	for (i = 0; i < q->n; i++) {
		free(q->kv[i].key);
		free(q->kv[i].val);
	}
	free(q->kv);
	q->kv = NULL;
	q->n = 0;
}

int
route_query_parse(const char *qs, struct route_query *out)
{
	const char *s, *e, *eq;
	size_t cap = 0;
	char *key = NULL, *val = NULL;
	int rc = 0;

	out->n = 0;
	out->kv = NULL;
	if (qs == NULL)
		return 0;
	for (s = qs; *s != '\0'; s = *e ? e + 1 : e) {
		e = strchr(s, '&');
		if (e == NULL)
			e = s + strlen(s);
		if (e == s)
			continue;
		eq = memchr(s, '=', (size_t)(e - s));
		if (eq == NULL)
			eq = e;
		if (eq == s)
			continue; /* "=x": no key, nothing to look up */
		if (out->n == ROUTE_MAX_QUERY) {
			rc = -E2BIG;
			goto out;
		}
		if ((rc = route_decode(s, (size_t)(eq - s), true, &key)) != 0)
			goto out;
		if (eq == e)
			val = xstrdup("");
		else if ((rc = route_decode(eq + 1, (size_t)(e - eq - 1), true,
					    &val)) != 0)
			goto out;
		XGROW(out->kv, out->n + 1, cap);
		out->kv[out->n].key = key;
		out->kv[out->n].val = val;
		out->n++;
		key = NULL;
		val = NULL;
	}
out:
	free(key);
	free(val);
	return rc;
}

const char *
route_query_next(const struct route_query *q, const char *key, size_t *pos)
{
	size_t i;

	for (i = *pos; i < q->n; i++) {
		if (strcmp(q->kv[i].key, key) == 0) {
			*pos = i + 1;
			return q->kv[i].val;
		}
	}
	*pos = q->n;
	return NULL;
}

const char *
route_query_get(const struct route_query *q, const char *key)
{
	size_t pos = 0;

	return route_query_next(q, key, &pos);
}
