/* moonsip: the stateful proxy core (RFC 3261 §16) on a stack.
 *
 * A proxy checks a request (§16.3), processes its Route header (§16.4),
 * and forwards it on one or more branches (§16.6), each a client
 * transaction of the stack's layer. Responses come back through a response
 * context, one per server transaction (struct ms_proxy_txn, §16.7): 100 is
 * absorbed, other provisional responses and every 2xx are forwarded
 * upstream at once, and when the branches of a round have all ended the TU
 * is given the best final response, which it forwards, or replaces with
 * its own, or follows with a new round of branches (serial forking).
 *
 *	struct ms_proxy_txn *t;
 *	ms_proxy_txn_new(&t, p, st, req, &src, &events, arg);
 *	ms_proxy_txn_branch(t, req_bytes, len, &opts);
 *	... events.done(t, best, arg): ms_proxy_txn_forward(t) ...
 *	ms_proxy_txn_free(t);
 *
 * Callbacks run on the stack's loop, never inside the call that started
 * the operation. */
#ifndef MOONSIP_PROXY_H
#define MOONSIP_PROXY_H

#include "moonsip/base.h"
#include "moonsip/edit.h"
#include "moonsip/msg.h"
#include "moonsip/stack.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ms_proxy;
struct ms_proxy_txn;

struct ms_proxy_config {
	struct ms_stack *stack; /* required; must outlive the proxy */
	/* Timer C (§16.6 step 11): an INVITE branch with no final response
	 * this long is cancelled and counts as 408. 0: 180 s. */
	uint32_t timer_c_ms;
	/* Host names that are this proxy, besides its listeners' addresses
	 * (Route and Request-URI processing). NULL-terminated, copied. */
	const char *const *domains;
};

MS_API int ms_proxy_new(struct ms_proxy **out, const struct ms_proxy_config *cfg);
/* Frees the proxy and every response context still alive (also those
 * let go of and waiting for a branch), without callbacks or messages: free
 * the stack first, so that no transaction calls back into them. */
MS_API void ms_proxy_free(struct ms_proxy *p);
/* Provisional and 2xx responses going upstream that the TU's response
 * event does not see (it is not watching, or its context is freed: a
 * retransmitted or late 2xx) pass through 'fn' first, without our Via;
 * what it puts in 'replace' goes instead. Such responses are parsed once
 * more for it: set it only while it has work (NULL: none, the default). */
typedef void (*ms_proxy_response_filter)(struct ms_msg *resp, struct ms_buf *replace, void *arg);
MS_API void ms_proxy_set_response_filter(struct ms_proxy *p, ms_proxy_response_filter fn, void *arg);
MS_API struct ms_stack *ms_proxy_stack(const struct ms_proxy *p);

/* Whether a SIP URI's host and port name this proxy (a listener, or one
 * of the configured domains with any port). */
MS_API bool ms_proxy_is_me(struct ms_proxy *p, const struct ms_uri *u);

/* §16.3 steps 3 to 6: Max-Forwards (483 at 0; for an OPTIONS, 200: the
 * proxy may answer it itself), a loop (482: a Via of this proxy whose
 * branch carries the hash this request would get, so a spiral with a new
 * Request-URI passes), and Proxy-Require (420: this proxy knows no
 * extension; answer with its option tags in Unsupported). Returns 0 when
 * the request may be forwarded, else the status, with *reason a phrase
 * that says why. */
MS_API unsigned ms_proxy_validate(struct ms_proxy *p, struct ms_msg *req, const char **reason);

/* §16.4 into 'e' (on 'req'): when the Request-URI is this proxy's (a
 * strict router before it), the last Route value becomes the Request-URI
 * and is removed; then a top Route that names this proxy is removed (two,
 * when it record-routed twice). Returns how many Route values went. */
MS_API int ms_proxy_preprocess(struct ms_proxy *p, struct ms_msg *req, struct ms_edit *e);

/* The URI a request goes to next (§16.6 steps 6 and 7): its top Route, or
 * its Request-URI when it has none. *strict says the top Route is a strict
 * router's (no lr): ms_proxy_txn_branch then moves it into the
 * Request-URI. MS_EBADMSG when the Route does not parse. */
MS_API int ms_proxy_route_hop(struct ms_msg *req, struct ms_uri *hop, bool *strict);
/* Where a request to URI 'u' is sent (RFC 3263 §4 for what a URI says
 * alone): maddr or the host, the transport parameter (sips: TLS), the port
 * (5060, or 5061 for TLS). 0 for a numeric host; MS_EAGAIN for a name, with
 * *name the host to look up (moonsip/resolve.h) and dst's proto set and its
 * port left for the caller (the URI's, or the default); MS_ENOTSUP for a
 * transport this stack has not; MS_EINVAL for a URI that is no SIP URI. */
MS_API int ms_proxy_next_hop(const struct ms_uri *u, struct ms_txn_peer *dst, struct ms_str *name);

