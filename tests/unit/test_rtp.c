/* The RTP relay: the port pool, the receiver statistics (called directly
 * with explicit arrival times), and sessions relaying between real UDP
 * sockets on 127.0.0.1 on a real libev loop. Every wait is bounded. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ev.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "moonsip/addr.h"
#include "moonsip/rtp.h"
#include "rtp/rtp_private.h"
#include "test.h"

/* A port range per test process (ctest runs each test as its own process,
 * several at once), below Linux's ephemeral range (32768 up) where other
 * tests' port-0 sockets land. */
static uint16_t range_base(void)
{
	return (uint16_t)(20000 + (getpid() % 600) * 20);
}

static struct sockaddr_storage loopback(uint16_t port)
{
	struct sockaddr_storage a;
	ASSERT_INT(ms_addr_set(&a, MS_STR("127.0.0.1"), port), 0);
	return a;
}

static struct ms_rtp_pool *pool_of(uint16_t min, uint16_t max)
{
	struct sockaddr_storage local = loopback(0);
	struct ms_rtp_pool *p;
	ASSERT_INT(ms_rtp_pool_new(&p, &local, min, max), 0);
	return p;
}

static uint16_t fd_port(int fd)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof a;
	ASSERT_INT(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	return ms_addr_port(&a);
}

/* A test endpoint: a plain non-blocking socket on 127.0.0.1. */
struct ep {
	int fd;
	struct sockaddr_storage addr;
};

static struct ep ep_open(void)
{
	struct ep e = { .addr = loopback(0) };
	socklen_t len = sizeof e.addr;
	e.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ASSERT(e.fd >= 0);
	ASSERT_INT(bind(e.fd, (struct sockaddr *)&e.addr, ms_addr_len(&e.addr)), 0);
	ASSERT_INT(getsockname(e.fd, (struct sockaddr *)&e.addr, &len), 0);
	return e;
}

/* A 12-byte RTP header (version 2, PCMU) and 'n' bytes of payload. */
static size_t rtp_packet(unsigned char *p, uint32_t ssrc, uint16_t seq, uint32_t ts, size_t n)
{
	p[0] = 0x80;
	p[1] = 0;
	p[2] = (unsigned char)(seq >> 8);
	p[3] = (unsigned char)seq;
	for (int i = 0; i < 4; i++) {
		p[4 + i] = (unsigned char)(ts >> (24 - 8 * i));
		p[8 + i] = (unsigned char)(ssrc >> (24 - 8 * i));
	}
	for (size_t i = 0; i < n; i++)
		p[12 + i] = (unsigned char)(seq + i);
	return 12 + n;
}

static void send_to(const struct ep *e, uint16_t port, const void *buf, size_t len)
{
	struct sockaddr_storage dst = loopback(port);
	ASSERT_INT(sendto(e->fd, buf, len, 0, (struct sockaddr *)&dst, ms_addr_len(&dst)), (long long)len);
}

static size_t send_rtp(const struct ep *e, uint16_t port, uint32_t ssrc, uint16_t seq, unsigned char *pkt)
{
	size_t len = rtp_packet(pkt, ssrc, seq, (uint32_t)seq * 160, 20);
	send_to(e, port, pkt, len);
	return len;
}

/* Runs the loop until a datagram is waiting on 'fd' or 'secs' pass; its
 * length (and source), or -1. */
static long recv_wait(struct ev_loop *loop, int fd, void *buf, size_t cap, double secs,
		      struct sockaddr_storage *from)
{
	double end = ev_time() + secs;
	do {
		ev_run(loop, EVRUN_NOWAIT);
		struct sockaddr_storage src;
		socklen_t len = sizeof src;
		ssize_t n = recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&src, &len);
		if (n >= 0) {
			if (from)
				*from = src;
			return (long)n;
		}
		poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 2);
	} while (ev_time() < end);
	return -1;
}

/* A datagram of exactly these bytes arrives at 'e'. */
static void expect_bytes(struct ev_loop *loop, const struct ep *e, const void *want, size_t len,
			 struct sockaddr_storage *from)
{
	unsigned char got[2048];
	ASSERT_INT(recv_wait(loop, e->fd, got, sizeof got, 1.0, from), (long long)len);
	ASSERT(memcmp(got, want, len) == 0);
}

