/* moonsip: the transaction layer (RFC 3261 §17, with the Accepted states of
 * RFC 6026).
 *
 * A layer keeps the four state machines (INVITE and non-INVITE, client and
 * server), their timers and the table that matches messages to them. It
 * owns no socket and no event loop: the stack hands it an environment (a
 * timer service and a send function, see core/txn/txn_env.h), and the
 * transport feeds it every message it receives:
 *
 *	ms_txn_layer_new(&l, &env, &(struct ms_txn_config){ .request_cb = on_req });
 *	...
 *	if (ms_txn_layer_receive(l, &msg, &src) == 0)
 *		the response matched no client transaction: forward it or drop it
 *
 * A transaction user (a proxy core, a user agent) then:
 *  - sends requests through client transactions (ms_ctxn_new), and gets
 *    every provisional and final response through the callback it gave;
 *  - receives each new request through the layer's request callback with a
 *    server transaction, and answers it with ms_stxn_reply/ms_stxn_respond;
 *  - answers without a transaction with ms_txn_reply_stateless.
 *
 * Lifetimes. A layer frees its transactions itself when they terminate.
 * A client transaction handle is valid until the TU calls ms_ctxn_release()
 * or until its callback has been called with MS_TXN_TERMINATED, whichever
 * comes first; no callback comes after either. A server transaction handle
 * is valid until the TU has sent a final response, or, when the TU set a
 * callback with ms_stxn_set_cb(), until that callback has been called with
 * MS_TXN_TERMINATED. A callback is never called before the function that
 * started the operation has returned, and the layer keeps a transaction
 * alive across its callbacks, so a TU may release, reply or start new
 * transactions from inside one. ms_txn_layer_free() must not be called from
 * inside a callback of the same layer.
 *
 * Nothing here is global: two layers in one process never see each other's
 * transactions. */
#ifndef MOONSIP_TXN_H
#define MOONSIP_TXN_H

#include "moonsip/addr.h"
#include "moonsip/base.h"
#include "moonsip/msg.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ms_txn_layer;
struct ms_ctxn; /* a client transaction */
struct ms_stxn; /* a server transaction */
/* The timer service and transport the layer runs on: defined in the
 * library's private core/txn/txn_env.h, filled by the stack. */
struct ms_txn_env;

/* Where a message goes or came from. The layer copies and compares peers
 * but never interprets 'conn': that is the transport's name for a stream
 * connection (the one a request came on, where its responses go back, as
 * ms__tcp_send takes it), or 0 for "none, or open one". */
struct ms_txn_peer {
	enum ms_proto proto;
	struct sockaddr_storage addr; /* AF_INET or AF_INET6 */
	uint64_t conn;
};

/* The status a callback gets when its transaction has ended: the last call,
 * after which the handle is gone. */
#define MS_TXN_TERMINATED 0u

/* Responses to a client transaction: 'status' is the response's code and
 * 'resp' the message (valid for the call only; its typed views may be
 * used). Each provisional and the final response are passed once; after a
 * 2xx to an INVITE, further 2xx (other forks) are passed too, until Timer M.
 * Failures come with resp NULL: 408 when Timer B or F fired, 503 on a
 * transport error. Last comes MS_TXN_TERMINATED, unless the TU released
 * the transaction before. */
typedef void (*ms_ctxn_cb)(struct ms_ctxn *ct, unsigned status, struct ms_msg *resp, void *arg);

/* Events of a server transaction, for a TU that asked with
 * ms_stxn_set_cb(): 408 when Timer H fired (the ACK for a final non-2xx
 * response never came), 503 when the transport failed to deliver a
 * response, and MS_TXN_TERMINATED last. */
typedef void (*ms_stxn_cb)(struct ms_stxn *st, unsigned status, void *arg);

/* A new request, with the server transaction the layer made for it: the TU
 * must answer it with a final response (and may answer it later, from
 * outside the callback). An ACK makes no transaction: it comes with 'st'
 * NULL when it matched none (the ACK for a 2xx in RFC 3261 terms), or with
 * the INVITE's transaction when it matched one in the Accepted state
 * (RFC 6026 §8.7); ACKs are not answered. 'req' and 'src' are valid for
 * the call only. */
