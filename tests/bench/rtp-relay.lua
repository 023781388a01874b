-- tests/bench/rtp.sh: moonsip as the RTP relay under test. Every INVITE
-- goes to its Request-URI (the load tool's own UAS socket) with the media
-- anchored: the offer in the INVITE and the answer in the 200 are
-- rewritten to the relay's ports (--rtp-address, --rtp-ports), so both
-- endpoints send to the relay. In-dialog requests follow their route set;
-- the BYE ends the call's media.
local MEDIA = { media = "relay", record_route = true }

function on_request(req)
  if req.in_dialog then return proxy.route(req, MEDIA) end
  if req.method == "ACK" then return end
  if req.method ~= "INVITE" then return req:reply(405, "Method Not Allowed") end
  proxy.relay(req, req.uri, MEDIA)
end
