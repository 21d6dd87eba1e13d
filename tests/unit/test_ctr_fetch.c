/*
 * test_ctr_fetch.c: the fetcher's pure item list (ctr_fetch_items) and the
 * archive extraction (ctr_fetch_archive) on real archives written with
 * libarchive into a mkdtemp directory: formats and compressions, modes,
 * links inside, and every way out of the sandbox refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "containerizer/ctr_fetch_archive.h"
#include "containerizer/ctr_fetch_items.h"
#include "lib/xalloc.h"

/* ---- the item list ---- */

static json_t *
jparse(const char *s)
{
	json_t *j = json_loads(s, 0, NULL);

	assert_non_null(j);
	return j;
}

static void
test_items(void **state)
{
	struct wire_task t;
	struct ctr_fetch_items it;
	struct cd_err err;
	char key[17];

	(void)state;
	memset(&t, 0, sizeof t);
	t.fetch = jparse("[{\"uri\": \"http://h/p/pkg.tar.gz?sig=1#x\"},"
			 " {\"uri\": \"https://h/tool\", \"executable\": true},"
			 " {\"uri\": \"http://h/a.zip\", \"extract\": false, "
			 "\"cache\": true},"
			 " {\"uri\": \"file:///srv/my%20file.tgz\", "
			 "\"destPath\": \"d/x.tgz\"},"
			 " {\"uri\": \"http://h/p/pkg.tar.gz?sig=1#x\"}]");
	t.uris = jparse("[\"/opt/data.txz\", \"http://h/tool2\"]");
	assert_int_equal(ctr_fetch_items_of(&t, &it, &err), 0);
	assert_int_equal(it.n, 6); /* the same URI once */
	assert_int_equal(it.v[0].kind, CTR_FETCH_HTTP);
	assert_string_equal(it.v[0].name, "pkg.tar.gz");
	assert_true(it.v[0].extract);
	assert_true(it.v[1].executable);
	assert_false(it.v[1].extract);
	assert_false(it.v[2].extract);
	assert_true(it.v[2].cache);
	assert_int_equal(it.v[3].kind, CTR_FETCH_FILE);
	assert_string_equal(it.v[3].path, "/srv/my file.tgz");
	assert_string_equal(it.v[3].name, "d/x.tgz");
	assert_true(it.v[3].extract);
	assert_string_equal(it.v[4].path, "/opt/data.txz");
	assert_string_equal(it.v[4].name, "data.txz");
	assert_true(it.v[4].extract); /* 0.5's uris are extracted */
	assert_false(it.v[5].extract);
	ctr_fetch_items_release(&it);
	json_decref(t.fetch);
	json_decref(t.uris);

	ctr_fetch_items_cache_key("http://h/a", key);
	assert_int_equal(strlen(key), 16);
	assert_true(ctr_fetch_items_is_archive("A.TAR.BZ2"));
	assert_true(ctr_fetch_items_is_archive("x.tbz2"));
	assert_false(ctr_fetch_items_is_archive("x.gz"));
	assert_false(ctr_fetch_items_is_archive(".zip"));
}

static void
test_items_refused(void **state)
{
	static const char *const bad[][2] = {
	    {"[{\"uri\": \"s3://b/k\"}]", "unsupported URI scheme"},
	    {"[{\"uri\": \"file://otherhost/x\"}]", "only local file://"},
	    {"[{\"uri\": \"file:///a%zz\"}]", "bad escape"},
	    {"[{\"uri\": \"file:///a%00b\"}]", "bad escape"},
	    {"[{\"uri\": \"http://h/\"}]", "names no file"},
	    {"[{\"uri\": \"http://h\"}]", "names no file"},
	    {"[{\"uri\": \"http://h/a\", \"destPath\": \"../a\"}]",
	     "inside the sandbox"},
	    {"[{\"uri\": \"http://h/a\", \"destPath\": \"/etc/a\"}]",
	     "inside the sandbox"},
	    {"[{\"uri\": \"http://h/..\"}]", "inside the sandbox"},
	};
	struct wire_task t;
	struct ctr_fetch_items it;
	struct cd_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		memset(&t, 0, sizeof t);
		t.fetch = jparse(bad[i][0]);
		cd_err_clear(&err);
		assert_int_equal(ctr_fetch_items_of(&t, &it, &err), -EINVAL);
		if (strstr(err.msg, bad[i][1]) == NULL ||
		    strstr(err.msg, "Failed to fetch '") == NULL)
			fail_msg("%s: '%s' lacks '%s'", bad[i][0], err.msg,
				 bad[i][1]);
		ctr_fetch_items_release(&it);
		json_decref(t.fetch);
	}
}

