/*
 * cmd_ha.c: owns the ZooKeeper session of the process, its election
 * contender, its leader detector, the replication of the master's store
 * (lib/zkstore), the relay to the leader and the filters of a master's
 * ports. Loop thread only.
 *
 * States of a master (ha_step() is the one place that moves between them,
 * from a timer, so that no transition runs inside a caller's stack: an
 * abdication asked by DELETE /v2/leader comes from inside the scheduler
 * that the transition frees):
 *   STANDBY  not elected: the filters answer and relay (cmd_ha_filter.c)
 *   LOADING  elected: the state is being loaded from ZooKeeper into the
 *            cache, writes fenced by our election znode from then on
 *   LEADING  loaded and the roles started (ops->lead)
 * Elected and not failed -> LOADING -> LEADING; anything else (deposed,
 * replication failed) -> roles stopped (ops->unlead), the replication
 * stopped (what was not durable is dropped: its answers get 503), STANDBY.
 * A failure of the replication while elected abdicates, so that another
 * master (or this one, after a reload) takes over: the cache may hold
 * writes that ZooKeeper does not.
 *
 * The leader as the detector sees it (another master, this one, or none)
 * is what the filters relay to and what ops->leader hears; relays in
 * flight to a leader that is not the leader any more are cut.
 */
#include "cmd/cmd_ha.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd_ha_int.h"
#include "lib/durable.h"
#include "lib/httpd.h"
#include "lib/leader.h"
#include "lib/loop.h"
#include "lib/relay.h"
#include "lib/store.h"
#include "lib/xalloc.h"
#include "lib/zk.h"
#include "lib/zk_url.h"
#include "lib/zkstore.h"

#define LOG_MOD "ha"
#include "lib/log.h"

static void
ha_schedule(struct cmd_ha *h)
{
	if (!loop_timer_pending(h->step))
		loop_timer_add(h->step, 0);
}

static void
ha_set_state(struct cmd_ha *h, enum ha_state st)
{
	static const char *const names[] = {"standby", "loading", "leading"};

	if (h->state != st)
		log_info("master %s: %s -> %s", h->self_id, names[h->state],
			 names[st]);
	h->state = st;
}

static void
ha_step(struct cmd_ha *h)
{
	const char *fence;
	int version, rc;
	bool elected = h->elect != NULL && leader_elect_leading(h->elect);

	if (!elected || h->failed) {
		if (h->state == HA_LEADING)
			h->ops.unlead(h->arg);
		if (h->state != HA_STANDBY)
			zkstore_deactivate(h->zs);
		ha_set_state(h, HA_STANDBY);
		if (elected) {
			log_warn("stepping down: the state in ZooKeeper could "
				 "not be kept up to date");
			(void)leader_elect_abdicate(h->elect);
		}
		h->failed = false;
		h->ready = false;
		return;
	}
	if (h->state == HA_STANDBY) {
		h->ready = false;
		if (leader_elect_fence(h->elect, &fence, &version) != 0 ||
		    zkstore_activate(h->zs, fence, version) != 0) {
			log_error("cannot take over the state in ZooKeeper");
			h->failed = true;
			ha_schedule(h);
			return;
		}
		h->elected_ms = loop_wall_ms();
		ha_set_state(h, HA_LOADING);
		return;
	}
	if (h->state == HA_LOADING && h->ready) {
		rc = h->ops.lead(h->arg);
		if (rc != 0) {
			log_error("cannot start the master's roles (%s); "
				  "stepping down",
				  strerror(-rc));
			h->failed = true;
			ha_schedule(h);
			return;
		}
		ha_set_state(h, HA_LEADING);
		log_info("leading: serving the API and the agents, %llu ms "
			 "after the election",
			 (unsigned long long)(loop_wall_ms() - h->elected_ms));
	}
}

static void
ha_step_cb(void *arg)
{
	struct cmd_ha *h = arg;

	CD_CHECK_OBJ(h, CMD_HA_MAGIC);
	ha_step(h);
}

static void
ha_elect_cb(struct leader_elect *e, bool leading, void *arg)
{
	struct cmd_ha *h = arg;

	(void)e;
	(void)leading;
	CD_CHECK_OBJ(h, CMD_HA_MAGIC);
	ha_schedule(h);
}

