/* rtp.offer, rtp.answer, rtp.delete and rtp.stats: the C half. */
#include <lauxlib.h>

#include "host_private.h"

void ms__lua_open_rtp(lua_State *L, struct ms_lua_host *h)
{
	(void)L;
	(void)h;
}

void ms__lua_rtp_free(struct ms_lua_host *h)
{
	(void)h;
}
