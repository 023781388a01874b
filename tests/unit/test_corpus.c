/* What the RFC 4475 and RFC 5118 torture messages must mean once parsed,
 * beyond the accept/reject verdicts that ms_corpus checks. */
#include <stdlib.h>

#include "moonsip/msg.h"
#include "test.h"

struct loaded {
	char *buf;
	struct ms_msg m;
};

static void load(struct loaded *l, const char *file)
{
	size_t len;
	char path[256];
	snprintf(path, sizeof path, "corpus/rfc4475/%s", file);
	l->buf = ms_test_read(path, &len);
	ms_msg_init(&l->m);
	if (ms_msg_parse(&l->m, l->buf, len, MS_PARSE_DGRAM) < 0 || ms_msg_check(&l->m) < 0) {
		char r[200];
		ms_msg_error(&l->m, r, sizeof r);
		ms_test_fail(__FILE__, __LINE__, "%s: %s", file, r);
	}
}

static void unload(struct loaded *l)
{
	ms_msg_free(&l->m);
	free(l->buf);
}

TEST(torture_wsinv)
{
	struct loaded l;
	load(&l, "valid/wsinv.dat");
	struct ms_msg *m = &l.m;
	ASSERT_STR(m->ruri_s, "sip:vivekg@chair-dnrc.example.com;unknownparam");
	ASSERT_STR(ms_msg_to(m)->tag, "1918181833n");
	ASSERT_STR(ms_msg_from(m)->tag, "98asjd8");
	uint32_t mf;
	ASSERT_INT(ms_msg_max_forwards(m, &mf), 0);
	ASSERT_INT(mf, 68);
	ASSERT_INT(ms_msg_cseq(m)->num, 9);
	ASSERT_INT(ms_msg_cseq(m)->method, MS_METHOD_INVITE);
	ASSERT_INT(ms_msg_hdr_count(m, MS_HDR_VIA), 3);
	const struct ms_hdr *h = ms_msg_hdr(m, MS_HDR_VIA);
	struct ms_via v;
	const char *why;
	ASSERT_INT(ms_via_parse(&v, ms_msg_hdr_next(m, ms_msg_hdr_next(m, h))->value, &why), 0);
	ASSERT_STR(v.host, "192.168.255.111");
	ASSERT_STR(v.branch, "z9hG4bK30239");
	ASSERT_INT(ms_msg_contact(m)->q, 330);
	/* the empty Subject and the odd unknown header are kept as they are */
	ASSERT_STR(ms_msg_hdr(m, MS_HDR_SUBJECT)->value, "");
	ASSERT_STR(ms_msg_hdr_by_name(m, "UnknownHeaderWithUnusualValue", 29)->value, ";;,,;;,;");
	ASSERT_STR(ms_msg_hdr_by_name(m, "newfangledheader", 16)->value,
		   "newfangled value\r\n continued newfangled value");
	ASSERT_INT(m->body.len, 150);
	unload(&l);
}

TEST(torture_escapes)
{
	struct loaded l;
	char out[128];
	load(&l, "valid/esc01.dat");
	const struct ms_uri *u = ms_msg_ruri(&l.m);
	int n = ms_uri_unescape(u->user, out);
	ASSERT_STR(((struct ms_str){ out, (size_t)n }), "sips:user@example.com");
	unload(&l);

	load(&l, "valid/escnull.dat");
	u = &ms_msg_to(&l.m)->uri;
	n = ms_uri_unescape(u->user, out);
	ASSERT_INT(n, 11); /* "null-", NUL, "-null": not cut short */
	ASSERT(out[5] == 0 && out[10] == 'l');
	ASSERT_INT(ms_msg_hdr_count(&l.m, MS_HDR_CONTACT), 2);
	unload(&l);

	/* RE%47IST%45R is an extension method; C%6Fntact an unknown header */
	load(&l, "valid/esc02.dat");
	ASSERT_INT(l.m.method, MS_METHOD_OTHER);
	ASSERT_STR(l.m.method_s, "RE%47IST%45R");
	ASSERT_INT(ms_msg_hdr_count(&l.m, MS_HDR_CONTACT), 2);
	ASSERT(ms_msg_hdr_by_name(&l.m, "C%6Fntact", 9) != NULL);
	unload(&l);
}

