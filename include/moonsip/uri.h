/* moonsip: URIs (RFC 3261 §19.1, RFC 3966 tel, and any other absolute URI).
 *
 * A parsed URI is a set of slices into the text it was parsed from; escapes
 * stay escaped until ms_uri_unescape() is asked for. */
#ifndef MOONSIP_URI_H
#define MOONSIP_URI_H

#include "moonsip/base.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ms_uri_scheme {
	MS_URI_OTHER = 0, /* any absolute URI: scheme and opaque part only */
	MS_URI_SIP,
	MS_URI_SIPS,
	MS_URI_TEL,
};

enum ms_host_type {
	MS_HOST_NONE = 0,
	MS_HOST_NAME,
	MS_HOST_IPV4,
	MS_HOST_IPV6, /* host holds the reference with its brackets */
};

struct ms_uri {
	enum ms_uri_scheme scheme;
	enum ms_host_type host_type;
	struct ms_str text;     /* the whole URI */
	struct ms_str scheme_s; /* "sip", "sips", "tel", ... as written */
	struct ms_str user;     /* userinfo user (escaped); tel: the number */
	struct ms_str password;
	struct ms_str host;   /* IPv6 with brackets */
	struct ms_str port_s; /* empty when absent */
	uint16_t port;        /* 0 when absent */
	bool has_password;
	bool lr;               /* ;lr present */
	struct ms_str params;  /* ";a=b;c" without the leading ';' (raw) */
	struct ms_str headers; /* "h=v&h2=v2" without the leading '?' (raw) */
	struct ms_str opaque;  /* MS_URI_OTHER: everything after "scheme:" */
	/* The well-known parameters, when present (values escaped). */
	struct ms_str transport, user_param, method, maddr, ttl;
};

/* Parses 'len' bytes at 's' as a whole URI. 0, or MS_EBADMSG with *why set
 * to a short static description of what was wrong. */
MS_API int ms_uri_parse(struct ms_uri *u, const char *s, size_t len, const char **why);

/* RFC 3261 §19.1.4 equivalence: true when a and b name the same resource. */
MS_API bool ms_uri_equal(const struct ms_uri *a, const struct ms_uri *b);

/* Decodes %HH escapes of 's' into 'out' (at least s.len bytes). Returns the
 * decoded length, or MS_EBADMSG on a broken escape. Not recursive: "%2541"
 * decodes to "%41". NUL bytes are kept (the length tells). */
MS_API int ms_uri_unescape(struct ms_str s, char *out);

/* Iterates over ";name[=value]" lists (URI params, header params). 'pos'
 * starts at 0. Returns true and sets name/value (value empty when there is
 * no '='), false at the end. Whitespace around '=' and ';' is skipped. */
MS_API bool ms_param_next(struct ms_str list, size_t *pos, struct ms_str *name, struct ms_str *value);
/* Finds a parameter by case-insensitive name. */
MS_API bool ms_param_find(struct ms_str list, const char *name, struct ms_str *value);

#ifdef __cplusplus
}
#endif
#endif
