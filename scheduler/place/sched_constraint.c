/*
 * sched_constraint.c: Marathon's placement constraints. Design: a check
 * never walks the app's tasks. The caller builds an index once per offer
 * round (per constraint, a jansson object used as a hash table from field
 * value to task count, plus the tasks lacking the field) and adds each
 * instance it places, so placing many instances on many agents costs one
 * hash lookup per constraint and instance (GROUP_BY also scans its groups
 * for the smallest one). Regexes are compiled once, here, anchored as
 * "^(value)$" so that LIKE and UNLIKE match the whole value, as Java's
 * String.matches does in Marathon.
 * Pure (STYLE B28): no I/O, no loop, no globals. Any thread that owns its
 * arguments.
 */
#include "scheduler/place/sched_constraint.h"

#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

enum sc_op {
	SC_UNIQUE,   /* no other task with the offer's value */
	SC_CLUSTER,  /* all tasks share one value (value, when given) */
	SC_GROUP_BY, /* spread evenly over the values (value: at least N) */
	SC_LIKE,     /* the value matches the regex */
	SC_UNLIKE,   /* the value does not match the regex (or is absent) */
	SC_MAX_PER,  /* at most N tasks per value */
	SC_IS,	     /* the value equals the constraint's value */
};

static const char *const sc_op_names[] = {
    "UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS"};

struct sc_one {
	char *field; /* owned */
	enum sc_op op;
	char *value;  /* owned or NULL */
	long num;     /* MAX_PER, GROUP_BY: the number (GROUP_BY: 0 = none) */
	bool has_re;  /* re is compiled */
	regex_t re;   /* LIKE, UNLIKE */
	char *text;   /* owned: ["field", "OP", "value"] for reasons */
	bool counted; /* the index keeps counts for it */
};

struct sched_constraints {
	size_t n;
	struct sc_one *v; /* owned: n entries */
};

struct sc_count {
	json_t *by_value; /* owned: value -> task count (integer) */
	size_t missing;	  /* tasks whose agent lacks the field */
};

struct sched_constraint_index {
	const struct sched_constraints *c; /* borrowed: outlives the index */
	size_t tasks;
	struct sc_count *v; /* owned: c->n entries */
};

static int
sc_number(const char *v, long min, long *out)
{
	char *end;
	long n;

	if (v == NULL || v[0] < '0' || v[0] > '9')
		return -EINVAL;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > INT_MAX)
		return -EINVAL;
	*out = n;
	return 0;
}

static int
sc_compile_one(const json_t *con, size_t i, struct sc_one *o,
	       struct cd_err *err)
{
	const char *f, *op, *v = NULL;
	size_t k, n = json_array_size(con);
	char *pat;
	int rc;

	if (!json_is_array(con) || n < 2 || n > 3 ||
	    !json_is_string(json_array_get(con, 0)) ||
	    !json_is_string(json_array_get(con, 1)) ||
	    (n == 3 && !json_is_string(json_array_get(con, 2)))) {
		cd_err_set(err, -EINVAL,
			   "constraint %zu: expected [field, operator, value?]",
			   i);
		return -EINVAL;
	}
	f = json_string_value(json_array_get(con, 0));
	op = json_string_value(json_array_get(con, 1));
	if (n == 3)
		v = json_string_value(json_array_get(con, 2));
	for (k = 0; k < sizeof sc_op_names / sizeof sc_op_names[0]; k++)
		if (strcmp(op, sc_op_names[k]) == 0)
			break;
	if (k == sizeof sc_op_names / sizeof sc_op_names[0] || f[0] == '\0') {
		cd_err_set(err, -EINVAL, "constraint %zu: unknown operator %s",
			   i, op);
		return -EINVAL;
	}
	o->field = xstrdup(f);
	o->op = (enum sc_op)k;
	o->value = v != NULL ? xstrdup(v) : NULL;
	o->text = v != NULL ? xasprintf("[\"%s\", \"%s\", \"%s\"]", f, op, v)
			    : xasprintf("[\"%s\", \"%s\"]", f, op);
	o->counted = o->op == SC_UNIQUE || o->op == SC_CLUSTER ||
		     o->op == SC_GROUP_BY || o->op == SC_MAX_PER;
	switch (o->op) {
	case SC_MAX_PER:
		if (sc_number(v, 1, &o->num) != 0) {
			cd_err_set(err, -EINVAL,
				   "constraint %zu: MAX_PER needs a positive "
				   "integer",
				   i);
			return -EINVAL;
		}
		break;
	case SC_GROUP_BY:
		o->num = 0;
		if (v != NULL && v[0] != '\0' &&
		    sc_number(v, 0, &o->num) != 0) {
			cd_err_set(err, -EINVAL,
				   "constraint %zu: GROUP_BY needs an integer",
				   i);
			return -EINVAL;
		}
		break;
	case SC_LIKE:
	case SC_UNLIKE:
		if (v == NULL)
			break; /* Marathon: never matches */
		pat = xasprintf("^(%s)$", v);
		rc = regcomp(&o->re, pat, REG_EXTENDED | REG_NOSUB);
		free(pat);
		if (rc != 0) {
			cd_err_set(
			    err, -EINVAL,
			    "constraint %zu: '%s' is not a valid regular "
			    "expression",
			    i, v);
			return -EINVAL;
		}
		o->has_re = true;
		break;
	default:
		break;
	}
	return 0;
}

int
sched_constraint_compile(const json_t *constraints,
			 struct sched_constraints **out, struct cd_err *err)
{
	struct sched_constraints *c = xcalloc(1, sizeof *c);
	size_t i,
	    n = json_is_array(constraints) ? json_array_size(constraints) : 0;
	int rc = 0;

