/*
 * test_jw.c: lib/jw, the streaming JSON writer, against its contract:
 * the same bytes as json_dump_buf() of the equivalent jansson tree.
 * jansson itself is the oracle, so every case writes both ways.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/json.h"
#include "lib/jw.h"

/* Compare what jansson makes of v (stolen) with the writer's output. */
static void
same(json_t *v, const struct buf *got)
{
	struct buf want = BUF_INIT;

	assert_non_null(v);
	assert_int_equal(json_dump_buf(v, &want), 0);
	assert_string_equal(buf_str(got), buf_str(&want));
	buf_release(&want);
	json_decref(v);
}

static void
check_str(const char *s)
{
	struct buf b = BUF_INIT;
	struct jw w;

	jw_init(&w, &b);
	jw_str(&w, s);
	same(json_string(s), &b);
	buf_release(&b);
}

static void
check_real(double v)
{
	struct buf b = BUF_INIT;
	struct jw w;

	jw_init(&w, &b);
	jw_real(&w, v);
	same(json_real(v), &b);
	buf_release(&b);
}

static void
check_int(long long v)
{
	struct buf b = BUF_INIT;
	struct jw w;

	jw_init(&w, &b);
	jw_int(&w, v);
	same(json_integer(v), &b);
	buf_release(&b);
}

static void
test_strings(void **state)
{
	char s[8];
	int c;

	(void)state;
	check_str("");
	check_str("plain ascii / with slash");
	check_str("quote \" backslash \\ end");
	check_str("tab\tnewline\ncr\rbs\bff\f");
	check_str("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3"); /* UTF-8 */
	for (c = 1; c < 128; c++) {
		s[0] = 'a';
		s[1] = (char)c;
		s[2] = 'z';
		s[3] = '\0';
		check_str(s);
	}
}

/* Every special byte at every position of strings up to 140 bytes (past
 * the writer's 64-byte copy chunks), among ASCII and UTF-8 neighbours. */
static void
test_strings_long(void **state)
{
	static const char specials[] = {'"', '\\', '\n', 0x01, 0x1f, ' ', 0x7f};
	/* 8 bytes each, repeated: ASCII, and UTF-8 (e-acute, euro, "abc") */
	static const char *const fill[] = {"abcdefgh", "\xc3\xa9\xe2\x82\xac"
						       "abc"};
	char s[160];
	size_t len, pos, k, f;
	json_t *j;

	(void)state;
	for (f = 0; f < 2; f++) {
		for (len = 1; len <= 140; len++) {
			for (pos = 0; pos < len; pos++) {
				for (k = 0; k < sizeof specials; k++) {
					size_t i;

					for (i = 0; i < len; i++)
						s[i] = fill[f][i % 8];
					s[pos] = specials[k];
					s[len] = '\0';
					/* a broken UTF-8 sequence is no case:
					 * jansson refuses it */
					j = json_string(s);
					if (j == NULL)
						continue;
					json_decref(j);
					check_str(s);
				}
			}
		}
	}
}

static void
check_time(long long ms)
{
	struct buf b = BUF_INIT;
	char iso[32];
	struct jw w;

	json_time_iso(ms, iso);
	jw_init(&w, &b);
	jw_time_iso(&w, ms);
	same(json_string(iso), &b);
	buf_release(&b);
}

static void
test_time(void **state)
{
	static const long long ms[] = {
	    0,
	    1,
	    999,
	    1000,
	    86399999,
	    86400000,
	    951782400000,
	    951868799999,
	    951868800000,
	    1709164800000,
	    4107542400000,
	    4107628800000,
	    1764117182123,
	    253402300799999,
	    253402300800000,
	    -1,
	    -1000,
	    -86400001,
	};
	unsigned seed = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof ms / sizeof ms[0]; i++)
		check_time(ms[i]);
	for (i = 0; i < 200000; i++)
		check_time(((long long)rand_r(&seed) << 17 ^ rand_r(&seed)) %
			   253402300800000LL);
}

