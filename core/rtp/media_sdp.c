/* The SDP side of a call's media: checking what an endpoint's body says
 * about each m= line (its peer, RTCP, clock), and rewriting the body so
 * the relayed lines point at the relay. Nothing here touches a session:
 * media.c checks the whole body first, then takes ports, then applies, so
 * a body that fails leaves the call as it was. */
#define _GNU_SOURCE /* struct mmsghdr, in rtp_private.h */
#include <netinet/in.h>
#include <string.h>

#include "base/str.h"
#include "moonsip/addr.h"
#include "rtp/rtp_private.h"

/* RFC 8839's attributes, as ms_sdp_remove_ice() knows them; here they are
 * removed level by level, so lines the relay does not carry keep theirs. */
static const char *const ice_attrs[] = {
	"candidate",   "remote-candidates", "end-of-candidates", "ice-ufrag",  "ice-pwd",
	"ice-options", "ice-lite",          "ice-mismatch",      "ice-pacing",
};

/* RTP over UDP, plain or SRTP (RFC 3551, 4585, 3711, 5124). DTLS-SRTP
 * (UDP/TLS/RTP/SAVPF) is not: its handshake runs end to end over ICE. */
static bool is_rtp_udp(struct ms_str proto)
{
	return ms_str_ieqz(proto, "RTP/AVP") || ms_str_ieqz(proto, "RTP/AVPF") ||
		ms_str_ieqz(proto, "RTP/SAVP") || ms_str_ieqz(proto, "RTP/SAVPF");
}

/* RFC 3551 §6: the clocks of the static payload types (0: unassigned). */
static uint32_t static_clock(uint32_t pt)
{
	static const uint32_t clocks[35] = {
		[0] = 8000,   [3] = 8000,   [4] = 8000,   [5] = 8000,   [6] = 16000,  [7] = 8000,
		[8] = 8000,   [9] = 8000,   [10] = 44100, [11] = 44100, [12] = 8000,  [13] = 8000,
		[14] = 90000, [15] = 8000,  [16] = 11025, [17] = 22050, [18] = 8000,  [25] = 90000,
		[26] = 90000, [28] = 90000, [31] = 90000, [32] = 90000, [33] = 90000, [34] = 90000,
	};
	return pt < sizeof clocks / sizeof clocks[0] ? clocks[pt] : 0;
}

/* The clock of the first payload type of the format list: what the
 * endpoint prefers, and so what it most likely sends. */
static uint32_t first_clock(const struct ms_sdp *sdp, unsigned i, struct ms_str fmts)
{
	struct ms_str f;
	struct ms_sdp_rtpmap map;
	uint32_t pt;
	if (!ms_sdp_next_field(&fmts, &f) || ms_str_to_u32(f, 127, &pt))
		return 0;
	if (ms_sdp_get_rtpmap(sdp, i, pt, &map) == 0 && map.clock)
		return map.clock;
	return static_clock(pt);
}

static bool is_wildcard(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)a)->sin6_addr);
}

static bool is_multicast(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return IN_MULTICAST(ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr));
	return IN6_IS_ADDR_MULTICAST(&((const struct sockaddr_in6 *)a)->sin6_addr);
}

static int fail(const char **why, int rc, const char *text)
{
	*why = text;
	return rc;
}

/* The socket address a connection field and a port name. *wild tells a
 * hold (RFC 2543's 0.0.0.0, or ::), which is not checked further. */
static int conn_addr(const struct ms_rtp_pool *pool, const struct ms_sdp_conn *c, uint16_t port,
		     struct sockaddr_storage *out, bool *wild, const char **why)
{
	int family = ms_str_ieqz(c->addrtype, "IP4") ? AF_INET
		: ms_str_ieqz(c->addrtype, "IP6")    ? AF_INET6
						     : 0;
	if (!ms_str_ieqz(c->nettype, "IN") || !family)
		return fail(why, MS_EBADMSG, "a relayed line's address is not IN IP4 or IN IP6");
	if (family != ms_rtp_pool_local(pool)->ss_family)
		return fail(why, MS_ENOTSUP, "a relayed line's address family is not the relay's");
	/* ms_addr_set takes "[v6]" too, which SDP does not write */
	if (c->address.s[0] == '[' || ms_addr_set(out, c->address, port) < 0)
		return fail(why, MS_EBADMSG,
			    "a relayed line's address is a host name, not a numeric address");
	if (out->ss_family != family)
		return fail(why, MS_EBADMSG, "a relayed line's address is not of its address type");
	if (c->mcast.s || is_multicast(out))
		return fail(why, MS_ENOTSUP, "a relayed line's address is multicast");
	*wild = is_wildcard(out);
	if (!*wild && ms_rtp_pool_contains(pool, out))
		return fail(why, MS_EBADMSG, "the SDP points at the relay itself");
	return 0;
}

