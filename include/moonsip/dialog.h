/* moonsip: dialogs (RFC 3261 §12), the state two user agents share between
 * an INVITE and the end of the call, and the requests sent within it.
 *
 * Pure state and text: nothing here sends, resolves or runs timers. The
 * user agent (UA) parses what it receives (ms_msg_parse + ms_msg_check),
 * feeds it here, and sends what this module builds. Every string of a
 * dialog is copied into it: the messages it was made from may go.
 *
 * UAC, one INVITE sent ('inv', the parsed bytes as sent):
 *	1xx with a To tag, or 2xx, that no dialog of the call matches
 *	(ms_dialog_matches): ms_dialog_uac_new(&d, &inv, &resp), one dialog
 *	per remote tag (a forked INVITE may make several early ones);
 *	2xx of an early dialog: ms_dialog_confirm(d, &resp), then
 *	ms_dialog_ack(d, invite_cseq, &buf, NULL) and send the ACK;
 *	non-2xx final response: ms_dialog_terminate() on each early dialog.
 * UAS, one INVITE received:
 *	ms_dialog_uas_new(&d, &inv, to_tag, contact, over_tls), answer with
 *	that To tag (ms_build_response); ms_dialog_uas_confirm(d) when the 2xx
 *	goes out, ms_dialog_terminate(d) after a non-2xx final response.
 * Both sides, within the dialog:
 *	a request received: find its dialog (ms_dialog_matches), then
 *	ms_dialog_receive(d, &req) before acting on it;
 *	a request to send: ms_dialog_request(d, MS_STR("BYE"), &buf, NULL),
 *	insert a Via after the request line and send it towards
 *	ms_dialog_next_hop(); a 2xx to a re-INVITE or UPDATE sent:
 *	ms_dialog_target_refresh(d, &resp).
 *
 * Not covered: RFC 6665 (SUBSCRIBE/NOTIFY dialogs), CANCEL (built from the
 * INVITE it cancels, §9.1: ms_ctxn_cancel), the answers themselves
 * (ms_build_response with the local tag), and the UA's own rules of
 * when which request may be sent (§14.1: one INVITE at a time).
 *
 * A dialog is used from one thread. */
#ifndef MOONSIP_DIALOG_H
#define MOONSIP_DIALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "moonsip/base.h"
#include "moonsip/msg.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds on what a dialog copies: a route set of more URIs, or of more
 * bytes in all, or any one text (Call-ID, tag, From/To, Contact) longer,
 * is refused with MS_EMSGSIZE. */
#define MS_DIALOG_MAX_ROUTES 32
#define MS_DIALOG_MAX_TEXT 8192

enum ms_dialog_state {
	MS_DIALOG_EARLY,      /* made by a 1xx (UAC), or not yet answered with a 2xx (UAS) */
	MS_DIALOG_CONFIRMED,  /* a 2xx was received (UAC) or sent (UAS) */
	MS_DIALOG_TERMINATED, /* a BYE was received, or ms_dialog_terminate() */
};

struct ms_dialog;

/* UAC: the dialog a response to our INVITE makes (§12.1.2). 'invite' is
 * the INVITE as sent (with the From tag and Contact this UA chose, and no
 * To tag); 'resp' a 101-199 with a To tag (the dialog is early) or a 2xx
 * (confirmed). Local URI and tag from the INVITE's From, remote URI from
 * its To, remote tag from the response's To; local CSeq the INVITE's,
 * remote CSeq unset; route set the response's Record-Route in reverse
 * order; remote target the response's Contact URI; local contact the
 * INVITE's Contact value. A 1xx without a Contact leaves the INVITE's
 * Request-URI as the remote target until one comes. Secure when the
 * Request-URI is sips (such a request goes over TLS, §26.2.2).
 * Returns 0 with *out set (free with ms_dialog_free), or:
 * MS_EINVAL  'invite' is not an INVITE without a To tag but with a From
 *            tag; 'resp' is not a 101-299 response to it (Call-ID, From
 *            tag, CSeq), has no To tag, or is a 2xx without a Contact; a
 *            Contact that is '*' or not a sip/sips URI;
 * MS_EBADMSG From, To, Call-ID or CSeq missing or malformed, a
 *            Record-Route or Contact that does not parse;
 * MS_EMSGSIZE over the bounds above; MS_ENOMEM. */