static void expect_nothing(struct ev_loop *loop, const struct ep *e)
{
	unsigned char got[2048];
	ASSERT_INT(recv_wait(loop, e->fd, got, sizeof got, 0.1, NULL), -1);
}

struct fixture {
	struct ev_loop *loop;
	struct ms_rtp_pool *pool;
	struct ms_rtp_relay *relay;
	struct ms_rtp_session *s;
	uint16_t port_a, port_b;
};

static void fixture_open(struct fixture *f, const struct ms_rtp_session_config *cfg)
{
	uint16_t base = range_base();
	f->loop = ev_loop_new(EVFLAG_AUTO);
	f->pool = pool_of(base, (uint16_t)(base + 7));
	ASSERT_INT(ms_rtp_relay_new(&f->relay, f->loop, f->pool), 0);
	ASSERT_INT(ms_rtp_session_new(&f->s, f->relay, cfg), 0);
	f->port_a = ms_rtp_session_port(f->s, MS_RTP_LEG_A);
	f->port_b = ms_rtp_session_port(f->s, MS_RTP_LEG_B);
	ASSERT(f->port_a % 2 == 0 && f->port_b % 2 == 0 && f->port_a != f->port_b);
}

static void fixture_close(struct fixture *f)
{
	ms_rtp_session_free(f->s);
	ASSERT_INT(ms_rtp_relay_sessions(f->relay), 0);
	ASSERT_INT(ms_rtp_pool_available(f->pool), ms_rtp_pool_size(f->pool));
	ms_rtp_relay_free(f->relay);
	ms_rtp_pool_free(f->pool);
	ev_loop_destroy(f->loop);
}

static struct ms_rtp_stats stats_of(const struct fixture *f, enum ms_rtp_leg leg)
{
	struct ms_rtp_stats st;
	ms_rtp_session_stats(f->s, leg, &st);
	return st;
}

/* ---- The pool ---- */

TEST(rtp_pool_alloc_exhaust_release)
{
	uint16_t base = range_base();
	struct ms_rtp_pool *p = pool_of(base, (uint16_t)(base + 5));
	struct ms_rtp_ports pairs[3], extra = { .rtp_fd = 7, .rtcp_fd = 8, .port = 1 };
	ASSERT_INT(ms_rtp_pool_size(p), 3);
	ASSERT_INT(ms_rtp_pool_available(p), 3);
	for (int i = 0; i < 3; i++) {
		ASSERT_INT(ms_rtp_pool_alloc(p, &pairs[i]), 0);
		ASSERT_INT(pairs[i].port, base + 2 * i);
		ASSERT_INT(fd_port(pairs[i].rtp_fd), pairs[i].port);
		ASSERT_INT(fd_port(pairs[i].rtcp_fd), pairs[i].port + 1);
		ASSERT_INT(ms_rtp_pool_available(p), 2 - i);
	}
	/* out of pairs: a clear code, and *out untouched */
	ASSERT_INT(ms_rtp_pool_alloc(p, &extra), MS_RTP_ENOPORTS);
	ASSERT_INT(extra.rtp_fd, 7);
	ms_rtp_pool_release(p, &pairs[1]);
	ASSERT_INT(pairs[1].rtp_fd, -1);
	ASSERT_INT(ms_rtp_pool_available(p), 1);
	ms_rtp_pool_release(p, &pairs[1]); /* twice: nothing happens */
	ASSERT_INT(ms_rtp_pool_available(p), 1);
	ASSERT_INT(ms_rtp_pool_alloc(p, &pairs[1]), 0);
	ASSERT_INT(pairs[1].port, base + 2);
	for (int i = 0; i < 3; i++)
		ms_rtp_pool_release(p, &pairs[i]);
	ASSERT_INT(ms_rtp_pool_available(p), 3);
	ms_rtp_pool_free(p);
}

