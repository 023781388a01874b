/* moonsip: socket addresses and listener specifications.
 *
 * A listener is written as a URI-like string: "udp:127.0.0.1:5060",
 * "tcp:[::1]:5060", "tls:0.0.0.0:5061". Addresses are numeric here: names
 * are resolved elsewhere, without blocking the loop. */
#ifndef MOONSIP_ADDR_H
#define MOONSIP_ADDR_H

#include <sys/socket.h>

#include "moonsip/base.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ms_proto {
	MS_PROTO_UDP = 1,
	MS_PROTO_TCP,
	MS_PROTO_TLS,
};

/* "UDP", "TCP", "TLS": the transport token of a Via. */
MS_API const char *ms_proto_name(enum ms_proto p);

struct ms_listen_spec {
	enum ms_proto proto;
	struct sockaddr_storage addr;
};

/* Parses "proto:address:port" (IPv6 in brackets; the port may be left
 * out: 5060, or 5061 for tls). MS_EINVAL with *why set on bad input. */
MS_API int ms_listen_parse(struct ms_listen_spec *out, const char *spec, const char **why);

/* A numeric IPv4 or IPv6 address (IPv6 with or without brackets) and a
 * port into a socket address. MS_EINVAL when it is not numeric. */
MS_API int ms_addr_set(struct sockaddr_storage *out, struct ms_str host, uint16_t port);

/* The port of an AF_INET or AF_INET6 address. */
MS_API uint16_t ms_addr_port(const struct sockaddr_storage *a);

/* The length to pass to socket calls for this address's family. */
MS_API socklen_t ms_addr_len(const struct sockaddr_storage *a);

/* Writes "192.0.2.1:5060" or "[2001:db8::1]:5060". */
#define MS_ADDR_STRLEN 56
MS_API const char *ms_addr_format(const struct sockaddr_storage *a, char out[MS_ADDR_STRLEN]);
/* The host part alone: "192.0.2.1" or "[2001:db8::1]" (as a Via sent-by). */
MS_API const char *ms_addr_host(const struct sockaddr_storage *a, char out[MS_ADDR_STRLEN]);

/* Same family, address and port. */
MS_API bool ms_addr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

#ifdef __cplusplus
}
#endif
#endif
