/* Request methods by name. Methods are case-sensitive (RFC 3261 §7.1):
 * "invite" is an extension method, not INVITE. */
#include <string.h>

#include "moonsip/hdr.h"

#define M(name, m)                        \
	{                                 \
		name, sizeof(name) - 1, m \
	}

static const struct {
	const char *name;
	size_t len;
	enum ms_method m;
} methods[] = {
	M("INVITE", MS_METHOD_INVITE),   M("ACK", MS_METHOD_ACK),
	M("BYE", MS_METHOD_BYE),         M("CANCEL", MS_METHOD_CANCEL),
	M("OPTIONS", MS_METHOD_OPTIONS), M("REGISTER", MS_METHOD_REGISTER),
	M("PRACK", MS_METHOD_PRACK),     M("SUBSCRIBE", MS_METHOD_SUBSCRIBE),
	M("NOTIFY", MS_METHOD_NOTIFY),   M("PUBLISH", MS_METHOD_PUBLISH),
	M("INFO", MS_METHOD_INFO),       M("REFER", MS_METHOD_REFER),
	M("MESSAGE", MS_METHOD_MESSAGE), M("UPDATE", MS_METHOD_UPDATE),
};

enum ms_method ms_method_lookup(struct ms_str name)
{
	/* Few enough that the length check rejects nearly all at once. */
	for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (methods[i].len == name.len && !memcmp(methods[i].name, name.s, name.len))
			return methods[i].m;
	return MS_METHOD_OTHER;
}
