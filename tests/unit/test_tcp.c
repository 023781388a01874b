/* TCP on real sockets on 127.0.0.1 with a real libev loop. Every wait is
 * bounded by a timer. */
#include <errno.h>
#include <ev.h>
#include <sys/socket.h>
#include <unistd.h>

#include "moonsip/addr.h"
#include "stream_log.h"
#include "test.h"
#include "transport/tcp.h"

static struct ms_tcp *server(struct ev_loop *loop, struct log *l, const struct ms_tcp_config *cfg)
{
	struct sockaddr_storage a;
	struct ms_tcp *t;
	ASSERT_INT(ms_addr_set(&a, MS_STR("127.0.0.1"), 0), 0);
	ASSERT_INT(ms__tcp_open(&t, loop, &a, cfg, on_msg, on_close, l), 0);
	return t;
}

/* A plain blocking client socket, to play a misbehaving peer. */
static int raw_client(const struct sockaddr_storage *to)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT(fd >= 0);
	ASSERT_INT(connect(fd, (const struct sockaddr *)to, ms_addr_len(to)), 0);
	return fd;
}

static const char opt[] = "OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n";

TEST(tcp_messages_both_ways_with_keepalive)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct log ls = { .loop = loop, .want_msgs = 2 }, lc = { .loop = loop, .want_msgs = 1 };
	struct ms_tcp *srv = server(loop, &ls, NULL), *cli;
	ASSERT_INT(ms__tcp_open(&cli, loop, NULL, NULL, on_msg, on_close, &lc), 0);
	char two[256];
	int n = snprintf(two, sizeof two, "%s\r\n\r\n%s", opt, opt);
	int64_t id = ms__tcp_send(cli, 0, ms__tcp_local(srv), two, (size_t)n);
	ASSERT(id > 0);
	ms_test_run_bounded(loop, 1);
	ASSERT_INT(ls.msgs, 2);
	ASSERT_STR(((struct ms_str){ ls.last, ls.last_len }), opt);
	/* the answer goes back on the connection it came from */
	ASSERT(ms__tcp_send(srv, ls.last_conn, NULL, opt, sizeof opt - 1) > 0);
	ms_test_run_bounded(loop, 1);
	ASSERT_INT(lc.msgs, 1);
	/* the client reuses its connection for the same destination */
	ASSERT_INT(ms__tcp_send(cli, 0, ms__tcp_local(srv), opt, sizeof opt - 1), id);
	ASSERT_INT(ms__tcp_count(cli), 1);
	ms__tcp_close(cli);
	ms__tcp_close(srv);
	ev_loop_destroy(loop);
}

static void expect_close(const char *send_this, size_t len, const struct ms_tcp_config *cfg, const char *why)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct log l = { .loop = loop, .want_closes = 1 };
	struct ms_tcp *srv = server(loop, &l, cfg);
	int fd = raw_client(ms__tcp_local(srv));
	if (len)
		ASSERT_INT(write(fd, send_this, len), (long long)len);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(l.closes, 1);
	if (strcmp(l.why, why))
		ms_test_fail(__FILE__, __LINE__, "closed because '%s', expected '%s'", l.why, why);
	ASSERT_INT(ms__tcp_count(srv), 0);
	/* the server closed its end: the peer reads end-of-file */
	char c;
	ASSERT_INT(read(fd, &c, 1), 0);
	close(fd);
	ms__tcp_close(srv);
	ev_loop_destroy(loop);
}

TEST(tcp_garbage_and_stalls_close_the_connection)
{
	struct ms_tcp_config small = { .max_msg = 256, .stall_ms = 100, .idle_ms = 100 };
	char junk[600];
	memset(junk, 'x', sizeof junk);
	expect_close(junk, sizeof junk, &small, "header section too large");
	static const char nocl[] = "OPTIONS sip:a@b SIP/2.0\r\nTo: x\r\n\r\n";
	expect_close(nocl, sizeof nocl - 1, &small, "missing Content-Length");
	static const char big[] = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 10485760\r\n\r\n";
	expect_close(big, sizeof big - 1, &small, "message too large");
	expect_close(opt, 20, &small, "stalled in the middle of a message");
	expect_close("", 0, &small, "idle");
}

TEST(tcp_connection_limit_and_refused_connect)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct log l = { .loop = loop, .want_closes = 1 };
	struct ms_tcp_config one = { .max_conns = 1 };
	struct ms_tcp *srv = server(loop, &l, &one);
	int a = raw_client(ms__tcp_local(srv)), b = raw_client(ms__tcp_local(srv));
	ms_test_run_bounded(loop, 1);
	ASSERT_INT(l.closes, 1);
	ASSERT(!strcmp(l.why, "connection limit reached"));
	ASSERT_INT(ms__tcp_count(srv), 1);
	close(a);
	close(b);
	/* connecting to a port nobody listens on ends in connect failed */
	struct sockaddr_storage closed = *ms__tcp_local(srv);
	ms__tcp_close(srv);
	struct log lc = { .loop = loop, .want_closes = 1 };
	struct ms_tcp *cli;
	ASSERT_INT(ms__tcp_open(&cli, loop, NULL, NULL, on_msg, on_close, &lc), 0);
	ASSERT(ms__tcp_send(cli, 0, &closed, opt, sizeof opt - 1) > 0);
	ms_test_run_bounded(loop, 1);
	ASSERT_INT(lc.closes, 1);
	ASSERT_INT(lc.close_err, -ECONNREFUSED);
	ASSERT(!strcmp(lc.why, "connect failed"));
	ASSERT_INT(ms__tcp_count(cli), 0);
	ASSERT_INT(ms__tcp_send(cli, 12345, NULL, opt, sizeof opt - 1), MS_ENOENT);
	ms__tcp_close(cli);
	ev_loop_destroy(loop);
}
