/* The request object's C half: fields read through the core's index, and
 * the answers. Every function takes the request userdata first. */
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "base/alloc.h"
#include "host_private.h"
#include "moonsip/edit.h"
#include "moonsip/uri.h"

#define REQ_MT "moonsip.req"

struct ms_lua_req *ms__lua_check_req(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, REQ_MT);
}

/* The message, or a Lua error when the handler that had it has ended. */
static struct ms_msg *msg_of(lua_State *L)
{
	struct ms_lua_req *r = ms__lua_check_req(L, 1);
	ms__lua_check_time(L, r->h);
	if (!r->m)
		luaL_error(L, "request used after its handler ended (keep the fields you need, not req)");
	return r->m;
}

static void push_str(lua_State *L, struct ms_str s)
{
	lua_pushlstring(L, s.s ? s.s : "", s.len);
}

static int req_method(lua_State *L)
{
	push_str(L, msg_of(L)->method_s);
	return 1;
}

static int req_uri(lua_State *L)
{
	push_str(L, msg_of(L)->ruri_s);
	return 1;
}

static int req_text(lua_State *L)
{
	struct ms_msg *m = msg_of(L);
	lua_pushlstring(L, m->buf, m->len);
	return 1;
}

static int req_body(lua_State *L)
{
	push_str(L, msg_of(L)->body);
	return 1;
}

static int req_cseq(lua_State *L)
{
	const struct ms_cseq *c = ms_msg_cseq(msg_of(L));
	lua_pushnumber(L, c->num);
	push_str(L, c->method_s);
	return 2;
}

static int req_in_dialog(lua_State *L)
{
	const struct ms_nameaddr *to = ms_msg_to(msg_of(L));
	lua_pushboolean(L, to && to->tag.len > 0);
	return 1;
}

static const struct ms_hdr *find(lua_State *L, struct ms_msg *m)
{
	size_t len;
	const char *name = luaL_checklstring(L, 2, &len);
	return ms_msg_hdr_by_name(m, name, len);
}

static int req_header(lua_State *L)
{
	const struct ms_hdr *h = find(L, msg_of(L));
	if (!h)
		return 0;
	push_str(L, h->value);
	return 1;
}

static int req_headers(lua_State *L)
{
	struct ms_msg *m = msg_of(L);
	size_t len;
	const char *name = luaL_checklstring(L, 2, &len);
	/* Unknown headers share one chain: keep the ones of this name. */
	bool other = ms_hdr_lookup(name, len) == MS_HDR_OTHER;
	lua_newtable(L);
	int i = 1;
	for (const struct ms_hdr *h = ms_msg_hdr_by_name(m, name, len); h; h = ms_msg_hdr_next(m, h)) {
		if (other && !ms_str_ieq(h->name, (struct ms_str){ name, len }))
			continue;
		push_str(L, h->value);
		lua_rawseti(L, -2, i++);
	}
	return 1;
}

static int req_source(lua_State *L)
{
	struct ms_lua_req *r = ms__lua_check_req(L, 1);
	char a[MS_ADDR_STRLEN];
	lua_createtable(L, 0, 3);
	ms_addr_host(&r->src.addr, a);
	if (a[0] == '[') { /* the address alone, as a script compares it */
		a[strlen(a) - 1] = 0;
		lua_pushstring(L, a + 1);
	} else {
		lua_pushstring(L, a);
	}
	lua_setfield(L, -2, "address");
	lua_pushinteger(L, ms_addr_port(&r->src.addr));
	lua_setfield(L, -2, "port");
	lua_pushstring(L, ms_proto_name(r->src.proto));
	lua_setfield(L, -2, "transport");
	return 1;
}

/* A URI as a table: scheme, user, host, port, params, headers, text. */
static void push_uri(lua_State *L, const struct ms_uri *u)
{
	lua_createtable(L, 0, 8);
	push_str(L, u->text);
	lua_setfield(L, -2, "text");
	push_str(L, u->scheme_s);
	lua_setfield(L, -2, "scheme");
	if (u->user.len || u->scheme == MS_URI_TEL) {
		push_str(L, u->user);
		lua_setfield(L, -2, "user");
	}
	if (u->host.len) {
		push_str(L, u->host);
		lua_setfield(L, -2, "host");
	}
	if (u->port) {
		lua_pushinteger(L, u->port);
		lua_setfield(L, -2, "port");
	}
	lua_newtable(L);
	size_t pos = 0;
	struct ms_str name, value;
	while (ms_param_next(u->params, &pos, &name, &value)) {
		push_str(L, name);
		if (value.s)
			push_str(L, value);
		else
			lua_pushboolean(L, 1);
		lua_rawset(L, -3);
	}
	lua_setfield(L, -2, "params");
	if (u->headers.len) {
		push_str(L, u->headers);
		lua_setfield(L, -2, "headers");
	}
}

static int uri_parse(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	struct ms_uri u;
	const char *why = "";
	if (ms_uri_parse(&u, s, len, &why) < 0) {
		lua_pushnil(L);
		lua_pushstring(L, why);
		return 2;
	}
	push_uri(L, &u);
	return 1;
}

