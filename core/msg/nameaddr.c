/* name-addr / addr-spec with header parameters: To, From, Contact, Route,
 * Record-Route, Path, ... (RFC 3261 §20.10, §25.1). */
#include <string.h>

#include "base/str.h"
#include "moonsip/hdr.h"
#include "msg/lex.h"

#define FAIL(text)                 \
	do {                       \
		*why = (text);     \
		return MS_EBADMSG; \
	} while (0)

/* display-name = *(token LWS) / quoted-string, then "<" addr-spec ">".
 * Returns 1 when a name-addr was parsed, 0 when the value is an addr-spec
 * (cursor unmoved), or MS_EBADMSG. */
static int name_addr(struct ms_nameaddr *na, struct ms_lex *l, const char **why)
{
	const char *start = l->p;
	struct ms_str tok;
	if (ms__lex_peek(l) == '"') {
		if (!ms__lex_quoted(l, &na->display))
			FAIL("unterminated quoted display name");
		ms__lex_lws(l);
		if (ms__lex_peek(l) != '<')
			FAIL("no <URI> after display name");
	} else {
		/* Tokens may touch the '<' (RFC 4475 §3.1.1.6). */
		while (ms__lex_token(l, &tok))
			ms__lex_lws(l);
		if (ms__lex_peek(l) != '<') {
			l->p = start;
			return 0;
		}
		na->display = ms__str_trim((struct ms_str){ start, (size_t)(l->p - start) });
	}
	const char *u = ++l->p;
	while (l->p < l->end && *l->p != '>')
		l->p++;
	if (l->p == l->end)
		FAIL("no closing > after URI");
	if (l->p > u && (u[0] == ' ' || u[0] == '\t' || l->p[-1] == ' ' || l->p[-1] == '\t'))
		FAIL("whitespace inside <>");
	if (ms_uri_parse(&na->uri, u, (size_t)(l->p - u), why) < 0)
		return MS_EBADMSG;
	l->p++;
	na->bracketed = true;
	return 1;
}

/* addr-spec without brackets: it ends at ';' or whitespace, and so it may
 * not hold URI parameters or headers (those would be ambiguous). */
static int addr_spec(struct ms_nameaddr *na, struct ms_lex *l, const char **why)
{
	const char *u = l->p;
	while (l->p < l->end && *l->p != ';' && *l->p != ' ' && *l->p != '\t' && *l->p != '\r')
		l->p++;
	if (ms_uri_parse(&na->uri, u, (size_t)(l->p - u), why) < 0)
		return MS_EBADMSG;
	if (na->uri.headers.len || memchr(u, '?', (size_t)(l->p - u)))
		FAIL("URI with headers must be enclosed in <>");
	return 0;
}

int ms_nameaddr_parse(struct ms_nameaddr *na, struct ms_str value, const char **why)
{
	struct ms_lex l;
	/* Field by field: na->uri is cleared by ms_uri_parse(), and these
	 * structs are big enough that clearing them twice shows on every call. */
	na->display = na->params = na->tag = MS_STR_NULL;
	na->bracketed = false;
	ms__lex_init(&l, value);
	ms__lex_lws(&l);
	int rc = name_addr(na, &l, why);
	if (rc < 0 || (rc == 0 && addr_spec(na, &l, why) < 0))
		return MS_EBADMSG;
	const char *pstart = NULL;
	struct ms_str name, val;
	while ((rc = ms__lex_param(&l, &name, &val)) > 0) {
		if (!pstart)
			pstart = name.s;
		if (MS__IEQ(name, "tag")) {
			if (!val.len || val.s[0] == '"')
				FAIL("bad tag");
			na->tag = val;
		}
		na->params = (struct ms_str){ pstart, (size_t)(l.p - pstart) };
	}
	if (rc < 0)
		FAIL("bad header parameter");
	if (!ms__lex_end(&l))
		FAIL(na->bracketed ? "bad character after URI" : "bad character in address");
	return 0;
}

size_t ms_display_decode(struct ms_str d, char *out)
{
	size_t o = 0;
	if (d.len < 2 || d.s[0] != '"') {
		if (d.len)
			memcpy(out, d.s, d.len);
		return d.len;
	}
	for (size_t i = 1; i + 1 < d.len; i++) {
		if (d.s[i] == '\\' && i + 2 < d.len)
			i++;
		out[o++] = d.s[i];
	}
	return o;
}

/* q = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), as thousandths */
static int parse_q(struct ms_str v)
{
	if (v.len == 0 || v.len > 5 || (v.s[0] != '0' && v.s[0] != '1'))
		return -1;
	int q = (v.s[0] - '0') * 1000, scale = 100;
	if (v.len > 1 && v.s[1] != '.')
		return -1;
	for (size_t i = 2; i < v.len; i++, scale /= 10) {
		if (!ms__is_digit(v.s[i]))
			return -1;
		q += (v.s[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

static int contact_param(struct ms_contact *c, struct ms_str name, struct ms_str val, const char **why)
{
	if (MS__IEQ(name, "expires")) {
		if (ms_str_to_u32(val, UINT32_MAX, &c->expires) < 0)
			FAIL("bad Contact expires");
		c->has_expires = true;
	} else if (MS__IEQ(name, "q")) {
		c->q = parse_q(val);
		if (c->q < 0)
			FAIL("bad Contact q");
	} else if (MS__IEQ(name, "+sip.instance")) {
		c->instance = val;
	} else if (MS__IEQ(name, "reg-id")) {
		uint32_t n;
		if (ms_str_to_u32(val, UINT32_MAX, &n) < 0)
			FAIL("bad reg-id");
		c->reg_id = val;
	}
	return 0;
}

int ms_contact_parse(struct ms_contact *c, struct ms_str value, const char **why)
{
	c->star = c->has_expires = false;
	c->expires = 0;
	c->q = -1;
	c->instance = c->reg_id = MS_STR_NULL;
	struct ms_str v = ms__str_trim(value);
	if (v.len == 1 && v.s[0] == '*') {
		memset(&c->na, 0, sizeof c->na);
		c->star = true;
		return 0;
	}
	if (ms_nameaddr_parse(&c->na, v, why) < 0)
		return MS_EBADMSG;
	size_t pos = 0;
	struct ms_str name, val;
	while (ms_param_next(c->na.params, &pos, &name, &val))
		if (contact_param(c, name, val, why) < 0)
			return MS_EBADMSG;
	return 0;
}
