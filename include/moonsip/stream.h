/* moonsip: framing SIP messages on a byte stream (TCP, TLS).
 *
 * The connection appends what it reads to its buffer and asks the framer
 * whether a whole message is there. The framer remembers how far it looked,
 * so a message that arrives in many pieces is scanned once. */
#ifndef MOONSIP_STREAM_H
#define MOONSIP_STREAM_H

#include "moonsip/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_FRAME_DEFAULT_MAX (64 * 1024)

struct ms_framer {
	size_t max; /* largest message accepted, headers and body */
	/* Private state: where the current message starts and how far its
	 * header section was scanned. */
	size_t start;
	size_t scanned;
	size_t hdr_len; /* 0 until the empty line is found */
	size_t body_len;
	unsigned crlfs;  /* keep-alive line ends seen in a row */
	const char *why; /* why the stream was given up */
};

MS_API void ms_framer_init(struct ms_framer *f, size_t max);

/* Looks at buf[0..len) (the connection's whole unconsumed input, which
 * must start where the previous call's message ended). Returns:
 *  > 0         a complete message of that many bytes starts at buf + *skip
 *              (*skip counts CRLF keep-alives before it); consume
 *              *skip + result bytes and call again.
 *  MS_EAGAIN   not complete yet; *skip keep-alive bytes may be consumed
 *              (passing them again is harmless).
 *  MS_EMSGSIZE over f->max; MS_EBADMSG no usable Content-Length. The
 *              connection cannot be resynchronised: answer 400 if
 *              possible and close it. f->why says what was wrong.
 * 'pong' is set when a CRLFCRLF keep-alive ping was seen and should be
 * answered with CRLF (RFC 5626 §3.5.1). */
MS_API int ms_framer_next(struct ms_framer *f, const char *buf, size_t len, size_t *skip, bool *pong);

#ifdef __cplusplus
}
#endif
#endif
