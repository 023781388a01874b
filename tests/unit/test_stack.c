/* The stack on real sockets on 127.0.0.1 and a real libev loop: two stacks
 * in one process talk to each other, and raw sockets play bad peers. Every
 * wait is bounded by a timer. */
#include <ev.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "moonsip/edit.h"
#include "moonsip/stack.h"
#include "test.h"

/* 'got' begins with the literal 'lit'. */
#define ASSERT_STARTS(got, lit) ASSERT(!strncmp((got), (lit), sizeof(lit) - 1))

struct side {
	struct ev_loop *loop;
	struct ms_stack *s;
	unsigned answer;      /* what the request callback answers (0: nothing) */
	int requests, strays; /* seen by the callbacks */
	enum ms_proto req_proto;
	char via[256];   /* the top Via of the last request, as the TU saw it */
	unsigned status; /* final status the client callback got */
	int responses;
	char logged[4096]; /* every line logged, as far as it fits */
};

static void on_request(struct ms_stxn *st, struct ms_msg *req, const struct ms_txn_peer *src, void *arg)
{
	struct side *sd = arg;
	const struct ms_hdr *v = ms_msg_hdr(req, MS_HDR_VIA);
	sd->requests++;
	sd->req_proto = src->proto;
	snprintf(sd->via, sizeof sd->via, "%.*s", (int)v->value.len, v->value.s);
	if (st && sd->answer)
		ms_stxn_respond(st, sd->answer, MS_STR_NULL, MS_STR("srv"));
}

static void on_stray(struct ms_stack *s, struct ms_msg *resp, const struct ms_txn_peer *src, void *arg)
{
	struct side *sd = arg;
	(void)s;
	(void)src;
	sd->strays++;
	sd->status = resp->status;
	ev_break(sd->loop, EVBREAK_ALL);
}

static void on_log(void *arg, enum ms_log_level level, const char *line)
{
	struct side *sd = arg;
	(void)level;
	size_t n = strlen(sd->logged);
	if (n + strlen(line) + 2 > sizeof sd->logged)
		n = 0; /* full: start again, the latest lines are what tests look at */
	snprintf(sd->logged + n, sizeof sd->logged - n, "%s\n", line);
}

static void on_response(struct ms_ctxn *ct, unsigned status, struct ms_msg *resp, void *arg)
{
	struct side *sd = arg;
	(void)ct;
	(void)resp;
	if (status == MS_TXN_TERMINATED || status < 200)
		return;
	sd->status = status;
	sd->responses++;
	ev_break(sd->loop, EVBREAK_ALL);
}

static void side_open(struct side *sd, struct ev_loop *loop, const char *const *specs, unsigned n)
{
	memset(sd, 0, sizeof *sd);
	sd->loop = loop;
	struct ms_stack_config cfg = { .loop = loop,
				       .request_cb = on_request,
				       .response_cb = on_stray,
				       .arg = sd,
				       .log = { .fn = on_log, .arg = sd, .level = MS_LOG_DEBUG } };
	ASSERT_INT(ms_stack_new(&sd->s, &cfg), 0);
	for (unsigned i = 0; i < n; i++) {
		const char *why = NULL;
		ASSERT_INT(ms_stack_listen(sd->s, specs[i], &why), 0);
	}
}

static struct ms_txn_peer peer_of(struct side *sd, enum ms_proto p)
{
	struct ms_txn_peer dst = { .proto = p };
	ASSERT_INT(ms_stack_local(sd->s, p, AF_INET, &dst.addr), 0);
	return dst;
}

/* An OPTIONS from 'from' to 'dst' in a client transaction, with 'pad'
 * bytes of an extension header to make it large. */
static void send_options(struct side *from, struct ms_txn_peer *dst, size_t pad)
{
	struct ms_buf via, req;
	ms_buf_init(&via);
	ms_buf_init(&req);
	ASSERT_INT(ms_stack_via(from->s, dst, 300 + pad, false, &via), 0);
	ms_buf_printf(
		&req,
		"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: %.*s\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n"
		"To: <sip:b@127.0.0.1>\r\nCall-ID: stack-%zu\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n",
		(int)via.len, via.data, pad);
	if (pad) {
		ms_buf_addz(&req, "X-Pad: ");
		for (size_t i = 0; i < pad; i++)
			ms_buf_add(&req, "x", 1);
		ms_buf_addz(&req, "\r\n");
	}
	ms_buf_addz(&req, "Content-Length: 0\r\n\r\n");
	struct ms_ctxn *ct;
	ASSERT_INT(ms_ctxn_new(&ct, ms_stack_txn(from->s), req.data, req.len, dst, on_response, from), 0);
	ms_buf_free(&via);
	ms_buf_free(&req);
}

