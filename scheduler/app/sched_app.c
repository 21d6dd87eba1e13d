/*
 * sched_app.c: the Marathon app as the scheduler sees it: an immutable,
 * validated definition plus the few things the scheduler changes on it
 * (instances, version, service ports), and the task built from it for
 * one instance.
 *
 * Design: the app *is* its canonical JSON (built by sched_app_check.c),
 * held as one jansson object; the C fields are an index over it (ports,
 * resources) rebuilt after every setter. So sched_app_to_json() is a deep
 * copy, the stored form is exactly what the API serves, and reparsing it
 * is a fixed point by construction.
 *
 * Docker images: a 0.5 body names "docker:///libmesos/ubuntu"; the
 * definition stores and serves "libmesos/ubuntu". docker:/// was only the
 * Deimos scheme for "this is a Docker image", 1.x clients and load
 * balancers expect a plain image name, and one spelling keeps the stored
 * form a fixed point. The task gets the same plain name.
 *
 * Pure (STYLE B28): no I/O, no loop, no globals; an app is used by one
 * thread at a time (in practice the loop thread).
 */
#include "scheduler/app/sched_app.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/dnsname.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_app_check.h"
#include "scheduler/app/sched_app_net.h"

/* Marathon passes labels as env only while they stay this short. */
#define APP_LABEL_ENV_MAX 512

struct sched_app {
	json_t *def; /* ref: the canonical definition */
	enum sched_app_net net;
	struct resources res; /* cpus, mem, disk; no ports */
	size_t nports;	      /* portDefinitions or portMappings */
	uint32_t *svc;	      /* owned: nports service ports */
	int *host_of;	      /* owned: nports indexes into host_req, -1 none */
	size_t nhost;
	uint32_t *host_req; /* owned: nhost requested host ports, 0 = any */
};

/* jansson's update/iteration calls take json_t *; we only read them. */
static json_t *
app_unconst(const json_t *j)
{
	return (json_t *)(uintptr_t)j;
}

/* The port list in effect: portDefinitions in HOST, else portMappings. */
static json_t *
app_port_list(const struct sched_app *a)
{
	if (a->net == SCHED_APP_NET_HOST)
		return json_object_get(a->def, "portDefinitions");
	return json_object_get(json_object_get(a->def, "container"),
			       "portMappings");
}

static uint32_t
app_u32(const json_t *o, const char *key)
{
	return (uint32_t)json_integer_value(json_object_get(o, key));
}

/* Rebuild the C index from def. */
static void
app_index(struct sched_app *a)
{
	const json_t *ports, *p;
	bool req = json_is_true(json_object_get(a->def, "requirePorts"));
	size_t i;

	free(a->svc);
	free(a->host_of);
	free(a->host_req);
	a->net = sched_app_net_of(a->def);
	ports = app_port_list(a);
	a->nports = json_array_size(ports);
	a->svc = xcalloc(a->nports + 1, sizeof *a->svc);
	a->host_of = xcalloc(a->nports + 1, sizeof *a->host_of);
	a->host_req = xcalloc(a->nports + 1, sizeof *a->host_req);
	a->nhost = 0;
	json_array_foreach(ports, i, p) {
		a->host_of[i] = -1;
		if (a->net == SCHED_APP_NET_HOST) {
			a->svc[i] = app_u32(p, "port");
			a->host_of[i] = (int)a->nhost;
			a->host_req[a->nhost++] = req ? a->svc[i] : 0;
		} else {
			a->svc[i] = app_u32(p, "servicePort");
			if (json_object_get(p, "hostPort") != NULL) {
				a->host_of[i] = (int)a->nhost;
				a->host_req[a->nhost++] =
				    app_u32(p, "hostPort");
			}
		}
	}
	res_zero(&a->res);
	a->res.cpus = json_real_value(json_object_get(a->def, "cpus"));
	a->res.mem = json_real_value(json_object_get(a->def, "mem"));
	a->res.disk = json_real_value(json_object_get(a->def, "disk"));
}