TEST(rtp_pool_round_robin_and_ranges)
{
	uint16_t base = range_base();
	struct sockaddr_storage local = loopback(0);
	struct ms_rtp_pool *p;
	ASSERT_INT(ms_rtp_pool_new(&p, &local, 0, 100), MS_EINVAL);
	ASSERT_INT(ms_rtp_pool_new(&p, &local, (uint16_t)(base + 1), (uint16_t)(base + 2)), MS_EINVAL);
	/* an odd start: the first pair is the next even port */
	p = pool_of((uint16_t)(base + 1), (uint16_t)(base + 6));
	ASSERT_INT(ms_rtp_pool_size(p), 2);
	struct ms_rtp_ports a, b;
	ASSERT_INT(ms_rtp_pool_alloc(p, &a), 0);
	ASSERT_INT(a.port, base + 2);
	ms_rtp_pool_release(p, &a);
	/* the pair just released is the last to be used again */
	ASSERT_INT(ms_rtp_pool_alloc(p, &b), 0);
	ASSERT_INT(b.port, base + 4);
	ASSERT_INT(ms_rtp_pool_alloc(p, &a), 0);
	ASSERT_INT(a.port, base + 2);
	ms_rtp_pool_release(p, &a);
	ms_rtp_pool_release(p, &b);
	/* the range on the pool's address, and only that */
	struct sockaddr_storage x = loopback((uint16_t)(base + 2));
	ASSERT(ms_rtp_pool_contains(p, &x));
	x = loopback((uint16_t)(base + 5));
	ASSERT(ms_rtp_pool_contains(p, &x));
	x = loopback((uint16_t)(base + 6));
	ASSERT(!ms_rtp_pool_contains(p, &x));
	x = loopback((uint16_t)(base + 1));
	ASSERT(!ms_rtp_pool_contains(p, &x));
	ASSERT_INT(ms_addr_set(&x, MS_STR("127.0.0.2"), (uint16_t)(base + 2)), 0);
	ASSERT(!ms_rtp_pool_contains(p, &x));
	ms_rtp_pool_free(p);
	/* a wildcard pool: every loopback address is its own */
	struct sockaddr_storage any;
	ASSERT_INT(ms_addr_set(&any, MS_STR("0.0.0.0"), 0), 0);
	ASSERT_INT(ms_rtp_pool_new(&p, &any, base, (uint16_t)(base + 3)), 0);
	ASSERT(ms_rtp_pool_contains(p, &x));
	ms_rtp_pool_free(p);
}

TEST(rtp_pool_skips_ports_in_use)
{
	uint16_t base = range_base();
	/* someone else holds the first pair's RTCP port */
	struct sockaddr_storage busy = loopback((uint16_t)(base + 1));
	int other = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_INT(bind(other, (struct sockaddr *)&busy, ms_addr_len(&busy)), 0);
	struct ms_rtp_pool *p = pool_of(base, (uint16_t)(base + 3));
	struct ms_rtp_ports a, b;
	ASSERT_INT(ms_rtp_pool_alloc(p, &a), 0);
	ASSERT_INT(a.port, base + 2);
	ASSERT_INT(ms_rtp_pool_alloc(p, &b), MS_RTP_ENOPORTS);
	ASSERT_INT(ms_rtp_pool_available(p), 1); /* not handed out, but taken */
	close(other);
	ASSERT_INT(ms_rtp_pool_alloc(p, &b), 0);
	ASSERT_INT(b.port, base);
	ms_rtp_pool_release(p, &a);
	ms_rtp_pool_release(p, &b);
	ms_rtp_pool_free(p);
}

TEST(rtp_session_needs_two_pairs)
{
	uint16_t base = range_base();
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ms_rtp_pool *p = pool_of(base, (uint16_t)(base + 5));
	struct ms_rtp_relay *r;
	struct ms_rtp_session *s1, *s2 = NULL;
	ASSERT_INT(ms_rtp_relay_new(&r, loop, p), 0);
	ASSERT_INT(ms_rtp_session_new(&s1, r, &(struct ms_rtp_session_config){ 0 }), 0);
	ASSERT_INT(ms_rtp_pool_available(p), 1);
	/* one pair left: the session fails and gives it back */
	ASSERT_INT(ms_rtp_session_new(&s2, r, &(struct ms_rtp_session_config){ 0 }), MS_RTP_ENOPORTS);
	ASSERT(s2 == NULL);
	ASSERT_INT(ms_rtp_pool_available(p), 1);
	ASSERT_INT(ms_rtp_session_new(&s2, r, &(struct ms_rtp_session_config){ .timeout = 1 }), MS_EINVAL);
	/* the relay frees what is left open */
	ASSERT_INT(ms_rtp_relay_sessions(r), 1);
	ms_rtp_relay_free(r);
	ASSERT_INT(ms_rtp_pool_available(p), 3);
	ms_rtp_pool_free(p);
	ev_loop_destroy(loop);
}

