/* rtp.offer, rtp.answer, rtp.delete, rtp.stats and rtp.pool: the C half.
 *
 * The host owns one relay (and its port pool), made on first use from the
 * run's --rtp-* options, and a table of the calls whose media it anchors:
 * one entry per Call-ID and caller's tag, holding the call's sessions
 * (struct ms_rtp_media). The entries live in the host, not in a script's
 * state, so calls go on across a reload.
 *
 * Sides. The endpoint whose From tag made the entry is leg A (the caller),
 * the other one leg B. SDP in a request comes from the party of its From
 * tag; SDP in a response from the other one. */
#include <lauxlib.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/siphash.h"
#include "host_private.h"
#include "moonsip/addr.h"
#include "moonsip/rtp.h"

#define MS__RTP_TAG_MAX 128
#define MS__RTP_CALLID_MAX 256

struct rtp_call {
	struct rtp_call *next; /* hash chain */
	struct ms__lua_rtp *owner;
	struct ms_rtp_media *media;
	double started;
	char call_id[MS__RTP_CALLID_MAX + 1];
	char a_tag[MS__RTP_TAG_MAX + 1];
};

struct ms__lua_rtp {
	struct ms_lua_host *h;
	struct ms_rtp_pool *pool;
	struct ms_rtp_relay *relay;
	char advertise[MS_ADDR_STRLEN];
	struct rtp_call **buckets;
	size_t nbuckets, ncalls;
	uint64_t key[2];
	char error[160]; /* why the relay could not be made */
};

/* Setting up ------------------------------------------------------------ */

static int setup_fail(struct ms__lua_rtp *x, const char *fmt, const char *arg)
{
	snprintf(x->error, sizeof x->error, fmt, arg);
	ms_log(x->h->cfg.log, MS_LOG_ERROR, "rtp: %s", x->error);
	return -1;
}

/* The address the ports are bound on: --rtp-address, else the first UDP
 * listener's. */
static int bind_address(struct ms__lua_rtp *x, struct sockaddr_storage *a)
{
	const struct ms_lua_config *cfg = &x->h->cfg;
	if (cfg->rtp_address) {
		if (ms_addr_set(a, (struct ms_str){ cfg->rtp_address, strlen(cfg->rtp_address) }, 0) < 0)
			return setup_fail(x, "--rtp-address %s is not an IP address", cfg->rtp_address);
		return 0;
	}
	if (!cfg->stack || ms_stack_local(cfg->stack, MS_PROTO_UDP, AF_UNSPEC, a) < 0)
		return setup_fail(x, "%s",
				  "no UDP listener to take the relay's address from: give --rtp-address");
	return 0;
}

static bool wildcard(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == 0;
	static const struct in6_addr any = IN6ADDR_ANY_INIT;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &any, sizeof any);
}

static int relay_make(struct ms__lua_rtp *x)
{
	const struct ms_lua_config *cfg = &x->h->cfg;
	struct sockaddr_storage a;
	if (bind_address(x, &a) < 0)
		return -1;
	if (cfg->rtp_advertise) {
		snprintf(x->advertise, sizeof x->advertise, "%s", cfg->rtp_advertise);
	} else if (wildcard(&a)) {
		return setup_fail(x, "%s",
				  "the relay is bound to a wildcard address: give the address to put in SDP "
				  "with --rtp-advertise");
	} else {
		ms_addr_host(&a, x->advertise);
		if (x->advertise[0] == '[') { /* SDP writes IPv6 without brackets */
			size_t n = strlen(x->advertise);
			memmove(x->advertise, x->advertise + 1, n - 2);
			x->advertise[n - 2] = 0;
		}
	}
	uint16_t lo = cfg->rtp_port_min ? cfg->rtp_port_min : 30000;
	uint16_t hi = cfg->rtp_port_max ? cfg->rtp_port_max : 39999;
	if (ms_rtp_pool_new(&x->pool, &a, lo, hi) < 0)
		return setup_fail(x, "%s", "--rtp-ports holds no even/odd port pair");
	if (ms_rtp_relay_new(&x->relay, cfg->loop, x->pool) < 0) {
		ms_rtp_pool_free(x->pool);
		x->pool = NULL;
		return setup_fail(x, "%s", "out of memory");
	}
	char shown[MS_ADDR_STRLEN];
	ms_log(cfg->log, MS_LOG_INFO, "rtp: relaying on %s ports %u-%u, SDP gets %s", ms_addr_host(&a, shown),
	       (unsigned)lo, (unsigned)hi, x->advertise);
	return 0;
}

