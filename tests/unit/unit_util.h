/*
 * unit_util: what the unit tests share and no test is about: a private
 * directory under $TMPDIR (removed with everything in it), and running a
 * loop until a condition holds, until callbacks are done, or for a while.
 * Linked into every tests/unit binary.
 */
#ifndef UNIT_UTIL_H
#define UNIT_UTIL_H

#include <stddef.h>
#include <stdint.h>

struct loop;

/*
 * Make a fresh directory "$TMPDIR/<name>-XXXXXX" (/tmp without TMPDIR)
 * into dir (size bytes). Returns 0, or -1 when it cannot be made.
 */
int ut_tmpdir(char *dir, size_t size, const char *name);
/* Remove dir and everything below it; a missing dir is fine. */
void ut_rm_rf(const char *dir);
/*
 * Run l for at most ms, or until cond() holds (checked every 10 ms; a
 * NULL cond runs the whole ms).
 */
void ut_run_until(struct loop *l, int (*cond)(void), uint64_t ms);
/*
 * Run l while *waiting > 0, at most ms: the test's callbacks count
 * *waiting down and stop the loop at 0. Returns 0, or -1 when ms passed
 * first.
 */
int ut_run_waiting(struct loop *l, const int *waiting, uint64_t ms);
/* Let l run for ms. */
void ut_spin(struct loop *l, uint64_t ms);

#endif
