/* moonsip: an RTP relay (media anchoring) on the caller's libev loop.
 *
 * Three objects:
 *  - a port pool hands out pairs of bound, non-blocking UDP sockets on one
 *    local address: RTP on an even port p, RTCP on p + 1, from a range;
 *  - a relay holds the loop, borrows a pool, and owns the receive and send
 *    batches every session on it shares (nothing is allocated per packet);
 *  - a session joins two legs, A and B, each with its own port pair. What
 *    arrives on leg A's RTP socket leaves from leg B's RTP socket to B's
 *    peer, and the other way round; RTCP likewise on the p + 1 sockets.
 *
 *	ms_rtp_pool_new(&pool, &local, 30000, 39999);
 *	ms_rtp_relay_new(&relay, loop, pool);
 *	struct ms_rtp_session_config cfg = { .timeout = 60, .timeout_cb = on_idle, .arg = call };
 *	ms_rtp_session_new(&s, relay, &cfg);
 *	ms_rtp_session_set_peer(s, MS_RTP_LEG_A, &caller_media, NULL);
 *	... offer leg B's port (ms_rtp_session_port) to the callee, leg A's to the caller.
 *
 * Leg X's peer is the endpoint on X's side: it sends to leg X's ports and
 * receives from them.
 *
 * Symmetric latching. A leg's peer starts as what signalling said (it may
 * be a private address behind a NAT, or not known yet) and is learned from
 * the source of the first packet that arrives on that leg's socket; RTP and
 * RTCP latch separately. After that, a packet from another source address
 * moves the latch only if it carries the SSRC of the last packet from the
 * latched source (for RTCP: the sender SSRC of the first packet of the
 * compound); any other packet from a foreign source is counted as rejected
 * and dropped. The first packet wins: whoever sends first to a fresh port
 * takes the leg, as in every relay that latches. Setting a leg's peer to
 * another address (a re-INVITE that moves the media) forgets the latch and
 * its SSRC; the same address again (a session refresh) keeps them.
 *
 * Packets on a leg whose other side has no destination yet (neither
 * signalled nor latched) latch their own leg, are counted as dropped, and
 * go nowhere. On an RTP socket, datagrams that are not RTP version 2 are
 * rejected; RTCP multiplexed there (RFC 5761: packet types 192-223, where
 * RTP would have the marker and payload types 64-95) is counted as RTCP
 * and relayed to the other leg's RTP socket, multiplexed still.
 *
 * Lifetimes. The pool must outlive the relays that use it, a relay its
 * sessions; all are used from the loop's thread only. The only callback is
 * a session's media timeout: it is called at most once, from the loop,
 * never inside a moonsip call, and it may free the session. No callback
 * comes after ms_rtp_session_free(). */
#ifndef MOONSIP_RTP_H
#define MOONSIP_RTP_H

#include <sys/socket.h>

#include "moonsip/base.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ev_loop;
struct ms_rtp_pool;
struct ms_rtp_relay;
struct ms_rtp_session;

/* What ms_rtp_pool_alloc() and ms_rtp_session_new() return when no pair of
 * the range can be had (all handed out, or the rest bound by others): the
 * caller answers 503. */
#define MS_RTP_ENOPORTS (-EADDRINUSE)

/* ---- Port pool ---- */

/* A pool over the even ports of [port_min, port_max] whose odd neighbour
 * is in the range too, on the address of 'local' (AF_INET or AF_INET6; its
 * port is ignored). MS_EINVAL for a range without a pair or a port 0. */
MS_API int ms_rtp_pool_new(struct ms_rtp_pool **out, const struct sockaddr_storage *local, uint16_t port_min,
			   uint16_t port_max);
/* Every pair must have been released. NULL is ignored. */
MS_API void ms_rtp_pool_free(struct ms_rtp_pool *p);

/* A pair of bound sockets, owned by whoever allocated them until released. */
struct ms_rtp_ports {
	int rtp_fd;
	int rtcp_fd;
	uint16_t port; /* the RTP port; RTCP's is port + 1 */
};

/* Binds the next free pair after the last one handed out (a port just
 * released is the last to be used again, so late packets of an old call
 * do not land in a new one). Pairs another process holds are skipped.
 * MS_RTP_ENOPORTS when none is left, or -errno of a failing socket call
 * (EMFILE). *out is set only on success. */
MS_API int ms_rtp_pool_alloc(struct ms_rtp_pool *p, struct ms_rtp_ports *out);
/* Closes both sockets and returns the pair; its fds become -1. */
MS_API void ms_rtp_pool_release(struct ms_rtp_pool *p, struct ms_rtp_ports *ports);
/* Pairs in the range, and those not handed out (some of which another
 * process may hold). */
MS_API unsigned ms_rtp_pool_size(const struct ms_rtp_pool *p);
MS_API unsigned ms_rtp_pool_available(const struct ms_rtp_pool *p);
/* The local address, port 0. */
MS_API const struct sockaddr_storage *ms_rtp_pool_local(const struct ms_rtp_pool *p);
/* Whether 'a' is the pool's address (or, for a wildcard pool, a loopback
 * one) with a port of its range: media sent there would come back into
 * the relay and go round for ever. */
