/* The media of a call: SDP rewriting and relaying through it. Endpoints
 * are real UDP sockets on 127.0.0.2, the relay's pool is on 127.0.0.1
 * (so every rewritten address shows), and the loop is a real libev loop.
 * Every wait is bounded. */
#define _GNU_SOURCE
#include <ev.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "moonsip/addr.h"
#include "moonsip/rtp.h"
#include "moonsip/sdp.h"
#include "rtp/rtp_private.h"
#include "test.h"

/* A port range per test process, as in test_rtp.c (ctest runs tests as
 * processes, several at once): the upper half of the same slot, so the
 * two files' tests do not take each other's ports. */
static uint16_t range_base(void)
{
	return (uint16_t)(20000 + (getpid() % 600) * 20 + 10);
}

static struct sockaddr_storage addr_of(const char *host, uint16_t port)
{
	struct sockaddr_storage a;
	ASSERT_INT(ms_addr_set(&a, (struct ms_str){ host, strlen(host) }, port), 0);
	return a;
}

/* A socket on 127.0.0.2 at 'port' (0: any); -1 when that port is taken. */
static int bind_at(uint16_t port, struct sockaddr_storage *out)
{
	struct sockaddr_storage a = addr_of("127.0.0.2", port);
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ASSERT(fd >= 0);
	if (bind(fd, (struct sockaddr *)&a, ms_addr_len(&a)) < 0) {
		close(fd);
		return -1;
	}
	ASSERT_INT(getsockname(fd, (struct sockaddr *)out, &len), 0);
	return fd;
}

/* An endpoint's media: RTP on an even port p of 127.0.0.2, RTCP on p + 1
 * (where RFC 3550 puts it without an a=rtcp). */
struct ep {
	int fd[2];
	struct sockaddr_storage addr[2];
	uint16_t port; /* the RTP one */
};

static struct ep ep_open(void)
{
	struct ep e;
	for (int tries = 0; tries < 100; tries++) {
		e.fd[0] = bind_at(0, &e.addr[0]);
		ASSERT(e.fd[0] >= 0);
		e.port = ms_addr_port(&e.addr[0]);
		if (e.port % 2 == 0 && e.port < 65534 &&
		    (e.fd[1] = bind_at((uint16_t)(e.port + 1), &e.addr[1])) >= 0)
			return e;
		close(e.fd[0]);
	}
	ASSERT(!"no free port pair on 127.0.0.2");
	return e;
}

static void ep_close(struct ep *e)
{
	close(e->fd[0]);
	close(e->fd[1]);
}

/* A call on its own loop, pool (five pairs unless told) and relay. */
struct call {
	struct ev_loop *loop;
	struct ms_rtp_pool *pool;
	struct ms_rtp_relay *relay;
	struct ms_rtp_media *m;
	struct ms_buf out;
};

static void call_open_pool(struct call *c, const struct ms_rtp_media_config *cfg, unsigned pairs)
{
	uint16_t base = range_base();
	struct sockaddr_storage local = addr_of("127.0.0.1", 0);
	c->loop = ev_loop_new(EVFLAG_AUTO);
	ASSERT_INT(ms_rtp_pool_new(&c->pool, &local, base, (uint16_t)(base + 2 * pairs - 1)), 0);
	ASSERT_INT(ms_rtp_relay_new(&c->relay, c->loop, c->pool), 0);
	ASSERT_INT(ms_rtp_media_new(&c->m, c->relay, cfg), 0);
	ms_buf_init(&c->out);
}

static void call_open(struct call *c, const struct ms_rtp_media_config *cfg)
{
	call_open_pool(c, cfg, 5);
}

/* Everything given back: sessions, ports, memory. */
static void call_close(struct call *c)
{
	ms_rtp_media_free(c->m);
	ASSERT_INT(ms_rtp_relay_sessions(c->relay), 0);
	ASSERT_INT(ms_rtp_pool_available(c->pool), ms_rtp_pool_size(c->pool));
	ms_rtp_relay_free(c->relay);
	ms_rtp_pool_free(c->pool);
	ev_loop_destroy(c->loop);
	ms_buf_free(&c->out);
}

/* printf into a static buffer: SDP bodies with the ports of the run. */
static const char *fmt(char *buf, size_t cap, const char *f, ...) MS_PRINTF(3, 4);
static const char *fmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(buf, cap, f, ap);
	va_end(ap);
	ASSERT(n > 0 && (size_t)n < cap);
	return buf;
}

/* Passes 'body' from leg 'from'; c->out holds what came out (only). */
static int sdp_from(struct call *c, enum ms_rtp_leg from, const char *body, const char **why)
{
	c->out.len = 0;
	return ms_rtp_media_sdp(c->m, from, body, strlen(body), &c->out, why);
}

static void pass(struct call *c, enum ms_rtp_leg from, const char *body)
{
	const char *why = "unset";
	int rc = sdp_from(c, from, body, &why);
	if (rc)
		ms_test_fail(__FILE__, __LINE__, "ms_rtp_media_sdp: %s (%s)", ms_strerror(rc),
			     why ? why : "");
	ASSERT(why == NULL);
}

static void expect_out(const struct call *c, const char *want)
{
	if (c->out.len != strlen(want) || memcmp(c->out.data, want, c->out.len))
		ms_test_fail(__FILE__, __LINE__, "SDP out:\n%.*s\nexpected:\n%s", (int)c->out.len,
			     c->out.data ? c->out.data : "", want);
}

