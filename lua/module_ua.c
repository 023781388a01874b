/* The Lua module's user agents: the C half.
 *
 * lua/lib/ua.lua is the half a user sees (ms.run, ms.ua, tasks in
 * coroutines); this file gives it primitives over the UA layer, ua_media
 * and libev, on one loop of the module's own. Nothing here calls a user's
 * Lua code from inside a callback of the UA layer: a callback only queues
 * an event (the 'push' function of ua.lua), and an idle watcher hands the
 * queue to 'drain' once the UA's callback has returned. So a task resumed
 * by an event may do anything, ms_ua_free() of the UA that sent it
 * included.
 *
 * Lifetimes. The loop lives in 'struct mod', malloc'ed and counted: every
 * object on the loop holds a count, and the last one out (the module's
 * own userdata or an object, in whatever order lua_close() finalises
 * them) frees it. A call's handle is cleared when the call ends or fails
 * (the call is freed right after the event) and when its UA is closed. */
#include <errno.h>
#include <ev.h>
#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "moonsip/ua.h"
#include "moonsip/ua_media.h"

#define MOD_MT "moonsip.ua.mod"
#define UA_MT "moonsip.ua.ua"
#define CALL_MT "moonsip.ua.call"
#define TIMER_MT "moonsip.ua.timer"
#define MEDIA_MT "moonsip.ua.media"

extern const char ms__lua_ua[];
extern const size_t ms__lua_ua_len;

struct mod {
	struct ev_loop *loop;
	lua_State *L;    /* the state inside low.run(), NULL outside */
	int push, drain; /* registry references to ua.lua's functions */
	ev_idle idle;    /* started while events wait for drain */
	unsigned refs;   /* the module's userdata and every live object */
	bool failed;     /* push failed (out of memory): the run ends */
	int incoming;    /* incoming calls so far: their ids are -1, -2, ... */
	char error[256];
};

struct lua_call;

struct lua_ua {
	struct mod *mod;
	struct ms_ua *ua;
	int id;
	struct lua_call *calls;
};

struct lua_call {
	struct lua_ua *ua;
	struct ms_ua_call *c;
	int id;
	struct lua_call *next, **pprev;
};

struct lua_timer {
	struct mod *mod;
	int id;
	bool signal; /* w.sig is in use, not w.timer */
	union {
		ev_timer timer;
		ev_signal sig;
	} w;
};

struct lua_media {
	struct mod *mod;
	struct ms_ua_media *m;
};

static void mod_unref(struct mod *m)
{
	if (--m->refs)
		return;
	ev_idle_stop(m->loop, &m->idle);
	ev_loop_destroy(m->loop);
	free(m);
}

/* Events ----------------------------------------------------------------- */