/* ---- Statistics, with explicit arrival times ---- */

static void feed(struct ms__rtp_rx *rx, uint32_t ssrc, const uint16_t *seqs, int n)
{
	for (int i = 0; i < n; i++)
		ms__rtp_rx_packet(rx, ssrc, seqs[i], (uint32_t)seqs[i] * 160, 172, 1.0 + 0.02 * i);
}

TEST(rtp_stats_loss_from_gaps)
{
	struct ms__rtp_rx rx;
	ms__rtp_rx_init(&rx, 0);
	ASSERT_INT(rx.clock_rate, 8000);
	ASSERT_INT(ms__rtp_rx_lost(&rx), 0);
	const uint16_t seqs[] = { 1, 2, 3, 6, 7 };
	feed(&rx, 42, seqs, 5);
	ASSERT_INT(rx.packets, 5);
	ASSERT_INT(rx.bytes, 5 * 172);
	ASSERT_INT(ms__rtp_rx_ext_max(&rx), 7);
	ASSERT_INT(ms__rtp_rx_lost(&rx), 2); /* 4 and 5 */
	/* a late 4 arrives: one fewer lost */
	ms__rtp_rx_packet(&rx, 42, 4, 4 * 160, 172, 1.2);
	ASSERT_INT(ms__rtp_rx_lost(&rx), 1);
	ASSERT_INT(ms__rtp_rx_ext_max(&rx), 7);
	/* a duplicate: RFC 3550 lets the count go below the truth */
	ms__rtp_rx_packet(&rx, 42, 7, 7 * 160, 172, 1.3);
	ASSERT_INT(ms__rtp_rx_lost(&rx), 0);
}

TEST(rtp_stats_sequence_wraparound)
{
	struct ms__rtp_rx rx;
	ms__rtp_rx_init(&rx, 8000);
	const uint16_t seqs[] = { 65533, 65534, 65535, 0, 2 };
	feed(&rx, 7, seqs, 5);
	ASSERT_INT(ms__rtp_rx_ext_max(&rx), 65536 + 2);
	ASSERT_INT(ms__rtp_rx_lost(&rx), 1); /* 1 */
	ASSERT_INT(rx.cycles, 65536);
}

TEST(rtp_stats_restart_and_new_ssrc)
{
	struct ms__rtp_rx rx;
	ms__rtp_rx_init(&rx, 8000);
	const uint16_t first[] = { 100, 101, 103 };
	feed(&rx, 1, first, 3);
	ASSERT_INT(ms__rtp_rx_lost(&rx), 1);
	/* a jump past MAX_DROPOUT: ignored once, a restart when followed */
	ms__rtp_rx_packet(&rx, 1, 20000, 0, 172, 2.0);
	ASSERT_INT(ms__rtp_rx_ext_max(&rx), 103);
	ms__rtp_rx_packet(&rx, 1, 20001, 160, 172, 2.02);
	ASSERT_INT(ms__rtp_rx_ext_max(&rx), 20001);
	ASSERT_INT(ms__rtp_rx_lost(&rx), 1);
	/* another SSRC: its own sequence numbers, earlier losses kept */
	const uint16_t second[] = { 5000, 5001, 5004 };
	feed(&rx, 2, second, 3);
	ASSERT_INT(rx.ssrc, 2);
	ASSERT_INT(ms__rtp_rx_ext_max(&rx), 5004);
	ASSERT_INT(ms__rtp_rx_lost(&rx), 3);
}

