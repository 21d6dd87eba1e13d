/*
 * test_store.c: lib/store on a real LMDB environment in a mkdtemp
 * directory: put/get/del, prefix iteration, batches, reopen, schema
 * check, in-memory mode and two processes sharing one work_dir; the sink
 * hook of lib/zkstore: what it sees of each committed batch, in order, with
 * "existed" and sequence numbers, and a put it refuses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/store.h"
#include "tests/unit/unit_util.h"

struct fixture {
	char dir[256];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (ut_tmpdir(f->dir, sizeof f->dir, "test_store") != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ut_rm_rf(f->dir);
	free(f);
	return 0;
}

static struct store *
open_ok(const char *dir, int flags)
{
	struct store *s = NULL;
	struct cd_err err = {0};
	int rc = store_open(dir, flags, &s, &err);

	if (rc != 0)
		fprintf(stderr, "store_open: %s\n", err.msg);
	assert_int_equal(rc, 0);
	assert_non_null(s);
	return s;
}

static void
put_str(struct store *s, enum store_db db, const char *k, const char *v)
{
	assert_int_equal(store_put(s, db, k, v, strlen(v)), 0);
}

static void
test_put_get_del(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, 0);
	struct buf b = BUF_INIT;
	struct stat st;
	char path[512];

	snprintf(path, sizeof path, "%s/clusterd.lmdb", f->dir);
	assert_int_equal(stat(path, &st), 0);

	assert_int_equal(store_get(s, STORE_DB_MASTER, "master_id", &b),
			 -ENOENT);
	put_str(s, STORE_DB_MASTER, "master_id", "m1");
	assert_int_equal(store_get(s, STORE_DB_MASTER, "master_id", &b), 0);
	assert_string_equal(buf_str(&b), "m1");
	assert_int_equal(b.len, 2);
	/* Databases are separate namespaces. */
	assert_int_equal(store_get(s, STORE_DB_SCHED, "master_id", &b),
			 -ENOENT);
	assert_int_equal(b.len, 0);
	/* Overwrite, binary values. */
	assert_int_equal(store_put(s, STORE_DB_MASTER, "master_id", "a\0b", 3),
			 0);
	assert_int_equal(store_get(s, STORE_DB_MASTER, "master_id", &b), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 3);
	/* Empty value. */
	assert_int_equal(store_put(s, STORE_DB_AGENT, "agent_id", "", 0), 0);
	assert_int_equal(store_get(s, STORE_DB_AGENT, "agent_id", &b), 0);
	assert_int_equal(b.len, 0);

	assert_int_equal(store_del(s, STORE_DB_MASTER, "master_id"), 0);
	assert_int_equal(store_get(s, STORE_DB_MASTER, "master_id", &b),
			 -ENOENT);
	/* Deleting an absent key is fine. */
	assert_int_equal(store_del(s, STORE_DB_MASTER, "master_id"), 0);
	/* Bad keys. */
	assert_int_equal(store_put(s, STORE_DB_MASTER, "", "x", 1), -EINVAL);
	assert_int_equal(store_get(s, STORE_DB_META, "schema_version", &b), 0);
	assert_string_equal(buf_str(&b), "2");

	buf_release(&b);
	store_close(s);
}

struct collect {
	struct buf keys;
	int stop_after;
	int n;
};

static int
collect_fn(const char *key, const void *val, size_t len, void *arg)
{
	struct collect *c = arg;

	buf_printf(&c->keys, "%s=%.*s;", key, (int)len, (const char *)val);
	if (++c->n == c->stop_after)
		return 7;
	return 0;
}

