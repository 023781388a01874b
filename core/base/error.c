#include <string.h>

#include "moonsip/base.h"

const char *ms_strerror(int code)
{
	switch (code) {
	case MS_OK: return "success";
	case MS_ENOMEM: return "out of memory";
	case MS_EINVAL: return "invalid argument";
	case MS_EAGAIN: return "incomplete input";
	case MS_EMSGSIZE: return "message too large";
	case MS_EBADMSG: return "malformed message";
	case MS_ERANGE: return "number out of range";
	case MS_ENOENT: return "not found";
	case MS_ENOTSUP: return "not supported";
	case MS_EPROTO: return "protocol error";
	default:
		/* The codes are negative errno values: a system call's own error
		 * (a refused send: -ECONNREFUSED) gets the system's words. */
		return code < 0 && code > -4096 ? strerror(-code) : "unknown error";
	}
}
