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

#include <jansson.h>

#include "lib/err.h"
#include "lib/resources.h"

/* Append fmt (one %s, a) to warnings. */
void ctr_docker_opts_warn(json_t *warnings, const char *fmt, const char *a);

/*
 * container.docker.parameters ([{key, value}]): env and label go to env
 * (an array of "K=V") and labels (an object); user, workdir, hostname,
 * memory-swap, shm-size, add-host, dns, dns-search, cap-add, cap-drop,
 * volume and security-opt to their Config or HostConfig field; others are
 * warned about and ignored. NULL or null params: nothing to do.
 */
int ctr_docker_opts_parameters(const json_t *params, json_t *cfg, json_t *hc,
			       json_t *env, json_t *labels, json_t *warnings,
			       struct cd_err *err);
/*
 * container.volumes: hc Binds "host:container:mode" (a relative hostPath
 * lives in sandbox, as on Mesos; a volume without hostPath is ignored).
 */
int ctr_docker_opts_volumes(const json_t *vols, const char *sandbox, json_t *hc,
			    json_t *warnings, struct cd_err *err);
/*
 * BRIDGE portMappings: cfg ExposedPorts and hc PortBindings; a hostPort of
 * 0 takes the next free port of res's ranges, a containerPort of 0 the
 * hostPort (Marathon's rule).
 */
int ctr_docker_opts_ports(const struct resources *res, const json_t *maps,
			  json_t *cfg, json_t *hc, struct cd_err *err);

#endif
