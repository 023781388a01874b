/* Message bodies: finding the SDP, directly or in a multipart body
 * (RFC 5621, RFC 2046 §5.1). */
#include <string.h>

#include "base/str.h"
#include "moonsip/msg.h"
#include "msg/lex.h"

/* First occurrence of needle in [p, end), or NULL. */
static const char *find(const char *p, const char *end, const char *needle, size_t n)
{
	while (n && (size_t)(end - p) >= n) {
		p = memchr(p, needle[0], (size_t)(end - p) - n + 1);
		if (!p)
			return NULL;
		if (!memcmp(p, needle, n))
			return p;
		p++;
	}
	return NULL;
}

/* The next delimiter line "--boundary" at or after p that starts a line. */
static const char *delimiter(const char *start, const char *p, const char *end, struct ms_str b)
{
	for (; p < end; p++) {
		p = find(p, end, "--", 2);
		if (!p)
			return NULL;
		bool at_line = p == start || (p - start >= 2 && p[-2] == '\r' && p[-1] == '\n');
		if (at_line && (size_t)(end - p - 2) >= b.len && !memcmp(p + 2, b.s, b.len))
			return p;
	}
	return NULL;
}

static struct ms_str part_ctype(struct ms_str headers)
{
	const char *p = headers.s, *end = headers.s + headers.len;
	while (p < end) {
		const char *eol = find(p, end, "\r\n", 2);
		if (!eol)
			eol = end;
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (colon) {
			struct ms_str name = ms__str_trim((struct ms_str){ p, (size_t)(colon - p) });
			if (ms_hdr_lookup(name.s, name.len) == MS_HDR_CONTENT_TYPE)
				return ms__str_trim((struct ms_str){ colon + 1, (size_t)(eol - colon - 1) });
		}
		p = eol + 2;
	}
	return MS_STR_NULL;
}

int ms_multipart_next(struct ms_str body, struct ms_str boundary, size_t *pos, struct ms_body_part *part)
{
	if (boundary.len == 0 || body.len == 0)
		return MS_ENOENT;
	const char *start = body.s, *end = body.s + body.len;
	const char *d = delimiter(start, start + *pos, end, boundary);
	if (!d)
		return *pos ? MS_EBADMSG : MS_ENOENT;
	const char *p = d + 2 + boundary.len;
	if (end - p >= 2 && p[0] == '-' && p[1] == '-')
		return MS_ENOENT; /* close-delimiter */
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
		return MS_EBADMSG;
	p += 2;
	const char *next = delimiter(start, p, end, boundary);
	if (!next || next - p < 2)
		return MS_EBADMSG;
	const char *pend = next - 2; /* the CRLF before a delimiter belongs to it */
	const char *hend = p;
	if (!(pend - p >= 2 && p[0] == '\r' && p[1] == '\n')) {
		hend = find(p, pend, "\r\n\r\n", 4);
		if (!hend)
			return MS_EBADMSG;
		hend += 2;
	}
	part->headers = (struct ms_str){ p, (size_t)(hend - p) };
	part->content_type = part_ctype(part->headers);
	part->content = (struct ms_str){ hend + 2, (size_t)(pend - hend - 2) };
	if (pend < hend + 2)
		part->content = (struct ms_str){ pend, 0 };
	*pos = (size_t)(next - start);
	return 0;
}

static bool is_sdp(const struct ms_ctype *c)
{
	return MS__IEQ(c->type, "application") && MS__IEQ(c->subtype, "sdp");
}

int ms_msg_sdp(const struct ms_msg *m, struct ms_str *out)
{
	const struct ms_hdr *h = ms_msg_hdr(m, MS_HDR_CONTENT_TYPE);
	struct ms_ctype c;
	const char *why;
	if (!h || !m->body.len || ms_ctype_parse(&c, h->value, &why) < 0)
		return MS_ENOENT;
	if (is_sdp(&c)) {
		*out = m->body;
		return 0;
	}
	if (!MS__IEQ(c.type, "multipart"))
		return MS_ENOENT;
	size_t pos = 0;
	struct ms_body_part part;
	int rc;
	while ((rc = ms_multipart_next(m->body, c.boundary, &pos, &part)) == 0) {
		struct ms_ctype pc;
		if (ms_ctype_parse(&pc, part.content_type, &why) == 0 && is_sdp(&pc)) {
			*out = part.content;
			return 0;
		}
	}
	return rc == MS_EBADMSG ? MS_EBADMSG : MS_ENOENT;
}
