/*
 * policy.h: the container policy that both the scheduler (to refuse an
 * app with 422) and the agent (to refuse a task with TASK_FAILED) apply,
 * so that the two never disagree on a rule (SPEC section 11). Pure (STYLE
 * B28): no I/O, no globals; any thread.
 *
 * Docker parameters: a key is allowed when it is in the safe default set
 * (env, label, workdir, hostname, user, add-host, dns, dns-search,
 * shm-size, cap-drop: nothing that grants capabilities, devices, security
 * options, host namespaces or volumes) or in the operator's list
 * (--docker_allowed_parameters, comma-separated). Keys are compared in
 * their long form: leading dashes are dropped and docker's one-letter
 * forms expanded ("-e" and "e" are "env", "v" is "volume").
 *
 * Host paths: an absolute path is allowed when, cleaned lexically, it is
 * one of the prefixes of --allowed_host_paths (comma-separated absolute
 * paths) or lies below one, at a component boundary ("/data" allows
 * "/data/x", never "/database"). A path holding ".." is never allowed.
 */
#ifndef CLUSTERD_LIB_POLICY_H
#define CLUSTERD_LIB_POLICY_H

#include <stdbool.h>
#include <stddef.h>

/* The flags that relax the policy, as named in refusal messages. */
#define POLICY_FLAG_PARAMS "--docker_allowed_parameters"
#define POLICY_FLAG_PATHS "--allowed_host_paths"

/* Longest docker parameter key considered; longer ones are refused. */
#define POLICY_KEY_MAX 64

/*
 * The long form of a docker parameter key into out (POLICY_KEY_MAX
 * bytes): "--cap-add" -> "cap-add", "-e" -> "env". Returns out, or NULL
 * when the key is empty or too long.
 */
const char *policy_docker_param_name(const char *key, char *out);

/* Whether docker parameter key may be used, given the operator's list
 * (comma-separated keys, NULL or "" for none). */
bool policy_docker_param_allowed(const char *key, const char *allowed);

/*
 * Clean an absolute path lexically into out (outlen bytes): repeated and
 * trailing slashes and "." components dropped. -EINVAL when it is not
 * absolute or holds a ".." component, -ENAMETOOLONG when it does not fit.
 */
int policy_path_clean(const char *path, char *out, size_t outlen);

/* Whether absolute path lies at or below one of prefixes (comma-separated;
 * NULL or "" allows nothing). */
bool policy_host_path_allowed(const char *path, const char *prefixes);

/*
 * Whether a relative path stays inside the directory it is relative to:
 * not empty, not absolute, and no ".." that climbs above its start
 * ("a/../b" stays, "a/../../b" does not).
 */
bool policy_relpath_inside(const char *rel);

#endif
