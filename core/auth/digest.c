/* Digest algorithms and the hashes of RFC 7616 §3.4: H, HA1, HA2 and the
 * request-digest, through OpenSSL's EVP; and the hex and quoting helpers
 * the server and client sides share. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth/digest_private.h"
#include "base/str.h"

static const char *const alg_names[] = {
	[MS_DIGEST_MD5] = "MD5",
	[MS_DIGEST_SHA256] = "SHA-256",
	[MS_DIGEST_MD5_SESS] = "MD5-sess",
	[MS_DIGEST_SHA256_SESS] = "SHA-256-sess",
};
#define N_ALGS (sizeof alg_names / sizeof alg_names[0])

int ms_digest_alg_parse(struct ms_str name, enum ms_digest_alg *out)
{
	if (name.len == 0) {
		*out = MS_DIGEST_MD5;
		return 0;
	}
	for (size_t i = 0; i < N_ALGS; i++)
		if (ms_str_ieqz(name, alg_names[i])) {
			*out = (enum ms_digest_alg)i;
			return 0;
		}
	return MS_ENOTSUP;
}

const char *ms_digest_alg_name(enum ms_digest_alg alg)
{
	return (unsigned)alg < N_ALGS ? alg_names[alg] : NULL;
}

enum ms_digest_alg ms_digest_alg_base(enum ms_digest_alg alg)
{
	return alg == MS_DIGEST_SHA256 || alg == MS_DIGEST_SHA256_SESS ? MS_DIGEST_SHA256 : MS_DIGEST_MD5;
}

size_t ms_digest_hex_len(enum ms_digest_alg alg)
{
	if ((unsigned)alg >= N_ALGS)
		return 0;
	return ms_digest_alg_base(alg) == MS_DIGEST_SHA256 ? 64 : 32;
}

static EVP_MD *mds[2];

static void fetch_mds(void)
{
	mds[0] = EVP_MD_fetch(NULL, "MD5", NULL);
	mds[1] = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *ms__digest_md(bool sha256)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, fetch_mds);
	return mds[sha256];
}

static const EVP_MD *md_of(enum ms_digest_alg alg)
{
	if ((unsigned)alg >= N_ALGS)
		return NULL;
	return ms__digest_md(ms_digest_alg_base(alg) == MS_DIGEST_SHA256);
}

void ms__digest_hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

bool ms__digest_lower_hex(struct ms_str in, size_t len, char out[MS_DIGEST_HEX_SIZE])
{
	if (in.len != len || len >= MS_DIGEST_HEX_SIZE)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (ms__hexval(in.s[i]) < 0)
			return false;
		out[i] = ms__lower(in.s[i]);
	}
	out[len] = '\0';
	return true;
}

/* A hash's input, gathered so that OpenSSL is called once for most
 * hashes rather than about twice a part: an EVP_DigestUpdate costs some
 * 80 instructions before it hashes a byte. It may hold HA1 or a
 * password: cleansed when done. */
struct feed {
	EVP_MD_CTX *c;
	size_t n, top; /* bytes held; the most held, what is cleansed */
	unsigned char buf[256];
};

static bool feed_add(struct feed *f, const char *p, size_t n)
{
	if (n == 0)
		return true;
	if (n > sizeof f->buf - f->n) {
		if (f->n && !EVP_DigestUpdate(f->c, f->buf, f->n))
			return false;
		f->top = f->n > f->top ? f->n : f->top;
		f->n = 0;
		if (n > sizeof f->buf)
			return EVP_DigestUpdate(f->c, p, n);
	}
	memcpy(f->buf + f->n, p, n);
	f->n += n;
	return true;
}

/* Feeds one part, leaving out the backslash of each quoted-pair. */
static bool update(struct feed *f, struct ms__dpart p)
{
	const char *s = p.s.s, *end = s + p.s.len;
	if (!p.quoted)
		return feed_add(f, s, p.s.len);
	while (s < end) {
		const char *bs = memchr(s, '\\', (size_t)(end - s));
		const char *stop = bs ? bs : end;
		if (!feed_add(f, s, (size_t)(stop - s)))
			return false;
		if (!bs)
			break;
		s = bs + 1; /* the escaped character, taken as it is */
		if (s < end && !feed_add(f, s++, 1))
			return false;
	}
	return true;
}

/* ms__digest_hash with the context c (initialised here, so reusable). */
static int hash_with(EVP_MD_CTX *c, enum ms_digest_alg alg, const struct ms__dpart *p, size_t n,
		     char hex[MS_DIGEST_HEX_SIZE])
{
	const EVP_MD *md = md_of(alg);
	if (!md)
		return MS_EINVAL;
	struct feed f = { .c = c, .n = 0, .top = 0 };
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	bool ok = EVP_DigestInit_ex(c, md, NULL);
	for (size_t i = 0; ok && i < n; i++)
		ok = (!i || feed_add(&f, ":", 1)) && update(&f, p[i]);
	ok = ok && (!f.n || EVP_DigestUpdate(c, f.buf, f.n)) && EVP_DigestFinal_ex(c, d, &dlen) &&
		2 * (size_t)dlen < MS_DIGEST_HEX_SIZE;
	OPENSSL_cleanse(f.buf, f.n > f.top ? f.n : f.top);
	if (!ok)
		return MS_ENOTSUP;
	ms__digest_hex(d, dlen, hex);
	return 0;
}

