-- The request's edit methods: the bytes of the edited request, reads after
-- an edit, answers built from the request as received, and refusals.
local ms = require "moonsip"
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."

local function request(case, extra)
  local headers = {
    "X-A: first",
    "Supported: path, outbound",
    "X-Other: o",
    "X-A: second",
    "Supported: gruu",
    ["X-Case"] = case,
    From = '"Old Name" <sip:alice@example.com>;tag=ft',
    ["Content-Type"] = "text/plain",
  }
  for k, v in pairs(extra or {}) do headers[k] = v end
  return { method = "INVITE", uri = "sip:bob@example.org", headers = headers, body = "old body" }
end

describe("editing the request", function()
  local t
  setup(function() t = ms.test.load(here .. "/scripts/edit.lua") end)
  teardown(function() t:close() end)

  -- The edited request's text, from the answer's body; fails on X-Err.
  local function edited(case)
    local a = t:request(request(case))
    assert.equals(1, #a)
    assert.equals(200, a[1].status)
    assert.is_nil(a[1].headers["x-err"])
    return a[1].body, a[1].headers["x-ret"]
  end

  local function refused(case)
    local a = t:request(request(case))
    assert.equals(1, #a)
    assert.equals(200, a[1].status)
    local err = a[1].headers["x-err"]
    assert.is_string(err)
    -- Nothing changed: the request is as it came.
    assert.truthy(a[1].body:find("X-A: first\r\n", 1, true))
    assert.truthy(a[1].body:find("Content%-Length: 8\r\n\r\nold body$"))
    return err
  end

  local function lines(text)
    local out = {}
    for l in text:gmatch("([^\r\n]*)\r\n") do
      if l == "" then break end
      out[#out + 1] = l
    end
    return out
  end

  local function index(list, line)
    for i, l in ipairs(list) do if l == line then return i end end
  end

  it("set_header replaces every field of the name with one, where the first was", function()
    local l = lines(edited("set_existing"))
    local i = index(l, "X-A: new")
    assert.truthy(i)
    assert.equals("Supported: path, outbound", l[i + 1])
    assert.is_nil(index(l, "X-A: first"))
    assert.is_nil(index(l, "X-A: second"))
    assert.truthy(index(l, "X-Other: o"))
  end)

  it("set_header adds a field that was not there, by full or compact name", function()
    assert.truthy(index(lines(edited("set_new")), "Subject: hello"))
    assert.truthy(index(lines(edited("set_compact")), "s: by compact name"))
    local l = lines(edited("set_number"))
    assert.truthy(index(l, "Max-Forwards: 5"))
    assert.is_nil(index(l, "Max-Forwards: 70"))
  end)

  it("add_header puts the field after the last of its name", function()
    local l = lines(edited("add"))
    local i = index(l, "X-A: third")
    assert.equals(index(l, "X-A: second") + 1, i)
    assert.truthy(index(l, "X-A: first"))
    assert.truthy(index(lines(edited("add_new")), "X-New: n"))
  end)

  it("remove_header removes every value of the name and says how many", function()
    local text, n = edited("remove")
    assert.equals("3", n) -- path, outbound, gruu
    assert.is_nil(text:find("Supported", 1, true))
    text, n = edited("remove_other")
    assert.equals("2", n)
    assert.is_nil(text:find("X-A:", 1, true))
    assert.truthy(text:find("X-Other: o\r\n", 1, true)) -- another unknown header stays
    text, n = edited("remove_none")
    assert.equals("0", n)
  end)

  it("set_uri changes the Request-URI, from a string or a URI object", function()
    local text, ret = edited("set_uri")
    assert.truthy(text:find("^INVITE sip:carol@example.net;transport=tcp SIP/2.0\r\n"))
    assert.equals("carol@example.net", ret) -- req.uri reads the new one
    text, ret = edited("set_uri_object")
    assert.truthy(text:find("^INVITE sip:dave@192.0.2.4:5080 SIP/2.0\r\n"))
    assert.equals("5080", ret)
  end)

  it("set_body replaces the body with a right Content-Length and Content-Type", function()
    local text = edited("set_body")
    assert.truthy(text:find("Content-Type: application/sdp\r\n", 1, true))
    assert.is_nil(text:find("text/plain", 1, true))
    assert.truthy(text:find("Content%-Length: 5\r\n\r\nv=0\r\n$"))
    text = edited("set_body_keep_type")
    assert.truthy(text:find("Content-Type: text/plain\r\n", 1, true))
    assert.truthy(text:find("Content%-Length: 10\r\n\r\nother text$"))
    text = edited("clear_body")
    assert.is_nil(text:find("Content-Type", 1, true))
    assert.truthy(text:find("Content%-Length: 0\r\n\r\n$"))
  end)

  it("reads after an edit see the edited request", function()
    local _, ret = edited("reads_after")
    assert.equals('Old Name|New Name|nt|"New Name" <sip:new@example.com>;tag=nt', ret)
  end)

  it("applies several edits in order", function()
    local text, n = edited("many")
    assert.equals("2", n)
    local l = lines(text)
    assert.equals("INVITE sip:eve@example.org SIP/2.0", l[1])
    assert.equals(index(l, "X-A: 1") + 1, index(l, "X-A: 2"))
    assert.is_nil(text:find("Supported", 1, true))
    assert.truthy(text:find("Content%-Length: 1\r\n\r\nx$"))
  end)

  it("keeps edits across a wait", function()
    local text, ret = edited("across_sleep")
    assert.equals("before,after", ret)
    assert.truthy(text:find("X-A: before\r\nX-A: after\r\n", 1, true))
  end)

  it("answers with From and To as received, whatever the script edited", function()
    local a = t:request(request("reply_after_edit"))
    assert.equals(200, a[1].status)
    assert.equals('"Old Name" <sip:alice@example.com>;tag=ft', a[1].headers.from)
    assert.truthy(a[1].headers.to:find("^<sip:bob@example.org>;tag="))
    assert.equals("<sip:other@example.com>;tag=other", a[1].headers["x-edited-from"])
  end)

  it("refuses Via, Call-ID, CSeq and the body's headers, saying why", function()
    assert.matches("set_header: cannot change Via: the Via headers belong to the transaction layer",
      refused("via"), 1, true)
    assert.matches("cannot change v:", refused("via_compact"), 1, true)
    assert.matches("Call%-ID and CSeq identify the request", refused("call_id"))
    assert.matches("add_header: cannot change CSeq", refused("cseq"), 1, true)
    assert.matches("req:set_body(body, content_type)", refused("content_length"), 1, true)
    assert.matches("req:set_body(body, content_type)", refused("content_type"), 1, true)
  end)

  it("refuses bad names and values with clear errors", function()
    assert.matches("set_header: not a valid header name or value", refused("crlf"), 1, true)
    assert.matches("set_header: not a valid header name or value", refused("bad_name"), 1, true)
    assert.matches("bad argument #1 to 'set_header' (header name expected, got nil)", refused("no_name"), 1, true)
    assert.matches("bad argument #2 to 'add_header' (header value expected, got no value)", refused("no_value"), 1, true)
    assert.matches("bad argument #2 to 'set_header' (header value expected, got table)", refused("table_value"), 1, true)
  end)

  it("refuses an edit that would leave a request that is not valid", function()
    assert.matches("remove_header: the request would not be valid: .*From", refused("remove_from"))
    assert.matches("set_header: the request would not be valid: .*From", refused("bad_from"))
    assert.matches("set_uri: 'not a uri' is not a URI a request can be sent to", refused("bad_uri"), 1, true)
    assert.matches("bad argument #1 to 'set_uri' (URI string or object expected, got number)", refused("uri_type"), 1, true)
    local a = t:request{ method = "MESSAGE", uri = "sip:bob@example.org", headers = { ["X-Case"] = "body_no_type" } }
    assert.matches("set_body: a body needs a content type", a[1].headers["x-err"], 1, true)
    assert.matches("bad argument #1 to 'set_body' (string body expected, got boolean)", refused("body_type"), 1, true)
  end)
end)
