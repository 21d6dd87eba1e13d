/*
 * zk_url.h: the ZooKeeper URL of --zk and --master=zk://... (SPEC 1, 7):
 * "zk://host:port[,host:port...]/path". Pure (STYLE B28): no I/O, no
 * globals; fuzzed by tests/fuzz/fuzz_zk_url.c.
 *
 * Accepted: 1 to ZK_URL_MAX_HOSTS servers, each a DNS name, an IPv4 address
 * or a bracketed IPv6 address, with a port 1..65535 (2181 when left out);
 * and a path of one or more components made of letters, digits, '.', '_'
 * and '-' (never "." or ".."), without a trailing '/'. Credentials
 * ("zk://user:pass@...") are refused: clusterd does not authenticate to
 * ZooKeeper.
 */
#ifndef CLUSTERD_LIB_ZK_URL_H
#define CLUSTERD_LIB_ZK_URL_H

#include <stddef.h>

#include "err.h"

#define ZK_URL_MAX_LEN 1024
#define ZK_URL_MAX_HOSTS 16
#define ZK_URL_DEFAULT_PORT 2181

struct zk_url {
	char *hosts; /* owned: "h1:p1,h2:p2", as zookeeper_init() wants */
	char *path;  /* owned: "/a/b": leading '/', no trailing '/' */
	size_t nhosts;
};

/*
 * Parse s into out: on success out is replaced (released first); on failure
 * it is left untouched. Returns 0, or -EINVAL with err saying what is wrong
 * and what would be valid.
 */
int zk_url_parse(const char *s, struct zk_url *out, struct cd_err *err);
/* Free the strings and leave u empty; a zeroed or released u is fine. */
void zk_url_release(struct zk_url *u);

#endif
