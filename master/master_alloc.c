/*
 * master_alloc.c: weighted DRF allocator. Pure (STYLE B28): no I/O, no
 * loop, no globals; loop thread only.
 *
 * Design, for 10,000 agents x 1,000 frameworks in well under 100 ms a cycle:
 *   - agents and frameworks live in arrays (swap-remove, grown with
 *     XGROW) indexed by id in a lib/idmap each;
 *   - a cycle heapifies the eligible frameworks by (weighted dominant share,
 *     insertion order) once, then for each offerable agent pops the lowest
 *     share that has no live filter for that agent, gives it the whole
 *     agent, and pushes it back with its new share: O(A log F) when few
 *     filters apply, instead of Mesos' O(A x F) sort per agent;
 *   - decline filters are a per-framework hash of agent serial -> expiry;
 *     expired entries are dropped lazily when the table grows. Serials are
 *     never reused, so a removed agent's filters are simply dead. This is
 *     not an idmap on purpose: its keys are integers and its values (an
 *     expiry) live in the slots, and the cycle probes it for every
 *     framework it pops, so it avoids hashing an id string each time.
 *   - what each framework holds on each agent is a small array on the
 *     agent (struct alloc_use), so releases can be checked and an agent's
 *     removal can take its resources back from the frameworks' totals.
 *   - shares use scalars only (cpus, mem, disk) against the sum of all
 *     agents' totals, as Mesos' DRF sorter does; ports are not a share.
 * Invariant: for each agent, avail + sum(uses) == total.
 */
#include "master_alloc.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/idmap.h"
#include "lib/xalloc.h"

#define ALLOC_NSCALAR 3 /* cpus, mem, disk */

struct alloc_filter {
	uint64_t serial; /* agent serial; 0 = empty slot */
	uint64_t until_ms;
};

struct alloc_filters {
	struct alloc_filter *slot; /* owned */
	size_t cap, used;
};

struct alloc_fw {
	char *id;   /* owned; the key of a->fw_map */
	char *role; /* owned */
	double weight;
	bool active;
	bool suppressed;
	bool recovered; /* created by master_alloc_allocate(), not yet added */
	double alloc[ALLOC_NSCALAR];
	double share; /* weighted dominant share, refreshed by each cycle */
	uint64_t seq; /* tie-break: older frameworks first */
	size_t idx;   /* position in a->fws */
	struct alloc_filters filters;
};

struct alloc_use {
	struct alloc_fw *fw; /* borrowed: a->fws entry; removed with it */
	struct resources res;
};

struct alloc_agent {
	char *id; /* owned; the key of a->agent_map */
	uint64_t serial;
	bool active;
	size_t idx; /* position in a->agents */
	struct resources total;
	struct resources avail;
	struct alloc_use *uses; /* owned */
	size_t nuses, cuses;
};

struct master_alloc {
	struct alloc_agent **agents; /* owned */
	size_t nagents, cagents;
	struct alloc_fw **fws; /* owned */
	size_t nfws, cfws;
	struct idmap *agent_map;     /* owned: id -> a->agents entry */
	struct idmap *fw_map;	     /* owned: id -> a->fws entry */
	double total[ALLOC_NSCALAR]; /* sum of all agents' totals */
	uint64_t next_serial, next_seq;
	uint64_t now_ms;	   /* of the last cycle, to expire filters */
	size_t cursor;		   /* rotating first agent of a cycle */
	struct alloc_fw **heap;	   /* owned: scratch for a cycle */
	struct alloc_fw **skipped; /* owned: scratch for a cycle */
	size_t cheap, cskipped;	   /* their capacities (>= nfws) */
};

/* ---- helpers ---- */

static double
alloc_round(double v)
{
	v = round(v * 1000.0) / 1000.0;
	return v > 0 ? v : 0;
}

static void
alloc_scalars(const struct resources *r, double out[ALLOC_NSCALAR])
{
	out[0] = r->cpus;
	out[1] = r->mem;
	out[2] = r->disk;
}

static void
alloc_fw_add(struct alloc_fw *fw, const struct resources *r, double sign)
{
	double s[ALLOC_NSCALAR];
	int i;

	alloc_scalars(r, s);
	for (i = 0; i < ALLOC_NSCALAR; i++)
		fw->alloc[i] = alloc_round(fw->alloc[i] + sign * s[i]);
}

static double
alloc_share(const struct master_alloc *a, const struct alloc_fw *fw)
{
	double d = 0;
	int i;

	for (i = 0; i < ALLOC_NSCALAR; i++)
		if (a->total[i] > 0 && fw->alloc[i] / a->total[i] > d)
			d = fw->alloc[i] / a->total[i];
	return d / fw->weight;
}