/* The host's relay state, made on first use; a Lua error when the relay
 * cannot be had. */
static struct ms__lua_rtp *rtp_of(lua_State *L, struct ms_lua_host *h, bool need_relay)
{
	if (!h->rtp) {
		struct ms__lua_rtp *x = ms__calloc(1, sizeof *x);
		if (!x || !(x->buckets = ms__calloc(64, sizeof *x->buckets))) {
			ms__free(x);
			luaL_error(L, "rtp: out of memory");
		}
		x->h = h;
		x->nbuckets = 64;
		x->key[0] = (uint64_t)(uintptr_t)x ^ (uint64_t)time(NULL);
		x->key[1] = ms__lua_now_ns();
		h->rtp = x;
	}
	struct ms__lua_rtp *x = h->rtp;
	if (need_relay && !x->relay) {
		if (!h->cfg.stack)
			luaL_error(L,
				   "rtp needs a server (the test harness of require \"moonsip\" has no "
				   "network)");
		if (x->error[0] || relay_make(x) < 0)
			luaL_error(L, "rtp: the relay is not available: %s", x->error);
	}
	return x;
}

/* The table of calls ------------------------------------------------------ */

static size_t bucket_of(const struct ms__lua_rtp *x, struct ms_str call_id)
{
	struct ms__sip s;
	ms__sip_init(&s, x->key);
	ms__sip_add(&s, call_id.s, call_id.len, false);
	return (size_t)ms__sip_end(&s) & (x->nbuckets - 1);
}

static bool str_is(const char *c, struct ms_str s)
{
	return strlen(c) == s.len && !memcmp(c, s.s, s.len);
}

/* The call of a Call-ID whose caller's tag is one of the message's two. */
static struct rtp_call *find(struct ms__lua_rtp *x, struct ms_str call_id, struct ms_str from_tag,
			     struct ms_str to_tag)
{
	for (struct rtp_call *c = x->buckets[bucket_of(x, call_id)]; c; c = c->next)
		if (str_is(c->call_id, call_id) && (str_is(c->a_tag, from_tag) || str_is(c->a_tag, to_tag)))
			return c;
	return NULL;
}

static void grow(struct ms__lua_rtp *x)
{
	size_t n = x->nbuckets * 2;
	struct rtp_call **b = ms__calloc(n, sizeof *b);
	if (!b)
		return; /* longer chains, still correct */
	struct rtp_call **old = x->buckets;
	size_t oldn = x->nbuckets;
	x->buckets = b;
	x->nbuckets = n;
	for (size_t i = 0; i < oldn; i++)
		for (struct rtp_call *c = old[i], *next; c; c = next) {
			next = c->next;
			size_t k = bucket_of(x, (struct ms_str){ c->call_id, strlen(c->call_id) });
			c->next = b[k];
			b[k] = c;
		}
	ms__free(old);
}

static void unlink_call(struct ms__lua_rtp *x, struct rtp_call *c)
{
	struct rtp_call **p = &x->buckets[bucket_of(x, (struct ms_str){ c->call_id, strlen(c->call_id) })];
	while (*p != c)
		p = &(*p)->next;
	*p = c->next;
	/* The proxy looks at responses the script does not see only while
	 * some call's media is relayed. */
	if (--x->ncalls == 0 && x->h->proxy)
		ms_proxy_set_response_filter(x->h->proxy, NULL, NULL);
}

static void on_media_timeout(struct ms_rtp_media *m, void *arg);
static void rtp_filter(struct ms_msg *resp, struct ms_buf *replace, void *arg);

