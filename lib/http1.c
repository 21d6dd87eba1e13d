/*
 * http1.c: the HTTP/1.x request parser of lib/httpd (see http1.h). The
 * head is copied once into http1_req.raw and cut into NUL-terminated
 * pieces in place, so a request costs two allocations whatever its number
 * of headers. The chunked decoder is a byte-at-a-time state machine that
 * keeps no input, so a body may arrive in pieces of any size. An
 * Accept-Encoding list is read in place, without a copy.
 */
#include "http1.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

enum http1_chunk_state {
	CH_SIZE = 0, /* hex digits of a chunk size (none yet when line=0) */
	CH_SIZE_WS,  /* whitespace after the size */
	CH_EXT,	     /* chunk extensions, skipped */
	CH_SIZE_LF,  /* the LF ending the size line */
	CH_DATA,     /* chunk data */
	CH_DATA_CR,  /* the CRLF after the data */
	CH_DATA_LF,
	CH_TRAILER,	 /* start of a trailer line (or the final CRLF) */
	CH_TRAILER_LINE, /* inside a trailer field */
	CH_TRAILER_LF,	 /* the LF ending a trailer field */
	CH_END_LF,	 /* the LF of the final empty line */
	CH_DONE,
};

/* RFC 9110 tchar. */
static bool
http1_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-vchar, obs-text, SP or HTAB. */
static bool
http1_vchar(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

int
http1_head_scan(const char *p, size_t n, size_t *pos, size_t *len)
{
	size_t i = *pos;

	for (; i < n; i++) {
		if (p[i] == '\r') {
			if (i + 1 == n)
				break; /* the LF may still come */
			if (p[i + 1] != '\n')
				return -EINVAL;
			continue;
		}
		if (p[i] != '\n')
			continue;
		if (i == 0 || p[i - 1] != '\r')
			return -EINVAL;
		if (i >= 3 && p[i - 2] == '\n' && p[i - 3] == '\r') {
			*len = i + 1;
			*pos = i + 1;
			return 1;
		}
	}
	*pos = i;
	return 0;
}

size_t
http1_skip_empty(const char *p, size_t n)
{
	size_t i = 0;

	while (i + 1 < n && p[i] == '\r' && p[i + 1] == '\n')
		i += 2;
	return i;
}

/* Does the comma-separated list s hold token tok (case-insensitive)? */
static bool
http1_list_has(const char *s, const char *tok)
{
	size_t tl = strlen(tok);

	while (*s != '\0') {
		const char *e;
		size_t l;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		e = s;
		while (*e != '\0' && *e != ',')
			e++;
		l = (size_t)(e - s);
		while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t'))
			l--;
		if (l == tl && strncasecmp(s, tok, tl) == 0)
			return true;
		s = e;
	}
	return false;
}

/*
 * Transfer-Encoding: the codings of every such header in order; the last
 * must be chunked and there may be no other (we decode nothing else).
 */
static int
http1_te(struct http1_req *r, const char *v, struct cd_err *err)
{
	while (*v != '\0') {
		const char *e;
		size_t l;

		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		if (*v == '\0')
			break;
		e = v;
		while (*e != '\0' && *e != ',')
			e++;
		l = (size_t)(e - v);
		while (l > 0 && (v[l - 1] == ' ' || v[l - 1] == '\t'))
			l--;
		if (l != 7 || strncasecmp(v, "chunked", 7) != 0)
			return cd_err_set(err, -ENOTSUP,
					  "Transfer-Encoding other than "
					  "chunked is not supported");
		if (r->chunked)
			return cd_err_set(err, -EINVAL,
					  "chunked given twice in "
					  "Transfer-Encoding");
		r->chunked = true;
		v = e;
	}
	if (!r->chunked)
		return cd_err_set(err, -EINVAL, "empty Transfer-Encoding");
	return 0;
}

static int
http1_content_length(struct http1_req *r, const char *v, struct cd_err *err)
{
	unsigned long long x = 0;
	const char *s = v;

	if (*s == '\0')
		return cd_err_set(err, -EINVAL, "empty Content-Length");
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return cd_err_set(err, -EINVAL,
					  "Content-Length is not a number");
		if (x > (ULLONG_MAX - 9) / 10)
			return cd_err_set(err, -EFBIG,
					  "Content-Length too large");
		x = x * 10 + (unsigned long long)(*s - '0');
	}
	if (r->has_length && r->length != x)
		return cd_err_set(err, -EINVAL,
				  "conflicting Content-Length headers");
	r->has_length = true;
	r->length = x;
	return 0;
}