/* r := the part of r that is also in h (scalars min, ranges intersected). */
static void
alloc_intersect(struct resources *r, const struct resources *h)
{
	const struct res_range *rp = r->ports, *hp = h->ports;
	struct res_range out[RES_MAX_RANGES];
	int i = 0, j = 0, n = 0;
	uint32_t b, e;

	r->cpus = fmin(r->cpus, h->cpus);
	r->mem = fmin(r->mem, h->mem);
	r->disk = fmin(r->disk, h->disk);
	/* Up to nr + nh - 1 pieces: keep the first RES_MAX_RANGES. */
	while (i < r->nranges && j < h->nranges && n < RES_MAX_RANGES) {
		b = rp[i].begin > hp[j].begin ? rp[i].begin : hp[j].begin;
		e = rp[i].end < hp[j].end ? rp[i].end : hp[j].end;
		if (b <= e) {
			out[n].begin = b;
			out[n++].end = e;
		}
		if (rp[i].end < hp[j].end)
			i++;
		else
			j++;
	}
	res_set_ranges(r, out, n);
}

static bool
alloc_offerable(const struct resources *r)
{
	return r->cpus >= MASTER_ALLOC_MIN_CPUS ||
	       r->mem >= MASTER_ALLOC_MIN_MEM;
}

/* ---- lookups ---- */

static struct alloc_agent *
alloc_agent_get(const struct master_alloc *a, const char *id)
{
	return idmap_get(a->agent_map, id);
}

static struct alloc_fw *
alloc_fw_get(const struct master_alloc *a, const char *id)
{
	return idmap_get(a->fw_map, id);
}

/* ---- decline filters ---- */

static struct alloc_filter *
alloc_filter_slot(const struct alloc_filters *f, uint64_t serial)
{
	size_t mask = f->cap - 1, i = (serial * 0x9e3779b97f4a7c15ULL) & mask;

	while (f->slot[i].serial != 0 && f->slot[i].serial != serial)
		i = (i + 1) & mask;
	return &f->slot[i];
}

static bool
alloc_filtered(const struct alloc_fw *fw, uint64_t serial, uint64_t now)
{
	const struct alloc_filter *s;

	if (fw->filters.used == 0)
		return false;
	s = alloc_filter_slot(&fw->filters, serial);
	return s->serial == serial && s->until_ms > now;
}

static void
alloc_filter_set(struct alloc_filters *f, uint64_t serial, uint64_t until,
		 uint64_t now)
{
	struct alloc_filters old = *f;
	struct alloc_filter *s;
	size_t i, live = 0;

	if (4 * (f->used + 1) > 3 * f->cap) {
		/* Rebuild without expired entries, growing if still full. */
		for (i = 0; i < old.cap; i++)
			live += old.slot[i].serial != 0 &&
				old.slot[i].until_ms > now;
		f->cap = 16;
		while (f->cap < 2 * (live + 1))
			f->cap *= 2;
		f->slot = xcalloc(f->cap, sizeof *f->slot);
		f->used = 0;
		for (i = 0; i < old.cap; i++) {
			if (old.slot[i].serial == 0 ||
			    old.slot[i].until_ms <= now)
				continue;
			*alloc_filter_slot(f, old.slot[i].serial) = old.slot[i];
			f->used++;
		}
		free(old.slot);
	}
	s = alloc_filter_slot(f, serial);
	if (s->serial == 0)
		f->used++;
	s->serial = serial;
	s->until_ms = until;
}

/* ---- uses: what a framework holds on an agent ---- */

static struct alloc_use *
alloc_use_get(struct alloc_agent *ag, const struct alloc_fw *fw)
{
	size_t i;

	for (i = 0; i < ag->nuses; i++)
		if (ag->uses[i].fw == fw)
			return &ag->uses[i];
	return NULL;
}

/* Record r (already taken from ag->avail) as held by fw. */
static void
alloc_use_add(struct alloc_agent *ag, struct alloc_fw *fw,
	      const struct resources *r)
{
	struct alloc_use *u = alloc_use_get(ag, fw);

	if (u == NULL) {
		/*
		 * Room for two at first: an entry holds a struct resources
		 * (1 KiB with its port ranges), most agents serve one or two
		 * frameworks, and XGROW's first step is 8.
		 */
		if (ag->uses == NULL) {
			ag->cuses = 2;
			ag->uses = xcalloc(ag->cuses, sizeof *ag->uses);
		}
		XGROW(ag->uses, ag->nuses + 1, ag->cuses);
		u = &ag->uses[ag->nuses++];
		u->fw = fw;
		res_zero(&u->res);
	}
	res_add(&u->res, r);
	alloc_fw_add(fw, r, 1);
}

