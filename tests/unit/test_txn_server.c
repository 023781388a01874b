/* The server machines (§17.2, RFC 6026) on the fake clock: 100 Trying,
 * retransmitted requests and their answers, Timers G, H, I, J, L, the ACK
 * of a non-2xx absorbed and the ACK of a 2xx passed up. */
#include "moonsip/txn.h"
#include "test.h"
#include "test_txn.h"

struct sworld {
	struct fake f;
	struct stu s;
	struct ms_txn_layer *l;
	struct ms_txn_peer src;
	char branch[64];
	char req[2048];
	size_t len;
};

/* A request from 192.0.2.20:5070 whose Via says it listens on 5062. */
static void start(struct sworld *w, const char *method, enum ms_proto tp)
{
	memset(w, 0, sizeof *w);
	fake_init(&w->f);
	w->s.want_events = true;
	w->l = fake_layer(&w->f, &w->s, 0, 0, 0);
	peer_v4(&w->src, tp, "192.0.2.20", 5070);
	snprintf(w->branch, sizeof w->branch, "z9hG4bKclient%s", method);
	w->len = make_request(w->req, sizeof w->req, method, w->branch, 1, "");
	ASSERT_INT(feed(w->l, w->req, w->len, &w->src), 1);
	ASSERT_INT(w->s.n, 1);
}

static void finish(struct sworld *w)
{
	ms_txn_layer_free(w->l);
	fake_free(&w->f);
}

static void again(struct sworld *w)
{
	ASSERT_INT(feed(w->l, w->req, w->len, &w->src), 1);
	ASSERT_INT(w->s.n, 1); /* a retransmission is never a new request */
}

static void ack(struct sworld *w, const char *branch, const char *tag)
{
	char a[2048];
	size_t n = make_request(a, sizeof a, "ACK", branch, 1, tag);
	ASSERT_INT(feed(w->l, a, n, &w->src), 1);
}

static struct ms_stxn *st0(struct sworld *w)
{
	return w->s.st[0];
}

TEST(txn_sinv_100_trying_after_200ms)
{
	struct sworld w;
	start(&w, "INVITE", MS_PROTO_UDP);
	ASSERT_INT(w.s.method[0], MS_METHOD_INVITE);
	fake_advance(&w.f, 199);
	ASSERT_INT(w.f.nsent, 0);
	fake_advance(&w.f, 1);
	ASSERT_INT(w.f.nsent, 1);
	ASSERT_STR(fake_line(&w.f, 0), "SIP/2.0 100 Trying");
	/* §18.2.2: the source address, at the port of the Via's sent-by. */
	ASSERT_INT(peer_port(&w.f.sent[0].dst), 5062);
	ASSERT_INT(ms_stxn_status(st0(&w)), 100);
	/* A retransmitted INVITE gets it again. */
	again(&w);
	ASSERT_INT(w.f.nsent, 2);
	ASSERT_STR(fake_line(&w.f, 1), "SIP/2.0 100 Trying");
	ASSERT_INT(ms_stxn_respond(st0(&w), 486, MS_STR_NULL, MS_STR("t1")), 0);
	finish(&w);
}

TEST(txn_sinv_no_100_when_tu_answers)
{
	struct sworld w;
	start(&w, "INVITE", MS_PROTO_UDP);
	fake_advance(&w.f, 150);
	ASSERT_INT(ms_stxn_respond(st0(&w), 180, MS_STR_NULL, MS_STR("t1")), 0);
	fake_advance(&w.f, 1000);
	ASSERT_INT(w.f.nsent, 1);
	ASSERT_STR(fake_line(&w.f, 0), "SIP/2.0 180 Ringing");
	/* The retransmitted INVITE gets the latest provisional. */
	ASSERT_INT(ms_stxn_respond(st0(&w), 183, MS_STR("Progress"), MS_STR("t1")), 0);
	again(&w);
	again(&w);
	ASSERT_INT(w.f.nsent, 4);
	ASSERT_STR(fake_line(&w.f, 2), "SIP/2.0 183 Progress");
	ASSERT_STR(fake_line(&w.f, 3), "SIP/2.0 183 Progress");
	ASSERT(contains((struct ms_str){ w.f.sent[3].data, w.f.sent[3].len }, ";tag=t1"));
	ASSERT_INT(ms_stxn_respond(st0(&w), 480, MS_STR_NULL, MS_STR("t1")), 0);
	finish(&w);
}

