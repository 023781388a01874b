/* The stack's transports: listeners, their callbacks, and where each
 * message leaves from. */
#include <ev.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stack/stack_private.h"
#include "transport/tcp.h"
#include "transport/tls.h"
#include "transport/udp.h"

static struct ms_txn_peer peer_of(const struct ms__listener *l, uint64_t conn,
				  const struct sockaddr_storage *a)
{
	struct ms_txn_peer p = { .proto = l->proto, .conn = ((uint64_t)l->idx << MS__CONN_SHIFT) | conn };
	p.addr = *a;
	return p;
}

static void on_datagram(struct ms_udp *u, char *buf, size_t len, const struct sockaddr_storage *src,
			void *arg)
{
	struct ms__listener *l = arg;
	(void)u;
	struct ms_txn_peer p = peer_of(l, 0, src);
	ms__stack_receive(l->s, buf, len, MS_PARSE_DGRAM, &p);
}

static void on_icmp(struct ms_udp *u, const struct sockaddr_storage *dst, int err, void *arg)
{
	struct ms__listener *l = arg;
	(void)u;
	char a[MS_ADDR_STRLEN];
	ms_log(&l->s->cfg.log, MS_LOG_DEBUG, "udp: %s unreachable: %s", ms_addr_format(dst, a),
	       strerror(err));
	struct ms_txn_peer p = peer_of(l, 0, dst);
	p.conn = 0; /* every transaction to that address, whichever socket */
	unsigned failed = ms_txn_layer_transport_error(l->s->txn, &p, -err);
	if (failed)
		ms_log(&l->s->cfg.log, MS_LOG_WARN, "udp: %s unreachable: %s: %u request%s failed", a,
		       strerror(err), failed, failed == 1 ? "" : "s");
}

static void on_stream_msg(struct ms_tcp *t, uint64_t conn, const struct sockaddr_storage *peer, char *buf,
			  size_t len, void *arg)
{
	struct ms__listener *l = arg;
	(void)t;
	struct ms_txn_peer p = peer_of(l, conn, peer);
	ms__stack_receive(l->s, buf, len, MS_PARSE_STREAM, &p);
}

/* At most one line a second, with the count of those left out. */
static void limit_warning(struct ms_stack *s, enum ms_proto p, const char *peer, const char *why)
{
	double now = ev_now(s->cfg.loop);
	if (now - s->limit_logged < 1.0) {
		s->limit_quiet++;
		return;
	}
	ms_log(&s->cfg.log, MS_LOG_WARN, "%s %s: connection refused: %s (%u more in the last second)",
	       ms_proto_name(p), peer, why, s->limit_quiet);
	s->limit_logged = now;
	s->limit_quiet = 0;
}

static void on_stream_close(struct ms_tcp *t, uint64_t conn, const struct sockaddr_storage *peer, int err,
			    const char *why, void *arg)
{
	struct ms__listener *l = arg;
	(void)t;
	char a[MS_ADDR_STRLEN];
	if (!conn) { /* refused at accept: a limit, worth a (rate-limited) warning */
		limit_warning(l->s, l->proto, ms_addr_format(peer, a), why);
		return;
	}
	/* Peers closing, going idle, sending garbage: debug, so that a flood of
	 * bad connections is not a flood of log lines. */
	ms_log(&l->s->cfg.log, MS_LOG_DEBUG, "%s %s: connection closed: %s", ms_proto_name(l->proto),
	       ms_addr_format(peer, a), why);
	if (!err)
		return;
	struct ms_txn_peer p = peer_of(l, conn, peer);
	unsigned failed = ms_txn_layer_transport_error(l->s->txn, &p, err);
	if (failed) /* requests this host sent: worth the operator's eye */
		ms_log(&l->s->cfg.log, MS_LOG_WARN, "%s %s: %s: %u request%s failed", ms_proto_name(l->proto),
		       a, why, failed, failed == 1 ? "" : "s");
}

