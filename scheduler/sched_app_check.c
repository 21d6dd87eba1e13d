/*
 * sched_app_check.c: turns a Marathon AppDefinition body of either era
 * into the one canonical JSON form clusterd stores and serves.
 *
 * Design: validation and normalisation are one pass that builds a new
 * object field by field in a fixed key order, so anything not copied is
 * dropped (Marathon 1.x ignores unknown fields too) and every default is
 * written out. The output is a fixed point: checking it again gives an
 * equal object, which is what makes the stored form round-trip. Where the
 * input carries the same fact twice (the 0.5 "ports" and 1.x
 * "portDefinitions", docker.network and "networks", docker.portMappings
 * and container.portMappings) the newer field wins and the older one is
 * ignored, so a body fetched with GET, edited and PUT back keeps working.
 *
 * Errors name the first offending field as a JSON path with a Marathon
 * message ("error.expected.jsnumber", "must be greater than or equal to
 * 0"). Pure (STYLE B28): no I/O, no globals; any thread.
 */
#include "scheduler/sched_app_check.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/json.h"
#include "lib/xalloc.h"

/*
 * App ids become task ids "<path with _>.<uuid>" that id_valid() caps at
 * 200 characters; 160 leaves room for the 37 of the uuid and the dot.
 */
#define CHK_ID_MAX 160
#define CHK_PATH_RE                                                            \
	"^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*"                       \
	"([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])$"
#define CHK_NAME_RE "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
#define DOCKER_PREFIX "docker:///"

typedef char chk_path[CD_ERR_PATH_LEN];

/* State of one check pass. */
struct chk {
	const json_t *in;   /* borrowed: the body */
	struct cd_err *err; /* borrowed: may be NULL */
	enum sched_app_net net;
	const json_t *ports; /* borrowed from the output: portDefinitions or
				portMappings in effect */
	char *parent;	     /* owned: the app id's parent path, "" at root */
};

static int chk_bad(struct cd_err *err, const char *path, const char *fmt, ...)
    CD_PRINTF(3, 4);

static int
chk_bad(struct cd_err *err, const char *path, const char *fmt, ...)
{
	char msg[CD_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	/* A truncated reason is still a useful reason. */
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return cd_err_setp(err, -EINVAL, path, "%s", msg);
}

/* jansson's iterators take json_t *; we only read through them. */
static json_t *
chk_unconst(const json_t *j)
{
	return (json_t *)(uintptr_t)j;
}

static void
chk_join(chk_path out, const char *base, const char *key)
{
	int n = snprintf(out, sizeof(chk_path), "%s/%s", base, key);

	if (n < 0 || (size_t)n >= sizeof(chk_path))
		out[sizeof(chk_path) - 1] = '\0'; /* still names the field */
}

static void
chk_idx(chk_path out, const char *base, size_t i)
{
	int n = snprintf(out, sizeof(chk_path), "%s/%zu", base, i);

	if (n < 0 || (size_t)n >= sizeof(chk_path))
		out[sizeof(chk_path) - 1] = '\0';
}

/* A number in [min, max], def when absent. */
static int
chk_num(const json_t *o, const char *key, const char *base, double min,
	double max, double def, double *out, struct cd_err *err)
{
	chk_path p;
	bool have = false;
	int rc;

	*out = def;
	if ((rc = json_opt_num(o, key, base, out, &have, err)) != 0 || !have)
		return rc;
	chk_join(p, base, key);
	if (*out < min)
		return chk_bad(err, p, "must be greater than or equal to %g",
			       min);
	if (*out > max)
		return chk_bad(err, p, "must be less than or equal to %g", max);
	return 0;
}

static int
chk_int(const json_t *o, const char *key, const char *base, long long min,
	long long max, long long def, long long *out, bool *present,
	struct cd_err *err)
{
	chk_path p;
	bool have = false;
	int rc;

	*out = def;
	if (present != NULL)
		*present = false;
	if ((rc = json_opt_int(o, key, base, out, &have, err)) != 0 || !have)
		return rc;
	chk_join(p, base, key);
	if (*out < min)
		return chk_bad(err, p, "must be greater than or equal to %lld",
			       min);
	if (*out > max)
		return chk_bad(err, p, "must be less than or equal to %lld",
			       max);
	if (present != NULL)
		*present = true;
	return 0;
}

/* Element i of array a as an integer in [min, max] (0.5 strings too). */
static int
chk_elem_int(const json_t *a, size_t i, const char *base, long long min,
	     long long max, long long *out, struct cd_err *err)
{
	char key[32];
	chk_path p;
	json_t *tmp, *v = json_array_get(a, i);
	int rc;

	(void)snprintf(key, sizeof key, "%zu", i);
	if (v == NULL || json_is_null(v)) {
		chk_join(p, base, key);
		return chk_bad(err, p, "error.expected.jsnumber");
	}
	tmp = json_pack("{s:O}", key, v);
	rc = chk_int(tmp, key, base, min, max, 0, out, NULL, err);
	json_decref(tmp);
	return rc;
}

/* Set key to a number in [min, max] (def when absent) as a real. */
static int
put_num(json_t *dst, const json_t *o, const char *key, const char *base,
	double min, double max, double def, struct cd_err *err)
{
	double d;
	int rc = chk_num(o, key, base, min, max, def, &d, err);

	if (rc == 0)
		json_object_set_new(dst, key, json_real(d));
	return rc;
}

static int
put_int(json_t *dst, const json_t *o, const char *key, const char *base,
	long long min, long long max, long long def, struct cd_err *err)
{
	long long v;
	int rc = chk_int(o, key, base, min, max, def, &v, NULL, err);

	if (rc == 0)
		json_object_set_new(dst, key, json_integer(v));
	return rc;
}

static int
put_bool(json_t *dst, const json_t *o, const char *key, const char *base,
	 bool def, struct cd_err *err)
{
	bool b = def;
	int rc = json_opt_bool(o, key, base, &b, NULL, err);

	if (rc == 0)
		json_object_set_new(dst, key, json_boolean(b));
	return rc;
}

/* Copy an optional string; *s (may be NULL) gets it, borrowed from o. */
static int
put_str(json_t *dst, const json_t *o, const char *key, const char *base,
	bool nonempty, const char **s, struct cd_err *err)
{
	const char *v = NULL;
	chk_path p;
	int rc;

	if (s != NULL)
		*s = NULL;
	if ((rc = json_opt_str(o, key, base, &v, NULL, err)) != 0)
		return rc;
	if (v == NULL)
		return 0;
	chk_join(p, base, key);
	if (nonempty && v[0] == '\0')
		return chk_bad(err, p, "must not be empty");
	json_object_set_new(dst, key, json_string(v));
	if (s != NULL)
		*s = v;
	return 0;
}

/* One of the names in set; def (may be NULL) when absent. */
static int
chk_enum(const json_t *o, const char *key, const char *base,
	 const char *const *set, size_t n, const char *def, const char **out,
	 struct cd_err *err)
{
	const char *v = def;
	chk_path p;
	size_t i;
	int rc;

	if ((rc = json_opt_str(o, key, base, &v, NULL, err)) != 0)
		return rc;
	*out = v;
	if (v == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(v, set[i]) == 0) {
			*out = set[i];
			return 0;
		}
	chk_join(p, base, key);
	return chk_bad(err, p, "error.expected.validenumvalue");
}

/* The value at key if it has the wanted type, NULL when absent or null. */
static int
chk_typed(const json_t *o, const char *key, const char *base, json_type type,
	  const json_t **out, struct cd_err *err)
{
	const json_t *v = json_object_get(o, key);
	chk_path p;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_typeof(v) != type) {
		chk_join(p, base, key);
		return chk_bad(err, p,
			       type == JSON_ARRAY ? "error.expected.jsarray"
						  : "error.expected.jsobject");
	}
	*out = v;
	return 0;
}

