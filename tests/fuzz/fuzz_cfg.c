/*
 * fuzz_cfg.c: flag values through lib/cfg with the real option table of
 * cmd/cmd_flags.c (cmd_flags_table()). The input is split into lines:
 *   "CLUSTERD_NAME=value"  an environment variable,
 *   "file:name=value"      the file <config_dir>/name holding value,
 *   anything else          one argv entry (argv[0] is "clusterd").
 * As cmd_flags_parse() does, "--master=ADDR" entries are taken out of argv
 * before cfg_parse(), and a parsed --resources is checked with res_parse().
 * Every value that parses must respect its option's type, the error text
 * must be empty exactly when cfg_parse() returns 0, and every duration that
 * parses must be a non-negative number of milliseconds. Built with
 * -fsanitize=fuzzer by `make fuzz`, or with -DTEST_DRIVER as a replay tool
 * over tests/fuzz/corpus/cfg/ by `make replay`.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd_flags.h"
#include "lib/buf.h"
#include "lib/cfg.h"
#include "lib/resources.h"
#include "lib/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CONFIG_DIR "/fuzz/etc"
#define FUZZ_MAX_LINES 128

/* The environment and the config files of one input; borrowed lines. */
struct fuzz_src {
	char *env[FUZZ_MAX_LINES]; /* borrowed: "CLUSTERD_X=v" */
	size_t nenv;
	char *file[FUZZ_MAX_LINES]; /* borrowed: "name=v" */
	size_t nfile;
};

/* cfg_getenv_fn and cfg_readfile_fn carry no context: one input at a time. */
static const struct fuzz_src *fuzz_cur;
static char fuzz_argv0[] = "clusterd";

static const char *
fuzz_lookup(const char *name)
{
	size_t i, n = strlen(name);

	/* The last definition wins, as with a repeated setenv(). */
	for (i = fuzz_cur->nenv; i > 0; i--) {
		const char *e = fuzz_cur->env[i - 1];

		if (strncmp(e, name, n) == 0 && e[n] == '=')
			return e + n + 1;
	}
	return NULL;
}

/* As cmd_getenv(): CLUSTERD_MASTER may hold the agent's master address. */
static const char *
fuzz_getenv(const char *name)
{
	const char *v = fuzz_lookup(name);

	if (v != NULL && strcmp(name, "CLUSTERD_MASTER") == 0 &&
	    strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
		return NULL;
	return v;
}

static int
fuzz_readfile(const char *path, struct buf *out)
{
	const char *name;
	size_t i, n, dl = strlen(FUZZ_CONFIG_DIR);

	CD_ASSERT(strncmp(path, FUZZ_CONFIG_DIR "/", dl + 1) == 0);
	name = path + dl + 1;
	n = strlen(name);
	for (i = fuzz_cur->nfile; i > 0; i--) {
		const char *f = fuzz_cur->file[i - 1];

		if (strncmp(f, name, n) == 0 && f[n] == '=') {
			buf_puts(out, f + n + 1);
			return 0;
		}
	}
	return -ENOENT;
}

static bool
fuzz_enum_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p = choices;

	for (;;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, v, n) == 0)
			return true;
		if (bar == NULL)
			return false;
		p = bar + 1;
	}
}

/* Each field holds what its type allows. */
static void
fuzz_check_conf(const struct cfg_opt *opts, size_t nopts, const void *conf,
		const enum cfg_source *seen)
{
	size_t i;

	for (i = 0; i < nopts; i++) {
		const char *f = (const char *)conf + opts[i].offset;
		const char *s;
		int iv;
		long long ms;

		CD_ASSERT(seen[i] == CFG_SRC_DEFAULT ||
			  seen[i] == CFG_SRC_FILE || seen[i] == CFG_SRC_ENV ||
			  seen[i] == CFG_SRC_ARGV);
		switch (opts[i].type) {
		case CFG_FLAG:
			break;
		case CFG_STR:
			memcpy(&s, f, sizeof s);
			if (s != NULL)
				(void)strlen(s);
			break;
		case CFG_ENUM:
			memcpy(&s, f, sizeof s);
			CD_ASSERT(s == NULL ||
				  fuzz_enum_ok(opts[i].choices, s));
			break;
		case CFG_INT:
			memcpy(&iv, f, sizeof iv);
			CD_ASSERT(iv >= 0);
			break;
		case CFG_PORT:
			memcpy(&iv, f, sizeof iv);
			CD_ASSERT(iv >= 0 && iv <= 65535);
			break;
		case CFG_DURATION:
			memcpy(&ms, f, sizeof ms);
			CD_ASSERT(ms >= 0);
			break;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = xstrndup((const char *)data, size);
	char *argv[FUZZ_MAX_LINES + 1], *args[FUZZ_MAX_LINES + 1];
	struct buf errors = BUF_INIT, warnings = BUF_INIT;
	const struct cfg_opt *opts;
	enum cfg_source *seen;
	struct fuzz_src src;
	struct cd_config conf;
	char *line, *nl, *master = NULL;
	int argc = 0, nargs = 0, i, rc;
	size_t nopts;
	long long ms;

	opts = cmd_flags_table(&nopts);
	seen = xcalloc(nopts, sizeof *seen);
	memset(&src, 0, sizeof src);
	argv[argc++] = fuzz_argv0;
	for (line = in; line != NULL; line = nl) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl++ = '\0';
		if (strncmp(line, "CLUSTERD_", 9) == 0 && strchr(line, '=')) {
			if (src.nenv < FUZZ_MAX_LINES)
				src.env[src.nenv++] = line;
		} else if (strncmp(line, "file:", 5) == 0 &&
			   strchr(line, '=')) {
			if (src.nfile < FUZZ_MAX_LINES)
				src.file[src.nfile++] = line + 5;
		} else if (argc < FUZZ_MAX_LINES) {
			argv[argc++] = line;
		}
	}
	argv[argc] = NULL;

	/* cmd_split_master(): "--master=ADDR" names the agent's master. */
	for (i = 0; i < argc; i++) {
		if (i > 0 && strncmp(argv[i], "--master=", 9) == 0) {
			master = argv[i] + 9;
			continue;
		}
		args[nargs++] = argv[i];
	}
	args[nargs] = NULL;
	(void)master;

	fuzz_cur = &src;
	memset(&conf, 0, sizeof conf);
	rc =
	    cfg_parse(opts, nopts, &conf, nargs, args, fuzz_getenv,
		      fuzz_readfile, FUZZ_CONFIG_DIR, &errors, &warnings, seen);
	CD_ASSERT(rc == 0 || rc == -EINVAL);
	CD_ASSERT((rc == 0) == (errors.len == 0));
	fuzz_check_conf(opts, nopts, &conf, seen);
	if (conf.resources != NULL) {
		struct resources r;
		struct cd_err e;

		if (res_parse(conf.resources, &r, &e) != 0)
			CD_ASSERT(e.msg[0] != '\0');
		else
			res_free(&r);
	}
	cfg_release(opts, nopts, &conf);
	fuzz_cur = NULL;

	/* Every line on its own as a duration, the flag type with arithmetic.
	 */
	for (i = 1; i < argc; i++)
		if (cfg_parse_duration(argv[i], &ms) == 0)
			CD_ASSERT(ms >= 0);

	buf_release(&errors);
	buf_release(&warnings);
	free(seen);
	free(in);
	return 0;
}

#include "tests/fuzz/replay_main.h"
