/* auth.check, auth.challenge: digest authentication of requests (RFC 3261
 * §22, RFC 7616, RFC 8760) against the users in the registrar's file. The
 * nonces are stateless (core/auth); what is kept here is the last
 * nonce-count seen per nonce (core/auth/nonce_counts.h: a replayed
 * response is refused) and the
 * failures per source address (past a limit a source gets 403 for a while,
 * so that guessing passwords is slow). */
#include <lauxlib.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "auth/nonce_counts.h"
#include "base/alloc.h"
#include "base/siphash.h"
#include "host_private.h"
#include "moonsip/digest.h"

#define FAIL_BUCKETS 1024
#define FAIL_LIMIT 20  /* failures per source in a window, then 403 (--auth-max-failures) */
#define FAIL_WINDOW 60 /* seconds (--auth-failure-window) */

struct ms__fail {
	struct ms__fail *next;
	int64_t since;
	unsigned count;
	struct sockaddr_storage addr;
};

struct ms__auth {
	unsigned char secret[32];
	uint64_t key[2]; /* the maps' hash key, random */
	struct ms__nonce_counts nc;
	uint32_t limit, window; /* failures per source within window seconds, then 403 */
	struct ms__fail *fail[FAIL_BUCKETS];
};

static struct ms_lua_host *host(lua_State *L)
{
	return lua_touserdata(L, lua_upvalueindex(1));
}

/* Nonces and addresses come from the network: the maps are keyed with
 * SipHash under a secret, as the core's are. */
static uint32_t hash(struct ms__auth *a, const void *p, size_t n)
{
	struct ms__sip h;
	ms__sip_init(&h, a->key);
	ms__sip_add(&h, p, n, false);
	return (uint32_t)ms__sip_end(&h);
}

static struct ms__auth *state(lua_State *L, struct ms_lua_host *h)
{
	if (h->auth)
		return h->auth;
	struct ms__auth *a = ms__calloc(1, sizeof *a);
	if (!a)
		luaL_error(L, "auth: out of memory");
	if (ms_registrar_secret(ms__lua_registrar(L, h), a->secret) < 0) {
		ms__free(a);
		luaL_error(L, "auth: cannot read or make the nonce secret");
	}
	if (getrandom(a->key, sizeof a->key, 0) != (ssize_t)sizeof a->key)
		memcpy(a->key, &a, sizeof a); /* an unkeyed map still works */
	ms__nc_init(&a->nc);
	a->limit = h->cfg.auth_max_failures ? h->cfg.auth_max_failures : FAIL_LIMIT;
	a->window = h->cfg.auth_failure_window ? h->cfg.auth_failure_window : FAIL_WINDOW;
	h->auth = a;
	return a;
}

/* A source address without its port: failures count per host. */
static struct sockaddr_storage host_of(const struct sockaddr_storage *src)
{
	struct sockaddr_storage a = *src;
	if (a.ss_family == AF_INET)
		((struct sockaddr_in *)&a)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&a)->sin6_port = 0;
	return a;
}

/* The failure entry of a source (its window restarted when over). */
static struct ms__fail *failures(struct ms__auth *a, const struct sockaddr_storage *src, int64_t now,
				 bool make)
{
	struct sockaddr_storage host = host_of(src);
	const void *ip = host.ss_family == AF_INET ? (const void *)&((struct sockaddr_in *)&host)->sin_addr
						   : (const void *)&((struct sockaddr_in6 *)&host)->sin6_addr;
	uint32_t b = hash(a, ip, host.ss_family == AF_INET ? 4 : 16) % FAIL_BUCKETS;
	for (struct ms__fail **p = &a->fail[b]; *p;) {
		struct ms__fail *e = *p;
		if (now - e->since > a->window) {
			*p = e->next;
			ms__free(e);
			continue;
		}
		if (ms_addr_equal(&e->addr, &host))
			return e;
		p = &e->next;
	}
	struct ms__fail *e = make ? ms__calloc(1, sizeof *e) : NULL;
	if (e) {
		e->addr = host;
		e->since = now;
		e->next = a->fail[b];
		a->fail[b] = e;
	}
	return e;
}

/* A refusal: logged with the source, counted, returned as nil, why. */
static int refuse(lua_State *L, struct ms_lua_req *r, struct ms__auth *a, const char *user, const char *why,
		  bool count)
{
	char src[MS_ADDR_STRLEN];
	int64_t now = (int64_t)time(NULL);
	if (count) {
		struct ms__fail *f = failures(a, &r->src.addr, now, true);
		if (f)
			f->count++;
		ms_log(r->h->cfg.log, MS_LOG_WARN, "auth: %s from %s refused: %s",
		       user[0] ? user : "(no user)", ms_addr_format(&r->src.addr, src), why);
	}
	lua_pushnil(L);
	lua_pushstring(L, why);
	return 2;
}