TEST(txn_sinv_g_until_ack_then_i)
{
	struct sworld w;
	start(&w, "INVITE", MS_PROTO_UDP);
	ASSERT_INT(ms_stxn_respond(st0(&w), 486, MS_STR_NULL, MS_STR("srv")), 0);
	fake_advance(&w.f, 12000);
	/* G from T1, doubling, capped at T2. */
	static const uint64_t at[] = { 0, 500, 1500, 3500, 7500, 11500 };
	ASSERT_INT(w.f.nsent, 6);
	for (size_t i = 0; i < 6; i++) {
		ASSERT_INT(w.f.sent[i].at, at[i]);
		ASSERT_STR(fake_line(&w.f, i), "SIP/2.0 486 Busy Here");
	}
	/* A retransmitted INVITE gets the final response. */
	again(&w);
	ASSERT_INT(w.f.nsent, 7);
	ASSERT_STR(fake_line(&w.f, 6), "SIP/2.0 486 Busy Here");
	/* The ACK is absorbed: Confirmed, no more G. */
	ack(&w, w.branch, "srv");
	ASSERT_INT(w.s.acks + w.s.acks_accepted, 0);
	ack(&w, w.branch, "srv");
	again(&w);
	ASSERT_INT(w.s.acks + w.s.acks_accepted, 0);
	ASSERT_INT(w.f.nsent, 7);
	/* I = T4 after the ACK. */
	fake_advance(&w.f, 4999);
	ASSERT_INT(w.f.nsent, 7);
	ASSERT_INT(ms_txn_layer_count(w.l), 1);
	fake_advance(&w.f, 1);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	ASSERT_INT(w.s.nevents, 1);
	ASSERT_INT(w.s.events[0], MS_TXN_TERMINATED);
	finish(&w);
}

TEST(txn_sinv_h_without_ack)
{
	struct sworld w;
	start(&w, "INVITE", MS_PROTO_UDP);
	fake_advance(&w.f, 300);
	ASSERT_INT(ms_stxn_respond(st0(&w), 404, MS_STR_NULL, MS_STR("srv")), 0);
	fake_advance(&w.f, 100000);
	/* The 100 Trying, then the 404 and G until H at 64*T1. */
	static const uint64_t at[] = { 200,   300,   800,   1800,  3800,  7800,
				       11800, 15800, 19800, 23800, 27800, 31800 };
	ASSERT_INT(w.f.nsent, 12);
	for (size_t i = 0; i < 12; i++)
		ASSERT_INT(w.f.sent[i].at, at[i]);
	ASSERT_INT(w.s.nevents, 2);
	ASSERT_INT(w.s.events[0], 408);
	ASSERT_INT(w.s.events[1], MS_TXN_TERMINATED);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	finish(&w);
}

TEST(txn_sinv_reliable_no_g_and_i_zero)
{
	struct sworld w;
	start(&w, "INVITE", MS_PROTO_TCP);
	ASSERT_INT(ms_stxn_respond(st0(&w), 603, MS_STR_NULL, MS_STR("srv")), 0);
	fake_advance(&w.f, 10000);
	ASSERT_INT(w.f.nsent, 1);
	/* Over a reliable transport the response goes back where the request
	 * came from, not to the Via port. */
	ASSERT_INT(peer_port(&w.f.sent[0].dst), 5070);
	ack(&w, w.branch, "srv");
	ASSERT_INT(ms_txn_layer_count(w.l), 1);
	fake_advance(&w.f, 0);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	finish(&w);

	/* H runs over reliable transports too. */
	start(&w, "INVITE", MS_PROTO_TCP);
	ASSERT_INT(ms_stxn_respond(st0(&w), 603, MS_STR_NULL, MS_STR("srv")), 0);
	fake_advance(&w.f, 32000);
	ASSERT_INT(w.f.nsent, 1);
	ASSERT_INT(w.s.events[0], 408);
	finish(&w);
}

