/*
 * sched_offer.c: offer matching (see sched_offer.h). Owns one entry per
 * app that waits for instances (struct offer_app: its compiled
 * constraints and role check, its placement index, its launch attempt
 * statistics) and the agents' hostnames and attributes as the offers tell
 * them.
 *
 * Design decisions:
 * - One entry per app that waits for instances, indexed by app id
 *   (lib/idmap). An entry caches the app's compiled constraints and its role
 *   check, recompiled only when the app's version changes, and a placement
 *   index built at most once per offer round from the tracker, then kept
 *   up to date with each instance placed in the round, so later offers of
 *   the same round see them.
 * - The placement of existing tasks is judged by their hostname (kept in
 *   the task record) and by their agent's attributes, looked up from the
 *   offers: each offer carries its agent's attributes, which Mesos fixes
 *   for the life of an agent id, and every agent with free resources is
 *   offered once per allocation interval. So after a restart the tasks
 *   that come back through reconciliation get their attributes as soon as
 *   their agent is offered; until then (an agent with nothing free) they
 *   count as lacking the attribute. This avoids a second copy of the
 *   attributes in every task record.
 * - Statistics follow Marathon's offer-matching funnel: an offer is
 *   processed by the steps in order (role, constraints, cpus, mem, disk,
 *   ports) and declined by the first that refuses it; "processed" of a
 *   step is what reached it. rejectSummaryLaunchAttempt counts every
 *   offer since the app began to wait, rejectSummaryLastOffers only the
 *   last offer of each agent. A launch attempt ends when the app no
 *   longer waits; the next one starts from zero.
 * Loop thread only.
 */
#include "scheduler/core/sched_offer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "sched"
#include "lib/idmap.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/core/sched_converge.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_repo.h"
#include "scheduler/core/sched_tracker.h"
#include "scheduler/place/sched_constraint.h"
#include "scheduler/place/sched_launch.h"

#define OFFER_EPS 1e-9

/* The matching funnel, in Marathon's order (NoOfferMatchReason). */
enum offer_reason {
	QR_ROLE,       /* acceptedResourceRoles does not admit "*" */
	QR_CONSTRAINT, /* a constraint refuses the agent */
	QR_CPUS,
	QR_MEM,
	QR_DISK,
	QR_PORTS,
	QR_SCARCE, /* GPUs: never offered, always 0 */
	QR_N
};

static const char *const offer_reason_names[QR_N] = {
    "UnfulfilledRole",	      "UnfulfilledConstraint", "InsufficientCpus",
    "InsufficientMemory",     "InsufficientDisk",      "InsufficientPorts",
    "DeclinedScarceResources"};

struct offer_app {
	char *id;      /* owned */
	char *version; /* owned: what cons and role_ok are of */
	struct sched_constraints *cons;	    /* owned */
	bool role_ok;			    /* the app accepts "*" resources */
	struct sched_constraint_index *idx; /* owned or NULL */
	uint64_t idx_round;		    /* the round idx was built in */
	/* The launch attempt: */
	long long since_ms; /* wall clock; 0: not waiting */
	int processed;
	int unused;
	long long last_used_ms;	  /* 0: never */
	long long last_unused_ms; /* 0: never */
	int declined[QR_N];
	json_t *last_by_agent; /* owned: agent id -> reason, -1 when used */
	json_t *last_unused;   /* owned: UnusedOffer objects, newest last */
	int reason;	       /* why the current offer was refused, or -1 */
	char detail[256];      /* the constraint's refusal, for the log */
};

struct sched_offer {
	struct idmap *apps; /* owned: app id -> owned struct offer_app */
	uint64_t round;
	json_t *agents; /* owned: agent id -> {"hostname", "attributes"} */
};

struct sched_offer *
sched_offer_new(void)
{
	struct sched_offer *m = xcalloc(1, sizeof *m);

	m->apps = idmap_new();
	m->agents = json_object();
	return m;
}

static void
offer_attempt_reset(struct offer_app *e)
{
	e->since_ms = 0;
	e->processed = e->unused = 0;
	e->last_used_ms = e->last_unused_ms = 0;
	memset(e->declined, 0, sizeof e->declined);
	json_object_clear(e->last_by_agent);
	json_array_clear(e->last_unused);
	e->reason = -1;
}

