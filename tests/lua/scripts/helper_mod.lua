-- Test fixture: a pure Lua module next to sandbox.lua, found by require.
local M = {}
function M.greet(name) return "hello " .. name end
return M
