/* moonsip: the stack, transports and transactions on the caller's libev loop.
 *
 * A stack owns its listeners (UDP, TCP, TLS; IPv4 and IPv6), the
 * connections it accepts or opens, and one transaction layer. It reads
 * every message, parses and checks it, adds RFC 3581 `received` and `rport`
 * to the top Via of requests, answers what is malformed (400 with the
 * parser's reason, or a log line and a drop when too little parsed to
 * answer), and hands the rest to the transaction layer. A transaction user
 * works with the layer (moonsip/txn.h) that ms_stack_txn() returns:
 *
 *	struct ms_stack *s;
 *	ms_stack_new(&s, &(struct ms_stack_config){ .loop = loop, .request_cb = on_request });
 *	ms_stack_listen(s, "udp:127.0.0.1:5060", &why);
 *	ev_run(loop, 0);
 *
 * Nothing is global: stacks in one process share nothing (a server runs one
 * per worker). Callbacks run on the loop, never inside the call that caused
 * them. */
#ifndef MOONSIP_STACK_H
#define MOONSIP_STACK_H

#include "moonsip/addr.h"
#include "moonsip/base.h"
#include "moonsip/log.h"
#include "moonsip/msg.h"
#include "moonsip/txn.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ev_loop;
struct ms_stack;

/* TLS (TLS 1.2 and 1.3 only). Paths are read when the stack is made. */
struct ms_tls_config {
	const char *cert_file; /* PEM certificate chain of this host: a tls listener needs it */
	const char *key_file;  /* its private key, PEM */
	/* PEM CA certificates that peers' certificates must chain to: servers
	 * this stack connects to, and clients when verify_client is set. NULL:
	 * the system's default store. */
	const char *ca_file;
	bool verify_client;    /* tls listeners demand a valid client certificate */
	bool no_verify_server; /* connect out without checking the server (labs only) */
};

/* A response that matched no client transaction (a retransmitted 2xx a
 * proxy forwards statelessly, or a stray): 'resp' and 'src' are valid for
 * the call only. */
typedef void (*ms_stack_response_cb)(struct ms_stack *s, struct ms_msg *resp, const struct ms_txn_peer *src,
				     void *arg);

struct ms_stack_config {
	struct ev_loop *loop;             /* required */
	struct ms_logger log;             /* where log lines go (zeroed: warnings to stderr) */
	uint32_t t1, t2, t4;              /* RFC 3261 timers in ms (0: 500, 4000, 5000) */
	ms_txn_request_cb request_cb;     /* required: new requests, see moonsip/txn.h */
	ms_stack_response_cb response_cb; /* NULL: stray responses are dropped */
	void *arg;                        /* passed to both */
	size_t max_msg;                   /* largest message on any transport (default 64 KiB) */
	unsigned max_conns;               /* TCP and TLS connections, each (default 1024) */
	uint32_t idle_ms;                 /* close a silent connection (default 120 s) */
	uint32_t stall_ms;                /* close one stuck mid-message (default 10 s) */
	/* RFC 3261 §18.1.1: a request over this many bytes goes over TCP
	 * (default 1300, for a path MTU that is not known). */
	size_t udp_max;
	bool reuse_port; /* SO_REUSEPORT on listeners: one stack per worker */
	struct ms_tls_config tls;
};

/* A stack on cfg->loop. MS_EINVAL for a bad config (with a log line), an
 * error of OpenSSL's set-up (certificate or key that does not load: logged
 * with OpenSSL's reason), MS_ENOMEM. */
MS_API int ms_stack_new(struct ms_stack **out, const struct ms_stack_config *cfg);

/* Opens one listener: "udp:127.0.0.1:5060", "tcp:[::1]:5060",
 * "tls:0.0.0.0:5061" (port 0 picks a free one). 0, or a negative code with
 * *why saying what was wrong (a bad spec, a port in use, no certificate for
 * tls). */
MS_API int ms_stack_listen(struct ms_stack *s, const char *spec, const char **why);
/* The address a listener of this protocol and family (AF_INET, AF_INET6,
 * or AF_UNSPEC for any) is bound to, with the port the kernel chose.
 * MS_ENOENT when there is none. */
