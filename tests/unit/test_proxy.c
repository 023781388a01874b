/* The proxy core's decisions (RFC 3261 §16): checks, Route processing,
 * next hops, the choice of the response to forward and the merge of
 * challenges. A proxy on a real stack listening on 127.0.0.1. */
#include <ev.h>
#include <stdio.h>

#include "moonsip/edit.h"
#include "moonsip/proxy.h"
#include "proxy/proxy_private.h"
#include "test.h"

struct fixture {
	struct ev_loop *loop;
	struct ms_stack *s;
	struct ms_proxy *p;
	char host[64]; /* "127.0.0.1:PORT" */
};

static void no_request(struct ms_stxn *st, struct ms_msg *req, const struct ms_txn_peer *src, void *arg)
{
	(void)st, (void)req, (void)src, (void)arg;
}

static void open_proxy(struct fixture *f)
{
	static const char *const domains[] = { "proxy.example.org", NULL };
	f->loop = ev_loop_new(EVFLAG_AUTO);
	struct ms_stack_config cfg = { .loop = f->loop, .request_cb = no_request };
	ASSERT_INT(ms_stack_new(&f->s, &cfg), 0);
	const char *why;
	ASSERT_INT(ms_stack_listen(f->s, "udp:127.0.0.1:0", &why), 0);
	struct sockaddr_storage a;
	ASSERT_INT(ms_stack_local(f->s, MS_PROTO_UDP, AF_INET, &a), 0);
	snprintf(f->host, sizeof f->host, "127.0.0.1:%u", ms_addr_port(&a));
	struct ms_proxy_config pc = { .stack = f->s, .domains = domains };
	ASSERT_INT(ms_proxy_new(&f->p, &pc), 0);
}

static void close_proxy(struct fixture *f)
{
	ms_stack_free(f->s);
	ms_proxy_free(f->p);
	ev_loop_destroy(f->loop);
}

/* A request with 'extra' header lines (each ending in CRLF). */
static void parse_req(struct ms_msg *m, char *buf, size_t size, const char *method, const char *ruri,
		      const char *extra)
{
	int n = snprintf(buf, size,
			 "%s %s SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa1\r\n"
			 "From: <sip:a@example.com>;tag=f1\r\n"
			 "To: <sip:b@example.org>\r\n"
			 "Call-ID: c1@192.0.2.1\r\n"
			 "CSeq: 1 %s\r\n"
			 "%s"
			 "Content-Length: 0\r\n\r\n",
			 method, ruri, method, extra);
	ms_msg_init(m);
	ASSERT(ms_msg_parse(m, buf, (size_t)n, MS_PARSE_DGRAM) >= 0);
	ASSERT_INT(ms_msg_check(m), 0);
}

TEST(proxy_validate_max_forwards_and_proxy_require)
{
	struct fixture f;
	open_proxy(&f);
	char buf[1024];
	struct ms_msg m;
	const char *reason = NULL;
	parse_req(&m, buf, sizeof buf, "INVITE", "sip:b@example.org", "Max-Forwards: 0\r\n");
	ASSERT_INT(ms_proxy_validate(f.p, &m, &reason), 483);
	ASSERT(!strcmp(reason, "Too Many Hops"));
	parse_req(&m, buf, sizeof buf, "OPTIONS", "sip:b@example.org", "Max-Forwards: 0\r\n");
	ASSERT_INT(ms_proxy_validate(f.p, &m, &reason), 200); /* answered by the proxy itself */
	parse_req(&m, buf, sizeof buf, "INVITE", "sip:b@example.org", "Max-Forwards: 1\r\n");
	ASSERT_INT(ms_proxy_validate(f.p, &m, &reason), 0);
	parse_req(&m, buf, sizeof buf, "INVITE", "sip:b@example.org", "Proxy-Require: foo\r\n");
	ASSERT_INT(ms_proxy_validate(f.p, &m, &reason), 420);
	ASSERT(strstr(reason, "Proxy-Require"));
	ms_msg_free(&m);
	close_proxy(&f);
}

