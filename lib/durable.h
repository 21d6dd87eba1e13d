/*
 * durable.h: the interface through which the parts that answer the outside
 * world (lib/httpd's replies, the scheduler's events) wait until what they
 * report is durable. With --registry=zk the store is a cache that runs
 * ahead of ZooKeeper by the batches not yet committed there (lib/zkstore),
 * and "a 2xx means committed" (SPEC 7) then means "committed in
 * ZooKeeper": an answer given after a write waits until the store's
 * sequence number at that moment is durable. cmd/ implements it on
 * lib/zkstore; lib/store implements it for LMDB's group commit, where a
 * commit is durable after the loop pass's sync. A struct of function
 * pointers and no code, as
 * lib/framework.h, so that lib/httpd (L4) need not know lib/zkstore (L6).
 * Loop thread only.
 */
#ifndef CLUSTERD_LIB_DURABLE_H
#define CLUSTERD_LIB_DURABLE_H

#include <stdint.h>

/* rc: 0 when seq is durable, else (< 0) why it never will be. */
typedef void durable_done_fn(uint64_t seq, int rc, void *arg);

struct durable {
	/*
	 * The sequence number an answer given now must wait for, or 0 when
	 * everything written so far is durable already (the common case:
	 * then nothing is queued and the answer goes out at once).
	 */
	uint64_t (*pending)(void *ctx);
	/*
	 * Call fn(seq, rc, arg) from the loop (never from inside this call)
	 * once seq is durable or never will be. Returns 0, or a negative
	 * code when fn will not be called.
	 */
	int (*wait)(void *ctx, uint64_t seq, durable_done_fn *fn, void *arg);
	/* Never call back arg (a waiter going away). */
	void (*forget)(void *ctx, void *arg);
	void *ctx; /* borrowed: the implementation's */
};

#endif
