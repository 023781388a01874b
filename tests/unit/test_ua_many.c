/* Many calls at once between two UAs in one process on one loop, over UDP
 * on 127.0.0.1: the max_calls limit of ms_ua_config (the default, a value
 * set, both ways), and hundreds of concurrent calls, each found again
 * through the UA's index by Call-ID, all answered, confirmed and hung up.
 * Every wait is bounded; nothing is timed. */
#include <ev.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "moonsip/stack.h"
#include "moonsip/ua.h"
#include "test.h"

#define SDP                                                                                              \
	"v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP " \
	"0\r\n"

#define MANY 500

/* One side of the test: a UA and the counts of what it saw. The callee
 * rings every call (or answers it, 'answer'). */
struct party {
	struct ev_loop *loop;
	struct ms_ua *ua;
	bool answer;
	struct ms_ua_call **in; /* incoming calls, to free */
	unsigned nin, cap;
	unsigned progress, answered, failed, busy, confirmed, ended, ended_local, ended_remote;
};

static void ev_progress(struct ms_ua_call *c, unsigned status, struct ms_str sdp, void *arg)
{
	struct party *p = arg;
	(void)c;
	(void)sdp;
	p->progress += status == 180;
}

static void ev_answered(struct ms_ua_call *c, struct ms_str sdp, void *arg)
{
	struct party *p = arg;
	(void)c;
	p->answered += sdp.len > 0;
}

static void ev_failed(struct ms_ua_call *c, unsigned status, void *arg)
{
	struct party *p = arg;
	(void)c;
	p->failed++;
	p->busy += status == 486;
}

static void ev_confirmed(struct ms_ua_call *c, void *arg)
{
	struct party *p = arg;
	(void)c;
	p->confirmed++;
}

static void ev_ended(struct ms_ua_call *c, enum ms_ua_end why, void *arg)
{
	struct party *p = arg;
	(void)c;
	p->ended++;
	p->ended_local += why == MS_UA_END_LOCAL;
	p->ended_remote += why == MS_UA_END_REMOTE;
}

static const struct ms_ua_call_events caller_ev = {
	.progress = ev_progress, .answered = ev_answered, .failed = ev_failed, .ended = ev_ended
};
static const struct ms_ua_call_events callee_ev = { .confirmed = ev_confirmed, .ended = ev_ended };

static void on_incoming(struct ms_ua *ua, struct ms_ua_call *c, struct ms_msg *inv, void *arg)
{
	struct party *p = arg;
	(void)ua;
	(void)inv;
	ASSERT(p->nin < p->cap);
	p->in[p->nin++] = c;
	ms_ua_call_set_events(c, &callee_ev, p);
	if (p->answer)
		ASSERT_INT(ms_ua_call_answer(c, SDP), 0);
	else
		ASSERT_INT(ms_ua_call_ring(c), 0);
}

static const struct ms_ua_events ua_ev = { .incoming = on_incoming };

static void party_open(struct party *p, struct ev_loop *loop, const char *aor, unsigned max_calls)
{
	static const char *const listen[] = { "udp:127.0.0.1:0", NULL };
	memset(p, 0, sizeof *p);
	p->loop = loop;
	p->cap = MANY + 8;
	p->in = calloc(p->cap, sizeof *p->in);
	ASSERT(p->in);
	struct ms_ua_config cfg = { .loop = loop,
				    .listen = listen,
				    .aor = aor,
				    .ev = &ua_ev,
				    .arg = p,
				    .t1 = 100,
				    .max_calls = max_calls };
	ASSERT_INT(ms_ua_new(&p->ua, &cfg), 0);
}

static void party_close(struct party *p)
{
	for (unsigned i = 0; i < p->nin; i++)
		ms_ua_call_free(p->in[i]);
	free(p->in);
	ms_ua_free(p->ua);
}