TEST(proxy_validate_loop_and_spiral)
{
	struct fixture f;
	open_proxy(&f);
	char buf[1024], hash[MS__PROXY_HASH_LEN + 1], via[256];
	struct ms_msg m;
	const char *reason;
	/* The request as it first came: its hash is what our branch carries. */
	parse_req(&m, buf, sizeof buf, "INVITE", "sip:b@example.org", "");
	ms__proxy_loop_hash(f.p, &m, hash);
	/* It comes back with our Via below another hop's: a loop. */
	snprintf(via, sizeof via, "Via: SIP/2.0/UDP %s;branch=z9hG4bK%s-0123\r\n", f.host, hash);
	char buf2[1024];
	struct ms_msg m2;
	parse_req(&m2, buf2, sizeof buf2, "INVITE", "sip:b@example.org", via);
	ASSERT_INT(ms_proxy_validate(f.p, &m2, &reason), 482);
	ASSERT(!strcmp(reason, "Loop Detected"));
	/* A spiral: the same request with a new Request-URI passes. */
	parse_req(&m2, buf2, sizeof buf2, "INVITE", "sip:b@elsewhere.example.org", via);
	ASSERT_INT(ms_proxy_validate(f.p, &m2, &reason), 0);
	/* Someone else's Via with the same branch is no loop of ours. */
	snprintf(via, sizeof via, "Via: SIP/2.0/UDP 192.0.2.77:5060;branch=z9hG4bK%s-0123\r\n", hash);
	parse_req(&m2, buf2, sizeof buf2, "INVITE", "sip:b@example.org", via);
	ASSERT_INT(ms_proxy_validate(f.p, &m2, &reason), 0);
	ms_msg_free(&m);
	ms_msg_free(&m2);
	close_proxy(&f);
}

/* Route processing, written out: the edited request's text. */
static void preprocessed(struct fixture *f, const char *ruri, const char *routes, int gone,
			 const char *want_ruri, const char *want_routes)
{
	char buf[2048];
	struct ms_msg m;
	parse_req(&m, buf, sizeof buf, "BYE", ruri, routes);
	struct ms_edit e;
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_proxy_preprocess(f->p, &m, &e), gone);
	struct ms_buf out;
	ms_buf_init(&out);
	ASSERT_INT(ms_edit_write(&e, &out), 0);
	struct ms_msg o;
	ms_msg_init(&o);
	ASSERT(ms_msg_parse(&o, out.data, out.len, MS_PARSE_DGRAM) >= 0);
	ASSERT_STR(o.ruri_s, want_ruri);
	char got[512] = "";
	for (const struct ms_hdr *h = ms_msg_hdr(&o, MS_HDR_ROUTE); h; h = ms_msg_hdr_next(&o, h))
		snprintf(got + strlen(got), sizeof got - strlen(got), "%.*s|", (int)h->value.len, h->value.s);
	if (strcmp(got, want_routes))
		ms_test_fail(__FILE__, __LINE__, "routes '%s', expected '%s'", got, want_routes);
	ms_edit_free(&e);
	ms_buf_free(&out);
	ms_msg_free(&o);
	ms_msg_free(&m);
}

TEST(proxy_preprocess_routes)
{
	struct fixture f;
	open_proxy(&f);
	char routes[512], ruri[128];
	/* Our own top Route goes; the next stays. */
	snprintf(routes, sizeof routes, "Route: <sip:%s;lr>, <sip:192.0.2.9;lr>\r\n", f.host);
	preprocessed(&f, "sip:b@192.0.2.20", routes, 1, "sip:b@192.0.2.20", "<sip:192.0.2.9;lr>|");
	/* Two of ours on top (a double Record-Route): both go. */
	snprintf(routes, sizeof routes,
		 "Route: <sip:%s;lr;r2=on>\r\nRoute: <sip:%s;transport=tcp;lr;r2=on>\r\n", f.host, f.host);
	preprocessed(&f, "sip:b@192.0.2.20", routes, 2, "sip:b@192.0.2.20", "");
	/* A configured domain is us too. */
	preprocessed(&f, "sip:b@192.0.2.20", "Route: <sip:proxy.example.org;lr>\r\n", 1, "sip:b@192.0.2.20",
		     "");
	/* Not ours: nothing changes. */
	preprocessed(&f, "sip:b@192.0.2.20", "Route: <sip:192.0.2.9;lr>\r\n", 0, "sip:b@192.0.2.20",
		     "<sip:192.0.2.9;lr>|");
	/* A strict router before us put our Record-Route into the
	 * Request-URI: the last Route is the real one. */
	snprintf(ruri, sizeof ruri, "sip:%s;lr", f.host);
	preprocessed(&f, ruri, "Route: <sip:192.0.2.9;lr>, <sip:b@192.0.2.20>\r\n", 1, "sip:b@192.0.2.20",
		     "<sip:192.0.2.9;lr>|");
	/* A request for us without lr in the Request-URI (a REGISTER to the
	 * domain, say) is no strict router's. */
	snprintf(ruri, sizeof ruri, "sip:%s", f.host);
	preprocessed(&f, ruri, "Route: <sip:192.0.2.9;lr>\r\n", 0, ruri, "<sip:192.0.2.9;lr>|");
	close_proxy(&f);
}

