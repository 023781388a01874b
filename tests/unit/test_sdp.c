/* SDP: parsing, typed views, edits and writing back. */
#include <stdlib.h>

#include "moonsip/sdp.h"
#include "test.h"

#define CRLF "\r\n"

/* Every line type, in RFC 8866 order. */
static const char all_types[] =
	"v=0" CRLF "o=jdoe 2890844526 2890842807 IN IP4 198.51.100.10" CRLF "s=SDP Seminar" CRLF
	"i=A Seminar on the session description protocol" CRLF
	"u=http://www.example.com/seminars/sdp.pdf" CRLF "e=j.doe@example.com (Jane Doe)" CRLF
	"p=+1 617 555-6011" CRLF "c=IN IP4 233.252.0.1/127" CRLF "b=CT:128" CRLF
	"t=2873397496 2873404696" CRLF "r=7d 1h 0 25h" CRLF "t=0 0" CRLF "z=2882844526 -1h 2898848070 0" CRLF
	"k=prompt" CRLF "a=recvonly" CRLF "m=audio 49170/2 RTP/AVP 0 8 101" CRLF "i=main audio" CRLF
	"c=IN IP4 198.51.100.1" CRLF "c=IN IP4 198.51.100.2" CRLF "b=AS:64" CRLF "k=clear:secret" CRLF
	"a=rtpmap:0 PCMU/8000" CRLF "a=rtpmap:101 telephone-event/8000" CRLF "a=fmtp:101 0-15" CRLF
	"m=video 51372 RTP/AVP 99" CRLF "a=rtpmap:99 h263-1998/90000" CRLF;

/* A WebRTC-ish offer an RTP relay rewrites. */
static const char offer[] =
	"v=0" CRLF "o=- 20518 0 IN IP4 203.0.113.1" CRLF "s=-" CRLF "c=IN IP4 203.0.113.1" CRLF "t=0 0" CRLF
	"a=ice-ufrag:F7gI" CRLF "a=ice-pwd:x9cml/YzichV2+XlhiMu8g" CRLF "m=audio 54400 RTP/AVP 0 96" CRLF
	"a=rtpmap:0 PCMU/8000" CRLF "a=rtpmap:96 opus/48000/2" CRLF
	"a=fmtp:96 minptime=10;useinbandfec=1" CRLF "a=rtcp:54401" CRLF
	"a=candidate:1 1 UDP 2130706431 203.0.113.1 54400 typ host" CRLF
	"a=candidate:1 2 UDP 2130706431 203.0.113.1 54401 typ host" CRLF "a=end-of-candidates" CRLF
	"a=sendrecv" CRLF "m=video 55400 RTP/AVP 97" CRLF "c=IN IP4 203.0.113.2" CRLF
	"a=rtpmap:97 H264/90000" CRLF "a=candidate:2 1 UDP 2130706431 203.0.113.2 55400 typ host" CRLF;

static void parse_ok(struct ms_sdp *sdp, const char *z)
{
	const char *why = NULL;
	int rc = ms_sdp_parse(sdp, z, strlen(z), &why);
	if (rc)
		ms_test_fail(__FILE__, __LINE__, "parse: %s at line %u", why, sdp->err_line);
}

/* The body as ms_sdp_write() gives it; free() the result. */
static char *written(const struct ms_sdp *sdp)
{
	struct ms_buf b;
	ms_buf_init(&b);
	ASSERT_INT(ms_sdp_write(sdp, &b), 0);
	char *z = malloc(b.len + 1);
	ASSERT(z != NULL);
	memcpy(z, b.data ? b.data : "", b.len);
	z[b.len] = '\0';
	ms_buf_free(&b);
	return z;
}

#define ASSERT_WRITES(sdp, want)                                                \
	do {                                                                    \
		char *w_ = written(sdp);                                        \
		int same_ = strcmp(w_, want) == 0;                              \
		if (!same_)                                                     \
			fprintf(stderr, "wrote:\n%s\nwanted:\n%s\n", w_, want); \
		free(w_);                                                       \
		ASSERT(same_);                                                  \
	} while (0)

TEST(sdp_every_line_type)
{
	struct ms_sdp sdp;
	parse_ok(&sdp, all_types);
	ASSERT_INT(sdp.nlines, 26);
	ASSERT_INT(sdp.nmedia, 2);
	const char types[] = "vosiuepcbtrtzka"
			     "miccbkaaa"
			     "ma";
	for (unsigned i = 0; i < 26; i++)
		ASSERT_INT(sdp.lines[i].type, types[i]);
	ASSERT_STR(sdp.lines[3].value, "A Seminar on the session description protocol");
	ASSERT_STR(sdp.lines[4].value, "http://www.example.com/seminars/sdp.pdf");
	ASSERT_STR(sdp.lines[5].value, "j.doe@example.com (Jane Doe)");
	ASSERT_STR(sdp.lines[6].value, "+1 617 555-6011");
	ASSERT_STR(sdp.lines[8].value, "CT:128");
	ASSERT_STR(sdp.lines[10].value, "7d 1h 0 25h");
	ASSERT_STR(sdp.lines[12].value, "2882844526 -1h 2898848070 0");
	ASSERT_STR(sdp.lines[13].value, "prompt");
	ASSERT_STR(sdp.lines[20].value, "clear:secret");
	ASSERT_STR(sdp.lines[25].value, "rtpmap:99 h263-1998/90000");

	unsigned begin, end;
	ASSERT_INT(ms_sdp_range(&sdp, MS_SDP_SESSION, &begin, &end), 0);
	ASSERT_INT(begin, 0);
	ASSERT_INT(end, 15);
	ASSERT_INT(ms_sdp_range(&sdp, 0, &begin, &end), 0);
	ASSERT_INT(begin, 15);
	ASSERT_INT(end, 24);
	ASSERT_INT(ms_sdp_range(&sdp, 1, &begin, &end), 0);
	ASSERT_INT(begin, 24);
	ASSERT_INT(end, 26);
	ASSERT_INT(ms_sdp_range(&sdp, 2, &begin, &end), MS_ENOENT);
	ASSERT_INT(ms_sdp_range(&sdp, -2, &begin, &end), MS_ENOENT);
	ASSERT_WRITES(&sdp, all_types);
	ms_sdp_free(&sdp);
}

