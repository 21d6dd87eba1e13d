/*
 * ctr_docker_api.c: Docker Engine API bodies built and parsed as data.
 * Pure (STYLE B28): no I/O, no loop, no globals, no logging; problems come
 * back as cd_err or as a warnings array the driver logs. Everything taken
 * from the task is validated here, so the driver can paste the image
 * reference and container name into URLs without escaping them.
 * Any thread (no state), but used from the loop thread.
 */
#include "containerizer/ctr_docker_api.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"
#include "lib/xalloc.h"

/* The docker parameters mapped onto the create body. */
struct dk_param_map {
	const char *key;
	const char *field; /* Config or HostConfig field */
	int host;	   /* in HostConfig */
	enum { DP_STR, DP_LIST, DP_SIZE } kind;
};

static const struct dk_param_map dk_params[] = {
    {"user", "User", 0, DP_STR},
    {"workdir", "WorkingDir", 0, DP_STR},
    {"hostname", "Hostname", 0, DP_STR},
    {"memory-swap", "MemorySwap", 1, DP_SIZE},
    {"shm-size", "ShmSize", 1, DP_SIZE},
    {"add-host", "ExtraHosts", 1, DP_LIST},
    {"dns", "Dns", 1, DP_LIST},
    {"dns-search", "DnsSearch", 1, DP_LIST},
    {"cap-add", "CapAdd", 1, DP_LIST},
    {"cap-drop", "CapDrop", 1, DP_LIST},
    {"volume", "Binds", 1, DP_LIST},
    {"security-opt", "SecurityOpt", 1, DP_LIST},
};

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

/* "512m", "1g", "-1", "1048576" -> bytes. */
static int
dk_parse_size(const char *s, long long *out)
{
	char *end;
	long long v, mul = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s)
		return -EINVAL;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'b':
		end++;
		break;
	case 'k':
		mul = 1024LL, end++;
		break;
	case 'm':
		mul = 1024LL * 1024, end++;
		break;
	case 'g':
		mul = 1024LL * 1024 * 1024, end++;
		break;
	default:
		return -EINVAL;
	}
	if (tolower((unsigned char)*end) == 'b' && mul != 1)
		end++;
	if (*end != '\0' || v < -1 || (v > 0 && v > (1LL << 50) / mul))
		return -EINVAL;
	*out = v == -1 ? -1 : v * mul;
	return 0;
}

static void
dk_warn(struct ctr_dk_create *out, const char *fmt, const char *a)
{
	char *s = xasprintf(fmt, a);

	json_array_append_new(out->warnings, json_string(s));
	free(s);
}

static void
dk_list_add(json_t *obj, const char *field, const char *v)
{
	json_t *a = json_object_get(obj, field);

	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(obj, field, a);
	}
	json_array_append_new(a, json_string(v));
}

/* container.docker.parameters: [{key, value}] mapped where simple. */
static int
dk_parameters(const json_t *params, json_t *cfg, json_t *hc, json_t *env,
	      json_t *labels, struct ctr_dk_create *out, struct cd_err *err)
{
	size_t i, k;
	json_t *p;
	char path[64];

	if (params == NULL || json_is_null(params))
		return 0;
	if (!json_is_array(params))
		return cd_err_setp(err, -EINVAL, "/container/docker/parameters",
				   "must be an array");
	json_array_foreach(params, i, p) {
		const char *key = json_string_value(json_object_get(p, "key"));
		const char *val =
		    json_string_value(json_object_get(p, "value"));
		const struct dk_param_map *m = NULL;
		long long size;

		snprintf(path, sizeof path, "/container/docker/parameters/%zu",
			 i);
		if (key == NULL || val == NULL)
			return cd_err_setp(
			    err, -EINVAL, path,
			    "parameters need a string key and value");
		if (strcmp(key, "env") == 0 || strcmp(key, "e") == 0) {
			json_array_append_new(env, json_string(val));
			continue;
		}
		if (strcmp(key, "label") == 0 || strcmp(key, "l") == 0) {
			const char *eq = strchr(val, '=');
			char *lk = xstrndup(val, eq ? (size_t)(eq - val)
						    : strlen(val));

			json_object_set_new(labels, lk,
					    json_string(eq ? eq + 1 : ""));
			free(lk);
			continue;
		}
		for (k = 0; k < CD_NELEM(dk_params); k++)
			if (strcmp(dk_params[k].key, key) == 0)
				m = &dk_params[k];
		if (m == NULL) {
			dk_warn(out,
				"docker parameter '%s' is not supported; "
				"ignored",
				key);
			continue;
		}
		switch (m->kind) {
		case DP_STR:
			json_object_set_new(m->host ? hc : cfg, m->field,
					    json_string(val));
			break;
		case DP_LIST:
			dk_list_add(m->host ? hc : cfg, m->field, val);
			break;
		case DP_SIZE:
			if (dk_parse_size(val, &size) != 0)
				return cd_err_setp(err, -EINVAL, path,
						   "bad size '%s' for %s", val,
						   key);
			json_object_set_new(m->host ? hc : cfg, m->field,
					    json_integer(size));
			break;
		}
	}
	return 0;
}

