/* Calls between two UAs in one process on one loop, over UDP on
 * 127.0.0.1: ringing, answer, ACK, BYE, rejection, CANCEL, re-INVITE both
 * ways; and against a raw socket playing the callee, the ACK sent again
 * for a retransmitted 2xx. What B receives is read from its stack's debug
 * log to check the bytes that matter. Every wait is bounded. */
#include <ev.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "moonsip/stack.h"
#include "moonsip/ua.h"
#include "test.h"

#define SDP_A                                                                                            \
	"v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP " \
	"0\r\n"
#define SDP_B                                                                                            \
	"v=0\r\no=b 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP " \
	"0\r\n"
#define SDP_A2                                                                                           \
	"v=0\r\no=a 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4002 RTP/AVP " \
	"0\r\n"
#define SDP_B2                                                                                           \
	"v=0\r\no=b 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5002 RTP/AVP " \
	"0\r\n"

enum mode { RING, REJECT, ANSWER_REINVITE };

struct side {
	struct ev_loop *loop;
	struct ms_ua *ua;
	struct ms_ua_call *call;
	enum mode mode;
	unsigned incoming, progress, answered, failed, confirmed, reinvites, reinvite_done, ended;
	unsigned status;
	enum ms_ua_end why;
	char sdp[512], offer[512];
	char invite[2048]; /* the first INVITE as the incoming event saw it */
	char rx[16][1100]; /* messages the stack received, from its debug log */
	unsigned nrx;
};

static void copy(char *out, size_t size, struct ms_str s)
{
	snprintf(out, size, "%.*s", (int)s.len, s.s ? s.s : "");
}

static void on_log(void *arg, enum ms_log_level level, const char *line)
{
	struct side *sd = arg;
	(void)level;
	const char *m = strstr(line, ":\n");
	if (strncmp(line, "received ", 9) || !m)
		return;
	snprintf(sd->rx[sd->nrx++ % 16], sizeof sd->rx[0], "%s", m + 2);
}

/* The last message received that starts with 'start'. */
static const char *received(struct side *sd, const char *start)
{
	for (unsigned i = sd->nrx; i-- > 0 && i + 16 >= sd->nrx;)
		if (!strncmp(sd->rx[i % 16], start, strlen(start)))
			return sd->rx[i % 16];
	return NULL;
}

static void ev_progress(struct ms_ua_call *c, unsigned status, struct ms_str sdp, void *arg)
{
	struct side *sd = arg;
	(void)c;
	(void)sdp;
	sd->progress++;
	sd->status = status;
}

static void ev_answered(struct ms_ua_call *c, struct ms_str sdp, void *arg)
{
	struct side *sd = arg;
	(void)c;
	sd->answered++;
	copy(sd->sdp, sizeof sd->sdp, sdp);
}

static void ev_failed(struct ms_ua_call *c, unsigned status, void *arg)
{
	struct side *sd = arg;
	(void)c;
	sd->failed++;
	sd->status = status;
}

static void ev_confirmed(struct ms_ua_call *c, void *arg)
{
	struct side *sd = arg;
	(void)c;
	sd->confirmed++;
}

static void ev_reinvite(struct ms_ua_call *c, struct ms_str sdp, void *arg)
{
	struct side *sd = arg;
	sd->reinvites++;
	copy(sd->offer, sizeof sd->offer, sdp);
	ASSERT_INT(ms_ua_call_answer(c, SDP_B2), 0); /* from inside the event */
}

static void ev_reinvite_done(struct ms_ua_call *c, unsigned status, struct ms_str sdp, void *arg)
{
	struct side *sd = arg;
	(void)c;
	sd->reinvite_done++;
	sd->status = status;
	copy(sd->sdp, sizeof sd->sdp, sdp);
}

static void ev_ended(struct ms_ua_call *c, enum ms_ua_end why, void *arg)
{
	struct side *sd = arg;
	(void)c;
	sd->ended++;
	sd->why = why;
}

static const struct ms_ua_call_events call_ev = { .progress = ev_progress,
						  .answered = ev_answered,
						  .failed = ev_failed,
						  .confirmed = ev_confirmed,
						  .reinvite_done = ev_reinvite_done,
						  .ended = ev_ended };
