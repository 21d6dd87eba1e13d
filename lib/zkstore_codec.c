/*
 * zkstore_codec.c: znode names and znode data of lib/zkstore's records
 * (format in zkstore_codec.h). Pure: it allocates and computes, nothing
 * else. zlib's one-shot compress2()/uncompress() do the work; decoding
 * trusts nothing in the header: the stated length is bounded before any
 * allocation, and the stream must inflate to exactly that length.
 */
#include "zkstore_codec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "id.h"
#include "xalloc.h"

#define ZKSTORE_TAG_LEN 4
#define ZKSTORE_TAG_Z "\0CDZ"
#define ZKSTORE_TAG_R "\0CDR"
#define ZKSTORE_HDR_Z (ZKSTORE_TAG_LEN + 4)

static const char zkstore_hex[] = "0123456789ABCDEF";

static bool
zkstore_codec_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
	       c == '-';
}

char *
zkstore_codec_escape(const char *key)
{
	struct buf b = BUF_INIT;
	const unsigned char *p;
	bool dots = strcmp(key, ".") == 0 || strcmp(key, "..") == 0;
	char e[3];

	for (p = (const unsigned char *)key; *p != '\0'; p++) {
		if (zkstore_codec_plain(*p) && !dots) {
			buf_append(&b, p, 1);
			continue;
		}
		e[0] = '%';
		e[1] = zkstore_hex[*p >> 4];
		e[2] = zkstore_hex[*p & 0xf];
		buf_append(&b, e, 3);
	}
	return buf_detach(&b, NULL);
}

static int
zkstore_codec_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
zkstore_codec_unescape(const char *name, char **out)
{
	struct buf b = BUF_INIT;
	const char *p;
	unsigned char c;
	char *s, *again = NULL;
	int hi, lo, rc = 0;

	*out = NULL;
	if (name[0] == '\0')
		return -EINVAL;
	for (p = name; *p != '\0'; p++) {
		if (*p != '%') {
			if (!zkstore_codec_plain((unsigned char)*p)) {
				rc = -EINVAL;
				goto out;
			}
			buf_append(&b, p, 1);
			continue;
		}
		if ((hi = zkstore_codec_hexval(p[1])) < 0 ||
		    (lo = zkstore_codec_hexval(p[2])) < 0) {
			rc = -EINVAL;
			goto out;
		}
		c = (unsigned char)(hi << 4 | lo);
		if (c == '\0') {
			rc = -EINVAL;
			goto out;
		}
		buf_append(&b, &c, 1);
		p += 2;
	}
	s = buf_detach(&b, NULL);
	/* One-to-one: only the escaping of that very key is accepted. */
	again = zkstore_codec_escape(s);
	if (strcmp(again, name) != 0) {
		free(s);
		rc = -EINVAL;
		goto out;
	}
	*out = s;
out:
	free(again);
	buf_release(&b);
	return rc;
}

unsigned
zkstore_codec_bucket(const char *key)
{
	return (unsigned)(id_hash(key) % ZKSTORE_BUCKETS);
}

char *
zkstore_codec_state_path(const char *root)
{
	return xasprintf("%s/state", root);
}

char *
zkstore_codec_seq_path(const char *root)
{
	return xasprintf("%s/state/seq", root);
}

char *
zkstore_codec_bucket_path(const char *root, const char *db, unsigned bucket)
{
	return xasprintf("%s/state/%s/%02x", root, db,
			 bucket % ZKSTORE_BUCKETS);
}

char *
zkstore_codec_record_path(const char *root, const char *db, const char *key)
{
	char *name = zkstore_codec_escape(key);
	char *p = xasprintf("%s/state/%s/%02x/%s", root, db,
			    zkstore_codec_bucket(key), name);

	free(name);
	return p;
}

bool
zkstore_codec_fits(size_t len)
{
	return len + ZKSTORE_TAG_LEN <= ZKSTORE_ZNODE_MAX;
}

static bool
zkstore_codec_compress(const void *val, size_t len, struct buf *out)
{
	uLongf zlen = compressBound((uLong)len);
	unsigned char hdr[ZKSTORE_HDR_Z];
	unsigned char *z;

	if (len > ZKSTORE_VALUE_MAX)
		return false;
	z = xmalloc(zlen);
	if (compress2(z, &zlen, val, (uLong)len, Z_DEFAULT_COMPRESSION) !=
		Z_OK ||
	    zlen + ZKSTORE_HDR_Z >= len) {
		free(z);
		return false;
	}
	memcpy(hdr, ZKSTORE_TAG_Z, ZKSTORE_TAG_LEN);
	hdr[4] = (unsigned char)(len >> 24);
	hdr[5] = (unsigned char)(len >> 16);
	hdr[6] = (unsigned char)(len >> 8);
	hdr[7] = (unsigned char)len;
	buf_append(out, hdr, sizeof hdr);
	buf_append(out, z, zlen);
	free(z);
	return true;
}

int
zkstore_codec_encode(const void *val, size_t len, struct buf *out,
		     bool *compressed)
{
	const unsigned char *v = val;
	bool z = false;

	buf_reset(out);
	if (len > ZKSTORE_COMPRESS_MIN)
		z = zkstore_codec_compress(val, len, out);
	if (!z) {
		if (len > 0 && v[0] == '\0')
			buf_append(out, ZKSTORE_TAG_R, ZKSTORE_TAG_LEN);
		buf_append(out, val, len);
	}
	if (compressed != NULL)
		*compressed = z;
	if (out->len > ZKSTORE_ZNODE_MAX) {
		buf_reset(out);
		return -EMSGSIZE;
	}
	return 0;
}

int
zkstore_codec_decode(const void *data, size_t len, struct buf *out)
{
	const unsigned char *d = data;
	uLongf have;
	size_t raw;
	char *p;

	buf_reset(out);
	if (len == 0 || d[0] != '\0') {
		buf_append(out, data, len);
		return 0;
	}
	if (len >= ZKSTORE_TAG_LEN &&
	    memcmp(d, ZKSTORE_TAG_R, ZKSTORE_TAG_LEN) == 0) {
		buf_append(out, d + ZKSTORE_TAG_LEN, len - ZKSTORE_TAG_LEN);
		return 0;
	}
	if (len < ZKSTORE_HDR_Z ||
	    memcmp(d, ZKSTORE_TAG_Z, ZKSTORE_TAG_LEN) != 0)
		return -EBADMSG;
	raw = (size_t)d[4] << 24 | (size_t)d[5] << 16 | (size_t)d[6] << 8 |
	      (size_t)d[7];
	if (raw > ZKSTORE_VALUE_MAX)
		return -EBADMSG;
	p = xmalloc(raw + 1);
	have = (uLongf)raw;
	if (uncompress((Bytef *)p, &have, d + ZKSTORE_HDR_Z,
		       (uLong)(len - ZKSTORE_HDR_Z)) != Z_OK ||
	    have != raw) {
		free(p);
		return -EBADMSG;
	}
	buf_append(out, p, raw);
	free(p);
	return 0;
}