/* The port of line i, and its effective c= address, in what came out. */
static struct sockaddr_storage out_media(const struct call *c, unsigned i)
{
	struct ms_sdp sdp;
	struct ms_sdp_media md;
	struct ms_sdp_conn conn;
	struct sockaddr_storage a;
	ASSERT_INT(ms_sdp_parse(&sdp, c->out.data, c->out.len, NULL), 0);
	ASSERT_INT(ms_sdp_get_media(&sdp, i, &md), 0);
	ASSERT_INT(ms_sdp_get_effective_conn(&sdp, i, &conn), 0);
	ASSERT_INT(ms_addr_set(&a, conn.address, md.port), 0);
	ms_sdp_free(&sdp);
	return a;
}

static uint16_t leg_port(const struct call *c, unsigned i, enum ms_rtp_leg leg)
{
	struct ms_rtp_session *s = ms_rtp_media_stream(c->m, i);
	ASSERT(s != NULL);
	return ms_rtp_session_port(s, leg);
}

static struct ms_rtp_stats stats_of(const struct call *c, unsigned i, enum ms_rtp_leg leg)
{
	struct ms_rtp_stats st;
	ms_rtp_session_stats(ms_rtp_media_stream(c->m, i), leg, &st);
	return st;
}

/* Whether the RTP peer of line i's leg is 'want'. */
static bool peer_is(const struct call *c, unsigned i, enum ms_rtp_leg leg,
		    const struct sockaddr_storage *want)
{
	struct ms_rtp_stats st = stats_of(c, i, leg);
	return ms_addr_equal(&st.peer, want);
}

/* ---- packets ---- */

static size_t rtp_packet(unsigned char *p, uint32_t ssrc, uint16_t seq)
{
	memset(p, 0, 32);
	p[0] = 0x80;
	p[2] = (unsigned char)(seq >> 8);
	p[3] = (unsigned char)seq;
	for (int i = 0; i < 4; i++)
		p[8 + i] = (unsigned char)(ssrc >> (24 - 8 * i));
	p[12] = (unsigned char)seq;
	return 32;
}

static void send_to(int fd, const struct sockaddr_storage *dst, const void *buf, size_t len)
{
	ASSERT_INT(sendto(fd, buf, len, 0, (const struct sockaddr *)dst, ms_addr_len(dst)), (long long)len);
}

/* Runs the loop until a datagram waits on 'fd' or 'secs' pass; its
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

/* A datagram of these bytes arrives at 'fd', from the relay's 'port'. */
static void expect_from(struct call *c, int fd, const void *want, size_t len, uint16_t port)
{
	unsigned char got[256];
	struct sockaddr_storage from;
	ASSERT_INT(recv_wait(c->loop, fd, got, sizeof got, 1.0, &from), (long long)len);
	ASSERT(memcmp(got, want, len) == 0);
	struct sockaddr_storage relay = addr_of("127.0.0.1", port);
	ASSERT(ms_addr_equal(&from, &relay));
}

static void expect_nothing(struct call *c, int fd)
{
	unsigned char got[256];
	ASSERT_INT(recv_wait(c->loop, fd, got, sizeof got, 0.1, NULL), -1);
}

/* One RTP packet from e's RTP socket to 'dst', seen arriving at 'fd'
 * from the relay's 'port'. */
static void rtp_through(struct call *c, const struct ep *e, const struct sockaddr_storage *dst, int fd,
			uint16_t port, uint32_t ssrc, uint16_t seq)
{
	unsigned char pkt[32];
	size_t len = rtp_packet(pkt, ssrc, seq);
	send_to(e->fd[0], dst, pkt, len);
	expect_from(c, fd, pkt, len, port);
}

/* ---- the bodies ---- */

/* A's offer: the session's c=, one audio line with a=rtcp (A's RTCP port,
 * as RFC 3605 lets it say even when it is p + 1) and ICE. */
static const char *offer_a(char *buf, size_t cap, const struct ep *a)
{
	return fmt(buf, cap,
		   "v=0\r\n"
		   "o=alice 2890844526 2890844526 IN IP4 127.0.0.2\r\n"
		   "s=-\r\n"
		   "c=IN IP4 127.0.0.2\r\n"
		   "t=0 0\r\n"
		   "a=ice-ufrag:F7gI\r\n"
		   "a=ice-pwd:x9cml/YzichV2+XlhiMu8g\r\n"
		   "m=audio %u RTP/AVP 0 8 101\r\n"
		   "a=rtcp:%u\r\n"
		   "a=candidate:1 1 UDP 2130706431 127.0.0.2 %u typ host\r\n"
		   "a=candidate:1 2 UDP 2130706430 127.0.0.2 %u typ host\r\n"
		   "a=end-of-candidates\r\n"
		   "a=rtpmap:0 PCMU/8000\r\n"
		   "a=rtpmap:8 PCMA/8000\r\n"
		   "a=rtpmap:101 telephone-event/8000\r\n"
		   "a=fmtp:101 0-15\r\n"
		   "a=sendrecv\r\n",
		   a->port, a->port + 1, a->port, a->port + 1);
}

