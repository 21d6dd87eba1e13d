/*
 * test_store_sync.c: group commit (lib/store_sync.c) on a real LMDB
 * environment and a real loop: commits return at once and count as
 * pending, one sync on the next loop pass covers all of them and calls
 * every waiter it covers (and none it was told to forget), a commit that
 * wrote nothing is not pending, the data is there after a reopen, and an
 * in-memory store never makes anyone wait. Batches are nested in the
 * pass's transaction: reads and iterations see the pass's writes, a
 * callback of an iteration may write, and a process that dies before the
 * pass commits (a kill -9) leaves a file that opens with every earlier
 * pass and nothing of its last one, whose writer lock the next writer gets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/durable.h"
#include "lib/loop.h"
#include "lib/store.h"
#include "tests/unit/unit_util.h"

struct calls {
	int n;
	uint64_t seqs[8];
	int rcs[8];
	struct loop *l;
	int stop_at;
};

static void
done_cb(uint64_t seq, int rc, void *arg)
{
	struct calls *c = arg;

	if (c->n < 8) {
		c->seqs[c->n] = seq;
		c->rcs[c->n] = rc;
	}
	if (++c->n == c->stop_at)
		loop_stop(c->l);
}

static struct store *
open_ok(const char *dir, int flags)
{
	struct store *s = NULL;
	struct cd_err err = {0};

	assert_int_equal(store_open(dir, flags, &s, &err), 0);
	return s;
}

static void
put_str(struct store *s, const char *k, const char *v)
{
	assert_int_equal(store_put(s, STORE_DB_SCHED, k, v, strlen(v)), 0);
}

static char *
make_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	char *d = malloc(256);

	snprintf(d, 256, "%s/test_store_sync-XXXXXX",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	assert_non_null(mkdtemp(d));
	return d;
}

static void
remove_dir(char *d)
{
	char p[300];

	snprintf(p, sizeof p, "%s/clusterd.lmdb", d);
	unlink(p);
	snprintf(p, sizeof p, "%s/clusterd.lmdb-lock", d);
	unlink(p);
	rmdir(d);
	free(d);
}

/* Without group commit: one sync per commit, nothing ever pending. */
static void
test_synchronous(void **state)
{
	char *dir = make_dir();
	struct store *s = open_ok(dir, 0);
	const struct durable *d = store_durable(s);
	struct store_sync_stats st;

	(void)state;
	put_str(s, "app/a", "1");
	put_str(s, "app/b", "2");
	store_sync_stats(s, &st);
	assert_int_equal(st.commits, 2);
	assert_int_equal(st.syncs, 2);
	assert_int_equal(st.pending, 0);
	assert_int_equal(d->pending(d->ctx), 0);
	store_close(s);
	remove_dir(dir);
}

static void
test_group(void **state)
{
	char *dir = make_dir();
	struct loop *l = loop_new();
	struct store *s = open_ok(dir, 0), *s2;
	const struct durable *d;
	struct store_sync_stats st;
	struct store_batch *b;
	struct calls c = {0}, gone = {0};
	struct cd_err err = {0};
	struct buf v = BUF_INIT;
	char key[32];
	uint64_t first, seq;
	int i;

	(void)state;
	assert_int_equal(store_group_commit(s, l, &err), 0);
	d = store_durable(s);
	assert_int_equal(d->pending(d->ctx), 0);

	put_str(s, "app/0", "0");
	first = d->pending(d->ctx);
	assert_int_equal(first, 1);
	for (i = 1; i < 10; i++) {
		snprintf(key, sizeof key, "app/%d", i);
		put_str(s, key, "x");
	}
	/* A batch that deletes nothing wrote nothing: not a commit. */
	b = store_batch_begin(s);
	assert_int_equal(store_batch_del(b, STORE_DB_SCHED, "absent"), 0);
	assert_int_equal(store_batch_commit(b), 0);
	seq = d->pending(d->ctx);
	assert_int_equal(seq, 10);
	/* Visible to reads before it is synced. */
	assert_int_equal(store_get(s, STORE_DB_SCHED, "app/9", &v), 0);

	c.l = l;
	c.stop_at = 2;
	assert_int_equal(d->wait(d->ctx, first, done_cb, &c), 0);
	assert_int_equal(d->wait(d->ctx, seq, done_cb, &c), 0);
	assert_int_equal(d->wait(d->ctx, seq, done_cb, &gone), 0);
	d->forget(d->ctx, &gone);
	/* Never from inside wait(). */
	assert_int_equal(c.n, 0);
	store_sync_stats(s, &st);
	assert_int_equal(st.commits, 10);
	assert_int_equal(st.syncs, 0);
	assert_int_equal(st.pending, 10);

	assert_int_equal(loop_run(l), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.seqs[0], first);
	assert_int_equal(c.rcs[0], 0);
	assert_int_equal(c.seqs[1], seq);
	assert_int_equal(c.rcs[1], 0);
	assert_int_equal(gone.n, 0);
	store_sync_stats(s, &st);
	assert_int_equal(st.syncs, 1); /* ten commits, one sync */
	assert_int_equal(st.pending, 0);
	assert_int_equal(d->pending(d->ctx), 0);

	/* Waiting for what is synced already: called from the loop. */
	c.n = 0;
	c.stop_at = 1;
	assert_int_equal(d->wait(d->ctx, seq, done_cb, &c), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.rcs[0], 0);

	/* Closing syncs what is left; a reopen sees it. */
	put_str(s, "app/last", "y");
	store_close(s);
	s2 = open_ok(dir, 0);
	assert_int_equal(store_get(s2, STORE_DB_SCHED, "app/last", &v), 0);
	assert_int_equal(v.len, 1);
	store_close(s2);
	buf_release(&v);
	loop_free(l);
	remove_dir(dir);
}

