/* The Lua C module: require "moonsip" from LuaJIT.
 *
 * It gives a LuaJIT program (busted, most often) what a routing script
 * sees, plus a harness that loads a script into a host of its own, with no
 * sockets, feeds it requests and hands back what it answered:
 *
 *	local ms = require "moonsip"
 *	local t = ms.test.load("route.lua", { max_run_ms = 100 })
 *	local answers = t:request{ method = "OPTIONS", uri = "sip:alice@example.com" }
 *	assert(answers[1].status == 200)
 *
 * The host runs the script in a LuaJIT state of its own (the caller's state
 * only gets tables back) and its ms.sleep timers on an ev loop of its own,
 * which t:request runs until the handlers have ended. The module takes the
 * Lua API from the process that loads it: it links no LuaJIT of its own. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include <errno.h>
#include <ev.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "host.h"
#include "module.h"
#include "host_private.h"
#include "moonsip/addr.h"
#include "moonsip/edit.h"
#include "moonsip/log.h"
#include "moonsip/msg.h"

#define TEST_MT "moonsip.test"
#define BUF_MT "moonsip.test.buf"
#define MAX_LOG_LINES 10000

/* An answer or a log line, kept in C while the script runs: the callbacks
 * that give them must not touch the caller's Lua state. */
struct line {
	struct line *next;
	int level; /* log lines */
	size_t len;
	char text[];
};

struct lines {
	struct line *head, **tail;
	size_t n;
};

#define MAX_DOMAINS 8

struct test {
	struct ms_lua_host *h;
	struct ev_loop *loop;
	struct ms_logger log;
	struct lines answers, logs;
	size_t logs_dropped;
	double timeout; /* seconds t:request waits for handlers to end */
	bool verbose;   /* log lines also to stderr */
	bool timed_out;
	unsigned seq; /* requests built, for unique Call-IDs and branches */
	char salt[9]; /* this object's part of them */
	char script[4096];
	char db[4096]; /* the registrar's file */
	/* opts.domains: the names proxy.is_me takes for this server (a host
	 * needs no network for that), NULL-terminated */
	char domain[MAX_DOMAINS][256];
	const char *domains[MAX_DOMAINS + 1];
	char tmpdir[256]; /* the temporary directory it is in, when it is ours */
};

static void lines_init(struct lines *l)
{
	l->head = NULL;
	l->tail = &l->head;
	l->n = 0;
}

static void lines_free(struct lines *l)
{
	while (l->head) {
		struct line *x = l->head;
		l->head = x->next;
		free(x);
	}
	lines_init(l);
}

static void lines_add(struct lines *l, int level, const char *s, size_t len)
{
	struct line *x = malloc(sizeof *x + len + 1);
	if (!x)
		return; /* the caller finds it missing */
	x->next = NULL;
	x->level = level;
	x->len = len;
	memcpy(x->text, s, len);
	x->text[len] = 0;
	*l->tail = x;
	l->tail = &x->next;
	l->n++;
}

static void on_answer(void *arg, const char *resp, size_t len)
{
	struct test *t = arg;
	lines_add(&t->answers, 0, resp, len);
}

static void on_log(void *arg, enum ms_log_level level, const char *line)
{
	struct test *t = arg;
	if (t->verbose)
		fprintf(stderr, "moonsip %s: %s\n", ms_log_level_name(level), line);
	if (t->logs.n >= MAX_LOG_LINES)
		t->logs_dropped++;
	else
		lines_add(&t->logs, (int)level, line, strlen(line));
}

static struct test *check_test(lua_State *L)
{
	struct test *t = luaL_checkudata(L, 1, TEST_MT);
	if (!t->h)
		luaL_error(L, "moonsip test object used after close()");
	return t;
}

/* An ms_buf owned by a userdata, so a Lua error raised while it is built
 * leaves it to the collector. */
static int buf_gc(lua_State *L)
{
	ms_buf_free(luaL_checkudata(L, 1, BUF_MT));
	return 0;
}

