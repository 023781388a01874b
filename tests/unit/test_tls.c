/* TLS over the TCP transport, on real sockets on 127.0.0.1 and ::1 with a
 * real libev loop; every wait is bounded by a timer. The certificates come
 * from tests/tls/make-certs.sh, run by ctest into the directory named by
 * MS_TLS_CERTS (fixture unit.tls_make_certs). */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "moonsip/addr.h"
#include "moonsip/stack.h"
#include "stream_log.h"
#include "test.h"
#include "transport/tcp.h"
#include "transport/tls.h"

/* A file made by make-certs.sh ("server.pem"); a few live at once. */
static const char *cert(const char *name)
{
	static char paths[8][512];
	static int next;
	const char *dir = getenv("MS_TLS_CERTS");
	if (!dir)
		ms_test_fail(__FILE__, __LINE__,
			     "MS_TLS_CERTS is not set: run tests/tls/make-certs.sh DIR "
			     "and set MS_TLS_CERTS=DIR (ctest does both)");
	char *p = paths[next++ % 8];
	snprintf(p, sizeof paths[0], "%s/%s", dir, name);
	return p;
}

static struct ms_tls *tls_new(const struct ms_tls_config *cfg)
{
	struct ms_tls *t;
	char why[256] = "";
	int rc = ms__tls_new(&t, cfg, why, sizeof why);
	if (rc)
		ms_test_fail(__FILE__, __LINE__, "ms__tls_new: %d %s", rc, why);
	return t;
}

static struct ms_tls *server_tls(bool verify_client)
{
	return tls_new(&(struct ms_tls_config){ .cert_file = cert("server.pem"),
						.key_file = cert("server.key"),
						.ca_file = cert("ca.pem"),
						.verify_client = verify_client });
}

static struct ms_tls *client_tls(const char *ca, bool with_cert)
{
	return tls_new(&(struct ms_tls_config){ .cert_file = with_cert ? cert("client.pem") : NULL,
						.key_file = with_cert ? cert("client.key") : NULL,
						.ca_file = cert(ca) });
}

/* A TLS listener on 'ip' (the ms_tcp holds its own reference to tls). */
static struct ms_tcp *listener(struct ev_loop *loop, struct log *l, const char *ip, struct ms_tls *tls,
			       struct ms_tcp_config cfg)
{
	struct sockaddr_storage a;
	struct ms_tcp *t;
	cfg.tls = tls;
	ASSERT_INT(ms_addr_set(&a, (struct ms_str){ ip, strlen(ip) }, 0), 0);
	ASSERT_INT(ms__tcp_open(&t, loop, &a, &cfg, on_msg, on_close, l), 0);
	return t;
}

static struct ms_tcp *client(struct ev_loop *loop, struct log *l, struct ms_tls *tls)
{
	struct ms_tcp *t;
	ASSERT_INT(ms__tcp_open(&t, loop, NULL, &(struct ms_tcp_config){ .tls = tls }, on_msg, on_close, l),
		   0);
	return t;
}

static bool contains(const char *s, const char *sub)
{
	return strstr(s, sub) != NULL;
}

#define ASSERT_WHY(l, sub)                                                                              \
	do {                                                                                            \
		if (!contains((l).why, (sub)))                                                          \
			ms_test_fail(__FILE__, __LINE__, "closed because '%s', expected '%s'", (l).why, \
				     (sub));                                                            \
	} while (0)

static const char opt[] = "OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n";

/* A message from a client to a server and the answer back on the same
 * connection; returns the server's connection. */
