/* Digest authentication (RFC 7616, RFC 8760, RFC 3261 §22): the RFCs'
 * worked examples, both sides against each other, and stateless nonces. */
#include <pthread.h>
#include <stdio.h>

#include "auth/nonce_counts.h"
#include "moonsip/digest.h"
#include "test.h"

#define S(z) ((struct ms_str){ (z), strlen(z) })
#define BUF(b) ((struct ms_str){ (b).data, (b).len })

/* RFC 7616 §3.9.1 (the password with a lower-case "of", erratum 4495). */
#define USER "Mufasa"
#define PASS "Circle of Life"
#define REALM "http-auth@example.org"
#define URI "/dir/index.html"
#define NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define RESP_MD5 "8ca523f5e9506fed4657c9700eebdbec"
#define RESP_SHA256 "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"

static const char secret[] = "0123456789abcdef0123456789abcdef"; /* 32 bytes */
#define SECRET ((struct ms_str){ secret, 32 })

static void parse(struct ms_auth *a, const char *value)
{
	const char *why = NULL;
	if (ms_auth_parse(a, S(value), &why) != 0)
		ms_test_fail(__FILE__, __LINE__, "ms_auth_parse: %s: %s", why, value);
}

/* Parses 'out' (a built value) as a credential and checks it. */
static int verify_built(struct ms_buf *out, const struct ms_digest_request *req, const char *ha1)
{
	struct ms_auth cred;
	/* ms_buf is not NUL-terminated: parse the slice. */
	const char *why = NULL;
	if (ms_auth_parse(&cred, BUF(*out), &why) != 0)
		ms_test_fail(__FILE__, __LINE__, "ms_auth_parse: %s: %.*s", why, (int)out->len, out->data);
	return ms_digest_verify(&cred, req, S(ha1));
}

TEST(digest_alg_names)
{
	enum ms_digest_alg a = MS_DIGEST_SHA256;
	ASSERT_INT(ms_digest_alg_parse(MS_STR_NULL, &a), 0);
	ASSERT_INT(a, MS_DIGEST_MD5); /* absent: MD5 */
	ASSERT_INT(ms_digest_alg_parse(S("sha-256"), &a), 0);
	ASSERT_INT(a, MS_DIGEST_SHA256);
	ASSERT_INT(ms_digest_alg_parse(S("md5-SESS"), &a), 0);
	ASSERT_INT(a, MS_DIGEST_MD5_SESS);
	ASSERT_INT(ms_digest_alg_parse(S("SHA-256-sess"), &a), 0);
	ASSERT_INT(a, MS_DIGEST_SHA256_SESS);
	ASSERT_INT(ms_digest_alg_parse(S("SHA-512-256"), &a), MS_ENOTSUP);
	ASSERT_INT(ms_digest_alg_parse(S("SHA256"), &a), MS_ENOTSUP);
	ASSERT_INT(a, MS_DIGEST_SHA256_SESS); /* untouched on failure */
	for (int i = MS_DIGEST_MD5; i <= MS_DIGEST_SHA256_SESS; i++) {
		const char *name = ms_digest_alg_name((enum ms_digest_alg)i);
		ASSERT(name != NULL);
		ASSERT_INT(ms_digest_alg_parse(S(name), &a), 0);
		ASSERT_INT(a, i);
	}
	ASSERT(!strcmp(ms_digest_alg_name(MS_DIGEST_SHA256), "SHA-256"));
	ASSERT(ms_digest_alg_name((enum ms_digest_alg)42) == NULL);
	ASSERT_INT(ms_digest_alg_base(MS_DIGEST_MD5_SESS), MS_DIGEST_MD5);
	ASSERT_INT(ms_digest_alg_base(MS_DIGEST_SHA256_SESS), MS_DIGEST_SHA256);
	ASSERT_INT(ms_digest_hex_len(MS_DIGEST_MD5), 32);
	ASSERT_INT(ms_digest_hex_len(MS_DIGEST_SHA256_SESS), 64);
	ASSERT_INT(ms_digest_hex_len((enum ms_digest_alg)42), 0);
}

TEST(digest_ha1)
{
	char h[MS_DIGEST_HEX_SIZE];
	ASSERT_INT(ms_digest_ha1(MS_DIGEST_MD5, S(USER), S(REALM), S(PASS), h), 0);
	ASSERT(!strcmp(h, "3d78807defe7de2157e2b0b6573a855f"));
	ASSERT_INT(ms_digest_ha1(MS_DIGEST_SHA256, S(USER), S(REALM), S(PASS), h), 0);
	ASSERT(!strcmp(h, "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232"));
	ASSERT_INT(ms_digest_ha1(MS_DIGEST_SHA256_SESS, S(USER), S(REALM), S(PASS), h), 0);
	ASSERT(!strcmp(h, "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232"));
	ASSERT_INT(ms_digest_ha1((enum ms_digest_alg)42, S(USER), S(REALM), S(PASS), h), MS_EINVAL);
}

/* RFC 7616 §3.9.1: the client's answer to the challenge, for MD5 and
 * SHA-256, field for field as the RFC prints it. */
