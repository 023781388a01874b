/* Host names and addresses as SIP writes them (RFC 3261 §25.1). */
#include "base/str.h"
#include "msg/host.h"
#include "msg/lex.h"

static bool is_ipv4(const char *p, const char *end)
{
	int parts = 0;
	while (p < end) {
		unsigned v = 0, digits = 0;
		while (p < end && ms__is_digit(*p) && digits < 4) {
			v = v * 10 + (unsigned)(*p++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return false;
		parts++;
		if (p < end && *p++ != '.')
			return false;
		if (p == end && end[-1] == '.')
			return false;
	}
	return parts == 4;
}

/* hostname = *( domainlabel "." ) toplabel [ "." ]; labels are alphanum
 * with inner '-'. The toplabel must start with a letter, which is what
 * tells "1.2.3.256" (a bad address) from a name. */
static bool is_hostname(const char *p, const char *end)
{
	if (p < end && end[-1] == '.')
		end--; /* one trailing dot: the root */
	if (p == end)
		return false;
	const char *label = p, *top = p;
	for (const char *q = p;; q++) {
		if (q == end || *q == '.') {
			if (q == label || *label == '-' || q[-1] == '-')
				return false;
			top = label;
			if (q == end)
				break;
			label = q + 1;
		} else if (!ms__cc_is(*q, MS_CC_HOST)) {
			return false;
		}
	}
	return !ms__is_digit(*top);
}

/* IPv6reference: "[" IPv6address "]". Validated loosely by its alphabet
 * and colon count; RFC 5118 §4.10 asks to tolerate a few known ABNF quirks. */
static bool is_ipv6_ref(const char *p, const char *end)
{
	int colons = 0;
	if (end - p < 4 || p[0] != '[' || end[-1] != ']' || end - p > 48)
		return false;
	for (p++; p < end - 1; p++) {
		if (*p == ':')
			colons++;
		else if (ms__hexval(*p) < 0 && *p != '.')
			return false;
	}
	return colons >= 2;
}

enum ms_host_type ms__host_type(const char *p, const char *end)
{
	if (p < end && *p == '[')
		return is_ipv6_ref(p, end) ? MS_HOST_IPV6 : MS_HOST_NONE;
	if (is_ipv4(p, end))
		return MS_HOST_IPV4;
	return is_hostname(p, end) ? MS_HOST_NAME : MS_HOST_NONE;
}

const char *ms__host_span(const char *p, const char *end)
{
	if (p < end && *p == '[') {
		while (p < end && *p != ']')
			p++;
		return p < end ? p + 1 : end;
	}
	while (p < end && ms__cc_is(*p, MS_CC_HOST))
		p++;
	return p;
}
