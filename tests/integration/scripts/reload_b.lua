-- Fixture for lua_test.py (reload): version B answers everything 480 with X-Version: B.
function on_request(req)
  if req.method == "ACK" then return end
  return req:reply(480, "Version B", { ["X-Version"] = "B" })
end