/* B's answer: a media-level c= only, no a=rtcp (RTCP on p + 1). */
static const char *answer_b(char *buf, size_t cap, const struct ep *b, const char *extra)
{
	return fmt(buf, cap,
		   "v=0\r\n"
		   "o=bob 1 %d IN IP4 127.0.0.2\r\n"
		   "s=-\r\n"
		   "t=0 0\r\n"
		   "m=audio %u RTP/AVP 0 101\r\n"
		   "c=IN IP4 127.0.0.2\r\n"
		   "a=rtpmap:0 PCMU/8000\r\n"
		   "a=rtpmap:101 telephone-event/8000\r\n"
		   "a=ptime:20\r\n"
		   "%s",
		   extra[0] ? 2 : 1, b->port, extra);
}

static void offer_answer(struct call *c, const struct ep *a, const struct ep *b)
{
	char buf[2048];
	pass(c, MS_RTP_LEG_A, offer_a(buf, sizeof buf, a));
	pass(c, MS_RTP_LEG_B, answer_b(buf, sizeof buf, b, ""));
}

/* ---- tests ---- */

TEST(rtp_call_offer_answer_bytes)
{
	struct call c;
	call_open(&c, &(struct ms_rtp_media_config){ 0 });
	struct ep a = ep_open(), b = ep_open();
	char buf[2048], want[2048];
	pass(&c, MS_RTP_LEG_A, offer_a(buf, sizeof buf, &a));
	ASSERT_INT(ms_rtp_media_streams(c.m), 1);
	ASSERT(strcmp(ms_rtp_media_kind(c.m, 0), "audio") == 0);
	uint16_t pa = leg_port(&c, 0, MS_RTP_LEG_A), pb = leg_port(&c, 0, MS_RTP_LEG_B);
	/* to B: leg B's ports and the pool's address; ICE gone; the rest as
	 * it came (o= too: the relay is not the origin) */
	expect_out(&c,
		   fmt(want, sizeof want,
		       "v=0\r\n"
		       "o=alice 2890844526 2890844526 IN IP4 127.0.0.2\r\n"
		       "s=-\r\n"
		       "c=IN IP4 127.0.0.1\r\n"
		       "t=0 0\r\n"
		       "m=audio %u RTP/AVP 0 8 101\r\n"
		       "a=rtcp:%u\r\n"
		       "a=rtpmap:0 PCMU/8000\r\n"
		       "a=rtpmap:8 PCMA/8000\r\n"
		       "a=rtpmap:101 telephone-event/8000\r\n"
		       "a=fmtp:101 0-15\r\n"
		       "a=sendrecv\r\n",
		       pb, pb + 1));
	pass(&c, MS_RTP_LEG_B, answer_b(buf, sizeof buf, &b, ""));
	expect_out(&c,
		   fmt(want, sizeof want,
		       "v=0\r\n"
		       "o=bob 1 1 IN IP4 127.0.0.2\r\n"
		       "s=-\r\n"
		       "t=0 0\r\n"
		       "m=audio %u RTP/AVP 0 101\r\n"
		       "c=IN IP4 127.0.0.1\r\n"
		       "a=rtpmap:0 PCMU/8000\r\n"
		       "a=rtpmap:101 telephone-event/8000\r\n"
		       "a=ptime:20\r\n",
		       pa));
	/* one session, the answer used it; the peers are what the SDPs said */
	ASSERT_INT(ms_rtp_media_streams(c.m), 1);
	ASSERT_INT(ms_rtp_relay_sessions(c.relay), 1);
	ASSERT(peer_is(&c, 0, MS_RTP_LEG_A, &a.addr[0]));
	ASSERT(peer_is(&c, 0, MS_RTP_LEG_B, &b.addr[0]));
	call_close(&c);
	ep_close(&a);
	ep_close(&b);
}

TEST(rtp_call_media_flows_both_ways)
{
	struct call c;
	call_open(&c, &(struct ms_rtp_media_config){ 0 });
	struct ep a = ep_open(), b = ep_open();
	char buf[2048];
	pass(&c, MS_RTP_LEG_A, offer_a(buf, sizeof buf, &a));
	struct sockaddr_storage to_b = out_media(&c, 0); /* where B is to send */
	pass(&c, MS_RTP_LEG_B, answer_b(buf, sizeof buf, &b, ""));
	struct sockaddr_storage to_a = out_media(&c, 0);
	uint16_t pa = ms_addr_port(&to_a), pb = ms_addr_port(&to_b);
	struct sockaddr_storage to_a_rtcp = addr_of("127.0.0.1", (uint16_t)(pa + 1));
	struct sockaddr_storage to_b_rtcp = addr_of("127.0.0.1", (uint16_t)(pb + 1));
	/* A first: B's RTP peer can only be what B's answer said */
	rtp_through(&c, &a, &to_a, b.fd[0], pb, 0xA, 1);
	/* B's RTCP first: A's RTCP peer is its a=rtcp */
	const unsigned char rr_b[8] = { 0x80, 201, 0, 1, 0, 0, 0, 0xB };
	send_to(b.fd[1], &to_b_rtcp, rr_b, sizeof rr_b);
	expect_from(&c, a.fd[1], rr_b, sizeof rr_b, (uint16_t)(pa + 1));
	/* and the other two ways */
	const unsigned char rr_a[8] = { 0x80, 201, 0, 1, 0, 0, 0, 0xA };
	send_to(a.fd[1], &to_a_rtcp, rr_a, sizeof rr_a);
	expect_from(&c, b.fd[1], rr_a, sizeof rr_a, (uint16_t)(pb + 1));
	rtp_through(&c, &b, &to_b, a.fd[0], pa, 0xB, 1);
	struct ms_rtp_stats sa = stats_of(&c, 0, MS_RTP_LEG_A), sb = stats_of(&c, 0, MS_RTP_LEG_B);
	ASSERT_INT(sa.forwarded, 2);
	ASSERT_INT(sb.forwarded, 2);
	ASSERT_INT(sa.rejected + sa.dropped + sb.rejected + sb.dropped, 0);
	call_close(&c);
	ep_close(&a);
	ep_close(&b);
}

