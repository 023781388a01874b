/* The user agent on real UDP sockets on 127.0.0.1 and a real libev loop:
 * registration against a small registrar made here on a stack of its own
 * (digest challenges checked with the server side of digest.h), OPTIONS
 * and MESSAGE between two UAs. Every wait is bounded. */
#include <ev.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "moonsip/digest.h"
#include "moonsip/edit.h"
#include "moonsip/stack.h"
#include "moonsip/ua.h"
#include "test.h"

#define REALM "example.com"
#define SECRET "0123456789abcdef0123456789abcdef"

struct seen {
	uint32_t cseq, expires;
	bool has_expires, has_auth, auth_ok;
	double at;
	char call_id[80], contact[160];
};

struct registrar {
	struct ev_loop *loop;
	struct ms_stack *s;
	bool auth;            /* challenge requests without credentials */
	const char *password; /* the one the registrar knows */
	uint32_t min_expires; /* 423 below it (0: none) */
	uint32_t grant;       /* expires given back in the Contact (0: what was asked) */
	struct seen seen[16];
	unsigned n;
};

static struct ms_str hvalue(struct ms_msg *m, enum ms_hdr_type t)
{
	const struct ms_hdr *h = ms_msg_hdr(m, t);
	return h ? h->value : MS_STR_NULL;
}

static bool auth_ok(struct registrar *r, struct ms_msg *req)
{
	struct ms_auth cred;
	const char *why;
	enum ms_digest_alg alg;
	char ha1[MS_DIGEST_HEX_SIZE];
	struct ms_str v = hvalue(req, MS_HDR_AUTHORIZATION);
	if (!v.len || ms_auth_parse(&cred, v, &why) < 0 || ms_digest_alg_parse(cred.algorithm, &alg) < 0)
		return false;
	if (!ms_str_eq(cred.username, MS_STR("alice")) || !ms_str_eq(cred.realm, MS_STR(REALM)))
		return false;
	ASSERT_INT(ms_digest_ha1(ms_digest_alg_base(alg), MS_STR("alice"), MS_STR(REALM),
				 (struct ms_str){ r->password, strlen(r->password) }, ha1),
		   0);
	struct ms_digest_request dr = { .method = req->method_s, .uri = req->ruri_s, .body = req->body };
	int64_t issued;
	return ms_digest_verify(&cred, &dr, (struct ms_str){ ha1, strlen(ha1) }) == MS_DIGEST_OK &&
		ms_digest_nonce_check(MS_STR(SECRET), MS_STR(REALM), cred.nonce, (int64_t)ev_now(r->loop), 30,
				      &issued) == MS_DIGEST_NONCE_VALID;
}

static void challenge(struct registrar *r, struct ms_stxn *st, struct ms_msg *req)
{
	char nonce[MS_DIGEST_NONCE_SIZE];
	struct ms_buf b, ch;
	ms_buf_init(&b);
	ms_buf_init(&ch);
	ASSERT_INT(ms_digest_nonce_make(MS_STR(SECRET), MS_STR(REALM), (int64_t)ev_now(r->loop), nonce), 0);
	ASSERT_INT(ms_build_response(&b, req, 401, MS_STR_NULL, MS_STR("reg")), 0);
	/* SHA-256 first, as RFC 8760 §2.4 has it, then MD5. */
	for (int alg = MS_DIGEST_SHA256; alg >= MS_DIGEST_MD5; alg--) {
		ch.len = 0;
		struct ms_digest_challenge c = { .alg = (enum ms_digest_alg)alg,
						 .realm = MS_STR(REALM),
						 .nonce = { nonce, MS_DIGEST_NONCE_LEN } };
		ASSERT_INT(ms_digest_challenge_build(&ch, &c), 0);
		ASSERT_INT(
			ms_build_header(&b, MS_STR("WWW-Authenticate"), (struct ms_str){ ch.data, ch.len }),
			0);
	}
	ASSERT_INT(ms_build_end(&b, MS_STR_NULL, MS_STR_NULL), 0);
	ASSERT_INT(ms_stxn_reply(st, b.data, b.len), 0);
	ms_buf_free(&b);
	ms_buf_free(&ch);
}

