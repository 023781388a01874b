/* rtp_floor: the floor of tests/bench/rtp.sh, a measuring stick and not a
 * relay anyone should run. It forwards UDP between pairs of sockets with as
 * little work as a relay can do: no parsing, no figures, no sessions, no
 * allocation after start. What it costs per packet is what this kernel
 * charges any userspace relay for receiving a packet and sending it on
 * over the loopback (the send includes the delivery to the receiving
 * socket and the wake-up of its reader).
 *
 * Call k has two sockets on ADDRESS: port BASE+2k (the A side) and
 * BASE+2k+1 (the B side). Symmetric latching as a real relay does it: the
 * source of the first packet that arrives on a socket is that socket's
 * peer; a packet that arrives on one socket of a pair goes out of the
 * other to that one's peer (dropped while it has none).
 *
 * Two ways to do the system calls:
 *   epoll  epoll_wait, then each ready socket drained with recvmmsg (32 at
 *          a time) and what came forwarded with one sendmmsg on its
 *          partner: what moonsip's relay does (core/rtp);
 *   uring  io_uring (liburing): a recvmsg armed on every socket; each
 *          completion is forwarded with a sendmsg on the partner, whose
 *          completion arms the recvmsg again; one io_uring_enter per loop
 *          turn submits and reaps everything ready on every socket, so the
 *          system calls per packet fall well below one (the network stack's
 *          own work per packet stays). With --linger-us N each turn waits
 *          up to N us for more completions (at most 256) before it goes on:
 *          batches by time, which trades latency for fewer wake-ups.
 *
 *	cc -O2 -o rtp_floor tests/bench/rtp_floor.c -luring
 *	rtp_floor --backend epoll|uring --address 127.0.0.1 --base 50000 --calls 500 [--linger-us 1000]
 * SIGTERM or SIGINT end it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 32
#define PKTMAX 2048

struct side {
	int fd;
	bool latched;
	struct sockaddr_in peer;
	/* uring: one packet in flight per side, received here, sent from the partner */
	char buf[PKTMAX];
	struct iovec iov;
	struct msghdr rx, tx;
	struct sockaddr_in src;
};

static struct side *sides; /* 2 per call: side i's partner is i ^ 1 */
static unsigned nsides;
static volatile sig_atomic_t stop;
static long linger_us; /* uring: how long a turn waits for more completions */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "rtp_floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void open_sides(const char *address, unsigned base, unsigned calls)
{
	nsides = 2 * calls;
	sides = calloc(nsides, sizeof *sides);
	if (!sides)
		die("calloc");
	for (unsigned i = 0; i < nsides; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(base + i)) };
		if (inet_pton(AF_INET, address, &a.sin_addr) != 1) {
			errno = EINVAL;
			die(address);
		}
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0)
			die("socket/bind");
		sides[i].fd = fd;
	}
}

/* ---- epoll, recvmmsg, sendmmsg ------------------------------------------ */

static void epoll_drain(struct side *s, struct side *o)
{
	static char bufs[BATCH][PKTMAX];
	static struct sockaddr_in src[BATCH];
	struct mmsghdr rx[BATCH], tx[BATCH];
	struct iovec riov[BATCH], tiov[BATCH];
	for (;;) {
		for (int k = 0; k < BATCH; k++) {
			riov[k] = (struct iovec){ bufs[k], PKTMAX };
			rx[k].msg_hdr = (struct msghdr){ .msg_name = &src[k],
							 .msg_namelen = sizeof src[k],
							 .msg_iov = &riov[k],
							 .msg_iovlen = 1 };
		}
		int n = recvmmsg(s->fd, rx, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		if (!s->latched) {
			s->peer = src[0];
			s->latched = true;
		}
		if (o->latched) {
			for (int k = 0; k < n; k++) {
				tiov[k] = (struct iovec){ bufs[k], rx[k].msg_len };
				tx[k].msg_hdr = (struct msghdr){ .msg_name = &o->peer,
								 .msg_namelen = sizeof o->peer,
								 .msg_iov = &tiov[k],
								 .msg_iovlen = 1 };
			}
			sendmmsg(o->fd, tx, (unsigned)n, 0);
		}
		if (n < BATCH)
			return;
	}
}

static void run_epoll(void)
{
	int ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	for (unsigned i = 0; i < nsides; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, sides[i].fd, &ev) < 0)
			die("epoll_ctl");
	}
	struct epoll_event evs[256];
	while (!stop) {
		int n = epoll_wait(ep, evs, 256, -1);
		for (int k = 0; k < n; k++) {
			unsigned i = evs[k].data.u32;
			epoll_drain(&sides[i], &sides[i ^ 1]);
		}
	}
}

/* ---- io_uring ------------------------------------------------------------ */

#define OP_SEND (1u << 31)

static struct io_uring ring;

