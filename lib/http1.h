/*
 * http1.h: pure parsing of HTTP/1.0 and HTTP/1.1 requests (RFC 9112) for
 * lib/httpd: finding the end of a request head, parsing it into method,
 * target, version and headers with the framing they imply, decoding
 * chunked bodies incrementally, reading an Accept-Encoding list, and the
 * reason phrases of the status line. No I/O, no loop, no globals (STYLE
 * B28); fuzzed by tests/fuzz/fuzz_http1.c.
 *
 * Strict where leniency lets two parsers disagree about where a request
 * ends (request smuggling): lines end in CRLF only, no whitespace before a
 * header's colon, no obsolete line folding, no control characters, one
 * Content-Length value, Transfer-Encoding only "chunked" and never with a
 * Content-Length or in HTTP/1.0, at most one Host.
 */
#ifndef CLUSTERD_LIB_HTTP1_H
#define CLUSTERD_LIB_HTTP1_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

#define HTTP1_MAX_HEADERS 100	 /* more is -E2BIG (431) */
#define HTTP1_MAX_CHUNK_LINE 256 /* chunk-size line with extensions */
#define HTTP1_MAX_TRAILERS 8192	 /* bytes of trailer fields */

struct http1_header {
	const char *name;  /* borrowed: points into the request's raw copy */
	const char *value; /* borrowed: ditto, trimmed of surrounding space */
};

struct http1_req {
	char *raw;		/* owned: copy of the head; the strings below
				   point into it */
	const char *method;	/* borrowed from raw: the token as sent */
	const char *target;	/* borrowed from raw: origin-form "/path?query";
				   absolute-form is reduced to it */
	int minor;		/* HTTP/1.minor: 0 or 1 */
	struct http1_header *h; /* owned: nh headers, in order */
	size_t nh, cap;
	bool chunked;		   /* Transfer-Encoding: chunked */
	bool has_length;	   /* a Content-Length was given */
	unsigned long long length; /* its value */
	bool keep_alive;	   /* another request may follow */
	bool expect_continue;	   /* HTTP/1.1 "Expect: 100-continue" */
};

/*
 * Look for the end of a request head in p[0..n), resuming at *pos (0 at
 * first; updated on return). Returns 1 with *len the head's length up to
 * and including its blank line, 0 when more bytes are needed, or -EINVAL
 * when a line ends in a bare LF or a CR is not followed by LF. The head
 * must not start with an empty line: see http1_skip_empty().
 */
int http1_head_scan(const char *p, size_t n, size_t *pos, size_t *len);

/*
 * The number of leading CRLF pairs at p (RFC 9112 section 2.2 lets a
 * server ignore empty lines before a request), in bytes.
 */
size_t http1_skip_empty(const char *p, size_t n);

/*
 * Parse a complete head p[0..n) as found by http1_head_scan(). Returns 0
 * and fills *r (release with http1_req_release() in every case), or:
 *   -EINVAL           malformed (400)
 *   -EPROTONOSUPPORT  not HTTP/1.x (505)
 *   -ENOTSUP          a transfer coding other than chunked (501)
 *   -E2BIG            more than HTTP1_MAX_HEADERS headers (431)
 *   -EFBIG            a Content-Length too large to represent (413)
 * with err saying why.
 */
int http1_parse(const char *p, size_t n, struct http1_req *r,
		struct cd_err *err);
void http1_req_release(struct http1_req *r);
/* The first header called name (case-insensitive), or NULL. Borrowed. */
const char *http1_req_header(const struct http1_req *r, const char *name);
/* The HTTP status for an error code of http1_parse() (400 by default). */
int http1_status(int rc);

/* The reason phrase of status code ("Not Found"); a generic one for codes
 * without their own. Static storage. */
const char *http1_reason(int code);

/*
 * Whether the coding list v, an Accept-Encoding value (RFC 9110 section
 * 12.5.3: "gzip;q=0.5, br"), gives coding, or its alias (may be NULL), a
 * weight above 0; "*" stands for every coding not named.
 */
bool http1_coding_accepted(const char *v, const char *coding,
			   const char *alias);

/* State of a chunked body being decoded; zero it to start. */
struct http1_chunked {
	int state;		  /* private */
	unsigned long long left;  /* data bytes left in this chunk */
	unsigned long long total; /* data bytes so far */
	size_t line;		  /* bytes of the current line */
};

/*
 * Decode chunked body bytes p[0..n): data goes to out (NULL discards it),
 * *used is how many bytes of p belong to the body. Returns 1 when the body
 * and its trailers ended (the bytes after *used are the next request), 0
 * when more is needed, -EINVAL when malformed, -EFBIG when the data would
 * exceed max bytes.
 */
int http1_chunked_feed(struct http1_chunked *c, const char *p, size_t n,
		       unsigned long long max, struct buf *out, size_t *used);

#endif
