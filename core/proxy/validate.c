/* RFC 3261 §16.3 steps 3 to 6: Max-Forwards, loops, Proxy-Require. */
#include <string.h>

#include "base/siphash.h"
#include "proxy/proxy_private.h"

static void add_str(struct ms__sip *s, struct ms_str v)
{
	ms__sip_add(s, v.s, v.len, false);
	ms__sip_add(s, "\n", 1, false);
}

/* §16.6 step 8 names the top Via among the fields hashed; a request that
 * comes back after other hops has another top Via, so a hash with it would
 * never find the loop. Left out, as most proxies do. */
void ms__proxy_loop_hash(struct ms_proxy *p, struct ms_msg *req, char out[MS__PROXY_HASH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	struct ms__sip s;
	ms__sip_init(&s, p->key);
	add_str(&s, req->ruri_s);
	const struct ms_nameaddr *from = ms_msg_from(req), *to = ms_msg_to(req);
	const struct ms_str *id = ms_msg_call_id(req);
	const struct ms_cseq *cseq = ms_msg_cseq(req);
	add_str(&s, from ? from->tag : MS_STR_NULL);
	add_str(&s, to ? to->tag : MS_STR_NULL);
	add_str(&s, id ? *id : MS_STR_NULL);
	uint32_t num = cseq ? cseq->num : 0;
	ms__sip_add(&s, &num, sizeof num, false);
	static const enum ms_hdr_type more[] = { MS_HDR_PROXY_REQUIRE, MS_HDR_PROXY_AUTHORIZATION };
	for (unsigned i = 0; i < 2; i++)
		for (const struct ms_hdr *h = ms_msg_hdr(req, more[i]); h; h = ms_msg_hdr_next(req, h))
			add_str(&s, h->value);
	uint64_t v = ms__sip_end(&s);
	for (int i = MS__PROXY_HASH_LEN - 1; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 15];
	out[MS__PROXY_HASH_LEN] = 0;
}

/* A Via this proxy wrote whose branch carries 'hash': "z9hG4bK" HASH "-". */
static bool looped_via(struct ms_proxy *p, struct ms_str value, const char *hash)
{
	struct ms_via v;
	const char *why;
	if (ms_via_parse(&v, value, &why) < 0 || v.branch.len < 7 + MS__PROXY_HASH_LEN + 1)
		return false;
	if (memcmp(v.branch.s + 7, hash, MS__PROXY_HASH_LEN) || v.branch.s[7 + MS__PROXY_HASH_LEN] != '-')
		return false;
	bool secure = ms_str_ieqz(v.transport, "TLS");
	return ms_stack_is_me(p->stack, v.host, v.port, secure);
}

unsigned ms_proxy_validate(struct ms_proxy *p, struct ms_msg *req, const char **reason)
{
	uint32_t mf;
	if (ms_msg_max_forwards(req, &mf) == 0 && mf == 0) {
		if (req->method == MS_METHOD_OPTIONS) {
			*reason = "OK";
			return 200; /* §16.3 step 3: the proxy may answer it itself */
		}
		*reason = "Too Many Hops";
		return 483;
	}
	char hash[MS__PROXY_HASH_LEN + 1];
	ms__proxy_loop_hash(p, req, hash);
	for (const struct ms_hdr *h = ms_msg_hdr(req, MS_HDR_VIA); h; h = ms_msg_hdr_next(req, h)) {
		if (looped_via(p, h->value, hash)) {
			*reason = "Loop Detected";
			return 482;
		}
	}
	if (ms_msg_hdr(req, MS_HDR_PROXY_REQUIRE)) {
		*reason = "Bad Extension (Proxy-Require: this proxy supports no extension)";
		return 420;
	}
	return 0;
}
