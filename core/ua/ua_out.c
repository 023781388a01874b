/* One request of the UA in a client transaction: where it goes, its Via,
 * and the responses back to its owner, digest challenges answered on the
 * way (ua_auth.c). */
#include <string.h>

#include "moonsip/proxy.h"
#include "moonsip/resolve.h"
#include "ua/ua_private.h"

void ms__ua_out_init(struct ms__ua_out *o, struct ms_ua *ua, ms__ua_out_cb cb, void *owner)
{
	memset(o, 0, sizeof *o);
	o->ua = ua;
	o->cb = cb;
	o->owner = owner;
	ms_buf_init(&o->head);
	ms_buf_init(&o->sent);
}

void ms__ua_out_free(struct ms__ua_out *o)
{
	ms_resolve_cancel(o->lookup);
	o->lookup = NULL;
	if (o->ct)
		ms_ctxn_release(o->ct);
	o->ct = NULL;
	ms_buf_free(&o->head);
	ms_buf_free(&o->sent);
}

/* Where 'uri' is sent (ms_proxy_next_hop); for a host name (MS_EAGAIN)
 * also the name to look up and the port its addresses get. */
static int hop_parse(struct ms_str uri, struct ms_txn_peer *dst, bool *udp_only, struct ms_str *name,
		     uint16_t *port)
{
	struct ms_uri u;
	const char *why;
	memset(dst, 0, sizeof *dst);
	if (ms_uri_parse(&u, uri.s, uri.len, &why) < 0)
		return MS_EINVAL;
	int rc = ms_proxy_next_hop(&u, dst, name);
	if (udp_only)
		*udp_only = ms_str_ieqz(u.transport, "udp");
	*port = u.port ? u.port : dst->proto == MS_PROTO_TLS ? 5061 : 5060;
	return rc;
}

int ms__ua_peer(struct ms_str uri, struct ms_txn_peer *dst, bool *udp_only)
{
	struct ms_str name;
	uint16_t port;
	return hop_parse(uri, dst, udp_only, &name, &port);
}

int ms__ua_with_via(struct ms_ua *ua, const struct ms_buf *head, struct ms_txn_peer *dst, bool udp_only,
		    struct ms_buf *out)
{
	struct ms_buf via;
	const char *eol = memchr(head->data, '\n', head->len);
	if (!eol)
		return MS_EINVAL;
	size_t line = (size_t)(eol + 1 - head->data);
	ms_buf_init(&via);
	out->len = 0;
	int rc = ms_stack_via(ua->stack, dst, head->len + 100, udp_only, &via);
	if (rc == 0)
		rc = ms_buf_add(out, head->data, line);
	if (rc == 0)
		rc = ms_buf_printf(out, "Via: %.*s\r\n", (int)via.len, via.data);
	if (rc == 0)
		rc = ms_buf_add(out, head->data + line, head->len - line);
	ms_buf_free(&via);
	return rc;
}

static void on_ctxn(struct ms_ctxn *ct, unsigned status, struct ms_msg *resp, void *arg)
{
	struct ms__ua_out *o = arg;
	if (status == MS_TXN_TERMINATED) {
		if (ct == o->ct) {
			o->ct = NULL;
			o->cb(o, status, NULL);
		}
		return;
	}
	if ((status == 401 || status == 407) && resp && !o->final && ms__ua_auth_retry(o, resp) == 1)
		return;
	if (status >= 200)
		o->final = true;
	o->cb(o, status, resp); /* last: the owner may free o */
}

/* Sends o->sent again in a new transaction (the first time, or with new
 * credentials). */
int ms__ua_out_send(struct ms__ua_out *o)
{
	int rc = ms__ua_with_via(o->ua, &o->head, &o->dst, o->udp_only, &o->sent);
	struct ms_ctxn *ct = NULL;
	if (rc == 0)
		rc = ms_ctxn_new(&ct, ms_stack_txn(o->ua->stack), o->sent.data, o->sent.len, &o->dst, on_ctxn,
				 o);
	if (rc)
		return rc;
	if (o->ct)
		ms_ctxn_release(o->ct);
	o->ct = ct;
	o->final = false;
	return 0;
}

int ms__ua_out_start(struct ms__ua_out *o, struct ms_str hop)
{
	int rc = ms__ua_peer(hop, &o->dst, &o->udp_only);
	if (rc == MS_EAGAIN)
		return MS_ENOTSUP; /* a host name as an in-dialog target */
	return rc ? rc : ms__ua_out_send(o);
}

/* The first address of the answer the UA has a listener of its family
 * for, and the request sent there; else 503 (RFC 3263 §4.3: no server
 * could be reached), as a transport error would give. */
static void on_resolved(int err, const struct sockaddr_storage *addrs, size_t n, void *arg)
{
	struct ms__ua_out *o = arg;
	struct sockaddr_storage local;
	o->lookup = NULL;
	for (size_t i = 0; err == 0 && i < n; i++) {
		if (ms_stack_local(o->ua->stack, o->dst.proto, addrs[i].ss_family, &local) < 0)
			continue;
		o->dst.addr = addrs[i];
		err = ms__ua_out_send(o);
		if (err == 0)
			return;
	}
	ms_log(&o->ua->log, MS_LOG_WARN, "ua: the next hop's name: %s",
	       err ? ms_strerror(err) : "no address of a family the UA listens on");
	o->final = true;
	o->cb(o, 503, NULL); /* last: the owner may free o */
}

int ms__ua_out_start_named(struct ms__ua_out *o, struct ms_str hop)
{
	struct ms_str name;
	uint16_t port;
	int rc = hop_parse(hop, &o->dst, &o->udp_only, &name, &port);
	if (rc != MS_EAGAIN)
		return rc ? rc : ms__ua_out_send(o);
	struct ms_ua *ua = o->ua;
	if (!ua->resolver && (rc = ms_resolver_new(&ua->resolver, ua->loop, 0)) < 0)
		return rc;
	return ms_resolve(ua->resolver, name, AF_UNSPEC, port, on_resolved, o, &o->lookup);
}

uint32_t ms__ua_out_cseq(const struct ms__ua_out *o)
{
	struct ms_msg m;
	uint32_t n = 0;
	ms_msg_init(&m);
	if (ms_msg_parse(&m, o->head.data, o->head.len, MS_PARSE_DGRAM) >= 0) {
		const struct ms_cseq *c = ms_msg_cseq(&m);
		n = c ? c->num : 0;
	}
	ms_msg_free(&m);
	return n;
}
