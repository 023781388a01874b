/* Dialogs (RFC 3261 §12): the state taken from the messages of a call
 * between alice (192.0.2.10) and bob (192.0.2.20) through two
 * record-routing proxies, p1 (alice's) and p2 (bob's), and the exact bytes
 * of the requests built within it. */
#include <stdio.h>
#include <stdlib.h>

#include "moonsip/dialog.h"
#include "moonsip/edit.h"
#include "test.h"

#define CALL_ID "a84b4c76e66710@pc33.atlanta.example.com"
#define ALICE "\"Alice\" <sip:alice@atlanta.example.com>"
#define BOB "Bob <sip:bob@biloxi.example.com>"
#define RR_P2_P1 "Record-Route: <sip:p2.biloxi.example.com;lr>, <sip:p1.atlanta.example.com;lr>\r\n"
#define BOB_CONTACT "Contact: <sip:bob@192.0.2.20:5060>\r\n"

#define OUT(b) ((struct ms_str){ (b).data, (b).len })

/* The INVITE as alice sent it. */
static const char alice_invite[] = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds8\r\n"
				   "Max-Forwards: 70\r\n"
				   "To: " BOB "\r\n"
				   "From: " ALICE ";tag=1928301774\r\n"
				   "Call-ID: " CALL_ID "\r\n"
				   "CSeq: 314159 INVITE\r\n"
				   "Contact: <sip:alice@192.0.2.10:5060>\r\n"
				   "Content-Length: 0\r\n\r\n";

static void parse_n(struct ms_msg *m, const char *text, size_t len)
{
	ms_msg_init(m);
	ASSERT(ms_msg_parse(m, text, len, MS_PARSE_DGRAM) > 0);
	ASSERT_INT(ms_msg_check(m), 0);
}

static void parse(struct ms_msg *m, const char *text)
{
	parse_n(m, text, strlen(text));
}

/* The first n bytes of a built message, or all of it when shorter. */
static struct ms_str head(const struct ms_buf *b, size_t n)
{
	return (struct ms_str){ b->data, n < b->len ? n : b->len };
}

/* Whether the bytes of a built message hold 'z' (they end without NUL). */
static bool has(const struct ms_buf *b, const char *z)
{
	size_t n = strlen(z);
	for (size_t i = 0; i + n <= b->len; i++)
		if (!memcmp(b->data + i, z, n))
			return true;
	return false;
}

/* The same INVITE as bob gets it, through p1 and then p2, with the
 * Record-Route lines 'rr', 'to' after To's URI and the Contact line. */
static void bob_invite_with(struct ms_msg *m, char *buf, size_t size, const char *rr, const char *to,
			    const char *contact)
{
	snprintf(
		buf, size,
		"INVITE sip:bob@192.0.2.20:5060 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP p2.biloxi.example.com;branch=z9hG4bK4b43c2ff8.1\r\n"
		"Via: SIP/2.0/UDP p1.atlanta.example.com;branch=z9hG4bK77ef4c2312983.1;received=192.0.2.1\r\n"
		"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds8;received=192.0.2.10\r\n"
		"Max-Forwards: 68\r\n"
		"%s"
		"To: " BOB "%s\r\n"
		"From: " ALICE ";tag=1928301774\r\n"
		"Call-ID: " CALL_ID "\r\n"
		"CSeq: 314159 INVITE\r\n"
		"%s"
		"Content-Length: 0\r\n\r\n",
		rr, to, contact);
	parse(m, buf);
}

#define BOB_RR \
	"Record-Route: <sip:p2.biloxi.example.com;lr>\r\nRecord-Route: <sip:p1.atlanta.example.com;lr>\r\n"
#define ALICE_CONTACT "Contact: <sip:alice@192.0.2.10:5060>\r\n"

static void bob_invite(struct ms_msg *m, char *buf, size_t size, const char *rr)
{
	bob_invite_with(m, buf, size, rr, "", ALICE_CONTACT);
}

/* A response alice gets: 'tag' is To's ("" for none), 'extra' the
 * Record-Route and Contact lines. */
static void response_cseq(struct ms_msg *m, char *buf, size_t size, const char *status, const char *tag,
			  const char *cseq, const char *extra)
{
	snprintf(buf, size,
		 "SIP/2.0 %s\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds8;received=192.0.2.10\r\n"
		 "%s"
		 "From: " ALICE ";tag=1928301774\r\n"
		 "To: " BOB "%s%s\r\n"
		 "Call-ID: " CALL_ID "\r\n"
		 "CSeq: %s\r\n"
		 "Content-Length: 0\r\n\r\n",
		 status, extra, *tag ? ";tag=" : "", tag, cseq);
	parse(m, buf);
}

/* A response to alice's INVITE. */
static void response(struct ms_msg *m, char *buf, size_t size, const char *status, const char *tag,
		     const char *extra)
{
	response_cseq(m, buf, size, status, tag, "314159 INVITE", extra);
}

/* Alice's dialog from a response to her INVITE with To tag 'tag'. */
static int alice_new(struct ms_dialog **d, const char *status, const char *tag, const char *extra)
{
	struct ms_msg inv, resp;
	char buf[2048];
	parse(&inv, alice_invite);
	response(&resp, buf, sizeof buf, status, tag, extra);
	return ms_dialog_uac_new(d, &inv, &resp);
}

static struct ms_dialog *alice_confirmed(const char *extra)
{
	struct ms_dialog *d = NULL;
	ASSERT_INT(alice_new(&d, "200 OK", "a6c85cf", extra), 0);
	return d;
}

static struct ms_dialog *bob_dialog(void)
{
	struct ms_msg inv;
	struct ms_dialog *d = NULL;
	char buf[2048];
	bob_invite(&inv, buf, sizeof buf, BOB_RR);
	ASSERT_INT(ms_dialog_uas_new(&d, &inv, MS_STR("a6c85cf"), MS_STR("<sip:bob@192.0.2.20:5060>"), false),
		   0);
	return d;
}

/* A request bob gets within a dialog, with the From, To and Call-ID
 * given. */
static void to_bob(struct ms_msg *m, char *buf, size_t size, const char *method, unsigned cseq,
		   const char *from, const char *to, const char *call_id, const char *extra)
{
	snprintf(buf, size,
		 "%s sip:bob@192.0.2.20:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP p2.biloxi.example.com;branch=z9hG4bK4b43c2ff8.%u\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds%u;received=192.0.2.10\r\n"
		 "Max-Forwards: 69\r\n"
		 "From: %s\r\n"
		 "To: %s\r\n"
		 "Call-ID: %s\r\n"
		 "CSeq: %u %s\r\n"
		 "%s"
		 "Content-Length: 0\r\n\r\n",
		 method, cseq, cseq, from, to, call_id, cseq, method, extra);
	parse(m, buf);
}

/* What alice sends in her dialog with bob, as bob gets it. */
static void from_alice(struct ms_msg *m, char *buf, size_t size, const char *method, unsigned cseq,
		       const char *extra)
{
	to_bob(m, buf, size, method, cseq, ALICE ";tag=1928301774", BOB ";tag=a6c85cf", CALL_ID, extra);
}

