#include <stdlib.h>

#include "moonsip/msg.h"
#include "test.h"

static const char invite[] = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds, SIP/2.0/TCP "
			     "192.0.2.1:5061;branch=z9hG4bKx\r\n"
			     "v: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK3\r\n"
			     "Max-Forwards: 70\r\n"
			     "To: Bob <sip:bob@biloxi.example.com>\r\n"
			     "From: \"Alice, A.\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
			     "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
			     "CSeq: 314159 INVITE\r\n"
			     "m: <sip:alice@pc33.atlanta.example.com>, \"x,y\" <sip:b@c>;q=0.5\r\n"
			     "Supported: 100rel, timer,path\r\n"
			     "X-Custom: a, b\r\n"
			     "Content-Type: application/sdp\r\n"
			     "l: 10\r\n"
			     "\r\n"
			     "v=0\r\no=x\r\n";

static void parse(struct ms_msg *m, const char *s, size_t len, int flags)
{
	ms_msg_init(m);
	int rc = ms_msg_parse(m, s, len, flags);
	if (rc < 0) {
		char r[200];
		ms_msg_error(m, r, sizeof r);
		ms_test_fail(__FILE__, __LINE__, "parse failed: %s (line %u)", r, m->err.line);
	}
}

/* Parses and checks, expecting failure; returns the reason phrase. */
static const char *reason_of(const char *s, uint16_t *status)
{
	static char r[200];
	struct ms_msg m;
	ms_msg_init(&m);
	int rc = ms_msg_parse(&m, s, strlen(s), MS_PARSE_DGRAM);
	if (rc >= 0)
		rc = ms_msg_check(&m);
	if (rc >= 0)
		ms_test_fail(__FILE__, __LINE__, "message parsed: %.40s", s);
	ms_msg_error(&m, r, sizeof r);
	*status = m.err.status;
	ms_msg_free(&m);
	return r;
}

TEST(msg_index_and_lists)
{
	struct ms_msg m;
	parse(&m, invite, sizeof invite - 1, MS_PARSE_DGRAM);
	ASSERT_INT(ms_msg_check(&m), 0);
	ASSERT(m.is_request);
	ASSERT_INT(m.method, MS_METHOD_INVITE);
	ASSERT_STR(m.ruri_s, "sip:bob@biloxi.example.com");
	ASSERT_STR(m.version, "SIP/2.0");
	ASSERT_INT(ms_msg_hdr_count(&m, MS_HDR_VIA), 3);
	ASSERT_INT(ms_msg_hdr_count(&m, MS_HDR_CONTACT), 2);
	ASSERT_INT(ms_msg_hdr_count(&m, MS_HDR_SUPPORTED), 3);
	ASSERT_INT(ms_msg_hdr_count(&m, MS_HDR_OTHER), 1);
	const struct ms_hdr *h = ms_msg_hdr(&m, MS_HDR_VIA);
	ASSERT_STR(h->value, "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds");
	h = ms_msg_hdr_next(&m, h);
	ASSERT_STR(h->value, "SIP/2.0/TCP 192.0.2.1:5061;branch=z9hG4bKx");
	/* two elements of one field share its extent */
	ASSERT_INT(h->field_off, ms_msg_hdr(&m, MS_HDR_VIA)->field_off);
	h = ms_msg_hdr_next(&m, h);
	ASSERT_STR(h->name, "v");
	ASSERT(ms_msg_hdr_next(&m, h) == NULL);
	h = ms_msg_hdr(&m, MS_HDR_CONTACT);
	ASSERT_STR(ms_msg_hdr_next(&m, h)->value, "\"x,y\" <sip:b@c>;q=0.5");
	/* unknown headers are not split */
	ASSERT_STR(ms_msg_hdr_by_name(&m, "x-custom", 8)->value, "a, b");
	ASSERT_STR(ms_msg_hdr_by_name(&m, "Content-Length", 14)->name, "l");
	ASSERT_STR(ms_msg_hdr_by_name(&m, "i", 1)->value, "a84b4c76e66710@pc33.atlanta.example.com");
	ASSERT(ms_msg_hdr_by_name(&m, "X-Missing", 9) == NULL);
	ASSERT_STR(m.body, "v=0\r\no=x\r\n");
	struct ms_str sdp;
	ASSERT_INT(ms_msg_sdp(&m, &sdp), 0);
	ASSERT(sdp.s == m.body.s);
	ms_msg_free(&m);
}