static struct rtp_call *create(lua_State *L, struct ms__lua_rtp *x, struct ms_str call_id,
			       struct ms_str a_tag, double timeout)
{
	if (call_id.len > MS__RTP_CALLID_MAX || a_tag.len > MS__RTP_TAG_MAX)
		luaL_error(L, "rtp.offer: the Call-ID or From tag is too long to keep (over %d bytes)",
			   MS__RTP_CALLID_MAX);
	struct rtp_call *c = ms__calloc(1, sizeof *c);
	if (!c)
		luaL_error(L, "rtp.offer: out of memory");
	struct ms_rtp_media_config mc = {
		.timeout = timeout,
		.timeout_cb = on_media_timeout,
		.arg = c,
		.address = x->advertise,
	};
	int rc = ms_rtp_media_new(&c->media, x->relay, &mc);
	if (rc < 0) {
		ms__free(c);
		luaL_error(L, "rtp.offer: %s", ms_strerror(rc));
	}
	c->owner = x;
	c->started = ev_now(x->h->cfg.loop);
	memcpy(c->call_id, call_id.s, call_id.len);
	memcpy(c->a_tag, a_tag.s, a_tag.len);
	if (x->ncalls >= x->nbuckets)
		grow(x);
	size_t k = bucket_of(x, call_id);
	c->next = x->buckets[k];
	x->buckets[k] = c;
	if (x->ncalls++ == 0 && x->h->proxy)
		ms_proxy_set_response_filter(x->h->proxy, rtp_filter, x);
	return c;
}

/* Figures -------------------------------------------------------------- */

static void set_num(lua_State *L, const char *k, double v)
{
	lua_pushnumber(L, v);
	lua_setfield(L, -2, k);
}

static void push_leg(lua_State *L, const struct ms_rtp_session *s, enum ms_rtp_leg leg)
{
	struct ms_rtp_stats st;
	ms_rtp_session_stats(s, leg, &st);
	lua_createtable(L, 0, 16);
	set_num(L, "port", ms_rtp_session_port(s, leg));
	set_num(L, "packets", (double)st.packets);
	set_num(L, "bytes", (double)st.bytes);
	set_num(L, "rtcp_packets", (double)st.rtcp_packets);
	set_num(L, "rtcp_bytes", (double)st.rtcp_bytes);
	set_num(L, "forwarded", (double)st.forwarded);
	set_num(L, "dropped", (double)st.dropped);
	set_num(L, "rejected", (double)st.rejected);
	set_num(L, "lost", (double)st.lost);
	set_num(L, "jitter", st.jitter);
	set_num(L, "jitter_ms", st.jitter_ms);
	set_num(L, "last_time", st.last_time);
	set_num(L, "ssrc", st.ssrc);
	lua_pushboolean(L, st.latched);
	lua_setfield(L, -2, "latched");
	if (st.peer.ss_family) {
		char a[MS_ADDR_STRLEN];
		lua_pushstring(L, ms_addr_format(&st.peer, a));
		lua_setfield(L, -2, "peer");
	}
}

/* { call_id, tag, duration, streams = { { kind, a = leg, b = leg }, ... } }:
 * leg a is what came from the caller, b from the callee. */
static void push_stats(lua_State *L, const struct rtp_call *c)
{
	lua_createtable(L, 0, 4);
	lua_pushstring(L, c->call_id);
	lua_setfield(L, -2, "call_id");
	lua_pushstring(L, c->a_tag);
	lua_setfield(L, -2, "tag");
	set_num(L, "duration", ev_now(c->owner->h->cfg.loop) - c->started);
	unsigned n = ms_rtp_media_streams(c->media);
	lua_createtable(L, (int)n, 0);
	for (unsigned i = 0; i < n; i++) {
		const struct ms_rtp_session *s = ms_rtp_media_stream(c->media, i);
		lua_createtable(L, 0, 4);
		lua_pushstring(L, ms_rtp_media_kind(c->media, i));
		lua_setfield(L, -2, "kind");
		lua_pushboolean(L, s != NULL);
		lua_setfield(L, -2, "relayed");
		if (s) {
			push_leg(L, s, MS_RTP_LEG_A);
			lua_setfield(L, -2, "a");
			push_leg(L, s, MS_RTP_LEG_B);
			lua_setfield(L, -2, "b");
		}
		lua_rawseti(L, -2, (int)i + 1);
	}
	lua_setfield(L, -2, "streams");
}

