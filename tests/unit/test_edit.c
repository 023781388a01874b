/* Editing parsed messages and building new ones: exact output bytes, and
 * every edited message parsed and checked again. */
#include <stdlib.h>

#include "moonsip/edit.h"
#include "moonsip/msg.h"
#include "msg/msg_private.h"
#include "test.h"

#define RLINE "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
#define VIA1 "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
#define MAXF "Max-Forwards: 70\r\n"
#define ROUTES "Route: <sip:p1.example.com;lr>\r\nRoute: <sip:p2.example.com;lr>\r\n"
#define TO "To: Bob <sip:bob@biloxi.example.com>\r\n"
#define FROM "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
#define CALLID "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
#define CSEQ "CSeq: 314159 INVITE\r\n"
#define CONTACT "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
#define CLEN0 "Content-Length: 0\r\n"
#define DIALOG TO FROM CALLID CSEQ

static const char invite[] = RLINE VIA1 MAXF ROUTES DIALOG CONTACT CLEN0 "\r\n";

/* The message must outlive the edit, and the text the message. */
static void parse(struct ms_msg *m, const char *z, int flags)
{
	ms_msg_init(m);
	ASSERT_INT(ms_msg_parse(m, z, strlen(z), flags), strlen(z));
	ASSERT_INT(ms_msg_check(m), 0);
}

static struct ms_str slice(const struct ms_buf *b)
{
	return (struct ms_str){ b->data, b->len };
}

static bool contains(const struct ms_buf *b, const char *z)
{
	size_t n = strlen(z);
	for (size_t i = 0; i + n <= b->len; i++)
		if (memcmp(b->data + i, z, n) == 0)
			return true;
	return false;
}

/* The output must be 'want', the same when written again, and a message
 * that frames as a stream and passes the checks. */
static void expect(const struct ms_edit *e, const char *want)
{
	struct ms_buf out, again;
	struct ms_msg r;
	ms_buf_init(&out);
	ms_buf_init(&again);
	ASSERT_INT(ms_edit_write(e, &out), 0);
	ASSERT_INT(ms_edit_write(e, &again), 0);
	ASSERT_STR(slice(&out), want);
	ASSERT_STR(slice(&again), want);
	ms_msg_init(&r);
	ASSERT_INT(ms_msg_parse(&r, out.data, out.len, MS_PARSE_STREAM), out.len);
	ASSERT_INT(ms_msg_check(&r), 0);
	ms_msg_free(&r);
	ms_buf_free(&out);
	ms_buf_free(&again);
}

