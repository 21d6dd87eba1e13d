/*
 * test_dnsname.c: lib/dnsname, mesos-dns's naming rules, checked against
 * the cases of mesos-dns's own tests (records/labels) and documentation
 * (docs/http.md's nginx-jhy6r-s1). Pure: no loop, no network.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dnsname.h"

static void
check_label(const char *in, const char *want)
{
	char out[DNSNAME_LABEL_MAX + 1];

	assert_int_equal(dnsname_label(in, out), strlen(want));
	assert_string_equal(out, want);
}

static void
test_label_rfc1123(void **state)
{
	(void)state;
	check_label("4abc123", "4abc123");
	check_label("-4abc123", "4abc123");
	check_label("89fdgsf---gs7-fgs--d7fddg-123",
		    "89fdgsf---gs7-fgs--d7fddg-123");
	check_label("89fdgsf---gs7-fgs--d7fddg-", "89fdgsf---gs7-fgs--d7fddg");
	check_label("fd%gsf---gs7-f$gs--d7fddg-123",
		    "fdgsf---gs7-fgs--d7fddg-123");
	/* Cut at 63; a cut that ends in '-' is refilled past the dashes. */
	check_label("fd%gsf---gs7-f$gs--d7fddg1234567890123456789012345678901"
		    "23456789-123",
		    "fdgsf---gs7-fgs--d7fddg12345678901234567890123456789012345"
		    "67891");
	check_label("%%fdgsf---gs7-fgs--d7fddg1234567890123456789012345678901"
		    "23456789---123",
		    "fdgsf---gs7-fgs--d7fddg12345678901234567890123456789012345"
		    "67891");
	check_label("##fdgsf---gs7-fgs--d7fddg1234567890123456789012345678901"
		    "23456789-",
		    "fdgsf---gs7-fgs--d7fddg12345678901234567890123456789012345"
		    "6789");
	check_label("My_App.v2", "my-app-v2");
	check_label("app.group", "app-group");
	check_label("---", "");
	check_label("\xc3\xa9t\xc3\xa9", "t");
	check_label("", "");
}

static void
check_frag(const char *in, const char *want)
{
	char out[DNSNAME_MAX + 1];

	assert_int_equal(dnsname_frag(in, out, sizeof out), strlen(want));
	assert_string_equal(out, want);
}

static void
test_frag(void **state)
{
	char small[4];

	(void)state;
	check_frag("pod_123$abc.marathon-0.6.0-dev.mesos",
		   "pod-123abc.marathon-0.6.0-dev.mesos");
	check_frag("", "");
	check_frag("...", "");
	check_frag("abc.", "abc");
	check_frag(".a..b.", "a.b");
	check_frag("marathon", "marathon");
	assert_int_equal(dnsname_frag("marathon", small, sizeof small),
			 -ENAMETOOLONG);
	assert_string_equal(small, "");
}

static void
test_marathon(void **state)
{
	char *s;

	(void)state;
	s = dnsname_marathon("/group/app");
	assert_string_equal(s, "app.group");
	free(s);
	s = dnsname_marathon("/prod/db/mysql");
	assert_string_equal(s, "mysql.db.prod");
	free(s);
	s = dnsname_marathon("/web");
	assert_string_equal(s, "web");
	free(s);
	s = dnsname_marathon("web//x/");
	assert_string_equal(s, "x.web");
	free(s);
	s = dnsname_marathon("/");
	assert_string_equal(s, "");
	free(s);
}

static void
test_hash_and_tail(void **state)
{
	char h[DNSNAME_HASH_LEN + 1], t[DNSNAME_LABEL_MAX + 1];

	(void)state;
	dnsname_hash("nginx.48dccce7-90bc-11e6-ae70-70b3d5800001", h);
	assert_string_equal(h, "jhy6r");
	dnsname_tail("20160107-001256-134875658-5050-27524-S1", t);
	assert_string_equal(t, "s1");
	dnsname_tail("c531e830-1c0b-4414-ace0-450508291ac8-S12", t);
	assert_string_equal(t, "s12");
	dnsname_tail("nodash", t);
	assert_string_equal(t, "nodash");
}

static void
test_normalize(void **state)
{
	char out[DNSNAME_MAX + 2], big[300];

	(void)state;
	assert_int_equal(
	    dnsname_normalize("Web.Marathon.MESOS.", out, sizeof out), 18);
	assert_string_equal(out, "web.marathon.mesos");
	assert_int_equal(dnsname_normalize("mesos", out, sizeof out), 5);
	assert_int_equal(dnsname_normalize("", out, sizeof out), -EINVAL);
	assert_int_equal(dnsname_normalize(".", out, sizeof out), -EINVAL);
	assert_int_equal(dnsname_normalize("a b.mesos", out, sizeof out),
			 -EINVAL);
	assert_int_equal(dnsname_normalize("a\x01.mesos", out, sizeof out),
			 -EINVAL);
	assert_int_equal(
	    dnsname_normalize("caf\xc3\xa9.mesos", out, sizeof out), -EINVAL);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(dnsname_normalize(big, out, sizeof out), -EINVAL);
	assert_int_equal(dnsname_normalize("abc", out, 3), -EINVAL);
}

static void
test_in_domain(void **state)
{
	size_t rel = 99;

	(void)state;
	assert_true(dnsname_in_domain("mesos", "mesos", &rel));
	assert_int_equal(rel, 0);
	assert_true(dnsname_in_domain("web.marathon.mesos", "mesos", &rel));
	assert_int_equal(rel, 12);
	assert_true(dnsname_in_domain("a.b.c", "b.c", &rel));
	assert_int_equal(rel, 1);
	assert_false(dnsname_in_domain("notmesos", "mesos", &rel));
	assert_false(dnsname_in_domain(".mesos", "mesos", &rel));
	assert_false(dnsname_in_domain("mesos.com", "mesos", &rel));
	assert_false(dnsname_in_domain("esos", "mesos", &rel));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_label_rfc1123),
	    cmocka_unit_test(test_frag),
	    cmocka_unit_test(test_marathon),
	    cmocka_unit_test(test_hash_and_tail),
	    cmocka_unit_test(test_normalize),
	    cmocka_unit_test(test_in_domain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
