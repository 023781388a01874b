-- ms.sleep: the handler yields to the loop and the answer comes after.
local ms = require "moonsip"
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."

describe("ms.sleep", function()
  local t
  setup(function() t = ms.test.load(here .. "/scripts/sleep.lua") end)
  teardown(function() t:close() end)

  local function req(seconds, name)
    return { method = "OPTIONS", uri = "sip:a@b", headers = { ["X-Sleep"] = tostring(seconds), ["X-Name"] = name } }
  end

  it("answers after the sleep", function()
    local t0 = os.time()
    local c0 = os.clock() -- CPU time: sleeping costs none
    local a = t:request(req(0.1, "one"))
    assert.equals(1, #a)
    assert.equals(200, a[1].status)
    assert.is_true(tonumber(a[1].headers["x-slept"]) >= 0.095, "slept " .. a[1].headers["x-slept"])
    assert.equals("OPTIONS", a[1].headers["x-method"]) -- the request is still there after the wait
    assert.is_true(os.clock() - c0 < 0.09, "the wait should not burn CPU")
    assert.is_true(os.time() - t0 < 3)
  end)

  it("has not answered while the handler sleeps", function()
    t:send(req(0.05, "one"))
    assert.equals(1, t:running())
    local a = t:run()
    assert.equals(1, #a)
    assert.equals(0, t:running())
  end)

  it("lets requests interleave: both answered, in order of their sleep", function()
    t:send(req(0.15, "long"))
    t:send(req(0.05, "short"))
    t:send(req(0, "none"))
    local a = t:run()
    assert.equals(3, #a)
    assert.equals("none", a[1].headers["x-name"])
    assert.equals("short", a[2].headers["x-name"])
    assert.equals("long", a[3].headers["x-name"])
    -- each answer belongs to its own request
    assert.equals(a[3].headers["call-id"], a[3].headers["x-call-id"])
    assert.are_not.equal(a[2].headers["call-id"], a[3].headers["call-id"])
  end)

  it("sleeps the same for a request given as raw text", function()
    local raw = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\n" ..
      "To: <sip:a@b>\r\nCall-ID: raw-sleep\r\nCSeq: 1 OPTIONS\r\nX-Sleep: 0.05\r\n\r\n"
    local a = t:request(raw)
    assert.equals(1, #a)
    assert.equals("raw-sleep", a[1].headers["x-call-id"])
    assert.is_true(tonumber(a[1].headers["x-slept"]) >= 0.045)
  end)
end)
