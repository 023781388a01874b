/* Internal: TLS for the TCP transport (OpenSSL 3, TLS 1.2 and 1.3 only).
 * A struct ms_tls is the context made once from a struct ms_tls_config;
 * each TLS connection is an SSL object on the connection's socket, driven
 * without blocking from the connection's io watcher. Only the tls*.c files
 * include OpenSSL: to tcp.c a connection's SSL object is opaque. */
#ifndef MS_CORE_TLS_H
#define MS_CORE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "moonsip/addr.h"

struct ms_tls;
struct ms_tls_config; /* moonsip/stack.h */
struct ssl_st;

/* A context from 'cfg': the certificate chain and key when given (checked
 * to match; key_file NULL reads the key from cert_file), the CA file or
 * else the system's default store, TLS 1.2 to 1.3. MS_EINVAL with OpenSSL's
 * reason in 'why' ("cannot load certificate x.pem: no such file"), or
 * MS_ENOMEM. The context is reference-counted: each ms_tcp using it holds a
 * reference, so it may be freed while they still run. */
int ms__tls_new(struct ms_tls **out, const struct ms_tls_config *cfg, char *why, size_t whylen);
void ms__tls_ref(struct ms_tls *t);
/* Drops one reference (NULL is ignored). */
void ms__tls_free(struct ms_tls *t);
/* Whether a certificate was loaded: a TLS listener needs one. */
bool ms__tls_has_cert(const struct ms_tls *t);
/* Narrows the versions to [min, max] (0x0303 is TLS 1.2, 0x0304 TLS 1.3),
 * for tests and for a server that wants TLS 1.3 alone. MS_EINVAL outside
 * that range. Applies to connections made afterwards. */
int ms__tls_set_versions(struct ms_tls *t, int min, int max);

/* One connection on the non-blocking socket 'fd' (not owned). A client
 * (server false) sends 'host' as SNI unless it is an IP literal and checks
 * the certificate against it, or against the address 'peer' when host is
 * NULL (unless no_verify_server). 0 or MS_ENOMEM. */
int ms__tls_conn_new(struct ssl_st **out, struct ms_tls *t, int fd, bool server, const char *host,
		     const struct sockaddr_storage *peer);
/* Sends close_notify when 'notify' and the handshake had completed (best
 * effort, without blocking), then frees the SSL object. */
void ms__tls_conn_free(struct ssl_st *ssl, bool notify);
/* Sends close_notify once, best effort (nothing after a failed or
 * unfinished handshake): the connection's last TLS bytes. */
void ms__tls_notify(struct ssl_st *ssl);

/* The steps below return MS_EAGAIN with *want set to the libev events
 * (EV_READ or EV_WRITE) to wait for before calling again, or a negative
 * error: -errno for a socket error, -EPROTO for a TLS failure. Right after
 * an error, ms__tls_why() says what it was. */

/* 0 once the handshake is complete. */
int ms__tls_handshake(struct ssl_st *ssl, int *want);
/* Bytes read (> 0), 0 when the peer closed (close_notify or end of file). */
ssize_t ms__tls_read(struct ssl_st *ssl, void *buf, size_t len, int *want);
/* Bytes written (> 0), possibly fewer than len. After MS_EAGAIN, call again
 * with the same bytes at the front (the buffer may have moved or grown). */
ssize_t ms__tls_write(struct ssl_st *ssl, const void *buf, size_t len, int *want);

/* "what: reason" into buf, the reason from OpenSSL's error queue (with the
 * certificate check's result when that failed) or from errno code 'err';
 * empties the error queue. Returns buf. */
const char *ms__tls_why(struct ssl_st *ssl, int err, const char *what, char *buf, size_t len);
/* The server name a client sent (SNI), or NULL. */
const char *ms__tls_sni(struct ssl_st *ssl);

#endif
