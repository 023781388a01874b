/* The media of one call: a relay session per m= line, and the SDP
 * rewriting that puts the relay between the two endpoints. */
#define _GNU_SOURCE
#include "rtp_private.h"
