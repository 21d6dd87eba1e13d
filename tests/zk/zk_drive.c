/*
 * zk_drive.c: drives lib/zk, lib/leader and lib/zkstore on a real loop
 * against a real ZooKeeper, for tests/it/test_t6_zk_*.py. Not part of the
 * binary; built by `make zk-drive` into $(BUILD)/tests/zk/zk_drive.
 *
 *   zk_drive --zk=zk://h:p,.../path [--id=NAME] [--session_timeout=MS]
 *            [--elect] [--detect] [--store] [--ip=IP] [--port=N]
 *            [--http_port=N]
 *
 * Events go to stdout, one JSON object per line (flushed): "session",
 * "elected", "deposed", "leader", "ready", "durable", "failed", and one
 * answer per command. Commands come on stdin, one per line:
 *   status                       leading, znode, connected, session
 *   ls PATH                      children of a znode
 *   zget PATH                    a znode's data, as a JSON string
 *   zdelete PATH                 delete a znode behind everyone's back
 *   abdicate
 *   put DB KEY VALUE             one committed batch (DB: master|sched)
 *   putz DB KEY N                a value of N compressible bytes
 *   putrand DB KEY N             a value of N incompressible bytes
 *   del DB KEY
 *   burst N                      N batches of one put each, at once
 *   batch N SIZE                 one batch of N incompressible values
 *   fill N SIZE                  N batches of one app-like record each
 *   dump                         sha1-like digest and count of the cache
 *   get DB KEY
 *   stats                        the store sink's counters
 *   quit
 * The log (lib/log) goes to stderr. EOF on stdin quits, as SIGTERM does.
 * A fault build (make FAULT=1, $(FAULT_DIR)/tests/zk/zk_drive) arms the
 * points of lib/fault from CLUSTERD_FAULTS, as clusterd does.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#define LOG_MOD "zk_drive"
#include "lib/buf.h"
#include "lib/fault.h"
#include "lib/leader.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/store.h"
#include "lib/xalloc.h"
#include "lib/zk.h"
#include "lib/zk_url.h"
#include "lib/zkstore.h"

struct drive {
	struct loop *l;
	struct zk *zk;
	struct zk_url url;
	struct leader_elect *elect;
	struct leader_detect *detect;
	struct event *in_ev;
	struct buf in;
	char *id;
	struct store *st;
	struct zkstore *zs;
	int fill_left; /* "fill": writes not yet durable */
	int fill_failed;
	uint64_t fill_start;
};

static void emit(const char *fmt, ...) CD_PRINTF(1, 2);

static void emit(const char *fmt, ...) CD_PRINTF(1, 2);

static void
emit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static const char *
opt(int argc, char **argv, const char *name, const char *def)
{
	size_t n = strlen(name);
	int i;

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=')
			return argv[i] + n + 1;
		if (strcmp(argv[i], name) == 0)
			return "";
	}
	return def;
}

static void
on_session(struct zk *zk, enum zk_session_event ev, bool new_session, void *arg)
{
	static const char *const names[] = {"connected", "disconnected",
					    "lost"};

	(void)arg;
	emit("{\"ev\":\"session\",\"state\":\"%s\",\"new\":%s,"
	     "\"session\":\"0x%" PRIx64 "\"}",
	     names[ev], new_session ? "true" : "false",
	     (uint64_t)zk_session_id(zk));
}

static void
on_elect(struct leader_elect *e, bool leading, void *arg)
{
	struct drive *d = arg;
	const char *path;
	int version;

	if (leading)
		emit("{\"ev\":\"elected\",\"znode\":\"%s\"}",
		     leader_elect_znode(e));
	else
		emit("{\"ev\":\"deposed\"}");
	if (d->zs == NULL)
		return;
	if (leading && leader_elect_fence(e, &path, &version) == 0)
		zkstore_activate(d->zs, path, version);
	else if (!leading)
		zkstore_deactivate(d->zs);
}