static void
alloc_use_drop(struct alloc_agent *ag, struct alloc_use *u)
{
	res_free(&u->res);
	*u = ag->uses[--ag->nuses]; /* a move */
}

/* ---- lifecycle ---- */

struct master_alloc *
master_alloc_new(void)
{
	struct master_alloc *a = xcalloc(1, sizeof *a);

	a->agent_map = idmap_new();
	a->fw_map = idmap_new();
	a->next_serial = 1;
	return a;
}

static void
alloc_agent_free(struct alloc_agent *ag)
{
	size_t i;

	free(ag->id);
	for (i = 0; i < ag->nuses; i++)
		res_free(&ag->uses[i].res);
	free(ag->uses);
	res_free(&ag->total);
	res_free(&ag->avail);
	free(ag);
}

static void
alloc_fw_free(struct alloc_fw *fw)
{
	free(fw->id);
	free(fw->role);
	free(fw->filters.slot);
	free(fw);
}

void
master_alloc_free(struct master_alloc *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nagents; i++)
		alloc_agent_free(a->agents[i]);
	for (i = 0; i < a->nfws; i++)
		alloc_fw_free(a->fws[i]);
	free(a->agents);
	free(a->fws);
	idmap_free(a->agent_map);
	idmap_free(a->fw_map);
	free(a->heap);
	free(a->skipped);
	free(a);
}

/* ---- agents ---- */

int
master_alloc_agent_add(struct master_alloc *a, const char *agent_id,
		       const struct resources *total)
{
	struct alloc_agent *ag;
	double s[ALLOC_NSCALAR];
	int i;

	if (alloc_agent_get(a, agent_id) != NULL)
		return -EEXIST;
	ag = xcalloc(1, sizeof *ag);
	ag->id = xstrdup(agent_id);
	ag->serial = a->next_serial++;
	ag->active = true;
	res_copy(&ag->total, total);
	res_copy(&ag->avail, total);
	XGROW(a->agents, a->nagents + 1, a->cagents);
	ag->idx = a->nagents;
	a->agents[a->nagents++] = ag;
	AZ(idmap_put(a->agent_map, ag->id, ag));
	alloc_scalars(total, s);
	for (i = 0; i < ALLOC_NSCALAR; i++)
		a->total[i] = alloc_round(a->total[i] + s[i]);
	return 0;
}

void
master_alloc_agent_remove(struct master_alloc *a, const char *agent_id)
{
	struct alloc_agent *ag = alloc_agent_get(a, agent_id);
	double s[ALLOC_NSCALAR];
	size_t i;

	if (ag == NULL)
		return;
	for (i = 0; i < ag->nuses; i++)
		alloc_fw_add(ag->uses[i].fw, &ag->uses[i].res, -1);
	alloc_scalars(&ag->total, s);
	for (i = 0; i < ALLOC_NSCALAR; i++)
		a->total[i] = alloc_round(a->total[i] - s[i]);
	AN(idmap_del(a->agent_map, ag->id));
	a->agents[ag->idx] = a->agents[--a->nagents];
	a->agents[ag->idx]->idx = ag->idx;
	alloc_agent_free(ag);
}

void
master_alloc_agent_set_active(struct master_alloc *a, const char *agent_id,
			      bool active)
{
	struct alloc_agent *ag = alloc_agent_get(a, agent_id);

	if (ag != NULL)
		ag->active = active;
}

/* ---- frameworks ---- */

static struct alloc_fw *
alloc_fw_create(struct master_alloc *a, const char *fw_id)
{
	struct alloc_fw *fw = xcalloc(1, sizeof *fw);

	fw->id = xstrdup(fw_id);
	fw->role = xstrdup("*");
	fw->weight = 1;
	fw->seq = a->next_seq++;
	XGROW(a->fws, a->nfws + 1, a->cfws);
	XGROW(a->heap, a->nfws + 1, a->cheap);
	XGROW(a->skipped, a->nfws + 1, a->cskipped);
	fw->idx = a->nfws;
	a->fws[a->nfws++] = fw;
	AZ(idmap_put(a->fw_map, fw->id, fw));
	return fw;
}

