/*
 * ctr_docker_api.c: Docker Engine API bodies built and parsed as data.
 * Pure (STYLE B28): no I/O, no loop, no globals, no logging; problems come
 * back as cd_err or as a warnings array the driver logs. Everything taken
 * from the task is validated here, so the driver can paste the image
 * reference and container name into URLs without escaping them. The
 * container options (parameters, volumes, port mappings) are
 * ctr_docker_opts.c's. Any thread (no state), but used from the loop
 * thread.
 */
#include "containerizer/ctr_docker_api.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "containerizer/ctr_docker_opts.h"
#include "lib/json.h"
#include "lib/xalloc.h"

static bool
dk_image_char_ok(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-' ||
	       c == '/' || c == ':' || c == '@';
}

/* Split "repo[:tag][@digest]" into fromImage and tag. */
static int
dk_image_parse(const char *ref, struct ctr_dk_create *out, struct cd_err *err)
{
	const char *p, *at, *slash, *colon;
	size_t i;

	if (strncmp(ref, "docker:///", 10) == 0)
		ref += 10;
	else if (strncmp(ref, "docker://", 9) == 0)
		ref += 9;
	if (*ref == '\0' || strlen(ref) > 255)
		return cd_err_setp(err, -EINVAL, "/container/docker/image",
				   "invalid image reference");
	for (i = 0; ref[i] != '\0'; i++)
		if (!dk_image_char_ok(ref[i]))
			return cd_err_setp(
			    err, -EINVAL, "/container/docker/image",
			    "invalid character in image reference '%s'", ref);
	if (ref[0] == '/' || ref[0] == ':' || ref[0] == '@')
		return cd_err_setp(err, -EINVAL, "/container/docker/image",
				   "invalid image reference '%s'", ref);
	out->image = xstrdup(ref);
	at = strchr(ref, '@');
	if (at != NULL) {
		out->from_image = xstrndup(ref, (size_t)(at - ref));
		out->tag = xstrdup(at + 1);
		p = strrchr(out->from_image, '/');
		colon = strrchr(p != NULL ? p : out->from_image, ':');
		if (colon != NULL) /* "repo:tag@digest": the digest wins */
			out->from_image[colon - out->from_image] = '\0';
	} else {
		slash = strrchr(ref, '/');
		colon = strrchr(slash != NULL ? slash : ref, ':');
		if (colon != NULL) {
			out->from_image = xstrndup(ref, (size_t)(colon - ref));
			out->tag = xstrdup(colon + 1);
		} else {
			out->from_image = xstrdup(ref);
			out->tag = xstrdup("latest");
		}
	}
	if (out->from_image[0] == '\0' || out->tag[0] == '\0')
		return cd_err_setp(err, -EINVAL, "/container/docker/image",
				   "invalid image reference '%s'", ref);
	return 0;
}

char *
ctr_docker_api_name(const char *task_id)
{
	char *s = xasprintf("clusterd-%s", task_id);
	char *p;

	for (p = s + 9; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' &&
		    *p != '-')
			*p = '_';
	return s;
}

char *
ctr_docker_api_urlencode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT;
	char e[3];

	buf_puts(&b, "");
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' ||
		    c == '~') {
			buf_append(&b, s, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[c >> 4];
		e[2] = hex[c & 15];
		buf_append(&b, e, 3);
	}
	return buf_detach(&b, NULL);
}

/*
 * Entrypoint and Cmd: a shell command runs as Mesos runs it (docker run
 * --entrypoint /bin/sh image -c cmd); args follow the image's entrypoint.
 */
static int
dk_cmd(const struct wire_task *t, json_t *cfg, struct cd_err *err)
{
	size_t i;
	json_t *a;

	if (t->cmd != NULL) {
		json_object_set_new(cfg, "Entrypoint",
				    json_pack("[s]", "/bin/sh"));
		json_object_set_new(cfg, "Cmd",
				    json_pack("[s,s]", "-c", t->cmd));
		return 0;
	}
	if (t->args == NULL || json_array_size(t->args) == 0)
		return 0;
	json_array_foreach(t->args, i, a) {
		if (!json_is_string(a))
			return cd_err_setp(err, -EINVAL, "/args",
					   "args must be strings");
	}
	json_object_set_new(cfg, "Cmd", json_deep_copy(t->args));
	return 0;
}