TEST(torture_odd_but_valid)
{
	struct loaded l;
	load(&l, "valid/intmeth.dat");
	ASSERT_STR(l.m.method_s, "!interesting-Method0123456789_*+`.%indeed'~");
	ASSERT_STR(ms_msg_via(&l.m)->branch, "z9hG4bK-.!%66*_+`'~");
	unload(&l);

	load(&l, "valid/semiuri.dat");
	ASSERT_STR(ms_msg_ruri(&l.m)->user, "user;par=u%40example.net");
	ASSERT_STR(ms_msg_ruri(&l.m)->host, "example.com");
	unload(&l);

	load(&l, "valid/transports.dat");
	static const char *const tr[] = { "UDP", "SCTP", "TLS", "UNKNOWN", "TCP" };
	int i = 0;
	for (const struct ms_hdr *h = ms_msg_hdr(&l.m, MS_HDR_VIA); h; h = ms_msg_hdr_next(&l.m, h), i++) {
		struct ms_via v;
		const char *why;
		ASSERT_INT(ms_via_parse(&v, h->value, &why), 0);
		ASSERT_STR(v.transport, tr[i]);
	}
	ASSERT_INT(i, 5);
	unload(&l);

	load(&l, "valid/lwsdisp.dat");
	ASSERT_STR(ms_msg_from(&l.m)->display, "caller");
	unload(&l);

	load(&l, "valid/noreason.dat");
	ASSERT_INT(l.m.status, 100);
	ASSERT_INT(l.m.reason.len, 0);
	unload(&l);

	load(&l, "valid/unreason.dat");
	ASSERT_INT(l.m.status, 200);
	ASSERT(l.m.reason.len > 40);
	unload(&l);

	load(&l, "transaction/badbranch.dat");
	ASSERT_STR(ms_msg_via(&l.m)->branch, "z9hG4bK");
	unload(&l);

	load(&l, "application/unkscm.dat");
	ASSERT_INT(ms_msg_ruri(&l.m)->scheme, MS_URI_OTHER);
	unload(&l);

	load(&l, "application/unksm2.dat");
	ASSERT_INT(ms_msg_to(&l.m)->uri.scheme, MS_URI_OTHER);
	ASSERT_STR(ms_msg_to(&l.m)->uri.scheme_s, "isbn");
	unload(&l);

	load(&l, "application/zeromf.dat");
	uint32_t mf = 1;
	ASSERT_INT(ms_msg_max_forwards(&l.m, &mf), 0);
	ASSERT_INT(mf, 0);
	unload(&l);

	load(&l, "application/bcast.dat");
	ASSERT_INT(ms_msg_hdr_count(&l.m, MS_HDR_VIA), 2);
	unload(&l);
}

TEST(torture_datagram_bodies)
{
	struct loaded l;
	/* dblreq: the INVITE after Content-Length 0 is noise */
	load(&l, "valid/dblreq.dat");
	ASSERT_INT(l.m.method, MS_METHOD_REGISTER);
	ASSERT_INT(l.m.body.len, 0);
	ASSERT(l.m.len < 400);
	unload(&l);

	/* inv2543: no Content-Length, the body is the rest of the datagram */
	load(&l, "compat/inv2543.dat");
	ASSERT(!l.m.has_clen);
	ASSERT(l.m.body.len > 0);
	ASSERT(l.m.body.s[0] == 'v');
	unload(&l);

	/* mpart01: framed strictly by Content-Length, binary part intact */
	load(&l, "valid/mpart01.dat");
	ASSERT_INT(l.m.body.len, 553);
	struct ms_ctype c;
	const char *why;
	ASSERT_INT(ms_ctype_parse(&c, ms_msg_hdr(&l.m, MS_HDR_CONTENT_TYPE)->value, &why), 0);
	size_t pos = 0;
	struct ms_body_part part;
	int parts = 0;
	while (ms_multipart_next(l.m.body, c.boundary, &pos, &part) == 0)
		parts++;
	ASSERT_INT(parts, 2);
	struct ms_str sdp;
	ASSERT_INT(ms_msg_sdp(&l.m, &sdp), MS_ENOENT);
	unload(&l);
}