static void grant(struct registrar *r, struct ms_stxn *st, struct ms_msg *req, struct seen *s)
{
	struct ms_buf b;
	ms_buf_init(&b);
	ASSERT_INT(ms_build_response(&b, req, s->expires < r->min_expires && s->expires ? 423 : 200,
				     MS_STR_NULL, MS_STR("reg")),
		   0);
	if (s->expires && s->expires < r->min_expires) {
		ms_buf_printf(&b, "Min-Expires: %u\r\n", (unsigned)r->min_expires);
	} else if (s->expires) {
		/* Another phone's binding first: ours is found by its URI. */
		ms_buf_printf(&b, "Contact: <sip:alice@192.0.2.9>;expires=999\r\n");
		ms_buf_printf(&b, "Contact: %s;expires=%u\r\n", s->contact,
			      (unsigned)(r->grant ? r->grant : s->expires));
	}
	ASSERT_INT(ms_build_end(&b, MS_STR_NULL, MS_STR_NULL), 0);
	ASSERT_INT(ms_stxn_reply(st, b.data, b.len), 0);
	ms_buf_free(&b);
}

static void on_register(struct ms_stxn *st, struct ms_msg *req, const struct ms_txn_peer *src, void *arg)
{
	struct registrar *r = arg;
	(void)src;
	if (!st)
		return;
	ASSERT(req->method == MS_METHOD_REGISTER);
	ASSERT(r->n < 16);
	struct seen *s = &r->seen[r->n++];
	memset(s, 0, sizeof *s);
	s->cseq = ms_msg_cseq(req)->num;
	s->has_expires = ms_msg_expires(req, &s->expires) == 0;
	s->has_auth = ms_msg_hdr(req, MS_HDR_AUTHORIZATION) != NULL;
	s->at = ev_now(r->loop);
	struct ms_str id = *ms_msg_call_id(req), ct = hvalue(req, MS_HDR_CONTACT);
	snprintf(s->call_id, sizeof s->call_id, "%.*s", (int)id.len, id.s);
	snprintf(s->contact, sizeof s->contact, "%.*s", (int)ct.len, ct.s);
	s->auth_ok = s->has_auth && auth_ok(r, req);
	if (r->auth && !s->auth_ok)
		challenge(r, st, req);
	else
		grant(r, st, req, s);
}

static void registrar_open(struct registrar *r, struct ev_loop *loop)
{
	memset(r, 0, sizeof *r);
	r->loop = loop;
	r->auth = true;
	r->password = "pw";
	struct ms_stack_config cfg = { .loop = loop, .request_cb = on_register, .arg = r };
	ASSERT_INT(ms_stack_new(&r->s, &cfg), 0);
	const char *why;
	ASSERT_INT(ms_stack_listen(r->s, "udp:127.0.0.1:0", &why), 0);
}

static void uri_of(struct ms_stack *s, const char *user, char *out, size_t size)
{
	struct sockaddr_storage a;
	ASSERT_INT(ms_stack_local(s, MS_PROTO_UDP, AF_INET, &a), 0);
	snprintf(out, size, "sip:%s%s127.0.0.1:%u", user, *user ? "@" : "", ms_addr_port(&a));
}

struct regs {
	struct ev_loop *loop;
	unsigned calls, status, want;
	uint32_t expires;
	double at;
};

static void on_reg(struct ms_ua *ua, unsigned status, uint32_t expires, void *arg)
{
	struct regs *g = arg;
	(void)ua;
	g->calls++;
	g->status = status;
	g->expires = expires;
	g->at = ev_now(g->loop);
	if (g->calls >= g->want)
		ev_break(g->loop, EVBREAK_ALL);
}

static struct ms_ua *ua_open(struct ev_loop *loop, const char *aor, const char *password,
			     const struct ms_ua_events *ev, void *arg)
{
	static const char *const listen[] = { "udp:127.0.0.1:0", NULL };
	struct ms_ua *ua = NULL;
	struct ms_ua_config cfg = { .loop = loop,
				    .listen = listen,
				    .aor = aor,
				    .user = password ? "alice" : NULL,
				    .password = password,
				    .user_agent = "moonsip-test",
				    .ev = ev,
				    .arg = arg,
				    .t1 = 100 };
	ASSERT_INT(ms_ua_new(&ua, &cfg), 0);
	return ua;
}

