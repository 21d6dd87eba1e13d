/*
 * cfg.c: option tables to struct fields. Pure: getenv and file reads are
 * injected. Each option is resolved from exactly one source, the first of
 * argv, environment, file, default that has it; an option given twice on
 * the command line takes the last value, as Mesos did.
 */
#include "cfg.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* v units of mult milliseconds; -EINVAL beyond long long (UB to convert). */
static int
cfg_to_ms(double v, double mult, long long *ms)
{
	double d = v * mult;

	if (!(d < 0x1p63))
		return -EINVAL;
	*ms = (long long)d;
	return 0;
}

int
cfg_parse_duration(const char *s, long long *ms)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {
	    {"ns", 1e-6},    {"us", 1e-3},	 {"ms", 1},
	    {"secs", 1000},  {"sec", 1000},	 {"s", 1000},
	    {"mins", 60000}, {"min", 60000},	 {"hrs", 3600000},
	    {"hr", 3600000}, {"days", 86400000}, {"weeks", 604800000},
	};
	char *end;
	double v;
	size_t i;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || v < 0 || v != v || v > 1e12)
		return -EINVAL;
	if (*end == '\0')
		return cfg_to_ms(v, 1000, ms);
	for (i = 0; i < CD_NELEM(units); i++)
		if (strcmp(end, units[i].unit) == 0)
			return cfg_to_ms(v, units[i].mult, ms);
	return -EINVAL;
}

static int
cfg_parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
cfg_enum_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;

	while (*p != '\0') {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, v, n) == 0)
			return 1;
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	return 0;
}

/* Store text value v into the field of o; report problems in errors. */
static int
cfg_set(const struct cfg_opt *o, void *conf, const char *v, const char *src,
	struct buf *errors)
{
	char *field = (char *)conf + o->offset;
	long iv;
	long long ms;

