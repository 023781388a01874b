/* A request's coroutine: started by the stack's callback, resumed by what
 * it waited for, finished with the answer the RFC needs. */
#define _GNU_SOURCE /* CLOCK_MONOTONIC_COARSE */
#include <lauxlib.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "host_private.h"
#include "moonsip/edit.h"

uint64_t ms__lua_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ms__lua_check_time(lua_State *L, struct ms_lua_host *h)
{
	if (h->current && (h->over || ms__lua_now_ns() > h->deadline_ns)) {
		h->over = true;
		luaL_error(L, "script ran over %u ms without yielding: stopped", h->cfg.max_run_ms);
	}
}

static const char *call_id(struct ms_lua_req *r, int *len)
{
	const struct ms_str *id = r && r->m ? ms_msg_call_id(r->m) : NULL;
	*len = id ? (int)(id->len > 80 ? 80 : id->len) : 1;
	return id ? id->s : "-";
}

int ms__lua_send_answer(struct ms_lua_req *r, bool stateless, unsigned code, const struct ms_buf *b)
{
	struct ms_lua_host *h = r->h;
	int rc = 0;
	if (h->cfg.answer_cb) {
		h->cfg.answer_cb(h->cfg.answer_arg, b->data, b->len);
	} else if (stateless || !r->st) {
		struct ms_txn_layer *l = h->cfg.stack ? ms_stack_txn(h->cfg.stack) : NULL;
		struct ms_txn_peer to;
		rc = l ? ms_txn_response_peer(l, r->m, &r->src, &to) : MS_ENOENT;
		if (rc == 0)
			rc = ms_txn_send(l, &to, b->data, b->len);
	} else {
		rc = ms_stxn_reply(r->st, b->data, b->len);
		/* A final response releases the handle even when the transport
		 * refused it: the request is answered either way. */
		if (rc < 0 && code >= 200)
			rc = 0;
	}
	if (rc < 0 && rc != MS_ENOENT)
		return rc;
	r->status = code;
	if (code >= 200)
		r->st = NULL;
	if (r->ptxn)
		ms_proxy_txn_answered(r->ptxn, code);
	return 0;
}

/* The answer a request gets when the script gave none: 500, once. */
static void answer_500(struct ms_lua_call *c, const char *why)
{
	struct ms_lua_req *r = c->req;
	if (!r->needs_answer || r->status >= 200 || !r->m)
		return;
	int n;
	const char *id = call_id(r, &n);
	ms_log(c->g->h->cfg.log, MS_LOG_ERROR, "[%.*s] %s: answered 500", n, id, why);
	struct ms_buf b;
	ms_buf_init(&b);
	if (ms_build_response(&b, r->m, 500, MS_STR("Server Internal Error"), ms__lua_req_tag(r)) == 0 &&
	    ms_build_end(&b, MS_STR_NULL, MS_STR_NULL) == 0)
		ms__lua_send_answer(r, false, 500, &b);
	else if (r->st)
		ms_stxn_respond(r->st, 500, MS_STR("Server Internal Error"), ms__lua_req_tag(r));
	ms_buf_free(&b);
	r->status = 500;
	r->st = NULL;
}

/* A task of ms.spawn ended: its error, if any, is logged. */
static void task_end(struct ms_lua_call *c, int rc)
{
	struct ms_lua_gen *g = c->g;
	if (rc == 0 || rc == LUA_YIELD)
		return;
	luaL_traceback(g->L, c->co, lua_tostring(c->co, -1), 0);
	ms_log(g->h->cfg.log, MS_LOG_ERROR, "script error in a task of ms.spawn: %s", lua_tostring(g->L, -1));
	lua_pop(g->L, 1);
}

/* Ends a call: its answer when it owes one, then its coroutine goes back
 * to the pool (rc 0) or is dropped (an error, or LUA_YIELD for a task
 * ended while it waited). */
