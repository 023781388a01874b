/* Within a call's dialog: the ACK for a 2xx, BYE and re-INVITE either
 * way, and what arrives in the dialog (ACK, BYE, re-INVITE, OPTIONS). */
#include <string.h>

#include "moonsip/edit.h"
#include "ua/ua_call.h"

int ms__ua_call_dlg_send(struct ms_ua_call *c, struct ms__ua_out *o, const char *method, struct ms_str sdp)
{
	struct ms_dialog_extra x = { .body = sdp,
				     .content_type = sdp.len ? MS_STR("application/sdp") : MS_STR_NULL };
	struct ms_str hop;
	ms__ua_out_free(o);
	ms__ua_out_init(o, c->ua, o->cb, c);
	int rc = ms_dialog_request(c->dlg, (struct ms_str){ method, strlen(method) }, &o->head, &x);
	ms_dialog_next_hop(c->dlg, &hop);
	if (rc == 0)
		rc = ms__ua_out_start(o, hop);
	return rc;
}

int ms__ua_call_ack(struct ms_ua_call *c, uint32_t cseq)
{
	struct ms_buf head;
	struct ms_str hop;
	bool udp_only = false;
	ms_buf_init(&head);
	ms_dialog_next_hop(c->dlg, &hop);
	int rc = ms_dialog_ack(c->dlg, cseq, &head, NULL);
	if (rc == 0)
		rc = ms__ua_peer(hop, &c->ack_dst, &udp_only);
	if (rc == 0)
		rc = ms__ua_with_via(c->ua, &head, &c->ack_dst, udp_only, &c->ack);
	ms_buf_free(&head);
	if (rc)
		return rc;
	c->ack_cseq = cseq;
	ms_txn_send(ms_stack_txn(c->ua->stack), &c->ack_dst, c->ack.data, c->ack.len);
	return 0;
}

void ms__ua_call_bye_quiet(struct ms_ua_call *c)
{
	struct ms__ua_out o;
	ms__ua_out_init(&o, c->ua, NULL, c);
	struct ms_str hop;
	ms_dialog_next_hop(c->dlg, &hop);
	if (ms_dialog_request(c->dlg, MS_STR("BYE"), &o.head, NULL) == 0 && ms__ua_out_start(&o, hop) == 0) {
		ms_ctxn_release(o.ct); /* nobody waits for its answer */
		o.ct = NULL;
	}
	ms__ua_out_free(&o);
	ms_dialog_terminate(c->dlg);
}

int ms_ua_call_hangup(struct ms_ua_call *c)
{
	if (c->state != MS__CALL_UP && c->state != MS__CALL_ANSWERED)
		return MS_EINVAL;
	int rc = ms__ua_call_dlg_send(c, &c->bye, "BYE", MS_STR_NULL);
	if (rc)
		return rc;
	ev_timer_stop(c->ua->loop, &c->retx);
	c->wait_ack = false;
	c->state = MS__CALL_BYE;
	return 0;
}

int ms_ua_call_reinvite(struct ms_ua_call *c, const char *sdp)
{
	if (c->state != MS__CALL_UP)
		return MS_EINVAL;
	if (c->rinv_pending || (c->st && ms_stxn_status(c->st) < 200))
		return MS_EAGAIN;
	struct ms_buf keep = c->local_sdp;
	ms_buf_init(&c->local_sdp);
	int rc = ms__ua_set_sdp(&c->local_sdp, sdp);
	if (rc == 0)
		rc = ms__ua_call_dlg_send(c, &c->rinv, "INVITE",
					  (struct ms_str){ c->local_sdp.data, c->local_sdp.len });
	if (rc) {
		ms_buf_free(&c->local_sdp);
		c->local_sdp = keep;
		return rc;
	}
	ms_buf_free(&keep);
	c->rinv_pending = true;
	return 0;
}

