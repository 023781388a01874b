/* Building messages line by line, and the start of a response copied from
 * its request (RFC 3261 §8.2.6). Each function appends whole lines or, on
 * failure, leaves the buffer as it was. Nothing a caller passes can add a
 * line of its own: values with CR or LF are refused. */
#include <string.h>

#include "base/str.h"
#include "moonsip/edit.h"
#include "msg/lex.h"

static bool is_token(struct ms_str s)
{
	struct ms_lex l;
	struct ms_str tok;
	ms__lex_init(&l, s);
	return s.len && ms__lex_token(&l, &tok) && ms__lex_eof(&l);
}

/* Appends the slices all, or none when memory runs out. */
static int put(struct ms_buf *b, const struct ms_str *s, size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += s[i].len;
	int rc = ms_buf_reserve(b, total);
	for (size_t i = 0; i < n && rc == 0; i++)
		ms_buf_adds(b, s[i]);
	return rc;
}

#define PUT(b, ...)                                      \
	put((b), (const struct ms_str[]){ __VA_ARGS__ }, \
	    sizeof((const struct ms_str[]){ __VA_ARGS__ }) / sizeof(struct ms_str))

int ms_build_request_line(struct ms_buf *b, struct ms_str method, struct ms_str uri)
{
	struct ms_uri u;
	const char *why;
	/* Parsing the URI also keeps spaces and line ends out of the line. */
	if (!is_token(method) || ms_uri_parse(&u, uri.s, uri.len, &why) < 0 || u.headers.len)
		return MS_EINVAL;
	return PUT(b, method, MS_STR(" "), uri, MS_STR(" SIP/2.0\r\n"));
}