TEST(stack_two_stacks_answer_over_udp_and_mark_via)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side a, b;
	const char *sa[] = { "udp:127.0.0.1:0" }, *sb[] = { "udp:127.0.0.1:0" };
	side_open(&a, loop, sa, 1);
	side_open(&b, loop, sb, 1);
	b.answer = 200;
	struct ms_txn_peer dst = peer_of(&b, MS_PROTO_UDP);
	send_options(&a, &dst, 0);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(a.status, 200);
	ASSERT_INT(b.requests, 1);
	/* rport was asked for: received and the source port are filled in. */
	struct sockaddr_storage la;
	ASSERT_INT(ms_stack_local(a.s, MS_PROTO_UDP, AF_INET, &la), 0);
	char want[64];
	ASSERT(strstr(b.via, ";received=127.0.0.1;rport=") != NULL);
	snprintf(want, sizeof want, "rport=%u", ms_addr_port(&la));
	ASSERT(strstr(b.via, want) != NULL);
	ASSERT(strstr(b.via, "SIP/2.0/UDP 127.0.0.1:") == b.via);
	struct ms_stack_stats st;
	ms_stack_stats(b.s, &st);
	ASSERT_INT(st.rx_msgs, 1);
	ASSERT_INT(st.tx_msgs, 1);
	ms_stack_free(a.s);
	ms_stack_free(b.s);
	ev_loop_destroy(loop);
}

TEST(stack_tcp_without_a_tcp_listener_connects_out)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side a, b;
	const char *sa[] = { "udp:127.0.0.1:0" }, *sb[] = { "tcp:127.0.0.1:0" };
	side_open(&a, loop, sa, 1);
	side_open(&b, loop, sb, 1);
	b.answer = 202;
	struct ms_txn_peer dst = peer_of(&b, MS_PROTO_TCP);
	send_options(&a, &dst, 0);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(a.status, 202);
	ASSERT_INT(b.req_proto, MS_PROTO_TCP);
	ASSERT(strstr(b.via, "SIP/2.0/TCP 127.0.0.1:") == b.via);
	struct ms_stack_stats st;
	ms_stack_stats(a.s, &st);
	ASSERT_INT(st.conns, 1);
	ms_stack_free(a.s);
	ms_stack_free(b.s);
	ev_loop_destroy(loop);
}

/* RFC 3261 §18.1.1: over 1300 bytes a UDP request goes over TCP. */
TEST(stack_large_request_moves_to_tcp)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side a, b;
	const char *sa[] = { "udp:127.0.0.1:0" }, *sb[] = { "udp:127.0.0.1:0", "tcp:127.0.0.1:0" };
	side_open(&a, loop, sa, 1);
	side_open(&b, loop, sb, 2);
	b.answer = 200;
	struct ms_txn_peer dst = peer_of(&b, MS_PROTO_UDP);
	/* The TCP listener of b is on another port: aim at it, as a UDP target. */
	ASSERT_INT(ms_stack_local(b.s, MS_PROTO_TCP, AF_INET, &dst.addr), 0);
	send_options(&a, &dst, 2000);
	ASSERT_INT(dst.proto, MS_PROTO_TCP);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(a.status, 200);
	ASSERT_INT(b.req_proto, MS_PROTO_TCP);
	/* A small one stays on UDP; so does a large one the caller pins. */
	struct ms_txn_peer d2 = peer_of(&b, MS_PROTO_UDP);
	struct ms_buf via;
	ms_buf_init(&via);
	ASSERT_INT(ms_stack_via(a.s, &d2, 5000, true, &via), 0);
	ASSERT_INT(d2.proto, MS_PROTO_UDP);
	ASSERT(!strncmp(via.data, "SIP/2.0/UDP ", 12));
	ms_buf_free(&via);
	ms_stack_free(a.s);
	ms_stack_free(b.s);
	ev_loop_destroy(loop);
}

