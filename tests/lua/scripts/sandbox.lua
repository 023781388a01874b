-- Test fixture: the script's world (require, what os and io keep, the areas
-- still to come).
local helper = require "helper_mod"

local function kind(v) return type(v) end

local function err_of(f, ...)
  local ok, err = pcall(f, ...)
  return ok and "no error" or tostring(err)
end

function on_request(req)
  return req:reply(200, "OK", {
    ["X-Helper"] = helper.greet("moonsip"),
    ["X-Os-Exit"] = kind(os.exit),
    ["X-Os-Execute"] = kind(os.execute),
    ["X-Io-Popen"] = kind(io.popen),
    ["X-Io-Read"] = kind(io.read),
    ["X-Os-Getenv"] = kind(os.getenv),
    ["X-Env"] = tostring(os.getenv("MOONSIP_SPEC_ENV")),
    ["X-Env-Path"] = tostring(os.getenv("PATH")),
    ["X-Os-Time"] = kind(os.time),
    ["X-String"] = kind(string.format),
    ["X-Require-Log"] = tostring(require("moonsip.log") == log),
    ["X-Require-Ms"] = tostring(require("moonsip.ms") == ms),
    ["X-Proxy-Relay"] = err_of(function() return proxy.relay(req, "sip:bob@127.0.0.1") end),
    ["X-Registrar-Save"] = err_of(function() return registrar.save(req) end),
    ["X-Auth-Check"] = err_of(function() return auth.check(req) end),
    ["X-Rtp-Offer"] = err_of(function() return rtp.offer(req) end),
  })
end
