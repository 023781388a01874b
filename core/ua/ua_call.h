/* A call's state, shared by ua_call.c (life and the outgoing INVITE),
 * ua_call_in.c (the incoming INVITE and its answers) and ua_call_dlg.c
 * (requests within the dialog). */
#ifndef MS_CORE_UA_CALL_H
#define MS_CORE_UA_CALL_H

#include "ua/ua_private.h"

enum ms__ua_call_state {
	MS__CALL_CALLING,  /* outgoing: INVITE sent, nothing back yet */
	MS__CALL_EARLY,    /* outgoing: a 1xx came; incoming: not answered yet */
	MS__CALL_ANSWERED, /* incoming: our 2xx went, the ACK did not come yet */
	MS__CALL_UP,       /* confirmed */
	MS__CALL_BYE,      /* our BYE is out */
	MS__CALL_OVER,
};

struct ms_ua_call {
	struct ms_ua *ua;
	struct ms_ua_call *next, **pprev;
	struct ms__txn_node by_call_id; /* in ua->by_call_id from the Call-ID's choice on */
	const struct ms_ua_call_events *ev;
	void *arg;
	bool outgoing;
	bool cancel_wanted; /* ms_ua_call_cancel before any 1xx */
	bool freed;         /* ms_ua_call_free from inside one of its callbacks */
	unsigned busy;      /* callbacks running */
	enum ms__ua_call_state state;
	struct ms_dialog *dlg;
	struct ms_buf local_sdp; /* the last SDP this side sent */

	/* Our INVITE and re-INVITE, and the ACK of the last 2xx we got. */
	struct ms__ua_out inv, rinv, bye;
	bool rinv_pending;
	struct ms_buf ack; /* with its Via, to send again */
	uint32_t ack_cseq;
	struct ms_txn_peer ack_dst;

	/* The INVITE (first or re-INVITE) we answer, and our 2xx to it,
	 * sent again until the ACK. */
	struct ms_stxn *st;
	bool st_reinvite, wait_ack;
	uint32_t st_cseq;
	struct ms_buf resp;
	ev_timer retx;
	uint32_t retx_ms, retx_total;
};

void ms__ua_call_hold(struct ms_ua_call *c);
/* Ends a hold; frees a call that was freed meanwhile. */
void ms__ua_call_put(struct ms_ua_call *c);
struct ms_ua_call *ms__ua_call_alloc(struct ms_ua *ua, bool outgoing);
/* Enters the call into the UA's index under its Call-ID (once). */
void ms__ua_call_index(struct ms_ua_call *c, struct ms_str call_id);
/* The first call of the index chain 'call_id' falls in (NULL: none), and
 * the next one of that chain with the same hash: callers compare. */
struct ms_ua_call *ms__ua_call_first(struct ms_ua *ua, struct ms_str call_id);
struct ms_ua_call *ms__ua_call_next(struct ms_ua_call *c);
/* Stops what runs and sends nothing more: the call is over. */
void ms__ua_call_stop(struct ms_ua_call *c);
/* Reports the end (once) and stops the call. */
void ms__ua_call_ended(struct ms_ua_call *c, enum ms_ua_end why);
/* A server transaction's events, for the handles a call keeps. */
void ms__ua_call_on_stxn(struct ms_stxn *st, unsigned status, void *arg);
void ms__ua_call_stxn_ignore(struct ms_stxn *st, unsigned status, void *arg);
/* A client transaction whose answer nobody waits for (a CANCEL). */
void ms__ua_ctxn_ignore(struct ms_ctxn *ct, unsigned status, struct ms_msg *resp, void *arg);
/* Answers the INVITE being answered with 200 and c->local_sdp. */
int ms__ua_call_answer_2xx(struct ms_ua_call *c);
/* The SDP of a message, or empty. */
struct ms_str ms__ua_sdp(struct ms_msg *m);
int ms__ua_set_sdp(struct ms_buf *b, const char *sdp);

/* ua_call_dlg.c */
/* A request within the dialog (BYE, re-INVITE), with its Via, to the
 * dialog's next hop, in o. */
int ms__ua_call_dlg_send(struct ms_ua_call *c, struct ms__ua_out *o, const char *method, struct ms_str sdp);
/* The ACK for the 2xx to INVITE 'cseq', sent and kept. */
int ms__ua_call_ack(struct ms_ua_call *c, uint32_t cseq);
/* A BYE whose answer nobody waits for. */
void ms__ua_call_bye_quiet(struct ms_ua_call *c);
/* Starts sending our 2xx (kept in c->resp) again until the ACK. */
void ms__ua_call_retx_start(struct ms_ua_call *c);

#endif
