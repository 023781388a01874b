/* Internal: recognising hosts in URIs and Via sent-by. */
#ifndef MS_CORE_HOST_H
#define MS_CORE_HOST_H

#include "moonsip/uri.h"

/* The type of the host written in [p, end), or MS_HOST_NONE when it is
 * not a valid hostname, IPv4 address or IPv6 reference. */
enum ms_host_type ms__host_type(const char *p, const char *end);
/* Where a host starting at p ends (a bracketed reference or a run of
 * hostname characters). */
const char *ms__host_span(const char *p, const char *end);

#endif