static const struct ms_ua_call_events callee_ev = { .confirmed = ev_confirmed,
						    .reinvite = ev_reinvite,
						    .reinvite_done = ev_reinvite_done,
						    .ended = ev_ended };

static void on_incoming(struct ms_ua *ua, struct ms_ua_call *c, struct ms_msg *inv, void *arg)
{
	struct side *sd = arg;
	(void)ua;
	sd->incoming++;
	sd->call = c;
	copy(sd->invite, sizeof sd->invite, (struct ms_str){ inv->buf, inv->len });
	ms_ua_call_set_events(c, &callee_ev, sd);
	if (sd->mode == REJECT)
		ASSERT_INT(ms_ua_call_reject(c, 486, NULL), 0);
	else
		ASSERT_INT(ms_ua_call_ring(c), 0);
}

static const struct ms_ua_events ua_ev = { .incoming = on_incoming };

static void side_open(struct side *sd, struct ev_loop *loop, const char *aor)
{
	static const char *const listen[] = { "udp:127.0.0.1:0", NULL };
	memset(sd, 0, sizeof *sd);
	sd->loop = loop;
	struct ms_ua_config cfg = { .loop = loop,
				    .listen = listen,
				    .aor = aor,
				    .log = { .fn = on_log, .arg = sd, .level = MS_LOG_DEBUG },
				    .ev = &ua_ev,
				    .arg = sd,
				    .t1 = 100 };
	ASSERT_INT(ms_ua_new(&sd->ua, &cfg), 0);
}

static unsigned port_of(struct ms_ua *ua)
{
	struct sockaddr_storage a;
	ASSERT_INT(ms_stack_local(ms_ua_stack(ua), MS_PROTO_UDP, AF_INET, &a), 0);
	return ms_addr_port(&a);
}

/* Runs the loop until *n reaches 'want', at most 'secs'. */
static void run_until(struct ev_loop *loop, const unsigned *n, unsigned want, double secs)
{
	ev_now_update(loop);
	double end = ev_now(loop) + secs;
	while (*n < want && ev_now(loop) < end) {
		ms_test_run_bounded(loop, 0.02);
		ev_now_update(loop);
	}
}

static bool has_line(const char *msg, const char *line)
{
	char want[256];
	snprintf(want, sizeof want, "\r\n%s\r\n", line);
	return msg && strstr(msg, want);
}

/* A calls B; B rings; returns once A heard the 180. */
static void ringing(struct side *a, struct side *b, struct ms_ua_call **ac)
{
	char uri[64];
	snprintf(uri, sizeof uri, "sip:bob@127.0.0.1:%u", port_of(b->ua));
	ASSERT_INT(ms_ua_call_new(ac, a->ua, uri, SDP_A, &call_ev, a), 0);
	ASSERT_INT(b->incoming, 0); /* nothing from inside the call */
	run_until(a->loop, &a->progress, 1, 2);
	ASSERT_INT(b->incoming, 1);
	ASSERT_INT(a->progress, 1);
	ASSERT_INT(a->status, 180);
}

static void established(struct side *a, struct side *b, struct ms_ua_call **ac)
{
	ringing(a, b, ac);
	ASSERT_INT(ms_ua_call_answer(b->call, SDP_B), 0);
	run_until(a->loop, &a->answered, 1, 2);
	run_until(a->loop, &b->confirmed, 1, 2);
	ASSERT_INT(a->answered, 1);
	ASSERT_INT(b->confirmed, 1);
	ASSERT(!strcmp(a->sdp, SDP_B));
}

