/* moonsip: an RTP endpoint for user agents: one audio stream of G.711
 * (PCMU or PCMA at 8 kHz) on the caller's libev loop, for the answering
 * machines, echo testers and test callers built on ua.h. It is not the
 * proxy's relay (rtp.h): it ends media instead of passing it on.
 *
 *	struct ms_ua_media *m;
 *	ms_ua_media_new(&m, loop, "192.0.2.7", 0);
 *	// callee: the INVITE's offer gives the answer for the 200
 *	if (ms_ua_media_answer(m, offer.s, offer.len, &sdp) < 0)
 *		ms_ua_call_reject(call, 488, NULL);
 *	ms_ua_media_echo(m);
 *	// caller: the offer for the INVITE, the 2xx's answer after it
 *	ms_ua_media_offer(m, &sdp);
 *	ms_ua_media_set_answer(m, answer.s, answer.len);
 *	ms_ua_media_play(m, NULL, 0, false); // silence, 20 ms frames
 *	...
 *	ms_ua_media_free(m);
 *
 * Sockets. RTP on an even port p and RTCP on p + 1 of one numeric IPv4 or
 * IPv6 address, both non-blocking, watched on the loop. RTCP is read and
 * counted, never answered; this endpoint sends none.
 *
 * Modes (one at a time; a new one replaces the last):
 *  - idle: packets are received and counted, nothing is sent;
 *  - echo: every RTP packet received goes back as it came (same header,
 *    same SSRC) to the address and port it came from, not to the address
 *    in the SDP: symmetric, so it finds its way back through a relay or
 *    a NAT;
 *  - play: a 20 ms frame (160 bytes of G.711) every 20 ms, paced by a
 *    timer, to the remote of the SDP, with RTP headers of our own: V=2,
 *    the negotiated payload type, the marker on the first packet, random
 *    SSRC, initial sequence number and timestamp, the sequence + 1 and
 *    the timestamp + 160 per frame.
 *
 * No callbacks: the user reads the statistics and ms_ua_media_playing()
 * when it wants to (from a timer, on BYE), so the same API serves C and
 * Lua. Everything runs on the loop's thread; nothing is allocated per
 * packet (a datagram is read into a buffer of the object, and one that
 * does not fit is counted as bad and dropped).
 *
 * Lifetimes. The user owns the object (ms_ua_media_free); the loop must
 * outlive it. Arguments are borrowed for the call only (the payload to
 * play is copied). */
#ifndef MOONSIP_UA_MEDIA_H
#define MOONSIP_UA_MEDIA_H

#include "moonsip/base.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ev_loop;
struct ms_ua_media;

/* Bytes of G.711 in one 20 ms frame at 8 kHz, and the frame time. */
#define MS_UA_MEDIA_FRAME 160
#define MS_UA_MEDIA_PTIME 0.02
/* The payload type of RFC 4733 events offered (and answered with the
 * offer's number); they are accepted, never sent. */
#define MS_UA_MEDIA_PT_EVENT 101

/* Opens the RTP and RTCP sockets on 'address' (numeric IPv4 or IPv6, not
 * a wildcard: it goes into the SDP) at 'port' (even; 0: any free even
 * port whose odd neighbour is free too). Idle, with no remote until an
 * offer or answer gives one. 0; MS_EINVAL (a bad address, an odd port, a
 * wildcard), a negative errno when a socket cannot be bound
 * (-EADDRINUSE), MS_ENOMEM. */
MS_API int ms_ua_media_new(struct ms_ua_media **out, struct ev_loop *loop, const char *address,
			   uint16_t port);
/* Stops the watchers and the timer, closes the sockets. NULL is ignored. */
MS_API void ms_ua_media_free(struct ms_ua_media *m);
/* The RTP port (RTCP is the next one). */
MS_API uint16_t ms_ua_media_port(const struct ms_ua_media *m);