static void on_stream_bad(struct ms_tcp *t, uint64_t conn, const struct sockaddr_storage *peer,
			  const char *buf, size_t len, int rc, const char *why, void *arg)
{
	struct ms__listener *l = arg;
	(void)t;
	struct ms_txn_peer p = peer_of(l, conn, peer);
	ms__stack_unframeable(l->s, buf, len, rc, why, &p);
}

static int open_stream(struct ms__listener *l, const struct sockaddr_storage *addr, const char **why)
{
	struct ms_stack *s = l->s;
	struct ms_tcp_config tc = {
		.max_msg = s->cfg.max_msg,
		.max_conns = s->cfg.max_conns,
		.idle_ms = s->cfg.idle_ms,
		.stall_ms = s->cfg.stall_ms,
		.bad_cb = on_stream_bad,
		.reuse_port = s->cfg.reuse_port,
	};
	if (l->proto == MS_PROTO_TLS) {
		int rc = ms__stack_tls(s, why);
		if (rc)
			return rc;
		if (addr && !ms__tls_has_cert(s->tls)) {
			*why = "a tls listener needs a certificate and key";
			return MS_EINVAL;
		}
		tc.tls = s->tls;
	}
	int rc = ms__tcp_open(&l->tcp, s->cfg.loop, addr, &tc, on_stream_msg, on_stream_close, l);
	if (rc) {
		*why = strerror(-rc);
		return rc;
	}
	if (addr)
		l->addr = *ms__tcp_local(l->tcp);
	return 0;
}

int ms__stack_open(struct ms__listener *l, const struct sockaddr_storage *addr, const char **why)
{
	if (l->proto != MS_PROTO_UDP)
		return open_stream(l, addr, why);
	int rc = ms__udp_open(&l->udp, l->s->cfg.loop, addr, l->s->cfg.reuse_port ? MS__UDP_REUSEPORT : 0,
			      on_datagram, on_icmp, l);
	if (rc) {
		*why = strerror(-rc);
		return rc;
	}
	l->addr = *ms__udp_local(l->udp);
	return 0;
}

/* TCP and TLS listeners close; UDP sockets stay, as they carry the answers
 * of transactions still running (new requests get 503 meanwhile). */
void ms__stack_stop(struct ms__listener *l)
{
	if (l->tcp)
		ms__tcp_stop_listening(l->tcp);
}

void ms__stack_close(struct ms__listener *l)
{
	ms__udp_close(l->udp);
	ms__tcp_close(l->tcp);
	l->udp = NULL;
	l->tcp = NULL;
}

/* The listener a message to 'dst' leaves from: the one named in dst->conn,
 * else the first of the right protocol and family, else (for TCP and TLS) a
 * new one that only connects out. */
struct ms__listener *ms__stack_route(struct ms_stack *s, const struct ms_txn_peer *dst)
{
	unsigned idx = (unsigned)(dst->conn >> MS__CONN_SHIFT);
	if (idx >= 1 && idx <= s->nls && s->ls[idx - 1].proto == dst->proto)
		return &s->ls[idx - 1];
	for (unsigned i = 0; i < s->nls; i++) {
		struct ms__listener *l = &s->ls[i];
		if (l->proto == dst->proto && (l->outgoing || l->addr.ss_family == dst->addr.ss_family))
			return l;
	}
	if (dst->proto == MS_PROTO_UDP || s->nls == MS__STACK_MAX_LISTENERS)
		return NULL;
	struct ms__listener *l = &s->ls[s->nls];
	memset(l, 0, sizeof *l);
	*l = (struct ms__listener){ .s = s, .idx = s->nls + 1, .proto = dst->proto, .outgoing = true };
	const char *why;
	if (open_stream(l, NULL, &why)) {
		ms_log(&s->cfg.log, MS_LOG_ERROR, "%s: cannot open: %s", ms_proto_name(dst->proto), why);
		return NULL;
	}
	s->nls++;
	return l;
}

