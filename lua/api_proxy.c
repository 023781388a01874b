/* proxy.relay, proxy.forward and proxy.route: the C half. The prelude's
 * Lua half (lua/lib/prelude.lua) walks the targets and waits; here are
 * the steps: starting a relay (RFC 3261 §16.3 checks, the response
 * context, §16.4 Route processing), one branch, the wait for the round's
 * end, and what the script gets back. */
#include <lauxlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "host_private.h"

static struct ms_lua_host *host(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

/* The request of a relay: the handler's own, still there. */
static struct ms_lua_req *relay_req(lua_State *L, const char *fn)
{
	struct ms_lua_req *r = ms__lua_check_req(L, 1);
	ms__lua_api_entry(L, r->h);
	if (r->standalone || !r->m)
		luaL_error(L, "%s: not the request of a running handler", fn);
	if (!r->h->proxy)
		luaL_error(L, "%s needs a server (the test harness of require \"moonsip\" has no network)",
			   fn);
	return r;
}

/* A response object for the script: 'text', or a response the proxy makes
 * up for 'status' from the request. */
static struct ms_lua_req *push_res(lua_State *L, struct ms_lua_req *r, unsigned status,
				   const struct ms_str *text, const char *reason)
{
	if (text)
		return ms__lua_new_standalone(L, r->h, text->s, text->len);
	struct ms_buf b;
	ms_buf_init(&b);
	int rc = ms_build_response(&b, r->m, status, MS_STR_NULL, ms__lua_req_tag(r));
	if (rc == 0 && reason)
		rc = ms_build_header(&b, MS_STR("Warning"), (struct ms_str){ reason, strlen(reason) });
	if (rc == 0)
		rc = ms_build_end(&b, MS_STR_NULL, MS_STR_NULL);
	if (rc < 0) {
		ms_buf_free(&b);
		luaL_error(L, "cannot make a %d response: %s", (int)status, ms_strerror(rc));
	}
	struct ms_lua_req *res = ms__lua_new_standalone(L, r->h, b.data, b.len);
	ms_buf_free(&b);
	return res;
}

/* Answers the request with 'code' made here: 'reason' as its phrase, and
 * for a 420 the Proxy-Require tags in Unsupported (§16.3 step 6). */
static int answer(struct ms_lua_req *r, unsigned code, const char *reason)
{
	struct ms_buf b;
	ms_buf_init(&b);
	int rc = ms_build_response(&b, r->m, code, (struct ms_str){ reason, strlen(reason) },
				   ms__lua_req_tag(r));
	for (const struct ms_hdr *x = ms_msg_hdr(r->m, MS_HDR_PROXY_REQUIRE); code == 420 && x && rc == 0;
	     x = ms_msg_hdr_next(r->m, x))
		rc = ms_build_header(&b, MS_STR("Unsupported"), x->value);
	if (rc == 0)
		rc = ms_build_end(&b, MS_STR_NULL, MS_STR_NULL);
	if (rc == 0)
		rc = ms__lua_send_answer(r, false, code, &b);
	ms_buf_free(&b);
	return rc;
}

/* §16.4 on the request: our own Route values out (the request's view is
 * edited when there were any). */
static void preprocess(lua_State *L, struct ms_lua_req *r, const char *fn)
{
	struct ms_msg *m = ms__lua_req_view(L, r);
	struct ms_edit e;
	ms_edit_init(&e, m);
	if (ms_proxy_preprocess(r->h->proxy, m, &e) > 0)
		ms__lua_req_commit(L, r, &e, 0, fn);
	else
		ms_edit_free(&e);
}

/* A copy of the request with 'target' as its Request-URI, as a message
 * object, which becomes argument 1 (for the commit's error messages). */
static struct ms_lua_req *with_target(lua_State *L, struct ms_lua_req *r, const char *fn)
{
	size_t len;
	const char *target = luaL_checklstring(L, 2, &len);
	struct ms_msg *m = ms__lua_req_view(L, r);
	struct ms_lua_req *b = ms__lua_new_standalone(L, r->h, m->buf, m->len);
	if (m->ruri_s.len == len && !memcmp(m->ruri_s.s, target, len)) {
		lua_replace(L, 1); /* the same Request-URI: nothing to edit */
		return b;
	}
	struct ms_edit e;
	ms_edit_init(&e, b->edited);
	int rc = ms_edit_set_ruri(&e, (struct ms_str){ target, len });
	if (rc == MS_EINVAL) {
		ms_edit_free(&e);
		luaL_error(L, "%s: '%s' is not a URI a request can be sent to", fn, target);
	}
	lua_replace(L, 1);
	ms__lua_req_commit(L, b, &e, rc, fn);
	return b;
}

int ms__lua_push_lookup(lua_State *L, struct ms_str name, uint16_t port)
{
	lua_pushliteral(L, "lookup");
	lua_pushlstring(L, name.s, name.len);
	lua_pushinteger(L, port);
	return 3;
}

/* Events of the response context --------------------------------------- */

/* Where each branch went, while the script watches the responses
 * (on_reply): registry[ptxn] = { [branch] = peer userdata }, so that a
 * response it sees has a source (req.source, nat.fix_contact); dropped
 * with the relay. */
static void remember_dst(lua_State *L, struct ms_lua_req *r, int no, const struct ms_txn_peer *dst)
{
	if (r->on_reply == LUA_NOREF)
		return;
	lua_pushlightuserdata(L, r->ptxn);
	lua_rawget(L, LUA_REGISTRYINDEX);
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushlightuserdata(L, r->ptxn);
		lua_pushvalue(L, -2);
		lua_rawset(L, LUA_REGISTRYINDEX);
	}
	*(struct ms_txn_peer *)lua_newuserdata(L, sizeof *dst) = *dst;
	lua_rawseti(L, -2, no);
	lua_pop(L, 1);
}