static void
on_zs(struct zkstore *zs, enum zkstore_event ev, int rc, void *arg)
{
	struct drive *d = arg;
	struct zkstore_stats st;

	if (ev == ZKSTORE_READY) {
		zkstore_stats(zs, &st);
		emit("{\"ev\":\"ready\",\"records\":%llu,\"ms\":%llu}",
		     (unsigned long long)st.loaded,
		     (unsigned long long)st.load_ms);
		return;
	}
	emit("{\"ev\":\"store_failed\",\"rc\":%d}", rc);
	/* What the master will do: step down, and load again when elected. */
	if (d->elect != NULL && leader_elect_leading(d->elect))
		leader_elect_abdicate(d->elect);
	else
		zkstore_deactivate(zs);
}

static void
on_detect(struct leader_detect *d, const struct leader_info *li, void *arg)
{
	(void)d;
	(void)arg;
	if (li == NULL)
		emit("{\"ev\":\"leader\",\"none\":true}");
	else
		emit("{\"ev\":\"leader\",\"id\":\"%s\",\"ip\":\"%s\","
		     "\"port\":%d,\"http_port\":%d,\"hostname\":\"%s\"}",
		     li->id, li->ip, li->port, li->http_port, li->hostname);
}

static void
on_ls(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct buf b = BUF_INIT;
	size_t i;

	(void)zk;
	(void)arg;
	buf_printf(&b, "{\"ev\":\"ls\",\"rc\":%d,\"children\":[", r->rc);
	for (i = 0; i < r->nchildren; i++)
		buf_printf(&b, "%s\"%s\"", i > 0 ? "," : "", r->children[i]);
	buf_puts(&b, "]}");
	emit("%s", buf_str(&b));
	buf_release(&b);
}

static uint64_t
digest(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static enum store_db
db_of(const char *s)
{
	return s != NULL && strcmp(s, "master") == 0 ? STORE_DB_MASTER
						     : STORE_DB_SCHED;
}

static void
on_durable(uint64_t seq, int rc, void *arg)
{
	(void)arg;
	emit("{\"ev\":\"durable\",\"seq\":%llu,\"rc\":%d}",
	     (unsigned long long)seq, rc);
}

static void
on_fill_durable(uint64_t seq, int rc, void *arg)
{
	struct drive *d = arg;
	struct zkstore_stats st;

	(void)seq;
	if (rc != 0)
		d->fill_failed++;
	if (--d->fill_left > 0)
		return;
	zkstore_stats(d->zs, &st);
	emit("{\"ev\":\"filled\",\"failed\":%d,\"ms\":%llu,"
	     "\"multis\":%llu}",
	     d->fill_failed,
	     (unsigned long long)(loop_now_ms(d->l) - d->fill_start),
	     (unsigned long long)st.multis);
}

/* Commit one put or delete and report its sequence; wait if asked. */
static void
write_one(struct drive *d, enum store_db db, const char *key, const void *v,
	  size_t len, bool del, zkstore_durable_fn *fn)
{
	int rc =
	    del ? store_del(d->st, db, key) : store_put(d->st, db, key, v, len);
	uint64_t seq = store_seq(d->st);

	if (fn == on_durable)
		emit("{\"ev\":\"committed\",\"key\":\"%s\",\"seq\":%llu,"
		     "\"rc\":%d}",
		     key, (unsigned long long)seq, rc);
	if (rc != 0) {
		if (fn != on_durable)
			fn(seq, rc, d);
		return;
	}
	if ((rc = zkstore_wait(d->zs, seq, fn, d)) != 0)
		fn(seq, rc, d);
}

static char *
make_value(const char *kind, size_t n, const char *key)
{
	static const char pattern[] =
	    "{\"app\": \"/prod/web\", \"cpus\": 0.5}, ";
	char *v = xmalloc(n + 1);
	uint64_t x = digest(0xcbf29ce484222325ull, key, strlen(key)) | 1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(kind, "putz") == 0) {
			v[i] = pattern[i % (sizeof pattern - 1)];
		} else {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			v[i] = (char)(x >> 24);
		}
	}
	v[n] = '\0';
	return v;
}

static int
dump_one(const char *key, const void *val, size_t len, void *arg)
{
	uint64_t *h = arg;

	h[0] = digest(h[0], key, strlen(key) + 1);
	h[0] = digest(h[0], val, len);
	h[0] = digest(h[0], "", 1);
	h[1]++;
	return 0;
}

