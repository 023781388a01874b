/* Calls: their life (made, held across callbacks, freed), and the
 * outgoing INVITE: early dialog on a 1xx with a To tag, the ACK of the 2xx
 * sent by the UA (it is no part of the transaction, §13.2.2.4) and sent
 * again for each retransmitted 2xx, CANCEL. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/siphash.h"
#include "moonsip/edit.h"
#include "ua/ua_call.h"

struct ms_str ms__ua_sdp(struct ms_msg *m)
{
	struct ms_str s = MS_STR_NULL;
	if (!m || ms_msg_sdp(m, &s) < 0)
		return MS_STR_NULL;
	return s;
}

int ms__ua_set_sdp(struct ms_buf *b, const char *sdp)
{
	b->len = 0;
	return sdp ? ms_buf_addz(b, sdp) : 0;
}

void ms__ua_call_hold(struct ms_ua_call *c)
{
	c->busy++;
}

static void call_release(struct ms_ua_call *c)
{
	ms_buf_free(&c->local_sdp);
	ms_buf_free(&c->ack);
	ms_buf_free(&c->resp);
	ms__free(c);
}

void ms__ua_call_put(struct ms_ua_call *c)
{
	if (--c->busy == 0 && c->freed)
		call_release(c);
}

static void on_inv(struct ms__ua_out *o, unsigned status, struct ms_msg *resp);
static void on_rinv(struct ms__ua_out *o, unsigned status, struct ms_msg *resp);
static void on_bye(struct ms__ua_out *o, unsigned status, struct ms_msg *resp);

static void on_retx(struct ev_loop *loop, ev_timer *w, int revents);
static void ack_timeout(struct ms_ua_call *c);

void ms__ua_ctxn_ignore(struct ms_ctxn *ct, unsigned status, struct ms_msg *resp, void *arg)
{
	(void)ct;
	(void)status;
	(void)resp;
	(void)arg;
}

static uint64_t call_id_hash(const struct ms_ua *ua, struct ms_str call_id)
{
	struct ms__sip s;
	ms__sip_init(&s, ua->hash_key);
	ms__sip_add(&s, call_id.s, call_id.len, false); /* Call-IDs compare case-sensitively */
	return ms__sip_end(&s);
}

void ms__ua_call_index(struct ms_ua_call *c, struct ms_str call_id)
{
	if (!c->by_call_id.pprev)
		ms__txn_map_add(&c->ua->by_call_id, &c->by_call_id, call_id_hash(c->ua, call_id));
}

static struct ms_ua_call *same_hash(struct ms__txn_node *n, uint64_t hash)
{
	for (; n; n = n->next)
		if (n->hash == hash)
			return (struct ms_ua_call *)(void *)((char *)n -
							     offsetof(struct ms_ua_call, by_call_id));
	return NULL;
}

struct ms_ua_call *ms__ua_call_first(struct ms_ua *ua, struct ms_str call_id)
{
	uint64_t h = call_id_hash(ua, call_id);
	return same_hash(ms__txn_map_chain(&ua->by_call_id, h), h);
}

struct ms_ua_call *ms__ua_call_next(struct ms_ua_call *c)
{
	return same_hash(c->by_call_id.next, c->by_call_id.hash);
}

struct ms_ua_call *ms__ua_call_alloc(struct ms_ua *ua, bool outgoing)
{
	if (ua->ncalls >= ua->max_calls)
		return NULL;
	struct ms_ua_call *c = ms__calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->ua = ua;
	c->outgoing = outgoing;
	ms_buf_init(&c->local_sdp);
	ms_buf_init(&c->ack);
	ms_buf_init(&c->resp);
	ms__ua_out_init(&c->inv, ua, on_inv, c);
	ms__ua_out_init(&c->rinv, ua, on_rinv, c);
	ms__ua_out_init(&c->bye, ua, on_bye, c);
	ev_timer_init(&c->retx, on_retx, 0, 0);
	c->retx.data = c;
	c->next = ua->calls;
	if (c->next)
		c->next->pprev = &c->next;
	c->pprev = &ua->calls;
	ua->calls = c;
	ua->ncalls++;
	return c;
}

void ms__ua_call_stxn_ignore(struct ms_stxn *st, unsigned status, void *arg)
{
	(void)st;
	(void)status;
	(void)arg;
}

