/* A SIP message as the Lua module hands it to a caller: the harness's
 * answers and the messages its user agents receive. */
#include <lauxlib.h>
#include <string.h>

#include "module.h"
#include "moonsip/hdr.h"

/* headers[name] = first value, all_headers[name] = { every value }, with
 * lower-case names and compact forms spelled out. Leaves both tables on
 * the stack: headers below all_headers. */
static void push_headers(lua_State *L, const struct ms_msg *m)
{
	lua_newtable(L);
	lua_newtable(L);
	for (unsigned i = 0; i < m->nhdrs; i++) {
		const struct ms_hdr *h = &m->hdrs[i];
		const char *canon = ms_hdr_name((enum ms_hdr_type)h->type);
		char name[256];
		size_t n = canon ? strlen(canon) : h->name.len;
		if (n >= sizeof name)
			continue;
		memcpy(name, canon ? canon : h->name.s, n);
		for (size_t j = 0; j < n; j++)
			name[j] = (char)(name[j] >= 'A' && name[j] <= 'Z' ? name[j] + 32 : name[j]);
		lua_pushlstring(L, name, n);
		lua_rawget(L, -2);
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
			lua_newtable(L);
			lua_pushlstring(L, name, n);
			lua_pushvalue(L, -2);
			lua_rawset(L, -4);
			lua_pushlstring(L, name, n);
			lua_pushlstring(L, h->value.s, h->value.len);
			lua_rawset(L, -5);
		}
		lua_pushlstring(L, h->value.s, h->value.len);
		lua_rawseti(L, -2, (int)lua_objlen(L, -2) + 1);
		lua_pop(L, 1);
	}
}

static void set_str(lua_State *L, const char *field, struct ms_str s)
{
	lua_pushlstring(L, s.s ? s.s : "", s.len);
	lua_setfield(L, -2, field);
}

void ms__mod_push_msg(lua_State *L, const struct ms_msg *m)
{
	lua_createtable(L, 0, 8);
	lua_pushlstring(L, m->buf, m->len);
	lua_setfield(L, -2, "text");
	if (m->is_request) {
		set_str(L, "method", m->method_s);
		set_str(L, "uri", m->ruri_s);
	} else {
		lua_pushinteger(L, m->status);
		lua_setfield(L, -2, "status");
		set_str(L, "reason", m->reason);
	}
	set_str(L, "body", m->body);
	push_headers(L, m);
	lua_setfield(L, -3, "all_headers");
	lua_setfield(L, -2, "headers");
}