/* method SP request-target SP HTTP-version, NUL-terminated in place. */
static int
http1_request_line(struct http1_req *r, char *line, struct cd_err *err)
{
	char *sp1, *sp2, *v, *t;

	for (sp1 = line; http1_tchar((unsigned char)*sp1); sp1++)
		;
	if (sp1 == line || *sp1 != ' ')
		return cd_err_set(err, -EINVAL, "malformed request line");
	*sp1 = '\0';
	r->method = line;
	t = sp1 + 1;
	for (sp2 = t; (unsigned char)*sp2 > 0x20 && *sp2 != 0x7f; sp2++)
		if (*sp2 == '#' || (unsigned char)*sp2 > 0x7f)
			return cd_err_set(err, -EINVAL,
					  "invalid request target");
	if (sp2 == t || *sp2 != ' ')
		return cd_err_set(err, -EINVAL, "malformed request line");
	*sp2 = '\0';
	v = sp2 + 1;
	if (strncmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
	    v[6] != '.' || v[7] < '0' || v[7] > '9' || v[8] != '\0')
		return cd_err_set(err, -EINVAL, "malformed HTTP version");
	if (v[5] != '1')
		return cd_err_set(err, -EPROTONOSUPPORT,
				  "HTTP version %s is not supported", v);
	r->minor = v[7] == '0' ? 0 : 1;
	if (strncasecmp(t, "http://", 7) == 0 ||
	    strncasecmp(t, "https://", 8) == 0) {
		/* absolute-form: keep the path (the authority is ignored). */
		t = strchr(t, ':') + 3;
		t = strchr(t, '/') != NULL ? strchr(t, '/') : "/";
	} else if (t[0] != '/' && strcmp(t, "*") != 0) {
		return cd_err_set(err, -EINVAL, "invalid request target");
	}
	r->target = t;
	return 0;
}

