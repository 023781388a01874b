/* libFuzzer target: the message parser and everything that reads a parsed
 * message (index, typed views, bodies, error text), and the responses and
 * edits built from it.
 *
 * Beyond "does not crash", it checks what callers rely on: every slice lies
 * inside what it was cut from, a failed parse says why, a parameter walk
 * always moves on, and a message that passed ms_msg_check still passes after
 * the edits a proxy makes. A broken promise calls abort() so that libFuzzer
 * keeps the input. */
#include <stdlib.h>
#include <string.h>

#include "moonsip/edit.h"
#include "moonsip/msg.h"

#include "fuzz_check.h"

static void auth_params(struct ms_str list)
{
	size_t pos = 0, prev = 0;
	struct ms_str name, value;
	for (unsigned i = 0; i < MAX_WALK && ms_auth_param_next(list, &pos, &name, &value); i++) {
		CHECK(pos > prev && pos <= list.len);
		in(list, name);
		in(list, value);
		prev = pos;
	}
}

static void uri(const struct ms_uri *u)
{
	struct ms_str t = u->text;
	in(t, u->scheme_s);
	in(t, u->user);
	in(t, u->password);
	in(t, u->host);
	in(t, u->params);
	in(t, u->headers);
	in(t, u->opaque);
	unescape(u->user);
	unescape(u->password);
	unescape(u->params);
	unescape(u->headers);
	params(u->params);
	CHECK(ms_uri_equal(u, u));
}

static void display(struct ms_str d)
{
	char *out = exact(d.len);
	CHECK(ms_display_decode(d, out) <= d.len);
	free(out);
}

static void nameaddr(const struct ms_nameaddr *na, struct ms_str value)
{
	in(value, na->display);
	in(value, na->uri.text);
	in(value, na->params);
	in(value, na->tag);
	display(na->display);
	uri(&na->uri);
	params(na->params);
}

/* Each fuzz_* runs one typed parser on a header value. A failure must say
 * why (the text goes into a 400 reason phrase); a success is read through. */
static void fuzz_via(struct ms_str value)
{
	struct ms_via v;
	const char *why = NULL;
	if (ms_via_parse(&v, value, &why) < 0) {
		CHECK(why);
		return;
	}
	in(value, v.host);
	in(value, v.params);
	in(value, v.branch);
	in(value, v.received);
	params(v.params);
}

static void fuzz_nameaddr(struct ms_str value)
{
	struct ms_nameaddr na;
	const char *why = NULL;
	if (ms_nameaddr_parse(&na, value, &why) < 0)
		CHECK(why);
	else
		nameaddr(&na, value);
}

static void fuzz_contact(struct ms_str value)
{
	struct ms_contact c;
	const char *why = NULL;
	if (ms_contact_parse(&c, value, &why) < 0) {
		CHECK(why);
		return;
	}
	CHECK(c.q >= -1 && c.q <= 1000);
	if (!c.star)
		nameaddr(&c.na, value);
}

static void fuzz_auth(struct ms_str value)
{
	struct ms_auth a;
	const char *why = NULL;
	if (ms_auth_parse(&a, value, &why) < 0) {
		CHECK(why);
		return;
	}
	in(value, a.params);
	in(value, a.username);
	in(value, a.nonce);
	auth_params(a.params);
}

static void fuzz_small(struct ms_str value)
{
	struct ms_cseq cs;
	struct ms_str s;
	uint32_t u;
	const char *why = NULL;
	if (ms_cseq_parse(&cs, value, &why) == 0)
		in(value, cs.method_s);
	if (ms_callid_parse(&s, value, &why) == 0)
		in(value, s);
	if (ms_token_hdr_parse(&s, value, &why) == 0)
		in(value, s);
	if (ms_uint_hdr_parse(&u, value, 255, &why) == 0)
		CHECK(u <= 255);
}

static void fuzz_event_ctype_date(struct ms_str value)
{
	struct ms_event e;
	struct ms_ctype c;
	int64_t t;
	const char *why = NULL;
	if (ms_event_parse(&e, value, &why) == 0) {
		in(value, e.params);
		params(e.params);
	}
	if (ms_ctype_parse(&c, value, &why) == 0) {
		in(value, c.params);
		in(value, c.boundary);
		params(c.params);
	}
	if (ms_date_parse(&t, value, &why) < 0)
		CHECK(why);
}

/* An unknown header reaches every parser: the fuzzer then need not find a
 * header name before it can feed a parser whatever it likes. */
static void fuzz_any(struct ms_str value)
{
	fuzz_via(value);
	fuzz_nameaddr(value);
	fuzz_contact(value);
	fuzz_auth(value);
	fuzz_small(value);
	fuzz_event_ctype_date(value);
}