MS_API int ms_dialog_uac_new(struct ms_dialog **out, struct ms_msg *invite, struct ms_msg *resp);

/* UAS: the dialog an INVITE received makes (§12.1.1), in the early state.
 * 'local_tag' is the To tag this UA puts into every answer to it (a
 * token); 'local_contact' the Contact value (name-addr text, as written in
 * the answers: "<sip:bob@192.0.2.20>") or empty for none; 'over_tls'
 * whether the INVITE came in over TLS. Remote URI and tag from the From
 * (a From without a tag, as RFC 2543 sent it, gives an empty remote tag),
 * local URI from the To; remote CSeq the INVITE's, local CSeq unset (0:
 * the first request sent has CSeq 1); route set the INVITE's Record-Route
 * in order; remote target its Contact URI. Secure when the Request-URI is
 * sips and 'over_tls'.
 * Returns 0 with *out set, or:
 * MS_EINVAL  not an INVITE, an INVITE with a To tag (a re-INVITE belongs
 *            to its dialog: ms_dialog_receive), without a usable Contact
 *            ('*', not sip/sips), or 'local_tag' not a token,
 *            'local_contact' not a Contact value;
 * MS_EBADMSG, MS_EMSGSIZE, MS_ENOMEM as for ms_dialog_uac_new. */
MS_API int ms_dialog_uas_new(struct ms_dialog **out, struct ms_msg *invite, struct ms_str local_tag,
			     struct ms_str local_contact, bool over_tls);

/* Frees a dialog and every string it holds. NULL is ignored. */
MS_API void ms_dialog_free(struct ms_dialog *d);

/* UAC: the 2xx to the INVITE for an early dialog (§13.2.2.4). Its route
 * set (Record-Route reversed) replaces the one the 1xx gave, even when
 * empty, and its Contact gives the remote target; the dialog is
 * confirmed. On a confirmed dialog (a retransmitted 2xx) nothing changes
 * and 0 is returned. On failure the dialog is unchanged:
 * MS_EINVAL  a UAS or terminated dialog; 'resp' not a 2xx to an INVITE,
 *            not of this dialog (ms_dialog_matches: a 2xx with another
 *            To tag makes a dialog of its own), without a usable Contact;
 * MS_EBADMSG, MS_EMSGSIZE, MS_ENOMEM as for ms_dialog_uac_new. */
MS_API int ms_dialog_confirm(struct ms_dialog *d, struct ms_msg *resp);

/* UAS: the 2xx to the INVITE is being sent: the dialog is confirmed (a UA
 * that waits for the ACK tracks that itself). MS_EINVAL for a UAC or
 * terminated dialog; 0 on a confirmed one. */
MS_API int ms_dialog_uas_confirm(struct ms_dialog *d);

/* The dialog ends: after a BYE this UA sent (whatever its answer), a
 * non-2xx final response to the INVITE (UAC early dialogs, or the one a
 * UAS answered), a timeout or a 481 to a request within it. A BYE
 * received ends it in ms_dialog_receive() already. Afterwards requests
 * are refused and ms_dialog_receive() returns MS_ENOENT. */
MS_API void ms_dialog_terminate(struct ms_dialog *d);

/* Whether a message belongs to this dialog (§12.2): a request received
 * when its Call-ID is the dialog's, its To tag the local tag and its From
 * tag the remote tag; a response when its Call-ID matches, its From tag
 * is the local tag and its To tag the remote tag. So each early dialog of
 * a forked INVITE matches only the responses of its own remote tag, and
 * a response without a To tag (a 100) matches no UAC dialog. Call-IDs
 * compare byte by byte, tags without case (§7.3.1: they are tokens). */
