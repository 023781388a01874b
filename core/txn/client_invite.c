/* The INVITE client transaction (§17.1.1, with RFC 6026 §8.4):
 *
 *	Calling --1xx--> Proceeding --300-699--> Completed --D--> Terminated
 *	   |  \________2xx________________> Accepted --M--> Terminated
 *	   B (408)
 *
 * Timer A retransmits the INVITE over unreliable transports, doubling each
 * time; Timer B gives up; Timer D waits for retransmitted final responses
 * to answer with the ACK again; Timer M lets the 2xx of other forks reach
 * the TU. The ACK for a final non-2xx response and the CANCEL of §9.1 are
 * built here: both follow the INVITE hop by hop and copy its fields. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "moonsip/edit.h"
#include "txn/txn_private.h"

/* "name: value" with any folding of the value undone: a stored message may
 * carry folded lines, and ms_build_header takes no line ends. */
static int add(struct ms_buf *b, const char *name, struct ms_str v)
{
	size_t n = strlen(name);
	int rc = ms_buf_reserve(b, n + v.len + 4);
	if (rc)
		return rc;
	ms_buf_add(b, name, n);
	ms_buf_addz(b, ": ");
	for (size_t i = 0; i < v.len; i++)
		if (v.s[i] != '\r' && v.s[i] != '\n')
			b->data[b->len++] = v.s[i];
	ms_buf_addz(b, "\r\n");
	return 0;
}

static int add_first(struct ms_buf *b, struct ms_msg *m, enum ms_hdr_type type)
{
	const struct ms_hdr *h = ms_msg_hdr(m, type);
	return h ? add(b, ms_hdr_name(type), h->value) : MS_EINVAL;
}

/* A request that goes where the INVITE went (§17.1.1.3 for the ACK, §9.1
 * for the CANCEL): its Request-URI, its top Via only (so the response
 * matches this hop), its Route set, From, Call-ID and CSeq number, and
 * the given To. */
static int build_hop(struct ms_buf *b, struct ms_msg *inv, const char *method, struct ms_str to)
{
	char cseq[48];
	const struct ms_cseq *cs = ms_msg_cseq(inv);
	if (!cs)
		return MS_EINVAL;
	int rc = ms_build_request_line(b, (struct ms_str){ method, strlen(method) }, inv->ruri_s);
	if (rc == 0)
		rc = add_first(b, inv, MS_HDR_VIA);
	if (rc == 0)
		rc = add(b, "Max-Forwards", MS_STR("70"));
	for (const struct ms_hdr *h = ms_msg_hdr(inv, MS_HDR_ROUTE); h && rc == 0;
	     h = ms_msg_hdr_next(inv, h))
		rc = add(b, "Route", h->value);
	if (rc == 0)
		rc = add_first(b, inv, MS_HDR_FROM);
	if (rc == 0)
		rc = add(b, "To", to);
	if (rc == 0)
		rc = add_first(b, inv, MS_HDR_CALL_ID);
	int n = snprintf(cseq, sizeof cseq, "%" PRIu32 " %s", cs->num, method);
	if (rc == 0)
		rc = add(b, "CSeq", (struct ms_str){ cseq, (size_t)n });
	if (rc == 0)
		rc = ms_build_end(b, MS_STR_NULL, MS_STR_NULL);
	return rc;
}

/* Builds from the stored INVITE, parsed again: a stack message for a
 * moment costs less than a parsed copy kept by every transaction. */
static int build_from_invite(struct ms__txn *t, struct ms_buf *b, const char *method, struct ms_str to)
{
	struct ms_msg inv;
	ms_msg_init(&inv);
	int rc = ms_msg_parse(&inv, t->req.s, t->req.len, MS_PARSE_DGRAM);
	if (rc >= 0 && to.s == NULL) {
		const struct ms_hdr *h = ms_msg_hdr(&inv, MS_HDR_TO);
		to = h ? h->value : MS_STR_NULL;
	}
	rc = rc < 0 ? MS_EINVAL : build_hop(b, &inv, method, to);
	ms_msg_free(&inv);
	return rc;
}

