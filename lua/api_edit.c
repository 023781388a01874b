/* The request's edit methods: set_header, add_header, remove_header,
 * set_uri, set_body. Each edit is applied at once: the edited message is
 * written and parsed again (in C, about the cost of one parse), so that
 * reads after it see the change, and it must still be a valid request, or
 * the edit is refused with a Lua error that says why. Answers keep being
 * built from the request as it was received (RFC 3261 §8.2.6 copies its
 * Via, From, To, Call-ID and CSeq); the edited request is what the proxy
 * forwards. */
#include <lauxlib.h>
#include <string.h>

#include "base/alloc.h"
#include "host_private.h"
#include "moonsip/edit.h"

/* Headers a script may not touch with the header methods, and why. */
static const char *refused(const char *name, size_t len)
{
	switch (ms_hdr_lookup(name, len)) {
	case MS_HDR_VIA: return "the Via headers belong to the transaction layer";
	case MS_HDR_CALL_ID:
	case MS_HDR_CSEQ: return "Call-ID and CSeq identify the request and its answers";
	case MS_HDR_CONTENT_LENGTH:
	case MS_HDR_CONTENT_TYPE:
		return "the body and its headers are set with req:set_body(body, content_type)";
	default: return NULL;
	}
}

static struct ms_str name_arg(lua_State *L, const char *fn, bool check_refused)
{
	size_t len;
	if (lua_type(L, 2) != LUA_TSTRING)
		luaL_error(L, "bad argument #1 to '%s' (header name expected, got %s)", fn,
			   luaL_typename(L, 2));
	const char *name = lua_tolstring(L, 2, &len);
	const char *why = check_refused ? refused(name, len) : NULL;
	if (why)
		luaL_error(L, "%s: cannot change %s: %s", fn, name, why);
	return (struct ms_str){ name, len };
}

static struct ms_str value_arg(lua_State *L, int idx, const char *fn, const char *what)
{
	size_t len;
	int t = lua_type(L, idx);
	if (t != LUA_TSTRING && t != LUA_TNUMBER)
		luaL_error(L, "bad argument #%d to '%s' (%s expected, got %s)", idx - 1, fn, what,
			   luaL_typename(L, idx));
	const char *s = lua_tolstring(L, idx, &len);
	return (struct ms_str){ s, len };
}

/* Entries named 'name' (an unknown name shares one chain with every other
 * unknown header: keep the ones of this name). */
static const struct ms_hdr *named_next(const struct ms_msg *m, const struct ms_hdr *h, struct ms_str name)
{
	bool other = ms_hdr_lookup(name.s, name.len) == MS_HDR_OTHER;
	h = h ? ms_msg_hdr_next(m, h) : ms_msg_hdr_by_name(m, name.s, name.len);
	while (h && other && !ms_str_ieq(h->name, name))
		h = ms_msg_hdr_next(m, h);
	return h;
}

static int remove_named(struct ms_edit *e, const struct ms_msg *m, struct ms_str name, int *count)
{
	int rc = 0;
	for (const struct ms_hdr *h = named_next(m, NULL, name); h && rc == 0; h = named_next(m, h, name)) {
		rc = ms_edit_remove(e, h);
		(*count)++;
	}
	return rc;
}

static void free_edited(struct ms_lua_req *r)
{
	if (r->edited) {
		ms_msg_free(r->edited);
		ms__free(r->edited);
		r->edited = NULL;
	}
	ms_buf_free(&r->edited_text);
}

void ms__lua_req_free_edits(struct ms_lua_req *r)
{
	free_edited(r);
}

/* Writes the edit, parses and checks the result, and makes it the
 * request's message for reads. Raises a Lua error (after freeing) when the
 * edit was refused or made a request that is not valid. */
void ms__lua_req_commit(lua_State *L, struct ms_lua_req *r, struct ms_edit *e, int rc, const char *fn)
{
	char why[160] = "";
	struct ms_buf out;
	ms_buf_init(&out);
	struct ms_msg *nm = NULL;
	if (rc == 0)
		rc = ms_edit_write(e, &out);
	ms_edit_free(e);
	if (rc == 0)
		rc = ms_buf_reserve(&out, 1);
	if (rc == 0 && !(nm = ms__malloc(sizeof *nm)))
		rc = MS_ENOMEM;
	if (rc == 0) {
		out.data[out.len] = 0;
		ms_msg_init(nm);
		if (ms_msg_parse(nm, out.data, out.len, MS_PARSE_DGRAM) < 0 || ms_msg_check(nm) < 0) {
			ms_msg_error(nm, why, sizeof why);
			rc = MS_EBADMSG;
		}
	}
	if (rc < 0) {
		if (nm) {
			ms_msg_free(nm);
			ms__free(nm);
		}
		ms_buf_free(&out);
		if (rc == MS_EINVAL)
			luaL_error(L, "%s: not a valid header name or value (a token name, no CR or LF)", fn);
		if (rc == MS_EBADMSG)
			luaL_error(L, "%s: the request would not be valid: %s", fn, why);
		luaL_error(L, "%s: %s", fn, ms_strerror(rc));
	}
	free_edited(r);
	r->edited = nm;
	r->edited_text = out;
	r->edits++;
	r->cached = false; /* uri, from, to are read again */
}