static int hop(const char *uri, struct ms_txn_peer *dst, struct ms_str *name)
{
	struct ms_uri u;
	const char *why;
	ASSERT_INT(ms_uri_parse(&u, uri, strlen(uri), &why), 0);
	return ms_proxy_next_hop(&u, dst, name);
}

TEST(proxy_next_hop_from_uri)
{
	struct ms_txn_peer d;
	struct ms_str name;
	char a[MS_ADDR_STRLEN];
	ASSERT_INT(hop("sip:b@192.0.2.1", &d, &name), 0);
	ASSERT_INT(d.proto, MS_PROTO_UDP);
	ASSERT(!strcmp(ms_addr_format(&d.addr, a), "192.0.2.1:5060"));
	ASSERT_INT(hop("sip:b@192.0.2.1:5070;transport=TCP", &d, &name), 0);
	ASSERT_INT(d.proto, MS_PROTO_TCP);
	ASSERT(!strcmp(ms_addr_format(&d.addr, a), "192.0.2.1:5070"));
	ASSERT_INT(hop("sips:b@[2001:db8::1]", &d, &name), 0);
	ASSERT_INT(d.proto, MS_PROTO_TLS);
	ASSERT(!strcmp(ms_addr_format(&d.addr, a), "[2001:db8::1]:5061"));
	ASSERT_INT(hop("sip:b@example.com;maddr=192.0.2.5", &d, &name), 0);
	ASSERT(!strcmp(ms_addr_format(&d.addr, a), "192.0.2.5:5060"));
	ASSERT_INT(hop("sip:b@gw.example.com;transport=tcp", &d, &name), MS_EAGAIN);
	ASSERT_STR(name, "gw.example.com");
	ASSERT_INT(d.proto, MS_PROTO_TCP);
	ASSERT_INT(hop("sip:b@192.0.2.1;transport=sctp", &d, &name), MS_ENOTSUP);
	ASSERT_INT(hop("tel:+15551234", &d, &name), MS_EINVAL);
}

TEST(proxy_choose_best_response)
{
	/* §16.7 step 6: a 6xx if any, else the lowest class; in 4xx the
	 * ones that say how to try again first; none: -1 (408 made up). */
	unsigned a[] = { 486, 404, 302 };
	ASSERT_INT(ms__proxy_choose(a, 3), 2);
	unsigned b[] = { 486, 603, 302 };
	ASSERT_INT(ms__proxy_choose(b, 3), 1);
	unsigned c[] = { 404, 407, 486 };
	ASSERT_INT(ms__proxy_choose(c, 3), 1);
	unsigned d[] = { 503, 408 };
	ASSERT_INT(ms__proxy_choose(d, 2), 1);
	unsigned e[] = { 600, 603 };
	ASSERT_INT(ms__proxy_choose(e, 2), 0); /* the first 6xx */
	ASSERT_INT(ms__proxy_choose(NULL, 0), -1);
}

TEST(proxy_merges_challenges)
{
	static const char r401[] =
		"SIP/2.0 401 Unauthorized\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa1\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
		"WWW-Authenticate: Digest realm=\"one\", nonce=\"n1\"\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char r407[] =
		"SIP/2.0 407 Proxy Authentication Required\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa1\r\n"
		"From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=3\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
		"Proxy-Authenticate: Digest realm=\"two\", nonce=\"n2\"\r\n"
		"Content-Length: 0\r\n\r\n";
	struct ms_str all[] = { { r401, sizeof r401 - 1 }, { r407, sizeof r407 - 1 }, { NULL, 0 } };
	unsigned status[] = { 401, 407, 486 };
	int k = ms__proxy_choose(status, 3);
	ASSERT_INT(k, 0);
	struct ms_buf out;
	ms_buf_init(&out);
	ASSERT_INT(ms__proxy_merge_challenges(&all[k], all, status, 3, &out), 0);
	struct ms_msg m;
	ms_msg_init(&m);
	ASSERT(ms_msg_parse(&m, out.data, out.len, MS_PARSE_DGRAM) >= 0);
	ASSERT_INT(m.status, 401);
	ASSERT_STR(ms_msg_hdr(&m, MS_HDR_WWW_AUTHENTICATE)->value, "Digest realm=\"one\", nonce=\"n1\"");
	ASSERT_STR(ms_msg_hdr(&m, MS_HDR_PROXY_AUTHENTICATE)->value, "Digest realm=\"two\", nonce=\"n2\"");
	ASSERT_INT(ms_msg_hdr_count(&m, MS_HDR_WWW_AUTHENTICATE), 1);
	ms_msg_free(&m);
	ms_buf_free(&out);
}
