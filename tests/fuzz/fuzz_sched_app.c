/*
 * fuzz_sched_app.c: fuzz the Marathon AppDefinition parser. Each input is
 * parsed with json_parse_bounded() and then sched_app_parse(); a parsed
 * app must serialise, reparse to an equal stored form (abort otherwise:
 * the fixed-point property the store relies on), build a task and compare
 * for restart. The input is also applied as a PATCH on a fixed app and,
 * when it is a JSON string, normalised as an id. Build with clang
 * -fsanitize=fuzzer,address, or with -DTEST_DRIVER to replay files given
 * on the command line (make replay).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/wire.h"
#include "scheduler/app/sched_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fz_base[] =
    "{\"id\": \"/fz/base\", \"cmd\": \"sleep 1\", \"ports\": [0, 0]}";

static void
fz_use(const struct sched_app *a)
{
	uint32_t hp[4] = {31000, 31001, 31002, 31003};
	struct wire_task t;
	json_t *j = sched_app_to_json(a), *j2;
	struct sched_app *b = NULL;
	struct cd_err err;

	if (sched_app_parse(j, NULL, &b, &err) != 0) {
		fprintf(stderr, "reparse failed: %s: %s\n", err.path, err.msg);
		abort();
	}
	j2 = sched_app_to_json(b);
	if (!json_equal(j, j2) || sched_app_needs_restart(a, b))
		abort();
	sched_app_build_task(
	    b, "fz_base.1", "fw", "ag", "host", hp,
	    sched_app_host_port_count(b) < 4 ? sched_app_host_port_count(b) : 4,
	    &t);
	wire_task_release(&t);
	if (sched_app_service_port_count(b) > 0)
		sched_app_set_service_port(b, 0, 10000);
	sched_app_set_instances(b, 3);
	sched_app_set_version(b, "2020-01-01T00:00:00.000Z");
	json_decref(j2);
	json_decref(j);
	sched_app_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sched_app *a = NULL, *base = NULL, *p = NULL;
	struct cd_err err;
	json_t *j, *bj;
	char *id;

	j = json_parse_bounded((const char *)data, size, &err);
	if (j == NULL)
		return 0;
	if (sched_app_parse(j, NULL, &a, &err) == 0) {
		fz_use(a);
		sched_app_free(a);
	}
	if (sched_app_parse(j, "/fz/url", &a, &err) == 0)
		sched_app_free(a);
	bj = json_loads(fz_base, 0, NULL);
	if (bj != NULL && sched_app_parse(bj, NULL, &base, &err) == 0) {
		if (sched_app_patch(base, j, &p, &err) == 0) {
			fz_use(p);
			sched_app_free(p);
		}
		sched_app_free(base);
	}
	json_decref(bj);
	if (json_is_string(j)) {
		id = sched_app_normalize_id(json_string_value(j), &err);
		free(id);
	}
	json_decref(j);
	return 0;
}

#include "tests/fuzz/replay_main.h"