	if (constraints != NULL && !json_is_array(constraints) &&
	    !json_is_null(constraints)) {
		cd_err_set(err, -EINVAL, "constraints: expected an array");
		rc = -EINVAL;
		goto out;
	}
	c->v = xcalloc(n + 1, sizeof *c->v);
	for (i = 0; i < n; i++) {
		rc = sc_compile_one(json_array_get(constraints, i), i, &c->v[i],
				    err);
		c->n = i + 1; /* free what was set, even on failure */
		if (rc != 0)
			goto out;
	}
out:
	if (rc != 0) {
		sched_constraint_free(c);
		c = NULL;
	}
	*out = c;
	return rc;
}

void
sched_constraint_free(struct sched_constraints *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->v[i].field);
		free(c->v[i].value);
		free(c->v[i].text);
		if (c->v[i].has_re)
			regfree(&c->v[i].re);
	}
	free(c->v);
	free(c);
}

size_t
sched_constraint_count(const struct sched_constraints *c)
{
	return c != NULL ? c->n : 0;
}

struct sched_constraint_index *
sched_constraint_index_new(const struct sched_constraints *c)
{
	struct sched_constraint_index *x = xcalloc(1, sizeof *x);
	size_t i;

	x->c = c;
	x->v = xcalloc(c->n + 1, sizeof *x->v);
	for (i = 0; i < c->n; i++)
		if (c->v[i].counted)
			x->v[i].by_value = json_object();
	return x;
}

void
sched_constraint_index_free(struct sched_constraint_index *x)
{
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < x->c->n; i++)
		json_decref(x->v[i].by_value);
	free(x->v);
	free(x);
}

/* The value of field on an agent, or NULL when it has no such attribute. */
static const char *
sc_value(const char *field, const char *hostname, const json_t *attributes)
{
	if (strcmp(field, "hostname") == 0)
		return hostname != NULL ? hostname : "";
	return json_string_value(json_object_get(attributes, field));
}

void
sched_constraint_index_add(struct sched_constraint_index *x,
			   const char *hostname, const json_t *attributes)
{
	size_t i;

	x->tasks++;
	for (i = 0; i < x->c->n; i++) {
		const struct sc_one *o = &x->c->v[i];
		const char *v;
		json_t *cnt;

		if (!o->counted)
			continue;
		v = sc_value(o->field, hostname, attributes);
		if (v == NULL) {
			x->v[i].missing++;
			continue;
		}
		cnt = json_object_get(x->v[i].by_value, v);
		if (cnt != NULL)
			json_integer_set(cnt, json_integer_value(cnt) + 1);
		else
			json_object_set_new(x->v[i].by_value, v,
					    json_integer(1));
	}
}

size_t
sched_constraint_index_tasks(const struct sched_constraint_index *x)
{
	return x->tasks;
}

static size_t
sc_count_of(const struct sc_count *k, const char *v)
{
	return (size_t)json_integer_value(json_object_get(k->by_value, v));
}

/* Marathon's checkGroupBy: a value with no task yet is always fine;
 * otherwise there must be enough groups and v's group must be a smallest. */
static bool
sc_group_by(const struct sc_one *o, const struct sc_count *k, const char *v)
{
	size_t have = sc_count_of(k, v), groups, min;
	const char *key;
	json_t *cnt;

	if (have == 0)
		return true;
	groups = json_object_size(k->by_value) + (k->missing > 0 ? 1 : 0);
	if (groups < (size_t)o->num)
		return false;
	min = k->missing > 0 ? k->missing : have;
	json_object_foreach(k->by_value, key, cnt) {
		size_t c = (size_t)json_integer_value(cnt);

		if (c < min)
			min = c;
	}
	return have == min;
}

static bool
sc_match(const struct sc_one *o, const char *v)
{
	return o->has_re && regexec(&o->re, v, 0, NULL, 0) == 0;
}

static bool
sc_accepts(const struct sc_one *o, const struct sc_count *k, size_t tasks,
	   const char *v)
{
	if (v == NULL) /* the agent lacks the attribute */
		return o->op == SC_UNLIKE;
	switch (o->op) {
	case SC_UNIQUE:
		return sc_count_of(k, v) == 0;
	case SC_CLUSTER:
		return (o->value == NULL || o->value[0] == '\0' ||
			strcmp(o->value, v) == 0) &&
		       sc_count_of(k, v) == tasks;
	case SC_GROUP_BY:
		return sc_group_by(o, k, v);
	case SC_LIKE:
		return sc_match(o, v);
	case SC_UNLIKE:
		return o->has_re && !sc_match(o, v);
	case SC_MAX_PER:
		return sc_count_of(k, v) < (size_t)o->num;
	case SC_IS:
		return o->value != NULL && strcmp(o->value, v) == 0;
	}
	return false;
}

int
sched_constraint_check(const struct sched_constraints *c,
		       const struct sched_constraint_index *x,
		       const char *hostname, const json_t *attributes,
		       char *reason, size_t reason_len)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		const struct sc_one *o = &c->v[i];
		const char *v = sc_value(o->field, hostname, attributes);

		if (sc_accepts(o, &x->v[i], x->tasks, v))
			continue;
		if (reason != NULL && reason_len > 0) {
			int w;

			if (v == NULL)
				w = snprintf(reason, reason_len,
					     "constraint %s not met: agent %s "
					     "has no attribute %s",
					     o->text,
					     hostname != NULL ? hostname : "?",
					     o->field);
			else
				w = snprintf(reason, reason_len,
					     "constraint %s not met by %s=%s",
					     o->text, o->field, v);
			if (w < 0 || (size_t)w >= reason_len)
				reason[reason_len - 1] = '\0'; /* cut */
		}
		return -EPERM;
	}
	if (reason != NULL && reason_len > 0)
		reason[0] = '\0';
	return 0;
}