/* A raw UDP socket bound to 127.0.0.1, to play a peer. */
static int raw_udp(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_storage a;
	socklen_t len = sizeof a;
	ms_addr_set(&a, MS_STR("127.0.0.1"), 0);
	ASSERT_INT(bind(fd, (struct sockaddr *)&a, ms_addr_len(&a)), 0);
	ASSERT_INT(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ms_addr_port(&a);
	return fd;
}

/* Sends 'msg' to the stack, runs the loop a moment, and returns what came
 * back (empty when nothing did). */
static const char *exchange(struct ev_loop *loop, int fd, const struct sockaddr_storage *to, const char *msg,
			    char *out, size_t cap)
{
	sendto(fd, msg, strlen(msg), 0, (const struct sockaddr *)to, ms_addr_len(to));
	ms_test_run_bounded(loop, 0.1);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n = poll(&p, 1, 0) == 1 ? recv(fd, out, cap - 1, 0) : 0;
	out[n > 0 ? n : 0] = 0;
	return out;
}

TEST(stack_answers_bad_requests_or_drops_them)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side b;
	const char *sb[] = { "udp:127.0.0.1:0" };
	side_open(&b, loop, sb, 1);
	b.answer = 200;
	uint16_t port;
	int fd = raw_udp(&port);
	struct ms_txn_peer dst = peer_of(&b, MS_PROTO_UDP);
	char msg[512], got[2048];
	snprintf(msg, sizeof msg,
		 "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKbad1\r\n"
		 "From: <sip:a@x>;tag=9\r\nTo: <sip:b@x>\r\nCall-ID: bad1\r\nCSeq: 99999999999 OPTIONS\r\n"
		 "Content-Length: 0\r\n\r\n",
		 port);
	exchange(loop, fd, &dst.addr, msg, got, sizeof got);
	ASSERT_STARTS(got, "SIP/2.0 400 Bad CSeq: ");
	ASSERT(strstr(got, "\r\nCall-ID: bad1\r\n") != NULL);
	ASSERT(strstr(got, ";branch=z9hG4bKbad1\r\n") != NULL);
	ASSERT(strstr(got, "\r\nTo: <sip:b@x>;tag=") != NULL);
	ASSERT(strstr(b.logged, "answered 400") != NULL);
	/* A bad request that asked for rport (RFC 3581) is answered with its
	 * Via marked, as a good one would be: the Via names a host that is
	 * not where it came from, and the 400 says where it did. */
	snprintf(msg, sizeof msg,
		 "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.7:5070;rport;branch=z9hG4bKbad3\r\n"
		 "From: <sip:a@x>;tag=9\r\nTo: <sip:b@x>\r\nCall-ID: bad3\r\nCSeq: x OPTIONS\r\n"
		 "Content-Length: 0\r\n\r\n");
	exchange(loop, fd, &dst.addr, msg, got, sizeof got);
	ASSERT_STARTS(got, "SIP/2.0 400 Bad CSeq: ");
	char via[128];
	snprintf(via, sizeof via,
		 "Via: SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bKbad3;received=127.0.0.1;rport=%u\r\n", port);
	ASSERT(strstr(got, via) != NULL);
	/* Nothing to answer with: dropped, logged, and never handed on. */
	exchange(loop, fd, &dst.addr, "hello\r\n\r\n", got, sizeof got);
	ASSERT_INT(strlen(got), 0);
	ASSERT(strstr(b.logged, "dropped") != NULL);
	/* An unknown Request-URI scheme gets 416 from the stack itself. */
	snprintf(msg, sizeof msg,
		 "OPTIONS foo:bar SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKbad2\r\n"
		 "From: <sip:a@x>;tag=9\r\nTo: <sip:b@x>\r\nCall-ID: bad2\r\nCSeq: 1 OPTIONS\r\n"
		 "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		 port);
	exchange(loop, fd, &dst.addr, msg, got, sizeof got);
	ASSERT_STARTS(got, "SIP/2.0 416 Unsupported URI Scheme: foo\r\n");
	ASSERT_INT(b.requests, 0);
	/* A datagram over max_msg gets 513 (here a stack that takes 2 KiB). */
	struct side c;
	side_open(&c, loop, NULL, 0);
	ms_stack_free(c.s);
	struct ms_stack_config cfg = { .loop = loop, .request_cb = on_request, .arg = &c, .max_msg = 2048 };
	ASSERT_INT(ms_stack_new(&c.s, &cfg), 0);
	const char *why;
	ASSERT_INT(ms_stack_listen(c.s, "udp:127.0.0.1:0", &why), 0);
	struct ms_txn_peer cdst = peer_of(&c, MS_PROTO_UDP);
	char big[4096];
	int n = snprintf(big, sizeof big,
			 "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKbig\r\n"
			 "CSeq: 1 OPTIONS\r\nX-Pad: ",
			 port);
	memset(big + n, 'x', 3000);
	strcpy(big + n + 3000, "\r\nContent-Length: 0\r\n\r\n");
	exchange(loop, fd, &cdst.addr, big, got, sizeof got);
	ASSERT_STARTS(got, "SIP/2.0 513 Message Too Large: message too large\r\n");
	ASSERT_INT(c.requests, 0);
	ms_stack_free(c.s);
	struct ms_stack_stats st;
	ms_stack_stats(b.s, &st);
	ASSERT_INT(st.rx_bad, 3);
	close(fd);
	ms_stack_free(b.s);
	ev_loop_destroy(loop);
}

TEST(stack_stray_responses_and_draining)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side b;
	const char *sb[] = { "udp:127.0.0.1:0" };
	side_open(&b, loop, sb, 1);
	b.answer = 200;
	uint16_t port;
	int fd = raw_udp(&port);
	struct ms_txn_peer dst = peer_of(&b, MS_PROTO_UDP);
	char got[2048], msg[512];
	exchange(loop, fd, &dst.addr,
		 "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKnone\r\n"
		 "From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: s1\r\nCSeq: 1 INVITE\r\n"
		 "Content-Length: 0\r\n\r\n",
		 got, sizeof got);
	ASSERT_INT(b.strays, 1);
	ASSERT_INT(b.status, 180);
	ms_stack_stop_listening(b.s);
	snprintf(msg, sizeof msg,
		 "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKdrain\r\n"
		 "From: <sip:a@x>;tag=9\r\nTo: <sip:b@x>\r\nCall-ID: d1\r\nCSeq: 1 OPTIONS\r\n"
		 "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		 port);
	exchange(loop, fd, &dst.addr, msg, got, sizeof got);
	ASSERT_STARTS(got, "SIP/2.0 503 Service Unavailable: shutting down\r\n");
	ASSERT_INT(b.requests, 0);
	close(fd);
	ms_stack_free(b.s);
	ev_loop_destroy(loop);
}

/* Transport errors reach the client transaction as 503, long before
 * Timer F: ICMP port unreachable on UDP, a refused connection on TCP. */
TEST(stack_unreachable_peers_give_503)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side a;
	const char *sa[] = { "udp:127.0.0.1:0" };
	side_open(&a, loop, sa, 1);
	uint16_t port;
	int fd = raw_udp(&port);
	close(fd); /* a port nobody listens on now */
	struct ms_txn_peer dst = { .proto = MS_PROTO_UDP };
	ms_addr_set(&dst.addr, MS_STR("127.0.0.1"), port);
	send_options(&a, &dst, 0);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(a.status, 503);
	a.status = 0;
	dst.proto = MS_PROTO_TCP;
	dst.conn = 0;
	send_options(&a, &dst, 0);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(a.status, 503);
	ms_stack_free(a.s);
	ev_loop_destroy(loop);
}