TEST(torture_contact_params)
{
	struct loaded l;
	load(&l, "application/cparam01.dat");
	ASSERT_INT(ms_msg_contact(&l.m)->na.uri.params.len, 0);
	ASSERT_STR(ms_msg_contact(&l.m)->na.params, "unknownparam");
	unload(&l);
	load(&l, "application/cparam02.dat");
	ASSERT_STR(ms_msg_contact(&l.m)->na.uri.params, "unknownparam");
	unload(&l);
	load(&l, "application/regescrt.dat");
	ASSERT_STR(ms_msg_contact(&l.m)->na.uri.headers, "Route=%3Csip:sip.example.com%3E");
	unload(&l);
}

TEST(torture_multipart_sdp)
{
	static const char msg[] =
		"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:b@h>\r\n"
		"From: <sip:a@h>;tag=y\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
		"Content-Type: multipart/mixed;boundary=\"bb\"\r\nContent-Length: 106\r\n\r\n"
		"--bb\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
		"--bb\r\nc: application/sdp\r\n\r\nv=0\r\ns=-\r\n\r\n"
		"--bb\r\n\r\nno headers\r\n--bb--\r\n";
	struct ms_msg m;
	ms_msg_init(&m);
	ASSERT(ms_msg_parse(&m, msg, sizeof msg - 1, MS_PARSE_STREAM) > 0);
	ASSERT_INT(ms_msg_check(&m), 0);
	struct ms_str sdp;
	ASSERT_INT(ms_msg_sdp(&m, &sdp), 0);
	ASSERT_STR(sdp, "v=0\r\ns=-\r\n");
	size_t pos = 0;
	struct ms_body_part p;
	ASSERT_INT(ms_multipart_next(m.body, MS_STR("bb"), &pos, &p), 0);
	ASSERT_STR(p.content_type, "text/plain");
	ASSERT_STR(p.content, "hi");
	ASSERT_INT(ms_multipart_next(m.body, MS_STR("bb"), &pos, &p), 0);
	ASSERT_INT(ms_multipart_next(m.body, MS_STR("bb"), &pos, &p), 0);
	ASSERT_INT(p.headers.len, 0);
	ASSERT_STR(p.content, "no headers");
	ASSERT_INT(ms_multipart_next(m.body, MS_STR("bb"), &pos, &p), MS_ENOENT);
	ASSERT_INT(ms_multipart_next(m.body, MS_STR("zz"), &(size_t){ 0 }, &p), MS_ENOENT);
	ms_msg_free(&m);
}

/* Found by fuzzing: a multipart body without a boundary, and a part
 * without a Content-Type, are no SDP and no crash. */
TEST(multipart_without_boundary_or_type)
{
	static const char a[] = "MESSAGE sip:a@b SIP/2.0\r\nContent-Type: multipart/mixed\r\n"
				"Content-Length: 12\r\n\r\n--x\r\n\r\nhi\r\n--x";
	static const char b[] = "MESSAGE sip:a@b SIP/2.0\r\nContent-Type: multipart/mixed;boundary=x\r\n"
				"Content-Length: 18\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n";
	struct ms_msg m;
	struct ms_str sdp;
	ms_msg_init(&m);
	ASSERT(ms_msg_parse(&m, a, sizeof a - 1, MS_PARSE_STREAM) > 0);
	ASSERT_INT(ms_msg_sdp(&m, &sdp), MS_ENOENT);
	ASSERT_INT(ms_multipart_next(m.body, MS_STR_NULL, &(size_t){ 0 }, &(struct ms_body_part){ 0 }),
		   MS_ENOENT);
	ASSERT(ms_msg_parse(&m, b, sizeof b - 1, MS_PARSE_STREAM) > 0);
	ASSERT_INT(ms_msg_sdp(&m, &sdp), MS_ENOENT);
	ms_msg_free(&m);
}
