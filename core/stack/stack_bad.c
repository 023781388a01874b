/* Answers to requests that failed to parse or check. Logged at debug level
 * only: the answer tells the peer, and a flood of bad packets must not
 * become a flood of log lines. The parser's index may
 * stop at the fault, so the answer is built from the raw lines: the Via,
 * From, To, Call-ID and CSeq fields that are there, copied as they came (a
 * client matches a response by its Via branch and CSeq method). Without a
 * Via and a CSeq nothing can be answered: the message is dropped. */
#include <stdio.h>
#include <string.h>

#include "base/str.h"
#include "moonsip/edit.h"
#include "stack/stack_private.h"

enum { F_VIA = 1, F_FROM = 2, F_TO = 4, F_CALLID = 8, F_CSEQ = 16 };

/* Which of the copied fields a header name is (full or compact form). */
static int field_kind(const char *name, size_t len)
{
	static const struct {
		const char *name;
		int kind;
	} names[] = {
		{ "via", F_VIA },        { "v", F_VIA },    { "from", F_FROM },
		{ "f", F_FROM },         { "to", F_TO },    { "t", F_TO },
		{ "call-id", F_CALLID }, { "i", F_CALLID }, { "cseq", F_CSEQ },
	};
	while (len && (name[len - 1] == ' ' || name[len - 1] == '\t'))
		len--;
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == len && ms__mem_ieq(name, names[i].name, len))
			return names[i].kind;
	return 0;
}

static bool has_tag(const char *p, size_t len)
{
	for (size_t i = 0; i + 4 <= len; i++)
		if (ms__mem_ieq(p + i, "tag=", 4))
			return true;
	return false;
}

/* Copies one field (its lines, folding kept); To gets the stack's tag. */
static int copy_field(struct ms_buf *b, int kind, const char *p, size_t len, const char *tag)
{
	if (kind != F_TO || has_tag(p, len))
		return ms_buf_add(b, p, len);
	int rc = ms_buf_add(b, p, len - 2);
	if (rc == 0)
		rc = ms_buf_printf(b, ";tag=%s\r\n", tag);
	return rc;
}

/* Appends the fields worth copying from the raw header section; returns
 * the kinds found, or a negative code. */
static int salvage(struct ms_buf *b, const char *buf, size_t len, const char *tag)
{
	const char *end = buf + len, *eol = memchr(buf, '\n', len);
	if (!eol)
		return 0;
	int found = 0;
	for (const char *p = eol + 1; p < end && *p != '\r' && *p != '\n';) {
		const char *f = p;
		do { /* the field and its continuation lines */
			eol = memchr(p, '\n', (size_t)(end - p));
			p = eol ? eol + 1 : end;
		} while (p < end && (*p == ' ' || *p == '\t'));
		const char *colon = memchr(f, ':', (size_t)(p - f));
		if (!eol || !colon || p - f < 2 || p[-2] != '\r')
			continue;
		int kind = field_kind(f, (size_t)(colon - f));
		if (kind && !((kind & (F_FROM | F_TO | F_CALLID | F_CSEQ)) && (found & kind))) {
			if (copy_field(b, kind, f, (size_t)(p - f), tag) < 0)
				return MS_ENOMEM;
			found |= kind;
		}
	}
	return found;
}

static bool is_ack(const char *buf, size_t len)
{
	return len >= 4 && !memcmp(buf, "ACK ", 4);
}

/* Answers with 'status' and 'reason' from the raw bytes, or drops. */
static void answer(struct ms_stack *s, const char *buf, size_t len, unsigned status, const char *reason,
		   const struct ms_txn_peer *src)
{
	char a[MS_ADDR_STRLEN];
	const char *proto = ms_proto_name(src->proto);
	ms_addr_format(&src->addr, a);
	if (!status || is_ack(buf, len)) {
		ms_log(&s->cfg.log, MS_LOG_DEBUG, "%s %s: dropped a bad message: %s", proto, a, reason);
		return;
	}
	struct ms_buf b;
	ms_buf_init(&b);
	int rc = ms_build_status_line(&b, status, (struct ms_str){ reason, strlen(reason) });
	int found = rc ? rc : salvage(&b, buf, len, s->tag);
	if (found >= 0 && (found & (F_VIA | F_CSEQ)) == (F_VIA | F_CSEQ)) {
		rc = ms_build_end(&b, MS_STR_NULL, MS_STR_NULL);
		if (rc == 0)
			rc = ms_txn_send(s->txn, src, b.data, b.len);
		ms_log(&s->cfg.log, MS_LOG_DEBUG, "%s %s: bad request: %s: answered %u%s", proto, a, reason,
		       status, rc ? " (send failed)" : "");
	} else {
		ms_log(&s->cfg.log, MS_LOG_DEBUG,
		       "%s %s: bad request: %s: dropped (no Via or CSeq to answer with)", proto, a, reason);
	}
	ms_buf_free(&b);
}

void ms__stack_bad(struct ms_stack *s, struct ms_msg *m, const struct ms_txn_peer *src)
{
	char reason[160];
	ms_msg_error(m, reason, sizeof reason);
	s->stats.rx_bad++;
	answer(s, m->buf, m->len, m->err.status, reason, src);
}

void ms__stack_unframeable(struct ms_stack *s, const char *buf, size_t len, int rc, const char *why,
			   const struct ms_txn_peer *src)
{
	char reason[160];
	bool request = len >= 4 && memcmp(buf, "SIP/", 4);
	snprintf(reason, sizeof reason, "%s%c%s", rc == MS_EMSGSIZE ? "Message Too Large: " : "",
		 rc == MS_EMSGSIZE ? why[0] : (char)(why[0] >= 'a' && why[0] <= 'z' ? why[0] - 32 : why[0]),
		 why + 1);
	s->stats.rx_bad++;
	answer(s, buf, len, request ? (rc == MS_EMSGSIZE ? 513 : 400) : 0, reason, src);
}
