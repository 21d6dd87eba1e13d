/*
 * resources.h: resource vectors: scalar cpus, mem (MiB), disk (MiB) and
 * port ranges. Pure (STYLE B28).
 * Invariants: ranges are sorted, disjoint, non-adjacent (merged) and
 * nranges <= RES_MAX_RANGES; scalars are >= 0.
 *
 * Ownership: the port ranges live in an owned heap array (40 bytes in all
 * instead of 1 KiB inline). So a struct resources is copied with
 * res_copy(), not '=' (a '=' copy is a move: the source must not be used
 * or freed afterwards), and released with res_free(). A value from
 * res_zero() or without ports owns nothing.
 */
#ifndef CLUSTERD_LIB_RESOURCES_H
#define CLUSTERD_LIB_RESOURCES_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"

#define RES_MAX_RANGES 128

struct res_range {
	uint32_t begin; /* inclusive */
	uint32_t end;	/* inclusive */
};

struct resources {
	double cpus;
	double mem;
	double disk;
	int nranges;
	struct res_range *ports; /* owned: nranges of them; NULL when none */
};

/* Initialise to nothing; r is taken as uninitialised (nothing is freed). */
void res_zero(struct resources *r);
/* Release r's ranges (r becomes its scalars with no ports). */
void res_free(struct resources *r);
/* *dst = a deep copy of *src; dst is taken as uninitialised. */
void res_copy(struct resources *dst, const struct resources *src);
/*
 * Replace r's ranges with v[0..n-1] (n <= RES_MAX_RANGES, already sorted
 * and merged; v may point into r's own ranges).
 */
void res_set_ranges(struct resources *r, const struct res_range *v, int n);
/*
 * Parse Mesos' text form "cpus:4;mem:8192;disk:10000;ports:[31000-32000]"
 * (also "ports:[1-2,5-9]"). Unknown names are refused. Missing ones stay 0.
 * out is taken as uninitialised (res_free it first if it holds ranges) and
 * is left alone on error.
 */
int res_parse(const char *s, struct resources *out, struct cd_err *err);
/* Format in the same text form. */
void res_format(const struct resources *r, struct buf *out);

/* a += b */
void res_add(struct resources *a, const struct resources *b);
/* a -= b; -ERANGE (a unchanged) when b is not contained in a. */
int res_sub(struct resources *a, const struct resources *b);
bool res_contains(const struct resources *a, const struct resources *b);
bool res_is_empty(const struct resources *r);
/* Number of ports in the ranges. */
uint32_t res_port_count(const struct resources *r);
/* Add one port (merging ranges); -ENOSPC when the range table is full. */
int res_add_port(struct resources *r, uint32_t port);

/*
 * Mesos' JSON shape: {"cpus": 4, "mem": 8192, "disk": 10000,
 * "ports": "[31000-32000]"}. Returns a new reference.
 */
json_t *res_to_json(const struct resources *r);
/* Accepts the shape above (ports as a string or as [[b,e],...]); out as
 * for res_parse. */
int res_from_json(const json_t *j, struct resources *out, struct cd_err *err);

#endif
