/* UDP on real sockets on 127.0.0.1, driven by a real libev loop. Every wait
 * is bounded by a timer so a lost datagram fails the test instead of
 * hanging it. */
#include <errno.h>
#include <ev.h>

#include "moonsip/addr.h"
#include "test.h"
#include "transport/udp.h"

struct seen {
	int count;
	size_t last_len;
	char last[64];
	struct sockaddr_storage from;
	int errors;
	int err;
	struct sockaddr_storage err_dst;
	struct ev_loop *loop;
	int want;
};

static void on_recv(struct ms_udp *u, char *buf, size_t len, const struct sockaddr_storage *src, void *arg)
{
	struct seen *s = arg;
	(void)u;
	s->count++;
	s->last_len = len;
	memcpy(s->last, buf, len < sizeof s->last ? len : sizeof s->last);
	s->from = *src;
	if (s->count >= s->want)
		ev_break(s->loop, EVBREAK_ALL);
}

static void on_error(struct ms_udp *u, const struct sockaddr_storage *dst, int err, void *arg)
{
	struct seen *s = arg;
	(void)u;
	s->errors++;
	s->err = err;
	s->err_dst = *dst;
	ev_break(s->loop, EVBREAK_ALL);
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* Runs the loop until a callback breaks it or one second passes. */
static void run_bounded(struct ev_loop *loop)
{
	ev_timer t;
	ev_timer_init(&t, on_timeout, 1.0, 0);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
}

static struct ms_udp *open_local(struct ev_loop *loop, struct seen *s)
{
	struct sockaddr_storage a;
	struct ms_udp *u;
	ASSERT_INT(ms_addr_set(&a, MS_STR("127.0.0.1"), 0), 0);
	ASSERT_INT(ms__udp_open(&u, loop, &a, 0, on_recv, on_error, s), 0);
	ASSERT(ms_addr_port(ms__udp_local(u)) != 0);
	return u;
}

TEST(udp_send_receive_batch)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct seen sa = { .loop = loop, .want = 1 }, sb = { .loop = loop, .want = 40 };
	struct ms_udp *a = open_local(loop, &sa), *b = open_local(loop, &sb);
	char msg[16];
	for (int i = 0; i < 40; i++) {
		int n = snprintf(msg, sizeof msg, "dgram %d", i);
		ASSERT_INT(ms__udp_send(a, ms__udp_local(b), msg, (size_t)n), 0);
	}
	run_bounded(loop);
	ASSERT_INT(sb.count, 40);
	ASSERT_STR(((struct ms_str){ sb.last, sb.last_len }), "dgram 39");
	ASSERT(ms_addr_equal(&sb.from, ms__udp_local(a)));
	ms__udp_close(a);
	ms__udp_close(b);
	ev_loop_destroy(loop);
}

TEST(udp_icmp_unreachable_reported)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct seen sa = { .loop = loop, .want = 1 }, sc = { .loop = loop, .want = 1 };
	struct ms_udp *a = open_local(loop, &sa), *c = open_local(loop, &sc);
	struct sockaddr_storage closed = *ms__udp_local(c);
	ms__udp_close(c); /* nobody listens there any more */
	ASSERT_INT(ms__udp_send(a, &closed, "x", 1), 0);
	run_bounded(loop);
	ASSERT_INT(sa.errors, 1);
	ASSERT_INT(sa.err, ECONNREFUSED);
	ASSERT(ms_addr_equal(&sa.err_dst, &closed));
	ms__udp_close(a);
	ev_loop_destroy(loop);
}

TEST(udp_open_errors)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct seen s = { .loop = loop };
	struct ms_udp *a = open_local(loop, &s), *b = NULL;
	/* the same port twice: EADDRINUSE, nothing leaked */
	ASSERT_INT(ms__udp_open(&b, loop, ms__udp_local(a), 0, on_recv, on_error, &s), -EADDRINUSE);
	/* Sockets that all ask for SO_REUSEPORT share a port. */
	struct ms_udp *r1, *r2;
	struct sockaddr_storage any;
	ASSERT_INT(ms_addr_set(&any, MS_STR("127.0.0.1"), 0), 0);
	ASSERT_INT(ms__udp_open(&r1, loop, &any, MS__UDP_REUSEPORT, on_recv, on_error, &s), 0);
	ASSERT_INT(ms__udp_open(&r2, loop, ms__udp_local(r1), MS__UDP_REUSEPORT, on_recv, on_error, &s), 0);
	ms__udp_close(r1);
	ms__udp_close(r2);
	ms__udp_close(a);
	ms__udp_close(NULL);
	ev_loop_destroy(loop);
}

/* An echo: what a receive callback sends is queued and leaves after the
 * batch (sendmmsg); every answer must arrive, in order, to its sender. */
static void on_echo(struct ms_udp *u, char *buf, size_t len, const struct sockaddr_storage *src, void *arg)
{
	(void)arg;
	ASSERT_INT(ms__udp_send(u, src, buf, len), 0);
}

TEST(udp_answers_from_callbacks_leave_in_batches)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct seen sa = { .loop = loop, .want = 100 };
	struct sockaddr_storage a;
	struct ms_udp *echo, *client = open_local(loop, &sa);
	ASSERT_INT(ms_addr_set(&a, MS_STR("127.0.0.1"), 0), 0);
	ASSERT_INT(ms__udp_open(&echo, loop, &a, 0, on_echo, NULL, NULL), 0);
	/* Sent before the loop runs: the echo finds them all at once and
	 * answers more than one batch's worth. */
	for (int i = 0; i < 100; i++) {
		char msg[16];
		int n = snprintf(msg, sizeof msg, "m%03d", i);
		ASSERT_INT(ms__udp_send(client, ms__udp_local(echo), msg, (size_t)n), 0);
	}
	run_bounded(loop);
	ASSERT_INT(sa.count, 100);
	ASSERT_INT(sa.last_len, 4);
	ASSERT(!memcmp(sa.last, "m099", 4));
	ASSERT(ms_addr_equal(&sa.from, ms__udp_local(echo)));
	ms__udp_close(client);
	ms__udp_close(echo);
	ev_loop_destroy(loop);
}