/* Take def (a canonical definition) into a new app. */
static struct sched_app *
app_new(json_t *def_take)
{
	struct sched_app *a = xcalloc(1, sizeof *a);

	a->def = def_take;
	app_index(a);
	return a;
}

char *
sched_app_normalize_id(const char *raw, struct cd_err *err)
{
	char *out = NULL;

	(void)sched_app_check_path(raw, "/", false, "/id", &out, err);
	return out;
}

int
sched_app_parse(const json_t *body, const char *path_id, struct sched_app **out,
		struct cd_err *err)
{
	json_t *def = NULL;
	int rc;

	*out = NULL;
	if ((rc = sched_app_check(body, path_id, &def, err)) == 0)
		*out = app_new(def);
	return rc;
}

/*
 * A patch replaces top-level fields. Where the stored form carries a fact
 * twice (see sched_app_check.c), drop the stored twin the patch did not
 * mention, or the newer twin would silently override the patch.
 */
static void
app_patch_twins(json_t *merged, const json_t *patch)
{
	static const char *const twins[][2] = {{"ports", "portDefinitions"},
					       {"cmd", "args"},
					       {"args", "cmd"},
					       {"ipAddress", "networks"}};
	const json_t *ct;
	size_t i;

	for (i = 0; i < CD_NELEM(twins); i++)
		if (json_object_get(patch, twins[i][0]) != NULL &&
		    json_object_get(patch, twins[i][1]) == NULL)
			json_object_del(merged, twins[i][1]);
	ct = json_object_get(patch, "container");
	if (json_object_get(json_object_get(ct, "docker"), "network") != NULL &&
	    json_object_get(patch, "networks") == NULL)
		json_object_del(merged, "networks");
}

int
sched_app_patch(const struct sched_app *base, const json_t *patch,
		struct sched_app **out, struct cd_err *err)
{
	json_t *merged;
	int rc;

	*out = NULL;
	if (!json_is_object(patch))
		return cd_err_setp(err, -EBADMSG, "",
				   "an app update must be a JSON object");
	merged = sched_app_to_json(base);
	/* merged shares patch's children; the check only reads them. */
	json_object_update(merged, app_unconst(patch));
	app_patch_twins(merged, patch);
	rc = sched_app_parse(merged, sched_app_id(base), out, err);
	json_decref(merged);
	return rc;
}

struct sched_app *
sched_app_dup(const struct sched_app *a)
{
	return app_new(json_deep_copy(a->def));
}

void
sched_app_free(struct sched_app *a)
{
	if (a == NULL)
		return;
	json_decref(a->def);
	free(a->svc);
	free(a->host_of);
	free(a->host_req);
	free(a);
}

json_t *
sched_app_to_json(const struct sched_app *a)
{
	return json_deep_copy(a->def);
}

const char *
sched_app_id(const struct sched_app *a)
{
	return json_string_value(json_object_get(a->def, "id"));
}

const char *
sched_app_version(const struct sched_app *a)
{
	return json_string_value(json_object_get(a->def, "version"));
}

int
sched_app_instances(const struct sched_app *a)
{
	return (int)json_integer_value(json_object_get(a->def, "instances"));
}

const struct resources *
sched_app_resources(const struct sched_app *a)
{
	return &a->res;
}

size_t
sched_app_host_port_count(const struct sched_app *a)
{
	return a->nhost;
}

const uint32_t *
sched_app_host_ports_requested(const struct sched_app *a)
{
	return a->host_req;
}

size_t
sched_app_service_port_count(const struct sched_app *a)
{
	return a->nports;
}

const uint32_t *
sched_app_service_ports(const struct sched_app *a)
{
	return a->svc;
}

int
sched_app_kill_grace_ms(const struct sched_app *a)
{
	return (int)json_integer_value(
		   json_object_get(a->def, "taskKillGracePeriodSeconds")) *
	       1000;
}

void
sched_app_backoff(const struct sched_app *a, double *seconds, double *factor,
		  double *max_seconds)
{
	*seconds = (double)json_integer_value(
	    json_object_get(a->def, "backoffSeconds"));
	*factor = json_real_value(json_object_get(a->def, "backoffFactor"));
	*max_seconds = (double)json_integer_value(
	    json_object_get(a->def, "maxLaunchDelaySeconds"));
}

