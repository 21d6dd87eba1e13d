/*
 * resources.c: resource vector arithmetic, Mesos' text form and JSON.
 * Pure (STYLE B28): no I/O, no globals; any thread.
 *
 * Design decisions:
 *   - Scalars live on Mesos' fixed-point grid of 0.001 (Value::Scalar): every
 *     parse, add and subtract rounds to it, so repeated arithmetic does not
 *     drift and equality stays meaningful.
 *   - Port ranges are kept sorted, disjoint and merged (adjacent ranges
 *     join), so two equal sets have equal representations.
 *   - JSON always carries all four keys; no ports is written as "[]" (Mesos
 *     omits the key; "[]" keeps round trips and readers simple).
 *   - The text form accepts Mesos' "name(*):value" role suffix for the
 *     default role only, whitespace around items, names and values, and a
 *     single port "[80]" as "[80-80]"; a name given twice is refused.
 *   - Ranges live in an exact-size heap array replaced whole on every
 *     change (res_set_ranges): a task, offer or status costs 40 bytes
 *     here, not 1 KiB, and one without ports no allocation at all.
 *   - res_sub may split ranges; when the result would exceed RES_MAX_RANGES
 *     it returns -ENOSPC and leaves a unchanged. res_add cannot report
 *     failure: on overflow it drops the highest ranges (ports are lost from
 *     the set, never invented).
 */
#include "resources.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "xalloc.h"

#define RES_PORT_MAX 65535u
/* Keeps value * 1000 an exact integer in a double (below 2^53). */
#define RES_SCALAR_MAX 1e12

/* Up to twice RES_MAX_RANGES, as the union of two valid sets. */
struct res_rangebuf {
	int n;
	struct res_range r[2 * RES_MAX_RANGES];
};

static double
res_round(double v)
{
	v = round(v * 1000.0) / 1000.0;
	return v > 0 ? v : 0;
}

void
res_zero(struct resources *r)
{
	memset(r, 0, sizeof *r);
}

void
res_free(struct resources *r)
{
	free(r->ports);
	r->ports = NULL;
	r->nranges = 0;
}

void
res_set_ranges(struct resources *r, const struct res_range *v, int n)
{
	struct res_range *p = NULL;

	if (n > RES_MAX_RANGES)
		n = RES_MAX_RANGES;
	if (n > 0) { /* copied before the free: v may be r's own ranges */
		p = xmalloc((size_t)n * sizeof *p);
		memcpy(p, v, (size_t)n * sizeof *p);
	}
	res_free(r);
	r->ports = p;
	r->nranges = n > 0 ? n : 0;
}

void
res_copy(struct resources *dst, const struct resources *src)
{
	*dst = *src;
	dst->ports = NULL;
	if (src->nranges > 0) {
		dst->ports = xmalloc((size_t)src->nranges * sizeof *dst->ports);
		memcpy(dst->ports, src->ports,
		       (size_t)src->nranges * sizeof *dst->ports);
	}
}

static int
res_range_cmp(const void *a, const void *b)
{
	const struct res_range *x = a, *y = b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* Sort and merge rb in place. */
static void
res_normalise(struct res_rangebuf *rb)
{
	int i, o = 0;

	if (rb->n == 0)
		return;
	qsort(rb->r, (size_t)rb->n, sizeof rb->r[0], res_range_cmp);
	for (i = 1; i < rb->n; i++) {
		if ((uint64_t)rb->r[i].begin <= (uint64_t)rb->r[o].end + 1) {
			if (rb->r[i].end > rb->r[o].end)
				rb->r[o].end = rb->r[i].end;
		} else
			rb->r[++o] = rb->r[i];
	}
	rb->n = o + 1;
}

/* Parse "[1-2, 5-9]" (whole string) into rb, normalised. */
static int
res_parse_ranges(const char *s, struct res_rangebuf *rb, struct cd_err *err)
{
	const char *p = s;
	char *end;
	unsigned long b, e;

	rb->n = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '[')
		return cd_err_set(
		    err, -EINVAL,
		    "ports must look like [31000-32000], not '%.40s'", s);
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ']' && rb->n == 0)
			break;
		if (*p < '0' || *p > '9')
			return cd_err_set(err, -EINVAL,
					  "bad port range in '%.40s'", s);
		errno = 0;
		b = strtoul(p, &end, 10);
		if (errno != 0 || b > RES_PORT_MAX)
			return cd_err_set(err, -EINVAL,
					  "port %.10s above %u in '%.40s'", p,
					  RES_PORT_MAX, s);
		p = end;
		while (*p == ' ' || *p == '\t')
			p++;
		e = b;
		if (*p == '-') {
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p < '0' || *p > '9')
				return cd_err_set(err, -EINVAL,
						  "bad port range in '%.40s'",
						  s);
			errno = 0;
			e = strtoul(p, &end, 10);
			if (errno != 0 || e > RES_PORT_MAX)
				return cd_err_set(
				    err, -EINVAL,
				    "port %.10s above %u in '%.40s'", p,
				    RES_PORT_MAX, s);
			p = end;
		}
		if (b > e)
			return cd_err_set(err, -EINVAL,
					  "port range %lu-%lu has begin > end",
					  b, e);
		if (rb->n >= (int)CD_NELEM(rb->r))
			return cd_err_set(err, -EINVAL,
					  "more than %d port ranges",
					  RES_MAX_RANGES);
		rb->r[rb->n].begin = (uint32_t)b;
		rb->r[rb->n].end = (uint32_t)e;
		rb->n++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == ']')
			break;
		return cd_err_set(err, -EINVAL, "bad port range in '%.40s'", s);
	}
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0')
		return cd_err_set(err, -EINVAL,
				  "trailing characters after ports in '%.40s'",
				  s);
	res_normalise(rb);
	if (rb->n > RES_MAX_RANGES)
		return cd_err_set(err, -EINVAL, "more than %d port ranges",
				  RES_MAX_RANGES);
	return 0;
}

