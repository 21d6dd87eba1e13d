/*
 * relay.h: answer a request lib/httpd received with another server's
 * answer to it. A master that does not lead relays the Marathon API to the
 * leader (SPEC 2), as Marathon's standbys do: same method, target and body,
 * the request headers that matter (Content-Type, Accept, Authorization),
 * and back the leader's status, headers and body. An answer of type
 * text/event-stream (/v2/events) is relayed as it arrives, chunk by
 * chunk, never buffered whole; other answers are relayed once complete.
 * Loop thread only.
 *
 * Each relayed request carries "Via: 1.1 clusterd" so that a master that
 * receives one while it does not lead (a leader change in between) answers
 * 503 rather than relaying it again, round and round (relay_looped()).
 */
#ifndef CLUSTERD_LIB_RELAY_H
#define CLUSTERD_LIB_RELAY_H

#include <stdbool.h>
#include <stddef.h>

struct httpc;
struct httpd_req;
struct relay;

/* Relays through hc (borrowed: outlives the relay). */
struct relay *relay_new(struct httpc *hc);
/* Answer every relay in flight (as relay_cut()) and free; NULL: no-op. */
void relay_free(struct relay *rl);

/*
 * Answer r with what base ("http://ip:port", no trailing slash) answers to
 * the same request. A server that cannot be reached, or that does not
 * answer within the timeout (none for event streams, whose connection is
 * checked once established), makes a 503 with Marathon's body. what names
 * the server in that message ("the leader").
 */
void relay_forward(struct relay *rl, struct httpd_req *r, const char *base,
		   const char *what);
/* Whether r came through a relay already. */
bool relay_looped(const struct httpd_req *r);
/*
 * Give up every relay in flight (the server they go to is not the leader
 * any more): streams end (their clients reconnect), the others get 503.
 */
void relay_cut(struct relay *rl);
/* Relays in flight. */
size_t relay_count(const struct relay *rl);

#endif
