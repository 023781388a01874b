/* The user agent against a raw UDP socket on 127.0.0.1 playing the peer
 * or a proxy, so that the test sees every byte and decides what comes
 * back: a 407 on an INVITE answered with credentials, the outbound
 * proxy's Route, our 2xx sent again until the ACK. Every wait is bounded. */
#include <arpa/inet.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "moonsip/digest.h"
#include "moonsip/stack.h"
#include "moonsip/ua.h"
#include "test.h"

struct raw {
	int fd;
	unsigned port;
	struct sockaddr_storage from; /* where the last message came from */
	socklen_t fl;
	char buf[4096];
};

static void raw_open(struct raw *r)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t sl = sizeof me;
	r->fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT(r->fd >= 0);
	ASSERT_INT(bind(r->fd, (struct sockaddr *)&me, sizeof me), 0);
	ASSERT_INT(getsockname(r->fd, (struct sockaddr *)&me, &sl), 0);
	r->port = ntohs(me.sin_port);
}

/* Runs the loop until a message starting with 'start' comes, at most
 * 'secs'; others are skipped. */
static bool raw_wait(struct raw *r, struct ev_loop *loop, const char *start, double secs)
{
	for (int i = 0; i < (int)(secs * 100); i++) {
		ms_test_run_bounded(loop, 0.01);
		for (;;) {
			r->fl = sizeof r->from;
			ssize_t n = recvfrom(r->fd, r->buf, sizeof r->buf - 1, MSG_DONTWAIT,
					     (struct sockaddr *)&r->from, &r->fl);
			if (n <= 0)
				break;
			r->buf[n] = 0;
			if (!strncmp(r->buf, start, strlen(start)))
				return true;
		}
	}
	return false;
}

static void raw_send(struct raw *r, const char *msg, size_t len, const struct sockaddr_storage *to)
{
	ASSERT(sendto(r->fd, msg, len, 0, (const struct sockaddr *)to, ms_addr_len(to)) == (ssize_t)len);
}

/* A header line of r->buf ("CSeq: ..."), without its CRLF. */
static void header(const char *msg, const char *name, char *out, size_t size)
{
	char want[64];
	snprintf(want, sizeof want, "\r\n%s: ", name);
	const char *h = strstr(msg, want);
	ASSERT(h);
	h += 2;
	const char *e = strstr(h, "\r\n");
	snprintf(out, size, "%.*s", (int)(e - h), h);
}

/* A response to the request in r->buf: its Via, From, To (with 'tag'),
 * Call-ID and CSeq, then 'extra' lines. */
static size_t response(struct raw *r, char *out, size_t size, const char *status, const char *tag,
		       const char *extra)
{
	char v[512];
	size_t len = (size_t)snprintf(out, size, "SIP/2.0 %s\r\n", status);
	const char *names[] = { "Via", "From", "Call-ID", "CSeq", "To" };
	for (int i = 0; i < 5; i++) {
		header(r->buf, names[i], v, sizeof v);
		len += (size_t)snprintf(out + len, size - len, "%s%s%s\r\n", v, i == 4 && tag ? ";tag=" : "",
					i == 4 && tag ? tag : "");
	}
	len += (size_t)snprintf(out + len, size - len, "%sContent-Length: 0\r\n\r\n", extra);
	return len;
}

static struct ms_ua *ua_open(struct ev_loop *loop, const char *proxy, const struct ms_ua_events *ev,
			     void *arg)
{
	static const char *const listen[] = { "udp:127.0.0.1:0", NULL };
	struct ms_ua *ua = NULL;
	struct ms_ua_config cfg = { .loop = loop,
				    .listen = listen,
				    .aor = "sip:alice@example.com",
				    .user = "alice",
				    .password = "pw",
				    .outbound_proxy = proxy,
				    .ev = ev,
				    .arg = arg,
				    .t1 = 100 };
	ASSERT_INT(ms_ua_new(&ua, &cfg), 0);
	return ua;
}

struct calls {
	unsigned failed, answered, confirmed, ended, incoming, status;
	enum ms_ua_end why;
	struct ms_ua_call *call;
};

static void ev_failed(struct ms_ua_call *c, unsigned status, void *arg)
{
	struct calls *k = arg;
	(void)c;
	k->failed++;
	k->status = status;
}

static void ev_answered(struct ms_ua_call *c, struct ms_str sdp, void *arg)
{
	struct calls *k = arg;
	(void)c;
	(void)sdp;
	k->answered++;
}

