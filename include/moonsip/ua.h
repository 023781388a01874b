/* moonsip: user agents (the embedding API): registration, calls, OPTIONS
 * and MESSAGE on a stack of their own, on the caller's libev loop.
 *
 *	struct ms_ua *ua;
 *	const char *listen[] = { "udp:127.0.0.1:0", NULL };
 *	ms_ua_new(&ua, &(struct ms_ua_config){ .loop = loop, .listen = listen,
 *		  .aor = "sip:alice@example.com", .user = "alice", .password = "pw",
 *		  .ev = &events, .arg = app });
 *	ms_ua_register(ua, "sip:192.0.2.1", 3600, on_registered, app);
 *	ms_ua_call_new(&call, ua, "sip:bob@192.0.2.1", sdp, &call_events, app);
 *	ev_run(loop, 0);
 *
 * Callbacks. Every callback gets the user pointer given with the object or
 * operation it reports on, and runs on the loop: never from inside the
 * ms_ua_* call that started the operation. A start function that fails
 * (a negative return) never calls its callback. From inside a callback a
 * user may call any ms_ua_* function of the same UA, ms_ua_call_free() of
 * the call reported on included, but not ms_ua_free().
 *
 * Lifetimes. The user owns the UA (ms_ua_free) and every call: those it
 * made with ms_ua_call_new() and those the incoming event hands it; each
 * is freed with ms_ua_call_free(), also after its ended or failed event.
 * No callback of a call comes after ms_ua_call_free(), none of the UA,
 * its registration or its requests after ms_ua_free(). ms_ua_free() frees
 * the calls still there (their handles become invalid) and does not
 * block: a UA that should leave its registrar clean calls
 * ms_ua_unregister() and runs the loop until its callback first.
 * Strings and messages passed to callbacks are valid for the call only;
 * arguments given to ms_ua_* functions are copied where they are kept.
 *
 * Limits. At most cfg->max_calls calls (MS_UA_MAX_CALLS unless set; an
 * incoming INVITE over it gets 486, ms_ua_call_new() MS_EAGAIN) and
 * MS_UA_MAX_REQUESTS ms_ua_request()s waiting for their answer
 * (MS_EAGAIN); one registration at a time. Nothing queues without bound.
 * What arrives finds its call through an index by Call-ID: the cost per
 * message does not grow with the number of calls.
 *
 * Host names. A registrar, request or call URI (or the outbound proxy)
 * that names a host is looked up first (A and AAAA: RFC 3263 §4 without
 * NAPTR and SRV, on worker threads, moonsip/resolve.h); a name with no
 * address the UA can reach gives the callback 503. Targets inside a dialog
 * (Contact, Record-Route) must be addresses.
 *
 * Not covered (yet): forked INVITEs (only the first remote tag is
 * followed; 2xx of other forks are ACKed by nobody), PRACK, UPDATE,
 * session timers, TLS client certificates per UA. */
#ifndef MOONSIP_UA_H
#define MOONSIP_UA_H

#include "moonsip/base.h"
#include "moonsip/log.h"
#include "moonsip/msg.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ev_loop;
struct ms_stack;
struct ms_ua;
struct ms_ua_call;

/* The default of ms_ua_config.max_calls. */
#define MS_UA_MAX_CALLS 64
#define MS_UA_MAX_REQUESTS 64

/* Events of the UA itself. Any may be NULL. */
struct ms_ua_events {
	/* A new INVITE outside any dialog. 'call' is the user's from now on
	 * (ms_ua_call_free); set its events with ms_ua_call_set_events(),
	 * then ring, answer or reject it, here or later. 'invite' is valid
	 * for the call only. NULL: every INVITE gets 480. */
	void (*incoming)(struct ms_ua *ua, struct ms_ua_call *call, struct ms_msg *invite, void *arg);
	/* A MESSAGE (RFC 3428) outside a dialog, answered 200 by the UA:
	 * 'from' is the From header's value, 'content_type' the
	 * Content-Type's (empty when none). */
	void (*message)(struct ms_ua *ua, struct ms_str from, struct ms_str content_type, struct ms_str body,
			void *arg);
};

struct ms_ua_config {
	struct ev_loop *loop;        /* required */
	const char *const *listen;   /* required: NULL-terminated specs, "udp:127.0.0.1:0" */
	const char *aor;             /* required: the address of record, "sip:alice@example.com" */
	const char *user, *password; /* digest credentials; NULL: challenges are not answered */
	const char *display;         /* display name in From; NULL: none */
	const char *user_agent;      /* User-Agent header; NULL: none */
	/* A proxy every request outside a dialog goes to, as a Route with
	 * ;lr ("sip:192.0.2.1:5060"); NULL: straight to the Request-URI. */
	const char *outbound_proxy;
	struct ms_logger log;
	const struct ms_ua_events *ev; /* may be NULL */
	void *arg;                     /* passed to ev's callbacks */
	uint32_t t1;                   /* RFC 3261 T1 in ms (0: 500) */
	/* Calls at most at once, outgoing and incoming together, counted from
	 * ms_ua_call_new() or the incoming event until ms_ua_call_free()
	 * (0: MS_UA_MAX_CALLS). A load generator or a gateway sets it to
	 * thousands; each call up costs memory (see BENCHMARKS.md). */
	unsigned max_calls;
};

