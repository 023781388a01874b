/* moonsip: SIP messages.
 *
 * ms_msg_parse() indexes a message in one pass without allocating: the start
 * line, every header (one entry per element of a comma-separated list),
 * Content-Length and the body. Everything is a slice into the caller's
 * buffer, which must outlive the message. Typed views of the headers a proxy
 * needs are parsed on first use and cached in the message.
 *
 *	struct ms_msg m;
 *	ms_msg_init(&m);
 *	if (ms_msg_parse(&m, buf, len, MS_PARSE_DGRAM) < 0 || ms_msg_check(&m) < 0)
 *		reply 400 with ms_msg_error(&m, reason, sizeof reason);
 *	ms_msg_free(&m);  (only needed when a message had very many headers)
 */
#ifndef MOONSIP_MSG_H
#define MOONSIP_MSG_H

#include "moonsip/base.h"
#include "moonsip/hdr.h"
#include "moonsip/uri.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One header value. A field "Via: a, b" gives two entries that share the
 * field's extent. */
struct ms_hdr {
	struct ms_str name;  /* as written */
	struct ms_str value; /* this element, trimmed; may contain folded LWS */
	uint32_t field_off;  /* the whole field line(s), from the name ... */
	uint32_t field_end;  /* ... to just past its CRLF */
	uint16_t type;       /* enum ms_hdr_type */
	uint16_t next;       /* index + 1 of the next entry of this type, 0 = last */
};

/* Headers kept inline; more are taken from the heap up to MS_MSG_MAX_HDRS. */
#define MS_MSG_INLINE_HDRS 48
#define MS_MSG_MAX_HDRS 1024

enum ms_parse_flags {
	/* The buffer is one UDP datagram: a missing Content-Length means the
	 * rest of it, and octets past Content-Length are ignored (§18.3). */
	MS_PARSE_DGRAM = 1,
	/* The buffer is one message framed from a stream: Content-Length is
	 * required and must match exactly. */
	MS_PARSE_STREAM = 2,
};

/* Where and why a parse or check failed. */
struct ms_parse_error {
	const char *what;  /* static text, NULL when no error */
	struct ms_str hdr; /* name of the header at fault, if any */
	uint32_t line;     /* 1-based line of the message */
	uint16_t status;   /* response to send: 400, 505, 416, ..., or 0 to drop */
};

/* Typed views cached in the message (bits of ms_msg.parsed). */
enum {
	MS_MSG_HAVE_RURI = 1u << 0,
	MS_MSG_HAVE_VIA = 1u << 1,
	MS_MSG_HAVE_FROM = 1u << 2,
	MS_MSG_HAVE_TO = 1u << 3,
	MS_MSG_HAVE_CSEQ = 1u << 4,
	MS_MSG_HAVE_CALLID = 1u << 5,
	MS_MSG_HAVE_CONTACT = 1u << 6,
	MS_MSG_HAVE_MAXFWD = 1u << 7,
	MS_MSG_HAVE_EXPIRES = 1u << 8,
	MS_MSG_HAVE_AUTHZ = 1u << 9,
	MS_MSG_HAVE_PROXY_AUTHZ = 1u << 10,
};

struct ms_msg {
	const char *buf; /* start of the message */
	size_t len;      /* through the end of the body */
	bool is_request;

	/* Request line */
	struct ms_str method_s;
	enum ms_method method;
	struct ms_str ruri_s;
	/* Status line */
	uint16_t status;
	struct ms_str reason;
	struct ms_str version; /* "SIP/2.0" */

	size_t hdr_end; /* offset of the empty line ending the headers */
	struct ms_str body;
	bool has_clen;
	uint32_t clen;

	unsigned nhdrs;
	unsigned cap;
	struct ms_hdr *hdrs;           /* hdr_inline or a heap block */
	uint16_t first[MS_HDR__COUNT]; /* index + 1 of the first of each type */
	uint16_t last[MS_HDR__COUNT];

	struct ms_parse_error err;

	/* Cached typed views: read through the accessors below. */
	uint32_t parsed;
	struct ms_uri ruri;
	struct ms_via via; /* the top Via */
	struct ms_nameaddr from, to;
	struct ms_cseq cseq;
	struct ms_str call_id;
	struct ms_contact contact; /* the first Contact */
	uint32_t max_forwards;
	uint32_t expires;
	struct ms_auth authz, proxy_authz; /* the first Authorization, Proxy-Authorization */

