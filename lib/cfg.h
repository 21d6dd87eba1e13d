/*
 * cfg.h: table-driven configuration parsing (STYLE B24). A table of options
 * describes each flag once; cfg_parse() fills a caller struct from the
 * command line, then CLUSTERD_<FLAG> environment variables, then files
 * <config_dir>/<flag>, then defaults, in that precedence. Errors are
 * accumulated so one run reports them all. Pure: the environment and the
 * file reader are passed in as functions, so tests and fuzzers need no I/O.
 */
#ifndef CLUSTERD_LIB_CFG_H
#define CLUSTERD_LIB_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

enum cfg_type {
	CFG_FLAG,     /* bool, "--x" alone means true */
	CFG_STR,      /* char * (owned by the struct, freed by cfg_release) */
	CFG_INT,      /* int, >= 0 */
	CFG_PORT,     /* int, 0..65535 */
	CFG_DURATION, /* long long milliseconds: "500ms", "10secs", "2mins" */
	CFG_ENUM,     /* char *, one of the '|'-separated choices */
};

struct cfg_opt {
	const char *name; /* "work_dir" */
	enum cfg_type type;
	size_t offset;	     /* offsetof the field in the config struct */
	const char *def;     /* default as text, or NULL */
	const char *choices; /* CFG_ENUM: "lmdb|zk|in_memory" */
	unsigned roles;	     /* mask of roles using it; 0 = every role */
	const char *help;
};

/* Where the value of an option came from. */
enum cfg_source { CFG_SRC_DEFAULT, CFG_SRC_FILE, CFG_SRC_ENV, CFG_SRC_ARGV };

typedef const char *cfg_getenv_fn(const char *name);
/* Read a whole small file into out; 0, or -ENOENT when absent. */
typedef int cfg_readfile_fn(const char *path, struct buf *out);

/*
 * Parse argv (argv[0] skipped) into conf according to opts. Values given
 * for options not in role_mask are ignored with one line in warnings.
 * Returns 0, or -EINVAL with every problem, one per line, in errors.
 * seen[i] (optional, CD_NELEM(opts) entries) reports each option's source.
 */
int cfg_parse(const struct cfg_opt *opts, size_t nopts, void *conf, int argc,
	      char **argv, cfg_getenv_fn *getenv_fn,
	      cfg_readfile_fn *readfile_fn, const char *config_dir,
	      struct buf *errors, struct buf *warnings, enum cfg_source *seen);
/* Free the CFG_STR/CFG_ENUM strings in conf. */
void cfg_release(const struct cfg_opt *opts, size_t nopts, void *conf);
/* Append the help text for opts. */
void cfg_help(const struct cfg_opt *opts, size_t nopts, struct buf *out);
/*
 * The value of o in conf as text, appended to out: "true"/"false", the
 * number, the string, a duration in the largest unit that keeps it whole
 * ("15secs", "10mins", "500ms"), as Mesos' /master/state "flags" shows
 * them. false (out untouched) for a string option that is not set.
 */
bool cfg_value(const struct cfg_opt *o, const void *conf, struct buf *out);
/* "500ms", "10secs", "2mins", "1hrs", "3days", or a bare number of seconds. */
int cfg_parse_duration(const char *s, long long *ms);

#endif