static void typed(const struct ms_hdr *h)
{
	switch (h->type) {
	case MS_HDR_VIA: fuzz_via(h->value); break;
	case MS_HDR_FROM:
	case MS_HDR_TO:
	case MS_HDR_ROUTE:
	case MS_HDR_RECORD_ROUTE:
	case MS_HDR_PATH:
	case MS_HDR_SERVICE_ROUTE:
	case MS_HDR_REPLY_TO:
	case MS_HDR_REFER_TO:
	case MS_HDR_REFERRED_BY: fuzz_nameaddr(h->value); break;
	case MS_HDR_CONTACT: fuzz_contact(h->value); break;
	case MS_HDR_AUTHORIZATION:
	case MS_HDR_PROXY_AUTHORIZATION:
	case MS_HDR_WWW_AUTHENTICATE:
	case MS_HDR_PROXY_AUTHENTICATE: fuzz_auth(h->value); break;
	case MS_HDR_CSEQ:
	case MS_HDR_CALL_ID:
	case MS_HDR_MAX_FORWARDS:
	case MS_HDR_EXPIRES:
	case MS_HDR_MIN_EXPIRES:
	case MS_HDR_SUPPORTED:
	case MS_HDR_REQUIRE:
	case MS_HDR_PROXY_REQUIRE:
	case MS_HDR_UNSUPPORTED:
	case MS_HDR_ALLOW: fuzz_small(h->value); break;
	case MS_HDR_EVENT:
	case MS_HDR_CONTENT_TYPE:
	case MS_HDR_DATE: fuzz_event_ctype_date(h->value); break;
	case MS_HDR_OTHER: fuzz_any(h->value); break;
	default: break;
	}
}

/* The index: every entry inside the header section and inside its field,
 * and each reachable exactly once through the per-type chains. */
static void index_invariants(const struct ms_msg *m, size_t len)
{
	struct ms_str all = { m->buf, m->hdr_end };
	CHECK(m->len <= len && m->hdr_end + 2 <= m->len && m->nhdrs <= MS_MSG_MAX_HDRS);
	CHECK(m->body.s == m->buf + m->hdr_end + 2 && m->hdr_end + 2 + m->body.len == m->len);
	CHECK(!m->has_clen || m->clen == m->body.len);
	unsigned total = 0;
	for (unsigned t = 0; t < MS_HDR__COUNT; t++) {
		for (const struct ms_hdr *h = ms_msg_hdr(m, t); h; h = ms_msg_hdr_next(m, h)) {
			CHECK(h->type == t && total++ < m->nhdrs);
			CHECK(h->field_off < h->field_end && h->field_end <= m->hdr_end + 2);
			struct ms_str field = { m->buf + h->field_off, h->field_end - h->field_off };
			in(field, h->name);
			in(field, h->value);
			in(all, h->value);
		}
	}
	CHECK(total == m->nhdrs);
	/* Quadratic for unknown names: a sample is enough. */
	for (unsigned i = 0; i < m->nhdrs && i < 64; i++)
		CHECK(ms_msg_hdr_by_name(m, m->hdrs[i].name.s, m->hdrs[i].name.len));
}

/* Typed views through the message, twice: the second call is the cache. */
static void accessors(struct ms_msg *m)
{
	struct ms_str all = { m->buf, m->hdr_end };
	const struct ms_uri *ruri = ms_msg_ruri(m);
	if (ruri) {
		uri(ruri);
		CHECK(ms_msg_ruri(m) == ruri);
	}
	const struct ms_via *via = ms_msg_via(m);
	CHECK(ms_msg_via(m) == via);
	if (via)
		in(all, via->host);
	const struct ms_nameaddr *from = ms_msg_from(m), *to = ms_msg_to(m);
	if (from)
		display(from->display);
	if (to)
		display(to->display);
	const struct ms_cseq *cseq = ms_msg_cseq(m);
	const struct ms_str *call_id = ms_msg_call_id(m);
	if (cseq)
		in(all, cseq->method_s);
	if (call_id)
		in(all, *call_id);
	const struct ms_contact *c = ms_msg_contact(m);
	CHECK(!c || c->star || c->na.uri.text.len);
	uint32_t n;
	if (ms_msg_max_forwards(m, &n) == 0)
		CHECK(n <= 255);
	ms_msg_expires(m, &n);
}

static void multipart(const struct ms_msg *m)
{
	const struct ms_hdr *h = ms_msg_hdr(m, MS_HDR_CONTENT_TYPE);
	struct ms_ctype ct;
	const char *why;
	if (!h || ms_ctype_parse(&ct, h->value, &why) < 0)
		return;
	size_t pos = 0, prev = 0;
	struct ms_body_part part;
	for (unsigned i = 0; i < MAX_WALK && ms_multipart_next(m->body, ct.boundary, &pos, &part) == 0; i++) {
		CHECK(pos > prev && pos <= m->body.len);
		in(m->body, part.headers);
		in(m->body, part.content);
		in(part.headers, part.content_type);
		struct ms_ctype pc;
		ms_ctype_parse(&pc, part.content_type, &why);
		prev = pos;
	}
}

static void bodies(const struct ms_msg *m)
{
	struct ms_str sdp;
	if (ms_msg_sdp(m, &sdp) == 0)
		in(m->body, sdp);
	multipart(m);
}

/* Small enough that most reasons are cut short. */
#define ERROR_SIZE 24

/* The reason phrase goes on the wire: it must fit, end in NUL and hold
 * nothing that could break the status line. */
