/*
 * sched_tick.h: the scheduler's one-second tick, which drives every
 * timeout of its tasks: staging timeouts (no status 300 s after launch),
 * kill retries, kill timeouts (a task whose kill is not confirmed stops
 * holding its place), unreachable tasks past their app's
 * inactiveAfterSeconds (replaced) and expungeAfterSeconds (forgotten),
 * and the end and reset of launch backoffs; it converges every app.
 * Loop thread only.
 */
#ifndef CLUSTERD_SCHEDULER_CORE_SCHED_TICK_H
#define CLUSTERD_SCHEDULER_CORE_SCHED_TICK_H

struct sched;

/* Create s->tick and start it. */
void sched_tick_start(struct sched *s);
/* Free s->tick (NULL is fine). */
void sched_tick_stop(struct sched *s);

#endif
