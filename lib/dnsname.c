/*
 * dnsname.c: mesos-dns's naming rules and query-name normalisation (see
 * dnsname.h). Pure: the only library call is OpenSSL's SHA-1, for the
 * task hash.
 */
#include "lib/dnsname.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/buf.h"
#include "lib/xalloc.h"

/* mesos-dns's mapping of one byte: lowercase, '-', or dropped (-1). */
static int
dnsname_map(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 'a';
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return c;
	if (c == '-' || c == '.' || c == '_')
		return '-';
	return -1;
}

size_t
dnsname_label(const char *name, char out[DNSNAME_LABEL_MAX + 1])
{
	size_t size, head, i, n = 0, k;
	const char *p;
	char *m;
	int c;

	/* Map, then trim leading '-' (labels.label and trimCut). */
	m = xmalloc(strlen(name) + 1);
	for (p = name; *p != '\0'; p++) {
		c = dnsname_map((unsigned char)*p);
		if (c < 0 || (c == '-' && n == 0))
			continue;
		m[n++] = (char)c;
	}
	size = n < DNSNAME_LABEL_MAX ? n : DNSNAME_LABEL_MAX;
	head = size;
	while (head > 0 && m[head - 1] == '-')
		head--;
	memcpy(out, m, head);
	if (head != size) {
		/* Cut short by the trim: refill from what follows the cut,
		 * its leading '-' skipped, as trimCut does. */
		i = size;
		while (i < n && m[i] == '-')
			i++;
		k = n - i < size - head ? n - i : size - head;
		memcpy(out + head, m + i, k);
		head += k;
	}
	out[head] = '\0';
	free(m);
	return head;
}

int
dnsname_frag(const char *name, char *out, size_t outsz)
{
	struct buf b = BUF_INIT;
	char label[DNSNAME_LABEL_MAX + 1];
	const char *p = name, *dot;
	char *part;
	int rc;

	for (;;) {
		dot = strchr(p, '.');
		part =
		    dot != NULL ? xstrndup(p, (size_t)(dot - p)) : xstrdup(p);
		if (dnsname_label(part, label) > 0)
			buf_printf(&b, "%s%s", b.len > 0 ? "." : "", label);
		free(part);
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	if (b.len >= outsz || b.len > DNSNAME_MAX) {
		if (outsz > 0)
			out[0] = '\0';
		rc = -ENAMETOOLONG;
	} else {
		memcpy(out, buf_str(&b), b.len + 1);
		rc = (int)b.len;
	}
	buf_release(&b);
	return rc;
}

char *
dnsname_marathon(const char *app_id)
{
	struct buf b = BUF_INIT;
	const char *end = app_id + strlen(app_id), *start;

	/* Segments from the last to the first, empty ones skipped. */
	while (end > app_id) {
		start = end;
		while (start > app_id && start[-1] != '/')
			start--;
		if (end > start)
			buf_printf(&b, "%s%.*s", b.len > 0 ? "." : "",
				   (int)(end - start), start);
		end = start > app_id ? start - 1 : start;
	}
	return buf_detach(&b, NULL);
}

void
dnsname_hash(const char *task_id, char out[DNSNAME_HASH_LEN + 1])
{
	static const char zb32[] = "ybndrfg8ejkmcpqxot1uwisza345h769";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint32_t bits;
	int i;

	/* SHA-1 cannot fail on a one-shot digest of memory; check anyway. */
	AN(EVP_Digest(task_id, strlen(task_id), md, &mdlen, EVP_sha1(), NULL));
	CD_ASSERT(mdlen >= 4);
	/* zbase32 takes 5 bits at a time, most significant first. */
	bits = (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 |
	       (uint32_t)md[2] << 8 | md[3];
	for (i = 0; i < DNSNAME_HASH_LEN; i++)
		out[i] = zb32[(bits >> (27 - 5 * i)) & 0x1f];
	out[DNSNAME_HASH_LEN] = '\0';
}

void
dnsname_tail(const char *agent_id, char out[DNSNAME_LABEL_MAX + 1])
{
	const char *t = strrchr(agent_id, '-');
	size_t i, n;

	t = t != NULL ? t + 1 : agent_id;
	n = strlen(t);
	if (n > DNSNAME_LABEL_MAX)
		n = DNSNAME_LABEL_MAX;
	for (i = 0; i < n; i++)
		out[i] = (t[i] >= 'A' && t[i] <= 'Z') ? (char)(t[i] - 'A' + 'a')
						      : t[i];
	out[n] = '\0';
}

int
dnsname_normalize(const char *name, char *out, size_t outsz)
{
	size_t i, n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > DNSNAME_MAX || n >= outsz)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c >= 0x7f)
			return -EINVAL;
		out[i] =
		    (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : (char)c;
	}
	out[n] = '\0';
	return (int)n;
}

bool
dnsname_in_domain(const char *name, const char *domain, size_t *rel_len)
{
	size_t n = strlen(name), d = strlen(domain);

	if (n == d && memcmp(name, domain, d) == 0) {
		*rel_len = 0;
		return true;
	}
	if (n <= d + 1 || name[n - d - 1] != '.' ||
	    memcmp(name + n - d, domain, d) != 0)
		return false;
	*rel_len = n - d - 1;
	return true;
}