static void error_text(const struct ms_msg *m)
{
	char *out = exact(ERROR_SIZE);
	size_t n = ms_msg_error(m, out, ERROR_SIZE);
	CHECK(n < ERROR_SIZE && memchr(out, 0, ERROR_SIZE) == out + n);
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)out[i] >= 0x20 && (unsigned char)out[i] < 0x7f);
	free(out);
}

/* What a message written by the library must show when parsed again. */
struct expect {
	bool fz_via;     /* the top Via is the one the edit added */
	bool to_tag;     /* To has a tag */
	unsigned routes; /* Route entries left */
};

#define FZ_BRANCH "z9hG4bK-fz"

/* Output that the library wrote must parse as one framed message, and
 * pass the checks and show what was asked when its source passed them. */
static void reparse(const struct ms_buf *b, bool must_pass, const struct expect *x)
{
	char *copy = exact(b->len);
	memcpy(copy, b->data, b->len);
	struct ms_msg r;
	ms_msg_init(&r);
	int rc = ms_msg_parse(&r, copy, b->len, MS_PARSE_STREAM);
	if (must_pass) {
		CHECK(rc >= 0 && (size_t)rc == b->len && ms_msg_check(&r) == 0);
		const struct ms_via *via = ms_msg_via(&r);
		const struct ms_nameaddr *to = ms_msg_to(&r);
		CHECK(!x->fz_via || (via && ms_str_eq(via->branch, MS_STR(FZ_BRANCH))));
		CHECK(!x->to_tag || (to && to->tag.len));
		CHECK(ms_msg_hdr_count(&r, MS_HDR_ROUTE) == x->routes);
	}
	ms_msg_free(&r);
	free(copy);
}

/* The start of a response, ended with no body: RFC 3261 §8.2.6 says the
 * To of a response carries a tag, and Route is not copied. */
static void response(struct ms_msg *m, bool ok)
{
	struct ms_buf b;
	struct expect x = { .to_tag = true };
	ms_buf_init(&b);
	int rc = ms_build_response(&b, m, 180, MS_STR(""), MS_STR("fz1"));
	if (rc == 0)
		rc = ms_build_end(&b, MS_STR(""), MS_STR(""));
	CHECK(rc == 0 || !ok);
	if (rc == 0)
		reparse(&b, ok, &x);
	ms_buf_free(&b);
}

/* What a proxy does to a request it forwards. Whether the new body is
 * empty (which also drops Content-Type) follows the input's length. */
static void edit(struct ms_msg *m, bool ok)
{
	static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
				  "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
	const struct ms_hdr *route = ms_msg_hdr(m, MS_HDR_ROUTE);
	struct expect x = { .fz_via = true, .routes = ms_msg_hdr_count(m, MS_HDR_ROUTE) };
	struct ms_edit e;
	struct ms_buf out;
	ms_edit_init(&e, m);
	ms_buf_init(&out);
	int rc = ms_edit_add(&e, MS_STR("Via"), MS_STR("SIP/2.0/TCP fuzz.invalid:5061;branch=" FZ_BRANCH),
			     MS_EDIT_TOP, NULL);
	if (rc == 0 && route) {
		rc = ms_edit_remove(&e, route);
		x.routes--;
	}
	if (rc == 0 && m->len % 2)
		rc = ms_edit_set_body(&e, MS_STR(""), MS_STR(""));
	else if (rc == 0)
		rc = ms_edit_set_body(&e, MS_STR(sdp), MS_STR("application/sdp"));
	if (rc == 0)
		rc = ms_edit_write(&e, &out);
	CHECK(rc == 0 || !ok);
	if (rc == 0)
		reparse(&out, ok, &x);
	ms_buf_free(&out);
	ms_edit_free(&e);
}

/* A fresh parse, so that the checks run before any accessor has recorded
 * an error of its own. */
static void rebuild(const char *buf, size_t len, int flags)
{
	struct ms_msg m;
	ms_msg_init(&m);
	if (ms_msg_parse(&m, buf, len, flags) >= 0) {
		bool ok = ms_msg_check(&m) == 0;
		if (m.is_request)
			response(&m, ok);
		edit(&m, ok);
	}
	ms_msg_free(&m);
}

static void one(const char *buf, size_t len, int flags)
{
	struct ms_msg m;
	ms_msg_init(&m);
	int rc = ms_msg_parse(&m, buf, len, flags);
	error_text(&m);
	if (rc < 0) {
		CHECK(m.err.what);
		ms_msg_free(&m);
		return;
	}
	CHECK((size_t)rc == m.len);
	index_invariants(&m, len);
	accessors(&m);
	for (unsigned i = 0; i < m.nhdrs; i++)
		typed(&m.hdrs[i]);
	bodies(&m);
	if (ms_msg_check(&m) < 0)
		CHECK(m.err.what);
	error_text(&m);
	ms_msg_free(&m);
	rebuild(buf, len, flags);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = exact(size);
	if (size)
		memcpy(buf, data, size);
	one(buf, size, MS_PARSE_DGRAM);
	one(buf, size, MS_PARSE_STREAM);
	free(buf);
	return 0;
}
