/* UDP: batch receive with recvmmsg, batch send with sendmmsg, ICMP errors
 * through IP_RECVERR.
 *
 * What the receive callbacks send while a batch is being handled (the
 * answers to the requests in it) is queued and leaves in one sendmmsg call
 * after the batch: under load one syscall carries up to OUT_BATCH
 * datagrams. Sends from anywhere else leave at once. */
#define _GNU_SOURCE /* recvmmsg */
#include "transport/udp.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"

/* Datagrams per recvmmsg call, and calls per readiness event: enough to
 * amortise the syscall under load, bounded so one socket cannot starve the
 * loop. */
#define BATCH 16
#define ROUNDS 8
#define DGRAM_MAX 65535
#define OUT_BATCH 32

struct ms_udp {
	ev_io io;
	struct ev_loop *loop;
	int fd;
	struct sockaddr_storage local;
	ms__udp_recv_cb recv_cb;
	ms__udp_error_cb error_cb;
	void *arg;
	struct sockaddr_storage from[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	char bufs[BATCH][DGRAM_MAX + 1];
	/* The send queue, filled while 'batching'. */
	bool batching;
	unsigned nout;
	struct ms_buf out;
	size_t out_off[OUT_BATCH];
	struct sockaddr_storage out_dst[OUT_BATCH];
	struct iovec out_iov[OUT_BATCH];
	struct mmsghdr out_msgs[OUT_BATCH];
};

static void flush(struct ms_udp *u);

/* The error queue names the destination that was unreachable. */
static void drain_errors(struct ms_udp *u)
{
	for (int i = 0; i < BATCH; i++) {
		struct sockaddr_storage dst;
		char ctl[512], data[1];
		struct iovec iov = { data, sizeof data };
		struct msghdr mh = { .msg_name = &dst,
				     .msg_namelen = sizeof dst,
				     .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctl,
				     .msg_controllen = sizeof ctl };
		memset(&dst, 0, sizeof dst);
		if (recvmsg(u->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
			      (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)))
				continue;
			struct sock_extended_err ee;
			memcpy(&ee, CMSG_DATA(c), sizeof ee);
			if (u->error_cb &&
			    (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6))
				u->error_cb(u, &dst, (int)ee.ee_errno, u->arg);
		}
	}
}

static void prepare(struct ms_udp *u)
{
	for (int i = 0; i < BATCH; i++) {
		u->iov[i] = (struct iovec){ u->bufs[i], DGRAM_MAX };
		u->msgs[i].msg_hdr = (struct msghdr){ .msg_name = &u->from[i],
						      .msg_namelen = sizeof u->from[i],
						      .msg_iov = &u->iov[i],
						      .msg_iovlen = 1 };
	}
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ms_udp *u = (struct ms_udp *)w;
	(void)loop;
	(void)revents;
	for (int round = 0; round < ROUNDS; round++) {
		prepare(u);
		int n = recvmmsg(u->fd, u->msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			drain_errors(u); /* ECONNREFUSED and friends: an ICMP error is queued */
			continue;
		}
		u->batching = true;
		for (int i = 0; i < n; i++) {
			/* A NUL past the datagram: cheap insurance for code that
			 * prints it; the parser never reads it. */
			u->bufs[i][u->msgs[i].msg_len] = 0;
			u->recv_cb(u, u->bufs[i], u->msgs[i].msg_len, &u->from[i], u->arg);
		}
		u->batching = false;
		flush(u);
		if (n < BATCH)
			return;
	}
}

/* A receive buffer that absorbs bursts: the kernel's default (about 200
 * KiB) overflows when a few hundred requests arrive at once, and every
 * datagram lost there costs the client a retransmission 500 ms later. The
 * size is asked with CAP_NET_ADMIN's override first, then within the
 * kernel's rmem_max; either may be refused, and that is not an error. */
#define RCVBUF (4 << 20)

static void size_buffers(int fd)
{
	int n = RCVBUF;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &n, sizeof n) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &n, sizeof n);
}

