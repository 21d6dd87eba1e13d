/*
 * fuzz_http1.c: feeds lib/http1 with outside bytes as lib/httpd_conn.c
 * does. The input is a request: leading empty lines are skipped, the head
 * is found by http1_head_scan() (in two steps, split where the first byte
 * says, to exercise resuming) and parsed; whatever follows is fed to the
 * chunked decoder in pieces whose size the second byte picks, once kept
 * and once discarded. Checks: the head end is the same however the input
 * is split, parsed strings hold no CR, LF or NUL and header values no
 * surrounding whitespace, framing is never both chunked and sized, the
 * decoder consumes what it reports, keeps and discards alike, and never
 * passes its limit; every header value is also read as an Accept-Encoding
 * list (http1_coding_accepted()). Built with -fsanitize=fuzzer by `make fuzz`,
 * or with -DTEST_DRIVER as a replay tool over tests/fuzz/corpus/http1/ by `make
 * replay`.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/http1.h"
#include "lib/xalloc.h"

#define FUZZ_MAX_BODY 4096ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check_str(const char *s)
{
	AN(s);
	CD_ASSERT(strpbrk(s, "\r\n") == NULL);
}

static void
fuzz_check_req(const struct http1_req *r)
{
	size_t i, n;

	fuzz_check_str(r->method);
	fuzz_check_str(r->target);
	CD_ASSERT(r->method[0] != '\0' && r->target[0] != '\0');
	CD_ASSERT(r->target[0] == '/' || strcmp(r->target, "*") == 0);
	CD_ASSERT(r->minor == 0 || r->minor == 1);
	CD_ASSERT(!(r->chunked && r->has_length));
	CD_ASSERT(r->nh <= HTTP1_MAX_HEADERS);
	for (i = 0; i < r->nh; i++) {
		fuzz_check_str(r->h[i].name);
		fuzz_check_str(r->h[i].value);
		CD_ASSERT(r->h[i].name[0] != '\0');
		n = strlen(r->h[i].value);
		if (n > 0)
			CD_ASSERT(r->h[i].value[0] != ' ' &&
				  r->h[i].value[n - 1] != ' ' &&
				  r->h[i].value[n - 1] != '\t');
		CD_ASSERT(http1_req_header(r, r->h[i].name) != NULL);
		/* Every value read as an Accept-Encoding: a coding is
		 * taken only when named, or under "*". */
		if (http1_coding_accepted(r->h[i].value, "gzip", NULL))
			CD_ASSERT(strcasestr(r->h[i].value, "gzip") != NULL ||
				  strchr(r->h[i].value, '*') != NULL);
	}
}

/* Decode p[0..n) in pieces of step; returns the code, *used the bytes. */
static int
fuzz_chunked(const char *p, size_t n, size_t step, struct buf *out,
	     size_t *used)
{
	struct http1_chunked c;
	size_t off = 0, u;
	int rc = 0;

	memset(&c, 0, sizeof c);
	while (off < n) {
		size_t k = n - off < step ? n - off : step;

		u = 0;
		rc = http1_chunked_feed(&c, p + off, k, FUZZ_MAX_BODY, out, &u);
		CD_ASSERT(u <= k);
		off += u;
		CD_ASSERT(c.total <= FUZZ_MAX_BODY);
		if (rc != 0)
			break;
		CD_ASSERT(u == k);
	}
	*used = off;
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct http1_req r;
	struct cd_err err;
	struct buf kept = BUF_INIT;
	size_t skip, pos = 0, pos2 = 0, len = 0, len2 = 0, cut, step, u1, u2;
	int rc, rc2, c1, c2;

	if (size < 2)
		return 0;
	cut = data[0];
	step = (size_t)data[1] % 64 + 1;
	p += 2;
	size -= 2;
	skip = http1_skip_empty(p, size);
	CD_ASSERT(skip % 2 == 0 && skip <= size);
	p += skip;
	size -= skip;

	cut = cut < size ? cut : size;
	rc = http1_head_scan(p, cut, &pos, &len);
	if (rc == 0)
		rc = http1_head_scan(p, size, &pos, &len);
	rc2 = http1_head_scan(p, size, &pos2, &len2);
	CD_ASSERT(rc == rc2);
	if (rc != 1)
		return 0;
	CD_ASSERT(len == len2 && len >= 4 && len <= size);
	CD_ASSERT(memcmp(p + len - 4, "\r\n\r\n", 4) == 0);

	memset(&err, 0, sizeof err);
	rc = http1_parse(p, len, &r, &err);
	if (rc == 0)
		fuzz_check_req(&r);
	else
		CD_ASSERT(err.msg[0] != '\0' && http1_status(rc) >= 400);
	http1_req_release(&r);

	c1 = fuzz_chunked(p + len, size - len, step, &kept, &u1);
	c2 = fuzz_chunked(p + len, size - len, 1, NULL, &u2);
	CD_ASSERT(c1 == c2 && u1 == u2);
	CD_ASSERT(kept.len <= FUZZ_MAX_BODY);
	buf_release(&kept);
	return 0;
}

#include "tests/fuzz/replay_main.h"