/* What bob sends in his dialog with alice, as alice gets it. */
static void from_bob(struct ms_msg *m, char *buf, size_t size, const char *method, unsigned cseq,
		     const char *extra)
{
	snprintf(buf, size,
		 "%s sip:alice@192.0.2.10:5060 SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP p1.atlanta.example.com;branch=z9hG4bKp1b%u\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKbob%u;received=192.0.2.20\r\n"
		 "Max-Forwards: 69\r\n"
		 "From: " BOB ";tag=a6c85cf\r\n"
		 "To: " ALICE ";tag=1928301774\r\n"
		 "Call-ID: " CALL_ID "\r\n"
		 "CSeq: %u %s\r\n"
		 "%s"
		 "Content-Length: 0\r\n\r\n",
		 method, cseq, cseq, cseq, method, extra);
	parse(m, buf);
}

/* The request as the stack sends it: with a Via after the request line,
 * parsed and checked as a receiver would. */
static void with_via(struct ms_msg *m, struct ms_buf *wire, const struct ms_buf *req)
{
	const char *eol = memchr(req->data, '\n', req->len);
	ASSERT(eol);
	size_t line = (size_t)(eol + 1 - req->data);
	wire->len = 0;
	ASSERT_INT(ms_buf_add(wire, req->data, line), 0);
	ASSERT_INT(ms_buf_addz(wire, "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds\r\n"), 0);
	ASSERT_INT(ms_buf_add(wire, req->data + line, req->len - line), 0);
	ms_msg_init(m);
	ASSERT_INT(ms_msg_parse(m, wire->data, wire->len, MS_PARSE_STREAM), (long long)wire->len);
	ASSERT_INT(ms_msg_check(m), 0);
}

static void request(struct ms_dialog *d, const char *method, const struct ms_dialog_extra *x,
		    struct ms_buf *out)
{
	out->len = 0;
	ASSERT_INT(ms_dialog_request(d, (struct ms_str){ method, strlen(method) }, out, x), 0);
}

TEST(dialog_uac_route_set_reversed)
{
	struct ms_dialog *d = alice_confirmed(RR_P2_P1 BOB_CONTACT);
	ASSERT_INT(ms_dialog_state(d), MS_DIALOG_CONFIRMED);
	ASSERT(ms_dialog_is_uac(d));
	ASSERT(!ms_dialog_secure(d));
	ASSERT_STR(ms_dialog_call_id(d), CALL_ID);
	ASSERT_STR(ms_dialog_local_tag(d), "1928301774");
	ASSERT_STR(ms_dialog_remote_tag(d), "a6c85cf");
	ASSERT_STR(ms_dialog_local_uri(d), ALICE);
	ASSERT_STR(ms_dialog_remote_uri(d), BOB);
	ASSERT_STR(ms_dialog_remote_target(d), "sip:bob@192.0.2.20:5060");
	ASSERT_STR(ms_dialog_local_contact(d), "<sip:alice@192.0.2.10:5060>");
	ASSERT_INT(ms_dialog_local_cseq(d), 314159);
	uint32_t n = 7;
	ASSERT_INT(ms_dialog_remote_cseq(d, &n), MS_ENOENT);
	ASSERT_INT(n, 7);
	/* Alice's first hop is her own proxy: Record-Route reversed. */
	ASSERT_INT(ms_dialog_route_count(d), 2);
	ASSERT_STR(ms_dialog_route(d, 0), "sip:p1.atlanta.example.com;lr");
	ASSERT_STR(ms_dialog_route(d, 1), "sip:p2.biloxi.example.com;lr");
	ASSERT_INT(ms_dialog_route(d, 2).len, 0);
	struct ms_str hop;
	ms_dialog_next_hop(d, &hop);
	ASSERT_STR(hop, "sip:p1.atlanta.example.com;lr");

	struct ms_buf out;
	ms_buf_init(&out);
	request(d, "BYE", NULL, &out);
	ASSERT_STR(OUT(out),
		   "BYE sip:bob@192.0.2.20:5060 SIP/2.0\r\n"
		   "Max-Forwards: 70\r\n"
		   "Route: <sip:p1.atlanta.example.com;lr>\r\n"
		   "Route: <sip:p2.biloxi.example.com;lr>\r\n"
		   "From: " ALICE ";tag=1928301774\r\n"
		   "To: " BOB ";tag=a6c85cf\r\n"
		   "Call-ID: " CALL_ID "\r\n"
		   "CSeq: 314160 BYE\r\n"
		   "Content-Length: 0\r\n\r\n");
	ASSERT_INT(ms_dialog_local_cseq(d), 314160);
	ms_buf_free(&out);
	ms_dialog_free(d);
}

TEST(dialog_uas_route_set_in_order)
{
	struct ms_dialog *d = bob_dialog();
	ASSERT_INT(ms_dialog_state(d), MS_DIALOG_EARLY);
	ASSERT(!ms_dialog_is_uac(d));
	ASSERT_STR(ms_dialog_local_tag(d), "a6c85cf");
	ASSERT_STR(ms_dialog_remote_tag(d), "1928301774");
	ASSERT_STR(ms_dialog_local_uri(d), BOB);
	ASSERT_STR(ms_dialog_remote_uri(d), ALICE);
	ASSERT_STR(ms_dialog_remote_target(d), "sip:alice@192.0.2.10:5060");
	ASSERT_INT(ms_dialog_local_cseq(d), 0);
	uint32_t n = 0;
	ASSERT_INT(ms_dialog_remote_cseq(d, &n), 0);
	ASSERT_INT(n, 314159);
	/* Bob's first hop is his own proxy: Record-Route as it came. */
	ASSERT_INT(ms_dialog_route_count(d), 2);
	ASSERT_STR(ms_dialog_route(d, 0), "sip:p2.biloxi.example.com;lr");
	ASSERT_STR(ms_dialog_route(d, 1), "sip:p1.atlanta.example.com;lr");
	ASSERT_INT(ms_dialog_uas_confirm(d), 0);
	ASSERT_INT(ms_dialog_state(d), MS_DIALOG_CONFIRMED);
	struct ms_msg ok;
	char buf[2048];
	response(&ok, buf, sizeof buf, "200 OK", "a6c85cf", BOB_CONTACT);
	ASSERT_INT(ms_dialog_confirm(d, &ok), MS_EINVAL); /* a UAC's */

	struct ms_buf out;
	ms_buf_init(&out);
	request(d, "BYE", NULL, &out);
	ASSERT_STR(OUT(out),
		   "BYE sip:alice@192.0.2.10:5060 SIP/2.0\r\n"
		   "Max-Forwards: 70\r\n"
		   "Route: <sip:p2.biloxi.example.com;lr>\r\n"
		   "Route: <sip:p1.atlanta.example.com;lr>\r\n"
		   "From: " BOB ";tag=a6c85cf\r\n"
		   "To: " ALICE ";tag=1928301774\r\n"
		   "Call-ID: " CALL_ID "\r\n"
		   "CSeq: 1 BYE\r\n"
		   "Content-Length: 0\r\n\r\n");
	ms_buf_free(&out);
	ms_dialog_free(d);
}