TEST(rtp_call_reinvite_moves_the_peer)
{
	struct call c;
	call_open(&c, &(struct ms_rtp_media_config){ 0 });
	struct ep a = ep_open(), b = ep_open(), b2 = ep_open();
	char buf[2048];
	offer_answer(&c, &a, &b);
	struct sockaddr_storage to_a = out_media(&c, 0);
	uint16_t pb = leg_port(&c, 0, MS_RTP_LEG_B);
	struct ms_rtp_session *s = ms_rtp_media_stream(c.m, 0);
	rtp_through(&c, &a, &to_a, b.fd[0], pb, 0xA, 1);
	/* B offers again from elsewhere: the same session, the same port for
	 * A, and A's media goes to B's new address */
	pass(&c, MS_RTP_LEG_B, answer_b(buf, sizeof buf, &b2, "a=sendrecv\r\n"));
	ASSERT(ms_rtp_media_stream(c.m, 0) == s);
	ASSERT_INT(ms_rtp_relay_sessions(c.relay), 1);
	struct sockaddr_storage again = out_media(&c, 0);
	ASSERT(ms_addr_equal(&again, &to_a));
	rtp_through(&c, &a, &to_a, b2.fd[0], pb, 0xA, 2);
	expect_nothing(&c, b.fd[0]);
	ASSERT(peer_is(&c, 0, MS_RTP_LEG_B, &b2.addr[0]));
	/* A's side was not touched */
	ASSERT(peer_is(&c, 0, MS_RTP_LEG_A, &a.addr[0]));
	call_close(&c);
	ep_close(&a);
	ep_close(&b);
	ep_close(&b2);
}

TEST(rtp_call_hold_passes_through)
{
	struct call c;
	call_open(&c, &(struct ms_rtp_media_config){ 0 });
	struct ep a = ep_open(), b = ep_open();
	char buf[2048], want[2048];
	offer_answer(&c, &a, &b);
	uint16_t pa = leg_port(&c, 0, MS_RTP_LEG_A), pb = leg_port(&c, 0, MS_RTP_LEG_B);
	/* B holds with a media-level 0.0.0.0: kept, the port rewritten, B's
	 * peer as it was */
	pass(&c, MS_RTP_LEG_B,
	     fmt(buf, sizeof buf,
		 "v=0\r\no=bob 1 2 IN IP4 127.0.0.2\r\ns=-\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=sendonly\r\n",
		 b.port + 10));
	expect_out(&c,
		   fmt(want, sizeof want,
		       "v=0\r\no=bob 1 2 IN IP4 127.0.0.2\r\ns=-\r\nt=0 0\r\n"
		       "m=audio %u RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=sendonly\r\n",
		       pa));
	ASSERT(peer_is(&c, 0, MS_RTP_LEG_B, &b.addr[0]));
	/* A holds with the session's c= 0.0.0.0 and an a=rtcp: the c= stays,
	 * a=rtcp gets the relay's port, A's peer stays */
	pass(&c, MS_RTP_LEG_A,
	     fmt(buf, sizeof buf,
		 "v=0\r\no=alice 1 3 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 8\r\na=rtcp:%u\r\na=sendonly\r\n",
		 a.port + 10, a.port + 11));
	expect_out(&c,
		   fmt(want, sizeof want,
		       "v=0\r\no=alice 1 3 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
		       "m=audio %u RTP/AVP 8\r\na=rtcp:%u\r\na=sendonly\r\n",
		       pb, pb + 1));
	ASSERT(peer_is(&c, 0, MS_RTP_LEG_A, &a.addr[0]));
	/* media still reaches A where the first offer said */
	struct sockaddr_storage to_b = addr_of("127.0.0.1", pb);
	rtp_through(&c, &b, &to_b, a.fd[0], pa, 0xB, 1);
	/* a=sendonly with a real address is not hold: the peer moves */
	pass(&c, MS_RTP_LEG_B,
	     fmt(buf, sizeof buf,
		 "v=0\r\no=bob 1 3 IN IP4 127.0.0.2\r\ns=-\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 0\r\nc=IN IP4 127.0.0.2\r\na=sendonly\r\n",
		 b.port + 10));
	struct sockaddr_storage moved = addr_of("127.0.0.2", (uint16_t)(b.port + 10));
	ASSERT(peer_is(&c, 0, MS_RTP_LEG_B, &moved));
	call_close(&c);
	ep_close(&a);
	ep_close(&b);
}