static void ev_confirmed(struct ms_ua_call *c, void *arg)
{
	struct calls *k = arg;
	(void)c;
	k->confirmed++;
}

static void ev_ended(struct ms_ua_call *c, enum ms_ua_end why, void *arg)
{
	struct calls *k = arg;
	(void)c;
	k->ended++;
	k->why = why;
}

static const struct ms_ua_call_events events = {
	.failed = ev_failed, .answered = ev_answered, .confirmed = ev_confirmed, .ended = ev_ended
};

TEST(ua_call_407_answered_with_credentials)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct raw r;
	raw_open(&r);
	struct ms_ua *ua = ua_open(loop, NULL, NULL, NULL);
	struct calls k = { 0 };
	char uri[64], first_from[256], first_id[128], v[512], resp[4096];
	snprintf(uri, sizeof uri, "sip:bob@127.0.0.1:%u", r.port);
	struct ms_ua_call *c;
	ASSERT_INT(ms_ua_call_new(&c, ua, uri, NULL, &events, &k), 0);
	ASSERT(raw_wait(&r, loop, "INVITE ", 1));
	header(r.buf, "From", first_from, sizeof first_from);
	header(r.buf, "Call-ID", first_id, sizeof first_id);
	header(r.buf, "CSeq", v, sizeof v);
	ASSERT(!strcmp(v, "CSeq: 1 INVITE"));
	ASSERT(!strstr(r.buf, "Proxy-Authorization"));
	struct ms_digest_challenge ch = { .alg = MS_DIGEST_MD5,
					  .realm = MS_STR("example.com"),
					  .nonce = MS_STR("abcdef0123456789") };
	struct ms_buf b;
	ms_buf_init(&b);
	ms_buf_addz(&b, "Proxy-Authenticate: ");
	ASSERT_INT(ms_digest_challenge_build(&b, &ch), 0);
	ms_buf_addz(&b, "\r\n");
	ms_buf_add(&b, "", 1);
	struct sockaddr_storage ua_addr = r.from;
	size_t len = response(&r, resp, sizeof resp, "407 Proxy Authentication Required", "p1", b.data);
	ms_buf_free(&b);
	raw_send(&r, resp, len, &ua_addr);
	/* The transaction's ACK for the 407, then the INVITE again. */
	ASSERT(raw_wait(&r, loop, "ACK ", 1));
	ASSERT(raw_wait(&r, loop, "INVITE ", 1));
	header(r.buf, "CSeq", v, sizeof v);
	ASSERT(!strcmp(v, "CSeq: 2 INVITE"));
	header(r.buf, "From", v, sizeof v);
	ASSERT(!strcmp(v, first_from));
	header(r.buf, "Call-ID", v, sizeof v);
	ASSERT(!strcmp(v, first_id));
	header(r.buf, "Proxy-Authorization", v, sizeof v);
	struct ms_auth cred;
	const char *why;
	const char *val = v + strlen("Proxy-Authorization: ");
	ASSERT_INT(ms_auth_parse(&cred, (struct ms_str){ val, strlen(val) }, &why), 0);
	char ha1[MS_DIGEST_HEX_SIZE];
	ASSERT_INT(ms_digest_ha1(MS_DIGEST_MD5, MS_STR("alice"), MS_STR("example.com"), MS_STR("pw"), ha1),
		   0);
	struct ms_digest_request dr = { .method = MS_STR("INVITE"), .uri = { uri, strlen(uri) } };
	ASSERT_INT(ms_digest_verify(&cred, &dr, (struct ms_str){ ha1, strlen(ha1) }), MS_DIGEST_OK);
	/* The same nonce again: not answered twice, the call fails. */
	ua_addr = r.from;
	ms_buf_init(&b);
	ms_buf_addz(&b, "Proxy-Authenticate: ");
	ASSERT_INT(ms_digest_challenge_build(&b, &ch), 0);
	ms_buf_addz(&b, "\r\n");
	ms_buf_add(&b, "", 1);
	len = response(&r, resp, sizeof resp, "407 Proxy Authentication Required", "p2", b.data);
	ms_buf_free(&b);
	raw_send(&r, resp, len, &ua_addr);
	ASSERT(raw_wait(&r, loop, "ACK ", 1));
	ASSERT_INT(k.failed, 1);
	ASSERT_INT(k.status, 407);
	ASSERT(!raw_wait(&r, loop, "INVITE ", 0.3));
	ms_ua_call_free(c);
	close(r.fd);
	ms_ua_free(ua);
	ev_loop_destroy(loop);
}

