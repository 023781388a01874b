/* The Via a request leaves with: transport (RFC 3261 §18.1.1), sent-by
 * (the listener's address, or for a wildcard listener the source address
 * the kernel picks for the destination) and a fresh branch. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stack/stack_private.h"

/* A Via adds about this much to a request. */
#define VIA_ROOM 96

static bool wildcard(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == 0;
	if (a->ss_family == AF_INET6) {
		static const struct in6_addr any = IN6ADDR_ANY_INIT;
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &any, sizeof any);
	}
	return true;
}

/* The source address the routing table gives for 'dst': a UDP socket's
 * connect() sends nothing and binds the route's source address. */
static int source_for(const struct sockaddr_storage *dst, struct sockaddr_storage *out)
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

/* The port to announce for a listener: its own, or for one that only
 * connects out, that of a listener of the same family. */
static uint16_t port_of(struct ms_stack *s, const struct ms__listener *l)
{
	if (!l->outgoing)
		return ms_addr_port(&l->addr);
	for (unsigned i = 0; i < s->nls; i++)
		if (!s->ls[i].outgoing)
			return ms_addr_port(&s->ls[i].addr);
	return 0;
}

int ms_stack_via(struct ms_stack *s, struct ms_txn_peer *dst, size_t len, bool udp_only, struct ms_buf *out)
{
	if (dst->proto == MS_PROTO_UDP && !udp_only && len + VIA_ROOM > s->cfg.udp_max) {
		dst->proto = MS_PROTO_TCP;
		dst->conn = 0;
	}
	struct ms__listener *l = ms__stack_route(s, dst);
	if (!l)
		return MS_ENOENT;
	struct sockaddr_storage from = l->addr;
	if (l->outgoing || wildcard(&from)) {
		int rc = source_for(&dst->addr, &from);
		if (rc)
			return rc;
	}
	char host[MS_ADDR_STRLEN], branch[MS_TXN_BRANCH_SIZE];
	ms_addr_host(&from, host);
	ms_txn_branch(s->txn, branch);
	uint16_t port = port_of(s, l);
	if (port)
		return ms_buf_printf(out, "SIP/2.0/%s %s:%u;branch=%s;rport", ms_proto_name(dst->proto), host,
				     port, branch);
	return ms_buf_printf(out, "SIP/2.0/%s %s;branch=%s;rport", ms_proto_name(dst->proto), host, branch);
}