TEST(ua_call_answer_ack_bye)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side a, b;
	side_open(&a, loop, "sip:alice@example.com");
	side_open(&b, loop, "sip:bob@example.com");
	struct ms_ua_call *ac;
	established(&a, &b, &ac);
	char line[128];
	/* The INVITE: CSeq 1, A's Contact, the offer. */
	snprintf(line, sizeof line, "Contact: <sip:alice@127.0.0.1:%u>", port_of(a.ua));
	ASSERT(has_line(b.invite, line));
	ASSERT(has_line(b.invite, "CSeq: 1 INVITE"));
	ASSERT(has_line(b.invite, "Content-Type: application/sdp"));
	ASSERT(strstr(b.invite, "\r\n\r\n" SDP_A));
	ASSERT(ms_ua_call_is_outgoing(ac) && !ms_ua_call_is_outgoing(b.call));
	ASSERT(ms_ua_call_id(ac).len && ms_str_eq(ms_ua_call_id(ac), ms_ua_call_id(b.call)));
	/* The ACK of the 2xx, from A's UA: to B's Contact, CSeq 1 ACK, B's tag. */
	snprintf(line, sizeof line, "ACK sip:bob@127.0.0.1:%u SIP/2.0", port_of(b.ua));
	const char *ack = received(&b, line);
	ASSERT(ack != NULL);
	ASSERT(has_line(ack, "CSeq: 1 ACK"));
	const char *to = strstr(ack, "\r\nTo: ");
	ASSERT(to && strstr(to, ";tag=") && strstr(to, ";tag=") < strstr(to + 2, "\r\n"));
	char tag[64];
	sscanf(strstr(to, ";tag=") + 5, "%63[^\r;]", tag);
	/* A hangs up: BYE to B's Contact, CSeq 2, the same tag. */
	ASSERT_INT(ms_ua_call_hangup(ac), 0);
	ASSERT_INT(a.ended, 0);
	run_until(loop, &a.ended, 1, 2);
	ASSERT_INT(b.ended, 1);
	ASSERT_INT(b.why, MS_UA_END_REMOTE);
	ASSERT_INT(a.ended, 1);
	ASSERT_INT(a.why, MS_UA_END_LOCAL);
	snprintf(line, sizeof line, "BYE sip:bob@127.0.0.1:%u SIP/2.0", port_of(b.ua));
	const char *bye = received(&b, line);
	ASSERT(bye != NULL);
	ASSERT(has_line(bye, "CSeq: 2 BYE"));
	ASSERT(strstr(bye, tag));
	ASSERT(!strstr(bye, "\r\nRoute:"));
	ASSERT_INT(ms_ua_call_hangup(ac), MS_EINVAL);
	ms_ua_call_free(ac);
	ms_ua_call_free(b.call);
	ms_ua_free(a.ua);
	ms_ua_free(b.ua);
	ev_loop_destroy(loop);
}

TEST(ua_call_rejected)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side a, b;
	side_open(&a, loop, "sip:alice@example.com");
	side_open(&b, loop, "sip:bob@example.com");
	b.mode = REJECT;
	char uri[64];
	snprintf(uri, sizeof uri, "sip:bob@127.0.0.1:%u", port_of(b.ua));
	struct ms_ua_call *ac;
	ASSERT_INT(ms_ua_call_new(&ac, a.ua, uri, NULL, &call_ev, &a), 0);
	run_until(loop, &a.failed, 1, 2);
	ASSERT_INT(a.failed, 1);
	ASSERT_INT(a.status, 486);
	ASSERT_INT(a.answered + a.ended, 0);
	ASSERT(!strstr(b.invite, "Content-Type:")); /* no offer, no body */
	/* The transaction layer's ACK for the 486 reached B. */
	ms_test_run_bounded(loop, 0.1);
	ASSERT(received(&b, "ACK ") != NULL);
	ASSERT_INT(b.ended, 0);
	ASSERT_INT(ms_ua_call_answer(b.call, SDP_B), MS_EINVAL);
	ms_ua_call_free(ac);
	ms_ua_call_free(b.call);
	ms_ua_free(a.ua);
	ms_ua_free(b.ua);
	ev_loop_destroy(loop);
}

