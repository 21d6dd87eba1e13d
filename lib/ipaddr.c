/*
 * ipaddr.c: comparing textual IP addresses by the host they name (see
 * ipaddr.h). inet_pton(3) and string handling; ipaddr_local() also lists
 * the interfaces' addresses (getifaddrs(3)).
 */
#include "ipaddr.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

/* An address in one form: IPv4 as 4 bytes, IPv6 as 16. */
struct ipaddr {
	int family; /* AF_INET, AF_INET6 */
	uint8_t b[16];
};

/* Parse "ip", "ip:port" or "[ip]:port" into *out; false if not one. */
static bool
ipaddr_parse(const char *s, struct ipaddr *out)
{
	char tmp[INET6_ADDRSTRLEN + 8];
	const char *end, *colon;
	size_t n;

	if (s == NULL || *s == '\0')
		return false;
	if (*s == '[') {
		end = strchr(s, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return false;
		s++;
		n = (size_t)(end - s);
	} else {
		colon = strchr(s, ':');
		/* Two colons or more: a bare IPv6 address, no port. */
		if (colon != NULL && strchr(colon + 1, ':') == NULL)
			n = (size_t)(colon - s);
		else
			n = strlen(s);
	}
	if (n == 0 || n >= sizeof tmp)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, tmp, out->b) == 1) {
		out->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, tmp, out->b) != 1)
		return false;
	out->family = AF_INET6;
	if (IN6_IS_ADDR_V4MAPPED(
		(const struct in6_addr *)(const void *)out->b)) {
		memmove(out->b, out->b + 12, 4);
		memset(out->b + 4, 0, 12);
		out->family = AF_INET;
	}
	return true;
}

static bool
ipaddr_loopback(const struct ipaddr *a)
{
	static const uint8_t v6lo[16] = {[15] = 1};

	if (a->family == AF_INET)
		return a->b[0] == 127;
	return memcmp(a->b, v6lo, sizeof v6lo) == 0;
}

bool
ipaddr_same_host(const char *a, const char *b)
{
	struct ipaddr x, y;

	if (!ipaddr_parse(a, &x) || !ipaddr_parse(b, &y))
		return false;
	if (ipaddr_loopback(&x) && ipaddr_loopback(&y))
		return true;
	return x.family == y.family &&
	       memcmp(x.b, y.b, x.family == AF_INET ? 4 : 16) == 0;
}

bool
ipaddr_local(const char *a)
{
	struct ifaddrs *ifs = NULL, *i;
	struct ipaddr x, y;
	bool found = false;

	if (!ipaddr_parse(a, &x))
		return false;
	if (ipaddr_loopback(&x))
		return true;
	if (getifaddrs(&ifs) == -1)
		return false;
	for (i = ifs; i != NULL && !found; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;

		memset(&y, 0, sizeof y);
		if (sa == NULL)
			continue;
		if (sa->sa_family == AF_INET) {
			const struct sockaddr_in *s4 = (const void *)sa;

			y.family = AF_INET;
			memcpy(y.b, &s4->sin_addr, 4);
		} else if (sa->sa_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const void *)sa;

			y.family = AF_INET6;
			memcpy(y.b, &s6->sin6_addr, 16);
		} else {
			continue;
		}
		found = x.family == y.family &&
			memcmp(x.b, y.b, x.family == AF_INET ? 4 : 16) == 0;
	}
	freeifaddrs(ifs);
	return found;
}
