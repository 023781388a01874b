/* The client machines (§17.1) on the fake clock: every state and timer of
 * the INVITE and non-INVITE client transactions, retransmission times to
 * the millisecond, and the ACK they build. */
#include "moonsip/txn.h"
#include "test.h"
#include "test_txn.h"

/* One layer on a fake, one client transaction to 'tp'. */
struct cworld {
	struct fake f;
	struct stu s;
	struct ms_txn_layer *l;
	struct ms_txn_peer dst;
	char branch[MS_TXN_BRANCH_SIZE];
	char req[2048];
	size_t len;
	struct ctu c;
	struct ms_ctxn *ct;
};

static void start(struct cworld *w, const char *method, enum ms_proto tp)
{
	memset(w, 0, sizeof *w);
	fake_init(&w->f);
	w->l = fake_layer(&w->f, &w->s, 0, 0, 0);
	peer_v4(&w->dst, tp, "192.0.2.10", 5060);
	ASSERT_INT(ms_txn_branch(w->l, w->branch), MS_TXN_BRANCH_SIZE - 1);
	w->len = make_request(w->req, sizeof w->req, method, w->branch, 1, "");
	w->c.f = &w->f;
	ASSERT_INT(ms_ctxn_new(&w->ct, w->l, w->req, w->len, &w->dst, ctu_cb, &w->c), 0);
	w->c.ct = w->ct;
	ASSERT_INT(w->f.nsent, 1);
	ASSERT_STR(((struct ms_str){ w->f.sent[0].data, w->f.sent[0].len }), w->req);
}

static void finish(struct cworld *w)
{
	ms_txn_layer_free(w->l);
	fake_free(&w->f);
}

static struct ms_str sreq(struct cworld *w)
{
	return (struct ms_str){ w->req, w->len };
}

static void expect_send_times(const struct fake *f, const uint64_t *at, size_t n)
{
	ASSERT_INT(f->nsent, n);
	for (size_t i = 0; i < n; i++)
		ASSERT_INT(f->sent[i].at, at[i]);
}

TEST(txn_cinv_unreliable_a_doubles_until_b)
{
	struct cworld w;
	start(&w, "INVITE", MS_PROTO_UDP);
	fake_advance(&w.f, 31999);
	ASSERT_INT(w.c.n, 0);
	fake_advance(&w.f, 60000);
	/* A at T1, 2T1, 4T1, ... with no cap at T2; B at 64*T1. */
	static const uint64_t at[] = { 0, 500, 1500, 3500, 7500, 15500, 31500 };
	expect_send_times(&w.f, at, 7);
	for (size_t i = 0; i < w.f.nsent; i++)
		ASSERT_STR(fake_line(&w.f, i), "INVITE sip:bob@biloxi.example.com SIP/2.0");
	ASSERT_INT(w.c.n, 2);
	ASSERT_INT(w.c.status[0], 408);
	ASSERT_INT(w.c.at[0], 32000);
	ASSERT(!w.c.had_msg[0]);
	ASSERT_INT(w.c.status[1], MS_TXN_TERMINATED);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	ASSERT_INT(fake_armed(&w.f), 0);
	finish(&w);
}

TEST(txn_cinv_t1_configurable)
{
	struct cworld w;
	memset(&w, 0, sizeof w);
	fake_init(&w.f);
	w.l = fake_layer(&w.f, &w.s, 100, 400, 1000);
	peer_v4(&w.dst, MS_PROTO_UDP, "192.0.2.10", 5060);
	ms_txn_branch(w.l, w.branch);
	w.len = make_request(w.req, sizeof w.req, "INVITE", w.branch, 1, "");
	w.c.f = &w.f;
	ASSERT_INT(ms_ctxn_new(&w.ct, w.l, w.req, w.len, &w.dst, ctu_cb, &w.c), 0);
	fake_advance(&w.f, 10000);
	static const uint64_t at[] = { 0, 100, 300, 700, 1500, 3100, 6300 };
	expect_send_times(&w.f, at, 7);
	ASSERT_INT(w.c.status[0], 408);
	ASSERT_INT(w.c.at[0], 6400);
	finish(&w);
}

TEST(txn_cinv_reliable_no_retransmission)
{
	struct cworld w;
	start(&w, "INVITE", MS_PROTO_TCP);
	fake_advance(&w.f, 100000);
	ASSERT_INT(w.f.nsent, 1);
	ASSERT_INT(w.c.n, 2);
	ASSERT_INT(w.c.status[0], 408);
	ASSERT_INT(w.c.at[0], 32000);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	finish(&w);
}

