/* proxy.request: a request this server starts itself (an OPTIONS probe of
 * a gateway, say), in a client transaction; the script waits for its final
 * response without blocking the loop. The C half: building and sending,
 * and the response back to the waiting call. */
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "host_private.h"

struct ms__lua_uac {
	struct ms_lua_call *c;
	struct ms_ctxn *ct;
	struct ms_buf req; /* what was sent, for responses made up here */
	ev_timer limit;    /* the script's timeout */
};

static struct ms_lua_host *host(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

/* A final response without a message (Timer F, a transport error): made
 * from the request, as the script gets every answer as a response. */
static void push_made_up(lua_State *L, struct ms_lua_host *h, struct ms__lua_uac *u, unsigned status)
{
	struct ms_msg m;
	struct ms_buf b;
	ms_msg_init(&m);
	ms_buf_init(&b);
	if (ms_msg_parse(&m, u->req.data, u->req.len, MS_PARSE_DGRAM) >= 0 &&
	    ms_build_response(&b, &m, status, MS_STR_NULL, MS_STR_NULL) == 0 &&
	    ms_build_end(&b, MS_STR_NULL, MS_STR_NULL) == 0)
		ms__lua_new_standalone(L, h, b.data, b.len);
	else
		lua_pushnil(L);
	ms_buf_free(&b);
	ms_msg_free(&m);
}

static void on_answer(struct ms_ctxn *ct, unsigned status, struct ms_msg *resp, void *arg)
{
	struct ms__lua_uac *u = arg;
	struct ms_lua_call *c = u->c;
	(void)ct;
	if (status < 200 && status != MS_TXN_TERMINATED)
		return;
	if (status == MS_TXN_TERMINATED) /* ended without a final: Timer F */
		status = 408;
	struct ms_lua_host *h = c->g->h;
	ev_timer_stop(h->cfg.loop, &u->limit);
	ms_ctxn_release(u->ct);
	c->uac = NULL;
	if (resp)
		ms__lua_new_standalone(c->co, h, resp->buf, resp->len);
	else
		push_made_up(c->co, h, u, status);
	ms_buf_free(&u->req);
	ms__free(u);
	if (!ms__lua_task_replaced(c))
		ms__lua_resume(c, 1);
}

/* The script's timeout: the transaction runs on unheard, the script gets
 * a 408 now. */
static void on_limit(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ms__lua_uac *u = w->data;
	(void)loop;
	(void)revents;
	on_answer(u->ct, 408, NULL, u);
}

void ms__lua_uac_forget(struct ms_lua_call *c)
{
	struct ms__lua_uac *u = c->uac;
	ev_timer_stop(c->g->h->cfg.loop, &u->limit);
	ms_buf_free(&u->req);
	ms__free(u);
	c->uac = NULL;
}

void ms__lua_uac_abandon(struct ms_lua_call *c)
{
	ms_ctxn_release(c->uac->ct);
	ms__lua_uac_forget(c);
}

/* The request line and headers of a new request (From, To, Call-ID, CSeq,
 * Max-Forwards), without its Via. */
static int build(struct ms_buf *b, struct ms_lua_host *h, struct ms_str method, struct ms_str uri)
{
	char id[48], tag[32];
	unsigned long long n = ++h->ntags;
	snprintf(tag, sizeof tag, "%s%llx", h->tag_prefix, n);
	snprintf(id, sizeof id, "%s-%llx@moonsip", h->tag_prefix, n);
	int rc = ms_build_request_line(b, method, uri);
	if (rc == 0)
		rc = ms_buf_printf(b,
				   "Max-Forwards: 70\r\nFrom: <sip:moonsip@moonsip.invalid>;tag=%s\r\n"
				   "To: <%.*s>\r\nCall-ID: %s\r\nCSeq: 1 %.*s\r\n",
				   tag, (int)uri.len, uri.s, id, (int)method.len, method.s);
	return rc;
}

/* core.request_send(method, uri, timeout [, addr]): waits for the final response;
 * or "lookup", name, port when the URI's host is a name; or nil and why. */
static int request_send(lua_State *L)
{
	struct ms_lua_host *h = host(L);
	struct ms_str method, uri;
	method.s = luaL_checklstring(L, 1, &method.len);
	uri.s = luaL_checklstring(L, 2, &uri.len);
	struct ms_lua_call *c = h->current;
	if (!c || c->co != L)
		return luaL_error(L, "proxy.request can only be called from a request handler or a task");
	if (!h->cfg.stack)
		return luaL_error(
			L,
			"proxy.request needs a server (the test harness of require \"moonsip\" has no "
			"network)");
	enum ms_method mt = ms_method_lookup(method);
	if (mt == MS_METHOD_ACK || mt == MS_METHOD_CANCEL || mt == MS_METHOD_INVITE)
		return luaL_error(L,
				  "proxy.request: %s needs a dialog; only requests outside one (OPTIONS, "
				  "MESSAGE, ...)",
				  lua_tostring(L, 1));
	struct ms_uri u;
	const char *why;
	if (ms_uri_parse(&u, uri.s, uri.len, &why) < 0)
		return luaL_error(L, "proxy.request: bad URI '%s': %s", uri.s, why);
	struct ms_txn_peer dst;
	struct ms_str name;
	int rc = ms_proxy_next_hop(&u, &dst, &name);
	uint16_t port = u.port ? u.port : dst.proto == MS_PROTO_TLS ? 5061 : 5060;
	size_t alen;
	double limit = luaL_optnumber(L, 3, 0);
	const char *addr = lua_tolstring(L, 4, &alen);
	if (rc == MS_EAGAIN && addr && ms_addr_set(&dst.addr, (struct ms_str){ addr, alen }, port) == 0)
		rc = 0;
	if (rc == MS_EAGAIN)
		return ms__lua_push_lookup(L, name, port);
	struct ms_buf head, via;
	ms_buf_init(&head);
	ms_buf_init(&via);
	struct ms__lua_uac *q = rc == 0 ? ms__calloc(1, sizeof *q) : NULL;
	if (rc == 0 && !q)
		rc = MS_ENOMEM;
	if (rc == 0)
		rc = build(&head, h, method, uri);
	if (rc == 0)
		rc = ms_stack_via(h->cfg.stack, &dst, head.len + 100, ms_str_ieqz(u.transport, "udp"), &via);
	/* The Via goes right after the request line. */
	const char *eol = rc == 0 ? memchr(head.data, '\n', head.len) : NULL;
	if (q && eol) {
		size_t line = (size_t)(eol + 1 - head.data);
		ms_buf_init(&q->req);
		rc = ms_buf_add(&q->req, head.data, line);
		if (rc == 0)
			rc = ms_buf_printf(&q->req, "Via: %.*s\r\n%.*s", (int)via.len, via.data,
					   (int)(head.len - line), head.data + line);
		if (rc == 0)
			rc = ms_build_end(&q->req, MS_STR_NULL, MS_STR_NULL);
		if (rc == 0)
			rc = ms_ctxn_new(&q->ct, ms_stack_txn(h->cfg.stack), q->req.data, q->req.len, &dst,
					 on_answer, q);
	}
	ms_buf_free(&head);
	ms_buf_free(&via);
	if (rc < 0) {
		if (q)
			ms_buf_free(&q->req);
		ms__free(q);
		lua_pushnil(L);
		lua_pushstring(L,
			       rc == MS_ENOTSUP          ? "a transport this server has no listener for"
				       : rc == MS_ENOENT ? "no listener can reach it"
							 : ms_strerror(rc));
		return 2;
	}
	q->c = c;
	c->uac = q;
	ev_timer_init(&q->limit, on_limit, limit, 0);
	q->limit.data = q;
	if (limit > 0)
		ev_timer_start(h->cfg.loop, &q->limit);
	return lua_yield(L, 0);
}

void ms__lua_open_uac(lua_State *L, struct ms_lua_host *h)
{
	lua_pushlightuserdata(L, h);
	lua_pushcclosure(L, request_send, 1);
	lua_setfield(L, -2, "request_send");
}
