/* Incoming calls: the INVITE handed to the user, its answers (ringing,
 * the 2xx sent again until the ACK, a rejection), and a CANCEL before the
 * answer (487 to the INVITE). */
#include <string.h>

#include "moonsip/edit.h"
#include "ua/ua_call.h"

static void refuse(struct ms_stxn *st, unsigned code)
{
	ms_stxn_respond(st, code, MS_STR_NULL, MS_STR("nocall"));
}

void ms__ua_call_incoming(struct ms_ua *ua, struct ms_stxn *st, struct ms_msg *req)
{
	if (!ua->ev || !ua->ev->incoming) {
		refuse(st, 480);
		return;
	}
	struct ms_ua_call *c = ms__ua_call_alloc(ua, false);
	if (!c) {
		refuse(st, 486);
		return;
	}
	char tag[48];
	ms__ua_token(ua, tag, sizeof tag);
	int rc = ms_dialog_uas_new(&c->dlg, req, (struct ms_str){ tag, strlen(tag) }, ms_ua_contact(ua),
				   false);
	const struct ms_cseq *cs = ms_msg_cseq(req);
	if (rc < 0 || !cs) {
		refuse(st, rc == MS_ENOMEM ? 500 : 400);
		ms_ua_call_free(c);
		return;
	}
	ms__ua_call_index(c, ms_dialog_call_id(c->dlg));
	c->state = MS__CALL_EARLY;
	c->st = st;
	c->st_cseq = cs->num;
	ms_stxn_set_cb(st, ms__ua_call_on_stxn, c);
	ms__ua_call_hold(c);
	ua->ev->incoming(ua, c, req, ua->arg);
	ms__ua_call_put(c);
}

/* A response to the INVITE being answered, with our tag, Contact and
 * 'sdp', sent (and kept in c->resp for a 2xx). */
static int answer(struct ms_ua_call *c, unsigned code, struct ms_str reason, struct ms_str sdp)
{
	struct ms_msg req;
	struct ms_buf b;
	struct ms_str inv = ms_stxn_request(c->st);
	ms_msg_init(&req);
	ms_buf_init(&b);
	int rc = ms_msg_parse(&req, inv.s, inv.len, MS_PARSE_DGRAM) < 0 ? MS_EINVAL : 0;
	if (rc == 0)
		rc = ms__ua_build_answer(c->ua, &b, &req, code, reason, ms_dialog_local_tag(c->dlg), sdp);
	if (rc == 0) {
		rc = ms_stxn_reply(c->st, b.data, b.len);
		if (rc < 0 && rc != MS_EINVAL && rc != MS_ENOENT && rc != MS_ENOMEM)
			rc = 0; /* the transport refused it now: sent again as if it went */
	}
	if (rc == 0 && code >= 200 && code < 300) {
		ms_buf_free(&c->resp);
		c->resp = b;
		ms_buf_init(&b);
	}
	ms_buf_free(&b);
	ms_msg_free(&req);
	return rc;
}

static bool unanswered(const struct ms_ua_call *c)
{
	return !c->outgoing && c->state == MS__CALL_EARLY && c->st && ms_stxn_status(c->st) < 200;
}

int ms_ua_call_ring(struct ms_ua_call *c)
{
	if (!unanswered(c))
		return MS_EINVAL;
	return answer(c, 180, MS_STR_NULL, MS_STR_NULL);
}

static bool reinvite_unanswered(const struct ms_ua_call *c)
{
	return c->st && c->st_reinvite && ms_stxn_status(c->st) < 200;
}

int ms__ua_call_answer_2xx(struct ms_ua_call *c)
{
	bool reinvite = reinvite_unanswered(c);
	int rc = answer(c, 200, MS_STR_NULL, (struct ms_str){ c->local_sdp.data, c->local_sdp.len });
	if (rc)
		return rc;
	if (!reinvite) {
		ms_dialog_uas_confirm(c->dlg);
		c->state = MS__CALL_ANSWERED;
	}
	ms__ua_call_retx_start(c);
	return 0;
}

int ms_ua_call_answer(struct ms_ua_call *c, const char *sdp)
{
	if (!unanswered(c) && !reinvite_unanswered(c))
		return MS_EINVAL;
	int rc = ms__ua_set_sdp(&c->local_sdp, sdp);
	return rc ? rc : ms__ua_call_answer_2xx(c);
}

int ms_ua_call_reject(struct ms_ua_call *c, unsigned code, const char *reason)
{
	if (!unanswered(c) || code < 300 || code > 699)
		return MS_EINVAL;
	struct ms_str r = reason ? (struct ms_str){ reason, strlen(reason) } : MS_STR_NULL;
	int rc = answer(c, code, r, MS_STR_NULL);
	if (rc)
		return rc;
	ms__ua_call_stop(c);
	return 0;
}

/* The call is looked up by the CANCEL's Call-ID, which §9.1 makes the
 * INVITE's, and then by its transaction. */
void ms__ua_call_cancelled(struct ms_ua *ua, struct ms_stxn *st, struct ms_msg *req)
{
	struct ms_stxn *inv = NULL;
	const struct ms_str *call_id = ms_msg_call_id(req);
	if (ms_stxn_cancel_target(st, &inv) < 0) {
		ms_stxn_respond(st, 481, MS_STR_NULL, MS_STR_NULL);
		return;
	}
	ms_stxn_respond(st, 200, MS_STR_NULL, MS_STR_NULL);
	if (!inv || !call_id)
		return;
	for (struct ms_ua_call *c = ms__ua_call_first(ua, *call_id); c; c = ms__ua_call_next(c)) {
		if (c->st != inv || !unanswered(c))
			continue;
		ms_stxn_respond(inv, 487, MS_STR_NULL, ms_dialog_local_tag(c->dlg));
		ms__ua_call_ended(c, MS_UA_END_CANCELLED);
		return;
	}
}
