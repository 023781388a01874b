/* The layer: its life, the entry point for received messages, the TU's
 * calls, and what the four machines share: references, sending, timers and
 * the end of a transaction. The machines themselves are one file each. */
#include <stddef.h>
#include <string.h>
#include <netinet/in.h>

#include "base/alloc.h"
#include "moonsip/edit.h"
#include "msg/msg_private.h"
#include "txn/txn_private.h"

#define CONTAINER(p, type, field) ((type *)(void *)((char *)(p)-offsetof(type, field)))

/* RFC 3261 §17.1.1.1 defaults. */
enum { T1_DEFAULT = 500, T2_DEFAULT = 4000, T4_DEFAULT = 5000, T1_MAX = 60000 };

static int fill_config(struct ms_txn_config *c, const struct ms_txn_config *in)
{
	*c = *in;
	if (!c->t1)
		c->t1 = T1_DEFAULT;
	if (!c->t2)
		c->t2 = T2_DEFAULT;
	if (!c->t4)
		c->t4 = T4_DEFAULT;
	/* 64*T1 and the doubled intervals stay far from overflow. */
	if (!c->request_cb || c->t1 > T1_MAX || c->t2 < c->t1 || c->t2 > 64u * T1_MAX || c->t4 > 64u * T1_MAX)
		return MS_EINVAL;
	return 0;
}

static bool env_ok(const struct ms_txn_env *e)
{
	return e && e->timer_init && e->timer_start && e->timer_stop && e->now_ms && e->send && e->reliable;
}

int ms_txn_layer_new(struct ms_txn_layer **out, const struct ms_txn_env *env, const struct ms_txn_config *cfg)
{
	if (!env_ok(env) || !cfg)
		return MS_EINVAL;
	struct ms_txn_layer *l = ms__calloc(1, sizeof *l);
	if (!l)
		return MS_ENOMEM;
	l->env = *env;
	int rc = fill_config(&l->cfg, cfg);
	if (rc == 0)
		rc = ms__txn_seed(l);
	if (rc == 0)
		rc = ms__txn_table_init(l);
	if (rc) {
		ms__txn_table_free(l);
		ms__free(l);
		return rc;
	}
	*out = l;
	return 0;
}

static void txn_free(struct ms__txn *t)
{
	struct ms_txn_layer *l = t->layer;
	l->env.timer_stop(l->env.clock, &t->retx);
	l->env.timer_stop(l->env.clock, &t->end);
	ms__txn_table_unlink(t);
	if (t->prev)
		t->prev->next = t->next;
	else
		l->all = t->next;
	if (t->next)
		t->next->prev = t->prev;
	l->count--;
	ms__free((char *)t->req.s);
	ms__free((char *)t->aux.s);
	ms__free(t);
}

void ms_txn_layer_free(struct ms_txn_layer *l)
{
	if (!l)
		return;
	while (l->all)
		txn_free(l->all);
	ms__txn_table_free(l);
	ms__free(l);
}

size_t ms_txn_layer_count(const struct ms_txn_layer *l)
{
	return l->count;
}

/* References (see txn_private.h). */

void ms__txn_hold(struct ms__txn *t)
{
	t->refs++;
}

void ms__txn_put(struct ms__txn *t)
{
	if (--t->refs == 0)
		txn_free(t);
}

/* A non-INVITE server transaction that has sent its final answer and that
 * its TU let go only matches retransmissions until Timer J ends it (32 s
 * over UDP): it keeps the strings of its key and the answer, not the whole
 * request, so that a server taking thousands of requests a second holds
 * less for those seconds. On no memory it keeps the request. */
static void compact(struct ms__txn *t)
{
	struct ms__txn_key *k = &t->key;
	struct ms_str *s[] = { &k->branch,   &k->host,   &k->method_s, &k->call_id,
			       &k->from_tag, &k->to_tag, &k->ruri,     &k->via };
	size_t n = 0;
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
		n += s[i]->len;
	char *c = n < t->req.len ? ms__malloc(n ? n : 1) : NULL;
	if (!c)
		return;
	size_t at = 0;
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
		if (!s[i]->s)
			continue;
		memcpy(c + at, s[i]->s, s[i]->len);
		s[i]->s = c + at;
		at += s[i]->len;
	}
	ms__free((char *)t->req.s);
	t->req = (struct ms_str){ c, n };
}