/* RFC 3550 A.8 by hand, 8 kHz, packets every 160 units, arrivals 10.000,
 * 10.020, 10.050, 10.060 s = 80000, 80160, 80400, 80480 units:
 *   transit  80000-ts0 = 80000, 80000, 80080, 80000
 *   D        -, 0, 80, 80
 *   J*16     0, 0 + 0 - (0+8)>>4 = 0, 0 + 80 - 0 = 80, 80 + 80 - (88>>4 = 5) = 155
 *   reported 155 >> 4 = 9 (the float form: 0, 5, 9.6875) */
static void jitter_case(uint32_t ts0)
{
	struct ms__rtp_rx rx;
	ms__rtp_rx_init(&rx, 8000);
	const double arrival[] = { 10.000, 10.020, 10.050, 10.060 };
	const uint32_t want16[] = { 0, 0, 80, 155 };
	for (int i = 0; i < 4; i++) {
		ms__rtp_rx_packet(&rx, 9, (uint16_t)(500 + i), ts0 + 160u * (uint32_t)i, 172, arrival[i]);
		ASSERT_INT(rx.jitter, want16[i]);
	}
	ASSERT_INT(ms__rtp_rx_jitter(&rx), 9);
	ASSERT_INT(ms__rtp_rx_lost(&rx), 0);
}

TEST(rtp_stats_jitter_rfc3550_a8)
{
	jitter_case(0);
	jitter_case(123456);
	jitter_case(UINT32_MAX - 200); /* the timestamp wraps between packets 1 and 2 */
	/* another clock: the same arrivals at 16 kHz, timestamps 320 apart,
	 * double every figure: 0, 0, 160, 160 + 160 - (168>>4 = 10) = 310 */
	struct ms__rtp_rx rx;
	ms__rtp_rx_init(&rx, 16000);
	const double arrival[] = { 10.000, 10.020, 10.050, 10.060 };
	for (int i = 0; i < 4; i++)
		ms__rtp_rx_packet(&rx, 9, (uint16_t)i, 320u * (uint32_t)i, 172, arrival[i]);
	ASSERT_INT(rx.jitter, 310);
	ASSERT_INT(ms__rtp_rx_jitter(&rx), 19);
}

/* ---- Sessions on the wire ---- */

TEST(rtp_relay_forwards_both_ways)
{
	struct fixture f;
	fixture_open(&f, &(struct ms_rtp_session_config){ 0 });
	struct ep ea = ep_open(), eb = ep_open(), ea_c = ep_open(), eb_c = ep_open();
	ASSERT_INT(ms_rtp_session_set_peer(f.s, MS_RTP_LEG_A, &ea.addr, &ea_c.addr), 0);
	ASSERT_INT(ms_rtp_session_set_peer(f.s, MS_RTP_LEG_B, &eb.addr, &eb_c.addr), 0);
	unsigned char pkt[64];
	struct sockaddr_storage from;
	/* A to B: the very bytes, from leg B's port */
	size_t len = send_rtp(&ea, f.port_a, 0x11111111, 1000, pkt);
	expect_bytes(f.loop, &eb, pkt, len, &from);
	ASSERT_INT(ms_addr_port(&from), f.port_b);
	/* B to A, from leg A's port */
	len = send_rtp(&eb, f.port_b, 0x22222222, 7, pkt);
	expect_bytes(f.loop, &ea, pkt, len, &from);
	ASSERT_INT(ms_addr_port(&from), f.port_a);
	/* RTCP (a receiver report) on the ports above, from leg B's RTCP port */
	const unsigned char rr[8] = { 0x80, 201, 0, 1, 0x11, 0x11, 0x11, 0x11 };
	send_to(&ea_c, (uint16_t)(f.port_a + 1), rr, sizeof rr);
	expect_bytes(f.loop, &eb_c, rr, sizeof rr, &from);
	ASSERT_INT(ms_addr_port(&from), f.port_b + 1);
	/* more than a batch at once, all in order */
	for (int i = 1; i <= 70; i++)
		send_rtp(&ea, f.port_a, 0x11111111, (uint16_t)(1000 + i), pkt);
	for (int i = 1; i <= 70; i++) {
		rtp_packet(pkt, 0x11111111, (uint16_t)(1000 + i), (uint32_t)(1000 + i) * 160, 20);
		expect_bytes(f.loop, &eb, pkt, 32, NULL);
	}
	struct ms_rtp_stats a = stats_of(&f, MS_RTP_LEG_A), b = stats_of(&f, MS_RTP_LEG_B);
	ASSERT_INT(a.packets, 71);
	ASSERT_INT(a.bytes, 71 * 32);
	ASSERT_INT(a.rtcp_packets, 1);
	ASSERT_INT(a.rtcp_bytes, 8);
	ASSERT_INT(a.forwarded, 72);
	ASSERT_INT(a.lost, 0);
	ASSERT_INT(a.ext_max_seq, 1070);
	ASSERT_INT(a.ssrc, 0x11111111);
	ASSERT(a.latched && ms_addr_equal(&a.peer, &ea.addr));
	ASSERT(a.last_time > 0);
	ASSERT_INT(b.packets, 1);
	ASSERT_INT(b.forwarded, 1);
	ASSERT_INT(b.dropped + b.rejected + a.dropped + a.rejected, 0);
	fixture_close(&f);
	close(ea.fd);
	close(eb.fd);
	close(ea_c.fd);
	close(eb_c.fd);
}

