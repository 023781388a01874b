/* The stack: listeners and one transaction layer on the caller's loop. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "base/alloc.h"
#include "moonsip/uri.h"
#include "stack/stack_private.h"
#include "transport/tcp.h"

static int check_config(const struct ms_stack_config *cfg)
{
	if (!cfg->loop || !cfg->request_cb) {
		ms_log(&cfg->log, MS_LOG_ERROR, "stack: a loop and a request callback are required");
		return MS_EINVAL;
	}
	if (cfg->max_msg && cfg->max_msg < 1024) {
		ms_log(&cfg->log, MS_LOG_ERROR, "stack: max_msg %zu is under 1024 bytes", cfg->max_msg);
		return MS_EINVAL;
	}
	return 0;
}

static void defaults(struct ms_stack_config *c)
{
	if (!c->max_msg)
		c->max_msg = 65536;
	if (!c->udp_max)
		c->udp_max = 1300;
	if (!c->log.fn && !c->log.level)
		c->log.level = MS_LOG_WARN;
}

/* A random To tag for the stateless error answers. */
static void make_tag(struct ms_stack *s)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[5] = { 0 };
	if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		memcpy(r, &s, sizeof r < sizeof s ? sizeof r : sizeof s);
	for (unsigned i = 0; i < sizeof r; i++) {
		s->tag[2 * i] = hex[r[i] >> 4];
		s->tag[2 * i + 1] = hex[r[i] & 15];
	}
	s->tag[2 * sizeof r] = 0;
}

/* A Request-URI scheme no part of moonsip can act on (RFC 3261 §8.2.2.1
 * and §16.3 step 2 both answer it with 416): anything but sip, sips, tel. */
static bool refuse_scheme(struct ms_stack *s, struct ms_stxn *st, struct ms_msg *req)
{
	const struct ms_uri *u = ms_msg_ruri(req);
	if (!u || u->scheme != MS_URI_OTHER)
		return false;
	char reason[80];
	int n = snprintf(reason, sizeof reason, "Unsupported URI Scheme: %.*s",
			 (int)(u->scheme_s.len > 40 ? 40 : u->scheme_s.len), u->scheme_s.s);
	ms_stxn_respond(st, 416, (struct ms_str){ reason, (size_t)n },
			(struct ms_str){ s->tag, strlen(s->tag) });
	return true;
}

/* Every new request passes here: while the stack shuts down, new ones are
 * refused with 503 so that clients try elsewhere at once. */
static void on_request(struct ms_stxn *st, struct ms_msg *req, const struct ms_txn_peer *src, void *arg)
{
	struct ms_stack *s = arg;
	if (st && s->draining) {
		ms_stxn_respond(st, 503, MS_STR("Service Unavailable: shutting down"),
				(struct ms_str){ s->tag, strlen(s->tag) });
		return;
	}
	if (st && req->method != MS_METHOD_CANCEL && refuse_scheme(s, st, req))
		return;
	s->cfg.request_cb(st, req, src, s->cfg.arg);
}

int ms_stack_new(struct ms_stack **out, const struct ms_stack_config *cfg)
{
	int rc = check_config(cfg);
	if (rc)
		return rc;
	struct ms_stack *s = ms__calloc(1, sizeof *s);
	if (!s)
		return MS_ENOMEM;
	s->cfg = *cfg;
	defaults(&s->cfg);
	make_tag(s);
	rc = ms__txn_ev_clock(&s->env, cfg->loop);
	if (rc) {
		ms__free(s);
		return rc;
	}
	s->env.transport = s;
	s->env.send = ms__stack_send;
	s->env.reliable = ms__stack_reliable;
	struct ms_txn_config tc = {
		.t1 = cfg->t1, .t2 = cfg->t2, .t4 = cfg->t4, .request_cb = on_request, .arg = s
	};
	rc = ms_txn_layer_new(&s->txn, &s->env, &tc);
	if (rc) {
		ms_log(&s->cfg.log, MS_LOG_ERROR, "stack: transaction layer: %s", ms_strerror(rc));
		ms__txn_ev_clock_free(&s->env);
		ms__free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int ms_stack_listen(struct ms_stack *s, const char *spec, const char **why)
{
	struct ms_listen_spec ls;
	int rc = ms_listen_parse(&ls, spec, why);
	if (rc)
		return rc;
	if (s->nls == MS__STACK_MAX_LISTENERS) {
		*why = "too many listeners";
		return MS_EMSGSIZE;
	}
	struct ms__listener *l = &s->ls[s->nls];
	memset(l, 0, sizeof *l);
	l->s = s;
	l->idx = s->nls + 1;
	l->proto = ls.proto;
	rc = ms__stack_open(l, &ls.addr, why);
	if (rc)
		return rc;
	s->nls++;
	char a[MS_ADDR_STRLEN];
	ms_log(&s->cfg.log, MS_LOG_INFO, "listening on %s %s", ms_proto_name(l->proto),
	       ms_addr_format(&l->addr, a));
	return 0;
}

int ms_stack_local(const struct ms_stack *s, enum ms_proto p, int family, struct sockaddr_storage *out)
{
	for (unsigned i = 0; i < s->nls; i++) {
		const struct ms__listener *l = &s->ls[i];
		if (l->proto == p && !l->outgoing && (family == AF_UNSPEC || l->addr.ss_family == family)) {
			*out = l->addr;
			return 0;
		}
	}
	return MS_ENOENT;
}

struct ms_txn_layer *ms_stack_txn(struct ms_stack *s)
{
	return s->txn;
}

struct ev_loop *ms_stack_loop(const struct ms_stack *s)
{
	return s->cfg.loop;
}

const struct ms_logger *ms_stack_logger(const struct ms_stack *s)
{
	return &s->cfg.log;
}

void ms_stack_stats(const struct ms_stack *s, struct ms_stack_stats *out)
{
	*out = s->stats;
	out->conns = 0;
	for (unsigned i = 0; i < s->nls; i++)
		if (s->ls[i].tcp)
			out->conns += ms__tcp_count(s->ls[i].tcp);
}

void ms_stack_stop_listening(struct ms_stack *s)
{
	s->draining = true;
	for (unsigned i = 0; i < s->nls; i++)
		ms__stack_stop(&s->ls[i]);
}

void ms_stack_free(struct ms_stack *s)
{
	if (!s)
		return;
	ms_txn_layer_free(s->txn);
	ms__txn_ev_clock_free(&s->env);
	for (unsigned i = 0; i < s->nls; i++)
		ms__stack_close(&s->ls[i]);
	ms__stack_tls_free(s);
	ms__free(s);
}
