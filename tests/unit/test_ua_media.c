/* The RTP endpoint of a user agent (ua_media.h): the offer's bytes, the
 * answer to offers it takes and refuses, the answer to its own offer, and
 * media on a real libev loop against plain UDP sockets on 127.0.0.1:
 * played frames (headers, payload, pacing), echo, the counters. Every
 * wait is bounded. */
#define _GNU_SOURCE
#include <ev.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "moonsip/addr.h"
#include "moonsip/sdp.h"
#include "moonsip/ua_media.h"
#include "test.h"

/* A test peer: a plain non-blocking socket on 127.0.0.1. */
struct ep {
	int fd;
	struct sockaddr_storage addr;
};

static struct ep ep_open(void)
{
	struct ep e;
	socklen_t len = sizeof e.addr;
	ASSERT_INT(ms_addr_set(&e.addr, MS_STR("127.0.0.1"), 0), 0);
	e.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ASSERT(e.fd >= 0);
	ASSERT_INT(bind(e.fd, (struct sockaddr *)&e.addr, ms_addr_len(&e.addr)), 0);
	ASSERT_INT(getsockname(e.fd, (struct sockaddr *)&e.addr, &len), 0);
	return e;
}

static void ep_send(const struct ep *e, uint16_t port, const void *p, size_t n)
{
	struct sockaddr_storage to;
	ASSERT_INT(ms_addr_set(&to, MS_STR("127.0.0.1"), port), 0);
	ASSERT_INT(sendto(e->fd, p, n, 0, (struct sockaddr *)&to, ms_addr_len(&to)), (long long)n);
}

/* Runs the loop until a datagram is waiting on 'fd' or 'secs' pass; its
 * length (and arrival time), or -1. */
static long recv_wait(struct ev_loop *loop, int fd, unsigned char *buf, size_t cap, double secs, double *when)
{
	double end = ev_time() + secs;
	do {
		ev_run(loop, EVRUN_NOWAIT);
		ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);
		if (n >= 0) {
			if (when)
				*when = ev_time();
			return (long)n;
		}
		poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 2);
	} while (ev_time() < end);
	return -1;
}

/* Runs the loop for 'secs' (what was sent in that time gets handled). */
static void run_for(struct ev_loop *loop, double secs)
{
	double end = ev_time() + secs;
	while (ev_time() < end) {
		ev_run(loop, EVRUN_NOWAIT);
		poll(NULL, 0, 2);
	}
}

static struct ms_ua_media *media_new(struct ev_loop *loop)
{
	struct ms_ua_media *m;
	ASSERT_INT(ms_ua_media_new(&m, loop, "127.0.0.1", 0), 0);
	return m;
}

/* An offer from a peer at 127.0.0.1:port with this m= line and extra
 * lines after it. */
static void offer_at(char *out, size_t cap, uint16_t port, const char *fmts, const char *extra)
{
	snprintf(out, cap,
		 "v=0\r\no=peer 7 7 IN IP4 127.0.0.1\r\ns=call\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP %s\r\n%s",
		 (unsigned)port, fmts, extra);
}

/* The o= session id the object chose (random), to build expected bodies. */
static unsigned sess_id(const struct ms_buf *b)
{
	ASSERT(b->len > 10 && memcmp(b->data, "v=0\r\no=- ", 9) == 0);
	return (unsigned)strtoul(b->data + 9, NULL, 10);
}

static void assert_body(const struct ms_buf *b, const char *want)
{
	ASSERT_STR(((struct ms_str){ b->data, b->len }), want);
}

TEST(ua_media_offer_bytes)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ms_ua_media *m = media_new(loop);
	uint16_t port = ms_ua_media_port(m);
	ASSERT(port != 0 && port % 2 == 0);
	ASSERT_INT(ms_ua_media_codec(m), MS_ENOENT);
	struct ms_buf b;
	ms_buf_init(&b);
	ASSERT_INT(ms_ua_media_offer(m, &b), 0);
	char want[1024];
	const char *fmt =
		"v=0\r\no=- %u %u IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		"m=audio %u RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
		"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n";
	unsigned id = sess_id(&b);
	snprintf(want, sizeof want, fmt, id, 1u, (unsigned)port);
	assert_body(&b, want);
	/* the next body is a new version of the same session */
	b.len = 0;
	ASSERT_INT(ms_ua_media_offer(m, &b), 0);
	snprintf(want, sizeof want, fmt, id, 2u, (unsigned)port);
	assert_body(&b, want);
	/* it parses as what it says */
	struct ms_sdp s;
	struct ms_sdp_media md;
	ASSERT_INT(ms_sdp_parse(&s, b.data, b.len, NULL), 0);
	ASSERT_INT(ms_sdp_get_media(&s, 0, &md), 0);
	ASSERT_INT(md.port, port);
	ms_sdp_free(&s);
	ms_buf_free(&b);
	ms_ua_media_free(m);
	ev_loop_destroy(loop);
}