static void finish(struct ms_lua_call *c, int rc)
{
	struct ms_lua_gen *g = c->g;
	struct ms_lua_host *h = g->h;
	struct ms_lua_req *r = c->req;
	if (!r)
		task_end(c, rc);
	else if (rc != 0) {
		const char *msg = lua_tostring(c->co, -1);
		if (!msg)
			msg = lua_pushfstring(c->co, "(error object is a %s value)",
					      luaL_typename(c->co, -1));
		luaL_traceback(g->L, c->co, msg, 0);
		int n;
		const char *id = call_id(r, &n);
		/* Tail calls (return req:reply(...)) drop the script's frames
		 * from the traceback: say at least whose handler it was. */
		ms_log(h->cfg.log, MS_LOG_ERROR, "[%.*s] script error in on_request (%s): %s", n, id,
		       g->where, lua_tostring(g->L, -1));
		lua_pop(g->L, 1);
		answer_500(c, "the script failed");
		ms__lua_relay_finish(r);
	} else if ((ms__lua_relay_finish(r), r->needs_answer && r->status < 200)) {
		char why[200];
		snprintf(why, sizeof why, "on_request (%s) returned without answering", g->where);
		answer_500(c, why);
	}
	/* The request object may outlive the call in a script's global: it
	 * keeps what was parsed and cached, and refuses the rest. */
	if (r && r->m == r->borrowed)
		r->m = NULL;
	if (r) {
		r->borrowed = NULL;
		r->st = NULL;
	}
	if (c->uac)
		ms__lua_uac_abandon(c);
	if (c->sleeping)
		ev_timer_stop(h->cfg.loop, &c->timer);
	if (c->lookup)
		ms_resolve_cancel(c->lookup);
	if (rc == 0 && g->npool < sizeof g->pool / sizeof g->pool[0]) {
		lua_settop(c->co, 0);
		g->pool[g->npool].co = c->co;
		g->pool[g->npool++].ref = c->co_ref;
	} else {
		luaL_unref(g->L, LUA_REGISTRYINDEX, c->co_ref); /* a failed one is dead */
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		h->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ms__free(c);
	h->running--;
	g->calls--;
	ms__lua_gen_release(g);
}

/* A new call joins its state's count and the host's list of running ones. */
static void link_call(struct ms_lua_host *h, struct ms_lua_call *c)
{
	c->g->calls++;
	h->running++;
	c->next = h->calls;
	if (c->next)
		c->next->prev = c;
	h->calls = c;
}

static void task_start(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ms_lua_call *c = w->data;
	(void)loop;
	(void)revents;
	c->sleeping = false;
	ms__lua_resume(c, c->start_nargs);
}

int ms__lua_spawn(lua_State *L, struct ms_lua_host *h)
{
	struct ms_lua_gen *g = h->cur;
	if (!h->current || h->current->g != g)
		return luaL_error(L,
				  "ms.spawn can only be called from a request handler or a task (not at "
				  "the top level: start the task on the first request)");
	luaL_checktype(L, 1, LUA_TFUNCTION);
	struct ms_lua_call *c = ms__calloc(1, sizeof *c);
	if (!c)
		return luaL_error(L, "ms.spawn: out of memory");
	c->g = g;
	c->co = lua_newthread(g->L);
	c->co_ref = luaL_ref(g->L, LUA_REGISTRYINDEX);
	lua_pushvalue(L, 1);
	lua_xmove(L, c->co, 1);
	link_call(h, c);
	/* It starts from the loop, not inside the caller. */
	ev_timer_init(&c->timer, task_start, 0, 0);
	c->timer.data = c;
	c->sleeping = true;
	ev_timer_start(h->cfg.loop, &c->timer);
	return 0;
}

int ms__lua_task_start(struct ms_lua_host *h, int nargs)
{
	struct ms_lua_gen *g = h->cur;
	struct ms_lua_call *c = ms__calloc(1, sizeof *c);
	if (!c) {
		lua_pop(g->L, nargs + 1);
		return MS_ENOMEM;
	}
	c->g = g;
	c->co = lua_newthread(g->L);
	c->co_ref = luaL_ref(g->L, LUA_REGISTRYINDEX);
	lua_xmove(g->L, c->co, nargs + 1);
	c->start_nargs = nargs;
	link_call(h, c);
	ev_timer_init(&c->timer, task_start, 0, 0);
	c->timer.data = c;
	c->sleeping = true;
	ev_timer_start(h->cfg.loop, &c->timer);
	return 0;
}

bool ms__lua_task_replaced(struct ms_lua_call *c)
{
	if (c->req || c->g == c->g->h->cur)
		return false;
	finish(c, LUA_YIELD);
	return true;
}

/* Runs function 'ref' with what 'push' pushes, outside the call's own
 * coroutine (which waits in proxy.relay), with the same time limits; an
 * error is logged. 'after' sees the argument on top before it goes. */
void ms__lua_callback(struct ms_lua_call *c, int ref, void (*push)(lua_State *, void *),
		      void (*after)(lua_State *, void *), void *arg)
{
	struct ms_lua_gen *g = c->g;
	struct ms_lua_host *h = g->h;
	lua_State *T = lua_newthread(g->L);
	struct ms_lua_call *outer = h->current;
	uint64_t now = ms__lua_now_ns();
	h->current = c;
	h->over = false;
	h->deadline_ns = now + (uint64_t)h->cfg.max_run_ms * 1000000u;
	atomic_store_explicit(&h->busy_since_ns, now, memory_order_relaxed);
	lua_rawgeti(T, LUA_REGISTRYINDEX, ref);
	push(T, arg);
	lua_pushvalue(T, -1);
	lua_insert(T, 1); /* kept below the call for 'after' */
	if (lua_pcall(T, 1, 0, 0)) {
		int n;
		const char *id = call_id(c->req, &n);
		ms_log(h->cfg.log, MS_LOG_ERROR, "[%.*s] script error in on_reply: %s", n, id,
		       lua_tostring(T, -1));
		lua_pop(T, 1);
	} else if (after) {
		after(T, arg);
	}
	atomic_store_explicit(&h->busy_since_ns, 0, memory_order_relaxed);
	h->current = outer;
	h->over = false;
	lua_pop(g->L, 1); /* the thread */
}

bool ms__lua_resume(struct ms_lua_call *c, int nargs)
{
	struct ms_lua_host *h = c->g->h;
	struct ms_lua_call *outer = h->current;
	uint64_t now = ms__lua_now_ns();
	h->current = c;
	h->over = false;
	h->deadline_ns = now + (uint64_t)h->cfg.max_run_ms * 1000000u;
	atomic_store_explicit(&h->busy_since_ns, now, memory_order_relaxed);
	int rc = lua_resume(c->co, nargs);
	atomic_store_explicit(&h->busy_since_ns, 0, memory_order_relaxed);
	h->current = outer;
	h->over = false;
	if (rc == LUA_YIELD)
		return true;
	finish(c, rc);
	return false;
}

/* The request userdata, with the message borrowed from the stack. */
static struct ms_lua_req *new_req(lua_State *co, struct ms_lua_host *h, struct ms_stxn *st, struct ms_msg *m,
				  const struct ms_txn_peer *src)
{
	struct ms_lua_req *r = lua_newuserdata(co, sizeof *r);
	memset(r, 0, sizeof *r);
	r->magic = MS__LUA_REQ_MAGIC;
	r->h = h;
	r->st = st;
	r->borrowed = m;
	r->m = m;
	r->src = *src;
	r->needs_answer = m->method != MS_METHOD_ACK;
	r->on_reply = LUA_NOREF;
	lua_rawgeti(co, LUA_REGISTRYINDEX, h->cur->req_mt);
	lua_setmetatable(co, -2);
	return r;
}

void ms__lua_start(struct ms_lua_host *h, struct ms_stxn *st, struct ms_msg *m, const struct ms_txn_peer *src)
{
	struct ms_lua_gen *g = h->cur;
	struct ms_lua_call *c = ms__calloc(1, sizeof *c);
	if (!c) {
		if (st)
			ms_stxn_respond(st, 500, MS_STR("Server Internal Error: out of memory"),
					MS_STR("ms500"));
		return;
	}
	c->g = g;
	if (g->npool) {
		c->co = g->pool[--g->npool].co;
		c->co_ref = g->pool[g->npool].ref;
	} else {
		c->co = lua_newthread(g->L);
		c->co_ref = luaL_ref(g->L, LUA_REGISTRYINDEX);
	}
	lua_rawgeti(c->co, LUA_REGISTRYINDEX, g->on_request);
	c->req = new_req(c->co, h, st, m, src);
	/* A copy of the request below the function keeps it alive for the
	 * whole call: a script's tail call into an API function that yields
	 * (return proxy.relay(...)) leaves no frame of its own holding it, and
	 * the waiting C code still needs it. */
	lua_pushvalue(c->co, -1);
	lua_insert(c->co, 1);
	link_call(h, c);
	/* Still waiting when the stack's callback returns: the request's
	 * bytes, lent for the callback, are copied now. */
	struct ms_lua_req *r = c->req;
	if (ms__lua_resume(c, 1) && ms__lua_detach(r) < 0)
		r->m = NULL;
}

int ms__lua_detach(struct ms_lua_req *r)
{
	if (!r->borrowed || r->m != r->borrowed)
		return 0;
	r->own = ms__malloc(r->borrowed->len + 1);
	r->msg = ms__malloc(sizeof *r->msg);
	if (r->msg)
		ms_msg_init(r->msg);
	if (!r->own || !r->msg)
		return MS_ENOMEM; /* both freed with the userdata */
	memcpy(r->own, r->borrowed->buf, r->borrowed->len);
	r->own[r->borrowed->len] = 0;
	int rc = ms_msg_copy(r->msg, r->borrowed, r->own);
	r->borrowed = NULL;
	if (rc < 0)
		return rc;
	r->m = r->msg;
	return 0;
}

/* The watchdog: a handler that the hook cannot stop (a loop LuaJIT
 * compiled to machine code never returns to the interpreter) would freeze
 * the server for good; past hard_ms the process ends with a line that
 * says why, for its supervisor to restart it. */
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watch_wake = PTHREAD_COND_INITIALIZER;

/* Sleeps 100 ms, or less when the host is being freed. */
static void nap(struct ms_lua_host *h)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 100000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&watch_lock);
	if (!atomic_load(&h->watchdog_stop))
		pthread_cond_timedwait(&watch_wake, &watch_lock, &until);
	pthread_mutex_unlock(&watch_lock);
}

