/* SIP over TCP and TLS: listener, connection table, framing, timeouts. */
#define _GNU_SOURCE /* accept4 */
#include "transport/tcp.h"

#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "moonsip/stream.h"
#include "transport/tls.h"

#define READ_CHUNK 16384

struct conn {
	ev_io io;
	ev_timer timer;
	struct ms_tcp *t;
	struct conn *next;
	uint64_t id;
	int fd;
	struct sockaddr_storage peer;
	bool connecting;
	bool handshaking; /* TLS: output waits, the stall timer runs */
	bool tls_failed;  /* a fatal TLS error: no close_notify */
	bool dead;        /* dropped while a callback ran: freed after it */
	bool closing;     /* writes its last answer, reads nothing, then closes */
	bool lingering;   /* answer written and FIN sent: input discarded until EOF */
	int close_err;
	const char *close_why; /* static text */
	int tls_want;          /* EV_WRITE when a TLS step waits for writability */
	unsigned busy;         /* callbacks running on this connection */
	struct ms_framer fr;
	struct ms_buf in;
	size_t in_off; /* consumed bytes at the front of 'in' */
	struct ms_buf out;
	size_t out_off;     /* sent bytes at the front of 'out' */
	struct ssl_st *ssl; /* NULL: plain TCP */
	char *host;         /* TLS client: the name the peer was checked against */
};

struct ms_tcp {
	ev_io lio;
	struct ev_loop *loop;
	int lfd;
	struct sockaddr_storage local;
	struct ms_tcp_config cfg;
	ms__tcp_msg_cb msg_cb;
	ms__tcp_close_cb close_cb;
	void *arg;
	/* A list: connection counts here are in the hundreds; a hash comes
	 * when the server runs thousands of TCP clients. */
	struct conn *conns;
	size_t nconns;
	uint64_t next_id;
};

