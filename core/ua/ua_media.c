/* The RTP endpoint of a user agent: its two sockets, what it does with
 * the packets it receives (count, echo) and the frames it plays. The SDP
 * side is in ua_media_sdp.c. */
#define _GNU_SOURCE /* struct mmsghdr, in rtp_private.h; SOCK_NONBLOCK */
#include <arpa/inet.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "moonsip/addr.h"
#include "ua/ua_media_private.h"

/* Tries at an even port with a free neighbour when any port will do: the
 * kernel hands out odd and even ports alike, so each try is a coin flip. */
#define ANY_PORT_TRIES 64
/* Datagrams read per readiness event: a flood cannot hold the loop. */
#define READS_PER_EVENT 64

static int bound_socket(const struct sockaddr_storage *addr)
{
	int fd = socket(addr->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (addr->ss_family == AF_INET6) {
		int on = 1;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
	}
	if (bind(fd, (const struct sockaddr *)addr, ms_addr_len(addr)) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

static void set_port(struct sockaddr_storage *a, uint16_t port)
{
	if (a->ss_family == AF_INET)
		((struct sockaddr_in *)a)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)a)->sin6_port = htons(port);
}

/* The RTP socket at 'port' of m->local, RTCP at port + 1. */
static int open_pair_at(struct ms_ua_media *m, uint16_t port, int fds[2])
{
	struct sockaddr_storage a = m->local;
	set_port(&a, port);
	if ((fds[0] = bound_socket(&a)) < 0)
		return fds[0];
	struct sockaddr_storage got;
	socklen_t len = sizeof got;
	if (getsockname(fds[0], (struct sockaddr *)&got, &len) < 0 || ms_addr_port(&got) % 2 ||
	    ms_addr_port(&got) == 65535) {
		close(fds[0]);
		return -EADDRINUSE; /* port 0 gave an odd one: try again */
	}
	set_port(&a, (uint16_t)(ms_addr_port(&got) + 1));
	if ((fds[1] = bound_socket(&a)) < 0) {
		close(fds[0]);
		return fds[1];
	}
	set_port(&m->local, ms_addr_port(&got));
	return 0;
}

static int open_pair(struct ms_ua_media *m, uint16_t port, int fds[2])
{
	if (port)
		return open_pair_at(m, port, fds);
	int rc = -EADDRINUSE;
	for (int i = 0; i < ANY_PORT_TRIES && rc == -EADDRINUSE; i++)
		rc = open_pair_at(m, 0, fds);
	return rc;
}

bool ms__ua_media_wildcard(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)a)->sin6_addr);
}

/* The address as SDP writes it: canonical, no brackets. */
static int set_local(struct ms_ua_media *m, const char *address)
{
	if (!address || ms_addr_set(&m->local, (struct ms_str){ address, strlen(address) }, 0) < 0 ||
	    ms__ua_media_wildcard(&m->local))
		return MS_EINVAL;
	const void *raw = m->local.ss_family == AF_INET
		? (const void *)&((struct sockaddr_in *)&m->local)->sin_addr
		: (const void *)&((struct sockaddr_in6 *)&m->local)->sin6_addr;
	return inet_ntop(m->local.ss_family, raw, m->address, sizeof m->address) ? 0 : MS_EINVAL;
}

static void on_rtp(struct ev_loop *loop, ev_io *w, int revents);
static void on_rtcp(struct ev_loop *loop, ev_io *w, int revents);
static void on_frame(struct ev_loop *loop, ev_timer *w, int revents);