/* The credentials for 'realm' among the request's Authorization (or
 * Proxy-Authorization) values. The first is the message's cached view (the
 * check parsed it already); a client rarely sends more than one. */
static bool find_cred(struct ms_msg *m, bool proxy, struct ms_str realm, struct ms_auth *out)
{
	const struct ms_auth *first = ms_msg_authz(m, proxy);
	if (first && ms_str_eq(first->realm, realm)) {
		*out = *first;
		return true;
	}
	enum ms_hdr_type t = proxy ? MS_HDR_PROXY_AUTHORIZATION : MS_HDR_AUTHORIZATION;
	const struct ms_hdr *x = ms_msg_hdr(m, t);
	for (x = x ? ms_msg_hdr_next(m, x) : NULL; x; x = ms_msg_hdr_next(m, x)) {
		const char *why;
		if (ms_auth_parse(out, x->value, &why) == 0 && ms_str_eq(out->realm, realm))
			return true;
	}
	return false;
}

/* core.auth_check(req, realm, proxy, max_age): the user name, or nil and
 * why; r->auth_stale tells auth.challenge to say stale=true. */
static int auth_check(lua_State *L)
{
	struct ms_lua_host *h = host(L);
	struct ms_lua_req *r = ms__lua_check_req(L, 1);
	size_t rl;
	const char *realm_s = luaL_checklstring(L, 2, &rl);
	struct ms_str realm = { realm_s, rl };
	bool proxy = lua_toboolean(L, 3);
	uint32_t max_age = (uint32_t)luaL_optinteger(L, 4, 300);
	if (r->standalone || !r->m)
		return luaL_error(L, "auth.check: not the request of a running handler");
	struct ms__auth *a = state(L, h);
	int64_t now = (int64_t)time(NULL);
	r->auth_stale = false;
	struct ms__fail *f = failures(a, &r->src.addr, now, false);
	if (f && f->count >= a->limit) {
		r->auth_blocked = true;
		return refuse(L, r, a, "", "too many failed attempts from this address", false);
	}
	struct ms_auth cred;
	if (!find_cred(r->m, proxy, realm, &cred))
		return refuse(L, r, a, "", "no credentials for this realm", false);
	char user[128];
	size_t ulen = cred.username.len < sizeof user - 1 ? cred.username.len : sizeof user - 1;
	if (ulen)
		memcpy(user, cred.username.s, ulen);
	user[ulen] = 0;
	enum ms_digest_alg alg;
	if (ms_digest_alg_parse(cred.algorithm, &alg) < 0)
		return refuse(L, r, a, user, "unsupported algorithm", false);
	char ha1[MS_DIGEST_HEX_SIZE];
	if (ms_registrar_user_ha1(ms__lua_registrar(L, h), cred.username, realm,
				  ms_digest_alg_base(alg) == MS_DIGEST_SHA256, ha1) < 0)
		return refuse(L, r, a, user, "unknown user or wrong password", true);
	struct ms_digest_request dreq = { r->m->method_s, r->m->ruri_s, r->m->body };
	int v = ms_digest_verify(&cred, &dreq, (struct ms_str){ ha1, strlen(ha1) });
	if (v == MS_DIGEST_WRONG)
		return refuse(L, r, a, user, "unknown user or wrong password", true);
	if (v != MS_DIGEST_OK)
		return refuse(L, r, a, user, v < 0 ? ms_strerror(v) : ms_digest_result_str(v), true);
	int64_t issued = 0;
	int ns = ms_digest_nonce_check((struct ms_str){ (const char *)a->secret, sizeof a->secret }, realm,
				       cred.nonce, now, max_age, &issued);
	if (ns == MS_DIGEST_NONCE_STALE) {
		r->auth_stale = true;
		return refuse(L, r, a, user, "stale nonce", false);
	}
	if (ns != MS_DIGEST_NONCE_VALID)
		return refuse(L, r, a, user, "nonce not issued here", true);
	uint32_t nc;
	if (!cred.qop.len || ms_digest_nc_parse(cred.nc, &nc) < 0)
		return refuse(L, r, a, user,
			      "credentials without qop and nonce-count (cannot be checked for replay)", true);
	if (!ms__nc_take(&a->nc, cred.nonce.s, cred.nonce.len, nc, issued + max_age, now))
		return refuse(L, r, a, user, "replayed nonce-count", true);
	lua_pushstring(L, user);
	return 1;
}

/* The algorithms to challenge with, in order: the names in the table at
 * 'idx', or SHA-256 then MD5 (RFC 8760 §2.4: the client takes the first it
 * supports). */