/* ss1 is an RFC 2543 proxy: its Record-Route has no ;lr. */
TEST(dialog_strict_router)
{
	struct ms_dialog *d = alice_confirmed("Record-Route: <sip:p2.biloxi.example.com;lr>, "
					      "<sip:ss1.atlanta.example.com>\r\n" BOB_CONTACT);
	struct ms_buf out;
	ms_buf_init(&out);
	request(d, "BYE", NULL, &out);
	/* The strict router's URI is the Request-URI; the target goes last. */
	ASSERT_STR(OUT(out),
		   "BYE sip:ss1.atlanta.example.com SIP/2.0\r\n"
		   "Max-Forwards: 70\r\n"
		   "Route: <sip:p2.biloxi.example.com;lr>\r\n"
		   "Route: <sip:bob@192.0.2.20:5060>\r\n"
		   "From: " ALICE ";tag=1928301774\r\n"
		   "To: " BOB ";tag=a6c85cf\r\n"
		   "Call-ID: " CALL_ID "\r\n"
		   "CSeq: 314160 BYE\r\n"
		   "Content-Length: 0\r\n\r\n");
	struct ms_str hop;
	ms_dialog_next_hop(d, &hop);
	ASSERT_STR(hop, "sip:ss1.atlanta.example.com");
	ms_dialog_free(d);

	/* Bob's first route is p2, a loose router: the request is routed
	 * loosely even with the strict one after it. */
	struct ms_msg inv;
	char buf[2048];
	bob_invite(&inv, buf, sizeof buf,
		   "Record-Route: <sip:p2.biloxi.example.com;lr>, <sip:ss1.atlanta.example.com>\r\n");
	ASSERT_INT(ms_dialog_uas_new(&d, &inv, MS_STR("a6c85cf"), MS_STR_NULL, false), 0);
	request(d, "BYE", NULL, &out);
	ASSERT_STR(OUT(out),
		   "BYE sip:alice@192.0.2.10:5060 SIP/2.0\r\n"
		   "Max-Forwards: 70\r\n"
		   "Route: <sip:p2.biloxi.example.com;lr>\r\n"
		   "Route: <sip:ss1.atlanta.example.com>\r\n"
		   "From: " BOB ";tag=a6c85cf\r\n"
		   "To: " ALICE ";tag=1928301774\r\n"
		   "Call-ID: " CALL_ID "\r\n"
		   "CSeq: 1 BYE\r\n"
		   "Content-Length: 0\r\n\r\n");
	ms_buf_free(&out);
	ms_dialog_free(d);
}

/* A strict router's URI as a Request-URI loses what a Request-URI may
 * not carry; the next hop is the route as recorded. */
TEST(dialog_strict_route_stripped_for_request_uri)
{
	struct ms_dialog *d = alice_confirmed(
		"Record-Route: <sip:p2.biloxi.example.com;lr>, "
		"<sip:ss1.atlanta.example.com;transport=tcp;method=INVITE?Priority=urgent>\r\n" BOB_CONTACT);
	struct ms_buf out, wire;
	ms_buf_init(&out);
	ms_buf_init(&wire);
	request(d, "BYE", NULL, &out);
	const char *first = "BYE sip:ss1.atlanta.example.com;transport=tcp SIP/2.0\r\n";
	ASSERT_STR(head(&out, strlen(first)), first);
	struct ms_msg m;
	with_via(&m, &wire, &out); /* a Request-URI with headers would fail the check */
	struct ms_str hop;
	ms_dialog_next_hop(d, &hop);
	ASSERT_STR(hop, "sip:ss1.atlanta.example.com;transport=tcp;method=INVITE?Priority=urgent");
	ms_buf_free(&out);
	ms_buf_free(&wire);
	ms_dialog_free(d);
}

TEST(dialog_cseq_rules)
{
	struct ms_dialog *d = alice_confirmed(RR_P2_P1 BOB_CONTACT);
	struct ms_buf out;
	ms_buf_init(&out);
	/* The ACK of the 2xx has the INVITE's number and takes none. */
	ASSERT_INT(ms_dialog_ack(d, 314159, &out, NULL), 0);
	ASSERT_STR(OUT(out),
		   "ACK sip:bob@192.0.2.20:5060 SIP/2.0\r\n"
		   "Max-Forwards: 70\r\n"
		   "Route: <sip:p1.atlanta.example.com;lr>\r\n"
		   "Route: <sip:p2.biloxi.example.com;lr>\r\n"
		   "From: " ALICE ";tag=1928301774\r\n"
		   "To: " BOB ";tag=a6c85cf\r\n"
		   "Call-ID: " CALL_ID "\r\n"
		   "CSeq: 314159 ACK\r\n"
		   "Content-Length: 0\r\n\r\n");
	ASSERT_INT(ms_dialog_local_cseq(d), 314159);
	request(d, "INFO", NULL, &out);
	ASSERT(has(&out, "\r\nCSeq: 314160 INFO\r\n"));
	ASSERT_INT(ms_dialog_local_cseq(d), 314160);
	/* ACK and CANCEL are no requests of ms_dialog_request(). */
	size_t len = out.len;
	ASSERT_INT(ms_dialog_request(d, MS_STR("ACK"), &out, NULL), MS_EINVAL);
	ASSERT_INT(ms_dialog_request(d, MS_STR("CANCEL"), &out, NULL), MS_EINVAL);
	ASSERT_INT(out.len, len);
	ASSERT_INT(ms_dialog_local_cseq(d), 314160);
	/* An ACK for no INVITE sent is refused; the real one still goes. */
	ASSERT_INT(ms_dialog_ack(d, 0, &out, NULL), MS_EINVAL);
	ASSERT_INT(ms_dialog_ack(d, 314161, &out, NULL), MS_EINVAL);
	ASSERT_INT(out.len, len);
	out.len = 0;
	ASSERT_INT(ms_dialog_ack(d, 314159, &out, NULL), 0);
	ASSERT(has(&out, "\r\nCSeq: 314159 ACK\r\n"));
	request(d, "BYE", NULL, &out);
	ASSERT(has(&out, "\r\nCSeq: 314161 BYE\r\n"));
	ms_dialog_free(d);

	/* No ACK before the 2xx confirmed the dialog. */
	ASSERT_INT(alice_new(&d, "180 Ringing", "a6c85cf", RR_P2_P1 BOB_CONTACT), 0);
	ASSERT_INT(ms_dialog_ack(d, 314159, &out, NULL), MS_EINVAL);
	ms_dialog_free(d);
	ms_buf_free(&out);
}

/* The local CSeq cannot pass 2^32-1: the request is refused. */
TEST(dialog_local_cseq_limit)
{
	char text[2048], buf[2048];
	const char *at = strstr(alice_invite, "314159 INVITE");
	ASSERT(at);
	snprintf(text, sizeof text, "%.*s4294967294%s", (int)(at - alice_invite), alice_invite, at + 6);
	struct ms_msg inv, resp;
	struct ms_dialog *d;
	parse(&inv, text);
	response_cseq(&resp, buf, sizeof buf, "200 OK", "a6c85cf", "4294967294 INVITE", BOB_CONTACT);
	ASSERT_INT(ms_dialog_uac_new(&d, &inv, &resp), 0);
	struct ms_buf out;
	ms_buf_init(&out);
	request(d, "INFO", NULL, &out);
	ASSERT(has(&out, "\r\nCSeq: 4294967295 INFO\r\n"));
	out.len = 0;
	ASSERT_INT(ms_dialog_request(d, MS_STR("BYE"), &out, NULL), MS_ERANGE);
	ASSERT_INT(out.len, 0);
	ASSERT_INT(ms_dialog_local_cseq(d), 4294967295u);
	ASSERT_INT(ms_dialog_ack(d, 4294967294u, &out, NULL), 0); /* the ACK still goes */
	ms_buf_free(&out);
	ms_dialog_free(d);
}

