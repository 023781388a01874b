-- URI objects: req.uri, req.from.uri, req.to.uri and ms.uri. A URI without
-- params gets its (empty) params table when it is first read; every read a
-- script makes must see what it saw when the table was made with the URI.
local ms = require "moonsip"
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."

describe("URI params", function()
  local t
  setup(function() t = ms.test.load(here .. "/scripts/uri.lua", { domains = { "example.org" } }) end)
  teardown(function() t:close() end)

  local function ret(case, uri, to)
    local a = t:request{
      method = "OPTIONS",
      uri = uri or "sip:bob@example.org;transport=tcp;lr",
      headers = {
        ["X-Case"] = case,
        From = "<sip:al@example.com;user=phone>;tag=ft1",
        To = to or "<sip:bob@example.org>",
      },
    }
    assert.equals(1, #a)
    assert.is_nil(a[1].headers["x-err"])
    return a[1].headers["x-ret"]
  end

  it("reads the params of the Request-URI, From and To, or an empty table", function()
    assert.equals("lr=true,transport=tcp|user=phone|", ret("params"))
    assert.equals("|user=phone|a=1", ret("params", "sip:bob@example.org", "<sip:bob@example.org;a=1>"))
  end)

  it("gives the same table on a second read", function()
    assert.equals("true,true,true", ret("same"))
    assert.equals("true,true,true", ret("same", "sip:bob@example.org"))
  end)

  it("keeps what a script sets in params, or sets as params", function()
    assert.equals("lr=true,transport=tcp,x=1|y=true", ret("set"))
    assert.equals("x=1|y=true", ret("set", "sip:bob@example.org"))
    assert.equals("z=2", ret("replace"))
  end)

  it("leaves tostring, text and the other fields as they were", function()
    assert.equals("sip:bob@example.org sip:bob@example.org bob@example.org", ret("rest"))
    assert.equals("host,params,scheme,text,user", ret("pairs"))
  end)

  it("is the same for URIs of ms.uri", function()
    assert.equals("lr=true|q=x|true|sip:b@example.com", ret("ms_uri"))
  end)

  it("goes back to C as before: proxy.is_me, registrar.lookup", function()
    assert.equals("true|0", ret("to_c"))
  end)

  it("is read again after an edit", function()
    assert.equals("transport=udp", ret("after_edit"))
  end)

  it("is the same in the module's ms.uri", function()
    local u = ms.uri("sip:alice@example.com")
    assert.same({}, u.params)
    assert.equals(u.params, u.params)
    u.params.x = "1"
    assert.same({ x = "1" }, u.params)
    assert.equals("sip:alice@example.com", tostring(u))
    assert.equals("sip:alice@example.com", u:tostring())
    assert.same({ lr = true }, ms.uri("sip:alice@example.com;lr").params)
  end)
end)