static void conn_free(struct conn *c)
{
	struct ms_tcp *t = c->t;
	for (struct conn **p = &t->conns; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	t->nconns--;
	ev_io_stop(t->loop, &c->io);
	ev_timer_stop(t->loop, &c->timer);
	if (c->ssl)
		ms__tls_conn_free(c->ssl, !c->tls_failed);
	close(c->fd);
	ms__free(c->host);
	ms_buf_free(&c->in);
	ms_buf_free(&c->out);
	ms__free(c);
}

/* Ends a connection and tells the owner; the memory goes once no callback
 * runs on it any more. */
static void conn_drop(struct conn *c, int err, const char *why)
{
	if (c->dead)
		return;
	c->dead = true;
	ev_io_stop(c->t->loop, &c->io);
	ev_timer_stop(c->t->loop, &c->timer);
	c->busy++;
	if (c->t->close_cb)
		c->t->close_cb(c->t, c->id, &c->peer, err, why, c->t->arg);
	c->busy--;
	if (!c->busy)
		conn_free(c);
}

/* A TLS failure: the reason from OpenSSL, for the close callback. */
static void tls_drop(struct conn *c, int err, const char *what)
{
	char why[200];
	c->tls_failed = true;
	conn_drop(c, err, ms__tls_why(c->ssl, err, what, why, sizeof why));
}

static void watch(struct conn *c)
{
	int ev = (c->closing && !c->lingering ? 0 : EV_READ) | c->tls_want;
	if (c->connecting || (c->out.len > c->out_off && !c->handshaking))
		ev |= EV_WRITE;
	if ((c->io.events & (EV_READ | EV_WRITE)) == ev && ev_is_active(&c->io))
		return;
	ev_io_stop(c->t->loop, &c->io);
	ev_io_set(&c->io, c->fd, ev);
	ev_io_start(c->t->loop, &c->io);
}

/* Idle when nothing is pending; a shorter limit while a message is half
 * received, so a peer cannot hold a buffer by stalling. A TLS handshake
 * (with the connect before it) gets the short limit once, in all. */
static void arm_timer(struct conn *c)
{
	bool partial = c->handshaking || c->in.len > c->in_off;
	uint32_t ms = partial ? c->t->cfg.stall_ms : c->t->cfg.idle_ms;
	c->timer.repeat = ms / 1000.0;
	ev_timer_again(c->t->loop, &c->timer);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct conn *c = (struct conn *)((char *)w - offsetof(struct conn, timer));
	(void)loop;
	(void)revents;
	if (c->handshaking)
		conn_drop(c, -ETIMEDOUT, "TLS handshake timed out");
	else if (c->closing)
		conn_drop(c, c->close_err, c->close_why);
	else
		conn_drop(c, c->in.len > c->in_off ? -ETIMEDOUT : 0,
			  c->in.len > c->in_off ? "stalled in the middle of a message" : "idle");
}

/* Writes from the output buffer: the bytes taken, 0 when the socket takes
 * no more now, or a negative error. */
static ssize_t out_write(struct conn *c)
{
	const char *p = c->out.data + c->out_off;
	size_t len = c->out.len - c->out_off;
	if (c->ssl) {
		int want;
		ssize_t n = ms__tls_write(c->ssl, p, len, &want);
		return n == MS_EAGAIN ? 0 : n;
	}
	ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	return n;
}

/* The last answer is written: send FIN and read what the peer still sends
 * until it closes too (bounded by LINGER_MS). Closing with unread input
 * would reset the connection, and a reset can destroy the answer before
 * the peer reads it (a 513 to a peer still sending its 10 MiB). */
#define LINGER_MS 2000

static void linger(struct conn *c)
{
	c->lingering = true;
	if (c->ssl && !c->tls_failed)
		ms__tls_notify(c->ssl);
	shutdown(c->fd, SHUT_WR);
	uint32_t ms = c->t->cfg.stall_ms < LINGER_MS ? c->t->cfg.stall_ms : LINGER_MS;
	c->timer.repeat = ms / 1000.0;
	ev_timer_again(c->t->loop, &c->timer);
	watch(c);
}

/* Reads and drops what a lingering peer sends; its EOF ends the wait. */
static void discard(struct conn *c)
{
	char junk[16384];
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(c->fd, junk, sizeof junk, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			conn_drop(c, c->close_err, c->close_why);
			return;
		}
		if (n < 0)
			return;
	}
}

/* From the write watcher: the rest of the output, or the connection's end
 * when the socket fails. */