TEST(dialog_remote_cseq_order)
{
	struct ms_dialog *d = bob_dialog();
	struct ms_msg m;
	char buf[2048];
	uint32_t n = 0;
	from_alice(&m, buf, sizeof buf, "ACK", 314159, "");
	ASSERT_INT(ms_dialog_receive(d, &m), 0); /* the INVITE's number */
	from_alice(&m, buf, sizeof buf, "INFO", 314160, "");
	ASSERT_INT(ms_dialog_receive(d, &m), 0);
	ASSERT_INT(ms_dialog_remote_cseq(d, &n), 0);
	ASSERT_INT(n, 314160);
	/* Another request with the same number, and an older one. */
	from_alice(&m, buf, sizeof buf, "INFO", 314160, "");
	ASSERT_INT(ms_dialog_receive(d, &m), MS_ERANGE);
	from_alice(&m, buf, sizeof buf, "OPTIONS", 314158, "");
	ASSERT_INT(ms_dialog_receive(d, &m), MS_ERANGE);
	ASSERT_INT(ms_dialog_remote_cseq(d, &n), 0);
	ASSERT_INT(n, 314160);
	/* A late ACK of the INVITE passes; an ACK of no INVITE does not. */
	from_alice(&m, buf, sizeof buf, "ACK", 314159, "");
	ASSERT_INT(ms_dialog_receive(d, &m), 0);
	from_alice(&m, buf, sizeof buf, "ACK", 314161, "");
	ASSERT_INT(ms_dialog_receive(d, &m), MS_ERANGE);
	/* A CANCEL is the transaction layer's: nothing changes. */
	from_alice(&m, buf, sizeof buf, "CANCEL", 314170, "");
	ASSERT_INT(ms_dialog_receive(d, &m), 0);
	ASSERT_INT(ms_dialog_remote_cseq(d, &n), 0);
	ASSERT_INT(n, 314160);
	ASSERT_INT(ms_dialog_state(d), MS_DIALOG_EARLY);
	ms_dialog_free(d);

	/* A UAC dialog takes whatever number the peer starts with. */
	d = alice_confirmed(RR_P2_P1 BOB_CONTACT);
	from_bob(&m, buf, sizeof buf, "ACK", 1, "");
	ASSERT_INT(ms_dialog_receive(d, &m), MS_ERANGE); /* no INVITE of bob's */
	from_bob(&m, buf, sizeof buf, "INFO", 1, "");
	ASSERT_INT(ms_dialog_receive(d, &m), 0);
	ASSERT_INT(ms_dialog_remote_cseq(d, &n), 0);
	ASSERT_INT(n, 1);
	ASSERT_INT(ms_dialog_local_cseq(d), 314159);
	ms_dialog_free(d);
}

TEST(dialog_target_refresh_by_request)
{
	struct ms_dialog *d = bob_dialog();
	struct ms_msg m;
	char buf[2048];
	struct ms_buf out;
	ms_buf_init(&out);
	ASSERT_INT(ms_dialog_uas_confirm(d), 0);
	from_alice(&m, buf, sizeof buf, "INVITE", 314160,
		   "Contact: <sip:alice@198.51.100.7:5062;transport=tcp>\r\n");
	ASSERT_INT(ms_dialog_receive(d, &m), 0);
	ASSERT_STR(ms_dialog_remote_target(d), "sip:alice@198.51.100.7:5062;transport=tcp");
	request(d, "INFO", NULL, &out);
	const char *first = "INFO sip:alice@198.51.100.7:5062;transport=tcp SIP/2.0\r\n";
	ASSERT_STR(head(&out, strlen(first)), first);
	/* The route set stays what the INVITE recorded. */
	ASSERT_INT(ms_dialog_route_count(d), 2);
	/* No Contact: the target stays; INFO refreshes nothing. */
	from_alice(&m, buf, sizeof buf, "UPDATE", 314161, "");
	ASSERT_INT(ms_dialog_receive(d, &m), 0);
	from_alice(&m, buf, sizeof buf, "INFO", 314162, "Contact: <sip:alice@203.0.113.9>\r\n");
	ASSERT_INT(ms_dialog_receive(d, &m), 0);
	ASSERT_STR(ms_dialog_remote_target(d), "sip:alice@198.51.100.7:5062;transport=tcp");
	/* A target that cannot be one: 400, and nothing changes. */
	from_alice(&m, buf, sizeof buf, "INVITE", 314163, "Contact: <tel:+15551234567>\r\n");
	ASSERT_INT(ms_dialog_receive(d, &m), MS_EBADMSG);
	uint32_t n;
	ASSERT_INT(ms_dialog_remote_cseq(d, &n), 0);
	ASSERT_INT(n, 314162);
	ASSERT_STR(ms_dialog_remote_target(d), "sip:alice@198.51.100.7:5062;transport=tcp");
	/* UPDATE is a target refresh too (RFC 3311). */
	from_alice(&m, buf, sizeof buf, "UPDATE", 314163, "Contact: <sip:alice@203.0.113.9:5060>\r\n");
	ASSERT_INT(ms_dialog_receive(d, &m), 0);
	ASSERT_STR(ms_dialog_remote_target(d), "sip:alice@203.0.113.9:5060");
	ms_buf_free(&out);
	ms_dialog_free(d);
}