/* container.volumes -> Binds "host:container:mode". */
static int
dk_volumes(const json_t *vols, const char *sandbox, json_t *hc,
	   struct ctr_dk_create *out, struct cd_err *err)
{
	size_t i;
	json_t *v;
	char path[48];

	if (vols == NULL || json_is_null(vols))
		return 0;
	if (!json_is_array(vols))
		return cd_err_setp(err, -EINVAL, "/container/volumes",
				   "must be an array");
	json_array_foreach(vols, i, v) {
		const char *cp =
		    json_string_value(json_object_get(v, "containerPath"));
		const char *hp =
		    json_string_value(json_object_get(v, "hostPath"));
		const char *mode =
		    json_string_value(json_object_get(v, "mode"));
		char *bind;

		snprintf(path, sizeof path, "/container/volumes/%zu", i);
		if (cp == NULL || cp[0] == '\0' || strchr(cp, ':') != NULL)
			return cd_err_setp(
			    err, -EINVAL, path,
			    "containerPath is required and may not hold ':'");
		if (hp == NULL || hp[0] == '\0') {
			dk_warn(out, "volume '%s' has no hostPath; ignored",
				cp);
			continue;
		}
		if (strchr(hp, ':') != NULL)
			return cd_err_setp(err, -EINVAL, path,
					   "hostPath may not hold ':'");
		if (mode == NULL || strcasecmp(mode, "RW") == 0)
			mode = "rw";
		else if (strcasecmp(mode, "RO") == 0)
			mode = "ro";
		else
			return cd_err_setp(err, -EINVAL, path,
					   "mode must be RW or RO");
		/* Mesos: a relative hostPath lives in the sandbox. */
		if (hp[0] == '/')
			bind = xasprintf("%s:%s:%s", hp, cp, mode);
		else
			bind = xasprintf("%s/%s:%s:%s", sandbox, hp, cp, mode);
		dk_list_add(hc, "Binds", bind);
		free(bind);
	}
	return 0;
}

/* Next host port of the task's ranges not already taken. */
static long long
dk_next_port(const struct resources *r, uint32_t *cursor, const json_t *used)
{
	int i;

	for (i = 0; i < r->nranges; i++) {
		uint32_t p =
		    r->ports[i].begin > *cursor ? r->ports[i].begin : *cursor;

		for (; p <= r->ports[i].end && p != 0; p++) {
			char k[16];

			snprintf(k, sizeof k, "%u", p);
			if (json_object_get(used, k) == NULL) {
				*cursor = p + 1;
				return p;
			}
		}
	}
	return -1;
}

/* BRIDGE portMappings -> ExposedPorts + PortBindings. */
static int
dk_ports(const struct wire_task *t, const json_t *maps, json_t *cfg, json_t *hc,
	 struct cd_err *err)
{
	json_t *exposed = json_object(), *bind = json_object();
	json_t *used = json_object(), *m;
	uint32_t cursor = 0;
	size_t i;
	int rc = 0;
	char path[64], key[48], hp[24];