static struct ms_buf *new_buf(lua_State *L)
{
	struct ms_buf *b = lua_newuserdata(L, sizeof *b);
	ms_buf_init(b);
	luaL_getmetatable(L, BUF_MT);
	lua_setmetatable(L, -2);
	return b;
}

static void buf_check(lua_State *L, int rc, const char *what)
{
	if (rc < 0)
		luaL_error(L, "t:request: %s: %s", what, ms_strerror(rc));
}

/* URIs ------------------------------------------------------------------ */

/* moonsip.uri(s): the table a script's ms.uri gives, parsed by the host's
 * own function (kept as this closure's upvalue), which gives it the host's
 * URI metatable (moonsip.uri: tostring, and the params of a URI without
 * them made on first read). */
static int uri(lua_State *L)
{
	size_t len;
	if (lua_type(L, 1) != LUA_TSTRING)
		return luaL_typerror(L, 1, "string");
	const char *s = lua_tolstring(L, 1, &len);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_pushlstring(L, s, len);
	lua_call(L, 1, 2);
	if (lua_isnil(L, -2))
		return luaL_error(L, "bad URI '%s': %s", s, lua_tostring(L, -1));
	lua_pop(L, 1);
	return 1;
}

static int version(lua_State *L)
{
	lua_pushstring(L, ms_version());
	return 1;
}

/* Requests --------------------------------------------------------------- */

/* A field of the table at idx that must be a string (or absent: NULL). */
static const char *opt_string(lua_State *L, int idx, const char *field, size_t *len)
{
	lua_getfield(L, idx, field);
	const char *s = NULL;
	if (lua_type(L, -1) == LUA_TSTRING)
		s = lua_tolstring(L, -1, len);
	else if (!lua_isnil(L, -1))
		luaL_error(L, "t:request: %s must be a string, not %s", field, luaL_typename(L, -1));
	lua_pop(L, 1); /* the string stays alive in the table */
	return s;
}

/* source = { address =, port =, transport = } into a peer. */
static void read_source(lua_State *L, int idx, struct ms_txn_peer *src)
{
	const char *address = "127.0.0.1";
	lua_Integer port = 5060;
	enum ms_proto proto = MS_PROTO_UDP;
	memset(src, 0, sizeof *src);
	if (!lua_isnoneornil(L, idx)) {
		if (!lua_istable(L, idx))
			luaL_error(L, "t:request: source must be a table, not %s", luaL_typename(L, idx));
		size_t len;
		const char *a = opt_string(L, idx, "address", &len);
		if (a)
			address = a;
		lua_getfield(L, idx, "port");
		if (!lua_isnil(L, -1)) {
			if (lua_type(L, -1) != LUA_TNUMBER)
				luaL_error(L, "t:request: source.port must be a number");
			port = lua_tointeger(L, -1);
		}
		lua_pop(L, 1);
		const char *tr = opt_string(L, idx, "transport", &len);
		if (tr && !strcasecmp(tr, "udp"))
			proto = MS_PROTO_UDP;
		else if (tr && !strcasecmp(tr, "tcp"))
			proto = MS_PROTO_TCP;
		else if (tr && !strcasecmp(tr, "tls"))
			proto = MS_PROTO_TLS;
		else if (tr)
			luaL_error(L, "t:request: source.transport must be udp, tcp or tls, not '%s'", tr);
	}
	if (port < 1 || port > 65535)
		luaL_error(L, "t:request: source.port %d is out of range", (int)port);
	if (ms_addr_set(&src->addr, (struct ms_str){ address, strlen(address) }, (uint16_t)port) < 0)
		luaL_error(L, "t:request: source.address '%s' is not a numeric IPv4 or IPv6 address",
			   address);
	src->proto = proto;
}

/* One header of the request's table; Content-Length is always computed. */
static void put_header(lua_State *L, struct ms_buf *b, const char *name, size_t nl, const char *value,
		       size_t vl, bool *given)
{
	enum ms_hdr_type type = ms_hdr_lookup(name, nl);
	if (type == MS_HDR_CONTENT_LENGTH)
		luaL_error(L,
			   "t:request: Content-Length is computed from the body (send a raw message "
			   "string to set your own)");
	if (ms_build_header(b, (struct ms_str){ name, nl }, (struct ms_str){ value, vl }) < 0)
		luaL_error(L, "t:request: bad header '%s' (a token name, and no CR or LF in the value)",
			   name);
	given[type] = true;
}