static void
offer_app_free(struct offer_app *e)
{
	free(e->id);
	free(e->version);
	sched_constraint_index_free(e->idx);
	sched_constraint_free(e->cons);
	json_decref(e->last_by_agent);
	json_decref(e->last_unused);
	free(e);
}

/* Whether acceptedResourceRoles (absent or empty: any) admits "*". */
static bool
offer_role_ok(const struct sched_app *app)
{
	json_t *j = sched_app_to_json(app), *roles, *r;
	bool ok = true;
	size_t i;

	roles = json_object_get(j, "acceptedResourceRoles");
	for (i = 0; i < json_array_size(roles); i++) {
		r = json_array_get(roles, i);
		ok =
		    json_is_string(r) && strcmp(json_string_value(r), "*") == 0;
		if (ok)
			break;
	}
	if (json_array_size(roles) == 0)
		ok = true;
	json_decref(j);
	return ok;
}

/* ra's entry, created when missing, its constraints compiled for the
 * app's current version. */
static struct offer_app *
offer_entry(struct sched_offer *m, const struct sched_rapp *ra)
{
	const char *id = sched_app_id(ra->app);
	const char *ver = sched_app_version(ra->app);
	struct offer_app *e = idmap_get(m->apps, id);
	struct cd_err err;

	if (e == NULL) {
		e = xcalloc(1, sizeof *e);
		e->id = xstrdup(id);
		e->last_by_agent = json_object();
		e->last_unused = json_array();
		e->reason = -1;
		AZ(idmap_put(m->apps, e->id, e));
	}
	if (e->version == NULL || ver == NULL || strcmp(e->version, ver) != 0) {
		free(e->version);
		e->version = ver != NULL ? xstrdup(ver) : NULL;
		sched_constraint_index_free(e->idx);
		e->idx = NULL;
		sched_constraint_free(e->cons);
		cd_err_clear(&err);
		if (sched_constraint_compile(sched_app_constraints(ra->app),
					     &e->cons, &err) != 0) {
			/* sched_app validated them: not expected. */
			log_warn("app=%s constraints ignored: %s", id, err.msg);
			(void)sched_constraint_compile(NULL, &e->cons, NULL);
		}
		e->role_ok = offer_role_ok(ra->app);
	}
	return e;
}

void
sched_offer_free(struct sched_offer *m)
{
	void *e;
	size_t i = 0;

	if (m == NULL)
		return;
	while (idmap_next(m->apps, &i, NULL, &e))
		offer_app_free(e);
	idmap_free(m->apps);
	json_decref(m->agents);
	free(m);
}

int
sched_offer_count(const struct sched *s, const struct sched_rapp *ra)
{
	struct sched_launch_counts c;
	int n;

	sched_converge_count(s, ra, &c);
	n = c.instances - c.cur_active;
	return n > 0 ? n : 0;
}

void
sched_offer_round(struct sched *s, const struct fw_offer *offers, size_t n)
{
	struct sched_offer *m = s->offer;
	struct offer_app **gone;
	size_t i, ngone = 0;
	void *v;

	m->round++;
	for (i = 0; i < n; i++) {
		const json_t *old =
		    json_object_get(m->agents, offers[i].agent_id);
		const json_t *attrs = offers[i].attributes;
		const char *host =
		    offers[i].hostname != NULL ? offers[i].hostname : "";

		if (old != NULL &&
		    strcmp(json_string_value(json_object_get(old, "hostname")),
			   host) == 0 &&
		    (attrs == NULL ||
		     json_equal(json_object_get(old, "attributes"), attrs)))
			continue;
		json_object_set_new(
		    m->agents, offers[i].agent_id,
		    json_pack("{s:s, s:o}", "hostname", host, "attributes",
			      attrs != NULL ? json_deep_copy(attrs)
					    : json_object()));
	}
	/* Forget apps that are gone; end the attempt of apps that wait no
	 * more. */
	gone = xcalloc(idmap_count(m->apps) + 1, sizeof *gone);
	i = 0;
	while (idmap_next(m->apps, &i, NULL, &v)) {
		struct offer_app *e = v;
		const struct sched_rapp *ra = sched_repo_find(s->repo, e->id);

		if (ra == NULL)
			gone[ngone++] = e; /* the map must not change here */
		else if (e->since_ms != 0 && sched_offer_count(s, ra) == 0)
			offer_attempt_reset(e);
	}
	for (i = 0; i < ngone; i++) {
		(void)idmap_del(m->apps, gone[i]->id);
		offer_app_free(gone[i]);
	}
	free(gone);
}

