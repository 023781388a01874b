/* The transaction layer as a whole: matching (§17.1.3, §17.2.3, §9.2 and
 * the RFC 2543 fallback), branches, transport errors, two layers in one
 * process, many transactions at once, and the libev timers. */
#include <errno.h>
#include <stdlib.h>
#include <ev.h>

#include "moonsip/txn.h"
#include "test.h"
#include "test_txn.h"
#include "txn/txn_private.h"

struct world {
	struct fake f;
	struct stu s;
	struct ms_txn_layer *l;
	struct ms_txn_peer peer;
};

static void begin(struct world *w, enum ms_proto tp)
{
	memset(w, 0, sizeof *w);
	fake_init(&w->f);
	w->s.want_events = true;
	w->l = fake_layer(&w->f, &w->s, 0, 0, 0);
	peer_v4(&w->peer, tp, "192.0.2.30", 5060);
}

static void end(struct world *w)
{
	ms_txn_layer_free(w->l);
	fake_free(&w->f);
}

TEST(txn_match_response_branch_and_method)
{
	struct world w;
	struct ctu c = { 0 };
	struct ms_ctxn *ct;
	char branch[MS_TXN_BRANCH_SIZE], req[2048], other[2048];
	begin(&w, MS_PROTO_UDP);
	ms_txn_branch(w.l, branch);
	size_t n = make_request(req, sizeof req, "INVITE", branch, 7, "");
	ASSERT_INT(ms_ctxn_new(&ct, w.l, req, n, &w.peer, ctu_cb, &c), 0);
	/* Another branch. */
	size_t m = make_request(other, sizeof other, "INVITE", "z9hG4bKnotours", 7, "");
	ASSERT_INT(respond(w.l, (struct ms_str){ other, m }, 180, "", &w.peer), 0);
	/* The branch with another method (CSeq of a BYE). */
	m = make_request(other, sizeof other, "BYE", branch, 7, "");
	ASSERT_INT(respond(w.l, (struct ms_str){ other, m }, 200, "", &w.peer), 0);
	ASSERT_INT(c.n, 0);
	/* The branch in other case still matches (§20.42 tokens). */
	for (char *p = strstr(req, "z9hG4bK") + 7; *p != '\r'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	ASSERT_INT(respond(w.l, (struct ms_str){ req, n }, 180, "", &w.peer), 1);
	ASSERT_INT(c.n, 1);
	end(&w);
}

TEST(txn_match_cancel_finds_invite)
{
	struct world w;
	char inv[2048], cancel[2048];
	begin(&w, MS_PROTO_UDP);
	size_t n = make_request(inv, sizeof inv, "INVITE", "z9hG4bKcx1", 3, "");
	ASSERT_INT(feed(w.l, inv, n, &w.peer), 1);
	n = make_request(cancel, sizeof cancel, "CANCEL", "z9hG4bKcx1", 3, "");
	ASSERT_INT(feed(w.l, cancel, n, &w.peer), 1);
	ASSERT_INT(w.s.n, 2); /* the CANCEL has its own transaction */
	ASSERT_INT(w.s.method[1], MS_METHOD_CANCEL);
	struct ms_stxn *target;
	ASSERT_INT(ms_stxn_cancel_target(w.s.st[1], &target), 0);
	ASSERT(target == w.s.st[0]);
	ASSERT_INT(ms_stxn_cancel_target(w.s.st[0], &target), MS_EINVAL); /* not a CANCEL */
	/* A retransmitted CANCEL matches the CANCEL, not the INVITE. */
	ASSERT_INT(ms_stxn_respond(w.s.st[1], 200, MS_STR_NULL, MS_STR("t")), 0);
	ASSERT_INT(feed(w.l, cancel, n, &w.peer), 1);
	ASSERT_INT(w.s.n, 2);
	ASSERT_INT(w.f.nsent, 2);
	ASSERT_STR(fake_line(&w.f, 1), "SIP/2.0 200 OK");
	ASSERT(contains((struct ms_str){ w.f.sent[1].data, w.f.sent[1].len }, "CSeq: 3 CANCEL"));
	/* A CANCEL with another branch cancels nothing. */
	n = make_request(cancel, sizeof cancel, "CANCEL", "z9hG4bKcx2", 3, "");
	ASSERT_INT(feed(w.l, cancel, n, &w.peer), 1);
	ASSERT_INT(ms_stxn_cancel_target(w.s.st[2], &target), MS_ENOENT);
	/* Nor one from another sent-by with the same branch. */
	n = make_request(cancel, sizeof cancel, "CANCEL", "z9hG4bKcx1", 3, "");
	char *port = strstr(cancel, ":5062");
	port[4] = '3';
	ASSERT_INT(feed(w.l, cancel, n, &w.peer), 1);
	ASSERT_INT(w.s.n, 4);
	ASSERT_INT(ms_stxn_cancel_target(w.s.st[3], &target), MS_ENOENT);
	/* Once the INVITE is answered and its TU let go, the CANCEL still
	 * finds it (200, not 481), but with no handle. */
	ms_stxn_set_cb(w.s.st[0], NULL, NULL);
	ASSERT_INT(ms_stxn_respond(w.s.st[0], 487, MS_STR_NULL, MS_STR("t")), 0);
	target = w.s.st[1];
	ASSERT_INT(ms_stxn_cancel_target(w.s.st[1], &target), 0);
	ASSERT(target == NULL);
	end(&w);
}

/* An RFC 2543 request: no branch in its Via. */
static size_t make_2543(char *out, size_t size, const char *method, uint32_t cseq, const char *to_tag)
{
	int n = snprintf(out, size,
			 "%s sip:carol@chicago.example.com SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP old.example.com:5060\r\n"
			 "From: <sip:dave@old.example.com>;tag=d1\r\n"
			 "To: <sip:carol@chicago.example.com>%s%s\r\n"
			 "Call-ID: 2543call@old.example.com\r\n"
			 "CSeq: %u %s\r\n"
			 "Content-Length: 0\r\n\r\n",
			 method, *to_tag ? ";tag=" : "", to_tag, (unsigned)cseq, method);
	ASSERT(n > 0 && (size_t)n < size);
	return (size_t)n;
}

TEST(txn_match_rfc2543)
{
	struct world w;
	char m[2048];
	begin(&w, MS_PROTO_UDP);
	size_t n = make_2543(m, sizeof m, "INVITE", 9, "");
	ASSERT_INT(feed(w.l, m, n, &w.peer), 1);
	ASSERT_INT(w.s.n, 1);
	/* Its retransmission matches, and gets the provisional again. */
	ASSERT_INT(ms_stxn_respond(w.s.st[0], 180, MS_STR_NULL, MS_STR("c1")), 0);
	ASSERT_INT(feed(w.l, m, n, &w.peer), 1);
	ASSERT_INT(w.s.n, 1);
	ASSERT_INT(w.f.nsent, 2);
	/* An equivalent Request-URI (§19.1.4: host case) still matches. */
	memcpy(strstr(m, "chicago"), "CHICAGO", 7);
	ASSERT_INT(feed(w.l, m, n, &w.peer), 1);
	ASSERT_INT(w.s.n, 1);
	ASSERT_INT(w.f.nsent, 3);
	/* Another CSeq is another transaction. */
	char m2[2048];
	size_t n2 = make_2543(m2, sizeof m2, "INVITE", 10, "");
	ASSERT_INT(feed(w.l, m2, n2, &w.peer), 1);
	ASSERT_INT(w.s.n, 2);
	ASSERT_INT(ms_stxn_respond(w.s.st[1], 500, MS_STR_NULL, MS_STR("c2")), 0);
	/* The final response, and the ACK with its To tag. */
	ASSERT_INT(ms_stxn_respond(w.s.st[0], 404, MS_STR_NULL, MS_STR("c1")), 0);
	size_t sent = w.f.nsent;
	char ack[2048];
	/* A wrong To tag is not the ACK of this response: it goes up. */
	size_t na = make_2543(ack, sizeof ack, "ACK", 9, "other");
	ASSERT_INT(feed(w.l, ack, na, &w.peer), 1);
	ASSERT_INT(w.s.acks, 1);
	na = make_2543(ack, sizeof ack, "ACK", 9, "c1");
	ASSERT_INT(feed(w.l, ack, na, &w.peer), 1);
	ASSERT_INT(w.s.acks, 1); /* absorbed: Confirmed */
	fake_advance(&w.f, 10000);
	/* G stopped for 9; 10 still retransmits at 500, 1500, 3500, 7500. */
	ASSERT_INT(w.f.nsent, sent + 4);
	for (size_t i = sent; i < w.f.nsent; i++)
		ASSERT_STR(fake_line(&w.f, i), "SIP/2.0 500 Server Internal Error");
	/* A CANCEL finds the INVITE by the same fields. */
	size_t nc = make_2543(ack, sizeof ack, "CANCEL", 10, "");
	ASSERT_INT(feed(w.l, ack, nc, &w.peer), 1);
	struct ms_stxn *target;
	ASSERT_INT(ms_stxn_cancel_target(w.s.st[2], &target), 0);
	ASSERT(target == w.s.st[1]);
	end(&w);
}

TEST(txn_two_layers_apart)
{
	struct world a, b;
	struct ctu c = { 0 };
	struct ms_ctxn *ct;
	char branch_a[MS_TXN_BRANCH_SIZE], branch_b[MS_TXN_BRANCH_SIZE], req[2048];
	begin(&a, MS_PROTO_UDP);
	begin(&b, MS_PROTO_UDP);
	ms_txn_branch(a.l, branch_a);
	ms_txn_branch(b.l, branch_b);
	ASSERT(strcmp(branch_a, branch_b) != 0);
	size_t n = make_request(req, sizeof req, "OPTIONS", branch_a, 1, "");
	ASSERT_INT(ms_ctxn_new(&ct, a.l, req, n, &a.peer, ctu_cb, &c), 0);
	ASSERT_INT(respond(b.l, (struct ms_str){ req, n }, 200, "", &b.peer), 0);
	ASSERT_INT(c.n, 0);
	ASSERT_INT(respond(a.l, (struct ms_str){ req, n }, 200, "", &a.peer), 1);
	ASSERT_INT(c.n, 1);
	/* The same request makes a server transaction in each. */
	n = make_request(req, sizeof req, "INVITE", "z9hG4bKboth", 1, "");
	ASSERT_INT(feed(a.l, req, n, &a.peer), 1);
	ASSERT_INT(feed(b.l, req, n, &b.peer), 1);
	ASSERT_INT(a.s.n, 1);
	ASSERT_INT(b.s.n, 1);
	ASSERT(a.s.st[0] != b.s.st[0]);
	end(&a);
	end(&b);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(x, y);
}

TEST(txn_branch_unique_and_cookie)
{
	struct world w;
	enum { N = 2000 };
	char(*b)[MS_TXN_BRANCH_SIZE] = malloc(N * sizeof *b);
	begin(&w, MS_PROTO_UDP);
	for (int i = 0; i < N; i++) {
		ASSERT_INT(ms_txn_branch(w.l, b[i]), 39);
		ASSERT_INT(strlen(b[i]), 39);
		ASSERT(strncmp(b[i], "z9hG4bK", 7) == 0);
		for (int j = 7; j < 39; j++)
			ASSERT((b[i][j] >= '0' && b[i][j] <= '9') || (b[i][j] >= 'a' && b[i][j] <= 'f'));
	}
	qsort(b, N, sizeof *b, cmp_str);
	for (int i = 1; i < N; i++)
		ASSERT(strcmp(b[i - 1], b[i]) != 0);
	/* The MAC half changes unpredictably from one branch to the next:
	 * no two of them share it either. */
	for (int i = 0; i < N; i++)
		memmove(b[i], b[i] + 23, 17);
	qsort(b, N, sizeof *b, cmp_str);
	for (int i = 1; i < N; i++)
		ASSERT(strcmp(b[i - 1], b[i]) != 0);
	free(b);
	end(&w);
}

TEST(txn_siphash_vectors)
{
	/* The reference vectors of SipHash-2-4: key 00..0f, messages 00..n-1. */
	uint64_t key[2] = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	unsigned char msg[64];
	struct ms__sip s;
	for (int i = 0; i < 64; i++)
		msg[i] = (unsigned char)i;
	ms__sip_init(&s, key);
	ASSERT(ms__sip_end(&s) == 0x726fdb47dd0e0e31ull);
	ms__sip_init(&s, key);
	ms__sip_add(&s, msg, 15, false);
	ASSERT(ms__sip_end(&s) == 0xa129ca6149be45e5ull);
	/* Fed in pieces, the same. */
	ms__sip_init(&s, key);
	ms__sip_add(&s, msg, 3, false);
	ms__sip_add(&s, msg + 3, 12, false);
	ASSERT(ms__sip_end(&s) == 0xa129ca6149be45e5ull);
	/* Whole words, and words after a part begun by an earlier call. */
	static const struct {
		size_t len;
		uint64_t hash;
	} v[] = { { 8, 0x93f5f5799a932462ull },
		  { 16, 0x3f2acc7f57c29bdbull },
		  { 63, 0x958a324ceb064572ull } };
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		for (size_t cut = 0; cut <= v[i].len; cut++) {
			ms__sip_init(&s, key);
			ms__sip_add(&s, msg, cut, false);
			ms__sip_add(&s, msg + cut, v[i].len - cut, false);
			ASSERT(ms__sip_end(&s) == v[i].hash);
		}
}

TEST(txn_siphash_folds_ascii_letters_only)
{
	/* Folded, every printable ASCII octet, the letters' neighbours and
	 * octets with the high bit set hash as their lower-case text does
	 * (the value computed by a reference SipHash-2-4 in Python). */
	uint64_t key[2] = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	unsigned char msg[104];
	for (int i = 0; i < 95; i++)
		msg[i] = (unsigned char)(0x20 + i);
	memcpy(msg + 95, "\x80\xc1\xda\xdb\xff\x40\x5b\x41\x5a", 9);
	for (size_t cut = 0; cut <= sizeof msg; cut++) {
		struct ms__sip s;
		ms__sip_init(&s, key);
		ms__sip_add(&s, msg, cut, true);
		ms__sip_add(&s, msg + cut, sizeof msg - cut, true);
		ASSERT(ms__sip_end(&s) == 0x45ebe29f2a3bfddaull);
	}
}

TEST(txn_transport_error_client_503)
{
	struct world w;
	struct ctu c1 = { 0 }, c2 = { 0 }, c3 = { 0 };
	struct ms_ctxn *ct1, *ct2, *ct3;
	struct ms_txn_peer other;
	char b1[MS_TXN_BRANCH_SIZE], b2[MS_TXN_BRANCH_SIZE], b3[MS_TXN_BRANCH_SIZE];
	char r1[2048], r2[2048], r3[2048];
	begin(&w, MS_PROTO_UDP);
	peer_v4(&other, MS_PROTO_UDP, "192.0.2.31", 5060);
	ms_txn_branch(w.l, b1);
	ms_txn_branch(w.l, b2);
	ms_txn_branch(w.l, b3);
	size_t n1 = make_request(r1, sizeof r1, "INVITE", b1, 1, "");
	size_t n2 = make_request(r2, sizeof r2, "OPTIONS", b2, 2, "");
	size_t n3 = make_request(r3, sizeof r3, "OPTIONS", b3, 3, "");
	ASSERT_INT(ms_ctxn_new(&ct1, w.l, r1, n1, &w.peer, ctu_cb, &c1), 0);
	ASSERT_INT(ms_ctxn_new(&ct2, w.l, r2, n2, &other, ctu_cb, &c2), 0);
	ASSERT_INT(ms_ctxn_new(&ct3, w.l, r3, n3, &w.peer, ctu_cb, &c3), 0);
	/* The third has its answer already: an error cannot change it. */
	ASSERT_INT(respond(w.l, (struct ms_str){ r3, n3 }, 200, "", &w.peer), 1);
	ms_txn_layer_transport_error(w.l, &w.peer, -ECONNREFUSED);
	ASSERT_INT(c1.n, 2);
	ASSERT_INT(c1.status[0], 503);
	ASSERT(!c1.had_msg[0]);
	ASSERT_INT(c1.status[1], MS_TXN_TERMINATED);
	ASSERT_INT(c2.n, 0);
	ASSERT_INT(c3.n, 1);
	ASSERT_INT(ms_txn_layer_count(w.l), 2);
	/* A connection id narrows the report when both sides know one. */
	struct ms_txn_peer conn = other;
	conn.conn = 42;
	ms_txn_layer_transport_error(w.l, &conn, -ECONNRESET);
	ASSERT_INT(c2.status[0], 503);
	end(&w);
}

TEST(txn_transport_error_at_send)
{
	struct world w;
	struct ctu c = { 0 };
	struct ms_ctxn *ct;
	char branch[MS_TXN_BRANCH_SIZE], req[2048];
	begin(&w, MS_PROTO_UDP);
	w.f.fail_send = -ENETUNREACH;
	ms_txn_branch(w.l, branch);
	size_t n = make_request(req, sizeof req, "INVITE", branch, 1, "");
	ASSERT_INT(ms_ctxn_new(&ct, w.l, req, n, &w.peer, ctu_cb, &c), 0);
	ASSERT_INT(c.n, 0); /* never before ms_ctxn_new returned */
	fake_advance(&w.f, 0);
	ASSERT_INT(c.n, 2);
	ASSERT_INT(c.status[0], 503);
	ASSERT_INT(c.status[1], MS_TXN_TERMINATED);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	/* A retransmission that fails ends it the same way. */
	w.f.fail_send = 0;
	memset(&c, 0, sizeof c);
	ms_txn_branch(w.l, branch);
	n = make_request(req, sizeof req, "OPTIONS", branch, 2, "");
	ASSERT_INT(ms_ctxn_new(&ct, w.l, req, n, &w.peer, ctu_cb, &c), 0);
	w.f.fail_send = -EHOSTUNREACH;
	fake_advance(&w.f, 500);
	ASSERT_INT(c.status[0], 503);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	end(&w);
}

TEST(txn_transport_error_server)
{
	struct world w;
	char req[2048];
	struct ms_txn_peer resp_peer;
	begin(&w, MS_PROTO_UDP);
	size_t n = make_request(req, sizeof req, "INVITE", "z9hG4bKsrv", 1, "");
	ASSERT_INT(feed(w.l, req, n, &w.peer), 1);
	ASSERT_INT(ms_stxn_respond(w.s.st[0], 486, MS_STR_NULL, MS_STR("t")), 0);
	/* Responses go to the Via's port: that is the peer that fails. */
	peer_v4(&resp_peer, MS_PROTO_UDP, "192.0.2.30", 5062);
	ms_txn_layer_transport_error(w.l, &w.peer, -ECONNREFUSED);
	ASSERT_INT(w.s.nevents, 0);
	ms_txn_layer_transport_error(w.l, &resp_peer, -ECONNREFUSED);
	ASSERT_INT(w.s.nevents, 2);
	ASSERT_INT(w.s.events[0], 503);
	ASSERT_INT(w.s.events[1], MS_TXN_TERMINATED);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	end(&w);
}

TEST(txn_server_failed_before_answer_waits_for_tu)
{
	struct world w;
	char req[2048];
	begin(&w, MS_PROTO_UDP);
	w.s.want_events = false;
	size_t n = make_request(req, sizeof req, "INVITE", "z9hG4bKz", 1, "");
	ASSERT_INT(feed(w.l, req, n, &w.peer), 1);
	w.f.fail_send = -ENOBUFS;
	fake_advance(&w.f, 200); /* the 100 Trying fails */
	w.f.fail_send = 0;
	/* Out of the maps, but the TU's handle holds until it answers. */
	ASSERT_INT(ms_txn_layer_count(w.l), 1);
	ASSERT_INT(feed(w.l, req, n, &w.peer), 1);
	ASSERT_INT(w.s.n, 2); /* the retransmission is new now */
	ASSERT_INT(ms_stxn_respond(w.s.st[0], 500, MS_STR_NULL, MS_STR("t")), MS_ENOENT);
	ASSERT_INT(ms_txn_layer_count(w.l), 1);
	end(&w);
}

/* Counts outcomes for many transactions with one callback. */
struct tally {
	int finals[700];
	int terminated;
};

static void tally_cb(struct ms_ctxn *ct, unsigned status, struct ms_msg *resp, void *arg)
{
	struct tally *t = arg;
	(void)ct;
	(void)resp;
	if (status == MS_TXN_TERMINATED)
		t->terminated++;
	else
		t->finals[status]++;
}

TEST(txn_stress_10000_timeouts)
{
	struct world w;
	struct tally *t = calloc(1, sizeof *t);
	char branch[MS_TXN_BRANCH_SIZE], req[2048];
	enum { N = 10000 };
	begin(&w, MS_PROTO_UDP);
	w.f.no_record = true;
	for (int i = 0; i < N; i++) {
		struct ms_ctxn *ct;
		ms_txn_branch(w.l, branch);
		size_t n =
			make_request(req, sizeof req, i % 2 ? "INVITE" : "OPTIONS", branch, (uint32_t)i, "");
		ASSERT_INT(ms_ctxn_new(&ct, w.l, req, n, &w.peer, tally_cb, t), 0);
		fake_advance(&w.f, 1); /* spread them over 10 s */
	}
	ASSERT_INT(ms_txn_layer_count(w.l), N);
	ASSERT_INT(w.l->client.count, N);
	fake_advance(&w.f, 32000);
	ASSERT_INT(t->finals[408], N);
	ASSERT_INT(t->terminated, N);
	ASSERT_INT(ms_txn_layer_count(w.l), 0);
	ASSERT_INT(w.l->client.count, 0);
	ASSERT_INT(w.l->peers.count, 0);
	ASSERT_INT(fake_armed(&w.f), 0);
	/* 7 sends per INVITE, 11 per OPTIONS. */
	ASSERT_INT(w.f.sends, N / 2 * 7 + N / 2 * 11);
	free(t);
	end(&w);
}

TEST(txn_layer_config)
{
	struct fake f;
	struct ms_txn_layer *l = NULL;
	struct stu s = { 0 };
	fake_init(&f);
	struct ms_txn_config c = { .request_cb = stu_request_cb, .arg = &s };
	ASSERT_INT(ms_txn_layer_new(&l, &f.env, &(struct ms_txn_config){ 0 }), MS_EINVAL);
	c.t1 = 5000; /* above the default T2 */
	ASSERT_INT(ms_txn_layer_new(&l, &f.env, &c), MS_EINVAL);
	c.t2 = 5000;
	ASSERT_INT(ms_txn_layer_new(&l, &f.env, &c), 0);
	ASSERT_INT(l->cfg.t4, 5000);
	ms_txn_layer_free(l);
	ms_txn_layer_free(NULL);
	fake_free(&f);
}

TEST(txn_receive_bad_message)
{
	struct world w;
	struct ms_msg m;
	static const char noseq[] = "OPTIONS sip:x@example.com SIP/2.0\r\n"
				    "Via: SIP/2.0/UDP h;branch=z9hG4bKq\r\n"
				    "Content-Length: 0\r\n\r\n";
	begin(&w, MS_PROTO_UDP);
	ms_msg_init(&m);
	ASSERT(ms_msg_parse(&m, noseq, sizeof noseq - 1, MS_PARSE_DGRAM) > 0);
	ASSERT_INT(ms_txn_layer_receive(w.l, &m, &w.peer), MS_EBADMSG);
	ms_msg_free(&m);
	ASSERT_INT(w.s.n, 0);
	end(&w);
}

/* The libev timer service, on a real loop with a small T1. */
TEST(txn_ev_timers)
{
	struct fake f;
	struct stu s = { 0 };
	struct ctu c = { 0 };
	struct ms_txn_layer *l = NULL;
	struct ms_ctxn *ct;
	struct ms_txn_peer dst;
	char branch[MS_TXN_BRANCH_SIZE], req[2048];
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	ASSERT(loop);
	fake_init(&f);
	ASSERT_INT(ms__txn_ev_clock(&f.env, loop), 0);
	struct ms_txn_config cfg = { .t1 = 2, .t2 = 8, .t4 = 10, .request_cb = stu_request_cb, .arg = &s };
	ASSERT_INT(ms_txn_layer_new(&l, &f.env, &cfg), 0);
	peer_v4(&dst, MS_PROTO_UDP, "192.0.2.40", 5060);
	ms_txn_branch(l, branch);
	size_t n = make_request(req, sizeof req, "OPTIONS", branch, 1, "");
	uint64_t t0 = f.env.now_ms(f.env.clock);
	ASSERT_INT(ms_ctxn_new(&ct, l, req, n, &dst, ctu_cb, &c), 0);
	/* The loop runs until no timer is left: F ends it at 128 ms. */
	ev_run(loop, 0);
	ev_now_update(loop);
	ASSERT_INT(c.n, 2);
	ASSERT_INT(c.status[0], 408);
	ASSERT_INT(c.status[1], MS_TXN_TERMINATED);
	ASSERT(f.env.now_ms(f.env.clock) - t0 >= 127);
	/* The request, then E at 2, 6, 14, 22, ..., 126 (F at 128): 1 + 17
	 * sends when the loop kept up, fewer on a busy machine (each E counts
	 * from when it ran), and never more. */
	if (!(f.nsent >= 2 && f.nsent <= 18))
		ms_test_fail(__FILE__, __LINE__, "%zu sends", (size_t)f.nsent);
	ASSERT_INT(ms_txn_layer_count(l), 0);
	/* A 0 ms timer runs on the next loop pass, not inside the call. */
	f.fail_send = -EIO;
	memset(&c, 0, sizeof c);
	ms_txn_branch(l, branch);
	n = make_request(req, sizeof req, "OPTIONS", branch, 2, "");
	ASSERT_INT(ms_ctxn_new(&ct, l, req, n, &dst, ctu_cb, &c), 0);
	ASSERT_INT(c.n, 0);
	ev_run(loop, 0);
	ASSERT_INT(c.status[0], 503);
	ms_txn_layer_free(l);
	ms__txn_ev_clock_free(&f.env);
	fake_free(&f);
	ev_loop_destroy(loop);
}

/* Long timers go into lanes: none fires early, each fires within its
 * slack (1/64 of 1 s here, plus what a busy machine adds), a stopped one
 * never, one restarted from its own callback again, and a lane left empty
 * does not keep the loop running. */
struct lane_probe {
	struct ms_txn_timer t;
	struct ms_txn_env *env;
	double started, fired;
	int n, restart;
};

static void lane_probe_fire(struct ms_txn_timer *t)
{
	struct lane_probe *p = (struct lane_probe *)(void *)t;
	p->n++;
	p->fired = ev_time();
	if (p->restart-- > 0) {
		p->started = p->fired;
		p->env->timer_start(p->env->clock, t, 1000);
	}
}

TEST(txn_ev_lanes)
{
	struct ms_txn_env env = { 0 };
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	ASSERT(loop);
	ASSERT_INT(ms__txn_ev_clock(&env, loop), 0);
	struct lane_probe p[4];
	memset(p, 0, sizeof p);
	for (int i = 0; i < 4; i++) {
		p[i].t.fire = lane_probe_fire;
		p[i].env = &env;
		env.timer_init(env.clock, &p[i].t);
	}
	p[2].restart = 1;
	for (int i = 0; i < 4; i++) {
		p[i].started = ev_time();
		env.timer_start(env.clock, &p[i].t, i == 3 ? 1500 : 1000);
	}
	env.timer_stop(env.clock, &p[1].t);
	ev_run(loop, 0);
	ASSERT_INT(p[0].n, 1);
	ASSERT_INT(p[1].n, 0);
	ASSERT_INT(p[2].n, 2);
	ASSERT_INT(p[3].n, 1);
	for (int i = 0; i < 4; i++) {
		if (i == 1)
			continue;
		double late = p[i].fired - p[i].started - (i == 3 ? 1.5 : 1.0);
		if (late < 0 || late > 0.3)
			ms_test_fail(__FILE__, __LINE__, "timer %d fired %.3f s off its time", i, late);
	}
	/* Armed and stopped again: the loop has nothing left to wait for. */
	env.timer_start(env.clock, &p[0].t, 30000);
	env.timer_stop(env.clock, &p[0].t);
	double t0 = ev_time();
	ev_run(loop, 0);
	ASSERT(ev_time() - t0 < 1.0);
	ASSERT_INT(p[0].n, 1);
	ms__txn_ev_clock_free(&env);
	ev_loop_destroy(loop);
}
