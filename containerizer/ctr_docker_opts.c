/*
 * ctr_docker_opts.c: a task's container options turned into fields of the
 * container-create body (see ctr_docker_opts.h): docker parameters,
 * volumes and BRIDGE port mappings, each checked, with what cannot be
 * honoured reported in a warnings array. Part of the pure Docker API
 * layer (STYLE B28): no I/O, no loop, no globals; fuzzed through
 * ctr_docker_api_create(). Owns nothing; any thread.
 */
#include "containerizer/ctr_docker_opts.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/json.h"
#include "lib/policy.h"
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

void
ctr_docker_opts_warn(json_t *warnings, const char *fmt, const char *a)
{
	char *s = xasprintf(fmt, a);

	json_array_append_new(warnings, json_string(s));
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

/* A bind "source:target[:mode]": an absolute source must be allowed. */
static int
dk_bind_source(const char *bind, const char *paths, json_t *bind_paths,
	       const char *path, struct cd_err *err)
{
	const char *colon = strchr(bind, ':');
	char *src;
	int rc = 0;

	if (colon == NULL || colon == bind)
		return cd_err_setp(err, -EINVAL, path,
				   "volume '%.100s' is not source:target",
				   bind);
	if (bind[0] != '/')
		return 0; /* a named volume */
	src = xstrndup(bind, (size_t)(colon - bind));
	if (!policy_host_path_allowed(src, paths))
		rc = cd_err_setp(err, -EPERM, path,
				 "host path %.200s is not allowed on this "
				 "agent (" POLICY_FLAG_PATHS ")",
				 src);
	else
		json_array_append_new(bind_paths, json_string(src));
	free(src);
	return rc;
}

int
ctr_docker_opts_parameters(const json_t *params, const char *allowed,
			   const char *paths, json_t *cfg, json_t *hc,
			   json_t *env, json_t *labels, json_t *bind_paths,
			   json_t *warnings, struct cd_err *err)
{
	size_t i, k;
	json_t *p;
	char path[64], name[POLICY_KEY_MAX];
	int rc;

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
		if (!policy_docker_param_allowed(key, allowed))
			return cd_err_setp(err, -EPERM, path,
					   "docker parameter '%.64s' is not "
					   "allowed on this agent "
					   "(" POLICY_FLAG_PARAMS ")",
					   key);
		key = policy_docker_param_name(key, name);
		if (strcmp(key, "env") == 0) {
			json_array_append_new(env, json_string(val));
			continue;
		}
		if (strcmp(key, "label") == 0) {
			const char *eq = strchr(val, '=');
			char *lk = xstrndup(val, eq ? (size_t)(eq - val)
						    : strlen(val));

			json_object_set_new(labels, lk,
					    json_string(eq ? eq + 1 : ""));
			free(lk);
			continue;
		}
		if (strcmp(key, "volume") == 0 &&
		    (rc = dk_bind_source(val, paths, bind_paths, path, err)) !=
			0)
			return rc;
		for (k = 0; k < CD_NELEM(dk_params); k++)
			if (strcmp(dk_params[k].key, key) == 0)
				m = &dk_params[k];
		if (m == NULL) {
			ctr_docker_opts_warn(
			    warnings,
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

bool
ctr_docker_opts_name_ok(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max || !isalnum((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* external {name, provider: "dvdi", options {"dvdi/driver"}}: a named
 * Docker volume, created by Docker on first use. */
static int
dk_named_volume(const json_t *ext, const char *cp, bool ro, const char *path,
		json_t *hc, struct cd_err *err)
{
	const char *name = json_string_value(json_object_get(ext, "name"));
	const char *prov = json_string_value(json_object_get(ext, "provider"));
	const char *drv = json_string_value(
	    json_object_get(json_object_get(ext, "options"), "dvdi/driver"));
	json_t *mounts = json_object_get(hc, "Mounts"), *m;

	if (name == NULL || !ctr_docker_opts_name_ok(name, 255))
		return cd_err_setp(err, -EINVAL, path,
				   "external.name must name a Docker volume");
	if (prov != NULL && strcmp(prov, "dvdi") != 0)
		return cd_err_setp(err, -EINVAL, path,
				   "external.provider must be dvdi");
	if (drv != NULL && !ctr_docker_opts_name_ok(drv, 255))
		return cd_err_setp(err, -EINVAL, path,
				   "bad dvdi/driver '%.64s'", drv);
	if (!json_is_array(mounts)) {
		mounts = json_array();
		json_object_set_new(hc, "Mounts", mounts);
	}
	m = json_pack("{s:s, s:s, s:s, s:b}", "Type", "volume", "Source", name,
		      "Target", cp, "ReadOnly", ro);
	if (drv != NULL)
		json_object_set_new(
		    m, "VolumeOptions",
		    json_pack("{s:{s:s}}", "DriverConfig", "Name", drv));
	json_array_append_new(mounts, m);
	return 0;
}

int
ctr_docker_opts_volumes(const json_t *vols, const char *sandbox,
			const char *paths, json_t *hc, json_t *bind_paths,
			json_t *warnings, struct cd_err *err)
{
	size_t i;
	json_t *v, *ext;
	char path[48];
	int rc;

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
		char *src, *bind;

		snprintf(path, sizeof path, "/container/volumes/%zu", i);
		if (cp == NULL || cp[0] == '\0' || strchr(cp, ':') != NULL)
			return cd_err_setp(
			    err, -EINVAL, path,
			    "containerPath is required and may not hold ':'");
		if (mode == NULL || strcasecmp(mode, "RW") == 0)
			mode = "rw";
		else if (strcasecmp(mode, "RO") == 0)
			mode = "ro";
		else
			return cd_err_setp(err, -EINVAL, path,
					   "mode must be RW or RO");
		ext = json_object_get(v, "external");
		if ((hp == NULL || hp[0] == '\0') && json_is_object(ext)) {
			if ((rc = dk_named_volume(ext, cp, mode[1] == 'o', path,
						  hc, err)) != 0)
				return rc;
			continue;
		}
		if (hp == NULL || hp[0] == '\0') {
			ctr_docker_opts_warn(
			    warnings, "volume '%s' has no hostPath; ignored",
			    cp);
			continue;
		}
		if (strchr(hp, ':') != NULL)
			return cd_err_setp(err, -EINVAL, path,
					   "hostPath may not hold ':'");
		if (hp[0] == '/' && !policy_host_path_allowed(hp, paths))
			return cd_err_setp(err, -EPERM, path,
					   "host path %.200s is not allowed "
					   "on this agent "
					   "(" POLICY_FLAG_PATHS ")",
					   hp);
		/* Mesos: a relative hostPath lives in the sandbox. */
		if (hp[0] != '/' && !policy_relpath_inside(hp))
			return cd_err_setp(err, -EPERM, path,
					   "hostPath %.200s would leave the "
					   "sandbox",
					   hp);
		src = hp[0] == '/' ? xstrdup(hp)
				   : xasprintf("%s/%s", sandbox, hp);
		bind = xasprintf("%s:%s:%s", src, cp, mode);
		dk_list_add(hc, "Binds", bind);
		json_array_append_new(bind_paths, json_string(src));
		free(bind);
		free(src);
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

int
ctr_docker_opts_ports(const struct resources *res, const json_t *maps,
		      json_t *cfg, json_t *hc, struct cd_err *err)
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
		bool have_host = false;

		snprintf(path, sizeof path,
			 "/container/docker/portMappings/%zu", i);
		if (!json_is_object(m) ||
		    json_opt_int(m, "containerPort", path, &cport, NULL, err) !=
			0 ||
		    json_opt_int(m, "hostPort", path, &hport, &have_host,
				 err) != 0 ||
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
		if (!have_host && cport == 0) {
			rc = cd_err_setp(err, -EINVAL, path,
					 "a mapping without hostPort needs a "
					 "containerPort");
			goto out;
		}
		if (have_host && hport == 0) {
			hport = dk_next_port(res, &cursor, used);
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
			if (!have_host)
				continue; /* USER: reached at its address */
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