TEST(dialog_target_refresh_by_2xx)
{
	struct ms_dialog *d = alice_confirmed(RR_P2_P1 BOB_CONTACT);
	struct ms_buf out;
	ms_buf_init(&out);
	/* A re-INVITE carries the dialog's local contact by itself. */
	struct ms_dialog_extra x = { .body = MS_STR("v=0\r\n"), .content_type = MS_STR("application/sdp") };
	request(d, "INVITE", &x, &out);
	ASSERT_STR(OUT(out),
		   "INVITE sip:bob@192.0.2.20:5060 SIP/2.0\r\n"
		   "Max-Forwards: 70\r\n"
		   "Route: <sip:p1.atlanta.example.com;lr>\r\n"
		   "Route: <sip:p2.biloxi.example.com;lr>\r\n"
		   "From: " ALICE ";tag=1928301774\r\n"
		   "To: " BOB ";tag=a6c85cf\r\n"
		   "Call-ID: " CALL_ID "\r\n"
		   "CSeq: 314160 INVITE\r\n"
		   "Contact: <sip:alice@192.0.2.10:5060>\r\n"
		   "Content-Type: application/sdp\r\n"
		   "Content-Length: 5\r\n\r\n"
		   "v=0\r\n");
	struct ms_msg m;
	char buf[2048];
	/* Not a 2xx, not of a target refresh, not of this dialog, no
	 * Contact: refused, the target unchanged. */
	response_cseq(&m, buf, sizeof buf, "180 Ringing", "a6c85cf", "314160 INVITE",
		      "Contact: <sip:bob@198.51.100.20:5080>\r\n");
	ASSERT_INT(ms_dialog_target_refresh(d, &m), MS_EINVAL);
	response_cseq(&m, buf, sizeof buf, "200 OK", "a6c85cf", "314161 INFO",
		      "Contact: <sip:bob@198.51.100.20:5080>\r\n");
	ASSERT_INT(ms_dialog_target_refresh(d, &m), MS_EINVAL);
	response_cseq(&m, buf, sizeof buf, "200 OK", "other-tag", "314160 INVITE",
		      "Contact: <sip:bob@198.51.100.20:5080>\r\n");
	ASSERT_INT(ms_dialog_target_refresh(d, &m), MS_EINVAL);
	response_cseq(&m, buf, sizeof buf, "200 OK", "a6c85cf", "314160 INVITE", "");
	ASSERT_INT(ms_dialog_target_refresh(d, &m), MS_EINVAL);
	ASSERT_STR(ms_dialog_remote_target(d), "sip:bob@192.0.2.20:5060");
	/* The 2xx of the re-INVITE. */
	response_cseq(&m, buf, sizeof buf, "200 OK", "a6c85cf", "314160 INVITE",
		      "Contact: <sip:bob@198.51.100.20:5080>\r\n");
	ASSERT_INT(ms_dialog_target_refresh(d, &m), 0);
	ASSERT_STR(ms_dialog_remote_target(d), "sip:bob@198.51.100.20:5080");
	out.len = 0;
	ASSERT_INT(ms_dialog_ack(d, 314160, &out, NULL), 0);
	const char *first = "ACK sip:bob@198.51.100.20:5080 SIP/2.0\r\n";
	ASSERT_STR(head(&out, strlen(first)), first);
	ASSERT(has(&out, "\r\nCSeq: 314160 ACK\r\n"));
	ASSERT(!has(&out, "Contact:")); /* only target refreshes get it unasked */
	ms_buf_free(&out);
	ms_dialog_free(d);
}

/* The INVITE forks: two phones of bob's ring, each its own early dialog
 * with its own route; the second answers with a Record-Route of its own. */
TEST(dialog_forked_early_dialogs)
{
	struct ms_dialog *d1 = NULL, *d2 = NULL;
	ASSERT_INT(alice_new(&d1, "180 Ringing", "t-bob1", RR_P2_P1 BOB_CONTACT), 0);
	ASSERT_INT(
		alice_new(&d2, "183 Session Progress", "t-bob2",
			  "Record-Route: <sip:p3.biloxi.example.com;lr>, <sip:p1.atlanta.example.com;lr>\r\n"
			  "Contact: <sip:bob@192.0.2.21:5070>\r\n"),
		0);
	ASSERT_INT(ms_dialog_state(d1), MS_DIALOG_EARLY);
	ASSERT_INT(ms_dialog_state(d2), MS_DIALOG_EARLY);
	ASSERT_STR(ms_dialog_route(d2, 1), "sip:p3.biloxi.example.com;lr");

	struct ms_msg r1, r2, trying, ok2;
	char b1[2048], b2[2048], b3[2048], b4[2048];
	response(&r1, b1, sizeof b1, "180 Ringing", "t-bob1", "");
	response(&r2, b2, sizeof b2, "180 Ringing", "t-bob2", "");
	response(&trying, b3, sizeof b3, "100 Trying", "", "");
	ASSERT(ms_dialog_matches(d1, &r1));
	ASSERT(!ms_dialog_matches(d1, &r2));
	ASSERT(ms_dialog_matches(d2, &r2));
	ASSERT(!ms_dialog_matches(d2, &r1));
	ASSERT(!ms_dialog_matches(d1, &trying));
	ASSERT(!ms_dialog_matches(d2, &trying));

	/* The 2xx of the second phone: only its dialog takes it, and its
	 * route set replaces the 183's. */
	response(&ok2, b4, sizeof b4, "200 OK", "t-bob2",
		 "Record-Route: <sip:p1.atlanta.example.com;lr>\r\nContact: <sip:bob@192.0.2.21:5071>\r\n");
	ASSERT(!ms_dialog_matches(d1, &ok2));
	ASSERT_INT(ms_dialog_confirm(d1, &ok2), MS_EINVAL);
	ASSERT_INT(ms_dialog_state(d1), MS_DIALOG_EARLY);
	ASSERT_INT(ms_dialog_confirm(d2, &ok2), 0);
	ASSERT_INT(ms_dialog_state(d2), MS_DIALOG_CONFIRMED);
	ASSERT_INT(ms_dialog_route_count(d2), 1);
	ASSERT_STR(ms_dialog_route(d2, 0), "sip:p1.atlanta.example.com;lr");
	ASSERT_STR(ms_dialog_remote_target(d2), "sip:bob@192.0.2.21:5071");
	/* Once confirmed, another 2xx of the INVITE (a retransmission)
	 * changes nothing. */
	struct ms_msg ok2b;
	char b5[2048];
	response(&ok2b, b5, sizeof b5, "200 OK", "t-bob2", RR_P2_P1 BOB_CONTACT);
	ASSERT_INT(ms_dialog_confirm(d2, &ok2b), 0);
	ASSERT_INT(ms_dialog_state(d2), MS_DIALOG_CONFIRMED);
	ASSERT_INT(ms_dialog_route_count(d2), 1);
	ASSERT_STR(ms_dialog_remote_target(d2), "sip:bob@192.0.2.21:5071");

	struct ms_buf out;
	ms_buf_init(&out);
	ASSERT_INT(ms_dialog_ack(d2, 314159, &out, NULL), 0);
	ASSERT_STR(OUT(out),
		   "ACK sip:bob@192.0.2.21:5071 SIP/2.0\r\n"
		   "Max-Forwards: 70\r\n"
		   "Route: <sip:p1.atlanta.example.com;lr>\r\n"
		   "From: " ALICE ";tag=1928301774\r\n"
		   "To: " BOB ";tag=t-bob2\r\n"
		   "Call-ID: " CALL_ID "\r\n"
		   "CSeq: 314159 ACK\r\n"
		   "Content-Length: 0\r\n\r\n");
	/* The other phone's early dialog ends with the call's 2xx elsewhere
	 * (the UA's choice: here it gives up on it). */
	ms_dialog_terminate(d1);
	ASSERT_INT(ms_dialog_state(d1), MS_DIALOG_TERMINATED);
	out.len = 0;
	ASSERT_INT(ms_dialog_request(d1, MS_STR("BYE"), &out, NULL), MS_EINVAL);
	ASSERT_INT(ms_dialog_confirm(d1, &r1), MS_EINVAL);
	ASSERT_INT(out.len, 0);
	ms_buf_free(&out);
	ms_dialog_free(d1);
	ms_dialog_free(d2);
}