TEST(ua_call_cancelled_after_ringing)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side a, b;
	side_open(&a, loop, "sip:alice@example.com");
	side_open(&b, loop, "sip:bob@example.com");
	struct ms_ua_call *ac;
	ringing(&a, &b, &ac);
	ASSERT_INT(ms_ua_call_cancel(ac), 0);
	run_until(loop, &a.failed, 1, 2);
	ASSERT_INT(a.failed, 1);
	ASSERT_INT(a.status, 487);
	ASSERT_INT(b.ended, 1);
	ASSERT_INT(b.why, MS_UA_END_CANCELLED);
	ASSERT(received(&b, "CANCEL ") != NULL);
	ASSERT(has_line(received(&b, "CANCEL "), "CSeq: 1 CANCEL"));
	ASSERT_INT(ms_ua_call_cancel(ac), MS_EINVAL);
	ms_ua_call_free(ac);
	ms_ua_call_free(b.call);
	ms_ua_free(a.ua);
	ms_ua_free(b.ua);
	ev_loop_destroy(loop);
}

TEST(ua_call_reinvite_both_ways)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side a, b;
	side_open(&a, loop, "sip:alice@example.com");
	side_open(&b, loop, "sip:bob@example.com");
	struct ms_ua_call *ac;
	established(&a, &b, &ac);
	/* A offers anew; B answers from its reinvite event. */
	ASSERT_INT(ms_ua_call_reinvite(ac, SDP_A2), 0);
	ASSERT_INT(ms_ua_call_reinvite(ac, SDP_A2), MS_EAGAIN); /* one INVITE at a time */
	run_until(loop, &a.reinvite_done, 1, 2);
	ASSERT_INT(b.reinvites, 1);
	ASSERT(!strcmp(b.offer, SDP_A2));
	ASSERT_INT(a.reinvite_done, 1);
	ASSERT_INT(a.status, 200);
	ASSERT(!strcmp(a.sdp, SDP_B2));
	char line[128];
	snprintf(line, sizeof line, "INVITE sip:bob@127.0.0.1:%u SIP/2.0", port_of(b.ua));
	const char *inv = received(&b, line);
	ASSERT(inv && has_line(inv, "CSeq: 2 INVITE"));
	ms_test_run_bounded(loop, 0.1);
	snprintf(line, sizeof line, "ACK sip:bob@127.0.0.1:%u SIP/2.0", port_of(b.ua));
	ASSERT(has_line(received(&b, line), "CSeq: 2 ACK"));
	/* B offers; A has no reinvite event: answered with its last SDP. */
	ASSERT_INT(ms_ua_call_reinvite(b.call, NULL), 0);
	run_until(loop, &b.reinvite_done, 1, 2);
	ASSERT_INT(b.reinvite_done, 1);
	ASSERT_INT(b.status, 200);
	ASSERT(!strcmp(b.sdp, SDP_A2));
	snprintf(line, sizeof line, "INVITE sip:alice@127.0.0.1:%u SIP/2.0", port_of(a.ua));
	ASSERT(has_line(received(&a, line), "CSeq: 1 INVITE")); /* B's first request in the dialog */
	/* B hangs up. */
	ASSERT_INT(ms_ua_call_hangup(b.call), 0);
	run_until(loop, &b.ended, 1, 2);
	ASSERT_INT(a.ended, 1);
	ASSERT_INT(a.why, MS_UA_END_REMOTE);
	ASSERT_INT(b.why, MS_UA_END_LOCAL);
	ms_ua_call_free(ac);
	ms_ua_call_free(b.call);
	ms_ua_free(a.ua);
	ms_ua_free(b.ua);
	ev_loop_destroy(loop);
}

TEST(ua_call_freed_while_up_hangs_up)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side a, b;
	side_open(&a, loop, "sip:alice@example.com");
	side_open(&b, loop, "sip:bob@example.com");
	struct ms_ua_call *ac;
	established(&a, &b, &ac);
	ms_ua_call_free(ac);
	run_until(loop, &b.ended, 1, 2);
	ASSERT_INT(b.ended, 1);
	ASSERT_INT(b.why, MS_UA_END_REMOTE);
	ASSERT_INT(a.ended, 0); /* no callback after free */
	ms_ua_call_free(b.call);
	ms_ua_free(a.ua);
	ms_ua_free(b.ua);
	ev_loop_destroy(loop);
}

