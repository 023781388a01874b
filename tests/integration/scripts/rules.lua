-- Fixture for tests/integration/lua_test.py: answers by rules, so SIPp can
-- check what a script's answers look like on the wire.
--   by header:  X-Route: reject       -> 403 "Forbidden by X-Route"
--   by user:    busy  -> 486 "Busy Here"
--               moved -> 302 with Contact <sip:frontdesk@HOST>
--               slow  -> ms.sleep(0.2), then 200 with X-Slept
--               boom  -> a runtime error in the script (the core answers 500)
--               silent-> returns without answering (the core answers 500)
--               echo  -> 200 with what the script read from the request
--   by method:  OPTIONS -> 200 with X-Rule: options, MESSAGE -> 202
--   else 404
local function via_transport(req)
  local t = (req:header("Via") or ""):match("^SIP/2%.0/(%a+)")
  return t and t:lower()
end

local function echo(req)
  local src = req.source
  return req:reply(200, "OK", {
    ["X-Method"] = req.method,
    ["X-User"] = req.uri.user or "",
    ["X-Host"] = req.uri.host,
    ["X-CSeq"] = tostring(req.cseq),
    ["X-From-User"] = req.from.uri.user or "",
    ["X-From-Tagged"] = req.from.tag and "yes" or "no",
    ["X-To-Display"] = req.to.display or "",
    ["X-In-Dialog"] = tostring(req.in_dialog),
    ["X-Probe"] = req:header("x-probe") or "none",   -- names are case-insensitive
    ["X-Multi-Count"] = tostring(#req:headers("X-Multi")),
    ["X-Transport"] = src.transport,
    -- what the client wrote in its Via, to compare with where it came from
    ["X-Transport-Match"] = (via_transport(req) == src.transport:lower()) and "yes" or "no",
    ["X-Source"] = src.address,
    ["X-Body-Length"] = tostring(#(req.body or "")),
  })
end

local users = {
  busy = function(req) return req:reply(486, "Busy Here") end,
  moved = function(req)
    return req:reply(302, "Moved Temporarily", { Contact = "<sip:frontdesk@" .. req.uri.host .. ">" })
  end,
  slow = function(req)
    local t0 = ms.now()
    ms.sleep(0.2)
    return req:reply(200, "OK", { ["X-Slept"] = string.format("%.2f", ms.now() - t0) })
  end,
  boom = function(req)
    local t = nil
    return t.field -- attempt to index a nil value
  end,
  silent = function(req) end,
  echo = echo,
}

function on_request(req)
  if req.method == "ACK" then return end
  if req:header("X-Route") == "reject" then
    return req:reply(403, "Forbidden by X-Route")
  end
  local rule = users[req.uri.user or ""]
  if rule then return rule(req) end
  if req.method == "OPTIONS" then
    return req:reply(200, "OK", { ["X-Rule"] = "options", Allow = "OPTIONS, MESSAGE" })
  end
  if req.method == "MESSAGE" then
    return req:reply(202, "Accepted", { ["X-Rule"] = "message", ["X-Body-Length"] = tostring(#req.body) })
  end
  return req:reply(404, "Not Found")
end