void ms__txn_tu_drop(struct ms__txn *t)
{
	if (!t->tu)
		return;
	t->tu = false;
	if (t->kind == MS__STXN_NI && t->state == MS__TXN_COMPLETED)
		compact(t);
	ms__txn_put(t);
}

/* Timers: each fires into its machine with the transaction held, so the
 * machine may end it and still finish its own work. */

static void fire(struct ms__txn *t, struct ms_txn_timer *tm)
{
	if (t->state == MS__TXN_TERMINATED)
		return;
	ms__txn_hold(t);
	if (tm == &t->end && t->error)
		ms__txn_fail(t, t->error);
	else if (t->kind == MS__CTXN_INVITE)
		ms__ctxn_invite_timer(MS__CTXN(t), tm);
	else if (t->kind == MS__CTXN_NI)
		ms__ctxn_ni_timer(MS__CTXN(t), tm);
	else if (t->kind == MS__STXN_INVITE)
		ms__stxn_invite_timer(MS__STXN(t), tm);
	else
		ms__stxn_ni_timer(MS__STXN(t), tm);
	ms__txn_put(t);
}

static void fire_retx(struct ms_txn_timer *tm)
{
	fire(CONTAINER(tm, struct ms__txn, retx), tm);
}

static void fire_end(struct ms_txn_timer *tm)
{
	fire(CONTAINER(tm, struct ms__txn, end), tm);
}

void ms__txn_timer_start(struct ms__txn *t, struct ms_txn_timer *tm, uint32_t ms)
{
	t->layer->env.timer_start(t->layer->env.clock, tm, ms);
}

void ms__txn_timer_stop(struct ms__txn *t, struct ms_txn_timer *tm)
{
	t->layer->env.timer_stop(t->layer->env.clock, tm);
}

uint32_t ms__txn_64t1(const struct ms__txn *t)
{
	return 64u * t->layer->cfg.t1;
}

/* A new transaction, held by being alive and by its TU, in the layer's
 * list but not yet in its maps. */
static struct ms__txn *txn_new(struct ms_txn_layer *l, enum ms__txn_kind kind, size_t size)
{
	struct ms__txn *t = ms__calloc(1, size);
	if (!t)
		return NULL;
	t->layer = l;
	t->kind = kind;
	t->refs = 2;
	t->tu = true;
	t->retx.fire = fire_retx;
	t->end.fire = fire_end;
	l->env.timer_init(l->env.clock, &t->retx);
	l->env.timer_init(l->env.clock, &t->end);
	t->next = l->all;
	if (l->all)
		l->all->prev = t;
	l->all = t;
	l->count++;
	return t;
}

int ms__txn_send(struct ms__txn *t, struct ms_str bytes)
{
	struct ms_txn_env *e = &t->layer->env;
	return e->send(e->transport, &t->peer, bytes.s, bytes.len);
}

int ms__txn_keep(struct ms_str *slot, const char *p, size_t len)
{
	char *c = ms__malloc(len ? len : 1);
	if (!c)
		return MS_ENOMEM;
	if (len)
		memcpy(c, p, len);
	ms__free((char *)slot->s);
	*slot = (struct ms_str){ c, len };
	return 0;
}

void ms__ctxn_report(struct ms_ctxn *ct, unsigned status, struct ms_msg *resp)
{
	if (!ct->t.tu || !ct->cb)
		return;
	ms__txn_hold(&ct->t);
	ct->cb(ct, status, resp, ct->arg);
	ms__txn_put(&ct->t);
}

void ms__stxn_report(struct ms_stxn *st, unsigned status)
{
	if (!st->t.tu || !st->cb)
		return;
	ms__txn_hold(&st->t);
	st->cb(st, status, st->arg);
	ms__txn_put(&st->t);
}

