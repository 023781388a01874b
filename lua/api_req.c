/* The request object's C half: fields read through the core's index, and
 * the answers. Every function takes the request userdata first. */
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "host_private.h"
#include "moonsip/edit.h"
#include "moonsip/uri.h"

#define REQ_MT "moonsip.req"

/* A request userdata is known by its size and a magic number: cheaper
 * than fetching and comparing its metatable on every call (the metatable
 * cannot be changed from Lua: setmetatable takes tables only). Strings give
 * no userdata pointer, and a light userdata has no size. */

struct ms_lua_req *ms__lua_check_req(lua_State *L, int idx)
{
	struct ms_lua_req *r = lua_touserdata(L, idx);
	if (!r || lua_objlen(L, idx) != sizeof *r || r->magic != MS__LUA_REQ_MAGIC)
		luaL_typerror(L, idx, "request");
	return r;
}

/* The message, or a Lua error when the handler that had it has ended. */
static struct ms_msg *msg_of_req(lua_State *L, struct ms_lua_req *r)
{
	ms__lua_api_entry(L, r->h);
	if (r->standalone)
		return r->edited;
	if (!r->m)
		luaL_error(L, "request used after its handler ended (keep the fields you need, not req)");
	return r->m;
}

/* The message reads see: the edited one once the script edited it. */
struct ms_msg *ms__lua_req_view(lua_State *L, struct ms_lua_req *r)
{
	struct ms_msg *m = msg_of_req(L, r);
	return r->edited ? r->edited : m;
}

static struct ms_msg *msg_of(lua_State *L)
{
	return ms__lua_req_view(L, ms__lua_check_req(L, 1));
}

static void push_str(lua_State *L, struct ms_str s)
{
	lua_pushlstring(L, s.s ? s.s : "", s.len);
}