static void
test_iter_prefix(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, 0);
	struct collect c = {BUF_INIT, 0, 0};

	put_str(s, STORE_DB_SCHED, "app/b", "2");
	put_str(s, STORE_DB_SCHED, "app/a", "1");
	put_str(s, STORE_DB_SCHED, "appver/a/1", "v");
	put_str(s, STORE_DB_SCHED, "task/t1", "t");
	put_str(s, STORE_DB_SCHED, "ap", "x");

	assert_int_equal(store_iter(s, STORE_DB_SCHED, "app/", collect_fn, &c),
			 0);
	assert_string_equal(buf_str(&c.keys), "app/a=1;app/b=2;");

	buf_reset(&c.keys);
	assert_int_equal(store_iter(s, STORE_DB_SCHED, "", collect_fn, &c), 0);
	assert_string_equal(buf_str(&c.keys),
			    "ap=x;app/a=1;app/b=2;appver/a/1=v;task/t1=t;");

	buf_reset(&c.keys);
	assert_int_equal(store_iter(s, STORE_DB_SCHED, "zzz", collect_fn, &c),
			 0);
	assert_string_equal(buf_str(&c.keys), "");
	assert_int_equal(store_iter(s, STORE_DB_MASTER, "app/", collect_fn, &c),
			 0);
	assert_string_equal(buf_str(&c.keys), "");

	/* A non-zero return stops the walk and is passed back. */
	c.n = 0;
	c.stop_after = 2;
	assert_int_equal(store_iter(s, STORE_DB_SCHED, "app", collect_fn, &c),
			 7);
	assert_string_equal(buf_str(&c.keys), "app/a=1;app/b=2;");

	buf_release(&c.keys);
	store_close(s);
}

static void
test_batch(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, 0);
	struct store_batch *b, *b2;
	struct buf v = BUF_INIT;

	put_str(s, STORE_DB_AGENT, "update/t0", "old");
	b = store_batch_begin(s);
	assert_int_equal(store_batch_put(b, STORE_DB_AGENT, "task/t1", "a", 1),
			 0);
	assert_int_equal(
	    store_batch_put(b, STORE_DB_AGENT, "update/t1", "u", 1), 0);
	assert_int_equal(store_batch_del(b, STORE_DB_AGENT, "update/t0"), 0);
	/* Not visible before commit; nested writes are refused, not hung. */
	assert_int_equal(store_get(s, STORE_DB_AGENT, "task/t1", &v), -ENOENT);
	assert_int_equal(store_put(s, STORE_DB_AGENT, "x", "y", 1), -EBUSY);
	b2 = store_batch_begin(s);
	assert_int_equal(store_batch_put(b2, STORE_DB_AGENT, "x", "y", 1),
			 -EBUSY);
	assert_int_equal(store_batch_commit(b2), -EBUSY);
	assert_int_equal(store_batch_commit(b), 0);
	assert_int_equal(store_get(s, STORE_DB_AGENT, "task/t1", &v), 0);
	assert_string_equal(buf_str(&v), "a");
	assert_int_equal(store_get(s, STORE_DB_AGENT, "update/t0", &v),
			 -ENOENT);

	/* Abort discards everything. */
	b = store_batch_begin(s);
	assert_int_equal(store_batch_put(b, STORE_DB_AGENT, "task/t2", "b", 1),
			 0);
	store_batch_abort(b);
	assert_int_equal(store_get(s, STORE_DB_AGENT, "task/t2", &v), -ENOENT);

	/* A failed write makes the commit fail and write nothing. */
	b = store_batch_begin(s);
	assert_int_equal(store_batch_put(b, STORE_DB_AGENT, "task/t3", "c", 1),
			 0);
	assert_int_equal(store_batch_put(b, STORE_DB_AGENT, "", "c", 1),
			 -EINVAL);
	assert_int_equal(store_batch_commit(b), -EINVAL);
	assert_int_equal(store_get(s, STORE_DB_AGENT, "task/t3", &v), -ENOENT);
	/* And the store is writable again. */
	put_str(s, STORE_DB_AGENT, "x", "y");

	buf_release(&v);
	store_close(s);
}

