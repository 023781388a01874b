/* Authorization, Proxy-Authorization, WWW-Authenticate and
 * Proxy-Authenticate (RFC 3261 §25.1, RFC 7616). */
#include <string.h>

#include "base/str.h"
#include "moonsip/hdr.h"
#include "msg/lex.h"

#define FAIL(text)                 \
	do {                       \
		*why = (text);     \
		return MS_EBADMSG; \
	} while (0)

/* One auth-param: token EQUAL ( token / quoted-string ). The caller has
 * consumed the comma before it. */
static bool auth_param(struct ms_lex *l, struct ms_str *name, struct ms_str *value)
{
	if (!ms__lex_token(l, name) || !ms__lex_sep(l, '='))
		return false;
	if (ms__lex_peek(l) == '"')
		return ms__lex_quoted(l, value);
	return ms__lex_token(l, value);
}

bool ms_auth_param_next(struct ms_str list, size_t *pos, struct ms_str *name, struct ms_str *value)
{
	if (*pos >= list.len)
		return false;
	struct ms_lex l = { list.s + *pos, list.s + list.len };
	while (ms__lex_lws(&l) || ms__lex_peek(&l) == ',')
		if (ms__lex_peek(&l) == ',')
			l.p++;
	if (ms__lex_eof(&l) || !auth_param(&l, name, value))
		return false;
	if (value->len >= 2 && value->s[0] == '"') {
		value->s++;
		value->len -= 2;
	}
	*pos = (size_t)(l.p - list.s);
	return true;
}

/* Keeps a known parameter's value. The names are matched by length first:
 * this runs for every parameter of every credentials header. */
static void note(struct ms_auth *a, struct ms_str n, struct ms_str v)
{
#define K(name, field)                                                 \
	{                                                              \
		name, sizeof name - 1, offsetof(struct ms_auth, field) \
	}
	static const struct {
		const char *name;
		size_t len, off;
	} known[] = {
		K("username", username), K("realm", realm),
		K("nonce", nonce),       K("uri", uri),
		K("response", response), K("algorithm", algorithm),
		K("cnonce", cnonce),     K("opaque", opaque),
		K("qop", qop),           K("nc", nc),
		K("stale", stale),       K("domain", domain),
		K("userhash", userhash),
	};
#undef K
	if (v.len >= 2 && v.s[0] == '"') {
		v.s++;
		v.len -= 2;
	}
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		if (n.len == known[i].len && ms__mem_ieq(n.s, known[i].name, n.len)) {
			*(struct ms_str *)((char *)a + known[i].off) = v;
			return;
		}
	}
}

int ms_auth_parse(struct ms_auth *a, struct ms_str value, const char **why)
{
	struct ms_lex l;
	memset(a, 0, sizeof *a);
	ms__lex_init(&l, value);
	ms__lex_lws(&l);
	if (!ms__lex_token(&l, &a->scheme))
		FAIL("missing scheme");
	if (ms__lex_end(&l))
		return 0;
	const char *start = l.p;
	struct ms_str n, v;
	do {
		if (!auth_param(&l, &n, &v))
			FAIL("bad auth parameter");
		note(a, n, v);
	} while (ms__lex_sep(&l, ','));
	if (!ms__lex_end(&l))
		FAIL("bad character after auth parameters");
	a->params = ms__str_trim((struct ms_str){ start, (size_t)(l.p - start) });
	return 0;
}