void ms__ua_call_on_stxn(struct ms_stxn *st, unsigned status, void *arg)
{
	struct ms_ua_call *c = arg;
	if (status != MS_TXN_TERMINATED || st != c->st)
		return;
	c->st = NULL;
	if (c->wait_ack) /* Timer L ended the transaction before our timer fired */
		ack_timeout(c);
}

/* Unlinks and lets go of everything: transactions released, timers
 * stopped, the server transaction's events no longer ours. */
static void detach(struct ms_ua_call *c)
{
	ev_timer_stop(c->ua->loop, &c->retx);
	ms__ua_out_free(&c->inv);
	ms__ua_out_free(&c->rinv);
	ms__ua_out_free(&c->bye);
	if (c->st)
		ms_stxn_set_cb(c->st, ms__ua_call_stxn_ignore, NULL);
	c->st = NULL;
	ms_dialog_free(c->dlg);
	c->dlg = NULL;
	if (c->by_call_id.pprev)
		ms__txn_map_del(&c->ua->by_call_id, &c->by_call_id);
	if (c->pprev) {
		*c->pprev = c->next;
		if (c->next)
			c->next->pprev = c->pprev;
		c->pprev = NULL;
		c->ua->ncalls--;
	}
}

void ms__ua_call_stop(struct ms_ua_call *c)
{
	c->state = MS__CALL_OVER;
	ev_timer_stop(c->ua->loop, &c->retx);
	c->wait_ack = false;
	if (c->dlg)
		ms_dialog_terminate(c->dlg);
}

void ms__ua_call_ended(struct ms_ua_call *c, enum ms_ua_end why)
{
	if (c->state == MS__CALL_OVER)
		return;
	ms__ua_call_stop(c);
	ms__ua_call_hold(c);
	if (c->ev && c->ev->ended)
		c->ev->ended(c, why, c->arg);
	ms__ua_call_put(c);
}

/* What a call still running is owed when its user lets go of it. */
static void wind_down(struct ms_ua_call *c)
{
	struct ms_ctxn *cancel;
	if (c->state == MS__CALL_UP || c->state == MS__CALL_ANSWERED)
		ms__ua_call_bye_quiet(c);
	else if (c->outgoing && c->state <= MS__CALL_EARLY && c->inv.ct &&
		 ms_ctxn_cancel(&cancel, c->inv.ct, ms__ua_ctxn_ignore, NULL) == 0)
		ms_ctxn_release(cancel);
	else if (!c->outgoing && c->state == MS__CALL_EARLY && c->st)
		ms_stxn_respond(c->st, 480, MS_STR_NULL, ms_dialog_local_tag(c->dlg));
	c->state = MS__CALL_OVER;
}

void ms_ua_call_free(struct ms_ua_call *c)
{
	if (!c || c->freed)
		return;
	wind_down(c);
	detach(c);
	c->freed = true;
	if (!c->busy)
		call_release(c);
}

void ms__ua_call_free_all(struct ms_ua *ua)
{
	while (ua->calls) {
		struct ms_ua_call *c = ua->calls;
		detach(c); /* nothing is sent: the stack goes next */
		c->freed = true;
		if (!c->busy)
			call_release(c);
	}
}

void ms_ua_call_set_events(struct ms_ua_call *c, const struct ms_ua_call_events *ev, void *arg)
{
	c->ev = ev;
	c->arg = arg;
}

bool ms_ua_call_is_outgoing(const struct ms_ua_call *c)
{
	return c->outgoing;
}

struct ms_str ms_ua_call_id(const struct ms_ua_call *c)
{
	return c->dlg ? ms_dialog_call_id(c->dlg) : MS_STR_NULL;
}

/* The INVITE as it went, parsed, for the dialog to read. */
static int uac_dialog(struct ms_ua_call *c, struct ms_msg *resp)
{
	struct ms_msg inv;
	ms_msg_init(&inv);
	int rc = ms_msg_parse(&inv, c->inv.sent.data, c->inv.sent.len, MS_PARSE_DGRAM) < 0 ? MS_EINVAL : 0;
	if (rc == 0)
		rc = ms_dialog_uac_new(&c->dlg, &inv, resp);
	ms_msg_free(&inv);
	return rc;
}

static void send_cancel(struct ms_ua_call *c)
{
	struct ms_ctxn *cancel;
	if (c->inv.ct && ms_ctxn_cancel(&cancel, c->inv.ct, ms__ua_ctxn_ignore, NULL) == 0) {
		ms_ctxn_release(cancel); /* its answer tells nothing the INVITE's won't */
		c->cancel_wanted = false;
	}
}