TEST(stack_config_and_listen_errors)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct ms_stack *s;
	struct side sd;
	memset(&sd, 0, sizeof sd);
	struct ms_stack_config bad = { .loop = loop, .log = { .fn = on_log, .arg = &sd } };
	ASSERT_INT(ms_stack_new(&s, &bad), MS_EINVAL);
	ASSERT(strstr(sd.logged, "request callback") != NULL);
	const char *sa[] = { "udp:127.0.0.1:0" };
	side_open(&sd, loop, sa, 1);
	const char *why = NULL;
	ASSERT(ms_stack_listen(sd.s, "sctp:127.0.0.1:5060", &why) < 0);
	ASSERT(why != NULL);
	struct sockaddr_storage a;
	char spec[64], as[MS_ADDR_STRLEN];
	ASSERT_INT(ms_stack_local(sd.s, MS_PROTO_UDP, AF_UNSPEC, &a), 0);
	snprintf(spec, sizeof spec, "udp:%s", ms_addr_format(&a, as));
	ASSERT_INT(ms_stack_listen(sd.s, spec, &why), -EADDRINUSE);
	ASSERT(strstr(why, "in use") != NULL);
	ASSERT_INT(ms_stack_local(sd.s, MS_PROTO_TCP, AF_UNSPEC, &a), MS_ENOENT);
	enum ms_log_level lv;
	ASSERT_INT(ms_log_level_parse("debug", &lv), 0);
	ASSERT_INT(lv, MS_LOG_DEBUG);
	ASSERT_INT(ms_log_level_parse("loud", &lv), MS_EINVAL);
	ms_stack_free(sd.s);
	ev_loop_destroy(loop);
}