static unsigned challenge_algs(lua_State *L, int idx, enum ms_digest_alg out[4])
{
	if (lua_isnoneornil(L, idx)) {
		out[0] = MS_DIGEST_SHA256;
		out[1] = MS_DIGEST_MD5;
		return 2;
	}
	luaL_checktype(L, idx, LUA_TTABLE);
	unsigned n = 0;
	for (int i = 1; n < 4; i++) {
		lua_rawgeti(L, idx, i);
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
			break;
		}
		size_t len;
		const char *name = lua_tolstring(L, -1, &len);
		if (!name || ms_digest_alg_parse((struct ms_str){ name, len }, &out[n]) < 0)
			luaL_error(L,
				   "auth.challenge: algorithm %d is not one of SHA-256, MD5, SHA-256-sess, "
				   "MD5-sess",
				   i);
		lua_pop(L, 1);
		n++;
	}
	if (n == 0)
		luaL_error(L, "auth.challenge: the list of algorithms is empty");
	return n;
}

/* core.auth_challenge(req, realm, proxy, algorithms): 401 (407 for a proxy) with a
 * SHA-256 and an MD5 challenge, stale=true when the check said so; 403
 * for a source over its failure limit. */
static int auth_challenge(lua_State *L)
{
	struct ms_lua_host *h = host(L);
	struct ms_lua_req *r = ms__lua_check_req(L, 1);
	size_t rl;
	const char *realm_s = luaL_checklstring(L, 2, &rl);
	bool proxy = lua_toboolean(L, 3);
	if (r->standalone || !r->m || !r->needs_answer || r->status >= 200)
		return luaL_error(L, "auth.challenge: not a request that can still be answered");
	enum ms_digest_alg algs[4];
	unsigned nalgs = challenge_algs(L, 4, algs); /* before anything is allocated: it may raise */
	struct ms__auth *a = state(L, h);
	struct ms_buf b, v;
	ms_buf_init(&b);
	ms_buf_init(&v);
	unsigned code = r->auth_blocked ? 403 : proxy ? 407 : 401;
	int rc = ms_build_response(&b, r->m, code,
				   code == 403 ? MS_STR("Forbidden: too many failed attempts") : MS_STR_NULL,
				   ms__lua_req_tag(r));
	char nonce[MS_DIGEST_NONCE_SIZE];
	for (unsigned i = 0; rc == 0 && code != 403 && i < nalgs; i++) {
		/* A nonce each: a client that tries both keeps its own counts. */
		rc = ms_digest_nonce_make((struct ms_str){ (const char *)a->secret, sizeof a->secret },
					  (struct ms_str){ realm_s, rl }, (int64_t)time(NULL), nonce);
		if (rc < 0)
			break;
		v.len = 0;
		struct ms_digest_challenge c = { .alg = algs[i],
						 .realm = { realm_s, rl },
						 .nonce = { nonce, MS_DIGEST_NONCE_LEN },
						 .stale = r->auth_stale };
		rc = ms_digest_challenge_build(&v, &c);
		if (rc == 0)
			rc = ms_build_header(
				&b, proxy ? MS_STR("Proxy-Authenticate") : MS_STR("WWW-Authenticate"),
				(struct ms_str){ v.data, v.len });
	}
	if (rc == 0)
		rc = ms_build_end(&b, MS_STR_NULL, MS_STR_NULL);
	if (rc == 0)
		rc = ms__lua_send_answer(r, false, code, &b);
	ms_buf_free(&b);
	ms_buf_free(&v);
	if (rc < 0)
		return luaL_error(L, "auth.challenge: %s", ms_strerror(rc));
	lua_pushinteger(L, code);
	return 1;
}

/* core.auth_is_user(user, realm): whether the users' table has the user. */
static int auth_is_user(lua_State *L)
{
	struct ms_lua_host *h = host(L);
	size_t ul, rl;
	const char *u = luaL_checklstring(L, 1, &ul);
	const char *realm = luaL_checklstring(L, 2, &rl);
	char ha1[MS_DIGEST_HEX_SIZE];
	int rc = ms_registrar_user_ha1(ms__lua_registrar(L, h), (struct ms_str){ u, ul },
				       (struct ms_str){ realm, rl }, false, ha1);
	if (rc < 0 && rc != MS_ENOENT)
		return luaL_error(L, "auth.is_user: the users' table cannot be read: %s", ms_strerror(rc));
	lua_pushboolean(L, rc == 0);
	return 1;
}