TEST(txn_sinv_2xx_accepted_timer_l)
{
	struct sworld w;
	start(&w, "INVITE", MS_PROTO_UDP);
	ASSERT_INT(ms_stxn_respond(st0(&w), 180, MS_STR_NULL, MS_STR("srv")), 0);
	ASSERT_INT(ms_stxn_respond(st0(&w), 200, MS_STR_NULL, MS_STR("srv")), 0);
	ASSERT_INT(w.f.nsent, 2);
	/* Retransmitted INVITEs are absorbed: the 2xx is the TU's to resend. */
	fake_advance(&w.f, 500);
	again(&w);
	fake_advance(&w.f, 10000);
	ASSERT_INT(w.f.nsent, 2);
	ASSERT_INT(ms_stxn_respond(st0(&w), 200, MS_STR_NULL, MS_STR("srv")), 0);
	ASSERT_INT(w.f.nsent, 3);
	ASSERT_STR(fake_line(&w.f, 2), "SIP/2.0 200 OK");
	/* Other responses are out of turn now. */
	ASSERT_INT(ms_stxn_respond(st0(&w), 180, MS_STR_NULL, MS_STR("srv")), MS_EINVAL);
	ASSERT_INT(ms_stxn_respond(st0(&w), 500, MS_STR_NULL, MS_STR("srv")), MS_EINVAL);
	/* The ACK of a 2xx has its own branch: no transaction, to the TU. */
	ack(&w, "z9hG4bKack2xx", "srv");
	ASSERT_INT(w.s.acks, 1);
	/* One that reuses the INVITE's branch matches it in Accepted and
	 * goes up too (RFC 6026 §8.7). */
	ack(&w, w.branch, "srv");
	ASSERT_INT(w.s.acks_accepted, 1);
	ASSERT_INT(w.s.n, 1);
	/* Timer L: 64*T1 after the first 2xx. */
	fake_advance(&w.f, 32000 - 10500 - 1);
	ASSERT_INT(ms_txn_layer_count(w.l), 1);
	fake_advance(&w.f, 1);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	ASSERT_INT(w.s.nevents, 1);
	ASSERT_INT(w.s.events[0], MS_TXN_TERMINATED);
	finish(&w);
}

TEST(txn_sinv_handle_ends_with_final_without_cb)
{
	struct sworld w;
	memset(&w, 0, sizeof w);
	fake_init(&w.f);
	w.s.answer = 404; /* answers inside the request callback */
	w.l = fake_layer(&w.f, &w.s, 0, 0, 0);
	peer_v4(&w.src, MS_PROTO_UDP, "192.0.2.20", 5070);
	w.len = make_request(w.req, sizeof w.req, "INVITE", "z9hG4bKfast", 1, "");
	ASSERT_INT(feed(w.l, w.req, w.len, &w.src), 1);
	ASSERT_INT(w.f.nsent, 1);
	ASSERT_STR(fake_line(&w.f, 0), "SIP/2.0 404 Not Found");
	ASSERT(contains((struct ms_str){ w.f.sent[0].data, w.f.sent[0].len }, "tag=srv1"));
	fake_advance(&w.f, 40000);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	finish(&w);
}

TEST(txn_sni_retransmissions_and_j)
{
	struct sworld w;
	start(&w, "OPTIONS", MS_PROTO_UDP);
	/* Trying: absorbed, no 100 for non-INVITE. */
	again(&w);
	fake_advance(&w.f, 1000);
	ASSERT_INT(w.f.nsent, 0);
	ASSERT_INT(ms_stxn_respond(st0(&w), 100, MS_STR_NULL, MS_STR_NULL), 0);
	again(&w);
	ASSERT_INT(w.f.nsent, 2);
	ASSERT_STR(fake_line(&w.f, 1), "SIP/2.0 100 Trying");
	ASSERT_INT(ms_stxn_respond(st0(&w), 200, MS_STR_NULL, MS_STR("srv")), 0);
	ASSERT_INT(w.f.nsent, 3);
	/* No retransmission of its own; a retransmitted request gets it. */
	fake_advance(&w.f, 10000);
	ASSERT_INT(w.f.nsent, 3);
	again(&w);
	ASSERT_INT(w.f.nsent, 4);
	ASSERT_STR(fake_line(&w.f, 3), "SIP/2.0 200 OK");
	ASSERT_INT(ms_stxn_respond(st0(&w), 200, MS_STR_NULL, MS_STR("srv")), MS_EINVAL);
	/* J = 64*T1 after the final. */
	fake_advance(&w.f, 32000 - 10000 - 1);
	ASSERT_INT(ms_txn_layer_count(w.l), 1);
	fake_advance(&w.f, 1);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	ASSERT_INT(w.s.events[0], MS_TXN_TERMINATED);
	finish(&w);
}