	json_array_foreach(maps, i, m) {
		long long hport = 0;

		if (json_opt_int(m, "hostPort", "", &hport, NULL, NULL) == 0 &&
		    hport > 0) {
			snprintf(hp, sizeof hp, "%lld", hport);
			json_object_set_new(used, hp, json_true());
		}
	}
	json_array_foreach(maps, i, m) {
		long long cport = 0, hport = 0;
		const char *proto = "tcp", *p, *comma;

		snprintf(path, sizeof path,
			 "/container/docker/portMappings/%zu", i);
		if (!json_is_object(m) ||
		    json_opt_int(m, "containerPort", path, &cport, NULL, err) !=
			0 ||
		    json_opt_int(m, "hostPort", path, &hport, NULL, err) != 0 ||
		    json_opt_str(m, "protocol", path, &proto, NULL, err) != 0) {
			rc =
			    cd_err_setp(err, -EINVAL, path, "bad port mapping");
			goto out;
		}
		if (cport < 0 || cport > 65535 || hport < 0 || hport > 65535) {
			rc = cd_err_setp(err, -EINVAL, path,
					 "port out of range");
			goto out;
		}
		if (hport == 0) {
			hport = dk_next_port(&t->res, &cursor, used);
			if (hport < 0) {
				rc = cd_err_setp(err, -EINVAL, path,
						 "no host port left in the "
						 "task's resources");
				goto out;
			}
		}
		if (cport == 0) /* Marathon: containerPort 0 = hostPort */
			cport = hport;
		snprintf(hp, sizeof hp, "%lld", hport);
		for (p = proto; *p != '\0'; p = *comma ? comma + 1 : comma) {
			size_t plen;
			json_t *arr;

			comma = strchr(p, ',');
			if (comma == NULL)
				comma = p + strlen(p);
			plen = (size_t)(comma - p);
			if (!((plen == 3 && (strncasecmp(p, "tcp", 3) == 0 ||
					     strncasecmp(p, "udp", 3) == 0)) ||
			      (plen == 4 && strncasecmp(p, "sctp", 4) == 0))) {
				rc = cd_err_setp(
				    err, -EINVAL, path,
				    "protocol must be tcp, udp or sctp");
				goto out;
			}
			snprintf(key, sizeof key, "%lld/%.*s", cport, (int)plen,
				 p);
			for (char *q = key; *q; q++)
				*q = (char)tolower((unsigned char)*q);
			json_object_set_new(exposed, key, json_object());
			arr = json_object_get(bind, key);
			if (arr == NULL) {
				arr = json_array();
				json_object_set_new(bind, key, arr);
			}
			json_array_append_new(arr,
					      json_pack("{s:s,s:s}", "HostIp",
							"", "HostPort", hp));
		}
	}
	json_object_set(cfg, "ExposedPorts", exposed);
	json_object_set(hc, "PortBindings", bind);
out:
	json_decref(exposed);
	json_decref(bind);
	json_decref(used);
	return rc;
}

static json_t *
dk_cmd(const struct wire_task *t, struct cd_err *err, int *rc)
{
	size_t i;
	json_t *a;

	*rc = 0;
	if (t->cmd != NULL)
		return json_pack("[s,s,s]", "/bin/sh", "-c", t->cmd);
	if (t->args == NULL || json_array_size(t->args) == 0)
		return NULL;
	json_array_foreach(t->args, i, a) {
		if (!json_is_string(a)) {
			*rc = cd_err_setp(err, -EINVAL, "/args",
					  "args must be strings");
			return NULL;
		}
	}
	return json_deep_copy(t->args);
}

static const char *
dk_network_mode(const char *net)
{
	if (net == NULL || strcasecmp(net, "HOST") == 0)
		return "host";
	if (strcasecmp(net, "BRIDGE") == 0)
		return "bridge";
	if (strcasecmp(net, "NONE") == 0)
		return "none";
	return NULL;
}

int
ctr_docker_api_create(const struct wire_task *t, const char *sandbox,
		      const char *agent_key, int allow_privileged,
		      struct ctr_dk_create *out, struct cd_err *err)
{
	const json_t *docker;
	const char *image = NULL, *net = NULL, *mode, *k;
	json_t *cfg = NULL, *hc = NULL, *env = NULL, *labels = NULL, *cmd;
	json_t *val;
	bool priv = false, force = false;
	long long shares, mem;
	int rc;

