/* moonsip: digest authentication (RFC 3261 §22, RFC 7616, RFC 8760) with
 * MD5 and SHA-256: the hashes, stateless nonces, challenges, and both sides
 * of the exchange. Pure computation: no I/O, no state kept between calls,
 * nothing global.
 *
 * A server (a registrar, a proxy) keeps, per user and realm, the HA1 of
 * each hash it offers (ms_digest_ha1(): never the password), and one secret
 * of its own: random bytes (32 are plenty) kept in its database, so that
 * nonces survive a restart and servers sharing the secret accept each
 * other's nonces. A request without credentials gets a 401 (a proxy: 407)
 * with one challenge per algorithm, SHA-256 first (RFC 8760 §2.4):
 *
 *	ms_digest_nonce_make(secret, realm, now, nonce);
 *	ms_digest_challenge_build(&b, &(struct ms_digest_challenge){ .alg = MS_DIGEST_SHA256,
 *				  .realm = realm, .nonce = { nonce, MS_DIGEST_NONCE_LEN } });
 *	  -> WWW-Authenticate: b;  the same with MS_DIGEST_MD5 -> a second WWW-Authenticate
 *
 * When the request comes back with an Authorization (a proxy:
 * Proxy-Authorization) parsed with ms_auth_parse() into 'cred':
 *
 *	1. ms_digest_alg_parse(cred.algorithm, &alg); MS_ENOTSUP: challenge again;
 *	2. cred.realm is one of the server's realms, and it looks up the HA1 of
 *	   cred.username in that realm for the hash ms_digest_alg_base(alg);
 *	   an unknown user gets a challenge like any wrong password;
 *	3. ms_digest_verify(&cred, &req, ha1): MS_DIGEST_OK, or the reason to
 *	   refuse (see enum ms_digest_result);
 *	4. ms_digest_nonce_check(secret, realm, cred.nonce, now, max_age, &issued):
 *	   STALE: a new challenge with stale=true (the client retries without
 *	   asking its user); FORGED: a new challenge;
 *	5. replays: ms_digest_nc_parse(cred.nc) must be above the count last
 *	   seen with cred.nonce, in a table kept by the caller, whose entries
 *	   may go at issued + max_age (the nonce is stale from then on). A
 *	   credential without qop (the RFC 2069 form, cred.qop empty) has no
 *	   count: the caller either accepts that it can be replayed until its
 *	   nonce is stale, or refuses it.
 *
 * A client (the embedding API's user agent) answers a 401/407 with
 * ms_digest_authorize() on the first challenge it supports, top down;
 * the next request on the same nonce counts nc up by one.
 *
 * Strings. Values taken from a struct ms_auth are as ms_auth_parse() left
 * them: without their quotes but with any quoted-pair backslashes, which
 * are removed where a value is hashed or compared, and kept where it is
 * echoed. Values the caller gives (user names, passwords, realms, URIs,
 * nonces) are plain text, escaped where they are written into a quoted
 * string; a control character in one (CR, LF, NUL...) is refused with
 * MS_EINVAL, so that no header can be injected. Every argument is borrowed
 * for the call only. Functions that build a header value append it to a
 * struct ms_buf (not NUL-terminated), and on failure leave the buffer as
 * it was. */
#ifndef MOONSIP_DIGEST_H
#define MOONSIP_DIGEST_H

#include <stdint.h>

#include "moonsip/base.h"
#include "moonsip/hdr.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A hash in lowercase hex, NUL-terminated: 32 digits for MD5, 64 for
 * SHA-256. The size of every hex output buffer here. */
#define MS_DIGEST_HEX_SIZE 65

/* The algorithm parameter. The "-sess" variants (RFC 7616 §3.4.2) hash
 * HA1 once more with the nonce and cnonce; they use the HA1 of their base
 * hash. */
enum ms_digest_alg {
	MS_DIGEST_MD5 = 0,
	MS_DIGEST_SHA256,
	MS_DIGEST_MD5_SESS,
	MS_DIGEST_SHA256_SESS,
};

/* The algorithm named by an algorithm parameter, ASCII case-insensitive:
 * "MD5", "MD5-sess", "SHA-256", "SHA-256-sess"; an empty or absent one
 * (MS_STR_NULL) is MD5, the RFC's default. MS_ENOTSUP for any other name
 * (SHA-512-256 among them). */
MS_API int ms_digest_alg_parse(struct ms_str name, enum ms_digest_alg *out);
/* The name as written in a header ("SHA-256"); NULL for no such value. */
MS_API const char *ms_digest_alg_name(enum ms_digest_alg alg);
/* The algorithm whose HA1 'alg' uses: MS_DIGEST_MD5 or MS_DIGEST_SHA256. */
MS_API enum ms_digest_alg ms_digest_alg_base(enum ms_digest_alg alg);
/* The length of the algorithm's hashes in hex: 32 or 64 (0 for no such
 * value). */