/* The end of a call's media, in the log: what each side sent. */
static void log_end(const struct rtp_call *c, const char *why)
{
	const struct ms_logger *lg = c->owner->h->cfg.log;
	unsigned n = ms_rtp_media_streams(c->media);
	for (unsigned i = 0; i < n; i++) {
		const struct ms_rtp_session *s = ms_rtp_media_stream(c->media, i);
		if (!s)
			continue;
		struct ms_rtp_stats a, b;
		ms_rtp_session_stats(s, MS_RTP_LEG_A, &a);
		ms_rtp_session_stats(s, MS_RTP_LEG_B, &b);
		ms_log(lg, MS_LOG_INFO,
		       "[%s] rtp: %s (%s) stream %u %s: caller sent %llu packets (%lld lost, jitter %.2f "
		       "ms), "
		       "callee sent %llu (%lld lost, jitter %.2f ms), %.0f s",
		       c->call_id, why, c->a_tag, i, ms_rtp_media_kind(c->media, i),
		       (unsigned long long)a.packets, (long long)a.lost, a.jitter_ms,
		       (unsigned long long)b.packets, (long long)b.lost, b.jitter_ms,
		       ev_now(c->owner->h->cfg.loop) - c->started);
	}
}

static void end_call(struct rtp_call *c, const char *why)
{
	log_end(c, why);
	unlink_call(c->owner, c);
	ms_rtp_media_free(c->media);
	ms__free(c);
}

/* No packet for the media timeout: the script's on_media_timeout(stats),
 * when it has one, runs as a task; the ports go back at once. */
static void on_media_timeout(struct ms_rtp_media *m, void *arg)
{
	struct rtp_call *c = arg;
	struct ms_lua_host *h = c->owner->h;
	(void)m;
	struct ms_lua_gen *g = h->cur;
	if (g) {
		lua_getglobal(g->L, "on_media_timeout");
		if (lua_isfunction(g->L, -1)) {
			push_stats(g->L, c);
			ms__lua_task_start(h, 1);
		} else {
			lua_pop(g->L, 1);
		}
	}
	end_call(c, "media timeout");
}

/* Messages ---------------------------------------------------------------- */

struct msg_keys {
	struct ms_str call_id, from_tag, to_tag;
};

static int keys_of(struct ms_msg *m, struct msg_keys *k)
{
	const struct ms_str *id = ms_msg_call_id(m);
	const struct ms_nameaddr *f = ms_msg_from(m), *t = ms_msg_to(m);
	if (!id || !f || !t)
		return -1;
	k->call_id = *id;
	k->from_tag = f->tag;
	k->to_tag = t->tag;
	return 0;
}

/* Who sent the message's SDP. */
static enum ms_rtp_leg sender(const struct rtp_call *c, struct ms_msg *m, const struct msg_keys *k)
{
	bool from_a = str_is(c->a_tag, k->from_tag);
	return m->is_request == from_a ? MS_RTP_LEG_A : MS_RTP_LEG_B;
}

/* The message's body with its SDP (the body, or its part) replaced by 'sdp'. */
static int splice_body(struct ms_msg *m, struct ms_str old, const struct ms_buf *sdp, struct ms_buf *out)
{
	size_t before = (size_t)(old.s - m->body.s);
	size_t after = m->body.len - before - old.len;
	int rc = ms_buf_add(out, m->body.s, before);
	if (rc == 0)
		rc = ms_buf_add(out, sdp->data, sdp->len);
	if (rc == 0)
		rc = ms_buf_add(out, old.s + old.len, after);
	return rc;
}

/* Rewrites the SDP of message 'm' (from the call's leg 'from') into 'body':
 * 0, 1 when there is no SDP, or a negative code with *why. */
static int rewrite(struct rtp_call *c, struct ms_msg *m, enum ms_rtp_leg from, struct ms_buf *body,
		   const char **why)
{
	struct ms_str sdp;
	if (ms_msg_sdp(m, &sdp) < 0 || sdp.len == 0)
		return 1;
	struct ms_buf out;
	ms_buf_init(&out);
	int rc = ms_rtp_media_sdp(c->media, from, sdp.s, sdp.len, &out, why);
	if (rc == 0)
		rc = splice_body(m, sdp, &out, body);
	ms_buf_free(&out);
	return rc;
}