/* Drops the highest ranges beyond RES_MAX_RANGES. */
static void
res_set_buf(struct resources *r, const struct res_rangebuf *rb)
{
	res_set_ranges(r, rb->r, rb->n);
}

static int
res_check_scalar(const char *name, double v, struct cd_err *err)
{
	if (!isfinite(v) || v < 0 || v > RES_SCALAR_MAX)
		return cd_err_setp(
		    err, -EINVAL, NULL,
		    "%s must be a finite number >= 0 and <= 1e12", name);
	return 0;
}

static int
res_parse_scalar(const char *name, const char *s, double *out,
		 struct cd_err *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	while (*end == ' ' || *end == '\t')
		end++;
	if (end == s || *end != '\0' || errno != 0)
		return cd_err_set(err, -EINVAL, "%s: '%.40s' is not a number",
				  name, s);
	if (res_check_scalar(name, v, err) != 0)
		return -EINVAL;
	*out = res_round(v);
	return 0;
}

/* Trim spaces in place; returns the start. */
static char *
res_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	n = strlen(s);
	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

static int
res_parse_item(char *item, struct resources *out, unsigned *seen,
	       struct cd_err *err)
{
	static const char *const names[] = {"cpus", "mem", "disk", "ports"};
	char *colon = strchr(item, ':'), *name, *value;
	struct res_rangebuf rb;
	size_t n;
	int k;

	if (colon == NULL)
		return cd_err_set(err, -EINVAL,
				  "resource '%.40s' must look like name:value",
				  item);
	*colon = '\0';
	name = res_trim(item);
	value = res_trim(colon + 1);
	n = strlen(name);
	if (n > 3 && strcmp(name + n - 3, "(*)") == 0)
		name[n - 3] = '\0';
	for (k = 0; k < (int)CD_NELEM(names); k++)
		if (strcmp(name, names[k]) == 0)
			break;
	if (k == (int)CD_NELEM(names))
		return cd_err_set(
		    err, -EINVAL,
		    "unknown resource '%.40s' (known: cpus, mem, disk, ports)",
		    name);
	if (*seen & (1u << k))
		return cd_err_set(err, -EINVAL, "resource '%s' given twice",
				  names[k]);
	*seen |= 1u << k;
	switch (k) {
	case 0:
		return res_parse_scalar("cpus", value, &out->cpus, err);
	case 1:
		return res_parse_scalar("mem", value, &out->mem, err);
	case 2:
		return res_parse_scalar("disk", value, &out->disk, err);
	default:
		if (res_parse_ranges(value, &rb, err) != 0)
			return -EINVAL;
		res_set_buf(out, &rb);
		return 0;
	}
}

int
res_parse(const char *s, struct resources *out, struct cd_err *err)
{
	struct resources r;
	unsigned seen = 0;
	char *copy, *item, *next;
	int rc = 0;

	res_zero(&r);
	copy = xstrdup(s);
	for (item = copy; item != NULL; item = next) {
		next = strchr(item, ';');
		if (next != NULL)
			*next++ = '\0';
		if (*res_trim(item) == '\0')
			continue;
		rc = res_parse_item(item, &r, &seen, err);
		if (rc != 0) {
			res_free(&r);
			goto out;
		}
	}
	*out = r;
out:
	free(copy);
	return rc;
}