static const char *av_offer(char *buf, size_t cap, const struct ep *a, const struct ep *v, unsigned vport)
{
	return fmt(buf, cap,
		   "v=0\r\no=- 7 7 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
		   "m=audio %u RTP/AVP 9\r\n"
		   "m=video %u rtp/savp 96\r\n"
		   "a=rtcp:%u IN IP4 127.0.0.2\r\n"
		   "a=rtpmap:96 H264/90000\r\n"
		   "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n",
		   a->port, vport, v->port + 1);
}

TEST(rtp_call_audio_and_video)
{
	struct call c;
	call_open(&c, &(struct ms_rtp_media_config){ 0 });
	struct ep a = ep_open(), av = ep_open(), b = ep_open(), bv = ep_open();
	char buf[2048], want[2048];
	pass(&c, MS_RTP_LEG_A, av_offer(buf, sizeof buf, &a, &av, av.port));
	ASSERT_INT(ms_rtp_media_streams(c.m), 2);
	ASSERT_INT(ms_rtp_relay_sessions(c.relay), 2);
	ASSERT(strcmp(ms_rtp_media_kind(c.m, 0), "audio") == 0);
	ASSERT(strcmp(ms_rtp_media_kind(c.m, 1), "video") == 0);
	ASSERT(strcmp(ms_rtp_media_kind(c.m, 2), "") == 0);
	ASSERT(ms_rtp_media_stream(c.m, 2) == NULL);
	uint16_t vb = leg_port(&c, 1, MS_RTP_LEG_B), ab = leg_port(&c, 0, MS_RTP_LEG_B);
	ASSERT(vb != ab);
	/* the RFC 3605 address gets the relay's; SRTP keys pass untouched */
	expect_out(
		&c,
		fmt(want, sizeof want,
		    "v=0\r\no=- 7 7 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		    "m=audio %u RTP/AVP 9\r\n"
		    "m=video %u rtp/savp 96\r\n"
		    "a=rtcp:%u IN IP4 127.0.0.1\r\n"
		    "a=rtpmap:96 H264/90000\r\n"
		    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n",
		    ab, vb, vb + 1));
	/* the clocks of the first payload types: G.722's RFC 3551 8000 (not
	 * its 16 kHz sampling), H.264's rtpmap */
	ASSERT_INT(ms_rtp_media_stream(c.m, 0)->leg[MS_RTP_LEG_A].rx.clock_rate, 8000);
	ASSERT_INT(ms_rtp_media_stream(c.m, 1)->leg[MS_RTP_LEG_A].rx.clock_rate, 90000);
	struct sockaddr_storage vrtcp = addr_of("127.0.0.2", (uint16_t)(av.port + 1));
	struct ms_rtp_session *vs = ms_rtp_media_stream(c.m, 1);
	ASSERT(ms_addr_equal(&vs->leg[MS_RTP_LEG_A].latch[MS__RTCP].addr, &vrtcp));
	/* B answers both, L16 stereo on audio (44100 Hz) */
	pass(&c, MS_RTP_LEG_B,
	     fmt(buf, sizeof buf,
		 "v=0\r\no=- 8 8 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 10\r\nm=video %u RTP/SAVP 96\r\na=rtpmap:96 H264/90000\r\n",
		 b.port, bv.port));
	ASSERT_INT(ms_rtp_media_stream(c.m, 0)->leg[MS_RTP_LEG_B].rx.clock_rate, 44100);
	ASSERT_INT(ms_rtp_relay_sessions(c.relay), 2);
	/* video flows on the video ports */
	struct sockaddr_storage to_a_v = out_media(&c, 1);
	ASSERT_INT(ms_addr_port(&to_a_v), leg_port(&c, 1, MS_RTP_LEG_A));
	rtp_through(&c, &av, &to_a_v, bv.fd[0], vb, 0x77, 1);
	expect_nothing(&c, b.fd[0]);
	call_close(&c);
	ep_close(&a);
	ep_close(&av);
	ep_close(&b);
	ep_close(&bv);
}

TEST(rtp_call_port_zero_ends_the_session)
{
	struct call c;
	call_open(&c, &(struct ms_rtp_media_config){ 0 });
	struct ep a = ep_open(), av = ep_open();
	char buf[2048];
	unsigned before = ms_rtp_pool_available(c.pool);
	pass(&c, MS_RTP_LEG_A, av_offer(buf, sizeof buf, &a, &av, av.port));
	ASSERT_INT(ms_rtp_pool_available(c.pool), before - 4);
	struct ms_rtp_session *audio = ms_rtp_media_stream(c.m, 0);
	/* video turned off: its pairs go back, the line keeps port 0 */
	pass(&c, MS_RTP_LEG_A, av_offer(buf, sizeof buf, &a, &av, 0));
	ASSERT_INT(ms_rtp_pool_available(c.pool), before - 2);
	ASSERT_INT(ms_rtp_media_streams(c.m), 2);
	ASSERT(ms_rtp_media_stream(c.m, 0) == audio);
	ASSERT(ms_rtp_media_stream(c.m, 1) == NULL);
	ASSERT(strcmp(ms_rtp_media_kind(c.m, 1), "video") == 0);
	ASSERT(memmem(c.out.data, c.out.len, "\r\nm=video 0 rtp/savp 96\r\n", 25) != NULL);
	/* and on again: a new session */
	pass(&c, MS_RTP_LEG_A, av_offer(buf, sizeof buf, &a, &av, av.port));
	ASSERT(ms_rtp_media_stream(c.m, 1) != NULL);
	ASSERT_INT(ms_rtp_pool_available(c.pool), before - 4);
	call_close(&c);
	ep_close(&a);
	ep_close(&av);
}

