/*
 * sched_app.h: the Marathon AppDefinition: parse both payload eras
 * (Marathon 0.5: numbers as strings, container {"image": "docker:///x",
 * "options": []}; Marathon 1.x: container.type DOCKER|MESOS with docker
 * {...}, portDefinitions, networks, ...), validate against
 * schema_v1.7_AppDefinition.json, fill Marathon 1.x defaults, and
 * serialise in the 1.x shape with the 0.5 fields old scripts read
 * (ports, uris, executor). Pure (STYLE B28): no I/O, no loop, no globals.
 *
 * A struct sched_app is immutable after parsing except for the setters
 * below (instances, version, service ports), which the scheduler uses
 * when it scales, versions or assigns ports.
 */
#ifndef CLUSTERD_SCHEDULER_APP_SCHED_APP_H
#define CLUSTERD_SCHEDULER_APP_SCHED_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lib/err.h"
#include "lib/resources.h"
#include "lib/wire.h"

struct sched_app;

/*
 * Normalise an app id: "ubuntu" -> "/ubuntu", "/a/b/" -> "/a/b", relative
 * ids are resolved against "/". ASCII upper case is folded ("myApp" ->
 * "/myapp": Marathon 0.5 ids were case-sensitive, 1.x ids are not).
 * Segments must match Marathon's PathId
 * pattern (lowercase letters, digits, '-', '.'; not starting or ending with
 * '-' or '.'; not "." or ".."). Returns a malloc'd string the caller frees,
 * or NULL with err set (-EINVAL, path "/id").
 */
char *sched_app_normalize_id(const char *raw, struct cd_err *err);

/*
 * Parse and validate a POST/PUT body into a new app with defaults filled.
 * path_id, when not NULL, is the id from the URL (PUT /v2/apps/{id}); it
 * wins over a body "id" (which must then match or be absent).
 * Returns 0 and *out (free with sched_app_free()), -EBADMSG for a body that
 * is not an object, or -EINVAL with err->path naming the bad field (the API
 * answers 422). Never crashes on any input.
 */
int sched_app_parse(const json_t *body, const char *path_id,
		    struct sched_app **out, struct cd_err *err);

/*
 * Apply a partial update (PATCH, or PUT with partialUpdate) on top of base:
 * fields present in patch replace those of base. Returns a new app, as
 * sched_app_parse does.
 */
int sched_app_patch(const struct sched_app *base, const json_t *patch,
		    struct sched_app **out, struct cd_err *err);

/* Deep copy; the caller frees it. */
struct sched_app *sched_app_dup(const struct sched_app *a);
void sched_app_free(struct sched_app *a);

/*
 * The definition in Marathon 1.x shape, with every default present and
 * empty collections as {} / [] (never null), plus the 0.5 fields "ports",
 * "uris" and "executor". New reference. This is also the stored form:
 * sched_app_parse(sched_app_to_json(a)) yields an equal app.
 */
json_t *sched_app_to_json(const struct sched_app *a);

/* Accessors; strings are borrowed, valid while the app lives. */
const char *sched_app_id(const struct sched_app *a);
const char *sched_app_version(const struct sched_app *a);
int sched_app_instances(const struct sched_app *a);
/* cpus, mem, disk of one instance (no ports). */
const struct resources *sched_app_resources(const struct sched_app *a);
/* Number of host ports one instance needs (portDefinitions or
 * portMappings with hostPort 0 count as one each). */
size_t sched_app_host_port_count(const struct sched_app *a);
/* The fixed host ports requested (non-zero hostPort / port with
 * requirePorts); 0 entries mean "any". Borrowed array of
 * sched_app_host_port_count() entries. */
const uint32_t *sched_app_host_ports_requested(const struct sched_app *a);
/* The service ports (0 means not yet assigned). */
size_t sched_app_service_port_count(const struct sched_app *a);
const uint32_t *sched_app_service_ports(const struct sched_app *a);
int sched_app_kill_grace_ms(const struct sched_app *a);
/* backoffSeconds, backoffFactor, maxLaunchDelaySeconds. */
void sched_app_backoff(const struct sched_app *a, double *seconds,
		       double *factor, double *max_seconds);
/* upgradeStrategy. */
void sched_app_upgrade(const struct sched_app *a, double *min_health,
		       double *max_over);
/*
 * unreachableStrategy: false when "disabled" (an unreachable task is never
 * replaced nor expunged: it waits for its agent); else true with its
 * inactiveAfterSeconds and expungeAfterSeconds.
 */
bool sched_app_unreachable(const struct sched_app *a, long long *inactive_s,
			   long long *expunge_s);
/* Whether killSelection is OLDEST_FIRST (else YOUNGEST_FIRST). */
bool sched_app_kill_oldest(const struct sched_app *a);
/* Borrowed views of parts of the definition, for later modules. */
const json_t *sched_app_labels(const struct sched_app *a);
const json_t *sched_app_constraints(const struct sched_app *a);
const json_t *sched_app_health_checks(const struct sched_app *a);
const char *sched_app_cmd(const struct sched_app *a); /* or NULL */
/* The canonical container object, or NULL for a plain command. */
const json_t *sched_app_container(const struct sched_app *a);

void sched_app_set_instances(struct sched_app *a, int n);
void sched_app_set_version(struct sched_app *a, const char *iso);
/* Set service port i (i < sched_app_service_port_count()). */
void sched_app_set_service_port(struct sched_app *a, size_t i, uint32_t port);

/*
 * Whether going from old to new needs the tasks replaced: any change other
 * than instances (and version) does.
 */
bool sched_app_needs_restart(const struct sched_app *old_app,
			     const struct sched_app *new_app);

/*
 * Build the task the agent runs for one instance: resources (with the
 * given host ports), cmd or args, the container (docker:///x mapped to x),
 * uris, labels, kill grace, and the environment: the app's env plus
 * PORT, PORT0..N, PORTS, PORT_<name>, HOST, MARATHON_APP_ID,
 * MARATHON_APP_VERSION, MARATHON_APP_DOCKER_IMAGE, MESOS_TASK_ID.
 * out is zeroed first and owns everything it gets (wire_task_release()).
 */
void sched_app_build_task(const struct sched_app *a, const char *task_id,
			  const char *framework_id, const char *agent_id,
			  const char *hostname, const uint32_t *host_ports,
			  size_t nports, struct wire_task *out);

#endif
