/*
 * fuzz_zk_url.c: feeds lib/zk_url with outside bytes (the --zk flag and an
 * agent's --master=zk://...). Checks beyond "no crash": a parsed URL has 1
 * to ZK_URL_MAX_HOSTS servers, each "host:port" with a port in 1..65535; the
 * path starts with '/', has no empty component and no trailing '/'; and
 * "zk://" + hosts + path parses again to exactly the same URL (the
 * normalised form is a fixed point). Built with -fsanitize=fuzzer by
 * `make fuzz`, or with -DTEST_DRIVER as a replay tool over
 * tests/fuzz/corpus/zk_url/ by `make replay`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"
#include "lib/zk_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check(const struct zk_url *u)
{
	const char *p = u->hosts, *colon, *comma;
	size_t n = 0;
	long port;

	CD_ASSERT(u->nhosts >= 1 && u->nhosts <= ZK_URL_MAX_HOSTS);
	while (*p != '\0') {
		comma = strchr(p, ',');
		if (comma == NULL)
			comma = p + strlen(p);
		colon = memrchr(p, ':', (size_t)(comma - p));
		CD_ASSERT(colon != NULL && colon > p);
		port = strtol(colon + 1, NULL, 10);
		CD_ASSERT(port >= 1 && port <= 65535);
		n++;
		p = *comma == ',' ? comma + 1 : comma;
	}
	CD_ASSERT(n == u->nhosts);
	CD_ASSERT(u->path[0] == '/' && u->path[1] != '\0');
	CD_ASSERT(strstr(u->path, "//") == NULL);
	CD_ASSERT(u->path[strlen(u->path) - 1] != '/');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = xstrndup((const char *)data, size);
	struct zk_url u = {0}, again = {0};
	struct cd_err err = {0};
	char *norm;

	if (zk_url_parse(in, &u, &err) == 0) {
		fuzz_check(&u);
		norm = xasprintf("zk://%s%s", u.hosts, u.path);
		CD_ASSERT(zk_url_parse(norm, &again, &err) == 0);
		CD_ASSERT(strcmp(again.hosts, u.hosts) == 0);
		CD_ASSERT(strcmp(again.path, u.path) == 0);
		CD_ASSERT(again.nhosts == u.nhosts);
		free(norm);
	} else {
		CD_ASSERT(err.code < 0 && err.msg[0] != '\0');
		CD_ASSERT(u.hosts == NULL && u.path == NULL);
	}
	zk_url_release(&u);
	zk_url_release(&again);
	free(in);
	return 0;
}

#include "tests/fuzz/replay_main.h"
