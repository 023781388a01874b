/* Internal: SIP over TCP on a libev loop. A listener accepts connections;
 * connections are also opened on demand to send; each one frames messages
 * with the stream framer and is closed when idle, when a peer stalls in the
 * middle of a message, or when it sends what cannot be framed. With a TLS
 * context every connection of the ms_tcp is TLS (server side for accepted
 * ones, client side for outgoing ones): the handshake runs without blocking
 * and must complete within stall_ms; output waits for it. */
#ifndef MS_CORE_TCP_H
#define MS_CORE_TCP_H

#include <stddef.h>
#include <stdint.h>

#include "moonsip/addr.h"

struct ev_loop;
struct ms_tcp;
struct ms_tls;
struct ssl_st;

struct ms_tcp;
/* The stream could not be framed (rc MS_EBADMSG: no usable Content-Length,
 * MS_EMSGSIZE: over max_msg; 'why' from the framer). 'buf' holds what came
 * of the message, to build an error answer from; an answer sent on 'conn'
 * during the call is written before the connection closes. */
typedef void (*ms__tcp_bad_cb)(struct ms_tcp *t, uint64_t conn, const struct sockaddr_storage *peer,
			       const char *buf, size_t len, int rc, const char *why, void *arg);

struct ms_tcp_config {
	size_t max_msg;        /* largest message, default 64 KiB */
	unsigned max_conns;    /* default 1024 */
	uint32_t idle_ms;      /* close a connection silent this long, default 120 s */
	uint32_t stall_ms;     /* close one stuck mid-message this long, default 10 s */
	struct ms_tls *tls;    /* NULL: plain TCP; else TLS (the ms_tcp takes a reference) */
	ms__tcp_bad_cb bad_cb; /* NULL: a stream that cannot be framed just closes */
	bool reuse_port;       /* SO_REUSEPORT on the listener */
};

/* One framed message from connection 'conn' (valid for the call only). */
typedef void (*ms__tcp_msg_cb)(struct ms_tcp *t, uint64_t conn, const struct sockaddr_storage *peer,
			       char *buf, size_t len, void *arg);
/* A connection ended: err is 0 for an orderly close or idleness, else the
 * negative error ("why" says what happened, for the log). Messages queued
 * on it are lost; the transaction layer learns it from here. */
typedef void (*ms__tcp_close_cb)(struct ms_tcp *t, uint64_t conn, const struct sockaddr_storage *peer,
				 int err, const char *why, void *arg);

/* Listens on 'addr' (NULL: no listener, outgoing connections only). */
int ms__tcp_open(struct ms_tcp **out, struct ev_loop *loop, const struct sockaddr_storage *addr,
		 const struct ms_tcp_config *cfg, ms__tcp_msg_cb msg_cb, ms__tcp_close_cb close_cb,
		 void *arg);
const struct sockaddr_storage *ms__tcp_local(const struct ms_tcp *t);
/* Sends on connection 'conn' when it is still open, else on any open
 * connection to 'dst', else on a new one (connected without blocking; the
 * bytes wait for it). Returns the connection used (> 0), or a negative
 * code (MS_ENOENT: 'conn' is gone and dst is NULL; MS_EMSGSIZE: over the
 * per-connection output limit). */
int64_t ms__tcp_send(struct ms_tcp *t, uint64_t conn, const struct sockaddr_storage *dst, const void *buf,
		     size_t len);
/* The same, with the name of the destination for TLS: sent as SNI and
 * checked against the server's certificate (an IP literal is checked as an
 * address; NULL: the address of dst is checked). An open connection to dst
 * is reused only when it was opened for the same name. Plain TCP ignores
 * 'host'. */
int64_t ms__tcp_send_host(struct ms_tcp *t, uint64_t conn, const struct sockaddr_storage *dst,
			  const char *host, const void *buf, size_t len);
/* The open connection to 'dst' (its id), or 0 when there is none: nothing
 * is opened (a keep-alive only goes where the peer's connection is). */
uint64_t ms__tcp_conn_to(struct ms_tcp *t, const struct sockaddr_storage *dst);
/* Closes the listener; connections stay. */
void ms__tcp_stop_listening(struct ms_tcp *t);
/* Closes one connection (the close callback is called). */
void ms__tcp_drop(struct ms_tcp *t, uint64_t conn, const char *why);
size_t ms__tcp_count(const struct ms_tcp *t);
/* For TLS connections: the server name the client sent (SNI) on an
 * accepted connection, or NULL (none sent, no such connection, plain TCP);
 * and the connection's SSL object (NULL when not TLS), to look at the
 * version or the peer's certificate. */
const char *ms__tcp_conn_sni(struct ms_tcp *t, uint64_t conn);
struct ssl_st *ms__tcp_conn_tls(struct ms_tcp *t, uint64_t conn);
/* Closes the listener and every connection, without callbacks. */
void ms__tcp_close(struct ms_tcp *t);

#endif
