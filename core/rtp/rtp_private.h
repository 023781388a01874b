/* Internal: the RTP relay's receiver statistics, legs and sessions, shared
 * by stats.c, session.c and relay.c. */
#ifndef MS_CORE_RTP_PRIVATE_H
#define MS_CORE_RTP_PRIVATE_H

#include <ev.h>

#include "moonsip/rtp.h"

/* Datagrams per recvmmsg call, and calls per readiness event: enough to
 * amortise the syscalls under load, bounded so one session cannot starve
 * the loop. */
#define MS__RTP_BATCH 32
#define MS__RTP_ROUNDS 4
#define MS__RTP_DGRAM_MAX 65535

/* RFC 3550 A.1 and A.8: the receiver's state for the current source of
 * one leg. A new SSRC starts the sequence state again; the losses counted
 * for earlier sources are kept in lost_before. */
struct ms__rtp_rx {
	uint32_t clock_rate;
	bool active; /* a first packet was seen */
	uint32_t ssrc;
	uint16_t max_seq;
	uint32_t cycles; /* count of wraparounds, shifted by 16 */
	uint32_t base_seq;
	uint32_t bad_seq; /* the sequence after a big jump: a restart if next */
	uint64_t received;
	int64_t lost_before;
	bool have_transit;
	int32_t transit;
	uint32_t jitter; /* times 16, A.8's integer form */
	uint64_t packets, bytes;
	double last_time;
};

void ms__rtp_rx_init(struct ms__rtp_rx *rx, uint32_t clock_rate);
/* The clock of the payload (0: 8000); the jitter estimate starts again. */
void ms__rtp_rx_set_clock(struct ms__rtp_rx *rx, uint32_t clock_rate);
/* One RTP packet arrived at 'arrival' (seconds, any epoch). */
void ms__rtp_rx_packet(struct ms__rtp_rx *rx, uint32_t ssrc, uint16_t seq, uint32_t ts, size_t bytes,
		       double arrival);
/* RFC 3550 A.3's cumulative loss, over every source seen. */
int64_t ms__rtp_rx_lost(const struct ms__rtp_rx *rx);
uint32_t ms__rtp_rx_ext_max(const struct ms__rtp_rx *rx);
/* The jitter as an RR reports it (timestamp units). */
uint32_t ms__rtp_rx_jitter(const struct ms__rtp_rx *rx);

enum { MS__RTP = 0, MS__RTCP = 1 };

/* Where one kind of packet (RTP or RTCP) of a leg goes, and whom it is
 * accepted from. */
struct ms__rtp_latch {
	struct sockaddr_storage addr;
	bool known;   /* addr is set (signalled or learned) */
	bool latched; /* addr was learned from a packet */
	uint32_t ssrc;
};

struct ms__rtp_sock {
	ev_io io; /* first: the watcher is the socket */
	struct ms_rtp_session *s;
	unsigned leg, kind;
};

struct ms__rtp_leg {
	struct ms_rtp_ports ports;
	struct ms__rtp_sock sock[2];
	struct ms__rtp_latch latch[2];
	struct ms__rtp_rx rx;
	uint64_t rtcp_packets, rtcp_bytes, forwarded, dropped, rejected;
	double last_time; /* of any accepted packet, RTP or RTCP */
};

struct ms_rtp_session {
	struct ms_rtp_relay *relay;
	struct ms__rtp_leg leg[2];
	ev_timer timer;
	double timeout, start;
	ms_rtp_timeout_cb timeout_cb;
	void *arg;
	struct ms_rtp_session *prev, *next; /* the relay's list */
};

/* The batches are the relay's, not the sessions': one loop handles one
 * readiness event at a time, so every session can share them. */
struct ms_rtp_relay {
	struct ev_loop *loop;
	struct ms_rtp_pool *pool;
	struct ms_rtp_session *sessions;
	unsigned nsessions;
	struct sockaddr_storage from[MS__RTP_BATCH];
	struct iovec iov[MS__RTP_BATCH];
	struct mmsghdr msgs[MS__RTP_BATCH];
	struct iovec out_iov[MS__RTP_BATCH];
	struct mmsghdr out[MS__RTP_BATCH];
	char bufs[MS__RTP_BATCH][MS__RTP_DGRAM_MAX];
};

/* relay.c: the receive batch set up once, at the relay's making; the
 * callback of every leg socket. */
void ms__rtp_relay_prepare(struct ms_rtp_relay *r);
void ms__rtp_relay_readable(struct ev_loop *loop, ev_io *w, int revents);

#endif
