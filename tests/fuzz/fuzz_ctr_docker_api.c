/*
 * fuzz_ctr_docker_api.c: fuzz the pure Docker Engine API layer. The first
 * byte picks the target (mod 7): inspect, list, wait, errmsg, the pull
 * stream scanner, the log demultiplexer (both fed in chunks whose sizes
 * come from the input), or the create-body builder with the rest taken as
 * a task's container JSON. Build with clang -fsanitize=fuzzer,address, or
 * with -DTEST_DRIVER to replay corpus files (make replay).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containerizer/ctr_docker_api.h"
#include "lib/json.h"
#include "lib/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fz_sink(enum ctr_dk_stream s, const char *p, size_t n, void *arg)
{
	size_t *total = arg;

	(void)s;
	(void)p;
	*total += n;
}

static void
fz_create(const char *p, size_t n)
{
	struct wire_task t;
	struct ctr_dk_create c;
	struct cd_err err;

	memset(&t, 0, sizeof t);
	t.container = json_parse_bounded(p, n, NULL);
	if (t.container == NULL)
		return;
	t.task_id = xstrdup("fz.1");
	t.app_id = xstrdup("/fz");
	t.env = json_object_get(t.container, "env");
	t.labels = json_object_get(t.container, "labels");
	t.args = json_object_get(t.container, "args");
	t.res.cpus = 0.1;
	t.res.mem = 16;
	t.res.nranges = 1;
	t.res.ports[0].begin = 31000;
	t.res.ports[0].end = 31003;
	if (!json_is_object(t.env))
		t.env = NULL;
	if (!json_is_object(t.labels))
		t.labels = NULL;
	if (!json_is_array(t.args))
		t.args = NULL;
	if (ctr_docker_api_create(&t, "/sb", "agent", n & 1, &c, &err) == 0) {
		char *s = json_dump_str(c.body);

		free(s);
		ctr_dk_create_release(&c);
	}
	json_decref(t.container);
	free(t.task_id);
	free(t.app_id);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n = size - 1, off, step, total = 0;
	struct ctr_dk_inspect ins;
	struct ctr_dk_listed *rows;
	struct ctr_dk_pull pull;
	struct ctr_dk_demux dm;
	size_t nrows;
	int st;
	char *m;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] >> 3) + 1;
	switch (data[0] % 7) {
	case 0:
		if (ctr_docker_api_inspect(p, n, &ins, NULL) == 0)
			ctr_dk_inspect_release(&ins);
		break;
	case 1:
		if (ctr_docker_api_list(p, n, &rows, &nrows, NULL) == 0)
			ctr_dk_list_free(rows, nrows);
		break;
	case 2:
		(void)ctr_docker_api_wait(p, n, &st, NULL);
		break;
	case 3:
		m = ctr_docker_api_errmsg(p, n);
		free(m);
		break;
	case 4:
		ctr_dk_pull_init(&pull);
		for (off = 0; off < n; off += step)
			ctr_dk_pull_feed(&pull, p + off,
					 n - off < step ? n - off : step);
		ctr_dk_pull_finish(&pull);
		ctr_dk_pull_release(&pull);
		break;
	case 5:
		ctr_dk_demux_init(&dm);
		for (off = 0; off < n; off += step)
			(void)ctr_dk_demux_feed(&dm, p + off,
						n - off < step ? n - off : step,
						fz_sink, &total);
		if (total > n)
			abort();
		break;
	default:
		fz_create(p, n);
		break;
	}
	return 0;
}

#include "tests/fuzz/replay_main.h"