TEST(txn_cinv_provisional_stops_a_and_b)
{
	struct cworld w;
	start(&w, "INVITE", MS_PROTO_UDP);
	fake_advance(&w.f, 600);
	ASSERT_INT(w.f.nsent, 2);
	ASSERT_INT(respond(w.l, sreq(&w), 100, "", &w.dst), 1);
	ASSERT_INT(respond(w.l, sreq(&w), 180, "b1", &w.dst), 1);
	ASSERT_INT(w.c.n, 2);
	ASSERT_INT(w.c.status[0], 100);
	ASSERT_INT(w.c.status[1], 180);
	ASSERT(w.c.had_msg[1]);
	fake_advance(&w.f, 100000);
	ASSERT_INT(w.f.nsent, 2); /* no more A */
	ASSERT_INT(w.c.n, 2);     /* and no B: Proceeding waits for the TU */
	ASSERT_INT(ms_txn_layer_count(w.l), 1);
	ASSERT_INT(fake_armed(&w.f), 0);
	/* The final response still comes through. */
	ASSERT_INT(respond(w.l, sreq(&w), 486, "b1", &w.dst), 1);
	ASSERT_INT(w.c.status[2], 486);
	finish(&w);
}

TEST(txn_cinv_non2xx_ack_and_timer_d)
{
	struct cworld w;
	char want[2048];
	start(&w, "INVITE", MS_PROTO_UDP);
	fake_advance(&w.f, 100);
	ASSERT_INT(respond(w.l, sreq(&w), 486, "xyz", &w.dst), 1);
	ASSERT_INT(w.c.n, 1);
	ASSERT_INT(w.c.status[0], 486);
	ASSERT_INT(w.f.nsent, 2);
	snprintf(want, sizeof want,
		 "ACK sip:bob@biloxi.example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP pc33.atlanta.example.com:5062;branch=%s\r\n"
		 "Max-Forwards: 70\r\n"
		 "Route: <sip:p1.example.com;lr>\r\n"
		 "Route: <sip:p2.example.com;lr>\r\n"
		 "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
		 "To: Bob <sip:bob@biloxi.example.com>;tag=xyz\r\n"
		 "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
		 "CSeq: 1 ACK\r\n"
		 "Content-Length: 0\r\n\r\n",
		 w.branch);
	ASSERT_STR(((struct ms_str){ w.f.sent[1].data, w.f.sent[1].len }), want);
	ASSERT_INT(peer_port(&w.f.sent[1].dst), 5060);
	/* A is over; a retransmitted final gets the ACK again, not the TU. */
	fake_advance(&w.f, 10000);
	ASSERT_INT(w.f.nsent, 2);
	ASSERT_INT(respond(w.l, sreq(&w), 486, "xyz", &w.dst), 1);
	ASSERT_INT(w.f.nsent, 3);
	ASSERT_STR(((struct ms_str){ w.f.sent[2].data, w.f.sent[2].len }), want);
	ASSERT_INT(w.c.n, 1);
	/* Timer D: 32 s after the final response. */
	fake_advance(&w.f, 32000 - 10000 - 1);
	ASSERT_INT(ms_txn_layer_count(w.l), 1);
	fake_advance(&w.f, 1);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	ASSERT_INT(w.c.n, 2);
	ASSERT_INT(w.c.status[1], MS_TXN_TERMINATED);
	ASSERT_INT(w.c.at[1], 32100);
	/* Gone: a late final matches nothing. */
	ASSERT_INT(respond(w.l, sreq(&w), 486, "xyz", &w.dst), 0);
	finish(&w);
}

TEST(txn_cinv_reliable_timer_d_zero)
{
	struct cworld w;
	start(&w, "INVITE", MS_PROTO_TLS);
	ASSERT_INT(respond(w.l, sreq(&w), 180, "t", &w.dst), 1);
	ASSERT_INT(respond(w.l, sreq(&w), 603, "t", &w.dst), 1);
	ASSERT_INT(w.f.nsent, 2); /* the INVITE and its ACK */
	ASSERT_STR(fake_line(&w.f, 1), "ACK sip:bob@biloxi.example.com SIP/2.0");
	ASSERT_INT(w.c.n, 2);
	/* Ends when the timers run, not inside the receive. */
	ASSERT_INT(ms_txn_layer_count(w.l), 1);
	fake_advance(&w.f, 0);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	ASSERT_INT(w.c.status[2], MS_TXN_TERMINATED);
	finish(&w);
}

