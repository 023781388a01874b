-- moonsip's default routing script.
--
-- What it does today: answers OPTIONS pings (the keep-alive of trunks and
-- monitoring), turns away what it cannot route yet with a status that says
-- why, and shows the style a routing script is written in: one function,
-- read top to bottom, each request in its own coroutine.
-- It grows with each capability: registrar, authentication, relaying to
-- registered users and media relay come next.
--
-- Run it:    moonsip run scripts/default.lua
-- Check it:  moonsip check scripts/default.lua
-- Reload it: kill -HUP <pid>   (running calls finish on the old version)

local ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS"

-- A request for this server itself: no user part in the Request-URI.
local function for_us(req)
  return req.uri.user == nil
end

function on_request(req)
  local method = req.method

  -- An ACK is never answered; one that reaches the script belongs to a
  -- 2xx this server did not send, so there is nothing to do.
  if method == "ACK" then return end

  if method == "OPTIONS" and for_us(req) then
    return req:reply(200, "OK", {
      Allow = ALLOW,
      Accept = "application/sdp",
      Supported = "",
    })
  end

  -- A CANCEL that matched an INVITE was answered by the core already;
  -- this one matched nothing.
  if method == "CANCEL" then
    return req:reply(481, "Call/Transaction Does Not Exist")
  end

  -- Requests inside a dialog would follow their Route set through a proxy;
  -- this server keeps no dialogs yet.
  if req.in_dialog then
    return req:reply(481, "Call/Transaction Does Not Exist: no such dialog here")
  end

  if method == "REGISTER" then
    log.info("REGISTER for %s refused: no registrar in this version", tostring(req.to.uri))
    return req:reply(501, "Not Implemented: registrations are not taken yet", { Allow = ALLOW })
  end

  log.info("%s to %s: no route", method, tostring(req.uri))
  return req:reply(404, "Not Found: no route for this user")
end