TEST(digest_rfc7616_client)
{
	static const struct {
		const char *alg, *response;
	} cases[] = { { "MD5", RESP_MD5 }, { "SHA-256", RESP_SHA256 } };
	for (size_t i = 0; i < 2; i++) {
		char ch[512], want[768];
		snprintf(ch, sizeof ch,
			 "Digest realm=\"" REALM "\", qop=\"auth, auth-int\", algorithm=%s, nonce=\"" NONCE
			 "\", opaque=\"" OPAQUE "\"",
			 cases[i].alg);
		snprintf(want, sizeof want,
			 "Digest username=\"" USER "\", realm=\"" REALM "\", uri=\"" URI
			 "\", algorithm=%s, nonce=\"" NONCE "\", nc=00000001, cnonce=\"" CNONCE
			 "\", qop=auth, response=\"%s\", opaque=\"" OPAQUE "\"",
			 cases[i].alg, cases[i].response);
		struct ms_auth a;
		parse(&a, ch);
		struct ms_digest_credentials cr = {
			.username = S(USER), .password = S(PASS), .cnonce = S(CNONCE), .nc = 1
		};
		struct ms_digest_request req = { .method = S("GET"), .uri = S(URI) };
		struct ms_buf b;
		ms_buf_init(&b);
		ASSERT_INT(ms_digest_authorize(&b, &a, &cr, &req), 0);
		ASSERT_STR(BUF(b), want);
		/* The same from the HA1 instead of the password. */
		char ha1[MS_DIGEST_HEX_SIZE];
		enum ms_digest_alg alg;
		ASSERT_INT(ms_digest_alg_parse(S(cases[i].alg), &alg), 0);
		ASSERT_INT(ms_digest_ha1(alg, S(USER), S(REALM), S(PASS), ha1), 0);
		cr.password = MS_STR_NULL;
		cr.ha1 = S(ha1);
		b.len = 0;
		ASSERT_INT(ms_digest_authorize(&b, &a, &cr, &req), 0);
		ASSERT_STR(BUF(b), want);
		ms_buf_free(&b);
	}
}

/* RFC 7616 §3.9.1: the server checks the RFC's Authorization values. */
TEST(digest_rfc7616_server)
{
	static const struct {
		enum ms_digest_alg alg;
		const char *name, *response;
	} cases[] = { { MS_DIGEST_MD5, "MD5", RESP_MD5 }, { MS_DIGEST_SHA256, "SHA-256", RESP_SHA256 } };
	for (size_t i = 0; i < 2; i++) {
		char v[768], ha1[MS_DIGEST_HEX_SIZE];
		/* folded over lines as the RFC prints it */
		snprintf(v, sizeof v,
			 "Digest username=\"" USER "\",\r\n    realm=\"" REALM "\",\r\n    uri=\"" URI
			 "\",\r\n    algorithm=%s,\r\n    nonce=\"" NONCE
			 "\",\r\n    nc=00000001,\r\n    cnonce=\"" CNONCE
			 "\",\r\n    qop=auth,\r\n    response=\"%s\",\r\n    opaque=\"" OPAQUE "\"",
			 cases[i].name, cases[i].response);
		struct ms_auth cred;
		parse(&cred, v);
		ASSERT_INT(ms_digest_ha1(cases[i].alg, S(USER), S(REALM), S(PASS), ha1), 0);
		struct ms_digest_request req = { .method = S("GET"), .uri = S(URI) };
		ASSERT_INT(ms_digest_verify(&cred, &req, S(ha1)), MS_DIGEST_OK);
		/* A stored HA1 in capitals is the same HA1. */
		for (char *p = ha1; *p; p++)
			if (*p >= 'a' && *p <= 'f')
				*p = (char)(*p - 'a' + 'A');
		ASSERT_INT(ms_digest_verify(&cred, &req, S(ha1)), MS_DIGEST_OK);
		/* The HA1 of the other hash is the caller's mistake. */
		char other[MS_DIGEST_HEX_SIZE];
		ASSERT_INT(ms_digest_ha1(i ? MS_DIGEST_MD5 : MS_DIGEST_SHA256, S(USER), S(REALM), S(PASS),
					 other),
			   0);
		ASSERT_INT(ms_digest_verify(&cred, &req, S(other)), MS_EINVAL);
		ASSERT_INT(ms_digest_verify(&cred, &req, S("not hex")), MS_EINVAL);
	}
}

/* RFC 2617 §3.5 (qop=auth, MD5, "Circle Of Life") and RFC 2069 §2.4 (no
 * qop), both sides. */
