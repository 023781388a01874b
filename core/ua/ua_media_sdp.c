/* The SDP of a user agent's RTP endpoint (RFC 3264 offer/answer, RFC 8866
 * bodies): the offer it makes, the answer it gives to an offer, and the
 * answer it takes to its own offer. Bodies are read with the SDP parser
 * (sdp.h) and checked whole before anything of the object changes. */
#define _GNU_SOURCE /* struct mmsghdr, in rtp_private.h */
#include <string.h>

#include "moonsip/addr.h"
#include "moonsip/sdp.h"
#include "ua/ua_media_private.h"

static const char *ip_version(const struct ms_ua_media *m)
{
	return m->local.ss_family == AF_INET6 ? "IP6" : "IP4";
}

/* v=, o=, s=, c= and t=: the same for offers and answers but for the
 * o= version, which goes up with every body (RFC 3264 §8). */
static int write_session(struct ms_ua_media *m, struct ms_buf *b)
{
	const char *ip = ip_version(m);
	m->version++;
	return ms_buf_printf(b, "v=0\r\no=- %u %u IN %s %s\r\ns=-\r\nc=IN %s %s\r\nt=0 0\r\n",
			     (unsigned)m->sess_id, (unsigned)m->version, ip, m->address, ip, m->address);
}

static const char *law_name(int pt)
{
	return pt == 8 ? "PCMA" : "PCMU";
}

int ms_ua_media_offer(struct ms_ua_media *m, struct ms_buf *sdp)
{
	size_t before = sdp->len;
	int rc = write_session(m, sdp);
	if (rc == 0)
		rc = ms_buf_printf(sdp,
				   "m=audio %u RTP/AVP 0 8 %d\r\n"
				   "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
				   "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-15\r\n"
				   "a=ptime:20\r\na=sendrecv\r\n",
				   (unsigned)ms_ua_media_port(m), MS_UA_MEDIA_PT_EVENT, MS_UA_MEDIA_PT_EVENT,
				   MS_UA_MEDIA_PT_EVENT);
	if (rc < 0)
		sdp->len = before;
	return rc;
}

/* Payload type 'pt' of media i if it is G.711 we take: the static 0 or 8,
 * and when an rtpmap names it, that rtpmap agrees. -1 otherwise. */
static int g711(const struct ms_sdp *sdp, unsigned i, uint32_t pt)
{
	struct ms_sdp_rtpmap map;
	if (pt != 0 && pt != 8)
		return -1;
	if (ms_sdp_get_rtpmap(sdp, i, pt, &map) == 0 &&
	    (!ms_str_ieqz(map.encoding, law_name((int)pt)) || map.clock != 8000 || map.channels != 1))
		return -1;
	return (int)pt;
}

/* The first G.711 payload type of the format list of media i, and the
 * payload type of telephone-event/8000 in it (-1: none). */
static int pick_codec(const struct ms_sdp *sdp, unsigned i, struct ms_str fmts, int *event)
{
	struct ms_str f;
	struct ms_sdp_rtpmap map;
	int pt = -1;
	*event = -1;
	while (ms_sdp_next_field(&fmts, &f)) {
		uint32_t n;
		if (ms_str_to_u32(f, 127, &n) < 0)
			continue;
		if (pt < 0)
			pt = g711(sdp, i, n);
		if (*event < 0 && ms_sdp_get_rtpmap(sdp, i, n, &map) == 0 &&
		    ms_str_ieqz(map.encoding, "telephone-event") && map.clock == 8000)
			*event = (int)n;
	}
	return pt;
}

/* Where media i of the body sends from and wants to receive at: its c=
 * (of our address family, unicast, numeric) and the m= port. */
static int remote_of(const struct ms_ua_media *m, const struct ms_sdp *sdp, unsigned i, uint16_t port,
		     struct ms__ua_media_neg *n)
{
	struct ms_sdp_conn c;
	if (ms_sdp_get_effective_conn(sdp, i, &c) < 0 || !ms_str_ieqz(c.nettype, "IN") || c.mcast.len)
		return MS_ENOTSUP;
	if (!ms_str_ieqz(c.addrtype, ip_version(m)) || ms_addr_set(&n->peer, c.address, port) < 0 ||
	    n->peer.ss_family != m->local.ss_family)
		return MS_ENOTSUP;
	n->remote = !ms__ua_media_wildcard(&n->peer);
	return 0;
}

/* Whether we may send when the other side's body says 'dir'. */
static bool we_send(enum ms_sdp_dir dir)
{
	return dir == MS_SDP_SENDRECV || dir == MS_SDP_RECVONLY;
}

/* Media i of an offer, if we can take it: its codec, telephone-event and
 * remote into 'n'. */