void
sched_app_upgrade(const struct sched_app *a, double *min_health,
		  double *max_over)
{
	const json_t *u = json_object_get(a->def, "upgradeStrategy");

	*min_health =
	    json_real_value(json_object_get(u, "minimumHealthCapacity"));
	*max_over = json_real_value(json_object_get(u, "maximumOverCapacity"));
}

bool
sched_app_unreachable(const struct sched_app *a, long long *inactive_s,
		      long long *expunge_s)
{
	const json_t *u = json_object_get(a->def, "unreachableStrategy");

	*inactive_s = *expunge_s = 0;
	if (!json_is_object(u))
		return false; /* "disabled" */
	*inactive_s =
	    json_integer_value(json_object_get(u, "inactiveAfterSeconds"));
	*expunge_s =
	    json_integer_value(json_object_get(u, "expungeAfterSeconds"));
	return true;
}

bool
sched_app_kill_oldest(const struct sched_app *a)
{
	const char *k =
	    json_string_value(json_object_get(a->def, "killSelection"));

	return k != NULL && strcmp(k, "OLDEST_FIRST") == 0;
}

const json_t *
sched_app_labels(const struct sched_app *a)
{
	return json_object_get(a->def, "labels");
}

const json_t *
sched_app_constraints(const struct sched_app *a)
{
	return json_object_get(a->def, "constraints");
}

const json_t *
sched_app_health_checks(const struct sched_app *a)
{
	return json_object_get(a->def, "healthChecks");
}

const char *
sched_app_cmd(const struct sched_app *a)
{
	const char *cmd = json_string_value(json_object_get(a->def, "cmd"));

	/* 0.5's "cmd": "" (sched_app_check.c) is no command. */
	return cmd != NULL && cmd[0] != '\0' ? cmd : NULL;
}

const json_t *
sched_app_container(const struct sched_app *a)
{
	const json_t *ct = json_object_get(a->def, "container");

	/* 0.5's "container": null is no container. */
	return json_is_object(ct) ? ct : NULL;
}

void
sched_app_set_instances(struct sched_app *a, int n)
{
	json_object_set_new(a->def, "instances", json_integer(n < 0 ? 0 : n));
}

void
sched_app_set_version(struct sched_app *a, const char *iso)
{
	if (iso == NULL)
		json_object_del(a->def, "version");
	else
		json_object_set_new(a->def, "version", json_string(iso));
}

void
sched_app_set_service_port(struct sched_app *a, size_t i, uint32_t port)
{
	json_t *p = json_array_get(app_port_list(a), i);

	if (p == NULL || port > 65535)
		return;
	json_object_set_new(
	    p, a->net == SCHED_APP_NET_HOST ? "port" : "servicePort",
	    json_integer(port));
	json_array_set_new(json_object_get(a->def, "ports"), i,
			   json_integer(port));
	app_index(a);
}

/*
 * The definition minus what changes without a restart: instances,
 * version and service ports (assigned by the scheduler, or moved by the
 * user for load balancers only). With requirePorts a port definition's
 * port is also the host port, so it stays.
 */
static json_t *
app_restart_view(const struct sched_app *a)
{
	json_t *v = json_deep_copy(a->def), *p;
	bool req = json_is_true(json_object_get(v, "requirePorts"));
	size_t i;

	json_object_del(v, "instances");
	json_object_del(v, "version");
	json_object_del(v, "ports");
	json_array_foreach(json_object_get(v, "portDefinitions"), i, p)
		if (!req)
			json_object_set_new(p, "port", json_integer(0));
	json_array_foreach(
	    json_object_get(json_object_get(v, "container"), "portMappings"), i,
	    p)
		json_object_set_new(p, "servicePort", json_integer(0));
	return v;
}

