/*
 * test_policy.c: lib/policy, the container policy rules that scheduler and
 * agent share: docker parameter keys against the safe set and the
 * operator's list, host paths against allowed prefixes, relative paths that
 * must stay inside their directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "lib/policy.h"

static void
test_param_names(void **state)
{
	char out[POLICY_KEY_MAX];

	(void)state;
	assert_string_equal(policy_docker_param_name("--cap-add", out),
			    "cap-add");
	assert_string_equal(policy_docker_param_name("-e", out), "env");
	assert_string_equal(policy_docker_param_name("v", out), "volume");
	assert_string_equal(policy_docker_param_name("label", out), "label");
	assert_null(policy_docker_param_name("--", out));
	assert_null(policy_docker_param_name("", out));
	assert_null(policy_docker_param_name(NULL, out));
}

static void
test_params_default_deny(void **state)
{
	static const char *const safe[] = {
	    "env",	"e",	    "label",	"l",   "workdir",
	    "hostname", "user",	    "add-host", "dns", "dns-search",
	    "shm-size", "cap-drop", "--label",
	};
	static const char *const never[] = {
	    "cap-add",	   "privileged", "security-opt", "device",
	    "pid",	   "ipc",	 "net",		 "network",
	    "volume",	   "v",		 "-v",		 "volumes-from",
	    "mount",	   "userns",	 "uts",		 "cgroup-parent",
	    "memory-swap", "sysctl",	 "runtime",	 "frobnicate",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof safe / sizeof *safe; i++)
		assert_true(policy_docker_param_allowed(safe[i], NULL));
	for (i = 0; i < sizeof never / sizeof *never; i++) {
		assert_false(policy_docker_param_allowed(never[i], NULL));
		assert_false(policy_docker_param_allowed(never[i], ""));
	}
	/* The operator's list, in either spelling, spaces tolerated. */
	assert_true(policy_docker_param_allowed("cap-add", "cap-add"));
	assert_true(policy_docker_param_allowed("--volume", " dns , v "));
	assert_true(policy_docker_param_allowed("-v", "volume"));
	assert_false(
	    policy_docker_param_allowed("cap-add", "cap-addx,xcap-add"));
	assert_false(policy_docker_param_allowed("security-opt", "cap-add"));
}

static void
test_path_clean(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(policy_path_clean("//a/./b//", out, sizeof out), 0);
	assert_string_equal(out, "/a/b");
	assert_int_equal(policy_path_clean("/", out, sizeof out), 0);
	assert_string_equal(out, "/");
	assert_int_equal(policy_path_clean("/a/../b", out, sizeof out),
			 -EINVAL);
	assert_int_equal(policy_path_clean("a/b", out, sizeof out), -EINVAL);
	assert_int_equal(policy_path_clean("/aaaaaaaaaa", out, 8),
			 -ENAMETOOLONG);
}

static void
test_host_paths(void **state)
{
	(void)state;
	assert_false(policy_host_path_allowed("/data", NULL));
	assert_false(policy_host_path_allowed("/data", ""));
	assert_true(policy_host_path_allowed("/data", "/data"));
	assert_true(policy_host_path_allowed("/data/x/y", "/srv, /data/"));
	assert_true(policy_host_path_allowed("/data//x/.", "/data"));
	/* at a component boundary only */
	assert_false(policy_host_path_allowed("/database", "/data"));
	assert_false(policy_host_path_allowed("/", "/data"));
	/* no climbing out of an allowed prefix */
	assert_false(policy_host_path_allowed("/data/../etc", "/data"));
	assert_false(policy_host_path_allowed("relative", "/data"));
	/* "/" is the operator saying "everything" */
	assert_true(policy_host_path_allowed("/etc", "/"));
}

static void
test_relpath_inside(void **state)
{
	(void)state;
	assert_true(policy_relpath_inside("a"));
	assert_true(policy_relpath_inside("a/b/../c"));
	assert_true(policy_relpath_inside("./a"));
	assert_true(policy_relpath_inside("a/.."));
	assert_false(policy_relpath_inside("a/../.."));
	assert_false(policy_relpath_inside(".."));
	assert_false(policy_relpath_inside("../a"));
	assert_false(policy_relpath_inside("/a"));
	assert_false(policy_relpath_inside(""));
	assert_false(policy_relpath_inside(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_param_names),
	    cmocka_unit_test(test_params_default_deny),
	    cmocka_unit_test(test_path_clean),
	    cmocka_unit_test(test_host_paths),
	    cmocka_unit_test(test_relpath_inside),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
