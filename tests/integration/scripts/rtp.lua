-- The RTP relay's integration tests: calls relayed with their media
-- anchored, and an OPTIONS to sip:rtp@... that answers with what the
-- relay holds, so the test reads the figures off the wire:
--   X-Pool: <available> <size> <calls>
--   X-Stats: <a packets> <b packets> <a forwarded> <b forwarded> <streams> <a peer> <b peer>
--            for the Call-ID given in X-Call (or "none")
-- A call to a user "local-<n>" is answered here (486), after rtp.offer, so
-- the failure path frees its ports without a second peer; a call to
-- "uas-<port>" goes to 127.0.0.1:<port> (SIPp's UAS).
local MEDIA = { media = "relay", record_route = true }

local function stats_line(call_id)
  local s = rtp.stats(call_id)
  if not s then return "none" end
  local st = s.streams[1]
  if not st or not st.relayed then return string.format("0 0 0 0 %d - -", #s.streams) end
  return string.format("%d %d %d %d %d %s %s", st.a.packets, st.b.packets, st.a.forwarded, st.b.forwarded,
    #s.streams, st.a.peer or "-", st.b.peer or "-")
end

local timeouts = 0

function on_media_timeout(stats)
  timeouts = timeouts + 1
  log.info("media timeout of %s after %.1f s (%d so far)", stats.call_id, stats.duration, timeouts)
end

function on_request(req)
  if req.in_dialog then return proxy.route(req, MEDIA) end
  if req.method == "ACK" then return end
  if req.method == "OPTIONS" and req.uri.user == "rtp" then
    local p = rtp.pool()
    local id = req:header("X-Call")
    return req:reply(200, "OK", {
      ["X-Pool"] = string.format("%d %d %d", p.available, p.size, p.calls),
      ["X-Stats"] = id and stats_line(id) or "none",
      ["X-Timeouts"] = tostring(timeouts),
    })
  end
  if req.method == "INVITE" and req.uri.user and req.uri.user:match("^local%-") then
    local ok, why, kind = rtp.offer(req)
    if not ok then return req:reply(kind == "noports" and 503 or 488, why) end
    rtp.delete(req)
    return req:reply(486, "Busy Here")
  end
  -- SIPp calls sip:uas-<port>@<this server>: the UAS on that port.
  local uas = proxy.is_me(req.uri) and req.uri.user and req.uri.user:match("^uas%-(%d+)$")
  proxy.relay(req, uas and ("sip:uas@127.0.0.1:" .. uas) or req.uri, MEDIA)
end
