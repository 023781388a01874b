/* moonsip: SDP session descriptions (RFC 8866), for a proxy and an RTP relay.
 *
 * ms_sdp_parse() indexes a body as an array of lines (type letter and value)
 * without copying it: values are slices into the caller's buffer, which must
 * outlive the struct. Typical bodies need no heap; very long ones take one
 * heap block. Typed views (origin, media, connection, rtpmap, ...) are
 * parsed from the lines on each call.
 *
 * Edits (connection address, port, attributes, ICE removal, version bump)
 * store their new values in an arena owned by the struct whose blocks never
 * move, so every slice handed out stays valid until ms_sdp_free(), even
 * across later edits. ms_sdp_write() writes every line as "x=value\r\n":
 * lines nobody edited come out byte for byte as they came in.
 *
 *	struct ms_sdp sdp;
 *	if (ms_sdp_parse(&sdp, body.s, body.len, &why) == 0) {
 *		ms_sdp_set_conn(&sdp, MS_SDP_SESSION, MS_STR("192.0.2.7"));
 *		ms_sdp_set_port(&sdp, 0, 40000);
 *		ms_sdp_remove_ice(&sdp);
 *		ms_sdp_bump_version(&sdp);
 *		ms_sdp_write(&sdp, &out);
 *	}
 *	ms_sdp_free(&sdp);
 *
 * A "level" argument 'm' is a media index (0 for the first m= line) or
 * MS_SDP_SESSION for the session section. Functions that only make sense
 * for a media section take an unsigned index. */
#ifndef MOONSIP_SDP_H
#define MOONSIP_SDP_H

#include "moonsip/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Lines kept inline in struct ms_sdp; more come from the heap, up to
 * MS_SDP_MAX_LINES (beyond: MS_EMSGSIZE). */
#define MS_SDP_INLINE_LINES 64
#define MS_SDP_INLINE_MEDIA 8
#define MS_SDP_MAX_LINES 1024

#define MS_SDP_SESSION (-1)

struct ms_sdp_line {
	char type;           /* 'v', 'o', 'm', 'a', ... */
	struct ms_str value; /* what follows "x=", without the line end */
};

struct ms_sdp_chunk;

/* The struct points into itself: never copy it, pass a pointer. */
struct ms_sdp {
	struct ms_sdp_line *lines; /* inline_lines or a heap block */
	unsigned nlines, cap;
	unsigned *media; /* index in lines of each m= line */
	unsigned nmedia, media_cap;
	unsigned err_line;          /* failed parse: 1-based line at fault */
	struct ms_sdp_chunk *arena; /* values written by edits */
	unsigned inline_media[MS_SDP_INLINE_MEDIA];
	struct ms_sdp_line inline_lines[MS_SDP_INLINE_LINES];
};

/* Parses an SDP body of 'len' bytes at 's'. The struct needs no setup
 * before; call ms_sdp_free() after, whatever this returned (and before
 * parsing into the same struct again). Lines may end
 * in CRLF or LF, the last one may lack its end, and empty lines at the very
 * end are ignored. Returns 0, or MS_EBADMSG (with *why a static text and
 * sdp->err_line set), MS_EMSGSIZE or MS_ENOMEM. 'why' may be NULL. */
MS_API int ms_sdp_parse(struct ms_sdp *sdp, const char *s, size_t len, const char **why);
/* Releases the heap blocks and the edit arena. Safe to call twice. */
MS_API void ms_sdp_free(struct ms_sdp *sdp);
/* The lines [*begin, *end) of a level; for a media level, *begin is its m=
 * line. MS_ENOENT when there is no such media. */
MS_API int ms_sdp_range(const struct ms_sdp *sdp, int m, unsigned *begin, unsigned *end);

/* Takes the next field separated by spaces or tabs off the front of *rest.
 * False when none is left. Walks format lists, candidate fields, etc. */
MS_API bool ms_sdp_next_field(struct ms_str *rest, struct ms_str *field);

struct ms_sdp_origin { /* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address> */
	struct ms_str username, sess_id, sess_version, nettype, addrtype, address;
};

struct ms_sdp_conn { /* c=<nettype> <addrtype> <address>[/<ttl>][/<count>] */
	struct ms_str nettype, addrtype;
	struct ms_str address; /* without the multicast suffix */
	struct ms_str mcast;   /* what followed the first '/', e.g. "127/3"; empty */
};

struct ms_sdp_media {         /* m=<media> <port>[/<count>] <proto> <fmt> ... */
	struct ms_str media;  /* "audio", "video", ... */
	struct ms_str port_s; /* the port as written */
	uint16_t port;
	uint16_t nports;     /* 1 unless "port/count" */
	struct ms_str proto; /* "RTP/AVP", "UDP/TLS/RTP/SAVPF", ... */
	struct ms_str fmts;  /* the format list as written (ms_sdp_next_field) */
};

enum ms_sdp_dir {
	MS_SDP_SENDRECV = 0,
	MS_SDP_SENDONLY,
	MS_SDP_RECVONLY,
	MS_SDP_INACTIVE,
};

struct ms_sdp_rtcp { /* a=rtcp:<port> [<nettype> <addrtype> <address>] (RFC 3605) */
	uint16_t port;
	struct ms_sdp_conn conn; /* all empty when only the port is given */
};