/* The ACK for final response 'm', kept to answer its retransmissions. */
static void send_ack(struct ms__txn *t, struct ms_msg *m)
{
	struct ms_buf b;
	const struct ms_hdr *to = ms_msg_hdr(m, MS_HDR_TO);
	if (!to)
		return;
	ms_buf_init(&b);
	if (build_from_invite(t, &b, "ACK", to->value) == 0 && ms__txn_keep(&t->aux, b.data, b.len) == 0)
		ms__txn_send(t, t->aux);
	ms_buf_free(&b);
}

static void to_completed(struct ms_ctxn *ct, struct ms_msg *m)
{
	struct ms__txn *t = &ct->t;
	t->state = MS__TXN_COMPLETED;
	ms__txn_timer_stop(t, &t->retx);
	send_ack(t, m);
	ms__txn_timer_start(t, &t->end, t->reliable ? 0 : MS__TXN_TIMER_D_MS);
	ms__ctxn_report(ct, m->status, m);
}

static void to_accepted(struct ms_ctxn *ct, struct ms_msg *m)
{
	struct ms__txn *t = &ct->t;
	t->state = MS__TXN_ACCEPTED;
	ms__txn_timer_stop(t, &t->retx);
	ms__txn_timer_start(t, &t->end, ms__txn_64t1(t));
	ms__ctxn_report(ct, m->status, m);
}

void ms__ctxn_invite_response(struct ms_ctxn *ct, struct ms_msg *m)
{
	struct ms__txn *t = &ct->t;
	unsigned s = m->status;
	switch (t->state) {
	case MS__TXN_CALLING:
	case MS__TXN_PROCEEDING:
		t->status = s;
		if (s >= 300) {
			to_completed(ct, m);
		} else if (s >= 200) {
			to_accepted(ct, m);
		} else {
			/* No more retransmissions, and no Timer B: from here the
			 * TU's own timer (Timer C in a proxy) bounds the wait. */
			t->state = MS__TXN_PROCEEDING;
			ms__txn_timer_stop(t, &t->retx);
			ms__txn_timer_stop(t, &t->end);
			ms__ctxn_report(ct, s, m);
		}
		break;
	case MS__TXN_COMPLETED:
		/* The final response again: our ACK was lost. */
		if (s >= 300 && t->aux.s)
			ms__txn_send(t, t->aux);
		break;
	case MS__TXN_ACCEPTED:
		/* RFC 6026: each 2xx (a retransmission, or another fork's) is
		 * the TU's, which ACKs it. */
		if (s >= 200 && s < 300)
			ms__ctxn_report(ct, s, m);
		break;
	default: break;
	}
}

void ms__ctxn_invite_timer(struct ms_ctxn *ct, struct ms_txn_timer *tm)
{
	struct ms__txn *t = &ct->t;
	if (tm == &t->retx) {
		if (t->state != MS__TXN_CALLING)
			return;
		int rc = ms__txn_send(t, t->req);
		if (rc) {
			ms__txn_fail(t, rc);
			return;
		}
		t->retx_ms *= 2;
		ms__txn_timer_start(t, &t->retx, t->retx_ms);
		return;
	}
	if (t->state == MS__TXN_CALLING)
		ms__ctxn_report(ct, 408, NULL);
	ms__txn_terminate(t);
}

int ms_ctxn_cancel(struct ms_ctxn **out, struct ms_ctxn *invite, ms_ctxn_cb cb, void *arg)
{
	struct ms__txn *t = &invite->t;
	struct ms_buf b;
	if (t->kind != MS__CTXN_INVITE)
		return MS_EINVAL;
	if (t->state == MS__TXN_CALLING)
		return MS_EAGAIN;
	if (t->state != MS__TXN_PROCEEDING)
		return MS_EINVAL;
	ms_buf_init(&b);
	int rc = build_from_invite(t, &b, "CANCEL", MS_STR_NULL);
	if (rc == 0)
		rc = ms_ctxn_new(out, t->layer, b.data, b.len, &t->peer, cb, arg);
	ms_buf_free(&b);
	return rc;
}
