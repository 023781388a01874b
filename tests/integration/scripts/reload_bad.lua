-- Fixture for lua_test.py (reload): a syntax error; a reload must keep the running script.
function on_request(req)
  if req.method == "ACK" then return end
  return req:reply(200, "OK"  -- the closing parenthesis is missing
end
