-- The request object a handler gets: its fields and header access.
local ms = require "moonsip"
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."

local INVITE = {
  method = "INVITE",
  uri = "sip:bob@example.org:5070;transport=tcp;lr",
  headers = {
    "v: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2",
    "Via: SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK3",
    "f: \"Al \\\"Ice\\\"\" <sip:al@example.com>;tag=ft1",
    "X-A: 1",
    "X-Multi: m1",
    "X-Other: o",
    "X-Multi: m2",
    ["CSeq"] = "42 INVITE",
    ["Content-Type"] = "application/sdp",
  },
  body = "v=0\r\n",
  source = { address = "192.0.2.9", port = 5099, transport = "tcp" },
}

describe("the request object", function()
  local t
  setup(function() t = ms.test.load(here .. "/scripts/fields.lua") end)
  teardown(function() t:close() end)

  local function fields(msg)
    local a = t:request(msg)
    assert.equals(1, #a)
    assert.equals(200, a[1].status)
    return a[1].headers
  end

  -- Each check runs twice on one loaded script: a second request must see
  -- its own values, nothing left over from the first.
  for round = 1, 2 do
    describe("(round " .. round .. ")", function()
      it("has method, uri, call_id, cseq and body", function()
        local h = fields(INVITE)
        assert.equals("INVITE", h["x-method"])
        assert.equals(h["call-id"], h["x-call-id"])
        assert.equals("42", h["x-cseq"])
        assert.equals("number", h["x-cseq-type"])
        assert.equals("v=0\\r\\n", h["x-body"])
        assert.equals("true", h["x-text-has-method"]) -- tostring(req): the whole message
      end)

      it("has the Request-URI as a URI object", function()
        local h = fields(INVITE)
        assert.equals("sip:bob@example.org:5070;transport=tcp;lr", h["x-uri"])
        assert.equals(h["x-uri"], h["x-uri-text"])
        assert.equals("sip", h["x-uri-scheme"])
        assert.equals("bob", h["x-uri-user"])
        assert.equals("example.org", h["x-uri-host"])
        assert.equals("5070", h["x-uri-port"])
        assert.equals("number", h["x-uri-port-type"])
        assert.equals("lr=true,transport=tcp", h["x-uri-params"])
        h = fields{ method = "OPTIONS", uri = "sip:example.net" }
        assert.equals("nil", h["x-uri-user"])
        assert.equals("nil", h["x-uri-port"])
        assert.equals("", h["x-uri-params"])
      end)

      it("has from and to with uri, tag and display", function()
        local h = fields(INVITE)
        assert.equals("sip:al@example.com", h["x-from-uri"])
        assert.equals("al", h["x-from-user"])
        assert.equals("ft1", h["x-from-tag"])
        assert.equals('Al "Ice"', h["x-from-display"]) -- quoted string decoded
        assert.equals("sip:bob@example.org:5070;transport=tcp;lr", h["x-to-uri"])
        assert.equals("nil", h["x-to-tag"])
        assert.equals("nil", h["x-to-display"])
      end)

      it("says whether it is in a dialog (To has a tag)", function()
        assert.equals("false", fields(INVITE)["x-in-dialog"])
        local h = fields{ method = "BYE", uri = "sip:bob@example.org",
          headers = { To = "Bob <sip:bob@example.org>;tag=tt9" } }
        assert.equals("true", h["x-in-dialog"])
        assert.equals("tt9", h["x-to-tag"])
        assert.equals("Bob", h["x-to-display"])
      end)

      it("has the source address, port and transport", function()
        local h = fields(INVITE)
        assert.equals("192.0.2.9", h["x-src-address"])
        assert.equals("5099", h["x-src-port"])
        assert.equals("TCP", h["x-src-transport"])
        h = fields{ method = "OPTIONS", uri = "sip:a@b", source = { address = "2001:db8::7", port = 5062, transport = "tls" } }
        assert.equals("2001:db8::7", h["x-src-address"]) -- no brackets
        assert.equals("5062", h["x-src-port"])
        assert.equals("TLS", h["x-src-transport"])
        h = fields{ method = "OPTIONS", uri = "sip:a@b" }
        assert.equals("127.0.0.1", h["x-src-address"])
        assert.equals("UDP", h["x-src-transport"])
      end)

      it("reads a header's first value, by any case and by compact name", function()
        local h = fields(INVITE)
        assert.equals("1", h["x-header-a"])
        assert.equals("1", h["x-header-a-lower"])
        assert.equals("SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK1", h["x-via-first"])
        assert.equals(h["x-via-first"], h["x-via-compact"]) -- req:header("v")
        assert.equals('"Al \\"Ice\\"" <sip:al@example.com>;tag=ft1', h["x-from-compact"]) -- req:header("f")
        assert.equals("nil", h["x-header-missing"])
        assert.equals("0", h["x-headers-missing"])
      end)

      it("reads every value of a header, list elements split", function()
        local h = fields(INVITE)
        assert.equals("SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK1|SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2|" ..
          "SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK3", h["x-via-all"])
      end)

      it("reads every value of an unknown header, and only that header's", function()
        -- X-Other sits between the two X-Multi fields.
        assert.equals("m1|m2", fields(INVITE)["x-multi"])
      end)
    end)
  end
end)
