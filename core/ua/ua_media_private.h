/* Internal: the RTP endpoint of a user agent, shared by ua_media.c (the
 * sockets, echo and play) and ua_media_sdp.c (offer and answer). */
#ifndef MS_CORE_UA_MEDIA_PRIVATE_H
#define MS_CORE_UA_MEDIA_PRIVATE_H

#include <netinet/in.h>

#include "moonsip/ua_media.h"
#include "rtp/rtp_private.h"

/* The largest datagram read whole: more than any G.711 frame an endpoint
 * sends (a longer one is counted as bad). */
#define MS__UA_MEDIA_DGRAM 2048

enum ms__ua_media_mode { MS__UA_MEDIA_IDLE, MS__UA_MEDIA_ECHO, MS__UA_MEDIA_PLAY };

struct ms_ua_media {
	struct ev_loop *loop;
	ev_io rtp_io, rtcp_io; /* their fds are the sockets */
	ev_timer frame;        /* play mode's 20 ms */
	struct sockaddr_storage local;
	char address[INET6_ADDRSTRLEN]; /* the local address as SDP writes it */
	/* Negotiated: the codec and the remote the SDP gave. */
	int pt;        /* 0, 8, or -1 before a codec is known */
	bool remote;   /* 'peer' is set (not before an SDP, nor on hold) */
	bool can_send; /* the SDP direction lets us send */
	struct sockaddr_storage peer;
	uint32_t sess_id, version; /* of the o= line */
	/* Play mode. */
	enum ms__ua_media_mode mode;
	unsigned char *payload; /* NULL: silence */
	size_t payload_len, pos;
	bool repeat, marker;
	uint32_t ssrc, ts;
	uint16_t seq;
	struct ms_ua_media_stats st;
	struct ms__rtp_rx rx;
	unsigned char buf[MS__UA_MEDIA_DGRAM];
};

/* What an offer or answer gave, applied only once the whole body checked. */
struct ms__ua_media_neg {
	int pt;
	bool remote, can_send;
	struct sockaddr_storage peer;
};

/* ua_media.c: sets the negotiated state (cannot fail). */
void ms__ua_media_apply(struct ms_ua_media *m, const struct ms__ua_media_neg *n);
/* 0.0.0.0 or :: (in SDP: the old way to put a stream on hold). */
bool ms__ua_media_wildcard(const struct sockaddr_storage *a);

#endif