/* One "name: value" line, NUL-terminated in place, into r->h. */
static int
http1_header_line(struct http1_req *r, char *line, struct cd_err *err)
{
	char *c, *v, *e;

	if (line[0] == ' ' || line[0] == '\t')
		return cd_err_set(err, -EINVAL, "folded header line");
	for (c = line; http1_tchar((unsigned char)*c); c++)
		;
	if (c == line || *c != ':')
		return cd_err_set(err, -EINVAL, "malformed header line");
	*c = '\0';
	for (v = c + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (e = v; *e != '\0'; e++)
		if (!http1_vchar((unsigned char)*e))
			return cd_err_set(err, -EINVAL,
					  "control character in header %s",
					  line);
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	if (r->nh == HTTP1_MAX_HEADERS)
		return cd_err_set(err, -E2BIG, "more than %d headers",
				  HTTP1_MAX_HEADERS);
	XGROW(r->h, r->nh + 1, r->cap);
	r->h[r->nh].name = line;
	r->h[r->nh].value = v;
	r->nh++;
	return 0;
}

/* Framing and connection handling from the headers. */
static int
http1_semantics(struct http1_req *r, struct cd_err *err)
{
	bool close = false, keep = false, host = false;
	size_t i;
	int rc;

	for (i = 0; i < r->nh; i++) {
		const char *n = r->h[i].name, *v = r->h[i].value;

		if (strcasecmp(n, "Content-Length") == 0) {
			if ((rc = http1_content_length(r, v, err)) != 0)
				return rc;
		} else if (strcasecmp(n, "Transfer-Encoding") == 0) {
			if (r->minor == 0)
				return cd_err_set(err, -EINVAL,
						  "Transfer-Encoding in "
						  "HTTP/1.0");
			if ((rc = http1_te(r, v, err)) != 0)
				return rc;
		} else if (strcasecmp(n, "Connection") == 0) {
			close = close || http1_list_has(v, "close");
			keep = keep || http1_list_has(v, "keep-alive");
		} else if (strcasecmp(n, "Expect") == 0) {
			/* Other expectations are ignored (RFC 9110 10.1.1
			 * allows 417; nothing here needs them). */
			if (r->minor == 1 && strcasecmp(v, "100-continue") == 0)
				r->expect_continue = true;
		} else if (strcasecmp(n, "Host") == 0) {
			if (host)
				return cd_err_set(err, -EINVAL,
						  "more than one Host header");
			host = true;
		}
	}
	if (r->chunked && r->has_length)
		return cd_err_set(err, -EINVAL,
				  "both Transfer-Encoding and Content-Length");
	r->keep_alive = !close && (r->minor == 1 || keep);
	return 0;
}

int
http1_parse(const char *p, size_t n, struct http1_req *r, struct cd_err *err)
{
	char *line, *end, *lim;
	int rc;

	memset(r, 0, sizeof *r);
	if (n < 4 || memcmp(p + n - 4, "\r\n\r\n", 4) != 0)
		return cd_err_set(err, -EINVAL, "incomplete request head");
	if (memchr(p, '\0', n) != NULL)
		return cd_err_set(err, -EINVAL, "NUL in request head");
	r->raw = xmalloc(n + 1);
	memcpy(r->raw, p, n);
	r->raw[n] = '\0';
	lim = r->raw + n - 2; /* the final CRLF */
	line = r->raw;
	end = strstr(line, "\r\n");
	*end = '\0';
	if ((rc = http1_request_line(r, line, err)) != 0)
		return rc;
	for (line = end + 2; line < lim; line = end + 2) {
		end = strstr(line, "\r\n");
		*end = '\0';
		if ((rc = http1_header_line(r, line, err)) != 0)
			return rc;
	}
	return http1_semantics(r, err);
}

void
http1_req_release(struct http1_req *r)
{
	free(r->raw);
	free(r->h);
	memset(r, 0, sizeof *r);
}

const char *
http1_req_header(const struct http1_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nh; i++)
		if (strcasecmp(r->h[i].name, name) == 0)
			return r->h[i].value;
	return NULL;
}

int
http1_status(int rc)
{
	switch (rc) {
	case -EPROTONOSUPPORT:
		return 505;
	case -ENOTSUP:
		return 501;
	case -E2BIG:
		return 431;
	case -EFBIG:
		return 413;
	default:
		return 400;
	}
}