/* headers = { ["X-A"] = "1", Route = { "<sip:a>", "<sip:b>" }, "X-B: 2" }:
 * the list part first, in order ("Name: value" strings), then the rest. */
static void put_headers(lua_State *L, int idx, struct ms_buf *b, bool *given)
{
	size_t n = lua_objlen(L, idx);
	for (size_t i = 1; i <= n; i++) {
		lua_rawgeti(L, idx, (int)i);
		size_t len = 0;
		const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
		const char *colon = s ? memchr(s, ':', len) : NULL;
		if (!colon)
			luaL_error(L, "t:request: headers[%d] must be a \"Name: value\" string", (int)i);
		const char *v = colon + 1;
		while (v < s + len && (*v == ' ' || *v == '\t'))
			v++;
		size_t nl = (size_t)(colon - s);
		while (nl && (s[nl - 1] == ' ' || s[nl - 1] == '\t'))
			nl--;
		char name[256];
		snprintf(name, sizeof name, "%.*s", (int)nl, s);
		put_header(L, b, name, strlen(name), v, (size_t)(s + len - v), given);
		lua_pop(L, 1);
	}
	for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1)) {
		if (lua_type(L, -2) == LUA_TNUMBER)
			continue;
		if (lua_type(L, -2) != LUA_TSTRING)
			luaL_error(L, "t:request: header names must be strings");
		size_t nl, vl;
		const char *name = lua_tolstring(L, -2, &nl);
		if (lua_type(L, -1) == LUA_TTABLE) {
			size_t m = lua_objlen(L, -1);
			for (size_t i = 1; i <= m; i++) {
				lua_rawgeti(L, -1, (int)i);
				if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
					luaL_error(L, "t:request: values of header '%s' must be strings",
						   name);
				const char *v = lua_tolstring(L, -1, &vl);
				put_header(L, b, name, nl, v, vl, given);
				lua_pop(L, 1);
			}
		} else if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) {
			lua_pushvalue(L, -1); /* tolstring would change a number key in place */
			const char *v = lua_tolstring(L, -1, &vl);
			put_header(L, b, name, nl, v, vl, given);
			lua_pop(L, 1);
		} else {
			luaL_error(L, "t:request: header '%s' must be a string or a list of strings, not %s",
				   name, luaL_typename(L, -1));
		}
	}
}

/* The request a table describes, with the headers it leaves out made up:
 * Via (from the source), Max-Forwards, From, To, Call-ID, CSeq and
 * Content-Length. Pushes the buffer's userdata. */
static struct ms_buf *build_request(lua_State *L, struct test *t, int idx, struct ms_txn_peer *src)
{
	size_t ml = 0, ul = 0, bl = 0;
	const char *method = opt_string(L, idx, "method", &ml);
	const char *ruri = opt_string(L, idx, "uri", &ul);
	const char *body = opt_string(L, idx, "body", &bl);
	if (!method || !ruri)
		luaL_error(L, "t:request: the request table needs method and uri strings");
	lua_getfield(L, idx, "source");
	read_source(L, lua_gettop(L), src);
	lua_pop(L, 1);

	struct ms_buf *b = new_buf(L);
	bool given[MS_HDR__COUNT] = { false };
	buf_check(L, ms_build_request_line(b, (struct ms_str){ method, ml }, (struct ms_str){ ruri, ul }),
		  "bad method or URI");
	/* The given headers go into a second buffer: the defaults come first. */
	struct ms_buf *hb = new_buf(L);
	lua_getfield(L, idx, "headers");
	if (lua_istable(L, -1))
		put_headers(L, lua_gettop(L), hb, given);
	else if (!lua_isnil(L, -1))
		luaL_error(L, "t:request: headers must be a table, not %s", luaL_typename(L, -1));
	lua_pop(L, 1);

