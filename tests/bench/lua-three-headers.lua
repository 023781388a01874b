-- tests/bench/lua.sh: the moonsip side of the Lua benchmark. Reads three
-- header fields and answers 200 (400 when one is missing, which SIPp counts
-- as a failure). Kamailio does the same in kamailio-lua.lua.
--   moonsip run --listen udp:127.0.0.1:5060 tests/bench/lua-three-headers.lua
function on_request(req)
  if req.method == "ACK" then return end
  local from, xa, ua = req:header("From"), req:header("X-A"), req:header("User-Agent")
  if from and xa and ua then
    return req:reply(200, "OK")
  end
  return req:reply(400, "Missing From, X-A or User-Agent")
end