TEST(edit_nothing_changes_nothing)
{
	struct ms_msg m;
	struct ms_edit e;
	parse(&m, invite, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	expect(&e, invite);
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_add_via_top)
{
	struct ms_msg m;
	struct ms_edit e;
	parse(&m, invite, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_add(&e, MS_STR("Via"), MS_STR("SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1"),
			       MS_EDIT_TOP, NULL),
		   0);
	expect(&e,
	       RLINE
	       "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1\r\n" VIA1 MAXF ROUTES DIALOG CONTACT CLEN0
	       "\r\n");
	ms_edit_free(&e);
	ms_msg_free(&m);
}

#define RR0 "<sip:p0.example.com;lr>"

TEST(edit_add_record_route_top)
{
	struct ms_msg m;
	struct ms_edit e;
	static const char rr[] =
		RLINE VIA1 MAXF "Record-Route: <sip:p9.example.com;lr>\r\n" DIALOG CLEN0 "\r\n";
	/* None yet: right after the start line. */
	parse(&m, invite, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_add(&e, MS_STR("Record-Route"), MS_STR(RR0), MS_EDIT_TOP, NULL), 0);
	expect(&e, RLINE "Record-Route: " RR0 "\r\n" VIA1 MAXF ROUTES DIALOG CONTACT CLEN0 "\r\n");
	ms_edit_free(&e);
	/* Above the first one there is. */
	parse(&m, rr, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_add(&e, MS_STR("Record-Route"), MS_STR(RR0), MS_EDIT_TOP, NULL), 0);
	expect(&e,
	       RLINE VIA1 MAXF "Record-Route: " RR0 "\r\n"
			       "Record-Route: <sip:p9.example.com;lr>\r\n" DIALOG CLEN0 "\r\n");
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_add_unknown_top_case_insensitive)
{
	struct ms_msg m;
	struct ms_edit e;
	static const char in[] = RLINE VIA1 DIALOG "X-Thing: 1\r\n" CLEN0 "\r\n";
	parse(&m, in, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_add(&e, MS_STR("x-thing"), MS_STR("0"), MS_EDIT_TOP, NULL), 0);
	ASSERT_INT(ms_edit_add(&e, MS_STR("X-Other"), MS_STR(""), MS_EDIT_TOP, NULL), 0);
	expect(&e, RLINE "X-Other:\r\n" VIA1 DIALOG "x-thing: 0\r\nX-Thing: 1\r\n" CLEN0 "\r\n");
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_add_before_after_bottom)
{
	struct ms_msg m;
	struct ms_edit e;
	parse(&m, invite, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	const struct ms_hdr *cseq = ms_msg_hdr(&m, MS_HDR_CSEQ);
	ASSERT_INT(ms_edit_add(&e, MS_STR("Subject"), MS_STR("before"), MS_EDIT_BEFORE, cseq), 0);
	ASSERT_INT(ms_edit_add(&e, MS_STR("Subject"), MS_STR("after"), MS_EDIT_AFTER, cseq), 0);
	ASSERT_INT(ms_edit_add(&e, MS_STR("Supported"), MS_STR("path"), MS_EDIT_BOTTOM, NULL), 0);
	ASSERT_INT(ms_edit_add(&e, MS_STR("Subject"), MS_STR("x"), MS_EDIT_BEFORE, NULL), MS_EINVAL);
	const struct ms_hdr *past = &m.hdrs[m.nhdrs];
	ASSERT_INT(ms_edit_add(&e, MS_STR("Subject"), MS_STR("x"), MS_EDIT_AFTER, past), MS_EINVAL);
	expect(&e,
	       RLINE VIA1 MAXF ROUTES TO FROM CALLID
	       "Subject: before\r\n" CSEQ "Subject: after\r\n" CONTACT CLEN0 "Supported: path\r\n\r\n");
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_same_point_keeps_call_order)
{
	struct ms_msg m;
	struct ms_edit e;
	parse(&m, invite, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	const struct ms_hdr *via = ms_msg_hdr(&m, MS_HDR_VIA);
	const struct ms_hdr *maxf = ms_msg_hdr(&m, MS_HDR_MAX_FORWARDS);
	/* All of these land where the Max-Forwards field starts. */
	ASSERT_INT(ms_edit_add(&e, MS_STR("X-A"), MS_STR("1"), MS_EDIT_AFTER, via), 0);
	ASSERT_INT(ms_edit_add(&e, MS_STR("Max-Forwards"), MS_STR("2"), MS_EDIT_TOP, NULL), 0);
	ASSERT_INT(ms_edit_add(&e, MS_STR("X-B"), MS_STR("3"), MS_EDIT_BEFORE, maxf), 0);
	ASSERT_INT(ms_edit_remove(&e, maxf), 0);
	ASSERT_INT(ms_edit_add(&e, MS_STR("X-C"), MS_STR("4"), MS_EDIT_AFTER, via), 0);
	ASSERT_INT(ms_edit_add(&e, MS_STR("X-Z"), MS_STR("1"), MS_EDIT_BOTTOM, NULL), 0);
	ASSERT_INT(ms_edit_add(&e, MS_STR("X-Y"), MS_STR("2"), MS_EDIT_BOTTOM, NULL), 0);
	expect(&e,
	       RLINE VIA1 "X-A: 1\r\nMax-Forwards: 2\r\nX-B: 3\r\nX-C: 4\r\n" ROUTES DIALOG CONTACT CLEN0
			  "X-Z: 1\r\nX-Y: 2\r\n\r\n");
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_remove_top_route)
{
	struct ms_msg m;
	struct ms_edit e;
	parse(&m, invite, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_remove(&e, ms_msg_hdr(&m, MS_HDR_ROUTE)), 0);
	ASSERT_INT(ms_edit_remove(&e, ms_msg_hdr(&m, MS_HDR_ROUTE)), 0); /* again: harmless */
	expect(&e, RLINE VIA1 MAXF "Route: <sip:p2.example.com;lr>\r\n" DIALOG CONTACT CLEN0 "\r\n");
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_remove_top_route_of_list)
{
	struct ms_msg m;
	struct ms_edit e;
	static const char in[] =
		RLINE VIA1 "Route: <sip:p1.example.com;lr>,<sip:p2.example.com;lr>\r\n" DIALOG CLEN0 "\r\n";
	parse(&m, in, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_remove(&e, ms_msg_hdr(&m, MS_HDR_ROUTE)), 0);
	expect(&e, RLINE VIA1 "Route: <sip:p2.example.com;lr>\r\n" DIALOG CLEN0 "\r\n");
	ms_edit_free(&e);
	ms_msg_free(&m);
}

#define VIA_A "SIP/2.0/UDP a.example.com;branch=z9hG4bKa"
#define VIA_B "SIP/2.0/TCP b.example.com;branch=z9hG4bKb"
#define VIA_C "SIP/2.0/TLS c.example.com;branch=z9hG4bKc"
static const char vias[] = RLINE "Via: " VIA_A ", " VIA_B "\r\n" DIALOG CLEN0 "\r\n";
static const char vias3[] = RLINE "Via: " VIA_A " ,\r\n  " VIA_B ",\t" VIA_C "\r\n" DIALOG CLEN0 "\r\n";

/* Removes the listed elements (0-based) of the Via field of 'in'. */
static void remove_vias(const char *in, const int *which, int n, const char *want)
{
	struct ms_msg m;
	struct ms_edit e;
	parse(&m, in, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	for (int i = 0; i < n; i++)
		ASSERT_INT(ms_edit_remove(&e, &m.hdrs[which[i]]), 0);
	if (want)
		expect(&e, want);
	else /* nothing left: the request no longer checks, so compare only */
	{
		struct ms_buf out;
		ms_buf_init(&out);
		ASSERT_INT(ms_edit_write(&e, &out), 0);
		ASSERT_STR(slice(&out), RLINE DIALOG CLEN0 "\r\n");
		ms_buf_free(&out);
	}
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_remove_via_element_second)
{
	remove_vias(vias, (const int[]){ 1 }, 1, RLINE "Via: " VIA_A "\r\n" DIALOG CLEN0 "\r\n");
}

TEST(edit_remove_via_element_first)
{
	remove_vias(vias, (const int[]){ 0 }, 1, RLINE "Via: " VIA_B "\r\n" DIALOG CLEN0 "\r\n");
}

TEST(edit_remove_via_every_element)
{
	remove_vias(vias, (const int[]){ 1, 0 }, 2, NULL);
	remove_vias(vias3, (const int[]){ 0, 2, 1 }, 3, NULL);
}

TEST(edit_remove_via_elements_of_three)
{
	remove_vias(vias3, (const int[]){ 1 }, 1,
		    RLINE "Via: " VIA_A " ,\r\n  " VIA_C "\r\n" DIALOG CLEN0 "\r\n");
	remove_vias(vias3, (const int[]){ 2, 1 }, 2, RLINE "Via: " VIA_A "\r\n" DIALOG CLEN0 "\r\n");
	remove_vias(vias3, (const int[]){ 1, 2 }, 2, RLINE "Via: " VIA_A "\r\n" DIALOG CLEN0 "\r\n");
	remove_vias(vias3, (const int[]){ 0, 1 }, 2, RLINE "Via: " VIA_C "\r\n" DIALOG CLEN0 "\r\n");
	remove_vias(vias3, (const int[]){ 0, 2 }, 2, RLINE "Via: " VIA_B "\r\n" DIALOG CLEN0 "\r\n");
	remove_vias(vias3, (const int[]){ 0 }, 1, RLINE "Via: " VIA_B ",\t" VIA_C "\r\n" DIALOG CLEN0 "\r\n");
}

TEST(edit_remove_all)
{
	struct ms_msg m;
	struct ms_edit e;
	parse(&m, invite, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_remove_all(&e, MS_HDR_ROUTE), 0);
	ASSERT_INT(ms_edit_remove_all(&e, MS_HDR_ROUTE), 0);
	ASSERT_INT(ms_edit_remove_all(&e, MS_HDR_RECORD_ROUTE), 0);
	ASSERT_INT(ms_edit_remove_all(&e, MS_HDR__COUNT), MS_EINVAL);
	expect(&e, RLINE VIA1 MAXF DIALOG CONTACT CLEN0 "\r\n");
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_replace_value)
{
	struct ms_msg m;
	struct ms_edit e;
	parse(&m, vias, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_replace(&e, &m.hdrs[1], MS_STR("SIP/2.0/UDP x.example.com;branch=z9hG4bKold")), 0);
	/* The last value given wins. */
	ASSERT_INT(ms_edit_replace(&e, &m.hdrs[1], MS_STR(VIA_C)), 0);
	ASSERT_INT(ms_edit_replace(&e, ms_msg_hdr(&m, MS_HDR_TO), MS_STR("<sip:carol@example.com>")), 0);
	expect(&e,
	       RLINE "Via: " VIA_A ", " VIA_C "\r\nTo: <sip:carol@example.com>\r\n" FROM CALLID CSEQ CLEN0
		     "\r\n");
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_replace_then_remove)
{
	struct ms_msg m;
	struct ms_edit e;
	parse(&m, vias, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_replace(&e, &m.hdrs[0], MS_STR(VIA_C)), 0);
	ASSERT_INT(ms_edit_remove(&e, &m.hdrs[0]), 0);
	expect(&e, RLINE "Via: " VIA_B "\r\n" DIALOG CLEN0 "\r\n");
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_max_forwards_decrement)
{
	struct ms_msg m;
	struct ms_edit e;
	char num[8];
	uint32_t mf;
	parse(&m, invite, MS_PARSE_STREAM);
	ASSERT_INT(ms_msg_max_forwards(&m, &mf), 0);
	ASSERT_INT(mf, 70);
	int n = snprintf(num, sizeof num, "%u", (unsigned)mf - 1);
	ms_edit_init(&e, &m);
	const struct ms_hdr *h = ms_msg_hdr(&m, MS_HDR_MAX_FORWARDS);
	ASSERT_INT(ms_edit_replace(&e, h, (struct ms_str){ num, (size_t)n }), 0);
	expect(&e, RLINE VIA1 "Max-Forwards: 69\r\n" ROUTES DIALOG CONTACT CLEN0 "\r\n");
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_set_ruri)
{
	struct ms_msg m;
	struct ms_edit e;
	parse(&m, invite, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_set_ruri(&e, MS_STR("sip:bob@192.0.2.4")), 0);
	ASSERT_INT(ms_edit_set_ruri(&e, MS_STR("sip:bob@192.0.2.5:5070;transport=tcp")), 0);
	ASSERT_INT(ms_edit_set_ruri(&e, MS_STR("sip:bob@x y")), MS_EINVAL);
	ASSERT_INT(ms_edit_set_ruri(&e, MS_STR("sip:bob@x\r\nVia: evil")), MS_EINVAL);
	ASSERT_INT(ms_edit_set_ruri(&e, MS_STR("sip:bob@x?Subject=hi")), MS_EINVAL);
	ASSERT_INT(ms_edit_set_ruri(&e, MS_STR("")), MS_EINVAL);
	expect(&e,
	       "INVITE sip:bob@192.0.2.5:5070;transport=tcp SIP/2.0\r\n" VIA1 MAXF ROUTES DIALOG CONTACT CLEN0
	       "\r\n");
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_set_ruri_of_response)
{
	struct ms_msg m;
	struct ms_edit e;
	static const char resp[] = "SIP/2.0 180 Ringing\r\n" VIA1 DIALOG CLEN0 "\r\n";
	parse(&m, resp, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_set_ruri(&e, MS_STR("sip:bob@192.0.2.4")), MS_EINVAL);
	expect(&e, resp);
	ms_edit_free(&e);
	ms_msg_free(&m);
}

#define SDP                                                                         \
	"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n" \
	"m=audio 4000 RTP/AVP 0\r\n"
#define SDP_LEN "87"

TEST(edit_set_body_adds_content_type)
{
	struct ms_msg m;
	struct ms_edit e;
	parse(&m, invite, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_set_body(&e, MS_STR("first"), MS_STR("text/plain")), 0);
	ASSERT_INT(ms_edit_set_body(&e, MS_STR(SDP), MS_STR("application/sdp")), 0);
	ASSERT_STR(e.body, SDP);
	expect(&e,
	       RLINE VIA1 MAXF ROUTES DIALOG CONTACT "Content-Length: " SDP_LEN "\r\n"
						     "Content-Type: application/sdp\r\n\r\n" SDP);
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_set_body_replaces_content_type)
{
	struct ms_msg m;
	struct ms_edit e;
	static const char in[] = RLINE VIA1 DIALOG "Content-Type: text/plain\r\nl: 5\r\n\r\nhello";
	parse(&m, in, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_set_body(&e, MS_STR(SDP), MS_STR("application/sdp")), 0);
	expect(&e, RLINE VIA1 DIALOG "Content-Type: application/sdp\r\nl: " SDP_LEN "\r\n\r\n" SDP);
	/* An empty type leaves the one there is. */
	ASSERT_INT(ms_edit_set_body(&e, MS_STR("bye"), MS_STR_NULL), 0);
	expect(&e, RLINE VIA1 DIALOG "Content-Type: application/sdp\r\nl: 3\r\n\r\nbye");
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_set_body_empty)
{
	struct ms_msg m;
	struct ms_edit e;
	static const char in[] =
		RLINE VIA1 "Content-Type: text/plain\r\n" DIALOG "Content-Length: 5\r\n\r\nhello";
	parse(&m, in, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_set_body(&e, MS_STR_NULL, MS_STR("text/plain")), 0);
	expect(&e, RLINE VIA1 DIALOG "Content-Length: 0\r\n\r\n");
	/* A body again after: the type comes back at the bottom. */
	ASSERT_INT(ms_edit_set_body(&e, MS_STR("hi"), MS_STR("text/html")), 0);
	expect(&e, RLINE VIA1 DIALOG "Content-Length: 2\r\nContent-Type: text/html\r\n\r\nhi");
	ms_edit_free(&e);
	/* An added type goes with an empty body. */
	parse(&m, invite, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_set_body(&e, MS_STR("hi"), MS_STR("text/plain")), 0);
	ASSERT_INT(ms_edit_set_body(&e, MS_STR(""), MS_STR("text/plain")), 0);
	expect(&e, invite);
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_set_body_keeps_one_content_length)
{
	struct ms_msg m;
	struct ms_edit e;
	static const char in[] = RLINE VIA1 "Content-Length: 5\r\n" DIALOG "l: 5\r\n\r\nhello";
	parse(&m, in, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	expect(&e, in); /* right already: left as it is */
	ASSERT_INT(ms_edit_set_body(&e, MS_STR("hello!"), MS_STR_NULL), 0);
	expect(&e, RLINE VIA1 "Content-Length: 6\r\n" DIALOG "\r\nhello!");
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_datagram_gets_content_length)
{
	struct ms_msg m;
	struct ms_edit e;
	static const char no_clen[] = RLINE VIA1 DIALOG "\r\nhello";
	parse(&m, no_clen, MS_PARSE_DGRAM);
	ms_edit_init(&e, &m);
	expect(&e, RLINE VIA1 DIALOG "Content-Length: 5\r\n\r\nhello");
	ASSERT_INT(ms_edit_add(&e, MS_STR("Subject"), MS_STR("hi"), MS_EDIT_BOTTOM, NULL), 0);
	expect(&e, RLINE VIA1 DIALOG "Subject: hi\r\nContent-Length: 5\r\n\r\nhello");
	ASSERT_INT(ms_edit_set_body(&e, MS_STR(""), MS_STR_NULL), 0);
	expect(&e, RLINE VIA1 DIALOG "Subject: hi\r\nContent-Length: 0\r\n\r\n");
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_datagram_trailing_octets_dropped)
{
	struct ms_msg m;
	struct ms_edit e;
	static const char in[] = RLINE VIA1 DIALOG "Content-Length: 2\r\n\r\nhi junk";
	ms_msg_init(&m);
	ASSERT(ms_msg_parse(&m, in, strlen(in), MS_PARSE_DGRAM) > 0);
	ms_edit_init(&e, &m);
	expect(&e, RLINE VIA1 DIALOG "Content-Length: 2\r\n\r\nhi");
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_crlf_refused)
{
	struct ms_msg m;
	struct ms_edit e;
	parse(&m, invite, MS_PARSE_STREAM);
	ms_edit_init(&e, &m);
	const struct ms_hdr *to = ms_msg_hdr(&m, MS_HDR_TO);
	ASSERT_INT(ms_edit_replace(&e, to, MS_STR("<sip:a@b>\r\nVia: evil")), MS_EINVAL);
	ASSERT_INT(ms_edit_replace(&e, to, MS_STR("<sip:a@b>\nX: 1")), MS_EINVAL);
	ASSERT_INT(ms_edit_replace(&e, to, MS_STR("<sip:a@b>\r")), MS_EINVAL);
	ASSERT_INT(ms_edit_add(&e, MS_STR("Subject"), MS_STR("a\r\n\r\nbody"), MS_EDIT_TOP, NULL), MS_EINVAL);
	ASSERT_INT(ms_edit_add(&e, MS_STR("Sub ject"), MS_STR("a"), MS_EDIT_TOP, NULL), MS_EINVAL);
	ASSERT_INT(ms_edit_add(&e, MS_STR("Subject:"), MS_STR("a"), MS_EDIT_TOP, NULL), MS_EINVAL);
	ASSERT_INT(ms_edit_add(&e, MS_STR(""), MS_STR("a"), MS_EDIT_TOP, NULL), MS_EINVAL);
	ASSERT_INT(ms_edit_add(&e, MS_STR("X\r\nY"), MS_STR("a"), MS_EDIT_BOTTOM, NULL), MS_EINVAL);
	ASSERT_INT(ms_edit_set_body(&e, MS_STR("x"), MS_STR("text/plain\r\nX: 1")), MS_EINVAL);
	/* Content-Length is the edit's own. */
	const struct ms_hdr *cl = ms_msg_hdr(&m, MS_HDR_CONTENT_LENGTH);
	ASSERT_INT(ms_edit_replace(&e, cl, MS_STR("10")), MS_EINVAL);
	ASSERT_INT(ms_edit_remove(&e, cl), MS_EINVAL);
	ASSERT_INT(ms_edit_remove_all(&e, MS_HDR_CONTENT_LENGTH), MS_EINVAL);
	ASSERT_INT(ms_edit_add(&e, MS_STR("l"), MS_STR("10"), MS_EDIT_BOTTOM, NULL), MS_EINVAL);
	/* An entry of another message. */
	struct ms_hdr other = *to;
	ASSERT_INT(ms_edit_remove(&e, &other), MS_EINVAL);
	ASSERT_INT(ms_edit_replace(&e, NULL, MS_STR("x")), MS_EINVAL);
	expect(&e, invite);
	ms_edit_free(&e);
	ms_msg_free(&m);
}

TEST(edit_many_headers)
{
	struct ms_msg m;
	struct ms_edit e;
	struct ms_buf in, want;
	ms_buf_init(&in);
	ms_buf_init(&want);
	ASSERT_INT(ms_buf_addz(&in, RLINE VIA1 DIALOG), 0);
	ASSERT_INT(ms_buf_addz(&want, RLINE VIA1 DIALOG), 0);
	for (int i = 0; i < 100; i++) {
		ASSERT_INT(ms_buf_printf(&in, "X-%d: %d\r\n", i, i), 0);
		ASSERT_INT(ms_buf_printf(&want, "X-Y: %d\r\n", i), 0);
		if (i % 2)
			ASSERT_INT(ms_buf_printf(&want, "X-%d: %d\r\n", i, i), 0);
	}
	ASSERT_INT(ms_buf_addz(&in, CLEN0 "\r\n"), 0);
	ASSERT_INT(ms_buf_addz(&want, CLEN0 "\r\n"), 0);
	ms_msg_init(&m);
	ASSERT_INT(ms_msg_parse(&m, in.data, in.len, MS_PARSE_STREAM), in.len);
	ms_edit_init(&e, &m);
	for (int i = 0; i < 100; i++) {
		char name[8];
		int n = snprintf(name, sizeof name, "X-%d", i);
		const struct ms_hdr *h = ms_msg_hdr_by_name(&m, name, (size_t)n);
		ASSERT(h);
		ASSERT_INT(ms_edit_add(&e, MS_STR("X-Y"), h->value, MS_EDIT_BEFORE, h), 0);
		if (i % 2 == 0)
			ASSERT_INT(ms_edit_remove(&e, h), 0);
	}
	ASSERT_INT(ms_buf_add(&want, "", 1), 0); /* NUL for expect() */
	expect(&e, want.data);
	ms_edit_free(&e);
	ms_msg_free(&m);
	ms_buf_free(&in);
	ms_buf_free(&want);
}

/* wsinv: RFC 4475 §3.1.1.2, folding and odd spacing everywhere. */
TEST(edit_wsinv_remove_first_via)
{
	size_t len;
	char *in = ms_test_read("corpus/rfc4475/valid/wsinv.dat", &len);
	struct ms_msg m;
	struct ms_edit e;
	struct ms_buf out;
	ms_msg_init(&m);
	ASSERT_INT(ms_msg_parse(&m, in, len, MS_PARSE_DGRAM), len);
	ASSERT_INT(ms_msg_check(&m), 0);
	const struct ms_hdr *via = ms_msg_hdr(&m, MS_HDR_VIA);
	size_t off = via->field_off, end = via->field_end;
	ASSERT(in[end] == 's'); /* "s :" follows */
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_remove(&e, via), 0);
	ms_buf_init(&out);
	ASSERT_INT(ms_edit_write(&e, &out), 0);
	ASSERT_INT(out.len, len - (end - off));
	ASSERT(memcmp(out.data, in, off) == 0);
	ASSERT(memcmp(out.data + off, in + end, len - end) == 0);
	ms_msg_free(&m);
	ASSERT_INT(ms_msg_parse(&m, out.data, out.len, MS_PARSE_STREAM), out.len);
	ASSERT_INT(ms_msg_check(&m), 0);
	ASSERT_INT(ms_msg_hdr_count(&m, MS_HDR_VIA), 2);
	ms_buf_free(&out);
	ms_edit_free(&e);
	ms_msg_free(&m);
	free(in);
}

TEST(edit_wsinv_folded_list_element)
{
	size_t len;
	char *in = ms_test_read("corpus/rfc4475/valid/wsinv.dat", &len);
	struct ms_msg m;
	struct ms_edit e;
	struct ms_buf out;
	ms_msg_init(&m);
	ASSERT_INT(ms_msg_parse(&m, in, len, MS_PARSE_DGRAM), len);
	const struct ms_hdr *v1 = ms_msg_hdr_next(&m, ms_msg_hdr(&m, MS_HDR_VIA));
	const struct ms_hdr *v2 = ms_msg_hdr_next(&m, v1);
	ms_edit_init(&e, &m);
	ASSERT_INT(ms_edit_remove(&e, v1), 0);
	ASSERT_INT(ms_edit_replace(&e, ms_msg_hdr(&m, MS_HDR_MAX_FORWARDS), MS_STR("67")), 0);
	ms_buf_init(&out);
	ASSERT_INT(ms_edit_write(&e, &out), 0);
	/* The field keeps its name and spacing and loses the first element
	 * up to the start of the second. */
	ASSERT(contains(&out, "\r\nMaX-fOrWaRdS: 67\r\n"));
	ASSERT(contains(&out,
			"\r\nv:  SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n"
			" z9hG4bK30239\r\nm:"));
	ASSERT_INT(out.len, len - (size_t)(v2->value.s - v1->value.s) - 2);
	ms_msg_free(&m);
	ASSERT_INT(ms_msg_parse(&m, out.data, out.len, MS_PARSE_STREAM), out.len);
	ASSERT_INT(ms_msg_check(&m), 0);
	ASSERT_INT(ms_msg_hdr_count(&m, MS_HDR_VIA), 2);
	ms_buf_free(&out);
	ms_edit_free(&e);
	ms_msg_free(&m);
	free(in);
}

/* Ends a built message and checks that it parses and checks. */
static void expect_built(struct ms_buf *b, const char *want)
{
	struct ms_msg r;
	ASSERT_STR(slice(b), want);
	ms_msg_init(&r);
	ASSERT_INT(ms_msg_parse(&r, b->data, b->len, MS_PARSE_STREAM), b->len);
	ASSERT_INT(ms_msg_check(&r), 0);
	ms_msg_free(&r);
}

TEST(build_response_wsinv)
{
	size_t len;
	char *in = ms_test_read("corpus/rfc4475/valid/wsinv.dat", &len);
	struct ms_msg m;
	struct ms_buf b;
	ms_msg_init(&m);
	ASSERT_INT(ms_msg_parse(&m, in, len, MS_PARSE_DGRAM), len);
	ms_buf_init(&b);
	/* To has a tag already: none is added. */
	ASSERT_INT(ms_build_response(&b, &m, 200, MS_STR_NULL, MS_STR("abc")), 0);
	ASSERT_INT(ms_build_end(&b, MS_STR_NULL, MS_STR("application/sdp")), 0);
	expect_built(&b,
		     "SIP/2.0 200 OK\r\n"
		     "Via: SIP  /   2.0 /UDP    192.0.2.2;branch=390skdjuw\r\n"
		     "Via: SIP  / 2.0  / TCP     spindle.example.com   ;  branch  =   z9hG4bK9ikj8\r\n"
		     "Via: SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239\r\n"
		     "From: \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>  ;"
		     "  tag = 98asjd8\r\n"
		     "To: sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n"
		     "Call-ID: wsinv.ndaksdj@192.0.2.1\r\n"
		     "CSeq: 0009  INVITE\r\n"
		     "Content-Length: 0\r\n\r\n");
	ms_buf_free(&b);
	ms_msg_free(&m);
	free(in);
}

TEST(build_response_invite)
{
	struct ms_msg m;
	struct ms_buf b;
	parse(&m, vias, MS_PARSE_STREAM);
	ms_buf_init(&b);
	ASSERT_INT(ms_build_response(&b, &m, 486, MS_STR_NULL, MS_STR("8321234356")), 0);
	ASSERT_INT(ms_build_header(&b, MS_STR("Retry-After"), MS_STR("60")), 0);
	ASSERT_INT(ms_build_end(&b, MS_STR("busy"), MS_STR("text/plain")), 0);
	expect_built(&b,
		     "SIP/2.0 486 Busy Here\r\n"
		     "Via: " VIA_A "\r\n"
		     "Via: " VIA_B "\r\n"
		     "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
		     "To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n" CALLID CSEQ
		     "Retry-After: 60\r\n"
		     "Content-Type: text/plain\r\n"
		     "Content-Length: 4\r\n\r\nbusy");
	/* A phrase of the caller's, with its control characters blanked; no tag. */
	b.len = 0;
	ASSERT_INT(ms_build_response(&b, &m, 100, MS_STR("Try\r\ning\x7f"), MS_STR_NULL), 0);
	ASSERT_INT(ms_build_end(&b, MS_STR_NULL, MS_STR_NULL), 0);
	expect_built(&b,
		     "SIP/2.0 100 Try  ing \r\nVia: " VIA_A "\r\nVia: " VIA_B "\r\n" FROM TO CALLID CSEQ CLEN0
		     "\r\n");
	ms_buf_free(&b);
	ms_msg_free(&m);
}

TEST(build_response_refused)
{
	struct ms_msg m;
	struct ms_buf b;
	static const char resp[] = "SIP/2.0 180 Ringing\r\n" VIA1 DIALOG CLEN0 "\r\n";
	parse(&m, invite, MS_PARSE_STREAM);
	ms_buf_init(&b);
	ASSERT_INT(ms_build_response(&b, &m, 99, MS_STR_NULL, MS_STR_NULL), MS_EINVAL);
	ASSERT_INT(ms_build_response(&b, &m, 700, MS_STR_NULL, MS_STR_NULL), MS_EINVAL);
	ASSERT_INT(ms_build_response(&b, &m, 200, MS_STR_NULL, MS_STR("a b")), MS_EINVAL);
	ASSERT_INT(ms_build_response(&b, &m, 200, MS_STR_NULL, MS_STR("a\r\nX: y")), MS_EINVAL);
	ASSERT_INT(b.len, 0);
	parse(&m, resp, MS_PARSE_STREAM);
	ASSERT_INT(ms_build_response(&b, &m, 200, MS_STR_NULL, MS_STR_NULL), MS_EINVAL);
	ASSERT_INT(b.len, 0);
	ms_buf_free(&b);
	ms_msg_free(&m);
}

TEST(build_lines)
{
	struct ms_buf b;
	ms_buf_init(&b);
	ASSERT_INT(ms_build_request_line(&b, MS_STR("OPTIONS"), MS_STR("sip:example.com")), 0);
	ASSERT_INT(ms_build_request_line(&b, MS_STR("OPT IONS"), MS_STR("sip:example.com")), MS_EINVAL);
	ASSERT_INT(ms_build_request_line(&b, MS_STR(""), MS_STR("sip:example.com")), MS_EINVAL);
	ASSERT_INT(ms_build_request_line(&b, MS_STR("OPTIONS"), MS_STR("sip:a.com SIP/2.0")), MS_EINVAL);
	ASSERT_INT(ms_build_request_line(&b, MS_STR("OPTIONS"), MS_STR("sip:a\r\n")), MS_EINVAL);
	ASSERT_INT(ms_build_header(&b, MS_STR("Via"), MS_STR("SIP/2.0/UDP h.example.com;branch=z9")), 0);
	ASSERT_INT(ms_build_header(&b, MS_STR("Max-Forwards"), MS_STR("70")), 0);
	ASSERT_INT(ms_build_header(&b, MS_STR("To"), MS_STR("<sip:example.com>")), 0);
	ASSERT_INT(ms_build_header(&b, MS_STR("From"), MS_STR("<sip:me@example.com>;tag=1")), 0);
	ASSERT_INT(ms_build_header(&b, MS_STR("Call-ID"), MS_STR("c1")), 0);
	ASSERT_INT(ms_build_header(&b, MS_STR("CSeq"), MS_STR("1 OPTIONS")), 0);
	ASSERT_INT(ms_build_header(&b, MS_STR("Supported"), MS_STR("")), 0);
	ASSERT_INT(ms_build_header(&b, MS_STR("X"), MS_STR("1\r\nY: 2")), MS_EINVAL);
	ASSERT_INT(ms_build_header(&b, MS_STR("X\n"), MS_STR("1")), MS_EINVAL);
	ASSERT_INT(ms_build_header(&b, MS_STR("X:"), MS_STR("1")), MS_EINVAL);
	ASSERT_INT(ms_build_end(&b, MS_STR("x"), MS_STR("text/plain\n")), MS_EINVAL);
	ASSERT_INT(ms_build_end(&b, MS_STR("x"), MS_STR_NULL), 0);
	expect_built(&b,
		     "OPTIONS sip:example.com SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP h.example.com;branch=z9\r\n"
		     "Max-Forwards: 70\r\n"
		     "To: <sip:example.com>\r\n"
		     "From: <sip:me@example.com>;tag=1\r\n"
		     "Call-ID: c1\r\n"
		     "CSeq: 1 OPTIONS\r\n"
		     "Supported:\r\n"
		     "Content-Length: 1\r\n\r\nx");
	b.len = 0;
	ASSERT_INT(ms_build_status_line(&b, 99, MS_STR_NULL), MS_EINVAL);
	ASSERT_INT(ms_build_status_line(&b, 700, MS_STR("Too far")), MS_EINVAL);
	ASSERT_INT(ms_build_status_line(&b, 699, MS_STR_NULL), 0);
	ASSERT_INT(ms_build_status_line(&b, 180, MS_STR("Ringing\tloud")), 0);
	ASSERT_STR(slice(&b), "SIP/2.0 699 Unknown\r\nSIP/2.0 180 Ringing loud\r\n");
	ms_buf_free(&b);
}

TEST(build_reason_phrase)
{
	static const struct {
		unsigned code;
		const char *text;
	} cases[] = {
		{ 100, "Trying" },
		{ 180, "Ringing" },
		{ 199, "Early Dialog Terminated" },
		{ 200, "OK" },
		{ 204, "No Notification" },
		{ 302, "Moved Temporarily" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 412, "Conditional Request Failed" },
		{ 417, "Unknown Resource-Priority" },
		{ 422, "Session Interval Too Small" },
		{ 428, "Use Identity Header" },
		{ 429, "Provide Referrer Identity" },
		{ 430, "Flow Failed" },
		{ 433, "Anonymity Disallowed" },
		{ 436, "Bad Identity Info" },
		{ 437, "Unsupported Credential" },
		{ 438, "Invalid Identity Header" },
		{ 439, "First Hop Lacks Outbound Support" },
		{ 440, "Max-Breadth Exceeded" },
		{ 469, "Bad Info Package" },
		{ 470, "Consent Needed" },
		{ 481, "Call/Transaction Does Not Exist" },
		{ 491, "Request Pending" },
		{ 493, "Undecipherable" },
		{ 494, "Security Agreement Required" },
		{ 500, "Server Internal Error" },
		{ 504, "Server Time-out" },
		{ 580, "Precondition Failure" },
		{ 600, "Busy Everywhere" },
		{ 603, "Decline" },
		{ 607, "Unwanted" },
		{ 608, "Rejected" },
		{ 0, "Unknown" },
		{ 299, "Unknown" },
		{ 609, "Unknown" },
		{ 1000, "Unknown" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ASSERT(strcmp(ms_reason_phrase(cases[i].code), cases[i].text) == 0);
}

/* Where a slice is in its message's text, and that it holds 'want'. */
static void same_slice(const struct ms_msg *a, struct ms_str x, const struct ms_msg *b, struct ms_str y)
{
	ASSERT_INT(x.len, y.len);
	ASSERT_INT(x.s ? x.s - a->buf : -1, y.s ? y.s - b->buf : -1);
}

/* A message moved onto a copy with one value replaced must be what a parse
 * of that copy gives: the same entries at the same offsets, and checks and
 * typed views that read the new text. */
static void expect_moved_as_parsed(const char *z, unsigned nth_via, const char *value, const char *want)
{
	struct ms_msg m, p;
	struct ms_buf out;
	ms_buf_init(&out);
	parse(&m, z, MS_PARSE_DGRAM);
	const struct ms_hdr *h = ms_msg_hdr(&m, MS_HDR_VIA);
	for (unsigned i = 0; i < nth_via; i++)
		h = ms_msg_hdr_next(&m, h);
	ASSERT(ms_msg_via(&m) != NULL); /* a view of the old text, to be dropped */
	ASSERT_INT(ms__msg_replace_value(&m, h, (struct ms_str){ value, strlen(value) }, &out), 0);
	ASSERT_STR(slice(&out), want);
	ASSERT(m.buf == out.data);
	ASSERT_INT(m.len, out.len);
	parse(&p, want, MS_PARSE_STREAM);
	same_slice(&m, m.method_s, &p, p.method_s);
	same_slice(&m, m.ruri_s, &p, p.ruri_s);
	same_slice(&m, m.version, &p, p.version);
	same_slice(&m, m.body, &p, p.body);
	ASSERT_INT(m.hdr_end, p.hdr_end);
	ASSERT_INT(m.nhdrs, p.nhdrs);
	for (unsigned i = 0; i < m.nhdrs; i++) {
		same_slice(&m, m.hdrs[i].name, &p, p.hdrs[i].name);
		same_slice(&m, m.hdrs[i].value, &p, p.hdrs[i].value);
		ASSERT_INT(m.hdrs[i].field_off, p.hdrs[i].field_off);
		ASSERT_INT(m.hdrs[i].field_end, p.hdrs[i].field_end);
	}
	ASSERT_INT(ms_msg_check(&m), 0);
	const struct ms_via *v = ms_msg_via(&m), *pv = ms_msg_via(&p);
	same_slice(&m, v->params, &p, pv->params);
	ms_msg_free(&p);
	ms_msg_free(&m);
	ms_buf_free(&out);
}

#define VIA2 "Via: SIP/2.0/TCP p1.example.com;branch=z9hG4bK1, SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK2\r\n"
#define BODY "v=0\r\n"

TEST(edit_replace_value_moves_the_message)
{
	static const char two[] = RLINE VIA2 VIA1 MAXF DIALOG "Content-Type: application/sdp\r\n"
							      "Content-Length: 5\r\n\r\n" BODY;
	/* Longer, then shorter, than the value replaced. */
	expect_moved_as_parsed(
		invite, 0, "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;received=192.0.2.1",
		RLINE "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;"
		      "received=192.0.2.1\r\n" MAXF ROUTES DIALOG CONTACT CLEN0 "\r\n");
	expect_moved_as_parsed(invite, 0, "SIP/2.0/UDP h;branch=z9hG4bKx",
			       RLINE "Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\n" MAXF ROUTES DIALOG CONTACT CLEN0
				     "\r\n");
	/* The first element of a field with two, and the second; a body. */
	expect_moved_as_parsed(
		two, 0, "SIP/2.0/TCP p1.example.com;branch=z9hG4bK1;received=192.0.2.9;rport=5061",
		RLINE "Via: SIP/2.0/TCP p1.example.com;branch=z9hG4bK1;received=192.0.2.9;rport=5061, "
		      "SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK2\r\n" VIA1 MAXF DIALOG
		      "Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\n" BODY);
	expect_moved_as_parsed(two, 1, "SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK2;received=10.0.0.1",
			       RLINE
			       "Via: SIP/2.0/TCP p1.example.com;branch=z9hG4bK1, "
			       "SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK2;received=10.0.0.1\r\n" VIA1 MAXF DIALOG
			       "Content-Type: application/sdp\r\nContent-Length: 5\r\n\r\n" BODY);
}

TEST(edit_replace_value_refuses_what_would_not_frame)
{
	struct ms_msg m;
	struct ms_buf out;
	ms_buf_init(&out);
	parse(&m, invite, MS_PARSE_DGRAM);
	const struct ms_hdr *via = ms_msg_hdr(&m, MS_HDR_VIA);
	ASSERT_INT(ms__msg_replace_value(&m, via, MS_STR("SIP/2.0/UDP a\r\nX: y"), &out), MS_EINVAL);
	ASSERT_INT(ms__msg_replace_value(&m, ms_msg_hdr(&m, MS_HDR_CONTENT_LENGTH), MS_STR("9"), &out),
		   MS_EINVAL);
	ASSERT_INT(ms__msg_replace_value(&m, NULL, MS_STR("x"), &out), MS_EINVAL);
	ASSERT(m.buf == invite); /* left as it was */
	ASSERT_INT(ms_msg_check(&m), 0);
	ms_msg_free(&m);
	ms_buf_free(&out);
}

/* A copy must stand alone: the original text is overwritten before the
 * copy is read, and a message with more entries than fit inline keeps
 * them all. */
static void expect_copy_stands_alone(const char *z, struct ms_msg *dst)
{
	size_t len = strlen(z);
	char *orig = malloc(len + 1), *text = malloc(len + 1);
	ASSERT(orig && text);
	memcpy(orig, z, len + 1);
	memcpy(text, z, len + 1);
	struct ms_msg src;
	parse(&src, orig, MS_PARSE_DGRAM);
	ASSERT(ms_msg_via(&src) != NULL);
	ASSERT_INT(ms_msg_copy(dst, &src, text), 0);
	ms_msg_free(&src);
	memset(orig, 'x', len);
	free(orig);
	struct ms_msg p;
	parse(&p, text, MS_PARSE_DGRAM);
	ASSERT(dst->buf == text);
	ASSERT_INT(dst->nhdrs, p.nhdrs);
	for (unsigned i = 0; i < p.nhdrs; i++) {
		same_slice(dst, dst->hdrs[i].name, &p, p.hdrs[i].name);
		same_slice(dst, dst->hdrs[i].value, &p, p.hdrs[i].value);
	}
	same_slice(dst, dst->ruri_s, &p, p.ruri_s);
	same_slice(dst, dst->body, &p, p.body);
	ASSERT_INT(ms_msg_check(dst), 0);
	ASSERT_STR(ms_msg_via(dst)->branch, "z9hG4bK776asdhds");
	ASSERT_STR(ms_msg_from(dst)->tag, "1928301774");
	ms_msg_free(&p);
	free(text);
}

TEST(edit_copy_keeps_the_index_on_the_new_text)
{
	static char many[8192];
	strcpy(many, RLINE VIA1 MAXF DIALOG);
	for (int i = 0; i < 60; i++)
		strcat(many, "X-Filler: some value\r\n");
	strcat(many, "Content-Length: 5\r\n\r\n" BODY);
	struct ms_msg dst;
	ms_msg_init(&dst);
	expect_copy_stands_alone(invite, &dst);
	expect_copy_stands_alone(many, &dst);   /* grows a block */
	expect_copy_stands_alone(invite, &dst); /* keeps it */
	ASSERT(dst.nhdrs < MS_MSG_INLINE_HDRS && dst.hdrs != dst.hdr_inline);
	expect_copy_stands_alone(many, &dst);
	ms_msg_free(&dst);
}
