/* The blocking half of the resolver: which names may be looked up at all,
 * and getaddrinfo() with its answer turned into addresses. Everything here
 * runs on a worker thread (or is pure): it touches its arguments only. */
#define _GNU_SOURCE /* EAI_NODATA, EAI_ADDRFAMILY */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>

#include "base/str.h"
#include "dns/resolve_private.h"

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool ms__dns_name_ok(struct ms_str host)
{
	size_t len = host.len;
	if (len > 0 && host.s[len - 1] == '.')
		len--; /* one trailing dot: the root */
	if (len == 0 || len > MS__DNS_NAME_MAX)
		return false;
	size_t label = 0, top = 0;
	for (size_t i = 0; i < len; i++) {
		char c = host.s[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			top = i + 1;
			continue;
		}
		if (!is_alpha(c) && !ms__is_digit(c) && c != '-')
			return false;
		if (++label > 63)
			return false;
	}
	/* An empty last label ("a..") or one not beginning with a letter: the
	 * latter keeps getaddrinfo's inet_aton() from reading "127.1" or
	 * "0x7f000001" as an address, and "1.2.3.256" from going to DNS. */
	return label > 0 && is_alpha(host.s[top]);
}

int ms__dns_gai_error(int eai)
{
	switch (eai) {
	case EAI_NONAME:
	case EAI_NODATA:
	case EAI_ADDRFAMILY: return MS_ENOENT;
	case EAI_AGAIN: return MS_EAGAIN;
	case EAI_MEMORY: return MS_ENOMEM;
	case EAI_FAMILY:
	case EAI_BADFLAGS:
	case EAI_SOCKTYPE:
	case EAI_SERVICE: return MS_EINVAL;
	case EAI_SYSTEM: return errno == ENOMEM ? MS_ENOMEM : MS_EPROTO;
	default: return MS_EPROTO; /* EAI_FAIL and anything new */
	}
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
			((const struct sockaddr_in *)b)->sin_addr.s_addr;
	const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
	return memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0 &&
		x->sin6_scope_id == y->sin6_scope_id;
}

size_t ms__dns_from_addrinfo(const struct addrinfo *ai, uint16_t port, struct sockaddr_storage *out,
			     size_t max)
{
	size_t n = 0;
	for (; ai && n < max; ai = ai->ai_next) {
		struct sockaddr_storage *a = &out[n];
		memset(a, 0, sizeof *a);
		if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(struct sockaddr_in)) {
			memcpy(a, ai->ai_addr, sizeof(struct sockaddr_in));
			((struct sockaddr_in *)a)->sin_port = htons(port);
		} else if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof(struct sockaddr_in6)) {
			memcpy(a, ai->ai_addr, sizeof(struct sockaddr_in6));
			((struct sockaddr_in6 *)a)->sin6_port = htons(port);
		} else {
			continue;
		}
		size_t i = 0;
		while (i < n && !same_host(&out[i], a))
			i++;
		if (i == n)
			n++;
	}
	return n;
}

int ms__dns_getaddrinfo(const char *name, int family, uint16_t port, struct sockaddr_storage *out, void *ctx)
{
	(void)ctx;
	/* One socket type, so each address comes once rather than once per
	 * type. No AI_ADDRCONFIG: it does not count loopback addresses, so
	 * on a host with no other IPv4 address "localhost" with AF_INET would
	 * answer nothing. */
	struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_DGRAM }, *res = NULL;
	int rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0)
		return ms__dns_gai_error(rc);
	size_t n = ms__dns_from_addrinfo(res, port, out, MS_RESOLVE_MAX);
	freeaddrinfo(res);
	return n ? (int)n : MS_ENOENT;
}