static void
store_command(struct drive *d, const char *verb, char *a1, char *rest)
{
	char *key = rest != NULL ? strtok_r(rest, " ", &rest) : NULL;
	uint64_t h[2] = {0xcbf29ce484222325ull, 0};
	struct zkstore_stats st;
	struct buf b = BUF_INIT;
	char k[64], *v;
	int i, n;

	if (strcmp(verb, "put") == 0 && key != NULL) {
		write_one(d, db_of(a1), key, rest != NULL ? rest : "",
			  rest != NULL ? strlen(rest) : 0, false, on_durable);
	} else if ((strcmp(verb, "putz") == 0 ||
		    strcmp(verb, "putrand") == 0) &&
		   key != NULL && rest != NULL) {
		v = make_value(verb, (size_t)atol(rest), key);
		write_one(d, db_of(a1), key, v, (size_t)atol(rest), false,
			  on_durable);
		free(v);
	} else if (strcmp(verb, "del") == 0 && key != NULL) {
		write_one(d, db_of(a1), key, NULL, 0, true, on_durable);
	} else if (strcmp(verb, "burst") == 0 && a1 != NULL) {
		for (i = 0, n = atoi(a1); i < n; i++) {
			snprintf(k, sizeof k, "task/burst-%05d", i);
			write_one(d, STORE_DB_SCHED, k, k, strlen(k), false,
				  on_durable);
		}
	} else if (strcmp(verb, "batch") == 0 && a1 != NULL && key != NULL) {
		struct store_batch *sb = store_batch_begin(d->st);

		for (i = 0, n = atoi(a1); i < n; i++) {
			snprintf(k, sizeof k, "task/batch-%05d", i);
			v = make_value("putrand", (size_t)atol(key), k);
			store_batch_put(sb, STORE_DB_SCHED, k, v,
					(size_t)atol(key));
			free(v);
		}
		i = store_batch_commit(sb);
		emit("{\"ev\":\"committed\",\"key\":\"batch\",\"seq\":%llu,"
		     "\"rc\":%d}",
		     (unsigned long long)store_seq(d->st), i);
		if (i == 0 &&
		    zkstore_wait(d->zs, store_seq(d->st), on_durable, d) != 0)
			on_durable(store_seq(d->st), -EINVAL, d);
	} else if (strcmp(verb, "fill") == 0 && a1 != NULL && key != NULL) {
		n = atoi(a1);
		d->fill_left = n;
		d->fill_failed = 0;
		d->fill_start = loop_now_ms(d->l);
		for (i = 0; i < n; i++) {
			snprintf(k, sizeof k, "app//fill/app-%05d", i);
			v = make_value("putz", (size_t)atol(key), k);
			write_one(d, STORE_DB_SCHED, k, v, strlen(v), false,
				  on_fill_durable);
			free(v);
		}
	} else if (strcmp(verb, "dump") == 0) {
		store_iter(d->st, STORE_DB_MASTER, "", dump_one, h);
		h[0] = digest(h[0], "|", 1);
		store_iter(d->st, STORE_DB_SCHED, "", dump_one, h);
		emit("{\"ev\":\"dump\",\"count\":%llu,\"digest\":\"%016llx\"}",
		     (unsigned long long)h[1], (unsigned long long)h[0]);
	} else if (strcmp(verb, "get") == 0 && key != NULL) {
		i = store_get(d->st, db_of(a1), key, &b);
		emit("{\"ev\":\"value\",\"rc\":%d,\"len\":%zu,"
		     "\"digest\":\"%016llx\"}",
		     i, b.len,
		     (unsigned long long)digest(0xcbf29ce484222325ull, b.data,
						b.len));
	} else if (strcmp(verb, "stats") == 0) {
		zkstore_stats(d->zs, &st);
		emit("{\"ev\":\"stats\",\"batches\":%llu,\"multis\":%llu,"
		     "\"ops\":%llu,\"coalesced\":%llu,\"splits\":%llu,"
		     "\"resent\":%llu,\"compressed\":%llu,\"max_ops\":%zu,"
		     "\"max_bytes\":%zu,\"loaded\":%llu,\"load_ms\":%llu,"
		     "\"durable\":%llu,\"seq\":%llu}",
		     (unsigned long long)st.batches,
		     (unsigned long long)st.multis, (unsigned long long)st.ops,
		     (unsigned long long)st.coalesced,
		     (unsigned long long)st.splits,
		     (unsigned long long)st.resent,
		     (unsigned long long)st.compressed, st.max_ops,
		     st.max_bytes, (unsigned long long)st.loaded,
		     (unsigned long long)st.load_ms,
		     (unsigned long long)zkstore_durable(d->zs),
		     (unsigned long long)store_seq(d->st));
	} else {
		emit("{\"ev\":\"error\",\"what\":\"bad store command %s\"}",
		     verb);
	}
	buf_release(&b);
}

