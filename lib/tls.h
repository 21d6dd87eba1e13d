/*
 * tls.h: the OpenSSL server context clusterd's ports share when
 * --ssl_cert and --ssl_key are given, and the start-up check of --ssl_ca.
 * The certificate file may hold a chain (leaf first). Clients are not
 * asked for certificates: agents and masters prove themselves with the
 * agent secret, people with --http_credentials. TLS 1.2 is the minimum;
 * renegotiation and compression are off. Created before the loop runs,
 * used from the loop thread only.
 */
#ifndef CLUSTERD_LIB_TLS_H
#define CLUSTERD_LIB_TLS_H

#include "err.h"

struct ssl_st; /* OpenSSL's SSL */
struct tls;

/*
 * Load cert_file (PEM, a chain) and key_file (PEM) into a server context.
 * Returns 0 and *out (free with tls_free()), or -EINVAL with err saying
 * which file is wrong and OpenSSL's reason.
 */
int tls_server_new(const char *cert_file, const char *key_file,
		   struct tls **out, struct cd_err *err);
void tls_free(struct tls *t);

/*
 * A new server-side connection object. The caller owns it until it hands
 * it to a bufferevent created with BEV_OPT_CLOSE_ON_FREE, which frees it.
 */
struct ssl_st *tls_ssl_new(struct tls *t);

/*
 * Check that ca_file is a readable PEM file with at least one CA
 * certificate, so that a typo fails at start-up rather than at the first
 * peer connection. Returns 0, or -EINVAL with err.
 */
int tls_ca_check(const char *ca_file, struct cd_err *err);

#endif
