/*
 * test_idmap.c: the id-keyed index: put/get/del, duplicates, iteration,
 * growth, and a long random run of puts and deletes checked against a
 * plain array (backward-shift deletion must never lose an entry behind a
 * hole, including runs that wrap around the end of the table).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/idmap.h"
#include "lib/xalloc.h"

static void
test_basic(void **state)
{
	struct idmap *x = idmap_new();
	int a = 1, b = 2;

	(void)state;
	assert_null(idmap_get(x, "a"));
	assert_null(idmap_del(x, "a"));
	assert_null(idmap_get(x, NULL));
	assert_int_equal(idmap_put(x, "a", &a), 0);
	assert_int_equal(idmap_put(x, "b", &b), 0);
	assert_int_equal(idmap_put(x, "a", &b), -EEXIST);
	assert_ptr_equal(idmap_get(x, "a"), &a);
	assert_ptr_equal(idmap_get(x, "b"), &b);
	assert_int_equal(idmap_count(x), 2);
	assert_ptr_equal(idmap_del(x, "a"), &a);
	assert_null(idmap_get(x, "a"));
	assert_ptr_equal(idmap_get(x, "b"), &b);
	assert_int_equal(idmap_count(x), 1);
	idmap_free(x);
	idmap_free(NULL);
}

#define NKEYS 5000

static void
test_iterate(void **state)
{
	struct idmap *x = idmap_new();
	char keys[300][8];
	int seen[300] = {0};
	size_t pos = 0, n = 0, i;
	const char *k;
	void *v;

	(void)state;
	assert_false(idmap_next(x, &pos, &k, &v));
	for (i = 0; i < 300; i++) {
		snprintf(keys[i], sizeof keys[i], "k%zu", i);
		assert_int_equal(idmap_put(x, keys[i], keys[i]), 0);
	}
	pos = 0;
	while (idmap_next(x, &pos, &k, &v)) {
		assert_ptr_equal(k, v);
		i = (size_t)strtoul(k + 1, NULL, 10);
		assert_true(i < 300);
		seen[i]++;
		n++;
	}
	assert_int_equal(n, 300);
	for (i = 0; i < 300; i++)
		assert_int_equal(seen[i], 1);
	idmap_clear(x);
	assert_int_equal(idmap_count(x), 0);
	assert_null(idmap_get(x, "k1"));
	pos = 0;
	assert_false(idmap_next(x, &pos, NULL, NULL));
	assert_int_equal(idmap_put(x, keys[1], keys[1]), 0);
	assert_ptr_equal(idmap_get(x, "k1"), keys[1]);
	idmap_free(x);
}

static void
test_xgrow(void **state)
{
	int *v = NULL;
	size_t n = 0, cap = 0, i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		XGROW(v, n + 1, cap);
		assert_true(cap >= n + 1);
		v[n++] = (int)i;
	}
	for (i = 0; i < 1000; i++)
		assert_int_equal(v[i], (int)i);
	assert_true(cap >= 1000 && cap < 2048);
	XGROW(v, 10, cap); /* never shrinks */
	assert_true(cap >= 1000);
	free(v);
}

static void
test_random(void **state)
{
	struct idmap *x = idmap_new();
	static char keys[NKEYS][24];
	static int in[NKEYS];
	size_t n = 0, i, step;

	(void)state;
	srand(7);
	for (i = 0; i < NKEYS; i++)
		snprintf(keys[i], sizeof keys[i], "task-%zu", i * 7919);
	for (step = 0; step < 200000; step++) {
		i = (size_t)rand() % NKEYS;
		if (in[i]) {
			assert_ptr_equal(idmap_del(x, keys[i]), &in[i]);
			in[i] = 0;
			n--;
		} else {
			assert_int_equal(idmap_put(x, keys[i], &in[i]), 0);
			in[i] = 1;
			n++;
		}
		if (step % 10000 == 0) {
			size_t k;

			for (k = 0; k < NKEYS; k++)
				if (in[k])
					assert_ptr_equal(idmap_get(x, keys[k]),
							 &in[k]);
				else
					assert_null(idmap_get(x, keys[k]));
		}
	}
	assert_int_equal(idmap_count(x), n);
	for (i = 0; i < NKEYS; i++)
		if (in[i])
			assert_ptr_equal(idmap_del(x, keys[i]), &in[i]);
	assert_int_equal(idmap_count(x), 0);
	idmap_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_iterate),
	    cmocka_unit_test(test_xgrow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
