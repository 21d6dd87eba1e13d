/*
 * ui.c: serves the embedded web UI (see ui.h). Owns the route table, the
 * relay URL and the relays in flight (one struct ui_relay per GET
 * /ui/api/master/state awaiting the master).
 *
 * Design. The files are const data from the generated ui_assets.c, each
 * with its gzip form and ETags computed at build time, so a request costs
 * a bisection and a copy: nothing is compressed or hashed at run time.
 * index.html is served at /ui/ with "no-cache" (always revalidated, a
 * 304 when unchanged), and names every other file under
 * /ui/v/<version>/..., a prefix that changes with any file, so those are
 * cached as immutable. A request for another version (a page loaded
 * before an upgrade) gets today's file, revalidated like index.html.
 *
 * The relay exists because the browser should need only the API port
 * (and its credentials): the master's /master/state is fetched through
 * lib/httpc from the URL cmd/ gives, with a timeout, and answered as is.
 * A relay whose browser hangs up is cancelled; ui_free() answers the
 * remaining ones with 503. Loop thread only.
 */
#include "ui.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG_MOD "ui"
#include "lib/httpc.h"
#include "lib/httpd.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "ui/ui_assets.h"

#define UI_MAGIC 0x75695f31u
#define UI_RELAY_MAGIC 0x75695f32u
#define UI_RELAY_TIMEOUT_MS 5000L

#define UI_CACHE_REVALIDATE "no-cache"
#define UI_CACHE_IMMUTABLE "public, max-age=31536000, immutable"
/* The page loads nothing from elsewhere and runs no inline script. */
#define UI_CSP                                                                 \
	"default-src 'self'; img-src 'self' data:; style-src 'self'; "         \
	"connect-src 'self'; base-uri 'none'; form-action 'self'; "            \
	"frame-ancestors 'none'"

struct ui_relay {
	unsigned magic;
	struct ui *u;		    /* borrowed: the owner, outlives us */
	struct httpd_req *req;	    /* borrowed: until answered or closed */
	struct httpc_req *upstream; /* borrowed: until done or cancelled */
	LIST_ENTRY(ui_relay) link;
};

struct ui {
	unsigned magic;
	struct httpc *hc;	/* borrowed: from ui_new(), outlives the ui */
	char *master_state_url; /* owned, or NULL */
	LIST_HEAD(, ui_relay) relays;
};

static void ui_h_root(struct httpd_req *r, void *arg);
static void ui_h_index(struct httpd_req *r, void *arg);
static void ui_h_versioned(struct httpd_req *r, void *arg);
static void ui_h_file(struct httpd_req *r, void *arg);
static void ui_h_master_state(struct httpd_req *r, void *arg);

static const struct httpd_route ui_routes[] = {
    {HTTPD_GET | HTTPD_HEAD, "/", ui_h_root},
    {HTTPD_GET, "/ui/api/master/state", ui_h_master_state},
    {HTTPD_GET | HTTPD_HEAD, "/ui", ui_h_index},
    {HTTPD_GET | HTTPD_HEAD, "/ui/v/:version/*path", ui_h_versioned},
    {HTTPD_GET | HTTPD_HEAD, "/ui/*path", ui_h_file},
};

