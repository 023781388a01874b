#include "moonsip/uri.h"
#include "test.h"

static struct ms_uri parse_ok(const char *s)
{
	struct ms_uri u;
	const char *why = NULL;
	if (ms_uri_parse(&u, s, strlen(s), &why) != 0)
		ms_test_fail(__FILE__, __LINE__, "'%s' did not parse: %s", s, why);
	return u;
}

static const char *parse_err(const char *s)
{
	struct ms_uri u;
	const char *why = NULL;
	if (ms_uri_parse(&u, s, strlen(s), &why) == 0)
		ms_test_fail(__FILE__, __LINE__, "'%s' parsed, expected an error", s);
	return why;
}

TEST(uri_sip_full)
{
	struct ms_uri u =
		parse_ok("sips:alice:secret@atlanta.example.com:5061;transport=tcp;lr;maddr=239.255.255.1;"
			 "ttl=15;user=phone;method=INVITE;x?subject=project%20x&priority=urgent");
	ASSERT_INT(u.scheme, MS_URI_SIPS);
	ASSERT_STR(u.user, "alice");
	ASSERT(u.has_password);
	ASSERT_STR(u.password, "secret");
	ASSERT_STR(u.host, "atlanta.example.com");
	ASSERT_INT(u.host_type, MS_HOST_NAME);
	ASSERT_INT(u.port, 5061);
	ASSERT_STR(u.transport, "tcp");
	ASSERT(u.lr);
	ASSERT_STR(u.maddr, "239.255.255.1");
	ASSERT_STR(u.ttl, "15");
	ASSERT_STR(u.user_param, "phone");
	ASSERT_STR(u.method, "INVITE");
	ASSERT_STR(u.params, "transport=tcp;lr;maddr=239.255.255.1;ttl=15;user=phone;method=INVITE;x");
	ASSERT_STR(u.headers, "subject=project%20x&priority=urgent");
}

TEST(uri_hosts)
{
	struct ms_uri u = parse_ok("sip:[2001:db8::10]:5070");
	ASSERT_INT(u.host_type, MS_HOST_IPV6);
	ASSERT_STR(u.host, "[2001:db8::10]");
	ASSERT_INT(u.port, 5070);
	u = parse_ok("sip:[2001:db8::10:5070]"); /* RFC 5118 §4.3: no port */
	ASSERT_INT(u.port, 0);
	ASSERT_STR(u.port_s, "");
	u = parse_ok("sip:user@[::ffff:192.0.2.1]");
	ASSERT_INT(u.host_type, MS_HOST_IPV6);
	u = parse_ok("sip:192.0.2.4");
	ASSERT_INT(u.host_type, MS_HOST_IPV4);
	ASSERT_INT(u.user.len, 0);
	u = parse_ok("sip:example.com.");
	ASSERT_INT(u.host_type, MS_HOST_NAME);
	u = parse_ok("SIP:a-b.c1.Example.COM:0");
	ASSERT_INT(u.scheme, MS_URI_SIP);
	ASSERT_STR(u.port_s, "0");
}

