/*
 * fuzz_query.c: query strings through lib/route, as lib/httpd hands them
 * over (everything after the '?', NUL-free). Whatever parses must hold at
 * most ROUTE_MAX_QUERY pairs with non-empty keys, agree between
 * route_query_get() and route_query_next(), and survive a round trip:
 * percent-encoding every decoded pair and parsing that again gives the
 * same pairs. route_decode() is checked on the same bytes: '+' is the only
 * difference between its query and path modes. Built with
 * -fsanitize=fuzzer by `make fuzz`, or with -DTEST_DRIVER as a replay tool
 * over tests/fuzz/corpus/query/ by `make replay`.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/route.h"
#include "lib/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Percent-encode everything but unreserved bytes, so decoding restores s. */
static void
fuzz_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~')
			buf_append(b, s, 1);
		else
			buf_printf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

static void
fuzz_check_query(const struct route_query *q)
{
	size_t i, j, pos, count;
	const char *v;

	CD_ASSERT(q->n <= ROUTE_MAX_QUERY);
	for (i = 0; i < q->n; i++) {
		CD_ASSERT(q->kv[i].key[0] != '\0');
		CD_ASSERT(q->kv[i].val != NULL);
		/* get() is the first pair with the key. */
		for (j = 0; strcmp(q->kv[j].key, q->kv[i].key) != 0; j++)
			;
		CD_ASSERT(route_query_get(q, q->kv[i].key) == q->kv[j].val);
		/* next() visits every pair with the key, in order. */
		pos = 0;
		count = 0;
		while ((v = route_query_next(q, q->kv[i].key, &pos)) != NULL) {
			CD_ASSERT(pos <= q->n);
			CD_ASSERT(strcmp(q->kv[pos - 1].key, q->kv[i].key) ==
				  0);
			CD_ASSERT(v == q->kv[pos - 1].val);
			count++;
		}
		for (j = 0; j < q->n; j++)
			if (strcmp(q->kv[j].key, q->kv[i].key) == 0)
				count--;
		CD_ASSERT(count == 0);
	}
}

static void
fuzz_round_trip(const struct route_query *q)
{
	struct buf b = BUF_INIT;
	struct route_query back;
	size_t i;

	for (i = 0; i < q->n; i++) {
		if (i > 0)
			buf_puts(&b, "&");
		fuzz_encode(&b, q->kv[i].key);
		buf_puts(&b, "=");
		fuzz_encode(&b, q->kv[i].val);
	}
	CD_ASSERT(route_query_parse(buf_str(&b), &back) == 0);
	CD_ASSERT(back.n == q->n);
	for (i = 0; i < q->n; i++) {
		CD_ASSERT(strcmp(back.kv[i].key, q->kv[i].key) == 0);
		CD_ASSERT(strcmp(back.kv[i].val, q->kv[i].val) == 0);
	}
	route_query_release(&back);
	buf_release(&b);
}

static void
fuzz_check_decode(const char *s, size_t n)
{
	char *a = NULL, *b = NULL;
	int ra, rb;
	size_t i;

	ra = route_decode(s, n, false, &a);
	rb = route_decode(s, n, true, &b);
	CD_ASSERT(ra == rb);
	CD_ASSERT(ra == 0 || ra == -EINVAL);
	if (ra == 0) {
		CD_ASSERT(strlen(a) == strlen(b) && strlen(a) <= n);
		for (i = 0; a[i] != '\0'; i++)
			CD_ASSERT(a[i] == b[i] || (a[i] == '+' && b[i] == ' '));
	} else {
		CD_ASSERT(a == NULL && b == NULL);
	}
	free(a);
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = xstrndup((const char *)data, size);
	struct route_query q;
	int rc;

	rc = route_query_parse(in, &q);
	CD_ASSERT(rc == 0 || rc == -EINVAL || rc == -E2BIG);
	if (rc == 0) {
		fuzz_check_query(&q);
		fuzz_round_trip(&q);
	}
	route_query_release(&q);
	CD_ASSERT(q.n == 0);
	fuzz_check_decode(in, strlen(in));
	free(in);
	return 0;
}

#include "tests/fuzz/replay_main.h"