/*
 * The network: HOST (the default), BRIDGE, NONE, or USER, a Docker
 * network named by the task's networks [{"mode": "container", "name"}].
 * *mode is Docker's NetworkMode (borrowed from t or static).
 */
static int
dk_network(const struct wire_task *t, const char *net, const char **mode,
	   struct cd_err *err)
{
	const char *name;

	if (net == NULL || strcasecmp(net, "HOST") == 0)
		*mode = "host";
	else if (strcasecmp(net, "BRIDGE") == 0)
		*mode = "bridge";
	else if (strcasecmp(net, "NONE") == 0)
		*mode = "none";
	else if (strcasecmp(net, "USER") == 0) {
		name = json_string_value(json_object_get(
		    json_array_get(json_object_get(t->container, "networks"),
				   0),
		    "name"));
		if (name == NULL || !ctr_docker_opts_name_ok(name, 128))
			return cd_err_setp(err, -EINVAL, "/networks",
					   "a container network needs a name "
					   "([A-Za-z0-9][A-Za-z0-9_.-]*)");
		if (strcmp(name, "host") == 0 || strcmp(name, "none") == 0 ||
		    strcmp(name, "bridge") == 0 ||
		    strncmp(name, "container", 9) == 0)
			return cd_err_setp(err, -EINVAL, "/networks",
					   "'%s' is not a user network", name);
		*mode = name;
	} else {
		return cd_err_setp(
		    err, -EINVAL, "/container/docker/network",
		    "network '%s' is not supported (HOST, BRIDGE, USER or "
		    "NONE)",
		    net);
	}
	return 0;
}

/* User "uid:gid" and the supplementary groups, from the agent's lookup:
 * the sandbox belongs to the same ids. */
static void
dk_user(const struct ctr_user *u, json_t *cfg, json_t *hc)
{
	json_t *groups;
	size_t i;
	char s[48];

	if (u == NULL || !u->set)
		return;
	snprintf(s, sizeof s, "%u:%u", (unsigned)u->uid, (unsigned)u->gid);
	json_object_set_new(cfg, "User", json_string(s));
	groups = json_array();
	for (i = 0; i < u->ngroups; i++) {
		if (u->groups[i] == u->gid)
			continue;
		snprintf(s, sizeof s, "%u", (unsigned)u->groups[i]);
		json_array_append_new(groups, json_string(s));
	}
	json_object_set_new(hc, "GroupAdd", groups);
}

/* CpuShares = max(2, 1024 cpus), Memory = MemorySwap = max(32 MiB, mem):
 * no swap beyond the limit; a CFS quota of cpus periods with cfs. */
static void
dk_limits(const struct wire_task *t, bool cfs, json_t *hc)
{
	long long shares = (long long)(1024.0 * t->res.cpus);
	long long mem = (long long)(t->res.mem * 1024.0 * 1024.0);
	long long quota = (long long)(t->res.cpus * 100000.0);

	if (shares < CTR_DK_MIN_SHARES)
		shares = CTR_DK_MIN_SHARES;
	if (mem < CTR_DK_MIN_MEM)
		mem = CTR_DK_MIN_MEM;
	json_object_set_new(hc, "CpuShares", json_integer(shares));
	json_object_set_new(hc, "Memory", json_integer(mem));
	json_object_set_new(hc, "MemorySwap", json_integer(mem));
	if (cfs) {
		json_object_set_new(hc, "CpuPeriod", json_integer(100000));
		json_object_set_new(hc, "CpuQuota",
				    json_integer(quota < 1000 ? 1000 : quota));
	}
}

int
ctr_docker_api_create(const struct wire_task *t, const char *sandbox,
		      const char *agent_key, const struct ctr_dk_policy *pol,
		      struct ctr_dk_create *out, struct cd_err *err)
{
	const json_t *docker;
	const char *image = NULL, *net = NULL, *mode = NULL, *k;
	json_t *cfg = NULL, *hc = NULL, *env = NULL, *labels = NULL;
	json_t *val;
	bool priv = false, force = false;
	int rc;