static uint64_t exchange(struct ev_loop *loop, struct ms_tcp *srv, struct log *ls, struct ms_tcp *cli,
			 struct log *lc, const char *host)
{
	ls->msgs = lc->msgs = 0;
	ls->want_msgs = 2;
	lc->want_msgs = 1;
	char two[256];
	int n = snprintf(two, sizeof two, "%s%s", opt, opt);
	/* two sends queued before the connection and handshake are done */
	int64_t id = ms__tcp_send_host(cli, 0, ms__tcp_local(srv), host, two, (size_t)n / 2);
	ASSERT(id > 0);
	ASSERT_INT(ms__tcp_send_host(cli, 0, ms__tcp_local(srv), host, two + n / 2, (size_t)(n - n / 2)), id);
	ms_test_run_bounded(loop, 2);
	if (ls->msgs != 2)
		ms_test_fail(__FILE__, __LINE__, "server got %d messages (closes: %d '%s' / %d '%s')",
			     ls->msgs, ls->closes, ls->why, lc->closes, lc->why);
	ASSERT_STR(((struct ms_str){ ls->last, ls->last_len }), opt);
	ASSERT(ms__tcp_send(srv, ls->last_conn, NULL, opt, sizeof opt - 1) > 0);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(lc->msgs, 1);
	ASSERT_STR(((struct ms_str){ lc->last, lc->last_len }), opt);
	return ls->last_conn;
}

static void messages_on(const char *ip)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct log ls = { .loop = loop }, lc = { .loop = loop };
	struct ms_tls *st = server_tls(false), *ct = client_tls("ca.pem", false);
	struct ms_tcp *srv = listener(loop, &ls, ip, st, (struct ms_tcp_config){ 0 });
	struct ms_tcp *cli = client(loop, &lc, ct);
	/* the ms_tcps hold references: the contexts can go now */
	ms__tls_free(st);
	ms__tls_free(ct);
	/* no host: the certificate is checked against the address */
	uint64_t conn = exchange(loop, srv, &ls, cli, &lc, NULL);
	ASSERT_INT(SSL_version(ms__tcp_conn_tls(srv, conn)), TLS1_3_VERSION);
	ASSERT(ms__tcp_conn_sni(srv, conn) == NULL);
	/* the connection is reused */
	ASSERT_INT(ms__tcp_count(cli), 1);
	ms__tcp_close(cli);
	ms__tcp_close(srv);
	ev_loop_destroy(loop);
}

TEST(tls_messages_both_ways_ipv4_and_ipv6)
{
	messages_on("127.0.0.1");
	messages_on("::1");
}

/* A large message in each direction: partial writes, many records, and
 * output that waits for the socket. */
TEST(tls_large_messages_both_ways)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct log ls = { .loop = loop, .want_msgs = 1 }, lc = { .loop = loop, .want_msgs = 1 };
	struct ms_tls *st = server_tls(false), *ct = client_tls("ca.pem", false);
	struct ms_tcp_config big = { .max_msg = 8 << 20, .tls = ct };
	struct ms_tcp *srv = listener(loop, &ls, "127.0.0.1", st, big), *cli;
	ASSERT_INT(ms__tcp_open(&cli, loop, NULL, &big, on_msg, on_close, &lc), 0);
	size_t body = 6 << 20; /* more than the socket buffers hold */
	char *m = malloc(body + 100);
	ASSERT(m);
	int h = snprintf(m, 100, "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: %zu\r\n\r\n", body);
	memset(m + h, 'x', body);
	ASSERT(ms__tcp_send(cli, 0, ms__tcp_local(srv), m, (size_t)h + body) > 0);
	ms_test_run_bounded(loop, 5);
	ASSERT_INT(ls.msgs, 1);
	ASSERT(ms__tcp_send(srv, ls.last_conn, NULL, m, (size_t)h + body) > 0);
	ms_test_run_bounded(loop, 5);
	ASSERT_INT(lc.msgs, 1);
	ASSERT_INT(ls.closes + lc.closes, 0);
	free(m);
	ms__tcp_close(cli);
	ms__tcp_close(srv);
	ms__tls_free(st);
	ms__tls_free(ct);
	ev_loop_destroy(loop);
}