MS_API size_t ms_digest_hex_len(enum ms_digest_alg alg);

/* HA1 = H(username ":" realm ":" password) in lowercase hex into 'out'
 * (MS_DIGEST_HEX_SIZE bytes, NUL-terminated), what a server stores instead
 * of the password: one per base hash (MS_DIGEST_MD5, MS_DIGEST_SHA256); a
 * "-sess" algorithm gives the same as its base. The three strings are
 * plain text (UTF-8), hashed as they are. 0; MS_EINVAL for a bad
 * algorithm; MS_ENOTSUP when OpenSSL refuses the hash (MD5 under a FIPS
 * provider); MS_ENOMEM. */
MS_API int ms_digest_ha1(enum ms_digest_alg alg, struct ms_str username, struct ms_str realm,
			 struct ms_str password, char out[MS_DIGEST_HEX_SIZE]);

/* The request a credential is for (either side). */
struct ms_digest_request {
	struct ms_str method; /* the method on the request line: "REGISTER" */
	struct ms_str uri;    /* the Request-URI, exactly as on the request line */
	struct ms_str body;   /* the message body, for qop=auth-int (may be empty) */
};

/* Why a server refuses a credential, from ms_digest_verify(). */
enum ms_digest_result {
	MS_DIGEST_OK = 0,       /* the response is right: go on with the nonce check */
	MS_DIGEST_WRONG,        /* the response is not: a wrong password, or another request */
	MS_DIGEST_URI_MISMATCH, /* uri differs from the Request-URI: answer 400 (RFC 7616 §3.4.6) */
	MS_DIGEST_MALFORMED,    /* a field missing or malformed: answer 400 */
	MS_DIGEST_UNSUPPORTED,  /* not Digest, an unknown algorithm or qop, or userhash=true */
};
/* A short text for a result ("wrong response"), for logs and reason
 * phrases; "unknown" for anything else. */
MS_API const char *ms_digest_result_str(int result);

/* Checks the credential 'cred' (an Authorization or Proxy-Authorization
 * value parsed with ms_auth_parse()) of the request 'req' against 'ha1',
 * the stored HA1 (hex, either case) of cred->username and cred->realm for
 * ms_digest_alg_base() of the credential's algorithm. In order:
 *  - MS_DIGEST_UNSUPPORTED: a scheme other than Digest, an algorithm
 *    ms_digest_alg_parse() does not know, a qop other than auth or
 *    auth-int, or userhash=true;
 *  - MS_DIGEST_MALFORMED: username, realm, nonce, uri or response missing;
 *    a response that is not a hash of the algorithm's length in hex; with
 *    qop, a cnonce missing or an nc that ms_digest_nc_parse() refuses; a
 *    "-sess" algorithm without qop;
 *  - MS_DIGEST_URI_MISMATCH: cred->uri is not the same string as req->uri
 *    (RFC 3261 §22.4: the digest-uri is the Request-URI the client sent;
 *    compared byte for byte once unescaped, not by the rules of URI
 *    equality);
 *  - MS_DIGEST_WRONG: the response is not the one RFC 7616 §3.4.1 gives;
 *    the comparison takes the same time wherever the first difference is
 *    (CRYPTO_memcmp);
 *  - MS_DIGEST_OK.
 * The nonce is not looked at: that is ms_digest_nonce_check(), nor is the
 * realm compared with the server's, nor the qop with the ones offered (a
 * server that offered only auth-int checks cred->qop itself). Negative:
 * MS_EINVAL when 'ha1' is not a hash of the right length in hex (or an
 * argument is NULL), MS_ENOTSUP when OpenSSL refuses the hash, MS_ENOMEM. */
MS_API int ms_digest_verify(const struct ms_auth *cred, const struct ms_digest_request *req,
			    struct ms_str ha1);

/* A nonce-count (nc): exactly 8 hex digits, either case, counting from 1.
 * 0; MS_EBADMSG when it is not 8 hex digits; MS_ERANGE for 00000000. */
MS_API int ms_digest_nc_parse(struct ms_str nc, uint32_t *out);

/* Stateless nonces: the issue time, 8 random bytes and an HMAC-SHA256 of
 * both and the realm under the server's secret, 128 bits of it kept, the
 * 32 bytes in lowercase hex. Only the secret's holder makes a nonce that
 * checks; a nonce is bound to its realm; its age is read back from it. */
#define MS_DIGEST_NONCE_LEN 64
#define MS_DIGEST_NONCE_SIZE (MS_DIGEST_NONCE_LEN + 1)
/* Shortest secret accepted, in bytes. */
#define MS_DIGEST_SECRET_MIN 16

