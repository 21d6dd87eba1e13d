/*
 * zk_url.c: parses "zk://h1:p1,h2:p2/path" into the connect string of
 * libzookeeper and the path under which clusterd keeps its znodes. Pure
 * (STYLE B28): it only reads its input and allocates its output.
 *
 * Design: one left-to-right pass, each server checked on its own and
 * written back normalised ("host:port", the default port made explicit), so
 * the connect string handed to libzookeeper never carries anything the
 * checks did not see. The path stays ours (never a libzookeeper "chroot"):
 * the election znodes sit at <path>/json.info_N, where Mesos tools look.
 */
#include "zk_url.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

#define ZK_URL_SCHEME "zk://"

static bool
zk_url_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static bool
zk_url_hex6_char(char c)
{
	return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
	       (c >= '0' && c <= '9') || c == ':' || c == '.';
}

static bool
zk_url_path_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/*
 * One server "host[:port]" of n bytes at p, appended to out as
 * "host:port". Returns 0 or -EINVAL with err set.
 */
static int
zk_url_server(const char *p, size_t n, struct buf *out, struct cd_err *err)
{
	size_t i, hlen;
	const char *port = NULL;
	size_t plen = 0;
	long v = 0;

	if (n == 0)
		return cd_err_set(err, -EINVAL,
				  "empty server in the ZooKeeper URL");
	if (p[0] == '[') {
		/* [IPv6]:port */
		for (i = 1; i < n && p[i] != ']'; i++) {
			if (!zk_url_hex6_char(p[i]))
				return cd_err_set(
				    err, -EINVAL,
				    "bad character in the IPv6 address of "
				    "server \"%.*s\"",
				    (int)n, p);
		}
		if (i >= n || i == 1)
			return cd_err_set(err, -EINVAL,
					  "unterminated or empty [IPv6] "
					  "address in server \"%.*s\"",
					  (int)n, p);
		hlen = i + 1;
	} else {
		for (i = 0; i < n && p[i] != ':'; i++) {
			if (!zk_url_name_char(p[i]))
				return cd_err_set(
				    err, -EINVAL,
				    "bad character in server "
				    "\"%.*s\" (expected host:port)",
				    (int)n, p);
		}
		hlen = i;
		if (hlen == 0)
			return cd_err_set(err, -EINVAL,
					  "server \"%.*s\" has no host", (int)n,
					  p);
		if (p[0] == '-' || p[0] == '.' || p[hlen - 1] == '-' ||
		    p[hlen - 1] == '.')
			return cd_err_set(err, -EINVAL,
					  "bad host name in server \"%.*s\"",
					  (int)n, p);
	}
	if (hlen < n) {
		if (p[hlen] != ':')
			return cd_err_set(err, -EINVAL,
					  "expected ':port' after the host in "
					  "server \"%.*s\"",
					  (int)n, p);
		port = p + hlen + 1;
		plen = n - hlen - 1;
		if (plen == 0 || plen > 5)
			return cd_err_set(err, -EINVAL,
					  "bad port in server \"%.*s\" "
					  "(expected 1-65535)",
					  (int)n, p);
		for (i = 0; i < plen; i++) {
			if (port[i] < '0' || port[i] > '9')
				return cd_err_set(err, -EINVAL,
						  "bad port in server \"%.*s\" "
						  "(expected 1-65535)",
						  (int)n, p);
			v = v * 10 + (port[i] - '0');
		}
		if (v < 1 || v > 65535)
			return cd_err_set(err, -EINVAL,
					  "bad port in server \"%.*s\" "
					  "(expected 1-65535)",
					  (int)n, p);
	} else {
		v = ZK_URL_DEFAULT_PORT;
	}
	if (out->len > 0)
		buf_puts(out, ",");
	buf_append(out, p, hlen);
	buf_printf(out, ":%ld", v);
	return 0;
}