static void
res_format_ranges(const struct resources *r, struct buf *out, const char *sep)
{
	int i;

	buf_puts(out, "[");
	for (i = 0; i < r->nranges; i++)
		buf_printf(out, "%s%u-%u", i ? sep : "", r->ports[i].begin,
			   r->ports[i].end);
	buf_puts(out, "]");
}

/* A grid value with at most 3 decimals and no trailing zeros. */
static void
res_format_num(struct buf *out, const char *name, double v)
{
	char num[64];
	int n = snprintf(num, sizeof num, "%.3f", v);

	if (n < 0 || (size_t)n >= sizeof num)
		n = snprintf(num, sizeof num, "0");
	while (n > 0 && num[n - 1] == '0')
		num[--n] = '\0';
	if (n > 0 && num[n - 1] == '.')
		num[--n] = '\0';
	buf_printf(out, "%s:%s;", name, num);
}

void
res_format(const struct resources *r, struct buf *out)
{
	res_format_num(out, "cpus", r->cpus);
	res_format_num(out, "mem", r->mem);
	res_format_num(out, "disk", r->disk);
	buf_puts(out, "ports:");
	res_format_ranges(r, out, ",");
}

void
res_add(struct resources *a, const struct resources *b)
{
	struct res_rangebuf rb;

	a->cpus = res_round(a->cpus + b->cpus);
	a->mem = res_round(a->mem + b->mem);
	a->disk = res_round(a->disk + b->disk);
	if (b->nranges == 0)
		return;
	if (a->nranges > 0)
		memcpy(rb.r, a->ports, (size_t)a->nranges * sizeof rb.r[0]);
	memcpy(rb.r + a->nranges, b->ports,
	       (size_t)b->nranges * sizeof rb.r[0]);
	rb.n = a->nranges + b->nranges;
	res_normalise(&rb);
	res_set_buf(a, &rb); /* drops the highest ranges on overflow */
}

/* Whether [b, e] lies inside one range of r (ranges are merged). */
static bool
res_ranges_cover(const struct resources *r, uint32_t b, uint32_t e)
{
	int lo = 0, hi = r->nranges - 1, mid;

	while (lo <= hi) {
		mid = (lo + hi) / 2;
		if (r->ports[mid].end < b)
			lo = mid + 1;
		else if (r->ports[mid].begin > b)
			hi = mid - 1;
		else
			return r->ports[mid].end >= e;
	}
	return false;
}

bool
res_contains(const struct resources *a, const struct resources *b)
{
	const double eps = 1e-9;
	int i;

	if (b->cpus > a->cpus + eps || b->mem > a->mem + eps ||
	    b->disk > a->disk + eps)
		return false;
	for (i = 0; i < b->nranges; i++)
		if (!res_ranges_cover(a, b->ports[i].begin, b->ports[i].end))
			return false;
	return true;
}

int
res_sub(struct resources *a, const struct resources *b)
{
	struct res_rangebuf rb;
	struct res_range cur;
	int i, j = 0;

	if (!res_contains(a, b))
		return -ERANGE;
	rb.n = 0;
	for (i = 0; i < a->nranges; i++) {
		cur = a->ports[i];
		/* b's ranges before cur were consumed by earlier ranges. */
		while (j < b->nranges && b->ports[j].end < cur.begin)
			j++;
		while (j < b->nranges && b->ports[j].begin <= cur.end) {
			if (b->ports[j].begin > cur.begin) {
				if (rb.n >= RES_MAX_RANGES)
					return -ENOSPC;
				rb.r[rb.n].begin = cur.begin;
				rb.r[rb.n++].end = b->ports[j].begin - 1;
			}
			if (b->ports[j].end >= cur.end)
				goto next; /* contained: ends inside cur */
			cur.begin = b->ports[j].end + 1;
			j++;
		}
		if (rb.n >= RES_MAX_RANGES)
			return -ENOSPC;
		rb.r[rb.n++] = cur;
	next:;
	}
	a->cpus = res_round(a->cpus - b->cpus);
	a->mem = res_round(a->mem - b->mem);
	a->disk = res_round(a->disk - b->disk);
	res_set_buf(a, &rb);
	return 0;
}

bool
res_is_empty(const struct resources *r)
{
	return r->cpus <= 0 && r->mem <= 0 && r->disk <= 0 && r->nranges == 0;
}

uint32_t
res_port_count(const struct resources *r)
{
	uint32_t n = 0;
	int i;

	for (i = 0; i < r->nranges; i++)
		n += r->ports[i].end - r->ports[i].begin + 1;
	return n;
}