TEST(tls_12_forced_and_13)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct log ls = { .loop = loop }, lc = { .loop = loop };
	struct ms_tls *st = server_tls(false), *ct = client_tls("ca.pem", false);
	ASSERT_INT(ms__tls_set_versions(ct, TLS1_VERSION, TLS1_2_VERSION), MS_EINVAL);
	ASSERT_INT(ms__tls_set_versions(ct, TLS1_2_VERSION, TLS1_2_VERSION), 0);
	struct ms_tcp *srv = listener(loop, &ls, "127.0.0.1", st, (struct ms_tcp_config){ 0 });
	struct ms_tcp *cli = client(loop, &lc, ct);
	uint64_t conn = exchange(loop, srv, &ls, cli, &lc, NULL);
	ASSERT_INT(SSL_version(ms__tcp_conn_tls(srv, conn)), TLS1_2_VERSION);
	ms__tcp_close(cli);
	/* the server alone limited to 1.3 refuses that client */
	ASSERT_INT(ms__tls_set_versions(st, TLS1_3_VERSION, TLS1_3_VERSION), 0);
	ms__tcp_close(srv);
	srv = listener(loop, &ls, "127.0.0.1", st, (struct ms_tcp_config){ 0 });
	cli = client(loop, &lc, ct);
	ls.closes = lc.closes = 0;
	lc.want_closes = 1;
	ASSERT(ms__tcp_send(cli, 0, ms__tcp_local(srv), opt, sizeof opt - 1) > 0);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(lc.closes, 1);
	ASSERT_WHY(lc, "TLS handshake failed");
	/* and 1.3 on both ends works */
	ASSERT_INT(ms__tls_set_versions(ct, TLS1_2_VERSION, TLS1_3_VERSION), 0);
	ms__tcp_close(cli);
	cli = client(loop, &lc, ct);
	conn = exchange(loop, srv, &ls, cli, &lc, NULL);
	ASSERT_INT(SSL_version(ms__tcp_conn_tls(srv, conn)), TLS1_3_VERSION);
	ms__tcp_close(cli);
	ms__tcp_close(srv);
	ms__tls_free(st);
	ms__tls_free(ct);
	ev_loop_destroy(loop);
}

/* A client made with OpenSSL alone, to offer what moonsip never would;
 * driven by its own watcher. */
struct raw_tls {
	ev_io io;
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
	int result; /* 1 handshake done, -1 failed */
};

static void raw_tls_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct raw_tls *r = (struct raw_tls *)w;
	(void)revents;
	int n = SSL_connect(r->ssl);
	int e = n == 1 ? SSL_ERROR_NONE : SSL_get_error(r->ssl, n);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return;
	r->result = n == 1 ? 1 : -1;
	ev_io_stop(loop, w);
}

static void raw_tls_start(struct raw_tls *r, struct ev_loop *loop, const struct sockaddr_storage *to,
			  int version)
{
	signal(SIGPIPE, SIG_IGN); /* OpenSSL's socket BIO writes with write(2) */
	memset(r, 0, sizeof *r);
	r->ctx = SSL_CTX_new(TLS_client_method());
	ASSERT(r->ctx);
	SSL_CTX_set_security_level(r->ctx, 0);
	ASSERT(SSL_CTX_set_cipher_list(r->ctx, "DEFAULT:@SECLEVEL=0") == 1);
	ASSERT(SSL_CTX_set_min_proto_version(r->ctx, version) == 1);
	ASSERT(SSL_CTX_set_max_proto_version(r->ctx, version) == 1);
	r->fd = socket(to->ss_family, SOCK_STREAM, 0);
	ASSERT(r->fd >= 0);
	ASSERT_INT(connect(r->fd, (const struct sockaddr *)to, ms_addr_len(to)), 0);
	fcntl(r->fd, F_SETFL, O_NONBLOCK);
	r->ssl = SSL_new(r->ctx);
	ASSERT(r->ssl && SSL_set_fd(r->ssl, r->fd) == 1);
	ev_io_init(&r->io, raw_tls_cb, r->fd, EV_READ | EV_WRITE);
	ev_io_start(loop, &r->io);
}

static void raw_tls_end(struct raw_tls *r, struct ev_loop *loop)
{
	ev_io_stop(loop, &r->io);
	SSL_free(r->ssl);
	SSL_CTX_free(r->ctx);
	close(r->fd);
}

