/* What the Lua module's files share. */
#ifndef MS_LUA_MODULE_H
#define MS_LUA_MODULE_H

#include <lua.h>

#include "moonsip/msg.h"

/* Pushes a parsed message as a table: text, method and uri (a request) or
 * status and reason (a response), body, headers (lower-case name -> first
 * value; compact names spelled out) and all_headers (name -> every
 * value). */
void ms__mod_push_msg(lua_State *L, const struct ms_msg *m);

/* Adds the user agent API (ms.run, ms.ua, ms.media, ...) to the module's
 * table at the top of the stack. */
void ms__mod_open_ua(lua_State *L);

#endif
