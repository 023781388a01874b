/* Header iteration and the typed views cached in a message. */
#include "moonsip/msg.h"
#include "msg/msg_private.h"

const struct ms_hdr *ms_msg_hdr(const struct ms_msg *m, enum ms_hdr_type t)
{
	unsigned i = (unsigned)t < MS_HDR__COUNT ? m->first[t] : 0;
	return i ? &m->hdrs[i - 1] : NULL;
}

const struct ms_hdr *ms_msg_hdr_next(const struct ms_msg *m, const struct ms_hdr *h)
{
	return h->next ? &m->hdrs[h->next - 1] : NULL;
}

const struct ms_hdr *ms_msg_hdr_by_name(const struct ms_msg *m, const char *name, size_t len)
{
	enum ms_hdr_type t = ms_hdr_lookup(name, len);
	if (t != MS_HDR_OTHER)
		return ms_msg_hdr(m, t);
	for (const struct ms_hdr *h = ms_msg_hdr(m, MS_HDR_OTHER); h; h = ms_msg_hdr_next(m, h))
		if (ms_str_ieq(h->name, (struct ms_str){ name, len }))
			return h;
	return NULL;
}

unsigned ms_msg_hdr_count(const struct ms_msg *m, enum ms_hdr_type t)
{
	unsigned n = 0;
	for (const struct ms_hdr *h = ms_msg_hdr(m, t); h; h = ms_msg_hdr_next(m, h))
		n++;
	return n;
}

/* Parse-once caching: 'bit' in m->parsed says the view is ready. A failed
 * parse is not cached, so the error is recorded again on the next call. */
#define CACHED(bit, type, first_hdr, parse_call)                \
	do {                                                    \
		if (m->parsed & (bit))                          \
			return (first_hdr);                     \
		const struct ms_hdr *h = ms_msg_hdr(m, (type)); \
		const char *why;                                \
		if (!h)                                         \
			return NULL;                            \
		if ((parse_call) < 0) {                         \
			ms__msg_fail_hdr(m, h, why);            \
			return NULL;                            \
		}                                               \
		m->parsed |= (bit);                             \
		return (first_hdr);                             \
	} while (0)

const struct ms_via *ms_msg_via(struct ms_msg *m)
{
	CACHED(MS_MSG_HAVE_VIA, MS_HDR_VIA, &m->via, ms_via_parse(&m->via, h->value, &why));
}

const struct ms_nameaddr *ms_msg_from(struct ms_msg *m)
{
	CACHED(MS_MSG_HAVE_FROM, MS_HDR_FROM, &m->from, ms_nameaddr_parse(&m->from, h->value, &why));
}

const struct ms_nameaddr *ms_msg_to(struct ms_msg *m)
{
	CACHED(MS_MSG_HAVE_TO, MS_HDR_TO, &m->to, ms_nameaddr_parse(&m->to, h->value, &why));
}

const struct ms_cseq *ms_msg_cseq(struct ms_msg *m)
{
	CACHED(MS_MSG_HAVE_CSEQ, MS_HDR_CSEQ, &m->cseq, ms_cseq_parse(&m->cseq, h->value, &why));
}

const struct ms_str *ms_msg_call_id(struct ms_msg *m)
{
	CACHED(MS_MSG_HAVE_CALLID, MS_HDR_CALL_ID, &m->call_id, ms_callid_parse(&m->call_id, h->value, &why));
}

const struct ms_contact *ms_msg_contact(struct ms_msg *m)
{
	CACHED(MS_MSG_HAVE_CONTACT, MS_HDR_CONTACT, &m->contact,
	       ms_contact_parse(&m->contact, h->value, &why));
}

static const struct ms_auth *authz(struct ms_msg *m)
{
	CACHED(MS_MSG_HAVE_AUTHZ, MS_HDR_AUTHORIZATION, &m->authz, ms_auth_parse(&m->authz, h->value, &why));
}

static const struct ms_auth *proxy_authz(struct ms_msg *m)
{
	CACHED(MS_MSG_HAVE_PROXY_AUTHZ, MS_HDR_PROXY_AUTHORIZATION, &m->proxy_authz,
	       ms_auth_parse(&m->proxy_authz, h->value, &why));
}

const struct ms_auth *ms_msg_authz(struct ms_msg *m, bool proxy)
{
	return proxy ? proxy_authz(m) : authz(m);
}

static int cached_uint(struct ms_msg *m, uint32_t bit, enum ms_hdr_type t, uint32_t max, uint32_t *slot,
		       uint32_t *out)
{
	if (!(m->parsed & bit)) {
		const struct ms_hdr *h = ms_msg_hdr(m, t);
		const char *why;
		if (!h)
			return MS_ENOENT;
		if (ms_uint_hdr_parse(slot, h->value, max, &why) < 0)
			return ms__msg_fail_hdr(m, h, why);
		m->parsed |= bit;
	}
	*out = *slot;
	return 0;
}

int ms_msg_max_forwards(struct ms_msg *m, uint32_t *out)
{
	return cached_uint(m, MS_MSG_HAVE_MAXFWD, MS_HDR_MAX_FORWARDS, 255, &m->max_forwards, out);
}

int ms_msg_expires(struct ms_msg *m, uint32_t *out)
{
	return cached_uint(m, MS_MSG_HAVE_EXPIRES, MS_HDR_EXPIRES, UINT32_MAX, &m->expires, out);
}

const struct ms_uri *ms_msg_ruri(struct ms_msg *m)
{
	const char *why;
	if (m->parsed & MS_MSG_HAVE_RURI)
		return &m->ruri;
	if (!m->is_request)
		return NULL;
	if (ms_uri_parse(&m->ruri, m->ruri_s.s, m->ruri_s.len, &why) < 0) {
		ms__msg_fail(m, why, MS_STR("Request-URI"), m->ruri_s.s, MS_EBADMSG);
		return NULL;
	}
	m->parsed |= MS_MSG_HAVE_RURI;
	return &m->ruri;
}
