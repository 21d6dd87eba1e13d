/*
 * sched_app_field.h: the shared state and typed field helpers of one
 * AppDefinition check pass, used by sched_app_check.c (the app as a whole),
 * sched_app_net.c (networks, container and ports) and sched_app_health.c
 * (health and readiness checks), and by nothing else (STYLE B3). Each
 * helper validates one field of the input, reports the first problem as a
 * JSON path with a Marathon-style message, and (the put_ ones) writes the
 * canonical value into the output object.
 */
#ifndef CLUSTERD_SCHEDULER_APP_SCHED_APP_FIELD_H
#define CLUSTERD_SCHEDULER_APP_SCHED_APP_FIELD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/compat.h"
#include "lib/err.h"
#include "scheduler/app/sched_app_net.h"

/*
 * App ids become task ids "<path with _>.<uuid>" that id_valid() caps at
 * 200 characters; 160 leaves room for the 37 of the uuid and the dot.
 */
#define CHK_ID_MAX 160
#define CHK_PATH_RE                                                            \
	"^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*"                       \
	"([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])$"
#define CHK_NAME_RE "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
#define DOCKER_PREFIX "docker:///"

typedef char chk_path[CD_ERR_PATH_LEN];

/* State of one check pass. */
struct chk {
	const json_t *in;   /* borrowed: the body */
	struct cd_err *err; /* borrowed: may be NULL */
	enum sched_app_net net;
	const json_t *ports; /* borrowed from the output: portDefinitions or
				portMappings in effect */
	char *parent;	     /* owned: the app id's parent path, "" at root */
	bool
	    era05; /* the body is in Marathon 0.5's shape (sched_app_check.c) */
};

int sched_app_field_bad(struct cd_err *err, const char *path, const char *fmt,
			...) CD_PRINTF(3, 4);

json_t *sched_app_field_unconst(const json_t *j);

void sched_app_field_join(chk_path out, const char *base, const char *key);

void sched_app_field_idx(chk_path out, const char *base, size_t i);

int sched_app_field_num(const json_t *o, const char *key, const char *base,
			double min, double max, double def, double *out,
			struct cd_err *err);

int sched_app_field_int(const json_t *o, const char *key, const char *base,
			long long min, long long max, long long def,
			long long *out, bool *present, struct cd_err *err);

int sched_app_field_elem_int(const json_t *a, size_t i, const char *base,
			     long long min, long long max, long long *out,
			     struct cd_err *err);

int sched_app_field_put_num(json_t *dst, const json_t *o, const char *key,
			    const char *base, double min, double max,
			    double def, struct cd_err *err);

int sched_app_field_put_int(json_t *dst, const json_t *o, const char *key,
			    const char *base, long long min, long long max,
			    long long def, struct cd_err *err);

int sched_app_field_put_bool(json_t *dst, const json_t *o, const char *key,
			     const char *base, bool def, struct cd_err *err);

int sched_app_field_put_str(json_t *dst, const json_t *o, const char *key,
			    const char *base, bool nonempty, const char **s,
			    struct cd_err *err);

int sched_app_field_enum(const json_t *o, const char *key, const char *base,
			 const char *const *set, size_t n, const char *def,
			 const char **out, struct cd_err *err);

int sched_app_field_typed(const json_t *o, const char *key, const char *base,
			  json_type type, const json_t **out,
			  struct cd_err *err);

bool sched_app_field_name_ok(const char *s);

int sched_app_field_put_name(json_t *dst, const json_t *o, const char *base,
			     const char **name, struct cd_err *err);

int sched_app_field_strmap(const json_t *m, const char *base, json_t **out,
			   struct cd_err *err);

int sched_app_field_put_strmap(json_t *dst, const json_t *o, const char *key,
			       const char *base, bool omit_empty,
			       struct cd_err *err);

int sched_app_field_put_strarr(json_t *dst, const json_t *o, const char *key,
			       const char *base, bool nonempty, bool always,
			       struct cd_err *err);

#endif
