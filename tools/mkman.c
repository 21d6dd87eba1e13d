/*
 * mkman.c: writes clusterd(8) to stdout from the template pkg/clusterd.8.in,
 * replacing the line ".\" @OPTIONS@" with one entry per flag of the table in
 * cmd/cmd_flags.c, the same table that parses the flags and prints --help.
 * The build links it with cmd_flags.o, so the man page cannot drift from the
 * binary: a flag added to the table appears in both at the next build.
 *
 *   mkman TEMPLATE VERSION > clusterd.8
 *
 * @VERSION@ and @DATE@ in the template are replaced too; the date is
 * $SOURCE_DATE_EPOCH's when set (reproducible builds), else today's. A build
 * tool, not part of the daemon: it may print and exit as it likes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd_flags.h"
#include "lib/cfg.h"

/* Text for roff: backslashes doubled, '-' as \-, no control character
 * at the start of a line. */
static void
roff(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else if (*s == '-')
			fputs("\\-", stdout);
		else
			putchar(*s);
	}
}

static const char *
mkman_value(const struct cfg_opt *o)
{
	switch (o->type) {
	case CFG_FLAG:
		return NULL;
	case CFG_INT:
		return "n";
	case CFG_PORT:
		return "port";
	case CFG_DURATION:
		return "duration";
	case CFG_ENUM:
		return o->choices;
	case CFG_STR:
		break;
	}
	return "value";
}

static void
mkman_roles(unsigned roles)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
	    {CD_ROLE_AIO, "all-in-one"},
	    {CD_ROLE_MASTER, "master"},
	    {CD_ROLE_AGENT, "agent"},
	};
	size_t i;
	int n = 0;

	if (roles == 0)
		return;
	fputs(" Used by: ", stdout);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (!(roles & names[i].bit))
			continue;
		fputs(n++ ? ", " : "", stdout);
		roff(names[i].name);
	}
	putchar('.');
}

static void
mkman_options(void)
{
	size_t n, i;
	const struct cfg_opt *opts = cmd_flags_table(&n);

	for (i = 0; i < n; i++) {
		const struct cfg_opt *o = &opts[i];
		const char *v = mkman_value(o);
		char env[80];
		size_t k;

		fputs(".TP\n", stdout);
		if (v == NULL) {
			fputs(".B \\-\\-", stdout);
			roff(o->name);
		} else {
			fputs(".BI \\-\\-", stdout);
			roff(o->name);
			fputs("= ", stdout);
			roff(v);
		}
		putchar('\n');
		roff(o->help);
		putchar('.');
		if (o->def != NULL && o->def[0] != '\0') {
			fputs(" Default: \\fB", stdout);
			roff(o->def);
			fputs("\\fR.", stdout);
		}
		for (k = 0; o->name[k] != '\0' && k < sizeof env - 1; k++) {
			char c = o->name[k];

			/* As lib/cfg spells it: upper case, '-' as '_'. */
			env[k] = c == '-'		 ? '_'
				 : (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A')
							  : c;
		}
		env[k] = '\0';
		if (strcmp(o->name, "help") != 0 &&
		    strcmp(o->name, "version") != 0) {
			fputs(" Environment: \\fBCLUSTERD_", stdout);
			roff(env);
			fputs("\\fR.", stdout);
		}
		mkman_roles(o->roles);
		putchar('\n');
	}
}

static void
mkman_subst(const char *line, const char *version, const char *date)
{
	const char *p = line, *q;

	while ((q = strchr(p, '@')) != NULL) {
		fwrite(p, 1, (size_t)(q - p), stdout);
		if (strncmp(q, "@VERSION@", 9) == 0) {
			fputs(version, stdout);
			p = q + 9;
		} else if (strncmp(q, "@DATE@", 6) == 0) {
			fputs(date, stdout);
			p = q + 6;
		} else {
			putchar('@');
			p = q + 1;
		}
	}
	fputs(p, stdout);
}

int
main(int argc, char **argv)
{
	char line[4096], date[32];
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	time_t t = sde != NULL ? (time_t)strtoll(sde, NULL, 10) : time(NULL);
	struct tm tm;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: mkman TEMPLATE VERSION\n");
		return 2;
	}
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof date, "%Y-%m-%d", &tm) == 0)
		return 1;
	if ((f = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, ".\\\" @OPTIONS@", 13) == 0)
			mkman_options();
		else
			mkman_subst(line, argv[2], date);
	}
	fclose(f);
	return fflush(stdout) == 0 ? 0 : 1;
}
