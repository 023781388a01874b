/* ms.store: a key/value table per worker for counters and caches, with an
 * optional time to live. It belongs to the host, so it outlives reloads.
 * Values are numbers, strings and booleans. Expired entries are gone at
 * once for readers and freed by a sweep that each write advances. */
#include <lauxlib.h>
#include <string.h>

#include "base/alloc.h"
#include "host_private.h"

struct entry {
	struct entry *next;
	double expires; /* ev_time(); 0: never */
	int type;       /* LUA_TNUMBER, LUA_TSTRING, LUA_TBOOLEAN */
	double num;
	size_t klen, slen;
	char *str;
	char key[];
};

struct ms__store {
	struct entry **b;
	size_t nb, n, sweep;
};

struct ms__store *ms__store_new(void)
{
	struct ms__store *s = ms__calloc(1, sizeof *s);
	if (s && !(s->b = ms__calloc(64, sizeof *s->b))) {
		ms__free(s);
		return NULL;
	}
	if (s)
		s->nb = 64;
	return s;
}

static void entry_free(struct entry *e)
{
	ms__free(e->str);
	ms__free(e);
}

void ms__store_free(struct ms__store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nb; i++)
		while (s->b[i]) {
			struct entry *e = s->b[i];
			s->b[i] = e->next;
			entry_free(e);
		}
	ms__free(s->b);
	ms__free(s);
}

static size_t hash(const char *k, size_t len)
{
	size_t h = 14695981039346656037u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211u;
	return h;
}

static bool expired(const struct entry *e, double now)
{
	return e->expires && e->expires <= now;
}

/* The slot that points at the entry for key (or at the chain's end). */
static struct entry **slot(struct ms__store *s, const char *k, size_t len)
{
	struct entry **p = &s->b[hash(k, len) & (s->nb - 1)];
	while (*p && !((*p)->klen == len && !memcmp((*p)->key, k, len)))
		p = &(*p)->next;
	return p;
}

static void unlink_at(struct ms__store *s, struct entry **p)
{
	struct entry *e = *p;
	*p = e->next;
	entry_free(e);
	s->n--;
}

/* Frees the expired entries of two chains per write. */
static void sweep(struct ms__store *s, double now)
{
	for (int i = 0; i < 2; i++) {
		struct entry **p = &s->b[s->sweep++ & (s->nb - 1)];
		while (*p)
			if (expired(*p, now))
				unlink_at(s, p);
			else
				p = &(*p)->next;
	}
}

static void grow(struct ms__store *s)
{
	size_t nb = s->nb * 2;
	struct entry **b = ms__calloc(nb, sizeof *b);
	if (!b)
		return; /* longer chains, still right */
	for (size_t i = 0; i < s->nb; i++)
		while (s->b[i]) {
			struct entry *e = s->b[i];
			s->b[i] = e->next;
			size_t j = hash(e->key, e->klen) & (nb - 1);
			e->next = b[j];
			b[j] = e;
		}
	ms__free(s->b);
	s->b = b;
	s->nb = nb;
}

static struct ms__store *store(lua_State *L)
{
	struct ms_lua_host *h = lua_touserdata(L, lua_upvalueindex(1));
	ms__lua_api_entry(L, h);
	return h->store;
}

static const char *key_arg(lua_State *L, size_t *len)
{
	if (lua_type(L, 1) != LUA_TSTRING)
		luaL_error(L, "bad argument #1 to 'store' function (string key expected, got %s)",
			   luaL_typename(L, 1));
	return lua_tolstring(L, 1, len);
}

static double ttl_arg(lua_State *L, int idx)
{
	if (lua_isnoneornil(L, idx))
		return 0;
	double ttl = luaL_checknumber(L, idx);
	if (ttl <= 0)
		luaL_error(L, "bad time to live %f (seconds > 0 expected)", ttl);
	return ev_time() + ttl;
}

