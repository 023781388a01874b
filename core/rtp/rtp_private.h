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
	struct sockaddr_storage signalled; /* what signalling said last */
	bool known;                        /* addr is set (signalled or learned) */
	bool latched;                      /* addr was learned from a packet */
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

/* ---- The media of a call (media.c, media_sdp.c) ---- */

#include "moonsip/sdp.h"

/* The m= lines a call may have (RFC 3264 lines never go away, so later
 * offers only add): bounds the memory of one call. */
#define MS__RTP_MEDIA_MAX 16
/* Room for the media word of an m= line ("audio", "application"), NUL
 * included; a longer word is cut. */
#define MS__RTP_KIND_MAX 16

/* The last packet of either leg of a session, RTP or RTCP; 0 before any. */
static inline double ms__rtp_session_last(const struct ms_rtp_session *s)
{
	double a = s->leg[0].last_time, b = s->leg[1].last_time;
	return a > b ? a : b;
}

/* What one m= line of an SDP says, checked before anything changes. */
struct ms__rtp_line {
	char kind[MS__RTP_KIND_MAX];
	bool relayed;                      /* RTP over UDP with a port: the line has a session */
	bool hold;                         /* c= 0.0.0.0 or ::: the leg's peer stays as it was */
	bool own_conn;                     /* the line has a c= of its own */
	bool rtcp;                         /* an a=rtcp line ... */
	bool rtcp_has_addr;                /* ... with an address */
	struct sockaddr_storage peer;      /* RTP, when relayed and not on hold */
	struct sockaddr_storage peer_rtcp; /* from a=rtcp (unset without one) */
	struct ms_str hold_addr;           /* the c= address as written, on hold */
	uint32_t clock;                    /* of the first payload type; 0: unknown */
};

/* An SDP body parsed and checked line by line. */
struct ms__rtp_plan {
	struct ms_sdp sdp;
	unsigned n;        /* m= lines */
	bool any_relayed;  /* some line has a session */
	bool session_conn; /* the session c= is rewritten (relayed lines use it) */
	struct ms__rtp_line line[MS__RTP_MEDIA_MAX];
};

/* Parses 'body' into p->sdp and fills the plan; nothing is allocated but
 * the SDP's own (ms_sdp_free(&p->sdp) after, whatever this returned).
 * MS_EBADMSG, MS_ENOTSUP or MS_ENOMEM with *why a static text. */
int ms__rtp_plan_sdp(struct ms__rtp_plan *p, const struct ms_rtp_pool *pool, const char *body, size_t len,
		     const char **why);
/* Edits p->sdp into the body for the endpoint of leg 'to': relayed lines
 * get the port of their session's leg 'to' (sessions[i]) and 'address'.
 * 0 or MS_ENOMEM (the plan is then to be dropped). */
int ms__rtp_rewrite_sdp(struct ms__rtp_plan *p, struct ms_rtp_session *const *sessions, enum ms_rtp_leg to,
			struct ms_str address);

#endif