static int set_options(int fd, int family, int flags)
{
	int on = 1;
	size_buffers(fd);
	if ((flags & MS__UDP_REUSEPORT) && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0)
		return -1;
	if (family == AF_INET)
		return setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof on);
	return setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &on, sizeof on);
}

int ms__udp_open(struct ms_udp **out, struct ev_loop *loop, const struct sockaddr_storage *addr, int flags,
		 ms__udp_recv_cb recv_cb, ms__udp_error_cb error_cb, void *arg)
{
	struct ms_udp *u = ms__calloc(1, sizeof *u);
	if (!u)
		return MS_ENOMEM;
	int rc;
	socklen_t len = sizeof u->local;
	u->fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (u->fd < 0 || set_options(u->fd, addr->ss_family, flags) < 0 ||
	    bind(u->fd, (const struct sockaddr *)addr, ms_addr_len(addr)) < 0 ||
	    getsockname(u->fd, (struct sockaddr *)&u->local, &len) < 0) {
		rc = -errno;
		goto fail;
	}
	u->loop = loop;
	u->recv_cb = recv_cb;
	u->error_cb = error_cb;
	u->arg = arg;
	ms_buf_init(&u->out);
	ev_io_init(&u->io, on_readable, u->fd, EV_READ);
	ev_io_start(loop, &u->io);
	*out = u;
	return 0;
fail:
	if (u->fd >= 0)
		close(u->fd);
	ms__free(u);
	return rc;
}

const struct sockaddr_storage *ms__udp_local(const struct ms_udp *u)
{
	return &u->local;
}

static int send_now(struct ms_udp *u, const struct sockaddr_storage *dst, const void *buf, size_t len)
{
	ssize_t n = sendto(u->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)dst,
			   ms_addr_len(dst));
	if (n < 0) {
		int err = errno;
		/* A queued ICMP error surfaces on the next call; it concerns an
		 * earlier datagram, so report it and try this one again. */
		if (err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH) {
			drain_errors(u);
			n = sendto(u->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)dst,
				   ms_addr_len(dst));
			if (n >= 0)
				return 0;
			err = errno;
		}
		return -err;
	}
	return 0;
}

/* Sends the queue. A datagram the kernel refuses is dropped, as the
 * network could have dropped it; an ICMP error queued from an earlier one
 * is reported and the rest sent again. */
static void flush(struct ms_udp *u)
{
	unsigned done = 0;
	for (unsigned i = 0; i < u->nout; i++) {
		size_t end = i + 1 < u->nout ? u->out_off[i + 1] : u->out.len;
		u->out_iov[i] = (struct iovec){ u->out.data + u->out_off[i], end - u->out_off[i] };
		u->out_msgs[i].msg_hdr = (struct msghdr){ .msg_name = &u->out_dst[i],
							  .msg_namelen = ms_addr_len(&u->out_dst[i]),
							  .msg_iov = &u->out_iov[i],
							  .msg_iovlen = 1 };
	}
	for (int tries = 0; done < u->nout && tries < 4; tries++) {
		int n = sendmmsg(u->fd, u->out_msgs + done, u->nout - done, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			done += (unsigned)n;
			continue;
		}
		if (n < 0 && (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH))
			drain_errors(u);
		else
			done++; /* skip the one refused (EAGAIN: the buffer is full) */
	}
	u->nout = 0;
	u->out.len = 0;
}

int ms__udp_send(struct ms_udp *u, const struct sockaddr_storage *dst, const void *buf, size_t len)
{
	if (!u->batching || len > DGRAM_MAX)
		return send_now(u, dst, buf, len);
	if (u->nout == OUT_BATCH)
		flush(u);
	if (ms_buf_add(&u->out, buf, len) < 0)
		return send_now(u, dst, buf, len);
	u->out_off[u->nout] = u->out.len - len;
	u->out_dst[u->nout] = *dst;
	u->nout++;
	return 0;
}

void ms__udp_close(struct ms_udp *u)
{
	if (!u)
		return;
	flush(u);
	ms_buf_free(&u->out);
	ev_io_stop(u->loop, &u->io);
	close(u->fd);
	ms__free(u);
}