	unsigned n = ++t->seq;
	char a[MS_ADDR_STRLEN];
	if (!given[MS_HDR_VIA])
		buf_check(L,
			  ms_buf_printf(b, "Via: SIP/2.0/%s %s;branch=z9hG4bK%s.%u\r\n",
					ms_proto_name(src->proto), ms_addr_format(&src->addr, a), t->salt, n),
			  "Via");
	if (!given[MS_HDR_MAX_FORWARDS])
		buf_check(L, ms_buf_addz(b, "Max-Forwards: 70\r\n"), "Max-Forwards");
	if (!given[MS_HDR_FROM])
		buf_check(L, ms_buf_printf(b, "From: <sip:tester@example.com>;tag=%s.%u\r\n", t->salt, n),
			  "From");
	if (!given[MS_HDR_TO])
		buf_check(L, ms_buf_printf(b, "To: <%.*s>\r\n", (int)ul, ruri), "To");
	if (!given[MS_HDR_CALL_ID])
		buf_check(L, ms_buf_printf(b, "Call-ID: %s.%u@moonsip.test\r\n", t->salt, n), "Call-ID");
	if (!given[MS_HDR_CSEQ])
		buf_check(L, ms_buf_printf(b, "CSeq: 1 %.*s\r\n", (int)ml, method), "CSeq");
	buf_check(L, ms_buf_add(b, hb->data, hb->len), "headers");
	lua_pop(L, 1); /* hb */
	buf_check(L, ms_build_end(b, (struct ms_str){ body, bl }, MS_STR_NULL), "body");
	return b;
}

/* The test object -------------------------------------------------------- */

/* The registrar's file of a test: opts.db, else a new file in a
 * temporary directory of its own (removed at close), so that a script's
 * tests never touch a server's file. */
static void set_db(lua_State *L, struct test *t)
{
	size_t len = 0;
	const char *db = NULL;
	if (lua_istable(L, 2)) {
		lua_getfield(L, 2, "db");
		if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "moonsip.test.load: opts.db must be a path, not %s",
				   luaL_typename(L, -1));
		db = lua_tolstring(L, -1, &len);
		lua_pop(L, 1); /* the string stays in the table */
	}
	if (db && len < sizeof t->db) {
		memcpy(t->db, db, len + 1);
		return;
	}
	if (db)
		luaL_error(L, "moonsip.test.load: opts.db: path too long");
	const char *base = getenv("TMPDIR");
	snprintf(t->tmpdir, sizeof t->tmpdir, "%s/moonsip-test-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(t->tmpdir)) {
		t->tmpdir[0] = 0;
		luaL_error(L, "moonsip.test.load: cannot make a temporary directory: %s", strerror(errno));
	}
	snprintf(t->db, sizeof t->db, "%s/moonsip.db", t->tmpdir);
}

static void set_domains(lua_State *L, struct test *t)
{
	if (!lua_istable(L, 2))
		return;
	lua_getfield(L, 2, "domains");
	if (!lua_isnil(L, -1)) {
		if (!lua_istable(L, -1))
			luaL_error(L, "moonsip.test.load: opts.domains must be a list of host names");
		unsigned n = 0;
		for (int i = 1;; i++) {
			lua_rawgeti(L, -1, i);
			size_t len;
			const char *d = lua_tolstring(L, -1, &len);
			lua_pop(L, 1);
			if (!d)
				break;
			if (n == MAX_DOMAINS || len >= sizeof t->domain[0])
				luaL_error(L,
					   "moonsip.test.load: opts.domains: at most %d names of under 256 "
					   "bytes",
					   MAX_DOMAINS);
			memcpy(t->domain[n], d, len + 1);
			t->domains[n] = t->domain[n];
			n++;
		}
		t->domains[n] = NULL;
	}
	lua_pop(L, 1);
}

static void remove_tmpdir(struct test *t)
{
	static const char *const parts[] = { "", "-wal", "-shm", "-journal" };
	if (!t->tmpdir[0])
		return;
	char path[sizeof t->db + 16];
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		snprintf(path, sizeof path, "%s%s", t->db, parts[i]);
		unlink(path);
	}
	rmdir(t->tmpdir);
	t->tmpdir[0] = 0;
}