void ms__txn_terminate(struct ms__txn *t)
{
	if (t->state == MS__TXN_TERMINATED)
		return;
	t->state = MS__TXN_TERMINATED;
	ms__txn_timer_stop(t, &t->retx);
	ms__txn_timer_stop(t, &t->end);
	ms__txn_table_unlink(t);
	ms__txn_hold(t);
	if (ms__txn_is_client(t)) {
		ms__ctxn_report(MS__CTXN(t), MS_TXN_TERMINATED, NULL);
		ms__txn_tu_drop(t);
	} else if (MS__STXN(t)->cb) {
		ms__stxn_report(MS__STXN(t), MS_TXN_TERMINATED);
		ms__txn_tu_drop(t);
	}
	/* A server TU without a callback that has not answered yet keeps its
	 * handle: the transaction waits, out of the maps, for its answer. */
	ms__txn_put(t); /* alive */
	ms__txn_put(t); /* held above */
}

bool ms__txn_can_fail(const struct ms__txn *t)
{
	switch (t->state) {
	case MS__TXN_CALLING:
	case MS__TXN_TRYING:
	case MS__TXN_PROCEEDING: return true;
	case MS__TXN_COMPLETED:
		/* A server still retransmitting its final response waits for
		 * an ACK that cannot come; a client has its answer already. */
		return !ms__txn_is_client(t);
	default: return false;
	}
}

void ms__txn_fail(struct ms__txn *t, int err)
{
	if (!ms__txn_can_fail(t))
		return;
	t->error = err;
	if (ms__txn_is_client(t))
		ms__ctxn_report(MS__CTXN(t), 503, NULL);
	else
		ms__stxn_report(MS__STXN(t), 503);
	ms__txn_terminate(t);
}

unsigned ms_txn_layer_transport_error(struct ms_txn_layer *l, const struct ms_txn_peer *peer, int err)
{
	/* The list is made before any callback runs: a TU acting from one
	 * cannot pull a transaction out from under the walk. */
	struct ms__txn *t = ms__txn_find_peer(l, peer, ms__txn_can_fail);
	unsigned clients = 0;
	while (t) {
		struct ms__txn *next = t->doomed;
		t->doomed = NULL;
		t->marked = false;
		clients += ms__txn_is_client(t);
		ms__txn_fail(t, err ? err : MS_EINVAL);
		ms__txn_put(t);
		t = next;
	}
	return clients;
}

/* Client transactions: the TU's calls. */

static bool has_cookie(struct ms_str branch)
{
	return branch.len >= MS__TXN_COOKIE_LEN && memcmp(branch.s, MS__TXN_COOKIE, MS__TXN_COOKIE_LEN) == 0;
}

/* Parses the owned copy of a request the TU gives and checks it can open
 * a client transaction of this layer. */
static int client_key(struct ms_txn_layer *l, struct ms_msg *m, struct ms__txn_key *k)
{
	if (ms_msg_check(m) < 0 || !m->is_request || m->method == MS_METHOD_ACK)
		return MS_EINVAL;
	if (ms__txn_key_from_msg(k, m) < 0 || !has_cookie(k->branch))
		return MS_EINVAL;
	if (ms__txn_find_client(l, k->branch, k->method, k->method_s))
		return MS_EINVAL;
	return 0;
}

/* Both client machines start alike (§17.1.1.2, §17.1.2.2): send, then
 * Timer A or E at T1 over unreliable transports, and Timer B or F. */
static void start_client(struct ms__txn *t, enum ms__txn_state state)
{
	t->state = state;
	int rc = ms__txn_send(t, t->req);
	if (rc) {
		/* Reported from the timer, after ms_ctxn_new has returned. */
		t->error = rc;
		ms__txn_timer_start(t, &t->end, 0);
		return;
	}
	if (!t->reliable) {
		t->retx_ms = t->layer->cfg.t1;
		ms__txn_timer_start(t, &t->retx, t->retx_ms);
	}
	ms__txn_timer_start(t, &t->end, ms__txn_64t1(t));
}

