/* Socket addresses: numeric parsing, printing, comparison, and listener
 * specifications. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "base/str.h"
#include "moonsip/addr.h"

const char *ms_proto_name(enum ms_proto p)
{
	switch (p) {
	case MS_PROTO_UDP: return "UDP";
	case MS_PROTO_TCP: return "TCP";
	case MS_PROTO_TLS: return "TLS";
	}
	return "?";
}

int ms_addr_set(struct sockaddr_storage *out, struct ms_str host, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN + 2];
	if (host.len >= 2 && host.s[0] == '[' && host.s[host.len - 1] == ']') {
		host.s++;
		host.len -= 2;
	}
	if (host.len == 0 || host.len >= sizeof buf)
		return MS_EINVAL;
	memcpy(buf, host.s, host.len);
	buf[host.len] = 0;
	memset(out, 0, sizeof *out);
	struct sockaddr_in *v4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
	if (inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		return 0;
	}
	return MS_EINVAL;
}

uint16_t ms_addr_port(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)a)->sin_port);
	if (a->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	return 0;
}

socklen_t ms_addr_len(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

/* "192.0.2.1", NUL-terminated: 16 bytes at most. By hand: inet_ntop and
 * printf cost more than the rest of a Via's received. */
static int v4_into(const struct in_addr *in, char *out)
{
	const unsigned char *b = (const unsigned char *)&in->s_addr;
	int n = 0;
	for (int i = 0; i < 4; i++) {
		if (i)
			out[n++] = '.';
		n += (int)ms__u64_dec(out + n, b[i]);
	}
	out[n] = 0;
	return n;
}

/* "[2001:db8::1]" at most: INET6_ADDRSTRLEN plus the brackets. */
static int host_into(const struct sockaddr_storage *a, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN];
	if (a->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, ip, sizeof ip);
		return snprintf(out, size, "[%s]", ip);
	}
	if (a->ss_family == AF_INET && size >= INET_ADDRSTRLEN)
		return v4_into(&((const struct sockaddr_in *)a)->sin_addr, out);
	return snprintf(out, size, "(none)");
}

const char *ms_addr_host(const struct sockaddr_storage *a, char out[MS_ADDR_STRLEN])
{
	host_into(a, out, MS_ADDR_STRLEN);
	return out;
}

const char *ms_addr_format(const struct sockaddr_storage *a, char out[MS_ADDR_STRLEN])
{
	int n = host_into(a, out, MS_ADDR_STRLEN);
	if (n > 0 && n + 7 <= MS_ADDR_STRLEN) { /* ":65535" and the NUL */
		out[n++] = ':';
		n += (int)ms__u64_dec(out + n, ms_addr_port(a));
		out[n] = 0;
	}
	return out;
}

bool ms_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, 16);
	}
	return false;
}

static int proto_of(struct ms_str s, enum ms_proto *p)
{
	if (MS__IEQ(s, "udp"))
		*p = MS_PROTO_UDP;
	else if (MS__IEQ(s, "tcp"))
		*p = MS_PROTO_TCP;
	else if (MS__IEQ(s, "tls"))
		*p = MS_PROTO_TLS;
	else
		return MS_EINVAL;
	return 0;
}

int ms_listen_parse(struct ms_listen_spec *out, const char *spec, const char **why)
{
	const char *colon = strchr(spec, ':'), *end = spec + strlen(spec);
	if (!colon || proto_of((struct ms_str){ spec, (size_t)(colon - spec) }, &out->proto) < 0) {
		*why = "expected udp:, tcp: or tls: before the address";
		return MS_EINVAL;
	}
	const char *h = colon + 1, *he;
	if (*h == '[') {
		he = strchr(h, ']');
		if (!he) {
			*why = "unterminated [IPv6 address]";
			return MS_EINVAL;
		}
		he++;
	} else {
		he = strchr(h, ':');
		if (!he)
			he = end;
	}
	uint32_t port = out->proto == MS_PROTO_TLS ? 5061 : 5060;
	if (*he == ':' &&
	    ms_str_to_u32((struct ms_str){ he + 1, (size_t)(end - he - 1) }, 65535, &port) < 0) {
		*why = "bad port";
		return MS_EINVAL;
	}
	if (*he != ':' && he != end) {
		*why = "unexpected characters after the address";
		return MS_EINVAL;
	}
	if (ms_addr_set(&out->addr, (struct ms_str){ h, (size_t)(he - h) }, (uint16_t)port) < 0) {
		*why = "not a numeric IPv4 or IPv6 address";
		return MS_EINVAL;
	}
	return 0;
}