TEST(rtp_relay_latches_the_real_source)
{
	struct fixture f;
	fixture_open(&f, &(struct ms_rtp_session_config){ 0 });
	struct ep ea = ep_open(), eb = ep_open(), wrong = ep_open();
	/* signalling named an address A's media does not come from (a
	 * private one behind a NAT) */
	ASSERT_INT(ms_rtp_session_set_peer(f.s, MS_RTP_LEG_A, &wrong.addr, NULL), 0);
	ASSERT_INT(ms_rtp_session_set_peer(f.s, MS_RTP_LEG_B, &eb.addr, NULL), 0);
	struct ms_rtp_stats a = stats_of(&f, MS_RTP_LEG_A);
	ASSERT(!a.latched && ms_addr_equal(&a.peer, &wrong.addr));
	unsigned char pkt[64];
	size_t len = send_rtp(&ea, f.port_a, 0xA, 1, pkt);
	expect_bytes(f.loop, &eb, pkt, len, NULL);
	a = stats_of(&f, MS_RTP_LEG_A);
	ASSERT(a.latched && ms_addr_equal(&a.peer, &ea.addr));
	/* B's media now goes where A's comes from */
	len = send_rtp(&eb, f.port_b, 0xB, 1, pkt);
	expect_bytes(f.loop, &ea, pkt, len, NULL);
	expect_nothing(f.loop, &wrong);
	/* a session refresh names the same address again: the latch stays */
	ASSERT_INT(ms_rtp_session_set_peer(f.s, MS_RTP_LEG_A, &wrong.addr, NULL), 0);
	ASSERT(stats_of(&f, MS_RTP_LEG_A).latched);
	len = send_rtp(&eb, f.port_b, 0xB, 2, pkt);
	expect_bytes(f.loop, &ea, pkt, len, NULL);
	expect_nothing(f.loop, &wrong);
	/* a re-INVITE that moves the media: the latch is forgotten, media goes
	 * to the new address until a packet latches anew */
	struct ep moved = ep_open();
	ASSERT_INT(ms_rtp_session_set_peer(f.s, MS_RTP_LEG_A, &moved.addr, NULL), 0);
	ASSERT(!stats_of(&f, MS_RTP_LEG_A).latched);
	len = send_rtp(&eb, f.port_b, 0xB, 3, pkt);
	expect_bytes(f.loop, &moved, pkt, len, NULL);
	fixture_close(&f);
	close(ea.fd);
	close(eb.fd);
	close(wrong.fd);
	close(moved.fd);
}