TEST(sdp_origin_and_media)
{
	struct ms_sdp sdp;
	struct ms_sdp_origin o;
	struct ms_sdp_media md;
	parse_ok(&sdp, all_types);
	ASSERT_INT(ms_sdp_get_origin(&sdp, &o), 0);
	ASSERT_STR(o.username, "jdoe");
	ASSERT_STR(o.sess_id, "2890844526");
	ASSERT_STR(o.sess_version, "2890842807");
	ASSERT_STR(o.nettype, "IN");
	ASSERT_STR(o.addrtype, "IP4");
	ASSERT_STR(o.address, "198.51.100.10");

	ASSERT_INT(ms_sdp_get_media(&sdp, 0, &md), 0);
	ASSERT_STR(md.media, "audio");
	ASSERT_STR(md.port_s, "49170");
	ASSERT_INT(md.port, 49170);
	ASSERT_INT(md.nports, 2);
	ASSERT_STR(md.proto, "RTP/AVP");
	ASSERT_STR(md.fmts, "0 8 101");
	const char *want[] = { "0", "8", "101" };
	struct ms_str rest = md.fmts, fmt;
	unsigned n = 0;
	while (ms_sdp_next_field(&rest, &fmt)) {
		ASSERT(n < 3);
		ASSERT_STR(fmt, want[n]);
		n++;
	}
	ASSERT_INT(n, 3);

	ASSERT_INT(ms_sdp_get_media(&sdp, 1, &md), 0);
	ASSERT_STR(md.media, "video");
	ASSERT_INT(md.port, 51372);
	ASSERT_INT(md.nports, 1);
	ASSERT_STR(md.fmts, "99");
	ASSERT_INT(ms_sdp_get_media(&sdp, 2, &md), MS_ENOENT);
	ms_sdp_free(&sdp);
}

TEST(sdp_connection)
{
	struct ms_sdp sdp;
	struct ms_sdp_conn c;
	parse_ok(&sdp, all_types);
	ASSERT_INT(ms_sdp_get_conn(&sdp, MS_SDP_SESSION, &c), 0);
	ASSERT_STR(c.nettype, "IN");
	ASSERT_STR(c.addrtype, "IP4");
	ASSERT_STR(c.address, "233.252.0.1");
	ASSERT_STR(c.mcast, "127");
	/* The media's own first c= wins; the session's is the fallback. */
	ASSERT_INT(ms_sdp_get_conn(&sdp, 0, &c), 0);
	ASSERT_STR(c.address, "198.51.100.1");
	ASSERT_STR(c.mcast, "");
	ASSERT_INT(ms_sdp_get_effective_conn(&sdp, 0, &c), 0);
	ASSERT_STR(c.address, "198.51.100.1");
	ASSERT_INT(ms_sdp_get_conn(&sdp, 1, &c), MS_ENOENT);
	ASSERT_INT(ms_sdp_get_effective_conn(&sdp, 1, &c), 0);
	ASSERT_STR(c.address, "233.252.0.1");
	ASSERT_INT(ms_sdp_get_effective_conn(&sdp, 2, &c), MS_ENOENT);
	ms_sdp_free(&sdp);
}

TEST(sdp_ipv6_and_multicast)
{
	static const char body[] =
		"v=0\r\no=- 1 1 IN IP6 2001:db8::1\r\ns=-\r\nc=IN IP6 2001:db8::1\r\nt=0 0\r\n"
		"m=audio 5004 RTP/AVP 0\r\n"
		"m=video 5006 RTP/AVP 96\r\nc=IN IP6 ff15::101/3\r\n";
	struct ms_sdp sdp;
	struct ms_sdp_conn c;
	struct ms_sdp_origin o;
	parse_ok(&sdp, body);
	ASSERT_INT(ms_sdp_get_origin(&sdp, &o), 0);
	ASSERT_STR(o.addrtype, "IP6");
	ASSERT_STR(o.address, "2001:db8::1");
	ASSERT_INT(ms_sdp_get_effective_conn(&sdp, 0, &c), 0);
	ASSERT_STR(c.addrtype, "IP6");
	ASSERT_STR(c.address, "2001:db8::1");
	ASSERT_INT(ms_sdp_get_effective_conn(&sdp, 1, &c), 0);
	ASSERT_STR(c.address, "ff15::101");
	ASSERT_STR(c.mcast, "3");
	ms_sdp_free(&sdp);
}

TEST(sdp_hold)
{
	static const char body[] = "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
				   "a=sendonly\r\n"
				   "m=audio 5004 RTP/AVP 0\r\n"
				   "m=video 5006 RTP/AVP 96\r\na=inactive\r\n";
	struct ms_sdp sdp;
	struct ms_sdp_conn c;
	parse_ok(&sdp, body);
	ASSERT_INT(ms_sdp_get_effective_conn(&sdp, 0, &c), 0);
	ASSERT_STR(c.address, "0.0.0.0");
	ASSERT_INT(ms_sdp_get_direction(&sdp, MS_SDP_SESSION), MS_SDP_SENDONLY);
	ASSERT_INT(ms_sdp_get_direction(&sdp, 0), MS_SDP_SENDONLY);
	ASSERT_INT(ms_sdp_get_direction(&sdp, 1), MS_SDP_INACTIVE);
	ms_sdp_free(&sdp);
}

TEST(sdp_direction)
{
	static const struct {
		const char *session, *media;
		enum ms_sdp_dir want;
	} cases[] = {
		{ "", "", MS_SDP_SENDRECV },
		{ "a=sendonly\r\n", "", MS_SDP_SENDONLY },
		{ "", "a=recvonly\r\n", MS_SDP_RECVONLY },
		{ "a=inactive\r\n", "a=sendrecv\r\n", MS_SDP_SENDRECV },
		{ "a=sendrecv\r\n", "a=inactive\r\n", MS_SDP_INACTIVE },
		{ "", "a=rtpmap:0 PCMU/8000\r\na=sendonly\r\n", MS_SDP_SENDONLY },
		{ "", "a=SendOnly\r\n", MS_SDP_SENDONLY },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char body[512];
		struct ms_sdp sdp;
		snprintf(body, sizeof body,
			 "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n%sm=audio 9 RTP/AVP 0\r\n%s",
			 cases[i].session, cases[i].media);
		parse_ok(&sdp, body);
		ASSERT_INT(ms_sdp_get_direction(&sdp, 0), cases[i].want);
		ms_sdp_free(&sdp);
	}
	ASSERT(strcmp(ms_sdp_dir_name(MS_SDP_RECVONLY), "recvonly") == 0);
	ASSERT(ms_sdp_dir_name((enum ms_sdp_dir)7) == NULL);
}

