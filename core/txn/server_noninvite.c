/* The non-INVITE server transaction (§17.2.2):
 *
 *	Trying --1xx--> Proceeding --200-699--> Completed --J--> Terminated
 *	   \____________200-699___________/
 *
 * A retransmitted request is absorbed in Trying (the TU has said nothing
 * yet) and answered with the last response after; Timer J keeps the final
 * response for retransmissions over unreliable transports. */
#include "txn/txn_private.h"

void ms__stxn_ni_start(struct ms_stxn *st)
{
	st->t.state = MS__TXN_TRYING;
}

void ms__stxn_ni_request(struct ms_stxn *st)
{
	struct ms__txn *t = &st->t;
	if (t->state != MS__TXN_PROCEEDING && t->state != MS__TXN_COMPLETED)
		return;
	int rc = ms__txn_send(t, t->aux);
	if (rc)
		ms__txn_fail(t, rc);
}

int ms__stxn_ni_reply(struct ms_stxn *st, unsigned status)
{
	struct ms__txn *t = &st->t;
	int rc = ms__txn_send(t, t->aux);
	if (status < 200) {
		t->state = MS__TXN_PROCEEDING;
	} else {
		t->state = MS__TXN_COMPLETED;
		/* Zero over a reliable transport still goes through the timer:
		 * the end, and its callback, come after the TU's call returns. */
		ms__txn_timer_start(t, &t->end, t->reliable ? 0 : ms__txn_64t1(t));
	}
	return rc;
}

void ms__stxn_ni_timer(struct ms_stxn *st, struct ms_txn_timer *tm)
{
	if (tm == &st->t.end)
		ms__txn_terminate(&st->t);
}