static void test_close(struct test *t)
{
	if (t->h) {
		ms_lua_host_free(t->h);
		t->h = NULL;
	}
	if (t->loop) {
		ev_loop_destroy(t->loop);
		t->loop = NULL;
	}
	lines_free(&t->answers);
	lines_free(&t->logs);
	remove_tmpdir(t);
}

static int t_gc(lua_State *L)
{
	test_close(luaL_checkudata(L, 1, TEST_MT));
	return 0;
}

static int t_close(lua_State *L)
{
	test_close(luaL_checkudata(L, 1, TEST_MT));
	return 0;
}

static double opt_number(lua_State *L, int idx, const char *field, double def, double min, double max)
{
	if (lua_isnoneornil(L, idx))
		return def;
	lua_getfield(L, idx, field);
	double v = def;
	if (lua_type(L, -1) == LUA_TNUMBER)
		v = lua_tonumber(L, -1);
	else if (!lua_isnil(L, -1))
		luaL_error(L, "moonsip.test.load: opts.%s must be a number", field);
	if (v < min || v > max)
		luaL_error(L, "moonsip.test.load: opts.%s must be in %g..%g", field, min, max);
	lua_pop(L, 1);
	return v;
}

/* moonsip.test.load(script [, opts]) */
static int t_load(lua_State *L)
{
	size_t len;
	const char *script = luaL_checklstring(L, 1, &len);
	if (!lua_isnoneornil(L, 2))
		luaL_checktype(L, 2, LUA_TTABLE);
	double max_run_ms = opt_number(L, 2, "max_run_ms", 0, 0, 3600000);
	double hard_ms = opt_number(L, 2, "hard_ms", 0, 0, 3600000);
	double timeout = opt_number(L, 2, "timeout", 5, 0, 3600);
	enum ms_log_level level = MS_LOG_DEBUG;
	bool verbose = false;
	if (!lua_isnoneornil(L, 2)) {
		lua_getfield(L, 2, "log_level");
		const char *lv = lua_tostring(L, -1);
		if (!lua_isnil(L, -1) && (!lv || ms_log_level_parse(lv, &level) < 0))
			luaL_error(L, "moonsip.test.load: opts.log_level must be error, warn, info or debug");
		lua_getfield(L, 2, "verbose");
		verbose = lua_toboolean(L, -1);
		lua_pop(L, 2);
	}
	if (len >= sizeof((struct test *)0)->script)
		return luaL_error(L, "moonsip.test.load: script path too long");

	struct test *t = lua_newuserdata(L, sizeof *t);
	memset(t, 0, sizeof *t);
	lines_init(&t->answers);
	lines_init(&t->logs);
	luaL_getmetatable(L, TEST_MT);
	lua_setmetatable(L, -2);
	memcpy(t->script, script, len + 1);
	set_domains(L, t);
	set_db(L, t);
	t->timeout = timeout;
	t->verbose = verbose;
	t->log = (struct ms_logger){ .fn = on_log, .arg = t, .level = level };
	unsigned char r[4] = { 0 };
	if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		memcpy(r, &t, sizeof r);
	snprintf(t->salt, sizeof t->salt, "%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
	t->loop = ev_loop_new(EVFLAG_AUTO);
	if (!t->loop)
		return luaL_error(L, "moonsip.test.load: cannot make an event loop");
	struct ms_lua_config cfg = {
		.script = t->script,
		.loop = t->loop,
		.log = &t->log,
		.max_run_ms = (uint32_t)max_run_ms,
		.hard_ms = (uint32_t)hard_ms,
		.answer_cb = on_answer,
		.answer_arg = t,
		.db_path = t->db,
		.domains = t->domains[0] ? t->domains : NULL,
	};
	char err[1024];
	if (ms_lua_host_new(&t->h, &cfg, err, sizeof err) < 0) {
		t->h = NULL;
		test_close(t);
		lua_pushstring(L, err); /* the script's own words: file:line: message */
		return lua_error(L);
	}
	return 1;
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct test *t = w->data;
	(void)revents;
	t->timed_out = true;
	ev_break(loop, EVBREAK_ONE);
}

/* Before the loop would wait: the last handler may have ended in a
 * prepare watcher of the host's (the registrar's commit at the end of a
 * turn), and then nothing would wake the loop again. At the lowest
 * priority, this one runs after those. */
static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct test *t = w->data;
	(void)revents;
	if (!ms_lua_host_running(t->h))
		ev_break(loop, EVBREAK_ONE);
}