/* Whether s matches CHK_NAME_RE (port and network names). */
static bool
chk_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static int
put_name(json_t *dst, const json_t *o, const char *base, const char **name,
	 struct cd_err *err)
{
	chk_path p;
	int rc;

	if ((rc = put_str(dst, o, "name", base, false, name, err)) != 0)
		return rc;
	chk_join(p, base, "name");
	if (*name != NULL && !chk_name_ok(*name))
		return chk_bad(err, p,
			       "must fully match regular expression '%s'",
			       CHK_NAME_RE);
	return 0;
}

/* An object of string -> string (labels). */
static int
chk_strmap(const json_t *m, const char *base, json_t **out, struct cd_err *err)
{
	const char *k;
	json_t *v, *res = json_object();
	chk_path p;

	*out = NULL;
	json_object_foreach(chk_unconst(m), k, v)
	{
		chk_join(p, base, k);
		if (k[0] == '\0') {
			json_decref(res);
			return chk_bad(err, base, "keys must not be empty");
		}
		if (!json_is_string(v)) {
			json_decref(res);
			return chk_bad(err, p, "error.expected.jsstring");
		}
		json_object_set_new(res, k, json_string(json_string_value(v)));
	}
	*out = res;
	return 0;
}

/* Set key to the string map at o/key; omit_empty drops {} and absence. */
static int
put_strmap(json_t *dst, const json_t *o, const char *key, const char *base,
	   bool omit_empty, struct cd_err *err)
{
	const json_t *m;
	json_t *res;
	chk_path p;
	int rc;

	if ((rc = chk_typed(o, key, base, JSON_OBJECT, &m, err)) != 0)
		return rc;
	if (m == NULL) {
		if (!omit_empty)
			json_object_set_new(dst, key, json_object());
		return 0;
	}
	chk_join(p, base, key);
	if ((rc = chk_strmap(m, p, &res, err)) != 0)
		return rc;
	if (omit_empty && json_object_size(res) == 0)
		json_decref(res);
	else
		json_object_set_new(dst, key, res);
	return 0;
}

/* An array of strings; nonempty refuses "" items. */
static int
put_strarr(json_t *dst, const json_t *o, const char *key, const char *base,
	   bool nonempty, bool always, struct cd_err *err)
{
	const json_t *a, *v;
	json_t *res;
	chk_path p, ip;
	size_t i;
	int rc;

	if ((rc = chk_typed(o, key, base, JSON_ARRAY, &a, err)) != 0)
		return rc;
	if (a == NULL) {
		if (always)
			json_object_set_new(dst, key, json_array());
		return 0;
	}
	chk_join(p, base, key);
	res = json_array();
	json_array_foreach(a, i, v)
	{
		chk_idx(ip, p, i);
		if (!json_is_string(v)) {
			json_decref(res);
			return chk_bad(err, ip, "error.expected.jsstring");
		}
		if (nonempty && json_string_length(v) == 0) {
			json_decref(res);
			return chk_bad(err, ip, "must not be empty");
		}
		json_array_append_new(res, json_string(json_string_value(v)));
	}
	json_object_set_new(dst, key, res);
	return 0;
}