static bool acceptable(const struct ms_ua_media *m, const struct ms_sdp *sdp, unsigned i,
		       struct ms__ua_media_neg *n, int *event)
{
	struct ms_sdp_media md;
	if (ms_sdp_get_media(sdp, i, &md) < 0 || !ms_str_ieqz(md.media, "audio") || md.port == 0 ||
	    md.nports != 1 || !ms_str_ieqz(md.proto, "RTP/AVP"))
		return false;
	if ((n->pt = pick_codec(sdp, i, md.fmts, event)) < 0)
		return false;
	if (remote_of(m, sdp, i, md.port, n) < 0)
		return false;
	n->can_send = we_send(ms_sdp_get_direction(sdp, (int)i));
	return true;
}

static enum ms_sdp_dir mirror(enum ms_sdp_dir dir)
{
	return dir == MS_SDP_SENDONLY ? MS_SDP_RECVONLY : dir == MS_SDP_RECVONLY ? MS_SDP_SENDONLY : dir;
}

/* Our m= line of the answer: the codec, the offer's telephone-event. */
static int write_accepted(const struct ms_ua_media *m, struct ms_buf *b, int pt, int event,
			  enum ms_sdp_dir dir)
{
	int rc;
	if (event >= 0)
		rc = ms_buf_printf(b,
				   "m=audio %u RTP/AVP %d %d\r\na=rtpmap:%d %s/8000\r\n"
				   "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-15\r\n",
				   (unsigned)ms_ua_media_port(m), pt, event, pt, law_name(pt), event, event);
	else
		rc = ms_buf_printf(b, "m=audio %u RTP/AVP %d\r\na=rtpmap:%d %s/8000\r\n",
				   (unsigned)ms_ua_media_port(m), pt, pt, law_name(pt));
	if (rc == 0)
		rc = ms_buf_printf(b, "a=ptime:20\r\na=%s\r\n", ms_sdp_dir_name(dir));
	return rc;
}

/* RFC 3264 §6: as many m= lines as the offer; those we do not take get
 * port 0, with the offer's formats (one at least must be listed). */
static int write_answer(struct ms_ua_media *m, const struct ms_sdp *sdp, unsigned chosen, int pt, int event,
			struct ms_buf *b)
{
	int rc = write_session(m, b);
	for (unsigned i = 0; rc == 0 && i < sdp->nmedia; i++) {
		struct ms_sdp_media md;
		if (i == chosen)
			rc = write_accepted(m, b, pt, event, mirror(ms_sdp_get_direction(sdp, (int)i)));
		else if (ms_sdp_get_media(sdp, i, &md) == 0)
			rc = ms_buf_printf(b, "m=%.*s 0 %.*s %.*s\r\n", (int)md.media.len, md.media.s,
					   (int)md.proto.len, md.proto.s, (int)md.fmts.len, md.fmts.s);
		else
			rc = ms_buf_printf(b,
					   "m=application 0 RTP/AVP 0\r\n"); /* a line that did not parse */
	}
	return rc;
}

int ms_ua_media_answer(struct ms_ua_media *m, const char *offer, size_t len, struct ms_buf *sdp)
{
	struct ms_sdp s;
	struct ms__ua_media_neg n = { 0 };
	int event = -1, rc = ms_sdp_parse(&s, offer, len, NULL);
	unsigned i = 0;
	if (rc == 0) {
		while (i < s.nmedia && !acceptable(m, &s, i, &n, &event))
			i++;
		rc = i < s.nmedia ? 0 : MS_ENOTSUP;
	}
	size_t before = sdp->len;
	if (rc == 0 && (rc = write_answer(m, &s, i, n.pt, event, sdp)) < 0)
		sdp->len = before;
	if (rc == 0)
		ms__ua_media_apply(m, &n);
	ms_sdp_free(&s);
	return rc;
}

int ms_ua_media_set_answer(struct ms_ua_media *m, const char *answer, size_t len)
{
	struct ms_sdp s;
	struct ms_sdp_media md;
	struct ms__ua_media_neg n = { 0 };
	int event, rc = ms_sdp_parse(&s, answer, len, NULL);
	/* our offer had one line: the answer's first is its answer */
	if (rc == 0 && ms_sdp_get_media(&s, 0, &md) < 0)
		rc = MS_EBADMSG;
	if (rc == 0 && (md.port == 0 || (n.pt = pick_codec(&s, 0, md.fmts, &event)) < 0))
		rc = MS_ENOTSUP;
	if (rc == 0)
		rc = remote_of(m, &s, 0, md.port, &n);
	if (rc == 0) {
		n.can_send = we_send(ms_sdp_get_direction(&s, 0));
		ms__ua_media_apply(m, &n);
	}
	ms_sdp_free(&s);
	return rc;
}
