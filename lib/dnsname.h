/*
 * dnsname.h: how a Mesos task gets its DNS names, as mesos-dns names it
 * (mesosphere/mesos-dns docs/naming.md and records/labels, generator.go,
 * with its default label rule, RFC 1123), and how a query name is put in
 * the form those names are kept in. Pure (STYLE B28): no I/O, no globals.
 *
 *   label      "My_App.v2" -> "my-app-v2": lowercase; '.', '_' and '-'
 *              become '-'; any other character is dropped; leading '-'
 *              trimmed, cut at 63, trailing '-' trimmed (labels.RFC1123)
 *   frag       "marathon.prod" -> "marathon.prod": each '.'-separated part
 *              made a label, empty ones dropped (labels.DomainFrag); for
 *              framework names
 *   marathon   "/group/app" -> "app.group": Marathon's PathId.toHostname,
 *              the TaskInfo and DiscoveryInfo name Marathon gives a task
 *   hash       "nginx.48dccce7-..." -> "jhy6r": the first 5 characters of
 *              zbase32(sha1(task id)), the per-task part of the canonical
 *              name "<task>-<hash>-<agent tail>.<framework>"
 *   tail       "<uuid>-S3" -> "s3": the last '-' field of an agent id
 *
 * Query names are compared in lower case, without the final dot.
 */
#ifndef CLUSTERD_LIB_DNSNAME_H
#define CLUSTERD_LIB_DNSNAME_H

#include <stdbool.h>
#include <stddef.h>

#define DNSNAME_LABEL_MAX 63
#define DNSNAME_MAX 253 /* presentation form, without the final dot */
#define DNSNAME_HASH_LEN 5

/* The label of name into out; returns its length (0: nothing valid). */
size_t dnsname_label(const char *name, char out[DNSNAME_LABEL_MAX + 1]);
/*
 * The labels of the '.'-separated parts of name, joined by '.', into out
 * (size outsz). Returns the length, or -ENAMETOOLONG when it does not fit
 * in outsz or in DNSNAME_MAX (out is then "").
 */
int dnsname_frag(const char *name, char *out, size_t outsz);
/* Marathon's hostname of an app id ("/group/app" -> "app.group"); owned. */
char *dnsname_marathon(const char *app_id);
/* The 5-character task hash of task_id, NUL-terminated. */
void dnsname_hash(const char *task_id, char out[DNSNAME_HASH_LEN + 1]);
/* The lowercased last '-' field of an agent id, cut to a label's size. */
void dnsname_tail(const char *agent_id, char out[DNSNAME_LABEL_MAX + 1]);
/*
 * A query name as the names are kept: lowercase ASCII, without one final
 * dot. Returns the length, or -EINVAL for a name that no record can have:
 * empty, longer than DNSNAME_MAX, or with a byte outside printable ASCII
 * (such names are answered as unknown, never looked up).
 */
int dnsname_normalize(const char *name, char *out, size_t outsz);
/*
 * Whether the normalised name is domain itself or inside it (on a label
 * boundary). *rel_len gets the length of the part before the domain,
 * without its dot (0 for the domain itself).
 */
bool dnsname_in_domain(const char *name, const char *domain, size_t *rel_len);

#endif