static void
ha_zs_cb(struct zkstore *zs, enum zkstore_event ev, int rc, void *arg)
{
	struct cmd_ha *h = arg;

	(void)zs;
	CD_CHECK_OBJ(h, CMD_HA_MAGIC);
	if (ev == ZKSTORE_READY) {
		h->ready = true;
	} else {
		log_error("the state in ZooKeeper: %s", strerror(-rc));
		if (h->state != HA_STANDBY)
			h->failed = true;
	}
	ha_schedule(h);
}

static void
ha_detect_cb(struct leader_detect *d, const struct leader_info *li, void *arg)
{
	struct cmd_ha *h = arg;

	(void)d;
	CD_CHECK_OBJ(h, CMD_HA_MAGIC);
	free(h->leader_api);
	free(h->leader_master);
	h->leader_api = h->leader_master = NULL;
	h->leader_self = false;
	if (li != NULL) {
		h->leader_self = h->self_id != NULL && li->id != NULL &&
				 strcmp(li->id, h->self_id) == 0;
		if (li->http_port > 0)
			h->leader_api = xasprintf("%s://%s:%d", h->scheme,
						  li->ip, li->http_port);
		h->leader_master =
		    xasprintf("%s://%s:%d", h->scheme, li->ip, li->port);
	}
	/* Relays in flight go to a master that does not lead any more. */
	if (h->relay != NULL)
		relay_cut(h->relay);
	h->ops.leader(h->arg, li);
}

static void
ha_session_cb(struct zk *zk, enum zk_session_event ev, bool new_session,
	      void *arg)
{
	struct cmd_ha *h = arg;

	(void)zk;
	CD_CHECK_OBJ(h, CMD_HA_MAGIC);
	switch (ev) {
	case ZK_SESSION_CONNECTED:
		log_info("connected to ZooKeeper %s%s", h->url.hosts,
			 new_session ? " (new session)" : "");
		break;
	case ZK_SESSION_DISCONNECTED:
		log_warn("lost the connection to ZooKeeper; the session lives "
			 "on for %lld ms",
			 h->session_timeout_ms);
		break;
	case ZK_SESSION_LOST:
		log_warn("the ZooKeeper session is gone: not leading, "
			 "reconnecting");
		break;
	}
}

/* ---- the durable interface: answers wait for ZooKeeper ---- */

static uint64_t
ha_pending(void *ctx)
{
	struct cmd_ha *h = ctx;
	uint64_t seq;

	/* A standby writes nothing: what it answers is relayed or local. */
	if (h->state != HA_LEADING)
		return 0;
	seq = store_seq(h->cache);
	return seq > zkstore_durable(h->zs) ? seq : 0;
}

static int
ha_wait(void *ctx, uint64_t seq, durable_done_fn *fn, void *arg)
{
	struct cmd_ha *h = ctx;

	return zkstore_wait(h->zs, seq, fn, arg);
}

static void
ha_forget(void *ctx, void *arg)
{
	struct cmd_ha *h = ctx;

	zkstore_forget(h->zs, arg);
}

int
cmd_ha_new(struct loop *l, const struct cmd_ha_conf *conf,
	   const struct cmd_ha_ops *ops, void *arg, struct cmd_ha **out,
	   struct cd_err *err)
{
	struct cmd_ha *h;
	int rc;

