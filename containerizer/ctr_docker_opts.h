/*
 * ctr_docker_opts.h: a task's container options as fields of the Docker
 * Engine API's container-create body, for ctr_docker_api_create(). Pure
 * (STYLE B28): no I/O, no loop, no globals. Each function adds to the
 * body's Config object cfg and HostConfig object hc, appends what it
 * ignores to the string array warnings, and returns 0, or -EINVAL with err
 * (its JSON path under the task: "/container/...").
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_DOCKER_OPTS_H
#define CLUSTERD_CONTAINERIZER_CTR_DOCKER_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/err.h"
#include "lib/resources.h"

/*
 * Whether s is a name Docker takes for a network or a volume: 1 to max
 * characters of [A-Za-z0-9_.-], the first alphanumeric.
 */
bool ctr_docker_opts_name_ok(const char *s, size_t max);
/* Append fmt (one %s, a) to warnings. */
void ctr_docker_opts_warn(json_t *warnings, const char *fmt, const char *a);

/*
 * container.docker.parameters ([{key, value}]): each key must be allowed
 * by lib/policy (its safe set, or allowed: --docker_allowed_parameters),
 * else -EPERM naming that flag. Then env and label go to env (an array of
 * "K=V") and labels (an object); user, workdir, hostname, memory-swap,
 * shm-size, add-host, dns, dns-search, cap-add, cap-drop, volume and
 * security-opt to their Config or HostConfig field; others are warned
 * about and ignored. A volume's host source must be an allowed host path
 * (paths: --allowed_host_paths) and is appended to bind_paths. NULL or
 * null params: nothing to do.
 */
int ctr_docker_opts_parameters(const json_t *params, const char *allowed,
			       const char *paths, json_t *cfg, json_t *hc,
			       json_t *env, json_t *labels, json_t *bind_paths,
			       json_t *warnings, struct cd_err *err);
/*
 * container.volumes: hc Binds "host:container:mode". An absolute hostPath
 * must be below --allowed_host_paths (paths), else -EPERM naming the flag;
 * a relative one lives in sandbox, as on Mesos, and must stay inside it.
 * Each bind source is appended to bind_paths (for the driver's checks on
 * disk). A volume with external {name, provider "dvdi", options
 * {"dvdi/driver"}} is a named Docker volume (hc Mounts); one with neither
 * is ignored with a warning.
 */
int ctr_docker_opts_volumes(const json_t *vols, const char *sandbox,
			    const char *paths, json_t *hc, json_t *bind_paths,
			    json_t *warnings, struct cd_err *err);
/*
 * BRIDGE and USER portMappings: cfg ExposedPorts and hc PortBindings; a
 * hostPort of 0 takes the next free port of res's ranges, a containerPort
 * of 0 the hostPort (Marathon's rule); a mapping without hostPort (USER)
 * is exposed only.
 */
int ctr_docker_opts_ports(const struct resources *res, const json_t *maps,
			  json_t *cfg, json_t *hc, struct cd_err *err);

#endif