static void flush(struct conn *c)
{
	while (c->out.len > c->out_off) {
		ssize_t n = out_write(c);
		if (n == 0)
			break;
		if (n < 0) {
			if (c->ssl)
				tls_drop(c, (int)n, "TLS send failed");
			else
				conn_drop(c, (int)n, "send failed");
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out.len) {
		c->out.len = c->out_off = 0;
		if (c->closing && !c->lingering) {
			linger(c);
			return;
		}
	}
	watch(c);
}

/* Writes what the socket takes now, from ms__tcp_send: a failure is left
 * for the write watcher to find, so no callback runs inside the send. */
static void try_send(struct conn *c)
{
	while (c->out.len > c->out_off) {
		ssize_t n = out_write(c);
		if (n <= 0)
			return;
		c->out_off += (size_t)n;
	}
	c->out.len = c->out_off = 0;
}

/* Ends a connection once its output is written (bounded by the stall
 * time): an error answer gets out before the close. */
static void close_after_flush(struct conn *c, int err, const char *why)
{
	if (c->dead)
		return;
	c->closing = true;
	c->close_err = err;
	c->close_why = why;
	if (c->out.len == c->out_off) {
		linger(c);
		return;
	}
	c->timer.repeat = c->t->cfg.stall_ms / 1000.0;
	ev_timer_again(c->t->loop, &c->timer);
	watch(c);
}

/* The stream cannot be framed: the owner may answer, then it closes. */
static void unframeable(struct conn *c, int rc)
{
	if (c->t->cfg.bad_cb)
		c->t->cfg.bad_cb(c->t, c->id, &c->peer, c->in.data + c->in_off, c->in.len - c->in_off, rc,
				 c->fr.why, c->t->arg);
	close_after_flush(c, rc, c->fr.why);
}

/* Frames and delivers every whole message in the input buffer. */
static void deliver(struct conn *c)
{
	while (!c->dead && !c->closing) {
		size_t skip;
		bool pong;
		int n = ms_framer_next(&c->fr, c->in.data + c->in_off, c->in.len - c->in_off, &skip, &pong);
		c->in_off += skip;
		if (pong)
			ms__tcp_send(c->t, c->id, NULL, "\r\n", 2);
		if (n == MS_EAGAIN)
			break;
		if (n < 0) {
			unframeable(c, n);
			return;
		}
		char *msg = c->in.data + c->in_off;
		c->in_off += (size_t)n;
		c->t->msg_cb(c->t, c->id, &c->peer, msg, (size_t)n, c->t->arg);
	}
	if (c->in_off == c->in.len) {
		c->in.len = c->in_off = 0;
	} else if (c->in_off > c->in.cap / 2) {
		memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
		c->in.len -= c->in_off;
		c->in_off = 0;
	}
}

/* Reads into the input buffer: the byte count, or 0 when there is nothing
 * more now (the connection is dropped when it ended or failed). */
static size_t in_read(struct conn *c)
{
	char *p = c->in.data + c->in.len;
	ssize_t n;
	if (c->ssl) {
		int want = 0;
		n = ms__tls_read(c->ssl, p, READ_CHUNK, &want);
		if (n == MS_EAGAIN)
			c->tls_want |= want & EV_WRITE;
		else if (n < 0)
			tls_drop(c, (int)n, "TLS receive failed");
	} else {
		n = recv(c->fd, p, READ_CHUNK, 0);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_drop(c, -errno, "receive failed");
	}
	if (n == 0)
		conn_drop(c, 0, "closed by the peer");
	return n > 0 ? (size_t)n : 0;
}

static void on_readable(struct conn *c)
{
	if (c->lingering)
		discard(c);
	if (c->closing)
		return;
	for (;;) {
		if (ms_buf_reserve(&c->in, READ_CHUNK) < 0) {
			conn_drop(c, MS_ENOMEM, "out of memory");
			return;
		}
		size_t n = in_read(c);
		if (!n)
			break;
		c->in.len += n;
		deliver(c);
		/* OpenSSL may hold decrypted bytes the socket no longer
		 * signals: TLS reads until it wants more. */
		if (c->dead || c->closing || (!c->ssl && n < READ_CHUNK))
			break;
	}
	if (!c->dead)
		arm_timer(c);
}

/* One handshake step: true once it is complete. */
static bool handshake(struct conn *c)
{
	int want = 0;
	int rc = ms__tls_handshake(c->ssl, &want);
	if (rc == MS_EAGAIN) {
		c->tls_want = want & EV_WRITE;
		watch(c);
		return false;
	}
	if (rc < 0) {
		tls_drop(c, rc, "TLS handshake failed");
		return false;
	}
	c->handshaking = false;
	c->tls_want = 0;
	arm_timer(c);
	return true;
}

/* Any event: OpenSSL may need either direction for reads and writes, and
 * may already hold bytes after the handshake, so both are tried. */
static void tls_io(struct conn *c)
{
	if (c->handshaking && !handshake(c))
		return;
	c->tls_want = 0;
	on_readable(c);
	if (!c->dead)
		flush(c);
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = (struct conn *)w;
	(void)loop;
	c->busy++;
	if (c->connecting && (revents & EV_WRITE)) {
		int err = 0;
		socklen_t len = sizeof err;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err)
			conn_drop(c, -err, "connect failed");
		c->connecting = false;
	}
	if (c->ssl && !c->dead && !c->connecting)
		tls_io(c);
	if (!c->ssl && !c->dead && (revents & EV_READ))
		on_readable(c);
	if (!c->ssl && !c->dead && (revents & EV_WRITE))
		flush(c);
	c->busy--;
	if (c->dead && !c->busy)
		conn_free(c);
}

