/*
 * leader_info.h: what an election znode holds and how election znodes are
 * named (SPEC 7). Pure (STYLE B28): no I/O, no globals; the parser is fuzzed
 * by tests/fuzz/fuzz_leader_info.c.
 *
 * A master's znode is "<path>/json.info_NNNNNNNNNN" (ephemeral, sequential)
 * holding Mesos' MasterInfo as JSON, so that Mesos tools find the leader:
 *   {"id": "...", "ip": <uint32, the IPv4 address in network byte order>,
 *    "port": <master port>, "pid": "master@<ip>:<port>",
 *    "hostname": "...", "version": "...",
 *    "address": {"hostname": "...", "ip": "<dotted quad>", "port": N},
 *    "clusterd": {"http_port": N}}
 * The "clusterd" object tells peers where the Marathon API is; Mesos tools
 * ignore it, and a MasterInfo without it parses with http_port 0.
 */
#ifndef CLUSTERD_LIB_LEADER_INFO_H
#define CLUSTERD_LIB_LEADER_INFO_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

#define LEADER_INFO_PREFIX "json.info_"
/* Largest MasterInfo accepted from a znode. */
#define LEADER_INFO_MAX_LEN 65536

struct leader_info {
	char *id;	/* owned: the master's id, unique per start */
	char *ip;	/* owned: IPv4 dotted quad, the advertised address */
	char *hostname; /* owned */
	char *version;	/* owned; "" when unknown */
	int port;	/* master port (agents, /master/...) */
	int http_port;	/* Marathon API port; 0 when not a clusterd master */
};

/*
 * Append the MasterInfo JSON of in to out. in->ip must be an IPv4 dotted
 * quad and the ports 1..65535 (http_port may be 0). Returns 0 or -EINVAL
 * with err set.
 */
int leader_info_encode(const struct leader_info *in, struct buf *out,
		       struct cd_err *err);
/*
 * Parse a MasterInfo (ours or a Mesos master's) into out (released first
 * on success, untouched on failure). The address comes from address.ip,
 * else from the numeric ip, else from pid; the port from address.port,
 * else port. Returns 0 or -EBADMSG with err set.
 */
int leader_info_parse(const char *data, size_t len, struct leader_info *out,
		      struct cd_err *err);
void leader_info_release(struct leader_info *info);
/* A deep copy into out (released first). */
void leader_info_copy(struct leader_info *out, const struct leader_info *in);
bool leader_info_equal(const struct leader_info *a,
		       const struct leader_info *b);

/*
 * The sequence number of an election znode's name ("json.info_0000000012"
 * is 12), or -1 when name is not one (other children are ignored).
 */
long long leader_info_seq(const char *name);
/*
 * Among n child names, the index of the election znode with the lowest
 * sequence (the leader), or -1 when there is none.
 */
long leader_info_lowest(const char *const *names, size_t n);
/*
 * The index of the election znode just before own (the largest sequence
 * below own's), -1 when own leads, or -2 when own is not among names.
 */
long leader_info_predecessor(const char *const *names, size_t n,
			     const char *own);

#endif