static struct ms_ua_call *find(struct ms_ua *ua, struct ms_msg *m)
{
	const struct ms_str *call_id = ms_msg_call_id(m);
	if (!call_id)
		return NULL;
	for (struct ms_ua_call *c = ms__ua_call_first(ua, *call_id); c; c = ms__ua_call_next(c))
		if (c->dlg && ms_dialog_matches(c->dlg, m))
			return c;
	return NULL;
}

static void got_ack(struct ms_ua_call *c, struct ms_msg *ack)
{
	const struct ms_cseq *cs = ms_msg_cseq(ack);
	if (!c->wait_ack || !cs || cs->num != c->st_cseq)
		return;
	c->wait_ack = false;
	ev_timer_stop(c->ua->loop, &c->retx);
	if (c->state != MS__CALL_ANSWERED)
		return; /* the ACK of a re-INVITE's 2xx */
	c->state = MS__CALL_UP;
	ms__ua_call_hold(c);
	if (c->ev && c->ev->confirmed)
		c->ev->confirmed(c, c->arg);
	ms__ua_call_put(c);
}

static void got_reinvite(struct ms_ua_call *c, struct ms_stxn *st, struct ms_msg *req)
{
	const struct ms_cseq *cs = ms_msg_cseq(req);
	c->st = st;
	c->st_reinvite = true;
	c->st_cseq = cs ? cs->num : 0;
	ms_stxn_set_cb(st, ms__ua_call_on_stxn, c);
	if (!c->ev || !c->ev->reinvite) {
		ms__ua_call_answer_2xx(c); /* with the last SDP we sent */
		return;
	}
	ms__ua_call_hold(c);
	c->ev->reinvite(c, ms__ua_sdp(req), c->arg);
	ms__ua_call_put(c);
}

static void in_dialog(struct ms_ua_call *c, struct ms_stxn *st, struct ms_msg *req)
{
	bool busy = c->rinv_pending || (c->st && ms_stxn_status(c->st) < 200);
	if (req->method == MS_METHOD_INVITE && (busy || c->state != MS__CALL_UP)) {
		ms_stxn_respond(st, 491, MS_STR_NULL, MS_STR_NULL); /* §14.2 */
		return;
	}
	int rc = ms_dialog_receive(c->dlg, req);
	if (rc < 0) {
		unsigned code = rc == MS_ENOENT ? 481 : rc == MS_EBADMSG ? 400 : 500;
		ms_stxn_respond(st, code, MS_STR_NULL, MS_STR_NULL);
		return;
	}
	if (req->method == MS_METHOD_BYE) {
		ms_stxn_respond(st, 200, MS_STR_NULL, MS_STR_NULL);
		if (c->state == MS__CALL_BYE) /* both hung up: ours still ends it */
			return;
		ms__ua_out_free(&c->rinv);
		c->rinv_pending = false;
		ms__ua_call_ended(c, MS_UA_END_REMOTE);
	} else if (req->method == MS_METHOD_INVITE) {
		got_reinvite(c, st, req);
	} else {
		ms_stxn_respond(st, req->method == MS_METHOD_OPTIONS ? 200 : 405, MS_STR_NULL, MS_STR_NULL);
	}
}

int ms__ua_call_in_dialog(struct ms_ua *ua, struct ms_stxn *st, struct ms_msg *req)
{
	struct ms_ua_call *c = find(ua, req);
	if (!c)
		return MS_ENOENT;
	if (req->method == MS_METHOD_ACK) {
		if (ms_dialog_receive(c->dlg, req) == 0)
			got_ack(c, req);
		return 0;
	}
	in_dialog(c, st, req);
	return 0;
}

void ms__ua_call_stray(struct ms_ua *ua, struct ms_msg *resp)
{
	const struct ms_cseq *cs = ms_msg_cseq(resp);
	if (!cs || cs->method != MS_METHOD_INVITE || resp->status < 200 || resp->status >= 300)
		return;
	struct ms_ua_call *c = find(ua, resp);
	if (c && c->ack.len && cs->num == c->ack_cseq)
		ms_txn_send(ms_stack_txn(ua->stack), &c->ack_dst, c->ack.data, c->ack.len);
}