/* A UA with a stack of its own on cfg->loop, listening on every spec of
 * cfg->listen. Its Contact is its first listener's address and port, with
 * the AOR's user and ;transport= for TCP and TLS. 0, or MS_EINVAL (a
 * missing field, an AOR that is no sip/sips URI, a listener that cannot be
 * opened: logged), MS_ENOMEM. */
MS_API int ms_ua_new(struct ms_ua **out, const struct ms_ua_config *cfg);
/* Frees the UA, its stack, its registration state, its pending requests
 * and the calls still there, without callbacks and without sending
 * anything (no BYE, no un-REGISTER). Not from inside a callback of this
 * UA. NULL is ignored. */
MS_API void ms_ua_free(struct ms_ua *ua);
/* The UA's stack (for ms_stack_local() and statistics); the UA's. */
MS_API struct ms_stack *ms_ua_stack(struct ms_ua *ua);
/* The Contact value the UA puts in its requests and answers:
 * "<sip:alice@127.0.0.1:5062>". Valid while the UA is. */
MS_API struct ms_str ms_ua_contact(const struct ms_ua *ua);

/* Registration (RFC 3261 §10.2). 'status' is the final status: 200 (and
 * 'expires' the seconds the registrar granted) after each successful
 * REGISTER, the first and every refresh; or the failure (a status >= 300
 * other than an answered challenge or 423, 408 for no answer, 503 for a
 * transport error), after which the UA refreshes no more. For an
 * un-REGISTER: 200 with expires 0, or its failure. */
typedef void (*ms_ua_register_cb)(struct ms_ua *ua, unsigned status, uint32_t expires, void *arg);

/* Registers the AOR at 'registrar_uri' ("sip:192.0.2.1"), asking for
 * 'expires' seconds (0: 3600): a REGISTER with the AOR in From and To, the
 * UA's Contact and Expires. A 401 or 407 is answered once per nonce with
 * the credentials (new CSeq); a 423 is retried once with its
 * Min-Expires. On a 200 the granted time is the expires parameter of our
 * Contact in it, else its Expires header, else what was asked, and the UA
 * registers again at half of it (at least 1 s later), with the same
 * Call-ID and the next CSeq, until ms_ua_unregister() or a failure.
 * Replaces a registration already running (at the new registrar; no
 * un-REGISTER is sent for the old one). MS_EINVAL for a bad URI,
 * MS_ENOTSUP for a transport the UA has not, MS_ENOMEM. */
MS_API int ms_ua_register(struct ms_ua *ua, const char *registrar_uri, uint32_t expires, ms_ua_register_cb cb,
			  void *arg);
/* Stops refreshing and sends a REGISTER with Expires: 0 for our Contact to
 * the registrar of the last ms_ua_register(); 'cb' gets its final status
 * (the registration's callback is called no more). MS_ENOENT when there
 * was no registration. */
MS_API int ms_ua_unregister(struct ms_ua *ua, ms_ua_register_cb cb, void *arg);

/* Requests outside a dialog (OPTIONS, MESSAGE, ...): the final status and
 * the response (NULL for 408 when no answer came and 503 for a transport
 * error; valid for the call only). */
typedef void (*ms_ua_request_cb)(struct ms_ua *ua, unsigned status, struct ms_msg *resp, void *arg);
/* Sends 'method' (not INVITE, ACK, CANCEL, REGISTER, BYE) to 'uri' from
 * the AOR, with 'body' of 'content_type' when body is not NULL; a 401 or
 * 407 is answered once per nonce. MS_EINVAL for such a method or a bad
 * URI, MS_ENOTSUP for a transport the UA has not, MS_EAGAIN at MS_UA_MAX_REQUESTS,
 * MS_ENOMEM. */
MS_API int ms_ua_request(struct ms_ua *ua, const char *method, const char *uri, const char *content_type,
			 const char *body, ms_ua_request_cb cb, void *arg);

/* Why a call ended. */
enum ms_ua_end {
	MS_UA_END_LOCAL,     /* our BYE was answered, or got no answer */
	MS_UA_END_REMOTE,    /* the peer sent BYE */
	MS_UA_END_CANCELLED, /* incoming: the caller cancelled before the answer */
	MS_UA_END_TIMEOUT,   /* incoming: our 2xx got no ACK (a BYE was sent) */
};

/* Events of a call. Any may be NULL. 'sdp' is the body's SDP (empty when
 * none), valid for the call only. */
