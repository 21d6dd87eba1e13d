/*
 * httpc_easy.c: one request's curl easy handle for lib/httpc. Owns the
 * translation of struct httpc_opts into curl options (method, body,
 * headers, timeouts, redirects), the client's peer settings on TCP URLs
 * (https://, the CA, the agent secret on its paths), and the write and
 * header callbacks that collect the response (body capped at
 * HTTPC_MAX_BODY, header lines for on_head). A leaf under httpc.c: it
 * calls nothing there. Loop thread only; the callbacks run inside curl,
 * so they only fill buffers, or call the caller's on_data and on_head.
 */
#include "httpc_int.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xalloc.h"

#define HTTPC_DEFAULT_TIMEOUT_MS 30000L
#define HTTPC_DEFAULT_CONNECT_MS 5000L

static size_t
httpc_easy_write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct httpc_req *r = arg;
	size_t n = size * nmemb;

	CD_CHECK_OBJ(r, HTTPC_REQ_MAGIC);
	if (r->cancelled || (r->c != NULL && r->c->dead))
		return 0; /* abort the transfer */
	if (r->on_data != NULL) {
		r->on_data(p, n, r->arg);
		return r->cancelled ? 0 : n;
	}
	if (r->resp.len + n > HTTPC_MAX_BODY) {
		r->too_big = true;
		return 0;
	}
	buf_append(&r->resp, p, n);
	return n;
}

/* Largest header block kept; the rest of the lines are dropped. */
#define HTTPC_MAX_HEADERS (64 * 1024)

static size_t
httpc_easy_header_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct httpc_req *r = arg;
	size_t n = size * nmemb;
	long code = 0;

	CD_CHECK_OBJ(r, HTTPC_REQ_MAGIC);
	if (r->cancelled || (r->c != NULL && r->c->dead))
		return 0;
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new head: an interim 1xx answer came before. */
		buf_reset(&r->hdrs);
		return n;
	}
	if (n <= 2 && (p[0] == '\r' || p[0] == '\n')) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 200 && r->on_head != NULL && !r->head_done) {
			r->head_done = true;
			r->on_head((int)code, r->hdrs.data, r->hdrs.len,
				   r->arg);
			return r->cancelled ? 0 : n;
		}
		return n;
	}
	if (r->hdrs.len + n <= HTTPC_MAX_HEADERS)
		buf_append(&r->hdrs, p, n);
	return n;
}

/* The path of an absolute URL ("http://h:p/x?y" -> "/x?y"), or "". */
static const char *
httpc_easy_url_path(const char *url)
{
	const char *p = strstr(url, "://");

	if (p == NULL)
		return "";
	p = strchr(p + 3, '/');
	return p != NULL ? p : "";
}

/* The client's peer settings on a TCP request (see httpc_set_peer()). */
static CURLcode
httpc_easy_peer(struct httpc_req *r, const struct httpc_opts *o)
{
	struct httpc *c = r->c;
	CURLcode rc = CURLE_OK;
	char *url;

	if (o->unix_socket != NULL)
		return CURLE_OK;
	if (c->https && strncasecmp(o->url, "http://", 7) == 0) {
		url = xasprintf("https://%s", o->url + 7);
		rc = curl_easy_setopt(r->easy, CURLOPT_URL, url); /* copied */
		free(url);
		if (rc != CURLE_OK)
			return rc;
	}
	if (c->https || c->ca_file != NULL) {
		if ((rc = curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER,
					   1L)) != CURLE_OK ||
		    (rc = curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST,
					   2L)) != CURLE_OK)
			return rc;
	}
	if (c->ca_file != NULL &&
	    (rc = curl_easy_setopt(r->easy, CURLOPT_CAINFO, c->ca_file)) !=
		CURLE_OK)
		return rc;
	if (c->secret_line != NULL &&
	    strncmp(httpc_easy_url_path(o->url), c->secret_prefix,
		    strlen(c->secret_prefix)) == 0)
		r->headers = curl_slist_append(r->headers, c->secret_line);
	return CURLE_OK;
}