int ms_build_status_line(struct ms_buf *b, unsigned code, struct ms_str reason)
{
	char head[] = "SIP/2.0 000 ";
	if (code < 100 || code > 699)
		return MS_EINVAL;
	if (reason.len == 0) {
		const char *z = ms_reason_phrase(code);
		reason = (struct ms_str){ z, strlen(z) };
	}
	head[8] = (char)('0' + code / 100);
	head[9] = (char)('0' + code / 10 % 10);
	head[10] = (char)('0' + code % 10);
	int rc = PUT(b, { head, sizeof head - 1 }, reason, MS_STR("\r\n"));
	if (rc)
		return rc;
	/* A phrase from a script may hold anything; a control character
	 * would end the line or break the parse at the other end. */
	char *p = b->data + b->len - 2 - reason.len;
	for (size_t i = 0; i < reason.len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			p[i] = ' ';
	return 0;
}

int ms_build_header(struct ms_buf *b, struct ms_str name, struct ms_str value)
{
	if (!is_token(name) || ms__has_crlf(value.s, value.len))
		return MS_EINVAL;
	if (value.len == 0)
		return PUT(b, name, MS_STR(":\r\n"));
	return PUT(b, name, MS_STR(": "), value, MS_STR("\r\n"));
}

int ms_build_end(struct ms_buf *b, struct ms_str body, struct ms_str content_type)
{
	char clen[20];
	if (ms__has_crlf(content_type.s, content_type.len))
		return MS_EINVAL;
	size_t start = b->len;
	int rc = 0;
	if (body.len && content_type.len)
		rc = ms_build_header(b, MS_STR("Content-Type"), content_type);
	size_t n = ms__u64_dec(clen, body.len);
	if (rc == 0)
		rc = PUT(b, MS_STR("Content-Length: "), { clen, n }, MS_STR("\r\n\r\n"), body);
	if (rc)
		b->len = start;
	return rc;
}

/* "name: value[;tag=tag]" with the value's folding undone: the request's
 * bytes are valid there, but a line end in a value is not something a
 * response should carry over. */
static int copy(struct ms_buf *b, const char *name, struct ms_str value, struct ms_str tag)
{
	size_t n = strlen(name);
	int rc = ms_buf_reserve(b, n + value.len + tag.len + sizeof ": ;tag=\r\n");
	if (rc)
		return rc;
	ms_buf_add(b, name, n);
	ms_buf_addz(b, ": ");
	/* Runs between line ends are copied whole: most values have none. */
	const char *p = value.s, *end = value.s + value.len;
	while (p < end) {
		const char *cr = memchr(p, '\r', (size_t)(end - p));
		const char *stop = cr ? cr : end;
		ms_buf_add(b, p, (size_t)(stop - p));
		for (p = stop; p < end && (*p == '\r' || *p == '\n'); p++)
			;
	}
	if (tag.len) {
		ms_buf_addz(b, ";tag=");
		ms_buf_adds(b, tag);
	}
	ms_buf_addz(b, "\r\n");
	return 0;
}

/* The first entry of a type, if any: a request bad enough to lack one
 * still gets an answer with what it has. */
static int copy_first(struct ms_buf *b, struct ms_msg *req, enum ms_hdr_type t)
{
	const struct ms_hdr *h = ms_msg_hdr(req, t);
	return h ? copy(b, ms_hdr_name(t), h->value, MS_STR_NULL) : 0;
}

/* To, with the tag added when it has none. A To that does not parse is
 * copied as it is: adding a tag to it could not make it right. */
static int copy_to(struct ms_buf *b, struct ms_msg *req, struct ms_str to_tag)
{
	const struct ms_hdr *h = ms_msg_hdr(req, MS_HDR_TO);
	if (!h)
		return 0;
	const struct ms_nameaddr *to = to_tag.len ? ms_msg_to(req) : NULL;
	return copy(b, "To", h->value, to && to->tag.len == 0 ? to_tag : MS_STR_NULL);
}

int ms_build_response(struct ms_buf *b, struct ms_msg *req, unsigned code, struct ms_str reason,
		      struct ms_str to_tag)
{
	if (!req->is_request || (to_tag.len && !is_token(to_tag)))
		return MS_EINVAL;
	size_t start = b->len;
	int rc = ms_build_status_line(b, code, reason);
	for (const struct ms_hdr *h = ms_msg_hdr(req, MS_HDR_VIA); h && rc == 0; h = ms_msg_hdr_next(req, h))
		rc = copy(b, "Via", h->value, MS_STR_NULL);
	if (rc == 0)
		rc = copy_first(b, req, MS_HDR_FROM);
	if (rc == 0)
		rc = copy_to(b, req, to_tag);
	if (rc == 0)
		rc = copy_first(b, req, MS_HDR_CALL_ID);
	if (rc == 0)
		rc = copy_first(b, req, MS_HDR_CSEQ);
	if (rc)
		b->len = start;
	return rc;
}

/* RFC 3261 §21 and the codes later RFCs registered with IANA, in order. */
static const struct {
	unsigned short code;
	const char *text;
} phrases[] = {
	{ 100, "Trying" },
	{ 180, "Ringing" },
	{ 181, "Call Is Being Forwarded" },
	{ 182, "Queued" },
	{ 183, "Session Progress" },
	{ 199, "Early Dialog Terminated" }, /* RFC 6228 */
	{ 200, "OK" },
	{ 202, "Accepted" },        /* RFC 6665 */
	{ 204, "No Notification" }, /* RFC 5839 */
	{ 300, "Multiple Choices" },
	{ 301, "Moved Permanently" },
	{ 302, "Moved Temporarily" },
	{ 305, "Use Proxy" },
	{ 380, "Alternative Service" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 402, "Payment Required" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 407, "Proxy Authentication Required" },
	{ 408, "Request Timeout" },
	{ 410, "Gone" },
	{ 412, "Conditional Request Failed" }, /* RFC 3903 */
	{ 413, "Request Entity Too Large" },
	{ 414, "Request-URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 416, "Unsupported URI Scheme" },
	{ 417, "Unknown Resource-Priority" }, /* RFC 4412 */
	{ 420, "Bad Extension" },
	{ 421, "Extension Required" },
	{ 422, "Session Interval Too Small" }, /* RFC 4028 */
	{ 423, "Interval Too Brief" },
	{ 424, "Bad Location Information" },         /* RFC 6442 */
	{ 428, "Use Identity Header" },              /* RFC 8224 */
	{ 429, "Provide Referrer Identity" },        /* RFC 3892 */
	{ 430, "Flow Failed" },                      /* RFC 5626 */
	{ 433, "Anonymity Disallowed" },             /* RFC 5079 */
	{ 436, "Bad Identity Info" },                /* RFC 8224 */
	{ 437, "Unsupported Credential" },           /* RFC 8224 */
	{ 438, "Invalid Identity Header" },          /* RFC 8224 */
	{ 439, "First Hop Lacks Outbound Support" }, /* RFC 5626 */
	{ 440, "Max-Breadth Exceeded" },             /* RFC 5393 */
	{ 469, "Bad Info Package" },                 /* RFC 6086 */
	{ 470, "Consent Needed" },                   /* RFC 5360 */
	{ 480, "Temporarily Unavailable" },
	{ 481, "Call/Transaction Does Not Exist" },
	{ 482, "Loop Detected" },
	{ 483, "Too Many Hops" },
	{ 484, "Address Incomplete" },
	{ 485, "Ambiguous" },
	{ 486, "Busy Here" },
	{ 487, "Request Terminated" },
	{ 488, "Not Acceptable Here" },
	{ 489, "Bad Event" }, /* RFC 6665 */
	{ 491, "Request Pending" },
	{ 493, "Undecipherable" },
	{ 494, "Security Agreement Required" }, /* RFC 3329 */
	{ 500, "Server Internal Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Server Time-out" },
	{ 505, "Version Not Supported" },
	{ 513, "Message Too Large" },
	{ 555, "Push Notification Service Not Supported" }, /* RFC 8599 */
	{ 580, "Precondition Failure" },                    /* RFC 3312 */
	{ 600, "Busy Everywhere" },
	{ 603, "Decline" },
	{ 604, "Does Not Exist Anywhere" },
	{ 606, "Not Acceptable" },
	{ 607, "Unwanted" }, /* RFC 8197 */
	{ 608, "Rejected" }, /* RFC 8688 */
};

const char *ms_reason_phrase(unsigned code)
{
	size_t lo = 0, hi = sizeof phrases / sizeof phrases[0];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (phrases[mid].code == code)
			return phrases[mid].text;
		if (phrases[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return "Unknown";
}
