-- Answering by rules: a tiny SIP responder for lab tests.
--
-- Callers reach "busy" (486), "moved" (302 to another user), "slow" (180
-- after a second, then 486: shows that waiting never blocks the server),
-- and anything else 404. A request with "X-Debug: yes" is logged in full.
--
-- Run it:  moonsip run --listen udp:127.0.0.1:5060 scripts/examples/rules.lua
-- Try it:  sipsak -s sip:busy@127.0.0.1     (or any SIP client)

local rules = {
  busy = function(req)
    return req:reply(486, "Busy Here")
  end,

  moved = function(req)
    return req:reply(302, "Moved Temporarily",
      { Contact = "<sip:frontdesk@" .. req.uri.host .. ">" })
  end,

  slow = function(req)
    if req.method == "INVITE" then
      ms.sleep(1)           -- this request waits; others go on meanwhile
      req:reply(180, "Ringing")
      ms.sleep(1)
    end
    return req:reply(486, "Busy Here")
  end,
}

function on_request(req)
  if req.method == "ACK" then return end
  if req:header("X-Debug") == "yes" then
    log.info("request:\n%s", tostring(req))
  end
  local rule = rules[req.uri.user or ""]
  if rule then return rule(req) end
  return req:reply(404, "Not Found")
end
