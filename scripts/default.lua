-- moonsip's default routing script: a registrar and an authenticating,
-- record-routing proxy.
--
--   REGISTER      digest-authenticated (401) against the users' table, for
--                 the user of the To address; the bindings are saved.
--   new requests  from one of this server's users: authenticated (407) as
--                 that user; for one of this server's users: sent to the
--                 phones they registered (480 when none is, 404 for a name
--                 that is no user here); for anyone else: relayed on.
--   in a dialog   along the Route set (Record-Route made this proxy part
--                 of it).
--   NAT           a call from or to a phone behind a NAT (its Via or
--                 Contact says so, or its REGISTER came through one) has
--                 its media relayed by moonsip, and the Contact of its
--                 requests and answers rewritten to where they came from,
--                 so that media and in-dialog requests find their way
--                 back; phones registered through a NAT get a keep-alive
--                 every 30 s to keep their NAT's mapping open.
--
-- The realm of a user is the host part of their address: add users with
-- `moonsip user add alice@example.test` and run the server with
-- `--domain example.test` (or use the server's address as the domain:
-- `moonsip user add alice@192.0.2.10`).
--
-- It shows the style a routing script is written in: one function, read
-- top to bottom, each request in its own coroutine; proxy.relay waits for
-- the answer without blocking the server, and the best response goes back
-- to the caller when the script does nothing more with it.
--
-- Environment:
--   MOONSIP_FALLBACK  a URI that takes calls for names that are no user here
--                     (a gateway, a test peer) instead of answering 404.
--   MOONSIP_DIGEST    the digest algorithms challenged with, in order
--                     (default "SHA-256,MD5"); "MD5" for clients that give
--                     up at a SHA-256 challenge instead of taking the next.
--   MOONSIP_KEEPALIVE seconds between keep-alives to phones behind a NAT
--                     (default 30; 0: none).
--
-- Run it:    moonsip run scripts/default.lua
-- Check it:  moonsip check scripts/default.lua
-- Reload it: kill -HUP <pid>   (running calls finish on the old version)

local ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, PRACK, MESSAGE, REFER, NOTIFY, SUBSCRIBE, REGISTER"
local FALLBACK = os.getenv("MOONSIP_FALLBACK")
local DIGEST = {}
local KNOWN = { ["SHA-256"] = true, MD5 = true, ["SHA-256-sess"] = true, ["MD5-sess"] = true }
for alg in (os.getenv("MOONSIP_DIGEST") or "SHA-256,MD5"):gmatch("[^,%s]+") do
  if not KNOWN[alg] then error("MOONSIP_DIGEST: no such digest algorithm: " .. alg, 0) end
  DIGEST[#DIGEST + 1] = alg
end
local CHALLENGE = { algorithms = DIGEST }

local KEEPALIVE = tonumber(os.getenv("MOONSIP_KEEPALIVE") or "30")
if not KEEPALIVE or KEEPALIVE < 0 then error("MOONSIP_KEEPALIVE: seconds >= 0 expected", 0) end
nat.keepalive(KEEPALIVE > 0 and { interval = KEEPALIVE } or false)

-- Answers from a phone behind a NAT: its Contact is where they came from.
local function fix_reply(res)
  if nat.detect(res) then nat.fix_contact(res) end
end
local IN_DIALOG = { media = "relay", on_reply = fix_reply }

-- A REGISTER binds the To address; only its own user may do that.
local function register(req)
  local aor = req.to.uri
  if not aor.host or not aor.user then
    return req:reply(400, "Bad Request: the To of a REGISTER must be a sip or sips URI with a user")
  end
  local realm = aor.host
  local user, why = auth.check(req, realm)
  if not user then
    if req:header("Authorization") then
      log.info("REGISTER for %s: %s", tostring(aor), why)
    end
    return auth.challenge(req, realm, CHALLENGE)
  end
  if user ~= aor.user then
    log.warn("REGISTER for %s with the credentials of %s refused", tostring(aor), user)
    return req:reply(403, "Forbidden: the credentials are not for this address")
  end
  return registrar.save(req)
end

-- A request that says it comes from one of our users must prove it: a
-- From in one of our domains, or naming one of our users (a From rarely
-- carries the port a server listens on).
local function caller_checked(req)
  local from = req.from.uri
  if not from.user or not from.host or not (proxy.is_me(from) or auth.is_user(from.user, from.host)) then
    return true
  end
  local user, why = auth.check(req, from.host)
  if not user then
    if req:header("Proxy-Authorization") then
      log.info("%s from %s: %s", req.method, tostring(from), why)
    end
    auth.challenge(req, from.host, CHALLENGE)
    return false
  end
  if user ~= from.user then
    log.warn("%s from %s with the credentials of %s refused", req.method, tostring(from), user)
    req:reply(403, "Forbidden: the credentials are not for the From address")
    return false
  end
  auth.consume(req)
  return true
end

-- Where a request for one of our users goes: the phones they registered.
local function callee_targets(req)
  local uri = req.uri
  local contacts = registrar.lookup(uri)
  if #contacts > 0 then return contacts end
  if auth.is_user(uri.user, uri.host) then
    req:reply(480, "Temporarily Unavailable: the user has no registered device")
    return nil
  end
  if FALLBACK then return FALLBACK end
  req:reply(404, "Not Found: no such user here")
  return nil
end

function on_request(req)
  local method = req.method

  -- In a dialog: ACK, BYE, re-INVITE... along the Route set, with the
  -- call's media when it is relayed (a BYE ends it).
  if req.in_dialog then
    if nat.detect(req) then nat.fix_contact(req) end
    return proxy.route(req, IN_DIALOG)
  end

  -- An ACK outside a dialog matched no transaction: nothing to do.
  if method == "ACK" then return end

  -- A CANCEL that matched an INVITE was handled by the core already (the
  -- branches are cancelled); this one matched nothing.
  if method == "CANCEL" then
    return req:reply(481, "Call/Transaction Does Not Exist")
  end

  local for_us = proxy.is_me(req.uri)

  if method == "REGISTER" then
    if not for_us then
      return req:reply(403, "Forbidden: registrations are taken only for this server's domains")
    end
    return register(req)
  end

  if method == "OPTIONS" and for_us and req.uri.user == nil then
    return req:reply(200, "OK", { Allow = ALLOW, Accept = "application/sdp", Supported = "path" })
  end

  if not caller_checked(req) then return end

  if for_us and not req.uri.user then
    return req:reply(404, "Not Found: the Request-URI names no user")
  end

  local target = req.uri
  if for_us then
    target = callee_targets(req)
    if not target then return end
  end

  -- Behind a NAT on either side: the media through moonsip.
  local natted = nat.detect(req)
  if natted then nat.fix_contact(req) end
  if type(target) == "table" then
    for _, c in ipairs(target) do natted = natted or c.nat end
  end
  local opts = { record_route = true }
  if natted then opts = { record_route = true, media = "relay", on_reply = fix_reply } end
  local res = proxy.relay(req, target, opts)
  if res.status >= 300 then
    local where = type(target) == "table" and tostring(req.uri) or tostring(target)
    log.info("%s to %s: %d %s", method, where, res.status, res.reason)
  end
end
