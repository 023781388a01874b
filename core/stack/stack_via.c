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
	return ms_stack_via_branch(s, dst, len, udp_only, NULL, out);
}

int ms_stack_via_branch(struct ms_stack *s, struct ms_txn_peer *dst, size_t len, bool udp_only,
			const char *branch, struct ms_buf *out)
{
	if (dst->proto == MS_PROTO_UDP && !udp_only && len + VIA_ROOM > s->cfg.udp_max) {
		dst->proto = MS_PROTO_TCP;
		dst->conn = 0;
	}
	struct ms__listener *l = ms__stack_route(s, dst);
	if (!l)
		return MS_ENOENT;
	struct sockaddr_storage from = l->addr;
	if (l->outgoing || ms__stack_is_wildcard(&from)) {
		int rc = ms__stack_route_source(&dst->addr, &from);
		if (rc)
			return rc;
	}
	char host[MS_ADDR_STRLEN], fresh[MS_TXN_BRANCH_SIZE];
	ms_addr_host(&from, host);
	if (!branch) {
		ms_txn_branch(s->txn, fresh);
		branch = fresh;
	}
	uint16_t port = port_of(s, l);
	if (port)
		return ms_buf_printf(out, "SIP/2.0/%s %s:%u;branch=%s;rport", ms_proto_name(dst->proto), host,
				     port, branch);
	return ms_buf_printf(out, "SIP/2.0/%s %s;branch=%s;rport", ms_proto_name(dst->proto), host, branch);
}