static void on_idle(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct mod *m = w->data;
	(void)revents;
	ev_idle_stop(loop, w);
	lua_State *L = m->L;
	if (!L)
		return;
	lua_rawgeti(L, LUA_REGISTRYINDEX, m->drain);
	if (lua_pcall(L, 0, 1, 0) != 0) {
		snprintf(m->error, sizeof m->error, "%s", lua_tostring(L, -1));
		m->failed = true;
		lua_pop(L, 1);
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	if (lua_toboolean(L, -1)) /* no task left, ms.stop() or a task failed */
		ev_break(loop, EVBREAK_ALL);
	lua_pop(L, 1);
}

/* Starts an event: push(id, kind, ...). The caller pushes its arguments
 * after this, then calls emit_end with their number. */
static lua_State *emit_begin(struct mod *m, int id, const char *kind)
{
	lua_State *L = m->L;
	if (!L)
		return NULL; /* the loop runs only inside low.run() */
	lua_rawgeti(L, LUA_REGISTRYINDEX, m->push);
	lua_pushinteger(L, id);
	lua_pushstring(L, kind);
	return L;
}

static void emit_end(struct mod *m, int nargs)
{
	lua_State *L = m->L;
	if (lua_pcall(L, 2 + nargs, 0, 0) != 0) {
		snprintf(m->error, sizeof m->error, "%s", lua_tostring(L, -1));
		m->failed = true;
		lua_pop(L, 1);
		ev_break(m->loop, EVBREAK_ALL);
		return;
	}
	ev_idle_start(m->loop, &m->idle);
}

static void emit(struct mod *m, int id, const char *kind)
{
	if (emit_begin(m, id, kind))
		emit_end(m, 0);
}

static void push_str(lua_State *L, struct ms_str s)
{
	lua_pushlstring(L, s.s ? s.s : "", s.len);
}

/* The loop ---------------------------------------------------------------- */

static struct mod *get_mod(lua_State *L)
{
	return *(struct mod **)lua_touserdata(L, lua_upvalueindex(1));
}

static int mod_gc(lua_State *L)
{
	struct mod **p = luaL_checkudata(L, 1, MOD_MT);
	if (*p) {
		mod_unref(*p);
		*p = NULL;
	}
	return 0;
}

/* low.init(push, drain) */
static int l_init(lua_State *L)
{
	struct mod *m = get_mod(L);
	luaL_checktype(L, 1, LUA_TFUNCTION);
	luaL_checktype(L, 2, LUA_TFUNCTION);
	lua_pushvalue(L, 1);
	m->push = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_pushvalue(L, 2);
	m->drain = luaL_ref(L, LUA_REGISTRYINDEX);
	return 0;
}

/* low.run(): runs the loop until drain says stop (or an event could not be
 * queued: raised). */
static int l_run(lua_State *L)
{
	struct mod *m = get_mod(L);
	if (m->L)
		return luaL_error(L, "ms.run: the loop is already running");
	m->L = L;
	m->failed = false;
	ev_idle_start(m->loop, &m->idle); /* drain what came before */
	ev_run(m->loop, 0);
	m->L = NULL;
	if (m->failed)
		return luaL_error(L, "%s", m->error);
	return 0;
}

static int l_stop(lua_State *L)
{
	ev_break(get_mod(L)->loop, EVBREAK_ALL);
	return 0;
}

static int l_now(lua_State *L)
{
	struct mod *m = get_mod(L);
	ev_now_update(m->loop);
	lua_pushnumber(L, ev_now(m->loop));
	return 1;
}

/* Timers and signals ----------------------------------------------------- */

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct lua_timer *t = w->data;
	(void)loop;
	(void)revents;
	emit(t->mod, t->id, "timer");
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct lua_timer *t = w->data;
	(void)loop;
	(void)revents;
	struct mod *m = t->mod;
	lua_State *L = emit_begin(m, t->id, "signal");
	if (!L)
		return;
	lua_pushinteger(L, w->signum);
	emit_end(m, 1);
}

static struct lua_timer *new_timer(lua_State *L, struct mod *m, int id)
{
	struct lua_timer *t = lua_newuserdata(L, sizeof *t);
	memset(t, 0, sizeof *t);
	t->mod = m;
	t->id = id;
	m->refs++;
	luaL_getmetatable(L, TIMER_MT);
	lua_setmetatable(L, -2);
	return t;
}

/* low.timer(id, seconds): one event "timer" after that long. */
static int l_timer(lua_State *L)
{
	struct mod *m = get_mod(L);
	int id = (int)luaL_checkinteger(L, 1);
	double after = luaL_checknumber(L, 2);
	if (after < 0)
		after = 0;
	struct lua_timer *t = new_timer(L, m, id);
	ev_timer_init(&t->w.timer, on_timer, after, 0);
	t->w.timer.data = t;
	ev_timer_start(m->loop, &t->w.timer);
	return 1;
}

