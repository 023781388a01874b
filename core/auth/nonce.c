/* Stateless digest nonces: a server remembers nothing about the nonces it
 * hands out, yet knows its own from forgeries and old ones from fresh.
 *
 * A nonce is 32 bytes in lowercase hex:
 *	issue time (8 bytes, big-endian seconds) | 8 unique bytes |
 *	the first 16 bytes of HMAC-SHA256(secret, time | unique | realm)
 * The unique bytes make two nonces of the same second differ (a client's
 * nonce-count table is keyed by nonce). They are a count that starts at a
 * random place in each process: unique without a system call for every
 * challenge, and they need not be secret, since the MAC is what a forger
 * cannot make. The MAC binds them and the realm to the secret, so a
 * changed byte, another realm or another server's secret makes it fail;
 * 128 bits of MAC are more than an attacker can guess. The
 * time is in the clear: it tells nothing a Date header would not. */
#include <stdatomic.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/digest_private.h"

#define HEAD 16 /* time and random bytes */
#define TAG 16  /* the MAC, truncated */

/* HMAC-SHA256(secret, head | realm), truncated to TAG bytes (RFC 2104,
 * by hand over the SHA-256 fetched once: OpenSSL 3's EVP_MAC looks its
 * algorithms up in the providers at every use). */
static int mac(struct ms_str secret, const unsigned char head[HEAD], struct ms_str realm,
	       unsigned char tag[TAG])
{
	enum { BLOCK = 64 };
	const EVP_MD *md = ms__digest_md(true);
	unsigned char k[BLOCK] = { 0 }, pad[BLOCK], inner[32], full[32];
	unsigned n = 0;
	int rc = MS_ENOMEM;
	EVP_MD_CTX *c = md ? EVP_MD_CTX_new() : NULL;
	if (!c)
		return MS_ENOMEM;
	if (secret.len > BLOCK) { /* a long key is hashed first */
		if (!EVP_Digest(secret.s, secret.len, k, &n, md, NULL))
			goto out;
	} else {
		memcpy(k, secret.s, secret.len);
	}
	for (int i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	if (!EVP_DigestInit_ex(c, md, NULL) || !EVP_DigestUpdate(c, pad, BLOCK) ||
	    !EVP_DigestUpdate(c, head, HEAD) || (realm.len && !EVP_DigestUpdate(c, realm.s, realm.len)) ||
	    !EVP_DigestFinal_ex(c, inner, &n) || n != sizeof inner)
		goto out;
	for (int i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	if (!EVP_DigestInit_ex(c, md, NULL) || !EVP_DigestUpdate(c, pad, BLOCK) ||
	    !EVP_DigestUpdate(c, inner, sizeof inner) || !EVP_DigestFinal_ex(c, full, &n) || n != sizeof full)
		goto out;
	memcpy(tag, full, TAG);
	rc = 0;
out:
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(pad, sizeof pad);
	EVP_MD_CTX_free(c);
	return rc;
}

/* The next value of the process's nonce count. */
static int next_unique(unsigned char out[8])
{
	static _Atomic uint64_t count;
	uint64_t v = atomic_load_explicit(&count, memory_order_relaxed);
	if (v == 0) { /* the first nonce: start at random (0 is "not started") */
		uint64_t seed;
		int rc = ms__digest_random(&seed, sizeof seed);
		if (rc)
			return rc;
		uint64_t expect = 0;
		atomic_compare_exchange_strong(&count, &expect, seed | 1);
	}
	v = atomic_fetch_add_explicit(&count, 1, memory_order_relaxed);
	memcpy(out, &v, 8);
	return 0;
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
	int rc = next_unique(raw + 8);
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
