/* The nat table: NAT detection (nat.detect), the Contact of a message
 * rewritten to where it came from (nat.fix_contact, Kamailio's
 * fix_nated_contact), and keep-alives to registered contacts behind a NAT
 * (nat.keepalive: RFC 5626 §4.4.1's CRLFCRLF, or an OPTIONS). All of it in
 * C, arguments checked here. */
#include <lauxlib.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/alloc.h"
#include "host_private.h"
#include "moonsip/edit.h"

/* OPTIONS keep-alives still waiting for their answer (Timer F: 32 s), past
 * which a tick sends none: peers that never answer cannot pile up
 * transactions without end. */
#define MAX_PENDING 65536

struct ms__lua_nat {
	struct ms_lua_host *h;
	ev_timer timer;
	unsigned pending; /* OPTIONS transactions not ended */
	unsigned long long answered, unanswered;
};

/* The keep-alives a script asked for, kept in its own state's registry:
 * each tick reads the running script's, so that a reload decides (a
 * reloaded script that does not call nat.keepalive stops them), and a
 * reload that fails after its top level called it leaves the running
 * script's (only the time of the next tick may have moved). */
struct ka_cfg {
	bool on;
	bool options; /* OPTIONS, else CRLFCRLF */
	double interval;
};
static const char cfg_key = 0; /* its address is the registry key */

