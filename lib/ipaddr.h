/*
 * ipaddr.h: textual IP addresses as the agent protocol meets them: a
 * request's peer ("10.0.0.1:41234", "[::1]:41234"), the address a client
 * reached a server at ("10.0.0.1", "::1"), an agent's advertised address.
 * Pure (STYLE B28) but for ipaddr_local(), which asks the kernel for this
 * host's addresses; no globals, any thread.
 */
#ifndef CLUSTERD_LIB_IPADDR_H
#define CLUSTERD_LIB_IPADDR_H

#include <stdbool.h>

/*
 * Whether a and b name the same host: each is an IPv4 or IPv6 address,
 * bare or with a port ("ip:port", "[ipv6]:port"). An IPv4-mapped IPv6
 * address (::ffff:10.0.0.1) is its IPv4 address, and every loopback
 * address (127.0.0.0/8, ::1) is one host, so that a client that reached
 * "localhost" at ::1 and a peer that came from 127.0.0.1 match. False
 * when either is not an address (a hostname, "", NULL).
 */
bool ipaddr_same_host(const char *a, const char *b);
/*
 * Whether a (as above) is an address of this host: loopback, or one of
 * its interfaces' (getifaddrs(3), a netlink query: no blocking I/O).
 * False when it is not an address, or the kernel cannot say.
 */
bool ipaddr_local(const char *a);

#endif
