-- scripts/default.lua in the test harness, for the domain example.com:
-- registrations with digest, and the answers for calls it cannot relay
-- (the harness has no network; relayed calls are in the integration
-- tests). Also the README's example of unit-testing a script.
local ms = require "moonsip"
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."

describe("scripts/default.lua", function()
  local t
  setup(function()
    t = ms.test.load(here .. "/../../scripts/default.lua", { domains = { "example.com" } })
    t:user("alice", "example.com", "w0nder land")
    t:user("bob", "example.com", "builder")
  end)
  teardown(function() t:close() end)

  local function register(headers)
    headers.From = "<sip:alice@example.com>;tag=r1"
    headers.To = "<sip:alice@example.com>"
    headers.Contact = "<sip:alice@192.0.2.7:5062>"
    return t:request{ method = "REGISTER", uri = "sip:example.com", headers = headers }[1]
  end

  it("answers OPTIONS for the server itself", function()
    local a = t:request{ method = "OPTIONS", uri = "sip:example.com" }
    assert.equals(1, #a)
    assert.equals(200, a[1].status)
    assert.same({ "INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "INFO", "UPDATE", "PRACK", "MESSAGE",
      "REFER", "NOTIFY", "SUBSCRIBE", "REGISTER" }, a[1].all_headers["allow"])
  end)

  it("registers alice once she proves who she is", function()
    local a = register({ ["Call-ID"] = "reg-1", CSeq = "1 REGISTER" })
    assert.equals(401, a.status)
    local creds = assert(ms.authorize(a.all_headers["www-authenticate"], {
      user = "alice", password = "w0nder land", method = "REGISTER", uri = "sip:example.com" }))
    a = register({ ["Call-ID"] = "reg-1", CSeq = "2 REGISTER", Authorization = creds })
    assert.equals(200, a.status)
    assert.equals("<sip:alice@192.0.2.7:5062>;expires=3600", a.headers["contact"])
  end)

  it("turns away registrations for other domains", function()
    local a = t:request{ method = "REGISTER", uri = "sip:other.example.org" }[1]
    assert.equals(403, a.status)
  end)

  it("asks a caller from its own domain for credentials", function()
    local a = t:request{ method = "INVITE", uri = "sip:bob@example.com",
      headers = { From = "<sip:alice@example.com>;tag=c1" } }[1]
    assert.equals(407, a.status)
    assert.equals(2, #a.all_headers["proxy-authenticate"])
  end)

  it("says 480 for a user with no phone registered, 404 for no such user", function()
    local from = { From = "<sip:carol@example.org>;tag=c2" } -- another domain: no credentials asked
    local a = t:request{ method = "INVITE", uri = "sip:bob@example.com", headers = from }[1]
    assert.equals(480, a.status)
    a = t:request{ method = "INVITE", uri = "sip:nobody@example.com", headers = from }[1]
    assert.equals(404, a.status)
    assert.equals("Not Found: no such user here", a.reason)
  end)

  it("takes a tel: From or To without a script error", function()
    local a = t:request{ method = "INVITE", uri = "sip:bob@example.com",
      headers = { From = "<tel:+15551230000>;tag=t1" } }[1]
    assert.equals(480, a.status)
    a = t:request{ method = "REGISTER", uri = "sip:example.com",
      headers = { To = "<tel:+15551230000>", From = "<tel:+15551230000>;tag=t2" } }[1]
    assert.equals(400, a.status)
    assert.matches("sip or sips URI", a.reason)
  end)

  it("never answers an ACK", function()
    assert.same({}, t:request{ method = "ACK", uri = "sip:bob@example.com" })
  end)
end)