/* In memory nothing is synced, so nothing waits. */
static void
test_in_memory(void **state)
{
	struct loop *l = loop_new();
	struct store *s = open_ok(NULL, STORE_IN_MEMORY);
	const struct durable *d = store_durable(s);
	struct store_sync_stats st;
	struct cd_err err = {0};

	(void)state;
	assert_int_equal(store_group_commit(s, l, &err), 0);
	put_str(s, "app/a", "1");
	assert_int_equal(d->pending(d->ctx), 0);
	store_sync_stats(s, &st);
	assert_int_equal(st.commits, 1);
	assert_int_equal(st.syncs, 0);
	store_close(s);
	loop_free(l);
}

static int
copy_key(const char *key, const void *val, size_t len, void *arg)
{
	struct store *s = arg;
	char k[64];

	snprintf(k, sizeof k, "seen/%s", key);
	return store_put(s, STORE_DB_SCHED, k, val, len);
}

/* Reads, iterations and writes from an iteration's callback, in a pass. */
static void
test_group_reads(void **state)
{
	char dir[256];
	struct loop *l = loop_new();
	struct store *s;
	struct store_sync_stats st;
	struct cd_err err = {0};
	struct buf v = BUF_INIT;

	(void)state;
	assert_int_equal(ut_tmpdir(dir, sizeof dir, "test_store_sync"), 0);
	s = open_ok(dir, 0);
	assert_int_equal(store_group_commit(s, l, &err), 0);
	put_str(s, "app/a", "1");
	put_str(s, "app/b", "2");
	assert_int_equal(store_iter(s, STORE_DB_SCHED, "app/", copy_key, s), 0);
	assert_int_equal(store_get(s, STORE_DB_SCHED, "seen/app/b", &v), 0);
	assert_string_equal(buf_str(&v), "2");
	store_sync_stats(s, &st);
	assert_int_equal(st.commits, 4);
	assert_int_equal(st.syncs, 0);
	ut_spin(l, 20);
	store_sync_stats(s, &st);
	assert_int_equal(st.syncs, 1);
	assert_int_equal(st.pending, 0);
	store_close(s);
	s = open_ok(dir, 0);
	assert_int_equal(store_get(s, STORE_DB_SCHED, "seen/app/a", &v), 0);
	assert_string_equal(buf_str(&v), "1");
	store_close(s);
	buf_release(&v);
	loop_free(l);
	ut_rm_rf(dir);
}

/* A burst of batches in one pass: committed early, nothing lost. */
static void
test_group_burst(void **state)
{
	char dir[256], key[32];
	struct loop *l = loop_new();
	struct store *s;
	struct store_sync_stats st;
	struct cd_err err = {0};
	struct buf v = BUF_INIT;
	uint64_t syncs;
	int i;

	(void)state;
	assert_int_equal(ut_tmpdir(dir, sizeof dir, "test_store_sync"), 0);
	s = open_ok(dir, 0);
	assert_int_equal(store_group_commit(s, l, &err), 0);
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof key, "app/%d", i);
		put_str(s, key, "x");
	}
	store_sync_stats(s, &st);
	assert_int_equal(st.commits, 3000);
	/*
	 * Early, at 1,024 batches or once the pass's bound on new pages
	 * reaches 16 MiB, whichever comes first: still hundreds of batches
	 * a sync.
	 */
	assert_true(st.syncs >= 2);
	assert_true(st.syncs <= 3000 / 256);
	syncs = st.syncs;
	ut_spin(l, 20);
	store_sync_stats(s, &st);
	assert_int_equal(st.syncs, syncs + 1);
	assert_int_equal(st.pending, 0);
	store_close(s);
	s = open_ok(dir, 0);
	assert_int_equal(store_get(s, STORE_DB_SCHED, "app/2999", &v), 0);
	store_close(s);
	buf_release(&v);
	loop_free(l);
	ut_rm_rf(dir);
}

/* A child that dies (as kill -9 would) before its pass commits. */
static void
test_group_crash(void **state)
{
	char dir[256];
	struct store *s;
	struct buf v = BUF_INIT;
	int status;
	pid_t pid;

	(void)state;
	assert_int_equal(ut_tmpdir(dir, sizeof dir, "test_store_sync"), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct loop *l = loop_new();
		struct cd_err err = {0};

		s = open_ok(dir, 0);
		if (store_group_commit(s, l, &err) != 0)
			_exit(2);
		put_str(s, "app/kept", "1");
		ut_spin(l, 20); /* the pass commits */
		put_str(s, "app/lost", "2");
		_exit(0); /* its pass never commits */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	s = open_ok(dir, 0);
	assert_int_equal(store_get(s, STORE_DB_SCHED, "app/kept", &v), 0);
	assert_int_equal(store_get(s, STORE_DB_SCHED, "app/lost", &v), -ENOENT);
	/* The dead writer's lock is free again. */
	put_str(s, "app/after", "3");
	store_close(s);
	buf_release(&v);
	ut_rm_rf(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_synchronous),
	    cmocka_unit_test(test_group),
	    cmocka_unit_test(test_in_memory),
	    cmocka_unit_test(test_group_reads),
	    cmocka_unit_test(test_group_burst),
	    cmocka_unit_test(test_group_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
