/*
 * leader_info.c: Mesos' MasterInfo JSON as clusterd writes and reads it in
 * election znodes, and the order of election znodes. Pure (STYLE B28).
 *
 * Design: the numeric "ip" field is Mesos' in_addr.s_addr read as a host
 * integer (127.0.0.1 is 16777343 on every Mesos host, all little-endian),
 * so it is built from the four bytes explicitly and not through the host's
 * byte order. Reading prefers the newer textual address.ip, as Mesos'
 * detector does, and falls back to the number and then to the pid.
 * Sequence numbers are compared as numbers, not as names (ZooKeeper
 * prints its signed 32-bit counter with %010d; a name with a sign or other
 * characters is not an election znode).
 */
#include "leader_info.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json.h"
#include "xalloc.h"

static bool
leader_info_ipv4(const char *s, unsigned char b[4])
{
	struct in_addr a;

	if (s == NULL || inet_pton(AF_INET, s, &a) != 1)
		return false;
	memcpy(b, &a.s_addr, 4);
	return true;
}

int
leader_info_encode(const struct leader_info *in, struct buf *out,
		   struct cd_err *err)
{
	unsigned char b[4];
	json_t *o = NULL;
	char *pid = NULL;
	json_int_t num;
	int rc = 0;

	if (!leader_info_ipv4(in->ip, b))
		return cd_err_set(err, -EINVAL,
				  "MasterInfo needs an IPv4 address, not "
				  "\"%s\"",
				  in->ip != NULL ? in->ip : "");
	if (in->port < 1 || in->port > 65535 || in->http_port < 0 ||
	    in->http_port > 65535 || in->id == NULL || in->id[0] == '\0')
		return cd_err_set(err, -EINVAL,
				  "MasterInfo needs an id and ports "
				  "1-65535");
	num = (json_int_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 |
			   (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
	pid = xasprintf("master@%s:%d", in->ip, in->port);
	o = json_pack(
	    "{s:s, s:I, s:i, s:s, s:s, s:s, s:{s:s, s:s, s:i}, "
	    "s:{s:i}}",
	    "id", in->id, "ip", num, "port", in->port, "pid", pid, "hostname",
	    in->hostname != NULL && in->hostname[0] != '\0' ? in->hostname
							    : in->ip,
	    "version", in->version != NULL ? in->version : "", "address",
	    "hostname",
	    in->hostname != NULL && in->hostname[0] != '\0' ? in->hostname
							    : in->ip,
	    "ip", in->ip, "port", in->port, "clusterd", "http_port",
	    in->http_port);
	if (o == NULL || json_dump_buf(o, out) != 0)
		rc = cd_err_set(err, -EINVAL, "MasterInfo: cannot encode");
	json_decref(o);
	free(pid);
	return rc;
}

/* "master@1.2.3.4:5050" → ip (owned) and port, or false. */
static bool
leader_info_from_pid(const char *pid, char **ip, int *port)
{
	const char *at, *colon;
	char *host;
	unsigned char b[4];
	long p;
	char *end;

	if (pid == NULL || (at = strchr(pid, '@')) == NULL ||
	    (colon = strrchr(at, ':')) == NULL)
		return false;
	host = xstrndup(at + 1, (size_t)(colon - at - 1));
	p = strtol(colon + 1, &end, 10);
	if (!leader_info_ipv4(host, b) || *end != '\0' || p < 1 || p > 65535) {
		free(host);
		return false;
	}
	*ip = host;
	*port = (int)p;
	return true;
}

static const char *
leader_info_str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int
leader_info_int(const json_t *o, const char *key, int lo, int hi)
{
	const json_t *v = json_object_get(o, key);
	json_int_t n;

	if (!json_is_integer(v))
		return -1;
	n = json_integer_value(v);
	return n >= lo && n <= hi ? (int)n : -1;
}

int
leader_info_parse(const char *data, size_t len, struct leader_info *out,
		  struct cd_err *err)
{
	struct leader_info in = {0};
	const json_t *addr, *cd, *v;
	unsigned char b[4];
	const char *s;
	json_t *o = NULL;
	json_int_t n;
	int rc = 0, port = -1;
	char *pid_ip = NULL;

	if (len > LEADER_INFO_MAX_LEN)
		return cd_err_set(err, -EBADMSG,
				  "MasterInfo larger than %d bytes",
				  LEADER_INFO_MAX_LEN);
	if ((o = json_parse_bounded(data, len, err)) == NULL)
		return -EBADMSG;
	if (!json_is_object(o)) {
		rc = cd_err_set(err, -EBADMSG, "MasterInfo is not an object");
		goto out;
	}
	addr = json_object_get(o, "address");
	if (!json_is_object(addr))
		addr = NULL;
	/* The address: address.ip, the numeric ip, or the pid. */
	if (addr != NULL &&
	    leader_info_ipv4(s = leader_info_str(addr, "ip"), b))
		in.ip = xstrdup(s);
	v = json_object_get(o, "ip");
	if (in.ip == NULL && json_is_integer(v) &&
	    (n = json_integer_value(v)) >= 0 && n <= (json_int_t)UINT32_MAX) {
		in.ip = xasprintf("%u.%u.%u.%u", (unsigned)(n & 0xff),
				  (unsigned)(n >> 8 & 0xff),
				  (unsigned)(n >> 16 & 0xff),
				  (unsigned)(n >> 24 & 0xff));
	}
	if (leader_info_from_pid(leader_info_str(o, "pid"), &pid_ip, &port) &&
	    in.ip == NULL) {
		in.ip = pid_ip;
		pid_ip = NULL;
	}
	in.port = addr != NULL ? leader_info_int(addr, "port", 1, 65535) : -1;
	if (in.port < 1)
		in.port = leader_info_int(o, "port", 1, 65535);
	if (in.port < 1)
		in.port = port;
	if (in.ip == NULL || in.port < 1) {
		rc = cd_err_set(err, -EBADMSG,
				"MasterInfo has no usable IPv4 address and "
				"port");
		goto out;
	}
	s = leader_info_str(o, "hostname");
	if (s == NULL && addr != NULL)
		s = leader_info_str(addr, "hostname");
	in.hostname = xstrdup(s != NULL && s[0] != '\0' ? s : in.ip);
	s = leader_info_str(o, "id");
	in.id = xstrdup(s != NULL ? s : "");
	s = leader_info_str(o, "version");
	in.version = xstrdup(s != NULL ? s : "");
	cd = json_object_get(o, "clusterd");
	if (json_is_object(cd) &&
	    (in.http_port = leader_info_int(cd, "http_port", 0, 65535)) < 0)
		in.http_port = 0;
	leader_info_release(out);
	*out = in;
	memset(&in, 0, sizeof in);
out:
	leader_info_release(&in);
	free(pid_ip);
	json_decref(o);
	return rc;
}

void
leader_info_release(struct leader_info *info)
{
	free(info->id);
	free(info->ip);
	free(info->hostname);
	free(info->version);
	memset(info, 0, sizeof *info);
}

static char *
leader_info_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
leader_info_copy(struct leader_info *out, const struct leader_info *in)
{
	struct leader_info c = {
	    .id = leader_info_dup(in->id),
	    .ip = leader_info_dup(in->ip),
	    .hostname = leader_info_dup(in->hostname),
	    .version = leader_info_dup(in->version),
	    .port = in->port,
	    .http_port = in->http_port,
	};

	leader_info_release(out);
	*out = c;
}

static bool
leader_info_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

bool
leader_info_equal(const struct leader_info *a, const struct leader_info *b)
{
	return leader_info_streq(a->id, b->id) &&
	       leader_info_streq(a->ip, b->ip) &&
	       leader_info_streq(a->hostname, b->hostname) &&
	       leader_info_streq(a->version, b->version) &&
	       a->port == b->port && a->http_port == b->http_port;
}

long long
leader_info_seq(const char *name)
{
	size_t plen = strlen(LEADER_INFO_PREFIX), i;
	long long v = 0;

	if (name == NULL || strncmp(name, LEADER_INFO_PREFIX, plen) != 0)
		return -1;
	name += plen;
	/* ZooKeeper writes %010d; a negative counter has a '-'. */
	if (name[0] == '\0' || strlen(name) > 11)
		return -1;
	for (i = 0; name[i] != '\0'; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	return v;
}

long
leader_info_lowest(const char *const *names, size_t n)
{
	long best = -1;
	long long s, bs = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((s = leader_info_seq(names[i])) < 0)
			continue;
		if (best < 0 || s < bs) {
			best = (long)i;
			bs = s;
		}
	}
	return best;
}

long
leader_info_predecessor(const char *const *names, size_t n, const char *own)
{
	long long mine = leader_info_seq(own), s, bs = -1;
	long best = -1;
	bool found = false;
	size_t i;

	if (mine < 0)
		return -2;
	for (i = 0; i < n; i++) {
		if ((s = leader_info_seq(names[i])) < 0)
			continue;
		if (strcmp(names[i], own) == 0) {
			found = true;
			continue;
		}
		if (s < mine && s > bs) {
			best = (long)i;
			bs = s;
		}
	}
	return found ? best : -2;
}