TEST(digest_rfc2617_and_rfc2069)
{
	struct ms_digest_request req = { .method = S("GET"), .uri = S("/dir/index.html") };
	struct ms_auth a;
	struct ms_buf b;
	ms_buf_init(&b);
	char ha1[MS_DIGEST_HEX_SIZE];

	parse(&a,
	      "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
	      "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
	struct ms_digest_credentials cr = {
		.username = S("Mufasa"), .password = S("Circle Of Life"), .cnonce = S("0a4f113b"), .nc = 1
	};
	ASSERT_INT(ms_digest_authorize(&b, &a, &cr, &req), 0);
	/* no algorithm in the challenge: none in the answer */
	ASSERT_STR(
		BUF(b),
		"Digest username=\"Mufasa\", realm=\"testrealm@host.com\", uri=\"/dir/index.html\", "
		"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", nc=00000001, cnonce=\"0a4f113b\", qop=auth, "
		"response=\"6629fae49393a05397450978507c4ef1\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
	ASSERT_INT(
		ms_digest_ha1(MS_DIGEST_MD5, S("Mufasa"), S("testrealm@host.com"), S("Circle Of Life"), ha1),
		0);
	ASSERT_INT(verify_built(&b, &req, ha1), MS_DIGEST_OK);

	/* RFC 2069: no qop, so no nc, cnonce nor qop in the answer. */
	parse(&a,
	      "Digest realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
	      "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
	cr.password = S("CircleOfLife");
	cr.cnonce = MS_STR_NULL;
	b.len = 0;
	ASSERT_INT(ms_digest_authorize(&b, &a, &cr, &req), 0);
	ASSERT_STR(
		BUF(b),
		"Digest username=\"Mufasa\", realm=\"testrealm@host.com\", uri=\"/dir/index.html\", "
		"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
		"response=\"1949323746fe6a43ef61f9606e7febea\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
	ASSERT_INT(ms_digest_ha1(MS_DIGEST_MD5, S("Mufasa"), S("testrealm@host.com"), S("CircleOfLife"), ha1),
		   0);
	ASSERT_INT(verify_built(&b, &req, ha1), MS_DIGEST_OK);
	ms_buf_free(&b);
}

/* Every algorithm, qop=auth and qop=auth-int: what the client builds, the
 * server accepts; and refuses once the body or the method is changed. */
TEST(digest_round_trip)
{
	static const char body[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n";
	for (int alg = MS_DIGEST_MD5; alg <= MS_DIGEST_SHA256_SESS; alg++) {
		for (int qi = 0; qi < 2; qi++) {
			char nonce[MS_DIGEST_NONCE_SIZE], ha1[MS_DIGEST_HEX_SIZE];
			ASSERT_INT(ms_digest_nonce_make(SECRET, S("example.com"), 1000, nonce), 0);
			struct ms_buf ch, b;
			ms_buf_init(&ch);
			ms_buf_init(&b);
			struct ms_digest_challenge c = { .alg = (enum ms_digest_alg)alg,
							 .realm = S("example.com"),
							 .nonce = S(nonce),
							 .opaque = S("op"),
							 .auth_int = qi == 1 };
			ASSERT_INT(ms_digest_challenge_build(&ch, &c), 0);
			struct ms_auth a;
			const char *why;
			ASSERT_INT(ms_auth_parse(&a, BUF(ch), &why), 0);
			if (qi == 1)
				a.qop = S("auth-int"); /* as if only auth-int were offered */
			struct ms_digest_credentials cr = { .username = S("alice"),
							    .password = S("secret"),
							    .nc = 7 };
			struct ms_digest_request req = { .method = S("INVITE"),
							 .uri = S("sip:bob@example.com;transport=tcp"),
							 .body = S(body) };
			ASSERT_INT(ms_digest_authorize(&b, &a, &cr, &req), 0);
			struct ms_auth cred;
			ASSERT_INT(ms_auth_parse(&cred, BUF(b), &why), 0);
			ASSERT_STR(cred.qop, qi ? "auth-int" : "auth");
			ASSERT_STR(cred.nc, "00000007");
			ASSERT_STR(cred.algorithm, ms_digest_alg_name((enum ms_digest_alg)alg));
			ASSERT_STR(cred.opaque, "op");
			ASSERT_INT(cred.cnonce.len, 32); /* generated */
			ASSERT_INT(ms_digest_ha1(ms_digest_alg_base((enum ms_digest_alg)alg), S("alice"),
						 S("example.com"), S("secret"), ha1),
				   0);
			ASSERT_INT(ms_digest_verify(&cred, &req, S(ha1)), MS_DIGEST_OK);
			ASSERT_INT(
				ms_digest_nonce_check(SECRET, S("example.com"), cred.nonce, 1010, 300, NULL),
				MS_DIGEST_NONCE_VALID);
			uint32_t nc = 0;
			ASSERT_INT(ms_digest_nc_parse(cred.nc, &nc), 0);
			ASSERT_INT(nc, 7);
			/* another body: only auth-int protects it */
			struct ms_digest_request other = req;
			other.body = S("v=0\r\n");
			ASSERT_INT(ms_digest_verify(&cred, &other, S(ha1)),
				   qi ? MS_DIGEST_WRONG : MS_DIGEST_OK);
			other = req;
			other.method = S("BYE");
			ASSERT_INT(ms_digest_verify(&cred, &other, S(ha1)), MS_DIGEST_WRONG);
			/* the response in capitals is still the response */
			char up[MS_DIGEST_HEX_SIZE];
			for (size_t i = 0; i < cred.response.len; i++) {
				char x = cred.response.s[i];
				up[i] = x >= 'a' && x <= 'f' ? (char)(x - 'a' + 'A') : x;
			}
			cred.response.s = up;
			ASSERT_INT(ms_digest_verify(&cred, &req, S(ha1)), MS_DIGEST_OK);
			ms_buf_free(&ch);
			ms_buf_free(&b);
		}
	}
}

TEST(digest_wrong_password)
{
	struct ms_auth a;
	parse(&a, "Digest realm=\"example.com\", qop=\"auth\", algorithm=SHA-256, nonce=\"abc\"");
	struct ms_digest_credentials cr = { .username = S("alice"), .password = S("guess"), .nc = 1 };
	struct ms_digest_request req = { .method = S("REGISTER"), .uri = S("sip:example.com") };
	struct ms_buf b;
	ms_buf_init(&b);
	ASSERT_INT(ms_digest_authorize(&b, &a, &cr, &req), 0);
	char ha1[MS_DIGEST_HEX_SIZE];
	ASSERT_INT(ms_digest_ha1(MS_DIGEST_SHA256, S("alice"), S("example.com"), S("secret"), ha1), 0);
	ASSERT_INT(verify_built(&b, &req, ha1), MS_DIGEST_WRONG);
	/* right password, other realm in the stored HA1 */
	b.len = 0;
	cr.password = S("secret");
	ASSERT_INT(ms_digest_authorize(&b, &a, &cr, &req), 0);
	ASSERT_INT(verify_built(&b, &req, ha1), MS_DIGEST_OK);
	ASSERT_INT(ms_digest_ha1(MS_DIGEST_SHA256, S("alice"), S("example.org"), S("secret"), ha1), 0);
	ASSERT_INT(verify_built(&b, &req, ha1), MS_DIGEST_WRONG);
	ms_buf_free(&b);
}

TEST(digest_uri_mismatch)
{
	struct ms_auth a;
	parse(&a, "Digest realm=\"example.com\", qop=\"auth\", nonce=\"abc\"");
	struct ms_digest_credentials cr = { .username = S("alice"), .password = S("secret"), .nc = 1 };
	struct ms_digest_request req = { .method = S("INVITE"), .uri = S("sip:bob@example.com") };
	struct ms_buf b;
	ms_buf_init(&b);
	ASSERT_INT(ms_digest_authorize(&b, &a, &cr, &req), 0);
	char ha1[MS_DIGEST_HEX_SIZE];
	ASSERT_INT(ms_digest_ha1(MS_DIGEST_MD5, S("alice"), S("example.com"), S("secret"), ha1), 0);
	ASSERT_INT(verify_built(&b, &req, ha1), MS_DIGEST_OK);
	struct ms_digest_request other = req;
	other.uri = S("sip:carol@example.com");
	ASSERT_INT(verify_built(&b, &other, ha1), MS_DIGEST_URI_MISMATCH);
	other.uri = S("sip:bob@example.com;transport=udp");
	ASSERT_INT(verify_built(&b, &other, ha1), MS_DIGEST_URI_MISMATCH);
	other.uri = S("sip:bob@EXAMPLE.com"); /* an equal URI, but not the same string */
	ASSERT_INT(verify_built(&b, &other, ha1), MS_DIGEST_URI_MISMATCH);
	other.uri = S("sip:bob@example.co");
	ASSERT_INT(verify_built(&b, &other, ha1), MS_DIGEST_URI_MISMATCH);
	ASSERT(strcmp(ms_digest_result_str(MS_DIGEST_URI_MISMATCH), "unknown") != 0);
	ms_buf_free(&b);
}

/* Quoted-pairs: a user name with '"' and '\' is escaped on the way out and
 * unescaped for the hash on both sides. */
TEST(digest_quoted_pairs)
{
	struct ms_auth a;
	parse(&a, "Digest realm=\"the \\\"best\\\" realm\", qop=auth, nonce=\"n\\\\1\"");
	ASSERT_STR(a.realm, "the \\\"best\\\" realm");
	struct ms_digest_credentials cr = { .username = S("a\"b\\c"), .password = S("pw"), .nc = 1 };
	struct ms_digest_request req = { .method = S("REGISTER"), .uri = S("sip:example.com") };
	struct ms_buf b;
	ms_buf_init(&b);
	ASSERT_INT(ms_digest_authorize(&b, &a, &cr, &req), 0);
	struct ms_auth cred;
	const char *why;
	ASSERT_INT(ms_auth_parse(&cred, BUF(b), &why), 0);
	ASSERT_STR(cred.username, "a\\\"b\\\\c");
	ASSERT_STR(cred.realm, "the \\\"best\\\" realm");
	ASSERT_STR(cred.nonce, "n\\\\1");
	char ha1[MS_DIGEST_HEX_SIZE];
	ASSERT_INT(ms_digest_ha1(MS_DIGEST_MD5, S("a\"b\\c"), S("the \"best\" realm"), S("pw"), ha1), 0);
	ASSERT_INT(ms_digest_verify(&cred, &req, S(ha1)), MS_DIGEST_OK);
	ms_buf_free(&b);
}

/* Inputs longer than the buffer hashes are gathered in (256 bytes), with
 * a quoted-pair across its end and parts that do not fit in it at all:
 * the responses are Python's hashlib's. */
TEST(digest_long_quoted_values)
{
	/* HA1 and ':' take 33 bytes, so the escaped '"' of the nonce is the
	 * buffer's 256th byte; the cnonce (300 bytes) fills it again; the
	 * body (1000 bytes, hashed for auth-int) goes past it. */
	char nonce[260], cnonce[310], body[1001], value[1400];
	memset(nonce, 'n', 222);
	memcpy(nonce + 222, "\\\"", 2);
	memset(nonce + 224, 'm', 20);
	nonce[244] = 0;
	memset(cnonce, 'c', 150);
	memcpy(cnonce + 150, "\\\\", 2);
	memset(cnonce + 152, 'd', 149);
	cnonce[301] = 0;
	memset(body, 'b', 1000);
	body[1000] = 0;
	static const struct {
		const char *qop, *response;
	} cases[] = {
		{ "auth", "c0ce20b8f185cf27242b2231f1019917" },
		{ "auth-int", "456f4a8d76e7edec554ab2b94e0b6cc4" },
	};
	struct ms_digest_request req = { .method = S("REGISTER"), .uri = S("sip:x"), .body = S(body) };
	char ha1[MS_DIGEST_HEX_SIZE];
	ASSERT_INT(ms_digest_ha1(MS_DIGEST_MD5, S("alice"), S("r"), S("pw"), ha1), 0);
	ASSERT(!strcmp(ha1, "ab3fa3c991764b61d9f39c0217daf918"));
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(value, sizeof value,
			 "Digest username=\"alice\", realm=\"r\", nonce=\"%s\", uri=\"sip:x\", "
			 "response=\"%s\", qop=%s, nc=00000001, cnonce=\"%s\"",
			 nonce, cases[i].response, cases[i].qop, cnonce);
		struct ms_auth cred;
		parse(&cred, value);
		ASSERT_INT(ms_digest_verify(&cred, &req, S(ha1)), MS_DIGEST_OK);
	}
}

TEST(digest_verify_malformed)
{
	char ha1[MS_DIGEST_HEX_SIZE];
	ASSERT_INT(ms_digest_ha1(MS_DIGEST_MD5, S("u"), S("r"), S("p"), ha1), 0);
	struct ms_digest_request req = { .method = S("REGISTER"), .uri = S("sip:r") };
	static const struct {
		const char *value;
		int want;
	} cases[] = {
		{ "Basic username=\"u\", realm=\"r\"", MS_DIGEST_UNSUPPORTED },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", algorithm=SHA-512-256, "
		  "response=\"00000000000000000000000000000000\"",
		  MS_DIGEST_UNSUPPORTED },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", qop=auth-conf, "
		  "nc=00000001, "
		  "cnonce=\"c\", response=\"00000000000000000000000000000000\"",
		  MS_DIGEST_UNSUPPORTED },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", userhash=true, "
		  "response=\"00000000000000000000000000000000\"",
		  MS_DIGEST_UNSUPPORTED },
		{ "Digest realm=\"r\", nonce=\"n\", uri=\"sip:r\", "
		  "response=\"00000000000000000000000000000000\"",
		  MS_DIGEST_MALFORMED },
		{ "Digest username=\"u\", nonce=\"n\", uri=\"sip:r\", "
		  "response=\"00000000000000000000000000000000\"",
		  MS_DIGEST_MALFORMED },
		{ "Digest username=\"u\", realm=\"r\", uri=\"sip:r\", "
		  "response=\"00000000000000000000000000000000\"",
		  MS_DIGEST_MALFORMED },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", "
		  "response=\"00000000000000000000000000000000\"",
		  MS_DIGEST_MALFORMED },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\"", MS_DIGEST_MALFORMED },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", response=\"0000\"",
		  MS_DIGEST_MALFORMED },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", "
		  "response=\"0000000000000000000000000000000g\"",
		  MS_DIGEST_MALFORMED },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", algorithm=SHA-256, "
		  "response=\"00000000000000000000000000000000\"",
		  MS_EINVAL }, /* an MD5 HA1 for a SHA-256 credential */
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", qop=auth, nc=00000001, "
		  "response=\"00000000000000000000000000000000\"",
		  MS_DIGEST_MALFORMED }, /* no cnonce */
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", qop=auth, cnonce=\"c\", "
		  "response=\"00000000000000000000000000000000\"",
		  MS_DIGEST_MALFORMED }, /* no nc */
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", qop=auth, nc=1, "
		  "cnonce=\"c\", "
		  "response=\"00000000000000000000000000000000\"",
		  MS_DIGEST_MALFORMED },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", qop=auth, nc=00000000, "
		  "cnonce=\"c\", "
		  "response=\"00000000000000000000000000000000\"",
		  MS_DIGEST_MALFORMED },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", algorithm=MD5-sess, "
		  "response=\"00000000000000000000000000000000\"",
		  MS_DIGEST_MALFORMED }, /* -sess without qop */
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:x\", "
		  "response=\"00000000000000000000000000000000\"",
		  MS_DIGEST_URI_MISMATCH },
		{ "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", "
		  "response=\"00000000000000000000000000000000\"",
		  MS_DIGEST_WRONG },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ms_auth cred;
		parse(&cred, cases[i].value);
		int got = ms_digest_verify(&cred, &req, S(ha1));
		if (got != cases[i].want)
			ms_test_fail(__FILE__, __LINE__, "case %zu: %d (%s), expected %d: %s", i, got,
				     ms_digest_result_str(got), cases[i].want, cases[i].value);
	}
}