int ms__stack_send(void *stack, const struct ms_txn_peer *dst, const char *buf, size_t len)
{
	struct ms_stack *s = stack;
	struct ms__listener *l = ms__stack_route(s, dst);
	int rc = MS_ENOENT;
	if (l && l->udp) {
		rc = ms__udp_send(l->udp, &dst->addr, buf, len);
	} else if (l && l->tcp) {
		int64_t c = ms__tcp_send(l->tcp, dst->conn & MS__CONN_MASK, &dst->addr, buf, len);
		rc = c < 0 ? (int)c : 0;
	}
	if (rc) {
		s->stats.tx_errors++;
		char a[MS_ADDR_STRLEN];
		ms_log(&s->cfg.log, MS_LOG_WARN, "%s %s: send failed: %s", ms_proto_name(dst->proto),
		       ms_addr_format(&dst->addr, a), ms_strerror(rc));
		return rc;
	}
	s->stats.tx_msgs++;
	if (s->cfg.log.level >= MS_LOG_DEBUG) {
		char a[MS_ADDR_STRLEN];
		ms_log(&s->cfg.log, MS_LOG_DEBUG, "sent %zu bytes to %s %s:\n%.*s", len,
		       ms_proto_name(dst->proto), ms_addr_format(&dst->addr, a), (int)(len > 800 ? 800 : len),
		       buf);
	}
	return 0;
}

bool ms__stack_reliable(void *stack, const struct ms_txn_peer *dst)
{
	(void)stack;
	return dst->proto != MS_PROTO_UDP;
}

/* A listener that a message to 'local' reaches: the same protocol, port
 * and address, or a wildcard of the family at the port. */
static bool bound_to(const struct ms__listener *l, enum ms_proto p, const struct sockaddr_storage *local)
{
	if (l->outgoing || l->proto != p || l->addr.ss_family != local->ss_family ||
	    ms_addr_port(&l->addr) != ms_addr_port(local))
		return false;
	return ms__stack_is_wildcard(&l->addr) || ms_addr_equal(&l->addr, local);
}

int ms_stack_peer_at(struct ms_stack *s, const struct sockaddr_storage *local, struct ms_txn_peer *dst)
{
	const struct ms__listener *l = NULL;
	for (unsigned i = 0; !l && i < s->nls; i++) {
		const struct ms__listener *x = &s->ls[i];
		if (local ? bound_to(x, dst->proto, local)
			  : !x->outgoing && x->proto == dst->proto &&
				    x->addr.ss_family == dst->addr.ss_family)
			l = x;
	}
	if (!l)
		return MS_ENOENT;
	uint64_t conn = 0;
	if (l->tcp && !(conn = ms__tcp_conn_to(l->tcp, &dst->addr)))
		return MS_ENOENT;
	dst->conn = ((uint64_t)l->idx << MS__CONN_SHIFT) | conn;
	return 0;
}

int ms_stack_send_raw(struct ms_stack *s, const struct ms_txn_peer *dst, const void *buf, size_t len)
{
	unsigned idx = (unsigned)(dst->conn >> MS__CONN_SHIFT);
	if (idx < 1 || idx > s->nls || s->ls[idx - 1].proto != dst->proto)
		return MS_ENOENT;
	struct ms__listener *l = &s->ls[idx - 1];
	int rc = MS_ENOENT;
	if (l->udp) {
		rc = ms__udp_send(l->udp, &dst->addr, buf, len);
	} else if (l->tcp && (dst->conn & MS__CONN_MASK)) {
		/* No destination: the connection or nothing, never a new one. */
		int64_t c = ms__tcp_send(l->tcp, dst->conn & MS__CONN_MASK, NULL, buf, len);
		rc = c < 0 ? (int)c : 0;
	}
	if (rc && rc != MS_ENOENT)
		s->stats.tx_errors++;
	return rc;
}
