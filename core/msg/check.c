/* The checks of RFC 3261 §8.2 and §16.3 that need no policy: mandatory
 * headers present once, typed headers well-formed, CSeq consistent. */
#include "base/str.h"
#include "moonsip/msg.h"
#include "msg/msg_private.h"

static int need_one(struct ms_msg *m, enum ms_hdr_type t, bool required)
{
	unsigned n = ms_msg_hdr_count(m, t);
	struct ms_str name = { ms_hdr_name(t), 0 };
	for (const char *p = name.s; *p; p++)
		name.len++;
	if (n == 0 && required)
		return ms__msg_fail(m, "missing", name, NULL, MS_EBADMSG);
	if (n > 1)
		return ms__msg_fail(m, "more than one", name, m->buf + ms_msg_hdr(m, t)->field_off,
				    MS_EBADMSG);
	return 0;
}

int ms_hdr_validate(enum ms_hdr_type type, struct ms_str value, const char **why)
{
	union {
		struct ms_via via;
		struct ms_nameaddr na;
		struct ms_contact contact;
		struct ms_cseq cseq;
		struct ms_str str;
		struct ms_event event;
		struct ms_ctype ctype;
		struct ms_auth auth;
		uint32_t u;
		int64_t date;
	} v;
	switch (type) {
	case MS_HDR_VIA: return ms_via_parse(&v.via, value, why);
	case MS_HDR_FROM:
	case MS_HDR_TO:
	case MS_HDR_ROUTE:
	case MS_HDR_RECORD_ROUTE:
	case MS_HDR_PATH:
	case MS_HDR_SERVICE_ROUTE:
	case MS_HDR_REPLY_TO:
	case MS_HDR_REFER_TO:
	case MS_HDR_REFERRED_BY: return ms_nameaddr_parse(&v.na, value, why);
	case MS_HDR_CONTACT: return ms_contact_parse(&v.contact, value, why);
	case MS_HDR_CSEQ: return ms_cseq_parse(&v.cseq, value, why);
	case MS_HDR_CALL_ID: return ms_callid_parse(&v.str, value, why);
	case MS_HDR_MAX_FORWARDS: return ms_uint_hdr_parse(&v.u, value, 255, why);
	case MS_HDR_EXPIRES:
	case MS_HDR_MIN_EXPIRES: return ms_uint_hdr_parse(&v.u, value, UINT32_MAX, why);
	case MS_HDR_SUPPORTED:
	case MS_HDR_REQUIRE:
	case MS_HDR_PROXY_REQUIRE:
	case MS_HDR_UNSUPPORTED:
	case MS_HDR_ALLOW:
		/* "Supported:" with no value is legal: no extensions */
		return value.len ? ms_token_hdr_parse(&v.str, value, why) : 0;
	case MS_HDR_EVENT: return ms_event_parse(&v.event, value, why);
	case MS_HDR_CONTENT_TYPE: return ms_ctype_parse(&v.ctype, value, why);
	case MS_HDR_AUTHORIZATION:
	case MS_HDR_PROXY_AUTHORIZATION:
	case MS_HDR_WWW_AUTHENTICATE:
	case MS_HDR_PROXY_AUTHENTICATE: return ms_auth_parse(&v.auth, value, why);
	case MS_HDR_DATE: return ms_date_parse(&v.date, value, why);
	default: return 0;
	}
}

/* The first header of a type the message keeps a parsed view of is checked
 * by parsing it into that view: the request's handler reads it next, and
 * would otherwise parse it a second time. 1: checked, 0: not such a
 * header, negative: bad (the error is recorded). */
static int check_cached(struct ms_msg *m, enum ms_hdr_type t)
{
	uint32_t u;
	bool ok;
	switch (t) {
	case MS_HDR_VIA: ok = ms_msg_via(m) != NULL; break;
	case MS_HDR_FROM: ok = ms_msg_from(m) != NULL; break;
	case MS_HDR_TO: ok = ms_msg_to(m) != NULL; break;
	case MS_HDR_CSEQ: ok = ms_msg_cseq(m) != NULL; break;
	case MS_HDR_CALL_ID: ok = ms_msg_call_id(m) != NULL; break;
	case MS_HDR_CONTACT: ok = ms_msg_contact(m) != NULL; break;
	case MS_HDR_MAX_FORWARDS: ok = ms_msg_max_forwards(m, &u) == 0; break;
	case MS_HDR_EXPIRES: ok = ms_msg_expires(m, &u) == 0; break;
	case MS_HDR_AUTHORIZATION: ok = ms_msg_authz(m, false) != NULL; break;
	case MS_HDR_PROXY_AUTHORIZATION: ok = ms_msg_authz(m, true) != NULL; break;
	default: return 0;
	}
	return ok ? 1 : MS_EBADMSG;
}

static int check_typed(struct ms_msg *m)
{
	for (unsigned i = 0; i < m->nhdrs; i++) {
		enum ms_hdr_type t = (enum ms_hdr_type)m->hdrs[i].type;
		int rc = m->first[t] == i + 1 ? check_cached(m, t) : 0;
		if (rc < 0)
			return rc;
		const char *why;
		if (rc == 0 && ms_hdr_validate(t, m->hdrs[i].value, &why) < 0)
			return ms__msg_fail_hdr(m, &m->hdrs[i], why);
	}
	return 0;
}

static int check_request(struct ms_msg *m)
{
	const struct ms_uri *ruri = ms_msg_ruri(m);
	if (!ruri)
		return MS_EBADMSG;
	if (ruri->headers.len)
		return ms__msg_fail(m, "headers not allowed", MS_STR("Request-URI"), ruri->text.s,
				    MS_EBADMSG);
	const struct ms_cseq *cseq = ms_msg_cseq(m);
	if (cseq && !ms_str_eq(cseq->method_s, m->method_s))
		return ms__msg_fail(m, "method does not match the request method", MS_STR("CSeq"),
				    m->buf + ms_msg_hdr(m, MS_HDR_CSEQ)->field_off, MS_EBADMSG);
	return 0;
}

int ms_msg_check(struct ms_msg *m)
{
	if (m->err.what)
		return MS_EBADMSG;
	static const enum ms_hdr_type once[] = { MS_HDR_CALL_ID, MS_HDR_CSEQ, MS_HDR_FROM, MS_HDR_TO };
	for (unsigned i = 0; i < sizeof once / sizeof once[0]; i++)
		if (need_one(m, once[i], true) < 0)
			return MS_EBADMSG;
	if (need_one(m, MS_HDR_MAX_FORWARDS, false) < 0)
		return MS_EBADMSG;
	if (!ms_msg_hdr(m, MS_HDR_VIA))
		return ms__msg_fail(m, "missing", MS_STR("Via"), NULL, MS_EBADMSG);
	if (check_typed(m) < 0)
		return MS_EBADMSG;
	const struct ms_via *via = ms_msg_via(m);
	if (!via || !ms_msg_from(m) || !ms_msg_to(m) || !ms_msg_cseq(m) || !ms_msg_call_id(m))
		return MS_EBADMSG;
	if (!MS__IEQ(via->protocol, "SIP") || !ms_str_eq(via->version, MS_STR("2.0")))
		return ms__msg_fail_status(m, "SIP version in Via not supported", m->is_request ? 505 : 0);
	return m->is_request ? check_request(m) : 0;
}