static int req_text(lua_State *L)
{
	struct ms_msg *m = msg_of(L);
	lua_pushlstring(L, m->buf, m->len);
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

/* The keys of the tables built here, interned once: they are upvalues of
 * the closures that build the tables (req_field, uri_parse, the URI
 * __index; push_builder makes them), after the URI metatable. A
 * lua_setfield with a C string would hash and look its key up again at
 * every call. */
enum key { K_MT = 1, K_TEXT, K_SCHEME, K_USER, K_HOST, K_PORT, K_PARAMS, K_HEADERS, K_URI, K_TAG, K_DISPLAY };

/* In the order of enum key, from K_TEXT. */
static const char *const key_names[] = { "text",   "scheme",  "user", "host", "port",
					 "params", "headers", "uri",  "tag",  "display" };

#define NKEYS (sizeof key_names / sizeof key_names[0])
_Static_assert(K_TEXT + NKEYS - 1 == K_DISPLAY, "a name for each key");

/* The function f as a closure with the URI metatable and the keys. */
static void push_builder(lua_State *L, lua_CFunction f)
{
	luaL_getmetatable(L, "moonsip.uri");
	for (size_t i = 0; i < NKEYS; i++)
		lua_pushstring(L, key_names[i]);
	lua_pushcclosure(L, f, 1 + (int)NKEYS);
}

static void push_key(lua_State *L, enum key k)
{
	lua_pushvalue(L, lua_upvalueindex(k));
}

/* t[k] = s, t on top of the stack. */
static void set_str(lua_State *L, enum key k, struct ms_str s)
{
	push_key(L, k);
	push_str(L, s);
	lua_rawset(L, -3);
}

/* A URI's params, name to value (true for a name alone). */
static void push_params(lua_State *L, struct ms_str params)
{
	lua_newtable(L);
	size_t pos = 0;
	struct ms_str name, value;
	while (ms_param_next(params, &pos, &name, &value)) {
		push_str(L, name);
		if (value.s)
			push_str(L, value);
		else
			lua_pushboolean(L, 1);
		lua_rawset(L, -3);
	}
}

/* A URI as a table with the URI metatable: scheme, user, host, port,
 * params, headers, text. A URI without params gets its (empty) params
 * table from the metatable's __index when it is first read (uri_index):
 * most are never read, and a table less is an allocation and a part of a
 * GC step less. The hash part is sized for the fields there are. */
static void push_uri(lua_State *L, const struct ms_uri *u)
{
	bool user = u->user.len || u->scheme == MS_URI_TEL;
	int n = 2 + user + (u->host.len > 0) + (u->port > 0) + (u->params.len > 0) + (u->headers.len > 0);
	lua_createtable(L, 0, n);
	set_str(L, K_TEXT, u->text);
	set_str(L, K_SCHEME, u->scheme_s);
	if (user)
		set_str(L, K_USER, u->user);
	if (u->host.len)
		set_str(L, K_HOST, u->host);
	if (u->port) {
		push_key(L, K_PORT);
		lua_pushinteger(L, u->port);
		lua_rawset(L, -3);
	}
	if (u->params.len) {
		push_key(L, K_PARAMS);
		push_params(L, u->params);
		lua_rawset(L, -3);
	}
	if (u->headers.len)
		set_str(L, K_HEADERS, u->headers);
	push_key(L, K_MT);
	lua_setmetatable(L, -2);
}

/* The URI metatable's __index: uri.params of a URI made without them (see
 * push_uri) is a new empty table, kept in the URI, so that a second read
 * gives the same table and a script's uri.params.x = y stays. Anything
 * else is looked up in the metatable (uri:tostring()). Only normal
 * indexing sees the lazy params: pairs(uri), next and rawget(uri,
 * "params") do not find them before the first uri.params; and a script
 * that sets uri.params = nil reads a new empty table after, not nil. */
static int uri_index(lua_State *L)
{
	if (lua_type(L, 1) == LUA_TTABLE && lua_rawequal(L, 2, lua_upvalueindex(K_PARAMS))) {
		lua_newtable(L);
		push_key(L, K_PARAMS);
		lua_pushvalue(L, -2);
		lua_rawset(L, 1);
		return 1;
	}
	lua_pushvalue(L, 2);
	lua_rawget(L, lua_upvalueindex(K_MT));
	return 1;
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

/* req.from, req.to: { uri, tag, display }, or nothing. */
static int push_party(lua_State *L, const struct ms_nameaddr *na)
{
	if (!na)
		return 0;
	lua_createtable(L, 0, 1 + (na->tag.len > 0) + (na->display.len > 0));
	push_key(L, K_URI);
	push_uri(L, &na->uri);
	lua_rawset(L, -3);
	if (na->tag.len)
		set_str(L, K_TAG, na->tag);
	if (na->display.len) {
		char *d = ms__malloc(na->display.len + 1);
		if (d) {
			push_key(L, K_DISPLAY);
			lua_pushlstring(L, d, ms_display_decode(na->display, d));
			ms__free(d);
			lua_rawset(L, -3);
		}
	}
	return 1;
}

/* The To tag of this request's answers: one per request, so a 180 and the
 * 200 after it name the same dialog; the host's random prefix and a count
 * make it unique without a syscall per request. */
struct ms_str ms__lua_req_tag(struct ms_lua_req *r)
{
	static const char hex[] = "0123456789abcdef";
	struct ms_lua_host *h = r->h;
	if (!r->tag[0]) {
		uint64_t n = ++h->ntags;
		size_t len = strlen(h->tag_prefix);
		memcpy(r->tag, h->tag_prefix, len);
		do
			r->tag[len++] = hex[n & 15];
		while ((n >>= 4) && len < sizeof r->tag - 1);
		r->tag[len] = 0;
	}
	return (struct ms_str){ r->tag, strlen(r->tag) };
}

/* The headers table of a reply, checked before anything is built: names
 * are strings, values strings (or numbers) or lists of them. */
static void check_headers(lua_State *L, int idx)
{
	for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "bad header name in reply (a string expected, got %s)",
				   luaL_typename(L, -2));
		if (lua_type(L, -1) == LUA_TTABLE) {
			for (int i = 1;; i++) {
				lua_rawgeti(L, -1, i);
				bool end = lua_isnil(L, -1), ok = lua_isstring(L, -1);
				lua_pop(L, 1);
				if (end)
					break;
				if (!ok)
					luaL_error(L, "bad value for header '%s' in reply (string expected)",
						   lua_tostring(L, -2));
			}
		} else if (!lua_isstring(L, -1)) {
			luaL_error(L, "bad value for header '%s' in reply (string expected)",
				   lua_tostring(L, -2));
		}
	}
}

static bool is_ctype(const char *name, size_t nl)
{
	return (nl == 12 && !strncasecmp(name, "Content-Type", 12)) ||
		(nl == 1 && (*name == 'c' || *name == 'C'));
}

/* Header fields from a checked table: name = "value" or name = { "v1",
 * "v2" }. Returns the Content-Type given, for the body. */
/* contacts = { "sip:a@x", ... }: Contact fields, a bare URI put in <> (a
 * redirect, RFC 3261 §8.3). */
