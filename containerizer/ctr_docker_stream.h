/*
 * ctr_docker_stream.h: a container's log stream as data. Pure (STYLE
 * B28): no I/O, no loop, no globals; unit-tested and fuzzed (through
 * fuzz_ctr_docker_api).
 *
 * The stream of a container without a TTY is framed: an 8-byte header
 * {type, 0, 0, 0, size as big-endian uint32} and size bytes of payload;
 * type 0 (stdin) and 1 go to stdout, 2 and 3 (daemon errors) to stderr.
 * Asked with timestamps=1, each frame (one log message: a line, or a
 * piece of a long one) starts with its RFC 3339 timestamp and a space,
 * which the demultiplexer takes off and hands to begin(), so that the
 * reader can resume a stream after the last message it wrote (since=)
 * and drop the ones it already has.
 *
 * Also here: the timestamps themselves, and the one-line record of where
 * a task's sandbox log files end (ctr_dk_logpos), which the agent keeps
 * beside the sandbox to resume after a restart.
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_DOCKER_STREAM_H
#define CLUSTERD_CONTAINERIZER_CTR_DOCKER_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ctr_dk_stream { CTR_DK_STDOUT = 1, CTR_DK_STDERR = 2 };

/* A frame's payload (or a piece of it: a frame may come in pieces). */
typedef void ctr_dk_sink_fn(enum ctr_dk_stream s, const char *p, size_t n,
			    void *arg);
/*
 * Timestamps mode: a frame's timestamp (ts, NUL-terminated, borrowed) was
 * read; return whether its payload goes to the sink. end() follows once
 * the frame's payload has all gone to the sink (kept frames only).
 */
typedef bool ctr_dk_frame_begin_fn(enum ctr_dk_stream s, const char *ts,
				   void *arg);
typedef void ctr_dk_frame_end_fn(enum ctr_dk_stream s, const char *ts,
				 void *arg);

#define CTR_DK_TS_MAX 48

struct ctr_dk_demux {
	unsigned char hdr[8];
	unsigned hdr_len;   /* header bytes collected, 0..8 */
	uint32_t remaining; /* payload bytes left in the current frame */
	enum ctr_dk_stream cur;
	bool bad; /* an unknown frame type was seen; input ignored */
	/* Timestamps mode (begin set): */
	ctr_dk_frame_begin_fn *begin;
	ctr_dk_frame_end_fn *end;
	char ts[CTR_DK_TS_MAX]; /* the current frame's timestamp */
	unsigned ts_len;
	bool in_ts; /* reading it */
	bool keep;  /* the current frame's payload goes to the sink */
};

/* Without timestamps. */
void ctr_dk_demux_init(struct ctr_dk_demux *d);
/* With timestamps (logs?timestamps=1): begin and end as above. */
void ctr_dk_demux_init_ts(struct ctr_dk_demux *d, ctr_dk_frame_begin_fn *begin,
			  ctr_dk_frame_end_fn *end);
/*
 * Consume n bytes, calling sink for each payload piece (and begin/end in
 * timestamps mode), all with arg. Returns 0, or -EBADMSG once the stream
 * is found malformed (everything after that is dropped).
 */
int ctr_dk_demux_feed(struct ctr_dk_demux *d, const char *p, size_t n,
		      ctr_dk_sink_fn *sink, void *arg);

/* A point in time with nanoseconds, as Docker's log timestamps have. */
struct ctr_dk_time {
	long long sec; /* Unix seconds */
	long nsec;     /* 0..999999999 */
};

/*
 * Parse an RFC 3339 timestamp ("2024-05-01T12:34:56.123456789Z", or with
 * a +hh:mm offset; up to 9 fraction digits). 0 or -EINVAL.
 */
int ctr_dk_time_parse(const char *s, struct ctr_dk_time *out);
/* <0, 0, >0 as a is before, equal to or after b. */
int ctr_dk_time_cmp(const struct ctr_dk_time *a, const struct ctr_dk_time *b);
/* Docker's since= form: "sec.nnnnnnnnn". */
void ctr_dk_time_since(const struct ctr_dk_time *t, char *out, size_t outlen);

/*
 * Where a task's sandbox logs end: the timestamp of the last message
 * written whole, and the sizes of stdout and stderr just after it. Kept in
 * a file of its own, rewritten in place with one write of
 * CTR_DK_LOGPOS_LEN bytes.
 */
struct ctr_dk_logpos {
	struct ctr_dk_time last;
	long long out, err; /* bytes */
};

#define CTR_DK_LOGPOS_LEN 64

/* The record, exactly CTR_DK_LOGPOS_LEN bytes (no NUL), into out. */
void ctr_dk_logpos_format(const struct ctr_dk_logpos *p,
			  char out[CTR_DK_LOGPOS_LEN]);
/* Parse a record (n bytes). 0 or -EINVAL. */
int ctr_dk_logpos_parse(const char *s, size_t n, struct ctr_dk_logpos *out);

#endif
