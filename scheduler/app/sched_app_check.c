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
 * A body in Marathon 0.5's shape (numbers sent as strings, a 0.5
 * container {"image": "docker:///..."}, or 0.5's "taskRateLimit") keeps
 * the keys 0.5 listed for every app, which 0.5-era scripts read: "cmd"
 * ("" when the app has none), "container" (null when none) and
 * "taskRateLimit" (1.0 by default). taskRateLimit marks the stored form as
 * 0.5's, so the fixed point holds and an update keeps them; 1.x bodies
 * never get them (the 1.7 schema refuses all three as 0.5 shows them).
 *
 * Errors name the first offending field as a JSON path with a Marathon
 * message ("error.expected.jsnumber", "must be greater than or equal to
 * 0"). Pure (STYLE B28): no I/O, no globals; any thread.
 */
#include "scheduler/app/sched_app_check.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/json.h"
#include "lib/path.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_app_field.h"
#include "scheduler/app/sched_app_health.h"
#include "scheduler/app/sched_app_net.h"

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
		return sched_app_field_bad(err, errpath, "error.path.missing");
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
	p = full;
	while (path_next_seg(&p, &seg, &len)) {
		if (allow_rel && len == 1 && seg[0] == '.')
			continue;
		if (allow_rel && len == 2 && seg[0] == '.' && seg[1] == '.') {
			if (rlen == 0) {
				rc = sched_app_field_bad(
				    err, errpath,
				    "path escapes the root group");
				goto out;
			}
			while (res[--rlen] != '/')
				;
			continue;
		}
		if (!chk_seg_ok(seg, len)) {
			rc = sched_app_field_bad(
			    err, errpath,
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
		rc = sched_app_field_bad(err, errpath,
					 "must name an app, not the root");
	else if (rlen > CHK_ID_MAX)
		rc = sched_app_field_bad(
		    err, errpath, "must not be longer than %d characters",
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
		return sched_app_field_bad(c->err, p, "error.expected.jsarray");
	if (n < 2 || n > 3)
		return sched_app_field_bad(
		    c->err, p,
		    "Each constraint must have either 2 or 3 fields");
	for (i = 0; i < n; i++) {
		sched_app_field_idx(ip, p, i);
		if (!json_is_string(json_array_get(con, i)))
			return sched_app_field_bad(c->err, ip,
						   "error.expected.jsstring");
	}
	f = json_string_value(json_array_get(con, 0));
	op = json_string_value(json_array_get(con, 1));
	v = n == 3 ? json_string_value(json_array_get(con, 2)) : NULL;
	if (f[0] == '\0')
		return sched_app_field_bad(c->err, p,
					   "Missing field for constraint");
	sched_app_field_idx(ip, p, 1);
	for (i = 0; i < CD_NELEM(ops); i++)
		if (strcmp(op, ops[i]) == 0)
			break;
	if (i == CD_NELEM(ops))
		return sched_app_field_bad(
		    c->err, ip,
		    "Constraint operator must be one of UNIQUE, CLUSTER, "
		    "GROUP_BY, LIKE, UNLIKE, MAX_PER or IS");
	sched_app_field_idx(ip, p, 2);
	if ((strcmp(op, "LIKE") == 0 || strcmp(op, "UNLIKE") == 0 ||
	     strcmp(op, "IS") == 0 || strcmp(op, "MAX_PER") == 0) &&
	    v == NULL)
		return sched_app_field_bad(c->err, p, "%s requires a value",
					   op);
	if ((strcmp(op, "LIKE") == 0 || strcmp(op, "UNLIKE") == 0) &&
	    !chk_regex_ok(v))
		return sched_app_field_bad(c->err, ip,
					   "'%s' is not a valid regular "
					   "expression",
					   v);
	if (strcmp(op, "MAX_PER") == 0 && !chk_posint(v, 1))
		return sched_app_field_bad(c->err, ip,
					   "MAX_PER needs a positive integer");
	if (strcmp(op, "GROUP_BY") == 0 && v != NULL && v[0] != '\0' &&
	    !chk_posint(v, 0))
		return sched_app_field_bad(c->err, ip,
					   "GROUP_BY needs an integer");
	return 0;
}

static int
chk_constraints(struct chk *c, json_t *dst)
{
	const json_t *a, *con;
	chk_path p;
	size_t i;
	int rc;

	if ((rc = sched_app_field_typed(c->in, "constraints", "", JSON_ARRAY,
					&a, c->err)) != 0)
		return rc;
	json_array_foreach(a, i, con) {
		sched_app_field_idx(p, "/constraints", i);
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

	if ((rc = sched_app_field_typed(c->in, "env", "", JSON_OBJECT, &env,
					c->err)) != 0)
		return rc;
	res = json_object();
	json_object_set_new(dst, "env", res);
	json_object_foreach(sched_app_field_unconst(env), k, v) {
		sched_app_field_join(p, "/env", k);
		if (k[0] == '\0' || strchr(k, '=') != NULL)
			return sched_app_field_bad(
			    c->err, p, "not a valid environment variable name");
		if (json_is_object(v) && json_object_get(v, "secret") != NULL)
			return sched_app_field_bad(
			    c->err, p,
			    "secret environment variables are not supported");
		if (!json_is_string(v))
			return sched_app_field_bad(c->err, p,
						   "error.expected.jsstring");
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
	if ((rc = sched_app_field_typed(c->in, "fetch", "", JSON_ARRAY, &a,
					c->err)) != 0)
		return rc;
	json_array_foreach(a, i, f) {
		sched_app_field_idx(p, "/fetch", i);
		if (!json_is_object(f))
			return sched_app_field_bad(c->err, p,
						   "error.expected.jsobject");
		e = json_object();
		json_array_append_new(res, e);
		if ((rc = sched_app_field_put_str(e, f, "uri", p, true, &uri,
						  c->err)) != 0 ||
		    (rc = sched_app_field_put_bool(e, f, "extract", p, true,
						   c->err)) != 0 ||
		    (rc = sched_app_field_put_bool(e, f, "executable", p, false,
						   c->err)) != 0 ||
		    (rc = sched_app_field_put_bool(e, f, "cache", p, false,
						   c->err)) != 0 ||
		    (rc = sched_app_field_put_str(e, f, "destPath", p, true,
						  NULL, c->err)) != 0)
			return rc;
		/* Mesos' name for it (CommandInfo.URI.output_file). */
		if (json_object_get(e, "destPath") == NULL &&
		    (rc = sched_app_field_put_str(e, f, "outputFile", p, true,
						  NULL, c->err)) != 0)
			return rc;
		if (json_object_get(e, "outputFile") != NULL) {
			json_object_set(e, "destPath",
					json_object_get(e, "outputFile"));
			json_object_del(e, "outputFile");
		}
		if (uri == NULL) {
			sched_app_field_join(fp, p, "uri");
			return sched_app_field_bad(c->err, fp,
						   "error.path.missing");
		}
	}
	return 0;
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
	sched_app_field_join(base, "", key);
	if ((rc = sched_app_field_typed(c->in, key, "", JSON_ARRAY, &a,
					c->err)) != 0)
		return rc;
	json_array_foreach(a, i, o) {
		sched_app_field_idx(p, base, i);
		if (!json_is_object(o))
			return sched_app_field_bad(c->err, p,
						   "error.expected.jsobject");
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
	if ((rc = sched_app_field_typed(c->in, "dependencies", "", JSON_ARRAY,
					&a, c->err)) != 0)
		return rc;
	json_array_foreach(a, i, d) {
		sched_app_field_idx(p, "/dependencies", i);
		if (!json_is_string(d))
			return sched_app_field_bad(c->err, p,
						   "error.expected.jsstring");
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
	if ((rc = sched_app_field_typed(c->in, "upgradeStrategy", "",
					JSON_OBJECT, &u, c->err)) != 0)
		return rc;
	if ((rc = sched_app_field_put_num(res, u, "minimumHealthCapacity", b, 0,
					  1, 1, c->err)) != 0)
		return rc;
	return sched_app_field_put_num(res, u, "maximumOverCapacity", b, 0, 1,
				       1, c->err);
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
			return sched_app_field_bad(
			    c->err, b, "error.expected.validenumvalue");
		json_object_set_new(dst, "unreachableStrategy",
				    json_string("disabled"));
		return 0;
	}
	if ((rc = sched_app_field_typed(c->in, "unreachableStrategy", "",
					JSON_OBJECT, &u, c->err)) != 0 ||
	    (rc = sched_app_field_int(u, "inactiveAfterSeconds", b, 0, INT_MAX,
				      0, &inactive, NULL, c->err)) != 0 ||
	    (rc = sched_app_field_int(u, "expungeAfterSeconds", b, 0, INT_MAX,
				      0, &expunge, NULL, c->err)) != 0)
		return rc;
	if (expunge < inactive)
		return sched_app_field_bad(
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

	if ((rc = sched_app_field_typed(c->in, "secrets", "", JSON_OBJECT, &s,
					c->err)) != 0 ||
	    s == NULL)
		return rc;
	res = json_object();
	json_object_set_new(dst, "secrets", res);
	json_object_foreach(sched_app_field_unconst(s), k, v) {
		sched_app_field_join(p, "/secrets", k);
		if (!json_is_object(v))
			return sched_app_field_bad(c->err, p,
						   "error.expected.jsobject");
		json_object_set_new(res, k, json_object());
		if ((rc = sched_app_field_put_str(json_object_get(res, k), v,
						  "source", p, true, NULL,
						  c->err)) != 0)
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
		return sched_app_field_bad(c->err, "/id", "error.path.missing");
	if ((rc = sched_app_check_path(path_id != NULL ? path_id : bid, "/",
				       false, "/id", &id, c->err)) != 0)
		goto out;
	if (path_id != NULL && bid != NULL) {
		if ((rc = sched_app_check_path(bid, "/", false, "/id", &other,
					       c->err)) != 0)
			goto out;
		if (strcmp(id, other) != 0) {
			rc = sched_app_field_bad(
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

/* Marathon 0.5's shape: see the top of this file. */
static bool
chk_era05(const json_t *body)
{
	static const char *const nums[] = {"instances", "cpus", "mem", "disk"};
	const json_t *ct = json_object_get(body, "container"),
		     *trl = json_object_get(body, "taskRateLimit");
	size_t i;

	if (trl != NULL && !json_is_null(trl))
		return true;
	for (i = 0; i < CD_NELEM(nums); i++)
		if (json_is_string(json_object_get(body, nums[i])))
			return true;
	return json_is_string(json_object_get(ct, "image")) &&
	       json_object_get(ct, "docker") == NULL;
}

/* cmd xor args, and something to run. */
static int
chk_cmd(struct chk *c, const json_t *ct, json_t *dst)
{
	const char *cmd = NULL;
	const json_t *args, *cj = json_object_get(c->in, "cmd");
	int rc;

	/* 0.5's "cmd": "" is no command. */
	if (!(c->era05 && json_is_string(cj) && json_string_length(cj) == 0) &&
	    (rc = sched_app_field_put_str(dst, c->in, "cmd", "", true, &cmd,
					  c->err)) != 0)
		return rc;
	if ((rc = sched_app_field_typed(c->in, "args", "", JSON_ARRAY, &args,
					c->err)) != 0)
		return rc;
	if (json_array_size(args) > 0) {
		if (cmd != NULL)
			return sched_app_field_bad(
			    c->err, "/",
			    "AppDefinition must contain only one of 'cmd' or "
			    "'args'.");
		if ((rc = sched_app_field_put_strarr(
			 dst, c->in, "args", "", false, false, c->err)) != 0)
			return rc;
	} else if (c->era05 && cmd == NULL) {
		json_object_set_new(dst, "cmd", json_string(""));
	}
	if (cmd == NULL && json_array_size(args) == 0 &&
	    json_object_get(json_object_get(ct, "docker"), "image") == NULL)
		return sched_app_field_bad(
		    c->err, "/",
		    "AppDefinition must either contain one of 'cmd' or 'args', "
		    "and/or a 'container'.");
	if (c->net != SCHED_APP_NET_HOST &&
	    json_object_get(json_object_get(ct, "docker"), "image") == NULL)
		return sched_app_field_bad(
		    c->err, "/networks",
		    "container networking needs a container with an image");
	return 0;
}

static int
chk_resources(struct chk *c, json_t *dst)
{
	int rc;

	if ((rc = sched_app_field_put_num(dst, c->in, "cpus", "", 0.001, 1e9, 1,
					  c->err)) != 0 ||
	    (rc = sched_app_field_put_num(dst, c->in, "mem", "", 0, 1e12, 128,
					  c->err)) != 0 ||
	    (rc = sched_app_field_put_num(dst, c->in, "disk", "", 0, 1e12, 0,
					  c->err)) != 0 ||
	    (rc = sched_app_field_put_int(dst, c->in, "gpus", "", 0, INT_MAX, 0,
					  c->err)) != 0 ||
	    (rc = sched_app_field_put_int(dst, c->in, "instances", "", 0,
					  INT_MAX, 1, c->err)) != 0)
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
	if ((rc = sched_app_field_put_bool(dst, c->in, "requirePorts", "",
					   false, c->err)) != 0 ||
	    (rc = sched_app_net_portdefs(c, pd)) != 0) {
		json_decref(svc);
		return rc;
	}
	json_object_set_new(dst, "ports", svc);
	if (c->net == SCHED_APP_NET_HOST) {
		c->ports = pd;
		key = "port";
		rc = sched_app_net_ports_unique(c, "/portDefinitions", key);
	} else {
		c->ports = json_object_get(ct, "portMappings");
		key = "servicePort";
		rc = sched_app_net_ports_unique(c, "/container/portMappings",
						"hostPort");
	}
	json_array_foreach(c->ports, i, e)
		json_array_append_new(svc, json_integer(json_integer_value(
					       json_object_get(e, key))));
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
	if ((rc = sched_app_field_put_int(res, r,
					  "relaunchEscalationTimeoutSeconds", b,
					  0, INT_MAX, 3600, c->err)) != 0 ||
	    (rc = sched_app_field_enum(r, "taskLostBehavior", b, lost,
				       CD_NELEM(lost), "WAIT_FOREVER", &tl,
				       c->err)) != 0)
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
	    (rc = sched_app_field_put_int(dst, c->in, "backoffSeconds", "", 0,
					  INT_MAX, 1, c->err)) != 0 ||
	    (rc = sched_app_field_put_num(dst, c->in, "backoffFactor", "", 1,
					  1e6, 1.15, c->err)) != 0 ||
	    (rc = sched_app_field_put_int(dst, c->in, "maxLaunchDelaySeconds",
					  "", 0, INT_MAX, 300, c->err)) != 0 ||
	    (rc = sched_app_field_int(c->in, "taskKillGracePeriodSeconds", "",
				      0, INT_MAX / 1000, 0, &grace, &have,
				      c->err)) != 0)
		return rc;
	if (have)
		json_object_set_new(dst, "taskKillGracePeriodSeconds",
				    json_integer(grace));
	if ((rc = sched_app_field_enum(c->in, "killSelection", "", kills,
				       CD_NELEM(kills), "YOUNGEST_FIRST", &ks,
				       c->err)) != 0)
		return rc;
	json_object_set_new(dst, "killSelection", json_string(ks));
	if ((rc = chk_unreachable(c, dst)) != 0 ||
	    (rc =
		 sched_app_field_put_strarr(dst, c->in, "acceptedResourceRoles",
					    "", true, false, c->err)) != 0 ||
	    (rc = sched_app_field_typed(c->in, "residency", "", JSON_OBJECT,
					&res, c->err)) != 0)
		return rc;
	if (res != NULL && (rc = chk_residency(c, res, dst)) != 0)
		return rc;
	if ((rc = chk_secrets(c, dst)) != 0 ||
	    (rc = sched_app_field_put_str(dst, c->in, "version", "", true, &v,
					  c->err)) != 0)
		return rc;
	sched_app_field_join(p, "", "version");
	if (v != NULL && strlen(v) > 64)
		return sched_app_field_bad(c->err, p, "not a valid version");
	return 0;
}

int
sched_app_check(const json_t *body, const char *path_id, json_t **out,
		struct cd_err *err)
{
	struct chk c = {body, err, SCHED_APP_NET_HOST, NULL, NULL, false};
	json_t *d = json_object(), *ct = NULL, *nets = NULL;
	const char *exe = NULL;
	int rc;

	*out = NULL;
	if (!json_is_object(body)) {
		rc = cd_err_setp(err, -EBADMSG, "",
				 "an app definition must be a JSON object");
		goto out;
	}
	c.era05 = chk_era05(body);
	if ((rc = chk_id(&c, path_id, d)) != 0 ||
	    (rc = sched_app_net_net(&c, &nets)) != 0 ||
	    (rc = sched_app_net_container(&c, &ct)) != 0 ||
	    (rc = chk_cmd(&c, ct, d)) != 0 ||
	    (rc = sched_app_field_put_str(d, body, "user", "", false, NULL,
					  err)) != 0)
		goto out;
	if (ct != NULL)
		json_object_set_new(d, "container", json_incref(ct));
	else if (c.era05)
		json_object_set_new(d, "container", json_null());
	if ((rc = chk_resources(&c, d)) != 0 ||
	    (rc = json_opt_str(body, "executor", "", &exe, NULL, err)) != 0)
		goto out;
	if (exe != NULL && !chk_executor_ok(exe)) {
		rc = sched_app_field_bad(
		    err, "/executor",
		    "must fully match regular expression "
		    "'^(|\\/\\/cmd|\\/?[^\\/]+(\\/[^\\/]+)*)$'");
		goto out;
	}
	json_object_set_new(d, "executor", json_string(exe ? exe : ""));
	if ((rc = chk_env(&c, d)) != 0 ||
	    (rc = sched_app_field_put_strmap(d, body, "labels", "", false,
					     err)) != 0 ||
	    (rc = chk_constraints(&c, d)) != 0 ||
	    (rc = sched_app_field_put_strarr(d, body, "uris", "", true, true,
					     err)) != 0 ||
	    (rc = chk_fetch(&c, d)) != 0 ||
	    (rc = chk_ports(&c, ct, nets, d)) != 0 ||
	    (rc = chk_objs(&c, d, "healthChecks", sched_app_health_check)) !=
		0 ||
	    (rc = chk_objs(&c, d, "readinessChecks",
			   sched_app_health_readiness)) != 0 ||
	    (rc = chk_tail(&c, d)) != 0 ||
	    (c.era05 &&
	     (rc = sched_app_field_put_num(d, body, "taskRateLimit", "", 0, 1e9,
					   1.0, err)) != 0))
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