static const char *code_name(int rc)
{
	return rc == MS_RTP_ENOPORTS ? "noports"
		: rc == MS_EBADMSG   ? "badsdp"
		: rc == MS_ENOTSUP   ? "family"
				     : "error";
}

/* core.rtp_sdp(msg, create, timeout, fn): true; or nil, why, kind
 * ("noports", "badsdp", "family", "nocall", "error"). */
static int rtp_sdp(lua_State *L)
{
	struct ms_lua_host *h = lua_touserdata(L, lua_upvalueindex(1));
	struct ms_lua_req *r = ms__lua_check_req(L, 1);
	bool make = lua_toboolean(L, 2);
	const char *fn = luaL_optstring(L, 4, make ? "rtp.offer" : "rtp.answer");
	struct ms__lua_rtp *x = rtp_of(L, h, true);
	struct ms_msg *m = ms__lua_req_view(L, r);
	struct msg_keys k;
	if (keys_of(m, &k) < 0)
		return luaL_error(L, "%s: the message has no Call-ID, From or To", fn);
	struct rtp_call *c = find(x, k.call_id, k.from_tag, k.to_tag);
	if (!c && !make) {
		lua_pushnil(L);
		lua_pushliteral(L, "no media of this call is relayed (no rtp.offer before)");
		lua_pushliteral(L, "nocall");
		return 3;
	}
	bool made = !c;
	if (!c)
		c = create(L, x, k.call_id, k.from_tag, luaL_optnumber(L, 3, h->cfg.media_timeout));
	struct ms_buf body;
	ms_buf_init(&body);
	const char *why = NULL;
	int rc = rewrite(c, m, sender(c, m, &k), &body, &why);
	if (rc < 0) {
		ms_buf_free(&body);
		if (made)
			end_call(c, "refused");
		ms_log(h->cfg.log, rc == MS_RTP_ENOPORTS ? MS_LOG_ERROR : MS_LOG_WARN, "[%.*s] %s: %s",
		       (int)k.call_id.len, k.call_id.s, fn,
		       rc == MS_RTP_ENOPORTS ? "no RTP ports left in the relay's range"
			       : why         ? why
					     : ms_strerror(rc));
		lua_pushnil(L);
		lua_pushstring(L, rc == MS_RTP_ENOPORTS ? "no RTP ports left" : why ? why : ms_strerror(rc));
		lua_pushstring(L, code_name(rc));
		return 3;
	}
	if (rc == 0) {
		struct ms_edit e;
		ms_edit_init(&e, m);
		ms__lua_req_commit(L, r, &e,
				   ms_edit_set_body(&e, (struct ms_str){ body.data, body.len }, MS_STR_NULL),
				   fn);
	}
	ms_buf_free(&body);
	lua_pushboolean(L, 1);
	return 1;
}

/* The calls a Lua argument names: a message (its call), or a Call-ID
 * string (every call of it). fn(c) for each; how many. */
static int each_named(lua_State *L, struct ms__lua_rtp *x, void (*fn)(lua_State *, struct rtp_call *))
{
	if (lua_type(L, 1) == LUA_TSTRING) {
		size_t len;
		const char *s = lua_tolstring(L, 1, &len);
		struct ms_str id = { s, len };
		int n = 0;
		struct rtp_call *c = x->buckets[bucket_of(x, id)], *next;
		for (; c; c = next) {
			next = c->next;
			if (str_is(c->call_id, id)) {
				fn(L, c);
				n++;
			}
		}
		return n;
	}
	struct msg_keys k;
	if (keys_of(ms__lua_req_view(L, ms__lua_check_req(L, 1)), &k) < 0)
		return 0;
	struct rtp_call *c = find(x, k.call_id, k.from_tag, k.to_tag);
	if (c)
		fn(L, c);
	return c != NULL;
}

static void delete_one(lua_State *L, struct rtp_call *c)
{
	(void)L;
	end_call(c, "ended");
}

/* core.rtp_delete(msg or call_id): how many calls' media ended. */
static int rtp_delete(lua_State *L)
{
	struct ms_lua_host *h = lua_touserdata(L, lua_upvalueindex(1));
	if (!h->rtp) {
		lua_pushinteger(L, 0);
		return 1;
	}
	lua_pushinteger(L, each_named(L, h->rtp, delete_one));
	return 1;
}

