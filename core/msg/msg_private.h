/* Internal: recording parse errors in a message; moving a parsed message
 * onto an edited copy of its text. */
#ifndef MS_CORE_MSG_PRIVATE_H
#define MS_CORE_MSG_PRIVATE_H

#include "moonsip/msg.h"

/* Records 'what' (static text) about header 'hdr' at position 'at' of the
 * message and returns rc. The status is 400 for a request, 0 (drop) for a
 * response. The first error recorded wins. */
int ms__msg_fail(struct ms_msg *m, const char *what, struct ms_str hdr, const char *at, int rc);
/* The same with a given status (505 for a version) and no position. */
int ms__msg_fail_status(struct ms_msg *m, const char *what, uint16_t status);
/* Records a failure of a typed parser on header entry h. */
int ms__msg_fail_hdr(struct ms_msg *m, const struct ms_hdr *h, const char *why);

/* Longest known header name ("Authentication-Info", "Proxy-Authorization"). */
#define MS__HDR_NAME_MAX 20
/* ms_hdr_lookup() for a name already in lower case. */
enum ms_hdr_type ms__hdr_lookup_lower(const char *low, size_t len);

/* Parses the start line only (the rest of the text is not looked at, and
 * m has no headers): for a caller that needs nothing more from a message
 * it made itself. 0, or an error as ms_msg_parse. */
int ms__msg_parse_start(struct ms_msg *m, const char *buf, size_t len);

/* Writes into 'out' the message's text with header h's value replaced by
 * 'value' (no CR or LF; not Content-Length), and moves m onto that text as
 * if it had been parsed from it: the header entries are kept, the typed
 * views dropped (they are parsed again when asked for). 'out' must not
 * change while m is used. 0, MS_EINVAL or MS_ENOMEM (m unchanged). */
int ms__msg_replace_value(struct ms_msg *m, const struct ms_hdr *h, struct ms_str value, struct ms_buf *out);

#endif
