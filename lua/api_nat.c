/* The nat table: NAT detection, nat.fix_contact and keep-alives to
 * registered contacts behind a NAT. */
#include <lauxlib.h>

#include "host_private.h"

void ms__lua_open_nat(lua_State *L, struct ms_lua_host *h)
{
	(void)h;
	lua_newtable(L);
	lua_setfield(L, -2, "nat_api");
}

void ms__lua_nat_free(struct ms_lua_host *h)
{
	(void)h;
}
