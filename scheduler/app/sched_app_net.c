/*
 * sched_app_net.c: owns enum sched_app_net (the network of a definition
 * and its docker.network name), and checks and normalises how an app's
 * tasks are reached:
 * "networks" (or the older docker.network), the container (docker image,
 * 0.5 options, parameters, volumes, port mappings) and portDefinitions.
 * Where both the older and the newer field are given, the newer wins (see
 * sched_app_check.c). Pure: no I/O, no globals; any thread.
 */
#include "scheduler/app/sched_app_net.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/json.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_app_field.h"

static const char *const net_modes[] = {"host", "container/bridge",
					"container"};
/* docker.network names, by enum sched_app_net. */
static const char *const docker_nets[] = {"HOST", "BRIDGE", "USER", "NONE"};

const char *
sched_app_net_name(enum sched_app_net n)
{
	return (size_t)n < CD_NELEM(docker_nets) ? docker_nets[n] : "HOST";
}

enum sched_app_net
sched_app_net_of(const json_t *def)
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

/* A networks array from the body. */
static int
sched_app_net_networks(struct chk *c, const json_t *nets, json_t **out)
{
	const json_t *n;
	const char *mode, *name;
	json_t *res = json_array(), *e = NULL;
	chk_path p;
	size_t i;
	int rc = 0;

	json_array_foreach(nets, i, n) {
		sched_app_field_idx(p, "/networks", i);
		if (!json_is_object(n)) {
			rc = sched_app_field_bad(c->err, p,
						 "error.expected.jsobject");
			goto out;
		}
		e = json_object();
		if ((rc = sched_app_field_enum(n, "mode", p, net_modes,
					       CD_NELEM(net_modes), "container",
					       &mode, c->err)) != 0)
			goto out;
		if (i > 0 && (c->net != SCHED_APP_NET_USER ||
			      strcmp(mode, "container") != 0)) {
			rc = sched_app_field_bad(
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
		if ((rc = sched_app_field_put_name(e, n, p, &name, c->err)) !=
			0 ||
		    (rc = sched_app_field_put_strmap(e, n, "labels", p, true,
						     c->err)) != 0)
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
int
sched_app_net_net(struct chk *c, json_t **out)
{
	const json_t *nets, *ip, *ct, *dk;
	const char *dn = NULL, *name = NULL;
	json_t *e;
	int rc;

	*out = NULL;
	c->net = SCHED_APP_NET_HOST;
	if ((rc = sched_app_field_typed(c->in, "networks", "", JSON_ARRAY,
					&nets, c->err)) != 0)
		return rc;
	if (json_array_size(nets) > 0)
		return sched_app_net_networks(c, nets, out);
	ct = json_object_get(c->in, "container");
	dk = json_is_object(ct) ? json_object_get(ct, "docker") : NULL;
	if (json_is_object(dk) &&
	    (rc = sched_app_field_enum(dk, "network", "/container/docker",
				       docker_nets, CD_NELEM(docker_nets), NULL,
				       &dn, c->err)) != 0)
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
		if (!sched_app_field_name_ok(name)) {
			json_decref(e);
			json_decref(*out);
			*out = NULL;
			return sched_app_field_bad(
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
sched_app_net_options(struct chk *c, const json_t *opts, json_t *params)
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
		sched_app_field_idx(p, "/container/options", i);
		if ((o = json_string_value(json_array_get(opts, i))) == NULL)
			return sched_app_field_bad(c->err, p,
						   "error.expected.jsstring");
		key = NULL;
		for (j = 0; j < CD_NELEM(shorts); j++)
			if (strcmp(o, shorts[j][0]) == 0)
				key = shorts[j][1];
		if (key == NULL &&
		    (strncmp(o, "--", 2) != 0 || o[2] == '\0' || o[2] == '='))
			return sched_app_field_bad(
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
				return sched_app_field_bad(
				    c->err, p, "option needs a value");
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
sched_app_net_image(struct chk *c, const char *img, const char *p, json_t *dk)
{
	size_t i;

	if (strncmp(img, DOCKER_PREFIX, strlen(DOCKER_PREFIX)) == 0)
		img += strlen(DOCKER_PREFIX);
	if (strstr(img, "://") != NULL)
		return sched_app_field_bad(
		    c->err, p, "only docker:/// images are supported");
	if (img[0] == '\0')
		return sched_app_field_bad(c->err, p, "must not be empty");
	for (i = 0; img[i] != '\0'; i++)
		if ((unsigned char)img[i] <= ' ')
			return sched_app_field_bad(
			    c->err, p, "must not contain whitespace");
	json_object_set_new(dk, "image", json_string(img));
	return 0;
}

static int
sched_app_net_docker(struct chk *c, const json_t *d, bool is_docker,
		     json_t **out)
{
	const char *b = "/container/docker", *img = NULL;
	const json_t *params, *v, *cred, *pull;
	json_t *dk = json_object(), *res, *pm;
	chk_path p, ip;
	size_t i;
	int rc;

	sched_app_field_join(p, b, "image");
	if ((rc = json_opt_str(d, "image", b, &img, NULL, c->err)) != 0)
		goto out;
	if (img == NULL) {
		rc = sched_app_field_bad(c->err, p, "error.path.missing");
		goto out;
	}
	if ((rc = sched_app_net_image(c, img, p, dk)) != 0)
		goto out;
	if (is_docker)
		json_object_set_new(dk, "network",
				    json_string(sched_app_net_name(c->net)));
	if ((rc = sched_app_field_put_bool(dk, d, "privileged", b, false,
					   c->err)) != 0 ||
	    (rc = sched_app_field_put_bool(dk, d, "forcePullImage", b, false,
					   c->err)) != 0 ||
	    (rc = sched_app_field_typed(d, "parameters", b, JSON_ARRAY, &params,
					c->err)) != 0 ||
	    (rc = sched_app_field_typed(d, "credential", b, JSON_OBJECT, &cred,
					c->err)) != 0 ||
	    (rc = sched_app_field_typed(d, "pullConfig", b, JSON_OBJECT, &pull,
					c->err)) != 0)
		goto out;
	res = json_array();
	json_object_set_new(dk, "parameters", res);
	sched_app_field_join(p, b, "parameters");
	json_array_foreach(params, i, v) {
		sched_app_field_idx(ip, p, i);
		if (!json_is_object(v)) {
			rc = sched_app_field_bad(c->err, ip,
						 "error.expected.jsobject");
			goto out;
		}
		pm = json_object();
		json_array_append_new(res, pm);
		if ((rc = sched_app_field_put_str(pm, v, "key", ip, true, NULL,
						  c->err)) != 0 ||
		    (rc = sched_app_field_put_str(pm, v, "value", ip, false,
						  NULL, c->err)) != 0)
			goto out;
		if (json_object_size(pm) != 2) {
			rc = sched_app_field_bad(c->err, ip,
						 "key and value are required");
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
sched_app_net_volumes(struct chk *c, const json_t *ct, json_t *res)
{
	static const char *const modes[] = {"RO", "RW"};
	const json_t *vols, *v, *pers, *ext;
	const char *mode, *cp;
	json_t *e;
	chk_path p, fp;
	long long size;
	size_t i;
	int rc;

	if ((rc = sched_app_field_typed(ct, "volumes", "/container", JSON_ARRAY,
					&vols, c->err)) != 0)
		return rc;
	json_array_foreach(vols, i, v) {
		sched_app_field_idx(p, "/container/volumes", i);
		if (!json_is_object(v))
			return sched_app_field_bad(c->err, p,
						   "error.expected.jsobject");
		e = json_object();
		json_array_append_new(res, e);
		if ((rc = sched_app_field_put_str(e, v, "containerPath", p,
						  true, &cp, c->err)) != 0 ||
		    (rc = sched_app_field_put_str(e, v, "hostPath", p, true,
						  NULL, c->err)) != 0 ||
		    (rc = sched_app_field_enum(v, "mode", p, modes,
					       CD_NELEM(modes), "RW", &mode,
					       c->err)) != 0 ||
		    (rc = sched_app_field_typed(v, "persistent", p, JSON_OBJECT,
						&pers, c->err)) != 0 ||
		    (rc = sched_app_field_typed(v, "external", p, JSON_OBJECT,
						&ext, c->err)) != 0)
			return rc;
		sched_app_field_join(fp, p, "containerPath");
		if (cp == NULL)
			return sched_app_field_bad(c->err, fp,
						   "error.path.missing");
		json_object_set_new(e, "mode", json_string(mode));
		if (pers != NULL) {
			sched_app_field_join(fp, p, "persistent");
			if ((rc = sched_app_field_int(pers, "size", fp, 0,
						      INT_MAX, -1, &size, NULL,
						      c->err)) != 0)
				return rc;
			if (size < 0) {
				sched_app_field_join(p, fp, "size");
				return sched_app_field_bad(
				    c->err, p, "error.path.missing");
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
sched_app_net_mapping(struct chk *c, const json_t *m, const char *p, json_t *e)
{
	static const char *const protos[] = {"tcp", "udp", "udp,tcp"};
	const char *proto, *name;
	long long hp;
	bool have;
	int rc;

	if ((rc = sched_app_field_put_int(e, m, "containerPort", p, 0, 65535, 0,
					  c->err)) != 0 ||
	    (rc = sched_app_field_int(m, "hostPort", p, 0, 65535, 0, &hp, &have,
				      c->err)) != 0)
		return rc;
	if (have || c->net == SCHED_APP_NET_BRIDGE)
		json_object_set_new(e, "hostPort", json_integer(hp));
	if ((rc = sched_app_field_put_int(e, m, "servicePort", p, 0, 65535, 0,
					  c->err)) != 0 ||
	    (rc = sched_app_field_enum(m, "protocol", p, protos,
				       CD_NELEM(protos), "tcp", &proto,
				       c->err)) != 0)
		return rc;
	json_object_set_new(e, "protocol", json_string(proto));
	/* networkNames is dropped: one container network per app here,
	 * and python3-marathon's port mapping model refuses the field. */
	if ((rc = sched_app_field_put_name(e, m, p, &name, c->err)) != 0)
		return rc;
	return sched_app_field_put_strmap(e, m, "labels", p, true, c->err);
}

/* Port mappings in effect (container.portMappings, then docker's). */
static int
sched_app_net_mappings(struct chk *c, const json_t *ct, json_t *res)
{
	const json_t *pm, *m;
	const char *b = "/container/portMappings";
	json_t *e;
	chk_path p;
	size_t i;
	int rc;

	if ((rc = sched_app_field_typed(ct, "portMappings", "/container",
					JSON_ARRAY, &pm, c->err)) != 0)
		return rc;
	if (pm == NULL && json_is_object(json_object_get(ct, "docker"))) {
		b = "/container/docker/portMappings";
		if ((rc = sched_app_field_typed(
			 json_object_get(ct, "docker"), "portMappings",
			 "/container/docker", JSON_ARRAY, &pm, c->err)) != 0)
			return rc;
	}
	if (json_array_size(pm) > 0 &&
	    (c->net == SCHED_APP_NET_HOST || c->net == SCHED_APP_NET_NONE))
		return sched_app_field_bad(c->err, b,
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
	json_array_foreach(pm, i, m) {
		sched_app_field_idx(p, b, i);
		if (!json_is_object(m))
			return sched_app_field_bad(c->err, p,
						   "error.expected.jsobject");
		e = json_object();
		json_array_append_new(res, e);
		if ((rc = sched_app_net_mapping(c, m, p, e)) != 0)
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
	    (rc = sched_app_net_image(c, img, "/container/image", dk)) != 0 ||
	    (rc = sched_app_field_typed(ct, "options", "/container", JSON_ARRAY,
					&opts, c->err)) != 0 ||
	    (rc = sched_app_net_options(c, opts, params)) != 0) {
		json_decref(params);
		return rc;
	}
	json_object_set_new(dk, "network",
			    json_string(sched_app_net_name(c->net)));
	json_object_set_new(dk, "privileged", json_false());
	json_object_set_new(dk, "forcePullImage", json_false());
	json_object_set_new(dk, "parameters", params);
	json_object_set_new(res, "volumes", json_array());
	json_object_set_new(res, "portMappings", json_array());
	return 0;
}

int
sched_app_net_container(struct chk *c, json_t **out)
{
	static const char *const types[] = {"DOCKER", "MESOS"};
	const json_t *ct, *d;
	const char *type;
	json_t *res = json_object(), *dk, *arr;
	int rc;

	*out = NULL;
	if ((rc = sched_app_field_typed(c->in, "container", "", JSON_OBJECT,
					&ct, c->err)) != 0 ||
	    ct == NULL)
		goto out;
	if (json_is_string(json_object_get(ct, "image")) &&
	    json_object_get(ct, "docker") == NULL) {
		rc = chk_container05(c, ct, res);
		goto out;
	}
	if ((rc = sched_app_field_enum(ct, "type", "/container", types,
				       CD_NELEM(types), "DOCKER", &type,
				       c->err)) != 0 ||
	    (rc = sched_app_field_typed(ct, "docker", "/container", JSON_OBJECT,
					&d, c->err)) != 0)
		goto out;
	json_object_set_new(res, "type", json_string(type));
	if (d == NULL && strcmp(type, "DOCKER") == 0) {
		rc = sched_app_field_bad(c->err, "/container/docker",
					 "error.path.missing");
		goto out;
	}
	if (d != NULL) {
		if ((rc = sched_app_net_docker(
			 c, d, strcmp(type, "DOCKER") == 0, &dk)) != 0)
			goto out;
		json_object_set_new(res, "docker", dk);
	}
	arr = json_array();
	json_object_set_new(res, "volumes", arr);
	if ((rc = sched_app_net_volumes(c, ct, arr)) != 0)
		goto out;
	arr = json_array();
	json_object_set_new(res, "portMappings", arr);
	rc = sched_app_net_mappings(c, ct, arr);
out:
	if (rc != 0 || ct == NULL)
		json_decref(res);
	else
		*out = res;
	return rc;
}

/* portDefinitions, else the 0.5 "ports", else one default definition. */
int
sched_app_net_portdefs(struct chk *c, json_t *res)
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
	if ((rc = sched_app_field_typed(c->in, "portDefinitions", "",
					JSON_ARRAY, &pd, c->err)) != 0 ||
	    (rc = sched_app_field_typed(c->in, "ports", "", JSON_ARRAY, &ports,
					c->err)) != 0)
		return rc;
	if (pd == NULL && ports != NULL) {
		for (i = 0; i < json_array_size(ports); i++) {
			if ((rc = sched_app_field_elem_int(ports, i, "/ports",
							   0, 65535, &port,
							   c->err)) != 0)
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
	json_array_foreach(pd, i, d) {
		sched_app_field_idx(p, "/portDefinitions", i);
		if (!json_is_object(d))
			return sched_app_field_bad(c->err, p,
						   "error.expected.jsobject");
		e = json_object();
		json_array_append_new(res, e);
		if ((rc = sched_app_field_put_int(e, d, "port", p, 0, 65535, 0,
						  c->err)) != 0 ||
		    (rc = sched_app_field_enum(d, "protocol", p, protos,
					       CD_NELEM(protos), "tcp", &proto,
					       c->err)) != 0)
			return rc;
		json_object_set_new(e, "protocol", json_string(proto));
		if ((rc = sched_app_field_put_name(e, d, p, &name, c->err)) !=
			0 ||
		    (rc = sched_app_field_put_strmap(e, d, "labels", p, true,
						     c->err)) != 0)
			return rc;
	}
	return 0;
}

/* Names unique; non-zero fixed ports unique (key: the port field). */
int
sched_app_net_ports_unique(struct chk *c, const char *base, const char *key)
{
	const json_t *a, *b;
	const char *na, *nb;
	size_t i, j;

	json_array_foreach(c->ports, i, a) {
		na = json_string_value(json_object_get(a, "name"));
		for (j = 0; j < i; j++) {
			b = json_array_get(c->ports, j);
			nb = json_string_value(json_object_get(b, "name"));
			if (na != NULL && nb != NULL && strcmp(na, nb) == 0)
				return sched_app_field_bad(
				    c->err, base, "Port names must be unique.");
			if (json_integer_value(json_object_get(a, key)) != 0 &&
			    json_integer_value(json_object_get(a, key)) ==
				json_integer_value(json_object_get(b, key)))
				return sched_app_field_bad(
				    c->err, base, "Ports must be unique.");
		}
	}
	return 0;
}

/* The index of the port named name, or -1. */
long
sched_app_net_port_named(const struct chk *c, const char *name)
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
