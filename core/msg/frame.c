/* Framing messages on a stream (RFC 3261 §18.3): the header section ends at
 * the first empty line, and Content-Length, mandatory here, gives the body.
 * CRLF keep-alives between messages are skipped (RFC 5626 §3.5.1). */
#include <string.h>

#include "moonsip/hdr.h"
#include "moonsip/stream.h"
#include "msg/lex.h"

void ms_framer_init(struct ms_framer *f, size_t max)
{
	memset(f, 0, sizeof *f);
	f->max = max ? max : MS_FRAME_DEFAULT_MAX;
	if (f->max > INT32_MAX)
		f->max = INT32_MAX; /* sizes come back as int */
}

static int give_up(struct ms_framer *f, const char *why, int rc)
{
	f->why = why;
	return rc;
}

/* The empty line ending the header section, searched from 'from'. */
static size_t header_end(const char *p, size_t n, size_t from)
{
	for (size_t i = from; i + 4 <= n;) {
		const char *cr = memchr(p + i, '\r', n - i - 3);
		if (!cr)
			break;
		i = (size_t)(cr - p);
		if (!memcmp(cr, "\r\n\r\n", 4))
			return i + 4;
		i++;
	}
	return 0;
}

/* Finds Content-Length in the header block [p, p + n). */
static int content_length(struct ms_framer *f, const char *p, size_t n)
{
	const char *end = p + n, *line = memchr(p, '\n', n);
	bool found = false;
	uint32_t len = 0;
	while (line && ++line < end) {
		const char *colon = memchr(line, ':', (size_t)(end - line));
		const char *eol = memchr(line, '\r', (size_t)(end - line));
		if (!colon || !eol || colon > eol) {
			line = memchr(line, '\n', (size_t)(end - line));
			continue;
		}
		struct ms_str name = ms__str_trim((struct ms_str){ line, (size_t)(colon - line) });
		if (ms_hdr_lookup(name.s, name.len) == MS_HDR_CONTENT_LENGTH) {
			/* The value runs to the CRLF not followed by folding. */
			while (eol + 2 < end && (eol[2] == ' ' || eol[2] == '\t'))
				eol = memchr(eol + 2, '\r', (size_t)(end - eol - 2));
			uint32_t v;
			const char *why;
			struct ms_str value = { colon + 1, (size_t)(eol - colon - 1) };
			if (ms_uint_hdr_parse(&v, value, UINT32_MAX, &why) < 0)
				return give_up(f, "bad Content-Length", MS_EBADMSG);
			if (found && v != len)
				return give_up(f, "conflicting Content-Length values", MS_EBADMSG);
			found = true;
			len = v;
		}
		line = memchr(eol, '\n', (size_t)(end - eol));
	}
	if (!found)
		return give_up(f, "missing Content-Length", MS_EBADMSG);
	f->body_len = len;
	return 0;
}

/* Leading CR and LF between messages; a message never starts with one.
 * Two line ends in a row before a message are a ping. Once a message has
 * begun they were counted already (a caller that did not drop them passes
 * them again), so they are skipped without counting. */
static size_t keepalives(struct ms_framer *f, const char *buf, size_t len, bool *pong)
{
	size_t s = 0;
	for (; s < len && (buf[s] == '\r' || buf[s] == '\n'); s++) {
		if (!f->scanned && buf[s] == '\n' && ++f->crlfs == 2) {
			*pong = true;
			f->crlfs = 0;
		}
	}
	return s;
}

int ms_framer_next(struct ms_framer *f, const char *buf, size_t len, size_t *skip, bool *pong)
{
	*pong = false;
	if (!buf)
		buf = "";
	*skip = keepalives(f, buf, len, pong);
	const char *p = buf + *skip;
	size_t n = len - *skip;
	if (n == 0)
		return MS_EAGAIN;
	f->crlfs = 0;
	/* Every start line begins with a token (a method, or "SIP" of a status
	 * line): anything else is not SIP, and waiting for an empty line that
	 * may never come would only hold the connection. */
	if (!ms__cc_is(p[0], MS_CC_TOKEN))
		return give_up(f, "not a SIP message", MS_EBADMSG);
	if (!f->hdr_len) {
		size_t end = header_end(p, n, f->scanned > 3 ? f->scanned - 3 : 0);
		if (!end) {
			f->scanned = n;
			return n > f->max ? give_up(f, "header section too large", MS_EMSGSIZE) : MS_EAGAIN;
		}
		if (end > f->max)
			return give_up(f, "header section too large", MS_EMSGSIZE);
		int rc = content_length(f, p, end);
		if (rc)
			return rc;
		if (f->body_len > f->max - end)
			return give_up(f, "message too large", MS_EMSGSIZE);
		f->hdr_len = end;
	}
	f->scanned = n;
	size_t total = f->hdr_len + f->body_len;
	if (n < total)
		return MS_EAGAIN;
	f->scanned = f->hdr_len = f->body_len = 0;
	return (int)total;
}
