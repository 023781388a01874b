/* Forwarding a request on a new branch (RFC 3261 §16.6 steps 3 to 11):
 * Max-Forwards, the strict router's Route, the TU's headers, Record-Route
 * (twice when the request changes transport or interface) and a Via whose
 * branch carries the loop-detection hash. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "proxy/proxy_private.h"

static int max_forwards(struct ms_edit *e, struct ms_msg *m)
{
	uint32_t mf;
	char v[12];
	if (ms_msg_max_forwards(m, &mf) < 0)
		return ms_edit_add(e, MS_STR("Max-Forwards"), MS_STR("70"), MS_EDIT_BOTTOM, NULL);
	int n = snprintf(v, sizeof v, "%u", mf ? mf - 1 : 0);
	return ms_edit_replace(e, ms_msg_hdr(m, MS_HDR_MAX_FORWARDS), (struct ms_str){ v, (size_t)n });
}

/* §16.6 step 6: the next hop is a strict router: the Request-URI goes to
 * the end of the Route set and the top Route becomes the Request-URI. */
static int strict_route(struct ms_edit *e, struct ms_msg *m, const struct ms_uri *hop)
{
	struct ms_buf v;
	ms_buf_init(&v);
	int rc = ms_buf_printf(&v, "<%.*s>", (int)m->ruri_s.len, m->ruri_s.s);
	if (rc == 0)
		rc = ms_edit_add(e, MS_STR("Route"), (struct ms_str){ v.data, v.len }, MS_EDIT_BOTTOM, NULL);
	if (rc == 0)
		rc = ms_edit_remove(e, ms_msg_hdr(m, MS_HDR_ROUTE));
	if (rc == 0)
		rc = ms_edit_set_ruri(e, hop->text);
	ms_buf_free(&v);
	return rc;
}

static int add_rr(struct ms_edit *e, enum ms_proto proto, struct ms_str host, uint16_t port, bool r2)
{
	char v[160];
	const char *tp = proto == MS_PROTO_TCP ? ";transport=tcp"
		: proto == MS_PROTO_TLS        ? ";transport=tls"
					       : "";
	int n = snprintf(v, sizeof v, "<sip:%.*s:%u%s;lr%s>", (int)host.len, host.s, port, tp,
			 r2 ? ";r2=on" : "");
	return ms_edit_add(e, MS_STR("Record-Route"), (struct ms_str){ v, (size_t)n }, MS_EDIT_TOP, NULL);
}

/* Record-Route for the interface the branch leaves from (the Via's), and
 * for the one the request came in on when that is another (§16.6 step 4). */
static int record_route(struct ms_proxy_txn *t, struct ms_edit *e, const struct ms_via *out,
			enum ms_proto oproto)
{
	struct sockaddr_storage in, outa;
	char host[MS_ADDR_STRLEN];
	bool two = false;
	if (ms_stack_local_for(t->p->stack, &t->src, &in) == 0) {
		two = t->src.proto != oproto || ms_addr_set(&outa, out->host, out->port) < 0 ||
			!ms_addr_equal(&in, &outa);
	}
	int rc = add_rr(e, oproto, out->host, out->port, two);
	if (rc == 0 && two) {
		ms_addr_host(&in, host);
		rc = add_rr(e, t->src.proto, (struct ms_str){ host, strlen(host) }, ms_addr_port(&in), true);
	}
	return rc;
}

/* "z9hG4bK" HASH "-" and the layer's unique, unguessable part. */
static void make_branch(struct ms_proxy_txn *t, char *out, size_t size)
{
	char fresh[MS_TXN_BRANCH_SIZE];
	ms_txn_branch(t->p->txn, fresh);
	snprintf(out, size, "z9hG4bK%s-%s", t->hash, fresh + 7);
}

static struct ms__pbranch *new_branch(struct ms_proxy_txn *t)
{
	if (t->nbr == t->cap) {
		unsigned cap = t->cap ? t->cap * 2 : 4;
		struct ms__pbranch **br = ms__realloc(t->br, cap * sizeof *br);
		if (!br)
			return NULL;
		t->br = br;
		t->cap = cap;
	}
	struct ms__pbranch *b = ms__calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->t = t;
	b->no = t->nbr + 1;
	ms_buf_init(&b->resp);
	ev_timer_init(&b->timer_c, ms__proxy_branch_timer_c, 0, 0);
	ev_timer_init(&b->limit, ms__proxy_branch_limit, 0, 0);
	b->timer_c.data = b;
	b->limit.data = b;
	t->br[t->nbr++] = b;
	return b;
}

