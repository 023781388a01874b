/* moonsip: header types and the typed views of the headers a proxy, a
 * registrar and an authenticator need.
 *
 * Every typed parser takes one header value (one element of a comma list, as
 * the message index splits them) and fills a struct of slices into it. They
 * allocate nothing. On failure they return MS_EBADMSG and set *why to a
 * short static text that can go into a 400 reason phrase. */
#ifndef MOONSIP_HDR_H
#define MOONSIP_HDR_H

#include "moonsip/base.h"
#include "moonsip/uri.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ms_hdr_type {
	MS_HDR_OTHER = 0, /* unknown: kept as it is */
	MS_HDR_ACCEPT,
	MS_HDR_ACCEPT_CONTACT,
	MS_HDR_ACCEPT_ENCODING,
	MS_HDR_ACCEPT_LANGUAGE,
	MS_HDR_ALERT_INFO,
	MS_HDR_ALLOW,
	MS_HDR_ALLOW_EVENTS,
	MS_HDR_AUTHENTICATION_INFO,
	MS_HDR_AUTHORIZATION,
	MS_HDR_CALL_ID,
	MS_HDR_CALL_INFO,
	MS_HDR_CONTACT,
	MS_HDR_CONTENT_DISPOSITION,
	MS_HDR_CONTENT_ENCODING,
	MS_HDR_CONTENT_LANGUAGE,
	MS_HDR_CONTENT_LENGTH,
	MS_HDR_CONTENT_TYPE,
	MS_HDR_CSEQ,
	MS_HDR_DATE,
	MS_HDR_ERROR_INFO,
	MS_HDR_EVENT,
	MS_HDR_EXPIRES,
	MS_HDR_FROM,
	MS_HDR_IDENTITY,
	MS_HDR_IDENTITY_INFO,
	MS_HDR_IN_REPLY_TO,
	MS_HDR_MAX_FORWARDS,
	MS_HDR_MIME_VERSION,
	MS_HDR_MIN_EXPIRES,
	MS_HDR_MIN_SE,
	MS_HDR_ORGANIZATION,
	MS_HDR_PATH,
	MS_HDR_PRIORITY,
	MS_HDR_PROXY_AUTHENTICATE,
	MS_HDR_PROXY_AUTHORIZATION,
	MS_HDR_PROXY_REQUIRE,
	MS_HDR_RACK,
	MS_HDR_REASON,
	MS_HDR_RECORD_ROUTE,
	MS_HDR_REFER_TO,
	MS_HDR_REFERRED_BY,
	MS_HDR_REJECT_CONTACT,
	MS_HDR_REPLACES,
	MS_HDR_REPLY_TO,
	MS_HDR_REQUEST_DISPOSITION,
	MS_HDR_REQUIRE,
	MS_HDR_RETRY_AFTER,
	MS_HDR_ROUTE,
	MS_HDR_RSEQ,
	MS_HDR_SERVER,
	MS_HDR_SERVICE_ROUTE,
	MS_HDR_SESSION_EXPIRES,
	MS_HDR_SIP_ETAG,
	MS_HDR_SIP_IF_MATCH,
	MS_HDR_SUBJECT,
	MS_HDR_SUBSCRIPTION_STATE,
	MS_HDR_SUPPORTED,
	MS_HDR_TIMESTAMP,
	MS_HDR_TO,
	MS_HDR_UNSUPPORTED,
	MS_HDR_USER_AGENT,
	MS_HDR_VIA,
	MS_HDR_WARNING,
	MS_HDR_WWW_AUTHENTICATE,
	MS_HDR__COUNT
};

/* The type of a header name as written ("v", "VIA", "Call-ID", ...). */
MS_API enum ms_hdr_type ms_hdr_lookup(const char *name, size_t len);
/* The canonical full name of a type ("Via"); NULL for MS_HDR_OTHER. */
MS_API const char *ms_hdr_name(enum ms_hdr_type t);
/* Whether values of this type are comma-separated lists that the index
 * splits into one entry per element. */
MS_API bool ms_hdr_is_list(enum ms_hdr_type t);

/* Checks one header value with the parser of its type (a list element, as
 * the message index splits them). 0 for types moonsip does not parse. */
MS_API int ms_hdr_validate(enum ms_hdr_type type, struct ms_str value, const char **why);

