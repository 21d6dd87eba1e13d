/*
 * ui.h: the embedded web UI on the API port. Registers its routes on an
 * httpd: GET / redirects to /ui/, /ui/... serves the files of ui/www
 * (embedded at build time, see ui_assets.h) with ETag, gzip and cache
 * headers, and GET /ui/api/master/state relays the master's
 * /master/state so that a browser needs to reach one port only. The UI
 * knows nothing of the roles: the page itself calls the public JSON APIs
 * (/v2/...), and the relay is just a URL it is given. Loop thread only.
 */
#ifndef CLUSTERD_UI_UI_H
#define CLUSTERD_UI_UI_H

#include <stdbool.h>

struct httpc;
struct httpd;
struct ui;

struct ui_conf {
	/*
	 * Where GET /ui/api/master/state is fetched from, such as
	 * "http://127.0.0.1:5050/master/state"; borrowed for ui_new() (it is
	 * copied). NULL: no master known, the route answers 503.
	 */
	const char *master_state_url;
};

/*
 * Register the UI's routes on h (which must outlive the ui). hc is used
 * for the relay and must outlive the ui too. Returns the ui (free with
 * ui_free(), before h and hc).
 */
struct ui *ui_new(struct httpc *hc, struct httpd *h,
		  const struct ui_conf *conf);
/* Answers relays still in flight with 503 and cancels them; NULL: no-op. */
void ui_free(struct ui *u);
/*
 * Relay GET /ui/api/master/state to url from now on (copied; NULL: 503):
 * with ZooKeeper, the leading master's state, wherever it runs.
 */
void ui_set_master_state_url(struct ui *u, const char *url);

/*
 * Pure helpers, exported for the unit tests. ui_accepts_gzip: whether an
 * Accept-Encoding header value admits gzip (q > 0, "gzip" or "*").
 * ui_etag_matches: whether an If-None-Match value ("*", or a list of
 * entity tags, weak or not) matches etag (quoted), with the weak
 * comparison RFC 9110 prescribes for If-None-Match.
 */
bool ui_accepts_gzip(const char *accept_encoding);
bool ui_etag_matches(const char *if_none_match, const char *etag);

#endif