TEST(rtp_relay_relatch_only_with_the_same_ssrc)
{
	struct fixture f;
	fixture_open(&f, &(struct ms_rtp_session_config){ 0 });
	struct ep ea = ep_open(), eb = ep_open(), ec = ep_open();
	ASSERT_INT(ms_rtp_session_set_peer(f.s, MS_RTP_LEG_B, &eb.addr, NULL), 0);
	unsigned char pkt[64];
	size_t len = send_rtp(&ea, f.port_a, 0x1234, 1, pkt);
	expect_bytes(f.loop, &eb, pkt, len, NULL);
	/* a stranger with its own SSRC: refused */
	send_rtp(&ec, f.port_a, 0x9999, 2, pkt);
	expect_nothing(f.loop, &eb);
	struct ms_rtp_stats a = stats_of(&f, MS_RTP_LEG_A);
	ASSERT_INT(a.rejected, 1);
	ASSERT_INT(a.packets, 1);
	ASSERT(ms_addr_equal(&a.peer, &ea.addr));
	/* the same stream from a new address (a NAT rebinding): followed */
	len = send_rtp(&ec, f.port_a, 0x1234, 2, pkt);
	expect_bytes(f.loop, &eb, pkt, len, NULL);
	a = stats_of(&f, MS_RTP_LEG_A);
	ASSERT(ms_addr_equal(&a.peer, &ec.addr));
	ASSERT_INT(a.lost, 0);
	/* B's media follows it; the old address is now the stranger */
	len = send_rtp(&eb, f.port_b, 0x5678, 1, pkt);
	expect_bytes(f.loop, &ec, pkt, len, NULL);
	expect_nothing(f.loop, &ea);
	send_rtp(&ea, f.port_a, 0x4321, 3, pkt);
	expect_nothing(f.loop, &eb);
	ASSERT_INT(stats_of(&f, MS_RTP_LEG_A).rejected, 2);
	fixture_close(&f);
	close(ea.fd);
	close(eb.fd);
	close(ec.fd);
}

TEST(rtp_relay_drops_until_a_destination_is_known)
{
	struct fixture f;
	fixture_open(&f, &(struct ms_rtp_session_config){ 0 });
	struct ep ea = ep_open(), eb = ep_open();
	unsigned char pkt[64];
	/* nobody told where B is: counted, dropped, but A is latched */
	send_rtp(&ea, f.port_a, 0xA, 1, pkt);
	send_to(&ea, f.port_a, "hello", 5); /* not RTP: rejected */
	expect_nothing(f.loop, &eb);
	struct ms_rtp_stats a = stats_of(&f, MS_RTP_LEG_A);
	ASSERT_INT(a.packets, 1);
	ASSERT_INT(a.dropped, 1);
	ASSERT_INT(a.rejected, 1);
	ASSERT_INT(a.forwarded, 0);
	ASSERT(a.latched);
	/* B sends to its leg: that is B's address, and A's is known already */
	size_t len = send_rtp(&eb, f.port_b, 0xB, 1, pkt);
	expect_bytes(f.loop, &ea, pkt, len, NULL);
	len = send_rtp(&ea, f.port_a, 0xA, 2, pkt);
	expect_bytes(f.loop, &eb, pkt, len, NULL);
	ASSERT_INT(stats_of(&f, MS_RTP_LEG_A).forwarded, 1);
	ASSERT_INT(stats_of(&f, MS_RTP_LEG_B).forwarded, 1);
	/* a peer of the wrong family */
	struct sockaddr_storage v6;
	ASSERT_INT(ms_addr_set(&v6, MS_STR("::1"), 4000), 0);
	ASSERT_INT(ms_rtp_session_set_peer(f.s, MS_RTP_LEG_A, &v6, NULL), MS_EINVAL);
	/* port 0 (a disabled stream), and an RTCP port past 65535 */
	struct sockaddr_storage bad = loopback(0);
	ASSERT_INT(ms_rtp_session_set_peer(f.s, MS_RTP_LEG_A, &bad, NULL), MS_EINVAL);
	bad = loopback(65535);
	ASSERT_INT(ms_rtp_session_set_peer(f.s, MS_RTP_LEG_A, &bad, NULL), MS_EINVAL);
	ASSERT_INT(ms_rtp_session_set_peer(f.s, MS_RTP_LEG_A, &bad, &ea.addr), 0);
	/* the relay's own ports: media would go round for ever */
	bad = loopback(f.port_b);
	ASSERT_INT(ms_rtp_session_set_peer(f.s, MS_RTP_LEG_A, &bad, NULL), MS_EINVAL);
	ASSERT_INT(ms_rtp_session_set_peer(f.s, MS_RTP_LEG_A, &ea.addr, &bad), MS_EINVAL);
	fixture_close(&f);
	close(ea.fd);
	close(eb.fd);
}