/* A string field of the credentials table at 'idx' ("" when absent). */
static struct ms_str cred_field(lua_State *L, int idx, const char *k, bool need)
{
	size_t len = 0;
	lua_getfield(L, idx, k);
	const char *s = lua_tolstring(L, -1, &len);
	if ((!s && need) || (!s && !lua_isnil(L, -1)))
		luaL_error(L, "auth.authorize: credentials.%s must be a string", k);
	lua_pop(L, 1); /* the string stays in the table while the call runs */
	return (struct ms_str){ s ? s : "", s ? len : 0 };
}

/* Answers the first challenge of the list (or the one string) at 1 that
 * can be answered; *why says why none could. */
static int authorize_first(lua_State *L, struct ms_buf *out, const struct ms_digest_credentials *cr,
			   const struct ms_digest_request *req, const char **why)
{
	int rc = MS_ENOTSUP;
	for (int i = 1;; i++) {
		if (lua_type(L, 1) == LUA_TSTRING) {
			if (i > 1)
				break;
			lua_pushvalue(L, 1);
		} else {
			lua_rawgeti(L, 1, i);
		}
		size_t len;
		const char *v = lua_tolstring(L, -1, &len);
		lua_pop(L, 1); /* the value stays in the argument */
		if (!v)
			break;
		struct ms_auth ch;
		if (ms_auth_parse(&ch, (struct ms_str){ v, len }, why) < 0) {
			rc = MS_EBADMSG;
			continue;
		}
		rc = ms_digest_authorize(out, &ch, cr, req);
		if (rc != MS_ENOTSUP && rc != MS_EBADMSG)
			return rc;
		*why = rc == MS_ENOTSUP ? "no challenge this client can answer"
					: "a challenge without realm or nonce";
	}
	return rc;
}

/* core.auth_authorize(challenges, credentials): the client side. The value
 * of an Authorization (or Proxy-Authorization) header answering the first
 * challenge that can be answered, top down, or nil and why. */
int ms__lua_auth_authorize(lua_State *L)
{
	if (lua_type(L, 1) != LUA_TSTRING && !lua_istable(L, 1))
		return luaL_error(L,
				  "auth.authorize: the challenges must be a header value or a list of them");
	luaL_checktype(L, 2, LUA_TTABLE);
	struct ms_digest_credentials cr = { .username = cred_field(L, 2, "user", true),
					    .password = cred_field(L, 2, "password", false),
					    .ha1 = cred_field(L, 2, "ha1", false),
					    .cnonce = cred_field(L, 2, "cnonce", false) };
	struct ms_digest_request req = { cred_field(L, 2, "method", true), cred_field(L, 2, "uri", true),
					 cred_field(L, 2, "body", false) };
	lua_getfield(L, 2, "nc");
	lua_Integer nc = lua_isnil(L, -1) ? 1 : lua_tointeger(L, -1);
	lua_pop(L, 1);
	if (nc < 1 || nc > 0xffffffff)
		return luaL_error(L, "auth.authorize: credentials.nc must be from 1 up");
	cr.nc = (uint32_t)nc;
	if (!cr.cnonce.len)
		cr.cnonce = MS_STR_NULL;
	struct ms_buf out;
	ms_buf_init(&out);
	const char *why = "no challenge";
	int rc = authorize_first(L, &out, &cr, &req, &why);
	if (rc == 0)
		lua_pushlstring(L, out.data, out.len);
	ms_buf_free(&out);
	if (rc == 0)
		return 1;
	lua_pushnil(L);
	lua_pushstring(L, rc == MS_ENOTSUP || rc == MS_EBADMSG ? why : ms_strerror(rc));
	return 2;
}

void ms__lua_auth_free(struct ms_lua_host *h)
{
	struct ms__auth *a = h->auth;
	if (!a)
		return;
	ms__nc_free(&a->nc);
	for (unsigned i = 0; i < FAIL_BUCKETS; i++)
		while (a->fail[i]) {
			struct ms__fail *e = a->fail[i];
			a->fail[i] = e->next;
			ms__free(e);
		}
	OPENSSL_cleanse(a->secret, sizeof a->secret); /* it signs every nonce this server gives */
	ms__free(a);
	h->auth = NULL;
}

void ms__lua_open_auth(lua_State *L, struct ms_lua_host *h)
{
	lua_pushlightuserdata(L, h);
	lua_pushcclosure(L, auth_check, 1);
	lua_setfield(L, -2, "auth_check");
	lua_pushlightuserdata(L, h);
	lua_pushcclosure(L, auth_challenge, 1);
	lua_setfield(L, -2, "auth_challenge");
	lua_pushlightuserdata(L, h);
	lua_pushcclosure(L, auth_is_user, 1);
	lua_setfield(L, -2, "auth_is_user");
	lua_pushcfunction(L, ms__lua_auth_authorize);
	lua_setfield(L, -2, "auth_authorize");
}