typedef void (*ms_txn_request_cb)(struct ms_stxn *st, struct ms_msg *req, const struct ms_txn_peer *src,
				  void *arg);

struct ms_txn_config {
	/* RFC 3261 timer values in milliseconds; 0 takes the default (500,
	 * 4000, 5000). T1 at most 60000, T2 at least T1. */
	uint32_t t1, t2, t4;
	ms_txn_request_cb request_cb; /* required */
	void *arg;                    /* passed to request_cb */
};

/* A new layer on 'env' (copied; the contexts it points to must outlive the
 * layer). Seeds its branch and hash keys from getrandom(). MS_EINVAL for a
 * bad config, MS_ENOMEM, or the error of getrandom(). */
MS_API int ms_txn_layer_new(struct ms_txn_layer **out, const struct ms_txn_env *env,
			    const struct ms_txn_config *cfg);
/* Stops every timer and frees every transaction, without callbacks: every
 * handle the TU holds becomes invalid. NULL is ignored. */
MS_API void ms_txn_layer_free(struct ms_txn_layer *l);
/* Transactions alive, terminated ones awaiting their TU included. */
MS_API size_t ms_txn_layer_count(const struct ms_txn_layer *l);

/* The transport's entry point for every message it received, parsed and
 * checked (ms_msg_check). The layer and the TU may fill the message's
 * cached typed views; nothing else of it changes. Returns 1 when the layer
 * took the message: it matched a transaction (a response passed on, a
 * retransmission absorbed) or it was a request, handed to the TU. Returns
 * 0 for a response that matched no client transaction. MS_EBADMSG when
 * the top Via or CSeq is missing or broken, MS_ENOMEM when a server
 * transaction could not be made (the caller may answer 500 statelessly). */
MS_API int ms_txn_layer_receive(struct ms_txn_layer *l, struct ms_msg *m, const struct ms_txn_peer *src);

/* The transport's report of an error learnt after a send returned (ICMP
 * unreachable, connection refused or reset, TLS handshake failure) for
 * 'peer': protocol and address, and the connection when peer->conn is not
 * 0. Every transaction still waiting on that peer fails: a client one
 * before its final response reports 503 to its TU (§17.1.4), a server one
 * before the ACK of its final response reports 503 (§17.2.4); both end.
 * Returns how many client transactions failed (a transport may log the
 * error when it cost requests this host sent). */
MS_API unsigned ms_txn_layer_transport_error(struct ms_txn_layer *l, const struct ms_txn_peer *peer, int err);

/* A fresh branch for the top Via of a request this host sends:
 * "z9hG4bK", a per-layer counter and a keyed MAC of it, so that branches
 * are unique and a third party cannot guess them. Writes a NUL-terminated
 * string and returns its length. */
#define MS_TXN_BRANCH_SIZE 40
MS_API int ms_txn_branch(struct ms_txn_layer *l, char out[MS_TXN_BRANCH_SIZE]);

/* Sends request 'req' (a whole message, copied) to 'dst' in a new client
 * transaction. Its top Via must carry a magic-cookie branch (from
 * ms_txn_branch) not in use by another client transaction of the same
 * method. A failure to send is reported later through 'cb' as 503, so the
 * TU has one path for it. MS_EINVAL for a message that does not parse or
 * check, an ACK (sent with ms_txn_send: it is no transaction), or a branch
 * already in use; MS_ENOMEM. */
MS_API int ms_ctxn_new(struct ms_ctxn **out, struct ms_txn_layer *l, const char *req, size_t len,
		       const struct ms_txn_peer *dst, ms_ctxn_cb cb, void *arg);
/* Sends a CANCEL for INVITE client transaction 'invite' (§9.1), built from
 * it, in a new client transaction to the same peer. MS_EAGAIN before a
 * provisional response came (the RFC forbids sending it earlier: call again
 * when the callback gets one), MS_EINVAL after a final response or for a
 * non-INVITE transaction; MS_ENOMEM. */