TEST(rtp_relay_rtcp_multiplexed_on_the_rtp_port)
{
	struct fixture f;
	fixture_open(&f, &(struct ms_rtp_session_config){ 0 });
	struct ep ea = ep_open(), eb = ep_open();
	ASSERT_INT(ms_rtp_session_set_peer(f.s, MS_RTP_LEG_B, &eb.addr, NULL), 0);
	unsigned char pkt[64];
	size_t len = send_rtp(&ea, f.port_a, 0xABCD, 1, pkt);
	expect_bytes(f.loop, &eb, pkt, len, NULL);
	/* an RFC 5761 sender report (type 200) on the RTP port: relayed as
	 * it came, counted as RTCP, and its sender SSRC is the stream's */
	const unsigned char sr[8] = { 0x80, 200, 0, 1, 0, 0, 0xAB, 0xCD };
	send_to(&ea, f.port_a, sr, sizeof sr);
	expect_bytes(f.loop, &eb, sr, sizeof sr, NULL);
	struct ms_rtp_stats a = stats_of(&f, MS_RTP_LEG_A);
	ASSERT_INT(a.packets, 1);
	ASSERT_INT(a.rtcp_packets, 1);
	ASSERT_INT(a.forwarded, 2);
	/* a short RTP packet and version 1: rejected */
	send_to(&ea, f.port_a, "\x80\x00\x00\x01\x00\x00\x00\x00\x00", 9);
	send_to(&ea, f.port_a, "\x40\x00\x00\x01\x00\x00\x00\x00\x00\x00\xab\xcd", 12);
	expect_nothing(f.loop, &eb);
	ASSERT_INT(stats_of(&f, MS_RTP_LEG_A).rejected, 2);
	fixture_close(&f);
	close(ea.fd);
	close(eb.fd);
}

/* ---- Media timeout ---- */

struct idle {
	int calls;
	double at;
	bool free_it;
};

static void on_idle(struct ms_rtp_session *s, void *arg)
{
	struct idle *i = arg;
	i->calls++;
	i->at = ev_time();
	if (i->free_it)
		ms_rtp_session_free(s);
}

TEST(rtp_media_timeout_fires_once)
{
	struct idle idle = { 0 };
	struct fixture f;
	double t0 = ev_time();
	fixture_open(&f,
		     &(struct ms_rtp_session_config){ .timeout = 0.2, .timeout_cb = on_idle, .arg = &idle });
	ms_test_run_bounded(f.loop, 0.6);
	ASSERT_INT(idle.calls, 1);
	ASSERT(idle.at - t0 >= 0.19 && idle.at - t0 < 0.5);
	fixture_close(&f);
}

TEST(rtp_media_timeout_waits_for_silence)
{
	struct idle idle = { .free_it = true };
	struct fixture f;
	fixture_open(&f,
		     &(struct ms_rtp_session_config){ .timeout = 0.3, .timeout_cb = on_idle, .arg = &idle });
	struct ep ea = ep_open();
	unsigned char pkt[64];
	double t0 = ev_time();
	ms_test_run_bounded(f.loop, 0.2);
	/* a packet at 0.2 s (dropped: B is unknown) still counts as media */
	send_rtp(&ea, f.port_a, 0xA, 1, pkt);
	ms_test_run_bounded(f.loop, 0.8);
	ASSERT_INT(idle.calls, 1);
	ASSERT(idle.at - t0 >= 0.45);
	/* the callback freed the session: its ports are back */
	ASSERT_INT(ms_rtp_relay_sessions(f.relay), 0);
	ASSERT_INT(ms_rtp_pool_available(f.pool), ms_rtp_pool_size(f.pool));
	ms_rtp_relay_free(f.relay);
	ms_rtp_pool_free(f.pool);
	ev_loop_destroy(f.loop);
	close(ea.fd);
}