static void provisional(struct ms_ua_call *c, unsigned status, struct ms_msg *resp)
{
	const struct ms_nameaddr *to = ms_msg_to(resp);
	if (status == 100)
		return;
	if (!c->dlg && to && to->tag.len && uac_dialog(c, resp) < 0)
		ms_log(&c->ua->log, MS_LOG_DEBUG, "ua: a 1xx that makes no dialog");
	c->state = MS__CALL_EARLY;
	if (c->cancel_wanted)
		send_cancel(c);
	ms__ua_call_hold(c);
	if (c->ev && c->ev->progress)
		c->ev->progress(c, status, ms__ua_sdp(resp), c->arg);
	ms__ua_call_put(c);
}

/* The 2xx: the dialog confirmed (or made), the ACK sent. A 2xx again (the
 * ACK was lost) gets the ACK again; another fork's is not followed. */
static void success(struct ms_ua_call *c, struct ms_msg *resp)
{
	const struct ms_cseq *cs = ms_msg_cseq(resp);
	if (c->dlg && !ms_dialog_matches(c->dlg, resp))
		return;
	if (c->state == MS__CALL_UP || c->state == MS__CALL_BYE) {
		if (cs && cs->num == c->ack_cseq && c->ack.len)
			ms_txn_send(ms_stack_txn(c->ua->stack), &c->ack_dst, c->ack.data, c->ack.len);
		return;
	}
	int rc = c->dlg ? ms_dialog_confirm(c->dlg, resp) : uac_dialog(c, resp);
	if (rc == 0 && cs)
		rc = ms__ua_call_ack(c, cs->num);
	if (rc < 0) {
		ms_log(&c->ua->log, MS_LOG_WARN, "ua: cannot confirm a 2xx: %s", ms_strerror(rc));
		return;
	}
	/* The INVITE as sent made the dialog and served the digest retries:
	 * nothing reads it again, and a call up for hours need not keep two
	 * copies of it (its transaction has its own while it lasts). */
	ms_buf_free(&c->inv.head);
	ms_buf_free(&c->inv.sent);
	bool hang_up = c->cancel_wanted; /* the 2xx crossed our CANCEL */
	c->state = MS__CALL_UP;
	ms__ua_call_hold(c);
	if (c->ev && c->ev->answered)
		c->ev->answered(c, ms__ua_sdp(resp), c->arg);
	if (!c->freed && hang_up && c->state == MS__CALL_UP)
		ms_ua_call_hangup(c);
	ms__ua_call_put(c);
}

static void failure(struct ms_ua_call *c, unsigned status)
{
	if (c->state > MS__CALL_EARLY)
		return;
	ms__ua_call_stop(c);
	ms__ua_call_hold(c);
	if (c->ev && c->ev->failed)
		c->ev->failed(c, status, c->arg);
	ms__ua_call_put(c);
}

static void on_inv(struct ms__ua_out *o, unsigned status, struct ms_msg *resp)
{
	struct ms_ua_call *c = o->owner;
	if (status == MS_TXN_TERMINATED)
		return;
	if (status < 200 && resp)
		provisional(c, status, resp);
	else if (status < 300 && resp)
		success(c, resp);
	else if (status >= 300)
		failure(c, status);
}

static void on_rinv(struct ms__ua_out *o, unsigned status, struct ms_msg *resp)
{
	struct ms_ua_call *c = o->owner;
	if (status < 200)
		return;
	const struct ms_cseq *cs = resp ? ms_msg_cseq(resp) : NULL;
	bool ok = status < 300 && resp && cs;
	if (ok && !c->rinv_pending) { /* a retransmitted 2xx */
		if (cs->num == c->ack_cseq && c->ack.len)
			ms_txn_send(ms_stack_txn(c->ua->stack), &c->ack_dst, c->ack.data, c->ack.len);
		return;
	}
	if (!c->rinv_pending)
		return;
	c->rinv_pending = false;
	if (ok && (ms_dialog_target_refresh(c->dlg, resp) < 0 || ms__ua_call_ack(c, cs->num) < 0))
		ms_log(&c->ua->log, MS_LOG_WARN, "ua: the 2xx to a re-INVITE could not be ACKed");
	ms__ua_call_hold(c);
	if (c->ev && c->ev->reinvite_done)
		c->ev->reinvite_done(c, status, ok ? ms__ua_sdp(resp) : MS_STR_NULL, c->arg);
	ms__ua_call_put(c);
}

