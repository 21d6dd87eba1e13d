/*
 * leader.h: the ZooKeeper recipes of SPEC 7 on a lib/zk session.
 *
 * Election (masters): each contender holds an ephemeral sequential znode
 * "<dir>/json.info_N" with its MasterInfo (leader_info.h); the lowest N
 * leads; each contender watches only its predecessor. A leader whose
 * session is lost (lib/zk gives it up after the session timeout without a
 * server) is deposed and contends again once a new session connects.
 *
 * Detection (agents, standby masters): follow the lowest json.info_ znode
 * and its MasterInfo, and hear when it changes or disappears.
 *
 * Callbacks run on the loop, never from inside the call that caused them.
 * Loop thread only.
 */
#ifndef CLUSTERD_LIB_LEADER_H
#define CLUSTERD_LIB_LEADER_H

#include <stdbool.h>

#include "err.h"
#include "leader_info.h"

struct loop;
struct zk;
struct leader_elect;
struct leader_detect;

/* leading: true when elected, false when deposed. */
typedef void leader_elect_fn(struct leader_elect *e, bool leading, void *arg);

/*
 * Contend under dir (an absolute znode path; created when missing) with
 * self's MasterInfo. fn(arg) hears each change of leadership. Returns 0 and
 * *out (free with leader_elect_free(), which withdraws), or -EINVAL with
 * err set when self cannot be encoded.
 */
int leader_elect_new(struct loop *l, struct zk *zk, const char *dir,
		     const struct leader_info *self, leader_elect_fn *fn,
		     void *arg, struct leader_elect **out, struct cd_err *err);
/* Withdraw (our znode is deleted) and free. Not from inside fn. */
void leader_elect_free(struct leader_elect *e);

bool leader_elect_leading(const struct leader_elect *e);
/* Our election znode's path (borrowed), or NULL while we have none. */
const char *leader_elect_znode(const struct leader_elect *e);
/*
 * The fence of a leader's writes: while leading, *path (borrowed, valid
 * until the next callback) and *version of our election znode, for a check
 * operation in every multi we write (it exists only while our session
 * does, and a deposed leader's znode is never created again). Returns 0,
 * or -EPERM when not leading.
 */
int leader_elect_fence(const struct leader_elect *e, const char **path,
		       int *version);
/*
 * Step down (DELETE /v2/leader): fn hears "deposed" right away, our znode
 * is deleted and we contend again with a new one, at the back of the line.
 * Returns 0, or -EPERM when not leading.
 */
int leader_elect_abdicate(struct leader_elect *e);

/* leader: the current leader (borrowed for the call), or NULL: none. */
typedef void leader_detect_fn(struct leader_detect *d,
			      const struct leader_info *leader, void *arg);

/* Follow the leader under dir; fn(arg) hears each change. */
struct leader_detect *leader_detect_new(struct loop *l, struct zk *zk,
					const char *dir, leader_detect_fn *fn,
					void *arg);
void leader_detect_free(struct leader_detect *d);
/* The current leader (borrowed, valid until the next callback) or NULL. */
const struct leader_info *leader_detect_get(const struct leader_detect *d);

#endif