	*out = NULL;
	CD_ALLOC_OBJ(h, CMD_HA_MAGIC);
	h->l = l;
	h->ops = *ops;
	h->arg = arg;
	h->session_timeout_ms = conf->session_timeout_ms;
	h->scheme = xstrdup(conf->scheme != NULL ? conf->scheme : "http");
	h->start_ms = loop_wall_ms();
	if ((rc = zk_url_parse(conf->zk, &h->url, err)) != 0) {
		cmd_ha_free(h);
		return rc;
	}
	h->step = loop_timer_new(l, ha_step_cb, h);
	h->zk = zk_new(l, h->url.hosts, (long)conf->session_timeout_ms,
		       ha_session_cb, h);
	if (conf->cache != NULL) {
		h->cache = conf->cache;
		h->api = conf->api;
		h->master = conf->master;
		h->self_id = xstrdup(conf->self->id);
		h->relay = relay_new(conf->hc);
		h->dur.pending = ha_pending;
		h->dur.wait = ha_wait;
		h->dur.forget = ha_forget;
		h->dur.ctx = h;
		h->zs =
		    zkstore_new(l, h->zk, h->cache, h->url.path, ha_zs_cb, h);
		cmd_ha_filters_install(h);
	}
	h->detect = leader_detect_new(l, h->zk, h->url.path, ha_detect_cb, h);
	if (conf->cache != NULL &&
	    (rc = leader_elect_new(l, h->zk, h->url.path, conf->self,
				   ha_elect_cb, h, &h->elect, err)) != 0) {
		cmd_ha_free(h);
		return rc;
	}
	log_info("ZooKeeper %s, path %s, session timeout %lld ms%s",
		 h->url.hosts, h->url.path, h->session_timeout_ms,
		 h->elect != NULL ? ": contending for leadership" : "");
	*out = h;
	return 0;
}

void
cmd_ha_free(struct cmd_ha *h)
{
	if (h == NULL)
		return;
	CD_CHECK_OBJ(h, CMD_HA_MAGIC);
	/* Withdraw first: the others need not wait for our session. */
	leader_elect_free(h->elect);
	cmd_ha_filters_remove(h);
	relay_free(h->relay);
	zkstore_free(h->zs);
	leader_detect_free(h->detect);
	zk_free(h->zk);
	loop_timer_free(h->step);
	zk_url_release(&h->url);
	free(h->leader_api);
	free(h->leader_master);
	free(h->self_id);
	free(h->scheme);
	CD_FREE_OBJ(h);
}

bool
cmd_ha_leading(const struct cmd_ha *h)
{
	return h->state == HA_LEADING;
}

int
cmd_ha_abdicate(struct cmd_ha *h)
{
	CD_CHECK_OBJ(h, CMD_HA_MAGIC);
	if (h->elect == NULL || h->state != HA_LEADING)
		return -EPERM;
	return leader_elect_abdicate(h->elect);
}

const struct durable *
cmd_ha_durable(struct cmd_ha *h)
{
	return &h->dur;
}

size_t
cmd_ha_gauges(const struct cmd_ha *h, struct cmd_ha_gauge *out, size_t max)
{
	struct zkstore_stats st;
	size_t n = 0;

#define HA_GAUGE(nm, v)                                                        \
	do {                                                                   \
		if (n < max) {                                                 \
			out[n].name = (nm);                                    \
			out[n].value = (double)(v);                            \
			n++;                                                   \
		}                                                              \
	} while (0)
	HA_GAUGE("clusterd.zk.connected.gauge", zk_connected(h->zk) ? 1 : 0);
	HA_GAUGE("clusterd.zk.leading.gauge", h->state == HA_LEADING ? 1 : 0);
	if (h->zs != NULL) {
		zkstore_stats(h->zs, &st);
		HA_GAUGE("clusterd.zk.state.batches.counter", st.batches);
		HA_GAUGE("clusterd.zk.state.multis.counter", st.multis);
		HA_GAUGE("clusterd.zk.state.ops.counter", st.ops);
		HA_GAUGE("clusterd.zk.state.coalesced.counter", st.coalesced);
		HA_GAUGE("clusterd.zk.state.splits.counter", st.splits);
		HA_GAUGE("clusterd.zk.state.resent.counter", st.resent);
		HA_GAUGE("clusterd.zk.state.compressed.counter", st.compressed);
		HA_GAUGE("clusterd.zk.state.max_ops.gauge", st.max_ops);
		HA_GAUGE("clusterd.zk.state.max_bytes.gauge", st.max_bytes);
		HA_GAUGE("clusterd.zk.state.loaded.gauge", st.loaded);
		HA_GAUGE("clusterd.zk.state.load_ms.gauge", st.load_ms);
		HA_GAUGE("clusterd.zk.state.behind.gauge",
			 store_seq(h->cache) - zkstore_durable(h->zs));
	}
#undef HA_GAUGE
	return n;
}
