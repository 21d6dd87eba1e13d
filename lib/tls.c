/*
 * tls.c: owns the one SSL_CTX of the HTTP servers (see tls.h). OpenSSL 3
 * initialises itself; nothing here is global. Errors are read off
 * OpenSSL's per-thread error queue right after the failing call, and the
 * queue is cleared so an old error never shows up in a later message.
 */
#include "tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "xalloc.h"

#define TLS_MAGIC 0x544c5343u

struct tls {
	unsigned magic;
	SSL_CTX *ctx; /* owned */
};

/* The oldest queued OpenSSL error as text, then an empty queue. */
static const char *
tls_reason(char *b, size_t n)
{
	unsigned long e = ERR_peek_error();

	if (e == 0)
		(void)snprintf(b, n, "unknown OpenSSL error");
	else
		ERR_error_string_n(e, b, n);
	ERR_clear_error();
	return b;
}

int
tls_server_new(const char *cert_file, const char *key_file, struct tls **out,
	       struct cd_err *err)
{
	struct tls *t = NULL;
	char why[200];
	int rc = -EINVAL;

	*out = NULL;
	ERR_clear_error();
	CD_ALLOC_OBJ(t, TLS_MAGIC);
	t->ctx = SSL_CTX_new(TLS_server_method());
	if (t->ctx == NULL) {
		cd_err_set(err, rc, "cannot create a TLS context: %s",
			   tls_reason(why, sizeof why));
		goto fail;
	}
	if (SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1) {
		cd_err_set(err, rc, "cannot require TLS 1.2: %s",
			   tls_reason(why, sizeof why));
		goto fail;
	}
	/* Client renegotiation is a cheap way to make a server work. */
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION |
					SSL_OP_NO_COMPRESSION |
					SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* Idle keep-alive connections should not hold 30 KiB of buffers. */
	SSL_CTX_set_mode(t->ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(t->ctx, cert_file) != 1) {
		cd_err_set(err, rc, "cannot load --ssl_cert %s: %s", cert_file,
			   tls_reason(why, sizeof why));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(t->ctx, key_file, SSL_FILETYPE_PEM) !=
	    1) {
		cd_err_set(err, rc, "cannot load --ssl_key %s: %s", key_file,
			   tls_reason(why, sizeof why));
		goto fail;
	}
	if (SSL_CTX_check_private_key(t->ctx) != 1) {
		cd_err_set(err, rc,
			   "--ssl_key %s does not match --ssl_cert %s: %s",
			   key_file, cert_file, tls_reason(why, sizeof why));
		goto fail;
	}
	*out = t;
	return 0;
fail:
	tls_free(t);
	return rc;
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	CD_CHECK_OBJ(t, TLS_MAGIC);
	SSL_CTX_free(t->ctx);
	CD_FREE_OBJ(t);
}

struct ssl_st *
tls_ssl_new(struct tls *t)
{
	SSL *ssl;

	CD_CHECK_OBJ(t, TLS_MAGIC);
	ssl = SSL_new(t->ctx);
	AN(ssl); /* fails only without memory (STYLE B15) */
	return ssl;
}

int
tls_ca_check(const char *ca_file, struct cd_err *err)
{
	X509_STORE *st = NULL;
	char why[200];
	int rc = 0;

	ERR_clear_error();
	st = X509_STORE_new();
	AN(st);
	if (X509_STORE_load_file(st, ca_file) != 1) {
		rc = cd_err_set(err, -EINVAL, "cannot load --ssl_ca %s: %s",
				ca_file, tls_reason(why, sizeof why));
		goto out;
	}
	if (sk_X509_OBJECT_num(X509_STORE_get0_objects(st)) <= 0)
		rc = cd_err_set(err, -EINVAL,
				"--ssl_ca %s holds no certificate", ca_file);
out:
	X509_STORE_free(st);
	return rc;
}