TEST(ua_register_digest_refresh_unregister)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct registrar r;
	registrar_open(&r, loop);
	char uri[64];
	uri_of(r.s, "", uri, sizeof uri);
	struct ms_ua *ua = ua_open(loop, "sip:alice@example.com", "pw", NULL, NULL);
	struct regs g = { .loop = loop, .want = 1 };
	ASSERT_INT(ms_ua_register(ua, uri, 4, on_reg, &g), 0);
	ASSERT_INT(g.calls, 0); /* never from inside the call */
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(g.calls, 1);
	ASSERT_INT(g.status, 200);
	ASSERT_INT(g.expires, 4);
	ASSERT_INT(r.n, 2);
	/* The challenge answered once, with the next CSeq and the same Call-ID. */
	ASSERT(!r.seen[0].has_auth);
	ASSERT_INT(r.seen[0].cseq, 1);
	ASSERT(r.seen[1].has_auth && r.seen[1].auth_ok);
	ASSERT_INT(r.seen[1].cseq, 2);
	ASSERT(!strcmp(r.seen[0].call_id, r.seen[1].call_id));
	ASSERT(r.seen[1].has_expires && r.seen[1].expires == 4);
	struct ms_str c = ms_ua_contact(ua);
	ASSERT(!strncmp(r.seen[1].contact, c.s, c.len) && strlen(r.seen[1].contact) == c.len);
	ASSERT(!strncmp(c.s, "<sip:alice@127.0.0.1:", 21));
	/* The refresh, before the 4 s are over. */
	double first = g.at;
	g.want = 2;
	ms_test_run_bounded(loop, 4);
	ASSERT_INT(g.calls, 2);
	ASSERT_INT(g.status, 200);
	ASSERT_INT(r.n, 4);
	ASSERT(r.seen[2].at - first >= 1.5 && r.seen[2].at - first < 3.5);
	ASSERT_INT(r.seen[2].cseq, 3);
	ASSERT_INT(r.seen[3].cseq, 4);
	ASSERT(r.seen[3].auth_ok);
	ASSERT(!strcmp(r.seen[0].call_id, r.seen[3].call_id));
	/* Away: Expires 0, the next CSeq. */
	struct regs u = { .loop = loop, .want = 1 };
	ASSERT_INT(ms_ua_unregister(ua, on_reg, &u), 0);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(u.calls, 1);
	ASSERT_INT(u.status, 200);
	ASSERT_INT(u.expires, 0);
	ASSERT(r.n >= 5);
	struct seen *last = &r.seen[r.n - 1];
	ASSERT(last->has_expires && last->expires == 0 && last->auth_ok);
	ASSERT(last->cseq > 4);
	ASSERT_INT(g.calls, 2); /* the registration's callback is called no more */
	ASSERT_INT(ms_ua_unregister(ua, on_reg, &u), MS_ENOENT);
	ms_ua_free(ua);
	ms_stack_free(r.s);
	ev_loop_destroy(loop);
}

TEST(ua_register_wrong_password_fails)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct registrar r;
	registrar_open(&r, loop);
	char uri[64];
	uri_of(r.s, "", uri, sizeof uri);
	struct ms_ua *ua = ua_open(loop, "sip:alice@example.com", "wrong", NULL, NULL);
	struct regs g = { .loop = loop, .want = 1 };
	ASSERT_INT(ms_ua_register(ua, uri, 60, on_reg, &g), 0);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(g.calls, 1);
	ASSERT_INT(g.status, 401);
	/* Bounded: the registrar's fresh nonces are not answered forever. */
	ASSERT(r.n >= 2 && r.n <= 3);
	ASSERT(r.seen[1].has_auth && !r.seen[1].auth_ok);
	ms_ua_free(ua);
	ms_stack_free(r.s);
	ev_loop_destroy(loop);
}

TEST(ua_register_423_min_expires_and_granted_time)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct registrar r;
	registrar_open(&r, loop);
	r.auth = false;
	r.min_expires = 30;
	r.grant = 20; /* less than asked: the Contact's expires wins */
	char uri[64];
	uri_of(r.s, "", uri, sizeof uri);
	struct ms_ua *ua = ua_open(loop, "sip:alice@example.com", NULL, NULL, NULL);
	struct regs g = { .loop = loop, .want = 1 };
	ASSERT_INT(ms_ua_register(ua, uri, 10, on_reg, &g), 0);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(g.calls, 1);
	ASSERT_INT(g.status, 200);
	ASSERT_INT(g.expires, 20);
	ASSERT_INT(r.n, 2);
	ASSERT_INT(r.seen[0].expires, 10);
	ASSERT_INT(r.seen[1].expires, 30);
	ASSERT_INT(r.seen[1].cseq, 2);
	ms_ua_free(ua); /* does not block, sends nothing */
	ms_stack_free(r.s);
	ev_loop_destroy(loop);
}

