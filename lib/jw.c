/*
 * jw.c: the streaming JSON writer (jw.h). Design: one flag instead of a
 * stack of container states, since a ',' is needed exactly when a value
 * was the last thing written at the current level; tokens are copied
 * into a stage inside the writer and reach the caller's buf in blocks, so
 * a token costs a bounds check and a memcpy, and a reply no allocation
 * beyond the buffer's own doubling.
 *
 * Output equivalence with jansson (2.14, json_dump_buf's flags) is the
 * contract, and tests/unit/test_jw.c checks it against jansson itself:
 * strings escape '"', '\\', and the control characters (\b \f \n \r \t,
 * others as \u00XX in upper-case hex); reals are printf's "%.15g", with
 * ".0" added when that reads as an integer and the exponent's '+' and
 * leading zeros dropped. printf is slow for reals (a multi-precision
 * conversion each), so reals that "%.15g" prints without an exponent are
 * formatted here when the result is certain, and by printf otherwise (see
 * jw_real_fixed()). Pure (STYLE B28).
 */
#include "jw.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "xalloc.h"

/* json_dump_buf()'s JSON_REAL_PRECISION. */
#define JW_REAL_PRECISION 15

void
jw_init(struct jw *w, struct buf *out)
{
	w->out = out;
	w->comma = false;
	w->depth = 0;
	w->n = 0;
}

void
jw_flush(struct jw *w)
{
	if (w->n > 0)
		buf_append(w->out, w->stage, w->n);
	w->n = 0;
}

static void
jw_put(struct jw *w, const void *p, size_t k)
{
	if (k > sizeof w->stage - w->n) {
		jw_flush(w);
		if (k > sizeof w->stage) {
			buf_append(w->out, p, k);
			return;
		}
	}
	memcpy(w->stage + w->n, p, k);
	w->n += k;
}

static void
jw_putc(struct jw *w, char c)
{
	if (w->n == sizeof w->stage)
		jw_flush(w);
	w->stage[w->n++] = c;
}

/* Before a value: the separator. */
static void
jw_sep(struct jw *w)
{
	if (w->comma)
		jw_putc(w, ',');
	w->comma = true;
}

/* After a value: a complete top-level value goes out. */
static void
jw_done(struct jw *w)
{
	if (w->depth == 0)
		jw_flush(w);
}

static void
jw_open(struct jw *w, char c)
{
	jw_sep(w);
	jw_putc(w, c);
	w->depth++;
	w->comma = false;
}

static void
jw_close(struct jw *w, char c)
{
	jw_putc(w, c);
	w->comma = true;
	if (w->depth > 0)
		w->depth--;
	jw_done(w);
}

void
jw_obj_open(struct jw *w)
{
	jw_open(w, '{');
}

void
jw_obj_close(struct jw *w)
{
	jw_close(w, '}');
}

void
jw_arr_open(struct jw *w)
{
	jw_open(w, '[');
}

void
jw_arr_close(struct jw *w)
{
	jw_close(w, ']');
}

/* The escape sequence of a byte jansson escapes: a control character,
 * '"' or '\\'. Returns its length. */
static size_t
jw_escape(unsigned char c, char esc[6])
{
	static const char hex[] = "0123456789ABCDEF";

	esc[0] = '\\';
	switch (c) {
	case '"':
	case '\\':
		esc[1] = (char)c;
		return 2;
	case '\b':
		esc[1] = 'b';
		return 2;
	case '\f':
		esc[1] = 'f';
		return 2;
	case '\n':
		esc[1] = 'n';
		return 2;
	case '\r':
		esc[1] = 'r';
		return 2;
	case '\t':
		esc[1] = 't';
		return 2;
	default:
		memcpy(esc + 1, "u00", 3);
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 0xf];
		return 6;
	}
}

/* 1 for the bytes jansson escapes (the NUL among them): the control
 * characters, '"' and '\\'. A GNU range designator, as -std=c11 with
 * _GNU_SOURCE allows. */
static const unsigned char jw_esc[256] = {
    [0x00 ... 0x1f] = 1,
    ['"'] = 1,
    ['\\'] = 1,
};

/*
 * s escaped and quoted, in one pass: bytes are copied straight into the
 * stage, up to 64 at a time, until the NUL or a byte to escape (one
 * table lookup per byte).
 */