	switch (o->type) {
	case CFG_FLAG:
		if (v == NULL || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			*(bool *)field = true;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			*(bool *)field = false;
		else
			goto bad;
		return 0;
	case CFG_STR:
	case CFG_ENUM:
		if (v == NULL)
			goto bad;
		if (o->type == CFG_ENUM && !cfg_enum_ok(o->choices, v)) {
			buf_printf(errors,
				   "invalid value '%s' for --%s (from %s): "
				   "expected one "
				   "of %s\n",
				   v, o->name, src, o->choices);
			return -EINVAL;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(v);
		return 0;
	case CFG_INT:
		if (cfg_parse_int(v, 0, INT32_MAX, &iv) != 0)
			goto bad;
		*(int *)field = (int)iv;
		return 0;
	case CFG_PORT:
		if (cfg_parse_int(v, 0, 65535, &iv) != 0)
			goto bad;
		*(int *)field = (int)iv;
		return 0;
	case CFG_DURATION:
		if (cfg_parse_duration(v, &ms) != 0)
			goto bad;
		*(long long *)field = ms;
		return 0;
	}
bad:
	buf_printf(errors,
		   "invalid value '%s' for --%s (from %s): expected %s\n",
		   v ? v : "(none)", o->name, src,
		   o->type == CFG_FLAG	 ? "true or false"
		   : o->type == CFG_PORT ? "a port number 0-65535"
		   : o->type == CFG_INT	 ? "a non-negative integer"
		   : o->type == CFG_DURATION
		       ? "a duration such as 500ms, 10secs, 2mins"
		       : "a value");
	return -EINVAL;
}

bool
cfg_value(const struct cfg_opt *o, const void *conf, struct buf *out)
{
	static const struct {
		const char *unit;
		long long ms;
	} units[] = {{"weeks", 604800000},
		     {"days", 86400000},
		     {"hrs", 3600000},
		     {"mins", 60000},
		     {"secs", 1000}};
	const char *field = (const char *)conf + o->offset;
	long long ms;
	size_t i;

	switch (o->type) {
	case CFG_FLAG:
		buf_puts(out, *(const bool *)field ? "true" : "false");
		return true;
	case CFG_STR:
	case CFG_ENUM:
		if (*(char *const *)field == NULL)
			return false;
		buf_puts(out, *(char *const *)field);
		return true;
	case CFG_INT:
	case CFG_PORT:
		buf_printf(out, "%d", *(const int *)field);
		return true;
	case CFG_DURATION:
		ms = *(const long long *)field;
		for (i = 0; ms != 0 && i < CD_NELEM(units); i++)
			if (ms % units[i].ms == 0) {
				buf_printf(out, "%lld%s", ms / units[i].ms,
					   units[i].unit);
				return true;
			}
		buf_printf(out, "%lldms", ms);
		return true;
	}
	return false;
}

static const struct cfg_opt *
cfg_find(const struct cfg_opt *opts, size_t nopts, const char *name, size_t len,
	 size_t *idx)
{
	size_t i;

	for (i = 0; i < nopts; i++) {
		if (strlen(opts[i].name) == len &&
		    strncmp(opts[i].name, name, len) == 0) {
			*idx = i;
			return &opts[i];
		}
	}
	return NULL;
}

/* Trim trailing whitespace (a file usually ends with a newline). */
static void
cfg_chomp(struct buf *b)
{
	while (b->len > 0 && isspace((unsigned char)b->data[b->len - 1]))
		b->data[--b->len] = '\0';
}

int
cfg_parse(const struct cfg_opt *opts, size_t nopts, void *conf, int argc,
	  char **argv, cfg_getenv_fn *getenv_fn, cfg_readfile_fn *readfile_fn,
	  const char *config_dir, struct buf *errors, struct buf *warnings,
	  enum cfg_source *seen)
{
	unsigned char *given = xcalloc(nopts, 1);
	struct buf fb = BUF_INIT;
	size_t start = errors->len, i;
	int a, rc = 0;

	for (a = 1; a < argc; a++) {
		const char *arg = argv[a], *name, *eq, *val = NULL;
		const struct cfg_opt *o;
		size_t idx = 0, len;

		if (strncmp(arg, "--", 2) != 0) {
			buf_printf(errors,
				   "unexpected argument '%s': flags "
				   "look like --name=value\n",
				   arg);
			continue;
		}
		name = arg + 2;
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		o = cfg_find(opts, nopts, name, len, &idx);
		if (o == NULL) {
			buf_printf(errors,
				   "unknown flag '--%.*s' (see --help "
				   "for the valid flags)\n",
				   (int)len, name);
			continue;
		}
		if (eq != NULL)
			val = eq + 1;
		else if (o->type != CFG_FLAG) {
			if (a + 1 < argc && strncmp(argv[a + 1], "--", 2) != 0)
				val = argv[++a];
			else {
				buf_printf(errors, "flag --%s needs a value\n",
					   o->name);
				continue;
			}
		}
		if (cfg_set(o, conf, val, "command line", errors) == 0) {
			given[idx] = CFG_SRC_ARGV + 1;
		}
	}
	for (i = 0; i < nopts; i++) {
		char env[96], path[512], upper[80];
		const char *v;
		size_t k;
		int n;

		if (given[i])
			continue;
		/* A shell or an EnvironmentFile cannot set a name with '-'. */
		for (k = 0; opts[i].name[k] && k < sizeof upper - 1; k++)
			upper[k] =
			    opts[i].name[k] == '-'
				? '_'
				: (char)toupper((unsigned char)opts[i].name[k]);
		upper[k] = '\0';
		n = snprintf(env, sizeof env, "CLUSTERD_%s", upper);
		if (n > 0 && (size_t)n < sizeof env && getenv_fn != NULL &&
		    (v = getenv_fn(env)) != NULL) {
			if (cfg_set(&opts[i], conf, v, env, errors) == 0)
				given[i] = CFG_SRC_ENV + 1;
			continue;
		}
		n = snprintf(path, sizeof path, "%s/%s",
			     config_dir ? config_dir : "/etc/clusterd",
			     opts[i].name);
		if (n > 0 && (size_t)n < sizeof path && readfile_fn != NULL &&
		    readfile_fn(path, &fb) == 0) {
			cfg_chomp(&fb);
			if (cfg_set(&opts[i], conf, buf_str(&fb), path,
				    errors) == 0)
				given[i] = CFG_SRC_FILE + 1;
			buf_reset(&fb);
			continue;
		}
		if (opts[i].def != NULL)
			cfg_set(&opts[i], conf, opts[i].def, "default", errors);
	}
	for (i = 0; seen != NULL && i < nopts; i++)
		seen[i] = given[i] ? (enum cfg_source)(given[i] - 1)
				   : CFG_SRC_DEFAULT;
	(void)warnings;
	if (errors->len > start)
		rc = -EINVAL;
	buf_release(&fb);
	free(given);
	return rc;
}

void
cfg_release(const struct cfg_opt *opts, size_t nopts, void *conf)
{
	size_t i;

	for (i = 0; i < nopts; i++) {
		if (opts[i].type == CFG_STR || opts[i].type == CFG_ENUM) {
			char **f = (char **)((char *)conf + opts[i].offset);

			free(*f);
			*f = NULL;
		}
	}
}

void
cfg_help(const struct cfg_opt *opts, size_t nopts, struct buf *out)
{
	size_t i;

	for (i = 0; i < nopts; i++) {
		char left[64];
		int n = snprintf(left, sizeof left, "--%s%s", opts[i].name,
				 opts[i].type == CFG_FLAG ? "" : "=VALUE");

		if (n < 0 || (size_t)n >= sizeof left)
			left[sizeof left - 1] = '\0';
		buf_printf(out, "  %-28s %s", left, opts[i].help);
		if (opts[i].choices != NULL)
			buf_printf(out, " (%s)", opts[i].choices);
		if (opts[i].def != NULL && opts[i].def[0] != '\0')
			buf_printf(out, " [default: %s]", opts[i].def);
		buf_puts(out, "\n");
	}
}