	static const struct ctr_dk_policy strict; /* nothing allowed */

	if (pol == NULL)
		pol = &strict;
	memset(out, 0, sizeof *out);
	out->warnings = json_array();
	out->bind_paths = json_array();
	docker = t->container ? json_object_get(t->container, "docker") : NULL;
	if (docker == NULL || !json_is_object(docker)) {
		rc = cd_err_setp(err, -EINVAL, "/container/docker",
				 "a docker task needs container.docker");
		goto fail;
	}
	if ((rc = json_opt_str(docker, "image", "/container/docker", &image,
			       NULL, err)) != 0 ||
	    (rc = json_opt_str(docker, "network", "/container/docker", &net,
			       NULL, err)) != 0 ||
	    (rc = json_opt_bool(docker, "privileged", "/container/docker",
				&priv, NULL, err)) != 0 ||
	    (rc = json_opt_bool(docker, "forcePullImage", "/container/docker",
				&force, NULL, err)) != 0)
		goto fail;
	if (image == NULL) {
		rc = cd_err_setp(err, -EINVAL, "/container/docker/image",
				 "container.docker.image is required");
		goto fail;
	}
	if ((rc = dk_image_parse(image, out, err)) != 0)
		goto fail;
	out->force_pull = force;
	if (priv) {
		rc = cd_err_setp(err, -EPERM, "/container/docker/privileged",
				 "privileged containers are not allowed");
		goto fail;
	}
	if ((rc = dk_network(t, net, &mode, err)) != 0)
		goto fail;
	out->own_ip = strcmp(mode, "host") != 0 && strcmp(mode, "none") != 0;
	out->name = ctr_docker_api_name(t->task_id);

	cfg = json_object();
	hc = json_object();
	env = json_array();
	labels = json_object();
	json_object_set_new(cfg, "Image", json_string(out->image));
	if ((rc = dk_cmd(t, cfg, err)) != 0)
		goto fail;
	dk_user(pol->user, cfg, hc);

	if (t->env != NULL)
		json_object_foreach(t->env, k, val) {
			if (!json_is_string(val)) {
				rc = cd_err_setp(err, -EINVAL, "/env",
						 "env values must be strings");
				goto fail;
			}
			json_array_append_new(
			    env,
			    json_sprintf("%s=%s", k, json_string_value(val)));
		}

	if (t->labels != NULL)
		json_object_foreach(t->labels, k, val)
			if (json_is_string(val))
				json_object_set(labels, k, val);

	dk_limits(t, pol->cfs, hc);
	json_object_set_new(hc, "NetworkMode", json_string(mode));
	if (out->own_ip && strcmp(mode, "bridge") != 0)
		json_object_set_new(
		    cfg, "NetworkingConfig",
		    json_pack("{s:{s:{}}}", "EndpointsConfig", mode));
	json_object_set_new(hc, "Privileged", json_false());
	json_object_set_new(
	    hc, "Binds",
	    json_pack("[s++]", sandbox, ":" CTR_DK_SANDBOX, ":rw"));
	if ((rc = ctr_docker_opts_volumes(
		 json_object_get(t->container, "volumes"), sandbox,
		 pol->allowed_host_paths, hc, out->bind_paths, out->warnings,
		 err)) != 0)
		goto fail;
	val = json_object_get(docker, "portMappings");
	if (json_is_array(val) && json_array_size(val) > 0) {
		if (!out->own_ip)
			ctr_docker_opts_warn(
			    out->warnings,
			    "portMappings ignored with network %s", mode);
		else if ((rc = ctr_docker_opts_ports(&t->res, val, cfg, hc,
						     err)) != 0)
			goto fail;
	}
	if ((rc = ctr_docker_opts_parameters(
		 json_object_get(docker, "parameters"), pol->allowed_parameters,
		 pol->allowed_host_paths, cfg, hc, env, labels, out->bind_paths,
		 out->warnings, err)) != 0)
		goto fail;