static void with_port(struct sockaddr_storage *a, uint16_t port)
{
	if (a->ss_family == AF_INET)
		((struct sockaddr_in *)a)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)a)->sin6_port = htons(port);
}

/* The RTCP peer of a relayed line not on hold: a=rtcp (RFC 3605), with
 * or without an address, else the RTP port + 1 (checked here, but left
 * for the session to work out). */
static int plan_rtcp(const struct ms_rtp_pool *pool, const struct ms_sdp *sdp, unsigned i,
		     struct ms__rtp_line *l, const char **why)
{
	struct ms_sdp_rtcp r;
	bool wild = false;
	int rc = ms_sdp_get_rtcp(sdp, i, &r);
	if (rc == MS_ENOENT) {
		if (l->hold)
			return 0;
		struct sockaddr_storage next = l->peer;
		if (ms_addr_port(&l->peer) == UINT16_MAX)
			return fail(why, MS_EBADMSG, "a relayed line's port 65535 leaves no RTCP port");
		with_port(&next, (uint16_t)(ms_addr_port(&l->peer) + 1));
		return ms_rtp_pool_contains(pool, &next)
			? fail(why, MS_EBADMSG, "the SDP points at the relay itself")
			: 0;
	}
	if (rc || r.port == 0)
		return fail(why, MS_EBADMSG, "a relayed line's a=rtcp is not a port and an address");
	l->rtcp = true;
	l->rtcp_has_addr = r.conn.address.s != NULL;
	if (l->hold)
		return 0;
	if (!l->rtcp_has_addr) {
		l->peer_rtcp = l->peer;
		with_port(&l->peer_rtcp, r.port);
		return ms_rtp_pool_contains(pool, &l->peer_rtcp)
			? fail(why, MS_EBADMSG, "the SDP points at the relay itself")
			: 0;
	}
	rc = conn_addr(pool, &r.conn, r.port, &l->peer_rtcp, &wild, why);
	if (!rc && wild)
		return fail(why, MS_EBADMSG, "a relayed line's a=rtcp holds no address (0.0.0.0)");
	return rc;
}

static int plan_relayed(struct ms__rtp_plan *p, const struct ms_rtp_pool *pool, unsigned i,
			const struct ms_sdp_media *md, const char **why)
{
	struct ms__rtp_line *l = &p->line[i];
	struct ms_sdp_conn c;
	if (md->nports > 1)
		return fail(why, MS_ENOTSUP, "a relayed line has a port count (m=<media> <port>/<count>)");
	int rc = ms_sdp_get_conn(&p->sdp, (int)i, &c);
	l->own_conn = rc == 0;
	if (rc == MS_ENOENT)
		rc = ms_sdp_get_conn(&p->sdp, MS_SDP_SESSION, &c);
	if (rc == MS_ENOENT)
		return fail(why, MS_EBADMSG, "a relayed line has no c= line, nor has the session");
	if (rc)
		return fail(why, MS_EBADMSG, "a relayed line's c= does not parse");
	if ((rc = conn_addr(pool, &c, md->port, &l->peer, &l->hold, why)))
		return rc;
	if (l->hold)
		l->hold_addr = c.address;
	/* a line on hold that uses the session's c= leaves it 0.0.0.0 as well;
	 * any other relayed line using it has it rewritten */
	if (!l->own_conn && !l->hold)
		p->session_conn = true;
	l->clock = first_clock(&p->sdp, i, md->fmts);
	return plan_rtcp(pool, &p->sdp, i, l, why);
}

static int plan_line(struct ms__rtp_plan *p, const struct ms_rtp_pool *pool, unsigned i, const char **why)
{
	struct ms__rtp_line *l = &p->line[i];
	struct ms_sdp_media md;
	*l = (struct ms__rtp_line){ .relayed = false };
	if (ms_sdp_get_media(&p->sdp, i, &md))
		return fail(why, MS_EBADMSG, "an m= line does not parse");
	size_t n = md.media.len < MS__RTP_KIND_MAX - 1 ? md.media.len : MS__RTP_KIND_MAX - 1;
	memcpy(l->kind, md.media.s, n);
	l->kind[n] = 0;
	l->relayed = md.port != 0 && is_rtp_udp(md.proto);
	if (!l->relayed)
		return 0;
	p->any_relayed = true;
	return plan_relayed(p, pool, i, &md, why);
}

