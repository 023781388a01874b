/* registrar.save, registrar.lookup and registrar.remove: the C half. The
 * registrar (core/registrar) is opened at start when its file exists (a
 * server), else on first use. A REGISTER's answer is sent after the commit
 * of the batch that holds its bindings (group commit): save() waits for
 * it, without blocking the loop, and every REGISTER saved within a few
 * milliseconds shares one commit. */
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/alloc.h"
#include "base/str.h"
#include "host_private.h"
#include "moonsip/registrar.h"

static struct ms_lua_host *host(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

/* Expired bindings are not returned from the moment they expire; this
 * takes them out of memory and the file. */
static void on_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ms_lua_host *h = w->data;
	(void)loop;
	(void)revents;
	int n = ms_registrar_sweep(h->reg, (int64_t)time(NULL));
	if (n < 0 || ms_registrar_commit(h->reg) < 0)
		ms_log(h->cfg.log, MS_LOG_ERROR, "registrar: the sweep of expired bindings failed");
	else if (n > 0)
		ms_log(h->cfg.log, MS_LOG_DEBUG, "registrar: %d expired bindings removed", n);
}

int ms__lua_registrar_open(struct ms_lua_host *h, char *err, size_t errlen)
{
	struct ms_registrar_config cfg = { .db_path = ms_lua_db_path(h->cfg.db_path, true),
					   .min_expires = h->cfg.min_expires,
					   .max_expires = h->cfg.max_expires,
					   .default_expires = h->cfg.default_expires,
					   .max_bindings = h->cfg.max_bindings,
					   .sync_full = h->cfg.db_sync_full };
	if (ms_registrar_open(&h->reg, &cfg, err, errlen) < 0)
		return -1;
	double every = h->cfg.sweep_s ? h->cfg.sweep_s : 30;
	ev_timer_init(&h->sweep, on_sweep, every, every);
	h->sweep.data = h;
	if (h->cfg.loop)
		ev_timer_start(h->cfg.loop, &h->sweep);
	return 0;
}

int ms_lua_host_load_db(struct ms_lua_host *h, char *err, size_t errlen)
{
	struct stat st;
	const char *path = ms_lua_db_path(h->cfg.db_path, false);
	if (h->reg || stat(path, &st) < 0)
		return 0;
	ev_tstamp t0 = ev_time();
	char why[512];
	if (ms__lua_registrar_open(h, why, sizeof why) < 0) {
		snprintf(err, errlen, "registrar: %s", why);
		return -1;
	}
	ms_log(h->cfg.log, MS_LOG_INFO, "registrar: %zu bindings loaded from %s in %.1f ms",
	       ms_registrar_count(h->reg), path, (ev_time() - t0) * 1e3);
	return 0;
}

struct ms_registrar *ms__lua_registrar(lua_State *L, struct ms_lua_host *h)
{
	char err[512];
	if (!h->reg && ms__lua_registrar_open(h, err, sizeof err) < 0)
		luaL_error(L, "registrar: %s", err);
	return h->reg;
}

/* The REGISTERs saved within this long share one commit (and, with
 * synchronous=FULL, one fsync); their 200s wait for it. A window rather
 * than a turn of the loop: at a thousand registrations a second a turn
 * holds one or two, and each commit has a fixed cost in locks and WAL
 * writes. After a window with no commit, the first REGISTER is committed
 * at the end of the turn that brought it (with whatever that turn brought
 * besides): a quiet server answers at once instead of waking again 4 ms
 * later, and a busy one still commits at most once per window. */
#define COMMIT_WINDOW 0.004            /* seconds */
#define PEER_TEXT (8 + MS_ADDR_STRLEN) /* "proto:" and an address with its port */

/* The commit, then the answers that waited for it. */
static void commit_batch(struct ms_lua_host *h)
{
	h->last_commit = ev_now(h->cfg.loop);
	bool ok = ms_registrar_commit(h->reg) == 0;
	if (!ok)
		ms_log(h->cfg.log, MS_LOG_ERROR, "registrar: the commit failed: %u REGISTERs answered 500",
		       h->nsaving);
	struct ms_lua_call **list = h->saving;
	unsigned n = h->nsaving;
	h->saving = NULL;
	h->nsaving = h->capsaving = 0;
	for (unsigned i = 0; i < n; i++) {
		struct ms_lua_call *c = list[i];
		struct ms_lua_req *r = c->req;
		unsigned code = ok ? c->answer_code : 500;
		if (!ok) {
			c->answer.len = 0;
			if (ms_build_response(
				    &c->answer, r->m, 500,
				    MS_STR("Server Internal Error: the binding could not be stored"),
				    ms__lua_req_tag(r)) == 0)
				ms_build_end(&c->answer, MS_STR_NULL, MS_STR_NULL);
		}
		ms__lua_send_answer(r, false, code, &c->answer);
		ms_buf_free(&c->answer);
		lua_pushinteger(c->co, code);
		ms__lua_resume(c, 1);
	}
	ms__free(list);
}