static struct ms_lua_host *host(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

/* Detection --------------------------------------------------------------- */

bool ms__lua_via_nat(const struct ms_via *v, const struct ms_txn_peer *src)
{
	if (!v)
		return false;
	struct sockaddr_storage sent;
	uint16_t from = ms_addr_port(&src->addr);
	/* A name cannot be compared without a lookup: RFC 3261 §18.2.1 marks
	 * it received, and so does this. */
	if (ms_addr_set(&sent, v->host, from) < 0 || !ms_addr_equal(&sent, &src->addr))
		return true;
	/* Over TCP and TLS a client connects from a port of its kernel's,
	 * whatever its Via says: the port tells only when it asked for rport. */
	if (src->proto != MS_PROTO_UDP && !v->has_rport)
		return false;
	uint16_t port = v->port ? v->port : ms_str_ieqz(v->transport, "TLS") ? 5061 : 5060;
	return from != port;
}

/* Private address space: RFC 1918, RFC 6598 (carrier-grade NAT), IPv6
 * unique local (fc00::/7) and link-local (fe80::/10), IPv4-mapped too. */
static bool private_v4(uint32_t a)
{
	return (a >> 24) == 10 || (a & 0xfff00000u) == 0xac100000u || (a & 0xffff0000u) == 0xc0a80000u ||
		(a & 0xffc00000u) == 0x64400000u;
}

static bool private_host(struct ms_str host)
{
	struct sockaddr_storage a;
	if (ms_addr_set(&a, host, 0) < 0)
		return false;
	if (a.ss_family == AF_INET)
		return private_v4(ntohl(((const struct sockaddr_in *)&a)->sin_addr.s_addr));
	const uint8_t *b = ((const struct sockaddr_in6 *)&a)->sin6_addr.s6_addr;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (!memcmp(b, mapped, sizeof mapped))
		return private_v4((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 |
				  b[15]);
	return (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

static bool contact_private(struct ms_msg *m)
{
	for (const struct ms_hdr *h = ms_msg_hdr(m, MS_HDR_CONTACT); h; h = ms_msg_hdr_next(m, h)) {
		struct ms_contact c;
		const char *why;
		if (ms_contact_parse(&c, h->value, &why) == 0 && !c.star && private_host(c.na.uri.host))
			return true;
	}
	return false;
}

/* Argument 1: a request or response object, and the message it reads. */
static struct ms_lua_req *msg_arg(lua_State *L, const char *fn, struct ms_msg **m)
{
	if (lua_type(L, 1) != LUA_TUSERDATA)
		luaL_error(L, "bad argument #1 to '%s' (request or response expected, got %s)", fn,
			   luaL_typename(L, 1));
	struct ms_lua_req *r = ms__lua_check_req(L, 1);
	*m = ms__lua_req_view(L, r); /* with the API's time check */
	return r;
}

/* A request's source; for a response, where its branch was sent (set for
 * the responses on_reply sees). Branches and made-up answers have none. */
static bool has_source(const struct ms_lua_req *r)
{
	return r->src.addr.ss_family == AF_INET || r->src.addr.ss_family == AF_INET6;
}

/* nat.detect(msg): true and "via" (a request's source is not its top
 * Via's sent-by), true and "contact" (a Contact in private address space),
 * or false. For a response only the Contact test means anything: its Via
 * is the caller's. */
static int nat_detect(lua_State *L)
{
	struct ms_msg *m;
	struct ms_lua_req *r = msg_arg(L, "nat.detect", &m);
	if (m->is_request && !has_source(r))
		return luaL_error(
			L, "nat.detect: this request has no source address (a branch is not received)");
	const char *why = NULL;
	if (m->is_request && ms__lua_via_nat(ms_msg_via(m), &r->src))
		why = "via";
	else if (contact_private(m))
		why = "contact";
	lua_pushboolean(L, why != NULL);
	if (!why)
		return 1;
	lua_pushstring(L, why);
	return 2;
}

/* Fixing the Contact ------------------------------------------------------- */

/* The value with folded lines undone (an edited value holds no CR or LF). */
static void add_unfolded(luaL_Buffer *b, const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != '\r' && *p != '\n')
			luaL_addchar(b, *p);
}

/* The Contact value with its URI's host and port replaced by 'src',
 * pushed as a Lua string (collected, whatever error comes after). */
static void push_fixed(lua_State *L, const struct ms_hdr *h, const struct ms_uri *u,
		       const struct sockaddr_storage *src)
{
	char a[MS_ADDR_STRLEN];
	const char *rest = u->port_s.len ? u->port_s.s + u->port_s.len : u->host.s + u->host.len;
	luaL_Buffer b;
	luaL_buffinit(L, &b);
	add_unfolded(&b, h->value.s, u->host.s);
	luaL_addstring(&b, ms_addr_format(src, a)); /* IPv6 in brackets */
	add_unfolded(&b, rest, h->value.s + h->value.len);
	luaL_pushresult(&b);
}

/* Whether the URI already names 'src' (its port, or the default). */
static bool names_source(const struct ms_uri *u, const struct sockaddr_storage *src)
{
	struct sockaddr_storage at;
	uint16_t port = u->port ? u->port : u->scheme == MS_URI_SIPS ? 5061 : 5060;
	return ms_addr_set(&at, u->host, port) == 0 && ms_addr_equal(&at, src);
}

/* nat.fix_contact(msg): the first Contact's host and port become the
 * address the message came from (user and parameters kept); true when it
 * changed. The edit goes where every edit goes: into the request relayed,
 * or for a response in on_reply, into the response sent upstream. */
static int nat_fix_contact(lua_State *L)
{
	struct ms_msg *m;
	struct ms_lua_req *r = msg_arg(L, "nat.fix_contact", &m);
	if (!has_source(r))
		return luaL_error(
			L,
			"nat.fix_contact: this %s has no source address (only a received request and "
			"the responses on_reply sees have one)",
			m->is_request ? "request" : "response");
	const struct ms_hdr *h = ms_msg_hdr(m, MS_HDR_CONTACT);
	struct ms_contact c;
	const char *why = "";
	if (!h) {
		lua_pushboolean(L, 0);
		return 1;
	}
	if (ms_contact_parse(&c, h->value, &why) < 0)
		return luaL_error(L, "nat.fix_contact: the Contact does not parse: %s", why);
	const struct ms_uri *u = &c.na.uri;
	if (c.star || (u->scheme != MS_URI_SIP && u->scheme != MS_URI_SIPS) || !u->host.len ||
	    names_source(u, &r->src.addr)) {
		lua_pushboolean(L, 0);
		return 1;
	}
	push_fixed(L, h, u, &r->src.addr);
	size_t len;
	const char *v = lua_tolstring(L, -1, &len);
	struct ms_edit e;
	ms_edit_init(&e, m);
	int rc = ms_edit_replace(&e, h, (struct ms_str){ v, len });
	ms__lua_req_commit(L, r, &e, rc, "nat.fix_contact");
	ms_log(r->h->cfg.log, MS_LOG_DEBUG, "nat: Contact rewritten to %s", v);
	lua_pushboolean(L, 1);
	return 1;
}

/* Keep-alives --------------------------------------------------------------- */

static void on_options(struct ms_ctxn *ct, unsigned status, struct ms_msg *resp, void *arg)
{
	struct ms__lua_nat *n = arg;
	(void)ct;
	if (status == MS_TXN_TERMINATED) {
		n->pending--;
		return;
	}
	if (status < 200)
		return;
	if (resp)
		n->answered++;
	else
		n->unanswered++;
	ms_log(n->h->cfg.log, MS_LOG_DEBUG, "nat: OPTIONS keep-alive: %u (%llu answered, %llu not so far)",
	       status, n->answered, n->unanswered);
}

/* An OPTIONS to the binding's contact, sent to 'dst' (where its REGISTER
 * came from) in a client transaction whose answer is only counted. */
static int send_options(struct ms__lua_nat *n, const struct ms_binding *b, struct ms_txn_peer *dst)
{
	struct ms_lua_host *h = n->h;
	unsigned long long k = ++h->ntags;
	struct ms_buf req, via;
	ms_buf_init(&req);
	ms_buf_init(&via);
	struct ms_str uri = { b->contact, strlen(b->contact) };
	int rc = ms_build_request_line(&req, MS_STR("OPTIONS"), uri);
	size_t line = req.len;
	if (rc == 0)
		rc = ms_stack_via(h->cfg.stack, dst, line + 200 + uri.len + strlen(b->aor), true, &via);
	if (rc == 0)
		rc = ms_buf_printf(&req,
				   "Via: %.*s\r\nMax-Forwards: 70\r\n"
				   "From: <sip:moonsip@moonsip.invalid>;tag=%s%llx\r\nTo: <%s>\r\n"
				   "Call-ID: %s-%llx-ka@moonsip\r\nCSeq: 1 OPTIONS\r\n",
				   (int)via.len, via.data, h->tag_prefix, k, b->aor, h->tag_prefix, k);
	if (rc == 0)
		rc = ms_build_end(&req, MS_STR_NULL, MS_STR_NULL);
	struct ms_ctxn *ct;
	if (rc == 0)
		rc = ms_ctxn_new(&ct, ms_stack_txn(h->cfg.stack), req.data, req.len, dst, on_options, n);
	if (rc == 0)
		n->pending++;
	ms_buf_free(&req);
	ms_buf_free(&via);
	return rc;
}

struct tick {
	struct ms__lua_nat *n;
	bool options;
	int64_t now;
	unsigned sent, skipped, failed;
};

/* One binding: a keep-alive when it came through a NAT, from the listener
 * its REGISTER reached, to where it came from. */
static void ping(const struct ms_binding *b, void *arg)
{
	struct tick *t = arg;
	struct ms_stack *s = t->n->h->cfg.stack;
	if (!b->nat || b->expires <= t->now)
		return;
	struct ms_listen_spec to, at;
	const char *why;
	if (ms_listen_parse(&to, b->received, &why) < 0) {
		t->skipped++;
		return;
	}
	struct ms_txn_peer dst = { .proto = to.proto, .addr = to.addr };
	bool local = b->socket[0] && ms_listen_parse(&at, b->socket, &why) == 0;
	if (ms_stack_peer_at(s, local ? &at.addr : NULL, &dst) < 0 ||
	    (t->options && t->n->pending >= MAX_PENDING)) {
		t->skipped++; /* no listener, no open connection, or too many waiting */
		return;
	}
	int rc = t->options ? send_options(t->n, b, &dst) : ms_stack_send_raw(s, &dst, "\r\n\r\n", 4);
	if (rc == 0) {
		t->sent++;
		return;
	}
	t->failed++;
	ms_log(t->n->h->cfg.log, MS_LOG_DEBUG, "nat: keep-alive to %s failed: %s", b->received,
	       ms_strerror(rc));
}

/* The running script's keep-alives (false when it asked for none). */
static bool current_cfg(struct ms_lua_host *h, struct ka_cfg *out)
{
	if (!h->cur)
		return false;
	lua_State *L = h->cur->L;
	lua_pushlightuserdata(L, (void *)&cfg_key);
	lua_rawget(L, LUA_REGISTRYINDEX);
	const struct ka_cfg *c = lua_touserdata(L, -1);
	if (c)
		*out = *c;
	lua_pop(L, 1);
	return c != NULL;
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ms__lua_nat *n = w->data;
	struct ms_lua_host *h = n->h;
	(void)revents;
	struct ka_cfg cfg = { .on = false };
	bool asked = current_cfg(h, &cfg);
	if (!cfg.on) {
		ev_timer_stop(loop, w);
		ms_log(h->cfg.log, MS_LOG_INFO, "nat: keep-alives stopped (the running script %s)",
		       asked ? "called nat.keepalive(false)" : "does not ask for them");
		return;
	}
	if (cfg.interval != w->repeat) { /* set by a script that was replaced since */
		w->repeat = cfg.interval;
		ev_timer_again(loop, w);
	}
	if (!h->cfg.stack || !h->reg)
		return; /* no registrar yet: no bindings either */
	struct tick t = { .n = n, .options = cfg.options, .now = (int64_t)time(NULL) };
	ms_registrar_each(h->reg, ping, &t);
	if (t.sent || t.skipped || t.failed)
		ms_log(h->cfg.log, MS_LOG_DEBUG,
		       "nat: %u %s keep-alives sent, %u skipped (no listener or connection), %u failed",
		       t.sent, cfg.options ? "OPTIONS" : "CRLF", t.skipped, t.failed);
}

/* nat.keepalive's argument into *c: nil (the defaults), false (off), or
 * { interval = seconds, method = "CRLF" | "OPTIONS" }. */
static void keepalive_args(lua_State *L, struct ka_cfg *c)
{
	static const char fn[] = "nat.keepalive";
	*c = (struct ka_cfg){ .on = true, .interval = 30 };
	int t = lua_type(L, 1);
	if (t == LUA_TNONE || t == LUA_TNIL)
		return;
	if (t == LUA_TBOOLEAN && !lua_toboolean(L, 1)) {
		c->on = false;
		return;
	}
	if (t != LUA_TTABLE)
		luaL_error(L, "bad argument #1 to '%s' (table of options or false expected, got %s)", fn,
			   luaL_typename(L, 1));
	for (lua_pushnil(L); lua_next(L, 1); lua_pop(L, 1)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
		if (strcmp(k, "interval") && strcmp(k, "method"))
			luaL_error(L,
				   "bad argument #1 to '%s' (unknown option '%s': interval and method are "
				   "known)",
				   fn, k[0] ? k : luaL_typename(L, -2));
	}
	lua_getfield(L, 1, "interval");
	if (!lua_isnil(L, -1)) {
		double s = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : -1;
		if (!(s > 0) || !isfinite(s))
			luaL_error(
				L,
				"bad argument #1 to '%s' (interval must be a number of seconds > 0, got %s)",
				fn,
				lua_type(L, -1) == LUA_TNUMBER ? lua_tostring(L, -1) : luaL_typename(L, -1));
		c->interval = s;
	}
	lua_getfield(L, 1, "method");
	if (!lua_isnil(L, -1)) {
		const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
		if (!m || (strcasecmp(m, "CRLF") && strcasecmp(m, "OPTIONS")))
			luaL_error(L,
				   "bad argument #1 to '%s' (method must be \"CRLF\" or \"OPTIONS\", got %s)",
				   fn, m ? m : luaL_typename(L, -1));
		c->options = !strcasecmp(m, "OPTIONS");
	}
	lua_pop(L, 2);
}

/* The calling script is the one running (or the first, being loaded): not
 * a reload's top level, nor a handler left on a replaced state. */
static bool caller_is_current(lua_State *L, struct ms_lua_host *h)
{
	lua_State *main = h->current ? h->current->g->L : L;
	return !h->cur || h->cur->L == main;
}

static void arm(struct ms__lua_nat *n, double interval)
{
	struct ev_loop *loop = n->h->cfg.loop;
	if (ev_is_active(&n->timer) && n->timer.repeat == interval)
		return;
	ev_timer_stop(loop, &n->timer);
	ev_timer_set(&n->timer, interval, interval);
	ev_timer_start(loop, &n->timer);
}

/* nat.keepalive(opts | false): starts, reconfigures or stops the host's
 * one keep-alive timer. */
static int nat_keepalive(lua_State *L)
{
	struct ms_lua_host *h = host(L);
	ms__lua_api_entry(L, h);
	struct ka_cfg cfg;
	keepalive_args(L, &cfg);
	/* The test harness has no network. A script's top level is taken as
	 * `moonsip check` takes it, so that a script that asks for keep-alives
	 * can be tested; a handler that counts on them is told. */
	bool harness = !h->cfg.stack && h->cfg.answer_cb;
	if (harness && h->current)
		return luaL_error(
			L,
			"nat.keepalive needs a server (the test harness of require \"moonsip\" has no "
			"network)");
	lua_pushlightuserdata(L, (void *)&cfg_key);
	*(struct ka_cfg *)lua_newuserdata(L, sizeof cfg) = cfg;
	lua_rawset(L, LUA_REGISTRYINDEX);
	if (!h->cfg.loop || harness) /* moonsip check, the harness: nothing is sent */
		return 0;
	if (!h->nat) {
		h->nat = ms__calloc(1, sizeof *h->nat);
		if (!h->nat)
			return luaL_error(L, "nat.keepalive: out of memory");
		h->nat->h = h;
		ev_timer_init(&h->nat->timer, on_tick, cfg.interval, cfg.interval);
		h->nat->timer.data = h->nat;
	}
	if (cfg.on) {
		arm(h->nat, cfg.interval);
		ms_log(h->cfg.log, MS_LOG_INFO,
		       "nat: %s keep-alives every %g s to registered contacts behind a NAT",
		       cfg.options ? "OPTIONS" : "CRLF", cfg.interval);
	} else if (caller_is_current(L, h) && ev_is_active(&h->nat->timer)) {
		ev_timer_stop(h->cfg.loop, &h->nat->timer);
		ms_log(h->cfg.log, MS_LOG_INFO, "nat: keep-alives stopped");
	}
	return 0;
}

/* The OPTIONS still waiting went with the stack, freed first (their
 * callbacks' argument is this, which nothing else points to). */
void ms__lua_nat_free(struct ms_lua_host *h)
{
	if (!h->nat)
		return;
	if (h->cfg.loop)
		ev_timer_stop(h->cfg.loop, &h->nat->timer);
	ms__free(h->nat);
	h->nat = NULL;
}

void ms__lua_open_nat(lua_State *L, struct ms_lua_host *h)
{
	static const luaL_Reg fns[] = {
		{ "detect", nat_detect },
		{ "fix_contact", nat_fix_contact },
		{ "keepalive", nat_keepalive },
	};
	lua_createtable(L, 0, 3);
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		lua_pushlightuserdata(L, h);
		lua_pushcclosure(L, fns[i].func, 1);
		lua_setfield(L, -2, fns[i].name);
	}
	lua_setfield(L, -2, "nat_api");
}
