/*
 * cmd_secure.h: the start-up checks of SPEC section 11, so that a node
 * never runs with settings that only look secure: the agent secret
 * resolved from its file and checked, the refusal to bind off loopback
 * without it, and the TLS flags that must go together. Runs once, from
 * cmd_flags_parse(), before the loop exists.
 */
#ifndef CLUSTERD_CMD_CMD_SECURE_H
#define CLUSTERD_CMD_CMD_SECURE_H

#include <stdbool.h>

struct buf;
struct cd_config;

/*
 * Check c (defaults already resolved) and resolve c->agent_secret to the
 * secret itself. Appends one line per problem to errors; returns 0 or
 * -EINVAL. Warnings (a secret file others may read) go to stderr.
 */
int cmd_secure_check(struct cd_config *c, struct buf *errors);

/* Whether ip is a loopback address (127.0.0.0/8, ::1, "localhost"). */
bool cmd_secure_loopback(const char *ip);

#endif