/* low.signal(id, signum): an event "signal" each time it comes. */
static int l_signal(lua_State *L)
{
	struct mod *m = get_mod(L);
	int id = (int)luaL_checkinteger(L, 1);
	int signum = (int)luaL_checkinteger(L, 2);
	if (signum <= 0 || signum > 64)
		return luaL_error(L, "no signal %d", signum);
	struct lua_timer *t = new_timer(L, m, id);
	t->signal = true;
	ev_signal_init(&t->w.sig, on_signal, signum);
	t->w.sig.data = t;
	ev_signal_start(m->loop, &t->w.sig);
	return 1;
}

static int timer_stop(lua_State *L)
{
	struct lua_timer *t = luaL_checkudata(L, 1, TIMER_MT);
	if (!t->mod)
		return 0;
	if (t->signal)
		ev_signal_stop(t->mod->loop, &t->w.sig);
	else
		ev_timer_stop(t->mod->loop, &t->w.timer);
	mod_unref(t->mod);
	t->mod = NULL;
	return 0;
}

/* Calls -------------------------------------------------------------------- */

static void call_unlink(struct lua_call *lc)
{
	if (!lc->pprev)
		return;
	*lc->pprev = lc->next;
	if (lc->next)
		lc->next->pprev = lc->pprev;
	lc->pprev = NULL;
	lc->next = NULL;
}

static void call_link(struct lua_call *lc, struct lua_ua *u)
{
	lc->ua = u;
	lc->next = u->calls;
	if (u->calls)
		u->calls->pprev = &lc->next;
	lc->pprev = &u->calls;
	u->calls = lc;
}

static void call_emit_sdp(struct ms_ua_call *c, const char *kind, int status, struct ms_str sdp, void *arg)
{
	struct lua_call *lc = arg;
	struct mod *m = lc->ua->mod;
	(void)c;
	lua_State *L = emit_begin(m, lc->id, kind);
	if (!L)
		return;
	int n = 1;
	if (status >= 0) {
		lua_pushinteger(L, status);
		n++;
	}
	push_str(L, sdp);
	emit_end(m, n);
}

static void ev_progress(struct ms_ua_call *c, unsigned status, struct ms_str sdp, void *arg)
{
	call_emit_sdp(c, "progress", (int)status, sdp, arg);
}

static void ev_answered(struct ms_ua_call *c, struct ms_str sdp, void *arg)
{
	call_emit_sdp(c, "answered", -1, sdp, arg);
}

static void ev_reinvite(struct ms_ua_call *c, struct ms_str sdp, void *arg)
{
	call_emit_sdp(c, "reinvite", -1, sdp, arg);
}

static void ev_reinvite_done(struct ms_ua_call *c, unsigned status, struct ms_str sdp, void *arg)
{
	call_emit_sdp(c, "reinvite_done", (int)status, sdp, arg);
}

static void ev_confirmed(struct ms_ua_call *c, void *arg)
{
	struct lua_call *lc = arg;
	(void)c;
	emit(lc->ua->mod, lc->id, "confirmed");
}

/* The call is over: it is freed here, after its event is queued. */
static void call_over(struct lua_call *lc)
{
	struct ms_ua_call *c = lc->c;
	lc->c = NULL;
	call_unlink(lc);
	ms_ua_call_free(c);
}

static void ev_failed(struct ms_ua_call *c, unsigned status, void *arg)
{
	struct lua_call *lc = arg;
	struct mod *m = lc->ua->mod;
	(void)c;
	lua_State *L = emit_begin(m, lc->id, "failed");
	if (L) {
		lua_pushinteger(L, status);
		emit_end(m, 1);
	}
	call_over(lc);
}

static void ev_ended(struct ms_ua_call *c, enum ms_ua_end why, void *arg)
{
	static const char *const names[] = { "local", "remote", "cancelled", "timeout" };
	struct lua_call *lc = arg;
	struct mod *m = lc->ua->mod;
	(void)c;
	lua_State *L = emit_begin(m, lc->id, "ended");
	if (L) {
		lua_pushstring(L, (unsigned)why < 4 ? names[why] : "local");
		emit_end(m, 1);
	}
	call_over(lc);
}

