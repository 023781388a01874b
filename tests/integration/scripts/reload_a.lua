-- Fixture for lua_test.py (reload): version A answers everything 200 with
-- X-Version: A; user "slow" after 0.3 s, so a reload can happen meanwhile.
function on_request(req)
  if req.method == "ACK" then return end
  if req.uri.user == "slow" then ms.sleep(0.3) end
  return req:reply(200, "OK", { ["X-Version"] = "A" })
end
