/* The Lua host: loading scripts into states, reloading, checking. */
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/alloc.h"
#include "host_private.h"

/* Every 1000 VM instructions of interpreted code: a handler over its time
 * is stopped here (compiled loops never come here: see README). */
static void hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	lua_getfield(L, LUA_REGISTRYINDEX, "moonsip.host");
	struct ms_lua_host *h = lua_touserdata(L, -1);
	lua_pop(L, 1);
	if (h)
		ms__lua_check_time(L, h);
}

/* package.path and cpath start with the script's directory, so modules
 * next to it are found first. */
static void set_paths(lua_State *L, const char *script)
{
	char dir[4096];
	const char *slash = strrchr(script, '/');
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - script) : 1, slash ? script : ".");
	if (!dir[0])
		strcpy(dir, "/");
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "path");
	lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;%s", dir, dir, lua_tostring(L, -1));
	lua_setfield(L, -3, "path");
	lua_pop(L, 2);
}

static int fail(char *err, size_t errlen, const char *what, const char *msg)
{
	snprintf(err, errlen, "%s%s", what, msg ? msg : "unknown error");
	return -1;
}

/* The C functions, then the prelude with them: its result is the request
 * constructor, kept in the registry. */
static int open_api(lua_State *L, struct ms_lua_host *h, char *err, size_t errlen)
{
	lua_pushlightuserdata(L, h);
	lua_setfield(L, LUA_REGISTRYINDEX, "moonsip.host");
	if (luaL_loadbuffer(L, ms__lua_prelude, ms__lua_prelude_len, "=moonsip.prelude"))
		return fail(err, errlen, "prelude: ", lua_tostring(L, -1));
	lua_newtable(L);
	ms__lua_open_req(L, h);
	ms__lua_open_misc(L, h);
	ms__lua_open_store(L, h);
	ms__lua_open_proxy(L, h);
	ms__lua_open_uac(L, h);
	ms__lua_open_registrar(L, h);
	ms__lua_open_auth(L, h);
	ms__lua_open_rtp(L, h);
	ms__lua_open_nat(L, h);
	if (lua_pcall(L, 1, 0, 0))
		return fail(err, errlen, "prelude: ", lua_tostring(L, -1));
	return 0;
}

static int traceback(lua_State *L)
{
	luaL_traceback(L, L, lua_tostring(L, 1), 1);
	return 1;
}

/* Runs the script's top level and finds on_request. */
static int run_script(lua_State *L, const char *script, char *where, size_t wherelen, char *err,
		      size_t errlen)
{
	lua_pushcfunction(L, traceback);
	if (luaL_loadfile(L, script))
		return fail(err, errlen, "", lua_tostring(L, -1));
	if (lua_pcall(L, 0, 0, -2))
		return fail(err, errlen, "", lua_tostring(L, -1));
	lua_pop(L, 1);
	lua_getglobal(L, "on_request");
	if (!lua_isfunction(L, -1)) {
		snprintf(err, errlen, "%s: defines no function on_request(req)", script);
		return -1;
	}
	lua_Debug ar;
	lua_pushvalue(L, -1);
	lua_getinfo(L, ">S", &ar);
	snprintf(where, wherelen, "%s:%d", ar.short_src, ar.linedefined);
	return 0;
}

static void gen_close(struct ms_lua_gen *g)
{
	if (!g)
		return;
	lua_close(g->L);
	ms__free(g);
}

static int gen_load(struct ms_lua_host *h, struct ms_lua_gen **out, char *err, size_t errlen)
{
	struct ms_lua_gen *g = ms__calloc(1, sizeof *g);
	lua_State *L = g ? luaL_newstate() : NULL;
	if (!L) {
		ms__free(g);
		return fail(err, errlen, "", "out of memory");
	}
	g->h = h;
	g->L = L;
	luaL_openlibs(L);
	set_paths(L, h->script);
	if (open_api(L, h, err, errlen) < 0 ||
	    run_script(L, h->script, g->where, sizeof g->where, err, errlen) < 0) {
		gen_close(g);
		return -1;
	}
	g->on_request = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_getfield(L, LUA_REGISTRYINDEX, "moonsip.req");
	g->req_mt = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_settop(L, 0);
	lua_sethook(L, hook, LUA_MASKCOUNT, 1000);
	*out = g;
	return 0;
}