/* Runs the loop until no handler is left, or the time is up. */
static bool run(struct test *t, double timeout)
{
	ev_timer to;
	ev_prepare idle;
	ev_now_update(t->loop);
	ev_timer_init(&to, on_timeout, timeout, 0);
	to.data = t;
	t->timed_out = false;
	ev_timer_start(t->loop, &to);
	ev_prepare_init(&idle, on_prepare);
	ev_set_priority(&idle, EV_MINPRI);
	idle.data = t;
	ev_prepare_start(t->loop, &idle);
	while (ms_lua_host_running(t->h) && !t->timed_out)
		ev_run(t->loop, EVRUN_ONCE);
	ev_prepare_stop(t->loop, &idle);
	ev_timer_stop(t->loop, &to);
	return !t->timed_out;
}

/* An answer as a table (ms__mod_push_msg), or only its text when it does
 * not parse as a response. */
static void push_answer(lua_State *L, const struct line *a)
{
	struct ms_msg m;
	ms_msg_init(&m);
	if (ms_msg_parse(&m, a->text, a->len, MS_PARSE_DGRAM) < 0 || m.is_request) {
		lua_createtable(L, 0, 1);
		lua_pushlstring(L, a->text, a->len);
		lua_setfield(L, -2, "text");
	} else {
		ms__mod_push_msg(L, &m);
	}
	ms_msg_free(&m);
}

/* The answers given since the last time, as a list; clears them. */
static void push_answers(lua_State *L, struct test *t)
{
	lua_createtable(L, (int)t->answers.n, 0);
	int i = 1;
	for (const struct line *a = t->answers.head; a; a = a->next) {
		push_answer(L, a);
		lua_rawseti(L, -2, i++);
	}
	lines_free(&t->answers);
}

static double timeout_arg(lua_State *L, int idx, struct test *t)
{
	double timeout = luaL_optnumber(L, idx, t->timeout);
	if (timeout < 0)
		luaL_error(L, "timeout must be >= 0 seconds");
	return timeout;
}

/* Feeds one request without running the loop: its handler runs up to its
 * first wait (or to its end). */
static void feed(lua_State *L, struct test *t, int idx)
{
	struct ms_txn_peer src;
	const char *text;
	size_t len;
	if (lua_type(L, idx) == LUA_TSTRING) {
		read_source(L, idx + 1, &src);
		text = lua_tolstring(L, idx, &len);
	} else if (lua_type(L, idx) == LUA_TTABLE) {
		struct ms_buf *b = build_request(L, t, idx, &src);
		text = b->data;
		len = b->len;
	} else {
		luaL_error(L, "t:request: a SIP request (string or table) expected, got %s",
			   luaL_typename(L, idx));
		return;
	}
	char err[256];
	if (ms_lua_host_feed(t->h, text, len, &src, err, sizeof err) < 0)
		luaL_error(L, "t:request: bad request: %s", err);
}

static int not_ended(lua_State *L, struct test *t, const char *fn, double timeout)
{
	return luaL_error(L, "%s: handlers still running after %g s (%d left; ms.sleep too long?)", fn,
			  timeout, (int)ms_lua_host_running(t->h));
}

/* t:request(msg [, source]): feeds msg, runs until every handler ended,
 * returns the answers given meanwhile. */
static int t_request(lua_State *L)
{
	struct test *t = check_test(L);
	double timeout = t->timeout;
	feed(L, t, 2);
	if (!run(t, timeout))
		return not_ended(L, t, "t:request", timeout);
	push_answers(L, t);
	return 1;
}

