-- moonsip's default routing script.
--
-- What it does today: a record-routing stateful proxy. Requests inside a
-- dialog follow their Route set (proxy.route); new requests for this
-- server's users go to MOONSIP_FALLBACK until the registrar lands (it
-- comes with the next capability, with authentication); requests for other
-- domains are relayed to their Request-URI. It answers OPTIONS pings (the
-- keep-alive of trunks and monitoring) itself, and turns away what it
-- cannot route with a status that says why.
--
-- It shows the style a routing script is written in: one function, read
-- top to bottom, each request in its own coroutine; proxy.relay waits for
-- the answer without blocking the server, and the best response goes back
-- to the caller when the script does nothing more with it.
--
-- Run it:    MOONSIP_FALLBACK=sip:127.0.0.1:5070 moonsip run scripts/default.lua
-- Check it:  moonsip check scripts/default.lua
-- Reload it: kill -HUP <pid>   (running calls finish on the old version)

local ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK, MESSAGE, REFER, NOTIFY, SUBSCRIBE"
-- Where calls for this server's own users go while there is no registrar.
local FALLBACK = os.getenv("MOONSIP_FALLBACK")

function on_request(req)
  local method = req.method

  -- In a dialog: ACK, BYE, re-INVITE... along the Route set this proxy
  -- (and others) put in with Record-Route.
  if req.in_dialog then
    return proxy.route(req)
  end

  -- An ACK outside a dialog matched no transaction: nothing to do.
  if method == "ACK" then return end

  -- A CANCEL that matched an INVITE was handled by the core already (the
  -- branches are cancelled); this one matched nothing.
  if method == "CANCEL" then
    return req:reply(481, "Call/Transaction Does Not Exist")
  end

  local mine = proxy.is_me(req.uri)

  if method == "OPTIONS" and mine and req.uri.user == nil then
    return req:reply(200, "OK", { Allow = ALLOW, Accept = "application/sdp", Supported = "" })
  end

  if method == "REGISTER" then
    log.info("REGISTER for %s refused: no registrar in this version", tostring(req.to.uri))
    return req:reply(501, "Not Implemented: registrations are not taken yet", { Allow = ALLOW })
  end

  local target = req.uri
  if mine then
    if not FALLBACK then
      log.info("%s to %s: no route (set MOONSIP_FALLBACK)", method, tostring(req.uri))
      return req:reply(404, "Not Found: no route for this user")
    end
    target = FALLBACK
  end

  local res = proxy.relay(req, target, { record_route = true })
  if res.status >= 300 then
    log.info("%s to %s: %d %s", method, tostring(target), res.status, res.reason)
  end
end
