/* Internal to tls.c and tls_conn.c: the context behind struct ms_tls. */
#ifndef MS_CORE_TLS_PRIVATE_H
#define MS_CORE_TLS_PRIVATE_H

#include <openssl/ssl.h>
#include <stdbool.h>

struct ms_tls {
	SSL_CTX *ctx;
	BIO_METHOD *bio; /* the socket BIO of every connection */
	unsigned refs;
	bool has_cert;
	bool verify_client;
	bool verify_server;
};

/* OpenSSL's text for error code e (the system's for a system error). */
const char *ms__tls_reason(unsigned long e);

#endif