static void
jw_quote(struct jw *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[6];

	jw_putc(w, '"');
	for (;;) {
		char *d;
		size_t k = 0;

		if (sizeof w->stage - w->n < 64)
			jw_flush(w);
		d = w->stage + w->n;
		while (k < 64 && !jw_esc[p[k]]) {
			d[k] = (char)p[k];
			k++;
		}
		w->n += k;
		p += k;
		if (k == 64)
			continue;
		if (*p == '\0')
			break;
		jw_put(w, esc, jw_escape(*p++, esc));
	}
	jw_putc(w, '"');
}

void
jw_key(struct jw *w, const char *k)
{
	if (w->comma)
		jw_putc(w, ',');
	jw_quote(w, k);
	jw_putc(w, ':');
	w->comma = false;
}

void
jw_str(struct jw *w, const char *s)
{
	if (s == NULL) {
		jw_null(w);
		return;
	}
	jw_sep(w);
	jw_quote(w, s);
	jw_done(w);
}

/* Decimal digits of v into the end of tmp[0..24); returns the start. */
static char *
jw_fmt_int(long long v, char tmp[24])
{
	unsigned long long u =
	    v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	char *p = tmp + 24;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	return p;
}

void
jw_int(struct jw *w, long long v)
{
	char tmp[24], *p = jw_fmt_int(v, tmp);

	jw_sep(w);
	jw_put(w, p, (size_t)(tmp + 24 - p));
	jw_done(w);
}

/*
 * "%.15g" of v into out (at least 32 bytes) when v prints without an
 * exponent, that is, when its exponent e after rounding to 15 significant
 * digits is in -4..14: the digits are round(|v| * 10^(14 - e)). The
 * product is off by at most 2^-53 relative, under 0.12 absolute below
 * 10^15, so when its fraction is at least 0.3 from one half the rounding
 * is the one printf makes from the exact binary value; otherwise, and
 * when e was misjudged (log10 near a power of ten, or the rounding
 * carried into a 16th digit), the answer is 0 and printf decides.
 * Returns the length written, or 0.
 */
static size_t
jw_real_fixed(double v, char *out)
{
	static const double p10[] = {1e0,  1e1,	 1e2,  1e3,  1e4,  1e5,
				     1e6,  1e7,	 1e8,  1e9,  1e10, 1e11,
				     1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
				     1e18, 1e19, 1e20, 1e21, 1e22};
	double a = fabs(v), scaled, fl, frac;
	char digits[15];
	uint64_t r;
	size_t n = 0;
	int e, i, last;

	if (!(a >= 1e-4 && a < 1e15))
		return 0;
	e = (int)floor(log10(a));
	if (e < -4 || e > 14)
		return 0;
	scaled = a * p10[14 - e];
	fl = floor(scaled);
	frac = scaled - fl;
	if (frac > 0.2 && frac < 0.8)
		return 0;
	r = (uint64_t)fl + (frac >= 0.5);
	if (r < 100000000000000ULL || r >= 1000000000000000ULL)
		return 0;
	for (i = 14; i >= 0; i--) {
		digits[i] = (char)('0' + r % 10);
		r /= 10;
	}
	for (last = 14; last > 0 && digits[last] == '0'; last--)
		;
	if (v < 0)
		out[n++] = '-';
	if (e >= 0) {
		memcpy(out + n, digits, (size_t)e + 1);
		n += (size_t)e + 1;
		out[n++] = '.';
		if (last <= e) {
			out[n++] = '0'; /* a whole number: jansson's ".0" */
		} else {
			memcpy(out + n, digits + e + 1, (size_t)(last - e));
			n += (size_t)(last - e);
		}
	} else {
		out[n++] = '0';
		out[n++] = '.';
		for (i = -1; i > e; i--)
			out[n++] = '0';
		memcpy(out + n, digits, (size_t)last + 1);
		n += (size_t)last + 1;
	}
	return n;
}