/* Random hex, once per host: the start of its To tags. */
static void make_prefix(struct ms_lua_host *h)
{
	unsigned char b[4] = { 0 };
	if (getrandom(b, sizeof b, GRND_NONBLOCK) != (ssize_t)sizeof b)
		memcpy(b, &h, sizeof b);
	snprintf(h->tag_prefix, sizeof h->tag_prefix, "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
}

int ms_lua_host_new(struct ms_lua_host **out, const struct ms_lua_config *cfg, char *err, size_t errlen)
{
	struct ms_lua_host *h = ms__calloc(1, sizeof *h);
	if (!h || strlen(cfg->script) >= sizeof h->script) {
		ms__free(h);
		return fail(err, errlen, "", h ? "script path too long" : "out of memory");
	}
	h->cfg = *cfg;
	if (!h->cfg.max_run_ms)
		h->cfg.max_run_ms = 1000;
	if (!h->cfg.hard_ms)
		h->cfg.hard_ms = 10000;
	strcpy(h->script, cfg->script);
	make_prefix(h);
	h->store = ms__store_new();
	if (!h->store || gen_load(h, &h->cur, err, errlen) < 0) {
		ms__store_free(h->store);
		ms__free(h);
		return -1;
	}
	ms__lua_watchdog_start(h);
	*out = h;
	return 0;
}

int ms_lua_host_reload(struct ms_lua_host *h, char *err, size_t errlen)
{
	struct ms_lua_gen *g;
	if (gen_load(h, &g, err, errlen) < 0)
		return -1;
	struct ms_lua_gen *old = h->cur;
	h->cur = g;
	if (old->calls == 0) {
		gen_close(old);
	} else {
		old->next = h->old;
		h->old = old;
	}
	return 0;
}

/* Called when a call on a replaced state ends. */
void ms__lua_gen_release(struct ms_lua_gen *g)
{
	struct ms_lua_host *h = g->h;
	if (g == h->cur || g->calls)
		return;
	for (struct ms_lua_gen **p = &h->old; *p; p = &(*p)->next) {
		if (*p == g) {
			*p = g->next;
			break;
		}
	}
	gen_close(g);
}

size_t ms_lua_host_running(const struct ms_lua_host *h)
{
	return h->running;
}

void ms_lua_host_free(struct ms_lua_host *h)
{
	if (!h)
		return;
	ms__lua_watchdog_stop(h);
	/* Calls still waiting end with their states, unanswered: the stack
	 * that would carry their answers is going too. */
	while (h->calls) {
		struct ms_lua_call *c = h->calls;
		h->calls = c->next;
		if (c->sleeping)
			ev_timer_stop(h->cfg.loop, &c->timer);
		if (c->uac) /* a proxy.request in flight (a probe task) */
			ms__lua_uac_forget(c);
		ms_buf_free(&c->answer);
		ms__free(c);
	}
	while (h->old) {
		struct ms_lua_gen *g = h->old;
		h->old = g->next;
		gen_close(g);
	}
	ms__lua_nat_free(h);
	ms__lua_rtp_free(h);
	ms__lua_auth_free(h);
	ms__lua_registrar_free(h);
	ms_proxy_free(h->proxy);
	ms_resolver_free(h->resolver);
	gen_close(h->cur);
	ms__store_free(h->store);
	ms__free(h);
}

int ms_lua_check(const char *script, char *err, size_t errlen)
{
	struct ms_lua_host h;
	memset(&h, 0, sizeof h);
	if (strlen(script) >= sizeof h.script)
		return fail(err, errlen, "", "script path too long");
	strcpy(h.script, script);
	h.store = ms__store_new();
	struct ms_lua_gen *g = NULL;
	int rc = h.store ? gen_load(&h, &g, err, errlen) : fail(err, errlen, "", "out of memory");
	gen_close(g);
	ms__store_free(h.store);
	return rc;
}