static void
test_reopen_keeps_data(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, 0), *s2;
	struct buf v = BUF_INIT;

	put_str(s, STORE_DB_MASTER, "agent/a1", "{\"id\":\"a1\"}");
	/* A second open in the same process shares the environment. */
	s2 = open_ok(f->dir, 0);
	assert_int_equal(store_get(s2, STORE_DB_MASTER, "agent/a1", &v), 0);
	store_close(s2);
	put_str(s, STORE_DB_MASTER, "next_agent_seq", "2");
	store_close(s);

	s = open_ok(f->dir, 0);
	assert_int_equal(store_get(s, STORE_DB_MASTER, "agent/a1", &v), 0);
	assert_string_equal(buf_str(&v), "{\"id\":\"a1\"}");
	assert_int_equal(store_get(s, STORE_DB_MASTER, "next_agent_seq", &v),
			 0);
	assert_string_equal(buf_str(&v), "2");
	buf_release(&v);
	store_close(s);
}

static void
test_schema_mismatch(void **state)
{
	struct fixture *f = *state;
	/* Newer than this clusterd reads, and garbage: refused, not rewritten.
	 */
	static const char *const bad[] = {"3", "abc", "0", ""};
	struct cd_err err = {0};
	char sub[512];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct store *s;

		snprintf(sub, sizeof sub, "%s/v%zu", f->dir, i);
		s = open_ok(sub, 0);
		put_str(s, STORE_DB_META, "schema_version", bad[i]);
		store_close(s);
		s = NULL;
		assert_int_equal(store_open(sub, 0, &s, &err), -EPROTO);
		assert_null(s);
		assert_non_null(strstr(err.msg, "schema_version"));
	}
}

/*
 * A version 1 store (what clusterd wrote before the key registry) opens:
 * it is migrated to version 2 with every record intact, once.
 */
static void
test_schema_migrate_1(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, 0);
	struct buf b = BUF_INIT;

	put_str(s, STORE_DB_META, "schema_version", "1");
	put_str(s, STORE_DB_SCHED, "app/x", "{\"id\":\"/x\"}");
	put_str(s, STORE_DB_SCHED, "deploy/d1", "{}");
	put_str(s, STORE_DB_MASTER, "task/t1", "{}");
	put_str(s, STORE_DB_AGENT, "agent_id", "a1");
	store_close(s);
	s = open_ok(f->dir, 0);
	assert_int_equal(store_get(s, STORE_DB_META, "schema_version", &b), 0);
	assert_string_equal(buf_str(&b), "2");
	assert_int_equal(store_get(s, STORE_DB_SCHED, "app/x", &b), 0);
	assert_string_equal(buf_str(&b), "{\"id\":\"/x\"}");
	assert_int_equal(store_get(s, STORE_DB_SCHED, "deploy/d1", &b), 0);
	assert_int_equal(store_get(s, STORE_DB_MASTER, "task/t1", &b), 0);
	assert_int_equal(store_get(s, STORE_DB_AGENT, "agent_id", &b), 0);
	assert_string_equal(buf_str(&b), "a1");
	store_close(s);
	/* And it stays at 2 on the next open. */
	s = open_ok(f->dir, 0);
	assert_int_equal(store_get(s, STORE_DB_META, "schema_version", &b), 0);
	assert_string_equal(buf_str(&b), "2");
	buf_release(&b);
	store_close(s);
}

static void
test_creates_missing_dir(void **state)
{
	struct fixture *f = *state;
	char sub[512];
	struct store *s;

	snprintf(sub, sizeof sub, "%s/a/b/c", f->dir);
	s = open_ok(sub, 0);
	put_str(s, STORE_DB_META, "k", "v");
	store_close(s);
}

static void
test_in_memory(void **state)
{
	struct fixture *f = *state;
	char old[256];
	const char *prev = getenv("TMPDIR");
	struct store *s, *s2;
	struct buf v = BUF_INIT;
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(old, sizeof old, "%s", prev != NULL ? prev : "");
	setenv("TMPDIR", f->dir, 1);
	s = open_ok(NULL, STORE_IN_MEMORY);
	s2 = open_ok(NULL, STORE_IN_MEMORY);
	if (old[0] != '\0')
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");

	/* Two in-memory stores are independent. */
	put_str(s, STORE_DB_SCHED, "framework_id", "f1");
	assert_int_equal(store_get(s, STORE_DB_SCHED, "framework_id", &v), 0);
	assert_int_equal(store_get(s2, STORE_DB_SCHED, "framework_id", &v),
			 -ENOENT);

	d = opendir(f->dir);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "clusterd-mem-", 13) == 0)
			n++;
	closedir(d);
	assert_int_equal(n, 2);

	store_close(s);
	store_close(s2);
	/* Both directories are gone. */
	d = opendir(f->dir);
	n = 0;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	assert_int_equal(n, 0);
	buf_release(&v);
}