static const struct ms_ua_call_events call_events = {
	.progress = ev_progress,
	.answered = ev_answered,
	.failed = ev_failed,
	.confirmed = ev_confirmed,
	.reinvite = ev_reinvite,
	.reinvite_done = ev_reinvite_done,
	.ended = ev_ended,
};

static struct lua_call *new_call(lua_State *L, struct lua_ua *u, int id)
{
	struct lua_call *lc = lua_newuserdata(L, sizeof *lc);
	memset(lc, 0, sizeof *lc);
	lc->ua = u;
	lc->id = id;
	luaL_getmetatable(L, CALL_MT);
	lua_setmetatable(L, -2);
	return lc;
}

static struct lua_call *check_call(lua_State *L)
{
	struct lua_call *lc = luaL_checkudata(L, 1, CALL_MT);
	if (!lc->c)
		luaL_error(L, "the call is over");
	return lc;
}

/* The result of an ms_ua_* call as Lua results: true, or nil and why. */
static int result(lua_State *L, int rc)
{
	if (rc >= 0) {
		lua_pushboolean(L, 1);
		return 1;
	}
	lua_pushnil(L);
	lua_pushstring(L, ms_strerror(rc));
	return 2;
}

static int call_cancel(lua_State *L)
{
	return result(L, ms_ua_call_cancel(check_call(L)->c));
}

static int call_hangup(lua_State *L)
{
	return result(L, ms_ua_call_hangup(check_call(L)->c));
}

static int call_reinvite(lua_State *L)
{
	struct lua_call *lc = check_call(L);
	return result(L, ms_ua_call_reinvite(lc->c, luaL_optstring(L, 2, NULL)));
}

static int call_ring(lua_State *L)
{
	return result(L, ms_ua_call_ring(check_call(L)->c));
}

static int call_answer(lua_State *L)
{
	struct lua_call *lc = check_call(L);
	return result(L, ms_ua_call_answer(lc->c, luaL_optstring(L, 2, NULL)));
}

/* A rejected call has no more events: it is freed at once. */
static int call_reject(lua_State *L)
{
	struct lua_call *lc = check_call(L);
	lua_Integer code = luaL_checkinteger(L, 2);
	int rc = ms_ua_call_reject(lc->c, code < 300 || code > 699 ? 0 : (unsigned)code,
				   luaL_optstring(L, 3, NULL));
	if (rc >= 0)
		call_over(lc);
	return result(L, rc);
}

static int call_free(lua_State *L)
{
	struct lua_call *lc = luaL_checkudata(L, 1, CALL_MT);
	if (lc->c)
		call_over(lc);
	return 0;
}

static int call_id(lua_State *L)
{
	struct lua_call *lc = check_call(L);
	push_str(L, ms_ua_call_id(lc->c));
	return 1;
}

/* User agents ------------------------------------------------------------ */

static void ua_emit_status(struct lua_ua *u, const char *kind, unsigned status, uint32_t expires)
{
	lua_State *L = emit_begin(u->mod, u->id, kind);
	if (!L)
		return;
	lua_pushinteger(L, status);
	lua_pushinteger(L, expires);
	emit_end(u->mod, 2);
}

static void on_registered(struct ms_ua *ua, unsigned status, uint32_t expires, void *arg)
{
	(void)ua;
	ua_emit_status(arg, "registered", status, expires);
}

static void on_unregistered(struct ms_ua *ua, unsigned status, uint32_t expires, void *arg)
{
	(void)ua;
	ua_emit_status(arg, "unregistered", status, expires);
}

