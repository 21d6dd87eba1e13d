/*
 * fault.h: named fault-injection points (STYLE B27.3), for the fault tests.
 *
 * A point is one line in the file that owns an operation, failing it the
 * way the real operation fails, so that the error path under test is the
 * one production runs:
 *
 *	if ((rc = CD_FAULT("store.commit")) != 0)
 *		goto fail;	(rc is -EIO, what a failed commit returns)
 *
 * Built with -DCD_FAULT (make FAULT=1, into build-fault/), CD_FAULT(name)
 * counts the calls of the point and returns 0, or the negative errno the
 * point fails with when CLUSTERD_FAULTS arms it for this call. Without it
 * (release builds) CD_FAULT(name) is the constant 0: no call, no counter,
 * no string, and nothing reads CLUSTERD_FAULTS. Code that exists only for
 * a point (a faked reply) goes under #ifdef CD_FAULT_ON, which this header
 * defines in fault builds; the functions below exist only there.
 *
 * Arming, from the environment of a fault build (cmd/main.c calls
 * fault_init() once, before anything runs):
 *
 *	CLUSTERD_FAULTS=item[,item...]
 *	item = POINT "=" WHEN [":" ERRNO]  |  "seed=" N
 *	WHEN = N	the N-th call of POINT fails (counted from 1 at start)
 *	     | N "+"	every call from the N-th on
 *	     | "p" P	each call with probability P, 0 < P <= 1 (a generator
 *			seeded by seed=N, default 1, so a run repeats)
 *	ERRNO		the error instead of the point's own: EIO, ENOSPC, ...
 *
 * Each failure is logged, at warning level, as
 *	"WARN fault: store.commit: call 3 fails with EIO"
 * which is how a test knows whether its fault fired. The points, their
 * files and errors are the table at the top of fault.c.
 *
 * Loop thread only (every point is on the loop).
 */
#ifndef CLUSTERD_LIB_FAULT_H
#define CLUSTERD_LIB_FAULT_H

#include "err.h"

/*
 * The build switch is -DCD_FAULT, which names an object-like macro; the
 * point macro has the same name, so the switch is turned into CD_FAULT_ON
 * here. Test for a fault build with #ifdef CD_FAULT_ON, never with
 * #ifdef CD_FAULT (both builds define the point macro).
 */
#ifdef CD_FAULT
#undef CD_FAULT
#define CD_FAULT_ON 1
#endif

/*
 * CD_FAULT_SYS(name): for a point in front of a system call that reports
 * through errno: true, with errno set, when the point fails this call.
 *	fd = CD_FAULT_SYS("sandbox.log") ? -1 : open(path, ...);
 */
#ifdef CD_FAULT_ON
#define CD_FAULT(name) fault_fire(name)
#define CD_FAULT_SYS(name) fault_fire_sys(name)
#else
#define CD_FAULT(name) 0
#define CD_FAULT_SYS(name) 0
#endif

/*
 * Arm the points from spec (the grammar above; NULL or "" arms nothing),
 * replacing any earlier arming and zeroing the call counts. Returns 0, or
 * -EINVAL with the offending item in err (an unknown point, a bad count,
 * an unknown errno name). Nothing is armed on failure.
 */
int fault_init(const char *spec, struct cd_err *err);

/*
 * Count a call of the point name and return 0, or the negative errno it
 * fails with this time (logged). name must be one of the table's points:
 * an unknown name is a bug in the caller and aborts.
 */
int fault_fire(const char *name);

/* As fault_fire(), for CD_FAULT_SYS(): 1 with errno set, or 0. */
int fault_fire_sys(const char *name);

/* Calls of the point name since the last fault_init(); 0 if unknown. */
unsigned long fault_calls(const char *name);

/* Failures injected at the point name since the last fault_init(). */
unsigned long fault_fired(const char *name);

/*
 * Log the calls of every point since fault_init() on one info line, as
 * "fault: calls store.commit=12 httpc.request=40 ...": at a clean exit,
 * how far a fault loop's k has to go.
 */
void fault_log_calls(void);

#endif