static void
on_zget(struct zk *zk, const struct zk_result *r, void *arg)
{
	json_t *v =
	    json_stringn_nocheck(r->data != NULL ? r->data : "", r->len);
	char *text = json_dumps(v, JSON_ENCODE_ANY);

	(void)zk;
	(void)arg;
	emit("{\"ev\":\"zget\",\"rc\":%d,\"data\":%s}", r->rc,
	     text != NULL ? text : "null");
	free(text);
	json_decref(v);
}

static void
on_zdelete(struct zk *zk, const struct zk_result *r, void *arg)
{
	(void)zk;
	(void)arg;
	emit("{\"ev\":\"zdelete\",\"rc\":%d}", r->rc);
}

static void
command(struct drive *d, char *line)
{
	char *verb = strtok_r(line, " ", &line);
	char *a1 = verb != NULL ? strtok_r(NULL, " ", &line) : NULL;
	int rc;

	if (verb == NULL)
		return;
	if (strcmp(verb, "quit") == 0) {
		loop_stop(d->l);
	} else if (strcmp(verb, "status") == 0) {
		emit("{\"ev\":\"status\",\"leading\":%s,\"znode\":\"%s\","
		     "\"connected\":%s,\"session\":\"0x%" PRIx64 "\"}",
		     d->elect != NULL && leader_elect_leading(d->elect)
			 ? "true"
			 : "false",
		     d->elect != NULL && leader_elect_znode(d->elect) != NULL
			 ? leader_elect_znode(d->elect)
			 : "",
		     zk_connected(d->zk) ? "true" : "false",
		     (uint64_t)zk_session_id(d->zk));
	} else if (strcmp(verb, "ls") == 0 && a1 != NULL) {
		rc = zk_get_children(d->zk, a1, NULL, NULL, on_ls, d);
		if (rc != 0)
			emit("{\"ev\":\"ls\",\"rc\":%d,\"children\":[]}", rc);
	} else if (strcmp(verb, "zget") == 0 && a1 != NULL) {
		if ((rc = zk_get(d->zk, a1, NULL, NULL, on_zget, d)) != 0)
			emit("{\"ev\":\"zget\",\"rc\":%d}", rc);
	} else if (strcmp(verb, "zdelete") == 0 && a1 != NULL) {
		if ((rc = zk_delete(d->zk, a1, -1, on_zdelete, d)) != 0)
			emit("{\"ev\":\"zdelete\",\"rc\":%d}", rc);
	} else if (strcmp(verb, "abdicate") == 0) {
		rc =
		    d->elect != NULL ? leader_elect_abdicate(d->elect) : -EPERM;
		emit("{\"ev\":\"abdicate\",\"rc\":%d}", rc);
	} else if (d->zs != NULL) {
		store_command(d, verb, a1, line);
	} else {
		emit("{\"ev\":\"error\",\"what\":\"unknown command %s\"}",
		     verb);
	}
}

