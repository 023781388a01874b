-- req:reply and req:reply_stateless: what goes out, and misuse.
local ms = require "moonsip"
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."

describe("req:reply", function()
  local t
  setup(function() t = ms.test.load(here .. "/scripts/reply.lua") end)
  teardown(function() t:close() end)

  local function run(case, pcall_it)
    return t:request{ method = "MESSAGE", uri = "sip:bob@example.org",
      headers = { ["X-Case"] = case, ["X-Pcall"] = pcall_it and "1" or nil } }
  end
  local function logs() return table.concat(t:logs(), "\n") end

  before_each(function() t:logs() end)

  it("sends the code with the given reason", function()
    local a = run("reason")
    assert.equals(1, #a)
    assert.equals(486, a[1].status)
    assert.equals("Busy Here Now", a[1].reason)
    assert.matches("^SIP/2%.0 486 Busy Here Now\r\n", a[1].text)
  end)

  it("takes the standard reason phrase when none is given", function()
    local a = run("standard")
    assert.equals(404, a[1].status)
    assert.equals("Not Found", a[1].reason)
  end)

  it("copies Via, From, To, Call-ID and CSeq, and adds a To tag", function()
    local a = run("standard")[1]
    assert.matches("^SIP/2%.0/UDP 127%.0%.0%.1:5060;branch=z9hG4bK", a.headers["via"])
    assert.matches("^<sip:bob@example%.org>;tag=%x+$", a.headers["to"])
    assert.equals("1 MESSAGE", a.headers["cseq"])
  end)

  it("adds headers from a table: string, number and list values", function()
    local a = run("headers")[1]
    assert.equals(200, a.status)
    assert.equals("1", a.headers["x-one"])
    assert.equals("7", a.headers["x-num"])
    assert.same({ "a", "b", "c" }, a.all_headers["x-many"])
  end)

  it("takes the headers table in the reason's place", function()
    local a = run("headers_no_reason")[1]
    assert.equals(202, a.status)
    assert.equals("Accepted", a.reason)
    assert.equals("1", a.headers["x-a"])
  end)

  it("copies Record-Route into the 1xx and 2xx of an INVITE, not into a failure (RFC 3261 12.1.1)", function()
    local function invite(case)
      return t:request{ method = "INVITE", uri = "sip:bob@example.org",
        headers = { ["X-Case"] = case, "Record-Route: <sip:p1.example.net;lr>", "Record-Route: <sip:p2.example.net;lr>" } }
    end
    local a = invite("provisional")
    assert.equals(3, #a)
    for i = 1, 3 do
      assert.same({ "<sip:p1.example.net;lr>", "<sip:p2.example.net;lr>" }, a[i].all_headers["record-route"])
    end
    assert.is_nil(invite("reason")[1].headers["record-route"]) -- 486
    assert.is_nil(run("standard")[1].headers["record-route"])  -- a MESSAGE makes no dialog
  end)

  it("makes a redirect from contacts: a Contact field each, bare URIs in <>", function()
    local a = run("redirect")[1]
    assert.equals(302, a.status)
    assert.equals("Moved Temporarily", a.reason)
    assert.same({ "<sip:alice@192.0.2.1>", "<sip:alice@192.0.2.2>;q=0.5" }, a.all_headers["contact"])
  end)

  it("sends a body with its Content-Type and Content-Length", function()
    local a = run("body")[1]
    assert.equals("hello body", a.body)
    assert.equals("text/plain", a.headers["content-type"])
    assert.equals("10", a.headers["content-length"])
  end)

  it("takes the compact form c for Content-Type", function()
    local a = run("body_compact")[1]
    assert.equals("compact", a.body)
    assert.equals("text/plain", a.headers["content-type"])
  end)

  it("sends provisional answers before the final one, with one To tag", function()
    local a = run("provisional")
    assert.equals(3, #a)
    assert.same({ 180, 183, 200 }, { a[1].status, a[2].status, a[3].status })
    assert.equals("Ringing", a[1].reason)
    assert.equals("Session Progress", a[2].reason)
    assert.equals(a[1].headers["to"], a[3].headers["to"])
    assert.equals(a[2].headers["to"], a[3].headers["to"])
  end)

  it("returns true", function()
    run("returns")
    assert.matches("reply returned true", logs())
  end)

  it("refuses a second final answer: 'already answered'", function()
    local a = run("twice")
    assert.equals(1, #a) -- the first answer only, and no 500 after it
    assert.equals(200, a[1].status)
    assert.matches("script error in on_request .*request already answered with 200", logs())
    run("twice_pcall")
    assert.matches("second reply: false .*request already answered with 200", logs())
  end)

  it("reply_stateless sends the answer too", function()
    local a = run("stateless")
    assert.equals(1, #a)
    assert.equals(403, a[1].status)
    assert.equals("Go Away", a[1].reason)
    assert.equals("1", a[1].headers["x-s"])
  end)

  -- Misuse: a Lua error that the handler may catch; uncaught, a 500.
  local bad = {
    bad_code = "bad argument #1 to 'reply' (status code 100-699 expected, got 99)",
    bad_code_high = "bad argument #1 to 'reply' (status code 100-699 expected, got 700)",
    bad_code_string = "bad argument #1 to 'reply' (status code 100-699 expected, got x)",
    bad_code_missing = "bad argument #1 to 'reply' (status code 100-699 expected, got nil)",
    bad_reason = "bad argument #2 to 'reply' (reason phrase expected, got number)",
    bad_headers = "bad argument #3 to 'reply' (table of headers expected, got string)",
    bad_header_value = "bad value for header 'X-A' in reply (string expected)",
    bad_header_crlf = "reply 200: a header name or value is not valid (CR or LF in it?)",
    bad_body = "bad argument #4 to 'reply' (string body expected, got table)",
    body_no_type = "reply 200: a body needs a Content-Type header",
    bad_stateless = "bad argument #1 to 'reply' (status code 100-699 expected, got 1000)",
  }
  local names = {}
  for name in pairs(bad) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local message = bad[name]
    it("raises a clear error: " .. name, function()
      local a = run(name, true)
      assert.equals(1, #a)
      assert.equals("Caught", a[1].reason)
      assert.truthy(a[1].headers["x-err"]:find(message, 1, true),
        "expected '" .. message .. "' in '" .. a[1].headers["x-err"] .. "'")
      t:logs()
      a = run(name)
      assert.equals(1, #a)
      assert.equals(500, a[1].status)
      assert.equals("Server Internal Error", a[1].reason)
      local l = logs()
      assert.truthy(l:find(message, 1, true), "expected the error in the log: " .. l)
      assert.matches("answered 500", l)
    end)
  end
end)