/* The first G.711 of the list (after an unknown dynamic type), the
 * offer's telephone-event number, a video line refused with port 0, the
 * direction mirrored. */
TEST(ua_media_answer_picks_codec)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ms_ua_media *m = media_new(loop);
	char offer[1024], want[1024];
	offer_at(offer, sizeof offer, 4000, "96 8 0 100",
		 "a=rtpmap:96 opus/48000/2\r\na=rtpmap:100 telephone-event/8000\r\na=sendonly\r\n"
		 "m=video 4002 RTP/AVP 31\r\n");
	struct ms_buf b;
	ms_buf_init(&b);
	ASSERT_INT(ms_ua_media_answer(m, offer, strlen(offer), &b), 0);
	snprintf(want, sizeof want,
		 "v=0\r\no=- %u 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 8 100\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:100 telephone-event/8000\r\n"
		 "a=fmtp:100 0-15\r\na=ptime:20\r\na=recvonly\r\nm=video 0 RTP/AVP 31\r\n",
		 sess_id(&b), (unsigned)ms_ua_media_port(m));
	assert_body(&b, want);
	ASSERT_INT(ms_ua_media_codec(m), 8);

	/* no telephone-event offered: none answered; PCMU by its rtpmap */
	b.len = 0;
	offer_at(offer, sizeof offer, 4000, "0", "a=rtpmap:0 PCMU/8000\r\n");
	ASSERT_INT(ms_ua_media_answer(m, offer, strlen(offer), &b), 0);
	snprintf(want, sizeof want,
		 "v=0\r\no=- %u 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n",
		 sess_id(&b), (unsigned)ms_ua_media_port(m));
	assert_body(&b, want);
	ASSERT_INT(ms_ua_media_codec(m), 0);
	ms_buf_free(&b);
	ms_ua_media_free(m);
	ev_loop_destroy(loop);
}

/* Offers that deserve a 488 (or a 400): an error, the buffer and the
 * object as they were. */
TEST(ua_media_answer_refuses)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ms_ua_media *m = media_new(loop);
	static const char *const bad[] = {
		/* no G.711 */
		"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		"m=audio 4000 RTP/AVP 18 101\r\na=rtpmap:101 telephone-event/8000\r\n",
		/* PCMU by number, but its rtpmap says otherwise */
		"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		"m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/16000\r\n",
		/* the audio line refused by the offerer itself */
		"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 0 RTP/AVP "
		"0\r\n",
		/* SRTP */
		"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 "
		"RTP/SAVP 0\r\n",
		/* IPv6 media for an IPv4 endpoint, a host name, multicast, no c= */
		"v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
		"v=0\r\no=- 1 1 IN IP4 a.example\r\ns=-\r\nc=IN IP4 a.example\r\nt=0 0\r\nm=audio 4000 "
		"RTP/AVP 0\r\n",
		"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 224.2.1.1/127\r\nt=0 0\r\nm=audio 4000 "
		"RTP/AVP 0\r\n",
		"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
		/* no audio at all */
		"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 4000 "
		"RTP/AVP 31\r\n",
	};
	struct ms_buf b;
	ms_buf_init(&b);
	ASSERT_INT(ms_buf_addz(&b, "kept"), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ASSERT_INT(ms_ua_media_answer(m, bad[i], strlen(bad[i]), &b), MS_ENOTSUP);
		ASSERT_INT(b.len, 4);
		ASSERT_INT(ms_ua_media_codec(m), MS_ENOENT);
	}
	static const char garbage[] = "this is no SDP\r\n";
	ASSERT_INT(ms_ua_media_answer(m, garbage, sizeof garbage - 1, &b), MS_EBADMSG);
	ASSERT_INT(b.len, 4);
	/* play needs a codec */
	ASSERT_INT(ms_ua_media_play(m, NULL, 0, false), MS_EINVAL);
	ms_buf_free(&b);
	ms_ua_media_free(m);
	ev_loop_destroy(loop);
}