	/* Ours last, so neither the app nor a parameter can override them. */
	json_array_append_new(env,
			      json_string("MESOS_SANDBOX=" CTR_DK_SANDBOX));
	json_object_set_new(labels, CTR_DK_LABEL_TASK, json_string(t->task_id));
	json_object_set_new(labels, CTR_DK_LABEL_APP,
			    json_string(t->app_id ? t->app_id : ""));
	json_object_set_new(labels, CTR_DK_LABEL_AGENT, json_string(agent_key));
	json_object_set_new(cfg, "Env", env);
	json_object_set_new(cfg, "Labels", labels);
	json_object_set_new(cfg, "HostConfig", hc);
	out->body = cfg;
	return 0;
fail:
	json_decref(cfg);
	json_decref(hc);
	json_decref(env);
	json_decref(labels);
	ctr_dk_create_release(out);
	return rc;
}

void
ctr_dk_create_release(struct ctr_dk_create *c)
{
	json_decref(c->body);
	free(c->image);
	free(c->from_image);
	free(c->tag);
	free(c->name);
	json_decref(c->warnings);
	json_decref(c->bind_paths);
	memset(c, 0, sizeof *c);
}

static char *
dk_label(const json_t *labels, const char *key)
{
	const char *v = json_string_value(json_object_get(labels, key));

	return v != NULL ? xstrdup(v) : NULL;
}

char *
ctr_docker_api_id(const char *body, size_t len)
{
	json_t *j = json_parse_bounded(body, len, NULL);
	const char *id = json_string_value(json_object_get(j, "Id"));
	char *s = id != NULL && id[0] != '\0' ? xstrdup(id) : NULL;

	json_decref(j);
	return s;
}

static void
dk_ip_add(json_t *ips, const json_t *v)
{
	const char *s = json_string_value(v);
	size_t i;

	/* An address is a short token: the agent passes it on as is. */
	if (s == NULL || s[0] == '\0' || strlen(s) > 45 ||
	    strspn(s, "0123456789abcdefABCDEF.:") != strlen(s))
		return;
	for (i = 0; i < json_array_size(ips); i++)
		if (strcmp(json_string_value(json_array_get(ips, i)), s) == 0)
			return;
	json_array_append_new(ips, json_string(s));
}

/* Every IPv4 address of NetworkSettings, its networks in order. */
static json_t *
dk_inspect_ips(const json_t *ns)
{
	json_t *ips = json_array(), *n;
	const char *k;

	dk_ip_add(ips, json_object_get(ns, "IPAddress"));
	json_object_foreach(
	    (json_t *)(uintptr_t)json_object_get(ns, "Networks"), k, n)
		dk_ip_add(ips, json_object_get(n, "IPAddress"));
	return ips;
}

int
ctr_docker_api_inspect(const char *body, size_t len, struct ctr_dk_inspect *out,
		       struct cd_err *err)
{
	json_t *j, *state, *cfg;
	const char *id, *status, *e;
	int rc = 0;

	memset(out, 0, sizeof *out);
	if ((j = json_parse_bounded(body, len, err)) == NULL)
		return -EBADMSG;
	id = json_string_value(json_object_get(j, "Id"));
	state = json_object_get(j, "State");
	if (id == NULL || !json_is_object(state)) {
		rc =
		    cd_err_set(err, -EBADMSG, "inspect reply without Id/State");
		goto out;
	}
	out->id = xstrdup(id);
	out->running = json_is_true(json_object_get(state, "Running"));
	status = json_string_value(json_object_get(state, "Status"));
	out->exited =
	    !out->running && (status == NULL || strcmp(status, "created") != 0);
	out->exit_code =
	    (int)json_integer_value(json_object_get(state, "ExitCode"));
	e = json_string_value(json_object_get(state, "Error"));
	if (e != NULL && e[0] != '\0')
		out->error = xstrdup(e);
	out->oom_killed = json_is_true(json_object_get(state, "OOMKilled"));
	out->ips = dk_inspect_ips(json_object_get(j, "NetworkSettings"));
	cfg = json_object_get(j, "Config");
	out->task_id =
	    dk_label(json_object_get(cfg, "Labels"), CTR_DK_LABEL_TASK);
	out->agent_id =
	    dk_label(json_object_get(cfg, "Labels"), CTR_DK_LABEL_AGENT);
out:
	json_decref(j);
	return rc;
}