TEST(dialog_refuses_missing_tag_and_contact)
{
	struct ms_dialog *d = NULL;
	ASSERT_INT(alice_new(&d, "180 Ringing", "", RR_P2_P1 BOB_CONTACT), MS_EINVAL);
	ASSERT_INT(alice_new(&d, "100 Trying", "a6c85cf", BOB_CONTACT), MS_EINVAL);
	ASSERT_INT(alice_new(&d, "486 Busy Here", "a6c85cf", BOB_CONTACT), MS_EINVAL);
	ASSERT_INT(alice_new(&d, "200 OK", "a6c85cf", RR_P2_P1), MS_EINVAL);
	ASSERT_INT(alice_new(&d, "200 OK", "a6c85cf", "Contact: *\r\n"), MS_EINVAL);
	ASSERT_INT(alice_new(&d, "200 OK", "a6c85cf", "Contact: <tel:+15551234567>\r\n"), MS_EINVAL);
	ASSERT(d == NULL);

	/* A response to another INVITE, or a request in its place. */
	struct ms_msg inv, resp;
	char buf[2048];
	parse(&inv, alice_invite);
	response_cseq(&resp, buf, sizeof buf, "200 OK", "a6c85cf", "314158 INVITE", BOB_CONTACT);
	ASSERT_INT(ms_dialog_uac_new(&d, &inv, &resp), MS_EINVAL);
	ASSERT_INT(ms_dialog_uac_new(&d, &inv, &inv), MS_EINVAL);
	ASSERT(d == NULL);

	/* A 180 without Contact: the early dialog's requests go where the
	 * INVITE went, until the 2xx gives a target. */
	ASSERT_INT(alice_new(&d, "180 Ringing", "a6c85cf", RR_P2_P1), 0);
	ASSERT_STR(ms_dialog_remote_target(d), "sip:bob@biloxi.example.com");
	response(&resp, buf, sizeof buf, "200 OK", "a6c85cf", RR_P2_P1);
	ASSERT_INT(ms_dialog_confirm(d, &resp), MS_EINVAL);
	ASSERT_INT(ms_dialog_state(d), MS_DIALOG_EARLY);
	response(&resp, buf, sizeof buf, "200 OK", "a6c85cf", RR_P2_P1 BOB_CONTACT);
	ASSERT_INT(ms_dialog_confirm(d, &resp), 0);
	ASSERT_STR(ms_dialog_remote_target(d), "sip:bob@192.0.2.20:5060");
	ms_dialog_free(d);
	d = NULL;

	/* UAS: no Contact, a To tag (a re-INVITE), a bad local tag or
	 * contact. */
	bob_invite_with(&inv, buf, sizeof buf, BOB_RR, "", "");
	ASSERT_INT(ms_dialog_uas_new(&d, &inv, MS_STR("a6c85cf"), MS_STR_NULL, false), MS_EINVAL);
	bob_invite_with(&inv, buf, sizeof buf, BOB_RR, ";tag=a6c85cf", ALICE_CONTACT);
	ASSERT_INT(ms_dialog_uas_new(&d, &inv, MS_STR("a6c85cf"), MS_STR_NULL, false), MS_EINVAL);
	bob_invite(&inv, buf, sizeof buf, BOB_RR);
	ASSERT_INT(ms_dialog_uas_new(&d, &inv, MS_STR("a6 c85cf"), MS_STR_NULL, false), MS_EINVAL);
	ASSERT_INT(ms_dialog_uas_new(&d, &inv, MS_STR(""), MS_STR_NULL, false), MS_EINVAL);
	ASSERT_INT(ms_dialog_uas_new(&d, &inv, MS_STR("a6c85cf"), MS_STR("*"), false), MS_EINVAL);
	ASSERT_INT(
		ms_dialog_uas_new(&d, &inv, MS_STR("a6c85cf"), MS_STR("<sip:bob@192.0.2.20>\r\nX: y"), false),
		MS_EINVAL);
	response(&resp, buf, sizeof buf, "200 OK", "a6c85cf", BOB_CONTACT);
	ASSERT_INT(ms_dialog_uas_new(&d, &resp, MS_STR("a6c85cf"), MS_STR_NULL, false), MS_EINVAL);
	ASSERT(d == NULL);
	ms_dialog_free(NULL);
}

/* Requests built on one side parse, check and are taken by the other. */
TEST(dialog_built_request_parses)
{
	struct ms_dialog *alice = alice_confirmed(RR_P2_P1 BOB_CONTACT), *bob = bob_dialog();
	struct ms_buf out, wire;
	ms_buf_init(&out);
	ms_buf_init(&wire);
	static const char *const headers[] = { "Subject", "tones", "X-Info", "1", NULL };
	struct ms_dialog_extra x = {
		.contact = MS_STR("<sip:alice@192.0.2.10:5060;transport=udp>"),
		.headers = headers,
		.body = MS_STR("Signal=5\r\nDuration=160\r\n"),
		.content_type = MS_STR("application/dtmf-relay"),
	};
	request(alice, "INFO", &x, &out);
	struct ms_msg m;
	with_via(&m, &wire, &out);
	ASSERT_STR(ms_msg_ruri(&m)->text, "sip:bob@192.0.2.20:5060");
	uint32_t n = 0;
	ASSERT_INT(ms_msg_max_forwards(&m, &n), 0);
	ASSERT_INT(n, 70);
	ASSERT_INT(ms_msg_hdr_count(&m, MS_HDR_ROUTE), 2);
	ASSERT_STR(ms_msg_hdr(&m, MS_HDR_ROUTE)->value, "<sip:p1.atlanta.example.com;lr>");
	ASSERT_STR(ms_msg_from(&m)->tag, "1928301774");
	ASSERT_STR(ms_msg_to(&m)->tag, "a6c85cf");
	ASSERT_STR(*ms_msg_call_id(&m), CALL_ID);
	ASSERT_INT(ms_msg_cseq(&m)->num, 314160);
	ASSERT_INT(ms_msg_cseq(&m)->method, MS_METHOD_INFO);
	ASSERT_STR(ms_msg_contact(&m)->na.uri.text, "sip:alice@192.0.2.10:5060;transport=udp");
	ASSERT_STR(ms_msg_hdr_by_name(&m, "Subject", 7)->value, "tones");
	ASSERT_STR(ms_msg_hdr_by_name(&m, "X-Info", 6)->value, "1");
	ASSERT_STR(ms_msg_hdr(&m, MS_HDR_CONTENT_TYPE)->value, "application/dtmf-relay");
	ASSERT_STR(m.body, "Signal=5\r\nDuration=160\r\n");
	/* Bob's dialog takes alice's request. */
	ASSERT(ms_dialog_matches(bob, &m));
	ASSERT(!ms_dialog_matches(alice, &m)); /* alice's own request is no request to her */
	ASSERT_INT(ms_dialog_receive(bob, &m), 0);
	ASSERT_INT(ms_dialog_remote_cseq(bob, &n), 0);
	ASSERT_INT(n, 314160);

	/* Bob's answer to it belongs to alice's dialog. */
	struct ms_buf ans;
	ms_buf_init(&ans);
	ASSERT_INT(ms_build_response(&ans, &m, 200, MS_STR_NULL, MS_STR_NULL), 0);
	ASSERT_INT(ms_build_end(&ans, MS_STR_NULL, MS_STR_NULL), 0);
	struct ms_msg r;
	parse_n(&r, ans.data, ans.len);
	ASSERT(ms_dialog_matches(alice, &r));
	ASSERT(!ms_dialog_matches(bob, &r));

	/* Bob hangs up; alice's dialog takes the BYE and ends. */
	request(bob, "BYE", NULL, &out);
	with_via(&m, &wire, &out);
	ASSERT(ms_dialog_matches(alice, &m));
	ASSERT_INT(ms_dialog_receive(alice, &m), 0);
	ASSERT_INT(ms_dialog_state(alice), MS_DIALOG_TERMINATED);
	ASSERT_INT(ms_dialog_receive(alice, &m), MS_ENOENT); /* then 481 */
	ms_buf_free(&ans);
	ms_buf_free(&out);
	ms_buf_free(&wire);
	ms_dialog_free(alice);
	ms_dialog_free(bob);
}

