/*
 * policy.c: the container policy rules shared by scheduler and agent (see
 * policy.h): docker parameter keys against the safe set and the
 * operator's list, and host paths against the allowed prefixes. Owns
 * nothing. Pure: no I/O, no globals; any thread.
 */
#include "policy.h"

#include <errno.h>
#include <string.h>

#include "compat.h"
#include "path.h"

/*
 * The keys allowed without asking: none grants a capability, a device, a
 * security option, a host namespace or a volume.
 */
static const char *const policy_safe_params[] = {
    "env",	"label", "workdir",    "hostname", "user",
    "add-host", "dns",	 "dns-search", "shm-size", "cap-drop",
};

/* Docker's one-letter flags, by their long names. */
static const char *const policy_short_params[][2] = {
    {"e", "env"},      {"l", "label"},	{"w", "workdir"},
    {"h", "hostname"}, {"u", "user"},	{"v", "volume"},
    {"p", "publish"},  {"m", "memory"}, {"c", "cpu-shares"},
};

const char *
policy_docker_param_name(const char *key, char *out)
{
	size_t i, n;

	if (key == NULL)
		return NULL;
	while (*key == '-')
		key++;
	n = strlen(key);
	if (n == 0 || n >= POLICY_KEY_MAX)
		return NULL;
	for (i = 0; i < CD_NELEM(policy_short_params); i++)
		if (strcmp(key, policy_short_params[i][0]) == 0) {
			key = policy_short_params[i][1];
			n = strlen(key);
			break;
		}
	memcpy(out, key, n + 1);
	return out;
}

/*
 * The next item of a comma-separated list at *pos, spaces around it
 * trimmed, into item (size bytes); *pos moves past it. False at the end of
 * the list. An empty item, or one too long for item, comes back as "".
 */
static bool
policy_list_next(const char **pos, char *item, size_t size)
{
	const char *p = *pos, *end;
	size_t n;

	if (p == NULL || *p == '\0')
		return false;
	end = strchr(p, ',');
	if (end == NULL)
		end = p + strlen(p);
	*pos = *end != '\0' ? end + 1 : end;
	while (p < end && *p == ' ')
		p++;
	n = (size_t)(end - p);
	while (n > 0 && p[n - 1] == ' ')
		n--;
	if (n >= size)
		n = 0;
	memcpy(item, p, n);
	item[n] = '\0';
	return true;
}

/* Whether list (comma-separated, spaces around items ignored) holds name,
 * each item taken in its long form. */
static bool
policy_list_has(const char *list, const char *name)
{
	char item[POLICY_KEY_MAX], canon[POLICY_KEY_MAX];
	const char *p = list;

	while (policy_list_next(&p, item, sizeof item)) {
		if (item[0] != '\0' &&
		    policy_docker_param_name(item, canon) != NULL &&
		    strcmp(canon, name) == 0)
			return true;
	}
	return false;
}

bool
policy_docker_param_allowed(const char *key, const char *allowed)
{
	char name[POLICY_KEY_MAX];
	size_t i;

	if (policy_docker_param_name(key, name) == NULL)
		return false;
	for (i = 0; i < CD_NELEM(policy_safe_params); i++)
		if (strcmp(name, policy_safe_params[i]) == 0)
			return true;
	return policy_list_has(allowed, name);
}

int
policy_path_clean(const char *path, char *out, size_t outlen)
{
	const char *p = path, *seg;
	size_t len, o = 0;

	if (path == NULL || path[0] != '/' || outlen < 2)
		return -EINVAL;
	while (path_next_seg(&p, &seg, &len)) {
		if (len == 1 && seg[0] == '.')
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.')
			return -EINVAL;
		if (o + 1 + len + 1 > outlen)
			return -ENAMETOOLONG;
		out[o++] = '/';
		memcpy(out + o, seg, len);
		o += len;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

bool
policy_host_path_allowed(const char *path, const char *prefixes)
{
	char clean[4096], pre[4096], item[4096];
	const char *p = prefixes;
	size_t plen;

	if (prefixes == NULL ||
	    policy_path_clean(path, clean, sizeof clean) != 0)
		return false;
	while (policy_list_next(&p, item, sizeof item)) {
		if (item[0] == '\0' ||
		    policy_path_clean(item, pre, sizeof pre) != 0)
			continue;
		plen = strlen(pre);
		if (strcmp(pre, "/") == 0)
			return true; /* the operator allowed everything */
		if (strncmp(clean, pre, plen) == 0 &&
		    (clean[plen] == '\0' || clean[plen] == '/'))
			return true;
	}
	return false;
}

bool
policy_relpath_inside(const char *rel)
{
	const char *p = rel, *seg;
	size_t len;
	long depth = 0;

	if (rel == NULL || rel[0] == '\0' || rel[0] == '/')
		return false;
	while (path_next_seg(&p, &seg, &len)) {
		if (len == 1 && seg[0] == '.')
			continue;
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			if (--depth < 0)
				return false;
			continue;
		}
		depth++;
	}
	return true;
}