void
ctr_dk_inspect_release(struct ctr_dk_inspect *i)
{
	free(i->id);
	free(i->error);
	free(i->task_id);
	free(i->agent_id);
	json_decref(i->ips);
	memset(i, 0, sizeof *i);
}

int
ctr_docker_api_list(const char *body, size_t len, struct ctr_dk_listed **rows,
		    size_t *n, struct cd_err *err)
{
	json_t *j, *c;
	size_t i, k = 0;

	*rows = NULL;
	*n = 0;
	if ((j = json_parse_bounded(body, len, err)) == NULL)
		return -EBADMSG;
	if (!json_is_array(j)) {
		json_decref(j);
		return cd_err_set(err, -EBADMSG,
				  "container list is not an array");
	}
	*rows = xcalloc(json_array_size(j) + 1, sizeof **rows);
	json_array_foreach(j, i, c) {
		const char *id = json_string_value(json_object_get(c, "Id"));
		const json_t *labels = json_object_get(c, "Labels");

		if (id == NULL)
			continue;
		(*rows)[k].id = xstrdup(id);
		(*rows)[k].task_id = dk_label(labels, CTR_DK_LABEL_TASK);
		(*rows)[k].agent_id = dk_label(labels, CTR_DK_LABEL_AGENT);
		k++;
	}
	*n = k;
	json_decref(j);
	return 0;
}

void
ctr_dk_list_free(struct ctr_dk_listed *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].id);
		free(rows[i].task_id);
		free(rows[i].agent_id);
	}
	free(rows);
}

int
ctr_docker_api_wait(const char *body, size_t len, int *status,
		    struct cd_err *err)
{
	json_t *j, *code;
	const char *msg;
	int rc = 0;

	if ((j = json_parse_bounded(body, len, err)) == NULL)
		return -EBADMSG;
	code = json_object_get(j, "StatusCode");
	msg = json_string_value(
	    json_object_get(json_object_get(j, "Error"), "Message"));
	if (msg != NULL && msg[0] != '\0')
		rc = cd_err_set(err, -EBADMSG, "wait failed: %s", msg);
	else if (!json_is_integer(code))
		rc = cd_err_set(err, -EBADMSG, "wait reply without StatusCode");
	else
		*status = (int)json_integer_value(code);
	json_decref(j);
	return rc;
}

/* A non-negative integer at o[key], or -1. */
static long long
dk_count(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) >= 0
		   ? (long long)json_integer_value(v)
		   : -1;
}

/* The sum of two counts, or -1 when either is missing. */
static long long
dk_count2(const json_t *o, const char *a, const char *b)
{
	long long x = dk_count(o, a), y = dk_count(o, b);

	return x < 0 || y < 0 ? -1 : x + y;
}

/* v1's total_<key>, else v2's (or v1's own-cgroup) key. */
static long long
dk_mem(const json_t *st, const char *v1, const char *v2)
{
	long long v = dk_count(st, v1);

	return v >= 0 ? v : dk_count(st, v2);
}

int
ctr_docker_api_stats(const char *body, size_t len, struct ctr_usage *u,
		     struct cd_err *err)
{
	const json_t *cpu, *thr, *mem, *st;
	json_t *j;
	long long v;

