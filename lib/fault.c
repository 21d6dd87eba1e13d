/*
 * fault.c: the fault-injection engine behind CD_FAULT() (see fault.h).
 * Owns the table of points below, which is the one list of them: a new
 * point is a row here and one CD_FAULT() line in the file that owns the
 * operation. Each point's error is what the real operation returns when
 * it fails, so the code under test takes its production error path.
 *
 * State is the module's globals (one process, one arming, set once at
 * start-up): per point, the arming and two counters. A call is a linear
 * scan of a short table. Loop thread only.
 *
 * Only fault builds compile this file's body: a release build has no
 * trace of it. tests/unit/test_fault.c compiles it into itself when the
 * build is not a fault build, so the engine is tested in every build.
 */
#include "fault.h"

#ifdef CD_FAULT_ON

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "fault"
#include "log.h"
#include "xalloc.h"

enum fault_mode {
	FAULT_OFF,
	FAULT_NTH,  /* the n-th call */
	FAULT_FROM, /* every call from the n-th on */
	FAULT_PROB, /* each call with probability prob */
};

struct fault_point {
	const char *name;
	int err; /* positive errno the real operation fails with */
	/* Where it is and what a failure does (for this table's reader). */
	const char *what;
	enum fault_mode mode;
	unsigned long n;
	double prob;
	int arm_err; /* the errno of this arming */
	unsigned long calls, fired;
};

static struct fault_point fault_points[] = {
    {"store.commit", EIO,
     "lib/store.c store_batch_commit(): the LMDB commit (its writes and "
     "fsync) fails; nothing of the batch is stored",
     FAULT_OFF, 0, 0, 0, 0, 0},
    {"httpc.request", ECONNREFUSED,
     "lib/httpc.c httpc_request(): the request never leaves, its callback "
     "gets status 0 as for a refused connection",
     FAULT_OFF, 0, 0, 0, 0, 0},
    {"httpd.accept", EMFILE,
     "lib/httpd_conn.c: a connection just accepted is closed and the "
     "listener pauses, as when accept() fails",
     FAULT_OFF, 0, 0, 0, 0, 0},
    {"docker.reply", EIO,
     "containerizer/ctr_docker_http.c: an Engine API request is answered "
     "500 {\"message\": ...} without reaching the daemon",
     FAULT_OFF, 0, 0, 0, 0, 0},
    {"zk.op", ETIMEDOUT,
     "lib/zk.c: a ZooKeeper operation goes out, but its owner hears "
     "-ETIMEDOUT at once (the outcome is unknown, as with a real timeout)",
     FAULT_OFF, 0, 0, 0, 0, 0},
    {"sandbox.mkdir", ENOSPC,
     "agent/agent_tasks.c agent_task_launch(): creating the task's sandbox "
     "directories fails",
     FAULT_OFF, 0, 0, 0, 0, 0},
    {"sandbox.log", ENOSPC,
     "containerizer/ctr_mesos_spawn.c, ctr_docker_logs.c: opening a task's "
     "stdout or stderr file in its sandbox fails",
     FAULT_OFF, 0, 0, 0, 0, 0},
};

static const struct {
	const char *name;
	int err;
} fault_errnos[] = {
    {"EIO", EIO},
    {"ENOSPC", ENOSPC},
    {"EDQUOT", EDQUOT},
    {"EROFS", EROFS},
    {"EMFILE", EMFILE},
    {"ENFILE", ENFILE},
    {"ENOBUFS", ENOBUFS},
    {"ENOMEM", ENOMEM},
    {"EACCES", EACCES},
    {"ECONNREFUSED", ECONNREFUSED},
    {"ECONNRESET", ECONNRESET},
    {"ETIMEDOUT", ETIMEDOUT},
    {"EHOSTUNREACH", EHOSTUNREACH},
    {"ENOTCONN", ENOTCONN},
};

/* xorshift64*: a run with the same seed fails the same calls. */
static uint64_t fault_rng = 1;

static double
fault_random(void)
{
	fault_rng ^= fault_rng >> 12;
	fault_rng ^= fault_rng << 25;
	fault_rng ^= fault_rng >> 27;
	return (double)((fault_rng * 2685821657736338717ULL) >> 11) /
	       (double)(1ULL << 53);
}

static struct fault_point *
fault_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < CD_NELEM(fault_points); i++)
		if (strlen(fault_points[i].name) == len &&
		    memcmp(fault_points[i].name, name, len) == 0)
			return &fault_points[i];
	return NULL;
}

static const char *
fault_errname(int err)
{
	size_t i;

	for (i = 0; i < CD_NELEM(fault_errnos); i++)
		if (fault_errnos[i].err == err)
			return fault_errnos[i].name;
	return "?";
}

