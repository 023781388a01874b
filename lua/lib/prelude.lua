-- The Lua half of moonsip's script API, run once in every script's state
-- before the script. It gets the C functions as `core` and makes the
-- globals a script sees: log, ms, proxy, registrar, auth, rtp, nat, and the
-- request object's metatable. Everything also answers to
-- require "moonsip.<area>".
local core = ...

local type, tostring, select, rawget, rawset = type, tostring, select, rawget, rawset
local setmetatable, error, format = setmetatable, error, string.format

-- URIs ------------------------------------------------------------------

local Uri = {}
Uri.__index = Uri
Uri.__tostring = function(u) return u.text end

-- A parsed URI: scheme, user, host, port (number or nil), params (a table,
-- true for a parameter without a value), headers, text. Errors name what
-- was wrong.
local function uri(s)
  if type(s) ~= "string" then
    error(format("bad argument #1 to 'ms.uri' (string expected, got %s)", type(s)), 2)
  end
  local u, why = core.uri_parse(s)
  if not u then error(format("bad URI '%s': %s", s, why), 2) end
  return setmetatable(u, Uri)
end

function Uri:tostring() return self.text end

-- Requests --------------------------------------------------------------

local Request = {}
local getters = {}

getters.method = function(r) return core.req_method(r._c) end
getters.uri = function(r) return setmetatable(core.uri_parse(core.req_uri(r._c)), Uri) end
getters.call_id = function(r) return core.req_header(r._c, "Call-ID") end
getters.cseq = function(r) return core.req_cseq(r._c) end
getters.body = function(r) return core.req_body(r._c) end
getters.source = function(r) return core.req_source(r._c) end
getters.in_dialog = function(r) return core.req_in_dialog(r._c) end
local function party(which)
  return function(r)
    local p = core.req_party(r._c, which)
    if p then p.uri = setmetatable(p.uri, Uri) end
    return p
  end
end
getters.from = party("from")
getters.to = party("to")

Request.__index = function(r, k)
  local m = Request[k]
  if m ~= nil then return m end
  local g = getters[k]
  if g == nil then return nil end
  local v = g(r)
  rawset(r, k, v) -- parsed once, through the core's index
  return v
end

Request.__tostring = function(r) return core.req_text(r._c) end

local function name_arg(name, fn)
  if type(name) ~= "string" then
    error(format("bad argument #1 to '%s' (header name expected, got %s)", fn, type(name)), 3)
  end
end

function Request:header(name)
  name_arg(name, "header")
  return core.req_header(self._c, name)
end

function Request:headers(name)
  name_arg(name, "headers")
  return core.req_headers(self._c, name)
end

-- reply(code [, reason] [, headers] [, body]): reason may be left out and
-- headers given at its place.
local function reply_args(code, reason, headers, body)
  if type(reason) == "table" then reason, headers, body = nil, reason, headers end
  if type(code) ~= "number" or code < 100 or code > 699 or code % 1 ~= 0 then
    error(format("bad argument #1 to 'reply' (status code 100-699 expected, got %s)", tostring(code)), 3)
  end
  if reason ~= nil and type(reason) ~= "string" then
    error(format("bad argument #2 to 'reply' (reason phrase expected, got %s)", type(reason)), 3)
  end
  if headers ~= nil and type(headers) ~= "table" then
    error(format("bad argument #3 to 'reply' (table of headers expected, got %s)", type(headers)), 3)
  end
  if body ~= nil and type(body) ~= "string" then
    error(format("bad argument #4 to 'reply' (string body expected, got %s)", type(body)), 3)
  end
  return code, reason, headers, body
end

function Request:reply(...)
  return core.req_reply(self._c, false, reply_args(...))
end

function Request:reply_stateless(...)
  return core.req_reply(self._c, true, reply_args(...))
end

local function new_request(c)
  return setmetatable({ _c = c }, Request)
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

return new_request
