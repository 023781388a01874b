-- Call forwarding on busy or no answer, as a plain `if`.
--
-- A call for a user rings their phone for 20 seconds. If the phone is busy
-- (486, 600), does not answer (408, 480) or is not reachable at all, the
-- call goes on to their voicemail instead. A caller who hangs up first gets
-- the 487 as usual: nothing is forwarded after a CANCEL.
--
-- The phone and the voicemail server come from the environment, so the
-- example runs as it is against two SIPp UAS:
--   PHONE=sip:127.0.0.1:5070 VOICEMAIL=sip:127.0.0.1:5080 \
--     moonsip run --listen udp:127.0.0.1:5060 scripts/examples/forward-on-busy.lua
-- A real deployment would take both from the registrar and a table of
-- users.

local PHONE = os.getenv("PHONE") or "sip:127.0.0.1:5070"
local VOICEMAIL = os.getenv("VOICEMAIL") or "sip:127.0.0.1:5080"
local RING_SECONDS = 20

local forward_on = { [408] = true, [480] = true, [486] = true, [600] = true, [503] = true }

function on_request(req)
  if req.in_dialog then return proxy.route(req) end
  if req.method == "ACK" then return end
  if req.method == "CANCEL" then return req:reply(481, "Call/Transaction Does Not Exist") end

  local res = proxy.relay(req, PHONE, { record_route = true, timeout = RING_SECONDS })
  if req.method == "INVITE" and forward_on[res.status] then
    log.info("%s answered %d %s: on to voicemail", PHONE, res.status, res.reason)
    res = proxy.relay(req, VOICEMAIL, { record_route = true })
  end
  -- Whatever came last (the 200 already went) goes back to the caller.
end
