/* Via (RFC 3261 §20.42, RFC 3581 rport). */
#include <string.h>

#include "base/str.h"
#include "moonsip/hdr.h"
#include "msg/host.h"
#include "msg/lex.h"

#define FAIL(text)                 \
	do {                       \
		*why = (text);     \
		return MS_EBADMSG; \
	} while (0)

static int sent_protocol(struct ms_via *v, struct ms_lex *l, const char **why)
{
	if (!ms__lex_token(l, &v->protocol) || !ms__lex_sep(l, '/') || !ms__lex_token(l, &v->version) ||
	    !ms__lex_sep(l, '/') || !ms__lex_token(l, &v->transport))
		FAIL("bad sent-protocol");
	if (!ms__lex_lws(l))
		FAIL("no space before sent-by");
	return 0;
}

static int sent_by(struct ms_via *v, struct ms_lex *l, const char **why)
{
	const char *h = l->p;
	l->p = ms__host_span(l->p, l->end);
	v->host = (struct ms_str){ h, (size_t)(l->p - h) };
	v->host_type = ms__host_type(h, l->p);
	if (v->host_type == MS_HOST_NONE)
		FAIL("bad sent-by host");
	if (ms__lex_sep(l, ':')) {
		struct ms_str port;
		uint32_t n;
		if (!ms__lex_span(l, MS_CC_HOST, &port) || ms_str_to_u32(port, 65535, &n) < 0)
			FAIL("bad sent-by port");
		v->port = (uint16_t)n;
	}
	return 0;
}

/* An IPv4 address, or an IPv6 address with or without brackets (the lexer
 * let only hex digits, ':' and '.' into an unbracketed value with ':'). */
static bool is_address(struct ms_str s)
{
	enum ms_host_type t = ms__host_type(s.s, s.s + s.len);
	return t == MS_HOST_IPV4 || t == MS_HOST_IPV6 || memchr(s.s, ':', s.len) != NULL;
}

static int via_param(struct ms_via *v, struct ms_str name, struct ms_str value, const char **why)
{
	uint32_t n;
	struct ms_str *slot = NULL;
	if (MS__IEQ(name, "branch")) {
		slot = &v->branch;
	} else if (MS__IEQ(name, "received")) {
		/* RFC 5118 §4.5: an IPv6 address with or without brackets */
		if (value.len && !is_address(value))
			FAIL("bad received address");
		slot = &v->received;
	} else if (MS__IEQ(name, "rport")) {
		if (value.len && ms_str_to_u32(value, 65535, &n) < 0)
			FAIL("bad rport");
		v->rport = value;
		v->has_rport = true;
	} else if (MS__IEQ(name, "ttl")) {
		if (value.len && ms_str_to_u32(value, 255, &n) < 0)
			FAIL("bad ttl");
		slot = &v->ttl;
	} else if (MS__IEQ(name, "maddr")) {
		if (value.len && ms__host_type(value.s, value.s + value.len) == MS_HOST_NONE)
			FAIL("bad maddr");
		slot = &v->maddr;
	}
	if (slot) {
		if (!value.len)
			FAIL("Via parameter without a value");
		*slot = value;
	}
	return 0;
}

int ms_via_parse(struct ms_via *v, struct ms_str value, const char **why)
{
	struct ms_lex l;
	memset(v, 0, sizeof *v);
	ms__lex_init(&l, value);
	ms__lex_lws(&l);
	if (sent_protocol(v, &l, why) < 0 || sent_by(v, &l, why) < 0)
		return MS_EBADMSG;
	const char *pstart = NULL;
	struct ms_str name, val;
	int rc;
	while ((rc = ms__lex_param(&l, &name, &val)) > 0) {
		if (!pstart)
			pstart = name.s;
		if (via_param(v, name, val, why) < 0)
			return MS_EBADMSG;
		v->params = (struct ms_str){ pstart, (size_t)(l.p - pstart) };
	}
	if (rc < 0)
		FAIL("bad Via parameter");
	if (!ms__lex_end(&l))
		FAIL("bad character in Via");
	v->params = ms__str_trim(v->params);
	return 0;
}