/* The edits of steps 3 to 6 and the TU's headers, into 'e'. */
static int edits(struct ms_edit *e, struct ms_msg *m, const struct ms_uri *hop, bool strict,
		 const struct ms_proxy_branch_opts *o)
{
	int rc = max_forwards(e, m);
	if (rc == 0 && strict)
		rc = strict_route(e, m, hop);
	for (unsigned i = 0; rc == 0 && i < o->nheaders; i++)
		rc = ms_edit_add(e, o->names[i], o->values[i], MS_EDIT_BOTTOM, NULL);
	return rc;
}

/* The Via (and Record-Route) for 'dst', then the whole branch in 'out'. */
static int finish(struct ms_proxy_txn *t, struct ms_edit *e, struct ms_txn_peer *dst, bool udp_only, bool rr,
		  struct ms_buf *out)
{
	char branch[80];
	struct ms_buf via;
	ms_buf_init(&via);
	make_branch(t, branch, sizeof branch);
	/* The size for §18.1.1 without writing it: the message, the edits'
	 * new text, and room for the lines they add. */
	size_t len = e->msg->len + e->text.len + 32 * e->nops + (rr ? 120 : 0);
	int rc = ms_stack_via_branch(t->p->stack, dst, len, udp_only, branch, &via);
	struct ms_via v;
	const char *why;
	if (rc == 0 && ms_via_parse(&v, (struct ms_str){ via.data, via.len }, &why) < 0)
		rc = MS_EINVAL;
	if (rc == 0 && rr)
		rc = record_route(t, e, &v, dst->proto);
	if (rc == 0)
		rc = ms_edit_add(e, MS_STR("Via"), (struct ms_str){ via.data, via.len }, MS_EDIT_TOP, NULL);
	if (rc == 0)
		rc = ms_edit_write(e, out);
	ms_buf_free(&via);
	return rc;
}

static void start_timers(struct ms_proxy_txn *t, struct ms__pbranch *b, uint32_t limit_ms)
{
	struct ev_loop *loop = t->p->loop;
	if (b->invite) {
		ev_timer_set(&b->timer_c, t->p->timer_c_ms / 1000.0, t->p->timer_c_ms / 1000.0);
		ev_timer_start(loop, &b->timer_c);
	}
	if (limit_ms) {
		ev_timer_set(&b->limit, limit_ms / 1000.0, 0);
		ev_timer_start(loop, &b->limit);
	}
}

int ms_proxy_txn_branch(struct ms_proxy_txn *t, const char *req, size_t len,
			const struct ms_proxy_branch_opts *o)
{
	static const struct ms_proxy_branch_opts none;
	if (!o)
		o = &none;
	if (t->cancelled || t->sent_2xx || t->final_up || t->freed)
		return MS_EINVAL;
	struct ms_msg m;
	ms_msg_init(&m);
	int rc = ms_msg_parse(&m, req, len, MS_PARSE_DGRAM);
	if (rc >= 0)
		rc = ms_msg_check(&m);
	if (rc >= 0 && (!m.is_request || m.method == MS_METHOD_ACK))
		rc = MS_EINVAL;
	struct ms_uri hop;
	bool strict = false;
	struct ms_txn_peer dst;
	struct ms_str name;
	if (rc >= 0)
		rc = ms_proxy_route_hop(&m, &hop, &strict);
	if (rc >= 0)
		rc = ms_proxy_next_hop(&hop, &dst, &name);
	if (rc == MS_EAGAIN && o->dst)
		rc = 0;
	if (o->dst)
		dst = *o->dst;
	struct ms_edit e;
	struct ms_buf out;
	ms_buf_init(&out);
	ms_edit_init(&e, &m);
	if (rc >= 0)
		rc = edits(&e, &m, &hop, strict, o);
	if (rc >= 0)
		rc = finish(t, &e, &dst, ms_str_ieqz(hop.transport, "udp"), o->record_route, &out);
	ms_edit_free(&e);
	struct ms__pbranch *b = rc >= 0 ? new_branch(t) : NULL;
	if (rc >= 0 && !b)
		rc = MS_ENOMEM;
	if (b) {
		b->invite = m.method == MS_METHOD_INVITE;
		rc = ms_ctxn_new(&b->ct, t->p->txn, out.data, out.len, &dst, ms__proxy_branch_cb, b);
		if (rc < 0) {
			ms_buf_free(&b->resp);
			ms__free(b);
			t->nbr--;
		} else {
			t->pending++;
			t->ended = false; /* a branch after the end reopens the round (serial forking) */
			start_timers(t, b, o->timeout_ms);
			rc = (int)b->no;
		}
	}
	ms_buf_free(&out);
	ms_msg_free(&m);
	return rc;
}
