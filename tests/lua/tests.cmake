# busted specs of the Lua API (tests/lua/*_spec.lua), run under LuaJIT with
# the module built in ${CMAKE_BINARY_DIR}/lua: one ctest entry per spec file,
# lua.<spec>. Debian's busted (lua-busted) lives in /usr/share/lua/5.1, which
# LuaJIT searches, so it is run as `luajit /usr/bin/busted`.
#
# Not in sanitizer builds: the module would be loaded into a luajit binary
# built without the sanitizer runtime, which would have to be preloaded. The
# same host code runs under ASan through `moonsip run` in the integration
# tests.
if(NOT MOONSIP_SANITIZE)
  find_program(MS_LUAJIT NAMES luajit)
  find_program(MS_BUSTED NAMES busted)
  if(MS_LUAJIT AND MS_BUSTED)
    file(GLOB MS_LUA_SPECS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/lua/*_spec.lua)
    foreach(spec ${MS_LUA_SPECS})
      get_filename_component(name ${spec} NAME_WE)
      string(REGEX REPLACE "_spec$" "" name "${name}")
      add_test(NAME lua.${name}
        COMMAND ${MS_LUAJIT} ${MS_BUSTED} --output=TAP ${spec}
        WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/lua)
      set_tests_properties(lua.${name} PROPERTIES
        ENVIRONMENT "LUA_CPATH=${CMAKE_BINARY_DIR}/lua/?.so\;\;;MOONSIP_SPEC_ENV=from-ctest"
        TIMEOUT 60)
    endforeach()
    # The module's own C (lua/module_ua.c and what it drives) never runs
    # under the sanitizers, so the user agent specs run once more under
    # valgrind: any invalid read or write, or use after free, fails them.
    find_program(MS_VALGRIND NAMES valgrind)
    if(MS_VALGRIND)
      add_test(NAME lua.ua_memcheck
        COMMAND ${MS_VALGRIND} -q --error-exitcode=9 ${MS_LUAJIT} ${MS_BUSTED} --output=TAP
          ${CMAKE_SOURCE_DIR}/tests/lua/ua_spec.lua
        WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/tests/lua)
      set_tests_properties(lua.ua_memcheck PROPERTIES
        ENVIRONMENT "LUA_CPATH=${CMAKE_BINARY_DIR}/lua/?.so\;\;" TIMEOUT 120)
    endif()
  else()
    message(STATUS "luajit or busted not found (apt-get install luajit lua-busted): no lua.* tests")
  endif()
endif()