struct ms_sdp_rtpmap { /* a=rtpmap:<pt> <encoding>/<clock>[/<channels>] */
	unsigned pt;
	struct ms_str encoding;
	uint32_t clock;
	uint32_t channels; /* 1 when absent */
};

struct ms_sdp_fmtp { /* a=fmtp:<pt> <params> */
	unsigned pt;
	struct ms_str params; /* the rest of the line, may be empty */
};

/* Typed views. 0, MS_ENOENT when the line (or media) is missing, or
 * MS_EBADMSG when the line does not parse. */
MS_API int ms_sdp_get_origin(const struct ms_sdp *sdp, struct ms_sdp_origin *out);
MS_API int ms_sdp_get_media(const struct ms_sdp *sdp, unsigned m, struct ms_sdp_media *out);
/* The first c= line of the level itself. */
MS_API int ms_sdp_get_conn(const struct ms_sdp *sdp, int m, struct ms_sdp_conn *out);
/* The connection media m uses: its own first c= line, else the session's. */
MS_API int ms_sdp_get_effective_conn(const struct ms_sdp *sdp, unsigned m, struct ms_sdp_conn *out);
/* The direction attribute of level m, else of the session, else SENDRECV. */
MS_API enum ms_sdp_dir ms_sdp_get_direction(const struct ms_sdp *sdp, int m);
/* "sendrecv", "sendonly", "recvonly", "inactive" (NULL when out of range). */
MS_API const char *ms_sdp_dir_name(enum ms_sdp_dir dir);

/* The index of the first a=<name> line of level m at or after line 'from'
 * (use the last index + 1 to iterate), or MS_ENOENT. Names are compared
 * ignoring ASCII case. */
MS_API int ms_sdp_find_attr(const struct ms_sdp *sdp, int m, struct ms_str name, unsigned from);
/* Splits an a= line value into its name and value. A property attribute
 * ("a=sendonly") gives a value with s == NULL; "a=x:" gives an empty one. */
MS_API void ms_sdp_split_attr(struct ms_str line, struct ms_str *name, struct ms_str *value);
/* The value of the first a=<name> line of level m (see ms_sdp_split_attr). */
MS_API int ms_sdp_get_attr(const struct ms_sdp *sdp, int m, struct ms_str name, struct ms_str *value);
MS_API int ms_sdp_get_rtcp(const struct ms_sdp *sdp, unsigned m, struct ms_sdp_rtcp *out);
/* The a=rtpmap / a=fmtp line of media m for payload type 'pt'. */
MS_API int ms_sdp_get_rtpmap(const struct ms_sdp *sdp, unsigned m, unsigned pt, struct ms_sdp_rtpmap *out);
MS_API int ms_sdp_get_fmtp(const struct ms_sdp *sdp, unsigned m, unsigned pt, struct ms_sdp_fmtp *out);
/* Parse the value of one a=rtpmap / a=fmtp line (after the colon). */
MS_API int ms_sdp_parse_rtpmap(struct ms_str value, struct ms_sdp_rtpmap *out);
MS_API int ms_sdp_parse_fmtp(struct ms_str value, struct ms_sdp_fmtp *out);

/* Edits. Text given by the caller is refused with MS_EINVAL when it holds
 * CR, LF or NUL (no line injection), or is empty where a value is needed.
 * Each returns 0 or a negative code; on failure the body is unchanged. */

/* Sets level m to a single "c=IN IP4|IP6 <address>" (IP6 when the address
 * holds a ':'), replacing its c= lines or adding one where RFC 8866 puts it. */
MS_API int ms_sdp_set_conn(struct ms_sdp *sdp, int m, struct ms_str address);
/* Sets the port of media m, keeping any "/count". */
MS_API int ms_sdp_set_port(struct ms_sdp *sdp, unsigned m, uint16_t port);
/* Leaves exactly one a=<name> line at level m: the first one gets the new
 * value and the others go; when there was none it is added after the last
 * line of the level. A value with s == NULL makes "a=<name>". */
MS_API int ms_sdp_set_attr(struct ms_sdp *sdp, int m, struct ms_str name, struct ms_str value);
/* Removes every a=<name> line of level m; returns how many went. */
MS_API int ms_sdp_remove_attr(struct ms_sdp *sdp, int m, struct ms_str name);
/* Sets "a=rtcp:<port>", or "a=rtcp:<port> IN IP4|IP6 <address>" when the
 * address is not empty. */
MS_API int ms_sdp_set_rtcp(struct ms_sdp *sdp, unsigned m, uint16_t port, struct ms_str address);
/* Replaces the direction attributes of level m with one for 'dir'. */
MS_API int ms_sdp_set_direction(struct ms_sdp *sdp, int m, enum ms_sdp_dir dir);
/* Removes the ICE attributes (RFC 8839: candidate, remote-candidates,
 * end-of-candidates, ice-ufrag, ice-pwd, ice-options, ice-lite,
 * ice-mismatch, ice-pacing) at every level; returns how many lines went. */
MS_API int ms_sdp_remove_ice(struct ms_sdp *sdp);
/* Adds one to the o= sess-version (decimal, any length). MS_EBADMSG when
 * it is not a number. */
MS_API int ms_sdp_bump_version(struct ms_sdp *sdp);

/* Appends the body to 'out', each line as "x=value\r\n". */
MS_API int ms_sdp_write(const struct ms_sdp *sdp, struct ms_buf *out);

#ifdef __cplusplus
}
#endif
#endif