int
master_alloc_framework_add(struct master_alloc *a, const char *fw_id,
			   const char *role, double weight)
{
	struct alloc_fw *fw;

	if (!(weight > 0) || !isfinite(weight))
		return -EINVAL;
	fw = alloc_fw_get(a, fw_id);
	if (fw != NULL && !fw->recovered)
		return -EEXIST;
	if (fw == NULL)
		fw = alloc_fw_create(a, fw_id);
	free(fw->role);
	fw->role = xstrdup(role != NULL ? role : "*");
	fw->weight = weight;
	fw->active = true;
	fw->recovered = false;
	return 0;
}

void
master_alloc_framework_remove(struct master_alloc *a, const char *fw_id)
{
	struct alloc_fw *fw = alloc_fw_get(a, fw_id);
	struct alloc_use *u;
	size_t i;

	if (fw == NULL)
		return;
	for (i = 0; i < a->nagents; i++) {
		if ((u = alloc_use_get(a->agents[i], fw)) == NULL)
			continue;
		res_add(&a->agents[i]->avail, &u->res);
		alloc_use_drop(a->agents[i], u);
	}
	AN(idmap_del(a->fw_map, fw->id));
	a->fws[fw->idx] = a->fws[--a->nfws];
	a->fws[fw->idx]->idx = fw->idx;
	alloc_fw_free(fw);
}

void
master_alloc_framework_set_active(struct master_alloc *a, const char *fw_id,
				  bool active)
{
	struct alloc_fw *fw = alloc_fw_get(a, fw_id);

	if (fw != NULL)
		fw->active = active;
}

void
master_alloc_framework_suppress(struct master_alloc *a, const char *fw_id,
				bool suppressed)
{
	struct alloc_fw *fw = alloc_fw_get(a, fw_id);

	if (fw != NULL)
		fw->suppressed = suppressed;
}

/* ---- allocations ---- */

int
master_alloc_allocate(struct master_alloc *a, const char *agent_id,
		      const char *fw_id, const struct resources *r)
{
	struct alloc_agent *ag = alloc_agent_get(a, agent_id);
	struct alloc_fw *fw;
	int rc;

	if (ag == NULL)
		return -ENOENT;
	if ((rc = res_sub(&ag->avail, r)) != 0)
		return rc; /* avail unchanged */
	if ((fw = alloc_fw_get(a, fw_id)) == NULL) {
		/* After a master failover agents re-register before their
		 * frameworks: hold the resources for a placeholder. */
		fw = alloc_fw_create(a, fw_id);
		fw->recovered = true;
	}
	alloc_use_add(ag, fw, r);
	return 0;
}

void
master_alloc_release(struct master_alloc *a, const char *agent_id,
		     const char *fw_id, const struct resources *r)
{
	struct alloc_agent *ag = alloc_agent_get(a, agent_id);
	struct alloc_fw *fw = alloc_fw_get(a, fw_id);
	struct alloc_use *u;
	struct resources rel;

	if (ag == NULL || fw == NULL || (u = alloc_use_get(ag, fw)) == NULL)
		return;
	res_copy(&rel, r);
	alloc_intersect(&rel, &u->res);
	if (res_sub(&u->res, &rel) != 0) {
		/* The held ranges would split too far: keep the ports held. */
		res_free(&rel);
		if (res_sub(&u->res, &rel) != 0)
			goto out;
	}
	res_add(&ag->avail, &rel);
	alloc_fw_add(fw, &rel, -1);
	if (res_is_empty(&u->res))
		alloc_use_drop(ag, u);
out:
	res_free(&rel);
}

void
master_alloc_filter(struct master_alloc *a, const char *fw_id,
		    const char *agent_id, uint64_t until_ms)
{
	struct alloc_agent *ag = alloc_agent_get(a, agent_id);
	struct alloc_fw *fw = alloc_fw_get(a, fw_id);

	if (ag != NULL && fw != NULL)
		alloc_filter_set(&fw->filters, ag->serial, until_ms, a->now_ms);
}

void
master_alloc_clear_filters(struct master_alloc *a, const char *fw_id)
{
	struct alloc_fw *fw = alloc_fw_get(a, fw_id);

	if (fw == NULL)
		return;
	free(fw->filters.slot);
	memset(&fw->filters, 0, sizeof fw->filters);
}

/* ---- the cycle ---- */

static bool
alloc_before(const struct alloc_fw *x, const struct alloc_fw *y)
{
	if (x->share != y->share)
		return x->share < y->share;
	return x->seq < y->seq;
}

