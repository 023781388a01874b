/* Which addresses are this stack: for a proxy's Route processing and loop
 * detection (RFC 3261 §16.4, §16.3 step 4), and the address a message came
 * in on, for its Record-Route. */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stack/stack_private.h"

static bool same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
			((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
}

bool ms__stack_is_wildcard(const struct sockaddr_storage *a)
{
	if (a->ss_family != AF_INET && a->ss_family != AF_INET6)
		return true;
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == 0;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &any6, sizeof any6);
}

/* For a wildcard listener: is 'a' an address of this host? The interface
 * list is read when asked (a proxy asks for Route values that name an
 * address, rarely more than twice a request). */
static bool host_has(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET && (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127)
		return true;
	struct ifaddrs *list, *i;
	if (getifaddrs(&list) < 0)
		return false;
	bool found = false;
	for (i = list; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != a->ss_family)
			continue;
		struct sockaddr_storage x;
		memset(&x, 0, sizeof x);
		memcpy(&x, i->ifa_addr,
		       a->ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		found = same_ip(&x, a);
	}
	freeifaddrs(list);
	return found;
}

bool ms_stack_is_me(struct ms_stack *s, struct ms_str host, uint16_t port, bool secure)
{
	struct sockaddr_storage a;
	if (ms_addr_set(&a, host, 0) < 0)
		return false;
	for (unsigned i = 0; i < s->nls; i++) {
		const struct ms__listener *l = &s->ls[i];
		if (l->outgoing || l->addr.ss_family != a.ss_family)
			continue;
		uint16_t want = port ? port : (secure || l->proto == MS_PROTO_TLS ? 5061 : 5060);
		if (ms_addr_port(&l->addr) != want)
			continue;
		if (ms__stack_is_wildcard(&l->addr) ? host_has(&a) : same_ip(&l->addr, &a))
			return true;
	}
	return false;
}

/* The source address the routing table picks to reach 'dst': a UDP
 * socket's connect() sends nothing and binds the route's source address. */
int ms__stack_route_source(const struct sockaddr_storage *dst, struct sockaddr_storage *out)
{
	int fd = socket(dst->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof *out;
	int rc = fd < 0 || connect(fd, (const struct sockaddr *)dst, ms_addr_len(dst)) < 0 ||
			getsockname(fd, (struct sockaddr *)out, &len) < 0
		? -errno
		: 0;
	if (fd >= 0)
		close(fd);
	return rc;
}

int ms_stack_local_for(struct ms_stack *s, const struct ms_txn_peer *src, struct sockaddr_storage *out)
{
	unsigned idx = (unsigned)(src->conn >> MS__CONN_SHIFT);
	const struct ms__listener *l = idx >= 1 && idx <= s->nls ? &s->ls[idx - 1] : NULL;
	for (unsigned i = 0; !l && i < s->nls; i++)
		if (s->ls[i].proto == src->proto && !s->ls[i].outgoing &&
		    s->ls[i].addr.ss_family == src->addr.ss_family)
			l = &s->ls[i];
	if (!l || l->outgoing)
		return MS_ENOENT;
	*out = l->addr;
	if (!ms__stack_is_wildcard(&l->addr))
		return 0;
	uint16_t port = ms_addr_port(&l->addr);
	int rc = ms__stack_route_source(&src->addr, out);
	if (rc == 0 && out->ss_family == AF_INET)
		((struct sockaddr_in *)out)->sin_port = htons(port);
	else if (rc == 0)
		((struct sockaddr_in6 *)out)->sin6_port = htons(port);
	return rc;
}
