/*
 * fuzz_route.c: feeds lib/route with outside bytes. The input is split at
 * the first newline: the first part is used as a path (and, after a '?',
 * a query string) against the real Marathon-style route patterns below,
 * the second part, when present, as a pattern of its own. Built with
 * -fsanitize=fuzzer by `make fuzz`, or with -DTEST_DRIVER as a replay
 * tool over tests/fuzz/corpus/route/ by `make replay`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/route.h"
#include "lib/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_patterns[] = {
    "/",
    "/v2/apps",
    "/v2/apps/*id",
    "/v2/apps/*id/restart",
    "/v2/apps/*id/tasks",
    "/v2/apps/*id/tasks/:taskId",
    "/v2/apps/*id/versions/:version",
    "/v2/tasks/:id",
    "/*a/x/*b/:c",
};

static void
fuzz_check_params(const struct route_params *ps)
{
	size_t i;

	CD_ASSERT(ps->n <= ROUTE_MAX_PARAMS);
	for (i = 0; i < ps->n; i++) {
		CD_ASSERT(ps->p[i].key[0] != '\0');
		CD_ASSERT(ps->p[i].val[0] != '\0');
		CD_ASSERT(route_params_get(ps, ps->p[i].key) != NULL);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = xstrndup((const char *)data, size);
	char *nl, *q, *pattern = NULL;
	struct route_path path;
	struct route_params ps;
	struct route_query query;
	size_t i, pos = 0;
	char *dec;

	nl = strchr(in, '\n');
	if (nl != NULL) {
		*nl = '\0';
		pattern = nl + 1;
	}
	q = strchr(in, '?');
	if (q != NULL)
		*q++ = '\0';

	if (route_decode(in, strlen(in), false, &dec) == 0) {
		CD_ASSERT(strlen(dec) <= strlen(in));
		free(dec);
	}
	if (route_path_parse(in, &path) == 0) {
		for (i = 0; i < CD_NELEM(fuzz_patterns); i++) {
			if (route_match(fuzz_patterns[i], &path, &ps))
				fuzz_check_params(&ps);
			else
				CD_ASSERT(ps.n == 0);
			route_params_release(&ps);
		}
		if (pattern != NULL) {
			if (route_match(pattern, &path, &ps))
				fuzz_check_params(&ps);
			route_params_release(&ps);
		}
	}
	route_path_release(&path);

	if (route_query_parse(q, &query) == 0) {
		for (i = 0; i < query.n; i++)
			CD_ASSERT(route_query_get(&query, query.kv[i].key) !=
				  NULL);
		while (route_query_next(&query, "embed", &pos) != NULL)
			;
	}
	route_query_release(&query);
	free(in);
	return 0;
}

#include "tests/fuzz/replay_main.h"
