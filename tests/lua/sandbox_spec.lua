-- The script's world: require, what the standard libraries keep, and the
-- API areas still to come.
local ms = require "moonsip"
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."

describe("the script's world", function()
  local h
  setup(function()
    local t = ms.test.load(here .. "/scripts/sandbox.lua")
    local a = t:request{ method = "OPTIONS", uri = "sip:a@b" }
    t:close()
    assert.equals(1, #a)
    assert.equals(200, a[1].status)
    h = a[1].headers
  end)

  it("finds a pure Lua module next to the script with require", function()
    assert.equals("hello moonsip", h["x-helper"])
  end)

  it("reaches the API areas with require 'moonsip.<area>'", function()
    assert.equals("true", h["x-require-log"])
    assert.equals("true", h["x-require-ms"])
  end)

  it("has no os.exit, os.execute, io.popen or io.read", function()
    assert.equals("nil", h["x-os-exit"])
    assert.equals("nil", h["x-os-execute"])
    assert.equals("nil", h["x-io-popen"])
    assert.equals("nil", h["x-io-read"])
  end)

  it("keeps os.getenv, os.time and string", function()
    assert.equals("function", h["x-os-getenv"])
    assert.equals(tostring(os.getenv("MOONSIP_SPEC_ENV")), h["x-env"]) -- "from-ctest" under ctest
    assert.equals(os.getenv("PATH"), h["x-env-path"])
    assert.equals("function", h["x-os-time"])
    assert.equals("function", h["x-string"])
  end)

  it("raises an error naming what is missing for the areas still to come", function()
    -- The proxy is there, but the harness has no network to relay on.
    assert.matches("proxy%.relay needs a server %(the test harness of require \"moonsip\" has no network%)",
      h["x-proxy-relay"])
    -- The registrar is there: a request that is no REGISTER is refused.
    assert.matches("registrar%.save: a [A-Z]+ is no REGISTER", h["x-registrar-save"])
    -- auth is there: a missing realm is a clear error.
    assert.matches("bad argument #2 to 'auth%.check' %(realm expected, got nil%)", h["x-auth-check"])
    -- rtp is there, but the relay needs the server's network.
    assert.matches("rtp needs a server %(the test harness of require \"moonsip\" has no network%)", h["x-rtp-offer"])
  end)
end)