static void *watch(void *arg)
{
	struct ms_lua_host *h = arg;
	while (!atomic_load(&h->watchdog_stop)) {
		nap(h);
		uint64_t since = atomic_load_explicit(&h->busy_since_ns, memory_order_relaxed);
		if (since && ms__lua_now_ns() - since > (uint64_t)h->cfg.hard_ms * 1000000u) {
			char line[256];
			int n = snprintf(
				line, sizeof line,
				"moonsip: a script handler ran %u ms without yielding and could not be "
				"stopped (a compiled loop?): ending the process\n",
				h->cfg.hard_ms);
			if (write(2, line, (size_t)n) < 0)
				n = 0;
			abort();
		}
	}
	return NULL;
}

void ms__lua_watchdog_start(struct ms_lua_host *h)
{
	pthread_t t;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* signals stay with the loop */
	h->watchdog_started = pthread_create(&t, NULL, watch, h) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	h->watchdog = (unsigned long)t;
}

void ms__lua_watchdog_stop(struct ms_lua_host *h)
{
	if (!h->watchdog_started)
		return;
	pthread_mutex_lock(&watch_lock);
	atomic_store(&h->watchdog_stop, true);
	pthread_cond_broadcast(&watch_wake);
	pthread_mutex_unlock(&watch_lock);
	pthread_join((pthread_t)h->watchdog, NULL);
}

