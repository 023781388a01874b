/* The server side of digest authentication: challenges, and the check of
 * a credential against a stored HA1 (RFC 7616 §3.3, §3.4; RFC 3261 §22.4). */
#include <string.h>

#include <openssl/crypto.h>

#include "auth/digest_private.h"
#include "base/str.h"

int ms_digest_nc_parse(struct ms_str nc, uint32_t *out)
{
	uint32_t v = 0;
	if (nc.len != 8)
		return MS_EBADMSG;
	for (size_t i = 0; i < 8; i++) {
		int d = ms__hexval(nc.s[i]);
		if (d < 0)
			return MS_EBADMSG;
		v = v << 4 | (uint32_t)d;
	}
	if (v == 0)
		return MS_ERANGE;
	*out = v;
	return 0;
}

/* Whether a value from a struct ms_auth, once unescaped, is 'plain'. */
static bool unq_eq(struct ms_str q, struct ms_str plain)
{
	size_t j = 0;
	for (size_t i = 0; i < q.len; i++, j++) {
		char c = q.s[i];
		if (c == '\\') {
			if (i + 1 == q.len)
				break;
			c = q.s[++i];
		}
		if (j >= plain.len || plain.s[j] != c)
			return false;
	}
	return j == plain.len;
}

static struct ms__dpart quoted(struct ms_str s)
{
	return (struct ms__dpart){ s, true };
}

int ms_digest_verify(const struct ms_auth *cred, const struct ms_digest_request *req, struct ms_str ha1)
{
	if (!cred || !req)
		return MS_EINVAL;
	enum ms_digest_alg alg;
	if (!ms_str_ieqz(cred->scheme, "Digest") || ms_digest_alg_parse(cred->algorithm, &alg) ||
	    ms_str_ieqz(cred->userhash, "true"))
		return MS_DIGEST_UNSUPPORTED;
	bool has_qop = cred->qop.s != NULL;
	if (has_qop && !ms_str_ieqz(cred->qop, "auth") && !ms_str_ieqz(cred->qop, "auth-int"))
		return MS_DIGEST_UNSUPPORTED;
	size_t hlen = ms_digest_hex_len(alg);
	char key[MS_DIGEST_HEX_SIZE];
	if (!ms__digest_lower_hex(ha1, hlen, key))
		return MS_EINVAL;

	/* The client's response, lowercased: LHEX by the grammar, but some
	 * clients write capitals. Nothing secret is in it. */
	char got[MS_DIGEST_HEX_SIZE];
	uint32_t nc;
	bool sess = alg == MS_DIGEST_MD5_SESS || alg == MS_DIGEST_SHA256_SESS;
	if (!cred->username.s || !cred->realm.s || !cred->nonce.s || !cred->uri.s ||
	    !ms__digest_lower_hex(cred->response, hlen, got) ||
	    (has_qop && (!cred->cnonce.s || ms_digest_nc_parse(cred->nc, &nc))) || (sess && !has_qop)) {
		OPENSSL_cleanse(key, sizeof key);
		return MS_DIGEST_MALFORMED;
	}
	if (!unq_eq(cred->uri, req->uri)) {
		OPENSSL_cleanse(key, sizeof key);
		return MS_DIGEST_URI_MISMATCH;
	}

	struct ms__digest_in in = {
		.alg = alg,
		.ha1 = key,
		.nonce = quoted(cred->nonce),
		.cnonce = quoted(cred->cnonce),
		.uri = quoted(cred->uri),
		.nc = cred->nc,
		.qop = has_qop ? cred->qop : MS_STR_NULL,
		.method = req->method,
		.body = req->body,
	};
	char want[MS_DIGEST_HEX_SIZE];
	int rc = ms__digest_response(&in, want);
	OPENSSL_cleanse(key, sizeof key);
	if (rc)
		return rc;
	/* Constant time: where the first wrong digit is must not show. */
	return CRYPTO_memcmp(want, got, hlen) == 0 ? MS_DIGEST_OK : MS_DIGEST_WRONG;
}

int ms_digest_challenge_build(struct ms_buf *out, const struct ms_digest_challenge *c)
{
	const char *alg = c ? ms_digest_alg_name(c->alg) : NULL;
	if (!alg || !c->nonce.len || !ms__digest_plain(c->realm) || !ms__digest_plain(c->nonce) ||
	    !ms__digest_plain(c->opaque))
		return MS_EINVAL;
	size_t len = out->len;
	int rc = ms__digest_add_quoted(out, "Digest ", "realm", c->realm, true);
	if (!rc)
		rc = ms_buf_addz(out,
				 c->auth_int ? ", qop=\"auth,auth-int\", algorithm="
					     : ", qop=\"auth\", algorithm=");
	if (!rc)
		rc = ms_buf_addz(out, alg);
	if (!rc)
		rc = ms__digest_add_quoted(out, ", ", "nonce", c->nonce, true);
	if (!rc && c->opaque.s)
		rc = ms__digest_add_quoted(out, ", ", "opaque", c->opaque, true);
	if (!rc && c->stale)
		rc = ms_buf_addz(out, ", stale=true");
	if (rc)
		out->len = len;
	return rc;
}