static int add_contact(struct ms_buf *b, const char *v, size_t vl)
{
	if (memchr(v, '<', vl))
		return ms_build_header(b, MS_STR("Contact"), (struct ms_str){ v, vl });
	struct ms_buf c;
	ms_buf_init(&c);
	int rc = ms_buf_printf(&c, "<%.*s>", (int)vl, v);
	if (rc == 0)
		rc = ms_build_header(b, MS_STR("Contact"), (struct ms_str){ c.data, c.len });
	ms_buf_free(&c);
	return rc;
}

static int add_headers(lua_State *L, int idx, struct ms_buf *b, struct ms_str *ctype)
{
	int rc = 0;
	for (lua_pushnil(L); rc == 0 && lua_next(L, idx); lua_pop(L, 1)) {
		size_t nl, vl;
		const char *name = lua_tolstring(L, -2, &nl);
		bool contacts = nl == 8 && !memcmp(name, "contacts", 8);
		if (lua_type(L, -1) != LUA_TTABLE) {
			const char *v = lua_tolstring(L, -1, &vl);
			if (contacts)
				rc = add_contact(b, v, vl);
			else if (is_ctype(name, nl))
				*ctype = (struct ms_str){ v, vl };
			else
				rc = ms_build_header(b, (struct ms_str){ name, nl },
						     (struct ms_str){ v, vl });
			continue;
		}
		for (int i = 1; rc == 0; i++) {
			lua_rawgeti(L, -1, i);
			const char *v = lua_tolstring(L, -1, &vl);
			if (v && contacts)
				rc = add_contact(b, v, vl);
			else if (v)
				rc = ms_build_header(b, (struct ms_str){ name, nl },
						     (struct ms_str){ v, vl });
			lua_pop(L, 1);
			if (!v)
				break;
		}
	}
	return rc;
}

/* What a value is, for an error message: its text, or its type. */
static const char *shown(lua_State *L, int idx)
{
	return lua_type(L, idx) == LUA_TNUMBER || lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx)
										  : luaL_typename(L, idx);
}

/* req:reply(code [, reason] [, headers] [, body]): the reason may be left
 * out with the headers in its place. Leaves the reason, headers and body
 * at 3, 4 and 5. */
struct reply_args {
	unsigned code;
	bool reason, headers, body; /* given (not nil) */
};

static struct reply_args reply_args(lua_State *L)
{
	lua_settop(L, 5);
	int t3 = lua_type(L, 3);
	if (t3 == LUA_TTABLE) {
		lua_insert(L, 3);
		lua_pushnil(L);
		lua_replace(L, 3);
		lua_settop(L, 5);
		t3 = LUA_TNIL;
	}
	int t4 = lua_type(L, 4), t5 = lua_type(L, 5);
	lua_Number code = lua_tonumber(L, 2);
	if (lua_type(L, 2) != LUA_TNUMBER || code < 100 || code > 699 || code != (unsigned)code)
		luaL_error(L, "bad argument #1 to 'reply' (status code 100-699 expected, got %s)",
			   shown(L, 2));
	if (t3 != LUA_TNIL && t3 != LUA_TSTRING)
		luaL_error(L, "bad argument #2 to 'reply' (reason phrase expected, got %s)",
			   lua_typename(L, t3));
	if (t4 != LUA_TNIL && t4 != LUA_TTABLE)
		luaL_error(L, "bad argument #3 to 'reply' (table of headers expected, got %s)",
			   lua_typename(L, t4));
	if (t5 != LUA_TNIL && t5 != LUA_TSTRING)
		luaL_error(L, "bad argument #4 to 'reply' (string body expected, got %s)",
			   lua_typename(L, t5));
	if (t4 == LUA_TTABLE)
		check_headers(L, 4);
	return (struct reply_args){ (unsigned)code, t3 != LUA_TNIL, t4 != LUA_TNIL, t5 != LUA_TNIL };
}

/* RFC 3261 §12.1.1: a response that makes a dialog (101-299 to a request
 * that can) carries the request's Record-Route, for the caller's route set. */
static bool creates_dialog(const struct ms_msg *m, unsigned code)
{
	return code > 100 && code < 300 &&
		(m->method == MS_METHOD_INVITE || m->method == MS_METHOD_SUBSCRIBE ||
		 m->method == MS_METHOD_REFER);
}

static int copy_record_route(struct ms_msg *m, struct ms_buf *b)
{
	int rc = 0;
	for (const struct ms_hdr *h = ms_msg_hdr(m, MS_HDR_RECORD_ROUTE); h && rc == 0;
	     h = ms_msg_hdr_next(m, h))
		rc = ms_build_header(b, MS_STR("Record-Route"), h->value);
	return rc;
}

