-- tests/bench/lua.sh: Kamailio's side of the Lua benchmark (KEMI, with
-- kamailio-lua.cfg). Reads the same three header fields as
-- lua-three-headers.lua and answers 200 statelessly (400 if one is missing).
function ksr_request_route()
  if KSR.is_ACK() then return end
  local from, xa, ua = KSR.hdr.get("From"), KSR.hdr.get("X-A"), KSR.hdr.get("User-Agent")
  if from and xa and ua then
    KSR.sl.sl_send_reply(200, "OK")
    return
  end
  KSR.sl.sl_send_reply(400, "Missing From, X-A or User-Agent")
end
