/* TLS contexts: certificates, trust, versions, and the socket BIO every
 * connection of the context reads and writes through. */
#include "transport/tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "base/alloc.h"
#include "moonsip/stack.h"
#include "transport/tls_private.h"

/* OpenSSL's socket BIO writes with write(2): a peer that has gone would
 * raise SIGPIPE. These send with MSG_NOSIGNAL instead. */
static int bio_write(BIO *b, const char *buf, int len)
{
	BIO_clear_retry_flags(b);
	ssize_t n = send((int)(intptr_t)BIO_get_data(b), buf, (size_t)len, MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_write(b);
	return (int)n;
}

static int bio_read(BIO *b, char *buf, int len)
{
	BIO_clear_retry_flags(b);
	ssize_t n = recv((int)(intptr_t)BIO_get_data(b), buf, (size_t)len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_read(b);
	return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH;
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO_METHOD *bio_method(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "moonsip socket");
	if (m &&
	    (!BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
	     !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create))) {
		BIO_meth_free(m);
		return NULL;
	}
	return m;
}

const char *ms__tls_reason(unsigned long e)
{
	if (e && ERR_SYSTEM_ERROR(e))
		return strerror(ERR_GET_REASON(e));
	const char *r = e ? ERR_reason_error_string(e) : NULL;
	return r ? r : "unknown error";
}

/* "what path: OpenSSL's reason" (the first error queued: the cause, where later
 * ones only say which call failed), and the error queue emptied. */
static int fail(char *why, size_t whylen, const char *what, const char *path)
{
	snprintf(why, whylen, "%s%s%s: %s", what, path ? " " : "", path ? path : "",
		 ms__tls_reason(ERR_peek_error()));
	ERR_clear_error();
	return MS_EINVAL;
}

static int load_cert(SSL_CTX *ctx, const struct ms_tls_config *cfg, char *why, size_t whylen)
{
	const char *key = cfg->key_file ? cfg->key_file : cfg->cert_file;
	if (!cfg->cert_file) {
		if (!cfg->key_file)
			return 0;
		snprintf(why, whylen, "a TLS key file without a certificate file");
		return MS_EINVAL;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1)
		return fail(why, whylen, "cannot load certificate", cfg->cert_file);
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		return fail(why, whylen, "cannot load private key", key);
	if (SSL_CTX_check_private_key(ctx) != 1)
		return fail(why, whylen, "private key does not match the certificate", key);
	return 0;
}

static int load_trust(SSL_CTX *ctx, const struct ms_tls_config *cfg, char *why, size_t whylen)
{
	if (!cfg->ca_file) {
		if (SSL_CTX_set_default_verify_paths(ctx) != 1)
			return fail(why, whylen, "cannot load the default CA store", NULL);
		return 0;
	}
	if (SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL) != 1)
		return fail(why, whylen, "cannot load CA file", cfg->ca_file);
	/* Tells clients which CAs their certificate should come from. */
	STACK_OF(X509_NAME) *names = cfg->verify_client ? SSL_load_client_CA_file(cfg->ca_file) : NULL;
	if (names)
		SSL_CTX_set_client_CA_list(ctx, names);
	ERR_clear_error();
	return 0;
}

/* One context serves both roles: SSL objects take the accept or connect
 * state, and their verification mode, when they are made. */
static int setup(SSL_CTX *ctx, const struct ms_tls_config *cfg, char *why, size_t whylen)
{
	static const unsigned char sid[] = "moonsip";
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_session_id_context(ctx, sid, sizeof sid - 1) != 1)
		return fail(why, whylen, "cannot set up TLS", NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* A peer closing without close_notify is an ordinary close for SIP:
	 * messages are framed by Content-Length, so truncation shows anyway. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
	/* Fewer reads per record; tcp.c reads until OpenSSL wants more. */
	SSL_CTX_set_read_ahead(ctx, 1);
	int rc = load_cert(ctx, cfg, why, whylen);
	return rc ? rc : load_trust(ctx, cfg, why, whylen);
}

int ms__tls_new(struct ms_tls **out, const struct ms_tls_config *cfg, char *why, size_t whylen)
{
	struct ms_tls *t = ms__calloc(1, sizeof *t);
	if (!t)
		return MS_ENOMEM;
	t->refs = 1;
	t->has_cert = cfg->cert_file != NULL;
	t->verify_client = cfg->verify_client;
	t->verify_server = !cfg->no_verify_server;
	t->ctx = SSL_CTX_new(TLS_method());
	t->bio = bio_method();
	int rc = t->ctx && t->bio ? setup(t->ctx, cfg, why, whylen) : MS_ENOMEM;
	if (rc) {
		if (rc == MS_ENOMEM)
			snprintf(why, whylen, "out of memory");
		ERR_clear_error();
		ms__tls_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void ms__tls_ref(struct ms_tls *t)
{
	t->refs++;
}

void ms__tls_free(struct ms_tls *t)
{
	if (!t || --t->refs)
		return;
	SSL_CTX_free(t->ctx);
	BIO_meth_free(t->bio);
	ms__free(t);
}

bool ms__tls_has_cert(const struct ms_tls *t)
{
	return t->has_cert;
}

int ms__tls_set_versions(struct ms_tls *t, int min, int max)
{
	if (min < TLS1_2_VERSION || max > TLS1_3_VERSION || min > max)
		return MS_EINVAL;
	if (SSL_CTX_set_min_proto_version(t->ctx, min) != 1 ||
	    SSL_CTX_set_max_proto_version(t->ctx, max) != 1) {
		ERR_clear_error();
		return MS_EINVAL;
	}
	return 0;
}
