/* The first pass over a message: start line, header index (one entry per
 * list element), Content-Length and body. No allocation unless a message
 * has more header entries than fit inline. */
#include <string.h>

#include "base/alloc.h"
#include "base/str.h"
#include "moonsip/msg.h"
#include "msg/lex.h"
#include "msg/msg_private.h"

static int fail(struct ms_msg *m, const char *what, struct ms_str hdr, const char *at)
{
	return ms__msg_fail(m, what, hdr, at, MS_EBADMSG);
}

void ms_msg_init(struct ms_msg *m)
{
	m->hdrs = m->hdr_inline;
	m->cap = MS_MSG_INLINE_HDRS;
	m->nhdrs = 0;
	m->buf = NULL;
}

void ms_msg_free(struct ms_msg *m)
{
	if (m->hdrs != m->hdr_inline)
		ms__free(m->hdrs);
	ms_msg_init(m);
}

static void reset(struct ms_msg *m, const char *buf, size_t len)
{
	m->buf = buf;
	m->len = len;
	m->is_request = false;
	m->method_s = m->ruri_s = m->reason = m->version = m->body = MS_STR_NULL;
	m->method = MS_METHOD_OTHER;
	m->status = 0;
	m->hdr_end = 0;
	m->has_clen = false;
	m->clen = 0;
	m->nhdrs = 0;
	memset(m->first, 0, sizeof m->first);
	memset(m->last, 0, sizeof m->last);
	memset(&m->err, 0, sizeof m->err);
	m->parsed = 0;
}

/* "SIP/2.0". Returns 1 for 2.0, 0 for another well-formed version (the
 * caller answers 505), -1 when it is not a version at all. */
static int version(struct ms_str v)
{
	if (v.len < 7 || !ms__mem_ieq(v.s, "SIP/", 4))
		return -1;
	size_t i = 4, d1 = 0, d2 = 0;
	while (i < v.len && ms__is_digit(v.s[i]))
		i++, d1++;
	if (i == v.len || v.s[i] != '.')
		return -1;
	for (i++; i < v.len && ms__is_digit(v.s[i]); i++)
		d2++;
	if (!d1 || !d2 || i != v.len)
		return -1;
	return v.len == 7 && v.s[4] == '2' && v.s[6] == '0';
}

