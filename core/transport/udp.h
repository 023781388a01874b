/* Internal: one UDP socket on a libev loop, receiving in batches and
 * learning about unreachable destinations from ICMP. */
#ifndef MS_CORE_UDP_H
#define MS_CORE_UDP_H

#include <stddef.h>

#include "moonsip/addr.h"

struct ev_loop;
struct ms_udp;

/* A datagram: 'buf' is valid for the call only (the batch buffer is reused;
 * whoever keeps a message copies it). */
typedef void (*ms__udp_recv_cb)(struct ms_udp *u, char *buf, size_t len, const struct sockaddr_storage *src,
				void *arg);
/* A destination reported unreachable by ICMP (err is ECONNREFUSED,
 * EHOSTUNREACH, ...). */
typedef void (*ms__udp_error_cb)(struct ms_udp *u, const struct sockaddr_storage *dst, int err, void *arg);

/* Flags of ms__udp_open. */
enum {
	/* SO_REUSEPORT: sockets of several stacks (one per worker) share the
	 * port, and the kernel spreads the peers over them. */
	MS__UDP_REUSEPORT = 1,
};

/* Binds 'addr' (port 0 picks a free one) and starts receiving. Returns 0 or
 * -errno of the failing call. */
int ms__udp_open(struct ms_udp **out, struct ev_loop *loop, const struct sockaddr_storage *addr, int flags,
		 ms__udp_recv_cb recv_cb, ms__udp_error_cb error_cb, void *arg);
/* The bound address, with the port the kernel chose. */
const struct sockaddr_storage *ms__udp_local(const struct ms_udp *u);
/* Sends one datagram. 0, or -errno (EAGAIN when the socket buffer is full:
 * the datagram is dropped, as the network could have dropped it). */
int ms__udp_send(struct ms_udp *u, const struct sockaddr_storage *dst, const void *buf, size_t len);
/* Stops the watcher and closes the socket. NULL is ignored. */
void ms__udp_close(struct ms_udp *u);

#endif