MS_API int ms_stack_local(const struct ms_stack *s, enum ms_proto p, int family,
			  struct sockaddr_storage *out);

/* The transaction layer the stack feeds. */
MS_API struct ms_txn_layer *ms_stack_txn(struct ms_stack *s);

/* The top Via for a request this stack sends to *dst, whose size without
 * the Via is 'len'. Picks the transport first (§18.1.1: over udp_max a UDP
 * request goes over TCP, unless 'udp_only' says the target named UDP), and
 * changes dst->proto to match; then appends "SIP/2.0/TCP host:port;branch=
 * z9hG4bK...;rport" to 'out', with the address of the listener the request
 * leaves from and a fresh branch. MS_ENOENT when no listener can reach
 * dst's family. */
MS_API int ms_stack_via(struct ms_stack *s, struct ms_txn_peer *dst, size_t len, bool udp_only,
			struct ms_buf *out);

/* The same with the branch given: "z9hG4bK" and the rest (a proxy's
 * branch carries its loop-detection hash, RFC 3261 §16.6 step 8). */
MS_API int ms_stack_via_branch(struct ms_stack *s, struct ms_txn_peer *dst, size_t len, bool udp_only,
			       const char *branch, struct ms_buf *out);
/* Whether a URI's host and port (0 when the URI has none: 5060, or 5061
 * for sips or a TLS listener) name this stack: a numeric address a
 * listener is bound to (any address of this host for a wildcard listener)
 * and that listener's port. Names are not resolved: a proxy compares them
 * with its own list of domains. */
MS_API bool ms_stack_is_me(struct ms_stack *s, struct ms_str host, uint16_t port, bool secure);
/* The address a message from 'src' came in at: its listener's address, or
 * for a wildcard listener the local address that routes back to 'src'
 * (with the listener's port). For a Record-Route. MS_ENOENT when 'src'
 * names no listener. */
MS_API int ms_stack_local_for(struct ms_stack *s, const struct ms_txn_peer *src,
			      struct sockaddr_storage *out);
/* Points dst (its proto and addr set) at the listener bound to 'local'
 * (a wildcard listener matches any address of its family at its port;
 * NULL: the first listener of dst's protocol and family), so that what is
 * sent to dst leaves from it: the socket a peer behind a NAT reached. For
 * TCP and TLS, also at the connection open to dst->addr on that listener.
 * dst->conn is set; MS_ENOENT when no listener matches, or for TCP and
 * TLS when no connection to dst is open (none is opened). */
MS_API int ms_stack_peer_at(struct ms_stack *s, const struct sockaddr_storage *local,
			    struct ms_txn_peer *dst);
/* Sends 'len' bytes as they are, outside any message or transaction: a
 * keep-alive (RFC 5626 §4.4.1's CRLFCRLF) to a peer ms_stack_peer_at()
 * made. Over TCP and TLS only on dst's open connection: MS_ENOENT when it
 * is gone. A negative code when the transport refused. */
MS_API int ms_stack_send_raw(struct ms_stack *s, const struct ms_txn_peer *dst, const void *buf, size_t len);
/* The loop the stack runs on. */
MS_API struct ev_loop *ms_stack_loop(const struct ms_stack *s);
/* The logger the stack was given (for the TU's own lines). */
MS_API const struct ms_logger *ms_stack_logger(const struct ms_stack *s);

struct ms_stack_stats {
	uint64_t rx_msgs, tx_msgs; /* SIP messages in and out */
	uint64_t rx_bad;           /* malformed messages (answered or dropped) */
	uint64_t tx_errors;        /* sends refused by a transport */
	size_t conns;              /* open TCP and TLS connections */
};
MS_API void ms_stack_stats(const struct ms_stack *s, struct ms_stack_stats *out);

/* Stops listening (open connections and transactions run on). */
MS_API void ms_stack_stop_listening(struct ms_stack *s);
/* Closes everything: listeners, connections, transactions (without
 * callbacks). Not from inside a callback of this stack. NULL is ignored. */
MS_API void ms_stack_free(struct ms_stack *s);

#ifdef __cplusplus
}
#endif
#endif
