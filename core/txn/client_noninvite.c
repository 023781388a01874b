/* The non-INVITE client transaction (§17.1.2):
 *
 *	Trying --1xx--> Proceeding --200-699--> Completed --K--> Terminated
 *	   \_____________200-699___________/
 *	   F (408) from Trying or Proceeding
 *
 * Timer E retransmits over unreliable transports, doubling up to T2, and
 * at T2 once a provisional response said the request arrived; Timer F gives
 * up; Timer K absorbs retransmitted final responses for T4. */
#include "txn/txn_private.h"

void ms__ctxn_ni_response(struct ms_ctxn *ct, struct ms_msg *m)
{
	struct ms__txn *t = &ct->t;
	unsigned s = m->status;
	if (t->state != MS__TXN_TRYING && t->state != MS__TXN_PROCEEDING)
		return; /* Completed: a retransmitted final, absorbed */
	t->status = s;
	if (s < 200) {
		t->state = MS__TXN_PROCEEDING;
	} else {
		t->state = MS__TXN_COMPLETED;
		ms__txn_timer_stop(t, &t->retx);
		ms__txn_timer_start(t, &t->end, t->reliable ? 0 : t->layer->cfg.t4);
	}
	ms__ctxn_report(ct, s, m);
}

void ms__ctxn_ni_timer(struct ms_ctxn *ct, struct ms_txn_timer *tm)
{
	struct ms__txn *t = &ct->t;
	const struct ms_txn_config *c = &t->layer->cfg;
	if (tm == &t->retx) {
		int rc = ms__txn_send(t, t->req);
		if (rc) {
			ms__txn_fail(t, rc);
			return;
		}
		if (t->state == MS__TXN_PROCEEDING)
			t->retx_ms = c->t2;
		else
			t->retx_ms = t->retx_ms * 2 < c->t2 ? t->retx_ms * 2 : c->t2;
		ms__txn_timer_start(t, &t->retx, t->retx_ms);
		return;
	}
	if (t->state != MS__TXN_COMPLETED)
		ms__ctxn_report(ct, 408, NULL);
	ms__txn_terminate(t);
}