TEST(digest_nc_parse)
{
	uint32_t v = 0;
	ASSERT_INT(ms_digest_nc_parse(S("00000001"), &v), 0);
	ASSERT_INT(v, 1);
	ASSERT_INT(ms_digest_nc_parse(S("0000aBcD"), &v), 0);
	ASSERT_INT(v, 0xabcd);
	ASSERT_INT(ms_digest_nc_parse(S("ffffffff"), &v), 0);
	ASSERT_INT(v, 0xffffffffu);
	ASSERT_INT(ms_digest_nc_parse(S("00000000"), &v), MS_ERANGE);
	ASSERT_INT(ms_digest_nc_parse(S("1"), &v), MS_EBADMSG);
	ASSERT_INT(ms_digest_nc_parse(S("000000001"), &v), MS_EBADMSG);
	ASSERT_INT(ms_digest_nc_parse(S("0000000g"), &v), MS_EBADMSG);
	ASSERT_INT(ms_digest_nc_parse(MS_STR_NULL, &v), MS_EBADMSG);
	ASSERT_INT(v, 0xffffffffu);
}

TEST(digest_nonce)
{
	const int64_t t = 1700000000;
	char n[MS_DIGEST_NONCE_SIZE], n2[MS_DIGEST_NONCE_SIZE];
	ASSERT_INT(ms_digest_nonce_make(SECRET, S("example.com"), t, n), 0);
	ASSERT_INT(strlen(n), MS_DIGEST_NONCE_LEN);
	ASSERT_INT(ms_digest_nonce_make(SECRET, S("example.com"), t, n2), 0);
	ASSERT(strcmp(n, n2) != 0); /* same second, another nonce */
	for (const char *p = n; *p; p++)
		ASSERT((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));

	int64_t issued = 0;
	ASSERT_INT(ms_digest_nonce_check(SECRET, S("example.com"), S(n), t, 300, &issued),
		   MS_DIGEST_NONCE_VALID);
	ASSERT_INT(issued, t);
	ASSERT_INT(ms_digest_nonce_check(SECRET, S("example.com"), S(n), t + 300, 300, NULL),
		   MS_DIGEST_NONCE_VALID);
	issued = 0;
	ASSERT_INT(ms_digest_nonce_check(SECRET, S("example.com"), S(n), t + 301, 300, &issued),
		   MS_DIGEST_NONCE_STALE);
	ASSERT_INT(issued, t);
	/* the clock went back: a little is fine, more than max_age is stale */
	ASSERT_INT(ms_digest_nonce_check(SECRET, S("example.com"), S(n), t - 10, 300, NULL),
		   MS_DIGEST_NONCE_VALID);
	ASSERT_INT(ms_digest_nonce_check(SECRET, S("example.com"), S(n), t - 301, 300, NULL),
		   MS_DIGEST_NONCE_STALE);

	/* another realm, another secret */
	ASSERT_INT(ms_digest_nonce_check(SECRET, S("example.org"), S(n), t, 300, NULL),
		   MS_DIGEST_NONCE_FORGED);
	ASSERT_INT(ms_digest_nonce_check(SECRET, S("example.co"), S(n), t, 300, NULL),
		   MS_DIGEST_NONCE_FORGED);
	ASSERT_INT(ms_digest_nonce_check(S("0123456789abcdef0123456789abcdeF"), S("example.com"), S(n), t,
					 300, NULL),
		   MS_DIGEST_NONCE_FORGED);

	/* one character changed, anywhere: to another digit, or to a capital */
	for (size_t i = 0; i < MS_DIGEST_NONCE_LEN; i++) {
		char f[MS_DIGEST_NONCE_SIZE];
		memcpy(f, n, sizeof f);
		f[i] = f[i] == '0' ? '1' : '0';
		issued = -1;
		ASSERT_INT(ms_digest_nonce_check(SECRET, S("example.com"), S(f), t, 300, &issued),
			   MS_DIGEST_NONCE_FORGED);
		ASSERT_INT(issued, -1); /* only set for an authentic nonce */
		memcpy(f, n, sizeof f);
		if (f[i] >= 'a' && f[i] <= 'f') {
			f[i] = (char)(f[i] - 'a' + 'A');
			ASSERT_INT(ms_digest_nonce_check(SECRET, S("example.com"), S(f), t, 300, NULL),
				   MS_DIGEST_NONCE_FORGED);
		}
	}
	/* cut short, made longer, someone else's */
	ASSERT_INT(ms_digest_nonce_check(SECRET, S("example.com"), (struct ms_str){ n, 63 }, t, 300, NULL),
		   MS_DIGEST_NONCE_FORGED);
	char longer[MS_DIGEST_NONCE_SIZE + 1];
	snprintf(longer, sizeof longer, "%s0", n);
	ASSERT_INT(ms_digest_nonce_check(SECRET, S("example.com"), S(longer), t, 300, NULL),
		   MS_DIGEST_NONCE_FORGED);
	ASSERT_INT(ms_digest_nonce_check(SECRET, S("example.com"), S(NONCE), t, 300, NULL),
		   MS_DIGEST_NONCE_FORGED);
	ASSERT_INT(ms_digest_nonce_check(SECRET, S("example.com"), MS_STR_NULL, t, 300, NULL),
		   MS_DIGEST_NONCE_FORGED);

	/* a secret too short to be one */
	ASSERT_INT(ms_digest_nonce_make(S("short"), S("example.com"), t, n2), MS_EINVAL);
	ASSERT_INT(ms_digest_nonce_check(S("short"), S("example.com"), S(n), t, 300, NULL), MS_EINVAL);

	/* any time at all, an empty realm */
	ASSERT_INT(ms_digest_nonce_make(SECRET, MS_STR_NULL, INT64_MIN, n2), 0);
	ASSERT_INT(ms_digest_nonce_check(SECRET, MS_STR_NULL, S(n2), INT64_MAX, 300, &issued),
		   MS_DIGEST_NONCE_STALE);
	ASSERT_INT(issued, INT64_MIN);
}

