-- Spreading calls over a pool of gateways, skipping the dead ones.
--
-- New calls go to the gateways in turn (round robin). A task of its own
-- (ms.spawn) sends each gateway an OPTIONS every few seconds with
-- proxy.request and marks it dead when it does not answer, alive again
-- when it does. A call whose gateway fails (503, 408, 500, or no answer)
-- moves on to the next live one, at most once per gateway.
--
-- Run it against SIPp UAS gateways on loopback:
--   GATEWAYS="sip:127.0.0.1:5071 sip:127.0.0.1:5072" \
--     moonsip run --listen udp:127.0.0.1:5060 scripts/examples/load-balancer.lua
-- The probe task starts with the first request (the script's top level
-- runs before the server has a network).

local GATEWAYS = {}
for uri in (os.getenv("GATEWAYS") or "sip:127.0.0.1:5071 sip:127.0.0.1:5072"):gmatch("%S+") do
  GATEWAYS[#GATEWAYS + 1] = uri
end
local PROBE_EVERY = tonumber(os.getenv("PROBE_EVERY") or "5") -- seconds

local alive = {}    -- gateway -> true/false; unknown counts as alive
local next_one = 1
local probing = false

local function probe_forever()
  while true do
    for _, gw in ipairs(GATEWAYS) do
      local res, why = proxy.request("OPTIONS", gw, { timeout = 2 })
      -- Any answer but a timeout or a 5xx means the gateway is there (some
      -- answer OPTIONS with 404 or 405).
      local up = res ~= nil and res.status < 500 and res.status ~= 408
      if up ~= (alive[gw] ~= false) then
        log.warn("gateway %s is %s (%s)", gw, up and "back" or "down",
          res and (res.status .. " " .. res.reason) or why)
      end
      alive[gw] = up
    end
    ms.sleep(PROBE_EVERY)
  end
end

-- The live gateways, starting with the next in turn; the turn moves past
-- the one chosen.
local function rotation()
  local list, first = {}, nil
  for i = 0, #GATEWAYS - 1 do
    local k = (next_one - 1 + i) % #GATEWAYS + 1
    if alive[GATEWAYS[k]] ~= false then
      list[#list + 1] = GATEWAYS[k]
      first = first or k
    end
  end
  if first then next_one = first % #GATEWAYS + 1 end
  return list
end

local try_next = { [408] = true, [500] = true, [502] = true, [503] = true, [504] = true }

function on_request(req)
  if not probing then
    probing = true
    ms.spawn(probe_forever)
  end
  if req.in_dialog then return proxy.route(req) end
  if req.method == "ACK" then return end
  if req.method == "CANCEL" then return req:reply(481, "Call/Transaction Does Not Exist") end

  local gateways = rotation()
  if #gateways == 0 then
    return req:reply(503, "Service Unavailable: no gateway is up", { ["Retry-After"] = PROBE_EVERY })
  end
  for _, gw in ipairs(gateways) do
    local res = proxy.relay(req, gw, { record_route = true })
    if not try_next[res.status] then return end -- answered (or the caller gave up)
    log.info("%s answered %d: trying the next gateway", gw, res.status)
    alive[gw] = res.status ~= 408 and alive[gw]
  end
  -- Every gateway failed: the last answer goes back (a 503 as 500).
end