static void on_bye(struct ms__ua_out *o, unsigned status, struct ms_msg *resp)
{
	(void)resp;
	if (status >= 200)
		ms__ua_call_ended(o->owner, MS_UA_END_LOCAL);
}

static int invite_head(struct ms_ua_call *c, struct ms_str target, const char *sdp)
{
	struct ms_ua *ua = c->ua;
	char tag[48], id[64], to[1024];
	ms__ua_token(ua, tag, sizeof tag);
	ms__ua_token(ua, id, sizeof id - 8);
	strcat(id, "@moonsip");
	int n = snprintf(to, sizeof to, "<%.*s>", (int)target.len, target.s);
	if (n < 0 || (size_t)n >= sizeof to)
		return MS_EINVAL;
	struct ms_buf *b = &c->inv.head;
	int rc = ms__ua_head(ua, b, MS_STR("INVITE"), target, (struct ms_str){ to, (size_t)n }, tag, id, 1);
	if (rc == 0)
		rc = ms_build_header(b, MS_STR("Contact"), ms_ua_contact(ua));
	if (rc == 0)
		rc = ms_build_header(b, MS_STR("Allow"), MS_STR(MS__UA_ALLOW));
	if (rc == 0)
		rc = ms__ua_set_sdp(&c->local_sdp, sdp);
	if (rc == 0) /* the dialog's Call-ID once a response makes one */
		ms__ua_call_index(c, (struct ms_str){ id, strlen(id) });
	struct ms_str body = { c->local_sdp.data, c->local_sdp.len };
	if (rc == 0)
		rc = ms_build_end(b, body, body.len ? MS_STR("application/sdp") : MS_STR_NULL);
	return rc;
}

int ms_ua_call_new(struct ms_ua_call **out, struct ms_ua *ua, const char *target_uri, const char *sdp,
		   const struct ms_ua_call_events *ev, void *arg)
{
	if (!target_uri || strpbrk(target_uri, "\r\n<>\" "))
		return MS_EINVAL;
	if (ua->ncalls >= ua->max_calls)
		return MS_EAGAIN;
	struct ms_ua_call *c = ms__ua_call_alloc(ua, true);
	if (!c)
		return MS_ENOMEM;
	c->ev = ev;
	c->arg = arg;
	struct ms_str target = { target_uri, strlen(target_uri) };
	int rc = invite_head(c, target, sdp);
	if (rc == 0)
		rc = ms__ua_out_start_named(&c->inv, ms__ua_next_hop(ua, target));
	if (rc) {
		detach(c);
		call_release(c);
		return rc;
	}
	*out = c;
	return 0;
}

int ms_ua_call_cancel(struct ms_ua_call *c)
{
	if (!c->outgoing || c->state > MS__CALL_EARLY)
		return MS_EINVAL;
	c->cancel_wanted = true;
	if (c->state == MS__CALL_EARLY)
		send_cancel(c);
	return 0;
}

/* §13.3.1.4: our 2xx got no ACK within 64*T1; the session ends with a
 * BYE (a re-INVITE's only loses its answer). */
static void ack_timeout(struct ms_ua_call *c)
{
	bool first = !c->st_reinvite;
	c->wait_ack = false;
	ev_timer_stop(c->ua->loop, &c->retx);
	ms__ua_call_bye_quiet(c);
	if (first)
		ms__ua_call_ended(c, MS_UA_END_TIMEOUT);
}

static void on_retx(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ms_ua_call *c = w->data;
	uint32_t limit = 64 * c->ua->t1;
	(void)loop;
	(void)revents;
	if (!c->wait_ack)
		return;
	if (!c->st || c->retx_total >= limit) {
		ack_timeout(c);
		return;
	}
	ms_stxn_reply(c->st, c->resp.data, c->resp.len);
	c->retx_ms = c->retx_ms * 2 < 4000 ? c->retx_ms * 2 : 4000; /* T2 */
	uint32_t next = c->retx_total + c->retx_ms > limit ? limit - c->retx_total : c->retx_ms;
	c->retx_total += next;
	ev_timer_set(&c->retx, next / 1000.0, 0);
	ev_timer_start(c->ua->loop, &c->retx);
}

void ms__ua_call_retx_start(struct ms_ua_call *c)
{
	c->wait_ack = true;
	c->retx_ms = c->ua->t1;
	c->retx_total = c->retx_ms;
	ev_timer_stop(c->ua->loop, &c->retx);
	ev_timer_set(&c->retx, c->retx_ms / 1000.0, 0);
	ev_timer_start(c->ua->loop, &c->retx);
}
