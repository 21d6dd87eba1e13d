/*
 * test_ipaddr.c: lib/ipaddr, whether two textual addresses name the same
 * host, as the agent compares a RunTask's peer with its master's address
 * and the master an older agent's status update with the agent's. Pure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/id.h"
#include "lib/ipaddr.h"

static void
test_same_host(void **state)
{
	(void)state;
	/* Peers carry a port, the master's address does not. */
	assert_true(ipaddr_same_host("10.77.0.1:41234", "10.77.0.1"));
	assert_true(ipaddr_same_host("10.77.0.1", "10.77.0.1:5050"));
	assert_true(ipaddr_same_host("[fd00::1]:41234", "fd00::1"));
	assert_true(ipaddr_same_host("[fd00::1]:1", "[fd00:0::1]:2"));
	/* An IPv4-mapped peer is its IPv4 address. */
	assert_true(ipaddr_same_host("[::ffff:10.77.0.1]:80", "10.77.0.1"));
	/* Loopback is one host, whichever address a client picked. */
	assert_true(ipaddr_same_host("127.0.0.1:9", "::1"));
	assert_true(ipaddr_same_host("127.0.1.1:9", "127.0.0.1"));
	assert_true(ipaddr_same_host("[::1]:9", "127.0.0.1"));
}

static void
test_other_hosts(void **state)
{
	(void)state;
	assert_false(ipaddr_same_host("10.77.0.3:41234", "10.77.0.1"));
	assert_false(ipaddr_same_host("10.77.0.1:41234", "10.77.0.10"));
	assert_false(ipaddr_same_host("[fd00::2]:1", "fd00::1"));
	assert_false(ipaddr_same_host("127.0.0.1:1", "10.77.0.1"));
	assert_false(ipaddr_same_host("[::1]:1", "fd00::1"));
	assert_false(ipaddr_same_host("[::ffff:10.77.0.2]:80", "10.77.0.1"));
	/* Not addresses: never a match, not even with themselves. */
	assert_false(ipaddr_same_host("localhost", "localhost"));
	assert_false(ipaddr_same_host("master.example:5050", "10.77.0.1"));
	assert_false(ipaddr_same_host("", ""));
	assert_false(ipaddr_same_host(NULL, "10.77.0.1"));
	assert_false(ipaddr_same_host("10.77.0.1", NULL));
	assert_false(ipaddr_same_host("[10.77.0.1", "10.77.0.1"));
	assert_false(ipaddr_same_host("[::1]x", "::1"));
	assert_false(ipaddr_same_host("?:0", "?:0"));
}

/* This host's addresses: loopback, and those of its interfaces. */
static void
test_local(void **state)
{
	(void)state;
	assert_true(ipaddr_local("127.0.0.1"));
	assert_true(ipaddr_local("[::1]:5051"));
	assert_true(ipaddr_local("127.0.0.2:9"));
	/* TEST-NET-1 (RFC 5737) is no host's address. */
	assert_false(ipaddr_local("192.0.2.77"));
	assert_false(ipaddr_local("192.0.2.77:5050"));
	assert_false(ipaddr_local("localhost"));
	assert_false(ipaddr_local(NULL));
}

/* lib/id's constant-time comparison, which both sides use for secrets
 * and tokens. */
static void
test_secret_equal(void **state)
{
	(void)state;
	assert_true(id_secret_equal("k3y", "k3y"));
	assert_true(id_secret_equal("", ""));
	assert_false(id_secret_equal("k3y", NULL));
	assert_false(id_secret_equal("k3y", ""));
	assert_false(id_secret_equal("k3y", "k3"));
	assert_false(id_secret_equal("k3y", "k3y!"));
	assert_false(id_secret_equal("k3y", "k3Y"));
	assert_false(id_secret_equal("", "x"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_host),
	    cmocka_unit_test(test_other_hosts),
	    cmocka_unit_test(test_local),
	    cmocka_unit_test(test_secret_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