/* OPTIONS and MESSAGE between two UAs. */
struct inbox {
	struct ev_loop *loop;
	unsigned messages, status, answers;
	char from[128], type[64], body[128];
	char allow[128];
};

static void on_message(struct ms_ua *ua, struct ms_str from, struct ms_str type, struct ms_str body,
		       void *arg)
{
	struct inbox *in = arg;
	(void)ua;
	in->messages++;
	snprintf(in->from, sizeof in->from, "%.*s", (int)from.len, from.s);
	snprintf(in->type, sizeof in->type, "%.*s", (int)type.len, type.s);
	snprintf(in->body, sizeof in->body, "%.*s", (int)body.len, body.s);
}

static void on_answer(struct ms_ua *ua, unsigned status, struct ms_msg *resp, void *arg)
{
	struct inbox *in = arg;
	(void)ua;
	in->answers++;
	in->status = status;
	const struct ms_hdr *h = resp ? ms_msg_hdr(resp, MS_HDR_ALLOW) : NULL;
	in->allow[0] = 0;
	for (; h; h = ms_msg_hdr_next(resp, h))
		snprintf(in->allow + strlen(in->allow), sizeof in->allow - strlen(in->allow), "%.*s,",
			 (int)h->value.len, h->value.s);
	ev_break(in->loop, EVBREAK_ALL);
}

TEST(ua_options_and_message)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct inbox in = { .loop = loop };
	static const struct ms_ua_events bev = { .message = on_message };
	struct ms_ua *a = ua_open(loop, "sip:alice@example.com", NULL, NULL, NULL);
	struct ms_ua *b = ua_open(loop, "sip:bob@example.com", NULL, &bev, &in);
	char uri[64];
	uri_of(ms_ua_stack(b), "bob", uri, sizeof uri);
	ASSERT_INT(ms_ua_request(a, "OPTIONS", uri, NULL, NULL, on_answer, &in), 0);
	ASSERT_INT(in.answers, 0);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(in.answers, 1);
	ASSERT_INT(in.status, 200);
	ASSERT(strstr(in.allow, "INVITE") && strstr(in.allow, "MESSAGE") && strstr(in.allow, "BYE"));
	ASSERT_INT(ms_ua_request(a, "MESSAGE", uri, "text/plain", "hello bob", on_answer, &in), 0);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(in.answers, 2);
	ASSERT_INT(in.status, 200);
	ASSERT_INT(in.messages, 1);
	ASSERT(!strcmp(in.body, "hello bob"));
	ASSERT(!strcmp(in.type, "text/plain"));
	ASSERT(strstr(in.from, "<sip:alice@example.com>;tag=") == in.from);
	/* Methods that need a dialog or have an API of their own are refused. */
	ASSERT_INT(ms_ua_request(a, "INVITE", uri, NULL, NULL, on_answer, &in), MS_EINVAL);
	ASSERT_INT(ms_ua_request(a, "BYE", uri, NULL, NULL, on_answer, &in), MS_EINVAL);
	/* A transport the stack has not (host names are looked up: see
	 * test_ua_raw.c, with localhost, so no DNS query leaves the machine). */
	ASSERT_INT(ms_ua_request(a, "MESSAGE", "sip:bob@127.0.0.1;transport=sctp", "text/plain", "x",
				 on_answer, &in),
		   MS_ENOTSUP);
	/* An unknown method gets 405 with Allow. */
	ASSERT_INT(ms_ua_request(a, "PUBLISH", uri, NULL, NULL, on_answer, &in), 0);
	ms_test_run_bounded(loop, 2);
	ASSERT_INT(in.status, 405);
	ASSERT(strstr(in.allow, "OPTIONS"));
	/* A request still waiting when the UA goes: no callback, no leak. */
	ASSERT_INT(ms_ua_request(a, "OPTIONS", uri, NULL, NULL, on_answer, &in), 0);
	unsigned before = in.answers;
	ms_ua_free(a);
	ms_test_run_bounded(loop, 0.3);
	ASSERT_INT(in.answers, before);
	ms_ua_free(b);
	ev_loop_destroy(loop);
}