/* Events of a response context. */
struct ms_proxy_events {
	/* A provisional response (not 100) or a 2xx from branch 'branch' (its
	 * number, from 1), about to go upstream without its top Via, when the
	 * TU asked with ms_proxy_txn_watch(). The TU may
	 * put bytes of its own in 'replace' (a whole response) to send instead.
	 * NULL: forwarded as it came. */
	void (*response)(struct ms_proxy_txn *t, unsigned branch, struct ms_msg *resp, struct ms_buf *replace,
			 void *arg);
	/* The round ended: every branch has its final response, or a 2xx went
	 * upstream (status 2xx: nothing more to do), or a 6xx cancelled the
	 * others. 'text' is the response chosen by §16.7 step 6 (the 2xx, or
	 * the best, 401/407 challenges merged, a 503 still a 503), without this
	 * proxy's Via; NULL when the proxy made it up (408: no branch answered
	 * in time). The TU then forwards it (ms_proxy_txn_forward), answers
	 * otherwise, or starts more branches. */
	void (*done)(struct ms_proxy_txn *t, unsigned status, const struct ms_str *text, void *arg);
};

/* A response context for server transaction 'st' (NULL for a request fed
 * without a stack: nothing goes upstream) of request 'req' from 'src'. An
 * INVITE's transaction is answered 100 Trying at once (§16.2). */
MS_API int ms_proxy_txn_new(struct ms_proxy_txn **out, struct ms_proxy *p, struct ms_stxn *st,
			    struct ms_msg *req, const struct ms_txn_peer *src,
			    const struct ms_proxy_events *ev, void *arg);
/* Stops every event; pending branches run on (their responses are
 * absorbed), INVITE ones are cancelled. */
MS_API void ms_proxy_txn_free(struct ms_proxy_txn *t);

struct ms_proxy_branch_opts {
	bool record_route;   /* add Record-Route (two when the transport or interface changes) */
	uint32_t timeout_ms; /* no final answer this long: CANCEL and 408 (0: only Timer C, Timer B/F) */
	/* Header fields to add to the branch. */
	const struct ms_str *names, *values;
	unsigned nheaders;
	/* Where to send it, when the TU looked the next hop up; NULL: from the
	 * next hop's URI, which must then have a numeric host. */
	const struct ms_txn_peer *dst;
};

/* Forwards 'req', the request as the TU wants it forwarded (already
 * through ms_proxy_preprocess and with its Request-URI set to the target),
 * on a new branch of the current round: Max-Forwards decremented (70 when
 * absent), a strict next hop's Route moved into the Request-URI, the
 * headers added, Record-Route and a Via with this context's loop hash in
 * its branch. Returns the branch's number (from 1), or MS_EINVAL for a
 * request that does not parse or is an ACK, or when no branch may start
 * (after a CANCEL, a 2xx or the final response, §16.10), MS_EAGAIN when the
 * next hop needs a lookup and no dst was given, MS_ENOENT when no listener
 * can reach the next hop, MS_ENOMEM. A send that fails later ends the
 * branch with 503. */
MS_API int ms_proxy_txn_branch(struct ms_proxy_txn *t, const char *req, size_t len,
			       const struct ms_proxy_branch_opts *o);
/* Whether events.response is called (off at first: a response that goes
 * up unseen is not parsed again). */
MS_API void ms_proxy_txn_watch(struct ms_proxy_txn *t, bool on);
/* Starts a new round: the next ended round chooses among the branches
 * started from now on (a script's second relay, serial forking). */
MS_API void ms_proxy_txn_new_round(struct ms_proxy_txn *t);
/* The INVITE was cancelled upstream (§16.10): CANCEL every pending
 * branch; no new branch may start. */
MS_API void ms_proxy_txn_cancel(struct ms_proxy_txn *t);
MS_API bool ms_proxy_txn_cancelled(const struct ms_proxy_txn *t);
/* Branches of the current round still without a final response. */
MS_API unsigned ms_proxy_txn_pending(const struct ms_proxy_txn *t);
/* The best response of the ended round as it would be forwarded (without
 * this proxy's Via, challenges merged, a 503 still a 503), and its status
 * in *status (0 before a round ended). The text is empty (s NULL) when the
 * proxy makes the response up: 408 when no branch answered in time. Valid
 * until the next call on the context. */
MS_API struct ms_str ms_proxy_txn_best(const struct ms_proxy_txn *t, unsigned *status);
/* Sends the best response upstream, a 503 as 500 (§16.7 step 6); ends the
 * TU's part. MS_EINVAL when no round ended or it ended with a 2xx (already
 * sent), MS_ENOENT when a final response already went. */
MS_API int ms_proxy_txn_forward(struct ms_proxy_txn *t);
/* The TU answered the server transaction itself with 'status': a final
 * one ends the context's upstream part and cancels pending branches. */
MS_API void ms_proxy_txn_answered(struct ms_proxy_txn *t, unsigned status);

/* Stateless forwarding (§16.11): 'req' (as the TU wants it forwarded, its
 * Request-URI the target) to 'dst' with a Via whose branch is derived from
 * the request's own (the same branch again for its retransmissions), and
 * Max-Forwards decremented. For ACKs for 2xx and scripts that want no
 * state. */
MS_API int ms_proxy_forward_stateless(struct ms_proxy *p, struct ms_msg *req, const struct ms_txn_peer *dst);
/* A response that matched no client transaction (a 2xx retransmitted after
 * the branch ended): sent on statelessly when its top Via is this proxy's
 * (§16.7 step 10 for 2xx, §16.11). Returns 1 when forwarded, 0 when it was
 * not for this proxy. */
MS_API int ms_proxy_response_stateless(struct ms_proxy *p, struct ms_msg *resp);

#ifdef __cplusplus
}
#endif
#endif