	struct ms_hdr hdr_inline[MS_MSG_INLINE_HDRS];
};

/* Once, before the first parse; a message is then parsed again and again
 * (keeping any grown header block) until ms_msg_free(). */
MS_API void ms_msg_init(struct ms_msg *m);
/* Releases the heap block of a message with many headers; the message can
 * be parsed again after. */
MS_API void ms_msg_free(struct ms_msg *m);

/* Parses and indexes one message. Returns the number of bytes it used (for
 * a datagram, trailing octets past Content-Length are not counted), or
 * MS_EBADMSG / MS_EMSGSIZE / MS_ENOMEM with m->err set. */
MS_API int ms_msg_parse(struct ms_msg *m, const char *buf, size_t len, int flags);
/* Makes dst (initialised) the parsed message src as if parsed from 'text',
 * a copy of src's src->len bytes, without parsing again: to keep a message
 * past the life of the bytes it was parsed from. The typed views are parsed
 * again when asked for; src is unchanged. 0, or MS_ENOMEM. */
MS_API int ms_msg_copy(struct ms_msg *dst, const struct ms_msg *src, const char *text);

/* The checks RFC 3261 asks before a message is processed: one each of
 * Call-ID, CSeq, From, To (and at most one Max-Forwards), a parseable top
 * Via, From and To, CSeq method equal to the request method, a usable
 * Request-URI, and every typed header present well-formed. 0, or
 * MS_EBADMSG with m->err set (status 400, 505, or 0 for a response). */
MS_API int ms_msg_check(struct ms_msg *m);

/* Formats m->err as a reason phrase ("Bad CSeq: number too large"). */
MS_API size_t ms_msg_error(const struct ms_msg *m, char *out, size_t size);

/* Iteration over the header entries of one type, in message order:
 *	for (h = ms_msg_hdr(m, MS_HDR_VIA); h; h = ms_msg_hdr_next(m, h)) */
MS_API const struct ms_hdr *ms_msg_hdr(const struct ms_msg *m, enum ms_hdr_type t);
MS_API const struct ms_hdr *ms_msg_hdr_next(const struct ms_msg *m, const struct ms_hdr *h);
/* The first entry with this name, known or not, case-insensitive, compact
 * forms included. */
MS_API const struct ms_hdr *ms_msg_hdr_by_name(const struct ms_msg *m, const char *name, size_t len);
/* How many entries of a type. */
MS_API unsigned ms_msg_hdr_count(const struct ms_msg *m, enum ms_hdr_type t);

/* Typed views, parsed on first use and cached. NULL when the header is
 * missing or malformed (m->err tells which). */
MS_API const struct ms_uri *ms_msg_ruri(struct ms_msg *m);
MS_API const struct ms_via *ms_msg_via(struct ms_msg *m);
MS_API const struct ms_nameaddr *ms_msg_from(struct ms_msg *m);
MS_API const struct ms_nameaddr *ms_msg_to(struct ms_msg *m);
MS_API const struct ms_cseq *ms_msg_cseq(struct ms_msg *m);
MS_API const struct ms_str *ms_msg_call_id(struct ms_msg *m);
MS_API const struct ms_contact *ms_msg_contact(struct ms_msg *m);
/* The first Authorization value, or with 'proxy' the first
 * Proxy-Authorization value. */
MS_API const struct ms_auth *ms_msg_authz(struct ms_msg *m, bool proxy);
/* Max-Forwards and Expires; MS_ENOENT when absent. */
MS_API int ms_msg_max_forwards(struct ms_msg *m, uint32_t *out);
MS_API int ms_msg_expires(struct ms_msg *m, uint32_t *out);

/* The application/sdp part of the body: the body itself when its
 * Content-Type is application/sdp, or the first such part of a multipart
 * body (RFC 5621). MS_ENOENT when there is none. */
MS_API int ms_msg_sdp(const struct ms_msg *m, struct ms_str *out);

/* Multipart bodies: iterates over the parts of 'body' given the boundary.
 * 'pos' starts at 0. Each part's headers and content are returned. */
struct ms_body_part {
	struct ms_str headers; /* raw header block of the part */
	struct ms_str content_type;
	struct ms_str content;
};
MS_API int ms_multipart_next(struct ms_str body, struct ms_str boundary, size_t *pos,
			     struct ms_body_part *part);

#ifdef __cplusplus
}
#endif
#endif