/* Whether a path segment is a Marathon PathId name (CHK_PATH_RE). */
static bool
chk_seg_ok(const char *s, size_t n)
{
	size_t i, start = 0;

	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (i == start || s[start] == '-' || s[i - 1] == '-')
				return false;
			start = i + 1;
		} else if (!((s[i] >= 'a' && s[i] <= 'z') ||
			     (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	}
	return n > 0;
}

int
sched_app_check_path(const char *raw, const char *base, bool allow_rel,
		     const char *errpath, char **out, struct cd_err *err)
{
	char *full = NULL, *res = NULL;
	const char *p, *seg;
	size_t len, rlen = 0;
	int rc = 0;

	*out = NULL;
	if (raw == NULL || raw[0] == '\0')
		return chk_bad(err, errpath, "error.path.missing");
	full = raw[0] == '/'
		   ? xstrdup(raw)
		   : xasprintf("%s/%s", base != NULL ? base : "", raw);
	/*
	 * Marathon 0.5 ids were case-sensitive ("myApp" in its REST.md);
	 * 1.x path ids are lowercase. Folding ASCII upper case keeps 0.5
	 * scripts working as long as every lookup goes through here.
	 */
	for (p = full; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			full[p - full] = (char)(*p - 'A' + 'a');
	res = xmalloc(strlen(full) + 2);
	for (p = full; *p != '\0';) {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		for (seg = p; *p != '\0' && *p != '/'; p++)
			;
		len = (size_t)(p - seg);
		if (allow_rel && len == 1 && seg[0] == '.')
			continue;
		if (allow_rel && len == 2 && seg[0] == '.' && seg[1] == '.') {
			if (rlen == 0) {
				rc = chk_bad(err, errpath,
					     "path escapes the root group");
				goto out;
			}
			while (res[--rlen] != '/')
				;
			continue;
		}
		if (!chk_seg_ok(seg, len)) {
			rc = chk_bad(err, errpath,
				     "must fully match regular expression '%s'",
				     CHK_PATH_RE);
			goto out;
		}
		res[rlen++] = '/';
		memcpy(res + rlen, seg, len);
		rlen += len;
	}
	res[rlen] = '\0';
	if (rlen == 0)
		rc = chk_bad(err, errpath, "must name an app, not the root");
	else if (rlen > CHK_ID_MAX)
		rc = chk_bad(err, errpath,
			     "must not be longer than %d characters",
			     CHK_ID_MAX);
	else {
		*out = res;
		res = NULL;
	}
out:
	free(full);
	free(res);
	return rc;
}

const char *
sched_app_check_net_name(enum sched_app_net n)
{
	static const char *const names[] = {"HOST", "BRIDGE", "USER", "NONE"};

	return (size_t)n < CD_NELEM(names) ? names[n] : "HOST";
}

enum sched_app_net
sched_app_check_net(const json_t *def)
{
	const json_t *nets = json_object_get(def, "networks");
	const char *mode;

	if (json_array_size(nets) == 0)
		return SCHED_APP_NET_NONE;
	mode =
	    json_string_value(json_object_get(json_array_get(nets, 0), "mode"));
	if (mode != NULL && strcmp(mode, "host") == 0)
		return SCHED_APP_NET_HOST;
	if (mode != NULL && strcmp(mode, "container/bridge") == 0)
		return SCHED_APP_NET_BRIDGE;
	return SCHED_APP_NET_USER;
}

static const char *const net_modes[] = {"host", "container/bridge",
					"container"};
static const char *const docker_nets[] = {"HOST", "BRIDGE", "USER", "NONE"};

/* A networks array from the body. */
static int
chk_networks(struct chk *c, const json_t *nets, json_t **out)
{
	const json_t *n;
	const char *mode, *name;
	json_t *res = json_array(), *e = NULL;
	chk_path p;
	size_t i;
	int rc = 0;

	json_array_foreach(nets, i, n)
	{
		chk_idx(p, "/networks", i);
		if (!json_is_object(n)) {
			rc = chk_bad(c->err, p, "error.expected.jsobject");
			goto out;
		}
		e = json_object();
		if ((rc = chk_enum(n, "mode", p, net_modes, CD_NELEM(net_modes),
				   "container", &mode, c->err)) != 0)
			goto out;
		if (i > 0 && (c->net != SCHED_APP_NET_USER ||
			      strcmp(mode, "container") != 0)) {
			rc = chk_bad(
			    c->err, "/networks",
			    "host and container/bridge networks cannot be "
			    "combined with other networks");
			goto out;
		}
		if (i == 0)
			c->net = strcmp(mode, "host") == 0 ? SCHED_APP_NET_HOST
				 : strcmp(mode, "container") == 0
				     ? SCHED_APP_NET_USER
				     : SCHED_APP_NET_BRIDGE;
		json_object_set_new(e, "mode", json_string(mode));
		if ((rc = put_name(e, n, p, &name, c->err)) != 0 ||
		    (rc = put_strmap(e, n, "labels", p, true, c->err)) != 0)
			goto out;
		json_array_append_new(res, e);
		e = NULL;
	}
out:
	json_decref(e);
	if (rc != 0)
		json_decref(res);
	*out = rc == 0 ? res : NULL;
	return rc;
}

/*
 * Decide the network: "networks" wins, then container.docker.network, then
 * the deprecated ipAddress (a named container network), else HOST.
 */
static int
chk_net(struct chk *c, json_t **out)
{
	const json_t *nets, *ip, *ct, *dk;
	const char *dn = NULL, *name = NULL;
	json_t *e;
	int rc;

	*out = NULL;
	c->net = SCHED_APP_NET_HOST;
	if ((rc = chk_typed(c->in, "networks", "", JSON_ARRAY, &nets,
			    c->err)) != 0)
		return rc;
	if (json_array_size(nets) > 0)
		return chk_networks(c, nets, out);
	ct = json_object_get(c->in, "container");
	dk = json_is_object(ct) ? json_object_get(ct, "docker") : NULL;
	if (json_is_object(dk) &&
	    (rc = chk_enum(dk, "network", "/container/docker", docker_nets,
			   CD_NELEM(docker_nets), NULL, &dn, c->err)) != 0)
		return rc;
	ip = json_object_get(c->in, "ipAddress");
	if ((dn == NULL && json_is_object(ip)) ||
	    (dn != NULL && strcmp(dn, "USER") == 0)) {
		c->net = SCHED_APP_NET_USER;
		if (json_is_object(ip) &&
		    (rc = json_opt_str(ip, "networkName", "/ipAddress", &name,
				       NULL, c->err)) != 0)
			return rc;
	} else if (dn != NULL && strcmp(dn, "BRIDGE") == 0)
		c->net = SCHED_APP_NET_BRIDGE;
	else if (dn != NULL && strcmp(dn, "NONE") == 0)
		c->net = SCHED_APP_NET_NONE;
	*out = json_array();
	if (c->net == SCHED_APP_NET_NONE)
		return 0;
	e = json_object();
	json_object_set_new(e, "mode", json_string(net_modes[c->net]));
	if (name != NULL && name[0] != '\0') {
		if (!chk_name_ok(name)) {
			json_decref(e);
			json_decref(*out);
			*out = NULL;
			return chk_bad(
			    c->err, "/ipAddress/networkName",
			    "must fully match regular expression '%s'",
			    CHK_NAME_RE);
		}
		json_object_set_new(e, "name", json_string(name));
	}
	json_array_append_new(*out, e);
	return 0;
}

/*
 * Docker CLI options of a 0.5 container ("-e", "X=7", "--net=host") as
 * 1.x parameters {key, value}: "--key=value", "--key value" and the
 * common short flags. Anything else is refused rather than guessed.
 */
static int
chk_options(struct chk *c, const json_t *opts, json_t *params)
{
	static const char *const shorts[][2] = {
	    {"-e", "env"},	{"-v", "volume"}, {"-p", "publish"},
	    {"-h", "hostname"}, {"-u", "user"},	  {"-w", "workdir"},
	    {"-m", "memory"},	{"-l", "label"}};
	const char *o, *key, *eq, *val;
	char *k = NULL;
	json_t *pm;
	chk_path p;
	size_t i, j, n = json_array_size(opts);

	for (i = 0; i < n; i++) {
		chk_idx(p, "/container/options", i);
		if ((o = json_string_value(json_array_get(opts, i))) == NULL)
			return chk_bad(c->err, p, "error.expected.jsstring");
		key = NULL;
		for (j = 0; j < CD_NELEM(shorts); j++)
			if (strcmp(o, shorts[j][0]) == 0)
				key = shorts[j][1];
		if (key == NULL &&
		    (strncmp(o, "--", 2) != 0 || o[2] == '\0' || o[2] == '='))
			return chk_bad(
			    c->err, p,
			    "not a docker option this scheduler understands");
		eq = key == NULL ? strchr(o, '=') : NULL;
		if (eq != NULL) {
			k = xstrndup(o + 2, (size_t)(eq - o - 2));
			val = eq + 1;
		} else {
			k = xstrdup(key != NULL ? key : o + 2);
			if (++i >= n || (val = json_string_value(json_array_get(
					     opts, i))) == NULL) {
				free(k);
				return chk_bad(c->err, p,
					       "option needs a value");
			}
		}
		pm = json_object();
		json_object_set_new(pm, "key", json_string(k));
		json_object_set_new(pm, "value", json_string(val));
		json_array_append_new(params, pm);
		free(k);
		k = NULL;
	}
	return 0;
}

/* The docker image without the 0.5 "docker:///" scheme. */
static int
chk_image(struct chk *c, const char *img, const char *p, json_t *dk)
{
	size_t i;

	if (strncmp(img, DOCKER_PREFIX, strlen(DOCKER_PREFIX)) == 0)
		img += strlen(DOCKER_PREFIX);
	if (strstr(img, "://") != NULL)
		return chk_bad(c->err, p,
			       "only docker:/// images are supported");
	if (img[0] == '\0')
		return chk_bad(c->err, p, "must not be empty");
	for (i = 0; img[i] != '\0'; i++)
		if ((unsigned char)img[i] <= ' ')
			return chk_bad(c->err, p,
				       "must not contain whitespace");
	json_object_set_new(dk, "image", json_string(img));
	return 0;
}

static int
chk_docker(struct chk *c, const json_t *d, bool is_docker, json_t **out)
{
	const char *b = "/container/docker", *img = NULL;
	const json_t *params, *v, *cred, *pull;
	json_t *dk = json_object(), *res, *pm;
	chk_path p, ip;
	size_t i;
	int rc;

	chk_join(p, b, "image");
	if ((rc = json_opt_str(d, "image", b, &img, NULL, c->err)) != 0)
		goto out;
	if (img == NULL) {
		rc = chk_bad(c->err, p, "error.path.missing");
		goto out;
	}
	if ((rc = chk_image(c, img, p, dk)) != 0)
		goto out;
	if (is_docker)
		json_object_set_new(
		    dk, "network",
		    json_string(sched_app_check_net_name(c->net)));
	if ((rc = put_bool(dk, d, "privileged", b, false, c->err)) != 0 ||
	    (rc = put_bool(dk, d, "forcePullImage", b, false, c->err)) != 0 ||
	    (rc = chk_typed(d, "parameters", b, JSON_ARRAY, &params, c->err)) !=
		0 ||
	    (rc = chk_typed(d, "credential", b, JSON_OBJECT, &cred, c->err)) !=
		0 ||
	    (rc = chk_typed(d, "pullConfig", b, JSON_OBJECT, &pull, c->err)) !=
		0)
		goto out;
	res = json_array();
	json_object_set_new(dk, "parameters", res);
	chk_join(p, b, "parameters");
	json_array_foreach(params, i, v)
	{
		chk_idx(ip, p, i);
		if (!json_is_object(v)) {
			rc = chk_bad(c->err, ip, "error.expected.jsobject");
			goto out;
		}
		pm = json_object();
		json_array_append_new(res, pm);
		if ((rc = put_str(pm, v, "key", ip, true, NULL, c->err)) != 0 ||
		    (rc = put_str(pm, v, "value", ip, false, NULL, c->err)) !=
			0)
			goto out;
		if (json_object_size(pm) != 2) {
			rc = chk_bad(c->err, ip, "key and value are required");
			goto out;
		}
	}
	if (cred != NULL)
		json_object_set_new(dk, "credential", json_deep_copy(cred));
	if (pull != NULL)
		json_object_set_new(dk, "pullConfig", json_deep_copy(pull));
out:
	if (rc != 0)
		json_decref(dk);
	*out = rc == 0 ? dk : NULL;
	return rc;
}

static int
chk_volumes(struct chk *c, const json_t *ct, json_t *res)
{
	static const char *const modes[] = {"RO", "RW"};
	const json_t *vols, *v, *pers, *ext;
	const char *mode, *cp;
	json_t *e;
	chk_path p, fp;
	long long size;
	size_t i;
	int rc;

	if ((rc = chk_typed(ct, "volumes", "/container", JSON_ARRAY, &vols,
			    c->err)) != 0)
		return rc;
	json_array_foreach(vols, i, v)
	{
		chk_idx(p, "/container/volumes", i);
		if (!json_is_object(v))
			return chk_bad(c->err, p, "error.expected.jsobject");
		e = json_object();
		json_array_append_new(res, e);
		if ((rc = put_str(e, v, "containerPath", p, true, &cp,
				  c->err)) != 0 ||
		    (rc = put_str(e, v, "hostPath", p, true, NULL, c->err)) !=
			0 ||
		    (rc = chk_enum(v, "mode", p, modes, CD_NELEM(modes), "RW",
				   &mode, c->err)) != 0 ||
		    (rc = chk_typed(v, "persistent", p, JSON_OBJECT, &pers,
				    c->err)) != 0 ||
		    (rc = chk_typed(v, "external", p, JSON_OBJECT, &ext,
				    c->err)) != 0)
			return rc;
		chk_join(fp, p, "containerPath");
		if (cp == NULL)
			return chk_bad(c->err, fp, "error.path.missing");
		json_object_set_new(e, "mode", json_string(mode));
		if (pers != NULL) {
			chk_join(fp, p, "persistent");
			if ((rc = chk_int(pers, "size", fp, 0, INT_MAX, -1,
					  &size, NULL, c->err)) != 0)
				return rc;
			if (size < 0) {
				chk_join(p, fp, "size");
				return chk_bad(c->err, p, "error.path.missing");
			}
			json_object_set_new(e, "persistent",
					    json_deep_copy(pers));
		}
		if (ext != NULL)
			json_object_set_new(e, "external", json_deep_copy(ext));
	}
	return 0;
}

/* One port mapping; hostPort is implicit 0 in BRIDGE, optional in USER. */
static int
chk_mapping(struct chk *c, const json_t *m, const char *p, json_t *e)
{
	static const char *const protos[] = {"tcp", "udp", "udp,tcp"};
	const char *proto, *name;
	long long hp;
	bool have;
	int rc;

	if ((rc = put_int(e, m, "containerPort", p, 0, 65535, 0, c->err)) !=
		0 ||
	    (rc = chk_int(m, "hostPort", p, 0, 65535, 0, &hp, &have, c->err)) !=
		0)
		return rc;
	if (have || c->net == SCHED_APP_NET_BRIDGE)
		json_object_set_new(e, "hostPort", json_integer(hp));
	if ((rc = put_int(e, m, "servicePort", p, 0, 65535, 0, c->err)) != 0 ||
	    (rc = chk_enum(m, "protocol", p, protos, CD_NELEM(protos), "tcp",
			   &proto, c->err)) != 0)
		return rc;
	json_object_set_new(e, "protocol", json_string(proto));
	/* networkNames is dropped: one container network per app here,
	 * and python3-marathon's port mapping model refuses the field. */
	if ((rc = put_name(e, m, p, &name, c->err)) != 0)
		return rc;
	return put_strmap(e, m, "labels", p, true, c->err);
}

/* Port mappings in effect (container.portMappings, then docker's). */
static int
chk_mappings(struct chk *c, const json_t *ct, json_t *res)
{
	const json_t *pm, *m;
	const char *b = "/container/portMappings";
	json_t *e;
	chk_path p;
	size_t i;
	int rc;

	if ((rc = chk_typed(ct, "portMappings", "/container", JSON_ARRAY, &pm,
			    c->err)) != 0)
		return rc;
	if (pm == NULL && json_is_object(json_object_get(ct, "docker"))) {
		b = "/container/docker/portMappings";
		if ((rc = chk_typed(json_object_get(ct, "docker"),
				    "portMappings", "/container/docker",
				    JSON_ARRAY, &pm, c->err)) != 0)
			return rc;
	}
	if (json_array_size(pm) > 0 &&
	    (c->net == SCHED_APP_NET_HOST || c->net == SCHED_APP_NET_NONE))
		return chk_bad(c->err, b,
			       "port mappings are only allowed "
			       "with BRIDGE or USER networking");
	if (pm == NULL && c->net == SCHED_APP_NET_BRIDGE) {
		/* Marathon gives a bridged app one default mapping. */
		e = json_pack("{s:i, s:i, s:i, s:s, s:s}", "containerPort", 0,
			      "hostPort", 0, "servicePort", 0, "protocol",
			      "tcp", "name", "default");
		json_array_append_new(res, e);
		return 0;
	}
	json_array_foreach(pm, i, m)
	{
		chk_idx(p, b, i);
		if (!json_is_object(m))
			return chk_bad(c->err, p, "error.expected.jsobject");
		e = json_object();
		json_array_append_new(res, e);
		if ((rc = chk_mapping(c, m, p, e)) != 0)
			return rc;
	}
	return 0;
}

/* The 0.5 shape {"image": "docker:///x", "options": [...]}. */
static int
chk_container05(struct chk *c, const json_t *ct, json_t *res)
{
	const json_t *opts;
	const char *img = NULL;
	json_t *dk = json_object(), *params = json_array();
	int rc;

	json_object_set_new(res, "type", json_string("DOCKER"));
	json_object_set_new(res, "docker", dk);
	if ((rc = json_opt_str(ct, "image", "/container", &img, NULL,
			       c->err)) != 0 ||
	    (rc = chk_image(c, img, "/container/image", dk)) != 0 ||
	    (rc = chk_typed(ct, "options", "/container", JSON_ARRAY, &opts,
			    c->err)) != 0 ||
	    (rc = chk_options(c, opts, params)) != 0) {
		json_decref(params);
		return rc;
	}
	json_object_set_new(dk, "network",
			    json_string(sched_app_check_net_name(c->net)));
	json_object_set_new(dk, "privileged", json_false());
	json_object_set_new(dk, "forcePullImage", json_false());
	json_object_set_new(dk, "parameters", params);
	json_object_set_new(res, "volumes", json_array());
	json_object_set_new(res, "portMappings", json_array());
	return 0;
}

static int
chk_container(struct chk *c, json_t **out)
{
	static const char *const types[] = {"DOCKER", "MESOS"};
	const json_t *ct, *d;
	const char *type;
	json_t *res = json_object(), *dk, *arr;
	int rc;

	*out = NULL;
	if ((rc = chk_typed(c->in, "container", "", JSON_OBJECT, &ct,
			    c->err)) != 0 ||
	    ct == NULL)
		goto out;
	if (json_is_string(json_object_get(ct, "image")) &&
	    json_object_get(ct, "docker") == NULL) {
		rc = chk_container05(c, ct, res);
		goto out;
	}
	if ((rc = chk_enum(ct, "type", "/container", types, CD_NELEM(types),
			   "DOCKER", &type, c->err)) != 0 ||
	    (rc = chk_typed(ct, "docker", "/container", JSON_OBJECT, &d,
			    c->err)) != 0)
		goto out;
	json_object_set_new(res, "type", json_string(type));
	if (d == NULL && strcmp(type, "DOCKER") == 0) {
		rc = chk_bad(c->err, "/container/docker", "error.path.missing");
		goto out;
	}
	if (d != NULL) {
		if ((rc = chk_docker(c, d, strcmp(type, "DOCKER") == 0, &dk)) !=
		    0)
			goto out;
		json_object_set_new(res, "docker", dk);
	}
	arr = json_array();
	json_object_set_new(res, "volumes", arr);
	if ((rc = chk_volumes(c, ct, arr)) != 0)
		goto out;
	arr = json_array();
	json_object_set_new(res, "portMappings", arr);
	rc = chk_mappings(c, ct, arr);
out:
	if (rc != 0 || ct == NULL)
		json_decref(res);
	else
		*out = res;
	return rc;
}

/* portDefinitions, else the 0.5 "ports", else one default definition. */
static int
chk_portdefs(struct chk *c, json_t *res)
{
	static const char *const protos[] = {"tcp", "udp", "udp,tcp"};
	const json_t *pd, *ports, *d;
	const char *proto, *name;
	json_t *e;
	chk_path p;
	long long port;
	size_t i;
	int rc;

	if (c->net != SCHED_APP_NET_HOST)
		return 0; /* ports live in portMappings; these are ignored */
	if ((rc = chk_typed(c->in, "portDefinitions", "", JSON_ARRAY, &pd,
			    c->err)) != 0 ||
	    (rc = chk_typed(c->in, "ports", "", JSON_ARRAY, &ports, c->err)) !=
		0)
		return rc;
	if (pd == NULL && ports != NULL) {
		for (i = 0; i < json_array_size(ports); i++) {
			if ((rc = chk_elem_int(ports, i, "/ports", 0, 65535,
					       &port, c->err)) != 0)
				return rc;
			json_array_append_new(res,
					      json_pack("{s:I, s:s}", "port",
							(json_int_t)port,
							"protocol", "tcp"));
		}
		return 0;
	}
	if (pd == NULL) {
		json_array_append_new(res, json_pack("{s:i, s:s, s:s}", "port",
						     0, "protocol", "tcp",
						     "name", "default"));
		return 0;
	}
	json_array_foreach(pd, i, d)
	{
		chk_idx(p, "/portDefinitions", i);
		if (!json_is_object(d))
			return chk_bad(c->err, p, "error.expected.jsobject");
		e = json_object();
		json_array_append_new(res, e);
		if ((rc = put_int(e, d, "port", p, 0, 65535, 0, c->err)) != 0 ||
		    (rc = chk_enum(d, "protocol", p, protos, CD_NELEM(protos),
				   "tcp", &proto, c->err)) != 0)
			return rc;
		json_object_set_new(e, "protocol", json_string(proto));
		if ((rc = put_name(e, d, p, &name, c->err)) != 0 ||
		    (rc = put_strmap(e, d, "labels", p, true, c->err)) != 0)
			return rc;
	}
	return 0;
}

/* Names unique; non-zero fixed ports unique (key: the port field). */
static int
chk_ports_unique(struct chk *c, const char *base, const char *key)
{
	const json_t *a, *b;
	const char *na, *nb;
	size_t i, j;

	json_array_foreach(c->ports, i, a)
	{
		na = json_string_value(json_object_get(a, "name"));
		for (j = 0; j < i; j++) {
			b = json_array_get(c->ports, j);
			nb = json_string_value(json_object_get(b, "name"));
			if (na != NULL && nb != NULL && strcmp(na, nb) == 0)
				return chk_bad(c->err, base,
					       "Port names must be unique.");
			if (json_integer_value(json_object_get(a, key)) != 0 &&
			    json_integer_value(json_object_get(a, key)) ==
				json_integer_value(json_object_get(b, key)))
				return chk_bad(c->err, base,
					       "Ports must be unique.");
		}
	}
	return 0;
}

/* The index of the port named name, or -1. */
static long
chk_port_named(const struct chk *c, const char *name)
{
	const char *n;
	size_t i;

	for (i = 0; i < json_array_size(c->ports); i++) {
		n = json_string_value(
		    json_object_get(json_array_get(c->ports, i), "name"));
		if (n != NULL && strcmp(n, name) == 0)
			return (long)i;
	}
	return -1;
}

/* Regex syntax check for LIKE/UNLIKE, anchored as the matcher will. */
static bool
chk_regex_ok(const char *v)
{
	regex_t re;
	char *anchored = xasprintf("^(%s)$", v);
	int rc = regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB);

	free(anchored);
	if (rc != 0)
		return false;
	regfree(&re);
	return true;
}

static bool
chk_posint(const char *v, long long min)
{
	char *end;
	long long n;

	if (v == NULL || v[0] < '0' || v[0] > '9')
		return false;
	n = strtoll(v, &end, 10);
	return *end == '\0' && n >= min && n <= INT_MAX;
}

static int
chk_constraint(struct chk *c, const json_t *con, const char *p)
{
	static const char *const ops[] = {
	    "UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS"};
	const char *f, *op, *v;
	size_t i, n = json_array_size(con);
	chk_path ip;

	if (!json_is_array(con))
		return chk_bad(c->err, p, "error.expected.jsarray");
	if (n < 2 || n > 3)
		return chk_bad(
		    c->err, p,
		    "Each constraint must have either 2 or 3 fields");
	for (i = 0; i < n; i++) {
		chk_idx(ip, p, i);
		if (!json_is_string(json_array_get(con, i)))
			return chk_bad(c->err, ip, "error.expected.jsstring");
	}
	f = json_string_value(json_array_get(con, 0));
	op = json_string_value(json_array_get(con, 1));
	v = n == 3 ? json_string_value(json_array_get(con, 2)) : NULL;
	if (f[0] == '\0')
		return chk_bad(c->err, p, "Missing field for constraint");
	chk_idx(ip, p, 1);
	for (i = 0; i < CD_NELEM(ops); i++)
		if (strcmp(op, ops[i]) == 0)
			break;
	if (i == CD_NELEM(ops))
		return chk_bad(
		    c->err, ip,
		    "Constraint operator must be one of UNIQUE, CLUSTER, "
		    "GROUP_BY, LIKE, UNLIKE, MAX_PER or IS");
	chk_idx(ip, p, 2);
	if ((strcmp(op, "LIKE") == 0 || strcmp(op, "UNLIKE") == 0 ||
	     strcmp(op, "IS") == 0 || strcmp(op, "MAX_PER") == 0) &&
	    v == NULL)
		return chk_bad(c->err, p, "%s requires a value", op);
	if ((strcmp(op, "LIKE") == 0 || strcmp(op, "UNLIKE") == 0) &&
	    !chk_regex_ok(v))
		return chk_bad(c->err, ip,
			       "'%s' is not a valid regular "
			       "expression",
			       v);
	if (strcmp(op, "MAX_PER") == 0 && !chk_posint(v, 1))
		return chk_bad(c->err, ip, "MAX_PER needs a positive integer");
	if (strcmp(op, "GROUP_BY") == 0 && v != NULL && v[0] != '\0' &&
	    !chk_posint(v, 0))
		return chk_bad(c->err, ip, "GROUP_BY needs an integer");
	return 0;
}

static int
chk_constraints(struct chk *c, json_t *dst)
{
	const json_t *a, *con;
	chk_path p;
	size_t i;
	int rc;

	if ((rc = chk_typed(c->in, "constraints", "", JSON_ARRAY, &a,
			    c->err)) != 0)
		return rc;
	json_array_foreach(a, i, con)
	{
		chk_idx(p, "/constraints", i);
		if ((rc = chk_constraint(c, con, p)) != 0)
			return rc;
	}
	json_object_set_new(dst, "constraints",
			    a != NULL ? json_deep_copy(a) : json_array());
	return 0;
}

static int
chk_env(struct chk *c, json_t *dst)
{
	const json_t *env;
	const char *k;
	json_t *v, *res;
	chk_path p;
	int rc;

	if ((rc = chk_typed(c->in, "env", "", JSON_OBJECT, &env, c->err)) != 0)
		return rc;
	res = json_object();
	json_object_set_new(dst, "env", res);
	json_object_foreach(chk_unconst(env), k, v)
	{
		chk_join(p, "/env", k);
		if (k[0] == '\0' || strchr(k, '=') != NULL)
			return chk_bad(c->err, p,
				       "not a valid environment variable name");
		if (json_is_object(v) && json_object_get(v, "secret") != NULL)
			return chk_bad(
			    c->err, p,
			    "secret environment variables are not supported");
		if (!json_is_string(v))
			return chk_bad(c->err, p, "error.expected.jsstring");
		json_object_set_new(res, k, json_string(json_string_value(v)));
	}
	return 0;
}

static int
chk_fetch(struct chk *c, json_t *dst)
{
	const json_t *a, *f;
	const char *uri;
	json_t *res = json_array(), *e;
	chk_path p, fp;
	size_t i;
	int rc;

	json_object_set_new(dst, "fetch", res);
	if ((rc = chk_typed(c->in, "fetch", "", JSON_ARRAY, &a, c->err)) != 0)
		return rc;
	json_array_foreach(a, i, f)
	{
		chk_idx(p, "/fetch", i);
		if (!json_is_object(f))
			return chk_bad(c->err, p, "error.expected.jsobject");
		e = json_object();
		json_array_append_new(res, e);
		if ((rc = put_str(e, f, "uri", p, true, &uri, c->err)) != 0 ||
		    (rc = put_bool(e, f, "extract", p, true, c->err)) != 0 ||
		    (rc = put_bool(e, f, "executable", p, false, c->err)) !=
			0 ||
		    (rc = put_bool(e, f, "cache", p, false, c->err)) != 0 ||
		    (rc = put_str(e, f, "destPath", p, true, NULL, c->err)) !=
			0)
			return rc;
		if (uri == NULL) {
			chk_join(fp, p, "uri");
			return chk_bad(c->err, fp, "error.path.missing");
		}
	}
	return 0;
}

/* Health checks: Marathon 1.x defaults, 0.5's initialDelaySeconds. */
static int
chk_health1(struct chk *c, const json_t *h, const char *p, json_t *e)
{
	static const char *const protos[] = {
	    "HTTP",	  "HTTPS",	 "TCP",	     "COMMAND",
	    "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"};
	static const char *const ips[] = {"IPv4", "IPv6"};
	const char *proto, *ipp, *cmd = NULL;
	const json_t *cmdo;
	long long grace, port, idx;
	bool http, have_port, have_idx;
	chk_path ip;
	int rc;

	if ((rc = chk_enum(h, "protocol", p, protos, CD_NELEM(protos), "HTTP",
			   &proto, c->err)) != 0)
		return rc;
	json_object_set_new(e, "protocol", json_string(proto));
	http = strstr(proto, "HTTP") != NULL;
	if ((rc = chk_int(h, "initialDelaySeconds", p, 0, INT_MAX, 300, &grace,
			  NULL, c->err)) != 0 ||
	    (rc = put_int(e, h, "gracePeriodSeconds", p, 0, INT_MAX, grace,
			  c->err)) != 0 ||
	    (rc = put_int(e, h, "intervalSeconds", p, 1, INT_MAX, 60,
			  c->err)) != 0 ||
	    (rc = put_int(e, h, "timeoutSeconds", p, 1, INT_MAX, 20, c->err)) !=
		0 ||
	    (rc = put_int(e, h, "maxConsecutiveFailures", p, 0, INT_MAX, 3,
			  c->err)) != 0 ||
	    (rc = put_int(e, h, "delaySeconds", p, 0, INT_MAX, 15, c->err)) !=
		0)
		return rc;
	if (strcmp(proto, "COMMAND") == 0) {
		chk_join(ip, p, "command");
		if ((rc = chk_typed(h, "command", p, JSON_OBJECT, &cmdo,
				    c->err)) != 0 ||
		    (cmdo != NULL && (rc = json_opt_str(cmdo, "value", ip, &cmd,
							NULL, c->err)) != 0))
			return rc;
		if (cmd == NULL || cmd[0] == '\0')
			return chk_bad(
			    c->err, ip,
			    "COMMAND health checks need command.value");
		json_object_set_new(e, "command",
				    json_pack("{s:s}", "value", cmd));
		return 0;
	}
	if (http) {
		if ((rc = put_str(e, h, "path", p, false, NULL, c->err)) != 0)
			return rc;
		if (json_object_get(e, "path") == NULL)
			json_object_set_new(e, "path", json_string("/"));
		if ((rc = put_bool(e, h, "ignoreHttp1xx", p, false, c->err)) !=
		    0)
			return rc;
	}
	if ((rc = chk_int(h, "port", p, 0, 65535, 0, &port, &have_port,
			  c->err)) != 0 ||
	    (rc = chk_int(h, "portIndex", p, 0, 65535, 0, &idx, &have_idx,
			  c->err)) != 0)
		return rc;
	if (have_port && have_idx)
		return chk_bad(
		    c->err, p,
		    "Health checks may either specify a port or a portIndex");
	if (have_port)
		json_object_set_new(e, "port", json_integer(port));
	else {
		chk_join(ip, p, "portIndex");
		if ((size_t)idx >= json_array_size(c->ports))
			return chk_bad(
			    c->err, ip,
			    "Health check port indices must address an element "
			    "of the ports array or container port mappings.");
		json_object_set_new(e, "portIndex", json_integer(idx));
	}
	if ((rc = chk_enum(h, "ipProtocol", p, ips, CD_NELEM(ips), NULL, &ipp,
			   c->err)) != 0)
		return rc;
	if (ipp != NULL)
		json_object_set_new(e, "ipProtocol", json_string(ipp));
	return 0;
}

static int
chk_readiness1(struct chk *c, const json_t *r, const char *p, json_t *e)
{
	static const char *const protos[] = {"HTTP", "HTTPS"};
	const char *proto, *port = "http-api";
	const json_t *codes;
	long long interval, timeout;
	json_t *arr;
	chk_path ip;
	size_t i;
	int rc;

	if ((rc = put_str(e, r, "name", p, true, NULL, c->err)) != 0 ||
	    (rc = chk_enum(r, "protocol", p, protos, CD_NELEM(protos), "HTTP",
			   &proto, c->err)) != 0)
		return rc;
	if (json_object_get(e, "name") == NULL)
		json_object_set_new(e, "name", json_string("readinessCheck"));
	json_object_set_new(e, "protocol", json_string(proto));
	if ((rc = put_str(e, r, "path", p, true, NULL, c->err)) != 0 ||
	    (rc = json_opt_str(r, "portName", p, &port, NULL, c->err)) != 0)
		return rc;
	if (json_object_get(e, "path") == NULL)
		json_object_set_new(e, "path", json_string("/"));
	chk_join(ip, p, "portName");
	if (chk_port_named(c, port) < 0)
		return chk_bad(c->err, ip, "no port is named '%s'", port);
	json_object_set_new(e, "portName", json_string(port));
	if ((rc = chk_int(r, "intervalSeconds", p, 0, INT_MAX, 30, &interval,
			  NULL, c->err)) != 0 ||
	    (rc = chk_int(r, "timeoutSeconds", p, 1, INT_MAX, 10, &timeout,
			  NULL, c->err)) != 0)
		return rc;
	chk_join(ip, p, "timeoutSeconds");
	if (timeout >= interval)
		return chk_bad(c->err, ip,
			       "must be smaller than intervalSeconds");
	json_object_set_new(e, "intervalSeconds", json_integer(interval));
	json_object_set_new(e, "timeoutSeconds", json_integer(timeout));
	if ((rc = chk_typed(r, "httpStatusCodesForReady", p, JSON_ARRAY, &codes,
			    c->err)) != 0)
		return rc;
	arr = json_array();
	json_object_set_new(e, "httpStatusCodesForReady", arr);
	chk_join(ip, p, "httpStatusCodesForReady");
	for (i = 0; i < json_array_size(codes); i++) {
		long long code;

		if ((rc = chk_elem_int(codes, i, ip, 100, 999, &code,
				       c->err)) != 0)
			return rc;
		json_array_append_new(arr, json_integer(code));
	}
	if (json_array_size(arr) == 0)
		json_array_append_new(arr, json_integer(200));
	return put_bool(e, r, "preserveLastResponse", p, false, c->err);
}

/* An array of objects, each checked by fn into a new object. */
static int
chk_objs(struct chk *c, json_t *dst, const char *key,
	 int (*fn)(struct chk *, const json_t *, const char *, json_t *))
{
	const json_t *a, *o;
	json_t *res = json_array(), *e;
	chk_path base, p;
	size_t i;
	int rc;

	json_object_set_new(dst, key, res);
	chk_join(base, "", key);
	if ((rc = chk_typed(c->in, key, "", JSON_ARRAY, &a, c->err)) != 0)
		return rc;
	json_array_foreach(a, i, o)
	{
		chk_idx(p, base, i);
		if (!json_is_object(o))
			return chk_bad(c->err, p, "error.expected.jsobject");
		e = json_object();
		json_array_append_new(res, e);
		if ((rc = fn(c, o, p, e)) != 0)
			return rc;
	}
	return 0;
}

/* Dependencies resolve against the app's parent group. */
static int
chk_deps(struct chk *c, json_t *dst)
{
	const json_t *a, *d;
	json_t *res = json_array();
	char *abs;
	chk_path p;
	size_t i, j;
	bool dup;
	int rc;

	json_object_set_new(dst, "dependencies", res);
	if ((rc = chk_typed(c->in, "dependencies", "", JSON_ARRAY, &a,
			    c->err)) != 0)
		return rc;
	json_array_foreach(a, i, d)
	{
		chk_idx(p, "/dependencies", i);
		if (!json_is_string(d))
			return chk_bad(c->err, p, "error.expected.jsstring");
		if ((rc = sched_app_check_path(json_string_value(d), c->parent,
					       true, p, &abs, c->err)) != 0)
			return rc;
		for (dup = false, j = 0; j < json_array_size(res); j++)
			dup = dup ||
			      strcmp(abs, json_string_value(
					      json_array_get(res, j))) == 0;
		if (!dup)
			json_array_append_new(res, json_string(abs));
		free(abs);
	}
	return 0;
}

static int
chk_upgrade(struct chk *c, json_t *dst)
{
	const json_t *u;
	json_t *res = json_object();
	const char *b = "/upgradeStrategy";
	int rc;

	json_object_set_new(dst, "upgradeStrategy", res);
	if ((rc = chk_typed(c->in, "upgradeStrategy", "", JSON_OBJECT, &u,
			    c->err)) != 0)
		return rc;
	if ((rc = put_num(res, u, "minimumHealthCapacity", b, 0, 1, 1,
			  c->err)) != 0)
		return rc;
	return put_num(res, u, "maximumOverCapacity", b, 0, 1, 1, c->err);
}

static int
chk_unreachable(struct chk *c, json_t *dst)
{
	const json_t *u = json_object_get(c->in, "unreachableStrategy");
	const char *b = "/unreachableStrategy";
	long long inactive, expunge;
	int rc;

	if (json_is_string(u)) {
		if (strcmp(json_string_value(u), "disabled") != 0)
			return chk_bad(c->err, b,
				       "error.expected.validenumvalue");
		json_object_set_new(dst, "unreachableStrategy",
				    json_string("disabled"));
		return 0;
	}
	if ((rc = chk_typed(c->in, "unreachableStrategy", "", JSON_OBJECT, &u,
			    c->err)) != 0 ||
	    (rc = chk_int(u, "inactiveAfterSeconds", b, 0, INT_MAX, 0,
			  &inactive, NULL, c->err)) != 0 ||
	    (rc = chk_int(u, "expungeAfterSeconds", b, 0, INT_MAX, 0, &expunge,
			  NULL, c->err)) != 0)
		return rc;
	if (expunge < inactive)
		return chk_bad(
		    c->err, "/unreachableStrategy/expungeAfterSeconds",
		    "must be greater than or equal to inactiveAfterSeconds");
	json_object_set_new(dst, "unreachableStrategy",
			    json_pack("{s:I, s:I}", "inactiveAfterSeconds",
				      (json_int_t)inactive,
				      "expungeAfterSeconds",
				      (json_int_t)expunge));
	return 0;
}

/* "", "//cmd" or a path: ^(|//cmd|/?[^/]+(/[^/]+)*)$ */
static bool
chk_executor_ok(const char *e)
{
	const char *p = e;

	if (e[0] == '\0' || strcmp(e, "//cmd") == 0)
		return true;
	if (*p == '/')
		p++;
	if (*p == '\0' || *p == '/')
		return false;
	for (; *p != '\0'; p++)
		if (p[0] == '/' && (p[1] == '/' || p[1] == '\0'))
			return false;
	return true;
}

static int
chk_secrets(struct chk *c, json_t *dst)
{
	const json_t *s;
	const char *k;
	json_t *v, *res;
	chk_path p;
	int rc;

	if ((rc = chk_typed(c->in, "secrets", "", JSON_OBJECT, &s, c->err)) !=
		0 ||
	    s == NULL)
		return rc;
	res = json_object();
	json_object_set_new(dst, "secrets", res);
	json_object_foreach(chk_unconst(s), k, v)
	{
		chk_join(p, "/secrets", k);
		if (!json_is_object(v))
			return chk_bad(c->err, p, "error.expected.jsobject");
		json_object_set_new(res, k, json_object());
		if ((rc = put_str(json_object_get(res, k), v, "source", p, true,
				  NULL, c->err)) != 0)
			return rc;
	}
	return 0;
}

static int
chk_id(struct chk *c, const char *path_id, json_t *dst)
{
	const char *bid = NULL;
	char *id = NULL, *other = NULL, *slash;
	int rc;

	if ((rc = json_opt_str(c->in, "id", "", &bid, NULL, c->err)) != 0)
		return rc;
	if (path_id == NULL && bid == NULL)
		return chk_bad(c->err, "/id", "error.path.missing");
	if ((rc = sched_app_check_path(path_id != NULL ? path_id : bid, "/",
				       false, "/id", &id, c->err)) != 0)
		goto out;
	if (path_id != NULL && bid != NULL) {
		if ((rc = sched_app_check_path(bid, "/", false, "/id", &other,
					       c->err)) != 0)
			goto out;
		if (strcmp(id, other) != 0) {
			rc = chk_bad(
			    c->err, "/id",
			    "the id in the body does not match the URL");
			goto out;
		}
	}
	json_object_set_new(dst, "id", json_string(id));
	slash = strrchr(id, '/');
	c->parent = xstrndup(id, (size_t)(slash - id));
out:
	free(id);
	free(other);
	return rc;
}

/* cmd xor args, and something to run. */
static int
chk_cmd(struct chk *c, const json_t *ct, json_t *dst)
{
	const char *cmd = NULL;
	const json_t *args;
	int rc;

	if ((rc = put_str(dst, c->in, "cmd", "", true, &cmd, c->err)) != 0 ||
	    (rc = chk_typed(c->in, "args", "", JSON_ARRAY, &args, c->err)) != 0)
		return rc;
	if (json_array_size(args) > 0) {
		if (cmd != NULL)
			return chk_bad(
			    c->err, "/",
			    "AppDefinition must contain only one of 'cmd' or "
			    "'args'.");
		if ((rc = put_strarr(dst, c->in, "args", "", false, false,
				     c->err)) != 0)
			return rc;
	}
	if (cmd == NULL && json_array_size(args) == 0 &&
	    json_object_get(json_object_get(ct, "docker"), "image") == NULL)
		return chk_bad(
		    c->err, "/",
		    "AppDefinition must either contain one of 'cmd' or 'args', "
		    "and/or a 'container'.");
	if (c->net != SCHED_APP_NET_HOST &&
	    json_object_get(json_object_get(ct, "docker"), "image") == NULL)
		return chk_bad(
		    c->err, "/networks",
		    "container networking needs a container with an image");
	return 0;
}

static int
chk_resources(struct chk *c, json_t *dst)
{
	int rc;

	if ((rc = put_num(dst, c->in, "cpus", "", 0.001, 1e9, 1, c->err)) !=
		0 ||
	    (rc = put_num(dst, c->in, "mem", "", 0, 1e12, 128, c->err)) != 0 ||
	    (rc = put_num(dst, c->in, "disk", "", 0, 1e12, 0, c->err)) != 0 ||
	    (rc = put_int(dst, c->in, "gpus", "", 0, INT_MAX, 0, c->err)) !=
		0 ||
	    (rc = put_int(dst, c->in, "instances", "", 0, INT_MAX, 1,
			  c->err)) != 0)
		return rc;
	return 0;
}

/* Everything from executor to requirePorts, in the stored key order. */
static int
chk_ports(struct chk *c, const json_t *ct, json_t *nets, json_t *dst)
{
	json_t *pd = json_array(), *svc = json_array();
	const json_t *e;
	const char *key;
	size_t i;
	int rc;

	json_object_set_new(dst, "networks", json_incref(nets));
	json_object_set_new(dst, "portDefinitions", pd);
	if ((rc = put_bool(dst, c->in, "requirePorts", "", false, c->err)) !=
		0 ||
	    (rc = chk_portdefs(c, pd)) != 0) {
		json_decref(svc);
		return rc;
	}
	json_object_set_new(dst, "ports", svc);
	if (c->net == SCHED_APP_NET_HOST) {
		c->ports = pd;
		key = "port";
		rc = chk_ports_unique(c, "/portDefinitions", key);
	} else {
		c->ports = json_object_get(ct, "portMappings");
		key = "servicePort";
		rc = chk_ports_unique(c, "/container/portMappings", "hostPort");
	}
	json_array_foreach(c->ports, i, e) json_array_append_new(
	    svc, json_integer(json_integer_value(json_object_get(e, key))));
	return rc;
}

/* Deprecated and without effect in Marathon too; kept for round trips. */
static int
chk_residency(struct chk *c, const json_t *r, json_t *dst)
{
	static const char *const lost[] = {"WAIT_FOREVER",
					   "RELAUNCH_AFTER_TIMEOUT"};
	const char *b = "/residency", *tl;
	json_t *res = json_object();
	int rc;

	json_object_set_new(dst, "residency", res);
	if ((rc = put_int(res, r, "relaunchEscalationTimeoutSeconds", b, 0,
			  INT_MAX, 3600, c->err)) != 0 ||
	    (rc = chk_enum(r, "taskLostBehavior", b, lost, CD_NELEM(lost),
			   "WAIT_FOREVER", &tl, c->err)) != 0)
		return rc;
	json_object_set_new(res, "taskLostBehavior", json_string(tl));
	return 0;
}

static int
chk_tail(struct chk *c, json_t *dst)
{
	static const char *const kills[] = {"YOUNGEST_FIRST", "OLDEST_FIRST"};
	const char *ks, *v;
	const json_t *res;
	long long grace;
	bool have;
	chk_path p;
	int rc;

	if ((rc = chk_deps(c, dst)) != 0 || (rc = chk_upgrade(c, dst)) != 0 ||
	    (rc = put_int(dst, c->in, "backoffSeconds", "", 0, INT_MAX, 1,
			  c->err)) != 0 ||
	    (rc = put_num(dst, c->in, "backoffFactor", "", 1, 1e6, 1.15,
			  c->err)) != 0 ||
	    (rc = put_int(dst, c->in, "maxLaunchDelaySeconds", "", 0, INT_MAX,
			  300, c->err)) != 0 ||
	    (rc = chk_int(c->in, "taskKillGracePeriodSeconds", "", 0,
			  INT_MAX / 1000, 0, &grace, &have, c->err)) != 0)
		return rc;
	if (have)
		json_object_set_new(dst, "taskKillGracePeriodSeconds",
				    json_integer(grace));
	if ((rc = chk_enum(c->in, "killSelection", "", kills, CD_NELEM(kills),
			   "YOUNGEST_FIRST", &ks, c->err)) != 0)
		return rc;
	json_object_set_new(dst, "killSelection", json_string(ks));
	if ((rc = chk_unreachable(c, dst)) != 0 ||
	    (rc = put_strarr(dst, c->in, "acceptedResourceRoles", "", true,
			     false, c->err)) != 0 ||
	    (rc = chk_typed(c->in, "residency", "", JSON_OBJECT, &res,
			    c->err)) != 0)
		return rc;
	if (res != NULL && (rc = chk_residency(c, res, dst)) != 0)
		return rc;
	if ((rc = chk_secrets(c, dst)) != 0 ||
	    (rc = put_str(dst, c->in, "version", "", true, &v, c->err)) != 0)
		return rc;
	chk_join(p, "", "version");
	if (v != NULL && strlen(v) > 64)
		return chk_bad(c->err, p, "not a valid version");
	return 0;
}

int
sched_app_check(const json_t *body, const char *path_id, json_t **out,
		struct cd_err *err)
{
	struct chk c = {body, err, SCHED_APP_NET_HOST, NULL, NULL};
	json_t *d = json_object(), *ct = NULL, *nets = NULL;
	const char *exe = NULL;
	int rc;

	*out = NULL;
	if (!json_is_object(body)) {
		rc = cd_err_setp(err, -EBADMSG, "",
				 "an app definition must be a JSON object");
		goto out;
	}
	if ((rc = chk_id(&c, path_id, d)) != 0 ||
	    (rc = chk_net(&c, &nets)) != 0 ||
	    (rc = chk_container(&c, &ct)) != 0 ||
	    (rc = chk_cmd(&c, ct, d)) != 0 ||
	    (rc = put_str(d, body, "user", "", false, NULL, err)) != 0)
		goto out;
	if (ct != NULL)
		json_object_set_new(d, "container", json_incref(ct));
	if ((rc = chk_resources(&c, d)) != 0 ||
	    (rc = json_opt_str(body, "executor", "", &exe, NULL, err)) != 0)
		goto out;
	if (exe != NULL && !chk_executor_ok(exe)) {
		rc = chk_bad(err, "/executor",
			     "must fully match regular expression "
			     "'^(|\\/\\/cmd|\\/?[^\\/]+(\\/[^\\/]+)*)$'");
		goto out;
	}
	json_object_set_new(d, "executor", json_string(exe ? exe : ""));
	if ((rc = chk_env(&c, d)) != 0 ||
	    (rc = put_strmap(d, body, "labels", "", false, err)) != 0 ||
	    (rc = chk_constraints(&c, d)) != 0 ||
	    (rc = put_strarr(d, body, "uris", "", true, true, err)) != 0 ||
	    (rc = chk_fetch(&c, d)) != 0 ||
	    (rc = chk_ports(&c, ct, nets, d)) != 0 ||
	    (rc = chk_objs(&c, d, "healthChecks", chk_health1)) != 0 ||
	    (rc = chk_objs(&c, d, "readinessChecks", chk_readiness1)) != 0 ||
	    (rc = chk_tail(&c, d)) != 0)
		goto out;
	*out = d;
	d = NULL;
out:
	json_decref(d);
	json_decref(ct);
	json_decref(nets);
	free(c.parent);
	return rc;
}