static void forget_dsts(struct ms_lua_req *r)
{
	lua_State *L = r->call->g->L;
	lua_pushlightuserdata(L, r->ptxn);
	lua_pushnil(L);
	lua_rawset(L, LUA_REGISTRYINDEX);
}

struct on_reply_arg {
	struct ms_lua_req *r;
	unsigned branch;
	struct ms_msg *resp;
	struct ms_buf *replace;
};

static void push_reply(lua_State *L, void *arg)
{
	struct on_reply_arg *a = arg;
	struct ms_lua_req *res = ms__lua_new_standalone(L, a->r->h, a->resp->buf, a->resp->len);
	lua_pushlightuserdata(L, a->r->ptxn);
	lua_rawget(L, LUA_REGISTRYINDEX);
	if (lua_istable(L, -1)) {
		lua_rawgeti(L, -1, (int)a->branch);
		const struct ms_txn_peer *src = lua_touserdata(L, -1);
		if (src)
			res->src = *src;
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
}

static void after_reply(lua_State *L, void *arg)
{
	struct on_reply_arg *a = arg;
	struct ms_lua_req *res = lua_touserdata(L, -1);
	if (res && res->edits)
		ms_buf_add(a->replace, res->edited_text.data, res->edited->len);
}

/* A provisional or 2xx on its way up: the script's on_reply may edit it. */
static void on_response(struct ms_proxy_txn *t, unsigned branch, struct ms_msg *resp, struct ms_buf *replace,
			void *arg)
{
	struct ms_lua_call *c = arg;
	struct ms_lua_req *r = c->req;
	(void)t;
	if (r->on_reply == LUA_NOREF)
		return;
	struct on_reply_arg a = { r, branch, resp, replace };
	ms__lua_callback(c, r->on_reply, push_reply, after_reply, &a);
}

/* The round ended: the waiting handler goes on with the response. */
static void on_done(struct ms_proxy_txn *t, unsigned status, const struct ms_str *text, void *arg)
{
	struct ms_lua_call *c = arg;
	struct ms_lua_req *r = c->req;
	(void)t;
	r->relay_status = status;
	if (status < 300) { /* it went up already */
		r->status = status;
		r->st = NULL;
	}
	if (!r->waiting)
		return;
	r->waiting = false;
	push_res(c->co, r, status, text, status == 408 && !text ? "no branch answered in time" : NULL);
	ms__lua_resume(c, 1);
}

/* core.relay_start(req, on_reply): true to go on, or the answer already
 * given (§16.3 refusals; a CANCEL that came first: 487). */
static int relay_start(lua_State *L)
{
	struct ms_lua_req *r = relay_req(L, "proxy.relay");
	struct ms_lua_host *h = host(L);
	if (!r->needs_answer || r->m->method == MS_METHOD_CANCEL)
		return luaL_error(L,
				  "proxy.relay: a%s is not relayed with a transaction (use proxy.route or "
				  "proxy.forward)",
				  r->m->method == MS_METHOD_ACK ? "n ACK" : " CANCEL");
	if (r->cancelled || (r->ptxn && ms_proxy_txn_cancelled(r->ptxn))) {
		push_res(L, r, 487, NULL, NULL);
		return 1;
	}
	if (r->status >= 200)
		return luaL_error(L, "proxy.relay: the request was already answered with %d", (int)r->status);
	if (!r->ptxn) {
		const char *reason;
		unsigned code = ms_proxy_validate(h->proxy, r->m, &reason);
		if (code) {
			int rc = answer(r, code, reason);
			if (rc < 0)
				return luaL_error(L, "proxy.relay: answering %d failed: %s", (int)code,
						  ms_strerror(rc));
			push_res(L, r, code, NULL, reason);
			return 1;
		}
		static const struct ms_proxy_events ev = { on_response, on_done };
		r->call = h->current;
		if (ms_proxy_txn_new(&r->ptxn, h->proxy, r->st, r->m, &r->src, &ev, r->call) < 0)
			return luaL_error(L, "proxy.relay: out of memory");
	} else {
		ms_proxy_txn_new_round(r->ptxn);
	}
	if (r->on_reply != LUA_NOREF)
		luaL_unref(L, LUA_REGISTRYINDEX, r->on_reply);
	r->on_reply = LUA_NOREF;
	if (lua_isfunction(L, 2)) {
		lua_pushvalue(L, 2);
		r->on_reply = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	ms_proxy_txn_watch(r->ptxn, r->on_reply != LUA_NOREF);
	preprocess(L, r, "proxy.relay");
	lua_pushboolean(L, 1);
	return 1;
}

/* core.branch_request(req, target): the request as a branch to 'target'
 * would carry it (Request-URI set), a message object for on_branch. */
static int branch_request(lua_State *L)
{
	with_target(L, relay_req(L, "proxy.relay"), "proxy.relay");
	lua_pushvalue(L, 1);
	return 1;
}

/* Where a message object's next hop is: 0 with *dst, or MS_EAGAIN with the
 * name to look up in *name and the port in dst. */
static int hop_of(struct ms_msg *m, struct ms_txn_peer *dst, struct ms_str *name, uint16_t *port)
{
	struct ms_uri hop;
	bool strict;
	int rc = ms_proxy_route_hop(m, &hop, &strict);
	if (rc == 0)
		rc = ms_proxy_next_hop(&hop, dst, name);
	*port = hop.port ? hop.port : dst->proto == MS_PROTO_TLS ? 5061 : 5060;
	return rc;
}

/* The destination from a looked-up address (argument 'idx', "1.2.3.4" or
 * "[::1]") when one is given: 1; 0 when not given. */
static int looked_up(lua_State *L, int idx, struct ms_txn_peer *dst, uint16_t port)
{
	size_t len;
	const char *a = lua_tolstring(L, idx, &len);
	if (!a)
		return 0;
	if (ms_addr_set(&dst->addr, (struct ms_str){ a, len }, port) < 0)
		luaL_error(L, "proxy: bad looked-up address '%s'", a);
	return 1;
}

static const char *hop_error(int rc)
{
	return rc == MS_ENOTSUP    ? "a transport this server has no listener for"
		: rc == MS_EINVAL  ? "the next hop is no SIP URI"
		: rc == MS_EBADMSG ? "the Route header does not parse"
				   : ms_strerror(rc);
}

/* Argument 2 of branch_send and forward: a message object (a branch the
 * script saw), or a target URI: the request's own view when it is already
 * its Request-URI (in-dialog requests), else the view with that
 * Request-URI, written into 'tmp' (freed by tmp_free) without a message
 * object for the script. */
struct retarget {
	struct ms_buf text;
	struct ms_msg m;
};

static void tmp_free(struct retarget *t)
{
	ms_msg_free(&t->m);
	ms_buf_free(&t->text);
}

static struct ms_msg *target_msg(lua_State *L, struct ms_lua_req *r, struct retarget *tmp, const char *fn)
{
	ms_buf_init(&tmp->text);
	ms_msg_init(&tmp->m);
	if (lua_type(L, 2) != LUA_TSTRING)
		return ms__lua_check_req(L, 2)->edited;
	size_t len;
	const char *target = lua_tolstring(L, 2, &len);
	struct ms_msg *m = ms__lua_req_view(L, r);
	if (m->ruri_s.len == len && !memcmp(m->ruri_s.s, target, len))
		return m;
	struct ms_edit e;
	ms_edit_init(&e, m);
	int rc = ms_edit_set_ruri(&e, (struct ms_str){ target, len });
	if (rc == 0)
		rc = ms_edit_write(&e, &tmp->text);
	ms_edit_free(&e);
	if (rc == 0 && ms_msg_parse(&tmp->m, tmp->text.data, tmp->text.len, MS_PARSE_DGRAM) < 0)
		rc = MS_EBADMSG;
	if (rc < 0) {
		tmp_free(tmp);
		luaL_error(L, "%s: '%s' is not a URI a request can be sent to", fn, target);
	}
	return &tmp->m;
}

/* A registered contact's source ("udp:192.0.2.1:5060"): the branch goes
 * there, whatever its URI says (the way back through a NAT), and leaves
 * from the listener its REGISTER reached (at argument idx + 1, the
 * binding's socket), over TCP and TLS on the connection still open to it:
 * a NAT lets only what answers its own mapping through. Without either, the
 * stack picks a listener (and connects) as for any destination. */
static int received_at(lua_State *L, struct ms_lua_host *h, int idx, struct ms_txn_peer *dst)
{
	struct ms_listen_spec spec, sock;
	const char *why;
	if (ms_listen_parse(&spec, lua_tostring(L, idx), &why) < 0)
		return MS_EINVAL;
	memset(dst, 0, sizeof *dst);
	dst->proto = spec.proto;
	dst->addr = spec.addr;
	const char *socket = lua_tostring(L, idx + 1);
	if (socket && h->cfg.stack && ms_listen_parse(&sock, socket, &why) == 0 && sock.proto == spec.proto &&
	    ms_stack_peer_at(h->cfg.stack, &sock.addr, dst) < 0)
		dst->conn = 0;
	return 0;
}

/* Where message 'm' goes: its next hop; the address looked up for it at
 * argument 'addr_idx' when its hop is a name; a registered contact's source
 * at 'recv_idx' (0: none) whatever the hop says. MS_EAGAIN with *name and
 * *port when a lookup is needed. */
static int destination(lua_State *L, struct ms_msg *m, int addr_idx, int recv_idx, struct ms_txn_peer *dst,
		       struct ms_str *name, uint16_t *port)
{
	int rc = hop_of(m, dst, name, port);
	if (rc == MS_EAGAIN && looked_up(L, addr_idx, dst, *port))
		rc = 0;
	if (recv_idx && lua_type(L, recv_idx) == LUA_TSTRING && rc != MS_EINVAL)
		rc = received_at(L, ms__lua_check_req(L, 1)->h, recv_idx, dst);
	return rc;
}

/* "lookup", name, port for the script to look the name up and call again
 * ('name' is pushed before it goes with 'tmp'). */
static int ask_lookup(lua_State *L, struct retarget *tmp, struct ms_str name, uint16_t port)
{
	int n = ms__lua_push_lookup(L, name, port);
	tmp_free(tmp);
	return n;
}

static int fail_with(lua_State *L, const char *why)
{
	lua_pushnil(L);
	lua_pushstring(L, why);
	return 2;
}

/* core.branch_send(req, branch or target, record_route, timeout_s, addr, received, socket):
 * the branch's number; or "lookup", name, port when the next hop is a
 * name (call again with the address); or nil and why it could not go. */
static int branch_send(lua_State *L)
{
	struct ms_lua_req *r = relay_req(L, "proxy.relay");
	struct ms_proxy_branch_opts o = {
		.record_route = lua_toboolean(L, 3),
		.timeout_ms = (uint32_t)(luaL_optnumber(L, 4, 0) * 1000),
	};
	struct retarget tmp;
	struct ms_msg *bm = target_msg(L, r, &tmp, "proxy.relay");
	struct ms_txn_peer dst;
	struct ms_str name;
	uint16_t port;
	int rc = destination(L, bm, 5, 6, &dst, &name, &port);
	if (rc == MS_EAGAIN)
		return ask_lookup(L, &tmp, name, port);
	const char *why = rc < 0 ? hop_error(rc) : NULL;
	o.dst = &dst;
	if (rc == 0 && (rc = ms_proxy_txn_branch(r->ptxn, bm->buf, bm->len, &o)) < 0)
		why = rc == MS_ENOENT ? "no listener can reach the next hop" : ms_strerror(rc);
	tmp_free(&tmp);
	if (rc < 0)
		return fail_with(L, why);
	remember_dst(L, r, rc, &dst);
	lua_pushinteger(L, rc);
	return 1;
}

/* core.relay_wait(req): the response of the round, now or when it ends. */
static int relay_wait(lua_State *L)
{
	struct ms_lua_req *r = relay_req(L, "proxy.relay");
	struct ms_lua_host *h = host(L);
	unsigned status;
	struct ms_str text = ms_proxy_txn_best(r->ptxn, &status);
	if (status) {
		push_res(L, r, status, text.s ? &text : NULL, NULL);
		return 1;
	}
	if (!ms_proxy_txn_pending(r->ptxn))
		return luaL_error(L, "proxy.relay: no branch is running");
	if (!h->current || h->current->co != L)
		return luaL_error(L,
				  "proxy.relay can only be called from a request handler (not from a "
				  "coroutine of the script's own or the top level)");
	r->waiting = true;
	return lua_yield(L, 0);
}

/* core.relay_none(req, why): no branch could start: a 503 made up here,
 * which goes up as 500 when the script does nothing more. */
static int relay_none(lua_State *L)
{
	struct ms_lua_req *r = relay_req(L, "proxy.relay");
	const char *why = luaL_optstring(L, 2, "no target could be reached");
	r->relay_status = 503;
	push_res(L, r, 503, NULL, why);
	return 1;
}

/* core.forward(req, target, addr): stateless (§16.11). true; or "lookup",
 * name, port; or nil and why. */
static int forward(lua_State *L)
{
	struct ms_lua_req *r = relay_req(L, "proxy.forward");
	luaL_checkstring(L, 2);
	preprocess(L, r, "proxy.forward");
	struct retarget tmp;
	struct ms_msg *fm = target_msg(L, r, &tmp, "proxy.forward");
	struct ms_txn_peer dst;
	struct ms_str name;
	uint16_t port;
	int rc = destination(L, fm, 3, 0, &dst, &name, &port);
	if (rc == MS_EAGAIN)
		return ask_lookup(L, &tmp, name, port);
	if (rc == 0)
		rc = ms_proxy_forward_stateless(r->h->proxy, fm, &dst);
	tmp_free(&tmp);
	if (rc < 0)
		return fail_with(L, hop_error(rc));
	lua_pushboolean(L, 1);
	return 1;
}

/* core.route_prepare(req): §16.4 on the request; then the URI it goes to
 * (its Request-URI; the top Route decides the hop), or nil when nothing
 * is left to route on (the Request-URI is this proxy and no Route). */
static int route_prepare(lua_State *L)
{
	struct ms_lua_req *r = relay_req(L, "proxy.route");
	preprocess(L, r, "proxy.route");
	struct ms_msg *m = ms__lua_req_view(L, r);
	const struct ms_uri *u = ms_msg_ruri(m);
	if (!u || (!ms_msg_hdr(m, MS_HDR_ROUTE) && ms_proxy_is_me(r->h->proxy, u)))
		return 0;
	lua_pushlstring(L, m->ruri_s.s, m->ruri_s.len);
	return 1;
}

/* core.uri_check(text): true, or false and why the text is no URI (a
 * target checked before anything is sent, without making a URI table). */
static int uri_check(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	const char *why;
	struct ms_uri u;
	if (ms_uri_parse(&u, s, len, &why) == 0) {
		lua_pushboolean(L, 1);
		return 1;
	}
	lua_pushboolean(L, 0);
	lua_pushstring(L, why);
	return 2;
}

/* core.is_me(uri): whether a URI names this server (an address it listens
 * on, or one of its --domain names). */
/* The test harness has no listeners: a URI is the server's when its host
 * is one of the harness's domains. */
static bool is_domain(const char *const *domains, struct ms_str host)
{
	for (; *domains; domains++)
		if (strlen(*domains) == host.len && !strncasecmp(*domains, host.s, host.len))
			return true;
	return false;
}

static int is_me(lua_State *L)
{
	struct ms_lua_host *h = host(L);
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	const char *why;
	struct ms_uri u;
	if (!h->proxy && !h->cfg.domains)
		return luaL_error(L,
				  "proxy.is_me needs a server, or the domains of the test harness "
				  "(ms.test.load(script, { domains = {...} }))");
	if (ms_uri_parse(&u, s, len, &why) < 0)
		return luaL_error(L, "proxy.is_me: bad URI '%s': %s", s, why);
	lua_pushboolean(L, h->proxy ? ms_proxy_is_me(h->proxy, &u) : is_domain(h->cfg.domains, u.host));
	return 1;
}

/* Lookups ---------------------------------------------------------------- */

/* The first address of a family this server has a listener for (a name
 * may give ::1 first to a server that listens on IPv4 only). */
static const struct sockaddr_storage *reachable(struct ms_stack *s, const struct sockaddr_storage *addrs,
						size_t n)
{
	static const enum ms_proto protos[] = { MS_PROTO_UDP, MS_PROTO_TCP, MS_PROTO_TLS };
	struct sockaddr_storage local;
	for (size_t i = 0; i < n; i++)
		for (unsigned k = 0; k < 3; k++)
			if (!s || ms_stack_local(s, protos[k], addrs[i].ss_family, &local) == 0)
				return &addrs[i];
	return NULL;
}

static void on_addrs(int err, const struct sockaddr_storage *addrs, size_t n, void *arg)
{
	struct ms_lua_call *c = arg;
	char a[MS_ADDR_STRLEN];
	c->lookup = NULL;
	const struct sockaddr_storage *pick = err == 0 ? reachable(c->g->h->cfg.stack, addrs, n) : NULL;
	if (err == 0 && !pick)
		err = MS_ENOENT;
	if (pick) {
		lua_pushstring(c->co, ms_addr_host(pick, a));
		lua_pushnil(c->co);
	} else {
		lua_pushnil(c->co);
		lua_pushstring(c->co,
			       err == MS_ENOENT ? "no such host, or no address this server can reach"
				       : err == MS_EAGAIN ? "the lookup timed out or failed for now"
							  : ms_strerror(err));
	}
	ms__lua_resume(c, 2);
}

/* core.resolve(name, port): the first address ("1.2.3.4" or "[::1]"), or
 * nil and why; the handler waits without blocking the loop. */
static int resolve(lua_State *L)
{
	struct ms_lua_host *h = host(L);
	size_t len;
	const char *name = luaL_checklstring(L, 1, &len);
	uint16_t port = (uint16_t)luaL_checkinteger(L, 2);
	struct ms_lua_call *c = h->current;
	if (!c || c->co != L)
		return luaL_error(L, "a host name can only be looked up from a request handler");
	if (!h->resolver && ms_resolver_new(&h->resolver, h->cfg.loop, 0) < 0)
		return luaL_error(L, "cannot start the resolver");
	int rc = ms_resolve(h->resolver, (struct ms_str){ name, len }, AF_UNSPEC, port, on_addrs, c,
			    &c->lookup);
	if (rc < 0) {
		lua_pushnil(L);
		lua_pushfstring(L, "'%s' is not a host name", name);
		return 2;
	}
	return lua_yield(L, 0);
}

/* The end of a handler ---------------------------------------------------- */

void ms__lua_relay_finish(struct ms_lua_req *r)
{
	if (!r->ptxn)
		return;
	if (r->needs_answer && r->status < 200 && r->relay_status >= 300 && r->m) {
		unsigned status;
		ms_proxy_txn_best(r->ptxn, &status);
		if (status >= 300) {
			/* The transaction's handle goes with a final response, even one
			 * the transport could not send: the request counts as answered. */
			ms_proxy_txn_forward(r->ptxn);
			r->status = status;
			r->st = NULL;
		} else if (!status) {
			/* No branch could start: a 503 of ours goes up as 500. */
			answer(r, 500, "Server Internal Error (no target could be reached)");
		}
	}
	r->waiting = false;
	if (r->call)
		forget_dsts(r);
	ms_proxy_txn_free(r->ptxn);
	r->ptxn = NULL;
	if (r->on_reply != LUA_NOREF && r->call)
		luaL_unref(r->call->g->L, LUA_REGISTRYINDEX, r->on_reply);
	r->on_reply = LUA_NOREF;
}

bool ms__lua_relay_cancel(struct ms_lua_req *r)
{
	r->cancelled = true;
	if (!r->ptxn)
		return false;
	ms_proxy_txn_cancel(r->ptxn);
	return true;
}

void ms__lua_open_proxy(lua_State *L, struct ms_lua_host *h)
{
	static const luaL_Reg fns[] = {
		{ "relay_start", relay_start },
		{ "branch_request", branch_request },
		{ "branch_send", branch_send },
		{ "relay_wait", relay_wait },
		{ "relay_none", relay_none },
		{ "forward", forward },
		{ "route_prepare", route_prepare },
		{ "resolve", resolve },
		{ "is_me", is_me },
		{ "uri_check", uri_check },
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		lua_pushlightuserdata(L, h);
		lua_pushcclosure(L, fns[i].func, 1);
		lua_setfield(L, -2, fns[i].name);
	}
}