MS_API bool ms_rtp_pool_contains(const struct ms_rtp_pool *p, const struct sockaddr_storage *a);

/* ---- Relay ---- */

/* A relay on 'loop' taking ports from 'pool' (borrowed). */
MS_API int ms_rtp_relay_new(struct ms_rtp_relay **out, struct ev_loop *loop, struct ms_rtp_pool *pool);
/* Frees the sessions still open (without callbacks; pointers to them are
 * then invalid) and the relay. Not from inside a callback. NULL is ignored. */
MS_API void ms_rtp_relay_free(struct ms_rtp_relay *r);
/* Sessions open on the relay. */
MS_API unsigned ms_rtp_relay_sessions(const struct ms_rtp_relay *r);

/* ---- Session ---- */

enum ms_rtp_leg {
	MS_RTP_LEG_A = 0,
	MS_RTP_LEG_B = 1,
};

/* No packet accepted on either leg (RTP or RTCP, relayed or dropped) for
 * the configured time, counted from the session's start (the loop's
 * ev_now() when it was made) or its last packet. Called once; it may free
 * the session. */
typedef void (*ms_rtp_timeout_cb)(struct ms_rtp_session *s, void *arg);

struct ms_rtp_session_config {
	double timeout;               /* seconds of silence; 0: no media timeout */
	ms_rtp_timeout_cb timeout_cb; /* required when timeout > 0 */
	void *arg;
	uint32_t clock_rate[2]; /* RTP clock of each leg's payload for jitter (0: 8000) */
};

/* A session with two port pairs from the relay's pool. MS_RTP_ENOPORTS when
 * the pool has no two pairs left (nothing is kept), MS_EINVAL, MS_ENOMEM. */
MS_API int ms_rtp_session_new(struct ms_rtp_session **out, struct ms_rtp_relay *r,
			      const struct ms_rtp_session_config *cfg);
/* Stops the session's watchers and timer and returns its ports. NULL is
 * ignored. */
MS_API void ms_rtp_session_free(struct ms_rtp_session *s);

/* The leg's local RTP port (RTCP is the next one), to put in the SDP the
 * leg's peer is given. */
MS_API uint16_t ms_rtp_session_port(const struct ms_rtp_session *s, enum ms_rtp_leg leg);

/* What signalling says about the leg's peer: its RTP address, and its RTCP
 * address (NULL: the RTP address with port + 1, as RFC 3550 has it without
 * an a=rtcp). Forgets the leg's latch when the address differs from the
 * last one signalled. MS_EINVAL when a family differs
 * from the pool's, for a port 0 (a disabled stream: leave the peer unset),
 * or for an address of the pool's own range (ms_rtp_pool_contains). */
MS_API int ms_rtp_session_set_peer(struct ms_rtp_session *s, enum ms_rtp_leg leg,
				   const struct sockaddr_storage *rtp, const struct sockaddr_storage *rtcp);
/* The payload's RTP clock on this leg (a new codec), for jitter. 0: 8000. */
MS_API void ms_rtp_session_set_clock_rate(struct ms_rtp_session *s, enum ms_rtp_leg leg, uint32_t hz);

/* Figures of what arrived on one leg (from its peer). */
struct ms_rtp_stats {
	uint64_t packets; /* RTP packets accepted */
	uint64_t bytes;   /* their UDP payload bytes */
	uint64_t rtcp_packets;
	uint64_t rtcp_bytes;
	uint64_t forwarded; /* RTP and RTCP sent on out of the other leg */
	uint64_t dropped;   /* accepted, but the other leg had no destination */
	uint64_t rejected;  /* not RTP/RTCP, or from a foreign source */
	/* RFC 3550 A.3: expected minus received, summed over the SSRCs seen;
	 * negative when duplicates outnumber losses. */
	int64_t lost;
	uint32_t ext_max_seq;         /* extended highest sequence number (cycles << 16 | max) */
	uint32_t jitter;              /* RFC 3550 A.8 interarrival jitter, timestamp units (as in an RR) */
	double jitter_ms;             /* the same in milliseconds at the leg's clock rate */
	double last_time;             /* ev_time() of the last accepted packet; 0 before the first */
	uint32_t ssrc;                /* of the last RTP packet */
	bool latched;                 /* the RTP peer was learned from a packet */
	struct sockaddr_storage peer; /* where the leg's RTP goes to (family 0: unknown) */
};
MS_API void ms_rtp_session_stats(const struct ms_rtp_session *s, enum ms_rtp_leg leg,
				 struct ms_rtp_stats *out);

