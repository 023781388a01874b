-- tests/bench/lua.sh variant: lua-three-headers.lua with LuaJIT's trace
-- compiler off, to see what the JIT is worth on a handler this short.
--   VARIANTS="nojit=tests/bench/lua-three-headers-nojit.lua" bash tests/bench/lua.sh
jit.off()
require "lua-three-headers"