/* TLS state for a new connection: a server for accepted ones, a client
 * checking 'host' (or the address) for outgoing ones. */
static int tls_setup(struct conn *c, bool server, const char *host)
{
	if (host) {
		size_t n = strlen(host) + 1;
		if (!(c->host = ms__malloc(n)))
			return MS_ENOMEM;
		memcpy(c->host, host, n);
	}
	c->handshaking = true;
	return ms__tls_conn_new(&c->ssl, c->t->cfg.tls, c->fd, server, host, &c->peer);
}

static struct conn *conn_new(struct ms_tcp *t, int fd, const struct sockaddr_storage *peer, bool server,
			     const char *host)
{
	struct conn *c = ms__calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->t = t;
	c->fd = fd;
	c->peer = *peer;
	if (t->cfg.tls && tls_setup(c, server, host) < 0) {
		ms__free(c->host);
		ms__free(c);
		return NULL;
	}
	c->id = ++t->next_id;
	ms_framer_init(&c->fr, t->cfg.max_msg);
	ms_buf_init(&c->in);
	ms_buf_init(&c->out);
	ev_io_init(&c->io, on_io, fd, EV_READ);
	ev_init(&c->timer, on_timer);
	c->next = t->conns;
	t->conns = c;
	t->nconns++;
	watch(c);
	arm_timer(c);
	return c;
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ms_tcp *t = (struct ms_tcp *)w;
	(void)loop;
	(void)revents;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof peer;
		int fd = accept4(t->lfd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		/* Over the limit: refuse cleanly, the peer sees the close. */
		if (t->nconns >= t->cfg.max_conns || !conn_new(t, fd, &peer, true, NULL)) {
			if (t->close_cb)
				t->close_cb(t, 0, &peer, MS_EMSGSIZE, "connection limit reached", t->arg);
			close(fd);
		}
	}
}

static struct conn *find(struct ms_tcp *t, uint64_t id)
{
	for (struct conn *c = t->conns; c; c = c->next)
		if (!c->dead && c->id == id)
			return c;
	return NULL;
}

/* A TLS connection serves another name only when it was checked for it;
 * one the peer opened serves requests without a name. */
static bool same_host(const struct conn *c, const char *host)
{
	if (!c->ssl || !host)
		return true;
	return c->host && !strcasecmp(c->host, host);
}

static struct conn *find_dst(struct ms_tcp *t, const struct sockaddr_storage *dst, const char *host)
{
	for (struct conn *c = t->conns; c; c = c->next)
		if (!c->dead && !c->closing && ms_addr_equal(&c->peer, dst) && same_host(c, host))
			return c;
	return NULL;
}