static bool
ui_token_is(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

bool
ui_accepts_gzip(const char *ae)
{
	double gzip_q = -1, star_q = -1;
	const char *p = ae;

	if (ae == NULL)
		return false;
	while (*p != '\0') {
		const char *name, *end;
		size_t n;
		double q = 1;

		p += strspn(p, " \t,");
		if (*p == '\0')
			break;
		name = p;
		n = strcspn(p, " \t;,");
		end = p + strcspn(p, ",");
		/* Parameters: only q matters ("gzip;q=0" refuses gzip). */
		for (p += n; p < end; p++) {
			if ((*p == 'q' || *p == 'Q') && p[1] == '=' &&
			    (p[-1] == ';' || p[-1] == ' ' || p[-1] == '\t')) {
				q = strtod(p + 2, NULL);
				break;
			}
		}
		if (ui_token_is(name, n, "gzip") ||
		    ui_token_is(name, n, "x-gzip"))
			gzip_q = q;
		else if (ui_token_is(name, n, "*"))
			star_q = q;
		p = end;
	}
	if (gzip_q >= 0)
		return gzip_q > 0;
	return star_q > 0;
}

bool
ui_etag_matches(const char *inm, const char *etag)
{
	const char *p = inm, *close;
	size_t n = strlen(etag);

	if (inm == NULL)
		return false;
	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			return false;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"')
			return false; /* malformed: no match, a full reply */
		close = strchr(p + 1, '"');
		if (close == NULL)
			return false;
		if ((size_t)(close + 1 - p) == n && memcmp(p, etag, n) == 0)
			return true;
		p = close + 1;
	}
}

