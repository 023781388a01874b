/* Stateless digest nonces: a server remembers nothing about the nonces it
 * hands out, yet knows its own from forgeries and old ones from fresh.
 *
 * A nonce is 32 bytes in lowercase hex:
 *	issue time (8 bytes, big-endian seconds) | 8 random bytes |
 *	the first 16 bytes of HMAC-SHA256(secret, time | random | realm)
 * The random bytes make two nonces of the same second differ (a client's
 * nonce-count table is keyed by nonce); the MAC binds both and the realm to
 * the secret, so a changed byte, another realm or another server's secret
 * makes it fail; 128 bits of MAC are more than an attacker can guess. The
 * time is in the clear: it tells nothing a Date header would not. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "auth/digest_private.h"

#define HEAD 16 /* time and random bytes */
#define TAG 16  /* the MAC, truncated */

/* HMAC-SHA256(secret, head | realm), truncated to TAG bytes. */
static int mac(struct ms_str secret, const unsigned char head[HEAD], struct ms_str realm,
	       unsigned char tag[TAG])
{
	unsigned char full[32];
	size_t n = 0;
	int rc = MS_ENOMEM;
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	if (c && EVP_MAC_init(c, (const unsigned char *)secret.s, secret.len, params) &&
	    EVP_MAC_update(c, head, HEAD) &&
	    (!realm.len || EVP_MAC_update(c, (const unsigned char *)realm.s, realm.len)) &&
	    EVP_MAC_final(c, full, &n, sizeof full) && n == sizeof full) {
		memcpy(tag, full, TAG);
		rc = 0;
	}
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	return rc;
}

int ms_digest_nonce_make(struct ms_str secret, struct ms_str realm, int64_t now,
			 char out[MS_DIGEST_NONCE_SIZE])
{
	if (secret.len < MS_DIGEST_SECRET_MIN)
		return MS_EINVAL;
	unsigned char raw[HEAD + TAG];
	uint64_t t = (uint64_t)now;
	for (int i = 0; i < 8; i++)
		raw[i] = (unsigned char)(t >> (56 - 8 * i));
	int rc = ms__digest_random(raw + 8, 8);
	if (!rc)
		rc = mac(secret, raw, realm, raw + HEAD);
	if (!rc)
		ms__digest_hex(raw, sizeof raw, out);
	return rc;
}

/* Lowercase hex only: a nonce has one spelling, so the caller's
 * nonce-count table cannot be walked around by changing case. */
static bool unhex(struct ms_str s, unsigned char *out, size_t n)
{
	if (s.len != 2 * n)
		return false;
	for (size_t i = 0; i < 2 * n; i++) {
		char c = s.s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (v < 0)
			return false;
		out[i / 2] = (unsigned char)(i % 2 ? out[i / 2] << 4 | v : v);
	}
	return true;
}

int ms_digest_nonce_check(struct ms_str secret, struct ms_str realm, struct ms_str nonce, int64_t now,
			  uint32_t max_age, int64_t *issued)
{
	if (secret.len < MS_DIGEST_SECRET_MIN)
		return MS_EINVAL;
	unsigned char raw[HEAD + TAG], tag[TAG];
	if (!unhex(nonce, raw, sizeof raw))
		return MS_DIGEST_NONCE_FORGED;
	int rc = mac(secret, raw, realm, tag);
	if (rc)
		return rc;
	if (CRYPTO_memcmp(tag, raw + HEAD, TAG) != 0)
		return MS_DIGEST_NONCE_FORGED;
	uint64_t t = 0;
	for (int i = 0; i < 8; i++)
		t = t << 8 | raw[i];
	int64_t ts = (int64_t)t;
	if (issued)
		*issued = ts;
	/* The distance either way, without overflow for any two int64_t. */
	uint64_t age = now >= ts ? (uint64_t)now - (uint64_t)ts : (uint64_t)ts - (uint64_t)now;
	return age > max_age ? MS_DIGEST_NONCE_STALE : MS_DIGEST_NONCE_VALID;
}
