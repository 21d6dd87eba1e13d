/*
 * unit_util: the unit tests' private directories and loop runner (see
 * unit_util.h). Owns nothing between calls.
 */
#include "tests/unit/unit_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/loop.h"

int
ut_tmpdir(char *dir, size_t size, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	n = snprintf(dir, size, "%s/%s-XXXXXX",
		     tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", name);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return mkdtemp(dir) != NULL ? 0 : -1;
}

void
ut_rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[1024];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR)
			ut_rm_rf(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static void
stop_cb(void *arg)
{
	loop_stop(arg);
}

void
ut_run_until(struct loop *l, int (*cond)(void), uint64_t ms)
{
	struct loop_timer *stop = loop_timer_new(l, stop_cb, l);
	uint64_t waited = 0;

	while ((cond == NULL || !cond()) && waited < ms) {
		loop_timer_add(stop, 10);
		loop_run(l);
		waited += 10;
	}
	loop_timer_free(stop);
}

struct watch {
	struct loop *l; /* borrowed */
	int fired;
};

static void
watch_cb(void *arg)
{
	struct watch *w = arg;

	w->fired = 1;
	loop_stop(w->l);
}

int
ut_run_waiting(struct loop *l, const int *waiting, uint64_t ms)
{
	struct watch w = {l, 0};
	struct loop_timer *t = loop_timer_new(l, watch_cb, &w);

	loop_timer_add(t, ms);
	if (*waiting > 0)
		loop_run(l);
	loop_timer_free(t);
	return w.fired ? -1 : 0;
}

void
ut_spin(struct loop *l, uint64_t ms)
{
	struct loop_timer *t = loop_timer_new(l, stop_cb, l);

	loop_timer_add(t, ms);
	loop_run(l);
	loop_timer_free(t);
}
