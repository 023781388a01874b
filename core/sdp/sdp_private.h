/* Internal: shared by the SDP parser and the SDP editor. */
#ifndef MS_CORE_SDP_PRIVATE_H
#define MS_CORE_SDP_PRIVATE_H

#include "moonsip/sdp.h"

/* Makes room for n more lines (edits call it). MS_EMSGSIZE past the limit. */
int ms__sdp_reserve(struct ms_sdp *sdp, unsigned n);

#endif
