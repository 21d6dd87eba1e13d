/*
 * agent_probe.h: what this node offers. Detects cpus, memory, disk and the
 * default port range as SPEC section 1 says, with the --resources text
 * overriding what it names, and parses --attributes.
 */
#ifndef CLUSTERD_AGENT_AGENT_PROBE_H
#define CLUSTERD_AGENT_AGENT_PROBE_H

#include <jansson.h>

#include "lib/err.h"
#include "lib/resources.h"

/*
 * Fill out with detected resources, overridden by the names present in
 * text (may be NULL). work_dir is where disk is measured. 0 or -EINVAL.
 * out is taken as uninitialised; the caller res_free()s it.
 */
int agent_probe_resources(const char *text, const char *work_dir,
			  struct resources *out, struct cd_err *err);
/* "rack:r1;zone:a" -> {"rack": "r1", "zone": "a"}; new reference or NULL
 * with err set. NULL or "" gives {}. */
json_t *agent_probe_attributes(const char *text, struct cd_err *err);

#endif