static const struct ui_asset *
ui_asset_find(const char *path)
{
	size_t lo = 0, hi = ui_assets_n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(path, ui_assets[mid].path);

		if (c == 0)
			return &ui_assets[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static void
ui_serve(struct httpd_req *r, const struct ui_asset *a, const char *cache)
{
	bool gz = a->gz != NULL &&
		  ui_accepts_gzip(httpd_req_header(r, "Accept-Encoding"));
	const char *etag = gz ? a->etag_gz : a->etag;

	httpd_reply_header(r, "Cache-Control", cache);
	httpd_reply_header(r, "ETag", etag);
	if (a->gz != NULL)
		httpd_reply_header(r, "Vary", "Accept-Encoding");
	httpd_reply_header(r, "X-Content-Type-Options", "nosniff");
	if (strncmp(a->content_type, "text/html", 9) == 0) {
		httpd_reply_header(r, "Content-Security-Policy", UI_CSP);
		httpd_reply_header(r, "Referrer-Policy", "same-origin");
	}
	if (ui_etag_matches(httpd_req_header(r, "If-None-Match"), etag)) {
		httpd_reply(r, 304, NULL, NULL, 0);
		return;
	}
	if (gz) {
		httpd_reply_header(r, "Content-Encoding", "gzip");
		httpd_reply(r, 200, a->content_type, a->gz, a->gz_len);
	} else {
		httpd_reply(r, 200, a->content_type, a->data, a->len);
	}
}

static void
ui_not_found(struct httpd_req *r)
{
	httpd_reply_error(r, 404, "Not Found", NULL);
}

/* Marathon answered GET / with a redirect to its UI; relative, so that
 * it also works behind a proxy that adds a path prefix. */
static void
ui_h_root(struct httpd_req *r, void *arg)
{
	(void)arg;
	httpd_reply_header(r, "Location", "ui/");
	httpd_reply(r, 302, "text/plain; charset=utf-8", "ui/\n", 4);
}

static void
ui_h_index(struct httpd_req *r, void *arg)
{
	const char *path = httpd_req_path(r);
	const struct ui_asset *a;

	(void)arg;
	/* "/ui" must become "/ui/" for the page's relative URLs. */
	if (path[strlen(path) - 1] != '/') {
		httpd_reply_header(r, "Location", "ui/");
		httpd_reply(r, 302, "text/plain; charset=utf-8", "ui/\n", 4);
		return;
	}
	if ((a = ui_asset_find("index.html")) == NULL) {
		ui_not_found(r);
		return;
	}
	ui_serve(r, a, UI_CACHE_REVALIDATE);
}

static void
ui_h_versioned(struct httpd_req *r, void *arg)
{
	const struct ui_asset *a = ui_asset_find(httpd_req_param(r, "path"));
	bool current =
	    strcmp(httpd_req_param(r, "version"), ui_assets_version) == 0;

	(void)arg;
	if (a == NULL) {
		ui_not_found(r);
		return;
	}
	ui_serve(r, a, current ? UI_CACHE_IMMUTABLE : UI_CACHE_REVALIDATE);
}

static void
ui_h_file(struct httpd_req *r, void *arg)
{
	const struct ui_asset *a = ui_asset_find(httpd_req_param(r, "path"));

	(void)arg;
	if (a == NULL) {
		ui_not_found(r);
		return;
	}
	ui_serve(r, a, UI_CACHE_REVALIDATE);
}

static void
ui_relay_free(struct ui_relay *y)
{
	LIST_REMOVE(y, link);
	CD_FREE_OBJ(y);
}

static void
ui_relay_done(const struct httpc_resp *resp, void *arg)
{
	struct ui_relay *y = arg;

	CD_CHECK_OBJ(y, UI_RELAY_MAGIC);
	y->upstream = NULL;
	httpd_req_on_close(y->req, NULL, NULL);
	if (resp->status == 0) {
		httpd_reply_error(y->req, 502,
				  resp->err != NULL ? resp->err->msg
						    : "master unreachable",
				  NULL);
	} else {
		httpd_reply_header(y->req, "Cache-Control", "no-store");
		httpd_reply(y->req, resp->status, "application/json",
			    resp->body, resp->len);
	}
	ui_relay_free(y);
}

static void
ui_relay_closed(struct httpd_req *r, void *arg)
{
	struct ui_relay *y = arg;

	(void)r;
	CD_CHECK_OBJ(y, UI_RELAY_MAGIC);
	if (y->upstream != NULL)
		httpc_cancel(y->upstream);
	ui_relay_free(y);
}

static void
ui_h_master_state(struct httpd_req *r, void *arg)
{
	struct ui *u = arg;
	struct httpc_opts o = {0};
	struct ui_relay *y;
	const char *auth = httpd_req_header(r, "Authorization");
	char *hdr = NULL;

	CD_CHECK_OBJ(u, UI_MAGIC);
	if (u->master_state_url == NULL) {
		httpd_reply_error(r, 503, "No leading master is known", NULL);
		return;
	}
	CD_ALLOC_OBJ(y, UI_RELAY_MAGIC);
	y->u = u;
	y->req = r;
	LIST_INSERT_HEAD(&u->relays, y, link);
	httpd_req_on_close(r, ui_relay_closed, y);
	o.url = u->master_state_url;
	o.timeout_ms = UI_RELAY_TIMEOUT_MS;
	/*
	 * --http_credentials guard the master port as well as this one, with
	 * the same user: the browser's credentials, already checked here, go
	 * along (httpc copies the header).
	 */
	if (auth != NULL) {
		hdr = xasprintf("Authorization: %s", auth);
		o.extra_header = hdr;
	}
	y->upstream = httpc_request(u->hc, &o, ui_relay_done, y);
	free(hdr);
}

struct ui *
ui_new(struct httpc *hc, struct httpd *h, const struct ui_conf *conf)
{
	struct ui *u;

	CD_ALLOC_OBJ(u, UI_MAGIC);
	u->hc = hc;
	if (conf != NULL && conf->master_state_url != NULL)
		u->master_state_url = xstrdup(conf->master_state_url);
	LIST_INIT(&u->relays);
	httpd_add_routes(h, ui_routes, CD_NELEM(ui_routes), u);
	return u;
}

void
ui_set_master_state_url(struct ui *u, const char *url)
{
	CD_CHECK_OBJ(u, UI_MAGIC);
	free(u->master_state_url);
	u->master_state_url = url != NULL ? xstrdup(url) : NULL;
}

void
ui_free(struct ui *u)
{
	struct ui_relay *y;

	if (u == NULL)
		return;
	CD_CHECK_OBJ(u, UI_MAGIC);
	while ((y = LIST_FIRST(&u->relays)) != NULL) {
		if (y->upstream != NULL)
			httpc_cancel(y->upstream);
		httpd_req_on_close(y->req, NULL, NULL);
		httpd_reply_error(y->req, 503, "Shutting down", NULL);
		ui_relay_free(y);
	}
	free(u->master_state_url);
	CD_FREE_OBJ(u);
}