TEST(sdp_attributes)
{
	struct ms_sdp sdp;
	struct ms_str v, name;
	parse_ok(&sdp, offer);
	ASSERT_INT(ms_sdp_get_attr(&sdp, MS_SDP_SESSION, MS_STR("ice-ufrag"), &v), 0);
	ASSERT_STR(v, "F7gI");
	/* Level-exact: the session's attribute is not the media's. */
	ASSERT_INT(ms_sdp_get_attr(&sdp, 0, MS_STR("ice-ufrag"), &v), MS_ENOENT);
	ASSERT_INT(ms_sdp_get_attr(&sdp, 0, MS_STR("SENDRECV"), &v), 0);
	ASSERT(v.s == NULL && v.len == 0);
	ASSERT_INT(ms_sdp_get_attr(&sdp, 0, MS_STR("rtpmap"), &v), 0);
	ASSERT_STR(v, "0 PCMU/8000");
	ASSERT_INT(ms_sdp_get_attr(&sdp, 5, MS_STR("rtpmap"), &v), MS_ENOENT);

	ms_sdp_split_attr(MS_STR("fmtp:96 a=b"), &name, &v);
	ASSERT_STR(name, "fmtp");
	ASSERT_STR(v, "96 a=b");
	ms_sdp_split_attr(MS_STR("x:"), &name, &v);
	ASSERT_STR(name, "x");
	ASSERT(v.s != NULL && v.len == 0);

	/* Candidates are plain attributes: iterate them by line index. */
	unsigned n = 0;
	for (int i = ms_sdp_find_attr(&sdp, 0, MS_STR("candidate"), 0); i >= 0;
	     i = ms_sdp_find_attr(&sdp, 0, MS_STR("candidate"), (unsigned)i + 1)) {
		ms_sdp_split_attr(sdp.lines[i].value, &name, &v);
		struct ms_str f;
		ASSERT(ms_sdp_next_field(&v, &f));
		ASSERT_STR(f, "1");
		n++;
	}
	ASSERT_INT(n, 2);
	ASSERT_INT(ms_sdp_find_attr(&sdp, 1, MS_STR("candidate"), 0), 19);
	ms_sdp_free(&sdp);
}

TEST(sdp_rtpmap_fmtp_table)
{
	static const struct {
		const char *value;
		int rc;
		unsigned pt;
		const char *encoding;
		uint32_t clock, channels;
	} rtpmaps[] = {
		{ "0 PCMU/8000", 0, 0, "PCMU", 8000, 1 },
		{ "96 opus/48000/2", 0, 96, "opus", 48000, 2 },
		{ "101  telephone-event/8000", 0, 101, "telephone-event", 8000, 1 },
		{ "127 H264/90000", 0, 127, "H264", 90000, 1 },
		{ "128 H264/90000", MS_EBADMSG, 0, NULL, 0, 0 },
		{ "31 LPC", MS_EBADMSG, 0, NULL, 0, 0 },
		{ "x PCMU/8000", MS_EBADMSG, 0, NULL, 0, 0 },
		{ "0 PCMU/", MS_EBADMSG, 0, NULL, 0, 0 },
		{ "0 PCMU/8000/", MS_EBADMSG, 0, NULL, 0, 0 },
		{ "0 /8000", MS_EBADMSG, 0, NULL, 0, 0 },
		{ "0 PCMU/8000 extra", MS_EBADMSG, 0, NULL, 0, 0 },
		{ "", MS_EBADMSG, 0, NULL, 0, 0 },
	};
	for (size_t i = 0; i < sizeof rtpmaps / sizeof rtpmaps[0]; i++) {
		struct ms_sdp_rtpmap r;
		struct ms_str v = { rtpmaps[i].value, strlen(rtpmaps[i].value) };
		ASSERT_INT(ms_sdp_parse_rtpmap(v, &r), rtpmaps[i].rc);
		if (rtpmaps[i].rc)
			continue;
		ASSERT_INT(r.pt, rtpmaps[i].pt);
		ASSERT_STR(r.encoding, rtpmaps[i].encoding);
		ASSERT_INT(r.clock, rtpmaps[i].clock);
		ASSERT_INT(r.channels, rtpmaps[i].channels);
	}

	struct ms_sdp_fmtp f;
	ASSERT_INT(ms_sdp_parse_fmtp(MS_STR("96 minptime=10;useinbandfec=1"), &f), 0);
	ASSERT_INT(f.pt, 96);
	ASSERT_STR(f.params, "minptime=10;useinbandfec=1");
	ASSERT_INT(ms_sdp_parse_fmtp(MS_STR("101"), &f), 0);
	ASSERT_STR(f.params, "");
	ASSERT_INT(ms_sdp_parse_fmtp(MS_STR("t38 x"), &f), MS_EBADMSG);

	struct ms_sdp sdp;
	struct ms_sdp_rtpmap r;
	parse_ok(&sdp, offer);
	ASSERT_INT(ms_sdp_get_rtpmap(&sdp, 0, 96, &r), 0);
	ASSERT_STR(r.encoding, "opus");
	ASSERT_INT(r.channels, 2);
	ASSERT_INT(ms_sdp_get_rtpmap(&sdp, 0, 8, &r), MS_ENOENT);
	ASSERT_INT(ms_sdp_get_rtpmap(&sdp, 1, 97, &r), 0);
	ASSERT_STR(r.encoding, "H264");
	ASSERT_INT(ms_sdp_get_fmtp(&sdp, 0, 96, &f), 0);
	ASSERT_STR(f.params, "minptime=10;useinbandfec=1");
	ASSERT_INT(ms_sdp_get_fmtp(&sdp, 1, 97, &f), MS_ENOENT);
	ASSERT_INT(ms_sdp_get_fmtp(&sdp, 9, 97, &f), MS_ENOENT);
	ms_sdp_free(&sdp);
}

