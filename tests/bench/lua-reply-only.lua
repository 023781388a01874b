-- tests/bench/lua.sh variant: the least a script can do, answer 200 (nothing
-- read), to see the host's own cost beside lua-three-headers.lua.
--   VARIANTS="reply-only=tests/bench/lua-reply-only.lua" bash tests/bench/lua.sh
function on_request(req)
  if req.method == "ACK" then return end
  return req:reply(200, "OK")
end