static void on_message_done(struct ms_ua *ua, unsigned status, struct ms_msg *resp, void *arg)
{
	(void)ua;
	(void)resp;
	*(unsigned *)arg = status;
}

/* A MESSAGE through an outbound proxy on the raw socket, named by
 * 'host': it carries the proxy as a Route with ;lr, and the proxy's
 * answer reaches the callback. */
static void outbound_message(const char *host)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct raw r;
	raw_open(&r);
	char proxy[64], v[512], resp[4096];
	snprintf(proxy, sizeof proxy, "sip:%s:%u", host, r.port);
	struct ms_ua *ua = ua_open(loop, proxy, NULL, NULL);
	unsigned status = 0;
	ASSERT_INT(ms_ua_request(ua, "MESSAGE", "sip:bob@192.0.2.1", "text/plain", "hi", on_message_done,
				 &status),
		   0);
	ASSERT(raw_wait(&r, loop, "MESSAGE sip:bob@192.0.2.1 SIP/2.0\r\n", 3));
	header(r.buf, "Route", v, sizeof v);
	char want[128];
	snprintf(want, sizeof want, "Route: <%s;lr>", proxy);
	ASSERT(!strcmp(v, want));
	size_t len = response(&r, resp, sizeof resp, "202 Accepted", "x", "");
	raw_send(&r, resp, len, &r.from);
	for (int i = 0; i < 100 && !status; i++)
		ms_test_run_bounded(loop, 0.01);
	ASSERT_INT(status, 202);
	close(r.fd);
	ms_ua_free(ua);
	ev_loop_destroy(loop);
}

TEST(ua_outbound_proxy_route)
{
	outbound_message("127.0.0.1");
}

static void on_incoming(struct ms_ua *ua, struct ms_ua_call *c, struct ms_msg *inv, void *arg)
{
	struct calls *k = arg;
	(void)ua;
	(void)inv;
	k->incoming++;
	k->call = c;
	ms_ua_call_set_events(c, &events, k);
}

static const struct ms_ua_events ua_ev = { .incoming = on_incoming };

static const char invite_fmt[] = "INVITE sip:alice@127.0.0.1:%u SIP/2.0\r\n"
				 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKraw%s;rport\r\n"
				 "From: <sip:bob@example.com>;tag=rawtag\r\nTo: <sip:alice@example.com>\r\n"
				 "Call-ID: raw-%s@x\r\nCSeq: 7 INVITE\r\nMax-Forwards: 70\r\n"
				 "Contact: <sip:bob@127.0.0.1:%u>\r\nContent-Length: 0\r\n\r\n";

static unsigned ua_port(struct ms_ua *ua, struct sockaddr_storage *a)
{
	ASSERT_INT(ms_stack_local(ms_ua_stack(ua), MS_PROTO_UDP, AF_INET, a), 0);
	return ms_addr_port(a);
}

TEST(ua_answer_resent_until_ack)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct raw r;
	raw_open(&r);
	struct calls k = { 0 };
	struct ms_ua *ua = ua_open(loop, NULL, &ua_ev, &k);
	struct sockaddr_storage to;
	unsigned port = ua_port(ua, &to);
	char inv[1024], ack[1024], tag[64], v[512];
	int n = snprintf(inv, sizeof inv, invite_fmt, port, r.port, "1", "1", r.port);
	raw_send(&r, inv, (size_t)n, &to);
	for (int i = 0; i < 100 && !k.incoming; i++)
		ms_test_run_bounded(loop, 0.01);
	ASSERT_INT(k.incoming, 1);
	ASSERT_INT(ms_ua_call_answer(k.call, NULL), 0);
	ASSERT(raw_wait(&r, loop, "SIP/2.0 200 ", 1));
	header(r.buf, "To", v, sizeof v);
	ASSERT(strstr(v, ";tag="));
	snprintf(tag, sizeof tag, "%s", strstr(v, ";tag=") + 5);
	header(r.buf, "Contact", v, sizeof v);
	char want[128];
	snprintf(want, sizeof want, "Contact: <sip:alice@127.0.0.1:%u>", port);
	ASSERT(!strcmp(v, want));
	/* No ACK: the 200 again (T1 = 100 ms, doubling), the same To tag. */
	ASSERT(raw_wait(&r, loop, "SIP/2.0 200 ", 1));
	ASSERT(strstr(r.buf, tag));
	ASSERT(raw_wait(&r, loop, "SIP/2.0 200 ", 1));
	ASSERT_INT(k.confirmed, 0);
	n = snprintf(
		ack, sizeof ack,
		"ACK sip:alice@127.0.0.1:%u SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKrawack\r\n"
		"From: <sip:bob@example.com>;tag=rawtag\r\nTo: <sip:alice@example.com>;tag=%s\r\n"
		"Call-ID: raw-1@x\r\nCSeq: 7 ACK\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
		port, r.port, tag);
	raw_send(&r, ack, (size_t)n, &to);
	for (int i = 0; i < 100 && !k.confirmed; i++)
		ms_test_run_bounded(loop, 0.01);
	ASSERT_INT(k.confirmed, 1);
	ASSERT(!raw_wait(&r, loop, "SIP/2.0 200 ", 1)); /* and no more */
	ms_ua_call_free(k.call);                        /* up: a BYE goes */
	ASSERT(raw_wait(&r, loop, "BYE sip:bob@127.0.0.1:", 1));
	ASSERT_INT(k.ended, 0);
	close(r.fd);
	ms_ua_free(ua);
	ev_loop_destroy(loop);
}