/* Appends an SDP offer (RFC 8866: v, o, s, c, t, one m=audio line) to
 * 'sdp': PCMU (0), PCMA (8) and telephone-event (101), a=ptime:20,
 * sendrecv, the object's address and RTP port. Each body this object
 * writes has the next o= version. 0 or MS_ENOMEM. */
MS_API int ms_ua_media_offer(struct ms_ua_media *m, struct ms_buf *sdp);

/* Takes the offer of 'len' bytes at 'offer' and appends the answer
 * (RFC 3264) to 'sdp': the first m=audio line over RTP/AVP with a port
 * and the address family of ours is accepted with the first payload type
 * of its list that is PCMU or PCMA (static, or by its rtpmap) and the
 * offer's telephone-event if any; every other m= line gets port 0; the
 * direction mirrors the offer's. The remote becomes the offer's c= and
 * m= port (none with c=0.0.0.0, the old hold: nothing is sent then).
 * MS_ENOTSUP for an offer without such a line, codec or address (answer
 * 488), MS_EBADMSG for a body that does not parse, MS_ENOMEM. On failure
 * nothing changes and 'sdp' is as it was. */
MS_API int ms_ua_media_answer(struct ms_ua_media *m, const char *offer, size_t len, struct ms_buf *sdp);

/* The offerer's side: takes the answer to our ms_ua_media_offer(): its
 * first m= line is ours; the codec is the first of its payload types we
 * offered (PCMU or PCMA), the remote its c= and m= port. MS_ENOTSUP when
 * the line was rejected (port 0) or names no codec of ours, MS_EBADMSG
 * for a body that does not parse. On failure nothing changes. */
MS_API int ms_ua_media_set_answer(struct ms_ua_media *m, const char *answer, size_t len);

/* The negotiated payload type (0 or 8), or MS_ENOENT before an offer or
 * answer was taken. */
MS_API int ms_ua_media_codec(const struct ms_ua_media *m);

/* Echo mode (see above). Needs no negotiation. 0. */
MS_API int ms_ua_media_echo(struct ms_ua_media *m);
/* Play mode: sends the 'len' bytes at 'payload' (G.711 of the negotiated
 * codec, copied) in 20 ms frames, from the start again at the end when
 * 'repeat', else once (the last frame filled up with silence), then idle.
 * 'payload' NULL: silence (0xFF for PCMU, 0xD5 for PCMA) until stopped.
 * The first frame goes out at once, on the loop. Frames are not sent
 * (but time runs on) while the SDP direction does not let us send or the
 * remote is unknown. MS_EINVAL before a codec was negotiated or for an
 * empty payload, MS_ENOMEM. */
MS_API int ms_ua_media_play(struct ms_ua_media *m, const void *payload, size_t len, bool repeat);
/* Whether play mode still runs (false after the last frame of a payload
 * played once). */
MS_API bool ms_ua_media_playing(const struct ms_ua_media *m);
/* Back to idle: nothing more is sent. */
MS_API void ms_ua_media_stop(struct ms_ua_media *m);

struct ms_ua_media_stats {
	uint64_t sent, bytes_sent;         /* RTP packets sent (played or echoed), with headers */
	uint64_t received, bytes_received; /* RTP packets received, with headers */
	uint64_t rtcp_received;            /* on the RTCP port, or multiplexed (RFC 5761) */
	uint64_t bad;                      /* datagrams that are no RTP: too short, too long, not V=2 */
	uint64_t send_errors;              /* packets the socket refused (dropped) */
	uint32_t lost;                     /* RFC 3550 A.3: expected less received, of all sources */
	uint32_t jitter;                   /* RFC 3550 A.8, timestamp units, current source */
	uint32_t ssrc;                     /* ours, in play mode */
};
/* The counters since ms_ua_media_new(). */
MS_API void ms_ua_media_stats(const struct ms_ua_media *m, struct ms_ua_media_stats *out);

#ifdef __cplusplus
}
#endif
#endif
