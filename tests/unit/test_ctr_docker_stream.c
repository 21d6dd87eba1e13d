/*
 * test_ctr_docker_stream.c: a container's log stream with Docker's
 * timestamps (taken off each message, told to the reader, which may drop
 * messages it already has), RFC 3339 timestamps and Docker's since= form,
 * and the record of where the sandbox logs end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "containerizer/ctr_docker_stream.h"
#include "lib/buf.h"

struct seen {
	struct buf out, err;
	int begins, ends;
	struct ctr_dk_time skip_until; /* drop messages not after it */
	char last[CTR_DK_TS_MAX];
};

static void
sink(enum ctr_dk_stream s, const char *p, size_t n, void *arg)
{
	struct seen *k = arg;

	buf_append(s == CTR_DK_STDOUT ? &k->out : &k->err, p, n);
}

static bool
begin(enum ctr_dk_stream s, const char *ts, void *arg)
{
	struct seen *k = arg;
	struct ctr_dk_time t;

	(void)s;
	k->begins++;
	assert_int_equal(ctr_dk_time_parse(ts, &t), 0);
	return ctr_dk_time_cmp(&t, &k->skip_until) > 0;
}

static void
end(enum ctr_dk_stream s, const char *ts, void *arg)
{
	struct seen *k = arg;

	(void)s;
	k->ends++;
	snprintf(k->last, sizeof k->last, "%s", ts);
}

static size_t
frame(unsigned char *out, int type, const char *payload)
{
	size_t n = strlen(payload);

	out[0] = (unsigned char)type;
	out[1] = out[2] = out[3] = 0;
	out[4] = (unsigned char)(n >> 24);
	out[5] = (unsigned char)(n >> 16);
	out[6] = (unsigned char)(n >> 8);
	out[7] = (unsigned char)n;
	memcpy(out + 8, payload, n);
	return n + 8;
}

static void
test_timestamps(void **state)
{
	unsigned char s[512];
	struct ctr_dk_demux d;
	struct seen k;
	size_t n = 0, chunk, i;

	(void)state;
	n += frame(s + n, 1, "2024-05-01T12:00:00.000000001Z zero\n");
	n += frame(s + n, 2, "2024-05-01T12:00:00.000000002Z err\n");
	n += frame(s + n, 1, "2024-05-01T12:00:01.5Z one\n");
	n += frame(s + n, 1, "2024-05-01T12:00:02Z two\n");
	for (chunk = 1; chunk <= n; chunk++) {
		memset(&k, 0, sizeof k);
		ctr_dk_demux_init_ts(&d, begin, end);
		for (i = 0; i < n; i += chunk)
			assert_int_equal(
			    ctr_dk_demux_feed(&d, (const char *)s + i,
					      n - i < chunk ? n - i : chunk,
					      sink, &k),
			    0);
		assert_string_equal(buf_str(&k.out), "zero\none\ntwo\n");
		assert_string_equal(buf_str(&k.err), "err\n");
		assert_int_equal(k.begins, 4);
		assert_int_equal(k.ends, 4);
		assert_string_equal(k.last, "2024-05-01T12:00:02Z");
		buf_release(&k.out);
		buf_release(&k.err);
	}

	/* Resuming since 12:00:00.000000002 (inclusive, as Docker's since):
	 * what the files have already is dropped, nothing more. */
	memset(&k, 0, sizeof k);
	assert_int_equal(
	    ctr_dk_time_parse("2024-05-01T12:00:00.000000002Z", &k.skip_until),
	    0);
	ctr_dk_demux_init_ts(&d, begin, end);
	assert_int_equal(ctr_dk_demux_feed(&d, (const char *)s, n, sink, &k),
			 0);
	assert_string_equal(buf_str(&k.out), "one\ntwo\n");
	assert_int_equal(k.err.len, 0);
	assert_int_equal(k.ends, 2);
	buf_release(&k.out);
	buf_release(&k.err);

	/* A frame without a timestamp is not the stream asked for. */
	memset(&k, 0, sizeof k);
	ctr_dk_demux_init_ts(&d, begin, end);
	n = frame(s, 1,
		  "no-timestamp-here,-and-far-too-long-to-be-one-of-them\n");
	assert_int_equal(ctr_dk_demux_feed(&d, (const char *)s, n, sink, &k),
			 -EBADMSG);
	assert_int_equal(k.out.len, 0);
}

static void
test_times(void **state)
{
	struct ctr_dk_time t, u;
	char since[48];

	(void)state;
	assert_int_equal(ctr_dk_time_parse("1970-01-01T00:00:10Z", &t), 0);
	assert_true(t.sec == 10 && t.nsec == 0);
	assert_int_equal(
	    ctr_dk_time_parse("2024-05-01T12:34:56.123456789Z", &t), 0);
	assert_true(t.sec == 1714566896 && t.nsec == 123456789);
	ctr_dk_time_since(&t, since, sizeof since);
	assert_string_equal(since, "1714566896.123456789");
	assert_int_equal(ctr_dk_time_parse("2024-05-01T14:34:56.5+02:00", &u),
			 0);
	assert_true(u.sec == 1714566896 && u.nsec == 500000000);
	assert_true(ctr_dk_time_cmp(&t, &u) < 0);
	assert_true(ctr_dk_time_cmp(&u, &t) > 0);
	assert_int_equal(ctr_dk_time_cmp(&t, &t), 0);
	/* more than 9 digits: truncated, as Go would round them away */
	assert_int_equal(
	    ctr_dk_time_parse("2024-05-01T12:34:56.1234567891Z", &u), 0);
	assert_int_equal(u.nsec, 123456789);
	assert_int_equal(ctr_dk_time_parse("2024-05-01T12:34:56", &t), -EINVAL);
	assert_int_equal(ctr_dk_time_parse("2024-13-01T12:34:56Z", &t),
			 -EINVAL);
	assert_int_equal(ctr_dk_time_parse("2024-05-01T12:34:56.Z", &t),
			 -EINVAL);
	assert_int_equal(ctr_dk_time_parse("2024-05-01T12:34:56Zjunk", &t),
			 -EINVAL);
	assert_int_equal(ctr_dk_time_parse("", &t), -EINVAL);
}

static void
test_logpos(void **state)
{
	struct ctr_dk_logpos p = {{1714566896, 5}, 107, 0}, q;
	char rec[CTR_DK_LOGPOS_LEN];

	(void)state;
	ctr_dk_logpos_format(&p, rec);
	assert_int_equal(rec[CTR_DK_LOGPOS_LEN - 1], '\n');
	assert_int_equal(ctr_dk_logpos_parse(rec, sizeof rec, &q), 0);
	assert_true(q.last.sec == p.last.sec && q.last.nsec == 5);
	assert_true(q.out == 107 && q.err == 0);
	/* a record cut short, or not one */
	assert_int_equal(ctr_dk_logpos_parse(rec, 10, &q), -EINVAL);
	assert_int_equal(ctr_dk_logpos_parse("x", 1, &q), -EINVAL);
	assert_int_equal(ctr_dk_logpos_parse("1.2 -3 4", 8, &q), -EINVAL);
	assert_int_equal(ctr_dk_logpos_parse(rec, 0, &q), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timestamps),
	    cmocka_unit_test(test_times),
	    cmocka_unit_test(test_logpos),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