TEST(digest_challenge_build)
{
	struct ms_buf b;
	ms_buf_init(&b);
	ASSERT_INT(ms_buf_addz(&b, "x"), 0);
	struct ms_digest_challenge c = { .alg = MS_DIGEST_SHA256,
					 .realm = S("example.com"),
					 .nonce = S("abc") };
	ASSERT_INT(ms_digest_challenge_build(&b, &c), 0); /* appends */
	ASSERT_STR(BUF(b), "xDigest realm=\"example.com\", qop=\"auth\", algorithm=SHA-256, nonce=\"abc\"");
	b.len = 0;
	c = (struct ms_digest_challenge){ .alg = MS_DIGEST_MD5,
					  .realm = S("a \"b\""),
					  .nonce = S("abc"),
					  .opaque = S("o\\p"),
					  .auth_int = true,
					  .stale = true };
	ASSERT_INT(ms_digest_challenge_build(&b, &c), 0);
	ASSERT_STR(BUF(b),
		   "Digest realm=\"a \\\"b\\\"\", qop=\"auth,auth-int\", algorithm=MD5, nonce=\"abc\", "
		   "opaque=\"o\\\\p\", stale=true");
	struct ms_auth a;
	const char *why;
	ASSERT_INT(ms_auth_parse(&a, BUF(b), &why), 0);
	ASSERT_STR(a.realm, "a \\\"b\\\"");
	ASSERT_STR(a.qop, "auth,auth-int");
	ASSERT_STR(a.stale, "true");
	ASSERT_STR(a.opaque, "o\\\\p");
	/* an empty opaque is written, an absent one not */
	b.len = 0;
	c = (struct ms_digest_challenge){
		.alg = MS_DIGEST_MD5, .realm = S("r"), .nonce = S("n"), .opaque = S("")
	};
	ASSERT_INT(ms_digest_challenge_build(&b, &c), 0);
	ASSERT_STR(BUF(b), "Digest realm=\"r\", qop=\"auth\", algorithm=MD5, nonce=\"n\", opaque=\"\"");

	/* no header injection, no empty nonce, no such algorithm: nothing written */
	b.len = 0;
	c = (struct ms_digest_challenge){ .alg = MS_DIGEST_MD5,
					  .realm = S("r\r\nX-Evil: 1"),
					  .nonce = S("n") };
	ASSERT_INT(ms_digest_challenge_build(&b, &c), MS_EINVAL);
	c.realm = S("r");
	c.opaque = S("\n");
	ASSERT_INT(ms_digest_challenge_build(&b, &c), MS_EINVAL);
	c.opaque = MS_STR_NULL;
	c.nonce = MS_STR_NULL;
	ASSERT_INT(ms_digest_challenge_build(&b, &c), MS_EINVAL);
	c.nonce = S("n");
	c.alg = (enum ms_digest_alg)42;
	ASSERT_INT(ms_digest_challenge_build(&b, &c), MS_EINVAL);
	ASSERT_INT(b.len, 0);
	ms_buf_free(&b);
}