int ms__digest_hash(enum ms_digest_alg alg, const struct ms__dpart *p, size_t n, char hex[MS_DIGEST_HEX_SIZE])
{
	if (!md_of(alg))
		return MS_EINVAL;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c)
		return MS_ENOMEM;
	int rc = hash_with(c, alg, p, n, hex);
	EVP_MD_CTX_free(c);
	return rc;
}

int ms_digest_ha1(enum ms_digest_alg alg, struct ms_str username, struct ms_str realm, struct ms_str password,
		  char out[MS_DIGEST_HEX_SIZE])
{
	const struct ms__dpart p[] = { { username, false }, { realm, false }, { password, false } };
	return ms__digest_hash(alg, p, 3, out);
}

static struct ms__dpart plain(struct ms_str s)
{
	return (struct ms__dpart){ s, false };
}

static struct ms__dpart hex_part(const char *hex)
{
	return (struct ms__dpart){ { hex, strlen(hex) }, false };
}

/* ms__digest_response with one context for its two to four hashes. */
static int response_with(EVP_MD_CTX *c, const struct ms__digest_in *in, char hex[MS_DIGEST_HEX_SIZE])
{
	char sess[MS_DIGEST_HEX_SIZE] = "", ha2[MS_DIGEST_HEX_SIZE], hbody[MS_DIGEST_HEX_SIZE] = "";
	const char *ha1 = in->ha1;
	bool auth_int = ms_str_ieqz(in->qop, "auth-int");
	int rc = 0;
	if (in->alg == MS_DIGEST_MD5_SESS || in->alg == MS_DIGEST_SHA256_SESS) {
		/* HA1 = H(H(username:realm:password):nonce:cnonce) */
		const struct ms__dpart p[] = { hex_part(ha1), in->nonce, in->cnonce };
		rc = hash_with(c, in->alg, p, 3, sess);
		ha1 = sess;
	}
	if (!rc && auth_int)
		rc = hash_with(c, in->alg, &(struct ms__dpart){ in->body, false }, 1, hbody);
	if (!rc) {
		/* HA2 = H(method:uri), or H(method:uri:H(body)) for auth-int */
		const struct ms__dpart p[] = { plain(in->method), in->uri, hex_part(hbody) };
		rc = hash_with(c, in->alg, p, auth_int ? 3 : 2, ha2);
	}
	if (!rc && in->qop.len) {
		/* H(HA1:nonce:nc:cnonce:qop:HA2) */
		const struct ms__dpart p[] = {
			hex_part(ha1), in->nonce, plain(in->nc), in->cnonce, plain(in->qop), hex_part(ha2),
		};
		rc = hash_with(c, in->alg, p, 6, hex);
	} else if (!rc) {
		/* H(HA1:nonce:HA2), RFC 2069 */
		const struct ms__dpart p[] = { hex_part(ha1), in->nonce, hex_part(ha2) };
		rc = hash_with(c, in->alg, p, 3, hex);
	}
	OPENSSL_cleanse(sess, sizeof sess); /* a session key: as good as HA1 for this nonce */
	return rc;
}

int ms__digest_response(const struct ms__digest_in *in, char hex[MS_DIGEST_HEX_SIZE])
{
	if (!md_of(in->alg))
		return MS_EINVAL;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c)
		return MS_ENOMEM;
	int rc = response_with(c, in, hex);
	EVP_MD_CTX_free(c);
	return rc;
}

bool ms__digest_plain(struct ms_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

int ms__digest_add_quoted(struct ms_buf *b, const char *prefix, const char *name, struct ms_str v,
			  bool escape)
{
	/* Pieces, not a printf: this runs for every challenge. */
	int rc = ms_buf_addz(b, prefix);
	rc = rc ? rc : ms_buf_addz(b, name);
	rc = rc ? rc : ms_buf_add(b, "=\"", 2);
	size_t i = 0, run = 0;
	while (!rc && i < v.len) {
		/* a run of characters that need no backslash, then one that does */
		for (run = i; i < v.len && !(escape && (v.s[i] == '"' || v.s[i] == '\\')); i++)
			;
		rc = ms_buf_add(b, v.s + run, i - run);
		if (!rc && i < v.len) {
			rc = ms_buf_add(b, "\\", 1);
			if (!rc)
				rc = ms_buf_add(b, v.s + i++, 1);
		}
	}
	return rc ? rc : ms_buf_add(b, "\"", 1);
}

int ms__digest_random(void *p, size_t n)
{
	unsigned char *c = p;
	while (n) {
		ssize_t r = getrandom(c, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return MS_EAGAIN;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

const char *ms_digest_result_str(int result)
{
	switch (result) {
	case MS_DIGEST_OK: return "ok";
	case MS_DIGEST_WRONG: return "wrong response";
	case MS_DIGEST_URI_MISMATCH: return "digest uri does not match the Request-URI";
	case MS_DIGEST_MALFORMED: return "malformed credentials";
	case MS_DIGEST_UNSUPPORTED: return "unsupported credentials";
	default: return "unknown";
	}
}