/* An INVITE: the call goes to Lua with the request as a table. */
static void on_incoming(struct ms_ua *ua, struct ms_ua_call *call, struct ms_msg *invite, void *arg)
{
	struct lua_ua *u = arg;
	(void)ua;
	lua_State *L = emit_begin(u->mod, u->id, "incoming");
	if (!L) {
		ms_ua_call_free(call); /* 480 */
		return;
	}
	/* Its id is set here, not by ua.lua, so an event of the call that
	 * comes before the queue is drained (a CANCEL) finds its object. */
	int id = -++u->mod->incoming;
	struct lua_call *lc = new_call(L, u, id);
	lc->c = call;
	call_link(lc, u);
	ms_ua_call_set_events(call, &call_events, lc);
	lua_pushinteger(L, id);
	ms__mod_push_msg(L, invite);
	emit_end(u->mod, 3);
}

static void on_message(struct ms_ua *ua, struct ms_str from, struct ms_str ctype, struct ms_str body,
		       void *arg)
{
	struct lua_ua *u = arg;
	(void)ua;
	lua_State *L = emit_begin(u->mod, u->id, "message");
	if (!L)
		return;
	push_str(L, from);
	push_str(L, ctype);
	push_str(L, body);
	emit_end(u->mod, 3);
}

static const struct ms_ua_events ua_events = {
	.incoming = on_incoming,
	.message = on_message,
};

/* A request's answer: the request's own id gets it. */
struct lua_req {
	struct lua_ua *u;
	int id;
};

static void on_response(struct ms_ua *ua, unsigned status, struct ms_msg *resp, void *arg)
{
	struct lua_req *r = arg;
	(void)ua;
	lua_State *L = emit_begin(r->u->mod, r->id, "response");
	if (L) {
		lua_pushinteger(L, status);
		if (resp)
			ms__mod_push_msg(L, resp);
		else
			lua_pushnil(L);
		emit_end(r->u->mod, 2);
	}
	free(r);
}

static struct lua_ua *check_ua(lua_State *L)
{
	struct lua_ua *u = luaL_checkudata(L, 1, UA_MT);
	if (!u->ua)
		luaL_error(L, "the user agent is closed");
	return u;
}

static void ua_close(struct lua_ua *u)
{
	if (!u->ua)
		return;
	for (struct lua_call *lc = u->calls; lc; lc = lc->next) {
		lc->c = NULL; /* ms_ua_free frees them */
		lc->pprev = NULL;
	}
	u->calls = NULL;
	ms_ua_free(u->ua);
	u->ua = NULL;
	mod_unref(u->mod);
}

static int ua_gc(lua_State *L)
{
	ua_close(luaL_checkudata(L, 1, UA_MT));
	return 0;
}

static const char *field_string(lua_State *L, int idx, const char *name)
{
	lua_getfield(L, idx, name);
	const char *s = lua_tostring(L, -1);
	lua_pop(L, 1); /* kept alive by the table */
	return s;
}

/* low.ua(id, cfg): cfg.listen is a list of specs, already checked by
 * ua.lua. The UA logs warnings and errors to stderr, or more with
 * cfg.log_level. */
static int l_ua(lua_State *L)
{
	struct mod *m = get_mod(L);
	int id = (int)luaL_checkinteger(L, 1);
	luaL_checktype(L, 2, LUA_TTABLE);
	const char *listen[9];
	lua_getfield(L, 2, "listen");
	size_t n = lua_objlen(L, -1);
	if (n == 0 || n >= sizeof listen / sizeof listen[0])
		return luaL_error(L, "ms.ua: listen must list 1 to 8 specs");
	for (size_t i = 0; i < n; i++) {
		lua_rawgeti(L, -1, (int)i + 1);
		listen[i] = lua_tostring(L, -1);
		lua_pop(L, 1);
		if (!listen[i])
			return luaL_error(L, "ms.ua: listen[%d] is no string", (int)i + 1);
	}
	listen[n] = NULL;
	struct lua_ua *u = lua_newuserdata(L, sizeof *u);
	memset(u, 0, sizeof *u);
	u->mod = m;
	u->id = id;
	luaL_getmetatable(L, UA_MT); /* its __gc does nothing until it holds a UA */
	lua_setmetatable(L, -2);
	struct ms_ua_config cfg = {
		.loop = m->loop,
		.listen = listen,
		.aor = field_string(L, 2, "aor"),
		.user = field_string(L, 2, "user"),
		.password = field_string(L, 2, "password"),
		.display = field_string(L, 2, "display"),
		.user_agent = field_string(L, 2, "user_agent"),
		.outbound_proxy = field_string(L, 2, "outbound_proxy"),
		.log = { .level = MS_LOG_WARN },
		.ev = &ua_events,
		.arg = u,
	};
	const char *level = field_string(L, 2, "log_level");
	if (level && ms_log_level_parse(level, &cfg.log.level) < 0)
		return luaL_error(L, "ms.ua: log_level must be error, warn, info or debug");
	if (ms_ua_new(&u->ua, &cfg) < 0) { /* logged */
		lua_pushnil(L);
		lua_pushstring(L, "the user agent could not be made (see the log line above)");
		return 2;
	}
	m->refs++;
	return 1;
}

