/*
 * ctr_docker_api.h: the Docker Engine API (v1.41) as data. Pure (STYLE
 * B28): builds the container-create body from a task, parses the replies
 * of inspect, list and wait, scans a pull's progress stream for errors and
 * demultiplexes the framed log stream. No I/O, no loop, no globals, so
 * everything here is unit-tested and fuzzed without a daemon.
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_DOCKER_API_H
#define CLUSTERD_CONTAINERIZER_CTR_DOCKER_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "containerizer/ctr.h"
#include "containerizer/ctr_docker_stream.h"
#include "containerizer/ctr_user.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/wire.h"

/* Label keys set on every container clusterd creates. */
#define CTR_DK_LABEL_TASK "clusterd.task_id"
#define CTR_DK_LABEL_APP "clusterd.app_id"
#define CTR_DK_LABEL_AGENT "clusterd.agent_id"
/* Where the sandbox appears inside the container. */
#define CTR_DK_SANDBOX "/mnt/mesos/sandbox"
#define CTR_DK_MIN_MEM (32LL * 1024 * 1024)
#define CTR_DK_MIN_SHARES 2

/* The result of ctr_docker_api_create(). */
struct ctr_dk_create {
	json_t *body;	  /* ref: the POST /containers/create body */
	char *image;	  /* owned: reference as given, "docker:///" stripped */
	char *from_image; /* owned: repository part, for ?fromImage= */
	char *tag;	  /* owned: tag or digest, "latest" when absent */
	char *name;	  /* owned: container name, "clusterd-<task id>" */
	bool force_pull;  /* container.docker.forcePullImage */
	bool own_ip;	  /* on a bridge or user network: an address of
			     its own, read from an inspect once started */
	json_t *warnings; /* ref: array of strings (ignored parameters...) */
	/*
	 * ref: bind sources the driver checks on disk before the create
	 * (array of strings): below the sandbox, each must resolve inside it
	 * (it is created when missing); on the host, each must resolve below
	 * an allowed host path when it exists.
	 */
	json_t *bind_paths;
};

/* The agent's policy and limits for a container (lib/policy.h). */
struct ctr_dk_policy {
	const char *allowed_host_paths; /* --allowed_host_paths, or NULL */
	const char *allowed_parameters; /* --docker_allowed_parameters */
	bool cfs;			/* CpuPeriod/CpuQuota from cpus */
	const struct ctr_user *user;	/* borrowed or NULL: the task's */
};

/*
 * Build everything needed to create the container for t: the body (Image,
 * Entrypoint and Cmd, Env, Labels, User and GroupAdd, HostConfig with
 * CpuShares (and CpuPeriod/CpuQuota with pol->cfs), Memory and
 * MemorySwap, NetworkMode and NetworkingConfig, Binds and Mounts,
 * PortBindings, Privileged false), the image reference split for a pull,
 * and the container name. With cmd, the entrypoint is /bin/sh and Cmd
 * ["-c", cmd], as Mesos runs a shell command; with args only, Cmd is the
 * args after the image's own entrypoint. Returns 0 with *out filled
 * (release it with ctr_dk_create_release), or -EINVAL (bad task) or
 * -EPERM (refused by the policy; the message names the flag that would
 * allow it) with err.
 */
int ctr_docker_api_create(const struct wire_task *t, const char *sandbox,
			  const char *agent_key,
			  const struct ctr_dk_policy *pol,
			  struct ctr_dk_create *out, struct cd_err *err);
void ctr_dk_create_release(struct ctr_dk_create *c);

/*
 * Container name for a task id: "clusterd-" followed by the id with every
 * character Docker refuses in names replaced by '_'. Caller frees.
 */
char *ctr_docker_api_name(const char *task_id);

/* Percent-encode s for a URL query value. Caller frees. */
char *ctr_docker_api_urlencode(const char *s);

/* The "Id" of a create reply {"Id": ..., "Warnings": [...]}: owned, or
 * NULL when the body is not one. */
char *ctr_docker_api_id(const char *body, size_t len);

/* GET /containers/{id}/json, reduced to what the driver needs. */
struct ctr_dk_inspect {
	char *id;	 /* owned */
	bool running;	 /* State.Running */
	bool exited;	 /* not running and not merely "created" */
	int exit_code;	 /* State.ExitCode */
	char *error;	 /* owned or NULL: State.Error when non-empty */
	char *task_id;	 /* owned or NULL: label clusterd.task_id */
	char *agent_id;	 /* owned or NULL: label clusterd.agent_id */
	bool oom_killed; /* State.OOMKilled: its memory limit killed it */
	json_t *ips;	 /* ref: its addresses on every network (array of
			    strings, maybe empty) */
};

/* Parse an inspect reply. 0, or -EBADMSG with err. */
int ctr_docker_api_inspect(const char *body, size_t len,
			   struct ctr_dk_inspect *out, struct cd_err *err);
void ctr_dk_inspect_release(struct ctr_dk_inspect *i);

/* One row of GET /containers/json. */
struct ctr_dk_listed {
	char *id;	/* owned */
	char *task_id;	/* owned or NULL: label clusterd.task_id */
	char *agent_id; /* owned or NULL: label clusterd.agent_id */
};

/*
 * Parse a list reply into an owned array of *n rows (free with
 * ctr_dk_list_free). Rows without an Id are skipped. 0, or -EBADMSG.
 */
int ctr_docker_api_list(const char *body, size_t len,
			struct ctr_dk_listed **rows, size_t *n,
			struct cd_err *err);
void ctr_dk_list_free(struct ctr_dk_listed *rows, size_t n);

/*
 * Parse a POST /containers/{id}/wait reply {"StatusCode": N, "Error":
 * {"Message": ...}}. 0 with *status set, or -EBADMSG with err. A reply
 * with a non-empty Error.Message fails with that message.
 */
int ctr_docker_api_wait(const char *body, size_t len, int *status,
			struct cd_err *err);

/*
 * A stats reply (GET /containers/{id}/stats?stream=false) into the fields
 * of u it holds: CPU times and throttling (nanoseconds in Docker), memory
 * usage, limit and the breakdown of memory_stats.stats (cgroup v1's
 * total_* keys or v2's anon/file), the pids count as threads. 0, or
 * -EBADMSG with err for a reply that is not a JSON object.
 */
int ctr_docker_api_stats(const char *body, size_t len, struct ctr_usage *u,
			 struct cd_err *err);

/* The "message" of a Docker error reply, or a copy of the raw body
 * (truncated) when it is not one. Caller frees. */
char *ctr_docker_api_errmsg(const char *body, size_t len);

/*
 * POST /images/create streams JSON objects, one per line; a failed pull
 * still answers 200 and carries {"error": ...} in the stream. Feed the
 * stream in any chunks; error holds the first error seen (also the
 * "message" of an error reply, as the driver streams every pull reply). Lines
 * longer than CTR_DK_PULL_MAX_LINE are skipped.
 */
#define CTR_DK_PULL_MAX_LINE 65536
struct ctr_dk_pull {
	struct buf line; /* owned: the incomplete last line */
	bool skipping;	 /* inside an over-long line */
	char *error;	 /* owned or NULL */
};

void ctr_dk_pull_init(struct ctr_dk_pull *p);
void ctr_dk_pull_feed(struct ctr_dk_pull *p, const char *data, size_t n);
/* Process a last line without a newline. */
void ctr_dk_pull_finish(struct ctr_dk_pull *p);
void ctr_dk_pull_release(struct ctr_dk_pull *p);

#endif
