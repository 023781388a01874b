# The Lua C module: require "moonsip" from LuaJIT, for scripts' unit tests
# (tests/lua/README.md). It is the host's sources again, built hidden into
# one shared object with the module's entry point, the only symbol it
# exports. It links no LuaJIT: the lua_* functions come from the process
# that loads it (a second LuaJIT in one process would not share its GC).
# The core comes from the static library, its symbols kept inside.
# lua/lib/ua.lua, the user agents' Lua half, is compiled in like the prelude.
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/lua_ua.c
  COMMAND ${CMAKE_COMMAND} -DIN=${CMAKE_SOURCE_DIR}/lua/lib/ua.lua
    -DOUT=${CMAKE_BINARY_DIR}/lua_ua.c -DNAME=ms__lua_ua -P ${CMAKE_SOURCE_DIR}/lua/embed.cmake
  DEPENDS ${CMAKE_SOURCE_DIR}/lua/lib/ua.lua ${CMAKE_SOURCE_DIR}/lua/embed.cmake)
add_library(ms_lua_module MODULE lua/module.c lua/module_msg.c lua/module_ua.c ${CMAKE_BINARY_DIR}/lua_ua.c
  ${MS_LUA_SOURCES})
set_target_properties(ms_lua_module PROPERTIES
  OUTPUT_NAME moonsip
  PREFIX ""
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lua
  C_VISIBILITY_PRESET hidden)
target_include_directories(ms_lua_module PRIVATE
  ${CMAKE_SOURCE_DIR}/lua ${CMAKE_SOURCE_DIR}/core ${LIBEV_INCLUDE_DIR} ${LUAJIT_INCLUDE_DIRS})
target_compile_options(ms_lua_module PRIVATE ${MS_WARNINGS})
target_link_libraries(ms_lua_module PRIVATE moonsip_static Threads::Threads)
target_link_options(ms_lua_module PRIVATE -Wl,--exclude-libs,ALL)
# Where Debian's LuaJIT looks for C modules: PREFIX/lib/lua/5.1 (with the
# default /usr/local prefix, /usr/local/lib/lua/5.1).
install(TARGETS ms_lua_module LIBRARY DESTINATION lib/lua/5.1)