bool
sched_app_needs_restart(const struct sched_app *old_app,
			const struct sched_app *new_app)
{
	json_t *a = app_restart_view(old_app), *b = app_restart_view(new_app);
	bool differ = !json_equal(a, b);

	json_decref(a);
	json_decref(b);
	return differ;
}

/* Marathon's env-name escape: runs of [^A-Za-z0-9_] become '_', upper. */
static char *
app_env_name(const char *prefix, const char *s)
{
	struct buf b = BUF_INIT;
	bool run = false;

	buf_puts(&b, prefix);
	for (; *s != '\0'; s++) {
		if (isalnum((unsigned char)*s) || *s == '_') {
			char ch = (char)toupper((unsigned char)*s);

			buf_append(&b, &ch, 1);
			run = false;
		} else if (!run) {
			buf_puts(&b, "_");
			run = true;
		}
	}
	return buf_detach(&b, NULL);
}

static void
app_env_set(json_t *env, const char *k, const char *v)
{
	json_object_set_new(env, k, json_string(v));
}

static void
app_env_setu(json_t *env, const char *k, unsigned long u)
{
	char s[32];

	(void)snprintf(s, sizeof s, "%lu", u); /* 20 digits fit */
	app_env_set(env, k, s);
}

static void
app_env_setf(json_t *env, const char *k, const char *fmt, double d)
{
	char s[64];
	int n = snprintf(s, sizeof s, fmt, d);

	if (n > 0 && (size_t)n < sizeof s)
		app_env_set(env, k, s);
}

/* A Scala Double's toString for the usual values: 1.0, 0.5, 128.0. */
static void
app_env_double(json_t *env, const char *k, double d)
{
	app_env_setf(env, k, d == (double)(long long)d ? "%.1f" : "%g", d);
}

/* The host port port i got, or -1 (USER mappings without hostPort). */
static long
app_port_host(const struct sched_app *a, size_t i, const uint32_t *host_ports,
	      size_t nports)
{
	int h = a->host_of[i];

	return h >= 0 && (size_t)h < nports ? (long)host_ports[h] : -1;
}

/* Where the task is reached for port i: its host port, else its port. */
static uint32_t
app_port_effective(const struct sched_app *a, size_t i,
		   const uint32_t *host_ports, size_t nports)
{
	long h = app_port_host(a, i, host_ports, nports);

	if (h >= 0)
		return (uint32_t)h;
	return app_u32(json_array_get(app_port_list(a), i), "containerPort");
}

/* PORT, PORT0..N, PORTS, PORT_<declared>, PORT_<NAME>. */
static void
app_env_ports(const struct sched_app *a, const uint32_t *host_ports,
	      size_t nports, json_t *env)
{
	const json_t *p;
	struct buf all = BUF_INIT;
	char key[32];
	char *named;
	const char *name;
	uint32_t eff, declared;
	size_t i;

	json_array_foreach(app_port_list(a), i, p) {
		eff = app_port_effective(a, i, host_ports, nports);
		declared = a->net == SCHED_APP_NET_HOST
			       ? a->svc[i]
			       : app_u32(p, "containerPort");
		(void)snprintf(key, sizeof key, "PORT%zu", i);
		app_env_setu(env, key, eff);
		if (declared != 0) {
			(void)snprintf(key, sizeof key, "PORT_%u", declared);
			app_env_setu(env, key, eff);
		}
		if ((name = json_string_value(json_object_get(p, "name"))) !=
		    NULL) {
			named = app_env_name("PORT_", name);
			app_env_setu(env, named, eff);
			free(named);
		}
		buf_printf(&all, "%s%u", i > 0 ? "," : "", eff);
		if (i == 0)
			app_env_setu(env, "PORT", eff);
	}
	if (a->nports > 0)
		app_env_set(env, "PORTS", buf_str(&all));
	buf_release(&all);
}