static int reply(lua_State *L, bool stateless)
{
	struct ms_lua_req *r = ms__lua_check_req(L, 1);
	struct ms_msg *m = msg_of_req(L, r);
	struct reply_args a = reply_args(L);
	unsigned code = a.code;
	size_t rl = 0, bl = 0;
	const char *reason = a.reason ? lua_tolstring(L, 3, &rl) : "";
	const char *body = a.body ? lua_tolstring(L, 5, &bl) : NULL;
	if (r->standalone)
		return luaL_error(L, "only the request a handler was given can be answered");
	if (!r->needs_answer)
		return luaL_error(L, "an ACK is not answered");
	if (r->status >= 200)
		return luaL_error(L, "request already answered with %d", (int)r->status);
	struct ms_buf b;
	ms_buf_init(&b);
	struct ms_str ctype = MS_STR_NULL;
	int rc = ms_build_response(&b, m, code, (struct ms_str){ reason, rl },
				   code > 100 ? ms__lua_req_tag(r) : MS_STR_NULL);
	if (rc == 0 && creates_dialog(m, code))
		rc = copy_record_route(m, &b);
	if (rc == 0 && a.headers)
		rc = add_headers(L, 4, &b, &ctype);
	if (rc == 0 && body && bl && !ctype.len)
		rc = MS_EINVAL;
	if (rc == 0)
		rc = ms_build_end(&b, (struct ms_str){ body, bl }, ctype);
	if (rc == 0)
		rc = ms__lua_send_answer(r, stateless, code, &b);
	ms_buf_free(&b);
	if (rc == MS_EINVAL)
		return luaL_error(L, "reply %d: %s", (int)code,
				  body && bl && !ctype.len
					  ? "a body needs a Content-Type header"
					  : "a header name or value is not valid (CR or LF in it?)");
	if (rc < 0)
		return luaL_error(L, "reply %d could not be sent: %s", (int)code, ms_strerror(rc));
	lua_pushboolean(L, 1);
	return 1;
}

static int req_reply(lua_State *L)
{
	return reply(L, false);
}

static int req_reply_stateless(lua_State *L)
{
	return reply(L, true);
}

/* Keeps the value on top as the field named by the key (at 2) in the
 * request's cache: its environment table, made on first use with room for
 * the four table fields. */