	if ((j = json_parse_bounded(body, len, err)) == NULL)
		return -EBADMSG;
	if (!json_is_object(j)) {
		json_decref(j);
		return cd_err_set(err, -EBADMSG,
				  "stats reply is not an object");
	}
	cpu = json_object_get(json_object_get(j, "cpu_stats"), "cpu_usage");
	if ((v = dk_count(cpu, "usage_in_usermode")) >= 0)
		u->cpus_user_time_secs = (double)v / 1e9;
	if ((v = dk_count(cpu, "usage_in_kernelmode")) >= 0)
		u->cpus_system_time_secs = (double)v / 1e9;
	thr =
	    json_object_get(json_object_get(j, "cpu_stats"), "throttling_data");
	u->cpus_nr_periods = dk_count(thr, "periods");
	u->cpus_nr_throttled = dk_count(thr, "throttled_periods");
	if ((v = dk_count(thr, "throttled_time")) >= 0)
		u->cpus_throttled_time_secs = (double)v / 1e9;
	mem = json_object_get(j, "memory_stats");
	st = json_object_get(mem, "stats");
	u->mem_total_bytes = dk_count(mem, "usage");
	u->mem_limit_bytes = dk_count(mem, "limit");
	if (json_object_get(st, "total_rss") != NULL) {
		u->mem_rss_bytes = dk_count(st, "total_rss");
		u->mem_cache_bytes = dk_count(st, "total_cache");
		u->mem_mapped_file_bytes = dk_count(st, "total_mapped_file");
		u->mem_swap_bytes = dk_count(st, "total_swap");
		u->mem_anon_bytes =
		    dk_count2(st, "total_active_anon", "total_inactive_anon");
		u->mem_file_bytes =
		    dk_count2(st, "total_active_file", "total_inactive_file");
	} else {
		u->mem_anon_bytes = u->mem_rss_bytes =
		    dk_mem(st, "anon", "rss");
		u->mem_file_bytes = u->mem_cache_bytes =
		    dk_mem(st, "file", "cache");
		u->mem_mapped_file_bytes =
		    dk_mem(st, "file_mapped", "mapped_file");
	}
	u->threads = dk_count(json_object_get(j, "pids_stats"), "current");
	json_decref(j);
	return 0;
}

char *
ctr_docker_api_errmsg(const char *body, size_t len)
{
	json_t *j;
	const char *m;
	char *s;
	size_t n;

	if (body == NULL || len == 0)
		return xstrdup("(empty reply)");
	j = json_parse_bounded(body, len, NULL);
	m = json_string_value(json_object_get(j, "message"));
	if (m != NULL) {
		s = xstrdup(m);
		json_decref(j);
		return s;
	}
	json_decref(j);
	n = len > 200 ? 200 : len;
	while (n > 0 && (body[n - 1] == '\n' || body[n - 1] == '\r'))
		n--;
	return xstrndup(body, n);
}

void
ctr_dk_pull_init(struct ctr_dk_pull *p)
{
	memset(p, 0, sizeof *p);
	buf_init(&p->line);
}

static void
dk_pull_line(struct ctr_dk_pull *p, const char *s, size_t n)
{
	json_t *j;
	const char *e;

	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	if (n == 0 || p->error != NULL)
		return;
	if ((j = json_parse_bounded(s, n, NULL)) == NULL)
		return;
	e = json_string_value(json_object_get(j, "error"));
	if (e == NULL)
		e = json_string_value(json_object_get(
		    json_object_get(j, "errorDetail"), "message"));
	if (e == NULL) /* a plain error reply: {"message": ...} */
		e = json_string_value(json_object_get(j, "message"));
	if (e != NULL)
		p->error = xstrdup(e[0] != '\0' ? e : "pull failed");
	json_decref(j);
}

void
ctr_dk_pull_feed(struct ctr_dk_pull *p, const char *data, size_t n)
{
	const char *nl;

	while (n > 0) {
		nl = memchr(data, '\n', n);
		if (nl == NULL) {
			if (!p->skipping) {
				buf_append(&p->line, data, n);
				if (p->line.len > CTR_DK_PULL_MAX_LINE) {
					p->skipping = true;
					buf_reset(&p->line);
				}
			}
			return;
		}
		if (!p->skipping) {
			buf_append(&p->line, data, (size_t)(nl - data));
			if (p->line.len <= CTR_DK_PULL_MAX_LINE)
				dk_pull_line(p, buf_str(&p->line), p->line.len);
		}
		p->skipping = false;
		buf_reset(&p->line);
		n -= (size_t)(nl - data) + 1;
		data = nl + 1;
	}
}

void
ctr_dk_pull_finish(struct ctr_dk_pull *p)
{
	if (!p->skipping && p->line.len > 0)
		dk_pull_line(p, buf_str(&p->line), p->line.len);
	buf_reset(&p->line);
	p->skipping = false;
}

void
ctr_dk_pull_release(struct ctr_dk_pull *p)
{
	buf_release(&p->line);
	free(p->error);
	p->error = NULL;
}