TEST(ua_media_new_args)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ms_ua_media *m = NULL, *m2 = NULL;
	ASSERT_INT(ms_ua_media_new(&m, loop, "127.0.0.1", 4001), MS_EINVAL); /* odd */
	ASSERT_INT(ms_ua_media_new(&m, loop, "0.0.0.0", 0), MS_EINVAL);
	ASSERT_INT(ms_ua_media_new(&m, loop, "localhost", 0), MS_EINVAL);
	ASSERT_INT(ms_ua_media_new(&m, loop, NULL, 0), MS_EINVAL);
	ASSERT(m == NULL);
	/* a given port, its neighbour taken too: a second one cannot have it */
	m = media_new(loop);
	uint16_t port = ms_ua_media_port(m);
	ms_ua_media_free(m);
	ASSERT_INT(ms_ua_media_new(&m, loop, "127.0.0.1", port), 0);
	ASSERT_INT(ms_ua_media_port(m), port);
	ASSERT_INT(ms_ua_media_new(&m2, loop, "127.0.0.1", port), -EADDRINUSE);
	struct ep e = ep_open();
	struct sockaddr_storage a;
	ASSERT_INT(ms_addr_set(&a, MS_STR("127.0.0.1"), (uint16_t)(port + 1)), 0);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT(bind(fd, (struct sockaddr *)&a, ms_addr_len(&a)) < 0);
	close(fd);
	close(e.fd);
	ms_ua_media_free(m);
	ms_ua_media_free(NULL);
	/* IPv6 where the machine has it */
	if (ms_ua_media_new(&m, loop, "::1", 0) == 0) {
		struct ms_buf b;
		ms_buf_init(&b);
		ASSERT_INT(ms_ua_media_offer(m, &b), 0);
		ASSERT(strstr(b.data, "\r\nc=IN IP6 ::1\r\n") != NULL);
		ms_buf_free(&b);
		ms_ua_media_free(m);
	}
	ev_loop_destroy(loop);
}

static uint16_t be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* 400 bytes played once as PCMU: three frames, 20 ms apart, with our
 * headers; the last one filled up with PCMU silence; then nothing. */
TEST(ua_media_play_paced)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ms_ua_media *m = media_new(loop);
	struct ep peer = ep_open();
	char offer[512];
	offer_at(offer, sizeof offer, ms_addr_port(&peer.addr), "0 8", "");
	struct ms_buf b;
	ms_buf_init(&b);
	ASSERT_INT(ms_ua_media_answer(m, offer, strlen(offer), &b), 0);
	ms_buf_free(&b);
	unsigned char tone[400];
	for (size_t i = 0; i < sizeof tone; i++)
		tone[i] = (unsigned char)i;
	ASSERT_INT(ms_ua_media_play(m, tone, sizeof tone, false), 0);
	memset(tone, 0, sizeof tone); /* copied: the caller's buffer is free */
	ASSERT(ms_ua_media_playing(m));
	struct ms_ua_media_stats st;
	ms_ua_media_stats(m, &st);
	unsigned char got[3][2048];
	double at[3];
	for (int i = 0; i < 3; i++)
		ASSERT_INT(recv_wait(loop, peer.fd, got[i], sizeof got[i], 1.0, &at[i]), 172);
	for (int i = 0; i < 3; i++) {
		ASSERT_INT(got[i][0], 0x80);
		ASSERT_INT(got[i][1], i == 0 ? 0x80 : 0x00); /* marker on the first, PT 0 */
		ASSERT_INT(be16(got[i] + 2), (uint16_t)(be16(got[0] + 2) + i));
		ASSERT_INT(be32(got[i] + 4), (uint32_t)(be32(got[0] + 4) + 160u * (unsigned)i));
		ASSERT_INT(be32(got[i] + 8), st.ssrc);
		for (int k = 0; k < 160; k++) {
			int src = i * 160 + k;
			ASSERT_INT(got[i][12 + k], src < 400 ? (src & 0xff) : 0xFF);
		}
	}
	/* paced by the 20 ms timer: two gaps of about 20 ms each (a loop
	 * late for the first frame catches up on the second, hence the
	 * margin; frames sent without pacing would be microseconds apart) */
	ASSERT(at[2] - at[0] > 0.015 && at[2] - at[0] < 0.5);
	unsigned char more[2048];
	ASSERT_INT(recv_wait(loop, peer.fd, more, sizeof more, 0.1, NULL), -1);
	ASSERT(!ms_ua_media_playing(m));
	ms_ua_media_stats(m, &st);
	ASSERT_INT(st.sent, 3);
	ASSERT_INT(st.bytes_sent, 3 * 172);
	ASSERT_INT(st.received, 0);
	close(peer.fd);
	ms_ua_media_free(m);
	ev_loop_destroy(loop);
}