static int status_line(struct ms_msg *m, const char *p, const char *eol)
{
	const char *sp = memchr(p, ' ', (size_t)(eol - p));
	if (!sp)
		return fail(m, "bad status line", MS_STR_NULL, p);
	m->version = (struct ms_str){ p, (size_t)(sp - p) };
	if (version(m->version) != 1)
		return fail(m, "unsupported SIP version", MS_STR_NULL, p);
	const char *c = sp + 1;
	if (eol - c < 4 || !ms__is_digit(c[0]) || !ms__is_digit(c[1]) || !ms__is_digit(c[2]) || c[3] != ' ')
		return fail(m, "bad status code", MS_STR_NULL, p);
	m->status = (uint16_t)((c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0'));
	if (m->status < 100)
		return fail(m, "bad status code", MS_STR_NULL, p);
	m->reason = (struct ms_str){ c + 4, (size_t)(eol - c - 4) };
	for (size_t i = 0; i < m->reason.len; i++)
		if ((unsigned char)m->reason.s[i] < 0x20 && m->reason.s[i] != '\t')
			return fail(m, "control character in reason phrase", MS_STR_NULL, p);
	return 0;
}

/* Method SP Request-URI SP SIP-Version, with exactly one SP each. */
static int request_line(struct ms_msg *m, const char *p, const char *eol)
{
	struct ms_lex l = { p, eol };
	m->is_request = true;
	if (!ms__lex_token(&l, &m->method_s) || ms__lex_peek(&l) != ' ')
		return fail(m, "bad method in request line", MS_STR_NULL, p);
	m->method = ms_method_lookup(m->method_s);
	const char *u = ++l.p;
	const char *sp = memchr(u, ' ', (size_t)(eol - u));
	if (!sp || sp == u)
		return fail(m, "bad request line", MS_STR_NULL, p);
	m->ruri_s = (struct ms_str){ u, (size_t)(sp - u) };
	m->version = (struct ms_str){ sp + 1, (size_t)(eol - sp - 1) };
	int v = version(m->version);
	if (v < 0)
		return fail(m, "bad request line", MS_STR_NULL, p);
	if (v == 0)
		return ms__msg_fail_status(m, "SIP version not supported", 505);
	return 0;
}

static int start_line(struct ms_msg *m, const char *p, const char *eol)
{
	if (eol - p >= 4 && ms__mem_ieq(p, "SIP/", 4))
		return status_line(m, p, eol);
	return request_line(m, p, eol);
}

static int grow(struct ms_msg *m)
{
	if (m->cap >= MS_MSG_MAX_HDRS)
		return MS_EMSGSIZE;
	unsigned cap = m->cap * 2 > MS_MSG_MAX_HDRS ? MS_MSG_MAX_HDRS : m->cap * 2;
	struct ms_hdr *h = ms__malloc(cap * sizeof *h);
	if (!h)
		return MS_ENOMEM;
	memcpy(h, m->hdrs, m->nhdrs * sizeof *h);
	if (m->hdrs != m->hdr_inline)
		ms__free(m->hdrs);
	m->hdrs = h;
	m->cap = cap;
	return 0;
}

/* The next free entry, growing the array when it is full; NULL on failure
 * (recorded in m->err). Entries are filled in place: building one on the
 * stack and copying it would load 16 bytes at a time just after they were
 * written in smaller stores, a store-forwarding stall on every header. */
static struct ms_hdr *new_entry(struct ms_msg *m, struct ms_str name)
{
	if (m->nhdrs == m->cap) {
		int rc = grow(m);
		if (rc) {
			ms__msg_fail(m, rc == MS_ENOMEM ? "out of memory" : "too many header fields", name,
				     name.s, rc);
			return NULL;
		}
	}
	return &m->hdrs[m->nhdrs];
}

/* Appends the entry new_entry() gave to the chain of its type. */
static void link_entry(struct ms_msg *m, struct ms_hdr *h)
{
	uint16_t idx = (uint16_t)++m->nhdrs;
	h->next = 0;
	if (m->last[h->type])
		m->hdrs[m->last[h->type] - 1].next = idx;
	else
		m->first[h->type] = idx;
	m->last[h->type] = idx;
}

/* One more element of the list whose first entry is at index 'first'. */
static int add_element(struct ms_msg *m, unsigned first, const char *s, const char *e)
{
	struct ms_str v = ms__str_trim((struct ms_str){ s, (size_t)(e - s) });
	const struct ms_hdr *f = &m->hdrs[first];
	if (v.len == 0)
		return fail(m, "empty element in list", f->name, f->name.s);
	if (m->nhdrs == first) {
		m->hdrs[first].value = v; /* the entry field() filled */
	} else {
		struct ms_hdr *h = new_entry(m, f->name);
		if (!h)
			return m->nhdrs == m->cap ? MS_EMSGSIZE : MS_ENOMEM;
		f = &m->hdrs[first]; /* the array may have moved */
		h->name = f->name;
		h->field_off = f->field_off;
		h->field_end = f->field_end;
		h->type = f->type;
		h->value = v;
	}
	link_entry(m, &m->hdrs[m->nhdrs]);
	return 0;
}

/* The characters that matter when splitting a list; the rest are skipped
 * with one table look-up each. */
static const bool list_special[256] = {
	[','] = true, ['"'] = true, ['<'] = true, ['>'] = true, ['\\'] = true,
};

/* Splits the list value of the entry at m->hdrs[m->nhdrs] (filled but not
 * linked yet) on commas outside quoted strings and <...>. */
static int add_list(struct ms_msg *m, struct ms_str v)
{
	unsigned first = m->nhdrs;
	const char *p = v.s, *end = v.s + v.len, *el = p;
	bool quoted = false, angle = false;
	/* Most list fields hold one element: no comma at all, nothing to split
	 * (v is trimmed already; an empty field is one empty entry). */
	if (!v.len || !memchr(v.s, ',', v.len)) {
		m->hdrs[first].value = v;
		link_entry(m, &m->hdrs[first]);
		return 0;
	}
	for (;; p++) {
		while (p < end && !list_special[(unsigned char)*p])
			p++;
		if (p == end)
			break;
		char c = *p;
		if (quoted) {
			if (c == '\\' && p + 1 < end)
				p++;
			else if (c == '"')
				quoted = false;
		} else if (c == '"') {
			quoted = true;
		} else if (c == '<') {
			angle = true;
		} else if (c == '>') {
			angle = false;
		} else if (c == ',' && !angle) {
			int rc = add_element(m, first, el, p);
			if (rc)
				return rc;
			el = p + 1;
		}
	}
	return add_element(m, first, el, end);
}

static int content_length(struct ms_msg *m, const struct ms_hdr *h)
{
	uint32_t n;
	const char *why;
	if (ms_uint_hdr_parse(&n, h->value, UINT32_MAX, &why) < 0)
		return fail(m, why, h->name, h->name.s);
	if (m->has_clen && n != m->clen)
		return fail(m, "conflicting values", h->name, h->name.s);
	m->has_clen = true;
	m->clen = n;
	return 0;
}

/* One header field starting at p: name, colon, value through the CRLF that
 * is not followed by folding whitespace. Returns the field's end. */
static const char *field(struct ms_msg *m, const char *p, const char *end, int *rc)
{
	/* The name is lowered as it is scanned, for the type lookup. */
	const char *n = p;
	char low[MS__HDR_NAME_MAX];
	size_t i = 0;
	for (; p < end && ms__cc_is(*p, MS_CC_TOKEN); p++)
		if (i < sizeof low)
			low[i++] = ms__lower(*p);
	struct ms_str name = { n, (size_t)(p - n) };
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (name.len == 0 || p == end || *p != ':') {
		*rc = fail(m, name.len ? "no colon after header name" : "bad header name", name, n);
		return NULL;
	}
	const char *v = ++p, *eol;
	for (;;) {
		eol = memchr(p, '\r', (size_t)(end - p));
		if (!eol || eol + 1 >= end || eol[1] != '\n') {
			*rc = fail(m, "header line not ended by CRLF", name, n);
			return NULL;
		}
		if (memchr(p, '\n', (size_t)(eol - p))) {
			*rc = fail(m, "bare LF in header", name, n);
			return NULL;
		}
		if (eol + 2 < end && (eol[2] == ' ' || eol[2] == '\t')) {
			p = eol + 2; /* folded: the value goes on */
			continue;
		}
		break;
	}
	struct ms_hdr *h = new_entry(m, name);
	if (!h) {
		*rc = m->nhdrs == m->cap ? MS_EMSGSIZE : MS_ENOMEM;
		return NULL;
	}
	h->name = name;
	h->type = name.len <= sizeof low ? (uint16_t)ms__hdr_lookup_lower(low, name.len) : MS_HDR_OTHER;
	h->field_off = (uint32_t)(n - m->buf);
	h->field_end = (uint32_t)(eol + 2 - m->buf);
	struct ms_str value = ms__str_trim((struct ms_str){ v, (size_t)(eol - v) });
	if (ms_hdr_is_list(h->type)) {
		*rc = add_list(m, value);
	} else {
		h->value = value;
		link_entry(m, h);
		*rc = h->type == MS_HDR_CONTENT_LENGTH ? content_length(m, h) : 0;
	}
	return *rc ? NULL : eol + 2;
}

static int body(struct ms_msg *m, const char *p, const char *end, int flags)
{
	size_t avail = (size_t)(end - p);
	m->body.s = p;
	if (!m->has_clen) {
		if (flags & MS_PARSE_STREAM)
			return fail(m, "missing Content-Length", MS_STR_NULL, p);
		m->body.len = avail;
	} else if (m->clen > avail) {
		return fail(m, "Content-Length larger than the message", MS_STR("Content-Length"), p);
	} else {
		m->body.len = m->clen;
	}
	m->len = (size_t)(p - m->buf) + m->body.len;
	return 0;
}

/* The start line; the offset of its CRLF, or an error. */
static int parse_start(struct ms_msg *m, const char *buf, size_t len)
{
	const char *end = buf + len;
	reset(m, buf, len);
	if (len > INT32_MAX)
		return ms__msg_fail(m, "message too large", MS_STR_NULL, buf, MS_EMSGSIZE);
	const char *eol = memchr(buf, '\r', len);
	if (!eol || eol + 1 >= end || eol[1] != '\n' || memchr(buf, '\n', (size_t)(eol - buf)))
		return fail(m, "start line not ended by CRLF", MS_STR_NULL, buf);
	int rc = start_line(m, buf, eol);
	return rc ? rc : (int)(eol - buf);
}

int ms__msg_parse_start(struct ms_msg *m, const char *buf, size_t len)
{
	int rc = parse_start(m, buf ? buf : "", len);
	return rc < 0 ? rc : 0;
}

int ms_msg_parse(struct ms_msg *m, const char *buf, size_t len, int flags)
{
	if (!buf)
		buf = ""; /* (NULL, 0) is an empty message, not NULL arithmetic */
	const char *end = buf + len, *p;
	int rc = parse_start(m, buf, len);
	if (rc < 0)
		return rc;
	for (p = buf + rc + 2;;) {
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			break;
		if (p == end)
			return fail(m, "no empty line after the headers", MS_STR_NULL, p);
		if (*p == ' ' || *p == '\t')
			return fail(m, "continuation line without a header", MS_STR_NULL, p);
		p = field(m, p, end, &rc);
		if (!p)
			return rc;
	}
	m->hdr_end = (size_t)(p - buf);
	rc = body(m, p + 2, end, flags);
	return rc ? rc : (int)m->len;
}