int
res_add_port(struct resources *r, uint32_t port)
{
	struct res_rangebuf rb;

	if (port > RES_PORT_MAX)
		return -EINVAL;
	if (res_ranges_cover(r, port, port))
		return 0;
	if (r->nranges > 0)
		memcpy(rb.r, r->ports, (size_t)r->nranges * sizeof rb.r[0]);
	rb.r[r->nranges].begin = port;
	rb.r[r->nranges].end = port;
	rb.n = r->nranges + 1;
	res_normalise(&rb);
	if (rb.n > RES_MAX_RANGES)
		return -ENOSPC;
	res_set_buf(r, &rb);
	return 0;
}

json_t *
res_to_json(const struct resources *r)
{
	struct buf b = BUF_INIT;
	json_t *j;

	res_format_ranges(r, &b, ", ");
	j = json_pack("{s:f, s:f, s:f, s:s}", "cpus", r->cpus, "mem", r->mem,
		      "disk", r->disk, "ports", buf_str(&b));
	buf_release(&b);
	return j;
}

/* Point err at "/<key>" after a helper without paths failed. */
static int
res_err_path(struct cd_err *err, const char *key)
{
	int n;

	if (err != NULL) {
		n = snprintf(err->path, sizeof err->path, "/%s", key);
		if (n < 0 || (size_t)n >= sizeof err->path)
			err->path[0] = '\0';
	}
	return -EINVAL;
}

static int
res_from_json_ports(const json_t *v, struct res_rangebuf *rb,
		    struct cd_err *err)
{
	const json_t *e, *jb, *je;
	size_t i;

	rb->n = 0;
	if (json_is_string(v)) {
		if (res_parse_ranges(json_string_value(v), rb, err) != 0)
			return res_err_path(err, "ports");
		return 0;
	}
	if (!json_is_array(v))
		return cd_err_setp(
		    err, -EINVAL, "/ports",
		    "ports must be a string \"[b-e, ...]\" or [[b, e], ...]");
	if (json_array_size(v) > CD_NELEM(rb->r))
		return cd_err_setp(err, -EINVAL, "/ports",
				   "more than %d port ranges", RES_MAX_RANGES);
	json_array_foreach(v, i, e) {
		jb = json_array_get(e, 0);
		je = json_array_get(e, 1);
		if (!json_is_array(e) || json_array_size(e) != 2 ||
		    !json_is_integer(jb) || !json_is_integer(je) ||
		    json_integer_value(jb) < 0 ||
		    json_integer_value(je) > (json_int_t)RES_PORT_MAX ||
		    json_integer_value(jb) > json_integer_value(je))
			return cd_err_setp(
			    err, -EINVAL, "/ports",
			    "ports[%zu] must be [begin, end] with 0 <= begin "
			    "<= end <= 65535",
			    i);
		rb->r[rb->n].begin = (uint32_t)json_integer_value(jb);
		rb->r[rb->n].end = (uint32_t)json_integer_value(je);
		rb->n++;
	}
	res_normalise(rb);
	if (rb->n > RES_MAX_RANGES)
		return cd_err_setp(err, -EINVAL, "/ports",
				   "more than %d port ranges", RES_MAX_RANGES);
	return 0;
}

int
res_from_json(const json_t *j, struct resources *out, struct cd_err *err)
{
	static const char *const scalars[] = {"cpus", "mem", "disk"};
	struct res_rangebuf rb;
	struct resources r;
	const char *key;
	json_t *v;
	double *dst;
	int k, rc = -EINVAL;

	if (!json_is_object(j))
		return cd_err_setp(err, -EINVAL, "",
				   "resources must be an object");
	res_zero(&r);
	json_object_foreach((json_t *)(uintptr_t)j, key, v) {
		if (strcmp(key, "ports") == 0) {
			if (json_is_null(v))
				continue;
			if (res_from_json_ports(v, &rb, err) != 0)
				goto out;
			res_set_buf(&r, &rb);
			continue;
		}
		for (k = 0; k < (int)CD_NELEM(scalars); k++)
			if (strcmp(key, scalars[k]) == 0)
				break;
		if (k == (int)CD_NELEM(scalars)) {
			cd_err_setp(
			    err, -EINVAL, "",
			    "unknown resource '%.40s' (known: cpus, mem, "
			    "disk, ports)",
			    key);
			goto out;
		}
		dst = k == 0 ? &r.cpus : k == 1 ? &r.mem : &r.disk;
		if (json_opt_num(j, key, "", dst, NULL, err) != 0)
			goto out;
		if (res_check_scalar(key, *dst, err) != 0) {
			res_err_path(err, key);
			goto out;
		}
		*dst = res_round(*dst);
	}
	*out = r;
	return 0;
out:
	res_free(&r);
	return rc;
}
