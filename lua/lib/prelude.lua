-- The Lua half of moonsip's script API, run once in every script's state
-- before the script. It gets the C functions as `core` and makes the
-- globals a script sees: log, ms, proxy, registrar, auth, rtp, nat. Everything also answers to
-- require "moonsip.<area>".
local core = ...

local type, tostring, select = type, tostring, select
local setmetatable, error, format = setmetatable, error, string.format

-- URIs ------------------------------------------------------------------

-- A parsed URI: scheme, user, host, port (number or nil), params (a table,
-- true for a parameter without a value), headers, text; tostring(u) and
-- u:tostring() give the text. Errors name what was wrong.
local Uri = core.uri_mt
local function uri(s)
  if type(s) ~= "string" then
    error(format("bad argument #1 to 'ms.uri' (string expected, got %s)", type(s)), 2)
  end
  local u, why = core.uri_parse(s)
  if not u then error(format("bad URI '%s': %s", s, why), 2) end
  return setmetatable(u, Uri)
end

-- The request object is a C userdata (lua/api_req.c), with no table made
-- per request. Its methods are found here, in Lua, without a call into C
-- (a handler makes more method calls than field reads); fields are one C
-- call each, through the core's index.
do
  local methods, field = core.req_methods, core.req_field
  core.req_mt.__index = function(r, k)
    local m = methods[k]
    if m ~= nil then return m end
    return field(r, k)
  end
end

-- log -------------------------------------------------------------------

-- Every line carries the Call-ID of the request being handled.
local levels = { debug = 3, info = 2, warn = 1, err = 0 }
local log = {}
for name, level in pairs(levels) do
  log[name] = function(fmt, ...)
    if not core.log_enabled(level) then return end
    local line = select("#", ...) > 0 and format(fmt, ...) or tostring(fmt)
    core.log(level, line)
  end
end

-- ms --------------------------------------------------------------------

local ms = {
  uri = uri,
  now = core.now,
  sleep = function(seconds)
    if type(seconds) ~= "number" or seconds < 0 then
      error(format("bad argument #1 to 'sleep' (seconds >= 0 expected, got %s)", tostring(seconds)), 2)
    end
    return core.sleep(seconds)
  end,
  store = core.store,
  version = core.version,
}

-- The areas later capabilities fill in. Until then, using one says so.
local function pending(area, issue)
  return setmetatable({}, {
    __index = function(_, k)
      error(format("%s.%s is not available in this version of moonsip (it comes with %s)",
        area, tostring(k), issue), 2)
    end,
  })
end

local api = {
  log = log,
  ms = ms,
  proxy = pending("proxy", "the stateful proxy"),
  registrar = pending("registrar", "the registrar"),
  auth = pending("auth", "digest authentication"),
  rtp = pending("rtp", "the RTP relay"),
  nat = pending("nat", "the RTP relay and NAT helpers"),
}
for name, t in pairs(api) do
  _G[name] = t
  package.loaded["moonsip." .. name] = t
end

-- What would block the loop or end the process is not there (README).
os.exit, os.execute, io.popen, io.read, io.lines, debug.sethook = nil, nil, nil, nil, nil, nil