MS_API bool ms_dialog_matches(const struct ms_dialog *d, struct ms_msg *m);

/* A request received within the dialog (§12.2.2), before the UA acts on
 * it. Checks its CSeq against the remote CSeq, which it then takes; a
 * target refresh request (INVITE, UPDATE) with a Contact updates the
 * remote target; a BYE terminates the dialog (the UA still answers it
 * 200). An ACK is accepted when its number is that of an INVITE received
 * (not above the remote CSeq) and changes nothing; a CANCEL is the
 * transaction layer's and changes nothing (0). Returns 0, or, with the
 * dialog unchanged:
 * MS_ERANGE  out of order: a number lower than the remote CSeq, or equal
 *            to it for anything but ACK (a retransmission the transaction
 *            layer absorbs never gets here). Answer 500 (§12.2.2); an ACK
 *            gets no answer: drop it;
 * MS_ENOENT  the dialog is terminated: answer 481;
 * MS_EBADMSG a target refresh whose Contact is '*', not sip/sips or does
 *            not parse: answer 400;
 * MS_EINVAL  not a request, or not of this dialog (ms_dialog_matches);
 * MS_EMSGSIZE, MS_ENOMEM (a new remote target that cannot be kept). */
MS_API int ms_dialog_receive(struct ms_dialog *d, struct ms_msg *req);

/* The sender of a target refresh, either side: a 2xx to a re-INVITE or
 * UPDATE this UA sent in the dialog gives the remote target its Contact
 * (§12.2.1.2). For the 2xx that confirms a UAC dialog, use
 * ms_dialog_confirm(). On failure the dialog is unchanged: MS_EINVAL for
 * a terminated dialog, a message that is not a 2xx to INVITE or UPDATE
 * of this dialog, or has no usable Contact; MS_EBADMSG (a Contact that
 * does not parse), MS_EMSGSIZE, MS_ENOMEM. */
MS_API int ms_dialog_target_refresh(struct ms_dialog *d, struct ms_msg *resp);

/* What a request built here carries besides the dialog's headers. Any of
 * it may be empty, and the whole of it NULL. */
struct ms_dialog_extra {
	/* A Contact value, written as given ("<sip:alice@192.0.2.10>").
	 * Empty: a target refresh (INVITE, UPDATE) gets the dialog's local
	 * contact, other methods none. */
	struct ms_str contact;
	/* More header fields: name, value, name, value, ..., NULL. Names
	 * the dialog writes itself (Via, From, To, Call-ID, CSeq,
	 * Max-Forwards, Route, Contact, Content-Type, Content-Length) are
	 * refused. */
	const char *const *headers;
	struct ms_str body;
	struct ms_str content_type; /* required with a body */
};

/* Appends a request within the dialog (§12.2.1.1) to 'out': the request
 * line, Max-Forwards: 70, the Route fields, From with the local URI and
 * tag, To with the remote URI and tag, Call-ID, CSeq with the local CSeq
 * plus one (which the dialog then keeps), Contact (see above), the extra
 * fields, Content-Type and Content-Length, and the body.
 *
 * There is NO Via: the stack writes it when it sends (ms_stack_via), and
 * it goes right after the request line, which ends at the first CRLF of
 * what was appended.
 *
 * Routing: with an empty route set the Request-URI is the remote target.
 * When the first route has ;lr (a loose router) the Request-URI is the
 * remote target and the Route fields the whole route set; otherwise
 * (strict routing, RFC 2543) the Request-URI is the first route and the
 * Route fields the rest of the set followed by the remote target. A
 * Request-URI loses the parameters and headers a Request-URI may not
 * carry (method, ?headers; §19.1.1). Either way the request goes to
 * ms_dialog_next_hop().
 *
 * ACK and CANCEL are refused: an ACK to a 2xx is ms_dialog_ack(); a
 * CANCEL is no request within the dialog (§9.1: built from the request
 * it cancels, with its CSeq number). On failure 'out' and the dialog are
 * as they were:
 * MS_EINVAL  ACK, CANCEL, a method that is not a token, a terminated
 *            dialog, a refused or malformed extra header, a body without
 *            a content type, a value with CR or LF;
 * MS_ERANGE  the local CSeq is at 2^32-1 and cannot grow; MS_ENOMEM. */