static int ua_contact(lua_State *L)
{
	push_str(L, ms_ua_contact(check_ua(L)->ua));
	return 1;
}

/* ua:register(uri, expires): the events "registered" (every answer) */
static int ua_register(lua_State *L)
{
	struct lua_ua *u = check_ua(L);
	const char *uri = luaL_checkstring(L, 2);
	lua_Integer expires = luaL_optinteger(L, 3, 0);
	if (expires < 0 || expires > 0x7fffffff)
		return luaL_error(L, "expires must be 0 to 2^31-1 seconds");
	return result(L, ms_ua_register(u->ua, uri, (uint32_t)expires, on_registered, u));
}

static int ua_unregister(lua_State *L)
{
	struct lua_ua *u = check_ua(L);
	return result(L, ms_ua_unregister(u->ua, on_unregistered, u));
}

/* ua:request(id, method, uri, content_type, body): "response" to id. */
static int ua_request(lua_State *L)
{
	struct lua_ua *u = check_ua(L);
	int id = (int)luaL_checkinteger(L, 2);
	const char *method = luaL_checkstring(L, 3), *uri = luaL_checkstring(L, 4);
	const char *ctype = luaL_optstring(L, 5, NULL), *body = luaL_optstring(L, 6, NULL);
	struct lua_req *r = malloc(sizeof *r);
	if (!r)
		return result(L, MS_ENOMEM);
	r->u = u;
	r->id = id;
	int rc = ms_ua_request(u->ua, method, uri, ctype, body, on_response, r);
	if (rc < 0)
		free(r);
	return result(L, rc);
}

/* ua:call(id, uri, sdp): a call userdata, or nil and why. */
static int ua_call(lua_State *L)
{
	struct lua_ua *u = check_ua(L);
	int id = (int)luaL_checkinteger(L, 2);
	const char *uri = luaL_checkstring(L, 3), *sdp = luaL_optstring(L, 4, NULL);
	struct lua_call *lc = new_call(L, u, id);
	int rc = ms_ua_call_new(&lc->c, u->ua, uri, sdp, &call_events, lc);
	if (rc < 0)
		return result(L, rc);
	call_link(lc, u);
	return 1;
}

static int ua_free(lua_State *L)
{
	ua_close(luaL_checkudata(L, 1, UA_MT));
	return 0;
}

/* Media --------------------------------------------------------------------- */

static struct lua_media *check_media(lua_State *L)
{
	struct lua_media *lm = luaL_checkudata(L, 1, MEDIA_MT);
	if (!lm->m)
		luaL_error(L, "the media endpoint is closed");
	return lm;
}

static void media_close(struct lua_media *lm)
{
	if (!lm->m)
		return;
	ms_ua_media_free(lm->m);
	lm->m = NULL;
	mod_unref(lm->mod);
}

