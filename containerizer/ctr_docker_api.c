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
	if ((rc = ctr_docker_opts_volumes(
		 json_object_get(t->container, "volumes"), sandbox, hc,
		 out->warnings, err)) != 0)
		goto fail;
	val = json_object_get(docker, "portMappings");
	if (json_is_array(val) && json_array_size(val) > 0) {
		if (strcmp(mode, "bridge") != 0)
			ctr_docker_opts_warn(
			    out->warnings,
			    "portMappings ignored with network %s", mode);
		else if ((rc = ctr_docker_opts_ports(&t->res, val, cfg, hc,
						     err)) != 0)
			goto fail;
	}
	if ((rc = ctr_docker_opts_parameters(
		 json_object_get(docker, "parameters"), cfg, hc, env, labels,
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
