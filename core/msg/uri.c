/* URI parsing: sip, sips (RFC 3261 §19.1), tel (RFC 3966) and any other
 * absolute URI, kept opaque. */
#include <string.h>

#include "base/str.h"
#include "moonsip/uri.h"
#include "msg/host.h"
#include "msg/lex.h"

#define FAIL(text)                 \
	do {                       \
		*why = (text);     \
		return MS_EBADMSG; \
	} while (0)

/* A run of characters of class 'cls' or %HH escapes; returns the end. */
static const char *span_esc(const char *p, const char *end, unsigned cls, bool *bad)
{
	while (p < end) {
		if (*p == '%') {
			if (end - p < 3 || ms__hexval(p[1]) < 0 || ms__hexval(p[2]) < 0) {
				*bad = true;
				return p;
			}
			p += 3;
		} else if (ms__cc_is(*p, cls)) {
			p++;
		} else {
			break;
		}
	}
	return p;
}

static int parse_host(struct ms_uri *u, const char *p, const char *end, const char **why)
{
	const char *h = p;
	p = ms__host_span(p, end);
	u->host_type = ms__host_type(h, p);
	if (u->host_type == MS_HOST_NONE)
		FAIL(p == h ? "missing host" : "bad host");
	u->host = (struct ms_str){ h, (size_t)(p - h) };
	if (p < end && *p == ':') {
		const char *ps = ++p;
		while (p < end && ms__is_digit(*p))
			p++;
		u->port_s = (struct ms_str){ ps, (size_t)(p - ps) };
		uint32_t port;
		if (ms_str_to_u32(u->port_s, 65535, &port) < 0)
			FAIL("bad port");
		u->port = (uint16_t)port;
	}
	if (p < end && *p != ';' && *p != '?')
		FAIL("bad character after host");
	return (int)(p - h);
}

static void note_param(struct ms_uri *u, struct ms_str name, struct ms_str value)
{
	if (MS__IEQ(name, "transport"))
		u->transport = value;
	else if (MS__IEQ(name, "user"))
		u->user_param = value;
	else if (MS__IEQ(name, "method"))
		u->method = value;
	else if (MS__IEQ(name, "maddr"))
		u->maddr = value;
	else if (MS__IEQ(name, "ttl"))
		u->ttl = value;
	else if (MS__IEQ(name, "lr"))
		u->lr = true;
}

/* *( ";" pname [ "=" pvalue ] ), starting at the ';'. */
static const char *parse_params(struct ms_uri *u, const char *p, const char *end, const char **why)
{
	const char *start = p + 1;
	while (p < end && *p == ';') {
		bool bad = false;
		const char *n = ++p;
		p = span_esc(p, end, MS_CC_PARAM, &bad);
		struct ms_str name = { n, (size_t)(p - n) }, value = MS_STR_NULL;
		if (bad || name.len == 0) {
			*why = bad ? "bad escape in URI parameter" : "empty URI parameter";
			return NULL;
		}
		if (p < end && *p == '=') {
			const char *v = ++p;
			p = span_esc(p, end, MS_CC_PARAM, &bad);
			value = (struct ms_str){ v, (size_t)(p - v) };
			if (bad || value.len == 0) {
				*why = bad ? "bad escape in URI parameter" : "empty URI parameter value";
				return NULL;
			}
		}
		note_param(u, name, value);
	}
	u->params = (struct ms_str){ start, (size_t)(p - start) };
	return p;
}

/* "?" hname "=" hvalue *( "&" hname "=" hvalue ) */
static int parse_headers(struct ms_uri *u, const char *p, const char *end, const char **why)
{
	u->headers = (struct ms_str){ p + 1, (size_t)(end - p - 1) };
	do {
		bool bad = false;
		const char *n = ++p;
		p = span_esc(p, end, MS_CC_HNV, &bad);
		if (bad || p == n || p == end || *p != '=')
			FAIL("bad URI header");
		p = span_esc(p + 1, end, MS_CC_HNV, &bad);
		if (bad)
			FAIL("bad escape in URI header");
	} while (p < end && *p == '&');
	if (p != end)
		FAIL("bad character in URI headers");
	return 0;
}