int ms__rtp_plan_sdp(struct ms__rtp_plan *p, const struct ms_rtp_pool *pool, const char *body, size_t len,
		     const char **why)
{
	p->n = 0;
	p->any_relayed = p->session_conn = false;
	int rc = ms_sdp_parse(&p->sdp, body, len, why);
	if (rc == MS_EMSGSIZE)
		return fail(why, MS_EBADMSG, "the SDP has too many lines");
	if (rc)
		return rc;
	if (p->sdp.nmedia > MS__RTP_MEDIA_MAX)
		return fail(why, MS_EBADMSG, "too many media lines");
	p->n = p->sdp.nmedia;
	for (unsigned i = 0; i < p->n; i++)
		if ((rc = plan_line(p, pool, i, why)))
			return rc;
	return 0;
}

/* ---- rewriting ---- */

static int remove_ice(struct ms_sdp *sdp, int level)
{
	for (size_t k = 0; k < sizeof ice_attrs / sizeof ice_attrs[0]; k++) {
		struct ms_str name = { ice_attrs[k], strlen(ice_attrs[k]) };
		int rc = ms_sdp_remove_attr(sdp, level, name);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int rewrite_line(struct ms__rtp_plan *p, unsigned i, uint16_t port, struct ms_str address)
{
	const struct ms__rtp_line *l = &p->line[i];
	struct ms_str written = l->hold ? l->hold_addr : address;
	int rc = ms_sdp_set_port(&p->sdp, i, port);
	/* a line on hold keeps its c= (or the session's, left as it is) */
	if (!rc && l->own_conn && !l->hold)
		rc = ms_sdp_set_conn(&p->sdp, (int)i, address);
	if (!rc && l->rtcp)
		rc = ms_sdp_set_rtcp(&p->sdp, i, (uint16_t)(port + 1),
				     l->rtcp_has_addr ? written : MS_STR_NULL);
	return rc ? rc : remove_ice(&p->sdp, (int)i);
}

/* Gives line i a c= of its own, the very value the session's had: a c=
 * is added where ms_sdp_set_conn puts one (its address a placeholder),
 * then given the old text, so whatever the endpoint wrote (a nettype, an
 * address type, a TTL, a name) survives as it was. */
static int keep_session_conn(struct ms_sdp *sdp, unsigned i, struct ms_str value)
{
	unsigned begin, end;
	int rc = ms_sdp_set_conn(sdp, (int)i, MS_STR("0.0.0.0"));
	if (rc || (rc = ms_sdp_range(sdp, (int)i, &begin, &end)))
		return rc;
	for (unsigned k = begin; k < end; k++)
		if (sdp->lines[k].type == 'c')
			sdp->lines[k].value = value;
	return 0;
}

/* The session c= becomes the relay's address; the lines the relay does
 * not carry that used it keep the endpoint's. */
static int rewrite_session_conn(struct ms__rtp_plan *p, struct ms_str address)
{
	unsigned begin, end;
	struct ms_str value = MS_STR_NULL;
	ms_sdp_range(&p->sdp, MS_SDP_SESSION, &begin, &end);
	for (unsigned k = begin; k < end && !value.s; k++)
		if (p->sdp.lines[k].type == 'c')
			value = p->sdp.lines[k].value;
	int rc = ms_sdp_set_conn(&p->sdp, MS_SDP_SESSION, address);
	for (unsigned i = 0; !rc && i < p->n; i++) {
		struct ms_sdp_conn own;
		if (!p->line[i].relayed && ms_sdp_get_conn(&p->sdp, (int)i, &own) == MS_ENOENT)
			rc = keep_session_conn(&p->sdp, i, value);
	}
	return rc;
}

int ms__rtp_rewrite_sdp(struct ms__rtp_plan *p, struct ms_rtp_session *const *sessions, enum ms_rtp_leg to,
			struct ms_str address)
{
	int rc = 0;
	for (unsigned i = 0; !rc && i < p->n; i++)
		if (p->line[i].relayed)
			rc = rewrite_line(p, i, ms_rtp_session_port(sessions[i], to), address);
	if (!rc && p->session_conn)
		rc = rewrite_session_conn(p, address);
	/* session-level ICE speaks for the relayed lines too: with one, it
	 * goes (a body the relay carries nothing of stays as it came) */
	if (!rc && p->any_relayed)
		rc = remove_ice(&p->sdp, MS_SDP_SESSION);
	return rc;
}
