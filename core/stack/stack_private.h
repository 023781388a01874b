/* Internal: the parts of a stack, shared by its files. */
#ifndef MS_CORE_STACK_PRIVATE_H
#define MS_CORE_STACK_PRIVATE_H

#include "moonsip/stack.h"
#include "txn/txn_env.h"

struct ms_udp;
struct ms_tcp;
struct ms_tls;

#define MS__STACK_MAX_LISTENERS 32
/* A peer's 'conn' names the listener in its high bits and, for TCP and TLS,
 * the transport's connection below them: responses leave from the socket
 * the request came in on, and a connection id from one listener is never
 * taken for another's. */
#define MS__CONN_SHIFT 48
#define MS__CONN_MASK ((UINT64_C(1) << MS__CONN_SHIFT) - 1)

struct ms__listener {
	struct ms_stack *s;
	unsigned idx; /* 1-based: the high bits of a peer's conn */
	enum ms_proto proto;
	bool outgoing; /* no listening socket: connections opened to send */
	struct sockaddr_storage addr;
	struct ms_udp *udp;
	struct ms_tcp *tcp; /* TCP or TLS */
};

struct ms_stack {
	struct ms_stack_config cfg;
	struct ms_txn_env env;
	struct ms_txn_layer *txn;
	struct ms_tls *tls; /* made when TLS is first needed */
	struct ms__listener ls[MS__STACK_MAX_LISTENERS];
	unsigned nls;
	char tag[12];         /* To tag of the stack's stateless error answers */
	bool draining;        /* stopped listening: new requests get 503 */
	char why[256];        /* the last set-up error, for *why */
	double limit_logged;  /* when a limit was last logged (loop time) */
	unsigned limit_quiet; /* limit hits not logged since */
	struct ms_stack_stats stats;
};

/* stack_rx.c: one message from a transport ('buf' is writable and valid
 * for the call only; flags are MS_PARSE_DGRAM or MS_PARSE_STREAM). */
void ms__stack_receive(struct ms_stack *s, char *buf, size_t len, int flags, const struct ms_txn_peer *src);

/* stack_bad.c: answers a request that failed to parse or check, when
 * enough of it is there, or logs the drop. */
void ms__stack_bad(struct ms_stack *s, struct ms_msg *m, const struct ms_txn_peer *src);
/* The same for a stream that cannot be framed: 400 for a bad
 * Content-Length, 513 for a message over the size limit. */
void ms__stack_unframeable(struct ms_stack *s, const char *buf, size_t len, int rc, const char *why,
			   const struct ms_txn_peer *src);

/* stack_tx.c: the transport half of the transaction layer's environment,
 * and the listeners' callbacks. */
int ms__stack_send(void *stack, const struct ms_txn_peer *dst, const char *buf, size_t len);
bool ms__stack_reliable(void *stack, const struct ms_txn_peer *dst);
int ms__stack_open(struct ms__listener *l, const struct sockaddr_storage *addr, const char **why);
/* The listener a message to 'dst' leaves from (made for TCP and TLS when
 * the stack has none that can send there), or NULL. */
struct ms__listener *ms__stack_route(struct ms_stack *s, const struct ms_txn_peer *dst);
void ms__stack_stop(struct ms__listener *l);
void ms__stack_close(struct ms__listener *l);

/* stack_local.c: an unspecified (or unknown) address; the source address
 * the routing table picks to reach 'dst'. */
bool ms__stack_is_wildcard(const struct sockaddr_storage *a);
int ms__stack_route_source(const struct sockaddr_storage *dst, struct sockaddr_storage *out);

/* stack_tls.c: the TLS context, made on first use. */
int ms__stack_tls(struct ms_stack *s, const char **why);
void ms__stack_tls_free(struct ms_stack *s);

#endif