TEST(msg_typed_views_cached)
{
	struct ms_msg m;
	parse(&m, invite, sizeof invite - 1, MS_PARSE_DGRAM);
	const struct ms_via *v = ms_msg_via(&m);
	ASSERT(v && ms_msg_via(&m) == v);
	ASSERT_STR(v->branch, "z9hG4bK776asdhds");
	ASSERT_STR(ms_msg_from(&m)->tag, "1928301774");
	ASSERT_STR(ms_msg_from(&m)->display, "\"Alice, A.\"");
	ASSERT_INT(ms_msg_to(&m)->tag.len, 0);
	ASSERT_STR(ms_msg_to(&m)->uri.user, "bob");
	ASSERT_INT(ms_msg_cseq(&m)->num, 314159);
	ASSERT_STR(*ms_msg_call_id(&m), "a84b4c76e66710@pc33.atlanta.example.com");
	ASSERT_STR(ms_msg_contact(&m)->na.uri.host, "pc33.atlanta.example.com");
	ASSERT_STR(ms_msg_ruri(&m)->host, "biloxi.example.com");
	uint32_t mf;
	ASSERT_INT(ms_msg_max_forwards(&m, &mf), 0);
	ASSERT_INT(mf, 70);
	ASSERT_INT(ms_msg_expires(&m, &mf), MS_ENOENT);
	ASSERT_INT(m.parsed & (MS_MSG_HAVE_VIA | MS_MSG_HAVE_FROM | MS_MSG_HAVE_TO),
		   MS_MSG_HAVE_VIA | MS_MSG_HAVE_FROM | MS_MSG_HAVE_TO);
	ms_msg_free(&m);
}

TEST(msg_response)
{
	static const char r[] =
		"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		"To: <sip:b@h>;tag=x\r\nFrom: <sip:a@h>;tag=y\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";
	struct ms_msg m;
	parse(&m, r, sizeof r - 1, MS_PARSE_STREAM);
	ASSERT_INT(ms_msg_check(&m), 0);
	ASSERT(!m.is_request);
	ASSERT_INT(m.status, 180);
	ASSERT_STR(m.reason, "Ringing");
	ASSERT(ms_msg_ruri(&m) == NULL);
	ASSERT_INT(m.body.len, 0);
	ms_msg_free(&m);
}

TEST(msg_body_framing)
{
	struct ms_msg m;
	/* datagram: trailing octets past Content-Length are ignored */
	static const char d[] = "OPTIONS sip:h SIP/2.0\r\nContent-Length: 2\r\n\r\nabcdef";
	parse(&m, d, sizeof d - 1, MS_PARSE_DGRAM);
	ASSERT_STR(m.body, "ab");
	ASSERT_INT(m.len, sizeof d - 1 - 4);
	/* datagram without Content-Length: the rest is the body */
	static const char e[] = "OPTIONS sip:h SIP/2.0\r\nTo: x\r\n\r\nabcdef";
	parse(&m, e, sizeof e - 1, MS_PARSE_DGRAM);
	ASSERT_STR(m.body, "abcdef");
	ASSERT(!m.has_clen);
	/* stream: Content-Length is required */
	ms_msg_init(&m);
	ASSERT_INT(ms_msg_parse(&m, e, sizeof e - 1, MS_PARSE_STREAM), MS_EBADMSG);
	ASSERT(!strcmp(m.err.what, "missing Content-Length"));
	ms_msg_free(&m);
}

TEST(msg_error_reasons)
{
	uint16_t st;
	ASSERT(!strcmp(
		reason_of("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:b@h>\r\n"
			  "From: <sip:a@h>;tag=y\r\nCall-ID: c\r\nCSeq: 99999999999 INVITE\r\n\r\n",
			  &st),
		"Bad CSeq: number too large"));
	ASSERT_INT(st, 400);
	ASSERT(!strcmp(reason_of("INVITE sip:a@b SIP/2.0\r\nTo: <sip:b@h>\r\n\r\n", &st),
		       "Bad Call-ID: missing"));
	ASSERT(!strcmp(reason_of("INVITE sip:a@b SIP/3.0\r\n\r\n", &st), "SIP version not supported"));
	ASSERT_INT(st, 505);
	ASSERT(!strcmp(reason_of("INVITE  sip:a@b SIP/2.0\r\n\r\n", &st), "Bad request line"));
	ASSERT(!strcmp(reason_of("INVITE sip:a@b SIP/2.0\nTo: x\n\n", &st), "Start line not ended by CRLF"));
	ASSERT(!strcmp(reason_of("INVITE sip:a@b SIP/2.0\r\nTo: x\nFrom: y\r\n\r\n", &st),
		       "Bad To: bare LF in header"));
	ASSERT(!strcmp(reason_of("INVITE sip:a@b SIP/2.0\r\nTo x\r\n\r\n", &st),
		       "Bad To: no colon after header name"));
	ASSERT(!strcmp(reason_of("INVITE sip:a@b SIP/2.0\r\n: x\r\n\r\n", &st), "Bad header name"));
	ASSERT(!strcmp(reason_of("INVITE sip:a@b SIP/2.0\r\nTo: x\r\n", &st),
		       "No empty line after the headers"));
	ASSERT(!strcmp(reason_of("INVITE sip:a@b SIP/2.0\r\n continued\r\n\r\n", &st),
		       "Continuation line without a header"));
	ASSERT(!strcmp(reason_of("INVITE sip:a@b SIP/2.0\r\nVia: a,,b\r\n\r\n", &st),
		       "Bad Via: empty element in list"));
	ASSERT(!strcmp(reason_of("INVITE sip:a@b SIP/2.0\r\nl: 5\r\nl: 6\r\n\r\n", &st),
		       "Bad Content-Length: conflicting values"));
	ASSERT(!strcmp(reason_of("INVITE sip:a@b SIP/2.0\r\nX-\x01: y\r\n\r\n", &st),
		       "Bad X-: no colon after header name"));
	/* responses with errors are dropped, not answered */
	ASSERT(!strcmp(reason_of("SIP/2.0 2000 OK\r\n\r\n", &st), "Bad status code"));
	ASSERT_INT(st, 0);
	ASSERT(!strcmp(reason_of("SIP/2.0 099 Low\r\n\r\n", &st), "Bad status code"));
	struct ms_msg m;
	ms_msg_init(&m);
	ASSERT_INT(ms_msg_parse(&m, NULL, 0, MS_PARSE_DGRAM), MS_EBADMSG);
	ms_msg_free(&m);
	/* the echoed header name is kept printable */
	ASSERT(!strcmp(reason_of("INVITE sip:a@b SIP/2.0\r\nX-\xc3\xa9: y\r\n\r\n", &st),
		       "Bad X-: no colon after header name"));
}