struct timing {
	int calls;
	double total;
};

static void
on_commit(void *arg, double secs)
{
	struct timing *t = arg;

	t->calls++;
	t->total += secs;
}

/* The timing hook sees each commit, not an aborted or failed batch. */
static void
test_timing(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, 0);
	struct timing t = {0, 0};
	struct store_batch *b;

	store_set_timing(s, on_commit, &t);
	put_str(s, STORE_DB_META, "a", "1");
	b = store_batch_begin(s);
	store_batch_put(b, STORE_DB_META, "b", "2", 1);
	store_batch_put(b, STORE_DB_META, "c", "3", 1);
	assert_int_equal(store_batch_commit(b), 0);
	assert_int_equal(t.calls, 2);
	assert_true(t.total >= 0);
	b = store_batch_begin(s);
	store_batch_put(b, STORE_DB_META, "d", "4", 1);
	store_batch_abort(b);
	assert_int_equal(t.calls, 2);
	store_set_timing(s, NULL, NULL);
	put_str(s, STORE_DB_META, "e", "5");
	assert_int_equal(t.calls, 2);
	store_close(s);
}

static void
test_two_processes(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, 0);
	struct buf v = BUF_INIT;
	pid_t pid;
	int status;

	put_str(s, STORE_DB_MASTER, "master_id", "m1");
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		/* LMDB handles must not cross fork(): the agent is a fresh
		 * process image doing its own open of the same work_dir. */
		execl("/proc/self/exe", "test_store", "--child", f->dir,
		      (char *)NULL);
		_exit(4);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The parent, still open, sees the child's commit. */
	assert_int_equal(store_get(s, STORE_DB_AGENT, "agent_id", &v), 0);
	assert_string_equal(buf_str(&v), "a1");
	put_str(s, STORE_DB_MASTER, "master_id", "m2");
	buf_release(&v);
	store_close(s);
}

/* The other process of test_two_processes. */
static int
child_main(const char *dir)
{
	struct store *c = NULL;
	struct buf cv = BUF_INIT;
	int ok;

	if (store_open(dir, 0, &c, NULL) != 0)
		return 2;
	ok = store_get(c, STORE_DB_MASTER, "master_id", &cv) == 0 &&
	     strcmp(buf_str(&cv), "m1") == 0 &&
	     store_put(c, STORE_DB_AGENT, "agent_id", "a1", 2) == 0;
	buf_release(&cv);
	store_close(c);
	return ok ? 0 : 3;
}

struct sink_log {
	uint64_t seqs[16];
	size_t nbatches;
	char lines[64][64]; /* "db:key=val" ("!" when new), or "db:key-" */
	size_t nlines;
};

static int
sink_check(enum store_db db, const char *key, const void *val, size_t len,
	   void *arg)
{
	(void)db;
	(void)key;
	(void)val;
	(void)arg;
	return len > 10 ? -EMSGSIZE : 0;
}

static void
sink_commit(uint64_t seq, const struct store_change *c, size_t n, void *arg)
{
	struct sink_log *log = arg;
	size_t i;

	log->seqs[log->nbatches++] = seq;
	for (i = 0; i < n; i++) {
		if (c[i].val != NULL)
			snprintf(log->lines[log->nlines++], 64, "%d:%s=%.*s%s",
				 (int)c[i].db, c[i].key, (int)c[i].len,
				 (const char *)c[i].val,
				 c[i].existed ? "" : "!");
		else
			snprintf(log->lines[log->nlines++], 64, "%d:%s-",
				 (int)c[i].db, c[i].key);
	}
}