TEST(txn_cinv_2xx_accepted_timer_m)
{
	struct cworld w;
	start(&w, "INVITE", MS_PROTO_UDP);
	fake_advance(&w.f, 1000);
	ASSERT_INT(respond(w.l, sreq(&w), 200, "fork1", &w.dst), 1);
	ASSERT_INT(w.c.n, 1);
	ASSERT_INT(w.c.status[0], 200);
	/* No ACK from the transaction, no more retransmissions. */
	fake_advance(&w.f, 20000);
	ASSERT_INT(w.f.nsent, 2);
	/* Accepted: a retransmitted 2xx and another fork's 2xx go up. */
	ASSERT_INT(respond(w.l, sreq(&w), 200, "fork1", &w.dst), 1);
	ASSERT_INT(respond(w.l, sreq(&w), 200, "fork2", &w.dst), 1);
	ASSERT_INT(respond(w.l, sreq(&w), 180, "fork3", &w.dst), 1);
	ASSERT_INT(respond(w.l, sreq(&w), 486, "fork3", &w.dst), 1);
	ASSERT_INT(w.c.n, 3);
	ASSERT_INT(ctu_count(&w.c, 200), 3);
	ASSERT_INT(w.f.nsent, 2);
	/* Timer M: 64*T1 after the first 2xx. */
	fake_advance(&w.f, 32000 - 20000 - 1);
	ASSERT_INT(ms_txn_layer_count(w.l), 1);
	fake_advance(&w.f, 1);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	ASSERT_INT(w.c.status[3], MS_TXN_TERMINATED);
	ASSERT_INT(w.c.at[3], 33000);
	finish(&w);
}

TEST(txn_cinv_release_silences)
{
	struct cworld w;
	start(&w, "INVITE", MS_PROTO_UDP);
	w.c.release_on_final = true;
	ASSERT_INT(respond(w.l, sreq(&w), 404, "x", &w.dst), 1);
	ASSERT_INT(w.c.n, 1);
	fake_advance(&w.f, 40000);
	ASSERT_INT(w.c.n, 1); /* no MS_TXN_TERMINATED after a release */
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	finish(&w);
}

TEST(txn_cinv_release_before_response)
{
	struct cworld w;
	start(&w, "INVITE", MS_PROTO_UDP);
	ms_ctxn_release(w.ct);
	fake_advance(&w.f, 1000);
	ASSERT_INT(w.f.nsent, 2); /* it runs on */
	ASSERT_INT(respond(w.l, sreq(&w), 500, "x", &w.dst), 1);
	ASSERT_INT(w.f.nsent, 3); /* and still ACKs */
	ASSERT_INT(w.c.n, 0);
	fake_advance(&w.f, 40000);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	finish(&w);
}

TEST(txn_cni_e_doubles_to_t2_until_f)
{
	struct cworld w;
	start(&w, "OPTIONS", MS_PROTO_UDP);
	fake_advance(&w.f, 100000);
	static const uint64_t at[] = { 0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500 };
	expect_send_times(&w.f, at, 11);
	ASSERT_INT(w.c.n, 2);
	ASSERT_INT(w.c.status[0], 408);
	ASSERT_INT(w.c.at[0], 32000);
	ASSERT(!w.c.had_msg[0]);
	ASSERT_INT(w.c.status[1], MS_TXN_TERMINATED);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	finish(&w);
}

TEST(txn_cni_provisional_e_at_t2)
{
	struct cworld w;
	start(&w, "REGISTER", MS_PROTO_UDP);
	fake_advance(&w.f, 600);
	ASSERT_INT(respond(w.l, sreq(&w), 100, "", &w.dst), 1);
	ASSERT_INT(w.c.status[0], 100);
	ASSERT_INT(respond(w.l, sreq(&w), 183, "", &w.dst), 1);
	ASSERT_INT(w.c.status[1], 183);
	fake_advance(&w.f, 20000 - 600);
	/* E was due at 1500 already; from there on it runs at T2. */
	static const uint64_t at[] = { 0, 500, 1500, 5500, 9500, 13500, 17500 };
	expect_send_times(&w.f, at, 7);
	/* F still runs in Proceeding. */
	fake_advance(&w.f, 12000);
	ASSERT_INT(w.c.n, 4);
	ASSERT_INT(w.c.status[2], 408);
	ASSERT_INT(w.c.at[2], 32000);
	finish(&w);
}

TEST(txn_cni_final_timer_k)
{
	struct cworld w;
	start(&w, "BYE", MS_PROTO_UDP);
	fake_advance(&w.f, 700);
	ASSERT_INT(respond(w.l, sreq(&w), 200, "t", &w.dst), 1);
	ASSERT_INT(w.c.n, 1);
	ASSERT_INT(w.c.status[0], 200);
	ASSERT(w.c.had_msg[0]);
	fake_advance(&w.f, 1000);
	ASSERT_INT(respond(w.l, sreq(&w), 200, "t", &w.dst), 1); /* absorbed */
	ASSERT_INT(w.c.n, 1);
	ASSERT_INT(w.f.nsent, 2); /* no E after the final */
	fake_advance(&w.f, 5000 - 1000 - 1);
	ASSERT_INT(ms_txn_layer_count(w.l), 1);
	fake_advance(&w.f, 1); /* K = T4 */
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	ASSERT_INT(w.c.status[1], MS_TXN_TERMINATED);
	ASSERT_INT(w.c.at[1], 5700);
	finish(&w);
}