TEST(rtp_call_other_lines_untouched)
{
	struct call c;
	/* an address of the caller's choice (the relay's public one) */
	call_open(&c, &(struct ms_rtp_media_config){ .address = "192.0.2.1" });
	struct ep a = ep_open();
	char buf[2048], want[2048];
	pass(&c, MS_RTP_LEG_A,
	     fmt(buf, sizeof buf,
		 "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 0\r\n"
		 "a=candidate:1 1 UDP 1 127.0.0.2 %u typ host\r\n"
		 "m=image 5000 udptl t38\r\n"
		 "a=T38FaxVersion:0\r\n"
		 "m=application 6000 UDP/TLS/RTP/SAVPF 100\r\n"
		 "a=ice-ufrag:abc\r\n"
		 "a=candidate:1 1 UDP 1 127.0.0.2 6000 typ host\r\n"
		 "a=fingerprint:sha-256 AB:CD\r\n"
		 "m=message 7000 TCP/MSRP *\r\n"
		 "c=IN IP4 127.0.0.3\r\n"
		 "m=video 0 RTP/AVP 31\r\n",
		 a.port, a.port));
	uint16_t pb = leg_port(&c, 0, MS_RTP_LEG_B);
	expect_out(&c,
		   fmt(want, sizeof want,
		       "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
		       "m=audio %u RTP/AVP 0\r\n"
		       "m=image 5000 udptl t38\r\n"
		       "c=IN IP4 127.0.0.2\r\n"
		       "a=T38FaxVersion:0\r\n"
		       "m=application 6000 UDP/TLS/RTP/SAVPF 100\r\n"
		       "c=IN IP4 127.0.0.2\r\n"
		       "a=ice-ufrag:abc\r\n"
		       "a=candidate:1 1 UDP 1 127.0.0.2 6000 typ host\r\n"
		       "a=fingerprint:sha-256 AB:CD\r\n"
		       "m=message 7000 TCP/MSRP *\r\n"
		       "c=IN IP4 127.0.0.3\r\n"
		       "m=video 0 RTP/AVP 31\r\n"
		       "c=IN IP4 127.0.0.2\r\n",
		       pb));
	ASSERT_INT(ms_rtp_media_streams(c.m), 5);
	ASSERT_INT(ms_rtp_relay_sessions(c.relay), 1);
	for (unsigned i = 1; i < 5; i++)
		ASSERT(ms_rtp_media_stream(c.m, i) == NULL);
	ASSERT(strcmp(ms_rtp_media_kind(c.m, 3), "message") == 0);
	/* a body with nothing to relay goes through as it came */
	const char *t38 = "v=0\r\no=- 1 2 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
			  "a=ice-lite\r\nm=audio 0 RTP/AVP 0\r\nm=image 5000 udptl t38\r\n";
	pass(&c, MS_RTP_LEG_A, t38);
	expect_out(&c, t38);
	ASSERT_INT(ms_rtp_relay_sessions(c.relay), 0);
	call_close(&c);
	ep_close(&a);
}

/* What a failed body must leave: the same streams, peers, ports, and
 * nothing written. */
struct snapshot {
	unsigned streams, sessions, available;
	struct ms_rtp_session *s0;
	struct sockaddr_storage peer_a;
};

static struct snapshot snap(const struct call *c)
{
	return (struct snapshot){ .streams = ms_rtp_media_streams(c->m),
				  .sessions = ms_rtp_relay_sessions(c->relay),
				  .available = ms_rtp_pool_available(c->pool),
				  .s0 = ms_rtp_media_stream(c->m, 0),
				  .peer_a = stats_of(c, 0, MS_RTP_LEG_A).peer };
}

static void expect_refused(struct call *c, const char *body, int code)
{
	struct snapshot before = snap(c);
	const char *why = NULL;
	c->out.len = 0;
	ASSERT_INT(ms_buf_addz(&c->out, "kept"), 0);
	int rc = ms_rtp_media_sdp(c->m, MS_RTP_LEG_A, body, strlen(body), &c->out, &why);
	if (rc != code)
		ms_test_fail(__FILE__, __LINE__, "%s, expected %s (%s), for:\n%s", ms_strerror(rc),
			     ms_strerror(code), why ? why : "", body);
	ASSERT(why != NULL && why[0]);
	ASSERT(c->out.len == 4 && memcmp(c->out.data, "kept", 4) == 0);
	c->out.len = 0;
	struct snapshot after = snap(c);
	ASSERT_INT(after.streams, before.streams);
	ASSERT_INT(after.sessions, before.sessions);
	ASSERT_INT(after.available, before.available);
	ASSERT(after.s0 == before.s0);
	ASSERT(ms_addr_equal(&after.peer_a, &before.peer_a));
}

