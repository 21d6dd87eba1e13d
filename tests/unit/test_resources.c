/*
 * test_resources.c: lib/resources parsing, formatting, arithmetic on
 * scalars and port ranges, and the JSON round trip.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/resources.h"

static struct resources
parse_ok(const char *s)
{
	struct cd_err err = {0};
	struct resources r;

	if (res_parse(s, &r, &err) != 0)
		fail_msg("res_parse(%s): %s", s, err.msg);
	return r;
}

static void
assert_parse_fails(const char *s, const char *needle)
{
	struct cd_err err = {0};
	struct resources r;

	assert_int_equal(res_parse(s, &r, &err), -EINVAL);
	if (strstr(err.msg, needle) == NULL)
		fail_msg("res_parse(%s): '%s' lacks '%s'", s, err.msg, needle);
}

static void
assert_res_equal(const struct resources *a, const struct resources *b)
{
	int i;

	assert_true(a->cpus == b->cpus);
	assert_true(a->mem == b->mem);
	assert_true(a->disk == b->disk);
	assert_int_equal(a->nranges, b->nranges);
	for (i = 0; i < a->nranges; i++) {
		assert_int_equal(a->ports[i].begin, b->ports[i].begin);
		assert_int_equal(a->ports[i].end, b->ports[i].end);
	}
}

static void
test_parse(void **state)
{
	struct resources r;

	(void)state;
	r = parse_ok("cpus:4;mem:8192;disk:10000;ports:[31000-32000]");
	assert_true(r.cpus == 4 && r.mem == 8192 && r.disk == 10000);
	assert_int_equal(r.nranges, 1);
	assert_int_equal(r.ports[0].begin, 31000);
	assert_int_equal(r.ports[0].end, 32000);
	assert_int_equal(res_port_count(&r), 1001);
	res_free(&r);

	r = parse_ok(" cpus : 0.5 ; ports:[ 5-9 , 1-2 ,3-3] ;");
	assert_true(r.cpus == 0.5 && r.mem == 0 && r.disk == 0);
	assert_int_equal(r.nranges, 2); /* 1-2 and 3 merge; 5-9 stays */
	assert_int_equal(r.ports[0].begin, 1);
	assert_int_equal(r.ports[0].end, 3);
	assert_int_equal(r.ports[1].begin, 5);
	assert_int_equal(r.ports[1].end, 9);
	res_free(&r);

	r = parse_ok("ports:[1-2,5-9]");
	assert_int_equal(r.nranges, 2);
	res_free(&r);
	r = parse_ok("cpus(*):2;ports:[80]");
	assert_true(r.cpus == 2);
	assert_int_equal(r.ports[0].begin, 80);
	assert_int_equal(r.ports[0].end, 80);
	res_free(&r);
	r = parse_ok("");
	assert_true(res_is_empty(&r));
	r = parse_ok("ports:[]");
	assert_int_equal(r.nranges, 0);
	assert_null(r.ports);
	r = parse_ok("cpus:0.1234");
	assert_true(r.cpus == 0.123); /* Mesos' 0.001 grid */
}

static void
test_parse_refuses(void **state)
{
	(void)state;
	assert_parse_fails("cpus:-1", "cpus");
	assert_parse_fails("cpus:nan", "cpus");
	assert_parse_fails("mem:inf", "mem");
	assert_parse_fails("mem:12abc", "not a number");
	assert_parse_fails("mem:", "not a number");
	assert_parse_fails("gpus:1", "unknown resource 'gpus'");
	assert_parse_fails("cpus(web):1", "unknown resource");
	assert_parse_fails("cpus", "name:value");
	assert_parse_fails("cpus:1;cpus:2", "twice");
	assert_parse_fails("ports:[9-5]", "begin > end");
	assert_parse_fails("ports:[1-65536]", "above 65535");
	assert_parse_fails("ports:[99999999999999999999]", "above 65535");
	assert_parse_fails("ports:31000-32000", "[31000-32000]");
	assert_parse_fails("ports:[1-2,]", "bad port range");
	assert_parse_fails("ports:[-1-2]", "bad port range");
	assert_parse_fails("ports:[1-2] x", "trailing");
	assert_parse_fails("ports:[1-2", "bad port range");
	/* After ports were parsed (their ranges are freed: ASan checks). */
	assert_parse_fails("ports:[1-2,4-5,7-9];gpus:1", "unknown resource");
}

static void
test_format_round_trip(void **state)
{
	struct buf b = BUF_INIT;
	struct resources r, back;

	(void)state;
	r = parse_ok("cpus:1.5;mem:1048576;disk:0;ports:[1-2,5-9]");
	res_format(&r, &b);
	assert_string_equal(buf_str(&b),
			    "cpus:1.5;mem:1048576;disk:0;ports:[1-2,5-9]");
	back = parse_ok(buf_str(&b));
	assert_res_equal(&r, &back);
	buf_release(&b);
	res_free(&r);
	res_free(&back);
}