TEST(stack_ipv6_marks_received_without_brackets)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side a, b;
	const char *sa[] = { "udp:[::1]:0" }, *sb[] = { "udp:[::1]:0" };
	side_open(&a, loop, sa, 1);
	side_open(&b, loop, sb, 1);
	b.answer = 200;
	struct ms_txn_peer dst = { .proto = MS_PROTO_UDP };
	ASSERT_INT(ms_stack_local(b.s, MS_PROTO_UDP, AF_INET6, &dst.addr), 0);
	send_options(&a, &dst, 0);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(a.status, 200);
	ASSERT(strstr(b.via, "SIP/2.0/UDP [::1]:") == b.via);
	/* The sent-by matches the source, but rport asks for received too. */
	ASSERT(strstr(b.via, ";received=::1;rport=") != NULL);
	ms_stack_free(a.s);
	ms_stack_free(b.s);
	ev_loop_destroy(loop);
}

static const char *cert(const char *name)
{
	static char paths[4][512];
	static int next;
	const char *dir = getenv("MS_TLS_CERTS");
	if (!dir)
		ms_test_fail(__FILE__, __LINE__, "MS_TLS_CERTS is not set (ctest sets it)");
	char *p = paths[next++ % 4];
	snprintf(p, sizeof paths[0], "%s/%s", dir, name);
	return p;
}

static void side_open_tls(struct side *sd, struct ev_loop *loop, const char *spec, const char *ca)
{
	memset(sd, 0, sizeof *sd);
	sd->loop = loop;
	struct ms_stack_config cfg = { .loop = loop,
				       .request_cb = on_request,
				       .arg = sd,
				       .log = { .fn = on_log, .arg = sd, .level = MS_LOG_DEBUG } };
	cfg.tls.ca_file = cert(ca);
	if (spec) {
		cfg.tls.cert_file = cert("server.pem");
		cfg.tls.key_file = cert("server.key");
	}
	ASSERT_INT(ms_stack_new(&sd->s, &cfg), 0);
	const char *why = NULL;
	if (spec)
		ASSERT_INT(ms_stack_listen(sd->s, spec, &why), 0);
}

/* A request over TLS to a stack with a TLS listener; a client that trusts
 * another CA gets 503 from its transaction, and the log says why. */
TEST(stack_tls_answers_and_refuses_an_untrusted_server)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side a, b, rogue;
	side_open_tls(&b, loop, "tls:127.0.0.1:0", "ca.pem");
	side_open_tls(&a, loop, NULL, "ca.pem");
	side_open_tls(&rogue, loop, NULL, "rogue-ca.pem");
	b.answer = 200;
	struct ms_txn_peer dst = peer_of(&b, MS_PROTO_TLS);
	send_options(&a, &dst, 0);
	ms_test_run_bounded(loop, 3);
	ASSERT_INT(a.status, 200);
	ASSERT_INT(b.req_proto, MS_PROTO_TLS);
	ASSERT(strstr(b.via, "SIP/2.0/TLS ") == b.via);
	dst = peer_of(&b, MS_PROTO_TLS);
	send_options(&rogue, &dst, 0);
	ms_test_run_bounded(loop, 3);
	ASSERT_INT(rogue.status, 503);
	ASSERT(strstr(rogue.logged, "certificate verify failed") != NULL);
	ASSERT_INT(b.requests, 1);
	/* A tls listener without a certificate is refused with a reason. */
	const char *why = NULL;
	ASSERT(ms_stack_listen(a.s, "tls:127.0.0.1:0", &why) < 0);
	ASSERT(strstr(why, "certificate") != NULL);
	ms_stack_free(a.s);
	ms_stack_free(b.s);
	ms_stack_free(rogue.s);
	ev_loop_destroy(loop);
}

