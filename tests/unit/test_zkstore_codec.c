/*
 * test_zkstore_codec.c: lib/zkstore_codec, pure: store keys become legal
 * znode names and come back, one to one ("." and "..", '/', '%', bytes
 * above 0x7f); names never made by the escaping are refused; buckets are
 * stable and in range; values round-trip raw, NUL-led and compressed, a
 * value that does not shrink is not compressed, one too large for a znode
 * is refused, and corrupt data is refused rather than inflated.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/zkstore_codec.h"

static void
round_trip_name(const char *key, const char *want)
{
	char *name = zkstore_codec_escape(key), *back = NULL;

	if (want != NULL)
		assert_string_equal(name, want);
	assert_null(strchr(name, '/'));
	assert_true(strcmp(name, ".") != 0 && strcmp(name, "..") != 0);
	assert_int_equal(zkstore_codec_unescape(name, &back), 0);
	assert_string_equal(back, key);
	free(name);
	free(back);
}

static void
test_names(void **state)
{
	char *out = NULL;

	(void)state;
	round_trip_name("app//prod/web", "app%2F%2Fprod%2Fweb");
	round_trip_name("appver//a/2024-01-01T00:00:00.000Z",
			"appver%2F%2Fa%2F2024-01-01T00:00:00.000Z");
	round_trip_name(".", "%2E");
	round_trip_name("..", "%2E%2E");
	round_trip_name("...", "...");
	round_trip_name("100%", "100%25");
	round_trip_name("\xc3\xbc x", "%C3%BC%20x");
	round_trip_name("task/web.0f9e-1", "task%2Fweb.0f9e-1");
	/* Names the escaping never makes. */
	assert_int_equal(zkstore_codec_unescape("", &out), -EINVAL);
	assert_int_equal(zkstore_codec_unescape("a/b", &out), -EINVAL);
	assert_int_equal(zkstore_codec_unescape("a%2", &out), -EINVAL);
	assert_int_equal(zkstore_codec_unescape("a%2f", &out), -EINVAL);
	assert_int_equal(zkstore_codec_unescape("%41", &out), -EINVAL);
	assert_int_equal(zkstore_codec_unescape("a%00", &out), -EINVAL);
	assert_int_equal(zkstore_codec_unescape("a b", &out), -EINVAL);
	assert_int_equal(zkstore_codec_unescape(".", &out), -EINVAL);
	assert_null(out);
}

static void
test_buckets_and_paths(void **state)
{
	char *p;

	(void)state;
	assert_true(zkstore_codec_bucket("app//a") < ZKSTORE_BUCKETS);
	assert_int_equal(zkstore_codec_bucket("app//a"),
			 zkstore_codec_bucket("app//a"));
	p = zkstore_codec_record_path("/cd", "sched", "app//a");
	assert_int_equal(strncmp(p, "/cd/state/sched/", 16), 0);
	assert_string_equal(p + 18, "/app%2F%2Fa");
	free(p);
	p = zkstore_codec_bucket_path("/cd", "master", 10);
	assert_string_equal(p, "/cd/state/master/0a");
	free(p);
	p = zkstore_codec_seq_path("/cd");
	assert_string_equal(p, "/cd/state/seq");
	free(p);
}

static void
round_trip_value(const void *v, size_t len, bool want_z)
{
	struct buf enc = BUF_INIT, dec = BUF_INIT;
	bool z = !want_z;

	assert_int_equal(zkstore_codec_encode(v, len, &enc, &z), 0);
	assert_int_equal(z, want_z);
	assert_true(enc.len <= ZKSTORE_ZNODE_MAX);
	assert_int_equal(zkstore_codec_decode(enc.data, enc.len, &dec), 0);
	assert_int_equal(dec.len, len);
	if (len > 0)
		assert_memory_equal(dec.data, v, len);
	buf_release(&enc);
	buf_release(&dec);
}

static void
test_values(void **state)
{
	size_t n = 300000, i;
	char *big = malloc(n);
	uint32_t x = 2463534242u;
	struct buf enc = BUF_INIT;

	(void)state;
	round_trip_value("", 0, false);
	round_trip_value("{\"id\":\"/a\"}", 11, false);
	round_trip_value("\0binary", 7, false);
	/* Compressible and over the threshold: compressed. */
	for (i = 0; i < n; i++)
		big[i] = "{\"cpus\": 0.5}, "[i % 15];
	round_trip_value(big, n, true);
	/* A small JSON value stays readable in the znode. */
	assert_int_equal(zkstore_codec_encode("{}", 2, &enc, NULL), 0);
	assert_memory_equal(enc.data, "{}", 2);
	/* Random bytes do not shrink: stored as they are. */
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		big[i] = (char)x;
	}
	big[0] = 'r';
	round_trip_value(big, n, false);
	assert_true(zkstore_codec_fits(n));
	/* Too large for a znode, even compressed. */
	big = realloc(big, 600000);
	for (i = 0; i < 600000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		big[i] = (char)x;
	}
	assert_false(zkstore_codec_fits(600000));
	assert_int_equal(zkstore_codec_encode(big, 600000, &enc, NULL),
			 -EMSGSIZE);
	assert_int_equal(enc.len, 0);
	buf_release(&enc);
	free(big);
}

static void
test_corrupt(void **state)
{
	struct buf out = BUF_INIT;
	/* A header that claims 1 GiB, and one whose stream is garbage. */
	static const char huge[] = "\0CDZ\x40\0\0\0xxxx";
	static const char junk[] = "\0CDZ\0\0\0\x10garbage!";

	(void)state;
	assert_int_equal(zkstore_codec_decode(huge, sizeof huge - 1, &out),
			 -EBADMSG);
	assert_int_equal(zkstore_codec_decode(junk, sizeof junk - 1, &out),
			 -EBADMSG);
	assert_int_equal(zkstore_codec_decode("\0CD", 3, &out), -EBADMSG);
	assert_int_equal(zkstore_codec_decode("\0other", 6, &out), -EBADMSG);
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_buckets_and_paths),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_corrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