static void
app_env_labels(const struct sched_app *a, json_t *env)
{
	struct buf names = BUF_INIT;
	const char *k;
	json_t *v;
	char *name;

	json_object_foreach(app_unconst(sched_app_labels(a)), k, v) {
		if (json_string_length(v) >= APP_LABEL_ENV_MAX)
			continue;
		name = app_env_name("", k);
		buf_printf(&names, "%s%s", names.len > 0 ? " " : "", name);
		free(name);
		name = app_env_name("MARATHON_APP_LABEL_", k);
		app_env_set(env, name, json_string_value(v));
		free(name);
	}
	app_env_set(env, "MARATHON_APP_LABELS", buf_str(&names));
	buf_release(&names);
}

static json_t *
app_task_env(const struct sched_app *a, const char *task_id,
	     const char *hostname, const uint32_t *host_ports, size_t nports)
{
	json_t *env = json_object();
	const char *img = json_string_value(json_object_get(
	    json_object_get(json_object_get(a->def, "container"), "docker"),
	    "image"));
	const char *version = sched_app_version(a);

	app_env_ports(a, host_ports, nports, env);
	app_env_set(env, "HOST", hostname != NULL ? hostname : "");
	app_env_set(env, "MARATHON_APP_ID", sched_app_id(a));
	app_env_set(env, "MARATHON_APP_VERSION", version ? version : "");
	if (img != NULL)
		app_env_set(env, "MARATHON_APP_DOCKER_IMAGE", img);
	app_env_double(env, "MARATHON_APP_RESOURCE_CPUS", a->res.cpus);
	app_env_double(env, "MARATHON_APP_RESOURCE_MEM", a->res.mem);
	app_env_double(env, "MARATHON_APP_RESOURCE_DISK", a->res.disk);
	app_env_setu(
	    env, "MARATHON_APP_RESOURCE_GPUS",
	    (unsigned long)json_integer_value(json_object_get(a->def, "gpus")));
	app_env_labels(a, env);
	app_env_set(env, "MESOS_TASK_ID", task_id != NULL ? task_id : "");
	/* The app's own env wins, as in Marathon. */
	json_object_update(env, json_object_get(a->def, "env"));
	return env;
}

/* The container the agent runs, or NULL for a plain command. */
static json_t *
app_task_container(const struct sched_app *a, const uint32_t *host_ports,
		   size_t nports)
{
	const json_t *ct = json_object_get(a->def, "container");
	const json_t *dk = json_object_get(ct, "docker"), *p;
	json_t *res, *d, *pms, *m;
	uint32_t cport;
	size_t i;
	long h;

	if (json_object_get(dk, "image") == NULL)
		return NULL;
	d = json_pack("{s:O, s:s, s:O, s:O, s:O}", "image",
		      json_object_get(dk, "image"), "network",
		      sched_app_net_name(a->net), "forcePullImage",
		      json_object_get(dk, "forcePullImage"), "privileged",
		      json_object_get(dk, "privileged"), "parameters",
		      json_object_get(dk, "parameters"));
	pms = json_array();
	json_object_set_new(d, "portMappings", pms);
	if (a->net != SCHED_APP_NET_HOST)
		json_array_foreach(json_object_get(ct, "portMappings"), i, p) {
			/* containerPort 0 means "the same as the host port". */
			m = json_deep_copy(p);
			h = app_port_host(a, i, host_ports, nports);
			cport = app_u32(p, "containerPort");
			json_object_del(m, "hostPort");
			if (h >= 0)
				json_object_set_new(m, "hostPort",
						    json_integer(h));
			if (cport == 0 && h >= 0)
				cport = (uint32_t)h;
			json_object_set_new(m, "containerPort",
					    json_integer(cport));
			json_array_append_new(pms, m);
		}
	res = json_pack("{s:O, s:o, s:O}", "type", json_object_get(ct, "type"),
			"docker", d, "volumes", json_object_get(ct, "volumes"));
	/* A USER network's name travels with the container. */
	if (a->net == SCHED_APP_NET_USER)
		json_object_set(res, "networks",
				json_object_get(a->def, "networks"));
	/* Deep copy so the task owns nothing shared with the app. */
	m = json_deep_copy(res);
	json_decref(res);
	return m;
}

