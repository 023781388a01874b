#include "moonsip/hdr.h"
#include "test.h"

#define S(z) ((struct ms_str){ (z), strlen(z) })

/* Runs a typed parser expecting success, or failure with a given reason. */
#define OK(call)                                                                        \
	do {                                                                            \
		const char *why_ = NULL;                                                \
		if ((call) != 0)                                                        \
			ms_test_fail(__FILE__, __LINE__, "%s failed: %s", #call, why_); \
	} while (0)
#define BAD(call, reason)                                                                                   \
	do {                                                                                                \
		const char *why_ = NULL;                                                                    \
		if ((call) == 0)                                                                            \
			ms_test_fail(__FILE__, __LINE__, "%s parsed", #call);                               \
		if (strcmp(why_, (reason)))                                                                 \
			ms_test_fail(__FILE__, __LINE__, "%s: '%s', expected '%s'", #call, why_, (reason)); \
	} while (0)

TEST(via_simple_and_params)
{
	struct ms_via v;
	OK(ms_via_parse(&v, S("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport;received=10.0.0.1"),
			&why_));
	ASSERT_STR(v.protocol, "SIP");
	ASSERT_STR(v.version, "2.0");
	ASSERT_STR(v.transport, "UDP");
	ASSERT_STR(v.host, "192.0.2.1");
	ASSERT_INT(v.host_type, MS_HOST_IPV4);
	ASSERT_INT(v.port, 5060);
	ASSERT_STR(v.branch, "z9hG4bK776asdhds");
	ASSERT(v.has_rport);
	ASSERT_INT(v.rport.len, 0);
	ASSERT_STR(v.received, "10.0.0.1");
	ASSERT_STR(v.params, "branch=z9hG4bK776asdhds;rport;received=10.0.0.1");
	OK(ms_via_parse(&v, S("SIP/2.0/TLS [2001:db8::9:1]:6050;rport=1234;maddr=224.2.0.1;ttl=16;x"),
			&why_));
	ASSERT_STR(v.host, "[2001:db8::9:1]");
	ASSERT_INT(v.host_type, MS_HOST_IPV6);
	ASSERT_INT(v.port, 6050);
	ASSERT_STR(v.rport, "1234");
	ASSERT_STR(v.maddr, "224.2.0.1");
	ASSERT_STR(v.ttl, "16");
}

TEST(via_whitespace_and_folding)
{
	struct ms_via v;
	/* RFC 4475 wsinv: LWS around the slashes and folded lines */
	OK(ms_via_parse(&v, S("SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw"), &why_));
	ASSERT_STR(v.transport, "UDP");
	ASSERT_STR(v.host, "192.0.2.2");
	ASSERT_STR(v.branch, "390skdjuw");
	OK(ms_via_parse(&v, S("SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8"),
			&why_));
	ASSERT_STR(v.host, "spindle.example.com");
	ASSERT_STR(v.branch, "z9hG4bK9ikj8");
	OK(ms_via_parse(&v, S("SIP/2.0/UNKNOWN 192.0.2.1 : 5070 ;branch=z9hG4bK"), &why_));
	ASSERT_STR(v.transport, "UNKNOWN");
	ASSERT_INT(v.port, 5070);
}

TEST(via_received_ipv6_forms)
{
	struct ms_via v;
	/* RFC 5118 §4.5: both with and without brackets */
	OK(ms_via_parse(&v, S("SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3"),
			&why_));
	ASSERT_STR(v.received, "[2001:db8::9:255]");
	OK(ms_via_parse(&v, S("SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3"),
			&why_));
	ASSERT_STR(v.received, "2001:db8::9:255");
	ASSERT_STR(v.branch, "z9hG4bKas3");
	/* Compressed forms that start with "::", as a stack writes for ::1. */
	OK(ms_via_parse(&v, S("SIP/2.0/UDP [::1]:5060;received=::1;rport=5"), &why_));
	ASSERT_STR(v.received, "::1");
	ASSERT_STR(v.rport, "5");
	OK(ms_via_parse(&v, S("SIP/2.0/UDP [::1];received=::ffff:192.0.2.1;branch=z9hG4bKx"), &why_));
	ASSERT_STR(v.received, "::ffff:192.0.2.1");
	BAD(ms_via_parse(&v, S("SIP/2.0/UDP [::1];received=:1"), &why_), "bad Via parameter");
}

TEST(via_errors)
{
	struct ms_via v;
	BAD(ms_via_parse(&v, S("SIP/2.0/UDP 192.0.2.15;;"), &why_), "bad Via parameter");
	BAD(ms_via_parse(&v, S("SIP/2.0 192.0.2.15"), &why_), "bad sent-protocol");
	BAD(ms_via_parse(&v, S("SIP/2.0/UDP"), &why_), "no space before sent-by");
	BAD(ms_via_parse(&v, S("SIP/2.0/UDP 192.0.2.1:99999"), &why_), "bad sent-by port");
	BAD(ms_via_parse(&v, S("SIP/2.0/UDP 192.0.2.1;branch="), &why_), "bad Via parameter");
	BAD(ms_via_parse(&v, S("SIP/2.0/UDP 192.0.2.1;rport=x"), &why_), "bad rport");
	BAD(ms_via_parse(&v, S("SIP/2.0/UDP 192.0.2.1;received=host.name"), &why_), "bad received address");
	BAD(ms_via_parse(&v, S("SIP/2.0/UDP 192.0.2.1 garbage"), &why_), "bad character in Via");
	BAD(ms_via_parse(&v, S("SIP/2.0/UDP _bad_"), &why_), "bad sent-by host");
	/* found by fuzzing: these parameters need a value */
	BAD(ms_via_parse(&v, S("SIP/2.0/UDP h;branch=z9hG4bK1;received"), &why_),
	    "Via parameter without a value");
	BAD(ms_via_parse(&v, S("SIP/2.0/UDP h;maddr"), &why_), "Via parameter without a value");
	BAD(ms_via_parse(&v, S("SIP/2.0/UDP h;ttl"), &why_), "Via parameter without a value");
	BAD(ms_via_parse(&v, S("SIP/2.0/UDP h;branch"), &why_), "Via parameter without a value");
}

TEST(nameaddr_forms)
{
	struct ms_nameaddr na;
	OK(ms_nameaddr_parse(&na, S("\"A. G. Bell\" <sip:agb@bell-telephone.com> ;tag=a48s"), &why_));
	ASSERT_STR(na.display, "\"A. G. Bell\"");
	ASSERT_STR(na.uri.text, "sip:agb@bell-telephone.com");
	ASSERT_STR(na.tag, "a48s");
	ASSERT(na.bracketed);
	OK(ms_nameaddr_parse(&na, S("Anonymous <sip:c8oqz84zk7z@privacy.org>;tag=hyh8"), &why_));
	ASSERT_STR(na.display, "Anonymous");
	OK(ms_nameaddr_parse(&na, S("sip:+12125551212@server.phone2net.com;tag=887s"), &why_));
	ASSERT(!na.bracketed);
	ASSERT_INT(na.display.len, 0);
	ASSERT_STR(na.uri.text, "sip:+12125551212@server.phone2net.com");
	ASSERT_STR(na.tag, "887s");
	/* RFC 4475 §3.1.1.6: no space before '<' */
	OK(ms_nameaddr_parse(&na, S("caller<sip:caller@example.com>;tag=323"), &why_));
	ASSERT_STR(na.display, "caller");
	/* several tokens, and token punctuation (RFC 4475 §3.1.1.2) */
	OK(ms_nameaddr_parse(
		&na, S("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;tag=_token~1'+`*%!-."),
		&why_));
	ASSERT_STR(na.display, "token1~` token2'+_ token3*%!.-");
	ASSERT_STR(na.tag, "_token~1'+`*%!-.");
	/* addr-spec: ';' belongs to the header, not the URI (cparam01) */
	OK(ms_nameaddr_parse(&na, S("sip:+19725552222@gw1.example.net;unknownparam"), &why_));
	ASSERT_INT(na.uri.params.len, 0);
	ASSERT_STR(na.params, "unknownparam");
	/* inside <> it is a URI parameter (cparam02) */
	OK(ms_nameaddr_parse(&na, S("<sip:+19725552222@gw1.example.net;unknownparam>"), &why_));
	ASSERT_STR(na.uri.params, "unknownparam");
	ASSERT_INT(na.params.len, 0);
	OK(ms_nameaddr_parse(&na, S("<sip:user@example.com?Route=%3Csip:sip.example.com%3E>"), &why_));
	ASSERT_STR(na.uri.headers, "Route=%3Csip:sip.example.com%3E");
	OK(ms_nameaddr_parse(&na, S("<isbn:2983792873>"), &why_));
	ASSERT_INT(na.uri.scheme, MS_URI_OTHER);
}

TEST(nameaddr_display_decode)
{
	struct ms_nameaddr na;
	char out[64];
	OK(ms_nameaddr_parse(
		&na, S("\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8"),
		&why_));
	ASSERT_STR(na.tag, "98asjd8");
	size_t n = ms_display_decode(na.display, out);
	ASSERT_STR(((struct ms_str){ out, n }), "J Rosenberg \\\"");
	/* quoted-pair NUL, BEL and DEL (RFC 4475 §3.1.1.2) */
	static const char v[] = "\"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\" <sip:x@example.com>";
	OK(ms_nameaddr_parse(&na, ((struct ms_str){ v, sizeof v - 1 }), &why_));
	n = ms_display_decode(na.display, out);
	ASSERT_INT(n, 17);
	ASSERT(out[4] == 7 && out[10] == 0 && out[16] == 0x7f);
	n = ms_display_decode(MS_STR("Plain Name"), out);
	ASSERT_STR(((struct ms_str){ out, n }), "Plain Name");
}

TEST(nameaddr_errors)
{
	struct ms_nameaddr na;
	BAD(ms_nameaddr_parse(&na, S("\"Mr. J. User <sip:j.user@example.com>"), &why_),
	    "unterminated quoted display name");
	BAD(ms_nameaddr_parse(&na, S("< sip:t.watson@example.org >"), &why_), "whitespace inside <>");
	BAD(ms_nameaddr_parse(&na, S("Bell, Alexander <sip:a.g.bell@bell-tel.com>;tag=43"), &why_),
	    "URI has no scheme");
	BAD(ms_nameaddr_parse(&na, S("sip:user@example.com?Route=%3Csip:sip.example.com%3E"), &why_),
	    "URI with headers must be enclosed in <>");
	BAD(ms_nameaddr_parse(&na, S("<sip:user@example.com"), &why_), "no closing > after URI");
	BAD(ms_nameaddr_parse(&na, S("<sip:user@example.com>;tag="), &why_), "bad header parameter");
	BAD(ms_nameaddr_parse(&na, S("<sip:user@example.com> junk"), &why_), "bad character after URI");
	BAD(ms_nameaddr_parse(&na, S("\"name\" sip:user@example.com"), &why_), "no <URI> after display name");
	BAD(ms_nameaddr_parse(&na, S(""), &why_), "URI has no scheme");
}

TEST(contact_params)
{
	struct ms_contact c;
	OK(ms_contact_parse(&c,
			    S("<sip:alice@192.0.2.4;transport=tcp>;expires=3600;q=0.7;+sip.instance=\"<urn:"
			      "uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\";reg-id=1"),
			    &why_));
	ASSERT(!c.star);
	ASSERT(c.has_expires);
	ASSERT_INT(c.expires, 3600);
	ASSERT_INT(c.q, 700);
	ASSERT_STR(c.instance, "\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\"");
	ASSERT_STR(c.reg_id, "1");
	ASSERT_STR(c.na.uri.transport, "tcp");
	OK(ms_contact_parse(&c, S(" * "), &why_));
	ASSERT(c.star);
	OK(ms_contact_parse(&c,
			    S("\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n      "
			      "newvalue ;\r\n  secondparam ; q = 0.33"),
			    &why_));
	ASSERT_INT(c.q, 330);
	ASSERT(!c.has_expires);
	OK(ms_contact_parse(&c, S("<sip:a@b>;q=1.000"), &why_));
	ASSERT_INT(c.q, 1000);
	OK(ms_contact_parse(&c, S("<sip:a@b>;q=0"), &why_));
	ASSERT_INT(c.q, 0);
	BAD(ms_contact_parse(&c, S("<sip:a@b>;q=1.5"), &why_), "bad Contact q");
	BAD(ms_contact_parse(&c, S("<sip:a@b>;q=0.1234"), &why_), "bad Contact q");
	BAD(ms_contact_parse(&c, S("<sip:a@b>;expires=280297596632815"), &why_), "bad Contact expires");
	BAD(ms_contact_parse(&c, S("<sip:a@b>;reg-id=x"), &why_), "bad reg-id");
	BAD(ms_contact_parse(&c, S("<sip:a@b>;"), &why_), "bad header parameter");
}

TEST(cseq_callid_numbers)
{
	struct ms_cseq cs;
	struct ms_str s;
	uint32_t u;
	OK(ms_cseq_parse(&cs, S("0009\r\n  INVITE"), &why_));
	ASSERT_INT(cs.num, 9);
	ASSERT_INT(cs.method, MS_METHOD_INVITE);
	OK(ms_cseq_parse(&cs, S("139122385 !interesting-Method0123456789_*+`.%indeed'~"), &why_));
	ASSERT_INT(cs.method, MS_METHOD_OTHER);
	ASSERT_STR(cs.method_s, "!interesting-Method0123456789_*+`.%indeed'~");
	OK(ms_cseq_parse(&cs, S("4294967295 ACK"), &why_));
	ASSERT_INT(cs.num, 4294967295u);
	BAD(ms_cseq_parse(&cs, S("36893488147419103232 REGISTER"), &why_), "number too large");
	BAD(ms_cseq_parse(&cs, S("INVITE"), &why_), "bad number");
	BAD(ms_cseq_parse(&cs, S("1"), &why_), "missing method");
	BAD(ms_cseq_parse(&cs, S("1 INVITE x"), &why_), "bad character after method");
	OK(ms_callid_parse(&s, S(" intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{ "), &why_));
	ASSERT_STR(s, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
	BAD(ms_callid_parse(&s, S("a@"), &why_), "nothing after @");
	BAD(ms_callid_parse(&s, S("a b"), &why_), "bad character");
	BAD(ms_callid_parse(&s, S(""), &why_), "empty");
	OK(ms_uint_hdr_parse(&u, S(" 0068 "), 255, &why_));
	ASSERT_INT(u, 68);
	BAD(ms_uint_hdr_parse(&u, S("300"), 255, &why_), "number too large");
	BAD(ms_uint_hdr_parse(&u, S("-999"), UINT32_MAX, &why_), "not a number");
	BAD(ms_uint_hdr_parse(&u, S("five"), UINT32_MAX, &why_), "not a number");
	OK(ms_token_hdr_parse(&s, S(" 100rel "), &why_));
	ASSERT_STR(s, "100rel");
	BAD(ms_token_hdr_parse(&s, S("a b"), &why_), "bad character after token");
}

TEST(event_and_content_type)
{
	struct ms_event e;
	struct ms_ctype c;
	OK(ms_event_parse(&e, S("presence.winfo ;id=17;x=y"), &why_));
	ASSERT_STR(e.package, "presence.winfo");
	ASSERT_STR(e.id, "17");
	ASSERT_STR(e.params, "id=17;x=y");
	BAD(ms_event_parse(&e, S(";id=1"), &why_), "missing event package");
	OK(ms_ctype_parse(&c, S("multipart/mixed;boundary=7a9cbec02ceef655"), &why_));
	ASSERT_STR(c.type, "multipart");
	ASSERT_STR(c.subtype, "mixed");
	ASSERT_STR(c.boundary, "7a9cbec02ceef655");
	OK(ms_ctype_parse(&c,
			  S("multipart/signed;protocol=\"application/"
			    "pkcs7-signature\";micalg=sha1;boundary=\"----abc\""),
			  &why_));
	ASSERT_STR(c.boundary, "----abc");
	OK(ms_ctype_parse(&c, S("Application/SDP"), &why_));
	ASSERT_STR(c.subtype, "SDP");
	BAD(ms_ctype_parse(&c, S("application"), &why_), "not type/subtype");
	BAD(ms_ctype_parse(&c, MS_STR_NULL, &why_), "not type/subtype");
}

TEST(auth_digest)
{
	struct ms_auth a;
	OK(ms_auth_parse(
		&a,
		S("Digest username=\"bob\", realm=\"biloxi.com\", "
		  "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n uri=\"sip:bob@biloxi.com\", qop=auth, "
		  "nc=00000001, cnonce=\"0a4f113b\",\r\n response=\"6629fae49393a05397450978507c4ef1\", "
		  "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\", algorithm=SHA-256"),
		&why_));
	ASSERT_STR(a.scheme, "Digest");
	ASSERT_STR(a.username, "bob");
	ASSERT_STR(a.realm, "biloxi.com");
	ASSERT_STR(a.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
	ASSERT_STR(a.uri, "sip:bob@biloxi.com");
	ASSERT_STR(a.qop, "auth");
	ASSERT_STR(a.nc, "00000001");
	ASSERT_STR(a.cnonce, "0a4f113b");
	ASSERT_STR(a.response, "6629fae49393a05397450978507c4ef1");
	ASSERT_STR(a.algorithm, "SHA-256");
	size_t pos = 0;
	struct ms_str n, v;
	ASSERT(ms_auth_param_next(a.params, &pos, &n, &v));
	ASSERT_STR(n, "username");
	ASSERT_STR(v, "bob");
	ASSERT(ms_auth_param_next(a.params, &pos, &n, &v));
	ASSERT_STR(n, "realm");
	OK(ms_auth_parse(&a,
			 S("Digest realm=\"atlanta.com\", qop=\"auth,auth-int\", stale=TRUE, nonce=\"x\""),
			 &why_));
	ASSERT_STR(a.qop, "auth,auth-int");
	ASSERT_STR(a.stale, "TRUE");
	OK(ms_auth_parse(&a, S("NoOneKnowsThisScheme opaque-data=here"), &why_));
	ASSERT_STR(a.scheme, "NoOneKnowsThisScheme");
	BAD(ms_auth_parse(&a, S("Digest username"), &why_), "bad auth parameter");
	BAD(ms_auth_parse(&a, S("Digest a=\"unterminated"), &why_), "bad auth parameter");
	BAD(ms_auth_parse(&a, S(""), &why_), "missing scheme");
}

TEST(date_gmt_only)
{
	int64_t t;
	OK(ms_date_parse(&t, S("Sat, 13 Nov 2010 23:29:00 GMT"), &why_));
	ASSERT_INT(t, 1289690940);
	OK(ms_date_parse(&t, S("Thu, 01 Jan 1970 00:00:00 GMT"), &why_));
	ASSERT_INT(t, 0);
	BAD(ms_date_parse(&t, S("Fri, 01 Jan 2010 16:00:00 EST"), &why_), "time zone is not GMT");
	BAD(ms_date_parse(&t, S("Fri, 1 Jan 2010 16:00:00 GMT"), &why_), "bad date");
	BAD(ms_date_parse(&t, S("Fri, 01 Foo 2010 16:00:00 GMT"), &why_), "bad date");
	BAD(ms_date_parse(&t, S("Fri, 01 Jan 2010 25:00:00 GMT"), &why_), "bad date");
	BAD(ms_date_parse(&t, S("Fri, 01 Jan 2010 16:00 GMT"), &why_), "bad time");
	BAD(ms_date_parse(&t, S("Friday, 01 Jan 2010 16:00:00 GMT"), &why_), "bad weekday");
}

TEST(validate_by_type)
{
	const char *why = NULL;
	ASSERT_INT(ms_hdr_validate(MS_HDR_VIA, S("SIP/2.0/UDP h;branch=z9hG4bK1"), &why), 0);
	ASSERT_INT(ms_hdr_validate(MS_HDR_VIA, S("SIP/2.0/UDP"), &why), MS_EBADMSG);
	ASSERT(!strcmp(why, "no space before sent-by"));
	ASSERT_INT(ms_hdr_validate(MS_HDR_ROUTE, S("<sip:p1.example.com;lr>"), &why), 0);
	ASSERT_INT(ms_hdr_validate(MS_HDR_MAX_FORWARDS, S("256"), &why), MS_EBADMSG);
	ASSERT_INT(ms_hdr_validate(MS_HDR_SUPPORTED, S(""), &why), 0);
	ASSERT_INT(ms_hdr_validate(MS_HDR_SUPPORTED, S("a b"), &why), MS_EBADMSG);
	ASSERT_INT(ms_hdr_validate(MS_HDR_SUBJECT, S("anything \x01 at all"), &why), 0);
	ASSERT_INT(ms_hdr_validate(MS_HDR_OTHER, S(";;,,"), &why), 0);
}