TEST(rtp_call_bad_sdp_leaves_the_call)
{
	struct call c;
	call_open(&c, &(struct ms_rtp_media_config){ 0 });
	struct ep a = ep_open(), b = ep_open();
	char buf[4096];
	offer_answer(&c, &a, &b);
	const char *head = "v=0\r\no=- 1 9 IN IP4 127.0.0.2\r\ns=-\r\nt=0 0\r\n";
	const char *head_c = "v=0\r\no=- 1 9 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n";
	expect_refused(&c, "not an SDP at all", MS_EBADMSG);
	expect_refused(
		&c, fmt(buf, sizeof buf, "%sm=audio 4000 RTP/AVP 0\r\nc=IN IP4 media.example.com\r\n", head),
		MS_EBADMSG);
	/* the relay's own port: media would go round and round */
	expect_refused(&c,
		       fmt(buf, sizeof buf, "%sm=audio %u RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\n", head,
			   leg_port(&c, 0, MS_RTP_LEG_B)),
		       MS_EBADMSG);
	/* RTCP on it (p + 1, or a=rtcp) is the same */
	expect_refused(&c,
		       fmt(buf, sizeof buf, "%sm=audio %u RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\n", head,
			   range_base() - 1),
		       MS_EBADMSG);
	expect_refused(&c,
		       fmt(buf, sizeof buf,
			   "%sm=audio 4000 RTP/AVP 0\r\nc=IN IP4 127.0.0.2\r\na=rtcp:%u IN IP4 127.0.0.1\r\n",
			   head, leg_port(&c, 0, MS_RTP_LEG_A) + 1),
		       MS_EBADMSG);
	expect_refused(&c, fmt(buf, sizeof buf, "%sm=audio 4000 RTP/AVP 0\r\nc=IN IP6 ::1\r\n", head),
		       MS_ENOTSUP);
	expect_refused(&c, fmt(buf, sizeof buf, "%sm=audio 4000 RTP/AVP 0\r\nc=IN IP4 ::1\r\n", head),
		       MS_EBADMSG);
	expect_refused(&c,
		       fmt(buf, sizeof buf, "%sm=audio 4000 RTP/AVP 0\r\nc=IN IP4 224.2.1.1/127\r\n", head),
		       MS_ENOTSUP);
	expect_refused(&c, fmt(buf, sizeof buf, "%sm=audio 4000 RTP/AVP 0\r\n", head), MS_EBADMSG);
	expect_refused(
		&c,
		fmt(buf, sizeof buf, "%sm=audio 4000 RTP/AVP 0\r\nc=IN IP4 127.0.0.2\r\na=rtcp:x\r\n", head),
		MS_EBADMSG);
	/* good lines first, one new, and a bad one last: nothing of it is
	 * kept (A's peer not moved, no session for the new line) */
	expect_refused(&c,
		       fmt(buf, sizeof buf,
			   "%sm=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 31\r\n"
			   "m=audio 4004 RTP/AVP 0\r\nc=IN IP4 media.example.com\r\n",
			   head_c),
		       MS_EBADMSG);
	/* more m= lines than a call may have */
	size_t n = (size_t)snprintf(buf, sizeof buf, "%s", head_c);
	for (int i = 0; i <= MS__RTP_MEDIA_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "m=audio 0 RTP/AVP 0\r\n");
	expect_refused(&c, buf, MS_EBADMSG);
	/* the call goes on */
	pass(&c, MS_RTP_LEG_A, offer_a(buf, sizeof buf, &a));
	call_close(&c);
	ep_close(&a);
	ep_close(&b);
}

TEST(rtp_call_out_of_ports)
{
	struct call c;
	call_open_pool(&c, &(struct ms_rtp_media_config){ 0 }, 3);
	struct ep a = ep_open(), av = ep_open();
	char buf[2048];
	const char *why = NULL;
	/* audio and video need four pairs of three: the audio's two go back */
	ASSERT_INT(sdp_from(&c, MS_RTP_LEG_A, av_offer(buf, sizeof buf, &a, &av, av.port), &why),
		   MS_RTP_ENOPORTS);
	ASSERT(why != NULL);
	ASSERT_INT(c.out.len, 0);
	ASSERT_INT(ms_rtp_pool_available(c.pool), 3);
	ASSERT_INT(ms_rtp_relay_sessions(c.relay), 0);
	ASSERT_INT(ms_rtp_media_streams(c.m), 0);
	/* audio alone fits */
	pass(&c, MS_RTP_LEG_A, offer_a(buf, sizeof buf, &a));
	ASSERT_INT(ms_rtp_pool_available(c.pool), 1);
	call_close(&c);
	ep_close(&a);
	ep_close(&av);
}

