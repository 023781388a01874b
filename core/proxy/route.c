/* Routes: Route processing on arrival (RFC 3261 §16.4), the next hop of a
 * request (§16.6 steps 6 and 7, RFC 3263 §4 for numeric hosts), and the
 * next hop of a response (its Via, §18.2.2). */
#include <string.h>

#include "proxy/proxy_private.h"

/* The URI of a Route entry, parsed. */
static bool route_uri(const struct ms_hdr *h, struct ms_nameaddr *na)
{
	const char *why;
	return h && ms_nameaddr_parse(na, h->value, &why) == 0;
}

static const struct ms_hdr *last_route(const struct ms_msg *m)
{
	const struct ms_hdr *last = NULL;
	for (const struct ms_hdr *h = ms_msg_hdr(m, MS_HDR_ROUTE); h; h = ms_msg_hdr_next(m, h))
		last = h;
	return last;
}

int ms_proxy_preprocess(struct ms_proxy *p, struct ms_msg *req, struct ms_edit *e)
{
	int gone = 0, rc = 0;
	const struct ms_uri *ruri = ms_msg_ruri(req);
	const struct ms_hdr *skip = NULL;
	struct ms_nameaddr na;
	/* A strict router before us put our Record-Route (it has lr) into the
	 * Request-URI and the real one last in Route. */
	const struct ms_hdr *last = last_route(req);
	if (ruri && ruri->lr && last && ms_proxy_is_me(p, ruri) && route_uri(last, &na)) {
		rc = ms_edit_set_ruri(e, na.uri.text);
		if (rc == 0)
			rc = ms_edit_remove(e, last);
		skip = last;
		gone++;
	}
	/* Our own Route values on top: one, or two when we record-routed
	 * twice (a change of transport or interface). */
	for (const struct ms_hdr *h = ms_msg_hdr(req, MS_HDR_ROUTE); h && h != skip && rc == 0 && gone < 2;
	     h = ms_msg_hdr_next(req, h)) {
		if (!route_uri(h, &na) || !ms_proxy_is_me(p, &na.uri))
			break;
		rc = ms_edit_remove(e, h);
		gone++;
	}
	return rc < 0 ? rc : gone;
}

int ms_proxy_route_hop(struct ms_msg *req, struct ms_uri *hop, bool *strict)
{
	const struct ms_hdr *top = ms_msg_hdr(req, MS_HDR_ROUTE);
	struct ms_nameaddr na;
	*strict = false;
	if (top) {
		if (!route_uri(top, &na))
			return MS_EBADMSG;
		*hop = na.uri;
		*strict = !na.uri.lr;
		return 0;
	}
	const struct ms_uri *u = ms_msg_ruri(req);
	if (!u)
		return MS_EBADMSG;
	*hop = *u;
	return 0;
}

int ms_proxy_next_hop(const struct ms_uri *u, struct ms_txn_peer *dst, struct ms_str *name)
{
	if (u->scheme != MS_URI_SIP && u->scheme != MS_URI_SIPS)
		return MS_EINVAL;
	memset(dst, 0, sizeof *dst);
	bool secure = u->scheme == MS_URI_SIPS;
	if (secure || ms_str_ieqz(u->transport, "tls"))
		dst->proto = MS_PROTO_TLS;
	else if (ms_str_ieqz(u->transport, "tcp"))
		dst->proto = MS_PROTO_TCP;
	else if (!u->transport.len || ms_str_ieqz(u->transport, "udp"))
		dst->proto = MS_PROTO_UDP;
	else
		return MS_ENOTSUP; /* sctp, ws, ... */
	uint16_t port = u->port ? u->port : dst->proto == MS_PROTO_TLS ? 5061 : 5060;
	struct ms_str host = u->maddr.len ? u->maddr : u->host;
	if (ms_addr_set(&dst->addr, host, port) == 0)
		return 0;
	*name = host;
	/* The port rides on the family-less address until the lookup fills it. */
	dst->addr.ss_family = 0;
	return MS_EAGAIN;
}

int ms__proxy_strip_via(const struct ms_msg *resp, struct ms_buf *out)
{
	struct ms_edit e;
	ms_edit_init(&e, resp);
	int rc = ms_edit_remove(&e, ms_msg_hdr(resp, MS_HDR_VIA));
	if (rc == 0)
		rc = ms_edit_write(&e, out);
	ms_edit_free(&e);
	return rc;
}

/* Where a response goes by its (new) top Via: received or sent-by, rport
 * or the port, 5060 (5061 for TLS) when none. No connection is named: a
 * stream transport reuses one to that address or opens one. */
int ms__proxy_via_peer(struct ms_msg *m, struct ms_txn_peer *out)
{
	const struct ms_via *v = ms_msg_via(m);
	if (!v)
		return MS_ENOENT;
	memset(out, 0, sizeof *out);
	if (ms_str_ieqz(v->transport, "UDP"))
		out->proto = MS_PROTO_UDP;
	else if (ms_str_ieqz(v->transport, "TCP"))
		out->proto = MS_PROTO_TCP;
	else if (ms_str_ieqz(v->transport, "TLS"))
		out->proto = MS_PROTO_TLS;
	else
		return MS_ENOTSUP;
	uint32_t port = v->port ? v->port : out->proto == MS_PROTO_TLS ? 5061 : 5060;
	if (v->rport.len)
		ms_str_to_u32(v->rport, 65535, &port);
	struct ms_str host = v->received.len ? v->received : v->host;
	return ms_addr_set(&out->addr, host, (uint16_t)port) < 0 ? MS_ENOENT : 0;
}
