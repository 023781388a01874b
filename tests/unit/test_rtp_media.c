/* The media of a call: SDP rewriting and relaying through it. */
#include "moonsip/rtp.h"