struct ms_lua_req *ms__lua_new_standalone(lua_State *L, struct ms_lua_host *h, const char *text, size_t len)
{
	struct ms_lua_req *r = lua_newuserdata(L, sizeof *r);
	memset(r, 0, sizeof *r);
	r->magic = MS__LUA_REQ_MAGIC;
	r->h = h;
	r->standalone = true;
	r->on_reply = LUA_NOREF;
	lua_rawgeti(L, LUA_REGISTRYINDEX, h->cur->req_mt);
	lua_setmetatable(L, -2);
	struct ms_msg *m = ms__malloc(sizeof *m);
	int rc = m && ms_buf_add(&r->edited_text, text, len) == 0 && ms_buf_reserve(&r->edited_text, 1) == 0
		? 0
		: MS_ENOMEM;
	if (rc == 0) {
		r->edited_text.data[len] = 0;
		ms_msg_init(m);
		r->edited = m;
		if (ms_msg_parse(m, r->edited_text.data, len, MS_PARSE_DGRAM) < 0)
			rc = MS_EBADMSG;
	} else {
		ms__free(m);
	}
	if (rc < 0)
		luaL_error(L, "cannot make a message object: %s", ms_strerror(rc));
	return r;
}

static struct ms_lua_req *start(lua_State *L, struct ms_edit *e)
{
	struct ms_lua_req *r = ms__lua_check_req(L, 1);
	ms_edit_init(e, ms__lua_req_view(L, r));
	return r;
}

/* req:set_header(name, value): the fields of that name are replaced by one,
 * where the first of them was (at the end when there was none). */
static int set_header(lua_State *L)
{
	struct ms_str name = name_arg(L, "set_header", true);
	struct ms_str value = value_arg(L, 3, "set_header", "header value");
	struct ms_edit e;
	struct ms_lua_req *r = start(L, &e);
	const struct ms_hdr *first = named_next(e.msg, NULL, name);
	int n = 0;
	int rc = ms_edit_add(&e, name, value, first ? MS_EDIT_BEFORE : MS_EDIT_BOTTOM, first);
	if (rc == 0)
		rc = remove_named(&e, e.msg, name, &n);
	ms__lua_req_commit(L, r, &e, rc, "set_header");
	return 0;
}

/* req:add_header(name, value): one more field, after the last of that name
 * (at the end when there is none). */
static int add_header(lua_State *L)
{
	struct ms_str name = name_arg(L, "add_header", true);
	struct ms_str value = value_arg(L, 3, "add_header", "header value");
	struct ms_edit e;
	struct ms_lua_req *r = start(L, &e);
	const struct ms_hdr *last = NULL;
	for (const struct ms_hdr *h = named_next(e.msg, NULL, name); h; h = named_next(e.msg, h, name))
		last = h;
	int rc = ms_edit_add(&e, name, value, last ? MS_EDIT_AFTER : MS_EDIT_BOTTOM, last);
	ms__lua_req_commit(L, r, &e, rc, "add_header");
	return 0;
}

/* req:remove_header(name): every field of that name; returns how many
 * values went (0 when there were none, and nothing is rewritten). */
static int remove_header(lua_State *L)
{
	struct ms_str name = name_arg(L, "remove_header", true);
	struct ms_edit e;
	struct ms_lua_req *r = start(L, &e);
	int n = 0;
	int rc = remove_named(&e, e.msg, name, &n);
	if (n == 0)
		ms_edit_free(&e);
	else
		ms__lua_req_commit(L, r, &e, rc, "remove_header");
	lua_pushinteger(L, n);
	return 1;
}

/* req:set_uri(uri): a string or a URI object (ms.uri, req.uri). */
static int set_uri(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_getfield(L, 2, "text");
		lua_replace(L, 2);
	}
	if (lua_type(L, 2) != LUA_TSTRING)
		luaL_error(L, "bad argument #1 to 'set_uri' (URI string or object expected, got %s)",
			   luaL_typename(L, 2));
	struct ms_str uri = value_arg(L, 2, "set_uri", "URI");
	struct ms_edit e;
	struct ms_lua_req *r = start(L, &e);
	int rc = ms_edit_set_ruri(&e, uri);
	if (rc == MS_EINVAL) {
		ms_edit_free(&e);
		luaL_error(L, "set_uri: '%s' is not a URI a request can be sent to", uri.s);
	}
	ms__lua_req_commit(L, r, &e, rc, "set_uri");
	return 0;
}

/* req:set_body(body [, content_type]): an empty body removes Content-Type;
 * a body that is not empty needs one, given or already there. */
static int set_body(lua_State *L)
{
	struct ms_str body = value_arg(L, 2, "set_body", "string body");
	struct ms_str ctype = MS_STR_NULL;
	if (!lua_isnoneornil(L, 3))
		ctype = value_arg(L, 3, "set_body", "content type");
	struct ms_edit e;
	struct ms_lua_req *r = start(L, &e);
	const struct ms_hdr *had = ms_msg_hdr(e.msg, MS_HDR_CONTENT_TYPE);
	if (body.len && !ctype.len && !had) {
		ms_edit_free(&e);
		luaL_error(L,
			   "set_body: a body needs a content type (req:set_body(body, \"application/sdp\"))");
	}
	if (body.len && !ctype.len)
		ctype = had->value;
	ms__lua_req_commit(L, r, &e, ms_edit_set_body(&e, body, ctype), "set_body");
	return 0;
}

void ms__lua_edit_methods(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "set_header", set_header },       { "add_header", add_header },
		{ "remove_header", remove_header }, { "set_uri", set_uri },
		{ "set_body", set_body },
	};
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		lua_pushcfunction(L, methods[i].func);
		lua_setfield(L, -2, methods[i].name);
	}
}