TEST(msg_error_line_numbers)
{
	static const char s[] =
		"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:b@h>\r\n"
		"From: <sip:a@h>;tag=y\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nExpires:\r\n soon\r\n\r\n";
	struct ms_msg m;
	parse(&m, s, sizeof s - 1, MS_PARSE_DGRAM);
	ASSERT_INT(ms_msg_check(&m), MS_EBADMSG);
	ASSERT_INT(m.err.line, 7);
	char r[100];
	ms_msg_error(&m, r, sizeof r);
	ASSERT(!strcmp(r, "Bad Expires: not a number"));
	/* a short buffer still gets a terminated, truncated reason */
	ASSERT_INT(ms_msg_error(&m, r, 8), 7);
	ASSERT(!strcmp(r, "Bad Exp"));
	ms_msg_free(&m);
}

TEST(msg_many_headers_grow_then_refuse)
{
	struct ms_buf b;
	ms_buf_init(&b);
	ms_buf_addz(&b, "OPTIONS sip:a@b SIP/2.0\r\nSupported: ");
	for (int i = 0; i < 300; i++)
		ms_buf_printf(&b, "%sx%d", i ? "," : "", i);
	ms_buf_addz(&b, "\r\n\r\n");
	struct ms_msg m;
	parse(&m, b.data, b.len, MS_PARSE_DGRAM);
	ASSERT_INT(ms_msg_hdr_count(&m, MS_HDR_SUPPORTED), 300);
	ASSERT(m.hdrs != m.hdr_inline);
	/* reparsing reuses the grown block */
	ASSERT(ms_msg_parse(&m, invite, sizeof invite - 1, MS_PARSE_DGRAM) > 0);
	ASSERT(m.hdrs != m.hdr_inline);
	ms_msg_free(&m);
	b.len -= 4;
	for (int i = 300; i < 1100; i++)
		ms_buf_printf(&b, ",x%d", i);
	ms_buf_addz(&b, "\r\n\r\n");
	ms_msg_init(&m);
	ASSERT_INT(ms_msg_parse(&m, b.data, b.len, MS_PARSE_DGRAM), MS_EMSGSIZE);
	ASSERT(!strcmp(m.err.what, "too many header fields"));
	ms_msg_free(&m);
	ms_buf_free(&b);
}

/* Every prefix of a valid message parses or fails cleanly; each is copied
 * into an exactly sized heap block so ASan sees any read past its end. */
static void all_prefixes(const char *msg, size_t len)
{
	for (size_t n = 0; n <= len; n++) {
		char *p = malloc(n ? n : 1);
		memcpy(p, msg, n);
		struct ms_msg m;
		ms_msg_init(&m);
		if (ms_msg_parse(&m, p, n, MS_PARSE_DGRAM) >= 0)
			(void)ms_msg_check(&m);
		else
			ASSERT(m.err.what != NULL);
		ms_msg_free(&m);
		free(p);
	}
}

TEST(msg_every_truncated_prefix)
{
	static const char *files[] = {
		"corpus/rfc4475/valid/wsinv.dat",     "corpus/rfc4475/valid/intmeth.dat",
		"corpus/rfc4475/valid/esc01.dat",     "corpus/rfc4475/valid/longreq.dat",
		"corpus/rfc4475/valid/mpart01.dat",   "corpus/rfc4475/valid/unreason.dat",
		"corpus/rfc4475/invalid/quotbal.dat", "corpus/rfc4475/application/regescrt.dat",
	};
	all_prefixes(invite, sizeof invite - 1);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		size_t len;
		char *buf = ms_test_read(files[i], &len);
		all_prefixes(buf, len);
		free(buf);
	}
}