	memset(out, 0, sizeof *out);
	out->warnings = json_array();
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
	if (priv && !allow_privileged) {
		rc = cd_err_setp(
		    err, -EPERM, "/container/docker/privileged",
		    "privileged containers are not allowed on this agent");
		goto fail;
	}
	if ((mode = dk_network_mode(net)) == NULL) {
		rc = cd_err_setp(
		    err, -EINVAL, "/container/docker/network",
		    "network '%s' is not supported (HOST, BRIDGE or NONE)",
		    net);
		goto fail;
	}
	out->name = ctr_docker_api_name(t->task_id);

	cfg = json_object();
	hc = json_object();
	env = json_array();
	labels = json_object();
	json_object_set_new(cfg, "Image", json_string(out->image));
	if ((cmd = dk_cmd(t, err, &rc)) != NULL)
		json_object_set_new(cfg, "Cmd", cmd);
	else if (rc != 0)
		goto fail;

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

	/* CpuShares = max(2, 1024 cpus), Memory = max(32 MiB, mem). */
	shares = (long long)(1024.0 * t->res.cpus);
	mem = (long long)(t->res.mem * 1024.0 * 1024.0);
	json_object_set_new(hc, "CpuShares",
			    json_integer(shares < CTR_DK_MIN_SHARES
					     ? CTR_DK_MIN_SHARES
					     : shares));
	json_object_set_new(
	    hc, "Memory",
	    json_integer(mem < CTR_DK_MIN_MEM ? CTR_DK_MIN_MEM : mem));
	json_object_set_new(hc, "NetworkMode", json_string(mode));
	json_object_set_new(hc, "Privileged", json_boolean(priv));
	json_object_set_new(
	    hc, "Binds",
	    json_pack("[s++]", sandbox, ":" CTR_DK_SANDBOX, ":rw"));
	if ((rc = dk_volumes(json_object_get(t->container, "volumes"), sandbox,
			     hc, out, err)) != 0)
		goto fail;
	val = json_object_get(docker, "portMappings");
	if (json_is_array(val) && json_array_size(val) > 0) {
		if (strcmp(mode, "bridge") != 0)
			dk_warn(out, "portMappings ignored with network %s",
				mode);
		else if ((rc = dk_ports(t, val, cfg, hc, err)) != 0)
			goto fail;
	}
	if ((rc = dk_parameters(json_object_get(docker, "parameters"), cfg, hc,
				env, labels, out, err)) != 0)
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

void
ctr_dk_demux_init(struct ctr_dk_demux *d)
{
	memset(d, 0, sizeof *d);
}

int
ctr_dk_demux_feed(struct ctr_dk_demux *d, const char *p, size_t n,
		  ctr_dk_sink_fn *sink, void *arg)
{
	size_t take;

	while (n > 0 && !d->bad) {
		if (d->remaining > 0) {
			take = n < d->remaining ? n : d->remaining;
			sink(d->cur, p, take, arg);
			d->remaining -= (uint32_t)take;
			p += take;
			n -= take;
			continue;
		}
		take = 8 - d->hdr_len;
		if (take > n)
			take = n;
		memcpy(d->hdr + d->hdr_len, p, take);
		d->hdr_len += (unsigned)take;
		p += take;
		n -= take;
		if (d->hdr_len < 8)
			break;
		d->hdr_len = 0;
		if (d->hdr[0] > 3 || d->hdr[1] != 0 || d->hdr[2] != 0 ||
		    d->hdr[3] != 0) {
			d->bad = true;
			break;
		}
		d->cur = d->hdr[0] <= 1 ? CTR_DK_STDOUT : CTR_DK_STDERR;
		d->remaining = (uint32_t)d->hdr[4] << 24 |
			       (uint32_t)d->hdr[5] << 16 |
			       (uint32_t)d->hdr[6] << 8 | (uint32_t)d->hdr[7];
	}
	return d->bad ? -EBADMSG : 0;
}
