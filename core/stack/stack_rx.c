/* The stack's receive path: parse, check, mark the top Via (RFC 3581),
 * hand to the transaction layer. */
#include <string.h>

#include "base/str.h"
#include "msg/msg_private.h"
#include "moonsip/uri.h"
#include "stack/stack_private.h"

/* Whether the top Via needs `received` or an `rport` value: RFC 3581 §4
 * asks for received whenever rport is there, RFC 3261 §18.2.1 when the
 * sent-by host is not the source address. Addresses are compared as
 * addresses (no text is made for the common case of a client that writes
 * its own address), and a host name always differs. */
static bool needs_mark(const struct ms_via *v, const struct sockaddr_storage *src)
{
	struct sockaddr_storage sent_by;
	if (v->has_rport || v->host_type == MS_HOST_NAME)
		return true;
	return ms_addr_set(&sent_by, v->host, ms_addr_port(src)) < 0 || !ms_addr_equal(&sent_by, src);
}

/* Copies a header value with its line folds undone (CR and LF dropped; the
 * whitespace after them stays), as an edited value may not hold CR or LF. */
static int add_unfolded(struct ms_buf *b, const char *p, size_t len)
{
	int rc = 0;
	for (size_t i = 0; i < len && rc == 0;) {
		size_t j = i;
		while (j < len && p[j] != '\r' && p[j] != '\n')
			j++;
		rc = ms_buf_add(b, p + i, j - i);
		while (j < len && (p[j] == '\r' || p[j] == '\n'))
			j++;
		i = j;
	}
	return rc;
}

/* The top Via rewritten: its params without received and rport, then
 * ";received=HOST" and ";rport=PORT" when the client asked for rport.
 * Appended piece by piece: this runs for nearly every request, and a
 * printf per parameter cost more than the rest of the marking. */
static int marked_via(struct ms_buf *b, const struct ms_hdr *h, const struct ms_via *v, const char *host,
		      uint16_t port)
{
	size_t head = v->params.len ? (size_t)(v->params.s - 1 - h->value.s) : h->value.len;
	int rc = add_unfolded(b, h->value.s, head);
	size_t pos = 0;
	struct ms_str name, value;
	while (rc == 0 && ms_param_next(v->params, &pos, &name, &value)) {
		if (ms_str_ieqz(name, "received") || ms_str_ieqz(name, "rport"))
			continue;
		rc = ms_buf_add(b, ";", 1);
		rc = rc ? rc : ms_buf_adds(b, name);
		if (rc == 0 && value.s) {
			rc = ms_buf_add(b, "=", 1);
			rc = rc ? rc : ms_buf_adds(b, value);
		}
	}
	/* IPv6 goes in without brackets: received holds an IPv6address. */
	size_t hl = strlen(host);
	rc = rc ? rc : ms_buf_addz(b, ";received=");
	if (rc == 0 && host[0] == '[')
		rc = ms_buf_add(b, host + 1, hl - 2);
	else if (rc == 0)
		rc = ms_buf_add(b, host, hl);
	if (rc == 0 && v->has_rport) {
		char num[20];
		rc = ms_buf_addz(b, ";rport=");
		rc = rc ? rc : ms_buf_add(b, num, ms__u64_dec(num, port));
	}
	return rc;
}

/* Writes the request with its top Via marked into 'out' and moves the
 * message onto that text; the caller checks the result. 0, or an error
 * (the message is then as it came). */
static int mark(struct ms_msg *m, struct ms_buf *out, const struct ms_txn_peer *src)
{
	char host[MS_ADDR_STRLEN];
	const struct ms_via *v = ms_msg_via(m);
	if (!v || !needs_mark(v, &src->addr))
		return 0; /* nothing to mark, or no Via that parses (the check says so) */
	ms_addr_host(&src->addr, host);
	struct ms_buf val;
	ms_buf_init(&val);
	const struct ms_hdr *h = ms_msg_hdr(m, MS_HDR_VIA);
	int rc = marked_via(&val, h, v, host, ms_addr_port(&src->addr));
	if (rc == 0)
		rc = ms__msg_replace_value(m, h, (struct ms_str){ val.data, val.len }, out);
	ms_buf_free(&val);
	return rc;
}

static void log_in(struct ms_stack *s, const char *buf, size_t len, const struct ms_txn_peer *src)
{
	char a[MS_ADDR_STRLEN];
	ms_log(&s->cfg.log, MS_LOG_DEBUG, "received %zu bytes from %s %s:\n%.*s", len,
	       ms_proto_name(src->proto), ms_addr_format(&src->addr, a), (int)(len > 800 ? 800 : len), buf);
}

static void dispatch(struct ms_stack *s, struct ms_msg *m, const struct ms_txn_peer *src)
{
	int rc = ms_txn_layer_receive(s->txn, m, src);
	if (rc == 0 && s->cfg.response_cb)
		s->cfg.response_cb(s, m, src, s->cfg.arg);
	else if (rc == MS_EBADMSG)
		ms__stack_bad(s, m, src);
	else if (rc == MS_ENOMEM && m->is_request && m->method != MS_METHOD_ACK)
		ms_txn_reply_stateless(s->txn, m, src, 500, MS_STR("Server Internal Error: out of memory"),
				       (struct ms_str){ s->tag, strlen(s->tag) });
}

/* A request is marked before it is checked, so that the check (which
 * parses every typed header) runs once, on the text that is handed on; a
 * bad request is answered from the marked text, whose Via then says
 * where the answer goes. */
void ms__stack_receive(struct ms_stack *s, char *buf, size_t len, int flags, const struct ms_txn_peer *src)
{
	s->stats.rx_msgs++;
	if (s->cfg.log.level >= MS_LOG_DEBUG)
		log_in(s, buf, len, src);
	if (len > s->cfg.max_msg) { /* a datagram: streams are framed to the limit */
		ms__stack_unframeable(s, buf, len, MS_EMSGSIZE, "message too large", src);
		return;
	}
	struct ms_msg m;
	ms_msg_init(&m);
	struct ms_buf marked;
	ms_buf_init(&marked);
	int rc = ms_msg_parse(&m, buf, len, flags);
	/* An error marking should not happen: the request is taken as it came. */
	int unmarked = rc >= 0 && m.is_request ? mark(&m, &marked, src) : 0;
	if (rc >= 0)
		rc = ms_msg_check(&m);
	if (rc >= 0 && unmarked < 0)
		ms_log(&s->cfg.log, MS_LOG_ERROR, "could not mark the top Via (%s): request taken as it came",
		       ms_strerror(unmarked));
	if (rc < 0)
		ms__stack_bad(s, &m, src);
	else
		dispatch(s, &m, src);
	ms_buf_free(&marked);
	ms_msg_free(&m);
}