/* The path at p (to the end of the string), checked. */
static int
zk_url_path(const char *p, struct cd_err *err)
{
	size_t i, start;

	if (p[0] != '/' || p[1] == '\0')
		return cd_err_set(err, -EINVAL,
				  "the ZooKeeper URL needs a path, as in "
				  "zk://host:2181/clusterd");
	for (i = 1, start = 1;; i++) {
		if (p[i] == '/' || p[i] == '\0') {
			if (i == start)
				return cd_err_set(
				    err, -EINVAL,
				    "empty component in ZooKeeper path \"%s\"",
				    p);
			if ((i - start == 1 && p[start] == '.') ||
			    (i - start == 2 && p[start] == '.' &&
			     p[start + 1] == '.'))
				return cd_err_set(
				    err, -EINVAL,
				    "\".\" or \"..\" in ZooKeeper "
				    "path \"%s\"",
				    p);
			if (p[i] == '\0')
				return 0;
			start = i + 1;
			continue;
		}
		if (!zk_url_path_char(p[i]))
			return cd_err_set(err, -EINVAL,
					  "bad character in ZooKeeper path "
					  "\"%s\" (letters, digits, '.', '_', "
					  "'-' and '/')",
					  p);
	}
}

int
zk_url_parse(const char *s, struct zk_url *out, struct cd_err *err)
{
	struct buf hosts = BUF_INIT;
	const char *p, *slash, *comma, *end;
	size_t nhosts = 0;
	int rc;

	if (s == NULL || strncmp(s, ZK_URL_SCHEME, strlen(ZK_URL_SCHEME)) != 0)
		return cd_err_set(err, -EINVAL,
				  "expected a ZooKeeper URL "
				  "zk://host:port[,host:port...]/path");
	if (strlen(s) > ZK_URL_MAX_LEN)
		return cd_err_set(err, -EINVAL,
				  "ZooKeeper URL longer than %d bytes",
				  ZK_URL_MAX_LEN);
	p = s + strlen(ZK_URL_SCHEME);
	slash = strchr(p, '/');
	end = slash != NULL ? slash : p + strlen(p);
	if (memchr(p, '@', (size_t)(end - p)) != NULL) {
		rc = cd_err_set(err, -EINVAL,
				"credentials in the ZooKeeper URL are not "
				"supported");
		goto fail;
	}
	while (p <= end) {
		comma = memchr(p, ',', (size_t)(end - p));
		if (comma == NULL)
			comma = end;
		if (++nhosts > ZK_URL_MAX_HOSTS) {
			rc = cd_err_set(err, -EINVAL,
					"more than %d servers in the ZooKeeper "
					"URL",
					ZK_URL_MAX_HOSTS);
			goto fail;
		}
		if ((rc = zk_url_server(p, (size_t)(comma - p), &hosts, err)) !=
		    0)
			goto fail;
		p = comma + 1;
	}
	if (slash == NULL) {
		rc = cd_err_set(err, -EINVAL,
				"the ZooKeeper URL needs a path, as in "
				"zk://host:2181/clusterd");
		goto fail;
	}
	if ((rc = zk_url_path(slash, err)) != 0)
		goto fail;
	/* With default ports made explicit, it must still be a URL we read. */
	if (strlen(ZK_URL_SCHEME) + hosts.len + strlen(slash) >
	    ZK_URL_MAX_LEN) {
		rc = cd_err_set(err, -EINVAL,
				"ZooKeeper URL longer than %d bytes",
				ZK_URL_MAX_LEN);
		goto fail;
	}
	zk_url_release(out);
	out->hosts = buf_detach(&hosts, NULL);
	out->path = xstrdup(slash);
	out->nhosts = nhosts;
	return 0;
fail:
	buf_release(&hosts);
	return rc;
}

void
zk_url_release(struct zk_url *u)
{
	free(u->hosts);
	u->hosts = NULL;
	free(u->path);
	u->path = NULL;
	u->nhosts = 0;
}