TEST(tls_11_refused)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct log ls = { .loop = loop, .want_closes = 1 };
	struct ms_tls *st = server_tls(false);
	struct ms_tcp *srv = listener(loop, &ls, "127.0.0.1", st, (struct ms_tcp_config){ 0 });
	struct raw_tls r;
	raw_tls_start(&r, loop, ms__tcp_local(srv), TLS1_1_VERSION);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(ls.closes, 1);
	ASSERT_INT(ls.close_err, -EPROTO);
	ASSERT_WHY(ls, "TLS handshake failed: unsupported protocol");
	ms_test_run_bounded(loop, 0.2);
	ASSERT_INT(r.result, -1);
	raw_tls_end(&r, loop);
	/* the same client offering TLS 1.2 gets through */
	raw_tls_start(&r, loop, ms__tcp_local(srv), TLS1_2_VERSION);
	ms_test_run_bounded(loop, 0.5);
	ASSERT_INT(r.result, 1);
	ASSERT_INT(SSL_version(r.ssl), TLS1_2_VERSION);
	raw_tls_end(&r, loop);
	ms__tcp_close(srv);
	ms__tls_free(st);
	ev_loop_destroy(loop);
}

/* A client trusting 'ca' sends to 'host' on a server with certificate
 * 'srv_cert': the client's connection ends with 'why'. */
static void refused(const char *ca, const char *srv_cert, const char *host, const char *why)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct log ls = { .loop = loop }, lc = { .loop = loop, .want_closes = 1 };
	char key[64];
	snprintf(key, sizeof key, "%.*s.key", (int)(strlen(srv_cert) - 4), srv_cert);
	struct ms_tls *st =
		tls_new(&(struct ms_tls_config){ .cert_file = cert(srv_cert), .key_file = cert(key) });
	struct ms_tls *ct = client_tls(ca, false);
	struct ms_tcp *srv = listener(loop, &ls, "127.0.0.1", st, (struct ms_tcp_config){ 0 });
	struct ms_tcp *cli = client(loop, &lc, ct);
	ASSERT(ms__tcp_send_host(cli, 0, ms__tcp_local(srv), host, opt, sizeof opt - 1) > 0);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(lc.closes, 1);
	ASSERT_INT(lc.close_err, -EPROTO);
	ASSERT_WHY(lc, why);
	ASSERT_INT(ls.msgs, 0);
	ASSERT_INT(ms__tcp_count(cli), 0);
	ms_test_run_bounded(loop, 0.2); /* the server sees the alert and closes too */
	ASSERT_INT(ms__tcp_count(srv), 0);
	ms__tcp_close(cli);
	ms__tcp_close(srv);
	ms__tls_free(st);
	ms__tls_free(ct);
	ev_loop_destroy(loop);
}

TEST(tls_server_certificate_checked)
{
	/* a server whose certificate comes from a CA the client does not trust */
	refused("ca.pem", "rogue-server.pem", NULL, "TLS handshake failed: certificate verify failed");
	/* a client that trusts only the rogue CA */
	refused("rogue-ca.pem", "server.pem", "localhost", "TLS handshake failed: certificate verify failed");
	/* the right CA, but not the name asked for */
	refused("ca.pem", "server.pem", "sip.example.com", "certificate verify failed (hostname mismatch)");
	/* an IP literal is checked as an address */
	refused("ca.pem", "server.pem", "127.0.0.2", "certificate verify failed (IP address mismatch)");
	/* the client's own certificate is no server certificate */
	refused("ca.pem", "client.pem", NULL, "certificate verify failed");
}

TEST(tls_no_verify_server_accepts_any)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct log ls = { .loop = loop }, lc = { .loop = loop };
	struct ms_tls *st = tls_new(&(struct ms_tls_config){ .cert_file = cert("rogue-server.pem"),
							     .key_file = cert("rogue-server.key") });
	struct ms_tls *ct =
		tls_new(&(struct ms_tls_config){ .ca_file = cert("ca.pem"), .no_verify_server = true });
	struct ms_tcp *srv = listener(loop, &ls, "127.0.0.1", st, (struct ms_tcp_config){ 0 });
	struct ms_tcp *cli = client(loop, &lc, ct);
	uint64_t conn = exchange(loop, srv, &ls, cli, &lc, "sip.example.com");
	ASSERT(!strcmp(ms__tcp_conn_sni(srv, conn), "sip.example.com"));
	ms__tcp_close(cli);
	ms__tcp_close(srv);
	ms__tls_free(st);
	ms__tls_free(ct);
	ev_loop_destroy(loop);
}