/* ---- archives ---- */

struct entry {
	const char *name;
	mode_t type; /* AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR; 0: hardlink */
	int perm;
	const char *data; /* file content, or the link's target */
};

/* Write entries into path, in format (e.g. archive_write_set_format_pax)
 * with filter (e.g. archive_write_add_filter_gzip, or NULL). */
static void
write_archive(const char *path, int (*format)(struct archive *),
	      int (*filter)(struct archive *), const struct entry *e, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *ae;
	size_t i;

	assert_int_equal(format(a), ARCHIVE_OK);
	if (filter != NULL)
		assert_int_equal(filter(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_perm(ae, (mode_t)e[i].perm);
		if (e[i].type == 0) {
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_hardlink(ae, e[i].data);
		} else {
			archive_entry_set_filetype(ae, e[i].type);
		}
		if (e[i].type == AE_IFLNK)
			archive_entry_set_symlink(ae, e[i].data);
		if (e[i].type == AE_IFREG)
			archive_entry_set_size(ae,
					       (la_int64_t)strlen(e[i].data));
		if (e[i].type == AE_IFCHR)
			archive_entry_set_rdev(ae, 0x0801);
		assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
		if (e[i].type == AE_IFREG)
			assert_int_equal(
			    archive_write_data(a, e[i].data, strlen(e[i].data)),
			    (la_ssize_t)strlen(e[i].data));
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* Extract path into dest in small steps. 0 or the step's error. */
static int
extract(const char *path, const char *dest, struct cd_err *err)
{
	struct ctr_fetch_archive *x;
	struct ctr_user none;
	int rc, steps = 0;

	memset(&none, 0, sizeof none);
	if ((rc = ctr_fetch_archive_open(path, dest, &none, &x, err)) != 0)
		return rc;
	while ((rc = ctr_fetch_archive_step(x, 1, err)) > 0)
		steps++;
	ctr_fetch_archive_free(x);
	assert_true(rc < 0 || steps > 0); /* it yielded between entries */
	return rc;
}

static char *
slurp(const char *path)
{
	char buf[256];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd == -1)
		return NULL;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return xstrdup(buf);
}

struct dirs {
	char top[64];
	char box[PATH_MAX];
	char arc[PATH_MAX];
};

static int
setup(void **state)
{
	struct dirs *d = xcalloc(1, sizeof *d);

	snprintf(d->top, sizeof d->top, "/tmp/test_ctr_fetch.XXXXXX");
	assert_non_null(mkdtemp(d->top));
	snprintf(d->box, sizeof d->box, "%s/sandbox", d->top);
	assert_int_equal(mkdir(d->box, 0750), 0);
	*state = d;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	struct dirs *d = *state;
	int rc = nftw(d->top, rm_one, 16, FTW_DEPTH | FTW_PHYS);

	free(d);
	return rc;
}

static void
test_extract_formats(void **state)
{
	static const struct entry good[] = {
	    {"d/", AE_IFDIR, 0755, NULL},
	    {"d/f", AE_IFREG, 0644, "file\n"},
	    {"d/x", AE_IFREG, 0755, "#!/bin/sh\n"},
	    {"d/link", AE_IFLNK, 0777, "f"},
	    {"d/up", AE_IFLNK, 0777, "../d/f"},
	    {"d/hard", 0, 0644, "d/f"},
	    {"su", AE_IFREG, 04755, "setuid\n"},
	};
	struct dirs *d = *state;
	struct cd_err err;
	struct stat st;
	char *p, *s;

	snprintf(d->arc, sizeof d->arc, "%s/good.tar.gz", d->top);
	write_archive(d->arc, archive_write_set_format_pax_restricted,
		      archive_write_add_filter_gzip, good,
		      sizeof good / sizeof *good);
	assert_int_equal(extract(d->arc, d->box, &err), 0);
	p = xasprintf("%s/d/link", d->box);
	s = slurp(p);
	assert_string_equal(s, "file\n");
	free(s);
	free(p);
	p = xasprintf("%s/d/x", d->box);
	assert_int_equal(stat(p, &st), 0);
	assert_true(st.st_mode & 0100);
	free(p);
	p = xasprintf("%s/su", d->box);
	assert_int_equal(stat(p, &st), 0);
	assert_false(st.st_mode & (S_ISUID | S_ISGID)); /* never kept */
	free(p);
	p = xasprintf("%s/d/hard", d->box);
	s = slurp(p);
	assert_string_equal(s, "file\n");
	free(s);
	free(p);

	/* bzip2 and xz tars, and zip */
	snprintf(d->arc, sizeof d->arc, "%s/b.tar.bz2", d->top);
	write_archive(d->arc, archive_write_set_format_gnutar,
		      archive_write_add_filter_bzip2, good + 1, 1);
	assert_int_equal(extract(d->arc, d->box, &err), 0);
	snprintf(d->arc, sizeof d->arc, "%s/x.tar.xz", d->top);
	write_archive(d->arc, archive_write_set_format_ustar,
		      archive_write_add_filter_xz, good + 2, 1);
	assert_int_equal(extract(d->arc, d->box, &err), 0);
	snprintf(d->arc, sizeof d->arc, "%s/z.zip", d->top);
	write_archive(d->arc, archive_write_set_format_zip, NULL, good + 1, 1);
	assert_int_equal(extract(d->arc, d->box, &err), 0);

	/* not an archive */
	p = xasprintf("%s/d/f", d->box);
	assert_true(extract(p, d->box, &err) < 0);
	free(p);
}

static void
test_extract_refusals(void **state)
{
	static const struct {
		struct entry e[2];
		size_t n;
		const char *why;
	} bad[] = {
	    {{{"../escape", AE_IFREG, 0644, "x"}}, 1, "leave the sandbox"},
	    {{{"a/../../escape", AE_IFREG, 0644, "x"}}, 1, "leave the sandbox"},
	    {{{"/abs", AE_IFREG, 0644, "x"}}, 1, "leave the sandbox"},
	    {{{"l", AE_IFLNK, 0777, "/etc"}}, 1, "points out"},
	    {{{"d/l", AE_IFLNK, 0777, "../../x"}}, 1, "points out"},
	    {{{"h", 0, 0644, "../../etc/passwd"}}, 1, "hard link"},
	    {{{"dev", AE_IFCHR, 0666, NULL}}, 1, "not a file"},
	    {{{"fifo", AE_IFIFO, 0666, NULL}}, 1, "not a file"},
	};
	struct dirs *d = *state;
	struct cd_err err;
	char *p;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(d->arc, sizeof d->arc, "%s/bad%zu.tar", d->top, i);
		write_archive(d->arc, archive_write_set_format_pax_restricted,
			      NULL, bad[i].e, bad[i].n);
		cd_err_clear(&err);
		assert_true(extract(d->arc, d->box, &err) < 0);
		if (strstr(err.msg, bad[i].why) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg,
				 bad[i].why);
	}
	p = xasprintf("%s/escape", d->top);
	assert_int_equal(access(p, F_OK), -1);
	free(p);
}

static void
test_link_rules(void **state)
{
	(void)state;
	assert_true(ctr_fetch_archive_link_ok("a/b/l", "../c"));
	assert_true(ctr_fetch_archive_link_ok("l", "x/y"));
	assert_false(ctr_fetch_archive_link_ok("l", "../x"));
	assert_false(ctr_fetch_archive_link_ok("a/l", "../../x"));
	assert_false(ctr_fetch_archive_link_ok("a/l", "/x"));
	assert_false(ctr_fetch_archive_link_ok("a/l", ""));
	assert_false(ctr_fetch_archive_link_ok("../l", "x"));
	assert_true(ctr_fetch_archive_name_ok("./a/b"));
	assert_false(ctr_fetch_archive_name_ok("a/../../b"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_items),
	    cmocka_unit_test(test_items_refused),
	    cmocka_unit_test(test_link_rules),
	    cmocka_unit_test_setup_teardown(test_extract_formats, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_extract_refusals, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
