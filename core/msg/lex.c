#include "msg/lex.h"

#include "base/str.h"

#define T MS_CC_TOKEN
#define W MS_CC_WORD
#define U MS_CC_UNRES
#define US MS_CC_USER
#define PW MS_CC_PASS
#define PA MS_CC_PARAM
#define HN MS_CC_HNV
#define H MS_CC_HOST
#define ALNUM (T | W | U | US | PW | PA | HN | H)
#define MARK (U | US | PW | PA | HN) /* unreserved marks */

/* Character classes of RFC 3261 §25.1. The ranges are a GNU C extension
 * that gcc and clang both accept; they keep the table readable. */
const uint8_t ms__cc[256] = {
	['a' ... 'z'] = ALNUM,
	['A' ... 'Z'] = ALNUM,
	['0' ... '9'] = ALNUM,
	['-'] = ALNUM | MARK,
	['.'] = ALNUM | MARK,
	['!'] = T | W | MARK,
	['%'] = T | W,
	['*'] = T | W | MARK,
	['_'] = T | W | MARK,
	['+'] = T | W | US | PW | PA | HN,
	['`'] = T | W,
	['\''] = T | W | MARK,
	['~'] = T | W | MARK,
	['('] = W | MARK,
	[')'] = W | MARK,
	['<'] = W,
	['>'] = W,
	[':'] = W | PA | HN,
	['\\'] = W,
	['"'] = W,
	['/'] = W | US | PA | HN,
	['['] = W | PA | HN,
	[']'] = W | PA | HN,
	['?'] = W | US | HN,
	['{'] = W,
	['}'] = W,
	['&'] = US | PW | PA,
	['='] = US | PW,
	['$'] = US | PW | PA | HN,
	[','] = US | PW,
	[';'] = US,
};

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

bool ms__lex_lws(struct ms_lex *l)
{
	const char *start = l->p;
	for (;;) {
		while (l->p < l->end && is_wsp(*l->p))
			l->p++;
		if (l->end - l->p >= 3 && l->p[0] == '\r' && l->p[1] == '\n' && is_wsp(l->p[2]))
			l->p += 3;
		else
			break;
	}
	return l->p != start;
}

bool ms__lex_end(struct ms_lex *l)
{
	ms__lex_lws(l);
	return l->p >= l->end;
}

bool ms__lex_sep(struct ms_lex *l, char c)
{
	const char *save = l->p;
	ms__lex_lws(l);
	if (l->p < l->end && *l->p == c) {
		l->p++;
		ms__lex_lws(l);
		return true;
	}
	l->p = save;
	return false;
}

bool ms__lex_span(struct ms_lex *l, unsigned cls, struct ms_str *out)
{
	const char *s = l->p;
	while (l->p < l->end && ms__cc_is(*l->p, cls))
		l->p++;
	out->s = s;
	out->len = (size_t)(l->p - s);
	return out->len > 0;
}

bool ms__lex_token(struct ms_lex *l, struct ms_str *out)
{
	return ms__lex_span(l, MS_CC_TOKEN, out);
}

/* Octets a quoted string holds as they are: all but '"', '\\', CR and the
 * controls other than HTAB. Runs of them are skipped with one look-up
 * each (nonces, digests and URIs in credentials are long runs). */
static const bool qd_plain[256] = {
	['\t'] = true,        [' '] = true,          ['!'] = true,
	['#' ... '['] = true, [']' ... 0x7e] = true, [0x80 ... 0xff] = true,
};

bool ms__lex_quoted(struct ms_lex *l, struct ms_str *out)
{
	const char *s = l->p;
	if (l->p >= l->end || *l->p != '"')
		return false;
	for (l->p++; l->p < l->end; l->p++) {
		while (l->p < l->end && qd_plain[(unsigned char)*l->p])
			l->p++;
		if (l->p == l->end)
			break;
		char c = *l->p;
		if (c == '"') {
			l->p++;
			out->s = s;
			out->len = (size_t)(l->p - s);
			return true;
		}
		if (c == '\\') {
			/* quoted-pair: any octet but CR and LF may follow */
			if (l->p + 1 >= l->end || l->p[1] == '\r' || l->p[1] == '\n')
				break;
			l->p++;
		} else if (c == '\r') {
			/* only as part of folded LWS */
			if (!ms__lex_lws(l))
				break;
			l->p--;
		} else if ((unsigned char)c < 0x20 && c != '\t') {
			break;
		}
	}
	l->p = s;
	return false;
}

static bool all_hex(struct ms_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if (ms__hexval(s.s[i]) < 0 && s.s[i] != '.')
			return false;
	return true;
}

bool ms__lex_gen_value(struct ms_lex *l, struct ms_str *out)
{
	if (ms__lex_peek(l) == '"')
		return ms__lex_quoted(l, out);
	if (ms__lex_peek(l) == '[') {
		/* IPv6 reference: hex, ':' and '.' inside brackets */
		const char *s = l->p++;
		while (l->p < l->end && (ms__cc_is(*l->p, MS_CC_HOST) || *l->p == ':'))
			l->p++;
		if (l->p >= l->end || *l->p != ']') {
			l->p = s;
			return false;
		}
		l->p++;
		out->s = s;
		out->len = (size_t)(l->p - s);
		return true;
	}
	/* A token covers hostnames and IPv4 addresses. An IPv6 address written
	 * without brackets (RFC 5118 §4.5 received=) starts as a hex token and
	 * goes on with ':', or starts with "::" ("::1"). */
	bool v6 = l->end - l->p >= 2 && l->p[0] == ':' && l->p[1] == ':';
	if (v6)
		*out = (struct ms_str){ l->p, 0 };
	else if (!ms__lex_token(l, out))
		return false;
	if (ms__lex_peek(l) == ':' && all_hex(*out)) {
		while (l->p < l->end && (ms__hexval(*l->p) >= 0 || *l->p == ':' || *l->p == '.'))
			l->p++;
		out->len = (size_t)(l->p - out->s);
	}
	return true;
}

int ms__lex_param(struct ms_lex *l, struct ms_str *name, struct ms_str *value)
{
	if (!ms__lex_sep(l, ';'))
		return 0;
	if (!ms__lex_token(l, name))
		return MS_EBADMSG;
	*value = MS_STR_NULL;
	if (ms__lex_sep(l, '=') && !ms__lex_gen_value(l, value))
		return MS_EBADMSG;
	return 1;
}

struct ms_str ms__str_trim(struct ms_str s)
{
	while (s.len && (s.s[0] == ' ' || s.s[0] == '\t' || s.s[0] == '\r' || s.s[0] == '\n')) {
		s.s++;
		s.len--;
	}
	while (s.len &&
	       (s.s[s.len - 1] == ' ' || s.s[s.len - 1] == '\t' || s.s[s.len - 1] == '\r' ||
		s.s[s.len - 1] == '\n'))
		s.len--;
	return s;
}