TEST(tls_verify_client)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct log ls = { .loop = loop, .want_closes = 1 }, lc = { .loop = loop };
	struct ms_tls *st = server_tls(true), *anon = client_tls("ca.pem", false),
		      *signed_ = client_tls("ca.pem", true);
	struct ms_tcp *srv = listener(loop, &ls, "127.0.0.1", st, (struct ms_tcp_config){ 0 });
	/* without a certificate: refused */
	struct ms_tcp *cli = client(loop, &lc, anon);
	ASSERT(ms__tcp_send(cli, 0, ms__tcp_local(srv), opt, sizeof opt - 1) > 0);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(ls.closes, 1);
	ASSERT_INT(ls.close_err, -EPROTO);
	ASSERT_WHY(ls, "TLS handshake failed: peer did not return a certificate");
	ASSERT_INT(ls.msgs, 0);
	ms_test_run_bounded(loop, 0.2); /* the client learns it from the alert */
	ASSERT_INT(lc.closes, 1);
	ASSERT_INT(ms__tcp_count(cli), 0);
	ms__tcp_close(cli);
	/* with one signed by the CA: accepted */
	ls.closes = lc.closes = 0;
	ls.want_closes = 0;
	cli = client(loop, &lc, signed_);
	exchange(loop, srv, &ls, cli, &lc, "localhost");
	ASSERT_INT(ls.closes + lc.closes, 0);
	ms__tcp_close(cli);
	ms__tcp_close(srv);
	ms__tls_free(st);
	ms__tls_free(anon);
	ms__tls_free(signed_);
	ev_loop_destroy(loop);
}

TEST(tls_sni_received_and_connections_per_name)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct log ls = { .loop = loop }, lc = { .loop = loop };
	struct ms_tls *st = server_tls(false), *ct = client_tls("ca.pem", false);
	struct ms_tcp *srv = listener(loop, &ls, "::1", st, (struct ms_tcp_config){ 0 });
	struct ms_tcp *cli = client(loop, &lc, ct);
	uint64_t conn = exchange(loop, srv, &ls, cli, &lc, "localhost");
	ASSERT(!strcmp(ms__tcp_conn_sni(srv, conn), "localhost"));
	ASSERT(ms__tcp_conn_sni(srv, 999) == NULL);
	/* the same name reuses the connection; no name may use it too */
	int64_t id = ms__tcp_send_host(cli, 0, ms__tcp_local(srv), "LocalHost", opt, sizeof opt - 1);
	ASSERT_INT(ms__tcp_send(cli, 0, ms__tcp_local(srv), opt, sizeof opt - 1), id);
	ASSERT_INT(ms__tcp_count(cli), 1);
	/* an IP literal as the host is checked as an address, not sent as SNI */
	ASSERT(ms__tcp_send_host(cli, 0, ms__tcp_local(srv), "[::1]", opt, sizeof opt - 1) != id);
	ASSERT_INT(ms__tcp_count(cli), 2);
	ls.msgs = 0;
	ls.want_msgs = 3;
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(ls.msgs, 3);
	ASSERT(ms__tcp_conn_sni(srv, ls.last_conn) == NULL);
	ASSERT_INT(ls.closes + lc.closes, 0);
	ms__tcp_close(cli);
	ms__tcp_close(srv);
	ms__tls_free(st);
	ms__tls_free(ct);
	ev_loop_destroy(loop);
}

/* A plain socket, to play a peer that does not speak TLS. */
static int raw_client(const struct sockaddr_storage *to)
{
	int fd = socket(to->ss_family, SOCK_STREAM, 0);
	ASSERT(fd >= 0);
	ASSERT_INT(connect(fd, (const struct sockaddr *)to, ms_addr_len(to)), 0);
	return fd;
}

TEST(tls_garbage_closes_and_the_listener_serves_on)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct log ls = { .loop = loop, .want_closes = 1 }, lc = { .loop = loop };
	struct ms_tls *st = server_tls(false), *ct = client_tls("ca.pem", false);
	struct ms_tcp *srv = listener(loop, &ls, "127.0.0.1", st, (struct ms_tcp_config){ 0 });
	int fd = raw_client(ms__tcp_local(srv));
	ASSERT_INT(write(fd, opt, sizeof opt - 1), (long long)sizeof opt - 1);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(ls.closes, 1);
	ASSERT_INT(ls.close_err, -EPROTO);
	ASSERT_WHY(ls, "TLS handshake failed: ");
	ASSERT_INT(ms__tcp_count(srv), 0);
	char buf[64];
	ASSERT(read(fd, buf, sizeof buf) >= 0); /* an alert, or nothing: then end of file */
	close(fd);
	ls.want_closes = 0;
	struct ms_tcp *cli = client(loop, &lc, ct);
	exchange(loop, srv, &ls, cli, &lc, NULL);
	ms__tcp_close(cli);
	ms__tcp_close(srv);
	ms__tls_free(st);
	ms__tls_free(ct);
	ev_loop_destroy(loop);
}