/* A new nonce for 'realm' (plain text, the one challenged with) issued at
 * 'now' (seconds, any epoch the caller keeps to, as long as checks use the
 * same), into 'out' (MS_DIGEST_NONCE_SIZE bytes, NUL-terminated). 'secret'
 * is the server's secret, at least MS_DIGEST_SECRET_MIN bytes of any
 * value. 0; MS_EINVAL for a short secret; MS_EAGAIN when the system gives
 * no random bytes; MS_ENOMEM. */
MS_API int ms_digest_nonce_make(struct ms_str secret, struct ms_str realm, int64_t now,
				char out[MS_DIGEST_NONCE_SIZE]);

enum ms_digest_nonce_state {
	MS_DIGEST_NONCE_VALID = 0, /* made with this secret and realm, at most max_age ago */
	MS_DIGEST_NONCE_STALE,     /* made with this secret and realm, but older: stale=true */
	MS_DIGEST_NONCE_FORGED,    /* not one of ours (or another realm's, or altered) */
};

/* Checks 'nonce' (cred->nonce) against the secret and realm it should have
 * been made with, at 'now'. A nonce is stale when more than 'max_age'
 * seconds have passed since it was made (or when it was made more than
 * max_age seconds ahead of 'now', the clock having gone back). *issued
 * (when not NULL) is set to the issue time of an authentic nonce. Returns
 * an enum ms_digest_nonce_state, or MS_EINVAL for a short secret, MS_ENOMEM. */
MS_API int ms_digest_nonce_check(struct ms_str secret, struct ms_str realm, struct ms_str nonce, int64_t now,
				 uint32_t max_age, int64_t *issued);

/* A challenge of the server. */
struct ms_digest_challenge {
	enum ms_digest_alg alg;
	struct ms_str realm;  /* plain text */
	struct ms_str nonce;  /* from ms_digest_nonce_make() */
	struct ms_str opaque; /* plain text, returned unchanged by the client; MS_STR_NULL: none */
	bool auth_int;        /* offer qop="auth,auth-int" rather than qop="auth" */
	bool stale;           /* stale=true: the nonce the client used was stale */
};

/* Appends the value of a WWW-Authenticate or Proxy-Authenticate header for
 * 'c' to 'out':
 *	Digest realm="r", qop="auth", algorithm=SHA-256, nonce="n"[, opaque="o"][, stale=true]
 * 0; MS_EINVAL for a bad algorithm, an empty nonce or a control character
 * in a string; MS_ENOMEM. */
MS_API int ms_digest_challenge_build(struct ms_buf *out, const struct ms_digest_challenge *c);

/* What a client answers a challenge with. */
struct ms_digest_credentials {
	struct ms_str username; /* plain text */
	struct ms_str password; /* plain text; used when 'ha1' is empty */
	/* Or the HA1 (hex) for the challenge's realm and the base hash of its
	 * algorithm, so that the client need not keep the password. */
	struct ms_str ha1;
	/* The client nonce; MS_STR_NULL: 16 random bytes in hex. Plain text
	 * without '"' or '\\'. */
	struct ms_str cnonce;
	uint32_t nc; /* how many requests this nonce has been used in, this one included: 1 first */
};

/* Appends to 'out' the value of an Authorization (for a WWW-Authenticate
 * challenge) or Proxy-Authorization (for a Proxy-Authenticate) header that
 * answers 'challenge' (parsed with ms_auth_parse()) for 'req':
 *	Digest username="u", realm="r", uri="sip:...", algorithm=MD5, nonce="n",
 *	nc=00000001, cnonce="c", qop=auth, response="...", opaque="o"
 * The qop is auth when the challenge offers it, else auth-int when it
 * offers that (hashing req->body); a challenge without qop is answered in
 * the RFC 2069 form, without qop, nc and cnonce. The algorithm is written
 * (by its name from ms_digest_alg_name()) when the challenge named one, the
 * opaque echoed when it had one. 0; MS_ENOTSUP for a challenge this cannot
 * answer (not Digest, an unknown algorithm, a qop list with neither auth
 * nor auth-int, a "-sess" algorithm without qop): try the next; MS_EBADMSG
 * for a challenge without realm or nonce; MS_EINVAL for nc 0, an 'ha1' of
 * the wrong length, a control character in a string, '"' or '\\' in a
 * cnonce; MS_EAGAIN when a cnonce was to be made and the system gives no
 * random bytes; MS_ENOMEM. */
MS_API int ms_digest_authorize(struct ms_buf *out, const struct ms_auth *challenge,
			       const struct ms_digest_credentials *cr, const struct ms_digest_request *req);

#ifdef __cplusplus
}
#endif
#endif