MS_API int ms_ctxn_cancel(struct ms_ctxn **out, struct ms_ctxn *invite, ms_ctxn_cb cb, void *arg);
/* The TU loses interest: no callback is called any more and the handle is
 * gone. The transaction runs on (retransmitting, absorbing) until it ends. */
MS_API void ms_ctxn_release(struct ms_ctxn *ct);

/* Asks for the events of ms_stxn_cb; the handle then stays valid until
 * MS_TXN_TERMINATED. Call it before sending the final response (an INVITE
 * TU that retransmits its 2xx during the Accepted state needs it). */
MS_API void ms_stxn_set_cb(struct ms_stxn *st, ms_stxn_cb cb, void *arg);
/* Sends response 'resp' (a whole message, copied) for the transaction. A
 * provisional may be followed by more, a final response ends the TU's part,
 * except that a 2xx to an INVITE may be sent again while the transaction is
 * Accepted (the TU retransmits its 2xx, RFC 6026). MS_EINVAL when 'resp'
 * is not a response (for a non-INVITE transaction only its status line is
 * read: the rest is the TU's to get right) or comes out of turn; MS_ENOENT when the transaction
 * already failed (nothing is sent; a final response still releases the
 * handle); a negative code when the transport refused it at once (the
 * machine runs on as if it had been sent, and retries where the RFC
 * retransmits). */
MS_API int ms_stxn_reply(struct ms_stxn *st, const char *resp, size_t len);
/* Builds and sends a response without a body: the request's Vias, From,
 * To (with 'to_tag' added when To has none and the tag is not empty),
 * Call-ID and CSeq (ms_build_response), and Content-Length: 0. An empty
 * 'reason' takes the standard phrase. Errors as ms_stxn_reply. */
MS_API int ms_stxn_respond(struct ms_stxn *st, unsigned code, struct ms_str reason, struct ms_str to_tag);
/* The request as it was received (valid while the handle is), to build a
 * response with more headers from: parse it again into a message. */
MS_API struct ms_str ms_stxn_request(const struct ms_stxn *st);
/* The status of the last response sent, 0 before the first. */
MS_API unsigned ms_stxn_status(const struct ms_stxn *st);
/* For the transaction of a CANCEL: finds the INVITE server transaction it
 * cancels (§9.2: same branch, sent-by and INVITE method, or the RFC 2543
 * fields). MS_ENOENT when there is none (answer the CANCEL with 481).
 * Else 0, with *invite the INVITE's handle while its TU holds it, or NULL
 * when the TU let go of it with its final response (answer the CANCEL with
 * 200 and do nothing more, §9.2). MS_EINVAL when 'cancel' is no CANCEL. */
MS_API int ms_stxn_cancel_target(struct ms_stxn *cancel, struct ms_stxn **invite);

/* Where a response to request 'req' received from 'src' goes (§18.2.2 with
 * RFC 3581): back on the connection for a reliable transport or when the
 * top Via has rport, else to the source address at the sent-by port (5060
 * when absent). A maddr parameter is not followed. 'conn' is kept from
 * 'src' in every case: a transport may name the socket a datagram came in
 * on there, so the answer leaves from it. */
MS_API int ms_txn_response_peer(struct ms_txn_layer *l, struct ms_msg *req, const struct ms_txn_peer *src,
				struct ms_txn_peer *out);
/* Answers 'req' from 'src' without a transaction: a response built as in
 * ms_stxn_respond, sent once. */
MS_API int ms_txn_reply_stateless(struct ms_txn_layer *l, struct ms_msg *req, const struct ms_txn_peer *src,
				  unsigned code, struct ms_str reason, struct ms_str to_tag);
/* Sends bytes once, outside any transaction: an ACK for a 2xx, a 2xx
 * forwarded by a proxy, a response sent with ms_txn_response_peer. */
MS_API int ms_txn_send(struct ms_txn_layer *l, const struct ms_txn_peer *dst, const char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