struct ms_ua_call_events {
	/* Outgoing: a provisional response (not 100). */
	void (*progress)(struct ms_ua_call *c, unsigned status, struct ms_str sdp, void *arg);
	/* Outgoing: the 2xx came; the UA sent the ACK. */
	void (*answered)(struct ms_ua_call *c, struct ms_str sdp, void *arg);
	/* Outgoing: the INVITE failed with a final status >= 300 (487 after
	 * ms_ua_call_cancel), 408 without an answer, 503 on a transport
	 * error. The call is over. */
	void (*failed)(struct ms_ua_call *c, unsigned status, void *arg);
	/* Incoming: the ACK for our 2xx came. */
	void (*confirmed)(struct ms_ua_call *c, void *arg);
	/* Either side: a re-INVITE came with this offer (or none); answer it
	 * with ms_ua_call_answer(). Without this event it is answered 200
	 * with the last SDP this side sent. */
	void (*reinvite)(struct ms_ua_call *c, struct ms_str sdp, void *arg);
	/* Either side: the final answer to our ms_ua_call_reinvite(); on a
	 * 2xx the UA sent the ACK and 'sdp' is the answer. */
	void (*reinvite_done)(struct ms_ua_call *c, unsigned status, struct ms_str sdp, void *arg);
	/* The call that was up (or an incoming one not yet answered) ended.
	 * No more events follow. */
	void (*ended)(struct ms_ua_call *c, enum ms_ua_end why, void *arg);
};

/* Calls 'target_uri' ("sip:bob@192.0.2.1:5060"): an INVITE with 'sdp' as
 * its offer (NULL: no body), the UA's Contact, to the target or the
 * outbound proxy. A 401 or 407 is answered once per nonce (a new INVITE,
 * CSeq + 1, same Call-ID and From tag). The call's events go to 'ev' with
 * 'arg'. MS_EINVAL for a bad URI, MS_ENOTSUP for a transport the UA has not, MS_EAGAIN at
 * the UA's max_calls, MS_ENOMEM. */
MS_API int ms_ua_call_new(struct ms_ua_call **out, struct ms_ua *ua, const char *target_uri, const char *sdp,
			  const struct ms_ua_call_events *ev, void *arg);
/* Sets the events of a call (for an incoming one, in the incoming event). */
MS_API void ms_ua_call_set_events(struct ms_ua_call *c, const struct ms_ua_call_events *ev, void *arg);
/* Outgoing, before the final response: sends CANCEL (once a provisional
 * response came; before, the CANCEL goes when one comes). The INVITE then
 * fails, usually with 487; a 2xx that crossed the CANCEL gives answered,
 * then the UA hangs up (ended follows). An outgoing call rings until it
 * is answered, rejected or cancelled: the UA sets no limit of its own.
 * MS_EINVAL when the call is answered or over. */
MS_API int ms_ua_call_cancel(struct ms_ua_call *c);
/* A call that is up: sends BYE in the dialog; ended(MS_UA_END_LOCAL)
 * follows when it is answered or times out. MS_EINVAL when not up. */
MS_API int ms_ua_call_hangup(struct ms_ua_call *c);
/* A call that is up: a re-INVITE with the new offer 'sdp' (NULL: none);
 * reinvite_done gets the answer. MS_EAGAIN while another INVITE of the
 * call, either way, is unanswered (RFC 3261 §14.1); MS_EINVAL when not up. */
MS_API int ms_ua_call_reinvite(struct ms_ua_call *c, const char *sdp);
/* Incoming, unanswered: 180 Ringing with the UA's To tag. */
MS_API int ms_ua_call_ring(struct ms_ua_call *c);
/* Incoming, unanswered: 200 with 'sdp' (NULL: no body) and the Contact,
 * sent again (T1 doubling up to 4 s) until the ACK, which gives the
 * confirmed event; no ACK within 64*T1 sends BYE and gives
 * ended(MS_UA_END_TIMEOUT). Also answers a re-INVITE received (after the
 * reinvite event). MS_EINVAL when there is nothing to answer. */
MS_API int ms_ua_call_answer(struct ms_ua_call *c, const char *sdp);
/* Incoming, unanswered: a final 'code' 300..699 with 'reason' (NULL: the
 * standard phrase). No event follows. MS_EINVAL otherwise. */
MS_API int ms_ua_call_reject(struct ms_ua_call *c, unsigned code, const char *reason);
/* Frees the call; no callback follows. A call still up is hung up (BYE,
 * no event), an outgoing one that had a provisional response is
 * cancelled (one with none yet is only forgotten: a 2xx that still comes
 * gets no ACK), an incoming one unanswered gets 480. NULL is ignored. */
MS_API void ms_ua_call_free(struct ms_ua_call *c);
/* Whether the call is outgoing. */
MS_API bool ms_ua_call_is_outgoing(const struct ms_ua_call *c);
/* The dialog's Call-ID (empty before there is one). */
MS_API struct ms_str ms_ua_call_id(const struct ms_ua_call *c);

#ifdef __cplusplus
}
#endif
#endif
