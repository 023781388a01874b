/* Internals shared by the digest files: hashing, hex and quoting. */
#ifndef MS_CORE_DIGEST_PRIVATE_H
#define MS_CORE_DIGEST_PRIVATE_H

#include "moonsip/digest.h"

/* One input of a hash, joined to the others by ':'. 'quoted': a value from
 * a struct ms_auth, whose quoted-pair backslashes are not hashed. */
struct ms__dpart {
	struct ms_str s;
	bool quoted;
};

/* What a response is computed from (RFC 7616 §3.4.1). */
struct ms__digest_in {
	enum ms_digest_alg alg;
	const char *ha1; /* lowercase hex of the base hash, NUL-terminated */
	struct ms__dpart nonce, cnonce, uri;
	struct ms_str nc, qop; /* qop empty: the RFC 2069 form, nc and cnonce unused */
	struct ms_str method, body;
};

/* H(p[0] ":" p[1] ":" ...) in lowercase hex. 0, MS_EINVAL for a bad
 * algorithm, MS_ENOTSUP when OpenSSL refuses the hash, MS_ENOMEM. */
int ms__digest_hash(enum ms_digest_alg alg, const struct ms__dpart *p, size_t n,
		    char hex[MS_DIGEST_HEX_SIZE]);
/* The request-digest, with the same codes. */
int ms__digest_response(const struct ms__digest_in *in, char hex[MS_DIGEST_HEX_SIZE]);

/* OpenSSL's MD5 or SHA-256, fetched once for the process: with OpenSSL 3
 * a hash given as EVP_md5() is looked up in the providers at every
 * EVP_DigestInit_ex, and an HMAC fetched per call costs more than the
 * hashing. NULL when OpenSSL has no such hash. */
const struct evp_md_st *ms__digest_md(bool sha256);

/* n bytes as 2n lowercase hex digits and a NUL. */
void ms__digest_hex(const unsigned char *p, size_t n, char *out);
/* Copies 'in', 'len' hex digits of either case, into 'out' in lowercase
 * with a NUL; false when it is anything else. */
bool ms__digest_lower_hex(struct ms_str in, size_t len, char out[MS_DIGEST_HEX_SIZE]);

/* Whether a caller's string holds no control character (HTAB aside), so
 * that it can go into a header. */
bool ms__digest_plain(struct ms_str s);
/* Appends prefix name="v": 'v' escaped (plain text) or as it is (a value
 * from a struct ms_auth, still escaped). */
int ms__digest_add_quoted(struct ms_buf *b, const char *prefix, const char *name, struct ms_str v,
			  bool escape);

/* n random bytes from getrandom(); MS_EAGAIN when there are none. */
int ms__digest_random(void *p, size_t n);

#endif
