/*
 * leader.c: owns an election contender (struct leader_elect: its znode, its
 * MasterInfo, whether it leads) and a leader detector (struct
 * leader_detect: the leader it last saw). Both are built on lib/zk and
 * listen to its session events. Loop thread only.
 *
 * Design: each object runs one chain of ZooKeeper operations at a time
 * ("busy"); anything that asks for a new look while a chain runs (a watch
 * firing, a reconnection) sets "again", and the chain starts over when it
 * ends. So results never arrive out of order and nothing needs a
 * generation count. A chain step that fails transiently is retried after
 * LEADER_RETRY_MS while connected; on -ENOTCONN the session events restart
 * it (lib/zk fails pending operations before it reports a lost session).
 *
 * Election chain: create "<dir>/json.info_" (ephemeral, sequential;
 * creating the missing parents of dir on -ENOENT) -> list dir -> if ours is
 * the lowest, lead and watch our own znode (someone deleting it deposes
 * us); else watch the predecessor. A create whose answer is lost
 * (-ECONNRESET, -ETIMEDOUT) may have happened: the chain then looks for a
 * znode of ours among the children (ephemeral owner = our session) and
 * adopts it instead of creating a second one, which would sit in front of
 * us forever, or until the session ends. Abdicating deletes our znode
 * (retried until done or the session is gone) and contends again.
 *
 * Detection chain: list dir with a child watch -> read the lowest znode
 * with a data watch -> parse its MasterInfo. A missing dir is watched with
 * exists until it appears. A lost session means "no known leader".
 */
#include "leader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "loop.h"
#include "xalloc.h"
#include "zk.h"

#define LOG_MOD "leader"
#include "log.h"

#define LEADER_ELECT_MAGIC 0x1eade1ecu
#define LEADER_DETECT_MAGIC 0x1eadde7cu
#define LEADER_RETRY_MS 500
/* Our znode is never written after its creation. */
#define LEADER_ZNODE_VERSION 0

struct leader_elect {
	unsigned magic;
	struct zk *zk; /* borrowed: outlives the contender */
	char *dir;     /* owned: "/clusterd" */
	char *prefix;  /* owned: "<dir>/json.info_" */
	char *data;    /* owned: our MasterInfo JSON */
	size_t len;
	char *own;    /* owned: our znode's path, or NULL */
	char *zombie; /* owned: an abdicated znode still to delete */
	bool busy;    /* a chain step is in flight */
	bool again;   /* start the chain over when it ends */
	bool burying; /* the zombie's delete is in flight */
	bool leading;
	size_t mkdir_at;	  /* creating dir: length of the next prefix */
	char **cands;		  /* owned: children examined by recovery */
	size_t ncands, cand_at;	  /* ... and the next one */
	struct loop_timer *retry; /* owned */
	leader_elect_fn *fn;
	void *arg; /* borrowed: the owner's */
};

struct leader_detect {
	unsigned magic;
	struct zk *zk; /* borrowed: outlives the detector */
	char *dir;     /* owned */
	char *reading; /* owned: the znode being read, or NULL */
	bool busy;
	bool again;
	bool known; /* info holds the current leader */
	struct leader_info info;
	struct loop_timer *retry; /* owned */
	leader_detect_fn *fn;
	void *arg; /* borrowed: the owner's */
};

static void le_resume(struct leader_elect *e);

static const char *
leader_base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

static void
leader_noop(struct zk *zk, const struct zk_result *r, void *arg)
{
	(void)zk;
	(void)r;
	(void)arg;
}

/* ---- election ---- */

static void
le_set_leading(struct leader_elect *e, bool leading)
{
	if (e->leading == leading)
		return;
	e->leading = leading;
	if (leading)
		log_info("elected leader as %s", e->own);
	else
		log_warn("no longer the leader");
	e->fn(e, leading, e->arg);
}

/* A chain step ended: start over if something asked for it. */
static void
le_step_done(struct leader_elect *e)
{
	e->busy = false;
	if (e->again)
		le_resume(e);
}