TEST(ua_call_in_dialog_request_without_dialog_gets_481)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side b;
	side_open(&b, loop, "sip:bob@example.com");
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_storage dst;
	ASSERT_INT(ms_stack_local(ms_ua_stack(b.ua), MS_PROTO_UDP, AF_INET, &dst), 0);
	const char bye[] =
		"BYE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx1;rport\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:bob@x>;tag=nope\r\nCall-ID: none@x\r\n"
		"CSeq: 5 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
	ASSERT(sendto(fd, bye, sizeof bye - 1, 0, (struct sockaddr *)&dst, ms_addr_len(&dst)) > 0);
	char buf[2048];
	ssize_t n = 0;
	for (int i = 0; i < 100 && n <= 0; i++) {
		ms_test_run_bounded(loop, 0.01);
		n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
	}
	ASSERT(n > 0);
	buf[n] = 0;
	ASSERT(!strncmp(buf, "SIP/2.0 481 ", 12));
	close(fd);
	ms_ua_free(b.ua);
	ev_loop_destroy(loop);
}

/* A raw socket plays the callee: the 200 sent twice gets the ACK twice. */
TEST(ua_call_ack_resent_for_retransmitted_2xx)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct side a;
	side_open(&a, loop, "sip:alice@example.com");
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t sl = sizeof me;
	ASSERT_INT(bind(fd, (struct sockaddr *)&me, sizeof me), 0);
	ASSERT_INT(getsockname(fd, (struct sockaddr *)&me, &sl), 0);
	char uri[64], buf[4096];
	snprintf(uri, sizeof uri, "sip:bob@127.0.0.1:%u", ntohs(me.sin_port));
	struct ms_ua_call *ac;
	ASSERT_INT(ms_ua_call_new(&ac, a.ua, uri, SDP_A, &call_ev, &a), 0);
	struct sockaddr_storage from;
	socklen_t fl = sizeof from;
	ssize_t n = -1;
	for (int i = 0; i < 100 && n <= 0; i++) {
		ms_test_run_bounded(loop, 0.01);
		fl = sizeof from;
		n = recvfrom(fd, buf, sizeof buf - 1, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	}
	ASSERT(n > 0);
	buf[n] = 0;
	ASSERT(!strncmp(buf, "INVITE ", 7));
	/* The 200: the INVITE's Via, From, Call-ID, CSeq, a To tag, a Contact. */
	char resp[4096];
	size_t len = 0;
	len += (size_t)snprintf(resp + len, sizeof resp - len, "SIP/2.0 200 OK\r\n");
	const char *names[] = { "Via: ", "From: ", "Call-ID: ", "CSeq: ", "To: " };
	for (int i = 0; i < 5; i++) {
		const char *h = strstr(buf, names[i]);
		ASSERT(h);
		const char *e = strstr(h, "\r\n");
		len += (size_t)snprintf(resp + len, sizeof resp - len, "%.*s%s\r\n", (int)(e - h), h,
					i == 4 ? ";tag=raw" : "");
	}
	len += (size_t)snprintf(resp + len, sizeof resp - len,
				"Contact: <sip:bob@127.0.0.1:%u>\r\nContent-Length: 0\r\n\r\n",
				ntohs(me.sin_port));
	unsigned acks = 0;
	for (int round = 0; round < 2; round++) {
		ASSERT(sendto(fd, resp, len, 0, (struct sockaddr *)&from, fl) == (ssize_t)len);
		n = -1;
		for (int i = 0; i < 100; i++) {
			ms_test_run_bounded(loop, 0.01);
			n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
			if (n > 0) {
				buf[n] = 0;
				if (!strncmp(buf, "ACK ", 4))
					break;
			}
		}
		ASSERT(n > 0 && !strncmp(buf, "ACK ", 4));
		ASSERT(has_line(buf, "CSeq: 1 ACK"));
		ASSERT(strstr(buf, ";tag=raw\r\n"));
		char line[80];
		snprintf(line, sizeof line, "ACK sip:bob@127.0.0.1:%u SIP/2.0\r\n", ntohs(me.sin_port));
		ASSERT(!strncmp(buf, line, strlen(line)));
		acks++;
	}
	ASSERT_INT(acks, 2);
	ASSERT_INT(a.answered, 1); /* the event once */
	close(fd);
	ms_ua_call_free(ac); /* sends a BYE to nobody */
	ms_ua_free(a.ua);
	ev_loop_destroy(loop);
}