/*
 * Mesos' DiscoveryInfo, as Marathon's TaskBuilder.computeDiscoveryInfo
 * makes it: the app id as a hostname ("/prod/web" is "web.prod"), and
 * each port where the task is reached (its host port, else its container
 * port), one per protocol of "udp,tcp", with its name. DNS reads it.
 */
static json_t *
app_task_discovery(const struct sched_app *a, const uint32_t *host_ports,
		   size_t nports)
{
	json_t *ports = json_array(), *port;
	const json_t *p;
	const char *proto, *name, *end;
	char *host = dnsname_marathon(sched_app_id(a));
	uint32_t num;
	size_t i;

	json_array_foreach(app_port_list(a), i, p) {
		num = app_port_effective(a, i, host_ports, nports);
		proto = json_string_value(json_object_get(p, "protocol"));
		name = json_string_value(json_object_get(p, "name"));
		if (num == 0)
			continue;
		for (proto = proto != NULL ? proto : "tcp"; *proto != '\0';
		     proto = *end != '\0' ? end + 1 : end) {
			end = strchr(proto, ',');
			if (end == NULL)
				end = proto + strlen(proto);
			port =
			    json_pack("{s:i, s:s%}", "number", (int)num,
				      "protocol", proto, (size_t)(end - proto));
			if (name != NULL)
				json_object_set_new(port, "name",
						    json_string(name));
			json_array_append_new(ports, port);
		}
	}
	port = json_pack("{s:s, s:s, s:{s:o}}", "visibility", "FRAMEWORK",
			 "name", host, "ports", "ports", ports);
	free(host);
	return port;
}

/* "/prod/web" -> "prod.web" */
static char *
app_task_name(const char *id)
{
	char *name = xstrdup(id[0] == '/' ? id + 1 : id), *p;

	for (p = name; *p != '\0'; p++)
		if (*p == '/')
			*p = '.';
	return name;
}

void
sched_app_build_task(const struct sched_app *a, const char *task_id,
		     const char *framework_id, const char *agent_id,
		     const char *hostname, const uint32_t *host_ports,
		     size_t nports, struct wire_task *out)
{
	const json_t *args = json_object_get(a->def, "args"), *f;
	const char *cmd = sched_app_cmd(a), *version = sched_app_version(a);
	const char *user;
	size_t i;

	memset(out, 0, sizeof *out);
	out->task_id = xstrdup(task_id != NULL ? task_id : "");
	out->framework_id = xstrdup(framework_id != NULL ? framework_id : "");
	out->agent_id = xstrdup(agent_id != NULL ? agent_id : "");
	out->app_id = xstrdup(sched_app_id(a));
	out->version = xstrdup(version != NULL ? version : "");
	out->name = app_task_name(sched_app_id(a));
	res_copy(&out->res, &a->res);
	for (i = 0; i < nports && host_ports != NULL; i++)
		/* ENOSPC needs 128 scattered ports in one task: not a case. */
		(void)res_add_port(&out->res, host_ports[i]);
	out->cmd = cmd != NULL ? xstrdup(cmd) : NULL;
	out->args = args != NULL ? json_deep_copy(args) : NULL;
	out->container =
	    app_task_container(a, host_ports, host_ports != NULL ? nports : 0);
	out->env = app_task_env(a, task_id, hostname, host_ports,
				host_ports != NULL ? nports : 0);
	out->labels = json_deep_copy(sched_app_labels(a));
	out->discovery =
	    app_task_discovery(a, host_ports, host_ports != NULL ? nports : 0);
	/* 0.5's plain uris and 1.x's fetch items go separately: the agent
	 * fetches both, each URI once. */
	out->uris = json_deep_copy(json_object_get(a->def, "uris"));
	f = json_object_get(a->def, "fetch");
	if (json_array_size(f) > 0)
		out->fetch = json_deep_copy(f);
	user = json_string_value(json_object_get(a->def, "user"));
	if (user != NULL && user[0] != '\0')
		out->user = xstrdup(user);
	out->kill_grace_ms = sched_app_kill_grace_ms(a);
	if (json_array_size(sched_app_health_checks(a)) > 0)
		out->health_checks = json_deep_copy(sched_app_health_checks(a));
}