TEST(txn_cni_reliable_k_zero_and_f)
{
	struct cworld w;
	start(&w, "MESSAGE", MS_PROTO_TCP);
	fake_advance(&w.f, 10000);
	ASSERT_INT(w.f.nsent, 1);
	ASSERT_INT(respond(w.l, sreq(&w), 202, "", &w.dst), 1);
	ASSERT_INT(ms_txn_layer_count(w.l), 1);
	fake_advance(&w.f, 0);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	finish(&w);

	start(&w, "MESSAGE", MS_PROTO_TLS);
	fake_advance(&w.f, 40000);
	ASSERT_INT(w.f.nsent, 1);
	ASSERT_INT(w.c.status[0], 408);
	ASSERT_INT(w.c.at[0], 32000);
	finish(&w);
}

TEST(txn_cni_extension_method)
{
	struct cworld w;
	start(&w, "FOO", MS_PROTO_UDP);
	ASSERT_INT(respond(w.l, sreq(&w), 501, "", &w.dst), 1);
	ASSERT_INT(w.c.status[0], 501);
	finish(&w);
}

TEST(txn_ctxn_new_refuses)
{
	struct cworld w;
	char req[2048];
	struct ms_ctxn *ct = NULL;
	start(&w, "INVITE", MS_PROTO_UDP);
	/* The same branch and method again. */
	ASSERT_INT(ms_ctxn_new(&ct, w.l, w.req, w.len, &w.dst, ctu_cb, &w.c), MS_EINVAL);
	/* No magic cookie. */
	size_t n = make_request(req, sizeof req, "OPTIONS", "abc123", 1, "");
	ASSERT_INT(ms_ctxn_new(&ct, w.l, req, n, &w.dst, ctu_cb, &w.c), MS_EINVAL);
	/* An ACK is not a transaction. */
	n = make_request(req, sizeof req, "ACK", "z9hG4bKack1", 1, "t");
	ASSERT_INT(ms_ctxn_new(&ct, w.l, req, n, &w.dst, ctu_cb, &w.c), MS_EINVAL);
	/* Not a message. */
	ASSERT_INT(ms_ctxn_new(&ct, w.l, "hello", 5, &w.dst, ctu_cb, &w.c), MS_EINVAL);
	ASSERT(ct == NULL);
	ASSERT_INT(ms_txn_layer_count(w.l), 1);
	finish(&w);
}

TEST(txn_cinv_cancel)
{
	struct cworld w;
	struct ctu cc = { 0 };
	struct ms_ctxn *cancel;
	start(&w, "INVITE", MS_PROTO_UDP);
	ASSERT_INT(ms_ctxn_cancel(&cancel, w.ct, ctu_cb, &cc), MS_EAGAIN);
	ASSERT_INT(respond(w.l, sreq(&w), 180, "u", &w.dst), 1);
	ASSERT_INT(ms_ctxn_cancel(&cancel, w.ct, ctu_cb, &cc), 0);
	ASSERT_INT(w.f.nsent, 2);
	struct ms_str c = { w.f.sent[1].data, w.f.sent[1].len };
	struct ms_msg m;
	ASSERT_STR(fake_line(&w.f, 1), "CANCEL sip:bob@biloxi.example.com SIP/2.0");
	ASSERT(contains(header_of(c, MS_HDR_VIA, &m), w.branch));
	ASSERT_STR(header_of(c, MS_HDR_CSEQ, &m), "1 CANCEL");
	ASSERT_STR(header_of(c, MS_HDR_TO, &m), "Bob <sip:bob@biloxi.example.com>");
	ASSERT_INT(ms_msg_hdr_count(&m, MS_HDR_ROUTE), 2);
	ms_msg_free(&m);
	/* The 200 for the CANCEL goes to the CANCEL, the 487 to the INVITE. */
	ASSERT_INT(respond(w.l, c, 200, "u", &w.dst), 1);
	ASSERT_INT(cc.n, 1);
	ASSERT_INT(cc.status[0], 200);
	ASSERT_INT(w.c.n, 1);
	ASSERT_INT(respond(w.l, sreq(&w), 487, "u", &w.dst), 1);
	ASSERT_INT(w.c.status[1], 487);
	ASSERT_INT(cc.n, 1);
	struct ms_ctxn *again;
	ASSERT_INT(ms_ctxn_cancel(&again, w.ct, ctu_cb, &cc), MS_EINVAL);
	fake_advance(&w.f, 40000);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	ASSERT_INT(cc.status[1], MS_TXN_TERMINATED);
	finish(&w);
}
