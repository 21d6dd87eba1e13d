/*
 * master_dns_follow.h: the DNS records of a master that does not lead,
 * replayed from the leader (issue 9, with ZooKeeper). Mesos-DNS answers
 * from the leading master's state, which it polls; so does a standby's
 * DNS server: every interval it asks the leader for the inputs of its zone
 * (GET /internal/dns on the leader's master port, master_dns_export())
 * and puts them in its own zone, removing what the leader no longer has.
 * leader.<domain> and the framework names follow leader detection
 * (master_dns_leader()), at once. Loop thread only.
 */
#ifndef CLUSTERD_MASTER_MASTER_DNS_FOLLOW_H
#define CLUSTERD_MASTER_MASTER_DNS_FOLLOW_H

#include <jansson.h>

struct httpc;
struct loop;
struct master_dns;
struct master_dns_follow;

/*
 * Follow into d's zone through hc (both borrowed, outliving the result),
 * every interval_ms once a URL is set.
 */
struct master_dns_follow *master_dns_follow_new(struct loop *l,
						struct httpc *hc,
						struct master_dns *d,
						long long interval_ms);
/* Stop; the records it put leave the zone. NULL is a no-op. */
void master_dns_follow_free(struct master_dns_follow *f);
/*
 * Poll url ("http://ip:port/internal/dns", copied) from now on, at once;
 * NULL stops, and the records it put leave the zone (this master leads,
 * and feeds the zone itself, or no leader is known).
 */
void master_dns_follow_set(struct master_dns_follow *f, const char *url);
/*
 * Replace the records it put with those of doc (master_dns_export()'s
 * shape, borrowed). Returns 0, or -EINVAL when doc is not that shape (the
 * zone is left as it was). For the poll, and the unit tests.
 */
int master_dns_follow_apply(struct master_dns_follow *f, const json_t *doc);

#endif
