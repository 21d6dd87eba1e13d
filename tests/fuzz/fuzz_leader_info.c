/*
 * fuzz_leader_info.c: feeds lib/leader_info with the bytes of an election
 * znode, which any ZooKeeper client can write. Checks beyond "no crash": a
 * parsed MasterInfo has an IPv4 address, ports in range and non-NULL
 * strings; when it has an id, encoding it and parsing that again gives the
 * same MasterInfo. The input's first line, when it starts with "json.info_",
 * also goes through the sequence helpers. Built with -fsanitize=fuzzer by
 * `make fuzz`, or with -DTEST_DRIVER as a replay tool over
 * tests/fuzz/corpus/leader_info/ by `make replay`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/leader_info.h"
#include "lib/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct leader_info li = {0}, again = {0};
	struct buf b = BUF_INIT;
	char *line = xstrndup((const char *)data, size);
	const char *names[2];
	char *nl;

	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
	names[0] = line;
	names[1] = "json.info_0000000005";
	if (leader_info_seq(line) >= 0) {
		CD_ASSERT(leader_info_lowest(names, 2) >= 0);
		CD_ASSERT(leader_info_predecessor(names, 2, line) >= -1);
	}
	if (leader_info_parse((const char *)data, size, &li, NULL) == 0) {
		CD_ASSERT(li.ip != NULL && li.hostname != NULL &&
			  li.id != NULL && li.version != NULL);
		CD_ASSERT(li.port >= 1 && li.port <= 65535);
		CD_ASSERT(li.http_port >= 0 && li.http_port <= 65535);
		if (li.id[0] != '\0') {
			CD_ASSERT(leader_info_encode(&li, &b, NULL) == 0);
			CD_ASSERT(leader_info_parse(b.data, b.len, &again,
						    NULL) == 0);
			CD_ASSERT(leader_info_equal(&li, &again));
		}
	}
	leader_info_release(&li);
	leader_info_release(&again);
	buf_release(&b);
	free(line);
	return 0;
}

#include "tests/fuzz/replay_main.h"
