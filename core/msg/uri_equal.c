/* URI equivalence, RFC 3261 §19.1.4. */
#include <arpa/inet.h>
#include <string.h>

#include "base/str.h"
#include "moonsip/uri.h"

/* Next octet of an escaped string, decoded; -1 at the end. The URIs were
 * validated by the parser, so every '%' has two hex digits. */
static int next_octet(struct ms_str s, size_t *i)
{
	if (*i >= s.len)
		return -1;
	char c = s.s[(*i)++];
	if (c == '%' && *i + 2 <= s.len) {
		int v = ms__hexval(s.s[*i]) << 4 | ms__hexval(s.s[*i + 1]);
		*i += 2;
		return v;
	}
	return (unsigned char)c;
}

/* Compares two escaped strings octet by octet after unescaping. */
static bool esc_eq(struct ms_str a, struct ms_str b, bool icase)
{
	size_t i = 0, j = 0;
	for (;;) {
		int x = next_octet(a, &i), y = next_octet(b, &j);
		/* through unsigned char: a high octet must not become -1 */
		if (icase) {
			x = x >= 0 ? (unsigned char)ms__lower((char)x) : x;
			y = y >= 0 ? (unsigned char)ms__lower((char)y) : y;
		}
		if (x != y)
			return false;
		if (x < 0)
			return true;
	}
}

static bool host_eq(const struct ms_uri *a, const struct ms_uri *b)
{
	if (a->host_type == MS_HOST_IPV6 && b->host_type == MS_HOST_IPV6) {
		/* Compare addresses, not spellings: [::1] is [0:0::1]. */
		char x[64], y[64];
		unsigned char ax[16], bx[16];
		if (a->host.len - 2 < sizeof x && b->host.len - 2 < sizeof y) {
			memcpy(x, a->host.s + 1, a->host.len - 2);
			x[a->host.len - 2] = 0;
			memcpy(y, b->host.s + 1, b->host.len - 2);
			y[b->host.len - 2] = 0;
			if (inet_pton(AF_INET6, x, ax) == 1 && inet_pton(AF_INET6, y, bx) == 1)
				return memcmp(ax, bx, 16) == 0;
		}
	}
	return ms_str_ieq(a->host, b->host);
}

/* Parameters that must match when either side has them. */
static const char *const strict_params[] = { "transport", "user", "ttl", "method", "maddr" };

static bool is_strict(struct ms_str name)
{
	for (size_t i = 0; i < sizeof strict_params / sizeof strict_params[0]; i++)
		if (ms_str_ieqz(name, strict_params[i]))
			return true;
	return false;
}

/* Every parameter of 'a' that 'b' also has must be equal; strict ones
 * must be present in both. Called both ways round. A name repeated in a
 * URI matches when any of its values does, so a URI equals itself. */
static bool params_match(struct ms_str a, struct ms_str b)
{
	size_t pos = 0;
	struct ms_str n, v;
	while (ms_param_next(a, &pos, &n, &v)) {
		bool named = false, equal = false;
		size_t p2 = 0;
		struct ms_str n2, w;
		while (!equal && ms_param_next(b, &p2, &n2, &w)) {
			if (!esc_eq(n, n2, true))
				continue;
			named = true;
			equal = esc_eq(v, w, true);
		}
		if (named ? !equal : is_strict(n))
			return false;
	}
	return true;
}

/* Each header of 'a' must appear in 'b' with an equal value. */
static bool headers_in(struct ms_str a, struct ms_str b)
{
	size_t i = 0;
	while (i < a.len) {
		size_t e = i;
		while (e < a.len && a.s[e] != '&')
			e++;
		struct ms_str ha = { a.s + i, e - i };
		const char *eq = memchr(ha.s, '=', ha.len);
		size_t nlen = eq ? (size_t)(eq - ha.s) : ha.len;
		bool found = false;
		for (size_t j = 0; j < b.len && !found;) {
			size_t f = j;
			while (f < b.len && b.s[f] != '&')
				f++;
			struct ms_str hb = { b.s + j, f - j };
			const char *eq2 = memchr(hb.s, '=', hb.len);
			size_t nlen2 = eq2 ? (size_t)(eq2 - hb.s) : hb.len;
			found = esc_eq((struct ms_str){ ha.s, nlen }, (struct ms_str){ hb.s, nlen2 }, true) &&
				esc_eq((struct ms_str){ ha.s + nlen, ha.len - nlen },
				       (struct ms_str){ hb.s + nlen2, hb.len - nlen2 }, false);
			j = f + 1;
		}
		if (!found)
			return false;
		i = e + 1;
	}
	return true;
}

bool ms_uri_equal(const struct ms_uri *a, const struct ms_uri *b)
{
	if (a->scheme != b->scheme)
		return false;
	if (a->scheme == MS_URI_OTHER)
		return ms_str_ieq(a->scheme_s, b->scheme_s) && ms_str_eq(a->opaque, b->opaque);
	if (!esc_eq(a->user, b->user, false) || a->has_password != b->has_password ||
	    !esc_eq(a->password, b->password, false))
		return false;
	if (a->scheme == MS_URI_TEL)
		return params_match(a->params, b->params) && params_match(b->params, a->params);
	return host_eq(a, b) && a->port == b->port && params_match(a->params, b->params) &&
		params_match(b->params, a->params) && headers_in(a->headers, b->headers) &&
		headers_in(b->headers, a->headers);
}