static struct conn *connect_to(struct ms_tcp *t, const struct sockaddr_storage *dst, const char *host,
			       int *rc)
{
	if (t->nconns >= t->cfg.max_conns) {
		*rc = MS_EMSGSIZE;
		return NULL;
	}
	int fd = socket(dst->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    (connect(fd, (const struct sockaddr *)dst, ms_addr_len(dst)) < 0 && errno != EINPROGRESS)) {
		*rc = -errno;
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	int on = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	struct conn *c = conn_new(t, fd, dst, false, host);
	if (!c) {
		close(fd);
		*rc = MS_ENOMEM;
		return NULL;
	}
	c->connecting = true;
	watch(c);
	return c;
}

int64_t ms__tcp_send_host(struct ms_tcp *t, uint64_t conn, const struct sockaddr_storage *dst,
			  const char *host, const void *buf, size_t len)
{
	int rc = MS_ENOENT;
	struct conn *c = conn ? find(t, conn) : NULL;
	if (!c && dst)
		c = find_dst(t, dst, host);
	if (!c && dst)
		c = connect_to(t, dst, host, &rc);
	if (!c)
		return rc;
	/* Bounded output: a peer that stops reading cannot grow it forever. */
	if (c->out.len - c->out_off + len > 4 * t->cfg.max_msg)
		return MS_EMSGSIZE;
	if (ms_buf_add(&c->out, buf, len) < 0)
		return MS_ENOMEM;
	if (!c->connecting && !c->handshaking)
		try_send(c);
	watch(c);
	return (int64_t)c->id;
}

int64_t ms__tcp_send(struct ms_tcp *t, uint64_t conn, const struct sockaddr_storage *dst, const void *buf,
		     size_t len)
{
	return ms__tcp_send_host(t, conn, dst, NULL, buf, len);
}

uint64_t ms__tcp_conn_to(struct ms_tcp *t, const struct sockaddr_storage *dst)
{
	struct conn *c = find_dst(t, dst, NULL);
	return c ? c->id : 0;
}

void ms__tcp_drop(struct ms_tcp *t, uint64_t conn, const char *why)
{
	struct conn *c = find(t, conn);
	if (c)
		conn_drop(c, 0, why);
}

const char *ms__tcp_conn_sni(struct ms_tcp *t, uint64_t conn)
{
	struct conn *c = find(t, conn);
	return c && c->ssl ? ms__tls_sni(c->ssl) : NULL;
}

struct ssl_st *ms__tcp_conn_tls(struct ms_tcp *t, uint64_t conn)
{
	struct conn *c = find(t, conn);
	return c ? c->ssl : NULL;
}

size_t ms__tcp_count(const struct ms_tcp *t)
{
	return t->nconns;
}

const struct sockaddr_storage *ms__tcp_local(const struct ms_tcp *t)
{
	return &t->local;
}

static void defaults(struct ms_tcp_config *c)
{
	if (!c->max_msg)
		c->max_msg = MS_FRAME_DEFAULT_MAX;
	if (!c->max_conns)
		c->max_conns = 1024;
	if (!c->idle_ms)
		c->idle_ms = 120000;
	if (!c->stall_ms)
		c->stall_ms = 10000;
}

static int listen_on(struct ms_tcp *t, const struct sockaddr_storage *addr)
{
	int on = 1;
	socklen_t len = sizeof t->local;
	t->lfd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->lfd < 0 || setsockopt(t->lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0 ||
	    (t->cfg.reuse_port && setsockopt(t->lfd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0) ||
	    bind(t->lfd, (const struct sockaddr *)addr, ms_addr_len(addr)) < 0 || listen(t->lfd, 512) < 0 ||
	    getsockname(t->lfd, (struct sockaddr *)&t->local, &len) < 0)
		return -errno;
	ev_io_init(&t->lio, on_accept, t->lfd, EV_READ);
	ev_io_start(t->loop, &t->lio);
	return 0;
}

int ms__tcp_open(struct ms_tcp **out, struct ev_loop *loop, const struct sockaddr_storage *addr,
		 const struct ms_tcp_config *cfg, ms__tcp_msg_cb msg_cb, ms__tcp_close_cb close_cb, void *arg)
{
	struct ms_tcp *t = ms__calloc(1, sizeof *t);
	if (!t)
		return MS_ENOMEM;
	t->loop = loop;
	t->lfd = -1;
	if (cfg)
		t->cfg = *cfg;
	defaults(&t->cfg);
	t->msg_cb = msg_cb;
	t->close_cb = close_cb;
	t->arg = arg;
	int rc = addr ? listen_on(t, addr) : 0;
	if (rc) {
		if (t->lfd >= 0)
			close(t->lfd);
		ms__free(t);
		return rc;
	}
	if (t->cfg.tls)
		ms__tls_ref(t->cfg.tls);
	*out = t;
	return 0;
}

void ms__tcp_stop_listening(struct ms_tcp *t)
{
	if (t->lfd < 0)
		return;
	ev_io_stop(t->loop, &t->lio);
	close(t->lfd);
	t->lfd = -1;
}

void ms__tcp_close(struct ms_tcp *t)
{
	if (!t)
		return;
	while (t->conns)
		conn_free(t->conns);
	if (t->lfd >= 0) {
		ev_io_stop(t->loop, &t->lio);
		close(t->lfd);
	}
	ms__tls_free(t->cfg.tls);
	ms__free(t);
}
