/* One TLS connection: set-up with the peer's identity, the non-blocking
 * handshake, reads and writes, and why a step failed. */
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "transport/tls.h"
#include "transport/tls_private.h"

/* The name or address the server's certificate must match. A host that is
 * an IP literal is checked as an address and not sent as SNI (RFC 6066). */
static int client_identity(SSL *ssl, const char *host, const struct sockaddr_storage *peer)
{
	X509_VERIFY_PARAM *p = SSL_get0_param(ssl);
	struct sockaddr_storage ip;
	if (host && ms_addr_set(&ip, (struct ms_str){ host, strlen(host) }, 0) < 0) {
		X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		return SSL_set_tlsext_host_name(ssl, host) == 1 &&
			X509_VERIFY_PARAM_set1_host(p, host, 0) == 1;
	}
	if (host)
		peer = &ip;
	if (peer->ss_family == AF_INET)
		return X509_VERIFY_PARAM_set1_ip(
			       p, (const unsigned char *)&((const struct sockaddr_in *)peer)->sin_addr, 4) ==
			1;
	return X509_VERIFY_PARAM_set1_ip(p, ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr, 16) == 1;
}

static bool set_role(SSL *ssl, const struct ms_tls *t, bool server, const char *host,
		     const struct sockaddr_storage *peer)
{
	if (server) {
		SSL_set_accept_state(ssl);
		SSL_set_verify(ssl,
			       t->verify_client ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
						: SSL_VERIFY_NONE,
			       NULL);
		return true;
	}
	SSL_set_connect_state(ssl);
	if (!t->verify_server) {
		SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
		struct sockaddr_storage ip;
		return !host || ms_addr_set(&ip, (struct ms_str){ host, strlen(host) }, 0) == 0 ||
			SSL_set_tlsext_host_name(ssl, host) == 1;
	}
	SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	return client_identity(ssl, host, peer);
}

int ms__tls_conn_new(struct ssl_st **out, struct ms_tls *t, int fd, bool server, const char *host,
		     const struct sockaddr_storage *peer)
{
	SSL *ssl = SSL_new(t->ctx);
	BIO *bio = BIO_new(t->bio);
	if (!ssl || !bio) {
		BIO_free(bio);
		SSL_free(ssl);
		ERR_clear_error();
		return MS_ENOMEM;
	}
	BIO_set_data(bio, (void *)(intptr_t)fd);
	SSL_set_bio(ssl, bio, bio); /* the SSL object owns it now */
	if (!set_role(ssl, t, server, host, peer)) {
		SSL_free(ssl);
		ERR_clear_error();
		return MS_ENOMEM;
	}
	*out = ssl;
	return 0;
}

void ms__tls_notify(struct ssl_st *ssl)
{
	if (SSL_is_init_finished(ssl) && !(SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN))
		SSL_shutdown(ssl);
	ERR_clear_error();
}

void ms__tls_conn_free(struct ssl_st *ssl, bool notify)
{
	/* SSL_shutdown must not follow a fatal error; a handshake that failed
	 * or never finished has nothing to close. */
	if (notify)
		ms__tls_notify(ssl);
	SSL_free(ssl);
}

/* The outcome of an SSL call that did not succeed. */
static int result(SSL *ssl, int r, int *want)
{
	switch (SSL_get_error(ssl, r)) {
	case SSL_ERROR_WANT_READ: *want = EV_READ; return MS_EAGAIN;
	case SSL_ERROR_WANT_WRITE: *want = EV_WRITE; return MS_EAGAIN;
	case SSL_ERROR_ZERO_RETURN: return 0;
	case SSL_ERROR_SYSCALL: return errno ? -errno : -ECONNRESET;
	default: return -EPROTO;
	}
}

int ms__tls_handshake(struct ssl_st *ssl, int *want)
{
	ERR_clear_error();
	errno = 0;
	int r = SSL_do_handshake(ssl);
	if (r == 1)
		return 0;
	r = result(ssl, r, want);
	return r ? r : -ECONNRESET; /* closed in the middle of it */
}

ssize_t ms__tls_read(struct ssl_st *ssl, void *buf, size_t len, int *want)
{
	size_t n;
	ERR_clear_error();
	errno = 0;
	int r = SSL_read_ex(ssl, buf, len, &n);
	return r == 1 ? (ssize_t)n : result(ssl, r, want);
}

ssize_t ms__tls_write(struct ssl_st *ssl, const void *buf, size_t len, int *want)
{
	size_t n;
	ERR_clear_error();
	errno = 0;
	int r = SSL_write_ex(ssl, buf, len, &n);
	if (r == 1)
		return (ssize_t)n;
	r = result(ssl, r, want);
	return r ? r : -EPIPE;
}

const char *ms__tls_why(struct ssl_st *ssl, int err, const char *what, char *buf, size_t len)
{
	unsigned long e = ERR_get_error();
	long v = SSL_get_verify_result(ssl);
	if (!e)
		snprintf(buf, len, "%s: %s", what,
			 err == -ECONNRESET ? "closed by the peer" : strerror(-err));
	else if (ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED && v != X509_V_OK)
		snprintf(buf, len, "%s: %s (%s)", what, ms__tls_reason(e), X509_verify_cert_error_string(v));
	else
		snprintf(buf, len, "%s: %s", what, ms__tls_reason(e));
	ERR_clear_error();
	return buf;
}

const char *ms__tls_sni(struct ssl_st *ssl)
{
	return SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
}
