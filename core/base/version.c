#include "moonsip/base.h"

#ifndef MOONSIP_VERSION
#error "MOONSIP_VERSION is set by the build"
#endif

const char *ms_version(void)
{
	return MOONSIP_VERSION;
}
