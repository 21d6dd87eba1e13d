/*
 * test_ui.c: the UI module's header parsing (Accept-Encoding with q-values,
 * If-None-Match lists with weak tags) and the embedded asset table that
 * tools/embed.sh generated: sorted for bisection, index.html naming the
 * versioned files, gzip forms smaller than what they compress.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "ui/ui.h"
#include "ui/ui_assets.h"

static void
test_accept_encoding(void **state)
{
	(void)state;
	assert_false(ui_accepts_gzip(NULL));
	assert_false(ui_accepts_gzip(""));
	assert_false(ui_accepts_gzip("identity"));
	assert_false(ui_accepts_gzip("br, deflate"));
	assert_true(ui_accepts_gzip("gzip"));
	assert_true(ui_accepts_gzip("gzip, deflate, br"));
	assert_true(ui_accepts_gzip("deflate,GZIP"));
	assert_true(ui_accepts_gzip("x-gzip"));
	assert_true(ui_accepts_gzip("br;q=1.0, gzip;q=0.8"));
	assert_true(ui_accepts_gzip("gzip ; q=0.5"));
	assert_false(ui_accepts_gzip("gzip;q=0"));
	assert_false(ui_accepts_gzip("gzip;q=0.000"));
	assert_true(ui_accepts_gzip("*"));
	assert_false(ui_accepts_gzip("*;q=0"));
	/* An explicit gzip wins over the wildcard, either way. */
	assert_false(ui_accepts_gzip("*, gzip;q=0"));
	assert_true(ui_accepts_gzip("*;q=0, gzip"));
	/* Not a token of its own. */
	assert_false(ui_accepts_gzip("gzipped"));
	assert_false(ui_accepts_gzip("nogzip"));
}

static void
test_if_none_match(void **state)
{
	const char *tag = "\"abc123\"";

	(void)state;
	assert_false(ui_etag_matches(NULL, tag));
	assert_false(ui_etag_matches("", tag));
	assert_true(ui_etag_matches("\"abc123\"", tag));
	assert_true(ui_etag_matches("W/\"abc123\"", tag));
	assert_true(ui_etag_matches("\"x\", \"abc123\"", tag));
	assert_true(ui_etag_matches("\"x\",W/\"abc123\" ", tag));
	assert_true(ui_etag_matches("*", tag));
	assert_false(ui_etag_matches("\"abc12\"", tag));
	assert_false(ui_etag_matches("\"abc1234\"", tag));
	assert_false(ui_etag_matches("abc123", tag));
	assert_false(ui_etag_matches("\"abc123", tag));
	assert_false(ui_etag_matches("\"a,b\"", tag));
}

static void
test_asset_table(void **state)
{
	const struct ui_asset *index = NULL;
	size_t i;
	char want[64];

	(void)state;
	assert_true(ui_assets_n > 0);
	assert_int_equal(strlen(ui_assets_version), 12);
	for (i = 0; i < ui_assets_n; i++) {
		const struct ui_asset *a = &ui_assets[i];

		if (i > 0)
			assert_true(strcmp(ui_assets[i - 1].path, a->path) < 0);
		assert_non_null(a->content_type);
		assert_true(a->etag[0] == '"');
		assert_string_not_equal(a->etag, a->etag_gz);
		if (a->gz != NULL) {
			assert_true(a->gz_len < a->len);
			/* gzip's magic */
			assert_int_equal(a->gz[0], 0x1f);
			assert_int_equal(a->gz[1], 0x8b);
		}
		if (strcmp(a->path, "index.html") == 0)
			index = a;
	}
	assert_non_null(index);
	assert_string_equal(index->content_type, "text/html; charset=utf-8");
	snprintf(want, sizeof want, "v/%s/js/main.js", ui_assets_version);
	assert_non_null(strstr((const char *)index->data, want));
	assert_null(strstr((const char *)index->data, "@UI_VERSION@"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accept_encoding),
	    cmocka_unit_test(test_if_none_match),
	    cmocka_unit_test(test_asset_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