static void
le_retry(struct leader_elect *e, int rc, const char *what)
{
	e->busy = false;
	if (rc == -ENOTCONN)
		return; /* the next session event resumes */
	log_warn("election: %s under %s failed: %s; retrying", what, e->dir,
		 strerror(-rc));
	loop_timer_add(e->retry, LEADER_RETRY_MS);
}

static void
le_retry_cb(void *arg)
{
	struct leader_elect *e = arg;

	CD_CHECK_OBJ(e, LEADER_ELECT_MAGIC);
	le_resume(e);
}

static void
le_free_cands(struct leader_elect *e)
{
	size_t i;

	for (i = 0; i < e->ncands; i++)
		free(e->cands[i]);
	free(e->cands);
	e->cands = NULL;
	e->ncands = e->cand_at = 0;
}

static void le_create(struct leader_elect *e);
static void le_check(struct leader_elect *e);
static void le_mkdir_next(struct leader_elect *e);

static void
le_mkdir_done(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct leader_elect *e = arg;

	(void)zk;
	if (r->rc != 0 && r->rc != -EEXIST) {
		le_retry(e, r->rc, "creating the path");
		return;
	}
	if (e->dir[e->mkdir_at] == '\0') {
		le_create(e); /* the chain goes on: still busy */
		return;
	}
	le_mkdir_next(e);
}

/* Create the next ancestor of dir (and dir itself), like mkdir -p. */
static void
le_mkdir_next(struct leader_elect *e)
{
	const char *slash = strchr(e->dir + e->mkdir_at + 1, '/');
	char *path;
	int rc;

	e->mkdir_at = slash != NULL ? (size_t)(slash - e->dir) : strlen(e->dir);
	path = xstrndup(e->dir, e->mkdir_at);
	rc = zk_create(e->zk, path, "", 0, 0, le_mkdir_done, e);
	free(path);
	if (rc != 0)
		le_retry(e, rc, "creating the path");
}

/* Recovery: is one of the children ours? Examine them one by one. */
static void le_recover_next(struct leader_elect *e);

static void
le_recover_stat(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct leader_elect *e = arg;

	if (r->rc == 0 && r->stat->ephemeral_owner == zk_session_id(zk)) {
		free(e->own);
		e->own = xstrdup(e->cands[e->cand_at]);
		log_info("found our znode %s after a lost answer", e->own);
		le_free_cands(e);
		le_check(e);
		return;
	}
	if (r->rc != 0 && r->rc != -ENOENT) {
		le_free_cands(e);
		le_retry(e, r->rc, "looking for our znode");
		return;
	}
	e->cand_at++;
	le_recover_next(e);
}

static void
le_recover_next(struct leader_elect *e)
{
	int rc;

	if (e->cand_at >= e->ncands) {
		le_free_cands(e);
		le_create(e);
		return;
	}
	rc = zk_exists(e->zk, e->cands[e->cand_at], NULL, NULL, le_recover_stat,
		       e);
	if (rc != 0) {
		le_free_cands(e);
		le_retry(e, rc, "looking for our znode");
	}
}

static void
le_recover_listed(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct leader_elect *e = arg;
	size_t i;

	(void)zk;
	if (r->rc != 0) {
		le_retry(e, r->rc, "looking for our znode");
		return;
	}
	le_free_cands(e);
	e->cands = xcalloc(r->nchildren + 1, sizeof *e->cands);
	for (i = 0; i < r->nchildren; i++) {
		if (leader_info_seq(r->children[i]) >= 0)
			e->cands[e->ncands++] =
			    xasprintf("%s/%s", e->dir, r->children[i]);
	}
	le_recover_next(e);
}

static void
le_created(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct leader_elect *e = arg;
	int rc;

	switch (r->rc) {
	case 0:
		free(e->own);
		e->own = xstrdup(r->path);
		log_info("contending for leadership as %s", e->own);
		le_check(e);
		break;
	case -ENOENT:
		e->mkdir_at = 0;
		le_mkdir_next(e);
		break;
	case -ECONNRESET:
	case -ETIMEDOUT:
		/* It may have been created: look before creating again. */
		rc = zk_get_children(zk, e->dir, NULL, NULL, le_recover_listed,
				     e);
		if (rc != 0)
			le_retry(e, rc, "looking for our znode");
		break;
	default:
		le_retry(e, r->rc, "creating our znode");
		break;
	}
}