int ms_ua_media_new(struct ms_ua_media **out, struct ev_loop *loop, const char *address, uint16_t port)
{
	if (!out || !loop || port % 2)
		return MS_EINVAL;
	struct ms_ua_media *m = ms__calloc(1, sizeof *m);
	if (!m)
		return MS_ENOMEM;
	m->loop = loop;
	m->pt = -1;
	int fds[2], rc = set_local(m, address);
	uint32_t rnd[4];
	if (rc == 0 && getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		rc = -errno;
	if (rc == 0)
		rc = open_pair(m, port, fds);
	if (rc < 0) {
		ms__free(m);
		return rc;
	}
	/* RFC 3550 §5.1: random SSRC and initial sequence number and
	 * timestamp; the o= session id need only be unique, random will do. */
	m->ssrc = rnd[0];
	m->seq = (uint16_t)rnd[1];
	m->ts = rnd[2];
	m->sess_id = rnd[3] >> 1; /* fits any parser's signed 32 bits */
	ms__rtp_rx_init(&m->rx, 8000);
	ev_io_init(&m->rtp_io, on_rtp, fds[0], EV_READ);
	ev_io_init(&m->rtcp_io, on_rtcp, fds[1], EV_READ);
	ev_init(&m->frame, on_frame);
	m->rtp_io.data = m->rtcp_io.data = m->frame.data = m;
	ev_io_start(loop, &m->rtp_io);
	ev_io_start(loop, &m->rtcp_io);
	*out = m;
	return 0;
}

void ms_ua_media_free(struct ms_ua_media *m)
{
	if (!m)
		return;
	ms_ua_media_stop(m);
	ev_io_stop(m->loop, &m->rtp_io);
	ev_io_stop(m->loop, &m->rtcp_io);
	close(m->rtp_io.fd);
	close(m->rtcp_io.fd);
	ms__free(m);
}

uint16_t ms_ua_media_port(const struct ms_ua_media *m)
{
	return ms_addr_port(&m->local);
}

int ms_ua_media_codec(const struct ms_ua_media *m)
{
	return m->pt >= 0 ? m->pt : MS_ENOENT;
}

void ms__ua_media_apply(struct ms_ua_media *m, const struct ms__ua_media_neg *n)
{
	m->pt = n->pt;
	m->remote = n->remote;
	m->can_send = n->can_send;
	m->peer = n->peer;
}

void ms_ua_media_stats(const struct ms_ua_media *m, struct ms_ua_media_stats *out)
{
	*out = m->st;
	int64_t lost = ms__rtp_rx_lost(&m->rx);
	/* duplicates can make A.3's figure negative: none lost then */
	out->lost = lost < 0 ? 0 : lost > UINT32_MAX ? UINT32_MAX : (uint32_t)lost;
	out->jitter = ms__rtp_rx_jitter(&m->rx);
	out->ssrc = m->ssrc;
}

/* ---- Sending ---- */

static void send_to(struct ms_ua_media *m, const void *p, size_t n, const struct sockaddr_storage *to)
{
	if (sendto(m->rtp_io.fd, p, n, 0, (const struct sockaddr *)to, ms_addr_len(to)) < 0) {
		/* a full socket buffer or an ICMP error: a lost packet, as on
		 * the wire; the caller sees it in the counters */
		m->st.send_errors++;
		return;
	}
	m->st.sent++;
	m->st.bytes_sent += n;
}

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* The next 160 bytes of what is played into 'out'; false when a payload
 * played once has no more. */
static bool next_frame(struct ms_ua_media *m, unsigned char *out)
{
	unsigned char silence = m->pt == 8 ? 0xD5 : 0xFF;
	if (!m->payload) {
		memset(out, silence, MS_UA_MEDIA_FRAME);
		return true;
	}
	if (m->pos >= m->payload_len) {
		if (!m->repeat)
			return false;
		m->pos = 0;
	}
	size_t n = m->payload_len - m->pos;
	if (n >= MS_UA_MEDIA_FRAME || !m->repeat) {
		n = n < MS_UA_MEDIA_FRAME ? n : MS_UA_MEDIA_FRAME;
		memcpy(out, m->payload + m->pos, n);
		memset(out + n, silence, MS_UA_MEDIA_FRAME - n);
		m->pos += n;
		return true;
	}
	/* repeating: the end and the start again make one frame */
	for (size_t i = 0; i < MS_UA_MEDIA_FRAME; i++) {
		out[i] = m->payload[m->pos++];
		if (m->pos == m->payload_len)
			m->pos = 0;
	}
	return true;
}

static void on_frame(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ms_ua_media *m = w->data;
	unsigned char *p = m->buf;
	(void)loop;
	(void)revents;
	if (!next_frame(m, p + 12)) {
		ms_ua_media_stop(m);
		return;
	}
	p[0] = 0x80; /* V=2, no padding, extension or CSRC */
	p[1] = (unsigned char)((m->marker ? 0x80 : 0) | m->pt);
	p[2] = (unsigned char)(m->seq >> 8);
	p[3] = (unsigned char)m->seq;
	put32(p + 4, m->ts);
	put32(p + 8, m->ssrc);
	/* time runs on whether or not the frame can go, so the receiver
	 * sees the gap in the timestamps when sending resumes */
	m->seq++;
	m->ts += MS_UA_MEDIA_FRAME;
	if (m->remote && m->can_send) {
		send_to(m, p, 12 + MS_UA_MEDIA_FRAME, &m->peer);
		m->marker = false;
	}
}

int ms_ua_media_play(struct ms_ua_media *m, const void *payload, size_t len, bool repeat)
{
	if (m->pt < 0 || (payload && !len))
		return MS_EINVAL;
	unsigned char *copy = NULL;
	if (payload) {
		if (!(copy = ms__malloc(len)))
			return MS_ENOMEM;
		memcpy(copy, payload, len);
	}
	ms_ua_media_stop(m);
	m->payload = copy;
	m->payload_len = len;
	m->pos = 0;
	m->repeat = repeat;
	m->marker = true; /* RFC 3551 §4.1: the first packet of a talkspurt */
	m->mode = MS__UA_MEDIA_PLAY;
	/* the first frame at once (from the loop, not from here), then
	 * every 20 ms on the loop's clock, which does not drift */
	ev_timer_set(&m->frame, 0, MS_UA_MEDIA_PTIME);
	ev_timer_start(m->loop, &m->frame);
	return 0;
}

bool ms_ua_media_playing(const struct ms_ua_media *m)
{
	return m->mode == MS__UA_MEDIA_PLAY;
}

int ms_ua_media_echo(struct ms_ua_media *m)
{
	ms_ua_media_stop(m);
	m->mode = MS__UA_MEDIA_ECHO;
	return 0;
}

void ms_ua_media_stop(struct ms_ua_media *m)
{
	ev_timer_stop(m->loop, &m->frame);
	ms__free(m->payload);
	m->payload = NULL;
	m->mode = MS__UA_MEDIA_IDLE;
}

/* ---- Receiving ---- */

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads one datagram into m->buf: its length, 0 when it was too long
 * (MSG_TRUNC gives the real length), or -1 when there is none. */
static ssize_t read_one(struct ms_ua_media *m, int fd, struct sockaddr_storage *from)
{
	socklen_t len = sizeof *from;
	ssize_t n = recvfrom(fd, m->buf, sizeof m->buf, MSG_TRUNC, (struct sockaddr *)from, &len);
	if (n < 0)
		return -1;
	return n > (ssize_t)sizeof m->buf ? 0 : n;
}

static void rtp_packet(struct ms_ua_media *m, size_t n, const struct sockaddr_storage *from)
{
	const unsigned char *p = m->buf;
	/* RFC 5761 §4: RTCP multiplexed here (packet types 192-223, where
	 * RTP would have the marker and payload types 64-95); an RR without
	 * report blocks is 8 bytes */
	if (n >= 8 && p[0] >> 6 == 2 && p[1] >= 192 && p[1] <= 223) {
		m->st.rtcp_received++;
		return;
	}
	if (n < 12 || p[0] >> 6 != 2 || n < 12 + 4u * (p[0] & 15)) {
		m->st.bad++;
		return;
	}
	m->st.received++;
	m->st.bytes_received += n;
	ms__rtp_rx_packet(&m->rx, get32(p + 8), (uint16_t)(p[2] << 8 | p[3]), get32(p + 4), n,
			  ev_now(m->loop));
	if (m->mode == MS__UA_MEDIA_ECHO)
		send_to(m, p, n, from);
}

static void on_rtp(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ms_ua_media *m = w->data;
	struct sockaddr_storage from;
	(void)loop;
	(void)revents;
	for (int i = 0; i < READS_PER_EVENT; i++) {
		ssize_t n = read_one(m, w->fd, &from);
		if (n < 0)
			return;
		if (n == 0)
			m->st.bad++;
		else
			rtp_packet(m, (size_t)n, &from);
	}
}

static void on_rtcp(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ms_ua_media *m = w->data;
	struct sockaddr_storage from;
	(void)loop;
	(void)revents;
	for (int i = 0; i < READS_PER_EVENT; i++) {
		ssize_t n = read_one(m, w->fd, &from);
		if (n < 0)
			return;
		/* version 2 and at least a header: RTCP we neither use nor answer */
		if (n >= 8 && m->buf[0] >> 6 == 2)
			m->st.rtcp_received++;
		else
			m->st.bad++;
	}
}