TEST(sdp_rtcp_table)
{
	static const struct {
		const char *attr;
		int rc;
		uint16_t port;
		const char *address;
	} cases[] = {
		{ "a=rtcp:53020\r\n", 0, 53020, "" },
		{ "a=rtcp:53020 IN IP4 126.16.64.4\r\n", 0, 53020, "126.16.64.4" },
		{ "a=rtcp:53020 IN IP6 2001:2345:6789:ABCD:EF01:2345:6789:ABCD\r\n", 0, 53020,
		  "2001:2345:6789:ABCD:EF01:2345:6789:ABCD" },
		{ "", MS_ENOENT, 0, NULL },
		{ "a=rtcp:\r\n", MS_EBADMSG, 0, NULL },
		{ "a=rtcp:65536\r\n", MS_EBADMSG, 0, NULL },
		{ "a=rtcp:9 IN IP4\r\n", MS_EBADMSG, 0, NULL },
		{ "a=rtcp:9 IN IP4 1.2.3.4 x\r\n", MS_EBADMSG, 0, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char body[512];
		struct ms_sdp sdp;
		struct ms_sdp_rtcp r;
		snprintf(body, sizeof body,
			 "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n%s",
			 cases[i].attr);
		parse_ok(&sdp, body);
		ASSERT_INT(ms_sdp_get_rtcp(&sdp, 0, &r), cases[i].rc);
		if (cases[i].rc == 0) {
			ASSERT_INT(r.port, cases[i].port);
			ASSERT_STR(r.conn.address, cases[i].address);
		}
		ASSERT_INT(ms_sdp_get_rtcp(&sdp, 1, &r), MS_ENOENT);
		ms_sdp_free(&sdp);
	}
}

#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"

TEST(sdp_errors_table)
{
	static const struct {
		const char *body;
		const char *why;
		unsigned line;
	} cases[] = {
		{ "", "body does not start with v=", 0 },
		{ "\r\n", "body does not start with v=", 1 },
		{ "o=- 1 1 IN IP4 192.0.2.1\r\n", "body does not start with v=", 1 },
		{ "v=1\r\n", "v= is not 0", 1 },
		{ " v=0\r\n", "line is not <type>=<value>", 1 },
		{ "v=0\r\nhello\r\n", "line is not <type>=<value>", 2 },
		{ "v=0\r\nO=- 1 1 IN IP4 x\r\n", "line is not <type>=<value>", 2 },
		{ "v=0\r\no\r\n", "line is not <type>=<value>", 2 },
		{ "v=0\r\nx=foo\r\n", "unknown line type", 2 },
		{ "v=0\r\no=- 1 1 IN IP4\r\n", "o= line needs 6 fields", 2 },
		{ "v=0\r\no=- 1 1 IN IP4 a b\r\n", "o= line needs 6 fields", 2 },
		{ "v=0\r\ns=-\r\nt=0 0\r\n", "missing o= line", 3 },
		{ "v=0\r\no=- 1 1 IN IP4 x\r\nt=0 0\r\n", "missing s= line", 3 },
		{ "v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\n", "missing t= line", 3 },
		{ "v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n", "missing t= line", 4 },
		{ HEAD "c=IN IP4 1.2.3.4\r\n", "line out of order", 5 },
		{ "v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\ns=-\r\n", "repeated line", 4 },
		{ "v=0\r\nv=0\r\n", "repeated line", 2 },
		{ "v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nr=1 2 3\r\n", "r= line not after t= or r=", 4 },
		{ HEAD "m=audio 9 RTP/AVP 0\r\nt=0 0\r\n", "line type not allowed in a media section", 6 },
		{ HEAD "m=audio 9 RTP/AVP 0\r\ni=a\r\ni=b\r\n", "repeated line", 7 },
		{ HEAD "m=audio 9 RTP/AVP 0\r\na=x\r\nc=IN IP4 1.2.3.4\r\n", "line out of order", 7 },
		{ "v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nc=IN IP4\r\n", "c= line is not nettype addrtype address",
		  4 },
		{ HEAD "m=audio 9 RTP/AVP 0\r\nc=IN IP4 1.2.3.4 5\r\n",
		  "c= line is not nettype addrtype address", 6 },
		{ HEAD "m=audio 9 RTP/AVP 0\r\nc=IN IP4 224.2.1.1/\r\n",
		  "c= line is not nettype addrtype address", 6 },
		{ HEAD "m=audio 7000x RTP/AVP 0\r\n", "bad port in m= line", 5 },
		{ HEAD "m=audio 65536 RTP/AVP 0\r\n", "bad port in m= line", 5 },
		{ HEAD "m=audio -1 RTP/AVP 0\r\n", "bad port in m= line", 5 },
		{ HEAD "m=audio 7000/0 RTP/AVP 0\r\n", "bad port in m= line", 5 },
		{ HEAD "m=audio 7000/ RTP/AVP 0\r\n", "bad port in m= line", 5 },
		{ HEAD "m=audio 7000 RTP//AVP 0\r\n", "bad proto in m= line", 5 },
		{ HEAD "m=audio 7000 RTP/AVP/ 0\r\n", "bad proto in m= line", 5 },
		{ HEAD "m=audio 7000 RTP/A:VP 0\r\n", "bad proto in m= line", 5 },
		{ HEAD "m=audio 7000\r\n", "m= line needs media, port and proto", 5 },
		{ HEAD "m=au/dio 7000 RTP/AVP 0\r\n", "bad media type in m= line", 5 },
		{ HEAD "\r\nm=audio 9 RTP/AVP 0\r\n", "empty line", 5 },
		{ HEAD "a=x\ry\r\n", "NUL or CR inside a line", 5 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ms_sdp sdp;
		const char *why = NULL;
		int rc = ms_sdp_parse(&sdp, cases[i].body, strlen(cases[i].body), &why);
		if (rc != MS_EBADMSG || !why || strcmp(why, cases[i].why) || sdp.err_line != cases[i].line)
			ms_test_fail(__FILE__, __LINE__, "case %zu: rc %d why \"%s\" line %u", i, rc,
				     why ? why : "(null)", sdp.err_line);
		ms_sdp_free(&sdp);
	}
	/* A NUL byte inside a line. */
	static const char nul[] = HEAD "a=x\0y\r\n";
	struct ms_sdp sdp;
	const char *why;
	ASSERT_INT(ms_sdp_parse(&sdp, nul, sizeof nul - 1, &why), MS_EBADMSG);
	ASSERT(strcmp(why, "NUL or CR inside a line") == 0);
	ms_sdp_free(&sdp);
}

TEST(sdp_lenient_table)
{
	static const char *const cases[] = {
		"v=0\r\no=- 1 1 IN IP4 x\r\ns=\r\nt=0 0\r\n",                       /* empty s= */
		"v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nt=0 0",                          /* no final CRLF */
		"v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nt=0 0\r",                        /* half a CRLF */
		"v=0\no=- 1 1 IN IP4 x\ns=-\nt=0 0\nm=audio 9 RTP/AVP 0\n",         /* bare LF */
		"v=0\r\no=- 1 1 IN IP4 x\ns=-\r\nt=0 0\n",                          /* mixed */
		"v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nt=0 0\r\n\r\n\r\n",              /* trailing empty lines */
		HEAD "m=audio 0 RTP/AVP\r\n",                                       /* no formats */
		"v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nc=IN IP4 1.2.3.4 \r\nt=0 0\r\n", /* trailing space */
		"v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\nt=1 2\r\nr=1 2 3\r\nr=4 5 6\r\nt=3 4\r\nt=5 6\r\nr=7 8 "
		"9\r\n",
		HEAD "m=audio 9 RTP/AVP 0\r\nc=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.5\r\n",
		HEAD "a=\r\n",
		HEAD "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ms_sdp sdp;
		const char *why = NULL;
		int rc = ms_sdp_parse(&sdp, cases[i], strlen(cases[i]), &why);
		if (rc)
			ms_test_fail(__FILE__, __LINE__, "case %zu: %s at line %u", i, why, sdp.err_line);
		ASSERT(why == NULL);
		ms_sdp_free(&sdp);
	}
}

TEST(sdp_roundtrip)
{
	struct ms_sdp sdp;
	parse_ok(&sdp, offer);
	ASSERT_WRITES(&sdp, offer);
	ms_sdp_free(&sdp);

	/* Bare LF and a missing last line end come out as CRLF. */
	parse_ok(&sdp, "v=0\no=- 1 1 IN IP4 x\ns=\nt=0 0\na=tool:x \nm=audio 9 RTP/AVP 0");
	ASSERT_WRITES(&sdp, "v=0\r\no=- 1 1 IN IP4 x\r\ns=\r\nt=0 0\r\na=tool:x \r\nm=audio 9 RTP/AVP 0\r\n");
	ms_sdp_free(&sdp);
	ms_sdp_free(&sdp);

	/* Nothing parsed: nothing written, and freeing is harmless. */
	struct ms_sdp zero = { 0 };
	ms_sdp_free(&zero);
}

TEST(sdp_edit_relay)
{
	struct ms_sdp sdp;
	parse_ok(&sdp, offer);
	ASSERT_INT(ms_sdp_set_conn(&sdp, MS_SDP_SESSION, MS_STR("192.0.2.7")), 0);
	ASSERT_INT(ms_sdp_set_conn(&sdp, 1, MS_STR("192.0.2.7")), 0);
	ASSERT_INT(ms_sdp_set_port(&sdp, 0, 30000), 0);
	ASSERT_INT(ms_sdp_set_port(&sdp, 1, 30002), 0);
	ASSERT_INT(ms_sdp_set_rtcp(&sdp, 0, 30001, MS_STR_NULL), 0);
	ASSERT_INT(ms_sdp_set_rtcp(&sdp, 1, 30003, MS_STR("2001:db8::7")), 0);
	ASSERT_INT(ms_sdp_remove_ice(&sdp), 6);
	ASSERT_INT(ms_sdp_bump_version(&sdp), 0);
	ASSERT_WRITES(&sdp,
		      "v=0" CRLF "o=- 20518 1 IN IP4 203.0.113.1" CRLF "s=-" CRLF "c=IN IP4 192.0.2.7" CRLF
		      "t=0 0" CRLF "m=audio 30000 RTP/AVP 0 96" CRLF "a=rtpmap:0 PCMU/8000" CRLF
		      "a=rtpmap:96 opus/48000/2" CRLF "a=fmtp:96 minptime=10;useinbandfec=1" CRLF
		      "a=rtcp:30001" CRLF "a=sendrecv" CRLF "m=video 30002 RTP/AVP 97" CRLF
		      "c=IN IP4 192.0.2.7" CRLF "a=rtpmap:97 H264/90000" CRLF
		      "a=rtcp:30003 IN IP6 2001:db8::7" CRLF);
	/* Typed views read the edited values. */
	struct ms_sdp_media md;
	struct ms_sdp_rtcp r;
	ASSERT_INT(ms_sdp_get_media(&sdp, 1, &md), 0);
	ASSERT_INT(md.port, 30002);
	ASSERT_INT(ms_sdp_get_rtcp(&sdp, 1, &r), 0);
	ASSERT_INT(r.port, 30003);
	ASSERT_STR(r.conn.addrtype, "IP6");
	ASSERT_INT(sdp.media[1], 11);
	ms_sdp_free(&sdp);
}

TEST(sdp_edit_conn_insert)
{
	struct ms_sdp sdp;
	/* No session c= (RFC 5118 §4.5 style): one is added after s=/i=. */
	parse_ok(&sdp,
		 "v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\ni=info\r\nb=AS:1\r\nt=0 0\r\n"
		 "m=audio 9 RTP/AVP 0\r\ni=voice\r\nb=AS:2\r\na=x\r\n"
		 "m=video 9 RTP/AVP 0\r\nc=IN IP4 1.1.1.1\r\nc=IN IP4 1.1.1.2\r\nc=IN IP4 1.1.1.3\r\n");
	ASSERT_INT(ms_sdp_set_conn(&sdp, MS_SDP_SESSION, MS_STR("2001:db8::9")), 0);
	ASSERT_INT(ms_sdp_set_conn(&sdp, 0, MS_STR("192.0.2.9")), 0);
	ASSERT_INT(ms_sdp_set_conn(&sdp, 1, MS_STR("example.net")), 0);
	ASSERT_WRITES(&sdp,
		      "v=0\r\no=- 1 1 IN IP4 x\r\ns=-\r\ni=info\r\nc=IN IP6 2001:db8::9\r\n"
		      "b=AS:1\r\nt=0 0\r\n"
		      "m=audio 9 RTP/AVP 0\r\ni=voice\r\nc=IN IP4 192.0.2.9\r\nb=AS:2\r\na=x\r\n"
		      "m=video 9 RTP/AVP 0\r\nc=IN IP4 example.net\r\n");
	struct ms_sdp_conn c;
	ASSERT_INT(ms_sdp_get_effective_conn(&sdp, 0, &c), 0);
	ASSERT_STR(c.address, "192.0.2.9");
	ASSERT_INT(ms_sdp_get_conn(&sdp, MS_SDP_SESSION, &c), 0);
	ASSERT_STR(c.addrtype, "IP6");
	/* The output is a valid body again. */
	char *w = written(&sdp);
	struct ms_sdp again;
	parse_ok(&again, w);
	ASSERT_INT(again.nmedia, 2);
	ms_sdp_free(&again);
	free(w);
	ms_sdp_free(&sdp);
}

TEST(sdp_edit_attrs)
{
	struct ms_sdp sdp;
	parse_ok(&sdp,
		 HEAD "a=tool:x\r\nm=audio 9 RTP/AVP 0\r\na=ptime:20\r\na=ptime:30\r\na=sendrecv\r\n"
		      "m=video 9 RTP/AVP 96\r\n");
	ASSERT_INT(ms_sdp_set_attr(&sdp, 0, MS_STR("ptime"), MS_STR("40")), 0);
	ASSERT_INT(ms_sdp_set_attr(&sdp, MS_SDP_SESSION, MS_STR("tool"), MS_STR("moonsip")), 0);
	ASSERT_INT(ms_sdp_set_attr(&sdp, 1, MS_STR("rtcp-mux"), MS_STR_NULL), 0);
	ASSERT_INT(ms_sdp_set_attr(&sdp, 1, MS_STR("label"), MS_STR("")), 0);
	ASSERT_INT(ms_sdp_set_direction(&sdp, 0, MS_SDP_INACTIVE), 0);
	ASSERT_INT(ms_sdp_set_direction(&sdp, 1, MS_SDP_SENDONLY), 0);
	ASSERT_INT(ms_sdp_set_direction(&sdp, MS_SDP_SESSION, MS_SDP_RECVONLY), 0);
	ASSERT_WRITES(&sdp,
		      HEAD "a=tool:moonsip\r\na=recvonly\r\n"
			   "m=audio 9 RTP/AVP 0\r\na=ptime:40\r\na=inactive\r\n"
			   "m=video 9 RTP/AVP 96\r\na=rtcp-mux\r\na=label:\r\na=sendonly\r\n");
	ASSERT_INT(ms_sdp_get_direction(&sdp, 0), MS_SDP_INACTIVE);
	ASSERT_INT(ms_sdp_remove_attr(&sdp, 1, MS_STR("rtcp-mux")), 1);
	ASSERT_INT(ms_sdp_remove_attr(&sdp, 1, MS_STR("rtcp-mux")), 0);
	ASSERT_INT(ms_sdp_remove_attr(&sdp, MS_SDP_SESSION, MS_STR("ptime")), 0);
	ASSERT_INT(ms_sdp_remove_attr(&sdp, 0, MS_STR("ptime")), 1);
	ASSERT_WRITES(&sdp,
		      HEAD "a=tool:moonsip\r\na=recvonly\r\n"
			   "m=audio 9 RTP/AVP 0\r\na=inactive\r\n"
			   "m=video 9 RTP/AVP 96\r\na=label:\r\na=sendonly\r\n");
	ms_sdp_free(&sdp);
}

TEST(sdp_edit_candidates_only)
{
	struct ms_sdp sdp;
	parse_ok(&sdp, offer);
	ASSERT_INT(ms_sdp_remove_attr(&sdp, 0, MS_STR("candidate")), 2);
	ASSERT_INT(ms_sdp_find_attr(&sdp, 0, MS_STR("candidate"), 0), MS_ENOENT);
	ASSERT(ms_sdp_find_attr(&sdp, 0, MS_STR("end-of-candidates"), 0) >= 0);
	ASSERT(ms_sdp_find_attr(&sdp, 1, MS_STR("candidate"), 0) >= 0);
	ASSERT_INT(ms_sdp_remove_ice(&sdp), 4);
	ASSERT_INT(ms_sdp_remove_ice(&sdp), 0);
	ms_sdp_free(&sdp);
}

TEST(sdp_edit_bump_version)
{
	static const struct {
		const char *before, *after;
	} cases[] = {
		{ "0", "1" },
		{ "41", "42" },
		{ "9", "10" },
		{ "1299", "1300" },
		{ "999", "1000" },
		{ "007", "008" },
		{ "18446744073709551615", "18446744073709551616" },
		{ "99999999999999999999", "100000000000000000000" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char body[256], want[256];
		struct ms_sdp sdp;
		snprintf(body, sizeof body, "v=0\r\no=alice 7 %s IN IP4 x\r\ns=-\r\nt=0 0\r\n",
			 cases[i].before);
		snprintf(want, sizeof want, "v=0\r\no=alice 7 %s IN IP4 x\r\ns=-\r\nt=0 0\r\n",
			 cases[i].after);
		parse_ok(&sdp, body);
		ASSERT_INT(ms_sdp_bump_version(&sdp), 0);
		ASSERT_WRITES(&sdp, want);
		ms_sdp_free(&sdp);
	}
	struct ms_sdp sdp;
	parse_ok(&sdp, "v=0\r\no=alice  7\t 2   IN IP4 x\r\ns=-\r\nt=0 0\r\n");
	ASSERT_INT(ms_sdp_bump_version(&sdp), 0);
	ASSERT_INT(ms_sdp_bump_version(&sdp), 0);
	ASSERT_WRITES(&sdp, "v=0\r\no=alice  7\t 4   IN IP4 x\r\ns=-\r\nt=0 0\r\n");
	ms_sdp_free(&sdp);
	parse_ok(&sdp, "v=0\r\no=alice 7 v2 IN IP4 x\r\ns=-\r\nt=0 0\r\n");
	ASSERT_INT(ms_sdp_bump_version(&sdp), MS_EBADMSG);
	ms_sdp_free(&sdp);
}

TEST(sdp_edit_refuses_bad_input)
{
	struct ms_sdp sdp;
	parse_ok(&sdp, offer);
	ASSERT_INT(ms_sdp_set_conn(&sdp, 0, MS_STR("1.2.3.4\r\na=evil")), MS_EINVAL);
	ASSERT_INT(ms_sdp_set_conn(&sdp, 0, MS_STR("1.2.3.4 5")), MS_EINVAL);
	ASSERT_INT(ms_sdp_set_conn(&sdp, 0, MS_STR("224.1.1.1/3")), MS_EINVAL);
	ASSERT_INT(ms_sdp_set_conn(&sdp, 0, MS_STR("")), MS_EINVAL);
	ASSERT_INT(ms_sdp_set_conn(&sdp, 2, MS_STR("1.2.3.4")), MS_ENOENT);
	ASSERT_INT(ms_sdp_set_conn(&sdp, -2, MS_STR("1.2.3.4")), MS_ENOENT);
	ASSERT_INT(ms_sdp_set_port(&sdp, 2, 1), MS_ENOENT);
	ASSERT_INT(ms_sdp_set_attr(&sdp, 0, MS_STR("a:b"), MS_STR("x")), MS_EINVAL);
	ASSERT_INT(ms_sdp_set_attr(&sdp, 0, MS_STR(""), MS_STR("x")), MS_EINVAL);
	ASSERT_INT(ms_sdp_set_attr(&sdp, 0, MS_STR("x"), MS_STR("1\n2")), MS_EINVAL);
	ASSERT_INT(ms_sdp_set_attr(&sdp, 0, MS_STR("x"), ((struct ms_str){ "a\0b", 3 })), MS_EINVAL);
	ASSERT_INT(ms_sdp_set_attr(&sdp, 3, MS_STR("x"), MS_STR("1")), MS_ENOENT);
	ASSERT_INT(ms_sdp_remove_attr(&sdp, 0, MS_STR("")), MS_EINVAL);
	ASSERT_INT(ms_sdp_set_rtcp(&sdp, 0, 1, MS_STR("a b")), MS_EINVAL);
	ASSERT_INT(ms_sdp_set_rtcp(&sdp, 2, 1, MS_STR_NULL), MS_ENOENT);
	ASSERT_INT(ms_sdp_set_direction(&sdp, 0, (enum ms_sdp_dir)4), MS_EINVAL);
	ASSERT_WRITES(&sdp, offer);
	ms_sdp_free(&sdp);
}

TEST(sdp_slices_survive_edits)
{
	struct ms_sdp sdp;
	struct ms_sdp_conn c;
	parse_ok(&sdp, offer);
	ASSERT_INT(ms_sdp_set_conn(&sdp, MS_SDP_SESSION, MS_STR("192.0.2.1")), 0);
	ASSERT_INT(ms_sdp_get_conn(&sdp, MS_SDP_SESSION, &c), 0);
	/* Enough edits to fill several arena chunks, one of them oversized. */
	char big[3000];
	memset(big, 'x', sizeof big);
	ASSERT_INT(ms_sdp_set_attr(&sdp, 0, MS_STR("big"), ((struct ms_str){ big, sizeof big })), 0);
	for (unsigned i = 0; i < 200; i++)
		ASSERT_INT(ms_sdp_set_port(&sdp, 0, (uint16_t)(10000 + i)), 0);
	ASSERT_STR(c.address, "192.0.2.1");
	struct ms_sdp_media md;
	ASSERT_INT(ms_sdp_get_media(&sdp, 0, &md), 0);
	ASSERT_INT(md.port, 10199);
	ms_sdp_free(&sdp);
}

/* A body with 'nattr' session attributes after the required lines. */
static char *many_lines(unsigned nattr, size_t *len)
{
	struct ms_buf b;
	ms_buf_init(&b);
	ASSERT_INT(ms_buf_addz(&b, HEAD), 0);
	for (unsigned i = 0; i < nattr; i++)
		ASSERT_INT(ms_buf_printf(&b, "a=x-%u:%u\r\n", i, i), 0);
	ASSERT_INT(ms_buf_addz(&b, "m=audio 9 RTP/AVP 0\r\n"), 0);
	char *z = malloc(b.len + 1);
	ASSERT(z != NULL);
	memcpy(z, b.data, b.len);
	z[b.len] = '\0';
	*len = b.len;
	ms_buf_free(&b);
	return z;
}

TEST(sdp_many_lines)
{
	struct ms_sdp sdp;
	size_t len;
	/* 4 + 59 + 1 = 64 lines: inline storage exactly full. An added line
	 * moves it to the heap in the middle of an edit. */
	char *body = many_lines(59, &len);
	parse_ok(&sdp, body);
	ASSERT_INT(sdp.nlines, MS_SDP_INLINE_LINES);
	ASSERT(sdp.lines == sdp.inline_lines);
	ASSERT_INT(ms_sdp_set_conn(&sdp, 0, MS_STR("192.0.2.1")), 0);
	ASSERT(sdp.lines != sdp.inline_lines);
	ASSERT_INT(sdp.nlines, 65);
	ASSERT_INT(sdp.media[0], 63);
	struct ms_sdp_conn c;
	ASSERT_INT(ms_sdp_get_effective_conn(&sdp, 0, &c), 0);
	ASSERT_STR(c.address, "192.0.2.1");
	ms_sdp_free(&sdp);
	free(body);

	/* Exactly the limit parses; an edit adding a line then fails cleanly. */
	body = many_lines(MS_SDP_MAX_LINES - 5, &len);
	parse_ok(&sdp, body);
	ASSERT_INT(sdp.nlines, MS_SDP_MAX_LINES);
	struct ms_str v;
	ASSERT_INT(ms_sdp_get_attr(&sdp, MS_SDP_SESSION, MS_STR("x-1000"), &v), 0);
	ASSERT_STR(v, "1000");
	ASSERT_INT(ms_sdp_set_attr(&sdp, 0, MS_STR("new"), MS_STR("1")), MS_EMSGSIZE);
	ASSERT_INT(ms_sdp_set_attr(&sdp, MS_SDP_SESSION, MS_STR("x-3"), MS_STR("y")), 0);
	ASSERT_INT(sdp.nlines, MS_SDP_MAX_LINES);
	ms_sdp_free(&sdp);
	free(body);

	body = many_lines(MS_SDP_MAX_LINES - 4, &len);
	const char *why;
	ASSERT_INT(ms_sdp_parse(&sdp, body, len, &why), MS_EMSGSIZE);
	ASSERT(strcmp(why, "too many lines") == 0);
	ASSERT_INT(sdp.err_line, MS_SDP_MAX_LINES + 1);
	ms_sdp_free(&sdp);
	free(body);
}

/* Every prefix of a valid body parses or fails cleanly; ASan checks the
 * reads stay inside a buffer of exactly that size. */
static void check_prefixes(const char *body)
{
	size_t n = strlen(body);
	for (size_t len = 0; len <= n; len++) {
		char *p = malloc(len ? len : 1);
		ASSERT(p != NULL);
		memcpy(p, body, len);
		struct ms_sdp sdp;
		const char *why = NULL;
		int rc = ms_sdp_parse(&sdp, p, len, &why);
		ASSERT(rc == 0 || rc == MS_EBADMSG);
		ASSERT((rc == 0) == (why == NULL));
		if (rc == 0) {
			ASSERT_INT(ms_sdp_set_conn(&sdp, MS_SDP_SESSION, MS_STR("192.0.2.1")), 0);
			char *w = written(&sdp);
			free(w);
		}
		ms_sdp_free(&sdp);
		free(p);
	}
}

TEST(sdp_truncated_prefixes)
{
	check_prefixes(all_types);
	check_prefixes(offer);
}

/* The body of a SIP message in the corpus: after the first empty line. */
static char *corpus_body(const char *path, const char *sep, struct ms_str *body)
{
	size_t len;
	char *msg = ms_test_read(path, &len);
	size_t seplen = strlen(sep);
	for (size_t i = 0; i + seplen <= len; i++) {
		if (memcmp(msg + i, sep, seplen) == 0) {
			*body = (struct ms_str){ msg + i + seplen, len - i - seplen };
			return msg;
		}
	}
	free(msg);
	ms_test_fail(__FILE__, __LINE__, "%s: no empty line", path);
}

static void parse_corpus(struct ms_sdp *sdp, const char *path, const char *sep, char **msg,
			 struct ms_str *body)
{
	const char *why;
	*msg = corpus_body(path, sep, body);
	if (ms_sdp_parse(sdp, body->s, body->len, &why))
		ms_test_fail(__FILE__, __LINE__, "%s: %s at line %u", path, why, sdp->err_line);
}

/* The body written back: the LF line ends of the file become CRLF. */
static void assert_crlf_copy(const struct ms_sdp *sdp, struct ms_str body)
{
	char *w = written(sdp);
	size_t j = 0;
	for (size_t i = 0; i < body.len; i++) {
		if (body.s[i] == '\n' && (i == 0 || body.s[i - 1] != '\r'))
			ASSERT(w[j++] == '\r');
		ASSERT(w[j++] == body.s[i]);
	}
	ASSERT(w[j] == '\0');
	free(w);
}

TEST(sdp_rfc5118_bodies)
{
	static const struct {
		const char *file;
		const char *session;           /* session c= address, NULL when none */
		const char *type[2], *addr[2]; /* the connection each media uses */
	} cases[] = {
		{ "corpus/rfc5118/ipv6-in-sdp.dat",
		  "2001:db8::20",
		  { "IP6", "IP6" },
		  { "2001:db8::20", "2001:db8::20" } },
		{ "corpus/rfc5118/mult-ip-in-sdp.dat",
		  NULL,
		  { "IP4", "IP6" },
		  { "192.0.2.1", "2001:db8::1" } },
		{ "corpus/rfc5118/ipv4-mapped-ipv6.dat",
		  "::ffff:192.0.2.2",
		  { "IP6", "IP6" },
		  { "::ffff:192.0.2.2", "::ffff:192.0.2.2" } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ms_sdp sdp;
		struct ms_sdp_conn c;
		struct ms_sdp_rtpmap r;
		struct ms_str body;
		char *msg;
		parse_corpus(&sdp, cases[i].file, "\n\n", &msg, &body);
		ASSERT_INT(sdp.nmedia, 2);
		if (cases[i].session) {
			ASSERT_INT(ms_sdp_get_conn(&sdp, MS_SDP_SESSION, &c), 0);
			ASSERT_STR(c.address, cases[i].session);
		} else {
			ASSERT_INT(ms_sdp_get_conn(&sdp, MS_SDP_SESSION, &c), MS_ENOENT);
		}
		for (unsigned m = 0; m < 2; m++) {
			/* Media have their own c= exactly when the session has none. */
			ASSERT_INT(ms_sdp_get_conn(&sdp, (int)m, &c), cases[i].session ? MS_ENOENT : 0);
			ASSERT_INT(ms_sdp_get_effective_conn(&sdp, m, &c), 0);
			ASSERT_STR(c.nettype, "IN");
			ASSERT_STR(c.addrtype, cases[i].type[m]);
			ASSERT_STR(c.address, cases[i].addr[m]);
		}
		ASSERT_INT(ms_sdp_get_rtpmap(&sdp, 1, 107, &r), 0);
		ASSERT_STR(r.encoding, "H263-1998");
		ASSERT_INT(r.clock, 90000);
		assert_crlf_copy(&sdp, body);
		ms_sdp_free(&sdp);
		free(msg);
	}
}

TEST(sdp_rfc4475_bodies)
{
	static const char *const files[] = { "corpus/rfc4475/valid/wsinv.dat",
					     "corpus/rfc4475/application/sdp01.dat" };
	for (size_t i = 0; i < 2; i++) {
		struct ms_sdp sdp;
		struct ms_sdp_conn c;
		struct ms_sdp_media md;
		struct ms_sdp_rtpmap r;
		struct ms_str body, v;
		char *msg;
		parse_corpus(&sdp, files[i], "\r\n\r\n", &msg, &body);
		ASSERT_INT(sdp.nmedia, 2);
		ASSERT_INT(ms_sdp_get_effective_conn(&sdp, 1, &c), 0);
		ASSERT_STR(c.address, i == 0 ? "192.0.2.4" : "192.0.2.5");
		ASSERT_INT(ms_sdp_get_media(&sdp, 0, &md), 0);
		ASSERT_INT(md.port, 49217);
		ASSERT_STR(md.fmts, "0 12");
		ASSERT_INT(ms_sdp_get_media(&sdp, 1, &md), 0);
		ASSERT_INT(md.port, 3227);
		/* "a=rtpmap:31 LPC" lacks its clock rate. */
		ASSERT_INT(ms_sdp_get_attr(&sdp, 1, MS_STR("rtpmap"), &v), 0);
		ASSERT_STR(v, "31 LPC");
		ASSERT_INT(ms_sdp_get_rtpmap(&sdp, 1, 31, &r), MS_EBADMSG);
		/* CRLF bodies come back byte for byte. */
		char *w = written(&sdp);
		ASSERT_INT(strlen(w), body.len);
		ASSERT(memcmp(w, body.s, body.len) == 0);
		free(w);
		ms_sdp_free(&sdp);
		free(msg);
	}
}
