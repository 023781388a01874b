-- The nat table in the test harness: detection by Via and by Contact, the
-- Contact rewritten to the source, and the argument errors (keep-alives
-- need a server, which the harness is not).
local ms = require "moonsip"
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."

describe("nat", function()
  local t
  setup(function() t = ms.test.load(here .. "/scripts/nat.lua") end)
  teardown(function() t:close() end)

  local function run(case, headers, source)
    headers = headers or {}
    headers["X-Case"] = case
    local a = t:request({ method = "INVITE", uri = "sip:bob@example.org", headers = headers,
                          source = source or { address = "192.0.2.7", port = 5062 } })
    assert.equals(1, #a)
    assert.equals(200, a[1].status)
    return a[1].headers
  end

  local function detect(headers, source) return run("detect", headers, source)["x-detect"] end

  it("detect: false when the Via is the source and the Contact public", function()
    assert.equals("false", detect({ Contact = "<sip:alice@192.0.2.7:5062>" }))
    assert.equals("false", detect({ Contact = "<sip:alice@127.0.0.1>" }))
  end)

  it("detect: via when the sent-by is another address, or another port over UDP", function()
    assert.equals("true via", detect({ Via = "SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-1;rport" }))
    assert.equals("true via", detect({ Via = "SIP/2.0/UDP 192.0.2.7:5999;branch=z9hG4bK-2" }))
    assert.equals("true via", detect({ Via = "SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK-3" })) -- 5060
    assert.equals("true via", detect({ Via = "SIP/2.0/UDP phone.example.com:5062;branch=z9hG4bK-4" }))
  end)

  it("detect: over TCP the port of the connection does not count, unless rport was asked", function()
    local tcp = { address = "192.0.2.7", port = 40000, transport = "tcp" }
    assert.equals("false", detect({ Via = "SIP/2.0/TCP 192.0.2.7:5060;branch=z9hG4bK-5" }, tcp))
    assert.equals("true via", detect({ Via = "SIP/2.0/TCP 192.0.2.7:5060;branch=z9hG4bK-6;rport" }, tcp))
    assert.equals("true via", detect({ Via = "SIP/2.0/TCP 10.1.2.3:5060;branch=z9hG4bK-7" }, tcp))
  end)

  it("detect: contact for a Contact in private or shared address space", function()
    for _, host in ipairs({ "10.0.0.5", "172.16.0.1", "172.31.255.254", "192.168.1.20", "100.64.0.1",
                            "100.127.255.255", "[fd00::1]", "[fe80::1]", "[::ffff:10.0.0.1]" }) do
      assert.equals("true contact", detect({ Contact = "<sip:alice@" .. host .. ":5060>" }), host)
    end
    for _, host in ipairs({ "172.32.0.1", "100.128.0.1", "11.0.0.1", "[2001:db8::1]", "example.com" }) do
      assert.equals("false", detect({ Contact = "<sip:alice@" .. host .. ":5060>" }), host)
    end
    -- any Contact of several
    assert.equals("true contact", detect({ Contact = "<sip:a@192.0.2.1>, <sip:b@10.9.9.9>" }))
  end)

  it("fix_contact: host and port become the source, user and parameters kept", function()
    local h = run("fix", { Contact = '"Al" <sip:alice@10.0.0.5:5070;ob;transport=udp>;+sip.instance="<urn:x>"' })
    assert.equals("true false", h["x-fixed"])
    assert.equals('"Al" <sip:alice@192.0.2.7:5062;ob;transport=udp>;+sip.instance="<urn:x>"', h["x-contact"])
    assert.equals("false", h["x-detect"])
  end)

  it("fix_contact: a URI without a port gets one; IPv6 sources in brackets", function()
    local h = run("fix", { Contact = "<sip:alice@192.168.0.3>" }, { address = "2001:db8::7", port = 5070 })
    assert.equals("true false", h["x-fixed"])
    assert.equals("<sip:alice@[2001:db8::7]:5070>", h["x-contact"])
    h = run("fix", { Contact = "sip:bob@[fd00::3]:5999;expires=60" }, { address = "192.0.2.9", port = 5060 })
    assert.equals("sip:bob@192.0.2.9:5060;expires=60", h["x-contact"])
  end)

  it("fix_contact: false without a Contact, for '*', and when it is already the source", function()
    assert.equals("false false", run("fix", {})["x-fixed"])
    assert.equals("false false", run("fix", { Contact = "<sip:alice@192.0.2.7:5062>" })["x-fixed"])
    assert.equals("false false", run("fix", { Contact = "<tel:+15551234>" })["x-fixed"])
  end)

  local function err(case) return run(case)["x-err"] end

  it("names the function and what was wrong in its errors", function()
    assert.matches("bad argument #1 to 'nat.detect' %(request or response expected, got nil%)", err("detect_nil"))
    assert.matches("bad argument #1 to 'nat.detect' %(request or response expected, got string%)",
      err("detect_string"))
    assert.matches("bad argument #1 to 'nat.keepalive' %(table of options or false expected, got number%)",
      err("keepalive_number"))
    assert.matches("nat.keepalive' %(interval must be a number of seconds > 0, got 0%)", err("keepalive_zero"))
    assert.matches("interval must be a number of seconds > 0", err("keepalive_nan"))
    assert.matches("interval must be a number of seconds > 0, got string", err("keepalive_text"))
    assert.matches('method must be "CRLF" or "OPTIONS", got PING', err("keepalive_method"))
    assert.matches("unknown option 'intervall'", err("keepalive_typo"))
    -- the script's line, not the C function's
    assert.matches("nat%.lua:%d+: bad argument", err("keepalive_zero"))
  end)

  it("keepalive needs a server: taken at the top level (the script loaded), refused in a handler", function()
    local e = err("keepalive_harness")
    assert.matches('nat.keepalive needs a server %(the test harness of require "moonsip" has no network%)', e)
    assert.matches("needs a server", err("keepalive_off"))
  end)
end)