static int get(lua_State *L)
{
	size_t len;
	const char *k = key_arg(L, &len);
	struct entry *e = *slot(store(L), k, len);
	if (!e || expired(e, ev_time()))
		return 0;
	if (e->type == LUA_TNUMBER)
		lua_pushnumber(L, e->num);
	else if (e->type == LUA_TBOOLEAN)
		lua_pushboolean(L, e->num != 0);
	else
		lua_pushlstring(L, e->str, e->slen);
	return 1;
}

/* Finds or makes the entry for key; NULL when out of memory. */
static struct entry *upsert(struct ms__store *s, const char *k, size_t len)
{
	sweep(s, ev_time());
	struct entry **p = slot(s, k, len);
	if (*p)
		return *p;
	struct entry *e = ms__calloc(1, sizeof *e + len);
	if (!e)
		return NULL;
	memcpy(e->key, k, len);
	e->klen = len;
	e->type = LUA_TNUMBER;
	*p = e;
	if (++s->n > s->nb * 2)
		grow(s);
	return e;
}

static int set(lua_State *L)
{
	size_t len, vl = 0;
	const char *k = key_arg(L, &len);
	int t = lua_type(L, 2);
	if (t == LUA_TNIL) {
		struct entry **p = slot(store(L), k, len);
		if (*p)
			unlink_at(store(L), p);
		return 0;
	}
	if (t != LUA_TNUMBER && t != LUA_TSTRING && t != LUA_TBOOLEAN)
		return luaL_error(L, "ms.store holds numbers, strings and booleans, not %s",
				  luaL_typename(L, 2));
	double expires = ttl_arg(L, 3);
	const char *v = t == LUA_TSTRING ? lua_tolstring(L, 2, &vl) : NULL;
	char *copy = v ? ms__malloc(vl ? vl : 1) : NULL;
	struct entry *e = (!v || copy) ? upsert(store(L), k, len) : NULL;
	if (!e) {
		ms__free(copy);
		return luaL_error(L, "ms.store: out of memory");
	}
	ms__free(e->str);
	e->str = copy;
	if (v)
		memcpy(copy, v, vl);
	e->slen = vl;
	e->type = t;
	e->num = t == LUA_TNUMBER ? lua_tonumber(L, 2) : lua_toboolean(L, 2);
	e->expires = expires;
	return 0;
}

/* incr(key [, by [, ttl]]): the new value; a missing or expired entry
 * counts from 0, and the time to live is set when the entry is new. */
static int incr(lua_State *L)
{
	size_t len;
	const char *k = key_arg(L, &len);
	double by = luaL_optnumber(L, 2, 1);
	struct ms__store *s = store(L);
	struct entry *e = upsert(s, k, len);
	if (!e)
		return luaL_error(L, "ms.store: out of memory");
	if (e->type != LUA_TNUMBER && !expired(e, ev_time()))
		return luaL_error(L, "ms.store.incr: '%s' holds a %s, not a number", lua_tostring(L, 1),
				  e->type == LUA_TSTRING ? "string" : "boolean");
	if (expired(e, ev_time()) || e->type != LUA_TNUMBER || (!e->num && !e->expires)) {
		ms__free(e->str);
		e->str = NULL;
		e->type = LUA_TNUMBER;
		e->num = 0;
		e->expires = ttl_arg(L, 3);
	}
	e->num += by;
	lua_pushnumber(L, e->num);
	return 1;
}

static int del(lua_State *L)
{
	lua_settop(L, 1);
	lua_pushnil(L);
	return set(L);
}

void ms__lua_open_store(lua_State *L, struct ms_lua_host *h)
{
	static const luaL_Reg fns[] = { { "get", get }, { "set", set }, { "incr", incr }, { "delete", del } };
	lua_createtable(L, 0, 4);
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		lua_pushlightuserdata(L, h);
		lua_pushcclosure(L, fns[i].func, 1);
		lua_setfield(L, -2, fns[i].name);
	}
	lua_setfield(L, -2, "store");
}