TEST(tls_stalled_handshake_times_out)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct log ls = { .loop = loop, .want_closes = 1 };
	struct ms_tls *st = server_tls(false);
	struct ms_tcp_config cfg = { .stall_ms = 100, .idle_ms = 10000 };
	struct ms_tcp *srv = listener(loop, &ls, "127.0.0.1", st, cfg);
	int fd = raw_client(ms__tcp_local(srv));
	/* a TLS record header and no more */
	ASSERT_INT(write(fd, "\x16\x03\x01\x02\x00", 5), 5);
	ev_tstamp t0 = ev_time();
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(ls.closes, 1);
	ASSERT_INT(ls.close_err, -ETIMEDOUT);
	ASSERT_WHY(ls, "TLS handshake timed out");
	ASSERT(ev_time() - t0 < 1);
	char c;
	ASSERT_INT(read(fd, &c, 1), 0);
	close(fd);
	ms__tcp_close(srv);
	ms__tls_free(st);
	ev_loop_destroy(loop);
}

TEST(tls_message_over_max_closes)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct log ls = { .loop = loop, .want_closes = 1 }, lc = { .loop = loop };
	struct ms_tls *st = server_tls(false), *ct = client_tls("ca.pem", false);
	struct ms_tcp *srv = listener(loop, &ls, "127.0.0.1", st, (struct ms_tcp_config){ .max_msg = 256 });
	struct ms_tcp *cli = client(loop, &lc, ct);
	static const char big[] = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 10485760\r\n\r\n";
	ASSERT(ms__tcp_send(cli, 0, ms__tcp_local(srv), big, sizeof big - 1) > 0);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(ls.closes, 1);
	ASSERT_WHY(ls, "message too large");
	ASSERT_INT(ls.msgs, 0);
	/* the client sees the close (close_notify) */
	lc.want_closes = 1;
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(lc.closes, 1);
	ASSERT_INT(lc.close_err, 0);
	ASSERT_WHY(lc, "closed by the peer");
	ms__tcp_close(cli);
	ms__tcp_close(srv);
	ms__tls_free(st);
	ms__tls_free(ct);
	ev_loop_destroy(loop);
}

TEST(tls_context_errors)
{
	struct ms_tls *t;
	char why[256];
	ASSERT_INT(
		ms__tls_new(&t, &(struct ms_tls_config){ .cert_file = "/nonexistent.pem" }, why, sizeof why),
		MS_EINVAL);
	ASSERT(contains(why, "cannot load certificate /nonexistent.pem: "));
	ASSERT_INT(ms__tls_new(&t,
			       &(struct ms_tls_config){ .cert_file = cert("server.pem"),
							.key_file = cert("client.key") },
			       why, sizeof why),
		   MS_EINVAL);
	ASSERT(contains(why, "key values mismatch"));
	ASSERT_INT(
		ms__tls_new(&t, &(struct ms_tls_config){ .key_file = cert("server.key") }, why, sizeof why),
		MS_EINVAL);
	ASSERT_INT(ms__tls_new(&t, &(struct ms_tls_config){ .ca_file = cert("nonexistent.pem") }, why,
			       sizeof why),
		   MS_EINVAL);
	ASSERT(contains(why, "cannot load CA file"));
	/* no certificate: fine for a client, and said so for a listener */
	ASSERT_INT(ms__tls_new(&t, &(struct ms_tls_config){ 0 }, why, sizeof why), 0);
	ASSERT(!ms__tls_has_cert(t));
	ms__tls_free(t);
	t = server_tls(true);
	ASSERT(ms__tls_has_cert(t));
	ms__tls_free(t);
}
