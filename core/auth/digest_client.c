/* The client side of digest authentication: the Authorization or
 * Proxy-Authorization that answers a challenge (RFC 7616 §3.4, RFC 3261
 * §22.2, §22.3). */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth/digest_private.h"
#include "msg/lex.h"

/* The qop to answer with: "auth" when offered, else "auth-int" when
 * offered; "" for a challenge without qop (the RFC 2069 form); NULL when
 * the list offers neither. */
static const char *pick_qop(struct ms_str list)
{
	if (!list.s)
		return "";
	bool auth_int = false;
	struct ms_lex l;
	struct ms_str q;
	ms__lex_init(&l, list);
	ms__lex_lws(&l);
	do {
		if (!ms__lex_token(&l, &q))
			break;
		if (ms_str_ieqz(q, "auth"))
			return "auth";
		auth_int = auth_int || ms_str_ieqz(q, "auth-int");
	} while (ms__lex_sep(&l, ','));
	return auth_int ? "auth-int" : NULL;
}

/* A cnonce goes out as it is, so it must need no escaping. */
static bool cnonce_ok(struct ms_str c)
{
	for (size_t i = 0; i < c.len; i++)
		if (c.s[i] == '"' || c.s[i] == '\\')
			return false;
	return ms__digest_plain(c);
}

static int build(struct ms_buf *out, const struct ms_auth *ch, const struct ms_digest_credentials *cr,
		 const struct ms_digest_request *req, enum ms_digest_alg alg, const char *qop,
		 struct ms_str cnonce, const char *ha1)
{
	char nc[9], response[MS_DIGEST_HEX_SIZE];
	snprintf(nc, sizeof nc, "%08x", (unsigned)cr->nc);
	struct ms__digest_in in = {
		.alg = alg,
		.ha1 = ha1,
		.nonce = { ch->nonce, true },
		.cnonce = { cnonce, false },
		.uri = { req->uri, false },
		.nc = { nc, 8 },
		.qop = { qop, strlen(qop) },
		.method = req->method,
		.body = req->body,
	};
	int rc = ms__digest_response(&in, response);
	if (!rc)
		rc = ms__digest_add_quoted(out, "Digest ", "username", cr->username, true);
	if (!rc)
		rc = ms__digest_add_quoted(out, ", ", "realm", ch->realm, false);
	if (!rc)
		rc = ms__digest_add_quoted(out, ", ", "uri", req->uri, true);
	if (!rc && ch->algorithm.s)
		rc = ms_buf_printf(out, ", algorithm=%s", ms_digest_alg_name(alg));
	if (!rc)
		rc = ms__digest_add_quoted(out, ", ", "nonce", ch->nonce, false);
	if (!rc && *qop) {
		rc = ms_buf_printf(out, ", nc=%s", nc);
		if (!rc)
			rc = ms__digest_add_quoted(out, ", ", "cnonce", cnonce, false);
		if (!rc)
			rc = ms_buf_printf(out, ", qop=%s", qop);
	}
	if (!rc)
		rc = ms_buf_printf(out, ", response=\"%s\"", response);
	if (!rc && ch->opaque.s)
		rc = ms__digest_add_quoted(out, ", ", "opaque", ch->opaque, false);
	return rc;
}

int ms_digest_authorize(struct ms_buf *out, const struct ms_auth *challenge,
			const struct ms_digest_credentials *cr, const struct ms_digest_request *req)
{
	if (!out || !challenge || !cr || !req)
		return MS_EINVAL;
	enum ms_digest_alg alg;
	if (!ms_str_ieqz(challenge->scheme, "Digest") || ms_digest_alg_parse(challenge->algorithm, &alg))
		return MS_ENOTSUP;
	const char *qop = pick_qop(challenge->qop);
	bool sess = alg == MS_DIGEST_MD5_SESS || alg == MS_DIGEST_SHA256_SESS;
	if (!qop || (sess && !*qop))
		return MS_ENOTSUP;
	if (!challenge->realm.s || !challenge->nonce.s)
		return MS_EBADMSG;
	if (cr->nc == 0 || !ms__digest_plain(cr->username) || !ms__digest_plain(req->uri) ||
	    !cnonce_ok(cr->cnonce))
		return MS_EINVAL;

	char ha1[MS_DIGEST_HEX_SIZE], made[33];
	int rc;
	if (cr->ha1.len) {
		rc = ms__digest_lower_hex(cr->ha1, ms_digest_hex_len(alg), ha1) ? 0 : MS_EINVAL;
	} else {
		/* HA1 = H(username:unq(realm):password) */
		const struct ms__dpart p[] = { { cr->username, false },
					       { challenge->realm, true },
					       { cr->password, false } };
		rc = ms__digest_hash(alg, p, 3, ha1);
	}
	struct ms_str cnonce = cr->cnonce;
	if (!rc && !cnonce.len) {
		unsigned char r[16];
		rc = ms__digest_random(r, sizeof r);
		if (!rc)
			ms__digest_hex(r, sizeof r, made);
		cnonce = (struct ms_str){ made, 32 };
	}
	size_t len = out->len;
	if (!rc)
		rc = build(out, challenge, cr, req, alg, qop, cnonce, ha1);
	if (rc)
		out->len = len;
	OPENSSL_cleanse(ha1, sizeof ha1);
	return rc;
}