int ms_ctxn_new(struct ms_ctxn **out, struct ms_txn_layer *l, const char *req, size_t len,
		const struct ms_txn_peer *dst, ms_ctxn_cb cb, void *arg)
{
	struct ms_str copy = MS_STR_NULL;
	struct ms__txn_key k;
	struct ms_msg m;
	if (!cb || !dst || !req)
		return MS_EINVAL;
	if (ms__txn_keep(&copy, req, len) < 0)
		return MS_ENOMEM;
	ms_msg_init(&m);
	int rc = ms_msg_parse(&m, copy.s, copy.len, MS_PARSE_DGRAM) < 0 ? MS_EINVAL : client_key(l, &m, &k);
	bool invite = m.method == MS_METHOD_INVITE;
	ms_msg_free(&m);
	struct ms__txn *t = NULL;
	if (rc == 0) {
		t = txn_new(l, invite ? MS__CTXN_INVITE : MS__CTXN_NI, sizeof(struct ms_ctxn));
		rc = t ? 0 : MS_ENOMEM;
	}
	if (rc) {
		ms__free((char *)copy.s);
		return rc;
	}
	t->req = copy;
	t->key = k;
	t->peer = *dst;
	t->reliable = l->env.reliable(l->env.transport, dst);
	MS__CTXN(t)->cb = cb;
	MS__CTXN(t)->arg = arg;
	ms__txn_table_link(t);
	start_client(t, invite ? MS__TXN_CALLING : MS__TXN_TRYING);
	*out = MS__CTXN(t);
	return 0;
}

void ms_ctxn_release(struct ms_ctxn *ct)
{
	ct->cb = NULL;
	ms__txn_tu_drop(&ct->t);
}

/* Server transactions. */

/* A slice of message 'm' moved to the same place in 'copy'. Slices not
 * into the message (none, or a static text) stay as they are. */
static struct ms_str rebase(struct ms_str s, const struct ms_msg *m, const char *copy)
{
	if (!s.s || s.s < m->buf || s.s > m->buf + m->len)
		return s.len ? s : MS_STR_NULL;
	return (struct ms_str){ copy + (s.s - m->buf), s.len };
}

static void rebase_key(struct ms__txn_key *k, const struct ms_msg *m, const char *copy)
{
	struct ms_str *s[] = { &k->branch,   &k->host,   &k->method_s, &k->call_id,
			       &k->from_tag, &k->to_tag, &k->ruri,     &k->via };
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
		*s[i] = rebase(*s[i], m, copy);
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	unsigned char *p = NULL;
	if (ss->ss_family == AF_INET)
		p = (unsigned char *)&((struct sockaddr_in *)ss)->sin_port;
	else if (ss->ss_family == AF_INET6)
		p = (unsigned char *)&((struct sockaddr_in6 *)ss)->sin6_port;
	if (p) {
		p[0] = (unsigned char)(port >> 8);
		p[1] = (unsigned char)port;
	}
}

int ms_txn_response_peer(struct ms_txn_layer *l, struct ms_msg *req, const struct ms_txn_peer *src,
			 struct ms_txn_peer *out)
{
	const struct ms_via *via = ms_msg_via(req);
	if (!via)
		return MS_EBADMSG;
	*out = *src;
	if (l->env.reliable(l->env.transport, src) || via->has_rport)
		return 0;
	/* The source address stands for "received"; the port is the one the
	 * client said it listens on. */
	set_port(&out->addr, via->port ? via->port : 5060);
	return 0; /* conn kept: the transport may use it to pick the socket */
}

static int server_new(struct ms_txn_layer *l, struct ms_msg *m, const struct ms__txn_key *k,
		      const struct ms_txn_peer *src)
{
	bool invite = k->method == MS_METHOD_INVITE;
	struct ms__txn *t = txn_new(l, invite ? MS__STXN_INVITE : MS__STXN_NI, sizeof(struct ms_stxn));
	if (!t)
		return MS_ENOMEM;
	int rc = ms__txn_keep(&t->req, m->buf, m->len);
	if (rc == 0)
		rc = ms_txn_response_peer(l, m, src, &t->peer);
	if (rc) {
		t->refs = 1;
		ms__txn_put(t);
		return rc;
	}
	t->key = *k;
	rebase_key(&t->key, m, t->req.s);
	t->reliable = l->env.reliable(l->env.transport, &t->peer);
	ms__txn_table_link(t);
	if (invite)
		ms__stxn_invite_start(MS__STXN(t));
	else
		ms__stxn_ni_start(MS__STXN(t));
	ms__txn_hold(t);
	l->cfg.request_cb(MS__STXN(t), m, src, l->cfg.arg);
	ms__txn_put(t);
	return 1;
}