static void
test_sink(void **state)
{
	struct fixture *f = *state;
	struct store *s = open_ok(f->dir, STORE_IN_MEMORY);
	struct sink_log log = {0};
	struct store_sink sink = {
	    .dbs = 1u << STORE_DB_MASTER | 1u << STORE_DB_SCHED,
	    .check = sink_check,
	    .commit = sink_commit,
	    .arg = &log,
	};
	struct store_batch *b;
	struct buf v = BUF_INIT;

	/* Before a sink: nothing numbered. */
	put_str(s, STORE_DB_SCHED, "app/a", "0");
	assert_int_equal(store_seq(s), 0);
	store_set_sink(s, &sink);

	put_str(s, STORE_DB_SCHED, "app/a", "1");
	put_str(s, STORE_DB_SCHED, "app/b", "2");
	/* Not a database the sink sees. */
	put_str(s, STORE_DB_AGENT, "task/x", "3");
	assert_int_equal(store_seq(s), 2);

	b = store_batch_begin(s);
	assert_int_equal(store_batch_put(b, STORE_DB_MASTER, "agent/1", "a", 1),
			 0);
	assert_int_equal(store_batch_put(b, STORE_DB_MASTER, "agent/1", "b", 1),
			 0);
	assert_int_equal(store_batch_del(b, STORE_DB_SCHED, "app/a"), 0);
	/* A delete of an absent key is not a change. */
	assert_int_equal(store_batch_del(b, STORE_DB_SCHED, "app/zz"), 0);
	assert_int_equal(store_batch_commit(b), 0);
	assert_int_equal(store_seq(s), 3);

	/* Refused by check: the whole batch fails, nothing reaches either. */
	b = store_batch_begin(s);
	assert_int_equal(store_batch_put(b, STORE_DB_SCHED, "app/c", "ok", 2),
			 0);
	assert_int_equal(
	    store_batch_put(b, STORE_DB_SCHED, "app/d", "much too long", 13),
	    -EMSGSIZE);
	assert_int_equal(store_batch_commit(b), -EMSGSIZE);
	assert_int_equal(store_get(s, STORE_DB_SCHED, "app/c", &v), -ENOENT);
	/* An aborted batch reaches nothing either. */
	b = store_batch_begin(s);
	assert_int_equal(store_batch_put(b, STORE_DB_SCHED, "app/e", "x", 1),
			 0);
	store_batch_abort(b);
	/* A clear is never handed over. */
	b = store_batch_begin(s);
	assert_int_equal(store_batch_clear(b, STORE_DB_MASTER), 0);
	assert_int_equal(store_batch_commit(b), 0);
	assert_int_equal(store_get(s, STORE_DB_MASTER, "agent/1", &v), -ENOENT);
	assert_int_equal(store_seq(s), 3);

	assert_int_equal(log.nbatches, 3);
	assert_int_equal(log.seqs[0], 1);
	assert_int_equal(log.seqs[2], 3);
	assert_int_equal(log.nlines, 5);
	assert_string_equal(log.lines[0], "2:app/a=1");
	assert_string_equal(log.lines[1], "2:app/b=2!");
	assert_string_equal(log.lines[2], "1:agent/1=a!");
	assert_string_equal(log.lines[3], "1:agent/1=b");
	assert_string_equal(log.lines[4], "2:app/a-");

	store_set_sink(s, NULL);
	put_str(s, STORE_DB_SCHED, "app/f", "4");
	assert_int_equal(log.nbatches, 3);
	assert_int_equal(store_seq(s), 3);
	buf_release(&v);
	store_close(s);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_put_get_del, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_iter_prefix, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_schema_migrate_1, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_schema_mismatch, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_creates_missing_dir, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_in_memory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_timing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_processes, setup,
					    teardown),
	};

	if (argc == 3 && strcmp(argv[1], "--child") == 0)
		return child_main(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