void
jw_real(struct jw *w, double v)
{
	char tmp[40], *e, *digits;
	size_t n;
	int k;

	if (!isfinite(v)) {
		jw_null(w);
		return;
	}
	jw_sep(w);
	/* Whole numbers below 10^15 print as their digits under "%.15g"
	 * (resources and counts mostly are). */
	if (v > -1e15 && v < 1e15 && v == (double)(long long)v &&
	    !(v == 0 && signbit(v))) {
		char *p = jw_fmt_int((long long)v, tmp);

		jw_put(w, p, (size_t)(tmp + 24 - p));
		jw_put(w, ".0", 2);
		jw_done(w);
		return;
	}
	if ((n = jw_real_fixed(v, tmp)) > 0) {
		jw_put(w, tmp, n);
		jw_done(w);
		return;
	}
	k = snprintf(tmp, sizeof tmp, "%.*g", JW_REAL_PRECISION, v);
	CD_ASSERT(k > 0 && (size_t)k < sizeof tmp);
	if ((e = strchr(tmp, 'e')) == NULL) {
		jw_put(w, tmp, (size_t)k);
		if (strchr(tmp, '.') == NULL)
			jw_put(w, ".0", 2);
		jw_done(w);
		return;
	}
	/* "1e+20" -> "1e20", "1e-05" -> "1e-5". */
	jw_put(w, tmp, (size_t)(e + 1 - tmp));
	digits = e + 1;
	if (*digits == '-')
		jw_putc(w, *digits++);
	else if (*digits == '+')
		digits++;
	while (*digits == '0' && digits[1] != '\0')
		digits++;
	jw_put(w, digits, strlen(digits));
	jw_done(w);
}

/* d as two digits at p. */
static void
jw_2d(char *p, unsigned d)
{
	p[0] = (char)('0' + d / 10);
	p[1] = (char)('0' + d % 10);
}

void
jw_time_iso(struct jw *w, long long ms)
{
	/* Up to the last millisecond of 9999-12-31: four-digit years. */
	const long long max = 253402300800000LL;
	char out[32];
	long long t, z, era, doe, yoe, doy, mp, y;
	unsigned m, d, sec;

	if (ms < 0 || ms >= max) { /* json_time_iso decides */
		json_time_iso(ms, out);
		jw_str(w, out);
		return;
	}
	/* Days since 1970-01-01 to a proleptic Gregorian date, counting in
	 * 400-year eras from 0000-03-01 so that leap days fall at the end
	 * of a year (Hinnant's civil_from_days). */
	t = ms / 1000;
	z = t / 86400 + 719468;
	sec = (unsigned)(t % 86400);
	era = z / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	y = yoe + era * 400 + (m <= 2);
	jw_2d(out, (unsigned)(y / 100));
	jw_2d(out + 2, (unsigned)(y % 100));
	out[4] = '-';
	jw_2d(out + 5, m);
	out[7] = '-';
	jw_2d(out + 8, d);
	out[10] = 'T';
	jw_2d(out + 11, sec / 3600);
	out[13] = ':';
	jw_2d(out + 14, sec / 60 % 60);
	out[16] = ':';
	jw_2d(out + 17, sec % 60);
	out[19] = '.';
	out[20] = (char)('0' + ms % 1000 / 100);
	jw_2d(out + 21, (unsigned)(ms % 100));
	out[23] = 'Z';
	jw_sep(w);
	jw_putc(w, '"');
	jw_put(w, out, 24);
	jw_putc(w, '"');
	jw_done(w);
}

void
jw_bool(struct jw *w, bool v)
{
	jw_sep(w);
	if (v)
		jw_put(w, "true", 4);
	else
		jw_put(w, "false", 5);
	jw_done(w);
}

void
jw_null(struct jw *w)
{
	jw_sep(w);
	jw_put(w, "null", 4);
	jw_done(w);
}

void
jw_json(struct jw *w, const json_t *v)
{
	if (v == NULL) {
		jw_null(w);
		return;
	}
	jw_sep(w);
	jw_flush(w);
	if (json_dump_buf(v, w->out) != 0)
		cd_assert_fail("json_dump_buf", __FILE__, __LINE__);
}

void
jw_raw(struct jw *w, const char *p, size_t n)
{
	jw_sep(w);
	jw_put(w, p, n);
	jw_done(w);
}

void
jw_obj_extend(struct jw *w, const char *p, size_t n)
{
	CD_ASSERT(n >= 2 && p[0] == '{' && p[n - 1] == '}');
	jw_sep(w);
	jw_put(w, p, n - 1);
	w->depth++;
	w->comma = n > 2;
}

void
jw_kstr(struct jw *w, const char *k, const char *s)
{
	jw_key(w, k);
	jw_str(w, s);
}

void
jw_kint(struct jw *w, const char *k, long long v)
{
	jw_key(w, k);
	jw_int(w, v);
}

void
jw_kreal(struct jw *w, const char *k, double v)
{
	jw_key(w, k);
	jw_real(w, v);
}

void
jw_kbool(struct jw *w, const char *k, bool v)
{
	jw_key(w, k);
	jw_bool(w, v);
}