static void cache(lua_State *L, struct ms_lua_req *r)
{
	if (!r->cached) {
		lua_createtable(L, 0, 4);
		lua_setfenv(L, 1);
		r->cached = true;
	}
	lua_getfenv(L, 1);
	lua_pushvalue(L, 2);
	lua_pushvalue(L, -3);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

/* The fields of a request. */
enum field {
	F_NONE,
	F_METHOD,
	F_CALL_ID,
	F_CSEQ,
	F_BODY,
	F_STATUS,
	F_REASON,
	F_IN_DIALOG,
	F_URI, /* the table fields from here on */
	F_FROM,
	F_TO,
	F_SOURCE,
};

static const char *const field_names[] = {
	[F_METHOD] = "method", [F_CALL_ID] = "call_id", [F_CSEQ] = "cseq",           [F_BODY] = "body",
	[F_STATUS] = "status", [F_REASON] = "reason",   [F_IN_DIALOG] = "in_dialog", [F_URI] = "uri",
	[F_FROM] = "from",     [F_TO] = "to",           [F_SOURCE] = "source",
};

/* The field a key names: its first letter (and length) leave one name to
 * compare, instead of a strcmp with each name in turn. */
static enum field field_of(const char *k, size_t len)
{
	enum field f;
	switch (k[0]) {
	case 'm': f = F_METHOD; break;
	case 'c': f = len == 4 ? F_CSEQ : F_CALL_ID; break;
	case 'b': f = F_BODY; break;
	case 's': f = len > 1 && k[1] == 't' ? F_STATUS : F_SOURCE; break;
	case 'r': f = F_REASON; break;
	case 'i': f = F_IN_DIALOG; break;
	case 'u': f = F_URI; break;
	case 'f': f = F_FROM; break;
	case 't': f = F_TO; break;
	default: return F_NONE;
	}
	return len == strlen(field_names[f]) && !memcmp(k, field_names[f], len) ? f : F_NONE;
}

/* Fields that make tables, parsed once and cached. */
static int table_field(lua_State *L, struct ms_lua_req *r, struct ms_msg *m, enum field f)
{
	if (r->cached) {
		lua_getfenv(L, 1);
		lua_pushvalue(L, 2);
		lua_rawget(L, -2);
		if (!lua_isnil(L, -1))
			return 1;
		lua_pop(L, 2);
	}
	if (f == F_URI) {
		const struct ms_uri *u = ms_msg_ruri(m);
		if (!u)
			return 0;
		push_uri(L, u);
	} else if (f == F_SOURCE) {
		req_source(L);
	} else if (!push_party(L, f == F_FROM ? ms_msg_from(m) : ms_msg_to(m))) {
		return 0;
	}
	cache(L, r);
	return 1;
}

static int scalar_field(lua_State *L, struct ms_msg *m, enum field f)
{
	switch (f) {
	case F_METHOD: push_str(L, m->method_s); return 1;
	case F_CALL_ID: {
		const struct ms_str *id = ms_msg_call_id(m);
		push_str(L, id ? *id : MS_STR_NULL);
		return 1;
	}
	case F_CSEQ: lua_pushnumber(L, ms_msg_cseq(m)->num); return 1;
	case F_BODY: push_str(L, m->body); return 1;
	case F_STATUS:
	case F_REASON:
		if (m->is_request)
			return 0;
		if (f == F_STATUS)
			lua_pushinteger(L, m->status);
		else
			push_str(L, m->reason);
		return 1;
	case F_IN_DIALOG: {
		const struct ms_nameaddr *to = ms_msg_to(m);
		lua_pushboolean(L, to && to->tag.len > 0);
		return 1;
	}
	default: return 0;
	}
}

/* req.<field>: one C call, no table per request (the prelude's __index
 * finds the methods first). */
static int req_field(lua_State *L)
{
	struct ms_lua_req *r = ms__lua_check_req(L, 1);
	size_t len;
	const char *k = lua_tolstring(L, 2, &len);
	if (!k)
		return 0;
	/* every field ends with the handler, cached ones too */
	struct ms_msg *m = ms__lua_req_view(L, r);
	enum field f = field_of(k, len);
	if (f >= F_URI)
		return table_field(L, r, m, f);
	return scalar_field(L, m, f);
}

/* req:header(name) and req:headers(name) check their argument here. */
static void name_arg(lua_State *L, const char *fn)
{
	if (lua_type(L, 2) != LUA_TSTRING)
		luaL_error(L, "bad argument #1 to '%s' (header name expected, got %s)", fn,
			   luaL_typename(L, 2));
}

static int m_header(lua_State *L)
{
	name_arg(L, "header");
	return req_header(L);
}

static int m_headers(lua_State *L)
{
	name_arg(L, "headers");
	return req_headers(L);
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
	ms__lua_req_free_edits(r);
	return 0;
}

static int uri_tostring(lua_State *L)
{
	lua_getfield(L, 1, "text");
	return 1;
}

/* The metatable of URI tables: tostring(uri), uri:tostring() and the
 * params of a URI without them (uri_index). Pushes it. */
static void open_uri_mt(lua_State *L)
{
	if (!luaL_newmetatable(L, "moonsip.uri"))
		return;
	lua_pushcfunction(L, uri_tostring);
	lua_setfield(L, -2, "__tostring");
	lua_pushcfunction(L, uri_tostring);
	lua_setfield(L, -2, "tostring");
	push_builder(L, uri_index);
	lua_setfield(L, -2, "__index");
}

/* Into the table on top, for the prelude: uri_parse and uri_mt, and the
 * request's metatable (req_mt, with __gc and __tostring), its methods
 * (req_methods) and its field function (req_field), from which the prelude
 * makes the metatable's __index. */
void ms__lua_open_req(lua_State *L, struct ms_lua_host *h)
{
	static const luaL_Reg methods[] = {
		{ "header", m_header },
		{ "headers", m_headers },
		{ "reply", req_reply },
		{ "reply_stateless", req_reply_stateless },
	};
	(void)h;
	open_uri_mt(L); /* first: the closures below keep it */
	lua_setfield(L, -2, "uri_mt");
	push_builder(L, uri_parse);
	lua_setfield(L, -2, "uri_parse");
	luaL_newmetatable(L, REQ_MT);
	lua_pushcfunction(L, req_gc);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, req_text);
	lua_setfield(L, -2, "__tostring");
	lua_setfield(L, -2, "req_mt");
	lua_createtable(L, 0, 9);
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		lua_pushcfunction(L, methods[i].func);
		lua_setfield(L, -2, methods[i].name);
	}
	ms__lua_edit_methods(L);
	lua_setfield(L, -2, "req_methods");
	push_builder(L, req_field);
	lua_setfield(L, -2, "req_field");
}