static void on_commit_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	ev_timer_stop(loop, w);
	commit_batch(w->data);
}

static void on_commit_idle(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)revents;
	ev_prepare_stop(loop, w);
	commit_batch(w->data);
}

/* Queues the running REGISTER for the next commit, which it yields for. */
static int wait_commit(lua_State *L, struct ms_lua_host *h, struct ms_lua_call *c)
{
	if (h->nsaving == h->capsaving) {
		unsigned cap = h->capsaving ? h->capsaving * 2 : 16;
		struct ms_lua_call **l = ms__realloc(h->saving, cap * sizeof *l);
		if (!l)
			return luaL_error(L, "registrar.save: out of memory");
		h->saving = l;
		h->capsaving = cap;
	}
	h->saving[h->nsaving++] = c;
	if (!ev_is_active(&h->commit) && !ev_is_active(&h->commit_idle)) {
		ev_tstamp since = ev_now(h->cfg.loop) - h->last_commit;
		if (since >= COMMIT_WINDOW || since < 0) {
			ev_prepare_init(&h->commit_idle, on_commit_idle);
			h->commit_idle.data = h;
			ev_prepare_start(h->cfg.loop, &h->commit_idle);
		} else {
			ev_timer_init(&h->commit, on_commit_timer, COMMIT_WINDOW - since, 0);
			h->commit.data = h;
			ev_timer_start(h->cfg.loop, &h->commit);
		}
	}
	return lua_yield(L, 0);
}

/* "udp:192.0.2.1:5060": a peer as the registrar keeps it. Put together
 * by hand, as it is made for every REGISTER. */
static void peer_text(enum ms_proto p, const struct sockaddr_storage *a, char out[PEER_TEXT])
{
	const char *proto = ms_proto_name(p);
	size_t n = 0;
	for (; proto[n] && n < 7; n++)
		out[n] = ms__lower(proto[n]);
	out[n++] = ':';
	ms_addr_format(a, out + n);
}

/* The answer to a REGISTER as the registrar decided it. */
static int build_answer(struct ms_lua_host *h, struct ms_lua_req *r, const struct ms_register_result *res,
			struct ms_buf *b)
{
	struct ms_msg *m = r->m;
	int rc = ms_build_response(b, m, res->status, (struct ms_str){ res->reason, strlen(res->reason) },
				   ms__lua_req_tag(r));
	if (rc == 0 && res->status == 200) {
		struct ms_buf aor;
		ms_buf_init(&aor);
		rc = ms_registrar_aor(&ms_msg_to(m)->uri, &aor);
		if (rc == 0)
			rc = ms_registrar_contacts(h->reg, (struct ms_str){ aor.data, aor.len },
						   (int64_t)time(NULL), b);
		ms_buf_free(&aor);
		if (rc == 0 && res->path)
			rc = ms_build_header(b, MS_STR("Supported"), MS_STR("path"));
	}
	if (rc == 0 && res->status == 423) {
		char v[16];
		int n = snprintf(v, sizeof v, "%u", res->min_expires);
		rc = ms_build_header(b, MS_STR("Min-Expires"), (struct ms_str){ v, (size_t)n });
	}
	return rc ? rc : ms_build_end(b, MS_STR_NULL, MS_STR_NULL);
}

/* core.reg_save(req): the status the REGISTER was answered with. */
static int reg_save(lua_State *L)
{
	struct ms_lua_host *h = host(L);
	struct ms_lua_req *r = ms__lua_check_req(L, 1);
	struct ms_lua_call *c = h->current;
	if (r->standalone || !r->m || !c || c->req != r || c->co != L)
		return luaL_error(L, "registrar.save: not the request of the running handler");
	if (r->m->method != MS_METHOD_REGISTER) {
		char method[32];
		snprintf(method, sizeof method, "%.*s", (int)r->m->method_s.len, r->m->method_s.s);
		return luaL_error(L, "registrar.save: a %s is no REGISTER", method);
	}
	if (r->status >= 200)
		return luaL_error(L, "registrar.save: the request was already answered with %d",
				  (int)r->status);
	struct ms_registrar *reg = ms__lua_registrar(L, h);
	char received[PEER_TEXT], socket[PEER_TEXT] = "";
	struct sockaddr_storage local;
	peer_text(r->src.proto, &r->src.addr, received);
	if (h->cfg.stack && ms_stack_local_for(h->cfg.stack, &r->src, &local) == 0)
		peer_text(r->src.proto, &local, socket);
	bool nat = ms__lua_via_nat(ms_msg_via(r->m), &r->src);
	struct ms_register_result res;
	int rc = ms_registrar_register(reg, r->m, (int64_t)time(NULL), received, socket, nat, &res);
	if (rc < 0) {
		ms_log(h->cfg.log, MS_LOG_ERROR, "registrar: storing a binding failed: %s", ms_strerror(rc));
		res = (struct ms_register_result){ 500,
						   "Server Internal Error: the binding could not be stored",
						   0, false };
	}
	ms_buf_init(&c->answer);
	rc = build_answer(h, r, &res, &c->answer);
	if (rc < 0) {
		ms_buf_free(&c->answer);
		return luaL_error(L, "registrar.save: cannot build the answer: %s", ms_strerror(rc));
	}
	c->answer_code = res.status;
	if (res.status == 200 && ms_registrar_pending(reg))
		return wait_commit(L, h, c);
	ms__lua_send_answer(r, false, res.status, &c->answer);
	ms_buf_free(&c->answer);
	lua_pushinteger(L, res.status);
	return 1;
}