CURLcode
httpc_easy_setup(struct httpc_req *r, const struct httpc_opts *o)
{
	const char *m = o->method != NULL ? o->method : "GET";
	bool has_body = o->body != NULL || strcmp(m, "POST") == 0 ||
			strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0;
	long timeout = o->timeout_ms == 0  ? HTTPC_DEFAULT_TIMEOUT_MS
		       : o->timeout_ms < 0 ? 0
					   : o->timeout_ms;
	long ctimeout = o->connect_timeout_ms > 0 ? o->connect_timeout_ms
						  : HTTPC_DEFAULT_CONNECT_MS;
	CURL *e = r->easy;
	char *h;
	size_t i;
	CURLcode rc = CURLE_OK;

#define HTTPC_SET(opt, val)                                                    \
	do {                                                                   \
		if ((rc = curl_easy_setopt(e, opt, val)) != CURLE_OK)          \
			return rc;                                             \
	} while (0)

	HTTPC_SET(CURLOPT_URL, o->url);
	HTTPC_SET(CURLOPT_PRIVATE, (char *)(void *)r);
	HTTPC_SET(CURLOPT_WRITEFUNCTION, httpc_easy_write_cb);
	HTTPC_SET(CURLOPT_WRITEDATA, r);
	HTTPC_SET(CURLOPT_ERRORBUFFER, r->errbuf);
	HTTPC_SET(CURLOPT_NOSIGNAL, 1L);
	HTTPC_SET(CURLOPT_TIMEOUT_MS, timeout);
	HTTPC_SET(CURLOPT_CONNECTTIMEOUT_MS, ctimeout);
	HTTPC_SET(CURLOPT_PROTOCOLS_STR, "http,https");
	/*
	 * curl's receive buffer is per request and 16 KiB by default: the
	 * master has a request or two in flight per agent, and its heap
	 * profile at 200 agents showed 22 KiB of curl per agent, 10 KiB
	 * with 4 KiB here. Bigger bodies only take more reads.
	 */
	HTTPC_SET(CURLOPT_BUFFERSIZE, 4096L);
	if (o->unix_socket != NULL)
		HTTPC_SET(CURLOPT_UNIX_SOCKET_PATH, o->unix_socket);
	if (o->follow_redirects) {
		HTTPC_SET(CURLOPT_FOLLOWLOCATION, 1L);
		HTTPC_SET(CURLOPT_MAXREDIRS, 10L);
		HTTPC_SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	}
	if (o->insecure) {
		HTTPC_SET(CURLOPT_SSL_VERIFYPEER, 0L);
		HTTPC_SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}

	if (strcmp(m, "GET") == 0) {
		HTTPC_SET(CURLOPT_HTTPGET, 1L);
		has_body = false;
	} else if (strcmp(m, "HEAD") == 0) {
		HTTPC_SET(CURLOPT_NOBODY, 1L);
		has_body = false;
	} else if (strcmp(m, "POST") != 0) {
		HTTPC_SET(CURLOPT_CUSTOMREQUEST, m);
	}
	if (has_body) {
		/* Our own copy: the caller's buffer is only borrowed. */
		r->body = xmalloc(o->body_len + 1);
		if (o->body_len > 0)
			memcpy(r->body, o->body, o->body_len);
		r->body[o->body_len] = '\0';
		HTTPC_SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
		HTTPC_SET(CURLOPT_POSTFIELDS, r->body);
		h = xasprintf("Content-Type: %s", o->content_type != NULL
						      ? o->content_type
						      : "application/json");
		r->headers = curl_slist_append(r->headers, h);
		free(h);
		/* No "Expect: 100-continue" round trip. */
		r->headers = curl_slist_append(r->headers, "Expect:");
	}
	if (o->extra_header != NULL)
		r->headers = curl_slist_append(r->headers, o->extra_header);
	for (i = 0; o->headers != NULL && o->headers[i] != NULL; i++)
		r->headers = curl_slist_append(r->headers, o->headers[i]);
	if (o->on_head != NULL || o->keep_headers) {
		HTTPC_SET(CURLOPT_HEADERFUNCTION, httpc_easy_header_cb);
		HTTPC_SET(CURLOPT_HEADERDATA, r);
	}
	if ((rc = httpc_easy_peer(r, o)) != CURLE_OK)
		return rc;
	if (r->headers != NULL)
		HTTPC_SET(CURLOPT_HTTPHEADER, r->headers);
#undef HTTPC_SET
	return CURLE_OK;
}