TEST(uri_user_part_oddities)
{
	/* RFC 4475 §3.1.1.9: ';' before '@' is part of the user */
	struct ms_uri u = parse_ok("sip:user;par=u%40example.net@example.com");
	ASSERT_STR(u.user, "user;par=u%40example.net");
	ASSERT_STR(u.host, "example.com");
	ASSERT_INT(u.params.len, 0);
	/* RFC 4475 §3.1.1.2: every legal user and password character */
	u = parse_ok("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/"
		     ";;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
	ASSERT_STR(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	ASSERT_STR(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
	u = parse_ok("sip:%61lice@atlanta.com;%6C%72");
	ASSERT_STR(u.user, "%61lice");
	ASSERT(!u.lr); /* escaped "lr" is not recognised until unescaped */
}

TEST(uri_tel_and_others)
{
	struct ms_uri u = parse_ok("tel:+1-201-555-0123;phone-context=example.com");
	ASSERT_INT(u.scheme, MS_URI_TEL);
	ASSERT_STR(u.user, "+1-201-555-0123");
	ASSERT_STR(u.params, "phone-context=example.com");
	u = parse_ok("nobodyKnowsThisScheme:totallyopaquecontent");
	ASSERT_INT(u.scheme, MS_URI_OTHER);
	ASSERT_STR(u.scheme_s, "nobodyKnowsThisScheme");
	ASSERT_STR(u.opaque, "totallyopaquecontent");
	u = parse_ok("soap.beep://192.0.2.103:3002");
	ASSERT_INT(u.scheme, MS_URI_OTHER);
	u = parse_ok("isbn:2983792873");
	ASSERT_STR(u.opaque, "2983792873");
	u = parse_ok("http://www.example.com/x?y=%20z");
	ASSERT_INT(u.scheme, MS_URI_OTHER);
}

TEST(uri_errors)
{
	ASSERT(!strcmp(parse_err("sip:2001:db8::10"), "bad host")); /* RFC 5118 §4.2 */
	ASSERT(!strcmp(parse_err("<sip:user@example.com>"), "URI has no scheme"));
	ASSERT(!strcmp(parse_err("sip:user@example.com; lr"), "empty URI parameter"));
	ASSERT(!strcmp(parse_err("sip:@example.com"), "empty URI user"));
	ASSERT(!strcmp(parse_err("sip:user@"), "missing host"));
	ASSERT(!strcmp(parse_err("sip:user@1.2.3.256"), "bad host"));
	ASSERT(!strcmp(parse_err("sip:user@-bad.com"), "bad host"));
	ASSERT(!strcmp(parse_err("sip:user@host:70000"), "bad port"));
	ASSERT(!strcmp(parse_err("sip:user@host:"), "bad port"));
	ASSERT(!strcmp(parse_err("sip:us%ZZer@host"), "bad escape in URI user"));
	ASSERT(!strcmp(parse_err("sip:user@host;a=%4"), "bad escape in URI parameter"));
	ASSERT(!strcmp(parse_err("sip:user@host;=x"), "empty URI parameter"));
	ASSERT(!strcmp(parse_err("sip:user@host?x"), "bad URI header"));
	ASSERT(!strcmp(parse_err("sip:user@[2001:db8::1"), "bad host"));
	ASSERT(!strcmp(parse_err("sip:user@[zz::1]"), "bad host"));
	ASSERT(!strcmp(parse_err("sip"), "URI has no scheme"));
	ASSERT(!strcmp(parse_err(""), "URI has no scheme"));
	ASSERT(!strcmp(parse_err("tel:"), "empty tel number"));
	ASSERT(!strcmp(parse_err("tel:12 34"), "bad character in tel number"));
	ASSERT(!strcmp(parse_err("foo:"), "empty URI"));
	ASSERT(!strcmp(parse_err("foo:a b"), "bad character in URI"));
	ASSERT(!strcmp(parse_err("sip:user@host\r\n"), "bad character after host"));
}

TEST(uri_unescape)
{
	char out[64];
	ASSERT_INT(ms_uri_unescape(MS_STR("sips%3Auser%40example.com"), out), 21);
	ASSERT(!memcmp(out, "sips:user@example.com", 21));
	/* not recursive (RFC 4475 §3.1.1.3) */
	int n = ms_uri_unescape(MS_STR("v%61lue%25%34%31"), out);
	ASSERT_INT(n, 8);
	ASSERT(!memcmp(out, "value%41", 8));
	/* NUL is kept, the length tells (RFC 4475 §3.1.1.4) */
	n = ms_uri_unescape(MS_STR("user%00%00"), out);
	ASSERT_INT(n, 6);
	ASSERT(out[4] == 0 && out[5] == 0);
	ASSERT_INT(ms_uri_unescape(MS_STR("%4"), out), MS_EBADMSG);
	ASSERT_INT(ms_uri_unescape(MS_STR("%G0"), out), MS_EBADMSG);
}

TEST(uri_params_iteration)
{
	struct ms_str list = MS_STR("transport=tcp;lr; Q = \"a;b\" ;x");
	size_t pos = 0;
	struct ms_str n, v;
	ASSERT(ms_param_next(list, &pos, &n, &v));
	ASSERT_STR(n, "transport");
	ASSERT_STR(v, "tcp");
	ASSERT(ms_param_next(list, &pos, &n, &v));
	ASSERT_STR(n, "lr");
	ASSERT_INT(v.len, 0);
	ASSERT(ms_param_next(list, &pos, &n, &v));
	ASSERT_STR(n, "Q");
	ASSERT_STR(v, "\"a;b\"");
	ASSERT(ms_param_next(list, &pos, &n, &v));
	ASSERT_STR(n, "x");
	ASSERT(!ms_param_next(list, &pos, &n, &v));
	ASSERT(ms_param_find(list, "q", &v));
	ASSERT_STR(v, "\"a;b\"");
	ASSERT(!ms_param_find(list, "tag", &v));
}

static bool eq(const char *a, const char *b)
{
	struct ms_uri x = parse_ok(a), y = parse_ok(b);
	bool r = ms_uri_equal(&x, &y);
	if (ms_uri_equal(&y, &x) != r)
		ms_test_fail(__FILE__, __LINE__, "comparison of %s and %s not symmetric", a, b);
	return r;
}

TEST(uri_equal_rfc3261_examples)
{
	/* RFC 3261 §19.1.4 equivalent pairs */
	ASSERT(eq("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
	ASSERT(eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
	ASSERT(eq("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
	ASSERT(eq("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on"));
	ASSERT(eq("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
		  "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"));
	ASSERT(eq("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
		  "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));
	/* and the non-equivalent ones */
	ASSERT(!eq("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
	ASSERT(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
	ASSERT(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
	ASSERT(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
	ASSERT(!eq("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
	ASSERT(!eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
	ASSERT(!eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
	ASSERT(!eq("sip:alice@atlanta.com", "sips:alice@atlanta.com"));
	ASSERT(!eq("sip:alice:pw@atlanta.com", "sip:alice@atlanta.com"));
	/* addresses compare as addresses */
	ASSERT(eq("sip:[2001:db8::1]", "sip:[2001:DB8:0::1]"));
	ASSERT(!eq("sip:[2001:db8::1]", "sip:[2001:db8::2]"));
	ASSERT(eq("tel:+1234;phone-context=a", "tel:+1234;phone-context=a"));
	ASSERT(!eq("tel:+1234", "tel:+1235"));
	ASSERT(eq("urn:service:sos", "URN:service:sos"));
	/* a repeated parameter: equal to itself, not to a URI without the value */
	ASSERT(eq("sip:h.example.com;a=1;a=2", "sip:h.example.com;a=1;a=2"));
	ASSERT(!eq("sip:h.example.com;a=2", "sip:h.example.com;a=1;a=2"));
	ASSERT(!eq("sip:h.example.com;a=3", "sip:h.example.com;a=1;a=2"));
	/* found by fuzzing: a high escaped octet is not the end of the string */
	ASSERT(!eq("sip:h;foo=%FFa", "sip:h;foo=%FFb"));
	ASSERT(!eq("sip:h?X%FFa=1", "sip:h?X%FFb=1"));
	ASSERT(eq("sip:h;foo=%C3%A9", "sip:h;FOO=%c3%a9"));
}