static void
le_create(struct leader_elect *e)
{
	int rc;

	e->busy = true;
	rc = zk_create(e->zk, e->prefix, e->data, e->len,
		       ZK_EPHEMERAL | ZK_SEQUENTIAL, le_created, e);
	if (rc != 0)
		le_retry(e, rc, "creating our znode");
}

static void
le_watch_event(struct zk *zk, enum zk_event ev, const char *path, void *arg)
{
	struct leader_elect *e = arg;

	(void)zk;
	(void)ev;
	(void)path;
	CD_CHECK_OBJ(e, LEADER_ELECT_MAGIC);
	le_resume(e);
}

static void
le_watched(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct leader_elect *e = arg;

	(void)zk;
	if (r->rc == -ENOENT) {
		/* Gone before the watch was set: look again. */
		e->again = true;
	} else if (r->rc != 0) {
		le_retry(e, r->rc, "watching");
		return;
	}
	le_step_done(e);
}

static void
le_checked(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct leader_elect *e = arg;
	char *path;
	long i;
	int rc;

	if (r->rc != 0) {
		le_retry(e, r->rc, "listing");
		return;
	}
	if (e->own == NULL) {
		/* Abdicated meanwhile: contend again. */
		e->busy = false;
		le_resume(e);
		return;
	}
	i = leader_info_predecessor(r->children, r->nchildren,
				    leader_base(e->own));
	if (i == -2) {
		log_warn("our znode %s is gone", e->own);
		free(e->own);
		e->own = NULL;
		e->busy = false;
		le_resume(e);
		le_set_leading(e, false);
		return;
	}
	if (i == -1) {
		/* We lead; deleting our znode must depose us. */
		rc = zk_exists(zk, e->own, le_watch_event, e, le_watched, e);
		if (rc != 0) {
			le_retry(e, rc, "watching");
			return;
		}
		le_set_leading(e, true);
		return;
	}
	path = xasprintf("%s/%s", e->dir, r->children[i]);
	log_info("waiting behind %s", path);
	rc = zk_exists(zk, path, le_watch_event, e, le_watched, e);
	free(path);
	if (rc != 0) {
		le_retry(e, rc, "watching");
		return;
	}
	le_set_leading(e, false);
}

static void
le_check(struct leader_elect *e)
{
	int rc;

	e->busy = true;
	rc = zk_get_children(e->zk, e->dir, NULL, NULL, le_checked, e);
	if (rc != 0)
		le_retry(e, rc, "listing");
}

static void
le_buried(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct leader_elect *e = arg;

	(void)zk;
	e->burying = false;
	if (r->rc == 0 || r->rc == -ENOENT || r->rc == -ENOTCONN) {
		/* Deleted, or gone with the session. */
		free(e->zombie);
		e->zombie = NULL;
		return;
	}
	log_warn("election: deleting %s failed: %s; retrying", e->zombie,
		 strerror(-r->rc));
	loop_timer_add(e->retry, LEADER_RETRY_MS);
}

static void
le_resume(struct leader_elect *e)
{
	if (e->zombie != NULL && !e->burying && zk_connected(e->zk)) {
		if (zk_delete(e->zk, e->zombie, -1, le_buried, e) == 0)
			e->burying = true;
	}
	if (e->busy) {
		e->again = true;
		return;
	}
	e->again = false;
	if (!zk_connected(e->zk))
		return;
	if (e->own == NULL)
		le_create(e);
	else
		le_check(e);
}

static void
le_session(struct zk *zk, enum zk_session_event ev, bool new_session, void *arg)
{
	struct leader_elect *e = arg;

	(void)zk;
	(void)new_session;
	CD_CHECK_OBJ(e, LEADER_ELECT_MAGIC);
	if (ev == ZK_SESSION_CONNECTED) {
		le_resume(e);
	} else if (ev == ZK_SESSION_LOST) {
		/* Our znode went with the session; so did any zombie. */
		free(e->own);
		e->own = NULL;
		free(e->zombie);
		e->zombie = NULL;
		le_free_cands(e);
		e->busy = e->again = e->burying = false;
		loop_timer_del(e->retry);
		le_set_leading(e, false);
	}
}

