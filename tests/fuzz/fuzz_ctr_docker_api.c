/*
 * fuzz_ctr_docker_api.c: fuzz the pure Docker Engine API layer and the
 * other pure parts of the containerizer. The first byte picks the target
 * (mod 9): inspect, list, wait (and stats, on the same bytes), errmsg, the pull
 * stream scanner, the log demultiplexer (both fed in chunks whose sizes come
 * from the input; the demultiplexer with timestamps when the size is odd), the
 * create-body builder with the rest taken as a task's container JSON (under a
 * permissive policy when the size is odd, the strict default otherwise),
 * the log timestamps and the logpos record, or the fetcher's item list
 * with the rest taken as {"fetch": [...], "uris": [...]} and the
 * archive-entry guards. Build with clang -fsanitize=fuzzer,address, or
 * with -DTEST_DRIVER to replay corpus files (make replay).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containerizer/ctr_docker_api.h"
#include "containerizer/ctr_docker_stream.h"
#include "containerizer/ctr_fetch_archive.h"
#include "containerizer/ctr_fetch_items.h"
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

static bool
fz_begin(enum ctr_dk_stream s, const char *ts, void *arg)
{
	struct ctr_dk_time t;

	(void)s;
	(void)arg;
	return ctr_dk_time_parse(ts, &t) != 0 || t.nsec % 2 == 0;
}

static void
fz_end(enum ctr_dk_stream s, const char *ts, void *arg)
{
	struct ctr_dk_time t;

	(void)s;
	(void)arg;
	if (ctr_dk_time_parse(ts, &t) == 0 &&
	    (t.nsec < 0 || t.nsec > 999999999))
		abort();
}

static void
fz_times(const char *p, size_t n)
{
	char *s = xstrndup(p, n), since[64], rec[CTR_DK_LOGPOS_LEN];
	struct ctr_dk_time t, u;
	struct ctr_dk_logpos pos, back;

	if (ctr_dk_time_parse(s, &t) == 0) {
		ctr_dk_time_since(&t, since, sizeof since);
		u = t;
		if (ctr_dk_time_cmp(&t, &u) != 0)
			abort();
	}
	if (ctr_dk_logpos_parse(p, n, &pos) == 0) {
		ctr_dk_logpos_format(&pos, rec);
		if (ctr_dk_logpos_parse(rec, sizeof rec, &back) != 0 ||
		    ctr_dk_time_cmp(&pos.last, &back.last) != 0 ||
		    pos.out != back.out || pos.err != back.err)
			abort();
	}
	free(s);
}

static void
fz_fetch(const char *p, size_t n)
{
	struct ctr_fetch_items it;
	struct wire_task t;
	json_t *j = json_parse_bounded(p, n, NULL);
	size_t i;

	memset(&t, 0, sizeof t);
	t.fetch = json_object_get(j, "fetch");
	t.uris = json_object_get(j, "uris");
	if (ctr_fetch_items_of(&t, &it, NULL) == 0)
		for (i = 0; i < it.n; i++)
			if (!ctr_fetch_archive_name_ok(it.v[i].name))
				abort(); /* an item never leaves the sandbox */
	ctr_fetch_items_release(&it);
	json_decref(j);
	if (n > 0) {
		char *s = xstrndup(p, n), *nl = strchr(s, '\n');

		if (nl != NULL) {
			*nl = '\0';
			(void)ctr_fetch_archive_link_ok(s, nl + 1);
		}
		(void)ctr_fetch_archive_name_ok(s);
		free(s);
	}
}

static void
fz_create(const char *p, size_t n)
{
	static gid_t groups[] = {65534, 27};
	static const struct ctr_user user = {true,  (char *)"nobody", 65534,
					     65534, groups,	      2};
	static const struct ctr_dk_policy open = {
	    "/data,/srv", "cap-add,volume", true, &user};
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
	res_set_ranges(&t.res, &(struct res_range){31000, 31003}, 1);
	if (!json_is_object(t.env))
		t.env = NULL;
	if (!json_is_object(t.labels))
		t.labels = NULL;
	if (!json_is_array(t.args))
		t.args = NULL;
	if (ctr_docker_api_create(&t, "/sb", "agent", (n & 1) ? &open : NULL,
				  &c, &err) == 0) {
		char *s = json_dump_str(c.body);

		free(s);
		ctr_dk_create_release(&c);
	}
	json_decref(t.container);
	free(t.task_id);
	free(t.app_id);
	res_free(&t.res);
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
	struct ctr_usage usage;
	size_t nrows;
	int st;
	char *m;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] >> 3) + 1;
	switch (data[0] % 9) {
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
		ctr_usage_init(&usage);
		(void)ctr_docker_api_stats(p, n, &usage, NULL);
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
		if (n & 1)
			ctr_dk_demux_init_ts(&dm, fz_begin, fz_end);
		else
			ctr_dk_demux_init(&dm);
		for (off = 0; off < n; off += step)
			(void)ctr_dk_demux_feed(&dm, p + off,
						n - off < step ? n - off : step,
						fz_sink, &total);
		if (total > n)
			abort();
		break;
	case 7:
		fz_times(p, n);
		break;
	case 8:
		fz_fetch(p, n);
		break;
	default:
		fz_create(p, n);
		break;
	}
	return 0;
}

#include "tests/fuzz/replay_main.h"