TEST(digest_authorize_refusals)
{
	struct ms_digest_credentials cr = { .username = S("u"), .password = S("p"), .nc = 1 };
	struct ms_digest_request req = { .method = S("INVITE"), .uri = S("sip:b@example.com") };
	struct ms_buf b;
	ms_buf_init(&b);
	ASSERT_INT(ms_buf_addz(&b, "keep"), 0);
	static const struct {
		const char *challenge;
		int want;
	} cases[] = {
		{ "Basic realm=\"r\"", MS_ENOTSUP },
		{ "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256", MS_ENOTSUP },
		{ "Digest realm=\"r\", nonce=\"n\", qop=\"auth-conf\"", MS_ENOTSUP },
		{ "Digest realm=\"r\", nonce=\"n\", algorithm=MD5-sess", MS_ENOTSUP }, /* -sess needs qop */
		{ "Digest realm=\"r\", qop=\"auth\"", MS_EBADMSG },
		{ "Digest nonce=\"n\", qop=\"auth\"", MS_EBADMSG },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ms_auth a;
		parse(&a, cases[i].challenge);
		int got = ms_digest_authorize(&b, &a, &cr, &req);
		if (got != cases[i].want)
			ms_test_fail(__FILE__, __LINE__, "case %zu: %d, expected %d: %s", i, got,
				     cases[i].want, cases[i].challenge);
	}
	struct ms_auth a;
	parse(&a, "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int, auth\", algorithm=SHA-256");
	struct ms_digest_credentials bad = cr;
	bad.nc = 0;
	ASSERT_INT(ms_digest_authorize(&b, &a, &bad, &req), MS_EINVAL);
	bad = cr;
	bad.username = S("u\r\nVia: x");
	ASSERT_INT(ms_digest_authorize(&b, &a, &bad, &req), MS_EINVAL);
	bad = cr;
	bad.cnonce = S("c\"");
	ASSERT_INT(ms_digest_authorize(&b, &a, &bad, &req), MS_EINVAL);
	bad = cr;
	bad.ha1 = S("3d78807defe7de2157e2b0b6573a855f"); /* an MD5 HA1 for SHA-256 */
	ASSERT_INT(ms_digest_authorize(&b, &a, &bad, &req), MS_EINVAL);
	ASSERT_STR(BUF(b), "keep"); /* nothing written by a failure */

	/* auth preferred over auth-int, wherever it is in the list; nc in hex */
	cr.nc = 255;
	ASSERT_INT(ms_digest_authorize(&b, &a, &cr, &req), 0);
	struct ms_auth cred;
	const char *why;
	ASSERT_INT(ms_auth_parse(&cred, (struct ms_str){ b.data + 4, b.len - 4 }, &why), 0);
	ASSERT_STR(cred.qop, "auth");
	ASSERT_STR(cred.nc, "000000ff");
	/* two answers, two cnonces */
	char c1[32];
	ASSERT_INT(cred.cnonce.len, 32);
	memcpy(c1, cred.cnonce.s, 32); /* b may move */
	size_t mid = b.len;
	ASSERT_INT(ms_digest_authorize(&b, &a, &cr, &req), 0);
	ASSERT_INT(ms_auth_parse(&cred, (struct ms_str){ b.data + mid, b.len - mid }, &why), 0);
	ASSERT_INT(cred.cnonce.len, 32);
	ASSERT(memcmp(c1, cred.cnonce.s, 32) != 0);
	ms_buf_free(&b);
}