int
leader_elect_new(struct loop *l, struct zk *zk, const char *dir,
		 const struct leader_info *self, leader_elect_fn *fn, void *arg,
		 struct leader_elect **out, struct cd_err *err)
{
	struct buf b = BUF_INIT;
	struct leader_elect *e;
	int rc;

	*out = NULL;
	if ((rc = leader_info_encode(self, &b, err)) != 0) {
		buf_release(&b);
		return rc;
	}
	CD_ALLOC_OBJ(e, LEADER_ELECT_MAGIC);
	e->zk = zk;
	e->dir = xstrdup(dir);
	e->prefix = xasprintf("%s/%s", dir, LEADER_INFO_PREFIX);
	e->data = buf_detach(&b, &e->len);
	e->fn = fn;
	e->arg = arg;
	e->retry = loop_timer_new(l, le_retry_cb, e);
	zk_listen(zk, le_session, e);
	le_resume(e);
	*out = e;
	return 0;
}

void
leader_elect_free(struct leader_elect *e)
{
	if (e == NULL)
		return;
	CD_CHECK_OBJ(e, LEADER_ELECT_MAGIC);
	zk_unlisten(e->zk, e);
	zk_forget(e->zk, e);
	/* Withdraw: no one needs to wait for the session to end. */
	if (e->own != NULL)
		(void)zk_delete(e->zk, e->own, -1, leader_noop, NULL);
	if (e->zombie != NULL)
		(void)zk_delete(e->zk, e->zombie, -1, leader_noop, NULL);
	le_free_cands(e);
	loop_timer_free(e->retry);
	free(e->dir);
	free(e->prefix);
	free(e->data);
	free(e->own);
	free(e->zombie);
	CD_FREE_OBJ(e);
}

bool
leader_elect_leading(const struct leader_elect *e)
{
	return e->leading;
}

const char *
leader_elect_znode(const struct leader_elect *e)
{
	return e->own;
}

int
leader_elect_fence(const struct leader_elect *e, const char **path,
		   int *version)
{
	if (!e->leading || e->own == NULL)
		return -EPERM;
	*path = e->own;
	*version = LEADER_ZNODE_VERSION;
	return 0;
}

int
leader_elect_abdicate(struct leader_elect *e)
{
	CD_CHECK_OBJ(e, LEADER_ELECT_MAGIC);
	if (!e->leading)
		return -EPERM;
	if (e->zombie != NULL)
		return -EBUSY; /* the last abdication is still being done */
	log_info("abdicating: deleting %s", e->own);
	e->zombie = e->own;
	e->own = NULL;
	le_resume(e);
	le_set_leading(e, false);
	return 0;
}

/* ---- detection ---- */

static void ld_resume(struct leader_detect *d);

static void
ld_set(struct leader_detect *d, const struct leader_info *info)
{
	if (info == NULL && !d->known)
		return;
	if (info != NULL && d->known && leader_info_equal(info, &d->info))
		return;
	if (info != NULL) {
		leader_info_copy(&d->info, info);
		d->known = true;
		log_info("leader is %s:%d (%s), API port %d", info->ip,
			 info->port, info->hostname, info->http_port);
	} else {
		leader_info_release(&d->info);
		d->known = false;
		log_info("no leader known under %s", d->dir);
	}
	d->fn(d, info, d->arg);
}

static void
ld_step_done(struct leader_detect *d)
{
	d->busy = false;
	free(d->reading);
	d->reading = NULL;
	if (d->again)
		ld_resume(d);
}

static void
ld_retry(struct leader_detect *d, int rc)
{
	ld_step_done(d);
	if (rc != -ENOTCONN) {
		log_warn("leader detection under %s: %s; retrying", d->dir,
			 strerror(-rc));
		loop_timer_add(d->retry, LEADER_RETRY_MS);
	}
}

static void
ld_event(struct zk *zk, enum zk_event ev, const char *path, void *arg)
{
	struct leader_detect *d = arg;

	(void)zk;
	(void)ev;
	(void)path;
	CD_CHECK_OBJ(d, LEADER_DETECT_MAGIC);
	ld_resume(d);
}

