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
	json_t *warnings; /* ref: array of strings (ignored parameters...) */
};

/*
 * Build everything needed to create the container for t: the body (Image,
 * Cmd, Env, Labels, HostConfig with CpuShares, Memory, NetworkMode, Binds,
 * PortBindings, Privileged), the image reference split for a pull, and
 * the container name. Returns 0 with *out filled (release it with
 * ctr_dk_create_release), or -EINVAL (bad task) / -EPERM (privileged not
 * allowed: "privileged containers are not allowed on this agent") with err.
 */
int ctr_docker_api_create(const struct wire_task *t, const char *sandbox,
			  const char *agent_key, int allow_privileged,
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
	char *id;	/* owned */
	bool running;	/* State.Running */
	bool exited;	/* not running and not merely "created" */
	int exit_code;	/* State.ExitCode */
	char *error;	/* owned or NULL: State.Error when non-empty */
	char *task_id;	/* owned or NULL: label clusterd.task_id */
	char *agent_id; /* owned or NULL: label clusterd.agent_id */
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

/*
 * The log stream of a container without a TTY: frames of an 8-byte
 * header {type, 0, 0, 0, size as big-endian uint32} and size bytes of
 * payload. type 0 (stdin) and 1 go to stdout, 2 and 3 (daemon errors) to
 * stderr. An incremental state machine: feed any chunking.
 */
enum ctr_dk_stream { CTR_DK_STDOUT = 1, CTR_DK_STDERR = 2 };

typedef void ctr_dk_sink_fn(enum ctr_dk_stream s, const char *p, size_t n,
			    void *arg);

struct ctr_dk_demux {
	unsigned char hdr[8];
	unsigned hdr_len;   /* header bytes collected, 0..8 */
	uint32_t remaining; /* payload bytes left in the current frame */
	enum ctr_dk_stream cur;
	bool bad; /* an unknown frame type was seen; input ignored */
};

void ctr_dk_demux_init(struct ctr_dk_demux *d);
/*
 * Consume n bytes, calling sink for each payload piece (a frame may come
 * in several pieces). Returns 0, or -EBADMSG once the stream is found
 * malformed (everything after that is dropped).
 */
int ctr_dk_demux_feed(struct ctr_dk_demux *d, const char *p, size_t n,
		      ctr_dk_sink_fn *sink, void *arg);

#endif
