/*
 * ctr_docker_stream.c: a container's framed log stream, its timestamps
 * and the record of where the sandbox logs end (see ctr_docker_stream.h).
 * Owns nothing beyond the demultiplexer's state. Pure: no I/O, no loop,
 * no globals; any thread.
 */
#include "containerizer/ctr_docker_stream.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void
ctr_dk_demux_init(struct ctr_dk_demux *d)
{
	memset(d, 0, sizeof *d);
}

void
ctr_dk_demux_init_ts(struct ctr_dk_demux *d, ctr_dk_frame_begin_fn *begin,
		     ctr_dk_frame_end_fn *end)
{
	memset(d, 0, sizeof *d);
	d->begin = begin;
	d->end = end;
}

/* The current frame's timestamp is read (or the frame ended first). */
static void
dm_ts_done(struct ctr_dk_demux *d, void *arg)
{
	d->in_ts = false;
	d->ts[d->ts_len] = '\0';
	d->keep = d->begin(d->cur, d->ts, arg);
}

static void
dm_frame_end(struct ctr_dk_demux *d, void *arg)
{
	if (d->begin == NULL)
		return;
	if (d->in_ts)
		dm_ts_done(d, arg);
	if (d->keep && d->end != NULL)
		d->end(d->cur, d->ts, arg);
}

int
ctr_dk_demux_feed(struct ctr_dk_demux *d, const char *p, size_t n,
		  ctr_dk_sink_fn *sink, void *arg)
{
	const char *sp;
	size_t take;

	while (n > 0 && !d->bad) {
		if (d->remaining > 0 && d->in_ts) {
			take = n < d->remaining ? n : d->remaining;
			sp = memchr(p, ' ', take);
			if (sp != NULL)
				take = (size_t)(sp - p) + 1;
			if (d->ts_len + take > CTR_DK_TS_MAX - 1) {
				d->bad = true; /* no timestamp: not ours */
				break;
			}
			memcpy(d->ts + d->ts_len, p,
			       sp != NULL ? take - 1 : take);
			d->ts_len += (unsigned)(sp != NULL ? take - 1 : take);
			p += take;
			n -= take;
			d->remaining -= (uint32_t)take;
			if (sp != NULL)
				dm_ts_done(d, arg);
			if (d->remaining == 0)
				dm_frame_end(d, arg);
			continue;
		}
		if (d->remaining > 0) {
			take = n < d->remaining ? n : d->remaining;
			if (d->begin == NULL || d->keep)
				sink(d->cur, p, take, arg);
			d->remaining -= (uint32_t)take;
			p += take;
			n -= take;
			if (d->remaining == 0)
				dm_frame_end(d, arg);
			continue;
		}
		take = 8 - d->hdr_len;
		if (take > n)
			take = n;
		memcpy(d->hdr + d->hdr_len, p, take);
		d->hdr_len += (unsigned)take;
		p += take;
		n -= take;
		if (d->hdr_len < 8)
			break;
		d->hdr_len = 0;
		if (d->hdr[0] > 3 || d->hdr[1] != 0 || d->hdr[2] != 0 ||
		    d->hdr[3] != 0) {
			d->bad = true;
			break;
		}
		d->cur = d->hdr[0] <= 1 ? CTR_DK_STDOUT : CTR_DK_STDERR;
		d->remaining = (uint32_t)d->hdr[4] << 24 |
			       (uint32_t)d->hdr[5] << 16 |
			       (uint32_t)d->hdr[6] << 8 | (uint32_t)d->hdr[7];
		if (d->begin != NULL && d->remaining > 0) {
			d->in_ts = true;
			d->ts_len = 0;
			d->keep = false;
		}
	}
	return d->bad ? -EBADMSG : 0;
}

/* n decimal digits at s, or -1. */
static long
st_digits(const char *s, int n)
{
	long v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
ctr_dk_time_parse(const char *s, struct ctr_dk_time *out)
{
	struct tm tm;
	long y, mo, d, h, mi, se, oh, om, frac = 0;
	int nd = 0, sign;
	time_t t;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return -EINVAL;
	if ((y = st_digits(s, 4)) < 0 || (mo = st_digits(s + 5, 2)) < 1 ||
	    mo > 12 || (d = st_digits(s + 8, 2)) < 1 || d > 31 ||
	    (h = st_digits(s + 11, 2)) < 0 || h > 23 ||
	    (mi = st_digits(s + 14, 2)) < 0 || mi > 59 ||
	    (se = st_digits(s + 17, 2)) < 0 || se > 60)
		return -EINVAL;
	s += 19;
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++, nd++)
			if (nd < 9)
				frac = frac * 10 + (*s - '0');
		if (nd == 0)
			return -EINVAL;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	memset(&tm, 0, sizeof tm);
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)se;
	t = timegm(&tm);
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s == '+' ? 1 : -1;
		if (strlen(s) != 6 || s[3] != ':' ||
		    (oh = st_digits(s + 1, 2)) < 0 || oh > 23 ||
		    (om = st_digits(s + 4, 2)) < 0 || om > 59)
			return -EINVAL;
		t -= (time_t)(sign * (oh * 3600 + om * 60));
		s += 6;
	} else {
		return -EINVAL;
	}
	if (*s != '\0')
		return -EINVAL;
	out->sec = (long long)t;
	out->nsec = frac;
	return 0;
}

int
ctr_dk_time_cmp(const struct ctr_dk_time *a, const struct ctr_dk_time *b)
{
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	if (a->nsec != b->nsec)
		return a->nsec < b->nsec ? -1 : 1;
	return 0;
}

void
ctr_dk_time_since(const struct ctr_dk_time *t, char *out, size_t outlen)
{
	snprintf(out, outlen, "%lld.%09ld", t->sec, t->nsec);
}

void
ctr_dk_logpos_format(const struct ctr_dk_logpos *p, char out[CTR_DK_LOGPOS_LEN])
{
	char tmp[CTR_DK_LOGPOS_LEN + 1];
	int n;

	n = snprintf(tmp, sizeof tmp, "%lld.%09ld %lld %lld", p->last.sec,
		     p->last.nsec, p->out, p->err);
	if (n < 0 || n >= CTR_DK_LOGPOS_LEN)
		n = 0; /* cannot happen with 64-bit numbers; stays parseable */
	memset(tmp + n, ' ', CTR_DK_LOGPOS_LEN - 1 - (size_t)n);
	tmp[CTR_DK_LOGPOS_LEN - 1] = '\n';
	memcpy(out, tmp, CTR_DK_LOGPOS_LEN);
}

int
ctr_dk_logpos_parse(const char *s, size_t n, struct ctr_dk_logpos *out)
{
	char buf[CTR_DK_LOGPOS_LEN + 1];
	long long sec, o, e;
	long nsec;
	int used = 0;

	if (n == 0 || n > CTR_DK_LOGPOS_LEN)
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (sscanf(buf, "%lld.%9ld %lld %lld %n", &sec, &nsec, &o, &e, &used) !=
		4 ||
	    (size_t)used != n || nsec < 0 || nsec > 999999999 || o < 0 ||
	    e < 0 || sec < 0)
		return -EINVAL;
	out->last.sec = sec;
	out->last.nsec = nsec;
	out->out = o;
	out->err = e;
	return 0;
}
