-- The Lua module itself: require "moonsip", ms.uri, ms.version and the
-- test harness (ms.test.load, t:request, t:send, t:run, t:reload, t:logs,
-- t:close).
local ms = require "moonsip"
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local function script(name) return here .. "/scripts/" .. name end

describe("moonsip module", function()
  it("has a version", function()
    assert.is_string(ms.version())
    assert.matches("^%d+%.%d+%.%d+", ms.version())
  end)

  describe("uri", function()
    it("parses a SIP URI into the table scripts get", function()
      local u = ms.uri("sip:alice@example.com:5080;transport=tcp;lr?subject=hi")
      assert.equals("sip", u.scheme)
      assert.equals("alice", u.user)
      assert.equals("example.com", u.host)
      assert.equals(5080, u.port)
      assert.same({ transport = "tcp", lr = true }, u.params)
      assert.equals("subject=hi", u.headers)
      assert.equals("sip:alice@example.com:5080;transport=tcp;lr?subject=hi", u.text)
      assert.equals(u.text, tostring(u))
      assert.equals(u.text, u:tostring())
    end)

    it("leaves out what the URI does not have", function()
      local u = ms.uri("sips:example.com")
      assert.equals("sips", u.scheme)
      assert.is_nil(u.user)
      assert.is_nil(u.port)
      assert.same({}, u.params)
    end)

    it("parses tel URIs", function()
      local u = ms.uri("tel:+1-201-555-0123;phone-context=example.com")
      assert.equals("tel", u.scheme)
      assert.equals("+1-201-555-0123", u.user)
    end)

    it("raises an error naming what was wrong", function()
      assert.has_error(function() ms.uri("no scheme here") end, "bad URI 'no scheme here': URI has no scheme")
      local ok, err = pcall(ms.uri, "sip:alice@")
      assert.is_false(ok)
      assert.matches("^bad URI 'sip:alice@': ", err)
      assert.has_error(function() ms.uri(5) end)
      assert.has_error(function() ms.uri() end)
    end)
  end)

  describe("test.load", function()
    it("loads a script and gives a test object", function()
      local t = ms.test.load(script("ok.lua"))
      assert.is_userdata(t)
      assert.equals(0, t:running())
      t:close()
    end)

    it("fails with the compile error, file:line", function()
      local ok, err = pcall(ms.test.load, script("syntax_error.lua"))
      assert.is_false(ok)
      assert.matches("syntax_error%.lua:3: ", err)
    end)

    it("fails when the script defines no on_request", function()
      local ok, err = pcall(ms.test.load, script("no_handler.lua"))
      assert.is_false(ok)
      assert.matches("no_handler%.lua: defines no function on_request", err)
    end)

    it("fails when the script's top level fails", function()
      local ok, err = pcall(ms.test.load, script("top_error.lua"))
      assert.is_false(ok)
      assert.matches("top_error%.lua:3: attempt to index", err)
    end)

    it("fails on a missing file", function()
      local ok, err = pcall(ms.test.load, script("nonexistent.lua"))
      assert.is_false(ok)
      assert.matches("cannot open .*nonexistent%.lua", err)
    end)

    it("checks its arguments", function()
      assert.has_error(function() ms.test.load() end)
      assert.has_error(function() ms.test.load(script("ok.lua"), "opts") end)
      assert.has_error(function() ms.test.load(script("ok.lua"), { timeout = "long" }) end,
        "moonsip.test.load: opts.timeout must be a number")
      assert.has_error(function() ms.test.load(script("ok.lua"), { max_run_ms = -1 }) end)
      assert.has_error(function() ms.test.load(script("ok.lua"), { log_level = "loud" }) end,
        "moonsip.test.load: opts.log_level must be error, warn, info or debug")
    end)
  end)

  describe("t:request", function()
    local t
    before_each(function() t = ms.test.load(script("fields.lua")) end)
    after_each(function() t:close() end)

    it("takes a table and makes up the headers it leaves out", function()
      local a = t:request{ method = "OPTIONS", uri = "sip:alice@example.com" }
      assert.equals(1, #a)
      local r = a[1]
      assert.equals(200, r.status)
      assert.equals("Fields", r.reason)
      assert.matches("^SIP/2%.0 200 Fields\r\n", r.text)
      assert.equals("OPTIONS", r.headers["x-method"])
      assert.equals("1 OPTIONS", r.headers["cseq"])
      assert.matches("^SIP/2%.0/UDP 127%.0%.0%.1:5060;branch=z9hG4bK", r.headers["via"])
      assert.matches("^<sip:alice@example%.com>;tag=", r.headers["to"])
      assert.matches("@moonsip%.test$", r.headers["call-id"])
      assert.equals(r.headers["call-id"], r.headers["x-call-id"])
      assert.equals("0", r.headers["content-length"])
      assert.equals("", r.body)
    end)

    it("gives each request its own Call-ID and branch", function()
      local a = t:request{ method = "OPTIONS", uri = "sip:a@b" }[1]
      local b = t:request{ method = "OPTIONS", uri = "sip:a@b" }[1]
      assert.are_not.equal(a.headers["call-id"], b.headers["call-id"])
      assert.are_not.equal(a.headers["via"], b.headers["via"])
    end)

    it("uses the given headers in place of the made-up ones", function()
      local r = t:request{ method = "INVITE", uri = "sip:bob@example.org",
        headers = { ["Call-ID"] = "given@here", ["CSeq"] = "7 INVITE", f = "<sip:me@x>;tag=1" } }[1]
      assert.equals("given@here", r.headers["call-id"])
      assert.equals("7 INVITE", r.headers["cseq"])
      assert.equals("<sip:me@x>;tag=1", r.headers["from"])
      assert.equals(1, #r.all_headers["from"])
    end)

    it("takes list values and ordered 'Name: value' strings", function()
      local r = t:request{ method = "OPTIONS", uri = "sip:a@b",
        headers = { "X-Multi: one", "X-Multi: two" } }[1]
      assert.equals("one|two", r.headers["x-multi"])
      r = t:request{ method = "OPTIONS", uri = "sip:a@b", headers = { ["X-Multi"] = { "m1", "m2", "m3" } } }[1]
      assert.equals("m1|m2|m3", r.headers["x-multi"])
    end)

    it("gives all values of a header in all_headers", function()
      local r = t:request{ method = "OPTIONS", uri = "sip:a@b",
        headers = { "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa", "Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKb" } }[1]
      assert.same({ "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa", "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKb" },
        r.all_headers["via"])
      assert.equals("SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKa", r.headers["via"])
    end)

    it("takes a raw SIP request", function()
      local raw = table.concat({
        "MESSAGE sip:carol@example.net SIP/2.0",
        "v: SIP/2.0/TCP 192.0.2.7:5060;branch=z9hG4bKraw1",
        "Max-Forwards: 70",
        "f: <sip:dave@example.net>;tag=raw",
        "t: <sip:carol@example.net>",
        "i: raw-call-id",
        "CSeq: 3 MESSAGE",
        "c: text/plain",
        "l: 5",
        "",
        "hello",
      }, "\r\n")
      local r = t:request(raw, { address = "192.0.2.7", port = 5070, transport = "tcp" })[1]
      assert.equals(200, r.status)
      assert.equals("MESSAGE", r.headers["x-method"])
      assert.equals("raw-call-id", r.headers["call-id"]) -- compact names spelled out
      assert.equals("hello", r.headers["x-body"])
      assert.equals("192.0.2.7", r.headers["x-src-address"])
      assert.equals("5070", r.headers["x-src-port"])
      assert.equals("TCP", r.headers["x-src-transport"])
    end)

    it("raises the parser's reason for a bad request", function()
      assert.has_error(function() t:request("garbage") end, "t:request: bad request: Start line not ended by CRLF")
      local no_callid = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n" ..
        "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCSeq: 1 OPTIONS\r\n\r\n"
      local ok, err = pcall(t.request, t, no_callid)
      assert.is_false(ok)
      assert.matches("^t:request: bad request: .*Call%-ID", err)
      ok, err = pcall(t.request, t, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n" ..
        "From: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\n\r\n")
      assert.is_false(ok)
      assert.matches("^t:request: bad request: ", err)
    end)

    it("checks the request table", function()
      assert.has_error(function() t:request() end)
      assert.has_error(function() t:request(42) end)
      assert.has_error(function() t:request{ uri = "sip:a@b" } end,
        "t:request: the request table needs method and uri strings")
      assert.has_error(function() t:request{ method = "OPTIONS", uri = "sip:a@b", headers = "X: 1" } end,
        "t:request: headers must be a table, not string")
      assert.has_error(function() t:request{ method = "OPTIONS", uri = "sip:a@b", headers = { "no colon" } } end)
      assert.has_error(function() t:request{ method = "OPTIONS", uri = "sip:a@b", headers = { ["X-A"] = "1\r\nX-B: 2" } } end)
      assert.has_error(function() t:request{ method = "OPTIONS", uri = "sip:a@b", headers = { ["Content-Length"] = "3" } } end)
      assert.has_error(function() t:request{ method = "OPTIONS", uri = "sip:a@b", source = { address = "example.com" } } end,
        "t:request: source.address 'example.com' is not a numeric IPv4 or IPv6 address")
      assert.has_error(function() t:request{ method = "OPTIONS", uri = "sip:a@b", source = { transport = "sctp" } } end,
        "t:request: source.transport must be udp, tcp or tls, not 'sctp'")
      assert.has_error(function() t:request{ method = "OPTIONS", uri = "sip:a@b", source = { port = 70000 } } end)
      assert.has_error(function() t:request{ method = "OPTIONS", uri = "not a uri" } end)
      -- and the object still works
      assert.equals(200, t:request{ method = "OPTIONS", uri = "sip:a@b" }[1].status)
    end)
  end)

  describe("t:send and t:run", function()
    it("feed several requests, then run them all", function()
      local t = ms.test.load(script("sleep.lua"))
      t:send{ method = "OPTIONS", uri = "sip:a@b", headers = { ["X-Sleep"] = "0.05", ["X-Name"] = "one" } }
      t:send{ method = "OPTIONS", uri = "sip:a@b", headers = { ["X-Sleep"] = "0.01", ["X-Name"] = "two" } }
      assert.equals(2, t:running())
      local a = t:run()
      assert.equals(0, t:running())
      assert.equals(2, #a)
      assert.equals("two", a[1].headers["x-name"])
      assert.equals("one", a[2].headers["x-name"])
      assert.same({}, t:run()) -- nothing left
      t:close()
    end)

    it("stop waiting after the timeout, with an error", function()
      local t = ms.test.load(script("sleep.lua"), { timeout = 0.05 })
      local ok, err = pcall(t.request, t, { method = "OPTIONS", uri = "sip:a@b", headers = { ["X-Sleep"] = "0.3" } })
      assert.is_false(ok)
      assert.matches("t:request: handlers still running after 0.05 s %(1 left", err)
      assert.equals(1, t:running())
      local a = t:run(2) -- a longer bound for this run
      assert.equals(1, #a)
      assert.equals(200, a[1].status)
      t:close() -- and with one still running:
      t = ms.test.load(script("sleep.lua"))
      t:send{ method = "OPTIONS", uri = "sip:a@b", headers = { ["X-Sleep"] = "5" } }
      t:close()
    end)
  end)

  describe("t:logs", function()
    it("returns the lines logged since the last call, with their level", function()
      local t = ms.test.load(script("errors.lua"))
      t:request{ method = "OPTIONS", uri = "sip:a@b", headers = { ["X-Case"] = "error" } }
      local logs = t:logs()
      assert.is_true(#logs >= 1)
      assert.matches("^error: %[.*@moonsip%.test%] script error in on_request %(.-%): .*errors%.lua:%d+: boom from the script", logs[1])
      assert.same({}, t:logs())
      t:close()
    end)

    it("honours opts.log_level", function()
      local t = ms.test.load(script("state.lua"), { log_level = "warn" })
      t:request{ method = "OPTIONS", uri = "sip:a@b", headers = { ["X-Case"] = "log" } }
      local logs = table.concat(t:logs(), "\n")
      assert.matches("warn: .*warn line", logs)
      assert.matches("error: .*err line", logs)
      assert.not_matches("info line", logs)
      assert.not_matches("debug line", logs)
      t:close()
    end)
  end)

  describe("t:reload and t:close", function()
    it("reload returns true for a good script", function()
      local t = ms.test.load(script("ok.lua"))
      assert.is_true(t:reload())
      assert.equals(200, t:request{ method = "OPTIONS", uri = "sip:a@b" }[1].status)
      t:close()
    end)

    it("a closed object refuses to work, and may be closed again", function()
      local t = ms.test.load(script("ok.lua"))
      t:close()
      assert.has_error(function() t:request{ method = "OPTIONS", uri = "sip:a@b" } end,
        "moonsip test object used after close()")
      assert.has_no_error(function() t:close() end)
    end)

    it("an object left to the collector is freed", function()
      for _ = 1, 5 do
        local t = ms.test.load(script("ok.lua"))
        t:request{ method = "OPTIONS", uri = "sip:a@b" }
      end
      collectgarbage()
      collectgarbage()
    end)
  end)
end)