static void
alloc_heap_down(struct alloc_fw **h, size_t n, size_t i)
{
	struct alloc_fw *t;
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && alloc_before(h[c + 1], h[c]))
			c++;
		if (!alloc_before(h[c], h[i]))
			return;
		t = h[i];
		h[i] = h[c];
		h[c] = t;
		i = c;
	}
}

static void
alloc_heap_push(struct alloc_fw **h, size_t *n, struct alloc_fw *fw)
{
	size_t i = (*n)++, p;

	h[i] = fw;
	while (i > 0) {
		p = (i - 1) / 2;
		if (!alloc_before(h[i], h[p]))
			return;
		h[i] = h[p];
		h[p] = fw;
		i = p;
	}
}

static struct alloc_fw *
alloc_heap_pop(struct alloc_fw **h, size_t *n)
{
	struct alloc_fw *top = h[0];

	h[0] = h[--*n];
	alloc_heap_down(h, *n, 0);
	return top;
}

size_t
master_alloc_run(struct master_alloc *a, uint64_t now_ms,
		 master_alloc_offer_fn *fn, void *arg)
{
	struct alloc_agent *ag;
	struct alloc_fw *fw;
	struct resources r;
	size_t nh = 0, ns, i, k, n = a->nagents, offers = 0;

	a->now_ms = now_ms;
	for (i = 0; i < a->nfws; i++) {
		fw = a->fws[i];
		if (!fw->active || fw->suppressed)
			continue;
		fw->share = alloc_share(a, fw);
		a->heap[nh++] = fw;
	}
	for (i = nh / 2; i-- > 0;)
		alloc_heap_down(a->heap, nh, i);
	if (nh == 0 || n == 0)
		return 0;
	a->cursor %= n;
	for (k = 0; k < n && k < a->nagents; k++) {
		ag = a->agents[(a->cursor + k) % a->nagents];
		if (!ag->active || !alloc_offerable(&ag->avail))
			continue;
		ns = 0;
		fw = NULL;
		while (nh > 0) {
			fw = alloc_heap_pop(a->heap, &nh);
			if (!alloc_filtered(fw, ag->serial, now_ms))
				break;
			a->skipped[ns++] = fw;
			fw = NULL;
		}
		if (fw != NULL) {
			r = ag->avail; /* a move */
			res_zero(&ag->avail);
			alloc_use_add(ag, fw, &r);
			fw->share = alloc_share(a, fw);
			alloc_heap_push(a->heap, &nh, fw);
		}
		for (i = 0; i < ns; i++)
			alloc_heap_push(a->heap, &nh, a->skipped[i]);
		if (fw != NULL) {
			offers++;
			fn(fw->id, ag->id, &r, arg);
			res_free(&r);
		}
	}
	a->cursor++;
	return offers;
}

/* ---- reporting ---- */

int
master_alloc_agent_usage(const struct master_alloc *a, const char *agent_id,
			 struct resources *total, struct resources *used)
{
	const struct alloc_agent *ag = alloc_agent_get(a, agent_id);
	size_t i;

	if (ag == NULL)
		return -ENOENT;
	res_copy(total, &ag->total);
	res_zero(used);
	for (i = 0; i < ag->nuses; i++)
		res_add(used, &ag->uses[i].res);
	return 0;
}

void
master_alloc_cluster_usage(const struct master_alloc *a,
			   struct resources *total, struct resources *used)
{
	size_t i;

	res_zero(total);
	res_zero(used);
	total->cpus = a->total[0];
	total->mem = a->total[1];
	total->disk = a->total[2];
	for (i = 0; i < a->nfws; i++) {
		used->cpus = alloc_round(used->cpus + a->fws[i]->alloc[0]);
		used->mem = alloc_round(used->mem + a->fws[i]->alloc[1]);
		used->disk = alloc_round(used->disk + a->fws[i]->alloc[2]);
	}
}

int
master_alloc_framework_usage(const struct master_alloc *a, const char *fw_id,
			     struct resources *allocated, double *share)
{
	const struct alloc_fw *fw = alloc_fw_get(a, fw_id);

	if (fw == NULL)
		return -ENOENT;
	res_zero(allocated);
	allocated->cpus = fw->alloc[0];
	allocated->mem = fw->alloc[1];
	allocated->disk = fw->alloc[2];
	*share = alloc_share(a, fw);
	return 0;
}

size_t
master_alloc_agent_count(const struct master_alloc *a)
{
	return a->nagents;
}

size_t
master_alloc_framework_count(const struct master_alloc *a)
{
	return a->nfws;
}