static void stats_one(lua_State *L, struct rtp_call *c)
{
	push_stats(L, c);
	lua_rawseti(L, -2, (int)lua_objlen(L, -2) + 1);
}

/* core.rtp_stats(msg or call_id): the figures of the call (a message), or
 * the list of them (a Call-ID with several calls); nil when none. */
static int rtp_stats(lua_State *L)
{
	struct ms_lua_host *h = lua_touserdata(L, lua_upvalueindex(1));
	if (!h->rtp)
		return 0;
	lua_settop(L, 1);
	lua_newtable(L);
	int n = each_named(L, h->rtp, stats_one);
	if (n == 0)
		return 0;
	if (n == 1)
		lua_rawgeti(L, -1, 1);
	return 1;
}

/* core.rtp_pool(): { size, available, calls, address } of the relay. */
static int rtp_pool(lua_State *L)
{
	struct ms_lua_host *h = lua_touserdata(L, lua_upvalueindex(1));
	struct ms__lua_rtp *x = rtp_of(L, h, true);
	lua_createtable(L, 0, 4);
	set_num(L, "size", ms_rtp_pool_size(x->pool));
	set_num(L, "available", ms_rtp_pool_available(x->pool));
	set_num(L, "calls", (double)x->ncalls);
	lua_pushstring(L, x->advertise);
	lua_setfield(L, -2, "address");
	return 1;
}

/* core.rtp_has(msg): whether the message's call has relayed media. */
static int rtp_has(lua_State *L)
{
	struct ms_lua_host *h = lua_touserdata(L, lua_upvalueindex(1));
	struct msg_keys k;
	bool has = h->rtp && h->rtp->ncalls &&
		keys_of(ms__lua_req_view(L, ms__lua_check_req(L, 1)), &k) == 0 &&
		find(h->rtp, k.call_id, k.from_tag, k.to_tag);
	lua_pushboolean(L, has);
	return 1;
}

/* Responses the script does not see ----------------------------------------- */

/* A response the proxy passes up without the script's look (a 2xx
 * retransmitted, a late fork's): its SDP is rewritten like the first, when
 * its call's media is relayed (the rewrite of the same SDP is the same).
 * Set on the proxy only while there are calls (create, unlink_call). */
static void rtp_filter(struct ms_msg *resp, struct ms_buf *replace, void *arg)
{
	struct ms__lua_rtp *x = arg;
	struct msg_keys k;
	if (keys_of(resp, &k) < 0)
		return;
	struct rtp_call *c = find(x, k.call_id, k.from_tag, k.to_tag);
	if (!c)
		return;
	struct ms_buf body;
	ms_buf_init(&body);
	const char *why = NULL;
	if (rewrite(c, resp, sender(c, resp, &k), &body, &why) == 0) {
		struct ms_edit e;
		ms_edit_init(&e, resp);
		if (ms_edit_set_body(&e, (struct ms_str){ body.data, body.len }, MS_STR_NULL) < 0 ||
		    ms_edit_write(&e, replace) < 0)
			replace->len = 0;
		ms_edit_free(&e);
	}
	ms_buf_free(&body);
}

void ms__lua_open_rtp(lua_State *L, struct ms_lua_host *h)
{
	static const luaL_Reg fns[] = {
		{ "rtp_sdp", rtp_sdp },   { "rtp_delete", rtp_delete }, { "rtp_stats", rtp_stats },
		{ "rtp_pool", rtp_pool }, { "rtp_has", rtp_has },
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
		lua_pushlightuserdata(L, h);
		lua_pushcclosure(L, fns[i].func, 1);
		lua_setfield(L, -2, fns[i].name);
	}
}

void ms__lua_rtp_free(struct ms_lua_host *h)
{
	struct ms__lua_rtp *x = h->rtp;
	if (!x)
		return;
	for (size_t i = 0; i < x->nbuckets; i++)
		while (x->buckets[i])
			end_call(x->buckets[i], "server stopped");
	ms_rtp_relay_free(x->relay);
	ms_rtp_pool_free(x->pool);
	ms__free(x->buckets);
	ms__free(x);
	h->rtp = NULL;
}