static struct io_uring_sqe *sqe(void)
{
	struct io_uring_sqe *e = io_uring_get_sqe(&ring);
	if (!e) { /* the SQ is full: hand what is in it to the kernel */
		io_uring_submit(&ring);
		e = io_uring_get_sqe(&ring);
	}
	return e;
}

static void arm_recv(unsigned i)
{
	struct side *s = &sides[i];
	s->iov = (struct iovec){ s->buf, PKTMAX };
	s->rx = (struct msghdr){
		.msg_name = &s->src, .msg_namelen = sizeof s->src, .msg_iov = &s->iov, .msg_iovlen = 1
	};
	struct io_uring_sqe *e = sqe();
	io_uring_prep_recvmsg(e, s->fd, &s->rx, 0);
	io_uring_sqe_set_data64(e, i);
}

/* A packet arrived on side i: out of its partner to the partner's peer,
 * from side i's buffer (side i's recvmsg is armed again once it is sent). */
static void on_recv(unsigned i, int res)
{
	struct side *s = &sides[i], *o = &sides[i ^ 1];
	if (res > 0 && !s->latched) {
		s->peer = s->src;
		s->latched = true;
	}
	if (res <= 0 || !o->latched) {
		arm_recv(i);
		return;
	}
	s->iov.iov_len = (size_t)res;
	s->tx = (struct msghdr){
		.msg_name = &o->peer, .msg_namelen = sizeof o->peer, .msg_iov = &s->iov, .msg_iovlen = 1
	};
	struct io_uring_sqe *e = sqe();
	io_uring_prep_sendmsg(e, o->fd, &s->tx, 0);
	io_uring_sqe_set_data64(e, OP_SEND | i);
}

static void run_uring(void)
{
	/* Completions in flight: at most a receive or a send per side; the
	 * CQ must not be smaller than the SQ. */
	unsigned cq = 2 * nsides + 64 > 8192 ? 2 * nsides + 64 : 8192;
	struct io_uring_params p = { .flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER |
					     IORING_SETUP_DEFER_TASKRUN,
				     .cq_entries = cq };
	int rc = io_uring_queue_init_params(4096, &ring, &p);
	if (rc == -EINVAL) { /* a kernel before 6.1: without deferred task work */
		p = (struct io_uring_params){ .flags = IORING_SETUP_CQSIZE, .cq_entries = cq };
		rc = io_uring_queue_init_params(4096, &ring, &p);
	}
	if (rc < 0) {
		errno = -rc;
		die("io_uring_queue_init");
	}
	for (unsigned i = 0; i < nsides; i++)
		arm_recv(i);
	while (!stop) {
		if (linger_us > 0) {
			struct __kernel_timespec ts = { .tv_nsec = linger_us * 1000 };
			struct io_uring_cqe *first;
			rc = io_uring_submit_and_wait_timeout(&ring, &first, 256, &ts, NULL);
			if (rc == -ETIME)
				rc = 0;
		} else {
			rc = io_uring_submit_and_wait(&ring, 1);
		}
		if (rc < 0 && rc != -EINTR) {
			errno = -rc;
			die("io_uring_submit_and_wait");
		}
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		io_uring_for_each_cqe(&ring, head, cqe)
		{
			uint64_t d = io_uring_cqe_get_data64(cqe);
			unsigned i = (unsigned)(d & ~(uint64_t)OP_SEND);
			if (d & OP_SEND)
				arm_recv(i);
			else
				on_recv(i, cqe->res);
			seen++;
		}
		io_uring_cq_advance(&ring, seen);
	}
	io_uring_queue_exit(&ring);
}

int main(int argc, char **argv)
{
	const char *backend = "epoll", *address = "127.0.0.1";
	unsigned base = 50000, calls = 500;
	bool bad = argc % 2 == 0; /* options come in pairs */
	for (int k = 1; k + 1 < argc && !bad; k += 2) {
		if (!strcmp(argv[k], "--backend"))
			backend = argv[k + 1];
		else if (!strcmp(argv[k], "--address"))
			address = argv[k + 1];
		else if (!strcmp(argv[k], "--base"))
			base = (unsigned)atoi(argv[k + 1]);
		else if (!strcmp(argv[k], "--linger-us"))
			linger_us = atol(argv[k + 1]);
		else if (!strcmp(argv[k], "--calls"))
			calls = (unsigned)atoi(argv[k + 1]);
		else
			bad = true;
	}
	if (bad || calls == 0 || base + 2 * calls > 65536 || linger_us < 0 || linger_us > 999999 ||
	    (strcmp(backend, "epoll") && strcmp(backend, "uring"))) {
		fprintf(stderr,
			"usage: rtp_floor --backend epoll|uring [--address A] [--base PORT] [--calls N] "
			"[--linger-us N]\n");
		return 2;
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	open_sides(address, base, calls);
	fprintf(stderr, "rtp_floor: %s, %u calls on %s ports %u-%u\n", backend, calls, address, base,
		base + 2 * calls - 1);
	if (!strcmp(backend, "epoll"))
		run_epoll();
	else
		run_uring();
	return 0;
}