static void
test_numbers(void **state)
{
	static const double reals[] = {
	    0.0,
	    -0.0,
	    1.0,
	    -1.0,
	    0.1,
	    0.01,
	    0.5,
	    1.5,
	    2.5e-5,
	    1e-5,
	    1e-7,
	    1e15,
	    1e16,
	    1e17,
	    1e20,
	    1e21,
	    1e100,
	    -1e300,
	    1e-300,
	    123456789.0,
	    999999999999999.0,
	    1e15 - 1,
	    1e15 + 1,
	    4096.0,
	    1764117182.123,
	    1764117182.1,
	    1764117182.0,
	    32.5,
	    0.3333333333333333,
	    2.0 / 3.0,
	    3.141592653589793,
	    DBL_MAX,
	    DBL_MIN,
	    5e-324,
	    -123.456e-10,
	    1e14 + 0.5,
	    /* around the fixed notation's edges and its rounding */
	    1e-4,
	    9.99999999999999e-5,
	    0.000099999999999999999,
	    0.00010000000000000005,
	    1.0000000000000005,
	    0.1234567890123455,
	    123456789012345.5,
	    99999999999999.95,
	    999999999999999.4,
	    999999999999999.5,
	    9.999999999999995,
	    9.9999999999999995,
	    0.30000000000000004,
	    1e14 - 0.25,
	    0.001,
	    0.002,
	    0.0015,
	};
	static const long long ints[] = {
	    0,	 1,	-1,	 9,	  10,	     99,
	    100, 65535, INT_MAX, INT_MIN, LLONG_MAX, LLONG_MIN};
	size_t i;
	unsigned seed = 12345;

	(void)state;
	for (i = 0; i < sizeof reals / sizeof reals[0]; i++)
		check_real(reals[i]);
	for (i = 0; i < sizeof ints / sizeof ints[0]; i++)
		check_int(ints[i]);
	/* Wall-clock seconds with milliseconds, resource amounts, and
	 * arbitrary bit patterns. */
	for (i = 0; i < 20000; i++) {
		uint64_t bits;
		double d;

		check_real((1700000000000LL + (long long)rand_r(&seed)) /
			   1000.0);
		check_real(rand_r(&seed) % 100000 / 100.0);
		check_real((double)rand_r(&seed) / RAND_MAX *
			   pow(10, rand_r(&seed) % 40 - 20));
		bits = (uint64_t)rand_r(&seed) << 33 ^
		       (uint64_t)rand_r(&seed) << 11 ^ (uint64_t)rand_r(&seed);
		memcpy(&d, &bits, sizeof d);
		if (isfinite(d))
			check_real(d);
		check_int((long long)(bits ^ (uint64_t)rand_r(&seed)));
		/* 15 or 16 significant digits ending in 5 at every scale the
		 * fixed notation covers: ties and near-ties of the rounding. */
		d = ((double)(rand_r(&seed) % 1000000) * 1e9 +
		     (double)(rand_r(&seed) % 1000000000)) *
			10 +
		    5;
		check_real(d * pow(10, rand_r(&seed) % 20 - 19));
		check_real(-d / 10 * pow(10, rand_r(&seed) % 20 - 19));
	}
}

static void
test_not_finite(void **state)
{
	struct buf b = BUF_INIT;
	struct jw w;

	(void)state;
	jw_init(&w, &b);
	jw_arr_open(&w);
	jw_real(&w, NAN);
	jw_real(&w, INFINITY);
	jw_real(&w, -INFINITY);
	jw_str(&w, NULL);
	jw_json(&w, NULL);
	jw_arr_close(&w);
	assert_string_equal(buf_str(&b), "[null,null,null,null,null]");
	buf_release(&b);
}