/* Reads what a blocking socket gets until the peer closes (bounded). */
static size_t read_to_close(int fd, char *out, size_t cap)
{
	size_t n = 0;
	struct timeval tv = { 2, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	for (ssize_t r; n + 1 < cap && (r = recv(fd, out + n, cap - 1 - n, 0)) > 0;)
		n += (size_t)r;
	out[n] = 0;
	return n;
}

/* A stream with a Content-Length that cannot be used gets its 400 before
 * the close (RFC 4475 §3.1.2.3); one over the size limit gets 513. */
TEST(stack_unframeable_stream_answered_then_closed)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side b;
	const char *sb[] = { "tcp:127.0.0.1:0" };
	side_open(&b, loop, sb, 1);
	struct ms_txn_peer dst = peer_of(&b, MS_PROTO_TCP);
	static const char *const sends[] = {
		"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bKcl\r\nCall-ID: cl\r\n"
		"CSeq: 1 OPTIONS\r\nContent-Length: -999\r\n\r\n",
		"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1;branch=z9hG4bKbig\r\nCall-ID: big\r\n"
		"CSeq: 1 OPTIONS\r\nContent-Length: 900000\r\n\r\n",
	};
	static const char *const want[] = { "SIP/2.0 400 Bad Content-Length\r\n",
					    "SIP/2.0 513 Message Too Large: message too large\r\n" };
	for (int i = 0; i < 2; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		ASSERT_INT(connect(fd, (struct sockaddr *)&dst.addr, ms_addr_len(&dst.addr)), 0);
		ASSERT(send(fd, sends[i], strlen(sends[i]), 0) > 0);
		ms_test_run_bounded(loop, 0.2);
		char got[1024];
		read_to_close(fd, got, sizeof got);
		ASSERT(!strncmp(got, want[i], strlen(want[i])));
		ASSERT(strstr(got, ";branch=z9hG4bK") != NULL);
		close(fd);
		ms_test_run_bounded(loop, 0.05); /* the server lingers until our close */
	}
	struct ms_stack_stats st;
	ms_stack_stats(b.s, &st);
	ASSERT_INT(st.rx_bad, 2);
	ASSERT_INT(st.conns, 0);
	ms_stack_free(b.s);
	ev_loop_destroy(loop);
}

/* RFC 3261 §18.2.1: received only when the sent-by is not the source
 * address, compared as addresses ([::1] and [0::1] are the same), and
 * always for a host name. */
TEST(stack_received_only_when_sent_by_differs)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side b;
	const char *sb[] = { "udp:127.0.0.1:0" };
	side_open(&b, loop, sb, 1);
	b.answer = 200;
	uint16_t port;
	int fd = raw_udp(&port);
	struct ms_txn_peer dst = peer_of(&b, MS_PROTO_UDP);
	static const char *const hosts[] = { "127.0.0.1", "127.000.000.001", "192.0.2.9", "localhost" };
	static const bool marked[] = { false, true, true, true };
	for (int i = 0; i < 4; i++) {
		char msg[512], got[2048];
		snprintf(msg, sizeof msg,
			 "OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP %s:%u;branch=z9hG4bKrcv%d\r\n"
			 "From: <sip:a@x>;tag=9\r\nTo: <sip:b@x>\r\nCall-ID: rcv%d\r\nCSeq: 1 OPTIONS\r\n"
			 "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
			 hosts[i], port, i, i);
		exchange(loop, fd, &dst.addr, msg, got, sizeof got);
		ASSERT_INT(b.requests, i + 1);
		ASSERT_INT(strstr(b.via, ";received=127.0.0.1") != NULL, marked[i]);
		ASSERT(strstr(b.via, "rport") == NULL);
	}
	close(fd);
	ms_stack_free(b.s);
	ev_loop_destroy(loop);
}