static void
ld_got(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct leader_detect *d = arg;
	struct leader_info info = {0};
	struct cd_err err = {0};

	(void)zk;
	if (r->rc == -ENOENT) {
		d->again = true; /* gone meanwhile */
	} else if (r->rc != 0) {
		ld_retry(d, r->rc);
		return;
	} else if (leader_info_parse(r->data, r->len, &info, &err) != 0) {
		log_warn("leader znode %s: %s", d->reading, err.msg);
		ld_set(d, NULL);
	} else {
		ld_set(d, &info);
	}
	leader_info_release(&info);
	ld_step_done(d);
}

static void
ld_dir_watched(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct leader_detect *d = arg;

	(void)zk;
	if (r->rc == 0)
		d->again = true; /* created meanwhile */
	else if (r->rc != -ENOENT) {
		ld_retry(d, r->rc);
		return;
	}
	ld_step_done(d);
}

static void
ld_listed(struct zk *zk, const struct zk_result *r, void *arg)
{
	struct leader_detect *d = arg;
	long i;
	int rc;

	if (r->rc == -ENOENT) {
		/* No dir yet: no leader; wait for it to appear. */
		ld_set(d, NULL);
		rc = zk_exists(zk, d->dir, ld_event, d, ld_dir_watched, d);
		if (rc != 0)
			ld_retry(d, rc);
		return;
	}
	if (r->rc != 0) {
		ld_retry(d, r->rc);
		return;
	}
	if ((i = leader_info_lowest(r->children, r->nchildren)) < 0) {
		ld_set(d, NULL);
		ld_step_done(d);
		return;
	}
	free(d->reading);
	d->reading = xasprintf("%s/%s", d->dir, r->children[i]);
	rc = zk_get(zk, d->reading, ld_event, d, ld_got, d);
	if (rc != 0)
		ld_retry(d, rc);
}

static void
ld_resume(struct leader_detect *d)
{
	int rc;

	if (d->busy) {
		d->again = true;
		return;
	}
	d->again = false;
	if (!zk_connected(d->zk))
		return;
	d->busy = true;
	rc = zk_get_children(d->zk, d->dir, ld_event, d, ld_listed, d);
	if (rc != 0)
		ld_retry(d, rc);
}

static void
ld_retry_cb(void *arg)
{
	struct leader_detect *d = arg;

	CD_CHECK_OBJ(d, LEADER_DETECT_MAGIC);
	ld_resume(d);
}

static void
ld_session(struct zk *zk, enum zk_session_event ev, bool new_session, void *arg)
{
	struct leader_detect *d = arg;

	(void)zk;
	(void)new_session;
	CD_CHECK_OBJ(d, LEADER_DETECT_MAGIC);
	if (ev == ZK_SESSION_CONNECTED) {
		ld_resume(d);
	} else if (ev == ZK_SESSION_LOST) {
		d->busy = d->again = false;
		loop_timer_del(d->retry);
		ld_set(d, NULL);
	}
}

struct leader_detect *
leader_detect_new(struct loop *l, struct zk *zk, const char *dir,
		  leader_detect_fn *fn, void *arg)
{
	struct leader_detect *d;

	CD_ALLOC_OBJ(d, LEADER_DETECT_MAGIC);
	d->zk = zk;
	d->dir = xstrdup(dir);
	d->fn = fn;
	d->arg = arg;
	d->retry = loop_timer_new(l, ld_retry_cb, d);
	zk_listen(zk, ld_session, d);
	ld_resume(d);
	return d;
}

void
leader_detect_free(struct leader_detect *d)
{
	if (d == NULL)
		return;
	CD_CHECK_OBJ(d, LEADER_DETECT_MAGIC);
	zk_unlisten(d->zk, d);
	zk_forget(d->zk, d);
	loop_timer_free(d->retry);
	leader_info_release(&d->info);
	free(d->reading);
	free(d->dir);
	CD_FREE_OBJ(d);
}

const struct leader_info *
leader_detect_get(const struct leader_detect *d)
{
	return d->known ? &d->info : NULL;
}
