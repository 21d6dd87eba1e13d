/*
 * fuzz_zkstore_codec.c: feeds lib/zkstore_codec with what ZooKeeper hands
 * a loading leader, which any ZooKeeper client could have written: znode
 * data to decode, and (the input's first line) a znode name to unescape.
 * Checks beyond "no crash": decoding never yields more than
 * ZKSTORE_VALUE_MAX bytes, and what decodes encodes and decodes again to the
 * same bytes; a name that unescapes escapes back to itself, and its key
 * escapes to a name without '/'. Built with -fsanitize=fuzzer by
 * `make fuzz`, or with -DTEST_DRIVER as a replay tool over
 * tests/fuzz/corpus/zkstore_codec/ by `make replay`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "lib/zkstore_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf dec = BUF_INIT, enc = BUF_INIT, again = BUF_INIT;
	char *line = xstrndup((const char *)data, size), *nl, *key, *name;

	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
	if (zkstore_codec_unescape(line, &key) == 0) {
		name = zkstore_codec_escape(key);
		CD_ASSERT(strcmp(name, line) == 0);
		CD_ASSERT(strchr(name, '/') == NULL);
		CD_ASSERT(zkstore_codec_bucket(key) < ZKSTORE_BUCKETS);
		free(name);
		free(key);
	}
	if (zkstore_codec_decode(data, size, &dec) == 0) {
		CD_ASSERT(dec.len <= ZKSTORE_VALUE_MAX);
		if (zkstore_codec_encode(dec.data, dec.len, &enc, NULL) == 0) {
			CD_ASSERT(zkstore_codec_decode(enc.data, enc.len,
						       &again) == 0);
			CD_ASSERT(again.len == dec.len);
			CD_ASSERT(dec.len == 0 ||
				  memcmp(again.data, dec.data, dec.len) == 0);
		}
	}
	buf_release(&dec);
	buf_release(&enc);
	buf_release(&again);
	free(line);
	return 0;
}

#include "tests/fuzz/replay_main.h"