/* One byte of a chunk-size line or trailer; returns 0 or an error. */
static int
http1_chunk_byte(struct http1_chunked *c, unsigned char b)
{
	int d;

	switch (c->state) {
	case CH_SIZE:
		if ((d = cd_hexval(b)) >= 0) {
			if (c->left > (ULLONG_MAX >> 4))
				return -EFBIG;
			c->left = c->left << 4 | (unsigned)d;
			break;
		}
		if (c->line == 0)
			return -EINVAL; /* no digits */
					/* FALLTHROUGH */
	case CH_SIZE_WS:
		if (b == ' ' || b == '\t')
			c->state = CH_SIZE_WS;
		else if (b == ';')
			c->state = CH_EXT;
		else if (b == '\r')
			c->state = CH_SIZE_LF;
		else
			return -EINVAL;
		break;
	case CH_EXT:
		if (b == '\r')
			c->state = CH_SIZE_LF;
		else if (!http1_vchar(b))
			return -EINVAL;
		break;
	case CH_TRAILER:
		if (b == '\r') {
			c->state = CH_END_LF;
			break;
		}
		c->state = CH_TRAILER_LINE;
		/* FALLTHROUGH */
	case CH_TRAILER_LINE:
		if (b == '\r')
			c->state = CH_TRAILER_LF;
		else if (!http1_vchar(b))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	c->line++;
	if (c->state >= CH_TRAILER ? c->line > HTTP1_MAX_TRAILERS
				   : c->line > HTTP1_MAX_CHUNK_LINE)
		return -EINVAL;
	return 0;
}

int
http1_chunked_feed(struct http1_chunked *c, const char *p, size_t n,
		   unsigned long long max, struct buf *out, size_t *used)
{
	size_t i = 0;
	int rc = 0;

	while (i < n && c->state != CH_DONE) {
		unsigned char b = (unsigned char)p[i];

		switch (c->state) {
		case CH_DATA: {
			size_t k = n - i;

			if ((unsigned long long)k > c->left)
				k = (size_t)c->left;
			if (out != NULL)
				buf_append(out, p + i, k);
			i += k;
			c->left -= k;
			if (c->left == 0)
				c->state = CH_DATA_CR;
			continue;
		}
		case CH_SIZE_LF:
			if (b != '\n') {
				rc = -EINVAL;
				goto out;
			}
			c->line = 0;
			if (c->left == 0) {
				c->state = CH_TRAILER;
				break;
			}
			if (c->left > max || c->total > max - c->left) {
				rc = -EFBIG;
				goto out;
			}
			c->total += c->left;
			c->state = CH_DATA;
			break;
		case CH_DATA_CR:
			if (b != '\r') {
				rc = -EINVAL;
				goto out;
			}
			c->state = CH_DATA_LF;
			break;
		case CH_DATA_LF:
			if (b != '\n') {
				rc = -EINVAL;
				goto out;
			}
			c->state = CH_SIZE;
			c->line = 0;
			break;
		case CH_TRAILER_LF:
			if (b != '\n') {
				rc = -EINVAL;
				goto out;
			}
			c->state = CH_TRAILER;
			break;
		case CH_END_LF:
			if (b != '\n') {
				rc = -EINVAL;
				goto out;
			}
			c->state = CH_DONE;
			break;
		default:
			if ((rc = http1_chunk_byte(c, b)) != 0)
				goto out;
			break;
		}
		i++;
	}
out:
	*used = i;
	if (rc != 0)
		return rc;
	return c->state == CH_DONE ? 1 : 0;
}

static const struct {
	int code;
	const char *text;
} http1_reasons[] = {
    {100, "Continue"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {413, "Payload Too Large"},
    {415, "Unsupported Media Type"},
    {422, "Unprocessable Entity"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {505, "HTTP Version Not Supported"},
};

const char *
http1_reason(int code)
{
	size_t i;

	for (i = 0; i < CD_NELEM(http1_reasons); i++)
		if (http1_reasons[i].code == code)
			return http1_reasons[i].text;
	return code < 300 ? "OK" : code < 400 ? "Redirect" : "Error";
}

/* Codings are tokens separated by commas, each with parameters after ';'
 * of which only q (a weight, "0" to "1" with up to three decimals)
 * matters here. */
bool
http1_coding_accepted(const char *v, const char *coding, const char *alias)
{
	int named = -1, star = -1; /* -1 absent, 0 refused, 1 taken */
	const char *p = v;

	while (*p != '\0') {
		const char *tok, *end;
		size_t n;
		int ok = 1;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		tok = p;
		while (*p != '\0' && *p != ',' && *p != ';' && *p != ' ' &&
		       *p != '\t')
			p++;
		n = (size_t)(p - tok);
		end = p;
		while (*end != '\0' && *end != ',')
			end++;
		/* Parameters: only q matters; "q=0", "q=0.0", "q=0.000"
		 * refuse. */
		for (; p < end; p++) {
			const char *q;

			if (*p != ';')
				continue;
			q = p + 1;
			while (*q == ' ' || *q == '\t')
				q++;
			if ((*q == 'q' || *q == 'Q') && q[1] == '=') {
				q += 2;
				if (*q == '0') {
					q++;
					if (*q == '.')
						q++;
					while (*q == '0')
						q++;
					ok = !(q >= end || *q == ' ' ||
					       *q == '\t' || *q == ';');
				}
			}
		}
		if ((n == strlen(coding) && strncasecmp(tok, coding, n) == 0) ||
		    (alias != NULL && n == strlen(alias) &&
		     strncasecmp(tok, alias, n) == 0))
			named = named == 1 ? 1 : ok;
		else if (n == 1 && tok[0] == '*')
			star = ok;
		p = end;
	}
	return named >= 0 ? named == 1 : star == 1;
}