/* The offerer's side: the answer says PCMA and where; silence is PCMA's,
 * repeated until stopped; a payload repeated wraps inside a frame. */
TEST(ua_media_play_answered)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ms_ua_media *m = media_new(loop);
	struct ep peer = ep_open();
	struct ms_buf b;
	ms_buf_init(&b);
	ASSERT_INT(ms_ua_media_offer(m, &b), 0);
	ms_buf_free(&b);
	char answer[512];
	offer_at(answer, sizeof answer, ms_addr_port(&peer.addr), "8 101",
		 "a=rtpmap:101 telephone-event/8000\r\n");
	static const char rejected[] =
		"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		"m=audio 0 RTP/AVP 0\r\n";
	ASSERT_INT(ms_ua_media_set_answer(m, rejected, sizeof rejected - 1), MS_ENOTSUP);
	ASSERT_INT(ms_ua_media_codec(m), MS_ENOENT);
	ASSERT_INT(ms_ua_media_set_answer(m, answer, strlen(answer)), 0);
	ASSERT_INT(ms_ua_media_codec(m), 8);
	ASSERT_INT(ms_ua_media_play(m, NULL, 0, false), 0);
	unsigned char got[2048];
	for (int i = 0; i < 5; i++) {
		ASSERT_INT(recv_wait(loop, peer.fd, got, sizeof got, 1.0, NULL), 172);
		ASSERT_INT(got[1] & 0x7f, 8);
		for (int k = 12; k < 172; k++)
			ASSERT_INT(got[k], 0xD5);
	}
	ms_ua_media_stop(m);
	ASSERT(!ms_ua_media_playing(m));
	run_for(loop, 0.05);
	while (recv(peer.fd, got, sizeof got, MSG_DONTWAIT) >= 0)
		; /* a frame sent before the stop */
	ASSERT_INT(recv_wait(loop, peer.fd, got, sizeof got, 0.1, NULL), -1);

	/* 100 bytes repeated: frame 2 starts at byte 60 of the payload */
	unsigned char tone[100];
	for (size_t i = 0; i < sizeof tone; i++)
		tone[i] = (unsigned char)(i + 1);
	ASSERT_INT(ms_ua_media_play(m, tone, sizeof tone, true), 0);
	for (int i = 0; i < 4; i++) {
		ASSERT_INT(recv_wait(loop, peer.fd, got, sizeof got, 1.0, NULL), 172);
		for (int k = 0; k < 160; k++)
			ASSERT_INT(got[12 + k], (i * 160 + k) % 100 + 1);
	}
	ASSERT(ms_ua_media_playing(m));
	close(peer.fd);
	ms_ua_media_free(m); /* while playing: the timer goes with it */
	ev_loop_destroy(loop);
}

/* An offer that only receives: we answer sendonly... and one that only
 * sends: we answer recvonly and play sends nothing. */
