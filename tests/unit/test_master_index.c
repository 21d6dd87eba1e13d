/*
 * test_master_index.c: the master's id index: put/get/del, duplicates,
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

#include "master/master_index.h"

static void
test_basic(void **state)
{
	struct master_index *x = master_index_new();
	int a = 1, b = 2;

	(void)state;
	assert_null(master_index_get(x, "a"));
	assert_null(master_index_del(x, "a"));
	assert_null(master_index_get(x, NULL));
	assert_int_equal(master_index_put(x, "a", &a), 0);
	assert_int_equal(master_index_put(x, "b", &b), 0);
	assert_int_equal(master_index_put(x, "a", &b), -EEXIST);
	assert_ptr_equal(master_index_get(x, "a"), &a);
	assert_ptr_equal(master_index_get(x, "b"), &b);
	assert_int_equal(master_index_count(x), 2);
	assert_ptr_equal(master_index_del(x, "a"), &a);
	assert_null(master_index_get(x, "a"));
	assert_ptr_equal(master_index_get(x, "b"), &b);
	assert_int_equal(master_index_count(x), 1);
	master_index_free(x);
	master_index_free(NULL);
}

#define NKEYS 5000

static void
test_random(void **state)
{
	struct master_index *x = master_index_new();
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
			assert_ptr_equal(master_index_del(x, keys[i]), &in[i]);
			in[i] = 0;
			n--;
		} else {
			assert_int_equal(master_index_put(x, keys[i], &in[i]),
					 0);
			in[i] = 1;
			n++;
		}
		if (step % 10000 == 0) {
			size_t k;

			for (k = 0; k < NKEYS; k++)
				if (in[k])
					assert_ptr_equal(
					    master_index_get(x, keys[k]),
					    &in[k]);
				else
					assert_null(
					    master_index_get(x, keys[k]));
		}
	}
	assert_int_equal(master_index_count(x), n);
	for (i = 0; i < NKEYS; i++)
		if (in[i])
			assert_ptr_equal(master_index_del(x, keys[i]), &in[i]);
	assert_int_equal(master_index_count(x), 0);
	master_index_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),
	    cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
