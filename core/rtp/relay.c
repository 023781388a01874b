/* Forwarding: a batch read with recvmmsg on one leg's socket, each packet
 * checked against the leg's latch and counted, and what passes leaves in
 * one sendmmsg from the other leg's socket of the same kind.
 *
 * Nothing is copied: the send batch points at the receive buffers, and
 * every packet of a batch goes to the same destination (the other leg's
 * latch, which only packets on the other leg can move). */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "moonsip/addr.h"
#include "rtp/rtp_private.h"

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* MS__RTP or MS__RTCP with the packet's SSRC (an RTCP sender's), or -1
 * for what is neither. RFC 5761 §4: RTCP's packet types 192-223 sit where
 * RTP has the marker and payload types 64-95, which RTP does not use. */
static int classify(unsigned kind, const unsigned char *p, size_t len, uint32_t *ssrc)
{
	if (len < 8 || (p[0] >> 6) != 2)
		return -1;
	if (p[1] >= 192 && p[1] <= 223) {
		*ssrc = be32(p + 4);
		return MS__RTCP;
	}
	if (kind == MS__RTCP || len < 12)
		return -1;
	*ssrc = be32(p + 8);
	return MS__RTP;
}

/* The latching rule of rtp.h: the first packet latches, a later one from
 * elsewhere moves the latch only with the SSRC last seen from it. */
static bool latch_accept(struct ms__rtp_latch *l, const struct sockaddr_storage *src, uint32_t ssrc)
{
	if (!l->latched || !ms_addr_equal(src, &l->addr)) {
		if (l->latched && ssrc != l->ssrc)
			return false;
		l->addr = *src;
		l->known = l->latched = true;
	}
	l->ssrc = ssrc;
	return true;
}

/* Checks and counts one packet that arrived on 'in'; whether it goes on
 * to 'dst'. */
static bool take(struct ms__rtp_leg *in, unsigned kind, const unsigned char *p, size_t len,
		 const struct sockaddr_storage *src, double now, const struct ms__rtp_latch *dst)
{
	uint32_t ssrc;
	int what = classify(kind, p, len, &ssrc);
	if (what < 0 || !latch_accept(&in->latch[kind], src, ssrc)) {
		in->rejected++;
		return false;
	}
	in->last_time = now;
	if (what == MS__RTP) {
		ms__rtp_rx_packet(&in->rx, ssrc, be16(p + 2), be32(p + 4), len, now);
	} else {
		in->rtcp_packets++;
		in->rtcp_bytes += len;
	}
	if (!dst->known) {
		in->dropped++;
		return false;
	}
	return true;
}

/* Sends the batch; the count that left. A datagram the kernel refuses
 * (EAGAIN: the socket buffer is full) is dropped, as the network could
 * have dropped it, and the rest go on. */
static unsigned send_batch(int fd, struct mmsghdr *m, unsigned n)
{
	unsigned done = 0, sent = 0;
	while (done < n) {
		int k = sendmmsg(fd, m + done, n - done, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k > 0) {
			done += (unsigned)k;
			sent += (unsigned)k;
		} else {
			done++;
		}
	}
	return sent;
}

void ms__rtp_relay_prepare(struct ms_rtp_relay *r)
{
	for (int i = 0; i < MS__RTP_BATCH; i++) {
		r->iov[i] = (struct iovec){ r->bufs[i], MS__RTP_DGRAM_MAX };
		r->msgs[i].msg_hdr = (struct msghdr){ .msg_name = &r->from[i],
						      .msg_namelen = sizeof r->from[i],
						      .msg_iov = &r->iov[i],
						      .msg_iovlen = 1 };
	}
}

/* One recvmmsg and its sendmmsg; the count received (0 when the socket is
 * drained or failed). */
static int relay_batch(struct ms_rtp_relay *r, struct ms__rtp_sock *sk)
{
	struct ms__rtp_leg *in = &sk->s->leg[sk->leg], *out = &sk->s->leg[sk->leg ^ 1];
	const struct ms__rtp_latch *dst = &out->latch[sk->kind];
	int n = recvmmsg(sk->io.fd, r->msgs, MS__RTP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0; /* EAGAIN; no ICMP errors come without IP_RECVERR */
	/* The batch was set up once (ms__rtp_relay_prepare); recvmmsg changes
	 * only the address lengths of what it filled. */
	for (int i = 0; i < n; i++)
		r->msgs[i].msg_hdr.msg_namelen = sizeof r->from[i];
	/* One clock reading per batch: the jitter's arrival times. */
	double now = ev_time();
	unsigned nout = 0;
	for (int i = 0; i < n; i++) {
		size_t len = r->msgs[i].msg_len;
		if (!take(in, sk->kind, (const unsigned char *)r->bufs[i], len, &r->from[i], now, dst))
			continue;
		r->out_iov[nout] = (struct iovec){ r->bufs[i], len };
		r->out[nout].msg_hdr = (struct msghdr){ .msg_name = (void *)&dst->addr,
							.msg_namelen = ms_addr_len(&dst->addr),
							.msg_iov = &r->out_iov[nout],
							.msg_iovlen = 1 };
		nout++;
	}
	if (nout)
		in->forwarded += send_batch(out->sock[sk->kind].io.fd, r->out, nout);
	return n;
}

void ms__rtp_relay_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ms__rtp_sock *sk = (struct ms__rtp_sock *)w;
	(void)loop;
	(void)revents;
	for (int round = 0; round < MS__RTP_ROUNDS; round++)
		if (relay_batch(sk->s->relay, sk) < MS__RTP_BATCH)
			return;
}