TEST(ua_answer_without_ack_times_out_with_bye)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct raw r;
	raw_open(&r);
	struct calls k = { 0 };
	struct ms_ua *ua = ua_open(loop, NULL, &ua_ev, &k);
	struct sockaddr_storage to;
	unsigned port = ua_port(ua, &to);
	char inv[1024];
	int n = snprintf(inv, sizeof inv, invite_fmt, port, r.port, "2", "2", r.port);
	raw_send(&r, inv, (size_t)n, &to);
	for (int i = 0; i < 100 && !k.incoming; i++)
		ms_test_run_bounded(loop, 0.01);
	ASSERT_INT(k.incoming, 1);
	ASSERT_INT(ms_ua_call_answer(k.call, NULL), 0);
	/* 64*T1 = 6.4 s without an ACK: a BYE, ended(timeout). */
	ASSERT(raw_wait(&r, loop, "BYE sip:bob@127.0.0.1:", 9));
	ASSERT_INT(k.ended, 1);
	ASSERT_INT(k.why, MS_UA_END_TIMEOUT);
	ASSERT_INT(k.confirmed, 0);
	ms_ua_call_free(k.call);
	close(r.fd);
	ms_ua_free(ua);
	ev_loop_destroy(loop);
}

/* A host name in the outbound proxy: looked up (localhost, from the
 * system's hosts file: no DNS query leaves the machine), then the request
 * goes to the address of the UA's family, 127.0.0.1. */
TEST(ua_outbound_proxy_by_name)
{
	outbound_message("localhost");
}

static void on_registered(struct ms_ua *ua, unsigned status, uint32_t expires, void *arg)
{
	(void)ua;
	(void)expires;
	*(unsigned *)arg = status;
}

/* A registrar named by a host name: the REGISTER's Request-URI keeps the
 * name, the datagram goes to its address. Freeing the UA while a lookup
 * runs calls nothing back. */
TEST(ua_register_by_name)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct raw r;
	raw_open(&r);
	char registrar[64], resp[4096];
	snprintf(registrar, sizeof registrar, "sip:localhost:%u", r.port);
	struct ms_ua *ua = ua_open(loop, NULL, NULL, NULL);
	unsigned status = 0;
	ASSERT_INT(ms_ua_register(ua, registrar, 60, on_registered, &status), 0);
	char start[96];
	snprintf(start, sizeof start, "REGISTER %s SIP/2.0\r\n", registrar);
	ASSERT(raw_wait(&r, loop, start, 3));
	size_t len = response(&r, resp, sizeof resp, "200 OK", "x", "Expires: 60\r\n");
	raw_send(&r, resp, len, &r.from);
	for (int i = 0; i < 100 && !status; i++)
		ms_test_run_bounded(loop, 0.01);
	ASSERT_INT(status, 200);
	ms_ua_free(ua);

	ua = ua_open(loop, NULL, NULL, NULL);
	status = 0;
	ASSERT_INT(ms_ua_request(ua, "OPTIONS", registrar, NULL, NULL, on_message_done, &status), 0);
	ms_ua_free(ua); /* the lookup is running */
	ms_test_run_bounded(loop, 0.1);
	ASSERT_INT(status, 0);
	close(r.fd);
	ev_loop_destroy(loop);
}
