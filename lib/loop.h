/*
 * loop.h: the single event loop (STYLE B8). Wraps one struct event_base.
 * Every module receives the loop explicitly. Loop thread only.
 */
#ifndef CLUSTERD_LIB_LOOP_H
#define CLUSTERD_LIB_LOOP_H

#include <stdint.h>

struct event_base;
struct loop;
struct loop_timer;

typedef void loop_cb_fn(void *arg);
typedef void loop_free_fn(void *p);

/* Create the loop; free it with loop_free(). */
struct loop *loop_new(void);
void loop_free(struct loop *l);
/* Borrowed: valid until loop_free(). */
struct event_base *loop_base(struct loop *l);
/* Run until loop_stop(); returns 0, or -1 when libevent failed. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

/* Milliseconds from the monotonic clock (cached per loop iteration). */
uint64_t loop_now_ms(struct loop *l);
/* Wall clock in milliseconds since the Unix epoch. */
long long loop_wall_ms(void);

/*
 * Timers. loop_timer_new() makes a timer that calls cb(arg) when it
 * expires; it is not armed. loop_timer_add() (re)arms it after ms
 * milliseconds; loop_timer_del() disarms it. Freeing disarms.
 */
struct loop_timer *loop_timer_new(struct loop *l, loop_cb_fn *cb, void *arg);
void loop_timer_add(struct loop_timer *t, uint64_t ms);
void loop_timer_del(struct loop_timer *t);
int loop_timer_pending(const struct loop_timer *t);
void loop_timer_free(struct loop_timer *t);

/* Run cb(arg) once on the next iteration, from the loop. */
void loop_defer(struct loop *l, loop_cb_fn *cb, void *arg);

/*
 * Free p with fn on the next loop iteration, before the loop sleeps
 * (STYLE B17): for objects that may still be on the call stack.
 */
void loop_defer_free(struct loop *l, loop_free_fn *fn, void *p);

/* Call cb(arg) on the loop whenever signal signo arrives. */
void loop_on_signal(struct loop *l, int signo, loop_cb_fn *cb, void *arg);

#endif