static void
on_stdin(evutil_socket_t fd, short what, void *arg)
{
	struct drive *d = arg;
	char chunk[4096], *nl, *line;
	ssize_t n;

	(void)what;
	n = read(fd, chunk, sizeof chunk);
	if (n <= 0) {
		loop_stop(d->l);
		return;
	}
	buf_append(&d->in, chunk, (size_t)n);
	while ((nl = memchr(d->in.data, '\n', d->in.len)) != NULL) {
		line = xstrndup(d->in.data, (size_t)(nl - d->in.data));
		memmove(d->in.data, nl + 1,
			d->in.len - (size_t)(nl - d->in.data) - 1);
		d->in.len -= (size_t)(nl - d->in.data) + 1;
		d->in.data[d->in.len] = '\0';
		command(d, line);
		free(line);
	}
}

static void
on_signal(void *arg)
{
	struct drive *d = arg;

	loop_stop(d->l);
}

int
main(int argc, char **argv)
{
	struct drive d = {0};
	struct leader_info self = {0};
	struct cd_err err = {0};
	const char *url = opt(argc, argv, "--zk", NULL);
	long timeout = atol(opt(argc, argv, "--session_timeout", "4000"));
	int rc = 1;

	log_set_level(opt(argc, argv, "--debug", NULL) != NULL ? LOG_LVL_DEBUG
							       : LOG_LVL_INFO);
	signal(SIGPIPE, SIG_IGN);
#ifdef CD_FAULT_ON
	/* A fault build (make FAULT=1): armed as clusterd's points are. */
	if (fault_init(getenv("CLUSTERD_FAULTS"), &err) != 0) {
		fprintf(stderr, "zk_drive: %s\n", err.msg);
		return 2;
	}
#endif
	if (url == NULL || zk_url_parse(url, &d.url, &err) != 0) {
		fprintf(stderr, "zk_drive: --zk: %s\n",
			url == NULL ? "missing" : err.msg);
		return 2;
	}
	d.id = xstrdup(opt(argc, argv, "--id", "drive"));
	d.l = loop_new();
	loop_on_signal(d.l, SIGTERM, on_signal, &d);
	loop_on_signal(d.l, SIGINT, on_signal, &d);
	d.zk = zk_new(d.l, d.url.hosts, timeout, on_session, &d);
	if (opt(argc, argv, "--store", NULL) != NULL) {
		/* The master's cache: a private LMDB, as STORE_IN_MEMORY. */
		if (store_open(NULL, STORE_IN_MEMORY, &d.st, &err) != 0) {
			fprintf(stderr, "zk_drive: %s\n", err.msg);
			goto out;
		}
		d.zs = zkstore_new(d.l, d.zk, d.st, d.url.path, on_zs, &d);
	}
	if (opt(argc, argv, "--elect", NULL) != NULL) {
		self.id = d.id;
		self.ip =
		    (char *)(uintptr_t)opt(argc, argv, "--ip", "127.0.0.1");
		self.hostname = d.id;
		self.version = CLUSTERD_VERSION;
		self.port = atoi(opt(argc, argv, "--port", "5050"));
		self.http_port = atoi(opt(argc, argv, "--http_port", "8080"));
		if (leader_elect_new(d.l, d.zk, d.url.path, &self, on_elect, &d,
				     &d.elect, &err) != 0) {
			fprintf(stderr, "zk_drive: %s\n", err.msg);
			goto out;
		}
	}
	if (opt(argc, argv, "--detect", NULL) != NULL)
		d.detect =
		    leader_detect_new(d.l, d.zk, d.url.path, on_detect, &d);
	d.in_ev = event_new(loop_base(d.l), STDIN_FILENO, EV_READ | EV_PERSIST,
			    on_stdin, &d);
	event_add(d.in_ev, NULL);
	emit("{\"ev\":\"started\",\"pid\":%d}", (int)getpid());
	rc = loop_run(d.l) == 0 ? 0 : 1;
out:
	if (d.in_ev != NULL)
		event_free(d.in_ev);
	leader_detect_free(d.detect);
	leader_elect_free(d.elect);
	zkstore_free(d.zs);
	store_close(d.st);
	zk_free(d.zk);
	loop_free(d.l);
	zk_url_release(&d.url);
	buf_release(&d.in);
	free(d.id);
#ifdef CD_FAULT_ON
	fault_log_calls();
#endif
	emit("{\"ev\":\"exit\",\"rc\":%d}", rc);
	return rc;
}