/* e's placement index for this round: the app's tasks on their agents. */
static void
offer_index(struct sched *s, struct offer_app *e, const struct sched_rapp *ra)
{
	struct sched_task *const *tv;
	size_t i, n;

	if (e->idx != NULL && e->idx_round == s->offer->round)
		return;
	sched_constraint_index_free(e->idx);
	e->idx = sched_constraint_index_new(e->cons);
	e->idx_round = s->offer->round;
	tv = sched_tracker_app_tasks(s->tr, sched_app_id(ra->app), &n);
	for (i = 0; i < n; i++) {
		const json_t *agent;

		/* Marathon counts every active instance, killing ones too. */
		if (task_state_terminal(tv[i]->state))
			continue;
		agent = json_object_get(s->offer->agents, tv[i]->agent_id);
		sched_constraint_index_add(
		    e->idx, tv[i]->host, json_object_get(agent, "attributes"));
	}
}

int
sched_offer_place(struct sched *s, const struct sched_rapp *ra,
		  const struct fw_offer *o, struct resources *avail,
		  uint32_t *ports, size_t np)
{
	struct offer_app *e = offer_entry(s->offer, ra);
	const struct resources *per = sched_app_resources(ra->app);

	if (!e->role_ok) {
		e->reason = QR_ROLE;
		return -ENOSPC;
	}
	if (sched_constraint_count(e->cons) > 0) {
		offer_index(s, e, ra);
		if (sched_constraint_check(e->cons, e->idx, o->hostname,
					   o->attributes, e->detail,
					   sizeof e->detail) != 0) {
			e->reason = QR_CONSTRAINT;
			return -ENOSPC;
		}
	}
	if (sched_launch_fit(avail, per,
			     sched_app_host_ports_requested(ra->app), np,
			     ports) != 0) {
		if (avail->cpus + OFFER_EPS < per->cpus)
			e->reason = QR_CPUS;
		else if (avail->mem + OFFER_EPS < per->mem)
			e->reason = QR_MEM;
		else if (avail->disk + OFFER_EPS < per->disk)
			e->reason = QR_DISK;
		else
			e->reason = QR_PORTS;
		return -ENOSPC;
	}
	if (e->idx != NULL)
		sched_constraint_index_add(e->idx, o->hostname, o->attributes);
	return 0;
}

/* Marathon's Offer JSON (offer.raml) of o. */
static json_t *
offer_json(const struct fw_offer *o)
{
	json_t *res = json_array(), *attrs = json_array(), *ranges, *v, *copy;
	const char *k;
	int i;

	json_array_append_new(res,
			      json_pack("{s:s, s:s, s:f}", "name", "cpus",
					"role", "*", "scalar", o->res.cpus));
	json_array_append_new(res,
			      json_pack("{s:s, s:s, s:f}", "name", "mem",
					"role", "*", "scalar", o->res.mem));
	json_array_append_new(res,
			      json_pack("{s:s, s:s, s:f}", "name", "disk",
					"role", "*", "scalar", o->res.disk));
	if (o->res.nranges > 0) {
		ranges = json_array();
		for (i = 0; i < o->res.nranges; i++)
			json_array_append_new(
			    ranges,
			    json_pack("{s:I, s:I}", "begin",
				      (json_int_t)o->res.ports[i].begin, "end",
				      (json_int_t)o->res.ports[i].end));
		json_array_append_new(res, json_pack("{s:s, s:s, s:o}", "name",
						     "ports", "role", "*",
						     "ranges", ranges));
	}
	/* A copy: jansson iterates only non-const objects. */
	copy = o->attributes != NULL ? json_deep_copy(o->attributes) : NULL;
	json_object_foreach(copy, k, v) {
		if (json_is_string(v))
			json_array_append_new(
			    attrs, json_pack("{s:s, s:s}", "name", k, "text",
					     json_string_value(v)));
	}
	json_decref(copy);
	return json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", o->id, "agentId",
			 o->agent_id, "hostname",
			 o->hostname != NULL ? o->hostname : "", "resources",
			 res, "attributes", attrs);
}