static int parse_userinfo(struct ms_uri *u, const char *p, const char *at, const char **why)
{
	bool bad = false;
	const char *e = span_esc(p, at, MS_CC_USER, &bad);
	u->user = (struct ms_str){ p, (size_t)(e - p) };
	if (bad)
		FAIL("bad escape in URI user");
	if (u->user.len == 0)
		FAIL("empty URI user");
	if (e < at && *e == ':') {
		const char *pw = e + 1;
		e = span_esc(pw, at, MS_CC_PASS, &bad);
		u->password = (struct ms_str){ pw, (size_t)(e - pw) };
		u->has_password = true;
	}
	if (bad || e != at)
		FAIL("bad character in URI user");
	return 0;
}

static int parse_sip(struct ms_uri *u, const char *p, const char *end, const char **why)
{
	/* '@' may appear only as the end of userinfo: not in host, params
	 * or headers, so the first one found is it (users may contain ';',
	 * '?' and ',', RFC 4475 §3.1.1.9). */
	const char *at = memchr(p, '@', (size_t)(end - p));
	if (at) {
		if (parse_userinfo(u, p, at, why) < 0)
			return MS_EBADMSG;
		p = at + 1;
	}
	int n = parse_host(u, p, end, why);
	if (n < 0)
		return n;
	p += n;
	if (p < end && *p == ';') {
		p = parse_params(u, p, end, why);
		if (!p)
			return MS_EBADMSG;
	}
	if (p < end && *p == '?')
		return parse_headers(u, p, end, why);
	if (p != end)
		FAIL("bad character in URI");
	return 0;
}

static int parse_tel(struct ms_uri *u, const char *p, const char *end, const char **why)
{
	const char *n = p;
	while (p < end && *p != ';') {
		char c = *p;
		if (!(ms__hexval(c) >= 0 || strchr("+-.()*#", c)))
			FAIL("bad character in tel number");
		p++;
	}
	u->user = (struct ms_str){ n, (size_t)(p - n) };
	if (u->user.len == 0)
		FAIL("empty tel number");
	if (p < end) {
		p = parse_params(u, p, end, why);
		if (!p)
			return MS_EBADMSG;
	}
	if (p != end)
		FAIL("bad character in tel URI");
	return 0;
}

/* Any other scheme: the rest must be URI characters (RFC 3986 alphabet),
 * with valid escapes. */
static int parse_opaque(struct ms_uri *u, const char *p, const char *end, const char **why)
{
	u->opaque = (struct ms_str){ p, (size_t)(end - p) };
	if (p == end)
		FAIL("empty URI");
	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c >= 0x7f || strchr("<>\"{}|\\^`", c))
			FAIL("bad character in URI");
		if (c == '%' && (end - p < 3 || ms__hexval(p[1]) < 0 || ms__hexval(p[2]) < 0))
			FAIL("bad escape in URI");
	}
	return 0;
}

int ms_uri_parse(struct ms_uri *u, const char *s, size_t len, const char **why)
{
	if (!s)
		s = ""; /* an absent slice is an empty URI, without NULL + 0 */
	const char *p = s, *end = s + len;
	memset(u, 0, sizeof *u);
	u->text = (struct ms_str){ s, len };
	if (p == end || !((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z'))
		FAIL("URI has no scheme");
	while (p < end && (ms__cc_is(*p, MS_CC_HOST) || *p == '+'))
		p++;
	if (p == end || *p != ':')
		FAIL("URI has no scheme");
	u->scheme_s = (struct ms_str){ s, (size_t)(p - s) };
	p++;
	if (MS__IEQ(u->scheme_s, "sip"))
		u->scheme = MS_URI_SIP;
	else if (MS__IEQ(u->scheme_s, "sips"))
		u->scheme = MS_URI_SIPS;
	else if (MS__IEQ(u->scheme_s, "tel"))
		u->scheme = MS_URI_TEL;
	switch (u->scheme) {
	case MS_URI_SIP:
	case MS_URI_SIPS: return parse_sip(u, p, end, why);
	case MS_URI_TEL: return parse_tel(u, p, end, why);
	default: return parse_opaque(u, p, end, why);
	}
}