static void
test_add_sub(void **state)
{
	struct resources a, b, c;

	(void)state;
	a = parse_ok("cpus:4;mem:1024;ports:[100-200]");
	b = parse_ok("cpus:1;mem:24;ports:[100-100,150-160,200-200]");
	assert_true(res_contains(&a, &b));
	res_copy(&c, &a);
	assert_int_equal(res_sub(&c, &b), 0);
	assert_true(c.cpus == 3 && c.mem == 1000);
	assert_int_equal(c.nranges, 2);
	assert_int_equal(c.ports[0].begin, 101);
	assert_int_equal(c.ports[0].end, 149);
	assert_int_equal(c.ports[1].begin, 161);
	assert_int_equal(c.ports[1].end, 199);
	assert_false(res_contains(&c, &b));
	assert_int_equal(res_sub(&c, &b), -ERANGE);
	res_add(&c, &b);
	assert_res_equal(&c, &a);
	res_free(&b);
	res_free(&c);

	/* Scalars beyond a, and ports straddling a gap, do not fit. */
	b = parse_ok("cpus:5");
	assert_int_equal(res_sub(&a, &b), -ERANGE);
	res_free(&a);
	c = parse_ok("ports:[1-5,7-9]");
	b = parse_ok("ports:[5-7]");
	assert_false(res_contains(&c, &b));
	res_free(&b);
	b = parse_ok("ports:[1-5,7-9]");
	assert_int_equal(res_sub(&c, &b), 0);
	assert_true(res_is_empty(&c));
	assert_null(c.ports);
	res_free(&b);

	/* Repeated tenths do not drift. */
	res_zero(&a);
	b = parse_ok("cpus:0.1");
	for (int i = 0; i < 10; i++)
		res_add(&a, &b);
	assert_true(a.cpus == 1.0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(res_sub(&a, &b), 0);
	assert_true(res_is_empty(&a));
}

static void
test_sub_too_many_ranges(void **state)
{
	struct resources a, b, save;
	uint32_t p;

	(void)state;
	a = parse_ok("ports:[0-1000]");
	res_zero(&b);
	for (p = 1; p < 2 * RES_MAX_RANGES; p += 2)
		assert_int_equal(res_add_port(&b, p), 0);
	assert_int_equal(b.nranges, RES_MAX_RANGES);
	assert_int_equal(res_add_port(&b, 999), -ENOSPC);
	assert_int_equal(res_add_port(&b, 1), 0); /* already there */
	assert_int_equal(res_add_port(&b, 70000), -EINVAL);
	res_copy(&save, &a);
	assert_int_equal(res_sub(&a, &b), -ENOSPC);
	assert_res_equal(&a, &save);
	res_free(&a);
	res_free(&b);
	res_free(&save);
}

static void
test_add_port(void **state)
{
	struct resources r;

	(void)state;
	res_zero(&r);
	assert_int_equal(res_add_port(&r, 10), 0);
	assert_int_equal(res_add_port(&r, 12), 0);
	assert_int_equal(r.nranges, 2);
	assert_int_equal(res_add_port(&r, 11), 0);
	assert_int_equal(r.nranges, 1);
	assert_int_equal(r.ports[0].begin, 10);
	assert_int_equal(r.ports[0].end, 12);
	assert_int_equal(res_port_count(&r), 3);
	res_free(&r);
}

static void
test_json(void **state)
{
	struct cd_err err = {0};
	struct resources r, back;
	json_t *j;

	(void)state;
	r = parse_ok("cpus:4;mem:8192;disk:10000;ports:[31000-32000]");
	j = res_to_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "ports")),
			    "[31000-32000]");
	assert_true(json_number_value(json_object_get(j, "mem")) == 8192);
	assert_int_equal(res_from_json(j, &back, &err), 0);
	assert_res_equal(&r, &back);
	json_decref(j);
	res_free(&r);
	res_free(&back);

	r = parse_ok("cpus:0.25;ports:[1-2,5-9]");
	j = res_to_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "ports")),
			    "[1-2, 5-9]");
	assert_int_equal(res_from_json(j, &back, &err), 0);
	assert_res_equal(&r, &back);
	json_decref(j);
	res_free(&r);
	res_free(&back);

	res_zero(&r);
	j = res_to_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "ports")),
			    "[]");
	assert_non_null(json_object_get(j, "disk"));
	assert_int_equal(res_from_json(j, &back, &err), 0);
	assert_res_equal(&r, &back);
	json_decref(j);

	j = json_loads("{\"cpus\":\"2\",\"ports\":[[5,9],[1,2]]}", 0, NULL);
	assert_int_equal(res_from_json(j, &back, &err), 0);
	assert_true(back.cpus == 2);
	assert_int_equal(back.nranges, 2);
	assert_int_equal(back.ports[0].begin, 1);
	json_decref(j);
	res_free(&back);
}