static int req_party(lua_State *L)
{
	struct ms_msg *m = msg_of(L);
	const char *which = luaL_checkstring(L, 2);
	const struct ms_nameaddr *na = !strcmp(which, "from") ? ms_msg_from(m) : ms_msg_to(m);
	if (!na)
		return 0;
	lua_createtable(L, 0, 3);
	push_uri(L, &na->uri);
	lua_setfield(L, -2, "uri");
	if (na->tag.len) {
		push_str(L, na->tag);
		lua_setfield(L, -2, "tag");
	}
	if (na->display.len) {
		char *d = ms__malloc(na->display.len + 1);
		if (d) {
			lua_pushlstring(L, d, ms_display_decode(na->display, d));
			ms__free(d);
			lua_setfield(L, -2, "display");
		}
	}
	return 1;
}

/* The To tag of this request's answers: one per request, so a 180 and the
 * 200 after it name the same dialog. */
struct ms_str ms__lua_req_tag(struct ms_lua_req *r)
{
	if (!r->tag[0]) {
		unsigned char b[8] = { 0 };
		if (getrandom(b, sizeof b, GRND_NONBLOCK) != (ssize_t)sizeof b)
			memcpy(b, &r, sizeof b < sizeof r ? sizeof b : sizeof r);
		for (int i = 0; i < 8; i++)
			snprintf(r->tag + 2 * i, 3, "%02x", b[i]);
	}
	return (struct ms_str){ r->tag, strlen(r->tag) };
}

/* Header fields from a table: name = "value" or name = { "v1", "v2" }.
 * Returns the Content-Type given, for the body. */
static int add_headers(lua_State *L, int idx, struct ms_buf *b, struct ms_str *ctype)
{
	int rc = 0;
	for (lua_pushnil(L); rc == 0 && lua_next(L, idx); lua_pop(L, 1)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "bad header name in reply (a string expected, got %s)",
				   luaL_typename(L, -2));
		size_t nl, vl;
		const char *name = lua_tolstring(L, -2, &nl);
		if (lua_type(L, -1) == LUA_TTABLE) {
			for (int i = 1; rc == 0; i++) {
				lua_rawgeti(L, -1, i);
				const char *v = lua_tolstring(L, -1, &vl);
				if (v)
					rc = ms_build_header(b, (struct ms_str){ name, nl },
							     (struct ms_str){ v, vl });
				lua_pop(L, 1);
				if (!v)
					break;
			}
			continue;
		}
		const char *v = lua_tolstring(L, -1, &vl);
		if (!v)
			luaL_error(L, "bad value for header '%s' in reply (string expected)", name);
		if ((nl == 12 && !strncasecmp(name, "Content-Type", 12)) ||
		    (nl == 1 && (*name == 'c' || *name == 'C')))
			*ctype = (struct ms_str){ v, vl };
		else
			rc = ms_build_header(b, (struct ms_str){ name, nl }, (struct ms_str){ v, vl });
	}
	return rc;
}

static int req_reply(lua_State *L)
{
	struct ms_lua_req *r = ms__lua_check_req(L, 1);
	struct ms_msg *m = msg_of(L);
	bool stateless = lua_toboolean(L, 2);
	unsigned code = (unsigned)luaL_checkinteger(L, 3);
	size_t rl = 0, bl = 0;
	const char *reason = luaL_optlstring(L, 4, "", &rl);
	const char *body = luaL_optlstring(L, 6, NULL, &bl);
	if (!r->needs_answer)
		return luaL_error(L, "an ACK is not answered");
	if (r->status >= 200)
		return luaL_error(L, "request already answered with %d", (int)r->status);
	struct ms_buf b;
	ms_buf_init(&b);
	struct ms_str ctype = MS_STR_NULL;
	int rc = ms_build_response(&b, m, code, (struct ms_str){ reason, rl },
				   code > 100 ? ms__lua_req_tag(r) : MS_STR_NULL);
	if (rc == 0 && lua_istable(L, 5))
		rc = add_headers(L, 5, &b, &ctype);
	if (rc == 0 && body && bl && !ctype.len)
		rc = MS_EINVAL;
	if (rc == 0)
		rc = ms_build_end(&b, (struct ms_str){ body, bl }, ctype);
	if (rc < 0) {
		ms_buf_free(&b);
		return luaL_error(L, "reply %d: %s", (int)code,
				  body && !ctype.len
					  ? "a body needs a Content-Type header"
					  : "a header name or value is not valid (CR or LF in it?)");
	}
	rc = ms__lua_send_answer(r, stateless, code, &b);
	ms_buf_free(&b);
	if (rc < 0)
		return luaL_error(L, "reply %d could not be sent: %s", (int)code, ms_strerror(rc));
	lua_pushboolean(L, 1);
	return 1;
}

static int req_gc(lua_State *L)
{
	struct ms_lua_req *r = lua_touserdata(L, 1);
	if (r->msg) {
		ms_msg_free(r->msg);
		ms__free(r->msg);
		r->msg = NULL;
	}
	ms__free(r->own);
	r->own = NULL;
	return 0;
}

void ms__lua_open_req(lua_State *L, struct ms_lua_host *h)
{
	static const luaL_Reg fns[] = {
		{ "req_method", req_method }, { "req_uri", req_uri },
		{ "req_text", req_text },     { "req_body", req_body },
		{ "req_cseq", req_cseq },     { "req_in_dialog", req_in_dialog },
		{ "req_header", req_header }, { "req_headers", req_headers },
		{ "req_source", req_source }, { "req_party", req_party },
		{ "req_reply", req_reply },   { "uri_parse", uri_parse },
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		lua_pushlightuserdata(L, h);
		lua_pushcclosure(L, fns[i].func, 1);
		lua_setfield(L, -2, fns[i].name);
	}
	luaL_newmetatable(L, REQ_MT);
	lua_pushcfunction(L, req_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
}
