/*
 * fuzz_wire.c: feeds arbitrary bytes through json_parse_bounded() and every
 * lib/wire decoder. A successful decode must re-encode and decode again
 * (the encoders' output is always valid), and nothing may crash or leak.
 * Build with clang -fsanitize=fuzzer,address (make fuzz), or with
 * -DTEST_DRIVER to replay files given on the command line (make replay).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode, and on success re-encode and decode the encoding. */
#define FUZZ_KIND(type, j)                                                \
	do {                                                              \
		struct type m, m2;                                        \
		json_t *e;                                                \
		if (type##_decode((j), &m, NULL) == 0) {                  \
			e = type##_encode(&m);                            \
			if (type##_decode(e, &m2, NULL) != 0)             \
				abort();                                  \
			type##_release(&m2);                              \
			json_decref(e);                                   \
			type##_release(&m);                               \
		}                                                         \
	} while (0)

static void
fuzz_all(const json_t *j)
{
	struct wire_task t, c;
	struct wire_status s, sc;

	FUZZ_KIND(wire_agent_info, j);
	FUZZ_KIND(wire_task, j);
	FUZZ_KIND(wire_status, j);
	FUZZ_KIND(wire_register, j);
	FUZZ_KIND(wire_registered, j);
	FUZZ_KIND(wire_status_msg, j);
	FUZZ_KIND(wire_run_task, j);
	FUZZ_KIND(wire_kill_task, j);
	FUZZ_KIND(wire_ping, j);
	FUZZ_KIND(wire_reconcile, j);
	if (wire_task_decode(j, &t, NULL) == 0) {
		wire_task_copy(&c, &t);
		wire_task_release(&t);
		wire_task_release(&c);
	}
	if (wire_status_decode(j, &s, NULL) == 0) {
		wire_status_copy(&sc, &s);
		wire_status_release(&s);
		wire_status_release(&sc);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cd_err err;
	json_t *j, *v;
	const char *k;

	j = json_parse_bounded((const char *)data, size, &err);
	if (j == NULL)
		return 0;
	fuzz_all(j);
	/* Also try each nested object, as handlers see sub-messages. */
	if (json_is_object(j))
		json_object_foreach(j, k, v)
			if (json_is_object(v))
				fuzz_all(v);
	json_decref(j);
	return 0;
}

#include "tests/fuzz/replay_main.h"
