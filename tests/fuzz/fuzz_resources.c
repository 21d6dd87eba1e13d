/*
 * fuzz_resources.c: res_parse() and res_from_json() on arbitrary bytes.
 * Whatever parses must satisfy the invariants of resources.h and survive
 * the text and JSON round trips unchanged. With a '|' in the input, the
 * two sides are parsed and combined with res_add/res_sub/res_contains,
 * whose results must keep the invariants too.
 * Build with clang -fsanitize=fuzzer,address (make fuzz), or with
 * -DTEST_DRIVER to replay files given on the command line (make replay).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/resources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_invariants(const struct resources *r)
{
	int i;

	if (!(r->cpus >= 0) || !(r->mem >= 0) || !(r->disk >= 0) ||
	    !isfinite(r->cpus) || !isfinite(r->mem) || !isfinite(r->disk))
		abort();
	if (r->nranges < 0 || r->nranges > RES_MAX_RANGES)
		abort();
	for (i = 0; i < r->nranges; i++) {
		if (r->ports[i].begin > r->ports[i].end ||
		    r->ports[i].end > 65535)
			abort();
		if (i > 0 && r->ports[i].begin <= r->ports[i - 1].end + 1)
			abort();
	}
}

static void
check_equal(const struct resources *a, const struct resources *b)
{
	if (a->cpus != b->cpus || a->mem != b->mem || a->disk != b->disk ||
	    a->nranges != b->nranges ||
	    (a->ports == NULL) != (a->nranges == 0) ||
	    (a->nranges > 0 && memcmp(a->ports, b->ports,
				      (size_t)a->nranges * sizeof a->ports[0])))
		abort();
}

static void
round_trips(const struct resources *r)
{
	struct buf b = BUF_INIT;
	struct resources back;
	json_t *j;

	check_invariants(r);
	res_format(r, &b);
	if (res_parse(buf_str(&b), &back, NULL) != 0)
		abort();
	check_equal(r, &back);
	res_free(&back);
	buf_release(&b);
	j = res_to_json(r);
	if (j == NULL || res_from_json(j, &back, NULL) != 0)
		abort();
	check_equal(r, &back);
	res_free(&back);
	json_decref(j);
}

static void
combine(const struct resources *a, const struct resources *b)
{
	struct resources c;

	res_copy(&c, a);
	res_add(&c, b);
	check_invariants(&c);
	res_free(&c);
	res_copy(&c, a);
	if (res_contains(a, b)) {
		if (res_sub(&c, b) == 0) {
			check_invariants(&c);
			res_add(&c, b);
			check_invariants(&c);
		}
	} else if (res_sub(&c, b) != -ERANGE)
		abort();
	res_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resources r, r2;
	char *s = malloc(size + 1), *bar;
	json_t *j;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (res_parse(s, &r, NULL) == 0) {
		round_trips(&r);
		res_free(&r);
	}
	j = json_parse_bounded((const char *)data, size, NULL);
	if (j != NULL) {
		if (res_from_json(j, &r, NULL) == 0) {
			round_trips(&r);
			res_free(&r);
		}
		json_decref(j);
	}
	if ((bar = strchr(s, '|')) != NULL) {
		*bar = '\0';
		if (res_parse(s, &r, NULL) == 0) {
			if (res_parse(bar + 1, &r2, NULL) == 0) {
				combine(&r, &r2);
				combine(&r2, &r);
				res_free(&r2);
			}
			res_free(&r);
		}
	}
	free(s);
	return 0;
}

#include "tests/fuzz/replay_main.h"