/* The canonical AOR of argument 1 (a URI string). */
static void aor_arg(lua_State *L, const char *fn, struct ms_buf *out)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	struct ms_uri u;
	const char *why;
	if (ms_uri_parse(&u, s, len, &why) < 0 || ms_registrar_aor(&u, out) < 0) {
		ms_buf_free(out);
		luaL_error(L, "%s: '%s' is no sip or sips address-of-record", fn, s);
	}
}

static void set_str(lua_State *L, const char *k, const char *v)
{
	lua_pushstring(L, v);
	lua_setfield(L, -2, k);
}

/* core.reg_lookup(aor): the contacts, highest q first. */
static int reg_lookup(lua_State *L)
{
	struct ms_lua_host *h = host(L);
	struct ms_buf aor;
	ms_buf_init(&aor);
	aor_arg(L, "registrar.lookup", &aor);
	struct ms_registrar *reg = ms__lua_registrar(L, h);
	const struct ms_binding *b[64];
	int64_t now = (int64_t)time(NULL);
	size_t n = ms_registrar_lookup(reg, (struct ms_str){ aor.data, aor.len }, now, b, 64);
	ms_buf_free(&aor);
	if (n > 64)
		n = 64;
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		lua_createtable(L, 0, 8);
		set_str(L, "uri", b[i]->contact);
		set_str(L, "path", b[i]->path);
		set_str(L, "received", b[i]->received);
		set_str(L, "socket", b[i]->socket);
		set_str(L, "instance", b[i]->instance);
		set_str(L, "user_agent", b[i]->user_agent);
		lua_pushboolean(L, b[i]->nat);
		lua_setfield(L, -2, "nat");
		lua_pushnumber(L, b[i]->q / 1000.0);
		lua_setfield(L, -2, "q");
		lua_pushinteger(L, (lua_Integer)(b[i]->expires - now));
		lua_setfield(L, -2, "expires");
		lua_rawseti(L, -2, (int)i + 1);
	}
	return 1;
}

/* core.reg_remove(aor [, contact]): how many bindings went. */
static int reg_remove(lua_State *L)
{
	struct ms_lua_host *h = host(L);
	struct ms_buf aor;
	ms_buf_init(&aor);
	aor_arg(L, "registrar.remove", &aor);
	size_t cl = 0;
	const char *contact = luaL_optlstring(L, 2, "", &cl);
	struct ms_registrar *reg = ms__lua_registrar(L, h);
	int n = ms_registrar_remove(reg, (struct ms_str){ aor.data, aor.len },
				    (struct ms_str){ contact, cl });
	ms_buf_free(&aor);
	if (n < 0)
		return luaL_error(L, "registrar.remove: the database failed");
	if (ms_registrar_commit(reg) < 0)
		return luaL_error(L, "registrar.remove: the commit failed");
	lua_pushinteger(L, n);
	return 1;
}

void ms__lua_registrar_free(struct ms_lua_host *h)
{
	if (ev_is_active(&h->commit))
		ev_timer_stop(h->cfg.loop, &h->commit);
	if (ev_is_active(&h->commit_idle))
		ev_prepare_stop(h->cfg.loop, &h->commit_idle);
	if (ev_is_active(&h->sweep))
		ev_timer_stop(h->cfg.loop, &h->sweep);
	ms__free(h->saving);
	h->saving = NULL;
	ms_registrar_close(h->reg);
	h->reg = NULL;
}

void ms__lua_open_registrar(lua_State *L, struct ms_lua_host *h)
{
	static const luaL_Reg fns[] = {
		{ "reg_save", reg_save },
		{ "reg_lookup", reg_lookup },
		{ "reg_remove", reg_remove },
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		lua_pushlightuserdata(L, h);
		lua_pushcclosure(L, fns[i].func, 1);
		lua_setfield(L, -2, fns[i].name);
	}
}