static void
test_nesting(void **state)
{
	struct buf b = BUF_INIT, frag = BUF_INIT;
	json_t *sub = json_pack("{s:[i, s, {}], s:f}", "x", 1, "y", "z", 2.5);
	json_t *want;
	struct jw w;

	(void)state;
	assert_int_equal(json_dump_buf(sub, &frag), 0);
	jw_init(&w, &b);
	jw_obj_open(&w);
	jw_key(&w, "empty_obj");
	jw_obj_open(&w);
	jw_obj_close(&w);
	jw_key(&w, "empty_arr");
	jw_arr_open(&w);
	jw_arr_close(&w);
	jw_key(&w, "arr");
	jw_arr_open(&w);
	jw_int(&w, 1);
	jw_arr_open(&w);
	jw_arr_close(&w);
	jw_obj_open(&w);
	jw_kstr(&w, "k", "v");
	jw_obj_close(&w);
	jw_bool(&w, false);
	jw_null(&w);
	jw_arr_close(&w);
	jw_kint(&w, "n", -7);
	jw_kreal(&w, "r", 0.25);
	jw_kbool(&w, "t", true);
	jw_key(&w, "tree");
	jw_json(&w, sub);
	jw_key(&w, "raw");
	jw_raw(&w, frag.data, frag.len);
	jw_key(&w, "k\"ey\n");
	jw_str(&w, "v");
	jw_key(&w, "extended");
	jw_obj_extend(&w, frag.data, frag.len);
	jw_kint(&w, "more", 3);
	jw_obj_close(&w);
	jw_key(&w, "extended_empty");
	jw_obj_extend(&w, "{}", 2);
	jw_kint(&w, "only", 4);
	jw_obj_close(&w);
	jw_key(&w, "extended_alone");
	jw_obj_extend(&w, "{}", 2);
	jw_obj_close(&w);
	jw_obj_close(&w);

	want =
	    json_pack("{s:{}, s:[], s:[i, [], {s:s}, b, n], s:i, s:f, s:b, "
		      "s:O, s:O, s:s, s:{s:[i, s, {}], s:f, s:i}, s:{s:i}, "
		      "s:{}}",
		      "empty_obj", "empty_arr", "arr", 1, "k", "v", 0, "n", -7,
		      "r", 0.25, "t", 1, "tree", sub, "raw", sub, "k\"ey\n",
		      "v", "extended", "x", 1, "y", "z", 2.5, "more", 3,
		      "extended_empty", "only", 4, "extended_alone");
	same(want, &b);
	/* Appending to a buffer that already holds text. */
	buf_reset(&b);
	buf_puts(&b, "data: ");
	jw_init(&w, &b);
	jw_arr_open(&w);
	jw_int(&w, 1);
	jw_arr_close(&w);
	assert_string_equal(buf_str(&b), "data: [1]");
	json_decref(sub);
	buf_release(&frag);
	buf_release(&b);
}

/* out holds a value once it is complete, or after jw_flush(); big values
 * pass through the stage in blocks. */
static void
test_stage(void **state)
{
	struct buf b = BUF_INIT;
	json_t *want = json_array();
	char s[300];
	struct jw w;
	int i;

	(void)state;
	memset(s, 'x', sizeof s - 1);
	s[sizeof s - 1] = '\0';
	jw_init(&w, &b);
	jw_arr_open(&w);
	jw_int(&w, 1);
	assert_int_equal(b.len, 0);
	jw_flush(&w);
	assert_string_equal(buf_str(&b), "[1");
	json_array_append_new(want, json_integer(1));
	for (i = 0; i < 100; i++) {
		jw_str(&w, s);
		json_array_append_new(want, json_string(s));
	}
	jw_arr_close(&w);
	same(want, &b);
	buf_reset(&b);
	jw_init(&w, &b);
	jw_real(&w, 0.5);
	assert_string_equal(buf_str(&b), "0.5");
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_strings_long),
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_not_finite),
	    cmocka_unit_test(test_nesting),
	    cmocka_unit_test(test_stage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