/* Many ranges: parse, format, JSON, add and sub beyond a handful. */
static void
test_many_ranges(void **state)
{
	struct buf b = BUF_INIT, text = BUF_INIT;
	struct cd_err err = {0};
	struct resources r, back, c, odd;
	uint32_t p;
	json_t *j;
	int i;

	(void)state;
	buf_puts(&text, "cpus:2;ports:[");
	for (i = 0; i < RES_MAX_RANGES; i++)
		buf_printf(&text, "%s%d-%d", i ? "," : "", 1000 + 10 * i,
			   1000 + 10 * i + 4);
	buf_puts(&text, "]");
	r = parse_ok(buf_str(&text));
	assert_int_equal(r.nranges, RES_MAX_RANGES);
	assert_int_equal(res_port_count(&r), 5 * RES_MAX_RANGES);
	assert_int_equal(r.ports[RES_MAX_RANGES - 1].end,
			 1000 + 10 * (RES_MAX_RANGES - 1) + 4);
	res_format(&r, &b);
	assert_string_equal(buf_str(&b) + strlen("cpus:2;mem:0;disk:0;"),
			    buf_str(&text) + strlen("cpus:2;"));
	back = parse_ok(buf_str(&b));
	assert_res_equal(&r, &back);
	res_free(&back);
	j = res_to_json(&r);
	assert_int_equal(res_from_json(j, &back, &err), 0);
	assert_res_equal(&r, &back);
	json_decref(j);
	res_free(&back);

	res_free(&r);
	buf_reset(&text);
	buf_puts(&text, "ports:[");
	for (i = 0; i < 100; i++)
		buf_printf(&text, "%s%d-%d", i ? "," : "", 1000 + 10 * i,
			   1000 + 10 * i + 4);
	buf_puts(&text, "]");
	r = parse_ok(buf_str(&text));

	/* Ports 1 and 3 of the first ten ranges: each splits in three. */
	res_zero(&odd);
	for (i = 0; i < 10; i++)
		for (p = 1; p <= 3; p += 2)
			assert_int_equal(
			    res_add_port(&odd, (uint32_t)(1000 + 10 * i) + p),
			    0);
	assert_int_equal(odd.nranges, 20);
	assert_true(res_contains(&r, &odd));
	res_copy(&c, &r);
	assert_int_equal(res_sub(&c, &odd), 0);
	assert_int_equal(c.nranges, 120);
	assert_int_equal(res_port_count(&c), 500 - 20);
	assert_false(res_contains(&c, &odd));
	/* r is untouched by work on its copy. */
	assert_int_equal(res_port_count(&r), 500);
	res_add(&c, &odd);
	assert_res_equal(&c, &r);
	res_free(&c);
	res_free(&odd);
	res_free(&r);
	buf_release(&b);
	buf_release(&text);
}

/* res_copy is deep; res_free keeps scalars; res_set_ranges may alias. */
static void
test_copy_free(void **state)
{
	struct resources a, b;

	(void)state;
	a = parse_ok("cpus:3;mem:64;ports:[1-2,4-5,7-8,10-11]");
	res_copy(&b, &a);
	assert_ptr_not_equal(a.ports, b.ports);
	assert_res_equal(&a, &b);
	assert_int_equal(res_add_port(&b, 3), 0);
	assert_int_equal(b.nranges, 3);
	assert_int_equal(a.nranges, 4);
	assert_int_equal(a.ports[0].end, 2);
	res_free(&b);
	assert_int_equal(b.nranges, 0);
	assert_null(b.ports);
	assert_true(b.cpus == 3 && b.mem == 64);
	res_free(&b); /* twice is fine */

	/* A range of its own ranges: the tail two. */
	res_set_ranges(&a, a.ports + 2, 2);
	assert_int_equal(a.nranges, 2);
	assert_int_equal(a.ports[0].begin, 7);
	assert_int_equal(a.ports[1].end, 11);
	res_set_ranges(&a, NULL, 0);
	assert_null(a.ports);
	assert_true(a.cpus == 3);
	res_zero(&b);
	res_copy(&a, &b); /* a held nothing: no leak */
	assert_null(a.ports);
}

static void
json_fails(const char *text, const char *path)
{
	struct cd_err err = {0};
	struct resources r;
	json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);

	assert_non_null(j);
	assert_int_equal(res_from_json(j, &r, &err), -EINVAL);
	assert_string_equal(err.path, path);
	assert_true(err.msg[0] != '\0');
	json_decref(j);
}

static void
test_json_refuses(void **state)
{
	(void)state;
	json_fails("[]", "");
	json_fails("{\"cpus\":-1}", "/cpus");
	json_fails("{\"mem\":true}", "/mem");
	json_fails("{\"disk\":1e300}", "/disk");
	json_fails("{\"gpus\":1}", "");
	json_fails("{\"ports\":\"[2-1]\"}", "/ports");
	json_fails("{\"ports\":[[1]]}", "/ports");
	json_fails("{\"ports\":[[1,70000]]}", "/ports");
	json_fails("{\"ports\":7}", "/ports");
	/* Ports parsed before the bad key are freed (ASan checks). */
	json_fails("{\"ports\":\"[1-2,4-5,7-9]\",\"gpus\":1}", "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_parse_refuses),
	    cmocka_unit_test(test_format_round_trip),
	    cmocka_unit_test(test_add_sub),
	    cmocka_unit_test(test_sub_too_many_ranges),
	    cmocka_unit_test(test_add_port),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_refuses),
	    cmocka_unit_test(test_many_ranges),
	    cmocka_unit_test(test_copy_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
