/* log, ms.now, ms.sleep and ms.version: the C half. */
#include <lauxlib.h>
#include <string.h>

#include "host_private.h"

static struct ms_lua_host *host(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

/* Script levels: 0 err, 1 warn, 2 info, 3 debug (as enum ms_log_level). */
static int log_enabled(lua_State *L)
{
	struct ms_lua_host *h = host(L);
	lua_Integer level = luaL_checkinteger(L, 1);
	enum ms_log_level max =
		h->cfg.log && (h->cfg.log->fn || h->cfg.log->level) ? h->cfg.log->level : MS_LOG_WARN;
	lua_pushboolean(L, level <= (lua_Integer)max);
	return 1;
}

/* One line, with the Call-ID of the request being handled. */
static int log_line(lua_State *L)
{
	struct ms_lua_host *h = host(L);
	ms__lua_api_entry(L, h);
	lua_Integer level = luaL_checkinteger(L, 1);
	size_t len;
	const char *line = luaL_checklstring(L, 2, &len);
	const struct ms_str *id = NULL;
	if (h->current && h->current->req && h->current->req->m)
		id = ms_msg_call_id(h->current->req->m);
	if (level < MS_LOG_ERROR || level > MS_LOG_DEBUG)
		level = MS_LOG_INFO;
	if (id)
		ms_log(h->cfg.log, (enum ms_log_level)level, "[%.*s] %.*s",
		       (int)(id->len > 80 ? 80 : id->len), id->s, (int)len, line);
	else
		ms_log(h->cfg.log, (enum ms_log_level)level, "%.*s", (int)len, line);
	return 0;
}

static int now(lua_State *L)
{
	ms__lua_api_entry(L, host(L));
	lua_pushnumber(L, ev_time());
	return 1;
}

static void on_wake(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ms_lua_call *c = w->data;
	(void)loop;
	(void)revents;
	c->sleeping = false;
	if (!ms__lua_task_replaced(c)) /* a task of a reloaded script ends here */
		ms__lua_resume(c, 0);
}

/* ms.spawn(fn): fn runs in a coroutine of its own (a task), which may
 * sleep and send requests; a reload ends the old script's tasks. */
static int spawn(lua_State *L)
{
	return ms__lua_spawn(L, host(L));
}

/* Yields the request's coroutine to the loop for 'seconds'. */
static int sleep_for(lua_State *L)
{
	struct ms_lua_host *h = host(L);
	double s = luaL_checknumber(L, 1);
	struct ms_lua_call *c = h->current;
	if (!c || c->co != L)
		return luaL_error(
			L,
			"ms.sleep can only be called from a request handler (not from a coroutine of "
			"the script's own or the top level)");
	ev_timer_init(&c->timer, on_wake, s, 0);
	c->timer.data = c;
	c->sleeping = true;
	ev_timer_start(h->cfg.loop, &c->timer);
	return lua_yield(L, 0);
}

static int version(lua_State *L)
{
	lua_pushstring(L, ms_version());
	return 1;
}

void ms__lua_open_misc(lua_State *L, struct ms_lua_host *h)
{
	static const luaL_Reg fns[] = {
		{ "log_enabled", log_enabled }, { "log", log_line },    { "now", now },
		{ "sleep", sleep_for },         { "version", version }, { "spawn", spawn },
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		lua_pushlightuserdata(L, h);
		lua_pushcclosure(L, fns[i].func, 1);
		lua_setfield(L, -2, fns[i].name);
	}
}