TEST(txn_sni_reliable_j_zero)
{
	struct sworld w;
	start(&w, "REGISTER", MS_PROTO_TLS);
	ASSERT_INT(ms_stxn_respond(st0(&w), 200, MS_STR_NULL, MS_STR("srv")), 0);
	/* Not inside the TU's call: the end comes from the timer. */
	ASSERT_INT(w.s.nevents, 0);
	ASSERT_INT(ms_txn_layer_count(w.l), 1);
	fake_advance(&w.f, 0);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	ASSERT_INT(w.s.nevents, 1);
	finish(&w);
}

TEST(txn_stxn_reply_bytes)
{
	struct sworld w;
	start(&w, "MESSAGE", MS_PROTO_UDP);
	struct ms_str req = ms_stxn_request(st0(&w));
	ASSERT_INT(req.len, w.len);
	ASSERT(memcmp(req.s, w.req, w.len) == 0);
	ASSERT_INT(ms_stxn_reply(st0(&w), "junk", 4), MS_EINVAL);
	ASSERT_INT(ms_stxn_reply(st0(&w), w.req, w.len), MS_EINVAL); /* a request */
	ASSERT_INT(ms_stxn_status(st0(&w)), 0);
	static const char resp[] =
		"SIP/2.0 202 Accepted\r\n"
		"Via: SIP/2.0/UDP pc33.atlanta.example.com:5062;branch=z9hG4bKclientMESSAGE\r\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
		"To: Bob <sip:bob@biloxi.example.com>;tag=x\r\n"
		"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
		"CSeq: 1 MESSAGE\r\n"
		"Content-Length: 0\r\n\r\n";
	ASSERT_INT(ms_stxn_reply(st0(&w), resp, sizeof resp - 1), 0);
	ASSERT_INT(w.f.nsent, 1);
	ASSERT_STR(((struct ms_str){ w.f.sent[0].data, w.f.sent[0].len }), resp);
	ASSERT_INT(ms_stxn_status(st0(&w)), 202);
	finish(&w);
}

TEST(txn_stateless_reply_and_rport)
{
	struct fake f;
	struct stu s = { 0 };
	struct ms_txn_peer src;
	struct ms_msg m;
	fake_init(&f);
	struct ms_txn_layer *l = fake_layer(&f, &s, 0, 0, 0);
	peer_v4(&src, MS_PROTO_UDP, "192.0.2.20", 5070);
	static const char req[] = "OPTIONS sip:x@example.com SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bKsl;rport\r\n"
				  "From: <sip:a@example.com>;tag=1\r\n"
				  "To: <sip:x@example.com>\r\n"
				  "Call-ID: sl1\r\n"
				  "CSeq: 5 OPTIONS\r\n"
				  "Content-Length: 0\r\n\r\n";
	ms_msg_init(&m);
	ASSERT(ms_msg_parse(&m, req, sizeof req - 1, MS_PARSE_DGRAM) > 0);
	ASSERT_INT(ms_txn_reply_stateless(l, &m, &src, 403, MS_STR("Nope"), MS_STR("zz")), 0);
	ms_msg_free(&m);
	ASSERT_INT(f.nsent, 1);
	ASSERT_STR(fake_line(&f, 0), "SIP/2.0 403 Nope");
	ASSERT_INT(peer_port(&f.sent[0].dst), 5070); /* rport: the source port */
	ASSERT_INT(ms_txn_layer_count(l), 0);
	/* No rport and no port in sent-by: 5060. */
	static const char req2[] = "OPTIONS sip:x@example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 192.0.2.20;branch=z9hG4bKsl2\r\n"
				   "From: <sip:a@example.com>;tag=1\r\n"
				   "To: <sip:x@example.com>\r\n"
				   "Call-ID: sl1\r\n"
				   "CSeq: 5 OPTIONS\r\n"
				   "Content-Length: 0\r\n\r\n";
	ms_msg_init(&m);
	ASSERT(ms_msg_parse(&m, req2, sizeof req2 - 1, MS_PARSE_DGRAM) > 0);
	ASSERT_INT(ms_txn_reply_stateless(l, &m, &src, 500, MS_STR_NULL, MS_STR_NULL), 0);
	ms_msg_free(&m);
	ASSERT_INT(peer_port(&f.sent[1].dst), 5060);
	ms_txn_layer_free(l);
	fake_free(&f);
}