static int receive_request(struct ms_txn_layer *l, struct ms_msg *m, const struct ms__txn_key *k,
			   const struct ms_txn_peer *src)
{
	bool ack = m->method == MS_METHOD_ACK;
	struct ms__txn *t = ms__txn_find_server(l, k, ack ? MS__MATCH_ACK : MS__MATCH_SAME);
	if (!t && ack) {
		l->cfg.request_cb(NULL, m, src, l->cfg.arg);
		return 1;
	}
	if (!t)
		return server_new(l, m, k, src);
	ms__txn_hold(t);
	if (ack)
		ms__stxn_invite_ack(MS__STXN(t), m, src);
	else if (t->kind == MS__STXN_INVITE)
		ms__stxn_invite_request(MS__STXN(t));
	else
		ms__stxn_ni_request(MS__STXN(t));
	ms__txn_put(t);
	return 1;
}

static int receive_response(struct ms_txn_layer *l, struct ms_msg *m, const struct ms__txn_key *k)
{
	struct ms__txn *t = ms__txn_find_client(l, k->branch, k->method, k->method_s);
	if (!t)
		return 0;
	if (m->status < 100 || m->status > 699)
		return 1;
	ms__txn_hold(t);
	if (t->kind == MS__CTXN_INVITE)
		ms__ctxn_invite_response(MS__CTXN(t), m);
	else
		ms__ctxn_ni_response(MS__CTXN(t), m);
	ms__txn_put(t);
	return 1;
}

int ms_txn_layer_receive(struct ms_txn_layer *l, struct ms_msg *m, const struct ms_txn_peer *src)
{
	struct ms__txn_key k;
	if (ms__txn_key_from_msg(&k, m) < 0)
		return MS_EBADMSG;
	return m->is_request ? receive_request(l, m, &k, src) : receive_response(l, m, &k);
}

/* Server transactions: the TU's calls. */

void ms_stxn_set_cb(struct ms_stxn *st, ms_stxn_cb cb, void *arg)
{
	st->cb = cb;
	st->arg = arg;
}

struct ms_str ms_stxn_request(const struct ms_stxn *st)
{
	return st->t.req;
}

unsigned ms_stxn_status(const struct ms_stxn *st)
{
	return st->t.status;
}

int ms_stxn_cancel_target(struct ms_stxn *cancel, struct ms_stxn **invite)
{
	*invite = NULL;
	if (cancel->t.key.method != MS_METHOD_CANCEL)
		return MS_EINVAL;
	struct ms__txn *t = ms__txn_find_server(cancel->t.layer, &cancel->t.key, MS__MATCH_CANCEL);
	if (!t)
		return MS_ENOENT;
	if (t->tu)
		*invite = MS__STXN(t);
	return 0;
}

/* Whether the TU may send a response of 'status' now: anything before the
 * final one, and after it only the 2xx it retransmits while Accepted. */
static bool in_turn(const struct ms__txn *t, unsigned status)
{
	if (t->state == MS__TXN_TRYING || t->state == MS__TXN_PROCEEDING)
		return true;
	return t->state == MS__TXN_ACCEPTED && status >= 200 && status < 300;
}

/* Keeps the response as the one to send again, with the To tag an RFC 2543
 * ACK is matched on. */
static int keep_response(struct ms_stxn *st, struct ms_msg *m)
{
	const struct ms_nameaddr *to = ms_msg_to(m); /* none read for a non-INVITE */
	int rc = ms__txn_keep(&st->t.aux, m->buf, m->len);
	if (rc == 0)
		st->resp_tag = to ? rebase(to->tag, m, st->t.aux.s) : MS_STR_NULL;
	st->t.status = m->status;
	return rc;
}