TEST(ua_media_direction)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ms_ua_media *m = media_new(loop);
	struct ep peer = ep_open();
	char offer[512];
	struct ms_buf b;
	ms_buf_init(&b);
	offer_at(offer, sizeof offer, ms_addr_port(&peer.addr), "0", "a=sendonly\r\n");
	ASSERT_INT(ms_ua_media_answer(m, offer, strlen(offer), &b), 0);
	ASSERT(strstr(b.data, "\r\na=recvonly\r\n") != NULL);
	ASSERT_INT(ms_ua_media_play(m, NULL, 0, false), 0);
	unsigned char got[2048];
	ASSERT_INT(recv_wait(loop, peer.fd, got, sizeof got, 0.1, NULL), -1);
	/* the old hold: c=0.0.0.0, nowhere to send */
	b.len = 0;
	static const char hold[] = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
				   "m=audio 4000 RTP/AVP 0\r\n";
	ASSERT_INT(ms_ua_media_answer(m, hold, sizeof hold - 1, &b), 0);
	ASSERT_INT(recv_wait(loop, peer.fd, got, sizeof got, 0.1, NULL), -1);
	/* back: the frames go again, their sequence numbers running on */
	b.len = 0;
	offer_at(offer, sizeof offer, ms_addr_port(&peer.addr), "0", "a=recvonly\r\n");
	ASSERT_INT(ms_ua_media_answer(m, offer, strlen(offer), &b), 0);
	ASSERT(strstr(b.data, "\r\na=sendonly\r\n") != NULL);
	ASSERT_INT(recv_wait(loop, peer.fd, got, sizeof got, 1.0, NULL), 172);
	struct ms_ua_media_stats st;
	ms_ua_media_stats(m, &st);
	ASSERT(st.sent >= 1);
	ms_buf_free(&b);
	close(peer.fd);
	ms_ua_media_free(m);
	ev_loop_destroy(loop);
}

static size_t rtp(unsigned char *p, uint16_t seq, size_t payload)
{
	p[0] = 0x80;
	p[1] = 0;
	p[2] = (unsigned char)(seq >> 8);
	p[3] = (unsigned char)seq;
	memcpy(p + 4, "\x00\x00\x10\x00\xca\xfe\xba\xbe", 8);
	for (size_t i = 0; i < payload; i++)
		p[12 + i] = (unsigned char)(seq * 3 + i);
	return 12 + payload;
}

/* Echo without any SDP: each packet back to its source, byte for byte;
 * the bad and RTCP ones counted, not echoed; a gap counted as lost. */
TEST(ua_media_echo)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ms_ua_media *m = media_new(loop);
	uint16_t port = ms_ua_media_port(m);
	ASSERT_INT(ms_ua_media_echo(m), 0);
	struct ep a = ep_open(), c = ep_open();
	static const uint16_t seqs[] = { 100, 101, 102, 104, 105 };
	unsigned char pkt[2048], got[2048];
	for (size_t i = 0; i < 5; i++) {
		const struct ep *from = i == 2 ? &c : &a; /* a second source gets its own echo */
		size_t n = rtp(pkt, seqs[i], 20 + i);
		ep_send(from, port, pkt, n);
		ASSERT_INT(recv_wait(loop, from->fd, got, sizeof got, 1.0, NULL), (long long)n);
		ASSERT(memcmp(got, pkt, n) == 0);
	}
	/* too short, not version 2, too long, RTCP on both ports */
	ep_send(&a, port, "\x80\x00\x00", 3);
	ep_send(&a, port, "\x40\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01", 12);
	static unsigned char big[3000];
	big[0] = 0x80;
	ep_send(&a, port, big, sizeof big);
	static const unsigned char rr[8] = { 0x80, 201, 0, 1, 0xca, 0xfe, 0xba, 0xbe };
	ep_send(&a, port, rr, sizeof rr);
	ep_send(&a, (uint16_t)(port + 1), rr, sizeof rr);
	ASSERT_INT(recv_wait(loop, a.fd, got, sizeof got, 0.1, NULL), -1);
	struct ms_ua_media_stats st;
	ms_ua_media_stats(m, &st);
	ASSERT_INT(st.received, 5);
	ASSERT_INT(st.sent, 5);
	ASSERT_INT(st.bytes_received, 5 * 12 + 20 + 21 + 22 + 23 + 24);
	ASSERT_INT(st.bytes_sent, st.bytes_received);
	ASSERT_INT(st.bad, 3);
	ASSERT_INT(st.rtcp_received, 2);
	ASSERT_INT(st.lost, 1); /* 103 */
	ASSERT_INT(st.send_errors, 0);
	/* stopped: counted, not echoed */
	ms_ua_media_stop(m);
	ep_send(&a, port, pkt, rtp(pkt, 106, 10));
	ASSERT_INT(recv_wait(loop, a.fd, got, sizeof got, 0.1, NULL), -1);
	ms_ua_media_stats(m, &st);
	ASSERT_INT(st.received, 6);
	ASSERT_INT(st.sent, 5);
	close(a.fd);
	close(c.fd);
	ms_ua_media_free(m);
	ev_loop_destroy(loop);
}