/* The nonce-counts of a server: a count is taken once, a higher one after
 * it; stale nonces give their slots up when the table is rebuilt, so it
 * stays at what the nonces in use need. */
TEST(digest_nonce_counts)
{
	struct ms__nonce_counts t;
	ms__nc_init(&t);
	ASSERT(ms__nc_take(&t, "n1", 2, 1, 1300, 1000));
	ASSERT(!ms__nc_take(&t, "n1", 2, 1, 1300, 1000)); /* replayed */
	ASSERT(ms__nc_take(&t, "n2", 2, 1, 1300, 1000));  /* another nonce */
	ASSERT(ms__nc_take(&t, "n1", 2, 2, 1300, 1000));  /* the next count */
	ASSERT(!ms__nc_take(&t, "n1", 2, 2, 1300, 1000));
	ASSERT(!ms__nc_take(&t, "n1", 2, 1, 1300, 1000)); /* a lower one */
	ASSERT(ms__nc_take(&t, "n1", 2, 7, 1300, 1000));  /* counts may skip */
	/* Once stale, a nonce's slot is free for anyone (the nonce itself is
	 * refused as stale before its count is looked at). */
	ASSERT(ms__nc_take(&t, "n1", 2, 1, 2000, 1301));

	/* 100 000 nonces, each used once, a thousand a second with a life of
	 * 60 s: the table keeps about the last minute's, not all of them. */
	char nonce[32];
	for (int i = 0; i < 100000; i++) {
		int n = snprintf(nonce, sizeof nonce, "nonce-%d", i);
		int64_t now = 2000 + i / 1000;
		ASSERT(ms__nc_take(&t, nonce, (size_t)n, 1, now + 60, now));
	}
	ASSERT(ms__nc_size(&t) <= 2 * 61000);
	ASSERT(t.mask + 1 <= 8 * 61000);
	/* the recent ones are still there */
	int n = snprintf(nonce, sizeof nonce, "nonce-%d", 99999);
	ASSERT(!ms__nc_take(&t, nonce, (size_t)n, 1, 2159, 2099));
	ms__nc_free(&t);
}

/* A nonce's MAC is HMAC-SHA256 as RFC 2104 defines it: nonces made by
 * Python's hmac module (a 32-byte and a 100-byte secret, which is hashed
 * first) check as this server's own. */