void
sched_offer_done(struct sched *s, const struct sched_rapp *ra,
		 const struct fw_offer *o, int n)
{
	struct offer_app *e = offer_entry(s->offer, ra);
	long long now = loop_wall_ms();
	char iso[SCHED_ISO_LEN];
	json_t *prev;
	int reason;

	if (e->since_ms == 0)
		e->since_ms = now;
	e->processed++;
	if (n > 0) {
		e->last_used_ms = now;
		json_object_set_new(e->last_by_agent, o->agent_id,
				    json_integer(-1));
		e->reason = -1;
		return;
	}
	reason = e->reason >= 0 && e->reason < QR_N ? e->reason : QR_CPUS;
	e->unused++;
	e->last_unused_ms = now;
	e->declined[reason]++;
	prev = json_object_get(e->last_by_agent, o->agent_id);
	if (prev == NULL || json_integer_value(prev) != reason)
		log_debug("app=%s offer from %s not used: %s%s%s", e->id,
			  o->hostname, offer_reason_names[reason],
			  reason == QR_CONSTRAINT ? ": " : "",
			  reason == QR_CONSTRAINT ? e->detail : "");
	json_object_set_new(e->last_by_agent, o->agent_id,
			    json_integer(reason));
	json_time_iso(now, iso);
	json_array_append_new(
	    e->last_unused,
	    json_pack("{s:o, s:[s], s:s}", "offer", offer_json(o), "reason",
		      offer_reason_names[reason], "timestamp", iso));
	if (json_array_size(e->last_unused) > SCHED_OFFER_LAST_UNUSED)
		json_array_remove(e->last_unused, 0);
	e->reason = -1;
}

/* The funnel: [{"reason", "declined", "processed"}] for total offers of
 * which declined[r] were refused at step r. */
static json_t *
offer_funnel(int total, const int *declined)
{
	json_t *a = json_array();
	int r, left = total;

	for (r = 0; r < QR_N; r++) {
		json_array_append_new(a, json_pack("{s:s, s:i, s:i}", "reason",
						   offer_reason_names[r],
						   "declined", declined[r],
						   "processed", left));
		left -= declined[r];
		if (left < 0)
			left = 0;
	}
	return a;
}

static json_t *
offer_summary(struct offer_app *e)
{
	int last[QR_N], nlast = 0;
	const char *k;
	json_t *v, *j;
	char iso[SCHED_ISO_LEN];

	memset(last, 0, sizeof last);
	json_object_foreach(e->last_by_agent, k, v) {
		json_int_t r = json_integer_value(v);

		nlast++;
		if (r >= 0 && r < QR_N)
			last[r]++;
	}
	j = json_pack("{s:i, s:i}", "processedOffersCount", e->processed,
		      "unusedOffersCount", e->unused);
	if (e->last_unused_ms > 0) {
		json_time_iso(e->last_unused_ms, iso);
		json_object_set_new(j, "lastUnusedOfferAt", json_string(iso));
	}
	if (e->last_used_ms > 0) {
		json_time_iso(e->last_used_ms, iso);
		json_object_set_new(j, "lastUsedOfferAt", json_string(iso));
	}
	json_object_set_new(j, "rejectSummaryLastOffers",
			    offer_funnel(nlast, last));
	json_object_set_new(j, "rejectSummaryLaunchAttempt",
			    offer_funnel(e->processed, e->declined));
	return j;
}

long long
sched_offer_attempt(struct sched *s, const struct sched_rapp *ra,
		    json_t **summary, json_t **last_unused)
{
	struct offer_app *e = offer_entry(s->offer, ra);

	if (e->since_ms == 0)
		e->since_ms = loop_wall_ms();
	*summary = offer_summary(e);
	if (last_unused != NULL)
		*last_unused = json_deep_copy(e->last_unused);
	return e->since_ms;
}

void
sched_offer_attempt_end(struct sched *s, const struct sched_rapp *ra)
{
	struct offer_app *e = idmap_get(s->offer->apps, sched_app_id(ra->app));

	if (e != NULL && e->since_ms != 0)
		offer_attempt_reset(e);
}