TEST(dialog_extra_refused)
{
	struct ms_dialog *d = alice_confirmed(RR_P2_P1 BOB_CONTACT);
	struct ms_buf out;
	ms_buf_init(&out);
	ASSERT_INT(ms_buf_addz(&out, "kept"), 0);
	static const char *const owned[][3] = {
		{ "Call-ID", "x", NULL },        { "i", "x", NULL },
		{ "v", "SIP/2.0/UDP h", NULL },  { "Route", "<sip:x>", NULL },
		{ "content-length", "0", NULL }, { "Subject", NULL, NULL },
		{ "Bad Name", "x", NULL },       { "Subject", "a\r\nInjected: 1", NULL },
	};
	for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) {
		struct ms_dialog_extra x = { .headers = owned[i] };
		ASSERT_INT(ms_dialog_request(d, MS_STR("INFO"), &out, &x), MS_EINVAL);
	}
	struct ms_dialog_extra body = { .body = MS_STR("x") };
	ASSERT_INT(ms_dialog_request(d, MS_STR("INFO"), &out, &body), MS_EINVAL);
	struct ms_dialog_extra contact = { .contact = MS_STR("<sip:a@b>\r\nX: 1") };
	ASSERT_INT(ms_dialog_request(d, MS_STR("INFO"), &out, &contact), MS_EINVAL);
	ASSERT_INT(ms_dialog_request(d, MS_STR("BY E"), &out, NULL), MS_EINVAL);
	ASSERT_INT(ms_dialog_request(d, MS_STR(""), &out, NULL), MS_EINVAL);
	ASSERT_STR(OUT(out), "kept");
	ASSERT_INT(ms_dialog_local_cseq(d), 314159);
	/* An extension method is a request like any other. */
	request(d, "FOO", NULL, &out);
	ASSERT(has(&out, "\r\nCSeq: 314160 FOO\r\n"));
	ms_buf_free(&out);
	ms_dialog_free(d);
}

TEST(dialog_matching)
{
	struct ms_dialog *d = bob_dialog();
	struct ms_msg m;
	char buf[2048];
	from_alice(&m, buf, sizeof buf, "INFO", 314160, "");
	ASSERT(ms_dialog_matches(d, &m));
	/* Tags are tokens, compared without case; Call-IDs byte by byte. */
	to_bob(&m, buf, sizeof buf, "INFO", 314160, ALICE ";tag=1928301774", BOB ";tag=A6C85CF", CALL_ID, "");
	ASSERT(ms_dialog_matches(d, &m));
	to_bob(&m, buf, sizeof buf, "INFO", 314160, ALICE ";tag=1928301774", BOB ";tag=a6c85cf",
	       "A84B4C76E66710@pc33.atlanta.example.com", "");
	ASSERT(!ms_dialog_matches(d, &m));
	ASSERT_INT(ms_dialog_receive(d, &m), MS_EINVAL);
	to_bob(&m, buf, sizeof buf, "INFO", 314160, ALICE ";tag=1928301775", BOB ";tag=a6c85cf", CALL_ID, "");
	ASSERT(!ms_dialog_matches(d, &m));
	to_bob(&m, buf, sizeof buf, "INFO", 314160, ALICE ";tag=1928301774", BOB, CALL_ID, "");
	ASSERT(!ms_dialog_matches(d, &m));
	/* The tags swapped: bob's own request, looped back. */
	to_bob(&m, buf, sizeof buf, "INFO", 314160, BOB ";tag=a6c85cf", ALICE ";tag=1928301774", CALL_ID, "");
	ASSERT(!ms_dialog_matches(d, &m));
	/* Responses: our tag in From. A response to alice's request is
	 * not of bob's dialog; one to bob's is. */
	response_cseq(&m, buf, sizeof buf, "200 OK", "a6c85cf", "314160 INFO", "");
	ASSERT(!ms_dialog_matches(d, &m));
	ASSERT_INT(ms_dialog_receive(d, &m), MS_EINVAL); /* not a request */
	snprintf(buf, sizeof buf,
		 "SIP/2.0 200 OK\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKbob1;received=192.0.2.20\r\n"
		 "From: " BOB ";tag=a6c85cf\r\n"
		 "To: " ALICE ";tag=1928301774\r\n"
		 "Call-ID: " CALL_ID "\r\n"
		 "CSeq: 1 INFO\r\n"
		 "Content-Length: 0\r\n\r\n");
	parse(&m, buf);
	ASSERT(ms_dialog_matches(d, &m));
	ms_dialog_free(d);
}

TEST(dialog_bye_terminates)
{
	struct ms_dialog *d = bob_dialog();
	struct ms_msg m;
	char buf[2048];
	struct ms_buf out;
	ms_buf_init(&out);
	ASSERT_INT(ms_dialog_uas_confirm(d), 0);
	from_alice(&m, buf, sizeof buf, "BYE", 314160, "");
	ASSERT_INT(ms_dialog_receive(d, &m), 0);
	ASSERT_INT(ms_dialog_state(d), MS_DIALOG_TERMINATED);
	from_alice(&m, buf, sizeof buf, "INFO", 314161, "");
	ASSERT_INT(ms_dialog_receive(d, &m), MS_ENOENT);
	ASSERT_INT(ms_dialog_request(d, MS_STR("INFO"), &out, NULL), MS_EINVAL);
	ASSERT_INT(ms_dialog_ack(d, 1, &out, NULL), MS_EINVAL);
	ASSERT_INT(ms_dialog_uas_confirm(d), MS_EINVAL);
	ASSERT_INT(out.len, 0);
	ms_buf_free(&out);
	ms_dialog_free(d);
}

/* From and To as the peer wrote them come back in our requests: display
 * names unfolded, other parameters kept, addr-spec put in <>, and a From
 * without a tag (RFC 2543) gives a To without one. */