/* low.media(address, port) */
static int l_media(lua_State *L)
{
	struct mod *m = get_mod(L);
	const char *address = luaL_checkstring(L, 1);
	lua_Integer port = luaL_optinteger(L, 2, 0);
	if (port < 0 || port > 65534)
		return luaL_error(L, "ms.media: port must be 0 (any) or an even port");
	struct lua_media *lm = lua_newuserdata(L, sizeof *lm);
	memset(lm, 0, sizeof *lm);
	lm->mod = m;
	luaL_getmetatable(L, MEDIA_MT);
	lua_setmetatable(L, -2);
	int rc = ms_ua_media_new(&lm->m, m->loop, address, (uint16_t)port);
	if (rc < 0) {
		lua_pushnil(L);
		lua_pushfstring(L, "ms.media: %s: %s", address,
				rc == -EADDRINUSE ? "port in use" : ms_strerror(rc));
		return 2;
	}
	m->refs++;
	return 1;
}

static int media_gc(lua_State *L)
{
	media_close(luaL_checkudata(L, 1, MEDIA_MT));
	return 0;
}

static int media_port(lua_State *L)
{
	lua_pushinteger(L, ms_ua_media_port(check_media(L)->m));
	return 1;
}

/* An SDP into a string, or nil and why. */
static int sdp_result(lua_State *L, int rc, struct ms_buf *b)
{
	if (rc < 0) {
		ms_buf_free(b);
		lua_pushnil(L);
		lua_pushstring(L,
			       rc == MS_ENOTSUP ? "no usable audio (PCMU or PCMA over RTP/AVP) in the offer"
						: ms_strerror(rc));
		return 2;
	}
	lua_pushlstring(L, b->data, b->len);
	ms_buf_free(b);
	return 1;
}

static int media_offer(lua_State *L)
{
	struct ms_buf b;
	ms_buf_init(&b);
	return sdp_result(L, ms_ua_media_offer(check_media(L)->m, &b), &b);
}

static int media_answer(lua_State *L)
{
	struct lua_media *lm = check_media(L);
	size_t len;
	const char *offer = luaL_checklstring(L, 2, &len);
	struct ms_buf b;
	ms_buf_init(&b);
	return sdp_result(L, ms_ua_media_answer(lm->m, offer, len, &b), &b);
}

static int media_set_answer(lua_State *L)
{
	struct lua_media *lm = check_media(L);
	size_t len;
	const char *answer = luaL_checklstring(L, 2, &len);
	int rc = ms_ua_media_set_answer(lm->m, answer, len);
	if (rc == MS_ENOTSUP) {
		lua_pushnil(L);
		lua_pushstring(L, "no usable audio in the answer");
		return 2;
	}
	return result(L, rc);
}

static int media_codec(lua_State *L)
{
	int pt = ms_ua_media_codec(check_media(L)->m);
	if (pt < 0)
		lua_pushnil(L);
	else
		lua_pushstring(L, pt == 0 ? "PCMU" : "PCMA");
	return 1;
}

static int media_echo(lua_State *L)
{
	return result(L, ms_ua_media_echo(check_media(L)->m));
}

/* m:play([payload [, repeat]]): nil plays silence. */
static int media_play(lua_State *L)
{
	struct lua_media *lm = check_media(L);
	size_t len = 0;
	const char *payload = luaL_optlstring(L, 2, NULL, &len);
	return result(L, ms_ua_media_play(lm->m, payload, len, lua_toboolean(L, 3)));
}

static int media_playing(lua_State *L)
{
	lua_pushboolean(L, ms_ua_media_playing(check_media(L)->m));
	return 1;
}

static int media_stop(lua_State *L)
{
	ms_ua_media_stop(check_media(L)->m);
	return 0;
}

static void set_num(lua_State *L, const char *name, double v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, name);
}