/* Request methods. Extension methods are MS_METHOD_OTHER with their text. */
enum ms_method {
	MS_METHOD_OTHER = 0,
	MS_METHOD_INVITE,
	MS_METHOD_ACK,
	MS_METHOD_BYE,
	MS_METHOD_CANCEL,
	MS_METHOD_OPTIONS,
	MS_METHOD_REGISTER,
	MS_METHOD_PRACK,
	MS_METHOD_SUBSCRIBE,
	MS_METHOD_NOTIFY,
	MS_METHOD_PUBLISH,
	MS_METHOD_INFO,
	MS_METHOD_REFER,
	MS_METHOD_MESSAGE,
	MS_METHOD_UPDATE,
};
MS_API enum ms_method ms_method_lookup(struct ms_str name);

struct ms_via {
	struct ms_str protocol;  /* "SIP" */
	struct ms_str version;   /* "2.0" */
	struct ms_str transport; /* "UDP", "TCP", "TLS", "SCTP", "WS", ... */
	struct ms_str host;      /* sent-by host; IPv6 with brackets */
	enum ms_host_type host_type;
	uint16_t port;        /* 0 when absent */
	struct ms_str params; /* raw, without the leading ';' */
	struct ms_str branch, received, rport, maddr, ttl;
	bool has_rport; /* ";rport" with or without a value */
};
MS_API int ms_via_parse(struct ms_via *v, struct ms_str value, const char **why);

/* name-addr or addr-spec with header parameters: To, From, Contact, Route,
 * Record-Route, Path, Reply-To, Refer-To, ... */
struct ms_nameaddr {
	struct ms_str display; /* as written: quoted (with its quotes) or tokens */
	struct ms_uri uri;
	struct ms_str params; /* header params, raw, without the leading ';' */
	struct ms_str tag;    /* ;tag= when present */
	bool bracketed;       /* name-addr form: URI inside <> */
};
MS_API int ms_nameaddr_parse(struct ms_nameaddr *na, struct ms_str value, const char **why);

/* Decodes a display name: strips quotes and quoted-pair escapes into 'out'
 * (at least display.len bytes). Returns the decoded length. */
MS_API size_t ms_display_decode(struct ms_str display, char *out);

struct ms_contact {
	bool star;             /* "Contact: *" */
	struct ms_nameaddr na; /* not set for '*' */
	bool has_expires;
	uint32_t expires;
	int q;                  /* q * 1000, -1 when absent */
	struct ms_str instance; /* +sip.instance, with its quotes */
	struct ms_str reg_id;
};
MS_API int ms_contact_parse(struct ms_contact *c, struct ms_str value, const char **why);

struct ms_cseq {
	uint32_t num;
	struct ms_str method_s;
	enum ms_method method;
};
MS_API int ms_cseq_parse(struct ms_cseq *c, struct ms_str value, const char **why);

/* Call-ID: word [ "@" word ]. Returns the trimmed value. */
MS_API int ms_callid_parse(struct ms_str *out, struct ms_str value, const char **why);

/* A bare 32-bit decimal (Content-Length, Expires, Min-Expires), or one
 * capped at 255 (Max-Forwards). */
MS_API int ms_uint_hdr_parse(uint32_t *out, struct ms_str value, uint32_t max, const char **why);

/* A single token value (Supported, Require, Allow elements, ...). */
MS_API int ms_token_hdr_parse(struct ms_str *out, struct ms_str value, const char **why);

/* Event (RFC 6665): package[.template] with params and id. */
struct ms_event {
	struct ms_str package;
	struct ms_str params;
	struct ms_str id;
};
MS_API int ms_event_parse(struct ms_event *e, struct ms_str value, const char **why);

/* Content-Type: type/subtype with params. */
struct ms_ctype {
	struct ms_str type, subtype;
	struct ms_str params;
	struct ms_str boundary; /* unquoted */
};
MS_API int ms_ctype_parse(struct ms_ctype *c, struct ms_str value, const char **why);

/* Authorization, Proxy-Authorization, WWW-Authenticate, Proxy-Authenticate.
 * Quoted values are returned without their quotes (but with any
 * quoted-pair backslashes still in them). */
struct ms_auth {
	struct ms_str scheme; /* "Digest", or any other scheme */
	struct ms_str params; /* the raw auth-param list */
	struct ms_str username, realm, nonce, uri, response, algorithm;
	struct ms_str cnonce, opaque, qop, nc, stale, domain, userhash;
};
MS_API int ms_auth_parse(struct ms_auth *a, struct ms_str value, const char **why);

/* Iterates over a comma-separated auth-param list as in ms_param_next. */
MS_API bool ms_auth_param_next(struct ms_str list, size_t *pos, struct ms_str *name, struct ms_str *value);

/* Date: rfc1123-date in GMT (RFC 3261 §20.17). Seconds since the epoch. */
MS_API int ms_date_parse(int64_t *out, struct ms_str value, const char **why);

#ifdef __cplusplus
}
#endif
#endif