TEST(dialog_uris_rewritten)
{
	static const char inv_text[] =
		"INVITE sip:bob@192.0.2.20 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds9\r\n"
		"Max-Forwards: 70\r\n"
		"To: sip:bob@biloxi.example.com\r\n"
		"From: Alice\r\n Liddell <sip:alice@atlanta.example.com>;x-id=42;tag=88sja8x;y\r\n"
		"Call-ID: 12345@192.0.2.10\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sip:alice@192.0.2.10>\r\n"
		"Content-Length: 0\r\n\r\n";
	struct ms_msg inv;
	struct ms_dialog *d;
	struct ms_buf out;
	ms_buf_init(&out);
	parse(&inv, inv_text);
	ASSERT_INT(ms_dialog_uas_new(&d, &inv, MS_STR("b0b"), MS_STR_NULL, false), 0);
	ASSERT_STR(ms_dialog_remote_uri(d), "Alice Liddell <sip:alice@atlanta.example.com>;x-id=42;y");
	ASSERT_STR(ms_dialog_local_uri(d), "<sip:bob@biloxi.example.com>");
	ASSERT_INT(ms_dialog_route_count(d), 0);
	struct ms_str hop;
	ms_dialog_next_hop(d, &hop);
	ASSERT_STR(hop, "sip:alice@192.0.2.10");
	request(d, "BYE", NULL, &out);
	ASSERT_STR(OUT(out),
		   "BYE sip:alice@192.0.2.10 SIP/2.0\r\n"
		   "Max-Forwards: 70\r\n"
		   "From: <sip:bob@biloxi.example.com>;tag=b0b\r\n"
		   "To: Alice Liddell <sip:alice@atlanta.example.com>;x-id=42;y;tag=88sja8x\r\n"
		   "Call-ID: 12345@192.0.2.10\r\n"
		   "CSeq: 1 BYE\r\n"
		   "Content-Length: 0\r\n\r\n");
	ms_dialog_free(d);

	char buf[1024];
	snprintf(buf, sizeof buf, "%s", inv_text);
	char *tag = strstr(buf, ";tag=88sja8x");
	memmove(tag, tag + 12, strlen(tag + 12) + 1);
	parse(&inv, buf);
	ASSERT_INT(ms_dialog_uas_new(&d, &inv, MS_STR("b0b"), MS_STR_NULL, false), 0);
	ASSERT_INT(ms_dialog_remote_tag(d).len, 0);
	request(d, "BYE", NULL, &out);
	ASSERT(has(&out, "\r\nTo: Alice Liddell <sip:alice@atlanta.example.com>;x-id=42;y\r\n"));
	ms_buf_free(&out);
	ms_dialog_free(d);
}

TEST(dialog_secure_flag)
{
	char buf[2048];
	struct ms_msg inv, resp;
	struct ms_dialog *d;
	snprintf(buf, sizeof buf, "INVITE sips:%s", alice_invite + strlen("INVITE sip:"));
	parse(&inv, buf);
	char rbuf[2048];
	response(&resp, rbuf, sizeof rbuf, "200 OK", "a6c85cf", "Contact: <sips:bob@192.0.2.20:5061>\r\n");
	ASSERT_INT(ms_dialog_uac_new(&d, &inv, &resp), 0);
	ASSERT(ms_dialog_secure(d));
	ms_dialog_free(d);

	/* A UAS: a sips Request-URI over TLS only. */
	snprintf(buf, sizeof buf,
		 "INVITE sips:bob@biloxi.example.com SIP/2.0\r\n"
		 "Via: SIP/2.0/TLS 192.0.2.10:5061;branch=z9hG4bKnashds7\r\n"
		 "Max-Forwards: 70\r\n"
		 "To: <sips:bob@biloxi.example.com>\r\n"
		 "From: <sips:alice@atlanta.example.com>;tag=1\r\n"
		 "Call-ID: tls-1@192.0.2.10\r\n"
		 "CSeq: 1 INVITE\r\n"
		 "Contact: <sips:alice@192.0.2.10:5061>\r\n"
		 "Content-Length: 0\r\n\r\n");
	parse(&inv, buf);
	ASSERT_INT(ms_dialog_uas_new(&d, &inv, MS_STR("2"), MS_STR_NULL, true), 0);
	ASSERT(ms_dialog_secure(d));
	ms_dialog_free(d);
	ASSERT_INT(ms_dialog_uas_new(&d, &inv, MS_STR("2"), MS_STR_NULL, false), 0);
	ASSERT(!ms_dialog_secure(d));
	ms_dialog_free(d);
	bob_invite(&inv, buf, sizeof buf, BOB_RR);
	ASSERT_INT(ms_dialog_uas_new(&d, &inv, MS_STR("2"), MS_STR_NULL, true), 0);
	ASSERT(!ms_dialog_secure(d)); /* TLS, but a sip Request-URI */
	ms_dialog_free(d);
}

/* Record-Route lines of 'n' URIs, each 'pad' bytes of host name long. */
static char *record_route(unsigned n, size_t pad)
{
	size_t size = 32 + n * (pad + 32);
	char *s = malloc(size), *p = s;
	ASSERT(s);
	p += sprintf(p, "Record-Route: ");
	for (unsigned i = 0; i < n; i++) {
		p += sprintf(p, "%s<sip:p%u.", i ? ", " : "", i);
		memset(p, 'a', pad);
		p += pad;
		p += sprintf(p, ".example.com;lr>");
	}
	sprintf(p, "\r\n");
	return s;
}

TEST(dialog_bounds)
{
	struct ms_dialog *d = NULL;
	struct ms_msg inv;
	static char buf[20000];
	char *rr = record_route(MS_DIALOG_MAX_ROUTES, 1);
	bob_invite(&inv, buf, sizeof buf, rr);
	ASSERT_INT(ms_dialog_uas_new(&d, &inv, MS_STR("t"), MS_STR_NULL, false), 0);
	ASSERT_INT(ms_dialog_route_count(d), MS_DIALOG_MAX_ROUTES);
	ASSERT_STR(ms_dialog_route(d, 31), "sip:p31.a.example.com;lr");
	ms_dialog_free(d);
	free(rr);
	d = NULL;
	rr = record_route(MS_DIALOG_MAX_ROUTES + 1, 1);
	bob_invite(&inv, buf, sizeof buf, rr);
	ASSERT_INT(ms_dialog_uas_new(&d, &inv, MS_STR("t"), MS_STR_NULL, false), MS_EMSGSIZE);
	free(rr);
	/* Two routes, over the bound in all. */
	rr = record_route(2, MS_DIALOG_MAX_TEXT / 2);
	bob_invite(&inv, buf, sizeof buf, rr);
	ASSERT_INT(ms_dialog_uas_new(&d, &inv, MS_STR("t"), MS_STR_NULL, false), MS_EMSGSIZE);
	free(rr);
	/* A Call-ID longer than the bound; one at it passes. */
	for (int over = 0; over < 2; over++) {
		char id[MS_DIALOG_MAX_TEXT + 2];
		memset(id, 'c', sizeof id);
		id[MS_DIALOG_MAX_TEXT + over] = '\0';
		snprintf(buf, sizeof buf,
			 "INVITE sip:bob@192.0.2.20 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds9\r\n"
			 "To: <sip:bob@biloxi.example.com>\r\n"
			 "From: <sip:alice@atlanta.example.com>;tag=1\r\n"
			 "Call-ID: %s\r\n"
			 "CSeq: 1 INVITE\r\n"
			 "Contact: <sip:alice@192.0.2.10>\r\n"
			 "Content-Length: 0\r\n\r\n",
			 id);
		parse(&inv, buf);
		ASSERT_INT(ms_dialog_uas_new(&d, &inv, MS_STR("t"), MS_STR_NULL, false),
			   over ? MS_EMSGSIZE : 0);
		ms_dialog_free(d);
		d = NULL;
	}
}
