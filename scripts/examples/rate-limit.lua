-- Rate limiting by source address, with ms.store.
--
-- Each source address may send LIMIT requests per WINDOW seconds; past that
-- it gets 503 with Retry-After until the window ends. The counters live in
-- ms.store (per worker, kept across reloads) and expire by themselves.
-- Everything allowed through is answered 404 here; in a real script this
-- is where routing would start.
--
-- Run it:  moonsip run --listen udp:127.0.0.1:5060 scripts/examples/rate-limit.lua

local LIMIT = tonumber(os.getenv("RATE_LIMIT") or "20")
local WINDOW = 10 -- seconds

function on_request(req)
  if req.method == "ACK" then return end
  local key = "rate:" .. req.source.address
  local n = ms.store.incr(key, 1, WINDOW) -- the time to live starts with the window
  if n > LIMIT then
    if n == LIMIT + 1 then
      log.warn("%s is over %d requests in %d s", req.source.address, LIMIT, WINDOW)
    end
    return req:reply_stateless(503, "Service Unavailable: too many requests",
      { ["Retry-After"] = tostring(WINDOW) })
  end
  return req:reply(404, "Not Found")
end
