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
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/digest_private.h"

#define HEAD 16  /* time and random bytes */
#define TAG 16   /* the MAC, truncated */
#define BLOCK 64 /* SHA-256's block, HMAC's key size */

/* HMAC-SHA256 (RFC 2104) by hand over the SHA-256 fetched once: OpenSSL
 * 3's EVP_MAC looks its algorithms up in the providers at every use. The
 * SHA-256 states after the key's ipad and opad blocks depend on the key
 * alone, so they are kept: a MAC then costs two compressions, not four. */
struct keyed {
	unsigned char k[BLOCK]; /* the key block the states were made from */
	EVP_MD_CTX *in, *out;   /* after k ^ ipad, after k ^ opad */
	EVP_MD_CTX *work;       /* a copy of one of them, being finished */
	bool ready, registered; /* the states are k's; the thread's key holds it */
};

/* Frees the states (OpenSSL cleanses a context it frees) and the key. */
static void keyed_clear(void *p)
{
	struct keyed *c = p;
	EVP_MD_CTX_free(c->in);
	EVP_MD_CTX_free(c->out);
	EVP_MD_CTX_free(c->work);
	c->in = c->out = c->work = NULL;
	c->ready = false;
	OPENSSL_cleanse(c->k, sizeof c->k);
}

/* Makes c's states for the key block k. */
static int keyed_set(struct keyed *c, const unsigned char k[BLOCK], const EVP_MD *md)
{
	unsigned char pad[BLOCK];
	c->ready = false;
	if (!c->in)
		c->in = EVP_MD_CTX_new();
	if (!c->out)
		c->out = EVP_MD_CTX_new();
	if (!c->work)
		c->work = EVP_MD_CTX_new();
	if (!c->in || !c->out || !c->work)
		return MS_ENOMEM;
	for (int i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	bool ok = EVP_DigestInit_ex(c->in, md, NULL) && EVP_DigestUpdate(c->in, pad, BLOCK);
	for (int i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	ok = ok && EVP_DigestInit_ex(c->out, md, NULL) && EVP_DigestUpdate(c->out, pad, BLOCK);
	OPENSSL_cleanse(pad, sizeof pad);
	if (!ok)
		return MS_ENOMEM;
	memcpy(c->k, k, BLOCK);
	c->ready = true;
	return 0;
}

/* The thread's keyed states, kept for the last key it used: a thread's
 * own, so that no lock is taken, and an embedder's threads with their
 * own secrets do not undo each other's. A thread's are freed when it
 * ends (the key's destructor), the exiting thread's at exit; the atexit
 * handler also runs when a shared libmoonsip is unloaded, and deletes
 * the key so that no destructor is left pointing into it. */
static pthread_key_t cache_key;
static atomic_bool cache_on;
static _Thread_local struct keyed cache;

static void cache_exit(void)
{
	atomic_store(&cache_on, false);
	keyed_clear(&cache);
	pthread_key_delete(cache_key);
}

/* Called after SHA-256 was fetched, so after OpenSSL registered its own
 * atexit cleanup: cache_exit runs before it, while OpenSSL still works. */
static void cache_init(void)
{
	if (pthread_key_create(&cache_key, keyed_clear) != 0)
		return;
	if (atexit(cache_exit) == 0)
		atomic_store(&cache_on, true);
	else
		pthread_key_delete(cache_key);
}

/* The thread's cache; NULL when there is none (then the caller makes the
 * states for the one MAC). */
static struct keyed *thread_cache(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, cache_init);
	if (!atomic_load(&cache_on))
		return NULL;
	if (!cache.registered) {
		if (pthread_setspecific(cache_key, &cache) != 0)
			return NULL;
		cache.registered = true;
	}
	return &cache;
}

/* The HMAC key block of 'secret': the secret padded with zeros, or its
 * hash when it is longer than a block. */
static int key_block(struct ms_str secret, const EVP_MD *md, unsigned char k[BLOCK])
{
	unsigned n = 0;
	memset(k, 0, BLOCK);
	if (secret.len <= BLOCK) {
		memcpy(k, secret.s, secret.len);
		return 0;
	}
	return EVP_Digest(secret.s, secret.len, k, &n, md, NULL) ? 0 : MS_ENOMEM;
}

/* Whether two key blocks are the same, in constant time, a word at a
 * time (CRYPTO_memcmp goes a byte at a time: 7 instructions a byte). */
static bool same_key(const unsigned char a[BLOCK], const unsigned char b[BLOCK])
{
	uint64_t d = 0;
	for (int i = 0; i < BLOCK; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		d |= x ^ y;
	}
	return d == 0;
}

/* The MAC with c's states: finish a copy of the inner one with the
 * message, then a copy of the outer one with the inner hash. */
static int keyed_mac(struct keyed *c, const unsigned char head[HEAD], struct ms_str realm,
		     unsigned char tag[TAG])
{
	unsigned char inner[32], full[32];
	unsigned n = 0, m = 0;
	if (!EVP_MD_CTX_copy_ex(c->work, c->in) || !EVP_DigestUpdate(c->work, head, HEAD) ||
	    (realm.len && !EVP_DigestUpdate(c->work, realm.s, realm.len)) ||
	    !EVP_DigestFinal_ex(c->work, inner, &n) || n != sizeof inner ||
	    !EVP_MD_CTX_copy_ex(c->work, c->out) || !EVP_DigestUpdate(c->work, inner, sizeof inner) ||
	    !EVP_DigestFinal_ex(c->work, full, &m) || m != sizeof full)
		return MS_ENOMEM;
	memcpy(tag, full, TAG);
	return 0;
}

/* HMAC-SHA256(secret, head | realm), truncated to TAG bytes. */
static int mac(struct ms_str secret, const unsigned char head[HEAD], struct ms_str realm,
	       unsigned char tag[TAG])
{
	const EVP_MD *md = ms__digest_md(true);
	unsigned char k[BLOCK];
	if (!md)
		return MS_ENOMEM;
	if (key_block(secret, md, k) != 0) {
		OPENSSL_cleanse(k, sizeof k);
		return MS_ENOMEM;
	}
	struct keyed one = { 0 }, *c = thread_cache();
	if (!c)
		c = &one;
	int rc = 0;
	if (!c->ready || !same_key(c->k, k))
		rc = keyed_set(c, k, md);
	if (!rc)
		rc = keyed_mac(c, head, realm, tag);
	OPENSSL_cleanse(k, sizeof k);
	if (c == &one)
		keyed_clear(&one);
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