TEST(rtp_call_config_checks)
{
	uint16_t base = range_base();
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct sockaddr_storage any = addr_of("0.0.0.0", 0), lo = addr_of("127.0.0.1", 0);
	struct ms_rtp_pool *wild, *pool;
	struct ms_rtp_relay *rw, *r;
	struct ms_rtp_media *m = NULL;
	ASSERT_INT(ms_rtp_pool_new(&wild, &any, base, (uint16_t)(base + 3)), 0);
	ASSERT_INT(ms_rtp_pool_new(&pool, &lo, base, (uint16_t)(base + 3)), 0);
	ASSERT_INT(ms_rtp_relay_new(&rw, loop, wild), 0);
	ASSERT_INT(ms_rtp_relay_new(&r, loop, pool), 0);
	/* a wildcard pool needs an address to write */
	ASSERT_INT(ms_rtp_media_new(&m, rw, &(struct ms_rtp_media_config){ 0 }), MS_EINVAL);
	ASSERT_INT(ms_rtp_media_new(&m, rw, &(struct ms_rtp_media_config){ .address = "0.0.0.0" }),
		   MS_EINVAL);
	ASSERT_INT(ms_rtp_media_new(&m, r, &(struct ms_rtp_media_config){ .address = "::1" }), MS_EINVAL);
	ASSERT_INT(ms_rtp_media_new(&m, r, &(struct ms_rtp_media_config){ .address = "relay.example.com" }),
		   MS_EINVAL);
	ASSERT_INT(ms_rtp_media_new(&m, r, &(struct ms_rtp_media_config){ .timeout = 1 }), MS_EINVAL);
	ASSERT_INT(ms_rtp_media_new(&m, r, &(struct ms_rtp_media_config){ .timeout = -1 }), MS_EINVAL);
	ASSERT(m == NULL);
	ASSERT_INT(ms_rtp_media_new(&m, rw, &(struct ms_rtp_media_config){ .address = "198.51.100.4" }), 0);
	ASSERT_INT(ms_rtp_media_streams(m), 0);
	ASSERT(ms_rtp_media_stream(m, 0) == NULL);
	ASSERT(strcmp(ms_rtp_media_kind(m, 0), "") == 0);
	/* a long media word is cut, not overrun */
	struct ms_buf out;
	ms_buf_init(&out);
	const char *body = "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nt=0 0\r\n"
			   "m=averyveryverylongmediaword 0 RTP/AVP 0\r\n";
	ASSERT_INT(ms_rtp_media_sdp(m, MS_RTP_LEG_A, body, strlen(body), &out, NULL), 0);
	ASSERT(strcmp(ms_rtp_media_kind(m, 0), "averyveryverylo") == 0);
	ASSERT_INT(ms_rtp_media_sdp(m, (enum ms_rtp_leg)2, body, strlen(body), &out, NULL), MS_EINVAL);
	ms_buf_free(&out);
	ms_rtp_media_free(m);
	ms_rtp_media_free(NULL);
	ms_rtp_relay_free(rw);
	ms_rtp_relay_free(r);
	ms_rtp_pool_free(wild);
	ms_rtp_pool_free(pool);
	ev_loop_destroy(loop);
}

/* ---- the call's timeout ---- */

struct idle {
	int calls;
	double at;
	bool free_it;
};

static void on_idle(struct ms_rtp_media *m, void *arg)
{
	struct idle *i = arg;
	i->calls++;
	i->at = ev_time();
	if (i->free_it)
		ms_rtp_media_free(m);
}

TEST(rtp_call_timeout_fires_once_after_silence)
{
	struct idle idle = { 0 };
	struct call c;
	double t0 = ev_time();
	call_open(&c, &(struct ms_rtp_media_config){ .timeout = 0.2, .timeout_cb = on_idle, .arg = &idle });
	struct ep a = ep_open(), b = ep_open();
	offer_answer(&c, &a, &b);
	ms_test_run_bounded(c.loop, 0.6);
	ASSERT_INT(idle.calls, 1);
	ASSERT(idle.at - t0 >= 0.19 && idle.at - t0 < 0.5);
	ms_test_run_bounded(c.loop, 0.3);
	ASSERT_INT(idle.calls, 1);
	call_close(&c);
	ep_close(&a);
	ep_close(&b);
}

TEST(rtp_call_timeout_waits_while_media_flows)
{
	struct idle idle = { .free_it = true };
	struct call c;
	call_open(&c, &(struct ms_rtp_media_config){ .timeout = 0.2, .timeout_cb = on_idle, .arg = &idle });
	struct ep a = ep_open(), av = ep_open(), b = ep_open();
	char buf[2048];
	pass(&c, MS_RTP_LEG_A, av_offer(buf, sizeof buf, &a, &av, av.port));
	/* packets on the video stream only, every 50 ms for 0.6 s: silence on
	 * one stream is not silence of the call */
	struct sockaddr_storage to = addr_of("127.0.0.1", leg_port(&c, 1, MS_RTP_LEG_A));
	unsigned char pkt[32];
	double last = 0;
	for (int i = 0; i < 12; i++) {
		send_to(av.fd[0], &to, pkt, rtp_packet(pkt, 0x5, (uint16_t)i));
		last = ev_time();
		ms_test_run_bounded(c.loop, 0.05);
	}
	ASSERT_INT(idle.calls, 0);
	ASSERT(ms_rtp_media_stream(c.m, 1)->leg[MS_RTP_LEG_A].rx.packets == 12);
	/* then silence: once, about 0.2 s after the last packet; the callback
	 * frees the media and every port comes back */
	ms_test_run_bounded(c.loop, 0.6);
	ASSERT_INT(idle.calls, 1);
	ASSERT(idle.at - last >= 0.15 && idle.at - last < 0.5);
	ASSERT_INT(ms_rtp_relay_sessions(c.relay), 0);
	ASSERT_INT(ms_rtp_pool_available(c.pool), ms_rtp_pool_size(c.pool));
	ms_rtp_relay_free(c.relay);
	ms_rtp_pool_free(c.pool);
	ev_loop_destroy(c.loop);
	ms_buf_free(&c.out);
	ep_close(&a);
	ep_close(&av);
	ep_close(&b);
}