/* A CANCEL the transaction layer matched to an INVITE (RFC 3261 §9.2):
 * 200 for it, and 487 for the INVITE when its handler has not answered;
 * the handler then finds the request answered. True when it was matched,
 * so the script never sees it. */
static bool cancel_matched(struct ms_lua_host *h, struct ms_stxn *st)
{
	struct ms_stxn *inv;
	if (ms_stxn_cancel_target(st, &inv) < 0)
		return false;
	ms_stxn_respond(st, 200, MS_STR_NULL, MS_STR("mscancel"));
	if (!inv || ms_stxn_status(inv) >= 200)
		return true;
	for (struct ms_lua_call *c = h->calls; c; c = c->next) {
		if (c->req && c->req->st == inv) {
			/* A relayed INVITE: its branches are cancelled and the 487
			 * comes back through them (§16.10). */
			if (ms__lua_relay_cancel(c->req))
				break;
			ms_stxn_respond(inv, 487, MS_STR_NULL, ms__lua_req_tag(c->req));
			c->req->st = NULL;
			c->req->status = 487;
			break;
		}
	}
	return true;
}

void ms_lua_host_request(struct ms_stxn *st, struct ms_msg *req, const struct ms_txn_peer *src, void *arg)
{
	struct ms_lua_host *h = arg;
	if (st && req->method == MS_METHOD_CANCEL && cancel_matched(h, st))
		return;
	ms__lua_start(h, st, req, src);
}

int ms_lua_host_attach(struct ms_lua_host *h, struct ms_stack *stack)
{
	h->cfg.stack = stack;
	struct ms_proxy_config pc = { .stack = stack,
				      .timer_c_ms = h->cfg.timer_c_ms,
				      .domains = h->cfg.domains };
	return ms_proxy_new(&h->proxy, &pc);
}

void ms_lua_host_response(struct ms_stack *s, struct ms_msg *resp, const struct ms_txn_peer *src, void *arg)
{
	struct ms_lua_host *h = arg;
	(void)s;
	(void)src;
	if (h->proxy)
		ms_proxy_response_stateless(h->proxy, resp);
}

int ms_lua_host_feed(struct ms_lua_host *h, const char *buf, size_t len, const struct ms_txn_peer *src,
		     char *err, size_t errlen)
{
	struct ms_msg m;
	ms_msg_init(&m);
	int rc = ms_msg_parse(&m, buf, len, MS_PARSE_DGRAM);
	if (rc >= 0)
		rc = ms_msg_check(&m);
	if (rc >= 0 && !m.is_request)
		rc = MS_EINVAL;
	if (rc < 0) {
		if (m.err.what)
			ms_msg_error(&m, err, errlen);
		else
			snprintf(err, errlen, "not a request");
		ms_msg_free(&m);
		return -1;
	}
	ms__lua_start(h, NULL, &m, src);
	ms_msg_free(&m);
	return 0;
}