static int media_stats(lua_State *L)
{
	struct ms_ua_media_stats st;
	ms_ua_media_stats(check_media(L)->m, &st);
	lua_createtable(L, 0, 10);
	set_num(L, "sent", (double)st.sent);
	set_num(L, "bytes_sent", (double)st.bytes_sent);
	set_num(L, "received", (double)st.received);
	set_num(L, "bytes_received", (double)st.bytes_received);
	set_num(L, "rtcp_received", (double)st.rtcp_received);
	set_num(L, "bad", (double)st.bad);
	set_num(L, "send_errors", (double)st.send_errors);
	set_num(L, "lost", st.lost);
	set_num(L, "jitter", st.jitter);
	set_num(L, "ssrc", st.ssrc);
	return 1;
}

static int media_free(lua_State *L)
{
	media_close(luaL_checkudata(L, 1, MEDIA_MT));
	return 0;
}

/* Opening -------------------------------------------------------------------- */

static void new_class(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction gc)
{
	luaL_newmetatable(L, name);
	lua_pushcfunction(L, gc);
	lua_setfield(L, -2, "__gc");
	lua_newtable(L);
	luaL_register(L, NULL, methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
}

static void open_classes(lua_State *L)
{
	static const luaL_Reg ua_methods[] = {
		{ "contact", ua_contact },
		{ "register", ua_register },
		{ "unregister", ua_unregister },
		{ "request", ua_request },
		{ "call", ua_call },
		{ "close", ua_free },
		{ NULL, NULL },
	};
	static const luaL_Reg call_methods[] = {
		{ "cancel", call_cancel }, { "hangup", call_hangup }, { "reinvite", call_reinvite },
		{ "ring", call_ring },     { "answer", call_answer }, { "reject", call_reject },
		{ "free", call_free },     { "id", call_id },         { NULL, NULL },
	};
	static const luaL_Reg timer_methods[] = { { "stop", timer_stop }, { NULL, NULL } };
	static const luaL_Reg media_methods[] = {
		{ "port", media_port },     { "offer", media_offer },
		{ "answer", media_answer }, { "set_answer", media_set_answer },
		{ "codec", media_codec },   { "echo", media_echo },
		{ "play", media_play },     { "playing", media_playing },
		{ "stop", media_stop },     { "stats", media_stats },
		{ "close", media_free },    { NULL, NULL },
	};
	new_class(L, UA_MT, ua_methods, ua_gc);
	new_class(L, CALL_MT, call_methods, call_free);
	new_class(L, TIMER_MT, timer_methods, timer_stop);
	new_class(L, MEDIA_MT, media_methods, media_gc);
}

/* Pushes low, the primitives ua.lua is given, each with the module state
 * as its upvalue. */
static void push_low(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "init", l_init }, { "run", l_run },     { "stop", l_stop },
		{ "now", l_now },   { "timer", l_timer }, { "signal", l_signal },
		{ "ua", l_ua },     { "media", l_media }, { NULL, NULL },
	};
	struct mod *m = calloc(1, sizeof *m);
	if (!m || !(m->loop = ev_loop_new(EVFLAG_AUTO))) {
		free(m);
		luaL_error(L, "moonsip: no event loop (out of memory or file descriptors)");
	}
	m->refs = 1;
	ev_idle_init(&m->idle, on_idle);
	m->idle.data = m;
	struct mod **p = lua_newuserdata(L, sizeof *p);
	*p = m;
	luaL_newmetatable(L, MOD_MT);
	lua_pushcfunction(L, mod_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	lua_createtable(L, 0, 8);
	for (const luaL_Reg *f = fns; f->name; f++) {
		lua_pushvalue(L, -2);
		lua_pushcclosure(L, f->func, 1);
		lua_setfield(L, -2, f->name);
	}
	lua_remove(L, -2);
}

void ms__mod_open_ua(lua_State *L)
{
	int ms = lua_gettop(L);
	open_classes(L);
	if (luaL_loadbuffer(L, ms__lua_ua, ms__lua_ua_len, "=moonsip/ua.lua") != 0)
		lua_error(L);
	lua_pushvalue(L, ms);
	push_low(L);
	lua_call(L, 2, 0);
}
