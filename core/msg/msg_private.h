/* Internal: recording parse errors in a message. */
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

#endif