/* ---- The media of a call ----
 *
 * A call's media: one session per m= line of its SDP, made as offers and
 * answers go through, and the rewriting that puts the relay between the
 * endpoints. The endpoint on leg A (the caller, usually) sends its SDP;
 * ms_rtp_media_sdp(m, MS_RTP_LEG_A, ...) takes A's addresses from it as
 * leg A's peers and writes the body the other side (B) is to get: every
 * relayed m= line with leg B's port and the relay's address. B's SDP
 * (the answer, or a re-INVITE's offer) goes the other way, the same.
 *
 * What is relayed: m= lines with a non-zero port whose protocol is RTP
 * over UDP (RTP/AVP, RTP/AVPF, RTP/SAVP, RTP/SAVPF, any case; SRTP passes
 * through untouched, keys and all). Other lines (UDP/TLS/RTP/SAVPF with
 * its DTLS, TCP, udptl, port 0) keep their port, address and attributes;
 * when the session-level c= is rewritten, those that used it get a
 * media-level c= with its original text. A port 0 (or another protocol)
 * ends the line's session and gives its ports back.
 *
 * The rewriting of a relayed line: the m= port becomes the session's port
 * on the other leg; a media-level c= becomes the relay's address, and so
 * does the session-level c= when a relayed line uses it; an a=rtcp (only
 * when there is one) becomes that port + 1, with the relay's address when
 * it had an address. ICE attributes are removed from relayed lines, and
 * from the session level when any line is relayed (the relay is the only
 * candidate). Everything else, o= included, is written byte for byte.
 * Direction attributes pass through; a c= of 0.0.0.0 or :: (RFC 2543
 * hold) stays as it was and leaves the leg's peer as it was, while the
 * port (and a=rtcp) is still rewritten.
 *
 * Leg X's peers from X's relayed line: the effective c= address (the
 * line's, else the session's) with the m= port for RTP; a=rtcp (RFC
 * 3605, port and optional address) for RTCP, else the RTP port + 1. Each
 * body sets them again, which forgets the leg's latch (see above). The
 * RTP clock of leg X (for jitter) is that of the first payload type of
 * the m= format list: its a=rtpmap, else RFC 3551's for a static type.
 *
 * m= lines keep their index across offers (RFC 3264), so a re-INVITE
 * updates the sessions it already has; a body may add lines, up to 16.
 * The relay must outlive the media, and the media's sessions are its own:
 * not to be freed by the caller (ms_rtp_relay_free() would free them from
 * under it: free the media first). */
struct ms_rtp_media;

/* No packet on any stream of the call (RTP or RTCP, either leg, relayed
 * or dropped) for the configured time, counted from ms_rtp_media_new()
 * or the last packet. Called once, from the loop, never inside a moonsip
 * call; it may free the media. */
typedef void (*ms_rtp_media_timeout_cb)(struct ms_rtp_media *m, void *arg);

struct ms_rtp_media_config {
	double timeout;                     /* seconds; 0: none */
	ms_rtp_media_timeout_cb timeout_cb; /* required when timeout > 0 */
	void *arg;
	/* The address written into the SDP (c= and a=rtcp): numeric, of the
	 * pool's family, not a wildcard (copied). NULL: the pool's address,
	 * which must then not be a wildcard. */
	const char *address;
};

/* MS_EINVAL for a config that breaks the rules above, MS_ENOMEM. */
MS_API int ms_rtp_media_new(struct ms_rtp_media **out, struct ms_rtp_relay *r,
			    const struct ms_rtp_media_config *cfg);
/* Ends every session of the call and its timer. NULL is ignored. */
MS_API void ms_rtp_media_free(struct ms_rtp_media *m);

/* The SDP body 'body' came from the endpoint of leg 'from': sets that
 * leg's peers from it and appends to 'out' the body to pass on. 0; or, with
 * the call's sessions and peers as they were and nothing appended:
 * MS_EBADMSG (the SDP does not parse, has more than 16 m= lines, a relayed
 * line names a host instead of a numeric address, has no c=, a bad
 * a=rtcp or no room for RTCP (port 65535 without a=rtcp), or points at
 * the relay itself: an address and port of the pool's range), MS_ENOTSUP (a relayed line with an address
 * family the relay's pool is not, a multicast address, or a port count "port/2"), MS_RTP_ENOPORTS (no ports
 * for a new stream), MS_ENOMEM, MS_EINVAL (bad arguments). *why (may be NULL) is set to a static English text
 * saying what was wrong, and to NULL on success. */
MS_API int ms_rtp_media_sdp(struct ms_rtp_media *m, enum ms_rtp_leg from, const char *body, size_t len,
			    struct ms_buf *out, const char **why);

/* m= lines seen so far (the most any body had), and the session of line i
 * (NULL: not relayed now, or out of range). */
MS_API unsigned ms_rtp_media_streams(const struct ms_rtp_media *m);
MS_API struct ms_rtp_session *ms_rtp_media_stream(const struct ms_rtp_media *m, unsigned i);
/* The media type of line i as its m= line last said ("audio", "video";
 * cut to 15 bytes; "" when out of range). */
MS_API const char *ms_rtp_media_kind(const struct ms_rtp_media *m, unsigned i);

#ifdef __cplusplus
}
#endif
#endif
