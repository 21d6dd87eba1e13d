/*
 * cmd_secure.c: start-up refusals of settings that only look secure (see
 * cmd_secure.h). The rules:
 *  - --agent_secret is a value, or, when it starts with '/', './' or
 *    '../', the path of a file holding it. Such a file must be readable:
 *    the path string never silently becomes the secret. One trailing
 *    newline (LF or CRLF) is trimmed, as editors add one.
 *  - A secret that is empty or only whitespace is refused, and so is one
 *    with control characters or surrounding whitespace: it travels in an
 *    HTTP header.
 *  - Bound to an address that is not loopback, every role needs the
 *    secret, since the agent protocol runs commands as root; --insecure
 *    is the explicit opt-out (cmd/cmd_listen.c then warns at every start).
 *  - --ssl_cert and --ssl_key go together; --ssl_ca needs them, since
 *    TLS is on for a node's ports and its peer traffic together or not at
 *    all. The files themselves are loaded by cmd/cmd_listen.c (lib/tls).
 * Blocking file reads: before the loop exists.
 */
#include "cmd_secure.h"

#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd_flags.h"
#include "lib/buf.h"
#include "lib/xalloc.h"

#define CMD_SECRET_MAX 4096

bool
cmd_secure_loopback(const char *ip)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (ip == NULL)
		return false;
	if (strcmp(ip, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, ip, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, ip, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

static bool
cmd_secure_is_path(const char *v)
{
	return v[0] == '/' || strncmp(v, "./", 2) == 0 ||
	       strncmp(v, "../", 3) == 0;
}

/* The secret file's contents into *out (owned), or an error line. */
static int
cmd_secure_read(const char *path, char **out, struct buf *errors)
{
	char tmp[CMD_SECRET_MAX + 1];
	struct stat st;
	ssize_t n;
	int fd, rc = -EINVAL;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1) {
		buf_printf(errors,
			   "cannot read the --agent_secret file %s: %s "
			   "(a value starting with / or ./ names a file)\n",
			   path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		buf_printf(errors,
			   "the --agent_secret file %s is not a regular "
			   "file\n",
			   path);
		goto out;
	}
	if (st.st_mode & 077)
		fprintf(stderr,
			"clusterd: warning: the --agent_secret file %s is "
			"readable by others than its owner (chmod 600)\n",
			path);
	n = read(fd, tmp, sizeof tmp);
	if (n == -1) {
		buf_printf(errors,
			   "cannot read the --agent_secret file %s: %s\n", path,
			   strerror(errno));
		goto out;
	}
	if (n > CMD_SECRET_MAX) {
		buf_printf(errors,
			   "the --agent_secret file %s is over %d bytes\n",
			   path, CMD_SECRET_MAX);
		goto out;
	}
	if (n > 0 && tmp[n - 1] == '\n')
		n--;
	if (n > 0 && tmp[n - 1] == '\r')
		n--;
	*out = xstrndup(tmp, (size_t)n);
	rc = 0;
out:
	close(fd);
	return rc;
}

/* Resolve c->agent_secret from its file, and check the secret itself. */
static int
cmd_secure_secret(struct cd_config *c, struct buf *errors)
{
	const char *problem = NULL;
	char *file = NULL, *v;
	bool blank = true;
	size_t i;

	if (cmd_secure_is_path(c->agent_secret)) {
		if (cmd_secure_read(c->agent_secret, &v, errors) != 0)
			return -EINVAL;
		file = c->agent_secret;
		c->agent_secret = v;
	}
	v = c->agent_secret;
	for (i = 0; v[i] != '\0' && problem == NULL; i++) {
		unsigned char ch = (unsigned char)v[i];

		if ((ch < 0x20 || ch == 0x7f) && ch != ' ' && ch != '\t')
			problem = "holds a control character; use printable "
				  "characters";
		else if (ch != ' ' && ch != '\t')
			blank = false;
	}
	if (problem == NULL && blank)
		problem = "is empty: an empty secret guards nothing";
	else if (problem == NULL && (v[0] == ' ' || v[0] == '\t' ||
				     v[i - 1] == ' ' || v[i - 1] == '\t'))
		/* Header values lose surrounding whitespace on the way. */
		problem = "starts or ends with whitespace; remove it";
	if (problem != NULL)
		buf_printf(errors, "--agent_secret%s%s %s\n",
			   file ? " file " : "", file ? file : "", problem);
	free(file);
	return problem != NULL ? -EINVAL : 0;
}

int
cmd_secure_check(struct cd_config *c, struct buf *errors)
{
	size_t start = errors->len;
	const char *role = c->role == CD_ROLE_AIO      ? "--all-in-one"
			   : c->role == CD_ROLE_MASTER ? "--master"
						       : "--agent";

	if (c->agent_secret != NULL)
		(void)cmd_secure_secret(c, errors);
	else if (!c->insecure && !cmd_secure_loopback(c->ip))
		buf_printf(errors,
			   "%s on --ip=%s (not loopback) needs "
			   "--agent_secret=FILE|VALUE, the same on every "
			   "master and agent, or --insecure to run the agent "
			   "protocol unauthenticated\n",
			   role, c->ip);
	if ((c->ssl_cert != NULL) != (c->ssl_key != NULL))
		buf_puts(errors, "--ssl_cert and --ssl_key go together\n");
	if (c->ssl_ca != NULL && c->ssl_cert == NULL)
		buf_puts(errors, "--ssl_ca needs --ssl_cert and --ssl_key: TLS "
				 "covers a node's ports and its peer traffic "
				 "together\n");
	if (c->http_credentials != NULL &&
	    (strchr(c->http_credentials, ':') == NULL ||
	     c->http_credentials[0] == ':'))
		buf_puts(errors, "invalid value for --http_credentials: "
				 "expected user:password\n");
	return errors->len > start ? -EINVAL : 0;
}