/* Sends a response the TU gave; *taken tells whether the machine took it
 * (even when the transport then refused it). */
static int reply(struct ms_stxn *st, struct ms_msg *m, bool *taken)
{
	struct ms__txn *t = &st->t;
	*taken = false;
	if (t->state == MS__TXN_TERMINATED) {
		*taken = true;
		return MS_ENOENT;
	}
	if (!in_turn(t, m->status))
		return MS_EINVAL;
	int rc = keep_response(st, m);
	if (rc)
		return rc;
	*taken = true;
	if (t->kind == MS__STXN_INVITE)
		return ms__stxn_invite_reply(st, m->status);
	return ms__stxn_ni_reply(st, m->status);
}

/* Only an INVITE transaction needs more of a response than its status
 * line (an ACK for a non-2xx final response is matched on the To tag):
 * for the others, the text the TU made is not parsed whole (that cost as
 * much as parsing the request). */
static int parse_response(const struct ms_stxn *st, struct ms_msg *m, const char *resp, size_t len)
{
	if (st->t.kind == MS__STXN_INVITE)
		return ms_msg_parse(m, resp, len, MS_PARSE_DGRAM);
	return ms__msg_parse_start(m, resp, len);
}

int ms_stxn_reply(struct ms_stxn *st, const char *resp, size_t len)
{
	struct ms_msg m;
	bool taken;
	ms_msg_init(&m);
	int rc = parse_response(st, &m, resp, len);
	if (rc < 0 || m.is_request || m.status < 100 || m.status > 699) {
		ms_msg_free(&m);
		return MS_EINVAL;
	}
	ms__txn_hold(&st->t);
	rc = reply(st, &m, &taken);
	/* A final response ends the handle of a TU that asked for no events. */
	if (taken && m.status >= 200 && !st->cb)
		ms__txn_tu_drop(&st->t);
	ms__txn_put(&st->t);
	ms_msg_free(&m);
	return rc;
}

/* The start of a response (§8.2.6) to a request, with no body. */
static int build_response(struct ms_buf *b, struct ms_msg *req, unsigned code, struct ms_str reason,
			  struct ms_str to_tag)
{
	int rc = ms_build_response(b, req, code, reason, to_tag);
	return rc ? rc : ms_build_end(b, MS_STR_NULL, MS_STR_NULL);
}

int ms__stxn_build(struct ms_stxn *st, struct ms_buf *b, unsigned code, struct ms_str reason,
		   struct ms_str to_tag)
{
	struct ms_msg m;
	ms_msg_init(&m);
	int rc = ms_msg_parse(&m, st->t.req.s, st->t.req.len, MS_PARSE_DGRAM);
	rc = rc < 0 ? MS_EINVAL : build_response(b, &m, code, reason, to_tag);
	ms_msg_free(&m);
	return rc;
}

int ms_stxn_respond(struct ms_stxn *st, unsigned code, struct ms_str reason, struct ms_str to_tag)
{
	struct ms_buf b;
	ms_buf_init(&b);
	int rc = ms__stxn_build(st, &b, code, reason, to_tag);
	if (rc == 0)
		rc = ms_stxn_reply(st, b.data, b.len);
	ms_buf_free(&b);
	return rc;
}

/* Without a transaction. */

int ms_txn_send(struct ms_txn_layer *l, const struct ms_txn_peer *dst, const char *buf, size_t len)
{
	return l->env.send(l->env.transport, dst, buf, len);
}

int ms_txn_reply_stateless(struct ms_txn_layer *l, struct ms_msg *req, const struct ms_txn_peer *src,
			   unsigned code, struct ms_str reason, struct ms_str to_tag)
{
	struct ms_txn_peer dst;
	struct ms_buf b;
	int rc = ms_txn_response_peer(l, req, src, &dst);
	if (rc)
		return rc;
	ms_buf_init(&b);
	rc = build_response(&b, req, code, reason, to_tag);
	if (rc == 0)
		rc = ms_txn_send(l, &dst, b.data, b.len);
	ms_buf_free(&b);
	return rc;
}