TEST(digest_nonce_mac_is_hmac_sha256)
{
	int64_t issued = 0;
	ASSERT_INT(
		ms_digest_nonce_check(S("0123456789abcdef0123456789abcdef"), S("example.com"),
				      S("000000006553f100010203040506070871a9bdd9a2667d84466bb35d72d2f15a"),
				      1700000010, 300, &issued),
		MS_DIGEST_NONCE_VALID);
	ASSERT(issued == 1700000000);
	char k[101];
	memset(k, 'k', 100);
	k[100] = 0;
	ASSERT_INT(
		ms_digest_nonce_check((struct ms_str){ k, 100 }, S("example.com"),
				      S("000000006553f1000102030405060708357c8fda93f426d942093856c6bba8cd"),
				      1700000010, 300, &issued),
		MS_DIGEST_NONCE_VALID);
	/* the same nonce for another realm is not ours */
	ASSERT(ms_digest_nonce_check(S("0123456789abcdef0123456789abcdef"), S("example.org"),
				     S("000000006553f100010203040506070871a9bdd9a2667d84466bb35d72d2f15a"),
				     1700000010, 300, &issued) != MS_DIGEST_NONCE_VALID);
}

/* A thread keeps the keyed SHA-256 states of the last secret it made or
 * checked a nonce with: another secret must replace them, and states
 * made again must give the same MACs. */
TEST(digest_nonce_secret_change)
{
	const int64_t t = 1700000000;
	const struct ms_str a = SECRET, b = S("0123456789abcdef0123456789abcdeF");
	const struct ms_str a31 = { secret, 31 }; /* a's first bytes, the key block zero-padded */
	char na[MS_DIGEST_NONCE_SIZE], nb[MS_DIGEST_NONCE_SIZE];
	ASSERT_INT(ms_digest_nonce_make(a, S("example.com"), t, na), 0);
	ASSERT_INT(ms_digest_nonce_check(a, S("example.com"), S(na), t, 300, NULL), MS_DIGEST_NONCE_VALID);
	ASSERT_INT(ms_digest_nonce_check(b, S("example.com"), S(na), t, 300, NULL), MS_DIGEST_NONCE_FORGED);
	ASSERT_INT(ms_digest_nonce_make(b, S("example.com"), t, nb), 0);
	ASSERT_INT(ms_digest_nonce_check(b, S("example.com"), S(nb), t, 300, NULL), MS_DIGEST_NONCE_VALID);
	ASSERT_INT(ms_digest_nonce_check(a, S("example.com"), S(na), t, 300, NULL), MS_DIGEST_NONCE_VALID);
	ASSERT_INT(ms_digest_nonce_check(a, S("example.com"), S(nb), t, 300, NULL), MS_DIGEST_NONCE_FORGED);
	ASSERT_INT(ms_digest_nonce_check(a31, S("example.com"), S(na), t, 300, NULL), MS_DIGEST_NONCE_FORGED);
	ASSERT_INT(ms_digest_nonce_check(b, S("example.com"), S(nb), t, 300, NULL), MS_DIGEST_NONCE_VALID);
	/* Python's nonce (digest_nonce_mac_is_hmac_sha256) after the change */
	ASSERT_INT(
		ms_digest_nonce_check(a, S("example.com"),
				      S("000000006553f100010203040506070871a9bdd9a2667d84466bb35d72d2f15a"),
				      1700000010, 300, NULL),
		MS_DIGEST_NONCE_VALID);

	/* Secrets longer than a block are hashed into the key block: two that
	 * differ in their last byte only are two keys. */
	char la[100], lb[100], nl[MS_DIGEST_NONCE_SIZE];
	memset(la, 'k', sizeof la);
	memcpy(lb, la, sizeof lb);
	lb[99] = 'K';
	const struct ms_str sla = { la, sizeof la }, slb = { lb, sizeof lb };
	ASSERT_INT(ms_digest_nonce_make(sla, S("example.com"), t, nl), 0);
	ASSERT_INT(ms_digest_nonce_check(slb, S("example.com"), S(nl), t, 300, NULL), MS_DIGEST_NONCE_FORGED);
	ASSERT_INT(ms_digest_nonce_check(sla, S("example.com"), S(nl), t, 300, NULL), MS_DIGEST_NONCE_VALID);
	ASSERT_INT(ms_digest_nonce_check(a, S("example.com"), S(nl), t, 300, NULL), MS_DIGEST_NONCE_FORGED);
	ASSERT_INT(ms_digest_nonce_check(a, S("example.com"), S(na), t, 300, NULL), MS_DIGEST_NONCE_VALID);
}

struct nonce_worker {
	struct ms_str secret, other;
	int bad; /* checks that did not come out as they should */
};

static void *nonce_work(void *p)
{
	struct nonce_worker *w = p;
	char n[MS_DIGEST_NONCE_SIZE];
	for (int i = 0; i < 200; i++) {
		if (ms_digest_nonce_make(w->secret, S("example.com"), 1700000000, n) != 0 ||
		    ms_digest_nonce_check(w->secret, S("example.com"), S(n), 1700000000, 300, NULL) !=
			    MS_DIGEST_NONCE_VALID)
			w->bad++;
		if (i % 50 == 0 &&
		    ms_digest_nonce_check(w->other, S("example.com"), S(n), 1700000000, 300, NULL) !=
			    MS_DIGEST_NONCE_FORGED)
			w->bad++;
	}
	return NULL;
}

/* Threads with secrets of their own, at once: each thread's states are
 * its own (and freed when it ends: the ASan build finds a leak if not). */
TEST(digest_nonce_threads)
{
	struct nonce_worker w[3] = {
		{ SECRET, S("0123456789abcdef0123456789abcdeF"), 0 },
		{ S("0123456789abcdef0123456789abcdeF"), SECRET, 0 },
		{ S("another secret of the server's"), SECRET, 0 },
	};
	pthread_t th[3];
	for (int i = 0; i < 3; i++)
		ASSERT_INT(pthread_create(&th[i], NULL, nonce_work, &w[i]), 0);
	for (int i = 0; i < 3; i++)
		ASSERT_INT(pthread_join(th[i], NULL), 0);
	for (int i = 0; i < 3; i++)
		ASSERT_INT(w[i].bad, 0);
}
