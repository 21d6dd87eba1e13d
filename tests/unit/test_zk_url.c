/*
 * test_zk_url.c: lib/zk_url, pure: the forms --zk and --master=zk://
 * accept (several servers, default port, IPv6, nested paths) and the ones
 * they refuse, each with a message that says why.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "lib/zk_url.h"

static void
ok(const char *in, const char *hosts, const char *path, size_t n)
{
	struct zk_url u = {0};
	struct cd_err err = {0};

	assert_int_equal(zk_url_parse(in, &u, &err), 0);
	assert_string_equal(u.hosts, hosts);
	assert_string_equal(u.path, path);
	assert_int_equal(u.nhosts, n);
	zk_url_release(&u);
	assert_null(u.hosts);
}

static void
bad(const char *in, const char *needle)
{
	struct zk_url u = {0};
	struct cd_err err = {0};

	assert_int_equal(zk_url_parse(in, &u, &err), -EINVAL);
	assert_int_equal(err.code, -EINVAL);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", in, err.msg,
			 needle);
	assert_null(u.hosts);
	assert_null(u.path);
}

static void
test_accepts(void **state)
{
	(void)state;
	ok("zk://127.0.0.1:2181/clusterd", "127.0.0.1:2181", "/clusterd", 1);
	ok("zk://h1:1,h2:2,zk-3.example.org:65535/mesos/prod",
	   "h1:1,h2:2,zk-3.example.org:65535", "/mesos/prod", 3);
	ok("zk://localhost/clusterd", "localhost:2181", "/clusterd", 1);
	ok("zk://[::1]:2182,[fe80::1]/a_b-c.d", "[::1]:2182,[fe80::1]:2181",
	   "/a_b-c.d", 2);
}

static void
test_refuses(void **state)
{
	(void)state;
	bad("http://h:1/x", "zk://");
	bad("h:1/x", "zk://");
	bad("zk://h:1", "needs a path");
	bad("zk://h:1/", "needs a path");
	bad("zk://h:1//x", "empty component");
	bad("zk://h:1/x/", "empty component");
	bad("zk://h:1/x/../y", "\"..\"");
	bad("zk://h:1/x y", "bad character");
	bad("zk:///x", "empty server");
	bad("zk://h:1,,h:2/x", "empty server");
	bad("zk://h:1,/x", "empty server");
	bad("zk://h:0/x", "bad port");
	bad("zk://h:65536/x", "bad port");
	bad("zk://h:/x", "bad port");
	bad("zk://h:12a/x", "bad port");
	bad("zk://-h:1/x", "bad host name");
	bad("zk://h_1:1/x", "bad character");
	bad("zk://:1/x", "no host");
	bad("zk://[::1/x", "unterminated");
	bad("zk://[]:1/x", "unterminated");
	bad("zk://[::1]x/x", "expected ':port'");
	bad("zk://user:pw@h:1/x", "credentials");
	bad("zk://a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q/x", "more than 16");
}

static void
test_too_long(void **state)
{
	char in[ZK_URL_MAX_LEN + 16];

	(void)state;
	memset(in, 'a', sizeof in);
	memcpy(in, "zk://h:1/", 9);
	in[sizeof in - 1] = '\0';
	bad(in, "longer than");
}

/* A failed parse leaves a previous result alone; a good one replaces it. */
static void
test_replace(void **state)
{
	struct zk_url u = {0};

	(void)state;
	assert_int_equal(zk_url_parse("zk://a:1/x", &u, NULL), 0);
	assert_int_equal(zk_url_parse("zk://a:1", &u, NULL), -EINVAL);
	assert_string_equal(u.path, "/x");
	assert_int_equal(zk_url_parse("zk://b:2/y", &u, NULL), 0);
	assert_string_equal(u.hosts, "b:2");
	assert_string_equal(u.path, "/y");
	zk_url_release(&u);
	zk_url_release(&u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts),
	    cmocka_unit_test(test_refuses),
	    cmocka_unit_test(test_too_long),
	    cmocka_unit_test(test_replace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