MS_API int ms_dialog_request(struct ms_dialog *d, struct ms_str method, struct ms_buf *out,
			     const struct ms_dialog_extra *extra);

/* Appends the ACK to a 2xx of an INVITE of this dialog (§13.2.2.4): as
 * ms_dialog_request(), but with CSeq 'invite_cseq' ACK (the INVITE's
 * number) and no change to the local CSeq. Send it again, as it is, on
 * each retransmission of that 2xx. MS_EINVAL when the dialog is not
 * confirmed (call ms_dialog_confirm() with the 2xx first) or invite_cseq
 * is 0 or above the local CSeq, and as ms_dialog_request(). */
MS_API int ms_dialog_ack(struct ms_dialog *d, uint32_t invite_cseq, struct ms_buf *out,
			 const struct ms_dialog_extra *extra);

/* Where requests within the dialog go: the first route, or the remote
 * target when the route set is empty (resolve it with RFC 3263 rules; use
 * TLS when ms_dialog_secure()). The slice is the dialog's, valid until
 * the route set or remote target next changes or the dialog is freed. */
MS_API void ms_dialog_next_hop(const struct ms_dialog *d, struct ms_str *uri);

/* Accessors. Slices point into the dialog: the Call-ID, tags, URIs and
 * local contact for its whole life, the remote target and routes until
 * ms_dialog_confirm(), ms_dialog_receive() or ms_dialog_target_refresh()
 * changes them. */
MS_API enum ms_dialog_state ms_dialog_state(const struct ms_dialog *d);
MS_API bool ms_dialog_is_uac(const struct ms_dialog *d);
/* §12.1.1: requests within the dialog go over TLS with sips URIs. */
MS_API bool ms_dialog_secure(const struct ms_dialog *d);
MS_API struct ms_str ms_dialog_call_id(const struct ms_dialog *d);
MS_API struct ms_str ms_dialog_local_tag(const struct ms_dialog *d);
/* Empty for a UAS dialog with an RFC 2543 peer whose From had no tag. */
MS_API struct ms_str ms_dialog_remote_tag(const struct ms_dialog *d);
/* The From (local) and To (remote) of our requests without their tags:
 * "Alice <sip:alice@atlanta.example.com>", with any other parameters. */
MS_API struct ms_str ms_dialog_local_uri(const struct ms_dialog *d);
MS_API struct ms_str ms_dialog_remote_uri(const struct ms_dialog *d);
/* The remote target: the URI of the peer's last Contact. */
MS_API struct ms_str ms_dialog_remote_target(const struct ms_dialog *d);
/* The Contact value this UA gave (empty when none). */
MS_API struct ms_str ms_dialog_local_contact(const struct ms_dialog *d);
/* The CSeq number of the last request this UA sent (0: none yet). */
MS_API uint32_t ms_dialog_local_cseq(const struct ms_dialog *d);
/* The CSeq number of the last request the peer sent; MS_ENOENT while
 * unset (a UAC dialog before the peer's first request). */
MS_API int ms_dialog_remote_cseq(const struct ms_dialog *d, uint32_t *out);
/* The route set in the order requests carry it: URIs without <>. Item i
 * of 0..count-1; an empty slice past the end. */
MS_API unsigned ms_dialog_route_count(const struct ms_dialog *d);
MS_API struct ms_str ms_dialog_route(const struct ms_dialog *d, unsigned i);

#ifdef __cplusplus
}
#endif
#endif