static int
fault_parse_ulong(const char *s, const char *end, unsigned long *out)
{
	unsigned long v = 0;

	if (s == end)
		return -EINVAL;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || v > (ULONG_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return 0;
}

/* "N", "N+" or "pP" (with an optional ":ERRNO") into p's arming. */
static int
fault_parse_when(struct fault_point *p, const char *s, const char *end)
{
	const char *colon = memchr(s, ':', (size_t)(end - s));
	char num[32], *stop;
	size_t i;

	p->arm_err = p->err;
	if (colon != NULL) {
		for (i = 0; i < CD_NELEM(fault_errnos); i++)
			if (strlen(fault_errnos[i].name) ==
				(size_t)(end - colon - 1) &&
			    memcmp(fault_errnos[i].name, colon + 1,
				   (size_t)(end - colon - 1)) == 0)
				break;
		if (i == CD_NELEM(fault_errnos))
			return -EINVAL;
		p->arm_err = fault_errnos[i].err;
		end = colon;
	}
	if (s < end && *s == 'p') {
		if ((size_t)(end - s - 1) >= sizeof num || end - s < 2)
			return -EINVAL;
		memcpy(num, s + 1, (size_t)(end - s - 1));
		num[end - s - 1] = '\0';
		p->prob = strtod(num, &stop);
		if (*stop != '\0' || !(p->prob > 0 && p->prob <= 1))
			return -EINVAL;
		p->mode = FAULT_PROB;
		return 0;
	}
	p->mode = FAULT_NTH;
	if (s < end && end[-1] == '+') {
		p->mode = FAULT_FROM;
		end--;
	}
	if (fault_parse_ulong(s, end, &p->n) != 0 || p->n == 0)
		return -EINVAL;
	return 0;
}

static void
fault_clear(void)
{
	size_t i;

	for (i = 0; i < CD_NELEM(fault_points); i++) {
		fault_points[i].mode = FAULT_OFF;
		fault_points[i].n = 0;
		fault_points[i].prob = 0;
		fault_points[i].arm_err = fault_points[i].err;
		fault_points[i].calls = 0;
		fault_points[i].fired = 0;
	}
	fault_rng = 1;
}

int
fault_init(const char *spec, struct cd_err *err)
{
	const char *s = spec, *end, *eq;
	struct fault_point *p;
	unsigned long seed;

	fault_clear();
	while (s != NULL && *s != '\0') {
		end = strchr(s, ',');
		if (end == NULL)
			end = s + strlen(s);
		eq = memchr(s, '=', (size_t)(end - s));
		if (eq == NULL)
			goto bad;
		if (eq - s == 4 && memcmp(s, "seed", 4) == 0) {
			if (fault_parse_ulong(eq + 1, end, &seed) != 0)
				goto bad;
			fault_rng = seed != 0 ? seed : 1;
		} else if ((p = fault_find(s, (size_t)(eq - s))) == NULL ||
			   fault_parse_when(p, eq + 1, end) != 0) {
			goto bad;
		}
		s = *end == ',' ? end + 1 : end;
	}
	return 0;
bad:
	cd_err_set(err, -EINVAL,
		   "CLUSTERD_FAULTS: bad item \"%.*s\" (POINT=N, POINT=N+ or "
		   "POINT=pP, optionally :ERRNO; or seed=N)",
		   (int)(end - s), s);
	fault_clear();
	return -EINVAL;
}

int
fault_fire(const char *name)
{
	struct fault_point *p = fault_find(name, strlen(name));
	bool fail;

	CD_ASSERT(p != NULL);
	p->calls++;
	switch (p->mode) {
	case FAULT_NTH:
		fail = p->calls == p->n;
		break;
	case FAULT_FROM:
		fail = p->calls >= p->n;
		break;
	case FAULT_PROB:
		fail = fault_random() < p->prob;
		break;
	default:
		fail = false;
		break;
	}
	if (!fail)
		return 0;
	p->fired++;
	log_warn("%s: call %lu fails with %s", p->name, p->calls,
		 fault_errname(p->arm_err));
	return -p->arm_err;
}

void
fault_log_calls(void)
{
	char line[512];
	size_t i, n = 0;
	int w;

	for (i = 0; i < CD_NELEM(fault_points); i++) {
		w = snprintf(line + n, sizeof line - n, " %s=%lu",
			     fault_points[i].name, fault_points[i].calls);
		if (w < 0 || (size_t)w >= sizeof line - n)
			break;
		n += (size_t)w;
	}
	log_info("calls%s", line);
}

int
fault_fire_sys(const char *name)
{
	int rc = fault_fire(name);

	if (rc == 0)
		return 0;
	errno = -rc;
	return 1;
}

unsigned long
fault_calls(const char *name)
{
	const struct fault_point *p = fault_find(name, strlen(name));

	return p != NULL ? p->calls : 0;
}

unsigned long
fault_fired(const char *name)
{
	const struct fault_point *p = fault_find(name, strlen(name));

	return p != NULL ? p->fired : 0;
}

#endif /* CD_FAULT_ON */