static void target(struct party *p, char *uri, size_t size)
{
	struct sockaddr_storage a;
	ASSERT_INT(ms_stack_local(ms_ua_stack(p->ua), MS_PROTO_UDP, AF_INET, &a), 0);
	snprintf(uri, size, "sip:bob@127.0.0.1:%u", ms_addr_port(&a));
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

/* A calls B 'n' times; B rings each call it takes. Returns once every
 * call rang or failed. */
static void call_n(struct party *a, struct party *b, struct ms_ua_call **out, unsigned n)
{
	char uri[64];
	target(b, uri, sizeof uri);
	for (unsigned i = 0; i < n; i++)
		ASSERT_INT(ms_ua_call_new(&out[i], a->ua, uri, SDP, &caller_ev, a), 0);
	for (unsigned i = 0; i < 500 && a->progress + a->failed < n; i++)
		run_until(a->loop, &a->progress, n, 0.02);
	ASSERT_INT(a->progress + a->failed, n);
}

static void limit(unsigned max_calls, unsigned allowed)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct party a, b;
	party_open(&a, loop, "sip:alice@example.com", allowed + 1);
	party_open(&b, loop, "sip:bob@example.com", max_calls);
	struct ms_ua_call *calls[MANY];
	call_n(&a, &b, calls, allowed + 1);
	ASSERT_INT(b.nin, allowed);
	ASSERT_INT(a.progress, allowed);
	ASSERT_INT(a.failed, 1);
	ASSERT_INT(a.busy, 1); /* the one over B's limit */
	/* A freed call makes room for the next. */
	ms_ua_call_free(b.in[0]);
	b.in[0] = b.in[--b.nin];
	a.progress = a.failed = 0;
	for (unsigned i = 0; i <= allowed; i++)
		ms_ua_call_free(calls[i]);
	call_n(&a, &b, calls, 1);
	ASSERT_INT(a.progress, 1);
	ASSERT_INT(a.busy, 1);
	ms_ua_call_free(calls[0]);
	party_close(&a);
	party_close(&b);
	ev_loop_destroy(loop);
}

TEST(ua_max_calls_set_then_486)
{
	limit(5, 5);
}

TEST(ua_max_calls_default_is_64)
{
	limit(0, MS_UA_MAX_CALLS);
}

/* ms_ua_call_new() past the caller's own limit. */
TEST(ua_max_calls_outgoing_eagain)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct party a, b;
	party_open(&a, loop, "sip:alice@example.com", 3);
	party_open(&b, loop, "sip:bob@example.com", 0);
	char uri[64];
	target(&b, uri, sizeof uri);
	struct ms_ua_call *calls[4];
	for (unsigned i = 0; i < 3; i++)
		ASSERT_INT(ms_ua_call_new(&calls[i], a.ua, uri, SDP, &caller_ev, &a), 0);
	ASSERT_INT(ms_ua_call_new(&calls[3], a.ua, uri, SDP, &caller_ev, &a), MS_EAGAIN);
	ms_ua_call_free(calls[2]);
	ASSERT_INT(ms_ua_call_new(&calls[2], a.ua, uri, SDP, &caller_ev, &a), 0);
	for (unsigned i = 0; i < 3; i++)
		ms_ua_call_free(calls[i]);
	party_close(&a);
	party_close(&b);
	ev_loop_destroy(loop);
}

/* MANY calls up at once: B answers each as it comes; once all are up, A
 * hangs them all up. Every one is answered, confirmed and ended on both
 * sides, so each message found its own call among the MANY. */
TEST(ua_many_concurrent_calls)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct party a, b;
	party_open(&a, loop, "sip:alice@example.com", MANY);
	party_open(&b, loop, "sip:bob@example.com", MANY);
	b.answer = true;
	char uri[64];
	target(&b, uri, sizeof uri);
	struct ms_ua_call **calls = calloc(MANY, sizeof *calls);
	ASSERT(calls);
	for (unsigned i = 0; i < MANY; i++)
		ASSERT_INT(ms_ua_call_new(&calls[i], a.ua, uri, SDP, &caller_ev, &a), 0);
	run_until(loop, &a.answered, MANY, 30);
	run_until(loop, &b.confirmed, MANY, 5);
	ASSERT_INT(b.nin, MANY);
	ASSERT_INT(a.answered, MANY);
	ASSERT_INT(a.failed, 0);
	ASSERT_INT(b.confirmed, MANY);
	ASSERT_INT(a.ended + b.ended, 0);
	for (unsigned i = 0; i < MANY; i++) {
		ASSERT(ms_ua_call_id(calls[i]).len > 0);
		ASSERT_INT(ms_ua_call_hangup(calls[i]), 0);
	}
	run_until(loop, &a.ended, MANY, 30);
	run_until(loop, &b.ended, MANY, 5);
	ASSERT_INT(a.ended_local, MANY);
	ASSERT_INT(b.ended_remote, MANY);
	for (unsigned i = 0; i < MANY; i++)
		ms_ua_call_free(calls[i]);
	free(calls);
	party_close(&a);
	party_close(&b);
	ev_loop_destroy(loop);
}
