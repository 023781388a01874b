/* The INVITE server transaction (§17.2.1, with RFC 6026 §8.7):
 *
 *	Proceeding --300-699--> Completed --ACK--> Confirmed --I--> Terminated
 *	    \                     H (408 to the TU)
 *	     \___2xx___> Accepted --L--> Terminated
 *
 * In Proceeding a 100 Trying goes out after 200 ms unless the TU spoke
 * first, and a retransmitted INVITE gets the last provisional response
 * again. In Completed Timer G retransmits the final response over
 * unreliable transports (doubling up to T2) until the ACK comes, and Timer
 * H gives up waiting for it. In Accepted the 2xx and its retransmissions
 * are the TU's: the transaction absorbs retransmitted INVITEs, passes ACKs
 * up, and Timer L keeps it matching for 64*T1. */
#include "txn/txn_private.h"

void ms__stxn_invite_start(struct ms_stxn *st)
{
	st->t.state = MS__TXN_PROCEEDING;
	ms__txn_timer_start(&st->t, &st->t.retx, MS__TXN_TRYING_MS);
}

/* Sends the kept response again; a transport failure ends the
 * transaction. */
static void resend(struct ms__txn *t)
{
	int rc = t->aux.s ? ms__txn_send(t, t->aux) : 0;
	if (rc)
		ms__txn_fail(t, rc);
}

void ms__stxn_invite_request(struct ms_stxn *st)
{
	/* Proceeding: the last provisional, if any; Completed: the final.
	 * Confirmed and Accepted absorb it. */
	if (st->t.state == MS__TXN_PROCEEDING || st->t.state == MS__TXN_COMPLETED)
		resend(&st->t);
}

void ms__stxn_invite_ack(struct ms_stxn *st, struct ms_msg *ack, const struct ms_txn_peer *src)
{
	struct ms__txn *t = &st->t;
	if (t->state == MS__TXN_COMPLETED) {
		t->state = MS__TXN_CONFIRMED;
		ms__txn_timer_stop(t, &t->retx);
		ms__txn_timer_start(t, &t->end, t->reliable ? 0 : t->layer->cfg.t4);
	} else if (t->state == MS__TXN_ACCEPTED) {
		t->layer->cfg.request_cb(st, ack, src, t->layer->cfg.arg);
	}
}

int ms__stxn_invite_reply(struct ms_stxn *st, unsigned status)
{
	struct ms__txn *t = &st->t;
	if (t->state == MS__TXN_ACCEPTED)
		return ms__txn_send(t, t->aux); /* the TU retransmits its 2xx */
	ms__txn_timer_stop(t, &t->retx);
	int rc = ms__txn_send(t, t->aux);
	if (status < 200)
		return rc;
	if (status < 300) {
		t->state = MS__TXN_ACCEPTED;
	} else {
		t->state = MS__TXN_COMPLETED;
		if (!t->reliable) {
			t->retx_ms = t->layer->cfg.t1;
			ms__txn_timer_start(t, &t->retx, t->retx_ms);
		}
	}
	ms__txn_timer_start(t, &t->end, ms__txn_64t1(t)); /* L or H */
	return rc;
}

/* The 100 Trying the TU did not send in time, built from the request. */
static void send_trying(struct ms_stxn *st)
{
	struct ms_buf b;
	ms_buf_init(&b);
	if (ms__stxn_build(st, &b, 100, MS_STR_NULL, MS_STR_NULL) == 0 &&
	    ms__txn_keep(&st->t.aux, b.data, b.len) == 0) {
		st->t.status = 100;
		resend(&st->t);
	}
	ms_buf_free(&b);
}

void ms__stxn_invite_timer(struct ms_stxn *st, struct ms_txn_timer *tm)
{
	struct ms__txn *t = &st->t;
	const struct ms_txn_config *c = &t->layer->cfg;
	if (tm == &t->retx) {
		if (t->state == MS__TXN_PROCEEDING) {
			send_trying(st);
		} else if (t->state == MS__TXN_COMPLETED) {
			t->retx_ms = t->retx_ms * 2 < c->t2 ? t->retx_ms * 2 : c->t2;
			ms__txn_timer_start(t, &t->retx, t->retx_ms);
			resend(t);
		}
		return;
	}
	/* H: the ACK never came; I and L: the waiting is over. */
	if (t->state == MS__TXN_COMPLETED)
		ms__stxn_report(st, 408);
	ms__txn_terminate(t);
}