/* t:send(msg [, source]): feeds msg and returns at once (the handler has
 * run to its first wait); t:run() then runs them all. */
static int t_send(lua_State *L)
{
	struct test *t = check_test(L);
	feed(L, t, 2);
	return 0;
}

/* t:run([timeout]): runs until every handler ended; the answers given
 * since the last request or run. */
static int t_run(lua_State *L)
{
	struct test *t = check_test(L);
	double timeout = timeout_arg(L, 2, t);
	if (!run(t, timeout))
		return not_ended(L, t, "t:run", timeout);
	push_answers(L, t);
	return 1;
}

static int t_running(lua_State *L)
{
	struct test *t = check_test(L);
	lua_pushinteger(L, (lua_Integer)ms_lua_host_running(t->h));
	return 1;
}

/* t:user(name, realm, password): a user of digest authentication in the
 * test's file, as `moonsip user add` makes one. */
static int t_user(lua_State *L)
{
	struct test *t = check_test(L);
	size_t ul, rl, pl;
	const char *user = luaL_checklstring(L, 2, &ul);
	const char *realm = luaL_checklstring(L, 3, &rl);
	const char *pw = luaL_checklstring(L, 4, &pl);
	int rc = ms_registrar_user_set(ms__lua_registrar(L, t->h), (struct ms_str){ user, ul },
				       (struct ms_str){ realm, rl }, (struct ms_str){ pw, pl });
	if (rc < 0)
		return luaL_error(L, "t:user: %s", ms_strerror(rc));
	return 0;
}

static int t_reload(lua_State *L)
{
	struct test *t = check_test(L);
	char err[1024];
	if (ms_lua_host_reload(t->h, err, sizeof err) < 0) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

/* t:logs(): the lines logged since the last call, "level: text" each. */
static int t_logs(lua_State *L)
{
	struct test *t = check_test(L);
	lua_createtable(L, (int)t->logs.n, 0);
	int i = 1;
	for (const struct line *x = t->logs.head; x; x = x->next) {
		lua_pushfstring(L, "%s: %s", ms_log_level_name((enum ms_log_level)x->level), x->text);
		lua_rawseti(L, -2, i++);
	}
	if (t->logs_dropped) {
		lua_pushfstring(L, "warn: (%d more lines dropped)", (int)t->logs_dropped);
		lua_rawseti(L, -2, i++);
	}
	lines_free(&t->logs);
	t->logs_dropped = 0;
	return 1;
}

LUALIB_API int luaopen_moonsip(lua_State *L) __attribute__((visibility("default")));
LUALIB_API int luaopen_moonsip(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "request", t_request }, { "send", t_send },   { "run", t_run },
		{ "running", t_running }, { "user", t_user },   { "reload", t_reload },
		{ "logs", t_logs },       { "close", t_close }, { NULL, NULL },
	};
	luaL_newmetatable(L, BUF_MT);
	lua_pushcfunction(L, buf_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
	luaL_newmetatable(L, TEST_MT);
	lua_pushcfunction(L, t_gc);
	lua_setfield(L, -2, "__gc");
	lua_newtable(L);
	luaL_register(L, NULL, methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
	lua_createtable(L, 0, 3);
	lua_pushcfunction(L, version);
	lua_setfield(L, -2, "version");
	/* The host's URI parser, from the functions it gives its scripts (it
	 * needs no host for this one). */
	lua_newtable(L);
	ms__lua_open_req(L, NULL);
	lua_getfield(L, -1, "uri_parse");
	lua_pushcclosure(L, uri, 1);
	lua_setfield(L, -3, "uri");
	lua_pop(L, 1);
	lua_pushcfunction(L, ms__lua_auth_authorize);
	lua_setfield(L, -2, "authorize");
	lua_createtable(L, 0, 1);
	lua_pushcfunction(L, t_load);
	lua_setfield(L, -2, "load");
	lua_setfield(L, -2, "test");
	ms__mod_open_ua(L);
	return 1;
}
